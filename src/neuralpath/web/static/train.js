// The training view: the settings form (train_form.js), POST /api/train to start a run on
// the server, then its event stream (GET /api/train/{id}/events, at most ten updates a
// second) drawn as it comes (train_charts.js); the controls, the speed, the place in the
// server's line, a lost server noticed and recovered from, and this browser's runs
// (train_runs.js), and a pad whose drawing the run's network answers as it learns
// (train_pad.js). The server keeps each browser's runs apart (a session cookie).
import { drawAll, view } from "./train_charts.js";
import {
  focusFirst, initForm, label, lock, readForm, refresh, request, setForm,
  showServerError, trainingRows,
} from "./train_form.js";
import { followRun } from "./train_pad.js";
import { downloadOnClick, loadRuns, post, ServerGone } from "./train_runs.js";

const RUN_KEY = "neuralpath-live-run";  // sessionStorage: the run this tab watches
const RETRY_MS = 1500;  // how often a lost server is asked again
const ACTIVE = ["queued", "preparing", "running", "paused"];
const $ = (id) => document.getElementById(id);

let options = null;  // GET /api/train/options
let run = null;  // {id, ...} of the run shown
let source = null;  // its EventSource: at most one is open
let starting = false;  // a POST /api/train is on its way
let retryTimer = null;  // set while the server is lost

// ---- what the page says -------------------------------------------------------------

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

