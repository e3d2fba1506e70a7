"""``TrainConfig``: every setting of a training run, in one typed, validated dataclass.

A config says everything that decides what a run computes: the data, the architecture, the
cost, the optimizer and its options, how long and in what batches, regularisation, precision
and the seed. Presets are configs (``presets.PRESETS``); the command line, the estimator, the
web page and the pipeline each build one and hand it on; a model file stores it whole, so a
run can be told exactly and repeated.

Each field is described once, in its metadata: ``help`` (in the tutorial's terms where it has
them) and ``check`` (a ``checks.Check``: what values it takes, as code and as words; the
engine's settings take theirs from ``training.Settings``), plus ``choices`` for a field that
names one of a table's entries (the check's options). ``neuralpath train`` builds one option
per field from it and the checks run from it, so a new setting is one field here.

Each value is checked once: all of them when a config is made (``__post_init__``), only the
changed ones in ``replace``. A refused value raises ``errors.SettingError``, which names the
setting, what it takes and what came (``learning_rate must be a positive number, got -1``),
and which the command line names by its option instead.
"""
from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .activations import HIDDEN_ACTIVATIONS, OUTPUT_ACTIVATIONS
from .checks import Check, Choice, Flag, Number, Sizes
from .costs import COSTS, get_cost
from .data import DATASETS, SCALERS
from .initializers import INITIALIZERS
from .optimizers import OPTIMIZERS, option_check
from .training import Settings, one_length, setting_check

DTYPES = ("float64", "float32")

_UNIT = Number(0.0, 1.0, low_closed=False)  # (0, 1): shares of the data


