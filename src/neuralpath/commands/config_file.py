"""``--config FILE`` and ``--tensorboard DIR``: the options that ``train`` and ``sweep`` share
beside the settings (issue 25).

``--config FILE`` starts from a run's own ``config.json`` (or its folder, or a model file, or
a TOML file with the same keys): the config is the file's, on top of ``--preset`` when given
(a TOML file may name a few settings only), and every setting option given beside it
overrides it. ``--tensorboard DIR`` adds a ``TensorBoardLogger`` writing into a subfolder of
DIR named after the run.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
from typing import Any

from ..config import TrainConfig
from ..errors import UsageError
from .common import refused


def add_config_options(parser: argparse.ArgumentParser) -> None:
    """``--config FILE`` and ``--tensorboard DIR``."""
    parser.add_argument("--config", metavar="FILE",
                        help="start from this config: a run's config.json (or its folder, or "
                             "a model .npz), or a TOML file with the same keys; trains the "
                             "same network again. Options given beside it override it; with "
                             "--preset, the file's settings go on top of the preset's")
    parser.add_argument("--tensorboard", metavar="DIR",
                        help="write the cost, accuracies and learning rate of every logged "
                             "epoch as TensorBoard event files into DIR/<run> (needs "
                             "pip install 'neuralpath[tensorboard]'); view with tensorboard "
                             "--logdir DIR")


def read_config_file(path: str) -> dict[str, Any]:
    """The settings a config file holds, as a dict (not checked yet).

    A folder means its ``config.json``; ``.toml`` is read with tomllib; ``.npz`` is a model
    file, whose config is read; anything else is JSON. ``ValueError`` naming the file when
    it cannot be read or is not a table of settings."""
    if os.path.isdir(path):
        path = os.path.join(path, "config.json")
    if not os.path.isfile(path):
        raise ValueError(f"{path}: no such file")
    if path.endswith(".npz"):
        from ..model import load
        model = load(path)
        if model.config is None:
            raise ValueError(f"{path} holds no training config (a model made without one)")
        return model.config.to_dict()
    try:
        with open(path, "rb") as f:
            raw = f.read()
        if path.endswith(".toml"):
            values = _toml().loads(raw.decode())
        else:
            values = json.loads(raw)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"{path} cannot be read as a config: {exc}") from None
    if not isinstance(values, dict):
        raise ValueError(f"{path} must hold a table of settings (a JSON object), got "
                         f"{type(values).__name__}")
    return values


def _toml() -> Any:
    try:
        import tomllib  # Python 3.11+
        return tomllib
    except ImportError:
        try:
            import tomli  # type: ignore[import-not-found]
            return tomli
        except ImportError:
            raise ValueError("TOML config files need Python 3.11 or pip install tomli; a "
                             "JSON file works everywhere") from None


def config_with_file(args: argparse.Namespace,
                     command: str = "train") -> tuple[str, TrainConfig] | None:
    """The preset's name (or the file's, as the run's label) and the ``TrainConfig`` that
    ``--config``, ``--preset`` and the setting options ask for; None without ``--config``
    (then ``train.config_from_args`` says). ``UsageError`` naming the option or the file."""
    from ..presets import resolve
    from ..sweep import with_settings

    path = getattr(args, "config", None)
    if not path:
        return None
    if getattr(args, "resume", None):
        raise UsageError(f"neuralpath {command}: --resume continues a run with its own "
                         "settings; give --config or --resume, not both")
    try:
        values = read_config_file(path)
        known = {f.name for f in dataclasses.fields(TrainConfig)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown setting(s) {unknown}; known: {sorted(known)}")
        base = resolve(args.preset) if args.preset else TrainConfig()
        cfg = with_settings(base, values)
    except ValueError as exc:
        raise UsageError(f"neuralpath {command}: --config {path}: {exc}") from None
    changes = {f.name: getattr(args, f.name) for f in dataclasses.fields(TrainConfig)}
    try:
        cfg = cfg.replace(**changes)
    except ValueError as exc:  # TrainConfig names the setting: name the option instead
        raise refused(exc, command) from None
    return args.preset or path, cfg


def tensorboard_callbacks(args: argparse.Namespace, run_dir: str | None) -> list[Any]:
    """``--tensorboard DIR``: a ``TensorBoardLogger`` into DIR/<the run folder's name> (the
    model file's name with --out); none without the option."""
    folder = getattr(args, "tensorboard", None)
    if not folder:
        return []
    from ..tensorboard import TensorBoardLogger, check_available
    try:
        check_available()
    except ImportError as exc:
        raise UsageError(f"neuralpath: {exc}") from None
    if run_dir:
        name = os.path.basename(os.path.realpath(run_dir))
    elif getattr(args, "out", None):
        name = os.path.splitext(os.path.basename(args.out))[0]
    else:
        import datetime
        name = datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    return [TensorBoardLogger(os.path.join(folder, name))]
