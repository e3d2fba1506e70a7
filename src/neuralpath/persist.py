"""Model files: one ``.npz`` of arrays with a JSON metadata entry; atomic writes; no pickle.

Layout of the archive: ``W0 .. W{n-2}``, ``b0 .. b{n-2}`` (the network, W[l] in the
tutorial's (s_{l+1}, s_l) orientation), ``scaler_mean``, ``scaler_scale``, ``classes``, and
``metadata``: a JSON string with

* the format name and version (``FORMAT``, ``FORMAT_VERSION``) and the neuralpath version;
* the network the arrays make: ``layer_sizes``, ``activation``, ``output_activation``,
  ``cost``, ``initializer``, ``dtype``;
* ``config``: the whole ``TrainConfig`` of the run (``TrainConfig.to_dict``), or null for a
  model made without one; ``preset``: the preset it started from;
* facts about the run (``stopped``, ``iterations_run``, accuracies, ...).

Version 1 files (neuralpath 0.1.0) kept a subset of the settings flat in the metadata; they are
read by turning those into a version 2 ``config`` over their preset (``_upgrade_v1``).

No pickle anywhere: files are read with ``allow_pickle=False``, so opening a model never
runs code. Files are written to a temporary file in the same folder, flushed to disk, then
moved over the target with ``os.replace``, so a crash never leaves half a model. This module
knows the file; ``model.py`` builds a ``TrainedModel`` from what it reads.
"""
from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Callable
from typing import IO, Any

import numpy as np

from ._version import __version__
from .errors import ModelFileError
from .signals import HeldSignals  # re-exported: the hold around every write

FORMAT = "neuralpath-model"
FORMAT_VERSION = 2
NETWORK_KEYS = ("layer_sizes", "activation", "output_activation", "cost", "initializer",
                "dtype")
# the settings that version 1 files stored flat beside the network's description
_V1_SETTINGS = ("dataset", "optimizer", "learning_rate", "iterations", "epochs", "batch_size",
                "l2", "dropout", "scaler", "test_size", "seed")

__all__ = ["FORMAT", "FORMAT_VERSION", "HeldSignals", "ModelFileError", "atomic_write",
           "read_model_file", "write_model_file"]


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> str:
    """Call ``write(file_object)`` on a temporary file, then move it over ``path``.

    SIGINT, SIGTERM and SIGHUP wait until the file is complete (``signals.HeldSignals``); the
    temporary file is removed whatever happens; an ``OSError`` names ``path``, not the
    temporary file.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    with HeldSignals():
        try:
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path),
                                       dir=folder)
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            umask = os.umask(0)  # mkstemp makes the file 0600; give it the usual permissions
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise OSError(f"cannot write {path}: {reason}") from None
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    return path


def write_model_file(path: str | os.PathLike, W: list[np.ndarray], b: list[np.ndarray],
                     extras: dict[str, np.ndarray], metadata: dict[str, Any]) -> str:
    """Write weights, biases, the named ``extras`` arrays and ``metadata`` atomically."""
    meta = dict(metadata)
    meta.update(format=FORMAT, format_version=FORMAT_VERSION, neuralpath_version=__version__)
    arrays = {f"W{l}": w for l, w in enumerate(W)}
    arrays.update({f"b{l}": v for l, v in enumerate(b)})
    arrays.update(extras)
    arrays["metadata"] = np.array(json.dumps(meta))
    return atomic_write(path, lambda f: np.savez(f, **arrays))  # type: ignore[arg-type]


def read_model_file(path: str | os.PathLike) -> tuple[list[np.ndarray], list[np.ndarray],
                                                      dict[str, np.ndarray], dict[str, Any]]:
    """``(W, b, extras, metadata)`` of a model file, metadata in the current version's layout.

    ``FileNotFoundError`` if there is no file; ``ModelFileError`` naming what is wrong for
    anything that is not a complete neuralpath model this version can read.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except IsADirectoryError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        # numpy's own text can suggest allow_pickle=True for a file that is not an archive:
        # never pass that on (a model file never needs it)
        reason = ("it is not a complete .npz archive" if isinstance(exc, ValueError)
                  else f"it is not a complete .npz archive: {exc}")
        raise ModelFileError(f"not a neuralpath model: {path} ({reason})") from None
    if "metadata" not in arrays:
        raise ModelFileError(f"not a neuralpath model: {path} (it has no metadata entry)")
    try:
        meta = json.loads(str(arrays.pop("metadata")))
    except (json.JSONDecodeError, TypeError):
        raise ModelFileError(f"not a neuralpath model: {path} (its metadata is not "
                             "JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"not a neuralpath model: {path} (format is {meta.get('format')!r})"
                             if isinstance(meta, dict) else f"not a neuralpath model: {path}")
    if meta.get("format_version") == 1:
        meta = _upgrade_v1(meta)
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has model format version {meta.get('format_version')!r}; "
                             f"this neuralpath reads versions 1 to {FORMAT_VERSION}")
    try:
        sizes = [int(s) for s in meta["layer_sizes"]]
        W = [arrays.pop(f"W{l}") for l in range(len(sizes) - 1)]
        b = [arrays.pop(f"b{l}") for l in range(len(sizes) - 1)]
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path} is a damaged neuralpath model ({exc})") from None
    for l, (w, v) in enumerate(zip(W, b)):
        if w.shape != (sizes[l + 1], sizes[l]) or v.shape != (sizes[l + 1],):
            raise ModelFileError(f"{path}: W{l} or b{l} has the wrong shape for layer sizes "
                                 f"{sizes}: {w.shape} and {v.shape}")
    named = {f"W{l}": w for l, w in enumerate(W)}
    named.update({f"b{l}": v for l, v in enumerate(b)})
    named.update(arrays)
    _check_arrays(path, named)
    return W, b, arrays, meta


def _check_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Numbers in a model must be finite, and the scaler's scale positive (it divides)."""
    for name, a in arrays.items():
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            bad = int(a.size - np.isfinite(a).sum())
            raise ModelFileError(f"{path} is a broken neuralpath model: {name} holds {bad} NaN "
                                 f"or infinite value(s) of {a.size}")
    scale = arrays.get("scaler_scale")
    if scale is not None and scale.dtype.kind in "fciu" and scale.size and (scale <= 0).any():
        raise ModelFileError(f"{path} is a broken neuralpath model: scaler_scale must be "
                             f"positive (it divides the inputs), got {int((scale <= 0).sum())} "
                             f"value(s) <= 0, the smallest {scale.min():.3g}")


def _upgrade_v1(meta: dict[str, Any]) -> dict[str, Any]:
    """Version 1 metadata -> version 2: the flat settings become a ``config`` over the preset
    they came from (None where they do not make a valid config, e.g. estimator files)."""
    from .presets import PRESETS

    meta = dict(meta)
    meta["format_version"] = 2
    preset = meta.get("preset")
    base = PRESETS.get(preset) if isinstance(preset, str) else None
    meta["config"] = None
    if base is not None:
        settings = {k: meta[k] for k in _V1_SETTINGS if k in meta}
        settings.update({k: meta[k] for k in NETWORK_KEYS if k in meta})
        try:
            meta["config"] = base.replace(**settings).to_dict()
        except ValueError:
            pass
    for key in _V1_SETTINGS:  # they live in the config now
        meta.pop(key, None)
    return meta
