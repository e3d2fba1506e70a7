"""The training loop: steps by hand, mini-batches, L2, dropout, early stopping, History,
divergence, Ctrl-C, bad input, and the train options of the command line."""
import io
import json
import signal

import numpy as np
import pytest

from neuralpath import cli
from neuralpath.network import Network
from neuralpath.training import History, TrainingDiverged, accuracy, train


@pytest.fixture(scope="module")
def small(digits_split):
    """200 training and 100 validation rows of the seed-0 digits split."""
    d = digits_split
    return (d["X_train"][:200], d["Y_train"][:200], d["X_test"][:100], d["Y_test"][:100])


def snapshot(net):
    return [p.copy() for p in net.params]


def assert_params_equal(net, saved):
    for p, s in zip(net.params, saved):
        np.testing.assert_array_equal(p, s)


# ---- one step by hand ----------------------------------------------------------------------

def test_full_batch_step_is_the_tutorials_update(small):
    """tutorial 4.9 with the follow-up post's L2: W -= alpha ((1/m) Delta W + lambda W),
    b -= alpha (1/m) Delta b, from gradients taken without L2."""
    X, Y = small[0], small[1]
    net = Network([64, 30, 10], random_state=1)
    W0, b0 = [w.copy() for w in net.W], [b.copy() for b in net.b]
    _, gW, gb = net.backprop(X, Y, 0.0)
    gW, gb = [g.copy() for g in gW], [g.copy() for g in gb]
    alpha, lam = 0.25, 0.001
    history = train(net, X, Y, iterations=1, learning_rate=alpha, l2=lam)
    for l in range(2):
        np.testing.assert_allclose(net.W[l], W0[l] - alpha * (gW[l] + lam * W0[l]),
                                   rtol=0, atol=1e-14)
        np.testing.assert_allclose(net.b[l], b0[l] - alpha * gb[l], rtol=0, atol=1e-14)
    assert history.iterations == history.epochs == 1 and len(history.cost) == 1


def test_batch_size_at_least_m_is_full_batch(small):
    X, Y = small[0], small[1]
    a, b = Network([64, 8, 10], random_state=2), Network([64, 8, 10], random_state=2)
    train(a, X, Y, iterations=5, batch_size=None)
    train(b, X, Y, iterations=5, batch_size=10_000, random_state=123)
    assert_params_equal(b, a.params)


# ---- mini-batches --------------------------------------------------------------------------

def test_each_epoch_visits_every_row_once_in_a_new_order():
    m = 23
    X = np.arange(m, dtype=float)[:, None] * np.ones((1, 3))  # row i holds i
    Y = np.zeros((m, 2))
    net = Network([3, 2, 2], random_state=0)
    seen = []
    original = net.backprop

    def spy(Xb, Yb, l2=0.0, masks=None):
        seen.append(Xb[:, 0].astype(int).tolist())
        return original(Xb, Yb, l2, masks)

    net.backprop = spy
    history = train(net, X, Y, epochs=3, batch_size=5, random_state=4)
    assert [len(b) for b in seen] == [5, 5, 5, 5, 3] * 3  # the last batch holds the rest
    epochs = [sum(seen[i:i + 5], []) for i in range(0, 15, 5)]
    for order in epochs:
        assert sorted(order) == list(range(m))
    assert epochs[0] != epochs[1] != epochs[2] and epochs[0] != list(range(m))
    assert history.iterations == 15 and history.epochs == 3


def test_iterations_may_end_inside_an_epoch(small):
    X, Y = small[0], small[1]
    net = Network([64, 8, 10], random_state=0)
    history = train(net, X, Y, iterations=7, batch_size=64, optimizer="momentum",
                    learning_rate=0.05, random_state=0)  # 4 batches per epoch
    assert history.iterations == 7 and len(history.cost) == 7
    assert history.epochs == 1 and len(history.train_cost) == 1
    assert len(history.learning_rate) == 2  # the second epoch was started


def test_same_seed_same_weights_other_seed_other_weights(small):
    X, Y = small[0], small[1]
    nets = [Network([64, 16, 10], "relu", "softmax", "cross_entropy", "he", random_state=0)
            for _ in range(3)]
    for net, seed in zip(nets, (5, 5, 6)):
        train(net, X, Y, epochs=2, batch_size=32, optimizer="adam", learning_rate=0.01,
              dropout=0.2, random_state=seed)
    assert_params_equal(nets[1], nets[0].params)
    assert not np.allclose(nets[2].W[0], nets[0].W[0])


