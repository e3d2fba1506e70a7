"""Training: the gradient-descent loop of tutorial 4.9, and what the follow-up posts add.

``train`` runs full-batch gradient descent exactly as the tutorial does (one step per
iteration over all m samples: W = W - alpha (1/m) Delta W), or mini-batches shuffled every
epoch, with any optimizer, L2 weight decay, inverted dropout, a learning-rate schedule and
early stopping, as a ``TrainConfig`` says (or the same settings given as keywords). It returns
a ``History``; it never prints (progress is a callback).

Safety: Ctrl-C (SIGINT) sets a flag that the loop reads between steps, so training stops
after a complete update with ``History.stopped == "interrupted"``; a cost that turns NaN or
infinite raises ``TrainingDiverged`` after putting back the last weights whose cost was finite.

Checkpoints: with ``checkpoint`` given, every ``checkpoint_every`` epochs (iterations, for
full-batch runs) the loop hands it a ``TrainingState``: the weights, the optimizer's state,
the random generator's state and the history so far. ``train(..., resume=state)`` continues
from it and ends with the same weights as the run left uninterrupted.
"""
from __future__ import annotations

import copy
import math
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .config import TrainConfig
from .errors import TrainingDiverged
from .network import Network, blas_threads
from .optimizers import Optimizer, from_settings, get_schedule

__all__ = ["History", "TrainingDiverged", "TrainingState", "accuracy", "train"]


@dataclass
class History:
    """What a training run did.

    ``cost[t]`` is the objective J at iteration t (with the L2 term), on that step's batch,
    before that step's update: the tutorial's ``avg_cost_func``. The per-epoch lists compare
    like with like: ``train_cost`` is the mean data cost (without the L2 term) of the epoch's
    batches as they were trained on (dropout active), ``val_cost`` the data cost on the
    validation set after the epoch, ``val_accuracy`` its accuracy.
    """

    cost: list = field(default_factory=list)  # per iteration (optimizer step)
    train_cost: list = field(default_factory=list)  # per completed epoch
    val_cost: list = field(default_factory=list)  # per completed epoch, when validating
    val_accuracy: list = field(default_factory=list)  # per completed epoch, when validating
    learning_rate: list = field(default_factory=list)  # per epoch started
    iterations: int = 0
    epochs: int = 0
    best_epoch: int | None = None
    stopped: str = "completed"  # completed | interrupted | early_stopping | diverged
    seconds: float = 0.0
    # one row per logged epoch (every epoch of a mini-batch run, every log_every-th of a
    # full-batch one, and the last): epoch, iteration, cost, val_cost, accuracy,
    # learning_rate, seconds (see ``train``)
    log: list = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Every field, as a dict."""
        return dict(self.__dict__)


@dataclass
class TrainingState:
    """Where a run stands after a whole epoch: all that ``train(resume=...)`` needs to go on
    exactly as if it had never stopped.

    ``params`` are copies of the network's arrays (W then b), ``optimizer`` is
    ``Optimizer.state()``, ``rng`` the generator's ``bit_generator.state`` (shuffling and
    dropout draw from it), ``history`` the run so far (its ``epochs`` and ``iterations`` say
    where to start) and ``best`` early stopping's record: ``params``, ``cost``, ``since``.
    """

    params: list[np.ndarray]
    optimizer: dict[str, Any]
    rng: dict[str, Any]
    history: History
    best: dict[str, Any] | None = None


class _StopNow(Exception):
    """A second Ctrl-C (or SIGTERM) during training: leave the loop at once."""


class _Interrupt:
    """SIGINT and SIGTERM as flags for the duration of training (main thread only).

    The first signal asks the loop to stop after the current update (``requested``). A second
    one stops it at once: ``_StopNow`` is raised while a step's gradient is being computed
    (``interruptible``), or as soon as one starts, never inside an update, so the weights are
    always those of a complete step and the caller can save them. Outside training the
    previous handlers (Python's KeyboardInterrupt, the command line's) are back in place.
    """

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and threading.current_thread() is threading.main_thread()
        self.requested = False
        self.count = 0  # signals received
        self.interruptible = False  # True while a second signal may stop the loop at once
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Interrupt:
        if self.enabled:
            self._previous = {s: signal.signal(s, self._handle) for s in self.SIGNALS}
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        self.requested = True
        if self.count >= 2 and self.interruptible:
            self.interruptible = False
            raise _StopNow

    def allow(self) -> None:
        """A gradient is about to be computed: a second signal may stop here (or did)."""
        if self.count >= 2:
            raise _StopNow
        self.interruptible = True

    def __exit__(self, kind: Any, *exc: Any) -> bool:
        self.interruptible = False
        for s, previous in self._previous.items():
            signal.signal(s, previous)
        return kind is _StopNow  # a stop at once ends training like any other stop


def accuracy(output: np.ndarray, Y: np.ndarray) -> float:
    """Share of rows whose largest output is the target's class (one-hot or 0/1 column).

    The one accuracy of the package: training, the pipeline and the estimator all use it."""
    if Y.shape[1] == 1:
        return float(np.mean((output[:, 0] > 0.5) == (Y[:, 0] > 0.5)))
    return float(np.mean(output.argmax(axis=1) == Y.argmax(axis=1)))


def _call(callbacks, method, *args):
    for cb in callbacks:
        fn = getattr(cb, method, None)
        if fn is not None:
            fn(*args)


def _check_data(network, X, Y, what="X and Y"):
    """Inputs (m, s_1) and targets (m, s_nl) as contiguous arrays of the network's dtype."""
    X = np.ascontiguousarray(X, dtype=network.dtype)  # (m, s_1)
    Y = np.ascontiguousarray(Y, dtype=network.dtype)  # (m, s_nl)
    s1, snl = network.layer_sizes[0], network.layer_sizes[-1]
    x_name, y_name = what.split(" and ")
    if X.ndim != 2 or X.shape[1] != s1:
        raise ValueError(f"{x_name} must have shape (m, {s1}) for layer_sizes "
                         f"{network.layer_sizes}, got {X.shape}")
    if Y.ndim != 2 or Y.shape != (X.shape[0], snl):
        raise ValueError(f"{y_name} must have shape ({X.shape[0]}, {snl}): one row of "
                         f"{snl} targets per input row, got {Y.shape}")
    if X.shape[0] < 1:
        raise ValueError(f"{x_name} must hold at least one sample, got 0 rows")
    # min and max are NaN or infinite exactly when some entry is; np.isfinite(X).all() would
    # make a boolean copy of X first (45 MB for MNIST, and its page faults, at every call)
    if not all(np.isfinite(A.min()) and np.isfinite(A.max()) for A in (X, Y)):
        raise ValueError(f"{what} must hold finite numbers only (no NaN or infinity)")
    return X, Y


