"""The settings of a live run, in the page's words: read, checked, bounded and labelled.

``POST /api/train``'s body is a preset and any ``TrainConfig`` setting; ``parse_settings``
turns it into the ``TrainConfig`` the run trains (``presets.resolve``, the CLI's road), and a
refused setting becomes a 422 that names it as the page does: ``{"error": "Learning rate must
be a positive number, it is -1", "field": "learning_rate"}`` (the page's label, ``LABELS``; no
field name, type name or Python repr in the message). ``label_of`` says what a run is in the
same words ("tutorial, learning rate 0.5, hidden layers 100"), and ``options`` gives the page
what it needs to build and check its form before sending it.
"""
from __future__ import annotations

import dataclasses
import math
import os
from typing import Any

import numpy as np

from ..config import TrainConfig, check_of, help_of
from ..data import DATASETS
from ..errors import SettingError
from ..presets import PRESETS, resolve
from .api import ApiError, json_object

MAX_LAYER = 1024  # nodes in any layer
MAX_ITERATIONS = 20_000  # optimizer steps of one run
MAX_WEIGHT_BYTES = 8 * 1024 * 1024  # weights and biases of one network
N_CLASSES = 10  # the digits and MNIST both have ten

# the page's label of each setting: what an error or a run's label calls it
LABELS = {
    "preset": "Preset", "dataset": "Data set", "scaler": "Input scaling",
    "test_size": "Test share", "augment": "Shifted copies",
    "augment_drawings": "Drawing-style copies", "layer_sizes": "Hidden layers",
    "activation": "Activation", "output_activation": "Output activation", "cost": "Cost J",
    "initializer": "Initial weights", "dtype": "Precision", "optimizer": "Optimizer",
    "learning_rate": "Learning rate", "schedule": "Learning-rate schedule",
    "momentum": "Momentum", "beta_1": "Adam β1", "beta_2": "Adam β2", "epsilon": "Adam ε",
    "iterations": "Iterations", "epochs": "Epochs", "batch_size": "Batch size", "l2": "L2 λ",
    "dropout": "Dropout", "early_stopping": "Early stopping",
    "validation_fraction": "Validation share", "patience": "Patience", "seed": "Seed",
}


def refused(field: str, message: str) -> ApiError:
    """The 422 of a refused setting ``field`` (``message`` in the page's words)."""
    return ApiError(422, message, field=field)


def came(value: Any) -> str:
    """What came instead of a good value, in plain words (no Python repr)."""
    if value is None or value == "" or value == []:
        return "it is empty"
    if isinstance(value, bool):
        return f"it is {'on' if value else 'off'}"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return f"it is {float(value):g}" if math.isfinite(float(value)) else "it is not finite"
    if isinstance(value, str):
        text = value if len(value) <= 24 else value[:21] + "..."
        return f'it is the text "{text}"'
    if isinstance(value, (list, tuple)):
        return "it is a list"
    return "it is not a value of this kind"


def _sizes_problem(value: Any) -> str:
    """Why layer sizes are refused, naming the layer (the page shows hidden layers only)."""
    if not isinstance(value, (list, tuple)):
        return came(value)
    if len(value) < 2:
        return "a network needs an input and an output layer"
    for i, size in enumerate(value):
        where = ("the input layer" if i == 0 else "the output layer" if i == len(value) - 1
                 else f"hidden layer {i}")
        if size is None or size == "":
            return f"{where} is empty"
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            return f"{where} is not a whole number of nodes from 1 to {MAX_LAYER}"
    return "they are not whole numbers"


def expected(name: str) -> str:
    """What setting ``name`` takes, in words ("one of sigmoid, tanh or relu", "a positive
    number")."""
    check = check_of(name)
    options = [str(o) for o in getattr(check, "options", ())]
    if len(options) > 1:
        return f"one of {', '.join(options[:-1])} or {options[-1]}"
    return check.expected


