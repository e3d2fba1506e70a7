"""The engine against the tutorial's own listing, its cost, seeds and extremes.

Gradient checks by central differences, for every activation and cost, are in
test_gradients.py.
"""
import numpy as np
import pytest

from neuralpath import Network, TrainingDiverged, train
from neuralpath.activations import sigmoid
from neuralpath.pipeline import train_preset
from neuralpath.tutorial import section5


def test_cost_is_the_tutorials_J():
    """J = (1/m) sum 1/2 ||y - h||^2 (section 4.2), from the listing's own feed_forward."""
    rng = np.random.default_rng(0)
    net = Network([5, 4, 3], random_state=0)
    X, Y = rng.normal(size=(7, 5)), np.eye(3)[rng.integers(0, 3, 7)]
    W = {l + 1: w for l, w in enumerate(net.W)}
    b = {l + 1: v for l, v in enumerate(net.b)}
    J = np.mean([0.5 * np.sum((Y[i] - section5.feed_forward(X[i], W, b)[0][3]) ** 2)
                 for i in range(7)])
    assert net.backprop(X, Y)[0] == pytest.approx(J, rel=1e-13)


def test_engine_equals_tutorial_train_nn(digits_split):
    """Same start, 5 iterations on the digits training set: same W, b and outputs to 1e-10."""
    X, Y = digits_split["X_train"], digits_split["Y_train"]
    net = Network([64, 30, 10], random_state=3)
    W0 = {l + 1: w.copy() for l, w in enumerate(net.W)}
    b0 = {l + 1: v.copy() for l, v in enumerate(net.b)}
    W, b, avg_cost = section5.train_nn([64, 30, 10], X, Y, iter_num=5, alpha=0.25,
                                       W0=W0, b0=b0, verbose=False)
    history = train(net, X, Y, iterations=5, learning_rate=0.25)
    for l in range(2):
        np.testing.assert_allclose(net.W[l], W[l + 1], rtol=0, atol=1e-10)
        np.testing.assert_allclose(net.b[l], b[l + 1], rtol=0, atol=1e-10)
    X_te = digits_split["X_test"]
    tutorial_out = np.array([section5.feed_forward(x, W, b)[0][3] for x in X_te])
    np.testing.assert_allclose(net.predict_output(X_te), tutorial_out, rtol=0, atol=1e-10)
    # the listing's avg_cost is the mean of the norms ||y - h||, the engine's cost is J
    start = Network([64, 30, 10], random_state=3)
    norms = np.linalg.norm(Y - start.predict_output(X), axis=1)  # (m,)
    assert avg_cost[0] == pytest.approx(norms.mean(), rel=1e-12)
    assert history.cost[0] == pytest.approx(0.5 * np.mean(norms ** 2), rel=1e-12)
    assert len(avg_cost) == len(history.cost) == 5
    assert avg_cost[-1] < avg_cost[0] and history.cost[-1] < history.cost[0]


def test_printed_indentation_would_differ(digits_split):
    """The restored listing updates layer 1 too: W[1] moves after one iteration."""
    X, Y = digits_split["X_train"][:50], digits_split["Y_train"][:50]
    W, b = section5.setup_and_init_weights([64, 30, 10], np.random.default_rng(0))
    W1 = W[1].copy()
    W, b, _ = section5.train_nn([64, 30, 10], X, Y, 1, 0.25, W0=W, b0=b, verbose=False)
    assert not np.allclose(W[1], W1)


def test_training_is_reproducible():
    a = train_preset("tutorial", seed=7, iterations=20)[0]
    b = train_preset("tutorial", seed=7, iterations=20)[0]
    c = train_preset("tutorial", seed=8, iterations=20)[0]
    for wa, wb, wc in zip(a.network.W, b.network.W, c.network.W):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sigmoid_saturates_without_warning(dtype):
    z = np.array([-1000.0, -745.0, 0.0, 745.0, 1000.0], dtype=dtype)
    h = sigmoid(z)  # warnings are errors in this suite
    assert h[0] == 0.0 and h[-1] == 1.0 and h[2] == 0.5
    assert h.dtype == dtype


def test_extreme_inputs_stay_finite():
    net = Network([3, 4, 2], random_state=0)
    X = np.array([[1e300, -1e300, 0.0], [1e6, 1e6, -1e6]])
    out = net.predict_output(X)
    assert np.all(np.isfinite(out)) and np.all((out >= 0) & (out <= 1))