def train(network: Network, X: Any, Y: Any, config: TrainConfig | None = None, *,
          callbacks: Sequence[Any] = (), validation_data: Any = None, random_state: Any = None,
          handle_interrupt: bool = True, checkpoint: Callable[[TrainingState], Any] | None = None,
          checkpoint_every: int = 1, resume: TrainingState | None = None,
          log_every: int | None = None, **settings: Any) -> History:
    """Train ``network`` in place on inputs X (m, s_1) and targets Y (m, s_nl).

    Parameters
    ----------
    config : TrainConfig, optional
        The run's settings. The ones used here: ``iterations`` or ``epochs`` (exactly one:
        optimizer steps, the tutorial's ``iter_num``, or passes over the data),
        ``batch_size`` (None: full-batch gradient descent, the tutorial's; else mini-batches
        reshuffled every epoch), ``optimizer`` and its options (``momentum``, ``beta_1``,
        ...), ``learning_rate`` (alpha; the starting rate under a ``schedule``), ``l2``
        (lambda: J + lambda/2 sum ||W||^2, biases not decayed), ``dropout`` (inverted, on
        hidden nodes), ``early_stopping`` and ``patience``, and ``seed``. The network's own
        architecture is used as it is.
    **settings
        The same settings as keywords, applied over ``config`` (or over the defaults of
        ``TrainConfig``, in which case exactly one of ``iterations`` and ``epochs`` must be
        given). ``optimizer`` may also be an ``Optimizer`` instance, which keeps its state
        (momentum, Adam's moments) from one call to the next.
    callbacks : sequence
        Objects with any of ``on_train_begin(total_iterations)``,
        ``on_iteration(iteration, cost)``, ``on_epoch_end(epoch, record)``,
        ``on_train_end(history)``.
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch; needed by ``early_stopping``. At the end (however
        training ends, except by divergence) early stopping puts back the weights of the
        epoch with the lowest validation cost.
    random_state : int, Generator or None
        Seed or generator for shuffling and dropout; default: the config's ``seed``.
    handle_interrupt : bool
        Catch Ctrl-C (in the main thread) and stop after the current update.
    checkpoint : callable, optional
        Called with a ``TrainingState`` after every ``checkpoint_every``-th epoch (an epoch
        of a full-batch run is one iteration).
    resume : TrainingState, optional
        Continue from this state (made by an earlier call with the same config and data):
        the network takes its weights, the optimizer and the generator their states.
    log_every : int, optional
        Epochs between the rows of ``History.log`` (default: 1 for mini-batches, 10 for
        full-batch runs); the last epoch is always logged. The row's accuracy is the
        validation set's, or without validation data that of the epoch's batches as they
        were trained on (before each step, dropout active), as Keras reports it.

    Returns
    -------
    History

    Raises
    ------
    TrainingDiverged
        The cost (or the weights) became NaN or infinite; the network holds the last
        weights whose cost was finite and ``exc.history`` what was done until then.
    """
    opt = settings.pop("optimizer", None)
    if not isinstance(opt, Optimizer):
        settings["optimizer"] = opt
        opt = None
    if config is None:
        if (settings.get("iterations") is None) == (settings.get("epochs") is None):
            raise ValueError("give exactly one of iterations or epochs, got "
                             f"iterations={settings.get('iterations')!r}, "
                             f"epochs={settings.get('epochs')!r}")
        config = TrainConfig()
    cfg = config.replace(**settings)
    X, Y = _check_data(network, X, Y)
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data must be a pair (X_val, Y_val), got "
                             f"{type(validation_data).__name__}")
        X_val, Y_val = validation_data
        validation_data = _check_data(network, X_val, Y_val, what="X_val and Y_val")
    if cfg.early_stopping and validation_data is None:
        raise ValueError("early_stopping needs validation_data")
    rate = get_schedule(cfg.schedule)
    if opt is None:
        opt = from_settings(cfg.optimizer, cfg)
    if not (isinstance(checkpoint_every, int) and checkpoint_every >= 1):
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")
    if log_every is None:
        log_every = 10 if cfg.batch_size is None else 1
    saving = _Checkpoints(checkpoint, checkpoint_every, log_every)
    return _run(network, X, Y, cfg, opt, rate, validation_data, callbacks,
                cfg.seed if random_state is None else random_state, handle_interrupt,
                saving, resume)


