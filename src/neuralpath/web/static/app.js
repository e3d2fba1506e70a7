// The draw-a-digit page: draw on #pad; while drawing (at most every THROTTLE_MS, one request
// at a time) the canvas goes to POST /api/predict as a PNG data URL. The server converts it
// with the same function as `neuralpath predict` and answers with the input it made (8x8, or
// 28x28 for an MNIST model), the digit, the ten probabilities and the hidden layers' outputs,
// which this file draws. The page follows its browser's network: GET /api/model is asked
// again now and then, and at once when a prediction names another model "version" (the
// training page's "Use this network" changes it), so the header and the hidden layers'
// captions always describe the network that answers.
"use strict";

const THROTTLE_MS = 120;  // the longest wait between a stroke and its prediction request
const POLL_MS = 700;  // how often to ask for the model while it is training
const FOLLOW_MS = 2000;  // how often to ask whether this browser's network changed
const RETRY_MS = 1500;  // how often to ask again after the server stopped answering
const UNDO_STEPS = 30;  // strokes the Undo button can take back

const $ = (id) => document.getElementById(id);
const pad = $("pad");
const pen = pad.getContext("2d");
const seen = $("seen");

let model = null;  // GET /api/model's "model" once the status is "ready"
let version = null;  // the model's version: it changes when this browser's network does
let lost = false;  // the server stopped answering; retrying
let pollTimer = null;
const undo = [];  // the pad before each stroke (ImageData), newest last
let hasInk = false;  // anything drawn since the last Clear
let drawing = false;
let last = null;  // the previous point of the stroke being drawn
let generation = 0;  // bumped by Clear: answers about an older drawing are dropped
let changed = false;  // the drawing changed since the last request was sent
let inFlight = false;
let timer = null;
let lastSent = -Infinity;

// ---- drawing -------------------------------------------------------------------------

function clearPad() {
  pen.fillStyle = "#ffffff";
  pen.fillRect(0, 0, pad.width, pad.height);
  pen.strokeStyle = "#000000";
  pen.fillStyle = "#000000";
  pen.lineWidth = pad.width / 14;  // about the stroke of a pen on the digits' 32x32 bitmaps
  pen.lineCap = "round";
  pen.lineJoin = "round";
  hasInk = false;
  changed = false;
  generation += 1;
  undo.length = 0;
  $("undo").disabled = true;
  showEmpty();
}

// Take back the last stroke: the pad as it was before it, asked again (or empty).
function undoStroke() {
  if (!undo.length || drawing) return;
  const before = undo.pop();
  $("undo").disabled = !undo.length;
  if (!undo.length) { clearPad(); return; }
  pen.putImageData(before, 0, 0);
  generation += 1;  // an answer on its way is about the stroke taken back
  inked();
}

function point(event) {
  const box = pad.getBoundingClientRect();
  return {
    x: (event.clientX - box.left) * (pad.width / box.width),
    y: (event.clientY - box.top) * (pad.height / box.height),
  };
}

function dot(p) {
  pen.beginPath();
  pen.arc(p.x, p.y, pen.lineWidth / 2, 0, 2 * Math.PI);
  pen.fill();
}

function segment(a, b) {
  pen.beginPath();
  pen.moveTo(a.x, a.y);
  pen.lineTo(b.x, b.y);
  pen.stroke();
}

pad.addEventListener("pointerdown", (event) => {
  if (event.button !== 0) return;
  event.preventDefault();
  pad.setPointerCapture(event.pointerId);
  undo.push(pen.getImageData(0, 0, pad.width, pad.height));
  if (undo.length > UNDO_STEPS) undo.shift();
  $("undo").disabled = false;
  drawing = true;
  last = point(event);
  dot(last);
  inked();
});

pad.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
  for (const e of events.length ? events : [event]) {
    const p = point(e);
    segment(last, p);
    last = p;
  }
  inked();
});

function endStroke() {
  if (!drawing) return;
  drawing = false;
  last = null;
  send();  // the finished stroke is answered at once
  settleIfDone();
}
pad.addEventListener("pointerup", endStroke);
pad.addEventListener("pointercancel", endStroke);
pad.addEventListener("lostpointercapture", endStroke);