# ---- history -------------------------------------------------------------------------------

def test_history_per_epoch_records(small):
    X, Y, Xv, Yv = small
    net = Network([64, 16, 10], "tanh", "softmax", "cross_entropy", "xavier", random_state=0)
    epochs = []

    class Recorder:
        def on_epoch_end(self, epoch, record):
            epochs.append(record)

    history = train(net, X, Y, epochs=6, batch_size=50, optimizer="adam", learning_rate=0.01,
                    l2=0.01, validation_data=(Xv, Yv), callbacks=[Recorder()], random_state=0)
    assert history.epochs == 6 and history.iterations == 24
    for name in ("train_cost", "val_cost", "val_accuracy", "learning_rate"):
        assert len(getattr(history, name)) == 6
    assert [r["epoch"] for r in epochs] == list(range(6))
    assert [r["val_cost"] for r in epochs] == history.val_cost
    assert history.train_cost[-1] < history.train_cost[0]
    assert history.val_accuracy[-1] > 0.7
    # val_cost / val_accuracy are those of the weights at the end of the run
    out = net.predict_output(Xv)
    assert history.val_cost[-1] == pytest.approx(-np.sum(Yv * np.log(out)) / len(Yv), rel=1e-9)
    assert history.val_accuracy[-1] == accuracy(out, Yv)
    # train_cost is the data cost: the iteration costs hold lambda/2 sum ||W||^2 on top
    assert history.train_cost[0] < np.mean(history.cost[:4])
    assert history.stopped == "completed" and history.best_epoch is None
    assert history.seconds > 0 and set(history.as_dict()) >= {"cost", "val_cost", "stopped"}


def test_full_batch_train_cost_equals_the_iteration_cost_without_l2(small):
    X, Y = small[0], small[1]
    net = Network([64, 10, 10], random_state=0)
    history = train(net, X, Y, iterations=3)
    assert history.train_cost == pytest.approx(history.cost, rel=1e-12)


# ---- dropout -------------------------------------------------------------------------------

def test_dropout_masks_are_inverted_and_off_at_prediction(small):
    X, Y = small[0], small[1]
    net = Network([64, 400, 10], "relu", "softmax", "cross_entropy", "he", random_state=0)
    p = 0.3
    masks_seen = []
    original = net.backprop

    def spy(Xb, Yb, l2=0.0, masks=None):
        masks_seen.append([None if mk is None else mk.copy() for mk in masks])
        return original(Xb, Yb, l2, masks)

    net.backprop = spy
    train(net, X, Y, iterations=3, batch_size=100, optimizer="adam", learning_rate=1e-3,
          dropout=p, random_state=0)
    for masks in masks_seen:
        assert masks[0] is None and masks[-1] is None  # inputs and outputs are never dropped
        mk = masks[1]
        assert set(np.unique(mk)) == {0.0, 1 / (1 - p)}
        assert abs((mk == 0).mean() - p) < 0.02  # 40,000 draws per mask
    assert not np.array_equal(masks_seen[0][1], masks_seen[1][1])  # a new mask every step
    first = net.predict_output(X)
    np.testing.assert_array_equal(net.predict_output(X), first)  # deterministic prediction


def test_dropout_parts_are_independent_draws_at_the_right_rate():
    """Each float64 draw decides three nodes from disjoint bits (dropout.PART_BITS): each
    part keeps 1 - p of its nodes, and two parts of the same draws agree as often as
    independent ones do, (1 - p)^2 + p^2. The masks come from the run's generator alone."""
    from neuralpath.dropout import PART_BITS, DropoutMasks
    p = 0.3
    net = Network([5, 300, 200, 4], "relu", "softmax", "cross_entropy", "he", random_state=0)
    masks = DropoutMasks(net, p, np.random.default_rng(5))
    keeps = []
    for _ in range(20):  # 20 x 64 x 500 = 640,000 nodes
        drawn = masks.draw(64)
        assert drawn[0] is None and drawn[-1] is None and len(drawn) == 4
        assert [mk.shape for mk in drawn[1:-1]] == [(64, 300), (64, 200)]
        assert set(np.unique(np.concatenate([mk.ravel() for mk in drawn[1:-1]]))) == \
            {0.0, 1 / (1 - p)}
        keeps.append(masks.buffers[64][2].copy())  # the kept flags, part after part
    keep = np.array(keeps)
    third = keep.shape[1] // len(PART_BITS)
    parts = [keep[:, j * third:(j + 1) * third] for j in range(len(PART_BITS))]
    for part in parts:
        assert abs(part.mean() - (1 - p)) < 0.003  # 213,000 nodes a part: sd 0.001
    for a, b in ((0, 1), (1, 2), (0, 2)):  # node i of part a and of part b: one draw
        assert abs((parts[a] == parts[b]).mean() - ((1 - p) ** 2 + p ** 2)) < 0.004
    again = DropoutMasks(net, p, np.random.default_rng(5)).draw(64)  # same seed, same masks
    np.testing.assert_array_equal(again[1], keeps[0][:64 * 300].reshape(64, 300) / (1 - p))


