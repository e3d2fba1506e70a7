"""Training: the gradient-descent loop of tutorial 4.9, and what the follow-up posts add.

``train`` runs full-batch gradient descent exactly as the tutorial does (one step per
iteration over all m samples: W = W - alpha (1/m) Delta W), or mini-batches shuffled every
epoch, with any optimizer, L2 weight decay, inverted dropout, a learning-rate schedule and
early stopping, as its ``Settings`` say (or a ``TrainConfig``, or the same settings given as
keywords). It returns a ``History``; it never prints (progress is a callback). Like the rest
of the engine it imports nothing but NumPy and the engine's own modules (``signals`` and
``checks`` are standard library).

Safety: SIGINT, SIGTERM or SIGHUP set a flag that the loop reads between steps, so training
stops after a complete update with ``History.stopped == "interrupted"`` (a second signal stops
it at once, ``signals.TrainingStop``); a cost that turns NaN or infinite raises
``TrainingDiverged`` after putting back the last weights whose cost was finite.

Checkpoints: with ``checkpoint`` given, every ``checkpoint_every`` epochs (iterations, for
full-batch runs) the loop hands it a ``TrainingState``: the weights, the optimizer's state,
the random generator's state and the history so far. ``train(..., resume=state)`` continues
from it and ends with the same weights as the run left uninterrupted.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .blas import blas_threads
from .buffers import flat_view
from .checks import Check, Choice, Count, Flag, Number
from .dropout import DropoutMasks
from .errors import TrainingDiverged
from .network import Network, is_row_source
from .optimizers import OPTIMIZERS, SCHEDULES, Optimizer, get_schedule, make_optimizer
from .signals import TrainingStop

__all__ = ["History", "Settings", "StopTraining", "TrainingDiverged", "TrainingState",
           "accuracy", "setting_check", "train"]


def _setting(default: Any, check: Check | None = None) -> Any:
    return field(default=default, metadata={"check": check})


@dataclass(frozen=True)
class Settings:
    """What the loop needs to know of a run, and nothing else (the network brings its own
    architecture, the caller the data).

    Each field's metadata holds its ``check`` (``checks.py``): the range of a training
    setting is the engine's, and ``TrainConfig`` takes it from here (``setting_check``).
    ``Settings(...)`` checks every value; ``TrainConfig.training_settings()`` hands over values
    it has already checked (``Settings.trusted``), and ``replace`` checks only what changes.
    """

    iterations: int | None = _setting(None, Count(1, optional=True))  # steps: iter_num
    epochs: int | None = _setting(None, Count(1, optional=True))  # or passes over the data
    batch_size: int | None = _setting(None, Count(1, absent="all m samples"))  # None: full
    optimizer: str = _setting("gd", Choice(OPTIMIZERS))
    # the optimizer's own settings (momentum, beta_1, ...): make_optimizer checks them
    optimizer_options: dict[str, Any] = field(default_factory=dict, metadata={"check": None})
    learning_rate: float = _setting(0.25, Number(0.0, low_closed=False))  # alpha
    schedule: str = _setting("constant", Choice(SCHEDULES))
    l2: float = _setting(0.0, Number(0.0))  # lambda: J + lambda/2 sum ||W||^2
    dropout: float = _setting(0.0, Number(0.0, 1.0))  # inverted, on hidden nodes
    early_stopping: bool = _setting(False, Flag())
    patience: int = _setting(10, Count(1))  # epochs without improvement
    seed: int = _setting(0, Count(0))  # shuffling and dropout, unless random_state is given

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            if f.metadata["check"] is not None:
                object.__setattr__(self, f.name, f.metadata["check"](f.name, getattr(self,
                                                                                     f.name)))
        _check_length(self.iterations, self.epochs)

    @classmethod
    def trusted(cls, **values: Any) -> Settings:
        """Settings of values that were checked where they came from (a ``TrainConfig``):
        not checked a second time. Missing ones take their defaults."""
        self = object.__new__(cls)
        for f in dataclasses.fields(cls):
            default = (f.default if f.default_factory is dataclasses.MISSING
                       else f.default_factory())
            object.__setattr__(self, f.name, values.get(f.name, default))
        return self

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied, each checked (None values are ignored). An
        optimizer's own setting (``momentum=0.5``) goes into ``optimizer_options``. Giving
        ``iterations`` clears ``epochs`` and the other way round."""
        changes = {k: v for k, v in changes.items() if v is not None}
        checks = {f.name: f.metadata["check"] for f in dataclasses.fields(self)}
        options = {k: changes.pop(k) for k in list(changes) if k not in checks
                   and any(k in cls.options for cls in OPTIMIZERS.values())}
        unknown = sorted(set(changes) - set(checks))
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(checks)}")
        changes = one_length(changes)
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        values.update({k: v if checks[k] is None or v is None else checks[k](k, v)
                       for k, v in changes.items()})
        values["optimizer_options"] = {**self.optimizer_options, **options}
        new = Settings.trusted(**values)
        _check_length(new.iterations, new.epochs)
        return new

    def make_optimizer(self) -> Optimizer:
        """A new optimizer of this kind, with those of ``optimizer_options`` it takes."""
        own = OPTIMIZERS[self.optimizer].options
        return make_optimizer(self.optimizer, **{k: v for k, v in self.optimizer_options.items()
                                                 if k in own})


