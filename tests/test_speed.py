"""Speed work, checked for correctness (never for time): the training loop allocates no
arrays once warmed up, the fast sigmoid is accurate, mini-batches are gathered right,
float32 learns as well as float64, BLAS threads are capped for small products, and the
benchmark code (``neuralpath bench``, benchmarks/train_speed.py and products.py) runs on tiny
sizes."""
import importlib.util
import json
import os
import runpy
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from neuralpath import Network, bench, train
from neuralpath.activations import sigmoid
from neuralpath.blas import SINGLE_THREAD_BELOW, blas_thread_count, blas_threads, pinned
from neuralpath.cli import main
from neuralpath.optimizers import make_optimizer
from neuralpath.pipeline import train_preset

HAS_TORCH = importlib.util.find_spec("torch") is not None
SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_speed.py"
PRODUCTS = SCRIPT.with_name("products.py")

# No per-iteration allocation may exceed this; every array the loop works on is >= 8 kB in
# the cases below, while Python's own small objects (a float cost, views, a list that grows
# by a few pointers) stay well under it.
ALLOWANCE = 4096


class _AllocationProbe:
    """A callback: how far tracemalloc's peak rose during each iteration (past the skipped)."""

    def __init__(self, skip):
        self.skip, self.rises, self.base = skip, [], None

    def on_iteration(self, iteration, cost):
        _, peak = tracemalloc.get_traced_memory()
        if self.base is not None and not self.skip(iteration):
            self.rises.append(peak - self.base)
        tracemalloc.reset_peak()
        self.base = tracemalloc.get_traced_memory()[0]


class _Allocates:
    """A callback that makes one 8 kB array per iteration: the probe must see it."""

    def on_iteration(self, iteration, cost):
        self.last = np.ones(1024)


def _traced_rises(net, X, Y, callbacks=(), skip=lambda i: i <= 1, **kwargs):
    probe = _AllocationProbe(skip)
    tracemalloc.start()
    try:
        train(net, X, Y, callbacks=[probe, *callbacks], handle_interrupt=False, **kwargs)
    finally:
        tracemalloc.stop()
    return probe.rises


def _data(m, sizes, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(m, sizes[0])).astype(dtype)  # (m, s_1)
    Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], m)]  # (m, s_nl)
    return X, Y


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_full_batch_training_allocates_no_arrays_per_iteration(dtype):
    """The tutorial's setting: sigmoid, quadratic cost, full-batch gradient descent."""
    sizes = [64, 50, 20]  # smallest array touched per step: b (20,) aside, (20, 50) = 8 kB
    X, Y = _data(400, sizes, dtype=dtype)
    net = Network(sizes, random_state=0, dtype=dtype)
    rises = _traced_rises(net, X, Y, iterations=60)
    assert len(rises) == 59 and max(rises) < ALLOWANCE, max(rises)


@pytest.mark.parametrize("optimizer, activation, output", [
    ("momentum", "relu", "sigmoid"), ("adam", "leaky_relu", "softmax"),
    ("nesterov", "tanh", "softmax"), ("gd", "sigmoid", "softmax")])
def test_mini_batch_training_allocates_no_arrays_per_iteration(optimizer, activation, output):
    """Shuffled mini-batches (with a short last batch), cross-entropy, L2 and dropout: after
    the first epoch made every buffer, no step allocates; only an epoch's first step (a new
    permutation) is left out."""
    sizes = [64, 50, 20]
    X, Y = _data(1000, sizes)
    cost = "quadratic" if optimizer == "gd" else "cross_entropy"  # softmax's Jacobian too
    net = Network(sizes, activation=activation, output_activation=output, cost=cost,
                  initializer="he", random_state=0)
    steps = 8  # ceil(1000 / 128): seven batches of 128 and one of 104
    rises = _traced_rises(net, X, Y, epochs=3, batch_size=128, optimizer=optimizer,
                          learning_rate=0.01, l2=1e-3, dropout=0.2, random_state=0,
                          skip=lambda i: i <= steps or (i - 1) % steps == 0)
    assert len(rises) == 2 * (steps - 1) and max(rises) < ALLOWANCE, max(rises)


