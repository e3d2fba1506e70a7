// The training view: a form over a preset's settings, POST /api/train to start a run on the
// server, then its event stream (GET /api/train/{id}/events, at most ten updates a second)
// drawn as they come: the cost J per iteration, train and test accuracy, the first layer's
// weights as pictures, the test confusion matrix and the test digits the network gets wrong.
"use strict";

const TUTORIAL = "https://adventuresinmachinelearning.com/neural-networks-tutorial/";
const RUN_KEY = "neuralpath-live-run";  // sessionStorage: the run this tab watches
const $ = (id) => document.getElementById(id);

let options = null;  // GET /api/train/options
let run = null;  // {id, ...} of the run shown
let source = null;  // its EventSource
let cost = [];  // J per iteration
let accuracy = [];  // [iteration, train, test] per measurement
let measured = null;  // the latest measurement
let total = 0;

// ---- the form ---------------------------------------------------------------------

for (const a of document.querySelectorAll("a[data-section]")) {
  a.href = `${TUTORIAL}#:~:text=${encodeURIComponent(a.dataset.section)}`;
}

function fillSelect(id, values) {
  const select = $(id);
  select.replaceChildren(...values.map((v) => new Option(v, v)));
}

function showAlpha() {
  const alpha = 10 ** Number($("alpha").value);
  $("alpha-value").textContent = alpha >= 0.01 ? alpha.toPrecision(2) : alpha.toExponential(1);
  return Number(alpha.toPrecision(3));
}

function setForm(cfg) {
  $("seed").value = cfg.seed;
  $("hidden").value = cfg.layer_sizes.slice(1, -1).join(", ");
  $("activation").value = cfg.activation;
  $("cost").value = cfg.cost;
  $("output_activation").value = cfg.output_activation;
  $("optimizer").value = cfg.optimizer;
  $("alpha").value = Math.log10(cfg.learning_rate).toFixed(3);
  showAlpha();
  $("l2").value = cfg.l2;
  $("dropout").value = cfg.dropout;
  $("dropout-value").textContent = String(cfg.dropout);
  $("batch-kind").value = cfg.batch_size === null ? "full" : "mini";
  if (cfg.batch_size !== null) $("batch_size").value = cfg.batch_size;
  $("batch_size").disabled = cfg.batch_size === null;
  $("length-kind").value = cfg.iterations === null ? "epochs" : "iterations";
  $("length").value = cfg.iterations === null ? cfg.epochs : cfg.iterations;
}

// The JSON settings: every control, over the preset's values (the server fills the rest).
function settings() {
  const preset = options.presets[$("preset").value];
  const hidden = $("hidden").value.split(/[\s,]+/).filter((s) => s !== "").map(Number);
  const s = {
    preset: $("preset").value,
    seed: Number($("seed").value),
    layer_sizes: [preset.layer_sizes[0], ...hidden, preset.layer_sizes.at(-1)],
    activation: $("activation").value,
    cost: $("cost").value,
    output_activation: $("output_activation").value,
    optimizer: $("optimizer").value,
    learning_rate: showAlpha(),
    l2: Number($("l2").value),
    dropout: Number($("dropout").value),
  };
  if ($("batch-kind").value === "mini") s.batch_size = Number($("batch_size").value);
  else s.batch_size = null;
  s[$("length-kind").value] = Number($("length").value);
  return s;
}

$("preset").addEventListener("change", () => setForm(options.presets[$("preset").value]));
$("alpha").addEventListener("input", showAlpha);
$("dropout").addEventListener("input", () => {
  $("dropout-value").textContent = $("dropout").value;
});
$("batch-kind").addEventListener("change", () => {
  $("batch_size").disabled = $("batch-kind").value === "full";
});
$("cost").addEventListener("change", () => {  // the pairs the costs table knows
  $("output_activation").value = $("cost").value === "cross_entropy" ? "softmax" : "sigmoid";
});

async function loadOptions() {
  const response = await fetch("/api/train/options", { cache: "no-store" });
  options = await response.json();
  fillSelect("preset", Object.keys(options.presets));
  for (const name of ["activation", "cost", "output_activation", "optimizer"]) {
    fillSelect(name, options.choices[name]);
  }
  $("preset").value = "tutorial";
  setForm(options.presets.tutorial);
  const b = options.bounds;
  $("limits").textContent = `This server trains at most ${b.max_active} run(s) at a time, ` +
    `${b.max_iterations} steps and ${b.max_layer} nodes a layer; a run nobody watches for ` +
    `${b.idle_seconds} s stops.`;
  document.body.dataset.ready = "true";
}