def _check_length(iterations: Any, epochs: Any) -> None:
    """A run is ``iterations`` long or ``epochs`` long: exactly one of them is given."""
    if (iterations is None) == (epochs is None):
        raise ValueError("give exactly one of iterations or epochs, got "
                         f"iterations={iterations!r}, epochs={epochs!r}")


def one_length(changes: dict[str, Any]) -> dict[str, Any]:
    """``changes`` with the other length cleared: a run is ``iterations`` long or ``epochs``
    long, so giving one (over a preset that had the other) clears the other."""
    if "iterations" in changes and "epochs" not in changes:
        return {**changes, "epochs": None}
    if "epochs" in changes and "iterations" not in changes:
        return {**changes, "iterations": None}
    return changes


def setting_check(name: str) -> Check:
    """The check of the engine's setting ``name`` (``TrainConfig`` uses the same)."""
    return {f.name: f.metadata["check"] for f in dataclasses.fields(Settings)}[name]


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


class StopTraining(Exception):
    """Raised by a callback (``on_iteration``, ``on_epoch_end``) to end training there:
    ``train`` returns the ``History`` so far, with ``stopped == "interrupted"``. Callbacks
    run between complete updates, so the weights are those of the last whole step."""


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
    """Inputs (m, s_1) and targets (m, s_nl) as contiguous arrays of the network's dtype, or
    row sources (``network.is_row_source``) of those shapes, left as they are: a source
    checks its own values (``data.ImageRows``: the scaler's, and float images')."""
    sources = [is_row_source(A) for A in (X, Y)]
    if not sources[0]:
        X = np.ascontiguousarray(X, dtype=network.dtype)  # (m, s_1)
    if not sources[1]:
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
    if not all(np.isfinite(A.min()) and np.isfinite(A.max())
               for A, source in zip((X, Y), sources) if not source):
        raise ValueError(f"{what} must hold finite numbers only (no NaN or infinity)")
    return X, Y


def _settings_of(settings: Any, overrides: dict[str, Any]) -> Settings:
    """The run's ``Settings``: ``settings`` (a ``Settings``, or anything with
    ``training_settings()``: a ``TrainConfig``) with ``overrides`` applied; without
    ``settings``, the defaults with exactly one of ``iterations`` and ``epochs`` given."""
    if settings is None:
        _check_length(overrides.get("iterations"), overrides.get("epochs"))
        settings = Settings.trusted()
    elif not isinstance(settings, Settings):
        make = getattr(settings, "training_settings", None)
        if make is None:
            raise TypeError("settings must be a Settings or a TrainConfig, got "
                            f"{type(settings).__name__}")
        settings = make()
    return settings.replace(**overrides) if overrides else settings