class _Checkpoints:
    """When to log a row and when to hand a ``TrainingState`` to ``checkpoint``."""

    def __init__(self, checkpoint: Callable[[TrainingState], Any] | None, every: int,
                 log_every: int) -> None:
        self.checkpoint, self.every, self.log_every = checkpoint, every, log_every

    def due(self, epochs_done: int) -> bool:
        return self.checkpoint is not None and epochs_done % self.every == 0

    def save(self, params, opt, rng, history, best) -> None:
        assert self.checkpoint is not None
        self.checkpoint(TrainingState([p.copy() for p in params], opt.state(),
                                      rng.bit_generator.state, copy.deepcopy(history), best))


def _restore(state: TrainingState, params, opt, rng, best) -> tuple[History, float, int]:
    """Put ``state`` back into the run's objects; returns (history, best_cost, since_best)."""
    for p, saved in zip(params, state.params, strict=True):
        np.copyto(p, saved)
    opt.load_state(state.optimizer)
    rng.bit_generator.state = state.rng
    if best is None or state.best is None:
        return copy.deepcopy(state.history), math.inf, 0
    for p, saved in zip(best, state.best["params"], strict=True):
        np.copyto(p, saved)
    return copy.deepcopy(state.history), float(state.best["cost"]), int(state.best["since"])