def test_initial_weights_are_uniform_0_1_and_seeded():
    a, b = Network([64, 30, 10], random_state=5), Network([64, 30, 10], random_state=5)
    for wa, wb in zip(a.params, b.params):
        np.testing.assert_array_equal(wa, wb)
        assert wa.min() >= 0.0 and wa.max() < 1.0
    assert a.W[0].shape == (30, 64) and a.W[1].shape == (10, 30)  # (s_{l+1}, s_l)
    assert a.b[0].shape == (30,) and a.b[1].shape == (10,)


def test_divergence_keeps_the_last_finite_weights():
    rng = np.random.default_rng(0)
    net = Network([3, 8, 1], activation="relu", output_activation="identity",
                  initializer="he", random_state=0)
    X, Y = rng.normal(size=(20, 3)) * 100, rng.normal(size=(20, 1)) * 100
    with pytest.raises(TrainingDiverged, match=r"iteration \d+.*smaller learning rate") as info:
        train(net, X, Y, iterations=500, learning_rate=1e3)
    assert info.value.history.stopped == "diverged"
    assert all(np.all(np.isfinite(p)) for p in net.params)
    assert np.isfinite(net.backprop(X, Y)[0])


@pytest.mark.parametrize("kwargs, message", [
    (dict(layer_sizes=[64]), "layer_sizes"),
    (dict(layer_sizes=[64, 0, 10]), "layer_sizes"),
    (dict(layer_sizes="64,30,10"), "layer_sizes"),
    (dict(layer_sizes=[4, 2], activation="swish"), "activation"),
    (dict(layer_sizes=[4, 2], cost="hinge"), "cost"),
    (dict(layer_sizes=[4, 2], initializer="zeros"), "initializer"),
    (dict(layer_sizes=[4, 2], dtype="int32"), "dtype"),
    (dict(layer_sizes=[4, 2], activation="relu", output_activation="identity",
          cost="cross_entropy"), "output_activation"),
])
def test_bad_network_arguments_name_the_parameter(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Network(**kwargs)


@pytest.mark.parametrize("kwargs, message", [
    (dict(iterations=0), "iterations"),
    (dict(iterations=None), "exactly one"),
    (dict(iterations=5, epochs=5), "exactly one"),
    (dict(iterations=5, learning_rate=-0.1), "learning_rate"),
    (dict(iterations=5, learning_rate=float("nan")), "learning_rate"),
    (dict(iterations=5, l2=-1.0), "l2"),
    (dict(iterations=5, dropout=1.0), "dropout"),
    (dict(iterations=5, batch_size=0), "batch_size"),
    (dict(iterations=5, optimizer="lbfgs"), "optimizer"),
    (dict(iterations=5, schedule="warmup"), "schedule"),
])
def test_bad_training_arguments_name_the_parameter(kwargs, message):
    net = Network([3, 2], random_state=0)
    with pytest.raises(ValueError, match=message):
        train(net, np.zeros((4, 3)), np.zeros((4, 2)), **kwargs)


def test_narrow_float64_layers_in_fortran_order_give_the_same_gradients():
    """A float64 hidden layer narrower than NARROW_LAYER works in Fortran order (faster BLAS
    products): its cost and gradients equal those of a C-ordered computation to rounding."""
    from neuralpath import buffers
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 8)), np.eye(3)[rng.integers(0, 3, 40)]
    masks = [None, (rng.random((40, 7)) >= 0.3) / 0.7, None]
    results = []
    for narrow in (buffers.NARROW_LAYER, 0):  # 0: every layer in C order
        old, buffers.NARROW_LAYER = buffers.NARROW_LAYER, narrow
        try:
            net = Network([8, 7, 3], "relu", "softmax", "cross_entropy", "he", random_state=0)
            cost, gW, gb = net.backprop(X, Y, 1e-3, masks)
            order_f = net.workspace(40).h[1].flags.f_contiguous
            results.append((cost, [g.copy() for g in gW + gb], order_f))
        finally:
            buffers.NARROW_LAYER = old
    assert results[0][2] and not results[1][2]
    assert results[0][0] == pytest.approx(results[1][0], rel=1e-13)
    for g, h in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(g, h, rtol=1e-12, atol=1e-15)