def test_float32_mini_batch_training_allocates_no_arrays_per_iteration():
    """The mnist preset's kind of run in float32: a wide first layer (W[0] in Fortran order),
    relu, softmax, Adam, L2 and dropout; no step allocates, so no float64 temporary either."""
    sizes = [64, 128, 10]
    X, Y = _data(1000, sizes, dtype=np.float32)
    net = Network(sizes, activation="relu", output_activation="softmax", cost="cross_entropy",
                  initializer="he", random_state=0, dtype="float32")
    assert net.W[0].flags.f_contiguous
    steps = 8
    rises = _traced_rises(net, X, Y, epochs=3, batch_size=128, optimizer="adam",
                          learning_rate=0.01, l2=1e-4, dropout=0.3, random_state=0,
                          skip=lambda i: i <= steps or (i - 1) % steps == 0)
    assert len(rises) == 2 * (steps - 1) and max(rises) < ALLOWANCE, max(rises)


def test_the_allocation_probe_sees_one_small_array():
    sizes = [64, 50, 20]
    X, Y = _data(400, sizes)
    rises = _traced_rises(Network(sizes, random_state=0), X, Y, callbacks=[_Allocates()],
                          iterations=10)
    assert min(rises) >= 8192


def test_mini_batches_are_the_rows_of_each_epochs_permutation():
    """train's per-batch gather equals gradient descent on X[order[i:i + b]] done by hand."""
    sizes = [5, 4, 3]
    X, Y = _data(23, sizes, seed=1)
    net, ref = Network(sizes, random_state=2), Network(sizes, random_state=2)
    history = train(net, X, Y, epochs=2, batch_size=5, learning_rate=0.5, random_state=7)
    rng, opt, costs = np.random.default_rng(7), make_optimizer("gd"), []
    for _ in range(2):
        order = rng.permutation(23)
        for i in range(0, 23, 5):
            rows = order[i:i + 5]
            cost, gW, gb = ref.backprop(X[rows], Y[rows])
            costs.append(cost)
            opt.update(ref.params, gW + gb, 0.5)
    assert history.cost == pytest.approx(costs, rel=1e-13)
    for a, b in zip(net.params, ref.params):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-13)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 4e-16 * 8), (np.float32, 1.2e-7 * 8)])
def test_sigmoid_is_accurate_relative_to_the_exact_value(dtype, rtol):
    """Within a few ulp of 1 / (1 + exp(-z)) worked in extended precision, tiny outputs too."""
    finfo = np.finfo(dtype)
    lo = np.log(finfo.tiny) + 1  # the smallest output still normal
    z = np.concatenate([np.linspace(lo, 40, 20001), [-1e-300, 0.0, 1e-300]]).astype(dtype)
    exact = 1 / (1 + np.exp(-z.astype(np.longdouble)))
    h = sigmoid(z)
    assert h.dtype == dtype
    np.testing.assert_allclose(h, exact.astype(dtype), rtol=rtol, atol=0)


def test_sigmoid_writes_in_place_and_keeps_nan():
    z = np.array([[-800.0, -2.0], [np.nan, 800.0]])
    out = np.empty_like(z)
    assert sigmoid(z, out=out) is out
    assert out[0, 0] == 0.0 and out[1, 1] == 1.0 and np.isnan(out[1, 0])
    same = z.copy()
    sigmoid(same, out=same)  # in place over its own input
    np.testing.assert_array_equal(same, out)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softmax_matches_the_textbook_form_in_place_and_at_extremes(dtype):
    from neuralpath.activations import softmax
    rng = np.random.default_rng(0)
    z = (rng.normal(size=(7, 5)) * 20).astype(dtype)
    e = np.exp(z.astype(np.float64) - z.max(axis=1, keepdims=True))
    ref = e / e.sum(axis=1, keepdims=True)
    out, buf = np.empty_like(z), np.empty_like(z)
    h = softmax(z, out=out, buf=buf)
    assert h is out and h.dtype == dtype
    np.testing.assert_allclose(h, ref, rtol=1e-5 if dtype == np.float32 else 1e-13, atol=1e-30)
    same = z.copy()
    softmax(same, out=same)  # in place over its own input
    np.testing.assert_array_equal(same, h)
    huge = np.array([[1000.0, -1000.0, 0.0]], dtype)
    np.testing.assert_array_equal(softmax(huge), [[1.0, 0.0, 0.0]])


def test_float32_reaches_the_float64_accuracy_on_the_tutorial_preset():
    acc64 = train_preset("tutorial", seed=0)[2]["test_accuracy"]
    model32, _, metrics32 = train_preset("tutorial", seed=0, dtype="float32")
    assert model32.network.W[0].dtype == np.float32
    assert abs(metrics32["test_accuracy"] - acc64) <= 0.005, (metrics32, acc64)
    assert acc64 >= 0.85