def _run(network, X, Y, cfg, opt, rate, validation_data, callbacks, random_state,
         handle_interrupt, saving, resume):
    """The loop of tutorial 4.9 (mini-batched when asked), with the safety nets."""
    iterations, epochs, batch_size = cfg.iterations, cfg.epochs, cfg.batch_size
    l2, early_stopping, patience = cfg.l2, cfg.early_stopping, cfg.patience
    m = X.shape[0]
    rng = np.random.default_rng(random_state)
    batch = m if batch_size is None else min(int(batch_size), m)
    steps_per_epoch = math.ceil(m / batch)
    total = iterations if iterations is not None else epochs * steps_per_epoch
    n_epochs = math.ceil(total / steps_per_epoch)
    alpha0 = cfg.learning_rate
    params = network.params
    backup = [p.copy() for p in params]  # the last weights whose cost was finite
    best = [p.copy() for p in params] if early_stopping else None
    best_cost, since_best = math.inf, 0
    # mini-batches are gathered into these, made once: (batch, s_1) and (batch, s_nl)
    batch_rows = ((np.empty((batch, X.shape[1]), X.dtype), np.empty((batch, Y.shape[1]), Y.dtype))
                  if batch < m else None)
    masks = _DropoutMasks(network, cfg.dropout, rng)
    classifies = network.output_activation.classifies
    counter = _Hits({batch, m % batch or batch})
    history = History()
    if resume is not None:
        history, best_cost, since_best = _restore(resume, params, opt, rng, best)
    start = time.perf_counter() - history.seconds  # a resumed run counts its earlier time
    _call(callbacks, "on_train_begin", total)
    # overflow is not an error here: a cost that turns inf or NaN is caught below and named
    # a second Ctrl-C leaves this block at once (_Interrupt.__exit__ ends it quietly)
    with _Interrupt(handle_interrupt) as interrupt, blas_threads(network.layer_sizes, batch), \
            np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(history.epochs, n_epochs):
            if interrupt.requested:
                break
            alpha = rate(alpha0, epoch, n_epochs)  # the loop owns the learning rate
            history.learning_rate.append(alpha)
            order = rng.permutation(m) if batch_rows is not None else None  # new every epoch
            epoch_cost = 0.0
            # a logged epoch without validation data counts the batches' right answers
            logged = (epoch + 1) % saving.log_every == 0 or epoch == n_epochs - 1
            hits = 0.0 if logged and validation_data is None and classifies else None
            for start_row in range(0, m, batch):
                if history.iterations == total or interrupt.requested:
                    break
                Xb, Yb = X, Y
                if order is not None:  # gather the batch's rows (mode="clip": no hidden copy)
                    rows = order[start_row:start_row + batch]
                    Xb = np.take(X, rows, axis=0, out=batch_rows[0][:len(rows)], mode="clip")
                    Yb = np.take(Y, rows, axis=0, out=batch_rows[1][:len(rows)], mode="clip")
                interrupt.allow()
                cost, grad_W, grad_b = network.backprop(Xb, Yb, l2, masks.draw(Xb.shape[0]))
                interrupt.interruptible = False
                _check_cost(cost, history, params, backup, start, alpha0)
                for p, saved in zip(params, backup):
                    np.copyto(saved, p)
                opt.update(params, grad_W + grad_b, alpha)
                _check_range(params, history, backup, start, alpha0)
                history.cost.append(cost)
                history.iterations += 1
                # the data cost, without backprop's lambda/2 sum ||W||^2 (taken before the step)
                epoch_cost += (cost - network.last_penalty) * Xb.shape[0]
                if hits is not None:  # backprop left the batch's output h^(n_l) in its workspace
                    hits += counter.count(network.workspace(Xb.shape[0]).h[-1], Yb)
                _call(callbacks, "on_iteration", history.iterations, cost)
            else:
                history.epochs += 1
                # the data cost J without the L2 term, so that it compares with val_cost
                record = {"epoch": epoch, "train_cost": epoch_cost / m,
                          "learning_rate": alpha}
                history.train_cost.append(record["train_cost"])
                if validation_data is not None:
                    record.update(_validate(network, *validation_data))
                    history.val_cost.append(record["val_cost"])
                    history.val_accuracy.append(record["val_accuracy"])
                if logged:
                    record["accuracy"] = (record.get("val_accuracy") if hits is None
                                          else hits / m)
                    history.log.append(_log_row(history, record, start))
                _call(callbacks, "on_epoch_end", epoch, record)
                if early_stopping:
                    if record["val_cost"] < best_cost:
                        best_cost, since_best, history.best_epoch = record["val_cost"], 0, epoch
                        for p, saved in zip(params, best):
                            np.copyto(saved, p)
                    else:
                        since_best += 1
                    if since_best >= patience:
                        history.stopped = "early_stopping"
                        break
                if saving.due(history.epochs):
                    history.seconds = time.perf_counter() - start
                    record_best = None if best is None else dict(
                        params=[p.copy() for p in best], cost=best_cost, since=since_best)
                    saving.save(params, opt, rng, history, record_best)
                continue
            break  # the inner loop stopped early: iteration budget reached or Ctrl-C
        # (no check of the weights here: _check_range has checked them after every update)
    if interrupt.requested and history.iterations < total and history.stopped == "completed":
        history.stopped = "interrupted"
    if early_stopping and history.best_epoch is not None:
        for p, saved in zip(params, best):
            np.copyto(p, saved)
    history.seconds = time.perf_counter() - start
    _call(callbacks, "on_train_end", history)
    return history


def _diverged(params, backup, history, start, message):
    """Put back the last good weights (before the last update) and raise
    ``TrainingDiverged``."""
    for p, saved in zip(params, backup):
        np.copyto(p, saved)
    history.stopped = "diverged"
    history.seconds = time.perf_counter() - start
    raise TrainingDiverged(f"{message} (the network keeps the last good weights, those before "
                           "that step)", history)