// ---- the run ------------------------------------------------------------------------

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function post(url, body) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: body === undefined ? "{}" : JSON.stringify(body),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(answer.error || `the server answered ${response.status}`);
  return answer;
}

function clearView() {
  if (source) source.close();
  source = null;
  run = null;
  cost = [];
  accuracy = [];
  measured = null;
  total = 0;
  $("finished").hidden = true;
  $("use-status").textContent = "";
  for (const id of ["iteration", "rate", "cost-now", "train-accuracy", "test-accuracy"]) {
    $(id).textContent = "–";
  }
  $("state").textContent = "not started";
  document.body.dataset.state = "idle";
  document.body.dataset.updates = "0";
  document.body.dataset.points = "0";
  document.body.dataset.measurements = "0";
  drawAll();
  setButtons("idle");
}

function setButtons(state) {
  const active = state === "running" || state === "paused";
  $("start").disabled = active;
  $("pause").disabled = state !== "running";
  $("resume").disabled = state !== "paused";
  $("step").disabled = state !== "paused";
  $("stop").disabled = !active;
  for (const el of $("settings").elements) el.disabled = active;
  if (!active) $("batch_size").disabled = $("batch-kind").value === "full";
}

async function start() {
  showError("");
  clearView();
  let answer;
  try {
    answer = await post("/api/train", settings());
  } catch (err) {
    showError(err.message);
    return;
  }
  watch(answer);
}

// Follow run {id, total}: its event stream replays every cost so far, then goes on live.
function watch(info) {
  run = info;
  total = info.total;
  sessionStorage.setItem(RUN_KEY, run.id);  // a reloaded page watches the same run again
  setButtons("running");
  $("download").href = `/api/train/${run.id}/model.npz`;
  source = new EventSource(`/api/train/${run.id}/events`);
  source.addEventListener("update", (event) => apply(JSON.parse(event.data)));
  source.addEventListener("end", () => { source.close(); source = null; });
}

// After a reload: the run this tab started, if the server still has it.
async function rejoin() {
  const id = sessionStorage.getItem(RUN_KEY);
  if (!id) return;
  const response = await fetch(`/api/train/${encodeURIComponent(id)}`, { cache: "no-store" });
  if (!response.ok) { sessionStorage.removeItem(RUN_KEY); return; }
  const info = await response.json();
  if (info.preset in options.presets) $("preset").value = info.preset;
  setForm(info.settings);
  watch(info);
}