$("clear").addEventListener("click", clearPad);
$("undo").addEventListener("click", undoStroke);
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") clearPad();
  if (event.key.toLowerCase() === "z" && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    undoStroke();
  }
});
// what the hint says depends on the keyboard: a phone has no Esc key
if (window.matchMedia("(hover: none), (pointer: coarse)").matches) {
  $("hint").textContent = "Draw one digit, 0 to 9, large. Undo takes back a stroke.";
}

// ---- asking the server, throttled ---------------------------------------------------

function inked() {
  hasInk = true;
  changed = true;
  setSettled(false);
  if (timer !== null) return;
  const wait = Math.max(0, lastSent + THROTTLE_MS - performance.now());
  timer = setTimeout(() => { timer = null; send(); }, wait);
}

async function send() {
  if (!changed || !hasInk || !model || lost) return;
  if (inFlight) return;  // sent again when the answer comes
  if (timer !== null) { clearTimeout(timer); timer = null; }
  inFlight = true;
  changed = false;
  lastSent = performance.now();
  const asked = generation;
  try {
    const response = await fetch("/api/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: pad.toDataURL("image/png") }),
    });
    const answer = await response.json();
    if (asked !== generation) return;  // cleared meanwhile
    if (!response.ok) {
      showError(answer.error || `the server answered ${response.status}`);
    } else {
      showAnswer(answer);
      if (answer.version !== undefined && answer.version !== version) {
        changed = true;  // answered by another network: ask again once the page knows it
        pollModel();
      }
    }
  } catch (err) {
    if (asked === generation) {
      changed = true;  // asked again when the server is back
      connectionLost();
    }
  } finally {
    inFlight = false;
    if (changed && hasInk) inked();
    else settleIfDone();
  }
}

// data-settled="true" on #result: what it shows answers the drawing as it is now
// (the browser tests wait for it).
function setSettled(done) {
  $("result").dataset.settled = done ? "true" : "false";
}

function settleIfDone() {
  if (hasInk && !drawing && !changed && !inFlight && timer === null) setSettled(true);
}

// ---- showing the answer -------------------------------------------------------------

function showEmpty() {
  if (hasInk) {  // a drawing waits for the server (or its network): never "empty" under it
    showNoDigit(lost ? "waiting for the server to answer again" : "asking the network…");
    $("hidden").replaceChildren();
    setSettled(false);
    return;
  }
  showNoDigit("the pad is empty: draw one digit");
  $("error").hidden = true;
  drawSeen(null, model ? model.side : 8);
  buildBars(model ? model.classes : []);
  $("hidden").replaceChildren();
  setSettled(false);
}

// No digit (an empty pad, or the server's "digit": null with its reason): words, no bars.
function showNoDigit(reason) {
  $("result").classList.add("none");
  $("digit").textContent = "no digit";
  $("confidence").textContent = reason;
  $("bars").hidden = true;
}

// A probability in words a person can weigh: never "100%", never "0.0%".
function chance(p) {
  if (p >= 0.99) return "over 99%";
  if (p < 0.01) return "under 1%";
  return `${Math.round(100 * p)}%`;
}

// How the answer is worded: sure-sounding only when the network's probability is high, and
// the runner-up named when it is not. The probabilities are calibrated on the test digits
// and on drawings (benchmarks/real_inputs.py), but a drawing unlike any it has seen can still
// be read wrong with a high one, so even the surest answer is "probably".
function wording(answer, top) {
  const p = answer.probabilities[top];
  let second = -1;
  answer.probabilities.forEach((q, i) => {
    if (i !== top && (second < 0 || q > answer.probabilities[second])) second = i;
  });
  const other = answer.classes[second];
  if (p >= 0.9) return `probably ${answer.digit} (${chance(p)})`;
  if (p >= 0.6) return `maybe ${answer.digit} (${chance(p)}), or ${other}`;
  return `unsure: ${answer.digit} (${chance(p)}) or ${other} ` +
    `(${chance(answer.probabilities[second])})`;
}