def test_no_dropout_no_masks(small):
    X, Y = small[0], small[1]
    net = Network([64, 5, 10], random_state=0)
    calls = []
    original = net.backprop
    net.backprop = lambda Xb, Yb, l2=0.0, masks=None: (calls.append(masks),
                                                        original(Xb, Yb, l2, masks))[1]
    train(net, X, Y, iterations=2)
    assert calls == [None, None]


# ---- early stopping ------------------------------------------------------------------------

def test_early_stopping_restores_the_best_weights(small):
    """Validation labels are permuted, so the validation cost soon rises while training
    fits: training stops after ``patience`` worse epochs with the best epoch's weights."""
    X, Y, Xv, Yv = small
    Yv_wrong = np.roll(Yv, 3, axis=1)
    net = Network([64, 32, 10], "relu", "softmax", "cross_entropy", "he", random_state=0)
    weights_after = {}

    class Keeper:
        def on_epoch_end(self, epoch, record):
            weights_after[epoch] = snapshot(net)

    history = train(net, X, Y, epochs=200, batch_size=20, optimizer="adam",
                    learning_rate=0.01, validation_data=(Xv, Yv_wrong), early_stopping=True,
                    patience=3, callbacks=[Keeper()], random_state=0)
    assert history.stopped == "early_stopping"
    best = int(np.argmin(history.val_cost))
    assert history.best_epoch == best
    assert history.epochs == best + 1 + 3  # three epochs without improvement, then stop
    assert_params_equal(net, weights_after[best])
    assert not np.array_equal(net.W[0], weights_after[history.epochs - 1][0])


def test_early_stopping_keeps_the_best_epoch_when_the_run_completes(small):
    X, Y, Xv, Yv = small
    net = Network([64, 16, 10], "relu", "softmax", "cross_entropy", "he", random_state=1)
    kept = {}
    history = train(net, X, Y, epochs=5, batch_size=50, optimizer="adam", learning_rate=0.3,
                    validation_data=(Xv, Yv), early_stopping=True, patience=50,
                    callbacks=[type("K", (), {"on_epoch_end": lambda self, e, r:
                                               kept.__setitem__(e, snapshot(net))})()],
                    random_state=0)
    assert history.stopped == "completed" and history.epochs == 5
    assert history.best_epoch == int(np.argmin(history.val_cost))
    assert_params_equal(net, kept[history.best_epoch])


# ---- divergence ----------------------------------------------------------------------------

def test_divergence_raises_and_keeps_the_last_finite_weights():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(30, 4)) * 10, rng.normal(size=(30, 2)) * 10
    net = Network([4, 8, 2], "relu", "identity", "quadratic", "he", random_state=0)
    after = [snapshot(net)]  # after[i]: the weights after i updates
    callback = type("K", (), {"on_iteration": lambda self, i, c: after.append(snapshot(net))})()
    with pytest.raises(TrainingDiverged, match=r"the cost (became (nan|inf)|grew from \S+ to "
                       r"\S+) at iteration \d+; try a smaller learning rate than 5\.0") as info:
        train(net, X, Y, iterations=500, learning_rate=5.0, callbacks=[callback])
    history = info.value.history
    assert history.stopped == "diverged" and 0 < history.iterations < 500
    assert all(np.isfinite(p).all() for p in net.params)
    assert all(np.isfinite(history.cost))
    assert_params_equal(net, after[history.iterations - 1])  # the weights of cost[-1]
    assert f"at iteration {history.iterations + 1};" in str(info.value)
    assert net.backprop(X, Y)[0] == pytest.approx(history.cost[-1], rel=1e-12)


