"""The walk through the tutorial: its numbers beside neuralpath's (``neuralpath tutorial``).

For each section (2-5; the command's ``--section`` picks one) this writes what the tutorial says
beside what the package got when it ran the same listing, and writes the section's figures
as PNG into ``--out`` (default ``runs/tutorial/``). Section 3 times the looped and the
vectorised feed-forward; the timings are this machine's and are printed, never judged.

Each ``sectionN(out_dir, out, ...)`` function prints to the stream ``out`` and returns a dict
of what it computed (numbers and figure paths), so the tests and the notebook can check it.
"""
from __future__ import annotations

import math
import os
import sys
from typing import IO, Any

SECTIONS = (2, 3, 4, 5)
DEFAULT_OUT = os.path.join("runs", "tutorial")
TITLES = {
    2: "2  The structure of an ANN",
    3: "3  The feed-forward pass",
    4: "4  Gradient descent and optimisation",
    5: "5  Implementing the neural network in Python",
}


def _heading(out, section):
    print(f"\n== {TITLES[section]} ==", file=out)


def _says(out, what, tutorial, got):
    """One comparison: what the tutorial says, what neuralpath got."""
    print(f"{what}\n    tutorial says   {tutorial}\n    neuralpath got  {got}", file=out)


def _wrote(out, path):
    print(f"    figure: {path}", file=out)


def _fmt_vec(values, places=4):
    return "[" + ", ".join(f"{v:.{places}f}" for v in values) + "]"


def cut(value: float, places: int = 4) -> str:
    """``value`` cut (not rounded) to ``places`` decimals, as the tutorial prints them."""
    return math.floor(value * 10**places) / 10**places


def _duration(seconds):
    if seconds is None:
        return "-"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def _ratio(looped, vectorised):
    if looped is None or vectorised is None:
        return "-"
    return f"{looped / vectorised:.3g}x"


def section2(out_dir: str, out: IO[str] | None = None) -> dict[str, Any]:
    """2.1 and 2.3: the sigmoid, the effect of the weight and of the bias (figures 1, 4, 6)."""
    out = out or sys.stdout
    import numpy as np

    from . import figures
    from . import section2 as s2
    _heading(out, 2)
    x, f = s2.sigmoid_curve()
    _says(out, "2.1 the sigmoid on x = -8 .. 8 (np.arange(-8, 8, 0.1))",
          "it moves from 0 to 1, softly, once x passes a certain value",
          f"f(-8) = {f[0]:.6f}, f(0) = {f[np.argmin(np.abs(x))]:.6f}, f(7.9) = {f[-1]:.6f}")
    x, curves = s2.weight_curves()
    slopes = [np.max(np.gradient(c, x)) for _, c in curves]
    _says(out, "2.3 figure 4: w = 0.5, 1.0, 2.0",
          "changing the weight changes the slope",
          "steepest slope " + ", ".join(f"{s:.3f}" for s in slopes) + " (w / 4)")
    x, curves = s2.bias_curves()
    switch = [float(np.interp(0.5, c, x)) for _, c in curves]
    _says(out, "2.3 figure 6: w = 5, b = -8, 0, 8",
          "the bias changes where the node activates",
          "f = 0.5 at x = " + ", ".join(f"{s:.3f}" for s in switch) + " (x = -b / w)")
    paths = {key: figures.save(make(), key, out_dir) for key, make in (
        ("sigmoid", figures.sigmoid_figure), ("weights", figures.weights_figure),
        ("bias", figures.bias_figure))}
    for path in paths.values():
        _wrote(out, path)
    return dict(switch_points=switch, slopes=slopes, figures=paths)


def section3(out_dir: str, out: IO[str] | None = None, repeat: int = 5, min_time: float = 0.1,
             seed: int = 0) -> dict[str, Any]:
    """3.1-3.5: the 3-3-1 example looped and vectorised, and the timing table."""
    out = out or sys.stdout
    from . import printed
    from . import section3 as s3
    _heading(out, 3)
    w, b, x = s3.example_network()
    looped = s3.simple_looped_nn_calc(3, x, w, b)
    vectorised = s3.matrix_feed_forward_calc(3, x, w, b)
    hidden = s3.simple_looped_nn_calc(2, x, w, b)  # stop after layer 2: h^(2)
    hand = s3.by_hand()
    _says(out, "3.2 simple_looped_nn_calc(3, x, w, b) with x = [1.5, 2.0, 3.0]",
          f"{printed.OUTPUT_3_3_1}", f"{looped[0]:.8f} -> {cut(looped[0]):.4f}")
    _says(out, "3.2 the hidden outputs h^(2) (simple_looped_nn_calc(2, x, w, b))",
          _fmt_vec(printed.HIDDEN_3_3_1),
          f"{_fmt_vec(hidden, 8)} -> {_fmt_vec([cut(v) for v in hidden])}")
    _says(out, "3.2 by hand, from the equations of section 3",
          _fmt_vec(printed.HIDDEN_3_3_1 + (printed.OUTPUT_3_3_1,)),
          _fmt_vec([cut(v) for v in hand]))
    print("    (the text cuts its numbers to 4 places rather than rounding them: 0.83545566 "
          "is its 0.8354, 0.99098670 its 0.9909)", file=out)
    _says(out, "3.5 matrix_feed_forward_calc(3, x, w, b)", "the same output",
          f"{vectorised[0]:.8f}  (differs from the looped result by "
          f"{abs(vectorised[0] - looped[0]):.1e})")
    print(f"\n3.3-3.5 feed-forward time per call, looped against vectorised (timeit, best of "
          f"{repeat})", file=out)
    rows = s3.time_feed_forward(repeat=repeat, min_time=min_time, seed=seed)
    table = format_timing_table(rows)
    print(table, file=out)
    print(f"    the 4-layer network is 3-3-3-1 (the text does not print it); the tutorial "
          f"calls its 100-100-50-10 gain \"{printed.SPEEDUP_100_100_50_10} fold\"", file=out)
    return dict(output=float(looped[0]), hidden=[float(v) for v in hidden],
                by_hand=[float(v) for v in hand], vectorised=float(vectorised[0]),
                timings=rows, table=table)


