// The training page's pad: draw a digit and the run's network answers it as it is now
// (POST /api/train/{id}/predict: the draw page's request and answer, from the run's weights
// copied between two updates), with the probabilities and every hidden layer's outputs, as
// the draw page shows them (pad.js draws, answer.js shows). While the run trains the drawing
// is asked again every FOLLOW_MS, so the answer changes as the network learns.
import { buildBars, drawHidden, noDigitWords, showBars, wording } from "./answer.js";
import { makePad } from "./pad.js";

const THROTTLE_MS = 120;  // the longest wait between a stroke and its request
const FOLLOW_MS = 400;  // while the run trains, the drawing is asked again this often
const ACTIVE = ["queued", "preparing", "running", "paused"];
const $ = (id) => document.getElementById(id);

let runId = null;  // the run shown on the page, whose network answers
let state = "idle";  // its state
let activation = null;  // its hidden layers' activation, for the maps' captions
let generation = 0;  // bumped by Clear and Undo: answers about an older drawing are dropped
let changed = false;  // the drawing (or the network) changed since the last request
let inFlight = false;
let timer = null;  // a throttled request to come
let followTimer = null;  // the next "asked again" while the run trains
let lastSent = -Infinity;

const pad = makePad($("try-pad"), {
  undoButton: $("try-undo"),
  ink: (undone) => {
    if (undone) generation += 1;
    inked();
  },
  strokeEnd: () => send(),
  cleared: () => {
    stopFollowing();
    changed = false;
    generation += 1;
    show();
  },
});
$("try-clear").addEventListener("click", () => pad.clear());

function status(words) {
  $("try-status").textContent = words;
}

function settled(done) {
  $("try-result").dataset.settled = done ? "true" : "false";
}

// No answer to show: words only.
function show(words) {
  $("try-result").classList.add("none");
  $("try-digit").textContent = "–";
  $("try-confidence").textContent = "";
  $("try-bars").hidden = true;
  $("try-hidden").replaceChildren();
  settled(false);
  if (words) status(words);
  else if (runId === null) status("Start a run, then draw a digit here: the network answers as it learns.");
  else if (!pad.hasInk) status("Draw one digit, 0 to 9, large: this run's network answers.");
}

function stopFollowing() {
  if (followTimer !== null) clearTimeout(followTimer);
  followTimer = null;
}

function inked() {
  stopFollowing();  // a new stroke is asked for at once, not on the next round
  changed = true;
  settled(false);
  if (timer !== null) return;
  const wait = Math.max(0, lastSent + THROTTLE_MS - performance.now());
  timer = setTimeout(() => { timer = null; send(); }, wait);
}

async function send() {
  if (!changed || !pad.hasInk || runId === null || inFlight) return;
  if (timer !== null) { clearTimeout(timer); timer = null; }
  stopFollowing();
  inFlight = true;
  changed = false;
  lastSent = performance.now();
  const asked = generation;
  const askedRun = runId;
  try {
    const response = await fetch(`/api/train/${encodeURIComponent(askedRun)}/predict`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: pad.dataURL() }),
    });
    const answer = await response.json();
    if (asked !== generation || askedRun !== runId) return;  // cleared, or another run
    if (!response.ok) show(answer.error || `the server answered ${response.status}`);
    else showAnswer(answer);
  } catch {
    if (asked === generation) show("the server did not answer; asking again…");
  } finally {
    inFlight = false;
    if (changed && pad.hasInk) inked();
    else if (pad.hasInk && runId !== null && !pad.drawing && timer === null
             && ACTIVE.includes(state)) {
      followTimer = setTimeout(() => { followTimer = null; changed = true; send(); }, FOLLOW_MS);
    }
  }
}

function showAnswer(answer) {
  $("try-bars").hidden = answer.digit === null;
  if (answer.digit === null) {
    show(noDigitWords(answer.reason));
  } else {
    const top = answer.classes.indexOf(answer.digit);
    $("try-result").classList.remove("none");
    $("try-digit").textContent = String(answer.digit);
    $("try-confidence").textContent = wording(answer, top);
    showBars(answer, top, $("try-bars"));
    drawHidden(answer.hidden, activation, $("try-hidden"));
    status(`Answered by the network after ${answer.iteration} update` +
      `${answer.iteration === 1 ? "" : "s"}${ACTIVE.includes(state) ? ", as it learns" : ""}.`);
  }
  $("try-result").dataset.iteration = String(answer.iteration);
  settled(!pad.drawing && !changed);
}

// The page shows run `id` (null: none) in `runState`: its network answers the pad from now
// on, and a drawing on the pad is asked again whenever the run changes.
export function followRun(id, runState, settings) {
  const other = id !== runId;
  const ended = ACTIVE.includes(state) && !ACTIVE.includes(runState);
  runId = id;
  state = runState;
  if (settings && settings.activation) activation = settings.activation;
  if (other) {
    generation += 1;  // an answer on its way is about the run before
    if (!pad.hasInk) show();
  }
  if ((other || ended) && pad.hasInk) {
    if (id === null) show();
    else { changed = true; send(); }  // the new run's network, or the final one
  }
}

buildBars(Array.from({ length: 10 }, (_, i) => i), $("try-bars"));
pad.clear();