def _blas_threads():
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@pytest.fixture
def no_pins(monkeypatch):
    """The rule as a process without pins sees it: a server of another test module may be
    alive in this worker, and a server pins one BLAS thread for its whole process
    (web.registry.LiveRuns.side_by_side)."""
    import neuralpath.blas
    monkeypatch.setattr(neuralpath.blas, "_pins", [])


def test_small_products_run_blas_on_one_thread(no_pins):
    assert 64 * 30 * 1078 < SINGLE_THREAD_BELOW  # the tutorial preset
    with blas_threads([64, 30, 10], 1078):
        assert _blas_threads() == {1}
    assert 784 * 100 * 1024 >= SINGLE_THREAD_BELOW
    with blas_threads([784, 100, 10], 1024):  # every core but one, never all (issue 14)
        assert _blas_threads() == {max(1, (os.cpu_count() or 1) - 1)}


def test_a_pinned_count_overrides_the_rule_and_blocks_nest(no_pins):
    """blas.pinned(n): what a sweep (1 thread a run) and the contention benchmark use instead
    of the rule; outside the blocks the rule is back (a control)."""
    best = [64, 256, 256, 10]
    assert blas_thread_count(best, 128, cores=8) == 7
    with pinned(1):
        assert blas_thread_count(best, 128, cores=8) == 1
        with pinned(3):
            assert blas_thread_count(best, 128, cores=8) == 3
        assert blas_thread_count(best, 128, cores=8) == 1
    assert blas_thread_count(best, 128, cores=8) == 7
    with pytest.raises(ValueError, match="threads must be a positive integer, got 0"):
        with pinned(0):
            pass


def test_large_products_leave_one_core_free(no_pins):
    """The rule of issue 14: big products get every core but one, small ones one thread."""
    best = [64, 256, 256, 10]
    assert blas_thread_count(best, 128, cores=2) == 1  # the cliff: 128 * 256 * 256 = 2**23
    assert blas_thread_count(best, 128, cores=8) == 7
    assert blas_thread_count([64, 30, 10], 1078, cores=8) == 1
    assert blas_thread_count([784, 256, 10], 128, cores=1) == 1


# --- the benchmark code, on tiny sizes -------------------------------------------------------

def _tiny_plan(**kwargs):
    args = dict(iterations=4, listing_iterations=2, batch_sizes=[16, 64], samples=96,
                skip=() if HAS_TORCH else ("torch",))
    args.update(kwargs)
    return bench.plan(**args)


@pytest.mark.parametrize("kwargs, message", [
    (dict(batch_sizes=[32, 0]), "batch_sizes"), (dict(batch_sizes=[]), "batch_sizes"),
    (dict(samples=0), "samples"), (dict(repeat=0), "repeat"), (dict(skip=("jax",)), "skip"),
])
def test_bench_plan_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bench.plan(**kwargs)


def test_bench_measures_every_contender_in_process():
    results = [bench.measure(spec, in_process=True) for spec in _tiny_plan()]
    kinds = {(r["part"], r["kind"], r["dtype"]) for r in results}
    assert ("a", "listing", "float64") in kinds and ("a", "sklearn", "float64") in kinds
    assert ("b", "neuralpath", "float32") in kinds
    for r in results:
        assert "error" not in r and r["seconds"] > 0 and r["cpu_seconds"] >= 0
    listing = next(r for r in results if r["kind"] == "listing")
    assert listing["scaled_by"] == 2  # timed over 2 iterations, scaled to 4
    if HAS_TORCH:  # the same start, data, order and cost: the same last J in float64
        for part in ("a", "b"):
            np_r, torch_r = (next(r for r in results if r["part"] == part and r["kind"] == k
                                  and r["dtype"] == "float64") for k in ("neuralpath", "torch"))
            assert torch_r["final_cost"] == pytest.approx(np_r["final_cost"], rel=1e-9)
    assert ("c", "gemm", "float32") in kinds and ("a", "gemm", "float64") in kinds
    bound = next(r for r in results if r["part"] == "c" and r["kind"] == "gemm")
    assert bound["gflops"] > 0 and bound["kernel"]
    text = bench.report(results)
    assert "(c) one epoch of the mnist preset" in text and "one-core GEMM bound" in text
    assert "(a) tutorial preset: 4 full-batch iterations" in text
    assert "timed over 2 iterations, x2" in text and "log-loss" in text
    assert "(b) one epoch" in text and "samples/s" in text
    checks = bench.targets(results)
    assert any("listing" in c["what"] for c in checks)
    assert all(set(c) == {"what", "ratio", "cpu_ratio", "target", "met"} for c in checks)