def format_timing_table(rows: list[tuple[str, float, float]]) -> str:
    """The timing table: the tutorial's figures and ratios beside the measured ones."""
    from . import printed
    said = {i: t for i, t in enumerate(printed.TIMINGS)}
    head = (f"{'network':<15}{'tutorial looped':>17}{'vectorised':>12}{'ratio':>8}   |"
            f"{'measured looped':>17}{'vectorised':>12}{'ratio':>8}")
    lines = [head, "-" * len(head)]
    for i, (name, looped, vectorised) in enumerate(rows):
        _, t_looped, t_vec = said.get(i, (None, None, None))
        lines.append(f"{name:<15}{_duration(t_looped):>17}{_duration(t_vec):>12}"
                     f"{_ratio(t_looped, t_vec):>8}   |{_duration(looped):>17}"
                     f"{_duration(vectorised):>12}{_ratio(looped, vectorised):>8}")
    return "\n".join(lines)


def section4(out_dir: str, out: IO[str] | None = None) -> dict[str, Any]:
    """4.1, 4.4 and 4.5-4.8: the toy, the bowl, and the gradient three ways."""
    out = out or sys.stdout
    import numpy as np

    from ..network import Network
    from . import figures, printed
    from . import section3 as s3
    from . import section4 as s4
    _heading(out, 4)
    minimum, iterates = s4.gradient_descent_toy()
    _says(out, "4.1 gradient descent on x^4 - 3x^3 + 2 from x = 6, step 0.01, precision "
               "0.00001", f"The local minimum occurs at {printed.LOCAL_MINIMUM:f}",
          f"The local minimum occurs at {minimum:f}  (after {len(iterates) - 1} steps; "
          f"exact {printed.EXACT_MINIMUM})")
    points, grads = s4.bowl_descent()
    costs = [s4.bowl(*p) for p in points]
    _says(out, "4.4 two-dimensional descent on J = 0.7 x1^2 + 0.175 x2^2, alpha 1.2",
          f"the derivative at p1 might be {list(printed.GRADIENT_AT_P1)}",
          f"{_fmt_vec(grads[0], 1)} at p1 = {_fmt_vec(points[0], 1)}; J from p1 to p4: "
          + " -> ".join(f"{c:.4f}" for c in costs))
    w, b, x = s3.example_network()
    y = s4.EXAMPLE_TARGET
    names, chain, vect, numeric = s4.gradient_table(w, b, x, y)
    net = Network([3, 3, 1])
    net.W = [np.array(v, dtype=float) for v in w]
    net.b = [np.array(v, dtype=float) for v in b]
    _, gW, gb = net.backprop(np.array([x], dtype=float), np.array([y], dtype=float))
    engine = s4.flatten(gW, gb)
    print(f"\n4.5-4.8 dJ/dw for the 3-3-1 example, x = {x}, target y = {y} (ours: the text "
          f"gives none)", file=out)
    print(f"{'parameter':<11}{'chain rule 4.5':>18}{'vectorised 4.7':>18}"
          f"{'central diff.':>18}", file=out)
    for row in zip(names, chain, vect, numeric):
        print(f"{row[0]:<11}" + "".join(f"{v:>18.10f}" for v in row[1:]), file=out)
    spread = float(max(np.max(np.abs(chain - vect)), np.max(np.abs(chain - numeric))))
    _says(out, "4.5-4.8 the three columns", "backpropagation gives the gradient",
          f"they agree to {spread:.1e}; the engine (Network.backprop) to "
          f"{np.max(np.abs(engine - vect)):.1e}")
    paths = {"descent_1d": figures.save(figures.descent_1d_figure(iterates), "descent_1d",
                                        out_dir),
             "descent_2d": figures.save(figures.descent_2d_figure(points), "descent_2d",
                                        out_dir)}
    for path in paths.values():
        _wrote(out, path)
    return dict(minimum=minimum, steps=len(iterates) - 1, bowl_points=points,
                bowl_gradients=grads, names=names, chain=chain, vectorised=vect,
                numerical=numeric, engine=engine, figures=paths)