def from_setting_error(exc: SettingError) -> ApiError:
    """A ``TrainConfig`` refusal in the page's words."""
    label = LABELS.get(exc.name, exc.name)
    if exc.name == "layer_sizes":
        return refused(exc.name, f"{label} must be whole numbers of nodes (e.g. 30, or 100, "
                                 f"50): {_sizes_problem(exc.value)}")
    words = expected(exc.name) if exc.name in LABELS else exc.expected
    return refused(exc.name, f"{label} must be {words}; {came(exc.value)}")


def parse_settings(body: bytes | dict[str, Any]) -> tuple[str, TrainConfig]:
    """The preset and the ``TrainConfig`` a POST /api/train body asks for (its JSON bytes or
    the object; empty: the tutorial preset); ``ApiError`` 400 (not JSON) or 422 (naming the
    setting, ``field``) otherwise. ``"batch_size": null`` asks for the full batch (the
    tutorial's), also over a preset with mini-batches."""
    settings = dict(body) if isinstance(body, dict) else json_object(
        body or b"{}", 'a JSON object of settings, e.g. {"preset": "tutorial", '
                       '"iterations": 500}')
    preset = settings.pop("preset", "tutorial")
    if not isinstance(preset, str) or preset not in PRESETS:
        raise refused("preset", f"Preset must be one of {', '.join(PRESETS)}; {came(preset)}")
    unknown = sorted(set(settings) - set(LABELS))
    if unknown:
        raise refused(unknown[0], f'"{unknown[0][:40]}" is not a setting of a run')
    for name, value in settings.items():  # null is "left out" only where a setting may be
        if value is None and name != "batch_size" and not check_of(name).accepts(None):
            raise from_setting_error(SettingError(name, check_of(name).expected, None))
    try:
        cfg = resolve(preset, **settings)
        if "batch_size" in settings and settings["batch_size"] is None:  # resolve skips None
            cfg = TrainConfig.from_dict({**cfg.to_dict(), "batch_size": None})  # full batch
    except SettingError as exc:
        raise from_setting_error(exc) from None
    except (ValueError, TypeError) as exc:  # two settings that do not go together
        raise _pair_refused(str(exc), settings) from None
    check_bounds(cfg)
    return preset, cfg


def _pair_refused(message: str, settings: dict[str, Any]) -> ApiError:
    """A refusal about two settings together (cost and output, iterations and epochs)."""
    if message.startswith("cost "):
        field = "output_activation" if "output_activation" in settings else "cost"
        return refused(field, "Cost J and Output activation do not go together: " +
                       message.split(" needs ", 1)[-1].replace("an output_activation",
                                                               "the cross-entropy cost "
                                                               "needs an output activation"))
    if "iterations or epochs" in message:
        return refused("iterations", "give Iterations or Epochs, not both")
    return ApiError(422, message)


def check_bounds(cfg: TrainConfig) -> None:
    """Refuse (``ApiError`` 422, naming the field) a network larger than this server's
    bounds, or one whose first and last layers do not fit its data set."""
    label = LABELS["layer_sizes"]
    largest = max(cfg.layer_sizes)
    if largest > MAX_LAYER:
        raise refused("layer_sizes", f"{label}: a live run takes at most {MAX_LAYER} nodes "
                                     f"in a layer, it has {largest}")
    n_params = sum((a + 1) * b for a, b in zip(cfg.layer_sizes, cfg.layer_sizes[1:]))
    size = n_params * np.dtype(cfg.dtype).itemsize
    if size > MAX_WEIGHT_BYTES:
        raise refused("layer_sizes", f"{label}: a live run's weights may take at most "
                                     f"{MAX_WEIGHT_BYTES // 2 ** 20} MB, these take "
                                     f"{size / 2 ** 20:.1f} MB ({n_params} numbers)")
    if cfg.iterations is not None and cfg.iterations > MAX_ITERATIONS:
        raise refused("iterations", f"Iterations: a live run makes at most {MAX_ITERATIONS} "
                                    f"optimizer steps, it asks for {cfg.iterations}")
    inputs = DATASETS[cfg.dataset].side ** 2
    if cfg.layer_sizes[0] != inputs or cfg.layer_sizes[-1] != N_CLASSES:
        raise refused("layer_sizes", f"the network must take the {cfg.dataset} data's "
                                     f"{inputs} inputs and give {N_CLASSES} outputs, one per "
                                     f"digit; its layers are {_sizes(cfg.layer_sizes)}")


