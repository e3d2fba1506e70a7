"""``TrainConfig``: every setting of a training run, in one typed, validated dataclass.

A config says everything that decides what a run computes: the data, the architecture, the
cost, the optimizer and its options, how long and in what batches, regularisation, precision
and the seed. Presets are configs (``presets.PRESETS``); the command line, the estimator, the
web page and the pipeline each build one and hand it on; a model file stores it whole, so a
run can be told exactly and repeated.

Validation happens once, when a config is made (``__post_init__``), and names the field, what
it takes and what came: ``ValueError: learning_rate must be a positive number, got -1``. Each
field carries its help text (in the tutorial's terms where it has them) in its metadata;
``neuralpath train`` builds one option per field from it, so a new setting is one field here.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .costs import COSTS, get_cost
from .data import DATASETS, SCALERS
from .initializers import INITIALIZERS
from .optimizers import OPTIMIZERS, SCHEDULES

DTYPES = ("float64", "float32")


def _setting(default: Any, help: str, **meta: Any) -> Any:
    """A dataclass field with its help text (and, for lists, a default factory)."""
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata={"help": help, **meta})
    return field(default=default, metadata={"help": help, **meta})


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of one training run; the defaults are the tutorial's section 5."""

    # -- the data
    dataset: str = _setting("digits", "data set: digits (embedded, 8x8) or mnist (IDX files)",
                            choices=tuple(DATASETS))
    scaler: str = _setting("all", "input scaling: all = StandardScaler on all the data before "
                           "the split (tutorial 5.1), train = on the training part, unit = "
                           "pixels / the training part's largest value", choices=tuple(SCALERS))
    test_size: float = _setting(0.4, "share of the data held out for testing (tutorial 5.2: "
                                "0.4); data sets with their own test files ignore it")
    augment: bool = _setting(False, "add each training image shifted by one pixel up, down, "
                             "left and right")
    augment_drawings: bool = _setting(False, "digits only: add 4 copies of each training image "
                                      "varied as drawings vary (turned, slanted, stretched, "
                                      "thinner or fatter strokes) and made-up drawings of "
                                      "styles the data lacks (data.drawing_augment); replaces "
                                      "augment's shifts")
    # -- the network
    layer_sizes: list[int] = _setting([64, 30, 10], "nodes per layer s_1,...,s_nl, input "
                                      "first (tutorial 5.4: nn_structure = [64, 30, 10])")
    activation: str = _setting("sigmoid", "hidden-layer activation f (tutorial 2.1: sigmoid)",
                               choices=HIDDEN_ACTIVATIONS)
    output_activation: str = _setting("sigmoid", "output-layer activation",
                                      choices=OUTPUT_ACTIVATIONS)
    cost: str = _setting("quadratic", "cost J: quadratic = 1/2 ||y - h||^2 (tutorial 4.2) or "
                         "cross_entropy (with a softmax or sigmoid output)", choices=COSTS)
    initializer: str = _setting("tutorial", "initial W and b: tutorial = uniform [0, 1) "
                                "(tutorial 5.4), xavier, he", choices=tuple(INITIALIZERS))
    dtype: str = _setting("float64", "precision of the weights and the computation",
                          choices=DTYPES)
    # -- the optimizer
    optimizer: str = _setting("gd", "gd = the tutorial's W -= alpha * dJ/dW (4.3), momentum, "
                              "nesterov or adam", choices=tuple(OPTIMIZERS))
    learning_rate: float = _setting(0.25, "the step size alpha (tutorial 4.3; 0.25 in 5.4); "
                                    "with a schedule, its starting value")
    schedule: str = _setting("constant", "learning rate by epoch: constant, step (halved each "
                             "quarter) or cosine", choices=tuple(SCHEDULES))
    momentum: float = _setting(0.9, "momentum mu of the momentum and nesterov optimizers")
    beta_1: float = _setting(0.9, "adam: decay of the first-moment (mean) estimate")
    beta_2: float = _setting(0.999, "adam: decay of the second-moment estimate")
    epsilon: float = _setting(1e-8, "adam: added to sqrt(v) so the step stays finite")
    # -- how long, and in what batches
    iterations: int | None = _setting(3000, "optimizer steps (tutorial 5.4: iter_num = "
                                      "3000); give this or epochs")
    epochs: int | None = _setting(None, "passes over the training data; give this or "
                                  "iterations")
    batch_size: int | None = _setting(None, "samples per step; none = all m samples, the "
                                      "tutorial's full-batch gradient descent")
    # -- regularisation
    l2: float = _setting(0.0, "weight decay lambda: J + lambda/2 sum ||W||^2 (the follow-up "
                         "post 'Improve your neural networks - Part 1')")
    dropout: float = _setting(0.0, "probability of dropping each hidden node while training")
    early_stopping: bool = _setting(False, "hold out validation_fraction of the training part; "
                                    "stop when its cost stops improving, keep the best epoch")
    validation_fraction: float = _setting(0.1, "share of the training part held out for early "
                                          "stopping")
    patience: int = _setting(10, "epochs without improvement before early stopping")
    # -- randomness
    seed: int = _setting(0, "seed of the split (train_test_split's random_state) and of the "
                         "initial weights, shuffling and dropout")

    def __post_init__(self) -> None:
        object.__setattr__(self, "layer_sizes", _sizes(self.layer_sizes))
        for f in dataclasses.fields(self):
            check = _CHECKS.get(f.name) or _choice(f.metadata.get("choices"))
            if check is not None:
                check(f.name, getattr(self, f.name))
        if (self.iterations is None) == (self.epochs is None):
            raise ValueError("give exactly one of iterations or epochs, got "
                             f"iterations={self.iterations!r}, epochs={self.epochs!r}")
        get_cost(self.cost, self.output_activation)  # a pair the costs table knows

    # -- making new configs
    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (None values are ignored). Giving ``iterations``
        clears ``epochs`` and the other way round, so a preset's length can be overridden."""
        changes = {k: v for k, v in changes.items() if v is not None}
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(self.to_dict())}")
        if "iterations" in changes and "epochs" not in changes:
            changes["epochs"] = None
        elif "epochs" in changes and "iterations" not in changes:
            changes["iterations"] = None
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Every setting as plain JSON-able values (what a model file stores)."""
        return {f.name: _plain(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """The config ``to_dict`` gave; missing settings take their defaults, unknown ones are
        refused by name."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(names)}")
        return cls(**values)

    def differences(self, other: TrainConfig) -> dict[str, tuple[Any, Any]]:
        """{setting: (this value, other's value)} for every setting that differs."""
        mine, theirs = self.to_dict(), other.to_dict()
        return {k: (mine[k], theirs[k]) for k in mine if mine[k] != theirs[k]}


