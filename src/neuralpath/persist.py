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
import math
import os
import re
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from typing import IO, Any

import numpy as np
from numpy.lib import format as npformat

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


# The process's umask, read once, here: reading it means setting it (os.umask), and a write
# in another thread (a live run saving) must never see it changed for a moment.
_UMASK = os.umask(0)
os.umask(_UMASK)


def usual_mode(mode: int) -> int:
    """``mode`` (0o666 for a file, 0o777 for a folder) less the umask: the permissions a plain
    ``open`` or ``mkdir`` would give, for what ``mkstemp``/``mkdtemp`` made private."""
    return mode & ~_UMASK


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> str:
    """Call ``write(file_object)`` on a temporary file, then move it over ``path``.

    SIGINT, SIGTERM and SIGHUP wait until the file is complete (``signals.HeldSignals``); the
    temporary file is removed whatever happens; an ``OSError`` names ``path``, not the
    temporary file. Only a regular file (or nothing) at ``path`` is replaced: never a device,
    a FIFO, a socket or a folder, nor a symbolic link to one. The temporary name is short
    (``.tmp-`` and 8 letters) whatever ``path``'s, so any name the file system takes can be
    written.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    tmp = None
    with HeldSignals():
        try:
            _check_regular(path)
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
            with os.fdopen(fd, "wb") as f:
                write(f)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, usual_mode(0o666))  # mkstemp makes the file 0600
            _check_regular(path)  # made meanwhile?
            os.replace(tmp, path)
            tmp = None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise OSError(f"cannot write {path}: {reason}") from None
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
    return path


def _check_regular(path: str) -> None:
    """``OSError`` when ``path`` is something other than a regular file (after following
    symbolic links); nothing there is fine."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        kind = "a folder" if stat.S_ISDIR(mode) else "not a regular file (a device, FIFO or " \
            "socket)"
        raise OSError(f"it is {kind}; only a regular file is replaced")


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

    Nothing is allocated before it is checked: each array's header (shape, dtype) is read
    from its member of the archive and compared with what the metadata's layer sizes say,
    with the bytes the member holds and with ``MAX_EXPANSION`` times what it takes in the
    file (``_Header``); the metadata's types and nesting are checked (``_check_metadata``),
    and a checkpoint's training state against the network's shapes
    (``_check_training_state``). Only then are the arrays read.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with open(path, "rb") as fh, zipfile.ZipFile(fh) as archive:
            headers = _headers(path, archive, os.fstat(fh.fileno()).st_size)
            meta = _read_metadata(path, archive, headers)
            _check_shapes(path, meta, headers)
            arrays = {name: _read_array(archive, h) for name, h in headers.items()
                      if name != "metadata"}
    except (IsADirectoryError, ModelFileError):
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, NotImplementedError,
            RuntimeError, zlib.error) as exc:
        # numpy's own text can suggest allow_pickle=True for a file that is not an archive:
        # never pass that on (a model file never needs it)
        reason = ("it is not a complete .npz archive" if isinstance(exc, ValueError)
                  else f"it is not a complete .npz archive: {exc}")
        raise ModelFileError(f"not a neuralpath model: {path} ({reason})") from None
    sizes = meta["layer_sizes"]
    W = [arrays.pop(f"W{l}") for l in range(len(sizes) - 1)]
    b = [arrays.pop(f"b{l}") for l in range(len(sizes) - 1)]
    named = {f"W{l}": w for l, w in enumerate(W)}
    named.update({f"b{l}": v for l, v in enumerate(b)})
    named.update(arrays)
    _check_arrays(path, named)
    return W, b, arrays, meta


# -- checks made before anything is allocated ------------------------------------------------

