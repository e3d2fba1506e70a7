// The training view's pictures, drawn from what the event stream brought: the cost J per
// iteration and train/test accuracy (line charts, with their axes before any point), the
// first layer's weights (or their change since the start) as pictures, the test confusion
// matrix and the test digits the network gets wrong.

const $ = (id) => document.getElementById(id);

// What is drawn: set by train.js as updates come, read here.
export const view = {
  cost: [],  // J per iteration
  accuracy: [],  // [iteration, train, test] per measurement
  measured: null,  // the latest measurement
  total: 0,  // the run's iterations (before a run: the form's)
  side: 8,  // the input pictures' side
};

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
  const xMax = Math.max(view.total, view.cost.length, 1);
  let high = 1;
  if (view.cost.length) {
    high = 0;
    for (const c of view.cost) if (c > high) high = c;
  }
  const { x, y } = axes(g, w, h, xMax, 0, high * 1.05, "cost J", (t) => String(Number(t.toPrecision(2))));
  if (!view.cost.length) return;
  // one vertex per pixel column at most: the mean J of the iterations it covers
  g.strokeStyle = "#2f6fdf";
  g.lineWidth = 2;
  g.beginPath();
  const per = Math.max(1, Math.floor(view.cost.length / w));
  for (let i = 0; i < view.cost.length; i += per) {
    let sum = 0, n = 0;
    for (let k = i; k < Math.min(view.cost.length, i + per); k++) { sum += view.cost[k]; n++; }
    const px = x(i + n / 2), py = y(sum / n);
    if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
  }
  g.stroke();
}

function drawAccuracy() {
  const { g, w, h } = fitCanvas($("acc"), 130);
  const xMax = Math.max(view.total, view.cost.length, 1);
  const { x, y } = axes(g, w, h, xMax, 0, 1, "accuracy", (t) => `${Math.round(100 * t)}%`);
  [[1, "#e07b00"], [2, "#1a9850"]].forEach(([k, colour]) => {
    g.strokeStyle = colour;
    g.lineWidth = 2;
    g.beginPath();
    view.accuracy.forEach((a, i) => (i ? g.lineTo(x(a[0]), y(a[k])) : g.moveTo(x(a[0]), y(a[k]))));
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
  const m = view.measured;
  const change = Boolean(m && weightKind() === "change" && m.weight_changes);
  const wts = m && (change ? m.weight_changes : m.weights);
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
  $("weights-caption").textContent = change
    ? `Each picture is how one hidden node's weights W(1) from the ${s * s} pixels changed ` +
      `since the start${more}, scaled from its largest fall`
    : `Each picture is one hidden node's weights W(1) from the ${s * s} pixels${more}, ` +
      "scaled from its smallest";
  $("weights-meaning").textContent = change
    ? "learning made ink on the red pixels raise the node, and on the blue ones lower it."
    : "ink on the red pixels raises the node most.";
}

function weightKind() {
  const checked = document.querySelector("input[name=weight-kind]:checked");
  return checked ? checked.value : "change";
}
for (const radio of document.querySelectorAll("input[name=weight-kind]")) {
  radio.addEventListener("change", () => drawAll());
}

function drawConfusion() {
  const table = $("confusion");
  table.replaceChildren();
  if (!view.measured) return;
  const m = view.measured.confusion;
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
  if (!view.measured || !view.measured.wrong.length) {
    $("wrong-caption").textContent = view.measured ? "None: every test digit is right." : "true → answer";
    return;
  }
  const s = view.measured.weights ? view.measured.weights.side : view.side;
  const pixels = bytes(view.measured.wrong_pixels);
  const cell = Math.max(1, Math.floor(40 / s));
  view.measured.wrong.forEach((w, k) => {
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
  $("wrong-caption").textContent = `true → answer: ${view.measured.wrong.length} of the ` +
    `${view.measured.n_wrong} test digits it gets wrong.`;
}

let pending = false;
export function drawAll() {  // at most once per animation frame
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
