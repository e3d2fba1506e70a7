// A drawing pad: one digit drawn on a canvas with the mouse, a pen or a finger, in black on
// white with a round pen about as thick as the digits' strokes; strokes can be taken back.
// The draw page (app.js) and the training page's pad (train_pad.js) share it. The page is
// told what happens through callbacks: ink(undone) after each bit of a stroke (undone: a
// stroke was taken back), strokeEnd() when a stroke is finished, cleared() when the pad
// is empty again.

const UNDO_STEPS = 30;  // strokes Undo can take back

export function makePad(canvas, { undoButton = null, ink = () => {}, strokeEnd = () => {},
  cleared = () => {} } = {}) {
  const pen = canvas.getContext("2d");
  const undo = [];  // the pad before each stroke (ImageData), newest last
  const pad = { hasInk: false, drawing: false, canvas };
  let last = null;  // the previous point of the stroke being drawn

  function setUndo() {
    if (undoButton) undoButton.disabled = !undo.length;
  }

  pad.clear = () => {
    pen.fillStyle = "#ffffff";
    pen.fillRect(0, 0, canvas.width, canvas.height);
    pen.strokeStyle = "#000000";
    pen.fillStyle = "#000000";
    pen.lineWidth = canvas.width / 14;  // about the stroke of a pen on the digits' 32x32 bitmaps
    pen.lineCap = "round";
    pen.lineJoin = "round";
    pad.hasInk = false;
    undo.length = 0;
    setUndo();
    cleared();
  };

  // Take back the last stroke: the pad as it was before it (or empty).
  pad.undo = () => {
    if (!undo.length || pad.drawing) return;
    const before = undo.pop();
    setUndo();
    if (!undo.length) { pad.clear(); return; }
    pen.putImageData(before, 0, 0);
    pad.hasInk = true;
    ink(true);
  };

  pad.dataURL = () => canvas.toDataURL("image/png");

  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - box.left) * (canvas.width / box.width),
      y: (event.clientY - box.top) * (canvas.height / box.height),
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

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    undo.push(pen.getImageData(0, 0, canvas.width, canvas.height));
    if (undo.length > UNDO_STEPS) undo.shift();
    setUndo();
    pad.drawing = true;
    last = point(event);
    dot(last);
    pad.hasInk = true;
    ink(false);
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!pad.drawing) return;
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const e of events.length ? events : [event]) {
      const p = point(e);
      segment(last, p);
      last = p;
    }
    ink(false);
  });

  function endStroke() {
    if (!pad.drawing) return;
    pad.drawing = false;
    last = null;
    strokeEnd();
  }
  canvas.addEventListener("pointerup", endStroke);
  canvas.addEventListener("pointercancel", endStroke);
  canvas.addEventListener("lostpointercapture", endStroke);
  if (undoButton) undoButton.addEventListener("click", () => pad.undo());
  return pad;
}
