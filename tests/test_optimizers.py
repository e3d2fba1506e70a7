"""Optimizers and learning-rate schedules against the textbook formulas, written out by hand.

The problem is a tiny quadratic f(p) = 1/2 p^T A p - c^T p with A positive definite, split
over two parameter arrays (a 2x2 "weight" and a 2-vector "bias") so that each optimizer's
per-array state is exercised. Its gradient is A p - c and its minimum A^-1 c.
"""
import math

import numpy as np
import pytest

from neuralpath.buffers import flat_view
from neuralpath.network import Network
from neuralpath.optimizers import (
    OPTIMIZERS,
    SCHEDULES,
    Adam,
    GradientDescent,
    Momentum,
    Nesterov,
    SampleSchedule,
    get_schedule,
    make_optimizer,
)
from neuralpath.training import train

A = np.diag([1.0, 3.0, 0.5, 2.0, 1.5, 4.0]) + 0.1  # (6, 6), positive definite
C = np.array([1.0, -2.0, 0.5, 0.0, 3.0, -1.0])
START = np.array([0.3, -0.7, 1.1, 0.2, -0.4, 0.9])


def grad(theta):
    return A @ theta - C


def split(theta):
    """The flat 6-vector as the two arrays an optimizer updates: a (2, 2) and a (2,)."""
    return [theta[:4].reshape(2, 2).copy(), theta[4:].copy()]


def flat(params):
    return np.concatenate([p.ravel() for p in params])


def run(opt, steps, alpha):
    """Apply ``opt`` for ``steps`` steps of rate ``alpha``, each with the gradient at its
    current parameters."""
    params = split(START)
    for _ in range(steps):
        opt.update(params, split(grad(flat(params))), alpha)
    return flat(params)


def test_gradient_descent_one_step():
    alpha = 0.1
    expected = START - alpha * grad(START)  # tutorial 4.3: w_new = w_old - alpha grad
    np.testing.assert_allclose(run(GradientDescent(), 1, alpha), expected, rtol=0, atol=1e-15)


def test_momentum_matches_the_textbook_recursion():
    alpha, mu = 0.1, 0.9
    theta, v = START.copy(), np.zeros(6)
    v = mu * v - alpha * grad(theta)  # step 1 by hand: v1 = -alpha g0
    theta = theta + v
    np.testing.assert_allclose(run(Momentum(momentum=mu), 1, alpha), theta, rtol=0, atol=1e-15)
    for steps in (2, 3, 7):
        theta, v = START.copy(), np.zeros(6)
        for _ in range(steps):
            v = mu * v - alpha * grad(theta)
            theta = theta + v
        np.testing.assert_allclose(run(Momentum(momentum=mu), steps, alpha), theta,
                                   rtol=0, atol=1e-13)


def test_nesterov_one_step_by_hand():
    # look-ahead form from v0 = 0: v1 = -alpha g(theta0), theta1 = theta0 + v1; the engine
    # stores phi = theta + mu v, so after one step it holds theta0 - alpha (1 + mu) g(theta0)
    alpha, mu = 0.1, 0.9
    expected = START - alpha * (1 + mu) * grad(START)
    np.testing.assert_allclose(run(Nesterov(momentum=mu), 1, alpha), expected,
                               rtol=0, atol=1e-15)


@pytest.mark.parametrize("steps", [2, 3, 10])
def test_nesterov_equals_the_look_ahead_form(steps):
    """Sutskever et al.: v_{t+1} = mu v_t - alpha grad(theta_t + mu v_t), theta += v_{t+1}.
    The engine's parameters are phi_t = theta_t + mu v_t, where that gradient is taken."""
    alpha, mu = 0.05, 0.8
    theta, v = START.copy(), np.zeros(6)
    for _ in range(steps):
        v = mu * v - alpha * grad(theta + mu * v)
        theta = theta + v
    np.testing.assert_allclose(run(Nesterov(momentum=mu), steps, alpha), theta + mu * v,
                               rtol=0, atol=1e-13)


def test_adam_one_step_by_hand():
    # m1 = (1 - b1) g, v1 = (1 - b2) g^2; bias-corrected m_hat = g, v_hat = g^2, so the first
    # step is alpha g / (|g| + eps): about alpha in every coordinate, whatever the scale of g
    alpha, eps = 0.01, 1e-8
    g = grad(START)
    expected = START - alpha * g / (np.abs(g) + eps)
    np.testing.assert_allclose(run(Adam(), 1, alpha), expected, rtol=0, atol=1e-15)