def test_weights_that_overflow_on_the_last_step_are_not_kept():
    X, Y = np.ones((4, 2)), np.full((4, 1), 1e100)  # J about 1e200: still finite
    net = Network([2, 1], "sigmoid", "identity", "quadratic", "xavier", random_state=0)
    before = snapshot(net)
    with pytest.raises(TrainingDiverged, match="the weights left the safe range of float64"):
        train(net, X, Y, iterations=1, learning_rate=1e300)
    assert_params_equal(net, before)


# ---- Ctrl-C --------------------------------------------------------------------------------

class CtrlCAt:
    """Sends SIGINT to this process from inside the training loop, after update ``at``."""

    def __init__(self, net, at):
        self.net, self.at, self.kept = net, at, None

    def on_iteration(self, iteration, cost):
        if iteration == self.at:
            self.kept = snapshot(self.net)
            signal.raise_signal(signal.SIGINT)


def test_ctrl_c_stops_after_a_complete_update(small):
    X, Y = small[0], small[1]
    net = Network([64, 16, 10], random_state=0)
    handler = signal.getsignal(signal.SIGINT)
    probe = CtrlCAt(net, 7)
    history = train(net, X, Y, epochs=10, batch_size=50, optimizer="nesterov",
                    learning_rate=0.1, callbacks=[probe], random_state=0)
    assert history.stopped == "interrupted"
    assert history.iterations == 7 and len(history.cost) == 7
    assert history.epochs == 1  # the second epoch (iterations 5..8) was cut short
    assert_params_equal(net, probe.kept)  # no half-done update after the signal
    assert signal.getsignal(signal.SIGINT) is handler  # the previous handler is back


def test_ctrl_c_with_early_stopping_keeps_the_best_weights(small):
    X, Y, Xv, Yv = small
    net = Network([64, 16, 10], "relu", "softmax", "cross_entropy", "he", random_state=0)
    kept = {}

    class Both(CtrlCAt):
        def on_epoch_end(self, epoch, record):
            kept[epoch] = snapshot(net)

    history = train(net, X, Y, epochs=10, batch_size=50, optimizer="adam", learning_rate=0.05,
                    validation_data=(Xv, Yv), early_stopping=True, callbacks=[Both(net, 14)],
                    random_state=0)
    assert history.stopped == "interrupted" and history.epochs == 3
    assert_params_equal(net, kept[history.best_epoch])


def test_ctrl_c_passes_through_when_not_handled(small):
    X, Y = small[0], small[1]
    net = Network([64, 4, 10], random_state=0)
    with pytest.raises(KeyboardInterrupt):
        train(net, X, Y, iterations=10, callbacks=[CtrlCAt(net, 2)], handle_interrupt=False)


def test_ctrl_c_on_the_last_update_still_completes(small):
    X, Y = small[0], small[1]
    net = Network([64, 4, 10], random_state=0)
    history = train(net, X, Y, iterations=3, callbacks=[CtrlCAt(net, 3)])
    assert history.stopped == "completed" and history.iterations == 3


# ---- bad input -----------------------------------------------------------------------------

def _net():
    return Network([3, 4, 2], random_state=0)


X3, Y2 = np.zeros((5, 3)), np.zeros((5, 2))