def train(network: Network, X: Any, Y: Any, settings: Any = None, *,
          callbacks: Sequence[Any] = (), validation_data: Any = None, random_state: Any = None,
          handle_interrupt: bool = True, checkpoint: Callable[[TrainingState], Any] | None = None,
          checkpoint_every: int = 1, resume: TrainingState | None = None,
          log_every: int | None = None, **overrides: Any) -> History:
    """Train ``network`` in place on inputs X (m, s_1) and targets Y (m, s_nl).

    X and Y are arrays, or row sources: objects with ``shape`` and ``take_rows(rows, out)``
    that make a batch's rows, of the network's dtype, as the loop takes them
    (``data.ImageRows`` keeps images as stored and shifts and scales each batch). Rows are
    chosen by the run's generator either way, so a run is as reproducible and resumable.

    Parameters
    ----------
    settings : Settings or TrainConfig, optional
        The run's settings (a ``TrainConfig`` gives its ``training_settings()``):
        ``iterations`` or ``epochs`` (exactly one: optimizer steps, the tutorial's
        ``iter_num``, or passes over the data), ``batch_size`` (None: full-batch gradient
        descent, the tutorial's; else mini-batches reshuffled every epoch), ``optimizer`` and
        its options (``momentum``, ``beta_1``, ...), ``learning_rate`` (alpha; the starting
        rate under a ``schedule``), ``l2`` (lambda: J + lambda/2 sum ||W||^2, biases not
        decayed), ``dropout`` (inverted, on hidden nodes), ``early_stopping`` and
        ``patience``, and ``seed``. The network's own architecture is used as it is.
    **overrides
        The same settings as keywords, applied over ``settings`` (or over the defaults, in
        which case exactly one of ``iterations`` and ``epochs`` must be given); only these
        are checked here, the rest was checked where it was made. ``optimizer`` may also be
        an ``Optimizer`` instance, which keeps its state (momentum, Adam's moments) from one
        call to the next.
    callbacks : sequence
        Objects with any of ``on_train_begin(total_iterations)``,
        ``on_iteration(iteration, cost)``, ``on_epoch_end(epoch, record)``,
        ``on_train_end(history)``.
    validation_data : (X_val, Y_val), optional
        Evaluated after every epoch; needed by ``early_stopping``. At the end (however
        training ends, except by divergence) early stopping puts back the weights of the
        epoch with the lowest validation cost.
    random_state : int, Generator or None
        Seed or generator for shuffling and dropout; default: the settings' ``seed``.
    handle_interrupt : bool
        Catch SIGINT, SIGTERM and SIGHUP (in the main thread) and stop after the current
        update.
    checkpoint : callable, optional
        Called with a ``TrainingState`` after every ``checkpoint_every``-th epoch (an epoch
        of a full-batch run is one iteration).
    resume : TrainingState, optional
        Continue from this state (made by an earlier call with the same settings and data):
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
    opt = overrides.pop("optimizer", None)
    if opt is not None and not isinstance(opt, Optimizer):
        overrides["optimizer"] = opt
        opt = None
    s = _settings_of(settings, overrides)
    X, Y = _check_data(network, X, Y)
    if validation_data is not None:
        if not (isinstance(validation_data, (tuple, list)) and len(validation_data) == 2):
            raise ValueError("validation_data must be a pair (X_val, Y_val), got "
                             f"{type(validation_data).__name__}")
        X_val, Y_val = validation_data
        validation_data = _check_data(network, X_val, Y_val, what="X_val and Y_val")
    if s.early_stopping and validation_data is None:
        raise ValueError("early_stopping needs validation_data")
    if not (isinstance(checkpoint_every, int) and checkpoint_every >= 1):
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")
    run = _Run(network, X, Y, s, opt or s.make_optimizer(), validation_data, callbacks,
               s.seed if random_state is None else random_state,
               _Checkpoints(checkpoint, checkpoint_every),
               log_every or (10 if s.batch_size is None else 1))
    if resume is not None:
        run.restore(resume)
    return run.go(TrainingStop(handle_interrupt))


# --- the run: its state, one epoch, one step, the safety nets --------------------------------

@dataclass
class _Plan:
    """How a run is cut: m samples in batches of ``batch`` (all m: the tutorial's full
    batch), ``total`` steps in ``n_epochs`` epochs."""

    m: int
    batch: int
    total: int
    n_epochs: int

    @classmethod
    def of(cls, m: int, s: Settings) -> _Plan:
        batch = m if s.batch_size is None else min(int(s.batch_size), m)
        steps_per_epoch = math.ceil(m / batch)
        total = s.iterations if s.epochs is None else s.epochs * steps_per_epoch
        assert total is not None  # Settings hold exactly one of the two
        return cls(m, batch, total, math.ceil(total / steps_per_epoch))


class _Run:
    """One training run: what it holds while it goes (plan, history, generator, safety nets)
    and the loop of tutorial 4.9 over it, one method per job."""

    def __init__(self, network, X, Y, s, opt, validation_data, callbacks, random_state,
                 saving, log_every):
        self.network, self.X, self.Y, self.s, self.opt = network, X, Y, s, opt
        self.validation_data, self.callbacks = validation_data, callbacks
        self.saving, self.log_every = saving, log_every
        self.plan = _Plan.of(X.shape[0], s)
        self.rate = get_schedule(s.schedule)
        self.rng = np.random.default_rng(random_state)
        self.params = network.params
        self.guard = _Divergence(self.params, s.learning_rate, self.elapsed)
        self.early = _EarlyStopping(self.params, s.patience) if s.early_stopping else None
        self.batches = _Batches(X, Y, self.plan.batch, self.rng, network.dtype)
        self.masks = DropoutMasks(network, s.dropout, self.rng)
        self.counter = _Hits({self.plan.batch, self.plan.m % self.plan.batch or self.plan.batch})
        self.history = History()
        self.start = time.perf_counter()

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def restore(self, state: TrainingState) -> None:
        """Put ``state`` back into the run's objects (weights, optimizer, generator, early
        stopping's record, history); the clock goes on from the time the run had taken."""
        for p, saved in zip(self.params, state.params, strict=True):
            np.copyto(p, saved)
        self.opt.load_state(state.optimizer)
        self.rng.bit_generator.state = state.rng
        if self.early is not None and state.best is not None:
            self.early.restore(state.best)
        self.history = copy.deepcopy(state.history)
        self.start = time.perf_counter() - self.history.seconds

    def go(self, stop: TrainingStop) -> History:
        """Epoch after epoch until the budget is spent, early stopping says so or a signal
        came; then the ending (best weights back, the time, the callbacks)."""
        self.stop = stop
        history, n_epochs = self.history, self.plan.n_epochs
        _call(self.callbacks, "on_train_begin", self.plan.total)
        # overflow is not an error here: a cost that turns inf or NaN is caught and named;
        # a second signal leaves this block at once (TrainingStop.__exit__ ends it quietly)
        with stop, blas_threads(self.network.layer_sizes, self.plan.batch), \
                np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            try:
                for epoch in range(history.epochs, n_epochs):
                    if stop.requested:
                        break
                    alpha = self.rate(self.s.learning_rate, epoch, n_epochs)  # the loop's rate
                    history.learning_rate.append(alpha)
                    done = self.epoch(epoch, alpha)
                    if done is None or self.end_epoch(epoch, alpha, *done):
                        break  # budget reached, a signal, or early stopping
            except StopTraining:  # a callback's stop: callbacks run between complete updates
                history.stopped = "interrupted"
        if stop.requested and history.iterations < self.plan.total \
                and history.stopped == "completed":
            history.stopped = "interrupted"
        if self.early is not None and history.best_epoch is not None:
            self.early.put_back()
        history.seconds = self.elapsed()
        _call(self.callbacks, "on_train_end", history)
        return history

    def epoch(self, epoch: int, alpha: float) -> tuple[float, float | None, bool] | None:
        """One pass over the data in batches: (the epoch's data cost summed over samples,
        right answers counted or None, whether the epoch is logged), or None when the pass
        was cut short (the iteration budget, or a signal)."""
        order = self.batches.order()  # new every epoch
        logged = (epoch + 1) % self.log_every == 0 or epoch == self.plan.n_epochs - 1
        # a logged epoch without validation data counts the batches' right answers
        counts = (logged and self.validation_data is None
                  and self.network.output_activation.classifies)
        epoch_cost, hits = 0.0, (0.0 if counts else None)
        for start_row in range(0, self.plan.m, self.plan.batch):
            if self.history.iterations == self.plan.total or self.stop.requested:
                return None
            Xb, Yb = self.batches.take(order, start_row)
            cost = self.step(Xb, Yb, alpha)
            # the data cost, without backprop's lambda/2 sum ||W||^2 (taken before the step)
            epoch_cost += (cost - self.network.last_penalty) * Xb.shape[0]
            if hits is not None:  # backprop left the batch's output h^(n_l) in its workspace
                hits += self.counter.count(self.network.workspace(Xb.shape[0]).h[-1], Yb)
            _call(self.callbacks, "on_iteration", self.history.iterations, cost)
        return epoch_cost, hits, logged

    def step(self, Xb: np.ndarray, Yb: np.ndarray, alpha: float) -> float:
        """One update on a batch (tutorial 4.9): gradient, the checks, the optimizer's step."""
        self.stop.allow()  # a second signal may stop here, before the weights change
        cost, grad_W, grad_b = self.network.backprop(Xb, Yb, self.s.l2,
                                                     self.masks.draw(Xb.shape[0]))
        self.stop.done()
        self.guard.check_cost(cost, self.history)
        self.guard.keep()
        self.opt.update(self.params, grad_W + grad_b, alpha)
        self.guard.check_weights(self.history)
        self.history.cost.append(cost)
        self.history.iterations += 1
        return cost

    def end_epoch(self, epoch: int, alpha: float, epoch_cost: float, hits: float | None,
                  logged: bool) -> bool:
        """Record a completed epoch (validation, log row, callbacks, checkpoint); True when
        early stopping ends the run."""
        history = self.history
        history.epochs += 1
        # the data cost J without the L2 term, so that it compares with val_cost
        record = {"epoch": epoch, "train_cost": epoch_cost / self.plan.m,
                  "learning_rate": alpha}
        history.train_cost.append(record["train_cost"])
        if self.validation_data is not None:
            record.update(_validate(self.network, *self.validation_data))
            history.val_cost.append(record["val_cost"])
            history.val_accuracy.append(record["val_accuracy"])
        if logged:
            record["accuracy"] = record.get("val_accuracy") if hits is None else hits / self.plan.m
            history.log.append(_log_row(history, record, self.elapsed()))
        _call(self.callbacks, "on_epoch_end", epoch, record)
        if self.early is not None and self.early.should_stop(record["val_cost"], epoch, history):
            history.stopped = "early_stopping"
            return True
        if self.saving.due(history.epochs):
            history.seconds = self.elapsed()
            best = None if self.early is None else self.early.record()
            self.saving.save(self.params, self.opt, self.rng, history, best)
        return False