// The words to show when the server does not answer: text, then the command as code.
function serverGone(subject) {
  const code = document.createElement("code");
  code.textContent = "neuralpath serve";
  return [`${subject} did not answer; is `, code, " running?"];
}

// The server stopped answering: say so, keep the drawing, and ask again until it answers.
function connectionLost() {
  lost = true;
  $("connection").replaceChildren("Connection lost, retrying… (", ...serverGone("the server"), ")");
  $("connection").hidden = false;
  $("training").hidden = true;  // a training bar would no longer be true
  document.body.dataset.status = "unreachable";
  if (hasInk) showEmpty();
  schedulePoll(RETRY_MS);
}

function connectionBack() {
  if (!lost) return;
  lost = false;
  $("connection").hidden = true;
  $("error").hidden = true;
  if (hasInk) { changed = true; send(); }
}

function showError(...parts) {
  $("error").replaceChildren(...parts);
  $("error").hidden = false;
}

function showAnswer(answer) {
  $("error").hidden = true;
  drawSeen(answer.pixels, answer.side, answer.pixel_max);
  if (answer.digit === null) {
    showNoDigit(`no digit found: ${answer.reason}`);
    $("hidden").replaceChildren();
    return;
  }
  const top = answer.classes.indexOf(answer.digit);
  $("result").classList.remove("none");
  $("bars").hidden = false;
  $("digit").textContent = String(answer.digit);
  $("confidence").textContent = wording(answer, top);
  const rows = $("bars").children;
  if (rows.length !== answer.classes.length) buildBars(answer.classes);
  answer.probabilities.forEach((p, i) => {
    const row = $("bars").children[i];
    row.classList.toggle("top", i === top);
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".value").textContent = chance(p);
    row.dataset.p = String(p);  // the exact probability, for tools and tests
  });
  drawHidden(answer.hidden);
}

function buildBars(classes) {
  const list = $("bars");
  list.replaceChildren();
  for (const label of classes) {
    const row = document.createElement("li");
    const name = document.createElement("span");
    name.textContent = String(label);
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    track.appendChild(fill);
    const value = document.createElement("span");
    value.className = "value";
    value.textContent = "";
    row.append(name, track, value);
    list.appendChild(row);
  }
}

// The input as the digits images are usually shown: 0 white .. 16 (or 255) black.
function drawSeen(pixels, side, top) {
  const g = seen.getContext("2d");
  g.fillStyle = "#ffffff";
  g.fillRect(0, 0, seen.width, seen.height);
  if (!pixels || !side) return;
  const cell = seen.width / side;
  pixels.forEach((v, i) => {
    const level = Math.round(255 * (1 - Math.min(top, Math.max(0, v)) / top));
    g.fillStyle = `rgb(${level},${level},${level})`;
    g.fillRect((i % side) * cell, Math.floor(i / side) * cell, Math.ceil(cell), Math.ceil(cell));
  });
  g.strokeStyle = "rgba(120,130,145,0.35)";
  g.lineWidth = 1;
  for (let k = 1; k < side && side <= 16; k++) {
    g.beginPath();
    g.moveTo(k * cell + 0.5, 0); g.lineTo(k * cell + 0.5, seen.height);
    g.moveTo(0, k * cell + 0.5); g.lineTo(seen.width, k * cell + 0.5);
    g.stroke();
  }
}