function percent(x) {
  return x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`;
}

function apply(u) {
  if (!run || u.id !== run.id) return;
  if (u.cost_from !== undefined) {  // an event (a control's answer carries no costs)
    cost.length = Math.min(cost.length, u.cost_from);  // a reconnected stream starts over
    for (const c of u.cost) cost.push(c);
  }
  if (u.accuracy) for (const a of u.accuracy) accuracy.push(a);
  if (u.measured && u.measured.confusion) measured = u.measured;
  total = u.total;
  $("state").textContent = u.error ? `${u.state}: ${u.error}` : u.state;
  $("iteration").textContent = `${u.iteration} of ${u.total}` +
    (u.epoch && u.settings.batch_size !== null ? ` (epoch ${u.epoch})` : "");
  const average = u.train_seconds ? u.iteration / u.train_seconds : null;  // a finished run
  $("rate").textContent = u.state === "running" ? String(Math.round(u.iterations_per_second))
    : average ? `${Math.round(average)} (mean)` : "–";
  $("cost-now").textContent = cost.length ? cost.at(-1).toFixed(4) : "–";
  $("train-accuracy").textContent = percent(u.train_accuracy);
  $("test-accuracy").textContent = percent(u.test_accuracy);
  document.body.dataset.state = u.state;
  document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
  document.body.dataset.points = String(cost.length);
  document.body.dataset.measurements = String(accuracy.length);
  document.body.dataset.iteration = String(u.iteration);
  setButtons(u.state);
  drawAll();
  if (u.state !== "running" && u.state !== "paused") {
    $("finished").hidden = !u.model_ready;
    $("download").hidden = !u.saved_as;
  }
}

async function control(action) {
  if (!run) return;
  showError("");
  try {
    apply(await post(`/api/train/${run.id}/${action}`));
  } catch (err) {
    showError(err.message);
  }
}

$("start").addEventListener("click", start);
for (const action of ["pause", "resume", "step", "stop"]) {
  $(action).addEventListener("click", () => control(action));
}
$("reset").addEventListener("click", async () => {
  if (run && (document.body.dataset.state === "running" || document.body.dataset.state === "paused")) {
    await control("stop");
  }
  sessionStorage.removeItem(RUN_KEY);
  clearView();
  showError("");
  setForm(options.presets[$("preset").value]);
});
$("use").addEventListener("click", async () => {
  try {
    const answer = await post("/api/model", { train_id: run.id });
    $("use-status").textContent = "The draw view now answers with this network.";
    $("use-status").dataset.used = answer.train_id;
  } catch (err) {
    showError(err.message);
  }
});

// ---- drawing ------------------------------------------------------------------------

function fitCanvas(canvas, cssHeight) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  canvas.style.height = `${cssHeight}px`;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(cssHeight * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(cssHeight * ratio);
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { g, w: width, h: cssHeight };
}

function niceTicks(low, high, count) {
  const span = high - low || 1;
  const step0 = span / count;
  const mag = 10 ** Math.floor(Math.log10(step0));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= step0);
  const ticks = [];
  for (let t = Math.ceil(low / step) * step; t <= high + 1e-12; t += step) ticks.push(t);
  return ticks;
}

// Axes of a line chart: x from 0 to xMax (iterations), y from yLow to yHigh.
function axes(g, w, h, xMax, yLow, yHigh, yLabel, yFormat) {
  const box = { left: 52, right: w - 18, top: 8, bottom: h - 34 };
  g.clearRect(0, 0, w, h);
  g.font = "12px 'DejaVu Sans', sans-serif";
  g.fillStyle = "#5b6575";
  g.strokeStyle = "#e3e7ee";
  g.lineWidth = 1;
  const x = (v) => box.left + (box.right - box.left) * v / (xMax || 1);
  const y = (v) => box.bottom - (box.bottom - box.top) * (v - yLow) / ((yHigh - yLow) || 1);
  g.textAlign = "right";
  g.textBaseline = "middle";
  for (const t of niceTicks(yLow, yHigh, 4)) {
    g.beginPath(); g.moveTo(box.left, y(t)); g.lineTo(box.right, y(t)); g.stroke();
    g.fillText(yFormat(t), box.left - 6, y(t));
  }
  g.textAlign = "center";
  g.textBaseline = "top";
  for (const t of niceTicks(0, xMax, Math.max(2, Math.floor(w / 110)))) {
    g.fillText(String(Math.round(t)), x(t), box.bottom + 4);
  }
  g.fillText("iteration", (box.left + box.right) / 2, box.bottom + 18);
  g.save();
  g.translate(12, (box.top + box.bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText(yLabel, 0, -6);
  g.restore();
  g.strokeStyle = "#9aa3b2";
  g.strokeRect(box.left, box.top, box.right - box.left, box.bottom - box.top);
  return { x, y, box };
}

function drawCurve() {
  const { g, w, h } = fitCanvas($("curve"), 200);
  const xMax = Math.max(total, cost.length, 1);
  let high = 1;
  if (cost.length) {
    high = 0;
    for (const c of cost) if (c > high) high = c;
  }
  const { x, y } = axes(g, w, h, xMax, 0, high * 1.05, "cost J", (t) => t.toPrecision(2));
  if (!cost.length) return;
  // one vertex per pixel column at most: the mean J of the iterations it covers
  g.strokeStyle = "#2f6fdf";
  g.lineWidth = 2;
  g.beginPath();
  const per = Math.max(1, Math.floor(cost.length / w));
  for (let i = 0; i < cost.length; i += per) {
    let sum = 0, n = 0;
    for (let k = i; k < Math.min(cost.length, i + per); k++) { sum += cost[k]; n++; }
    const px = x(i + n / 2), py = y(sum / n);
    if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
  }
  g.stroke();
}

function drawAccuracy() {
  const { g, w, h } = fitCanvas($("acc"), 130);
  const xMax = Math.max(total, cost.length, 1);
  const { x, y } = axes(g, w, h, xMax, 0, 1, "accuracy", (t) => `${Math.round(100 * t)}%`);
  [[1, "#e07b00"], [2, "#1a9850"]].forEach(([k, colour]) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    accuracy.forEach((a, i) => (i ? g.lineTo(x(a[0]), y(a[k])) : g.moveTo(x(a[0]), y(a[k]))));
    g.stroke();
  });
}

function bytes(b64) {
  const raw = atob(b64);
  const out = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

const POSITIVE = [178, 24, 43], NEGATIVE = [33, 102, 172];
// W(1) rows as pictures: blue (negative) .. white (0) .. red (positive), scaled per node.
function drawWeights() {
  const canvas = $("weights");
  const wts = measured && measured.weights;
  const n = wts ? wts.shown : 0;
  const avail = canvas.parentElement.clientWidth - 30;
  const cols = n ? Math.max(1, Math.min(Math.ceil(Math.sqrt(n)), Math.floor(avail / 30))) : 1;
  const cell = n ? Math.max(1, Math.min(Math.floor(60 / wts.side),
                                        Math.floor((avail / cols - 4) / wts.side))) : 1;
  const tile = n ? cell * wts.side + 4 : 0;
  const rows = n ? Math.ceil(n / cols) : 0;
  canvas.width = Math.max(1, cols * tile);
  canvas.height = Math.max(1, rows * tile);
  if (!n) return;
  const g = canvas.getContext("2d");
  const values = bytes(wts.data);
  const s = wts.side;
  for (let node = 0; node < n; node++) {
    const ox = (node % cols) * tile + 2, oy = Math.floor(node / cols) * tile + 2;
    for (let p = 0; p < s * s; p++) {
      const t = (values[node * s * s + p] - 127.5) / 127.5;  // -1 .. 1
      const c = t > 0 ? POSITIVE : NEGATIVE, a = Math.abs(t);
      g.fillStyle = `rgb(${c.map((v) => Math.round(255 + a * (v - 255))).join(",")})`;
      g.fillRect(ox + (p % s) * cell, oy + Math.floor(p / s) * cell, cell, cell);
    }
  }
  const more = wts.nodes > wts.shown ? ` (the first ${wts.shown} of ${wts.nodes} nodes)` : "";
  $("weights-caption").textContent = `Each picture is one hidden node's weights W(1) from ` +
    `the ${s * s} pixels${more}, scaled from its smallest`;
}