class _Batches:
    """Mini-batches: a new order of the rows every epoch, and each batch's rows gathered into
    buffers made once, (batch, s_1) and (batch, s_nl), of the network's dtype. A full-batch
    run takes X and Y as they are and draws nothing from the generator.

    X and Y may each be an array or a row source (``take_rows(rows, out)``), which makes the
    batch's rows as they are taken (``data.ImageRows``: images kept as stored, shifted and
    scaled per batch). A full-batch run takes all of a source's rows once, at the start."""

    def __init__(self, X, Y, batch, rng, dtype):
        self.batch, self.rng = batch, rng
        m = X.shape[0]
        if batch >= m:
            self.X, self.Y = (self._all(A, dtype) for A in (X, Y))
            self.rows = None
        else:
            self.X, self.Y = X, Y
            self.rows = tuple(np.empty((batch, A.shape[1]), dtype) for A in (X, Y))

    @staticmethod
    def _all(A, dtype):
        return A.take_rows(None, np.empty(A.shape, dtype)) if is_row_source(A) else A

    def order(self):
        return self.rng.permutation(self.X.shape[0]) if self.rows is not None else None

    def take(self, order, start_row):
        if order is None:
            return self.X, self.Y
        rows = order[start_row:start_row + self.batch]
        return tuple(A.take_rows(rows, out[:len(rows)]) if is_row_source(A) else
                     np.take(A, rows, axis=0, out=out[:len(rows)], mode="clip")  # no copy
                     for A, out in zip((self.X, self.Y), self.rows))