def help_of(name: str) -> str:
    """The help text of setting ``name``."""
    return {f.name: f.metadata["help"] for f in dataclasses.fields(TrainConfig)}[name]


# -- checks, one per kind of value; each raises ValueError naming the setting ----------------


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _choice(options: Any) -> Callable[[str, Any], None] | None:
    if options is None:
        return None

    def check(name: str, value: Any) -> None:
        if value not in options:
            raise ValueError(f"{name} must be one of {list(options)}, got {value!r}")
    return check


def _number(low: float, high: float, low_closed: bool, what: str) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        ok = _is_number(value) and math.isfinite(value) and value < high and (
            value >= low if low_closed else value > low)
        if not ok:
            raise ValueError(f"{name} must be {what}, got {value!r}")
    return check


def _count(optional: bool, low: int = 1) -> Callable[[str, Any], None]:
    def check(name: str, value: Any) -> None:
        if value is None and optional:
            return
        if not (_is_int(value) and value >= low):
            kind = "a positive integer" if low == 1 else f"an integer >= {low}"
            raise ValueError(f"{name} must be {kind}, got {value!r}")
    return check


def _flag(name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def _sizes(value: Any) -> list[int]:
    sizes = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    if sizes is None or len(sizes) < 2 or not all(_is_int(s) and s >= 1 for s in sizes):
        raise ValueError("layer_sizes must be a list of two or more positive integers, "
                         f"got {value!r}")
    return [int(s) for s in sizes]


_POSITIVE = _number(0.0, math.inf, False, "a positive number")
_UNIT = _number(0.0, 1.0, False, "a number in (0, 1)")
_CHECKS: dict[str, Callable[[str, Any], None]] = {
    "test_size": _UNIT,
    "augment": _flag,
    "augment_drawings": _flag,
    "early_stopping": _flag,
    "learning_rate": _POSITIVE,
    "momentum": _number(0.0, 1.0, True, "a number in [0, 1)"),
    "beta_1": _number(0.0, 1.0, True, "a number in [0, 1)"),
    "beta_2": _number(0.0, 1.0, True, "a number in [0, 1)"),
    "epsilon": _POSITIVE,
    "iterations": _count(optional=True),
    "epochs": _count(optional=True),
    "batch_size": _count(optional=True),
    "l2": _number(0.0, math.inf, True, "a number >= 0"),
    "dropout": _number(0.0, 1.0, True, "in [0, 1)"),
    "validation_fraction": _UNIT,
    "patience": _count(optional=False),
    "seed": _count(optional=False, low=0),
}


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