@pytest.mark.parametrize("steps", [2, 5, 30])
def test_adam_matches_kingma_and_ba(steps):
    alpha, b1, b2, eps = 0.02, 0.8, 0.95, 1e-6
    theta, m, v = START.copy(), np.zeros(6), np.zeros(6)
    for t in range(1, steps + 1):
        g = grad(theta)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        theta = theta - alpha * m_hat / (np.sqrt(v_hat) + eps)
    opt = Adam(beta_1=b1, beta_2=b2, epsilon=eps)
    np.testing.assert_allclose(run(opt, steps, alpha), theta, rtol=0, atol=1e-13)
    assert opt.t == steps


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_finds_the_minimum(name):
    rate = {"adam": 0.05}.get(name, 0.1)
    opt = make_optimizer(name)
    params = split(START)
    for t in range(3000):
        if name == "adam" and t == 2000:
            rate = 0.001  # Adam's fixed step size needs a smaller rate to settle
        opt.update(params, split(grad(flat(params))), rate)
    np.testing.assert_allclose(flat(params), np.linalg.solve(A, C), atol=1e-3)


def test_learning_rate_changes_between_steps_take_effect():
    opt = Momentum(momentum=0.5)
    params = split(START)
    opt.update(params, split(grad(flat(params))), 0.1)
    v1 = -0.1 * grad(START)
    theta1 = START + v1
    opt.update(params, split(grad(flat(params))), 0.02)
    expected = theta1 + 0.5 * v1 - 0.02 * grad(theta1)
    np.testing.assert_allclose(flat(params), expected, rtol=0, atol=1e-15)


def test_an_update_changes_the_arrays_in_place():
    params = split(START)
    ids = [id(p) for p in params]
    views = [p for p in params]
    Adam().update(params, split(grad(START)), 0.1)
    assert [id(p) for p in params] == ids
    assert not np.allclose(flat(views), START)


def test_make_optimizer_options_and_bad_names():
    assert make_optimizer("momentum", momentum=0.95).momentum == 0.95
    assert make_optimizer("adam", beta_2=0.99).beta_2 == 0.99
    assert isinstance(make_optimizer("sgd"), GradientDescent)
    with pytest.raises(ValueError, match=r"optimizer must be one of .*got 'adamw'"):
        make_optimizer("adamw")
    with pytest.raises(ValueError, match=r"optimizer 'gd' takes the options \[\], got 'momentum'"):
        make_optimizer("gd", momentum=0.9)
    # the same check, and so the same words, as TrainConfig's field of that name
    with pytest.raises(ValueError, match=r"^momentum must be a number in \[0, 1\), got 1.5$"):
        make_optimizer("nesterov", momentum=1.5)
    with pytest.raises(ValueError, match=r"^beta_1 must be a number in \[0, 1\), got '0.9'$"):
        make_optimizer("adam", beta_1="0.9")


# ---- schedules --------------------------------------------------------------------------

def test_constant_schedule():
    rate = get_schedule("constant")
    assert [rate(0.3, e, 10) for e in range(10)] == [0.3] * 10


def test_step_schedule_halves_after_each_quarter():
    rate = get_schedule("step")
    got = [rate(0.8, e, 60) for e in range(60)]
    assert got[:15] == [0.8] * 15
    assert got[15:30] == [0.4] * 15
    assert got[30:45] == [0.2] * 15
    assert got[45:] == [0.1] * 15
    assert [rate(1.0, e, 3) for e in range(3)] == [1.0, 0.5, 0.25]  # fewer epochs than 4


def test_cosine_schedule():
    rate = get_schedule("cosine")
    got = [rate(0.2, e, 40) for e in range(40)]
    assert got[0] == 0.2
    assert got[20] == pytest.approx(0.1, abs=1e-15)  # half way: half the rate
    assert got[10] == pytest.approx(0.1 * (1 + math.cos(math.pi / 4)), abs=1e-15)
    assert all(a > b for a, b in zip(got, got[1:]))  # strictly decreasing
    assert 0 < got[-1] < 0.001  # the last epoch still learns a little
    assert rate(0.2, 0, 1) == 0.2  # a one-epoch run keeps the starting rate


