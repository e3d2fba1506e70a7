"""The tutorial's listings of sections 2-5 give the tutorial's numbers, and its figures exist.

Layers: each listing against the number the text prints; the listings against each other
and against independent checks (central differences, the engine); bad and extreme inputs;
the figures as real PNG files; the ``neuralpath tutorial`` command through ``cli.main``.
Timings are produced and printed, never judged.
"""
import io
import math
import os

import numpy as np
import pytest
from PIL import Image

from neuralpath import cli, data
from neuralpath.network import Network
from neuralpath.tutorial import (
    figures,
    printed,
    section2,
    section3,
    section4,
    section5,
    walkthrough,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def one_blas_thread():
    # The engine's matrices are small; on a busy 2-core machine OpenBLAS's second thread
    # spins waiting for a core and makes training many times slower (1.8 s against 10-60 s
    # for the tutorial preset, measured), so these tests use one BLAS thread.
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def cut4(value):
    return math.floor(value * 1e4) / 1e4


def check_png(path, key):
    """``path`` is a PNG of roughly FIGURES[key]'s size, with more than one colour."""
    assert os.path.basename(path) == figures.FIGURES[key][0]
    with open(path, "rb") as fh:
        assert fh.read(8) == PNG_SIGNATURE
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG"
        width, height = img.size
        pixels = np.asarray(img.convert("RGB"))
    nominal_w, nominal_h = (v * figures.DPI for v in figures.FIGURES[key][1])
    pad = 2 * 0.1 * figures.DPI + 2  # save_figure trims the margin, then pads 0.1 inch
    # the trimmed figure keeps most of its area and never outgrows its size plus the pad
    assert 0.75 * nominal_w <= width <= nominal_w + pad, (width, nominal_w)
    assert 0.75 * nominal_h <= height <= nominal_h + pad, (height, nominal_h)
    assert max(width / nominal_w, height / nominal_h) >= 0.95
    colours = np.unique(pixels.reshape(-1, 3), axis=0)
    assert len(colours) > 1
    # real content: a good share of the pixels are not the background white
    assert np.mean(np.any(pixels < 250, axis=2)) > 0.01


# --- section 2 -------------------------------------------------------------------------

def test_sigmoid_curve_runs_from_0_to_1():
    x, f = section2.sigmoid_curve()
    assert x[0] == -8 and len(x) == 160 and x[-1] == pytest.approx(7.9)
    assert f[np.argmin(np.abs(x))] == pytest.approx(0.5)
    assert np.all(np.diff(f) > 0) and 0 < f[0] < 1e-3 and 1 - 1e-3 < f[-1] < 1


def test_weight_sets_the_slope_and_bias_the_switch_point():
    x, curves = section2.weight_curves()
    assert [label for label, _ in curves] == ['w = 0.5', 'w = 1.0', 'w = 2.0']
    slopes = [np.max(np.gradient(f, x)) for _, f in curves]
    np.testing.assert_allclose(slopes, [0.5 / 4, 1.0 / 4, 2.0 / 4], rtol=0.01)
    x, curves = section2.bias_curves()
    switch = [np.interp(0.5, f, x) for _, f in curves]
    np.testing.assert_allclose(switch, [8 / 5, 0.0, -8 / 5], atol=1e-3)  # x = -b / w


# --- section 3 -------------------------------------------------------------------------

def test_looped_feed_forward_gives_0_8354():
    w, b, x = section3.example_network()
    assert isinstance(x, list) and isinstance(w, list) and isinstance(b, list)
    h = section3.simple_looped_nn_calc(3, x, w, b)
    assert h.shape == (1,)
    # the text cuts to 4 places: 0.835455... is printed as 0.8354
    assert cut4(h[0]) == printed.OUTPUT_3_3_1 == 0.8354
    assert abs(h[0] - 0.8354) < 1e-4


def test_hidden_outputs_0_8909_0_9677_0_9909():
    w, b, x = section3.example_network()
    hidden = section3.simple_looped_nn_calc(2, x, w, b)
    assert [cut4(v) for v in hidden] == [0.8909, 0.9677, 0.9909]
    hand = section3.by_hand()
    assert [cut4(v) for v in hand] == [0.8909, 0.9677, 0.9909, 0.8354]
    np.testing.assert_allclose(hand[:3], hidden, rtol=0, atol=1e-15)
    np.testing.assert_allclose(hand[3], section3.simple_looped_nn_calc(3, x, w, b)[0],
                               rtol=0, atol=1e-15)


def test_matrix_feed_forward_gives_the_same():
    w, b, x = section3.example_network()
    for n_layers in (2, 3):
        np.testing.assert_allclose(section3.matrix_feed_forward_calc(n_layers, x, w, b),
                                   section3.simple_looped_nn_calc(n_layers, x, w, b),
                                   rtol=0, atol=1e-15)
    # x as an array, w and b as tuples: the same numbers
    out = section3.matrix_feed_forward_calc(3, np.array(x), tuple(w), tuple(b))
    assert cut4(out[0]) == 0.8354


@pytest.mark.parametrize("sizes", [[100, 100, 50, 10], [5, 1], [2, 7, 3, 4, 1]])
def test_looped_and_vectorised_agree_on_other_networks(sizes):
    w, b, x = section3.random_network(sizes, np.random.default_rng(7))
    looped = section3.simple_looped_nn_calc(len(sizes), x, w, b)
    vectorised = section3.matrix_feed_forward_calc(len(sizes), x, w, b)
    assert looped.shape == (sizes[-1],)
    np.testing.assert_allclose(looped, vectorised, rtol=1e-12, atol=1e-14)


def test_feed_forward_matches_the_engine():
    w, b, x = section3.four_layer_network()
    net = Network([3, 3, 3, 1])
    net.W = [np.array(v) for v in w]
    net.b = [np.array(v) for v in b]
    np.testing.assert_allclose(net.predict_output(np.array([x]))[0],
                               section3.simple_looped_nn_calc(4, x, w, b), rtol=1e-13)


def test_timing_table_is_produced():
    rows = section3.time_feed_forward(repeat=1, min_time=1e-3)
    assert [name for name, _, _ in rows] == ["3-3-1", "3-3-3-1", "100-100-50-10"]
    assert all(looped > 0 and vectorised > 0 for _, looped, vectorised in rows)
    table = walkthrough.format_timing_table(rows)
    lines = table.splitlines()
    assert len(lines) == 5 and "tutorial looped" in lines[0] and "measured looped" in lines[0]
    # the tutorial's figures and ratios beside ours (ours are printed, not judged)
    assert "40 us" in lines[2] and "70 us" in lines[3] and "46 us" in lines[3]
    assert "41 ms" in lines[4] and "84 us" in lines[4] and "488x" in lines[4]
    assert lines[4].count("x") >= 2  # a measured ratio too


def test_best_time_rejects_bad_arguments():
    with pytest.raises(ValueError, match="repeat"):
        section3.best_time(lambda: None, repeat=0)
    with pytest.raises(ValueError, match="min_time"):
        section3.best_time(lambda: None, min_time=0)
    assert 0 < section3.best_time(lambda: sum(range(100)), repeat=2, min_time=1e-4) < 1


# --- section 4 -------------------------------------------------------------------------

def test_gradient_descent_toy_reaches_2_249965():
    minimum, iterates = section4.gradient_descent_toy()
    assert f"{minimum:f}" == "2.249965"
    assert round(minimum, 6) == printed.LOCAL_MINIMUM
    assert abs(minimum - 2.25) < 1e-4
    assert iterates[0] == 6 and iterates[1] == pytest.approx(0.6)  # 6 - 0.01 * 540
    assert abs(iterates[-1] - iterates[-2]) <= 0.00001 < abs(iterates[-2] - iterates[-3])


def test_gradient_descent_toy_bad_step():
    with pytest.raises(ValueError, match="gamma"):
        section4.gradient_descent_toy(gamma=1.0)  # runs away: 4x^3 overflows
    with pytest.raises(ValueError, match="did not converge"):
        section4.gradient_descent_toy(gamma=1e-7, max_iter=50)


def test_bowl_descent_starts_with_the_texts_gradient_and_goes_down():
    points, grads = section4.bowl_descent()
    assert points.shape == (4, 2) and grads.shape == (4, 2)
    np.testing.assert_allclose(grads[0], printed.GRADIENT_AT_P1, rtol=1e-12)
    costs = [section4.bowl(*p) for p in points]
    assert all(later < earlier for earlier, later in zip(costs, costs[1:]))
    np.testing.assert_allclose(points[1], points[0] - 1.2 * grads[0])
    # the numerical gradient of the bowl agrees with bowl_gradient
    eps = 1e-6
    p = points[2]
    numeric = [(section4.bowl(p[0] + eps, p[1]) - section4.bowl(p[0] - eps, p[1])) / (2 * eps),
               (section4.bowl(p[0], p[1] + eps) - section4.bowl(p[0], p[1] - eps)) / (2 * eps)]
    np.testing.assert_allclose(grads[2], numeric, atol=1e-8)


def test_backprop_three_columns_equal_on_the_example():
    w, b, x = section3.example_network()
    names, chain, vect, numeric = section4.gradient_table(w, b, x, section4.EXAMPLE_TARGET)
    assert len(names) == len(chain) == 16 and names[0] == "w_11^(1)" and names[-1] == "b_1^(2)"
    np.testing.assert_allclose(chain, vect, rtol=0, atol=1e-8)
    np.testing.assert_allclose(chain, numeric, rtol=0, atol=1e-8)
    np.testing.assert_allclose(vect, numeric, rtol=0, atol=1e-8)
    assert np.all(np.abs(chain) > 1e-5)  # not trivially equal: every derivative is non-zero
    # 4.5 by hand for w_12^(2): dJ/dh * dh/dz * dz/dw = -(y - h) f'(z) h_2^(2)
    h2 = section3.by_hand()
    out = h2[3]
    assert chain[names.index("w_12^(2)")] == pytest.approx(-(1 - out) * out * (1 - out) * h2[1],
                                                           rel=1e-12)


@pytest.mark.parametrize("sizes, seed, scale", [([3, 3, 1], 1, 1.0), ([4, 5, 3], 2, 1.0),
                                                ([2, 4, 3, 2], 3, 1.0), ([3, 2, 2], 4, 8.0)])
def test_backprop_three_ways_agree_with_each_other_and_the_engine(sizes, seed, scale):
    rng = np.random.default_rng(seed)
    w = [scale * (rng.random((o, i)) - 0.5) for i, o in zip(sizes[:-1], sizes[1:])]
    b = [scale * (rng.random(o) - 0.5) for o in sizes[1:]]
    x = list(rng.normal(size=sizes[0]))
    y = list(rng.random(sizes[-1]))
    names, chain, vect, numeric = section4.gradient_table(w, b, x, y)
    np.testing.assert_allclose(chain, vect, rtol=0, atol=1e-12)
    np.testing.assert_allclose(chain, numeric, rtol=0, atol=1e-8)
    net = Network(sizes)
    net.W, net.b = [v.copy() for v in w], [v.copy() for v in b]
    _, gW, gb = net.backprop(np.array([x]), np.array([y]))
    np.testing.assert_allclose(section4.flatten(gW, gb), vect, rtol=1e-10, atol=1e-14)


def test_backprop_in_saturated_network_stays_finite():
    # weights of 50: the sigmoids sit at 0 or 1, f'(z) underflows towards 0
    w = [np.full((3, 3), 50.0), np.full((1, 3), 50.0)]
    b = [np.zeros(3), np.zeros(1)]
    names, chain, vect, numeric = section4.gradient_table(w, b, [1.0, 2.0, 3.0], [0.0])
    assert np.all(np.isfinite(chain)) and np.all(np.isfinite(numeric))
    np.testing.assert_allclose(chain, numeric, rtol=0, atol=1e-8)
    assert np.max(np.abs(chain)) < 1e-8


# --- section 5 -------------------------------------------------------------------------

def test_scaled_first_row_matches_the_listing():
    X, _ = data.digits()
    assert X.shape == printed.DIGITS_SHAPE
    mean, scale = data.fit_scaler(X)
    row = (X[0] - mean) / scale
    said = np.array(printed.SCALED_ROW_0)
    assert said.shape == (64,)
    wrong = set(np.flatnonzero(np.abs(said - row) > 1e-6))
    assert wrong == set(printed.SCALED_ROW_0_ERRATA)  # exactly the known slip, index 55
    ok = np.array([k not in wrong for k in range(64)])
    np.testing.assert_allclose(row[ok], said[ok], rtol=0, atol=1e-6)
    for k in wrong:  # printed without its minus sign
        assert row[k] == pytest.approx(-said[k], abs=1e-6) and row[k] < 0


def test_raw_row_has_one_zero_too_many_in_the_text():
    X, _ = data.digits()
    said = list(printed.RAW_ROW_0)
    assert len(said) == 65
    del said[35]
    np.testing.assert_array_equal(said, X[0])
    assert X.max() == 16


def test_one_hot_of_5_3():
    assert section5.convert_y_to_vect([printed.ONE_HOT_LABEL])[0].tolist() == list(
        printed.ONE_HOT_VECTOR)
    _, y = data.digits()
    np.testing.assert_array_equal(section5.convert_y_to_vect(y[:50]),
                                  data.one_hot(y[:50], np.arange(10)))


def test_section5_walkthrough_predict_y_and_figures(tmp_path):
    out = io.StringIO()
    result = walkthrough.section5(str(tmp_path), out, iterations=150, seed=3)
    text = out.getvalue()
    assert "tutorial says" in text and "neuralpath got" in text
    assert result["scaled_agree"] == 63 and result["n_test"] == 719
    assert len(result["cost"]) == 150 and result["cost"][-1] < result["cost"][0]
    # predict_y, the per-sample listing of 5.5, and the engine see the same digits
    assert result["same_predictions"] == result["n_test"]
    assert result["accuracy"] == pytest.approx(result["engine_accuracy"], abs=1e-12)
    assert 0.0 <= result["accuracy"] <= 1.0  # 150 steps are too few to learn much
    assert result["one_hot"].shape == (1078, 10)
    np.testing.assert_array_equal(result["one_hot"].argmax(axis=1), result["y_train"])
    for key, path in result["figures"].items():
        check_png(path, key)


def test_tutorial_preset_reaches_the_tutorials_accuracy(tmp_path):
    # the whole of section 5: 3000 iterations, then predict_y and accuracy_score
    result = walkthrough.section5(str(tmp_path), io.StringIO(), iterations=3000, seed=0)
    assert result["accuracy"] >= 0.83  # the tutorial's network reaches about 86%
    assert result["same_predictions"] == result["n_test"]


# --- the walkthrough and its figures ---------------------------------------------------

def test_sections_2_and_4_write_their_figures(tmp_path):
    out = io.StringIO()
    r2 = walkthrough.section2(str(tmp_path), out)
    r4 = walkthrough.section4(str(tmp_path), out)
    assert set(r2["figures"]) == {"sigmoid", "weights", "bias"}
    assert set(r4["figures"]) == {"descent_1d", "descent_2d"}
    for key, path in {**r2["figures"], **r4["figures"]}.items():
        check_png(path, key)
    text = out.getvalue()
    assert text.count("The local minimum occurs at 2.249965") == 2  # said and got
    assert text.count("tutorial says") == text.count("neuralpath got") >= 5
    assert r4["minimum"] == pytest.approx(2.249965, abs=5e-7)
    np.testing.assert_allclose(r4["chain"], r4["numerical"], atol=1e-8)
    np.testing.assert_allclose(r4["engine"], r4["vectorised"], atol=1e-12)


def test_figure_functions_return_figures_without_pyplot():
    import matplotlib.pyplot as plt
    before = plt.get_fignums()
    fig = figures.sigmoid_figure()
    assert fig.get_size_inches().tolist() == list(figures.FIGURES["sigmoid"][1])
    assert plt.get_fignums() == before  # nothing registered with pyplot


# --- the command line ------------------------------------------------------------------

def test_cli_section_3(tmp_path, capsys):
    code = cli.main(["tutorial", "--section", "3", "--out", str(tmp_path)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # what neuralpath got, not only what the tutorial says
    assert "neuralpath got  0.83545566 -> 0.8354" in captured.out
    assert "-> [0.8909, 0.9677, 0.9909]" in captured.out
    assert "tutorial looped" in captured.out and "100-100-50-10" in captured.out
    assert captured.out.count("tutorial says") == captured.out.count("neuralpath got") >= 4


def test_cli_section_2_writes_pngs(tmp_path, capsys):
    out_dir = tmp_path / "figs"
    assert cli.main(["tutorial", "--section", "2", "--out", str(out_dir)]) == 0
    names = sorted(os.listdir(out_dir))
    assert names == sorted(figures.FIGURES[k][0] for k in ("sigmoid", "weights", "bias"))
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("argv, word", [
    (["--section", "9"], "--section"),
    (["--section", "three"], "--section"),
    (["--section", "1"], "--section"),
    (["--iterations", "0"], "--iterations"),
    (["--repeat", "-2"], "--repeat"),
    (["--seed", "-1"], "--seed"),
])
def test_cli_bad_input_exits_2_with_one_line(argv, word, capsys):
    assert cli.main(["tutorial", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and word in lines[0]
    assert "Traceback" not in captured.err and captured.out == ""


def test_cli_help_lists_the_options(capsys):
    assert cli.main(["tutorial", "--help"]) == 0
    text = capsys.readouterr().out
    for option in ("--section", "--out", "--iterations", "--repeat", "--seed"):
        assert option in text
