// The draw-a-digit page: draw on #pad; while drawing (at most every THROTTLE_MS, one request
// at a time) the canvas goes to POST /api/predict as a PNG data URL. The server converts it
// with the same function as `neuralpath predict` and answers with the input it made (8x8, or
// 28x28 for an MNIST model), the digit, the ten probabilities and the hidden layers' outputs,
// which answer.js draws. The page follows its browser's network: GET /api/model is asked
// again now and then, and at once when a prediction names another model "version" (the
// training page's "Use this network" changes it), so the header and the hidden layers'
// captions always describe the network that answers.
import {
  buildBars, drawHidden, drawSeen, noDigitWords, showBars, wording,
} from "./answer.js";
import { makePad } from "./pad.js";

const THROTTLE_MS = 120;  // the longest wait between a stroke and its prediction request
const POLL_MS = 700;  // how often to ask for the model while it is training
const FOLLOW_MS = 2000;  // how often to ask whether this browser's network changed
const RETRY_MS = 1500;  // how often to ask again after the server stopped answering

const $ = (id) => document.getElementById(id);

let model = null;  // GET /api/model's "model" once the status is "ready"
let version = null;  // the model's version: it changes when this browser's network does
let lost = false;  // the server stopped answering; retrying
let pollTimer = null;
let generation = 0;  // bumped by Clear: answers about an older drawing are dropped
let changed = false;  // the drawing changed since the last request was sent
let inFlight = false;
let timer = null;
let lastSent = -Infinity;

// ---- drawing (pad.js) -------------------------------------------------------------------

const pad = makePad($("pad"), {
  undoButton: $("undo"),
  ink: (undone) => {
    if (undone) generation += 1;  // an answer on its way is about the stroke taken back
    inked();
  },
  strokeEnd: () => {
    send();  // the finished stroke is answered at once
    settleIfDone();
  },
  cleared: () => {
    changed = false;
    generation += 1;
    showEmpty();
  },
});
const clearPad = () => pad.clear();
const undoStroke = () => pad.undo();

$("clear").addEventListener("click", clearPad);
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
  changed = true;
  setSettled(false);
  if (timer !== null) return;
  const wait = Math.max(0, lastSent + THROTTLE_MS - performance.now());
  timer = setTimeout(() => { timer = null; send(); }, wait);
}

async function send() {
  if (!changed || !pad.hasInk || !model || lost) return;
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
      body: JSON.stringify({ image: pad.dataURL() }),
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
    if (changed && pad.hasInk) inked();
    else settleIfDone();
  }
}

// data-settled="true" on #result: what it shows answers the drawing as it is now
// (the browser tests wait for it).
function setSettled(done) {
  $("result").dataset.settled = done ? "true" : "false";
}

function settleIfDone() {
  if (pad.hasInk && !pad.drawing && !changed && !inFlight && timer === null) setSettled(true);
}

// ---- showing the answer -------------------------------------------------------------

function showEmpty() {
  if (pad.hasInk) {  // a drawing waits for the server (or its network): never "empty" under it
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
  if (pad.hasInk) showEmpty();
  schedulePoll(RETRY_MS);
}

function connectionBack() {
  if (!lost) return;
  lost = false;
  $("connection").hidden = true;
  $("error").hidden = true;
  if (pad.hasInk) { changed = true; send(); }
}

function showError(...parts) {
  $("error").replaceChildren(...parts);
  $("error").hidden = false;
}

function showAnswer(answer) {
  $("error").hidden = true;
  drawSeen(answer.pixels, answer.side, answer.pixel_max);
  if (answer.digit === null) {
    showNoDigit(noDigitWords(answer.reason));
    $("hidden").replaceChildren();
    return;
  }
  const top = answer.classes.indexOf(answer.digit);
  $("result").classList.remove("none");
  $("bars").hidden = false;
  $("digit").textContent = String(answer.digit);
  $("confidence").textContent = wording(answer, top);
  showBars(answer, top);
  drawHidden(answer.hidden, model ? model.activation : null);
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
      if (pad.hasInk) changed = true;
    }
    schedulePoll(FOLLOW_MS);
  } else if (info.status === "training" || info.status === "waiting") {
    schedulePoll(POLL_MS);
  }
  if (wasLost) connectionBack();
  else if (changed && pad.hasInk) send();
}
document.addEventListener("visibilitychange", () => {
  if (document.visibilityState === "visible") pollModel();  // back to the tab: up to date
});

clearPad();
pollModel();