function ordinal(n) {
  const tens = n % 100, last = n % 10;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${last === 1 ? "st" : last === 2 ? "nd" : last === 3 ? "rd" : "th"}`;
}

// The state in words: "3rd in line, about 4 s", "preparing the data…", "stopped: ...".
function stateWords(u) {
  if (u.state === "queued") {
    const place = u.place ? `${ordinal(u.place)} in line` : "waiting in line";
    const wait = u.wait_seconds === null || u.wait_seconds === undefined ? ""
      : `, about ${Math.max(1, Math.round(u.wait_seconds))} s`;
    return place + wait;
  }
  if (u.state === "preparing") return "preparing the data…";
  return u.error ? `${u.state}: ${u.error}` : u.state;
}

function setButtons(state) {
  const active = ACTIVE.includes(state);
  const ready = options !== null && !starting;
  $("start").disabled = !ready || active || retryTimer !== null;
  $("start").textContent = ready ? "Start" : "preparing…";
  $("pause").disabled = state !== "running";
  $("resume").disabled = state !== "paused";
  $("step").disabled = state !== "paused";
  $("stop").disabled = !active;
  $("reset").disabled = !ready;
  lock(active || starting);
}

// ---- a lost server --------------------------------------------------------------------

function connectionLost() {
  if (retryTimer !== null) return;
  closeStream();
  $("connection").textContent = "Connection lost, retrying… (is neuralpath serve still running?)";
  $("connection").hidden = false;
  document.body.dataset.connection = "lost";
  retryTimer = setTimeout(retry, RETRY_MS);
  setButtons(document.body.dataset.state);
}

function connectionBack() {
  if (retryTimer !== null) clearTimeout(retryTimer);
  retryTimer = null;
  $("connection").hidden = true;
  document.body.dataset.connection = "ok";
  setButtons(document.body.dataset.state);
}

// Ask again: the options first if the page never had them, then the run shown.
async function retry() {
  try {
    if (options === null) {
      await loadOptions();
      connectionBack();
      await rejoin();
      document.body.dataset.ready = "true";
      return;
    }
    if (run === null) {
      const response = await fetch("/api/train/options", { cache: "no-store" });
      if (!response.ok) throw new ServerGone();
      connectionBack();
      setButtons(document.body.dataset.state);
      loadRuns();
      return;
    }
    const response = await fetch(`/api/train/${encodeURIComponent(run.id)}`, { cache: "no-store" });
    if (response.status >= 500) throw new ServerGone();
    connectionBack();
    if (response.status === 404) {
      runGone();
      return;
    }
    openStream();  // it replays every cost so far, then goes on live
    loadRuns();
  } catch {
    retryTimer = setTimeout(retry, RETRY_MS);
  }
}

// The server answers again but no longer has the run (it restarted, or dropped it).
function runGone() {
  const was = document.body.dataset.state;
  sessionStorage.removeItem(RUN_KEY);
  run = null;
  setState("idle");
  showError(ACTIVE.includes(was)
    ? "The server restarted and no longer has this run. Press Start to train it again."
    : "The server no longer has this run (it restarted, or dropped it).");
  setButtons("idle");
  loadRuns();
}

// ---- the run --------------------------------------------------------------------------

function setState(state) {
  document.body.dataset.state = state;
  if (state === "idle") {
    $("state").textContent = "not started";
    followRun(null, "idle");  // no run: the pad has no network to ask
  }
}

function closeStream() {
  if (source) source.close();
  source = null;
}

function clearView(values) {
  closeStream();
  run = null;
  view.cost = [];
  view.accuracy = [];
  view.measured = null;
  view.total = plannedSteps(values);
  view.side = Math.round(Math.sqrt(values.layer_sizes[0]));
  $("finished").hidden = true;
  $("use-status").textContent = "";
  $("run-label").textContent = "";
  for (const id of ["iteration", "rate", "cost-now", "train-accuracy", "test-accuracy"]) {
    $(id).textContent = "–";
  }
  setState("idle");
  for (const key of ["updates", "points", "measurements"]) document.body.dataset[key] = "0";
  document.body.dataset.total = String(view.total);
  drawAll();
  setButtons("idle");
}

// The iterations a run of these values makes, for the chart's axis before it starts.
function plannedSteps(values) {
  if (values.iterations) return values.iterations;
  const m = trainingRows();
  if (m && values.epochs) return values.epochs * Math.ceil(m / Math.min(values.batch_size ?? m, m));
  return 100;
}

async function start() {
  if (starting || options === null) return;  // one start at a time: a second press waits
  const read = refresh();
  const wrong = Object.keys(read.errors);
  if (wrong.length) {
    const names = [...new Set(wrong.map(label))].join(", ");
    showError(`Check ${wrong.length === 1 ? "this setting" : "these settings"}: ${names}.`);
    focusFirst(read.errors);
    return;
  }
  starting = true;
  showError("");
  clearView(read.values);
  setButtons("idle");
  if (window.matchMedia("(max-width: 760px)").matches) {  // a phone: the chart comes in sight
    $("learning").scrollIntoView({ block: "start" });
  }
  let answer;
  try {
    answer = await post("/api/train", request(read.values));
  } catch (err) {
    starting = false;
    setButtons("idle");
    if (err instanceof ServerGone) connectionLost();
    else if (!(err.field && showServerError(err.field, err.message))) showError(err.message);
    return;
  }
  starting = false;
  if (answer.replaced) {
    showError("Your earlier run was stopped: each browser trains one run at a time.");
  }
  watch(answer);
  if ($("speed").value) setSpeed();
  loadRuns();
}

// Follow run {id, total, label, state}: its event stream replays every cost so far.
function watch(info) {
  closeStream();
  run = info;
  view.total = info.total || view.total;
  sessionStorage.setItem(RUN_KEY, run.id);
  $("download").href = `/api/train/${run.id}/model.npz`;
  $("run-label").textContent = info.label ? `(${info.label})` : "";
  apply(info);
  openStream();
}

function openStream() {
  closeStream();  // never two streams: the one before is closed first
  const stream = new EventSource(`/api/train/${encodeURIComponent(run.id)}/events`);
  source = stream;
  document.body.dataset.streams = String(Number(document.body.dataset.streams || 0) + 1);
  stream.addEventListener("update", (event) => {
    if (source === stream) apply(JSON.parse(event.data));
  });
  stream.addEventListener("end", () => {
    if (source !== stream) return;
    closeStream();
    loadRuns();
  });
  stream.addEventListener("error", () => {
    if (source === stream) connectionLost();  // the server went away, or forgot the run
  });
}

// After a reload: the run this tab watched, else this browser's run still going, if any.
// The form keeps the settings of the page's link when it has some (a shared link opens ready
// to start them); a page opened without any shows the settings of the run it follows.
async function rejoin() {
  const runs = await loadRuns();
  const going = runs.find((r) => ACTIVE.includes(r.state));
  const wanted = going ? going.id : sessionStorage.getItem(RUN_KEY);
  if (!wanted || run !== null || starting) return;
  const response = await fetch(`/api/train/${encodeURIComponent(wanted)}`, { cache: "no-store" });
  if (!response.ok) { sessionStorage.removeItem(RUN_KEY); return; }
  const info = await response.json();
  if (run !== null || starting) return;  // Start was pressed meanwhile: that run is shown
  const linked = new URLSearchParams(location.search).has("preset");
  if (!linked && info.preset in options.presets && info.settings) {
    setForm(info.settings, info.preset);
  }
  clearView(readForm().values);
  watch(info);
}

function percent(x) {
  return x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`;
}

