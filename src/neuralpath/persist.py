"""Saving and loading models: one ``.npz`` of arrays with a JSON metadata entry.

Layout of the archive: ``W0 .. W{n-2}``, ``b0 .. b{n-2}`` (the network, W[l] in the
tutorial's (s_{l+1}, s_l) orientation), ``scaler_mean``, ``scaler_scale``, ``classes``, and
``metadata``: a JSON string with the format name and version, the layer sizes, the
activation, cost and initializer names, and the training facts (preset, seed, ...).

No pickle anywhere: files are read with ``allow_pickle=False``, so opening a model never
runs code. Files are written to a temporary file in the same folder, flushed to disk, then
moved over the target with ``os.replace``, so a crash never leaves half a model.
"""
from __future__ import annotations

import datetime
import json
import os
import shutil
import tempfile
import zipfile

import numpy as np

from . import __version__
from .model import TrainedModel
from .network import Network

FORMAT = "neuralpath-model"
FORMAT_VERSION = 1


class ModelFileError(ValueError):
    """The file is not a neuralpath model this version can read."""


def atomic_write(path, write):
    """Call ``write(file_object)`` on a temporary file, then move it over ``path``."""
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=os.path.basename(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)  # mkstemp makes the file 0600; give it the usual permissions
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def new_run_dir(runs_dir="runs"):
    """A fresh ``runs_dir/<timestamp>`` path (not created yet) for one training run."""
    return os.path.join(runs_dir, datetime.datetime.now().strftime("%Y%m%d-%H%M%S-%f"))


def link_latest(run_dir):
    """Point ``<runs_dir>/latest`` at ``run_dir``: a symlink swapped in with os.replace, so
    latest is never missing; where symlinks are not allowed, a copy. Returns its path."""
    latest = os.path.join(os.path.dirname(run_dir), "latest")
    tmp = latest + ".tmp"
    try:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(os.path.basename(run_dir), tmp)
        if os.path.isdir(latest) and not os.path.islink(latest):
            shutil.rmtree(latest)
        os.replace(tmp, latest)
    except OSError:  # no symlinks on this file system: copy instead
        shutil.rmtree(latest, ignore_errors=True)
        shutil.copytree(run_dir, latest)
    return latest


def save(model: TrainedModel, path):
    """Write ``model`` to ``path`` (an .npz file) atomically; returns the path."""
    net = model.network
    meta = dict(model.metadata)
    meta.update(format=FORMAT, format_version=FORMAT_VERSION, neuralpath_version=__version__,
                layer_sizes=net.layer_sizes, activation=net.activation.name,
                output_activation=net.output_activation.name, cost=net.cost.name,
                initializer=net.initializer, dtype=net.dtype.name)
    arrays = {f"W{l}": W for l, W in enumerate(net.W)}
    arrays.update({f"b{l}": b for l, b in enumerate(net.b)})
    classes = model.classes
    if classes.dtype == object:
        classes = classes.astype(str)
    arrays.update(scaler_mean=model.scaler_mean, scaler_scale=model.scaler_scale,
                  classes=classes, metadata=np.array(json.dumps(meta)))
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def load(path) -> TrainedModel:
    """Read a model written by ``save``; anything else raises ``ModelFileError``."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"model file not found: {path}")
    try:
        with open(path, "rb") as fh, np.load(fh, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as exc:
        raise ModelFileError(f"{path} is not a readable neuralpath model "
                             f"(not a complete .npz archive: {exc})") from None
    if "metadata" not in arrays:
        raise ModelFileError(f"{path} is not a neuralpath model (it has no metadata entry)")
    try:
        meta = json.loads(str(arrays.pop("metadata")))
    except (json.JSONDecodeError, TypeError):
        raise ModelFileError(f"{path} is not a neuralpath model (its metadata is not JSON)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ModelFileError(f"{path} is not a neuralpath model (format is {meta.get('format')!r})"
                             if isinstance(meta, dict) else f"{path} is not a neuralpath model")
    if meta.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(f"{path} has model format version {meta.get('format_version')!r}; "
                             f"this neuralpath reads version {FORMAT_VERSION}")
    try:
        sizes = [int(s) for s in meta["layer_sizes"]]
        net = Network(sizes, meta["activation"], meta["output_activation"], meta["cost"],
                      meta.get("initializer", "tutorial"), random_state=0,
                      dtype=meta.get("dtype", "float64"))
        for l in range(len(sizes) - 1):
            W, b = arrays[f"W{l}"], arrays[f"b{l}"]
            if W.shape != net.W[l].shape or b.shape != net.b[l].shape:
                raise ModelFileError(f"{path}: W{l} or b{l} has the wrong shape for layer sizes {sizes}")
            net.W[l][...] = W
            net.b[l][...] = b
        model = TrainedModel(net, arrays["scaler_mean"], arrays["scaler_scale"],
                             arrays["classes"], meta)
    except ModelFileError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise ModelFileError(f"{path} is a damaged neuralpath model ({exc})") from None
    if model.scaler_mean.shape != (sizes[0],) or model.scaler_scale.shape != (sizes[0],) \
            or model.classes.shape != (sizes[-1],):
        raise ModelFileError(f"{path}: scaler or classes do not match layer sizes {sizes}")
    return model