@pytest.mark.parametrize("kwargs,message", [
    (dict(iterations=None), "give exactly one of iterations or epochs"),
    (dict(iterations=5, epochs=5), "give exactly one of iterations or epochs"),
    (dict(iterations=0), "iterations must be a positive integer, got 0"),
    (dict(iterations=2.5), "iterations must be a positive integer, got 2.5"),
    (dict(iterations=True), "iterations must be a positive integer, got True"),
    (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
    (dict(patience=0), "patience must be a positive integer, got 0"),
    (dict(learning_rate=0), "learning_rate must be a positive number, got 0"),
    (dict(learning_rate=float("nan")), "learning_rate must be a positive number, got nan"),
    (dict(learning_rate="0.1"), "learning_rate must be a positive number, got '0.1'"),
    (dict(l2=-1e-3), "l2 must be a number >= 0, got -0.001"),
    (dict(dropout=1.0), r"dropout must be a number in \[0, 1\), got 1.0"),
    (dict(dropout=-0.1), r"dropout must be a number in \[0, 1\), got -0.1"),
    (dict(optimizer="rmsprop"), "optimizer must be one of"),
    (dict(schedule="linear"), "schedule must be one of"),
    (dict(early_stopping=True), "early_stopping needs validation_data"),
    (dict(validation_data=X3), "validation_data must be a pair"),
    (dict(validation_data=(X3, np.zeros((5, 3)))), r"Y_val must have shape \(5, 2\)"),
    (dict(validation_data=(np.zeros((5, 4)), Y2)), r"X_val must have shape \(m, 3\)"),
])
def test_bad_arguments_name_the_parameter(kwargs, message):
    kwargs = {"iterations": 1, **kwargs}
    with pytest.raises(ValueError, match=message):
        train(_net(), X3, Y2, **kwargs)


@pytest.mark.parametrize("X,Y,message", [
    (np.zeros((5, 4)), Y2, r"X must have shape \(m, 3\) for layer_sizes \[3, 4, 2\], got "
                           r"\(5, 4\)"),
    (np.zeros(3), Y2, r"X must have shape \(m, 3\)"),
    (X3, np.zeros((5, 3)), r"Y must have shape \(5, 2\): one row of 2 targets per input row, "
                           r"got \(5, 3\)"),
    (X3, np.zeros((4, 2)), r"Y must have shape \(5, 2\)"),
    (np.zeros((0, 3)), np.zeros((0, 2)), "X must hold at least one sample, got 0 rows"),
    (np.full((5, 3), np.nan), Y2, "X and Y must hold finite numbers only"),
    (X3, np.full((5, 2), np.inf), "X and Y must hold finite numbers only"),
])
def test_bad_data_is_named(X, Y, message):
    net = _net()
    before = snapshot(net)
    with pytest.raises(ValueError, match=message):
        train(net, X, Y, iterations=1)
    assert_params_equal(net, before)


def test_history_defaults():
    h = History()
    assert h.stopped == "completed" and h.iterations == 0 and h.cost == []


# ---- command line --------------------------------------------------------------------------

def test_cli_train_with_the_follow_up_posts_options(tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["train", "--layer-sizes", "64,32,10", "--activation", "leaky_relu",
                     "--output-activation", "softmax", "--cost", "cross_entropy",
                     "--initializer", "he", "--optimizer", "nesterov", "--learning-rate",
                     "0.05", "--schedule", "cosine", "--epochs", "4", "--batch-size", "32",
                     "--l2", "0.0001", "--dropout", "0.1", "--early-stopping", "--seed", "3",
                     "--out", str(tmp_path / "m.npz"), "--plot", str(tmp_path / "c.png"),
                     "--json", "--no-progress"], out=out, err=err)
    assert code == 0, err.getvalue()
    result = json.loads(out.getvalue())
    assert result["epochs"] <= 4 and result["layer_sizes"] == [64, 32, 10]
    assert result["test_accuracy"] > 0.8
    assert (tmp_path / "m.npz").stat().st_size > 0
    assert (tmp_path / "c.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("argv,message", [
    (["--dropout", "1.5"], "--dropout must be a number in [0, 1), got 1.5"),
    (["--optimizer", "rmsprop"], "argument --optimizer: invalid choice: 'rmsprop'"),
    (["--schedule", "linear"], "argument --schedule: invalid choice: 'linear'"),
    (["--l2", "-1"], "--l2 must be a number >= 0, got -1.0"),
    (["--epochs", "2", "--iterations", "3"], "not allowed with argument"),
])
def test_cli_bad_train_options_exit_2_with_one_line(argv, message, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    code = cli.main(["train", *argv, "--out", str(tmp_path / "m.npz"), "--no-progress"],
                    out=out, err=err)
    assert code == 2
    lines = err.getvalue().strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err.getvalue()
    assert not (tmp_path / "m.npz").exists()


def test_float32_training_with_dropout_stays_float32(small):
    X, Y = small[0], small[1]
    net = Network([64, 16, 10], "relu", "softmax", "cross_entropy", "he", random_state=0,
                  dtype="float32")
    history = train(net, X, Y, epochs=2, batch_size=64, optimizer="adam", learning_rate=0.01,
                    dropout=0.3, l2=1e-4, random_state=0)
    assert history.epochs == 2 and history.train_cost[1] < history.train_cost[0]
    assert all(p.dtype == np.float32 for p in net.params)