# An array's member may take at most this many times its size in the file once decompressed
# (np.savez stores, so a model's members expand 1x; weights never compress 20x), beyond a
# small allowance: a few-MB file cannot make the reader allocate gigabytes.
MAX_EXPANSION = 20
EXPANSION_ALLOWANCE = 1 << 20  # bytes any member may hold whatever its compressed size
MAX_ARRAY_BYTES = 4 << 30  # no array of a model, whatever the file, is larger than this
MAX_METADATA_CHARS = 64 << 20  # the metadata JSON (a checkpoint's history is the bulk)
MAX_JSON_DEPTH = 16  # nesting of the metadata (a checkpoint's history log is 5 deep)
_FLOAT, _CLASSES = "f", "biufU"  # dtype kinds: weights and scalers; labels
_NAME = re.compile(r"(W|b|state_best_|state_optimizer_\d+_)(\d+)|scaler_mean|scaler_scale|"
                   r"classes|metadata")


class _Header:
    """What a member's ``.npy`` header declares, read without reading its data."""

    def __init__(self, member: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
        self.member, self.shape, self.dtype = member, shape, dtype
        self.nbytes = math.prod(shape) * dtype.itemsize  # Python ints: no overflow


def _headers(path: str, archive: zipfile.ZipFile, file_size: int) -> dict[str, _Header]:
    """Each member's array header, checked: a known name, an allowed dtype, and no more
    bytes than the member holds, nor than it may hold for its size in the file."""
    if "metadata.npy" not in archive.namelist():
        raise ModelFileError(f"not a neuralpath model: {path} (it has no metadata entry)")
    headers = {}
    for info in archive.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if not _NAME.fullmatch(name):
            raise ModelFileError(f"{path} is not a neuralpath model: it holds an unexpected "
                                 f"entry {info.filename!r}")
        allowed = max(MAX_EXPANSION * info.compress_size, EXPANSION_ALLOWANCE)
        if info.compress_size > file_size or info.file_size > allowed or (
                info.compress_type == zipfile.ZIP_STORED
                and info.file_size != info.compress_size):
            raise ModelFileError(f"{path} is a broken neuralpath model: {name} declares "
                                 f"{info.file_size:,} bytes from {info.compress_size:,} in a "
                                 f"file of {file_size:,} (a model's arrays do not compress "
                                 f"more than {MAX_EXPANSION}x)")
        with archive.open(info) as f:
            version = npformat.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = npformat.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = npformat.read_array_header_2_0(f)
            else:
                raise ModelFileError(f"{path}: {name} is in .npy format version {version}, "
                                     "not 1.0 or 2.0")
            data_bytes = info.file_size - f.tell()
        header = _Header(info.filename, shape, dtype)
        kinds = "U" if name == "metadata" else _CLASSES if name == "classes" else _FLOAT
        if dtype.kind not in kinds or dtype.fields is not None or dtype.hasobject \
                or dtype.subdtype is not None:
            raise ModelFileError(f"{path} is a broken neuralpath model: {name} has dtype "
                                 f"{dtype}; expected " + _KIND_WORDS[kinds])
        if header.nbytes != data_bytes or header.nbytes > MAX_ARRAY_BYTES:
            raise ModelFileError(f"{path} is a broken neuralpath model: {name} declares shape "
                                 f"{shape} of {dtype} ({header.nbytes:,} bytes), its entry "
                                 f"holds {data_bytes:,}" + (
                                     f" (at most {MAX_ARRAY_BYTES:,} bytes are read)"
                                     if header.nbytes > MAX_ARRAY_BYTES else ""))
        headers[name] = header
    return headers


_KIND_WORDS = {"U": "a text string", _CLASSES: "integer, float, bool or text labels",
               _FLOAT: "floating point numbers (not complex, bool, integer, datetime, "
                       "structured or object)"}


def _read_array(archive: zipfile.ZipFile, header: _Header) -> np.ndarray:
    with archive.open(header.member) as f:
        return npformat.read_array(f, allow_pickle=False)


def _read_metadata(path: str, archive: zipfile.ZipFile,
                   headers: dict[str, _Header]) -> dict[str, Any]:
    """The metadata, upgraded to the current version, its types and nesting checked."""
    header = headers["metadata"]
    if header.shape != () or header.nbytes > 4 * MAX_METADATA_CHARS:
        raise ModelFileError(f"{path} is a broken neuralpath model: its metadata must be one "
                             f"string of at most {MAX_METADATA_CHARS:,} characters, got shape "
                             f"{header.shape} of {header.dtype}")
    try:
        meta = json.loads(str(_read_array(archive, header)))
    except (json.JSONDecodeError, TypeError):
        raise ModelFileError(f"not a neuralpath model: {path} (its metadata is not "
                             "JSON)") from None
    except RecursionError:
        meta = None
    if meta is None or _depth(meta) > MAX_JSON_DEPTH:
        raise ModelFileError(f"{path} is a broken neuralpath model: its metadata is nested "
                             f"more than {MAX_JSON_DEPTH} levels deep")
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"not a neuralpath model: {path} (format is {meta.get('format')!r})"
                             if isinstance(meta, dict) else f"not a neuralpath model: {path}")
    if meta.get("format_version") == 1:
        meta = _upgrade_v1(meta)
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has model format version {meta.get('format_version')!r}; "
                             f"this neuralpath reads versions 1 to {FORMAT_VERSION}")
    _check_metadata(path, meta)
    return meta


