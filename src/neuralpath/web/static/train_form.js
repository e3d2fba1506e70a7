// The training view's settings form: filled from a preset (GET /api/train/options), checked
// here in plain words next to each field before anything is sent, its help lines rewritten to
// follow the values, and kept in the page's URL so a link opens the page ready to start the
// same settings. The request it makes holds only what differs from the preset (and the
// seed), so the default one is {"preset": "tutorial", "seed": 0}: `neuralpath train --preset
// tutorial --seed 0` exactly.

const $ = (id) => document.getElementById(id);
const TUTORIAL = "https://adventuresinmachinelearning.com/neural-networks-tutorial/";

// The form's fields: the setting each sets, the element whose error line it uses, its label.
// labels may be replaced by the server's (options.labels), so both say the same words.
const LABELS = {
  seed: "Seed", layer_sizes: "Hidden layers", learning_rate: "Learning rate", l2: "L2",
  batch_size: "Batch size", iterations: "Length", epochs: "Length", cost: "Cost",
  output_activation: "Cost", activation: "Activation", optimizer: "Optimizer",
  dropout: "Dropout", preset: "Preset",
};
const ERROR_OF = {  // setting -> the error line beside its field
  seed: "seed-error", layer_sizes: "hidden-error", learning_rate: "alpha-error",
  l2: "l2-error", batch_size: "batch-error", iterations: "length-error",
  epochs: "length-error", cost: "cost-error", output_activation: "cost-error",
};
const INPUT_OF = {  // setting -> the control to focus when it is refused
  seed: "seed", layer_sizes: "hidden", learning_rate: "alpha", l2: "l2",
  batch_size: "batch_size", iterations: "length", epochs: "length", cost: "cost",
  output_activation: "output_activation", activation: "activation", optimizer: "optimizer",
  dropout: "dropout", preset: "preset",
};
let options = null;

export function label(name) {
  return (options && options.labels && options.labels[name]) || LABELS[name] || name;
}

// The server's range of a setting (options.ranges[name]: {low, high, low_closed, words}).
function range(name) {
  return (options && options.ranges && options.ranges[name]) || {};
}

function highOf(name, fallback) {
  const high = range(name).high;
  return high === null || high === undefined ? fallback : high;
}

function fillSelect(id, values) {
  $(id).replaceChildren(...values.map((v) => new Option(v, v)));
}

// ---- values in and out of the fields ----------------------------------------------------

// A number as a person typed it: digits, an optional point, an optional exponent; else NaN.
function number(text) {
  const t = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
}

function whole(text) {
  const t = text.trim();
  return /^\+?\d+$/.test(t) ? Number(t) : NaN;
}

function showNumber(x) {  // 0.25 stays "0.25"; 1e-4 stays "0.0001"
  return String(Number(x.toPrecision(12)));
}

function placeSlider() {
  const alpha = number($("alpha").value);
  if (alpha > 0) $("alpha-slider").value = String(Math.log10(alpha));
}

export function setForm(cfg, presetName) {
  if (presetName) $("preset").value = presetName;
  $("seed").value = String(cfg.seed);
  const hidden = cfg.layer_sizes.slice(1, -1);
  $("hidden").value = hidden.length ? hidden.join(", ") : "none";
  $("activation").value = cfg.activation;
  $("cost").value = cfg.cost;
  $("output_activation").value = cfg.output_activation;
  $("optimizer").value = cfg.optimizer;
  $("alpha").value = showNumber(cfg.learning_rate);
  placeSlider();
  $("l2").value = showNumber(cfg.l2);
  $("dropout").value = String(cfg.dropout);
  $("dropout-value").textContent = String(cfg.dropout);
  $("batch-kind").value = cfg.batch_size === null ? "full" : "mini";
  // a full-batch preset leaves the size field at the usual 32, not at an older run's value
  $("batch_size").value = String(cfg.batch_size === null ? 32 : cfg.batch_size);
  $("length-kind").value = cfg.iterations === null ? "epochs" : "iterations";
  $("length").value = String(cfg.iterations === null ? cfg.epochs : cfg.iterations);
  refresh();
}