def test_bench_worker_runs_in_its_own_process():
    spec = _tiny_plan(part="b", batch_sizes=[32], skip=("torch",))[0]
    result = bench.measure(spec)
    assert result["kind"] == "neuralpath" and result["samples_per_second"] > 0
    assert result["peak_mb"] is None or result["peak_mb"] > 1


def test_bench_names_a_missing_torch(monkeypatch):
    monkeypatch.setattr(bench.importlib.util, "find_spec", lambda name: None)
    spec = _tiny_plan(part="a", skip=())[2]
    assert spec["kind"] == "torch"
    assert "not installed" in bench.measure(spec)["error"]
    text = bench.report([dict(spec, error="PyTorch is not installed")])
    assert "not run: PyTorch is not installed" in text


def test_bench_cli_prints_json(capsys):
    code = main(["bench", "--part", "b", "--samples", "64", "--batch-sizes", "32",
                 "--skip", "torch", "--in-process", "--json"])
    out = capsys.readouterr()
    assert code == 0
    payload = json.loads(out.out)
    assert [r["batch"] for r in payload["results"]] == [32, 32]
    assert "[1/2]" in out.err


@pytest.mark.parametrize("argv, message", [
    (["--batch-sizes", "0"], "positive integers"),
    (["--batch-sizes", "32,x"], "positive integers"),
    (["--skip", "keras"], "skip"),
    (["--iterations", "0"], "iterations"),
    (["--iterations", "10", "--listing-iterations", "20"], "listing_iterations"),
    (["--threads", "0"], "threads"),
])
def test_bench_cli_rejects_bad_input(capsys, argv, message):
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and message in err


def test_benchmark_script_calls_the_same_code(capsys):
    script = runpy.run_path(str(SCRIPT))
    code = script["main"](["--part", "a", "--iterations", "2", "--listing-iterations", "1",
                           "--skip", "torch,sklearn", "--in-process"])
    assert code == 0
    out = capsys.readouterr().out
    assert "neuralpath float64" in out and "tutorial listing" in out
    assert script["main"](["--threads", "-1"]) == 2


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_every_layout_of_the_products_script_computes_the_same_product(dtype):
    ways = runpy.run_path(str(PRODUCTS))["_ways"]
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal((5, 3)).astype(dtype)
    results = {name: fn() for name, fn in ways(a, b, (7, 3), np.dtype(dtype)).items()}
    assert len(results) == 8
    for name, result in results.items():
        product = result.T if name.startswith("(") else result
        np.testing.assert_allclose(product, a @ b, rtol=1e-5, err_msg=name)


def test_products_script_prints_the_floor(capsys):
    runpy.run_path(str(PRODUCTS))["main"](["--rounds", "1", "--calls", "2"])
    out = capsys.readouterr().out
    assert "z2 = X W1^T" in out and "delta2^T X (grad W1)" in out
    assert "sum of the fastest ways" in out and "sum of neuralpath's ways" in out
    with pytest.raises(SystemExit) as refused:
        runpy.run_path(str(PRODUCTS))["main"](["--rounds", "0"])
    assert refused.value.code == 2 and "positive integer" in capsys.readouterr().err


def test_breakdown_names_every_step_of_an_iteration():
    steps, train_us, expit_us = bench.breakdown("float32", iterations=3, rounds=1)
    assert list(steps) == ["matrix products", "bias add", "sigmoid", "f' and deltas", "cost J",
                           "bias gradients", "optimizer step"]
    assert all(us > 0 for us in steps.values()) and train_us > 0 and expit_us > 0
    text = bench.breakdown_report("float32", steps, train_us, expit_us)
    assert "train() per iteration" in text and "the rest (Python)" in text


def test_epoch_breakdown_times_every_part_of_a_step_of_the_mnist_preset(capsys):
    """``neuralpath bench --breakdown --part c``: one epoch of part (c), part by part."""
    parts, epoch = bench.epoch_breakdown(samples=300, rounds=1)
    assert {"batch rows (uint8 -> float32)", "forward products", "weight-gradient products",
            "delta products and f'", "dropout masks", "softmax, cost J, output delta",
            "L2 (lambda W, its cost)", "Adam update", "divergence guard"} <= set(parts)
    assert all(seconds >= 0 for seconds in parts.values()) and epoch > 0
    text = bench.epoch_breakdown_report(parts, epoch, 300)
    assert "3 steps of 128" in text and "train(), one epoch" in text and "the rest" in text
    assert main(["bench", "--breakdown", "--part", "c", "--samples", "200"]) == 0
    assert "Adam update" in capsys.readouterr().out