# A cost this many times the first one means training runs away (the cost of a sound run
# falls; mini-batch noise moves it by a few times at most, never by three orders of magnitude).
COST_GROWTH_LIMIT = 1e3
# The growth is measured from the first cost, or from this floor when the first cost is
# smaller: a run that starts near zero (a warm start) can move by large ratios through batch
# noise alone, but a cost of 1000 x COST_FLOOR reached from there is runaway, not noise.
COST_FLOOR = 1e-3


def _check_range(params, history, backup, start, alpha0):
    """After an update: the sum of the squared weights must stay finite in their dtype (as the
    L2 term and Adam's squared gradients need), which also fails on NaN or infinite weights.
    One dot product per array: cheaper than a max and a min of each."""
    total = sum(float(np.vdot(p, p)) for p in params)
    if not math.isfinite(total):
        largest = max(float(np.nanmax(np.abs(p))) for p in params)
        _diverged(params, backup, history, start,
                  f"the weights left the safe range of {params[0].dtype} at iteration "
                  f"{history.iterations + 1} (|w| up to {largest:.3g}: their squares overflow); "
                  f"try a smaller learning rate than {alpha0}")


def _check_cost(cost, history, params, backup, start, alpha0):
    """The cost of the step about to be taken: finite, and not runaway growth."""
    if not math.isfinite(cost):
        _diverged(params, backup, history, start,
                  f"the cost became {cost} at iteration {history.iterations + 1}; "
                  f"try a smaller learning rate than {alpha0}")
    if history.cost and cost > COST_GROWTH_LIMIT * max(history.cost[0], COST_FLOOR):
        _diverged(params, backup, history, start,
                  f"the cost grew from {history.cost[0]:.4g} to {cost:.4g} at iteration "
                  f"{history.iterations + 1}; try a smaller learning rate than {alpha0}")


def _log_row(history, record, start):
    """One row of ``History.log``, at the end of an epoch."""
    return {"epoch": history.epochs, "iteration": history.iterations,
            "cost": record["train_cost"], "val_cost": record.get("val_cost"),
            "accuracy": record["accuracy"], "learning_rate": record["learning_rate"],
            "seconds": time.perf_counter() - start}


def _validate(network, X_val, Y_val):
    out = network.predict_output(X_val)
    cost = network.cost.value(network.output_activation, out,
                              np.asarray(Y_val, network.dtype), None)
    acc = accuracy(out, np.asarray(Y_val)) if network.output_activation.classifies else None
    return {"val_cost": cost, "val_accuracy": acc}


class _Hits:
    """Right answers in a batch, counted in buffers made once per batch size (the training
    loop allocates nothing per step): the largest output is the target's class, or for one
    output column, both are on the same side of 0.5."""

    def __init__(self, sizes):
        self.buffers = {m: (np.empty(m, np.intp), np.empty(m, np.intp), np.empty(m, bool))
                        for m in sizes}

    def count(self, output, Y):
        guess, truth, same = self.buffers[output.shape[0]]
        if Y.shape[1] == 1:
            np.greater(output[:, 0], 0.5, out=guess)
            np.greater(Y[:, 0], 0.5, out=truth)
        else:
            np.argmax(output, axis=1, out=guess)
            np.argmax(Y, axis=1, out=truth)
        np.equal(guess, truth, out=same)
        return int(np.count_nonzero(same))


class _DropoutMasks:
    """Inverted dropout: each hidden node kept with probability 1 - p, scaled by 1/(1 - p)."""

    def __init__(self, network, p, rng):
        self.p, self.rng, self.network, self.buffers = p, rng, network, {}

    def draw(self, m):
        if not self.p:
            return None
        if m not in self.buffers:
            dt = self.network.dtype
            self.buffers[m] = [None] + [
                (np.empty((m, s), dt), np.empty((m, s), dt))
                for s in self.network.layer_sizes[1:-1]] + [None]
        masks = [None]
        for pair in self.buffers[m][1:-1]:
            u, mask = pair
            self.rng.random(out=u, dtype=u.dtype)  # float32 networks draw float32
            # 1 where u >= p, else 0, as floor(u + 1 - p) for u in [0, 1): np.greater_equal
            # into a float array would make numpy allocate a cast buffer at every step
            np.add(u, 1.0 - self.p, out=mask)
            np.floor(mask, out=mask)
            mask *= 1.0 / (1.0 - self.p)
            masks.append(mask)
        return masks + [None]