def _setting(default: Any, help: str, check: Check) -> Any:
    """A dataclass field with its one description: help text and check (and, for lists, a
    default factory)."""
    meta: dict[str, Any] = {"help": help, "check": check}
    if isinstance(check, Choice):
        meta["choices"] = check.options
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of one training run; the defaults are the tutorial's section 5."""

    # -- the data
    dataset: str = _setting("digits", "data set: digits (embedded, 8x8) or mnist (IDX files)",
                            Choice(DATASETS))
    scaler: str = _setting("all", "input scaling: all = StandardScaler on all the data before "
                           "the split (tutorial 5.1), train = on the training part, unit = "
                           "pixels / the training part's largest value", Choice(SCALERS))
    test_size: float = _setting(0.4, "share of the data held out for testing (tutorial 5.2: "
                                "0.4); data sets with their own test files ignore it", _UNIT)
    augment: bool = _setting(False, "add each training image shifted by one pixel up, down, "
                             "left and right", Flag())
    augment_drawings: bool = _setting(False, "digits only: add 4 copies of each training image "
                                      "varied as drawings vary (turned, slanted, stretched, "
                                      "thinner or fatter strokes), printed digits (DejaVu, "
                                      "shipped) and made-up drawings of styles the data "
                                      "lacks, all made per batch (augment.DrawingRows); "
                                      "replaces augment's shifts", Flag())
    # -- the network
    layer_sizes: list[int] = _setting([64, 30, 10], "nodes per layer s_1,...,s_nl, input "
                                      "first (tutorial 5.4: nn_structure = [64, 30, 10])",
                                      Sizes())
    activation: str = _setting("sigmoid", "hidden-layer activation f (tutorial 2.1: sigmoid)",
                               Choice(HIDDEN_ACTIVATIONS))
    output_activation: str = _setting("sigmoid", "output-layer activation",
                                      Choice(OUTPUT_ACTIVATIONS))
    cost: str = _setting("quadratic", "cost J: quadratic = 1/2 ||y - h||^2 (tutorial 4.2) or "
                         "cross_entropy (with a softmax or sigmoid output)", Choice(COSTS))
    initializer: str = _setting("tutorial", "initial W and b: tutorial = uniform [0, 1) "
                                "(tutorial 5.4), xavier, he", Choice(INITIALIZERS))
    dtype: str = _setting("float64", "precision of the weights and the computation",
                          Choice(DTYPES))
    # -- the optimizer (the engine's settings check as the engine does: setting_check)
    optimizer: str = _setting("gd", "gd = the tutorial's W -= alpha * dJ/dW (4.3), momentum, "
                              "nesterov or adam", setting_check("optimizer"))
    learning_rate: float = _setting(0.25, "the step size alpha (tutorial 4.3; 0.25 in 5.4); "
                                    "with a schedule, its starting value",
                                    setting_check("learning_rate"))
    schedule: str = _setting("constant", "learning rate by epoch: constant, step (halved each "
                             "quarter) or cosine", setting_check("schedule"))
    # an optimizer's own settings: their checks are the optimizer's (optimizers.py)
    momentum: float = _setting(0.9, "momentum mu of the momentum and nesterov optimizers",
                               option_check("momentum"))
    beta_1: float = _setting(0.9, "adam: decay of the first-moment (mean) estimate",
                             option_check("beta_1"))
    beta_2: float = _setting(0.999, "adam: decay of the second-moment estimate",
                             option_check("beta_2"))
    epsilon: float = _setting(1e-8, "adam: added to sqrt(v) so the step stays finite",
                              option_check("epsilon"))
    # -- how long, and in what batches
    iterations: int | None = _setting(3000, "optimizer steps (tutorial 5.4: iter_num = "
                                      "3000); give this or epochs", setting_check("iterations"))
    epochs: int | None = _setting(None, "passes over the training data; give this or "
                                  "iterations", setting_check("epochs"))
    batch_size: int | None = _setting(None, "samples per step; none = all m samples, the "
                                      "tutorial's full-batch gradient descent",
                                      setting_check("batch_size"))
    # -- regularisation
    l2: float = _setting(0.0, "weight decay lambda: J + lambda/2 sum ||W||^2 (the follow-up "
                         "post 'Improve your neural networks - Part 1')", setting_check("l2"))
    dropout: float = _setting(0.0, "probability of dropping each hidden node while training",
                              setting_check("dropout"))
    early_stopping: bool = _setting(False, "hold out validation_fraction of the training part; "
                                    "stop when its cost stops improving, keep the best epoch",
                                    setting_check("early_stopping"))
    validation_fraction: float = _setting(0.1, "share of the training part held out for early "
                                          "stopping", _UNIT)
    patience: int = _setting(10, "epochs without improvement before early stopping",
                             setting_check("patience"))
    # -- randomness
    seed: int = _setting(0, "seed of the split (train_test_split's random_state) and of the "
                         "initial weights, shuffling and dropout", setting_check("seed"))

    def __post_init__(self) -> None:
        self._check(dataclasses.fields(self))

    def _check(self, fields: Any) -> None:
        """Check ``fields`` (each value by its field's check, which may also put it in plain
        form: a tuple of sizes becomes a list), then what needs two settings together."""
        for f in fields:
            object.__setattr__(self, f.name, f.metadata["check"](f.name, getattr(self, f.name)))
        if (self.iterations is None) == (self.epochs is None):
            raise ValueError("give exactly one of iterations or epochs, got "
                             f"iterations={self.iterations!r}, epochs={self.epochs!r}")
        get_cost(self.cost, self.output_activation)  # a pair the costs table knows

    # -- making new configs
    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with ``changes`` applied (None values are ignored); only the changed values
        are checked, the others were when this config was made. Giving ``iterations`` clears
        ``epochs`` and the other way round, so a preset's length can be overridden."""
        changes = {k: v for k, v in changes.items() if v is not None}
        fields = {f.name: f for f in dataclasses.fields(self)}
        unknown = sorted(set(changes) - set(fields))
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(fields)}")
        changes = one_length(changes)
        new = copy.copy(self)
        for name, value in changes.items():
            object.__setattr__(new, name, value)
        new._check([fields[name] for name in changes])
        return new

    def training_settings(self) -> Settings:
        """The engine's ``Settings`` of this run (``training.train`` asks for them): the
        values go over as they are, checked already, with the chosen optimizer's own options
        (``momentum``, ``beta_1``, ...) read from the fields of the same names."""
        own = OPTIMIZERS[self.optimizer].options
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(Settings)
                  if hasattr(self, f.name)}
        values["optimizer_options"] = {k: getattr(self, k) for k in own if hasattr(self, k)}
        return Settings.trusted(**values)

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


def check_of(name: str) -> Check:
    """The check of setting ``name`` (``check_of(name).words``: its range in words)."""
    return {f.name: f.metadata["check"] for f in dataclasses.fields(TrainConfig)}[name]


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value
