// The draw page's answer as pictures and words: the probabilities in words a person can
// weigh, a bar per digit, the input the network saw (8x8 or 28x28) and a map of each hidden
// layer's outputs. Each drawing function draws into the draw page's element unless given
// another (the training page's pad has its own).

const $ = (id) => document.getElementById(id);

// A probability in words a person can weigh: never "100%", never "0.0%".
export function chance(p) {
  if (p >= 0.99) return "over 99%";
  if (p < 0.01) return "under 1%";
  return `${Math.round(100 * p)}%`;
}

// How the answer is worded: sure-sounding only when the network's probability is high, and
// the runner-up named when it is not. The probabilities are calibrated on the test digits
// and on drawings (benchmarks/real_inputs.py), but a drawing unlike any it has seen can still
// be read wrong with a high one, so even the surest answer is "probably".
export function wording(answer, top) {
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

// Why no digit is read, in words: the server's reason ("the picture is blank"), after "no
// digit found: ", except imaging's "too small to read: draw it larger", which says it all.
export function noDigitWords(reason) {
  const text = String(reason ?? "");
  return text.startsWith("too small to read") ? text : `no digit found: ${text}`;
}

export function buildBars(classes, list = $("bars")) {
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

// The answer's probabilities on the bars (built if they do not fit its classes), the top
// one (index ``top``) marked.
export function showBars(answer, top, list = $("bars")) {
  if (list.children.length !== answer.classes.length) buildBars(answer.classes, list);
  answer.probabilities.forEach((p, i) => {
    const row = list.children[i];
    row.classList.toggle("top", i === top);
    row.querySelector(".fill").style.width = `${(100 * p).toFixed(1)}%`;
    row.querySelector(".value").textContent = chance(p);
    row.dataset.p = String(p);  // the exact probability, for tools and tests
  });
}

// The input as the digits images are usually shown: 0 white .. 16 (or 255) black.
export function drawSeen(pixels, side, top, seen = $("seen")) {
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

export function drawHidden(layers, activation, box = $("hidden")) {
  box.replaceChildren();
  layers.forEach((h, l) => {
    const n = h.length;
    const cols = Math.ceil(Math.sqrt(n));
    const rows = Math.ceil(n / cols);
    const cell = Math.max(4, Math.min(18, Math.floor(176 / cols)));
    // sigmoid outputs are 0..1 whatever the input; other activations are scaled by the
    // layer's largest output so the pattern shows
    const bounded = activation === "sigmoid";
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
    caption.textContent = `layer ${l + 2}: ${n} nodes (${activation || "?"}), ` +
      `brightest ${high.toPrecision(3)}`;
    figure.append(canvas, caption);
    box.appendChild(figure);
  });
}