class _EarlyStopping:
    """The best epoch so far by validation cost, its weights, and the epochs since."""

    def __init__(self, params, patience):
        self.params, self.patience = params, patience
        self.best = [p.copy() for p in params]
        self.cost, self.since = math.inf, 0

    def should_stop(self, val_cost, epoch, history) -> bool:
        if val_cost < self.cost:
            self.cost, self.since, history.best_epoch = val_cost, 0, epoch
            for p, saved in zip(self.params, self.best):
                np.copyto(saved, p)
        else:
            self.since += 1
        return self.since >= self.patience

    def put_back(self):
        for p, saved in zip(self.params, self.best):
            np.copyto(p, saved)

    def record(self):
        """What a checkpoint keeps of it (``TrainingState.best``)."""
        return dict(params=[p.copy() for p in self.best], cost=self.cost, since=self.since)

    def restore(self, best):
        for p, saved in zip(self.best, best["params"], strict=True):
            np.copyto(p, saved)
        self.cost, self.since = float(best["cost"]), int(best["since"])


class _Checkpoints:
    """When to hand a ``TrainingState`` to ``checkpoint``, and making it."""

    def __init__(self, checkpoint: Callable[[TrainingState], Any] | None, every: int) -> None:
        self.checkpoint, self.every = checkpoint, every

    def due(self, epochs_done: int) -> bool:
        return self.checkpoint is not None and epochs_done % self.every == 0

    def save(self, params, opt, rng, history, best) -> None:
        assert self.checkpoint is not None
        self.checkpoint(TrainingState([p.copy() for p in params], opt.state(),
                                      rng.bit_generator.state, copy.deepcopy(history), best))


