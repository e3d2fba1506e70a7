"""Backpropagation against central differences, for every hidden activation x cost x output.

The oracle is independent of the engine's backward pass: the cost is recomputed here from
the engine's feed-forward output with the textbook formulas (J = 1/2 ||y - h||^2, -sum y log h,
the binary form for sigmoid outputs) plus lambda/2 sum ||W||^2, and every weight and bias is
nudged by +-eps. With float64 and eps = 1e-6 the truncation error is O(eps^2) and rounding
about 1e-10, so a correct gradient agrees to far better than the 1e-6 asked for; a wrong
factor (a missing 1/m, f'(z) where h - y applies, lambda on the biases) is off by > 1e-2.

relu and leaky_relu have a kink at z = 0: every case checks first that no hidden z lies
within 1e-3 of it (the nudges move z by ~1e-6), so the derivative is well defined there.
"""
import numpy as np
import pytest

from neuralpath.activations import HIDDEN_ACTIVATIONS, get_activation
from neuralpath.network import Network

EPS = 1e-6
TOL = 1e-6
KINK_MARGIN = 1e-3

# (cost, output activation): every pairing the engine accepts for a classifier or regressor
COST_OUTPUTS = [
    ("quadratic", "sigmoid"),  # the tutorial's
    ("quadratic", "softmax"),  # full softmax Jacobian
    ("quadratic", "identity"),  # regression
    ("quadratic", "tanh"),
    ("cross_entropy", "softmax"),  # delta = h - y
    ("cross_entropy", "sigmoid"),  # per-node binary cross-entropy, delta = h - y
    ("log_loss", "softmax"),  # scikit-learn's: clipped at machine epsilon
    ("log_loss", "sigmoid"),
    ("squared_error", "identity"),  # scikit-learn's: J / k, its gradient that of J
    ("poisson", "exp"),  # half the Poisson deviance, delta = h - y
]
LAYER_SIZES = [
    [5, 4, 3],
    [4, 6, 5, 3],
    [3, 5, 4, 4, 2],  # three hidden layers
]


def _targets(rng, cost, output, m, k):
    if output == "exp":
        return rng.poisson(1.5, size=(m, k)).astype(float)  # counts, zeros among them
    if output == "identity":
        return rng.normal(size=(m, k))
    if output == "tanh":
        return rng.uniform(-0.9, 0.9, size=(m, k))
    if output == "softmax":
        if cost in ("cross_entropy", "log_loss"):
            return np.eye(k)[rng.integers(0, k, m)]  # one-hot labels
        return rng.dirichlet(np.ones(k), size=m)  # any rows that sum to 1
    return (rng.random((m, k)) < 0.5).astype(float)  # sigmoid outputs: 0/1 targets


def _data_cost(cost, output, h, Y, weights=None, of_gradient=False):
    """The mean cost over the rows (weighted by ``weights`` when given), from the formulas
    (not from costs.py). ``of_gradient``: the function whose gradient backprop returns,
    which for scikit-learn's squared_error is k times its value (see costs.py)."""
    w = np.ones(h.shape[0]) if weights is None else np.asarray(weights, float)
    if cost in ("quadratic", "squared_error"):
        per_row = 0.5 * np.sum((Y - h) ** 2, axis=1)
        if cost == "squared_error" and not of_gradient:
            per_row = per_row / h.shape[1]
    elif cost == "poisson":
        y_log = np.where(Y > 0, Y * np.log(np.where(Y > 0, Y, 1.0) / h), 0.0)
        per_row = np.sum(y_log - Y + h, axis=1)
    elif output == "softmax":
        per_row = -np.sum(Y * np.log(h), axis=1)
    else:
        per_row = -np.sum(Y * np.log(h) + (1 - Y) * np.log(1 - h), axis=1)
    return float(w @ per_row / w.sum())


def _forward(net, X, masks=None):
    """Feed-forward written out here, with dropout masks applied to hidden outputs."""
    h = X
    zs = []
    for l, (W, b) in enumerate(zip(net.W, net.b)):
        z = h @ W.T + b  # (m, s_{l+1})
        zs.append(z)
        last = l == len(net.W) - 1
        act = net.output_activation if last else net.activation
        h = act.f(z)
        if not last and masks is not None and masks[l + 1] is not None:
            h = h * masks[l + 1]
    return h, zs


def _total_cost(net, X, Y, cost, output, l2, masks=None, weights=None, of_gradient=False):
    h, _ = _forward(net, X, masks)
    return (_data_cost(cost, output, h, Y, weights, of_gradient)
            + 0.5 * l2 * sum(np.sum(W ** 2) for W in net.W))