def _scaled_row_lines(printed_row, got, errata, tol=1e-6):
    lines = []
    for start in range(0, len(got), 4):
        cells = []
        for k in range(start, min(start + 4, len(got))):
            mark = " " if abs(printed_row[k] - got[k]) <= tol else "*"
            cells.append(f"{k:>2}: {printed_row[k]:>11.8f} {got[k]:>11.8f}{mark}")
        lines.append("    " + " | ".join(cells))
    for k, why in errata.items():
        lines.append(f"    * value {k}: the tutorial's {printed_row[k]:.8f} against "
                     f"{got[k]:.8f}: {why}")
    return lines


def section5(out_dir: str, out: IO[str] | None = None, iterations: int = 3000,
             seed: int = 0) -> dict[str, Any]:
    """Section 5: the digit "1", the scaled row, the one-hot vector, training and 5.5."""
    out = out or sys.stdout
    import numpy as np
    from sklearn.metrics import accuracy_score

    from .. import data
    from ..pipeline import prepare, train_preset
    from ..presets import resolve
    from . import figures, printed
    from . import section5 as s5
    _heading(out, 5)
    X, y = data.digits()
    _says(out, "5 print(digits.data.shape)", f"{printed.DIGITS_SHAPE}", f"{X.shape}")
    _says(out, "5.1 digits.data[0,:]",
          f"{len(printed.RAW_ROW_0)} values from 0 up to 15",
          f"{X.shape[1]} values, the largest pixel in the data is {X.max():g}")
    print(f"    note: {printed.RAW_ROW_0_ERRATA}", file=out)
    mean, scale = data.fit_scaler(X)
    row = (X[0] - mean) / scale
    said = np.array(printed.SCALED_ROW_0)
    agree = np.abs(said - row) <= 1e-6
    print("5.1 X = StandardScaler().fit_transform(digits.data); X[0,:]  "
          "(index: tutorial, neuralpath; * differs by more than 1e-6)", file=out)
    for line in _scaled_row_lines(said, row, printed.SCALED_ROW_0_ERRATA):
        print(line, file=out)
    _says(out, "5.1 the scaled row", "the 64 values above",
          f"{int(agree.sum())} of 64 agree to 1e-6; the rest differ only in sign: "
          f"{bool(np.allclose(np.abs(said), np.abs(row), atol=1e-6, rtol=0))}")

    cfg = resolve("tutorial", iterations=iterations, seed=seed)
    parts = prepare(cfg)
    y_v_train = s5.convert_y_to_vect(parts["y_train"])
    said_vec = s5.convert_y_to_vect([printed.ONE_HOT_LABEL])[0]
    _says(out, "5.3 convert_y_to_vect: y_train[0], y_v_train[0]",
          f"({printed.ONE_HOT_LABEL}, {_fmt_vec(printed.ONE_HOT_VECTOR, 0)})",
          f"({parts['y_train'][0]}, {_fmt_vec(y_v_train[0], 0)})  (our split, seed {seed}); "
          f"label {printed.ONE_HOT_LABEL} -> {_fmt_vec(said_vec, 0)}")

    model, history, metrics = train_preset("tutorial", seed=seed, iterations=iterations)
    _says(out, f"5.4 train the tutorial preset: {list(printed.NN_STRUCTURE)}, alpha "
               f"{printed.ALPHA}, full-batch gradient descent",
          f"{printed.ITERATIONS} iterations; the cost falls",
          f"{history.iterations} iterations in {history.seconds:.2f} s; cost J "
          f"{history.cost[0]:.4f} -> {history.cost[-1]:.4f} (the engine, vectorised)")

    # 5.5: the per-sample listing predicts with the engine's trained weights (keyed 1..n)
    W = {l + 1: Wl for l, Wl in enumerate(model.network.W)}
    b = {l + 1: bl for l, bl in enumerate(model.network.b)}
    y_pred = s5.predict_y(W, b, parts["X_test"], len(printed.NN_STRUCTURE))
    listing_accuracy = accuracy_score(parts["y_test"], y_pred)
    engine_pred = model.predict(parts["X_test_raw"])
    same = int(np.sum(engine_pred == y_pred))
    _says(out, "5.5 predict_y(W, b, X_test, 3) and accuracy_score(y_test, y_pred) * 100",
          f"about {printed.ACCURACY:.0%} (the text breaks off before 5.5; the follow-up "
          f"post quotes this)",
          f"{listing_accuracy * 100:.2f}% on {len(y_pred)} test images; the engine predicts "
          f"the same digit for {same} of {len(y_pred)}")

    paths = {"digit": figures.save(figures.digit_figure(X[1]), "digit", out_dir),
             "cost": figures.save(figures.cost_figure(history.cost), "cost", out_dir)}
    for path in paths.values():
        _wrote(out, path)
    return dict(shape=X.shape, scaled_row=row, scaled_agree=int(agree.sum()),
                one_hot=y_v_train, y_train=parts["y_train"], cost=list(history.cost),
                accuracy=float(listing_accuracy), engine_accuracy=metrics["test_accuracy"],
                same_predictions=same, n_test=len(y_pred), figures=paths)