function drawConfusion() {
  const table = $("confusion");
  table.replaceChildren();
  if (!measured) return;
  const m = measured.confusion;
  const head = table.insertRow();
  head.appendChild(document.createElement("th"));
  m.forEach((_, j) => {
    const th = document.createElement("th");
    th.textContent = String(j);
    head.appendChild(th);
  });
  m.forEach((row, i) => {
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = String(i);
    tr.appendChild(th);
    const sum = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, j) => {
      const td = tr.insertCell();
      td.textContent = String(v);
      const share = v / sum;
      if (v) td.style.background = i === j
        ? `rgba(26,152,80,${(0.15 + 0.75 * share).toFixed(2)})`
        : `rgba(215,48,39,${(0.2 + 0.8 * share).toFixed(2)})`;
      if (v && share > 0.55) td.classList.add("strong");
    });
  });
}

function drawWrong() {
  const box = $("wrong");
  box.replaceChildren();
  if (!measured || !measured.wrong.length) {
    $("wrong-caption").textContent = measured ? "None: every test digit is right." : "true → answer";
    return;
  }
  const s = measured.weights ? measured.weights.side : Math.round(Math.sqrt(options.presets[$("preset").value].layer_sizes[0]));
  const pixels = bytes(measured.wrong_pixels);
  const cell = Math.max(1, Math.floor(40 / s));
  measured.wrong.forEach((w, k) => {
    const figure = document.createElement("figure");
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = s * cell;
    const g = canvas.getContext("2d");
    for (let p = 0; p < s * s; p++) {
      const level = 255 - pixels[k * s * s + p];
      g.fillStyle = `rgb(${level},${level},${level})`;
      g.fillRect((p % s) * cell, Math.floor(p / s) * cell, cell, cell);
    }
    const caption = document.createElement("figcaption");
    caption.textContent = `${w.label} → ${w.answer}`;
    figure.append(canvas, caption);
    box.appendChild(figure);
  });
  $("wrong-caption").textContent = `true → answer: ${measured.wrong.length} of the ` +
    `${measured.n_wrong} test digits it gets wrong.`;
}

let pending = false;
function drawAll() {  // at most once per animation frame
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    drawCurve();
    drawAccuracy();
    drawWeights();
    drawConfusion();
    drawWrong();
  });
}
window.addEventListener("resize", drawAll);

loadOptions().then(() => { setButtons("idle"); drawAll(); return rejoin(); })
  .catch(() => showError("the server did not answer; is `neuralpath serve` running?"));