def _numeric_gradients(net, X, Y, cost, output, l2, masks=None, weights=None):
    grads = []
    for p in net.params:
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            saved = p[idx]
            p[idx] = saved + EPS
            up = _total_cost(net, X, Y, cost, output, l2, masks, weights, True)
            p[idx] = saved - EPS
            down = _total_cost(net, X, Y, cost, output, l2, masks, weights, True)
            p[idx] = saved
            g[idx] = (up - down) / (2 * EPS)
        grads.append(g)
    return grads


def _relative_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-300)


def _make_case(sizes, activation, output, cost, seed, m=7):
    """A network with random (non-zero) biases and inputs whose hidden z avoid the kink."""
    for attempt in range(50):
        rng = np.random.default_rng(1000 * seed + attempt)
        net = Network(sizes, activation, output, cost, "xavier", random_state=rng)
        for b in net.b:
            b[:] = rng.normal(0.0, 0.5, b.shape)
        X = rng.normal(size=(m, sizes[0]))
        _, zs = _forward(net, X)
        if min(np.abs(z).min() for z in zs[:-1]) > KINK_MARGIN:
            return net, X, _targets(rng, cost, output, m, sizes[-1])
    raise AssertionError("no draw kept the hidden z away from 0")  # pragma: no cover


@pytest.mark.parametrize("sizes", LAYER_SIZES, ids=lambda s: "-".join(map(str, s)))
@pytest.mark.parametrize("cost,output", COST_OUTPUTS, ids=lambda v: v)
@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_backprop_matches_central_differences(sizes, cost, output, activation, l2):
    net, X, Y = _make_case(sizes, activation, output, cost, seed=len(sizes))
    J, grad_W, grad_b = net.backprop(X, Y, l2)
    analytic = [g.copy() for g in grad_W + grad_b]  # the engine reuses its arrays
    assert J == pytest.approx(_total_cost(net, X, Y, cost, output, l2), rel=1e-12)
    numeric = _numeric_gradients(net, X, Y, cost, output, l2)
    for l, (a, n) in enumerate(zip(analytic, numeric)):
        assert _relative_error(a, n) < TOL, (l, _relative_error(a, n))


@pytest.mark.parametrize("activation", HIDDEN_ACTIVATIONS)
@pytest.mark.parametrize("cost,output", [("cross_entropy", "softmax"),
                                         ("quadratic", "sigmoid")], ids=lambda v: v)
def test_dropout_gradient_with_a_fixed_mask(activation, cost, output):
    """Backprop through inverted dropout equals the gradient of the masked network."""
    sizes = [4, 6, 5, 3]
    net, X, Y = _make_case(sizes, activation, output, cost, seed=11)
    rng = np.random.default_rng(5)
    p = 0.4
    masks = [None] + [(rng.random((X.shape[0], s)) >= p) / (1 - p) for s in sizes[1:-1]]
    masks.append(None)
    assert all((mk == 0).any() and (mk > 0).any() for mk in masks[1:-1])  # some dropped, some kept
    l2 = 0.05
    J, grad_W, grad_b = net.backprop(X, Y, l2, masks)
    analytic = [g.copy() for g in grad_W + grad_b]
    assert J == pytest.approx(_total_cost(net, X, Y, cost, output, l2, masks), rel=1e-12)
    numeric = _numeric_gradients(net, X, Y, cost, output, l2, masks)
    for l, (a, n) in enumerate(zip(analytic, numeric)):
        assert _relative_error(a, n) < TOL, (l, _relative_error(a, n))
    # a node dropped for a sample passes no gradient back: its incoming weights see none
    only = np.zeros_like(masks[1])
    only[:, 0] = 1.0 / (1 - p)  # keep just node 0 of the first hidden layer
    g = net.backprop(X, Y, 0.0, [None, only, masks[2], None])[1][0]
    assert np.all(g[1:] == 0.0) and np.any(g[0] != 0.0)


def test_the_l2_term_leaves_biases_alone():
    net, X, Y = _make_case([4, 6, 3], "tanh", "softmax", "cross_entropy", seed=2)
    _, gW0, gb0 = net.backprop(X, Y, 0.0)
    gW0, gb0 = [g.copy() for g in gW0], [g.copy() for g in gb0]
    J0 = net.backprop(X, Y, 0.0)[0]
    lam = 0.3
    J, gW, gb = net.backprop(X, Y, lam)
    for W, g, g0 in zip(net.W, gW, gW0):
        np.testing.assert_allclose(g, g0 + lam * W, rtol=1e-13, atol=1e-15)
    for g, g0 in zip(gb, gb0):
        np.testing.assert_array_equal(g, g0)
    assert J == pytest.approx(J0 + 0.5 * lam * sum(np.sum(W ** 2) for W in net.W), rel=1e-13)