export function preset() {
  return options.presets[$("preset").value];
}

// The settings the form shows, checked: {values, errors: {setting: message}}. values holds
// every setting the form sets, as TrainConfig names them.
export function readForm() {
  const p = preset();
  const errors = {};
  const values = {};
  const maxLayer = highOf("layer_sizes", options.bounds.max_layer);
  const maxSteps = options.bounds.max_iterations;

  const seedText = $("seed").value;
  const seed = whole(seedText);
  if (!seedText.trim()) errors.seed = "Seed is empty: give a whole number, e.g. 0.";
  else if (!Number.isSafeInteger(seed)) {
    errors.seed = `Seed must be a whole number of 0 or more, not “${seedText.trim()}”.`;
  } else if (seed > 2 ** 32 - 1) errors.seed = "Seed must be below 4294967296.";
  values.seed = seed;

  const hiddenText = $("hidden").value.trim();
  let hidden = [];
  if (!hiddenText) {
    errors.layer_sizes = "Hidden layers is empty: give the nodes of each hidden layer, " +
      "e.g. 30, or 100, 50 (or none for a network without a hidden layer).";
  } else if (hiddenText.toLowerCase() !== "none") {
    const parts = hiddenText.split(/[\s,]+/).filter((s) => s !== "");
    const bad = parts.find((s) => !(whole(s) >= 1));
    hidden = parts.map(whole);
    if (bad !== undefined) {
      errors.layer_sizes = `Each hidden layer is a whole number of nodes, 1 or more; ` +
        `“${bad}” is not.`;
    } else if (hidden.some((n) => n > maxLayer)) {
      errors.layer_sizes = `A layer may have at most ${maxLayer} nodes on this server.`;
    }
  }
  values.layer_sizes = [p.layer_sizes[0], ...hidden, p.layer_sizes.at(-1)];

  for (const id of ["activation", "cost", "output_activation", "optimizer"]) {
    values[id] = $(id).value;
  }
  if (values.cost === "cross_entropy" && !["softmax", "sigmoid"].includes(values.output_activation)) {
    errors.cost = "Cross-entropy needs a softmax or sigmoid output.";
  }

  const alphaText = $("alpha").value;
  const alpha = number(alphaText);
  const maxAlpha = highOf("learning_rate", Infinity);
  if (!alphaText.trim()) errors.learning_rate = "Learning rate is empty: give a number, e.g. 0.25.";
  else if (!(alpha > 0) || !Number.isFinite(alpha)) {
    errors.learning_rate = `Learning rate must be a number above 0, not “${alphaText.trim()}”.`;
  } else if (alpha >= maxAlpha) {
    errors.learning_rate = `Learning rate must be below ${maxAlpha}.`;
  }
  values.learning_rate = alpha;

  const l2Text = $("l2").value;
  const l2 = number(l2Text);
  const maxL2 = highOf("l2", Infinity);
  if (!l2Text.trim()) errors.l2 = "L2 is empty: give 0 for none, or a small number like 0.001.";
  else if (!(l2 >= 0) || !Number.isFinite(l2)) {
    errors.l2 = `L2 must be a number of 0 or more, not “${l2Text.trim()}”.`;
  } else if (l2 >= maxL2) errors.l2 = `L2 must be below ${maxL2}.`;
  values.l2 = l2;

  values.dropout = Number($("dropout").value);

  if ($("batch-kind").value === "full") values.batch_size = null;
  else {
    const text = $("batch_size").value;
    const size = whole(text);
    if (!text.trim()) errors.batch_size = "Batch size is empty: give a whole number, e.g. 32.";
    else if (!(size >= 1)) {
      errors.batch_size = `Batch size must be a whole number of 1 or more, not “${text.trim()}”.`;
    }
    values.batch_size = size;
  }

  const kind = $("length-kind").value;
  const lengthText = $("length").value;
  const length = whole(lengthText);
  if (!lengthText.trim()) errors[kind] = `Length is empty: give the number of ${kind}, e.g. 3000.`;
  else if (!(length >= 1)) {
    errors[kind] = `Length must be a whole number of ${kind}, 1 or more, not “${lengthText.trim()}”.`;
  } else if (kind === "iterations" && length > maxSteps) {
    errors[kind] = `A run on this server makes at most ${maxSteps} iterations.`;
  } else if (kind === "epochs" && !errors.batch_size) {
    const m = trainingRows();
    const batch = Math.min(values.batch_size ?? m, m);
    const steps = m ? length * Math.ceil(m / batch) : 0;
    if (steps > maxSteps) {
      const perEpoch = Math.floor(maxSteps / length);
      errors.epochs = `${length} epochs of ${m} rows in batches of ${batch} make ${steps} ` +
        `steps; a run on this server makes at most ${maxSteps}: ` + (perEpoch === 0
        ? `use at most ${maxSteps} epochs.`
        : `use fewer epochs or batches of at least ${Math.ceil(m / perEpoch)}.`);
    }
  }
  values.iterations = kind === "iterations" ? length : null;
  values.epochs = kind === "epochs" ? length : null;
  return { values, errors };
}

