// The training view's talk with the server (post: JSON in, JSON out, errors in the server's
// plain words) and this browser's run list (GET /api/train/runs): each run labelled by what
// it is, with Download and "Use this network", and their errors beside their button.

const $ = (id) => document.getElementById(id);

// The server did not answer at all (stopped, restarting, the network gone).
export class ServerGone extends Error {
  constructor() {
    super("The server did not answer.");
  }
}

// A refusal: the server's message, its status and the field it names (if any).
class Refused extends Error {
  constructor(status, answer) {
    super(answer.error || `The server answered ${status}.`);
    this.status = status;
    this.field = answer.field;
  }
}

async function answerOf(response) {
  let answer = {};
  try {
    answer = await response.json();
  } catch {
    if (response.status >= 502) throw new ServerGone();  // a proxy before a stopped server
  }
  if (!response.ok) throw new Refused(response.status, answer);
  return answer;
}

export async function post(url, body) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
  } catch {
    throw new ServerGone();
  }
  return answerOf(response);
}

// The run's model file, fetched first so a refusal is shown beside the button (a plain link
// fails silently in a browser), then handed to the browser as a download.
async function download(link, status) {
  status.classList.remove("error");
  status.textContent = "";
  let response;
  try {
    response = await fetch(link.href, { cache: "no-store" });
  } catch {
    throw new ServerGone();
  }
  if (!response.ok) await answerOf(response);
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = link.getAttribute("download") || "model.npz";
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function say(status, err) {
  status.classList.add("error");
  status.textContent = err instanceof ServerGone ? "The server did not answer; try again." : err.message;
}

export function downloadOnClick(link, status) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    download(link, status).catch((err) => say(status, err));
  });
}

function fileName(run) {
  const words = (run.label || "run").replace(/[^A-Za-z0-9.]+/g, "-").replace(/^-|-$/g, "");
  return `neuralpath-${words}-${run.id}.npz`.slice(0, 120);
}

function percent(x) {
  return x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)}%`;
}

function row(run) {
  const tr = document.createElement("tr");
  tr.dataset.id = run.id;
  tr.dataset.state = run.state;
  const what = tr.insertCell();
  what.className = "what";
  what.textContent = run.label || run.id;
  const ended = ["done", "stopped", "failed"].includes(run.state);
  const state = tr.insertCell();
  state.textContent = ended ? `${run.state} at ${run.iteration} of ${run.total}` : run.state;
  const result = tr.insertCell();  // a run still going is followed above, not here
  result.textContent = !ended || run.cost === null || run.cost === undefined ? ""
    : `J ${Number(run.cost).toFixed(4)}, test ${percent(run.test_accuracy)}`;
  const actions = tr.insertCell();
  actions.className = "actions";
  const status = document.createElement("span");
  status.className = "hint status";
  status.setAttribute("aria-live", "polite");
  if (run.has_model) {
    const link = document.createElement("a");
    link.className = "button download";
    link.href = `/api/train/${encodeURIComponent(run.id)}/model.npz`;
    link.download = fileName(run);
    link.textContent = "Download";
    downloadOnClick(link, status);
    const use = document.createElement("button");
    use.type = "button";
    use.className = "use";
    use.textContent = run.in_use ? "In use" : "Use this network";
    use.disabled = Boolean(run.in_use);
    use.addEventListener("click", async () => {
      status.classList.remove("error");
      try {
        await post("/api/model", { train_id: run.id });
        status.textContent = "Your draw page now answers with it.";
        loadRuns();
      } catch (err) {
        say(status, err);
      }
    });
    actions.append(link, use);
  }
  actions.append(status);
  return tr;
}

let shown = [];

// Read and show this browser's runs; returns them (newest first), or [] if the server is
// gone (the list stays as it was).
export async function loadRuns() {
  let answer;
  try {
    const response = await fetch("/api/train/runs", { cache: "no-store" });
    answer = await answerOf(response);
  } catch {
    return shown;
  }
  shown = answer.runs || [];
  const table = $("runs");
  table.replaceChildren(...shown.map(row));
  $("runs-caption").textContent = shown.length
    ? "The runs started from this browser, newest first; nobody else sees them."
    : "No runs yet from this browser: press Start.";
  document.body.dataset.runs = String(shown.length);
  return shown;
}