@pytest.mark.parametrize("output", ["softmax", "sigmoid"])
def test_cross_entropy_delta_is_h_minus_y_at_extreme_logits(output):
    """With outputs saturated at 0/1 the gradient stays finite and equals (1/m)(h - y) h^T."""
    net = Network([2, 3], "relu", output, "cross_entropy", "xavier", random_state=0)
    net.W[0][:] = [[400.0, 0.0], [0.0, 400.0], [-400.0, -400.0]]
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    Y = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]])  # the first row is confidently wrong
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        J, gW, gb = net.backprop(X, Y)
    h = net.predict_output(X)
    assert np.isfinite(J) and J > 10  # clipped log: large but finite
    np.testing.assert_allclose(gW[0], (h - Y).T @ X / 2, atol=1e-12)
    np.testing.assert_allclose(gb[0], (h - Y).mean(axis=0), atol=1e-12)


def test_gradient_check_catches_a_wrong_derivative(monkeypatch):
    """The oracle can fail: a sigmoid derivative off by a factor 1.01 is caught."""
    sig = get_activation("sigmoid")
    net, X, Y = _make_case([4, 5, 3], "sigmoid", "sigmoid", "quadratic", seed=3)

    def wrong(z, h, out=None):
        return sig.deriv(z, h, out) * 1.01 if out is None else np.multiply(
            sig.deriv(z, h, out), 1.01, out=out)

    monkeypatch.setattr(net, "activation", sig._replace(deriv=wrong))
    analytic = [g.copy() for g in net.backprop(X, Y)[1]]
    numeric = _numeric_gradients(net, X, Y, "quadratic", "sigmoid", 0.0)
    assert _relative_error(analytic[0], numeric[0]) > 1e-3


# the pairs scikit-learn's estimators train with (NeuralNetworkClassifier's quadratic cost too)
ESTIMATOR_PAIRS = [("log_loss", "softmax"), ("log_loss", "sigmoid"), ("squared_error", "identity"),
                   ("poisson", "exp"), ("quadratic", "sigmoid"), ("quadratic", "softmax")]


@pytest.mark.parametrize("cost,output", ESTIMATOR_PAIRS, ids=lambda v: v)
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_sample_weights_against_central_differences(cost, output, activation):
    """With sample weights the cost is sum w_i J_i / sum w, and so are its gradients (the
    L2 term is the caller's lambda, unscaled)."""
    net, X, Y = _make_case([4, 6, 5, 3], activation, output, cost, seed=21)
    w = np.random.default_rng(8).uniform(0.0, 3.0, X.shape[0])
    w[2] = 0.0  # a sample that does not count
    l2 = 0.05
    J, grad_W, grad_b = net.backprop(X, Y, l2, sample_weight=w)
    analytic = [g.copy() for g in grad_W + grad_b]
    assert J == pytest.approx(_total_cost(net, X, Y, cost, output, l2, weights=w), rel=1e-12)
    numeric = _numeric_gradients(net, X, Y, cost, output, l2, weights=w)
    for l, (a, n) in enumerate(zip(analytic, numeric)):
        assert _relative_error(a, n) < TOL, (l, _relative_error(a, n))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("weighted", [False, True])
def test_sparse_input_against_central_differences(fmt, weighted):
    """A sparse X (most entries 0) goes through the first layer as scipy's products, and
    gives the gradients of the same network on the dense X."""
    sparse = pytest.importorskip("scipy.sparse")
    net, X, Y = _make_case([6, 5, 3], "tanh", "softmax", "log_loss", seed=4)
    X[np.random.default_rng(3).random(X.shape) < 0.6] = 0.0
    Xs = sparse.csr_matrix(X) if fmt == "csr" else sparse.csc_matrix(X)
    w = np.random.default_rng(9).uniform(0.5, 2.0, X.shape[0]) if weighted else None
    J, grad_W, grad_b = net.backprop(Xs, Y, 0.01, sample_weight=w)
    analytic = [g.copy() for g in grad_W + grad_b]
    assert J == pytest.approx(_total_cost(net, X, Y, "log_loss", "softmax", 0.01, weights=w),
                              rel=1e-12)
    numeric = _numeric_gradients(net, X, Y, "log_loss", "softmax", 0.01, weights=w)
    for l, (a, n) in enumerate(zip(analytic, numeric)):
        assert _relative_error(a, n) < TOL, (l, _relative_error(a, n))
    np.testing.assert_allclose(net.predict_output(Xs), net.predict_output(X), rtol=1e-13)