// A dark-blue .. teal .. yellow scale (like matplotlib's viridis), t in 0..1.
const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
function colour(t) {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  const c = STOPS[i].map((v, k) => Math.round(v + f * (STOPS[i + 1][k] - v)));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

function drawHidden(layers) {
  const box = $("hidden");
  box.replaceChildren();
  layers.forEach((h, l) => {
    const n = h.length;
    const cols = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / cols);
    const cell = Math.max(4, Math.min(18, Math.floor(176 / cols)));
    // sigmoid outputs are 0..1 whatever the input; other activations are scaled by the
    // layer's largest output so the pattern shows
    const bounded = model && model.activation === "sigmoid";
    const low = bounded ? 0 : Math.min(0, ...h);
    const high = bounded ? 1 : Math.max(1e-9, ...h);
    const canvas = document.createElement("canvas");
    canvas.width = cols * cell;
    canvas.height = rows * cell;
    const g = canvas.getContext("2d");
    g.fillStyle = "#eef1f5";
    g.fillRect(0, 0, canvas.width, canvas.height);
    h.forEach((v, i) => {
      g.fillStyle = colour((v - low) / (high - low));
      g.fillRect((i % cols) * cell, Math.floor(i / cols) * cell, cell - 1, cell - 1);
    });
    const figure = document.createElement("figure");
    const caption = document.createElement("figcaption");
    caption.textContent = `layer ${l + 2}: ${n} nodes (${model ? model.activation : "?"}), ` +
      `brightest ${high.toPrecision(3)}`;
    figure.append(canvas, caption);
    box.appendChild(figure);
  });
}

// ---- the model ------------------------------------------------------------------------

function percent(x) {
  return x === null || x === undefined ? "unknown" : `${(100 * x).toFixed(1)}%`;
}

function showModel(info) {
  const m = info.model;
  const text = $("model");
  text.replaceChildren();
  const add = (label, value) => {
    if (text.childNodes.length) text.append(" · ");
    text.append(`${label} `);
    const strong = document.createElement("strong");
    strong.textContent = value;
    text.append(strong);
  };
  if (m) {
    add("preset", m.preset || "unknown");
    add("layer sizes", m.layer_sizes.join(" → "));
    add("activation", `${m.activation} / ${m.output_activation}`);
    add("test accuracy", percent(m.test_accuracy));
    if (m.source) add("from", m.source);
    $("seen-caption").textContent = m.side
      ? `The drawing becomes the network's input: ${m.side}×${m.side} pixels, ` +
        `each 0 (white) to ${m.pixel_max} (black), made by the same conversion as ` +
        "the command neuralpath predict applies to image files."
      : `This model takes ${m.n_features} inputs, not a square picture.`;
  } else if (info.status === "training") {
    text.textContent = "No saved model yet: the network is training.";
  } else {
    text.textContent = `No model: ${info.error || info.status}`;
  }
  const training = $("training");
  training.hidden = info.status !== "training";
  if (info.status === "training" && info.progress) {
    const p = info.progress;
    $("training-bar").value = p.fraction;
    const left = p.seconds_left === null ? "" : `, about ${Math.ceil(p.seconds_left)} s left`;
    $("training-text").textContent =
      `training the ${p.preset} preset: ${(100 * p.fraction).toFixed(0)}% ` +
      `(step ${p.iteration} of ${p.total})${left}`;
  }
}

function schedulePoll(ms) {
  if (pollTimer !== null) clearTimeout(pollTimer);
  pollTimer = setTimeout(() => { pollTimer = null; pollModel(); }, ms);
}

function versionOf(info) {
  return info.version ?? (info.model ? info.model.version : undefined) ?? null;
}

// Ask which network this browser's page answers with; follow it when it changes.
async function pollModel() {
  let info;
  try {
    const response = await fetch("/api/model", { cache: "no-store" });
    info = await response.json();
  } catch (err) {
    connectionLost();
    return;
  }
  const wasLost = lost;
  showModel(info);
  document.body.dataset.status = info.status;
  if (info.status === "ready") {
    const first = model === null;
    const newer = versionOf(info) !== version;
    model = info.model;
    version = versionOf(info);
    document.body.dataset.version = String(version);
    if (first || newer) {
      buildBars(model.classes);
      showEmpty();
      if (hasInk) changed = true;
    }
    schedulePoll(FOLLOW_MS);
  } else if (info.status === "training" || info.status === "waiting") {
    schedulePoll(POLL_MS);
  }
  if (wasLost) connectionBack();
  else if (changed && hasInk) send();
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") pollModel();  // back to the tab: up to date
});

clearPad();
pollModel();