// The training rows of a run of the chosen preset (its split and copies: the form changes
// neither), as the server counts them (GET /api/train/options' preset_rows); null if unknown.
export function trainingRows() {
  return (options.preset_rows && options.preset_rows[$("preset").value]) || null;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// The POST /api/train body for values: the preset, the seed, and what differs from the preset.
export function request(values) {
  const p = preset();
  const body = { preset: $("preset").value, seed: values.seed };
  for (const [k, v] of Object.entries(values)) {
    if (k === "seed" || k === "iterations" || k === "epochs") continue;
    if (!same(v, p[k])) body[k] = v;
  }
  const kind = values.iterations !== null ? "iterations" : "epochs";
  if (values[kind] !== p[kind]) body[kind] = values[kind];
  return body;
}

// ---- errors beside the fields ------------------------------------------------------------

export function showErrors(errors) {
  const lines = new Set(Object.values(ERROR_OF));
  for (const id of lines) {
    const entries = Object.entries(errors).filter(([k]) => ERROR_OF[k] === id);
    $(id).textContent = entries.map(([, m]) => m).join(" ");
    $(id).hidden = !entries.length;
  }
  for (const [k, input] of Object.entries(INPUT_OF)) {
    $(input).setAttribute("aria-invalid", String(k in errors));
  }
}

// A refusal from the server that names its field ({"error", "field"}): shown beside it.
// Returns false when the field has no line of its own (the caller shows it by the buttons).
export function showServerError(field, message) {
  if (!(field in ERROR_OF)) return false;
  showErrors({ [field]: message });
  $(INPUT_OF[field]).focus();
  return true;
}

export function focusFirst(errors) {
  const first = Object.keys(INPUT_OF).find((k) => k in errors);
  if (first) {
    $(INPUT_OF[first]).scrollIntoView({ block: "center" });
    $(INPUT_OF[first]).focus({ preventScroll: true });
  }
}

// ---- help lines that follow the settings -----------------------------------------------

function bold(text) {
  const b = document.createElement("b");
  b.textContent = text;
  return b;
}

function help(id, ...parts) {
  $(id).replaceChildren(...parts.map((p) => (typeof p === "string" ? document.createTextNode(p) : p)));
}

const count = (n) => n.toLocaleString("en-US");

// What the settings are, in words, as the server labels a run: "tutorial" or "tutorial,
// learning rate 0.5, hidden layers 100" (each setting that differs from the preset).
export function describe(values) {
  const p = preset();
  const words = (k, v) => {
    if (k === "layer_sizes") return v.slice(1, -1).join(", ") || "none";
    if (k === "batch_size" && v === null) return "all rows";
    return typeof v === "number" ? String(Number(v.toPrecision(6))) : String(v);
  };
  const changes = Object.keys(p)
    .filter((k) => k in values && values[k] !== null && !same(values[k], p[k]))
    .map((k) => `${label(k).toLowerCase()} ${words(k, values[k])}`);
  if (values.batch_size === null && p.batch_size !== null) changes.push("batch size all rows");
  return [$("preset").value, ...changes].join(", ");
}

function refreshHelp(values, errors) {
  const p = preset();
  const name = $("preset").value;
  const changed = Object.keys(errors).length ? name : describe(values);
  help("preset-help", "Where to start: ", bold(name),
    changed === name ? (name === "tutorial" ? " is section 5 exactly." : " as it is.")
      : ` changed: ${changed.slice(name.length + 2)}.`);
  if (!errors.layer_sizes) {
    const sizes = values.layer_sizes;
    help("hidden-help", "Nodes of each hidden layer, commas between: nn_structure = [",
      `${sizes[0]}, `, bold(sizes.slice(1, -1).join(", ") || "no hidden layer"),
      `, ${sizes.at(-1)}].`);
  }
  const act = values.activation;
  help("activation-help", `f in h = f(z) of the hidden nodes: ${act}` +
    (act === "sigmoid" ? " (the tutorial's)." : " (the tutorial's is sigmoid)."));
  help("cost-help", values.cost === "quadratic"
    ? `J = ½‖y − h‖² summed over the outputs (the tutorial's), ${values.output_activation} output.`
    : `J = −Σ y log h, cross-entropy, on a ${values.output_activation} output ` +
      "(the tutorial's is quadratic).");
  help("optimizer-help", values.optimizer === "gd"
    ? "gd: W ← W − α ∂J/∂W, the tutorial's step."
    : `${values.optimizer}: a step that keeps a running memory of the gradients ` +
      "(the tutorial's is gd).");
  if (!errors.learning_rate) {
    help("alpha-help", `The step size α = ${values.learning_rate}` +
      (values.learning_rate === 0.25 ? " (the tutorial's; the slider is a log scale)."
        : " (the tutorial's is 0.25; the slider is a log scale)."),
      " Too large and J jumps about.");
  }
  if (!errors.l2) {
    help("l2-help", values.l2 === 0 ? "Weight decay: none (0, the tutorial's). "
      : `Weight decay: J + ${values.l2}/2 Σ‖W‖² keeps the weights small. `,
      "0.001 is the tutorial-l2 preset's.");
  }
  help("dropout-help", values.dropout === 0
    ? "Chance of silencing each hidden node at each step: never (0, the tutorial's)."
    : `Each hidden node is silenced at each step with chance ${values.dropout}.`);
  const m = options.train_rows && options.train_rows[p.dataset];
  const all = m ? `all m = ${count(m)} training samples` : "all the training samples";
  if (!errors.batch_size) {
    help("batch-help", values.batch_size === null
      ? `Full batch: each step averages ΔW over ${all}, as the tutorial does.`
      : `Mini-batches: each step averages ΔW over ${values.batch_size} samples` +
        (m ? `; an epoch is ${Math.ceil(m / Math.min(values.batch_size, m))} steps.` : "."));
  }
  const kind = values.iterations !== null ? "iterations" : "epochs";
  if (!errors[kind]) {
    help("length-help", kind === "iterations"
      ? `iter_num = ${values.iterations} steps` +
        (values.iterations === 3000 ? " (the tutorial's)." : " (the tutorial's is 3000).")
      : `${values.epochs} passes over the data` +
        (m ? `: ${values.epochs * Math.ceil(m / Math.min(values.batch_size ?? m, m))} steps.`
          : "."));
  }
}

// ---- the URL ----------------------------------------------------------------------------

function writeUrl(values, errors) {
  if (Object.keys(errors).length) return;  // the link keeps the last settings that were right
  const body = request(values);
  const q = new URLSearchParams();
  q.set("preset", body.preset);
  if (body.seed !== preset().seed) q.set("seed", String(body.seed));
  for (const [k, v] of Object.entries(body)) {
    if (k === "preset" || k === "seed") continue;
    if (k === "layer_sizes") q.set("hidden", v.slice(1, -1).join(",") || "none");
    else if (k === "batch_size") q.set("batch", v === null ? "full" : String(v));
    else q.set(k, String(v));
  }
  if ($("speed").value) q.set("speed", $("speed").value);
  const url = `${location.pathname}?${q}`;
  if (url !== location.pathname + location.search) history.replaceState(null, "", url);
}

// The settings a link carries, put in the form over its preset (each checked like a typed one).
function readUrl() {
  const q = new URLSearchParams(location.search);
  const name = q.get("preset");
  setForm(options.presets[name in options.presets ? name : "tutorial"],
    name in options.presets ? name : "tutorial");
  const set = (id, value) => { if (value !== null) $(id).value = value; };
  set("seed", q.get("seed"));
  if (q.get("hidden") !== null) $("hidden").value = q.get("hidden").split(",").join(", ");
  for (const id of ["activation", "cost", "output_activation", "optimizer"]) {
    const v = q.get(id);
    if (v !== null && [...$(id).options].some((o) => o.value === v)) $(id).value = v;
  }
  set("alpha", q.get("learning_rate"));
  set("l2", q.get("l2"));
  const dropout = Number(q.get("dropout"));
  if (q.get("dropout") !== null && dropout >= 0 && dropout <= 0.8) {
    $("dropout").value = String(dropout);
    $("dropout-value").textContent = String(dropout);
  }
  const batch = q.get("batch");
  if (batch !== null) {
    $("batch-kind").value = batch === "full" ? "full" : "mini";
    if (batch !== "full") $("batch_size").value = batch;
  }
  for (const kind of ["iterations", "epochs"]) {
    if (q.get(kind) !== null) { $("length-kind").value = kind; $("length").value = q.get(kind); }
  }
  const speed = q.get("speed");
  if (speed !== null && [...$("speed").options].some((o) => o.value === speed)) {
    $("speed").value = speed;
  }
  placeSlider();
  if (name !== null && !(name in options.presets)) {
    return `This link names a preset this server does not have (“${name}”); ` +
      "the tutorial's settings are shown instead.";
  }
  return "";
}

// ---- wiring -------------------------------------------------------------------------------

let onChange = () => {};

// Everything that follows the values: the batch size field, the help lines, the errors, the
// URL. Returns readForm()'s answer.
export function refresh() {
  $("batch_size").disabled = $("batch-kind").value === "full" || $("settings").dataset.locked === "true";
  const read = readForm();
  showErrors(read.errors);
  refreshHelp(read.values, read.errors);
  writeUrl(read.values, read.errors);
  onChange(read);
  return read;
}

export function lock(locked) {
  $("settings").dataset.locked = String(locked);
  for (const el of $("settings").elements) el.disabled = locked;
  $("alpha-slider").disabled = locked;
  if (!locked) $("batch_size").disabled = $("batch-kind").value === "full";
}

// Fill the form from the server's options and the page's URL; changed(read) is called after
// every change. Returns a message about the link when part of it could not be used.
export function initForm(serverOptions, changed) {
  options = serverOptions;
  onChange = changed;
  for (const a of document.querySelectorAll("a[data-section]")) {
    a.href = `${TUTORIAL}#:~:text=${encodeURIComponent(a.dataset.section)}`;
  }
  fillSelect("preset", Object.keys(options.presets));
  for (const name of ["activation", "cost", "output_activation", "optimizer"]) {
    fillSelect(name, options.choices[name]);
  }
  $("preset").addEventListener("change", () => setForm(preset()));
  $("alpha-slider").addEventListener("input", () => {
    // two significant digits: the slider at log10(0.25) gives 0.25, never 0.251
    $("alpha").value = showNumber(Number((10 ** Number($("alpha-slider").value)).toPrecision(2)));
    refresh();
  });
  $("alpha").addEventListener("input", () => { placeSlider(); refresh(); });
  $("dropout").addEventListener("input", () => {
    $("dropout-value").textContent = $("dropout").value;
  });
  $("cost").addEventListener("change", () => {  // the pairs the costs table knows
    $("output_activation").value = $("cost").value === "cross_entropy" ? "softmax" : "sigmoid";
  });
  $("settings").addEventListener("input", refresh);
  $("settings").addEventListener("change", refresh);
  $("speed").addEventListener("change", refresh);
  $("settings").addEventListener("submit", (event) => event.preventDefault());
  const note = readUrl();
  refresh();
  return note;
}