def _sizes(sizes: list[int]) -> str:
    return " → ".join(str(s) for s in sizes)


def _value(name: str, value: Any) -> str:
    """A setting's value in a run's label."""
    if name == "layer_sizes":
        hidden = value[1:-1]
        return ", ".join(str(s) for s in hidden) if hidden else "none"
    if name == "batch_size" and value is None:
        return "all rows"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def label_of(preset: str, cfg: TrainConfig) -> str:
    """What a run is in plain words: its preset and each setting that differs from it
    ("tutorial", "tutorial, learning rate 0.5, hidden layers 100")."""
    base = PRESETS[preset].to_dict()
    changes = [f"{LABELS[k].lower()} {_value(k, v)}" for k, v in cfg.to_dict().items()
               if v != base.get(k) and not (k in ("iterations", "epochs") and v is None)]
    return ", ".join([preset, *changes])


def diverged_message(cfg: TrainConfig, detail: str) -> str:
    """Why a run diverged, in plain words. Each step multiplies the weights by 1 - learning
    rate x L2 (the decay of J + L2/2 ||W||^2) before the cost's own step: past 2 that factor
    is below -1 and the weights grow whatever the data says, so the L2 is named as the
    cause; else the learning rate (and the L2, if any)."""
    if cfg.l2 > 0 and cfg.learning_rate * cfg.l2 > 2:
        return (f"training diverged: L2 λ {cfg.l2:g} is too large for learning rate "
                f"{cfg.learning_rate:g} (each step multiplies the weights by 1 - learning "
                f"rate x L2 = {1 - cfg.learning_rate * cfg.l2:g}); try an L2 below "
                f"{2 / cfg.learning_rate:g}")
    smaller = "learning rate" + (" or a smaller L2 λ" if cfg.l2 > 0 else "")
    return f"training diverged ({detail}); try a smaller {smaller}"


def options(bounds: dict[str, Any]) -> dict[str, Any]:
    """What the page needs to build and check its form: presets, help texts, labels, choices
    and each numeric setting's bounds (its check: ``low``, ``high``, ``low_closed``), plus
    this server's ``bounds``."""
    fields = dataclasses.fields(TrainConfig)
    ranges: dict[str, Any] = {}
    for f in fields:
        check = f.metadata["check"]
        low, high = getattr(check, "low", None), getattr(check, "high", None)
        if low is not None:
            ranges[f.name] = dict(low=None if low == -math.inf else low,
                                  high=None if high in (None, math.inf) else high,
                                  low_closed=getattr(check, "low_closed", True),
                                  words=check.words)
    ranges["layer_sizes"] = dict(low=1, high=MAX_LAYER, low_closed=True,
                                 words=f"whole numbers from 1 to {MAX_LAYER}")
    return dict(
        presets={name: cfg.to_dict() for name, cfg in PRESETS.items()},
        labels=dict(LABELS), help={f.name: help_of(f.name) for f in fields},
        choices={f.name: list(f.metadata["choices"]) for f in fields
                 if "choices" in f.metadata},
        ranges=ranges, bounds=dict(bounds, max_layer=MAX_LAYER, max_iterations=MAX_ITERATIONS,
                                   max_weight_bytes=MAX_WEIGHT_BYTES,
                                   cores=os.cpu_count() or 1))