# A cost this many times the first one means training runs away (the cost of a sound run
# falls; mini-batch noise moves it by a few times at most, never by three orders of magnitude).
COST_GROWTH_LIMIT = 1e3
# The growth is measured from the first cost, or from this floor when the first cost is
# smaller: a run that starts near zero (a warm start) can move by large ratios through batch
# noise alone, but a cost of 1000 x COST_FLOOR reached from there is runaway, not noise.
COST_FLOOR = 1e-3


class _Divergence:
    """The divergence guard: the last weights whose cost was finite (``keep`` before each
    update), the checks of the cost before a step and of the weights after it, and the way
    out (those weights back, ``TrainingDiverged``)."""

    def __init__(self, params, alpha0, elapsed):
        self.params, self.alpha0, self.elapsed = params, alpha0, elapsed
        # the weights as one array when the network keeps them back to back (Network does):
        # the copy and the check are then one numpy call each, not one per array
        flat = flat_view(params)
        self.flat = None if flat is None else (flat, flat.copy())
        self.backup = [p.copy() for p in params] if flat is None else []

    def keep(self):
        if self.flat is not None:
            np.copyto(self.flat[1], self.flat[0])
            return
        for p, saved in zip(self.params, self.backup):
            np.copyto(saved, p)

    def check_cost(self, cost, history):
        """The cost of the step about to be taken: finite, and not runaway growth."""
        if not math.isfinite(cost):
            self._diverged(history, f"the cost became {cost} at iteration "
                                    f"{history.iterations + 1}")
        if history.cost and cost > COST_GROWTH_LIMIT * max(history.cost[0], COST_FLOOR):
            self._diverged(history, f"the cost grew from {history.cost[0]:.4g} to {cost:.4g} "
                                    f"at iteration {history.iterations + 1}")

    def check_weights(self, history):
        """After an update: the sum of the squared weights must stay finite in their dtype (as
        the L2 term and Adam's squared gradients need), which also fails on NaN or infinite
        weights. One dot product per array: cheaper than a max and a min of each."""
        flat = ([self.flat[0]] if self.flat is not None else
                [p.ravel(order="K") for p in self.params])  # views, whatever the memory order
        total = sum(float(v @ v) for v in flat)
        if not math.isfinite(total):
            largest = max(float(np.nanmax(np.abs(p))) for p in self.params)
            self._diverged(history, f"the weights left the safe range of "
                                    f"{self.params[0].dtype} at iteration "
                                    f"{history.iterations + 1} (|w| up to {largest:.3g}: their "
                                    "squares overflow)")

    def _diverged(self, history, what):
        """Put back the last good weights (before the last update) and raise."""
        if self.flat is not None:
            np.copyto(self.flat[0], self.flat[1])
        else:
            for p, saved in zip(self.params, self.backup):
                np.copyto(p, saved)
        history.stopped = "diverged"
        history.seconds = self.elapsed()
        raise TrainingDiverged(f"{what}; try a smaller learning rate than {self.alpha0} (the "
                               "network keeps the last good weights, those before that step)",
                               history)


def _log_row(history, record, seconds):
    """One row of ``History.log``, at the end of an epoch."""
    return {"epoch": history.epochs, "iteration": history.iterations,
            "cost": record["train_cost"], "val_cost": record.get("val_cost"),
            "accuracy": record["accuracy"], "learning_rate": record["learning_rate"],
            "seconds": seconds}


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