def _depth(value: Any) -> int:
    """How deep lists and dicts nest in ``value`` (0 for a plain value), without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((v, level + 1) for v in
                             (item.values() if isinstance(item, dict) else item))
    return deepest


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and math.isfinite(value)


# the type of each metadata entry this version reads: (test, what it must be)
_METADATA_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "format_version": (_is_int, "an integer"),
    "neuralpath_version": (lambda v: isinstance(v, str), "a string"),
    "layer_sizes": (lambda v: isinstance(v, list) and len(v) >= 2
                    and all(_is_int(s) and s >= 1 for s in v),
                    "a list of at least two positive integers"),
    **{key: (lambda v: isinstance(v, str), "a string")
       for key in ("activation", "output_activation", "cost", "initializer", "dtype",
                   "stopped")},
    "config": (lambda v: v is None or isinstance(v, dict), "an object or null"),
    "preset": (lambda v: v is None or isinstance(v, str), "a preset's name or null"),
    "inputs": (lambda v: v is None or isinstance(v, dict), "an object or null"),
    "iterations_run": (lambda v: _is_int(v) and v >= 0, "a non-negative integer"),
    "test_accuracy": (lambda v: v is None or _is_number(v), "a number or null"),
    "train_accuracy": (lambda v: v is None or _is_number(v), "a number or null"),
    "pipeline": (lambda v: isinstance(v, list) and all(isinstance(s, str) for s in v),
                 "a list of strings"),
    "training_state": (lambda v: isinstance(v, dict), "an object"),
}


def _check_metadata(path: str, meta: dict[str, Any]) -> None:
    for key in NETWORK_KEYS:
        if key not in meta and key != "initializer":
            raise ModelFileError(f"{path} is a damaged neuralpath model (its metadata has no "
                                 f"{key!r})")
    for key, (test, words) in _METADATA_TYPES.items():
        if key in meta and not test(meta[key]):
            shown = json.dumps(meta[key])
            shown = shown if len(shown) <= 60 else shown[:57] + "..."
            raise ModelFileError(f"{path} is a damaged neuralpath model: its metadata's "
                                 f"{key!r} must be {words}, got {shown}")


def _check_shapes(path: str, meta: dict[str, Any], headers: dict[str, _Header]) -> None:
    """Every array the file must hold, with the shape the layer sizes (and a checkpoint's
    training state) give it; none other."""
    sizes = meta["layer_sizes"]
    n = len(sizes) - 1
    params: list[tuple[int, ...]] = [(sizes[l + 1], sizes[l]) for l in range(n)]
    params += [(sizes[l + 1],) for l in range(n)]
    expected: dict[str, tuple[int, ...]] = {"metadata": ()}
    expected.update({f"W{l}": params[l] for l in range(n)})
    expected.update({f"b{l}": params[n + l] for l in range(n)})
    expected.update(scaler_mean=(sizes[0],), scaler_scale=(sizes[0],), classes=(sizes[-1],))
    if "training_state" in meta:
        expected.update(_check_training_state(path, meta, params))
    for name, shape in expected.items():
        if name not in headers:
            raise ModelFileError(f"{path} is a damaged neuralpath model: it has no {name} "
                                 f"(layer sizes {sizes})")
        if headers[name].shape != shape:
            raise ModelFileError(f"{path}: {name} has the wrong shape for layer sizes "
                                 f"{sizes}: {headers[name].shape}, expected {shape}")
    unexpected = sorted(set(headers) - set(expected))
    if unexpected:
        raise ModelFileError(f"{path} is a damaged neuralpath model: it holds arrays its "
                             f"metadata does not account for: {', '.join(unexpected)}")


_STATE_KEYS = {"optimizer_counters", "optimizer_buffers", "rng", "history", "best"}
_STOPPED = ("completed", "interrupted", "early_stopping", "diverged")


def _check_training_state(path: str, meta: dict[str, Any],
                          params: list[tuple[int, ...]]) -> dict[str, tuple[int, ...]]:
    """A checkpoint's ``training_state`` checked whole, as ``runs.load_checkpoint`` and
    ``training.train(resume=...)`` will use it; returns the shapes of its arrays by name."""
    state = meta["training_state"]

    def broken(what: str) -> ModelFileError:
        return ModelFileError(f"{path} is a damaged checkpoint: {what}")

    if set(state) != _STATE_KEYS:
        raise broken(f"its training state must hold {sorted(_STATE_KEYS)}, got {sorted(state)}")
    counters, count = state["optimizer_counters"], state["optimizer_buffers"]
    if not isinstance(counters, dict) or not all(_is_int(v) and v >= 0
                                                 for v in counters.values()):
        raise broken("the optimizer's counters must be non-negative integers, got "
                     f"{json.dumps(counters)[:60]}")
    expected_counters, expected_count = _optimizer_layout(meta.get("config"))
    if expected_counters is not None and set(counters) != set(expected_counters):
        raise broken(f"the optimizer's counters must be {sorted(expected_counters)}, got "
                     f"{sorted(counters)}")
    if not _is_int(count) or count < 0 or (expected_count is not None
                                           and count not in (0, expected_count)):
        raise broken(f"the optimizer keeps {expected_count} kind(s) of buffer, the "
                     f"checkpoint says {count!r}")
    shapes = {f"state_optimizer_{k}_{i}": p for k in range(count) for i, p in enumerate(params)}
    _check_rng(state["rng"], broken)
    history = _check_history(state["history"], broken)
    best = state["best"]
    if best is not None:
        if not isinstance(best, dict) or set(best) != {"cost", "since", "count"} \
                or not isinstance(best["cost"], (int, float)) or isinstance(best["cost"], bool) \
                or not (_is_int(best["since"]) and best["since"] >= 0) \
                or best["count"] != len(params) or isinstance(best["count"], bool):
            raise broken(f"early stopping's record must be cost, since and count "
                         f"{len(params)}, got {json.dumps(best)[:60]}")
        if history["best_epoch"] is None:
            raise broken("early stopping's record has no best epoch in the history")
        shapes.update({f"state_best_{i}": p for i, p in enumerate(params)})
    return shapes


def _optimizer_layout(config: Any) -> tuple[tuple[str, ...] | None, int | None]:
    """The counters and the number of buffer kinds of the optimizer ``config`` names
    ((None, None) when the file has no usable config: load_checkpoint's caller says so)."""
    from .config import TrainConfig
    from .optimizers import from_settings
    try:
        cfg = TrainConfig.from_dict(config) if isinstance(config, dict) else None
    except (ValueError, TypeError):
        return None, None
    if cfg is None:
        return None, None
    opt = from_settings(cfg.optimizer, cfg)
    opt.update([np.zeros(1)], [np.zeros(1)], 0.0)  # its buffers are made on the first update
    return opt.counters, len(opt.state()["buffers"])


def _check_rng(rng: Any, broken: Callable[[str], ModelFileError]) -> None:
    """The generator's state must be one that training's ``default_rng`` (PCG64) takes."""
    if not isinstance(rng, dict) or rng.get("bit_generator") != "PCG64":
        raise broken("it holds no state of the random generator (PCG64)")
    try:
        np.random.PCG64().state = rng  # type: ignore[assignment]
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise broken(f"the random generator's state is not valid ({exc})") from None


def _check_history(history: Any, broken: Callable[[str], ModelFileError]) -> dict[str, Any]:
    """The run's ``History`` as a dict: the fields of ``History``, of consistent lengths."""
    import dataclasses

    from .training import History

    fields = {f.name for f in dataclasses.fields(History)}
    if not isinstance(history, dict) or set(history) != fields:
        got = sorted(history) if isinstance(history, dict) else type(history).__name__
        raise broken(f"its history must hold {sorted(fields)}, got {got}")
    lists = ("cost", "train_cost", "val_cost", "val_accuracy", "learning_rate")
    for key in lists:
        values = history[key]
        if not isinstance(values, list) or not all(
                _is_number(v) or (v is None and key == "val_accuracy") for v in values):
            raise broken(f"its history's {key} must be a list of finite numbers")
    iterations, epochs = history["iterations"], history["epochs"]
    if not (_is_int(iterations) and _is_int(epochs) and 0 <= epochs <= iterations):
        raise broken(f"its history's iterations and epochs must be integers, 0 <= epochs <= "
                     f"iterations, got {iterations!r} and {epochs!r}")
    if len(history["cost"]) != iterations or len(history["train_cost"]) != epochs \
            or len(history["val_cost"]) not in (0, epochs) \
            or len(history["val_accuracy"]) != len(history["val_cost"]) \
            or not epochs <= len(history["learning_rate"]) <= epochs + 1:
        raise broken(f"its history's lists do not fit {iterations} iterations and {epochs} "
                     f"epochs (cost {len(history['cost'])}, train_cost "
                     f"{len(history['train_cost'])}, val_cost {len(history['val_cost'])}, "
                     f"val_accuracy {len(history['val_accuracy'])}, learning_rate "
                     f"{len(history['learning_rate'])})")
    best_epoch = history["best_epoch"]
    if best_epoch is not None and not (_is_int(best_epoch) and 0 <= best_epoch < epochs):
        raise broken(f"its history's best_epoch must be an epoch run, got {best_epoch!r}")
    if history["stopped"] not in _STOPPED or not _is_number(history["seconds"]) \
            or history["seconds"] < 0:
        raise broken(f"its history's stopped must be one of {list(_STOPPED)} and seconds a "
                     "non-negative number")
    log = history["log"]
    if not isinstance(log, list) or len(log) > epochs or not all(
            isinstance(row, dict) and all(isinstance(k, str) and (v is None or _is_number(v))
                                          for k, v in row.items()) for row in log):
        raise broken("its history's log must be at most one row of numbers per epoch")
    return history


def _check_arrays(path: str, arrays: dict[str, np.ndarray]) -> None:
    """Numbers in a model must be finite, and the scaler's scale a positive normal number
    (it divides: a subnormal scale turns every input into infinity)."""
    for name, a in arrays.items():
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            bad = int(a.size - np.isfinite(a).sum())
            raise ModelFileError(f"{path} is a broken neuralpath model: {name} holds {bad} NaN "
                                 f"or infinite value(s) of {a.size}")
    scale = arrays.get("scaler_scale")
    tiny = float(np.finfo(np.float64).tiny)
    if scale is not None and scale.size and (scale < tiny).any():
        raise ModelFileError(f"{path} is a broken neuralpath model: scaler_scale must be "
                             f"positive (it divides the inputs), at least {tiny:.3g}, got "
                             f"{int((scale < tiny).sum())} value(s) below, the smallest "
                             f"{float(scale.min()):.3g}")


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