def test_schedules_table_and_bad_name():
    assert sorted(SCHEDULES) == ["constant", "cosine", "step"]
    with pytest.raises(ValueError, match=r"schedule must be one of \['constant', 'cosine', "
                                         r"'step'\], got 'linear'"):
        get_schedule("linear")


@pytest.mark.parametrize("schedule", sorted(SCHEDULES))
def test_training_applies_the_schedule_each_epoch(schedule):
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(40, 3)), rng.random((40, 2))
    net = Network([3, 4, 2], random_state=0)
    seen = []

    real_update = Momentum.update

    def update(self, params, grads, learning_rate):
        seen.append(learning_rate)  # the rate the loop hands the optimizer at each step
        real_update(self, params, grads, learning_rate)

    opt = make_optimizer("momentum")
    opt.update = update.__get__(opt)
    history = train(net, X, Y, epochs=8, batch_size=10, optimizer=opt, schedule=schedule,
                    learning_rate=0.5, random_state=0)
    expected = [get_schedule(schedule)(0.5, e, 8) for e in range(8)]
    assert history.learning_rate == expected
    assert seen == [r for r in expected for _ in range(4)]  # 4 mini-batches per epoch


# --- scikit-learn's solvers are the engine's, with options -----------------------------------

def _sklearn_run(sk_opt, steps):
    """scikit-learn's own optimizer (its private module, an independent oracle) on the
    quadratic, from START."""
    params = split(START)
    sk_opt.__init__(params, **sk_opt.settings)
    for _ in range(steps):
        sk_opt.update_params(params, split(grad(flat(params))))
    return flat(params)


@pytest.mark.parametrize("solver", ["adam", "nesterov", "momentum"])
def test_scikit_learns_updates_are_the_engines(solver):
    """sklearn's AdamOptimizer is Adam(epsilon_hat=True); its SGDOptimizer with momentum is
    Momentum or Nesterov. Equal up to rounding (the order of a product differs)."""
    stochastic = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    steps, rate = 200, 0.05
    if solver == "adam":
        settings = dict(learning_rate_init=rate, beta_1=0.8, beta_2=0.99, epsilon=1e-3)
        sk = stochastic.AdamOptimizer.__new__(stochastic.AdamOptimizer)
        ours = Adam(beta_1=0.8, beta_2=0.99, epsilon=1e-3, epsilon_hat=True)
    else:
        settings = dict(learning_rate_init=rate, momentum=0.7,
                        nesterov=solver == "nesterov")
        sk = stochastic.SGDOptimizer.__new__(stochastic.SGDOptimizer)
        ours = (Nesterov if solver == "nesterov" else Momentum)(momentum=0.7)
    sk.settings = settings
    np.testing.assert_allclose(run(ours, steps, rate), _sklearn_run(sk, steps), rtol=1e-12,
                               atol=1e-14)


def test_epsilon_hat_moves_epsilon_only():
    """Adam with epsilon_hat differs from the default only through where epsilon stands:
    with epsilon 0 both are the same steps, with a large epsilon they part."""
    same = [run(Adam(epsilon=0.0, epsilon_hat=hat), 50, 0.05) for hat in (False, True)]
    np.testing.assert_allclose(same[0], same[1], rtol=1e-12)
    apart = [run(Adam(epsilon=0.1, epsilon_hat=hat), 50, 0.05) for hat in (False, True)]
    assert np.abs(apart[0] - apart[1]).max() > 1e-4
    assert make_optimizer("adam", epsilon_hat=True).epsilon_hat
    with pytest.raises(ValueError, match=r"epsilon_hat must be one of \[False, True\], got 2"):
        make_optimizer("adam", epsilon_hat=2)


@pytest.mark.parametrize("kind", ["constant", "invscaling", "adaptive"])
def test_sample_schedules_follow_scikit_learns(kind):
    """SampleSchedule gives the rates scikit-learn's SGDOptimizer takes, epoch by epoch and
    at plateaus, and asks to stop when it does."""
    stochastic = pytest.importorskip("sklearn.neural_network._stochastic_optimizers")
    sk = stochastic.SGDOptimizer(split(START), learning_rate_init=0.1, lr_schedule=kind,
                                 power_t=0.3)
    ours = SampleSchedule(kind, 0.1, power_t=0.3)
    for epoch in range(1, 40):
        sk.iteration_ends(epoch * 64)
        ours.epoch_ends(epoch * 64)
        assert ours.learning_rate == sk.learning_rate
        if epoch % 3 == 0:  # a plateau
            stop = sk.trigger_stopping("", verbose=False)
            assert (ours.plateau() != "lowered") == stop
            assert ours.learning_rate == sk.learning_rate
            if stop:
                break
    with pytest.raises(ValueError, match="schedule must be one of"):
        SampleSchedule("cosine")