function apply(u) {
  if (!run || u.id !== run.id) return;
  if (u.cost_from !== undefined) {  // an event (a control's answer carries no costs)
    view.cost.length = Math.min(view.cost.length, u.cost_from);  // a new stream starts over
    for (const c of u.cost) view.cost.push(c);
  }
  if (u.accuracy && u.cost_from !== undefined) {
    if (u.cost_from === 0) view.accuracy = [];
    for (const a of u.accuracy) {
      if (!view.accuracy.length || view.accuracy.at(-1)[0] < a[0]) view.accuracy.push(a);
    }
  }
  if (u.measured && u.measured.confusion) view.measured = u.measured;
  if (u.total) view.total = u.total;
  if (u.label) $("run-label").textContent = `(${u.label})`;
  $("state").textContent = stateWords(u);
  if (u.iteration !== undefined) {
    const epoch = u.epoch && u.settings && u.settings.batch_size !== null ? ` (epoch ${u.epoch})` : "";
    $("iteration").textContent = `${u.iteration} of ${u.total}${epoch}`;
    document.body.dataset.iteration = String(u.iteration);
  }
  const average = u.train_seconds ? u.iteration / u.train_seconds : null;  // a finished run
  $("rate").textContent = u.state === "running" && u.iterations_per_second !== undefined
    ? String(Math.round(u.iterations_per_second))
    : average ? `${Math.round(average)} (mean)` : "–";
  $("cost-now").textContent = view.cost.length ? view.cost.at(-1).toFixed(4) : "–";
  if (u.train_accuracy !== undefined) $("train-accuracy").textContent = percent(u.train_accuracy);
  if (u.test_accuracy !== undefined) $("test-accuracy").textContent = percent(u.test_accuracy);
  if (u.state !== document.body.dataset.state) loadRuns();  // the run list follows its state
  setState(u.state);
  followRun(run.id, u.state, u.settings);  // the pad's answers come from this run's network
  document.body.dataset.updates = String(Number(document.body.dataset.updates) + 1);
  document.body.dataset.points = String(view.cost.length);
  document.body.dataset.total = String(view.total);
  document.body.dataset.measurements = String(view.accuracy.length);
  if (u.final_cost !== undefined && u.final_cost !== null) {
    document.body.dataset.finalCost = String(u.final_cost);
  }
  setButtons(u.state);
  drawAll();
  if (!ACTIVE.includes(u.state)) {
    $("finished").hidden = !u.model_ready;
    $("download").hidden = !u.saved_as;
  }
}

async function control(action) {
  if (!run) return;
  showError("");
  try {
    apply(await post(`/api/train/${encodeURIComponent(run.id)}/${action}`));
  } catch (err) {
    if (err instanceof ServerGone) connectionLost();
    else if (err.status === 404) runGone();
    else showError(err.message);
  }
}

async function setSpeed() {
  if (!run || !ACTIVE.includes(document.body.dataset.state)) return;
  const value = $("speed").value;
  try {
    await post(`/api/train/${encodeURIComponent(run.id)}/speed`,
      { steps_per_second: value ? Number(value) : null });
  } catch (err) {
    if (err instanceof ServerGone) connectionLost();
    else showError(err.message);
  }
}

// ---- start up ----------------------------------------------------------------------

async function loadOptions() {
  const response = await fetch("/api/train/options", { cache: "no-store" });
  if (!response.ok) throw new ServerGone();
  const answer = await response.json();
  options = answer;
  const note = initForm(options, (read) => {
    // before a run, the charts' axes show the iterations the settings will make
    if (run === null && !starting && !Object.keys(read.errors).length) {
      view.total = plannedSteps(read.values);
      document.body.dataset.total = String(view.total);
      drawAll();
    }
  });
  const b = options.bounds;
  const running = b.max_running;
  $("limits").textContent = `This server trains ${running} run(s) at a time, the others ` +
    `wait their turn; at most ${b.max_iterations} steps and ${b.max_layer} nodes a layer; ` +
    `a run nobody watches for ${b.idle_seconds} s stops.`;
  clearView(readForm().values);
  if (note) showError(note);
}

$("start").addEventListener("click", start);
for (const action of ["pause", "resume", "step", "stop"]) {
  $(action).addEventListener("click", () => control(action));
}
$("speed").addEventListener("change", setSpeed);
$("reset").addEventListener("click", async () => {
  if (run && ACTIVE.includes(document.body.dataset.state)) await control("stop");
  closeStream();
  sessionStorage.removeItem(RUN_KEY);
  showError("");
  setForm(options.presets[$("preset").value]);
  clearView(readForm().values);
});
downloadOnClick($("download"), $("use-status"));
$("use").addEventListener("click", async () => {
  const status = $("use-status");
  status.classList.remove("error");
  try {
    const answer = await post("/api/model", { train_id: run.id });
    status.textContent = "Your draw page now answers with this network (nobody else's changes).";
    status.dataset.used = answer.train_id;
    loadRuns();
  } catch (err) {
    status.classList.add("error");
    status.textContent = err instanceof ServerGone ? "The server did not answer; try again." : err.message;
  }
});

// ready (for people and tests): the form is filled and the run this tab follows, if any, shown
loadOptions().then(rejoin).then(() => { document.body.dataset.ready = "true"; })
  .catch(() => connectionLost());