# ---- the flat path: W and b back to back, one pass per operation -----------------------------

@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adam"])
def test_back_to_back_parameters_update_as_separate_arrays_do(name):
    """A Network keeps every W then every b in one buffer, and each optimizer then updates
    them as one 1-D array: exactly the numbers of the same update array by array."""
    net = Network([6, 5, 3], random_state=0)
    assert flat_view(net.params) is not None
    apart = [p.copy() for p in net.params]  # separate arrays: the per-array path
    assert flat_view(apart) is None
    rng = np.random.default_rng(1)
    packed_opt, apart_opt = make_optimizer(name), make_optimizer(name)
    for _ in range(5):
        grads = [rng.normal(size=p.shape) for p in apart]
        flat_grads = net.workspace(4).grad_W + net.workspace(4).grad_b  # back to back too
        for g, src in zip(flat_grads, grads):
            np.copyto(g, src)
        packed_opt.update(net.params, flat_grads, 0.01)
        apart_opt.update(apart, grads, 0.01)
    for p, q in zip(net.params, apart):
        np.testing.assert_array_equal(p, q)
    state = packed_opt.state()  # per array, in C order, as before
    assert all(b.shape == p.shape and b.flags.c_contiguous
               for kind in state["buffers"] for b, p in zip(kind, apart))
    resumed = make_optimizer(name)
    resumed.load_state(state)
    for kind, saved in zip(resumed.state()["buffers"], state["buffers"]):
        for b, s in zip(kind, saved):
            np.testing.assert_array_equal(b, s)
    twin = Network([6, 5, 3], random_state=0)  # the same weights, packed too
    for p, q in zip(twin.params, net.params):
        np.copyto(p, q)
    grads = [rng.normal(size=p.shape) for p in apart]
    for g, src in zip(flat_grads, grads):
        np.copyto(g, src)
    packed_opt.update(net.params, flat_grads, 0.01)
    resumed.update(twin.params, flat_grads, 0.01)  # laid out back to back at this update
    assert all(flat_view(kind) is not None for kind in resumed._scratch or [])
    for p, q in zip(net.params, twin.params):
        np.testing.assert_array_equal(p, q)


@pytest.mark.parametrize("name", ["gd", "momentum", "nesterov", "adam"])
def test_float32_weights_of_the_first_layer_in_fortran_order_update_as_c_arrays_do(name):
    """In float32 a Network whose first layer feeds 128 nodes or more keeps W[0] in Fortran
    order (buffers.weight_orders: faster products; narrower ones and float64 stay in C
    order); the flat update then pairs every element with its own gradient, as the
    per-array update of C-ordered copies does, and a state loaded from C arrays is laid
    out in the parameters' orders."""
    net = Network([7, 128, 3], random_state=0, dtype="float32")  # a wide first layer
    assert net.W[0].flags.f_contiguous and not net.W[0].flags.c_contiguous
    assert Network([7, 30, 3], dtype="float32").W[0].flags.c_contiguous
    assert Network([7, 128, 3]).W[0].flags.c_contiguous  # float64
    assert net.W[1].flags.c_contiguous and flat_view(net.params) is not None
    apart = [np.array(p, order="C") for p in net.params]
    rng = np.random.default_rng(2)
    packed_opt, apart_opt = make_optimizer(name), make_optimizer(name)
    grads_ws = net.workspace(4).grad_W + net.workspace(4).grad_b
    assert grads_ws[0].flags.f_contiguous and flat_view(grads_ws) is not None
    for step in range(4):
        grads = [rng.normal(size=p.shape).astype(np.float32) for p in apart]
        for g, src in zip(grads_ws, grads):
            np.copyto(g, src)
        packed_opt.update(net.params, grads_ws, 0.01)
        apart_opt.update(apart, grads, 0.01)
        if step == 1:  # through a state, as a resumed run does
            packed_opt, state = make_optimizer(name), packed_opt.state()
            packed_opt.load_state(state)
    for p, q in zip(net.params, apart):  # element-wise operations: the same numbers
        np.testing.assert_array_equal(p, q)
