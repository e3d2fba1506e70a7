"""IDX image sets: MNIST and its look-alikes (Fashion-MNIST, KMNIST, EMNIST digits, subsets).

The tutorial calls its 8x8 digits "MNIST"; the real set is 60,000 training and 10,000 test
images of 28x28 grey pixels (0 background .. 255 ink), published as four IDX files:

    train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte

An IDX file is a 4-byte magic number (two zero bytes, a type code 0x08 for unsigned bytes, the
number of dimensions), one big-endian uint32 per dimension, then the values in C order.
``load_mnist`` reads the four files, gzipped or not, checks each of them and that they fit
together (as many labels as images; the same image size for training and test). The training
files are the training part and the test files the test part, whatever their counts, so a
subset, Fashion-MNIST or KMNIST (the same names and format) loads the same way.

``download`` fetches the four gzipped MNIST files with pooch: each is checked against the
SHA-256 kept below, written to a temporary file beside its final place and moved there only
when it matches (a file that does not match is deleted); a broken transfer is retried. Nothing
here downloads implicitly: only ``download`` (and ``neuralpath data mnist --download``)
touches the network.

The folder: ``--data-dir`` / ``data_dir`` when given, else ``$NEURALPATH_DATA``, else
``~/.cache/neuralpath``.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import math
import os
import struct
import urllib.parse
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

from ._version import __version__
from .errors import DownloadError  # re-exported: mnist.DownloadError is what callers catch

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)

# SHA-256 of the standard gzipped files, as published with TensorFlow Datasets' MNIST
# checksums and used by many projects that fetch these same files (pooch's registry).
CHECKSUMS = {
    TRAIN_IMAGES + ".gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
    TRAIN_LABELS + ".gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
    TEST_IMAGES + ".gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    TEST_LABELS + ".gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# the standard files' sizes in bytes: a download is stopped past its size plus DOWNLOAD_MARGIN
# (a mirror that sends without end is not written to disk without end)
SIZES = {
    TRAIN_IMAGES + ".gz": 9_912_422,
    TRAIN_LABELS + ".gz": 28_881,
    TEST_IMAGES + ".gz": 1_648_877,
    TEST_LABELS + ".gz": 4_542,
}
DOWNLOAD_MARGIN = 1 << 20
MAX_DOWNLOAD = 100 << 20  # a file of unknown size (other ``checksums``): at most this much
MIRRORS = (  # tried in this order when no mirror is given (yann.lecun.com often refuses)
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

_UBYTE = 0x08  # IDX type code of unsigned bytes, the only one MNIST uses
_KINDS = {"images": 3, "labels": 1}  # IDX dimensions: (n, rows, cols) and (n,)
_CHUNK = 1 << 20  # bytes per read while loading and hashing


def default_data_dir() -> str:
    """``$NEURALPATH_DATA`` if set, else ``~/.cache/neuralpath``: where the files are looked for."""
    folder = os.environ.get("NEURALPATH_DATA")
    return folder if folder else os.path.join(os.path.expanduser("~"), ".cache", "neuralpath")


# ----------------------------------------------------------------------------- reading


def find_file(folder: str, name: str) -> str | None:
    """The path of IDX file ``name`` in ``folder``: raw, ``.gz``, or with the dot some copies
    use (``train-images.idx3-ubyte``); None if there is none."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        path = os.path.join(folder, candidate)
        if os.path.isfile(path):
            return path
    return None


def _open(path):
    """A binary reader of the file's content and whether it is gzipped (recognised by its
    first two bytes), and the file's size on disk."""
    f = open(path, "rb")
    size = os.fstat(f.fileno()).st_size
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb"), True, size
    f.seek(0)
    return f, False, size


def _read_up_to(f, n):
    """At most ``n`` bytes, read in chunks (a damaged header cannot make it allocate gigabytes)."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


# What an IDX file may declare. Raw files must hold exactly what their header says (checked
# against the file's size before anything is read). Gzipped IDX images compress about 2-5x
# (MNIST 4.8x, Fashion-MNIST 1.8x): a gzipped file may declare at most MAX_EXPANSION times
# its size on disk (beyond EXPANSION_ALLOWANCE), and its data are counted as they are
# decompressed, never taken from the gzip trailer. No file may declare more than MAX_BYTES.
MAX_EXPANSION = 50
EXPANSION_ALLOWANCE = 16 << 20
MAX_BYTES = 4 << 30  # EMNIST "byclass", the largest of the family, is 0.55 GB


def read_idx(path: str, kind: str) -> np.ndarray:
    """One IDX file of unsigned bytes: ``kind`` "images" -> (n, rows, cols), "labels" -> (n,).

    Raises ValueError naming the file and what is wrong: not an IDX file or the wrong kind
    (magic number), a damaged gzip stream, fewer data bytes than the header promises
    (truncated) or more (trailing bytes), or more than the file can plausibly hold (see
    ``MAX_EXPANSION``): the array is allocated only once the declared size is plausible,
    and filled in chunks as the data are read.
    """
    ndim = _KINDS[kind]
    magic_expected = (_UBYTE << 8) | ndim
    try:
        f, gzipped, disk_size = _open(path)
        with f:
            head = _read_up_to(f, 4)
            if len(head) < 4:
                raise ValueError(f"{path}: truncated: {len(head)} bytes, too short for the "
                                 "4-byte IDX magic number")
            magic = struct.unpack(">I", head)[0]
            if magic != magic_expected:
                other = {(_UBYTE << 8) | d: k for k, d in _KINDS.items()}.get(magic)
                hint = (f" (that is the magic number of an IDX file of {other})" if other
                        else " (not an IDX file of unsigned bytes)")
                raise ValueError(f"{path}: wrong magic number 0x{magic:08x}, expected "
                                 f"0x{magic_expected:08x} for {kind}{hint}")
            dims_raw = _read_up_to(f, 4 * ndim)
            if len(dims_raw) < 4 * ndim:
                raise ValueError(f"{path}: truncated: the header needs {4 + 4 * ndim} bytes, "
                                 f"the file has {4 + len(dims_raw)}")
            shape = struct.unpack(f">{ndim}I", dims_raw)
            if min(shape) < 1:
                raise ValueError(f"{path}: the header gives dimensions {shape}; every "
                                 "dimension must be at least 1")
            size = math.prod(shape)  # a Python int: dimensions cannot overflow it
            _check_declared(path, shape, size, gzipped, disk_size - 4 - 4 * ndim)
            body = np.empty(size, dtype=np.uint8)  # (n * rows * cols,)
            got = _read_into(f, body.data)  # filled in place, chunk by chunk
            if got < size:
                raise ValueError(f"{path}: truncated: the header promises {shape} = {size} "
                                 f"bytes of data, the file has {got}")
            extra = len(_read_up_to(f, _CHUNK))
            if extra:
                more = "" if extra < _CHUNK else " or more"
                raise ValueError(f"{path}: {extra}{more} unexpected bytes after the {size} "
                                 f"bytes of data the header promises ({shape})")
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: damaged gzip file ({exc})") from None
    return body.reshape(shape)


def idx_count(path: str, kind: str) -> int:
    """How many images (or labels) IDX file ``path`` declares, from its header alone (its
    first 8 bytes; a gzipped file is decompressed that far only): what a check needs before
    the whole file is read. ``ValueError`` naming the file when the header is not one of
    ``kind``'s; ``OSError`` when it cannot be read."""
    magic_expected = (_UBYTE << 8) | _KINDS[kind]
    try:
        f, _, _ = _open(path)
        with f:
            head = _read_up_to(f, 8)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: damaged gzip file ({exc})") from None
    if len(head) < 8 or struct.unpack(">I", head[:4])[0] != magic_expected:
        raise ValueError(f"{path}: not an IDX file of {kind}")
    return int(struct.unpack(">I", head[4:])[0])


def _check_declared(path, shape, size, gzipped, data_on_disk):
    """ValueError naming ``path`` when the header declares more data than the file holds (raw)
    or can plausibly hold (gzipped: ``MAX_EXPANSION``), or more than ``MAX_BYTES``."""
    dims = " x ".join(str(d) for d in shape)
    if not gzipped and size > data_on_disk:
        raise ValueError(f"{path}: truncated: the header promises {shape} = {size} bytes of "
                         f"data, the file has {max(data_on_disk, 0)}")
    if size > MAX_BYTES:
        raise ValueError(f"{path}: the header declares {dims} = {size:,} bytes of data; at "
                         f"most {MAX_BYTES:,} are read")
    limit = MAX_EXPANSION * data_on_disk + EXPANSION_ALLOWANCE
    if gzipped and size > limit:
        raise ValueError(f"{path}: the header declares {dims} = {size:,} bytes of data from "
                         f"{data_on_disk:,} gzipped bytes; IDX data never compress more than "
                         f"{MAX_EXPANSION}x, so at most {limit:,} bytes are read from this "
                         "file")


def _read_into(f, view):
    """Fill ``view`` from ``f`` in chunks; returns how many bytes came (fewer at the end of
    the file)."""
    got = 0
    while got < len(view):
        n = f.readinto(view[got:got + _CHUNK])
        if not n:
            break
        got += n
    return got


def _missing_message(folder, missing):
    names = ", ".join(f"{name}[.gz]" for name in missing)
    return (f"MNIST file(s) not found in {folder}: {names}; fetch them with "
            f"`neuralpath data mnist --download` or point --data-dir at the folder that "
            "holds them")


def load_mnist(path: str | os.PathLike | None = None
               ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The four MNIST files in folder ``path`` (default ``default_data_dir()``).

    Returns
    -------
    (X_train, y_train), (X_test, y_test)
        Images uint8 (n, rows, cols), 0 background .. 255 ink; labels uint8 (n,), 0..9.

    Raises FileNotFoundError when a file is missing and ValueError, naming the file, when
    one is damaged or the files do not fit together (counts, image sizes, labels).
    """
    folder = os.fspath(path) if path is not None else default_data_dir()
    if os.path.isfile(folder):
        raise ValueError(f"{folder} is a file; give the folder that holds the four MNIST "
                         "IDX files")
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"MNIST folder not found: {folder} (point --data-dir at the "
                                "folder that holds the four IDX files, or fetch them with "
                                "`neuralpath data mnist --download`)")
    found = {name: find_file(folder, name) for name in NAMES}
    missing = [name for name, p in found.items() if p is None]
    if missing:
        raise FileNotFoundError(_missing_message(folder, missing))
    paths = {name: p for name, p in found.items() if p is not None}
    parts = []
    for images_name, labels_name in ((TRAIN_IMAGES, TRAIN_LABELS), (TEST_IMAGES, TEST_LABELS)):
        X = read_idx(paths[images_name], "images")  # (n, rows, cols)
        y = read_idx(paths[labels_name], "labels")  # (n,)
        if len(X) != len(y):
            raise ValueError(f"{paths[images_name]} holds {len(X)} images but "
                             f"{paths[labels_name]} holds {len(y)} labels")
        if y.max() > 9:
            raise ValueError(f"{paths[labels_name]}: labels must be digits 0..9, found "
                             f"{int(y.max())} at position {int(y.argmax())}")
        parts.append((X, y))
    (X_train, _), (X_test, _) = parts
    if X_train.shape[1:] != X_test.shape[1:]:
        raise ValueError(f"training images are {X_train.shape[1]}x{X_train.shape[2]} "
                         f"({paths[TRAIN_IMAGES]}) but test images are "
                         f"{X_test.shape[1]}x{X_test.shape[2]} ({paths[TEST_IMAGES]})")
    return parts[0], parts[1]


def load_mnist_arrays(data_dir: str | os.PathLike | None = None, dtype: Any = np.float64
                      ) -> tuple[np.ndarray, np.ndarray, int]:
    """All of an IDX set as the pipeline wants it: every training row, then every test row.

    The training files are the training part and the test files the test part, whatever
    their counts: MNIST's 60,000 and 10,000, a 4,000/1,000 subset, Fashion-MNIST, KMNIST or
    EMNIST digits. ``load_mnist`` has checked that the four files fit together.

    Parameters
    ----------
    data_dir : path, optional
        The folder of the four files (default ``default_data_dir()``).
    dtype : numpy dtype
        Of X: float64 by default; the pipeline reads uint8, the pixels as stored (47 MB for
        60,000 images instead of 376 MB), and scales each batch as it takes it.

    Returns
    -------
    X : ndarray (n_train + n_test, rows*cols) of ``dtype``
        Raw pixels 0..255, the training images first.
    y : ndarray (n_train + n_test,) int64
        The labels, in the same order.
    n_test : int
        How many of the last rows are the test part (the test files' count).
    """
    (X_train, y_train), (X_test, y_test) = load_mnist(data_dir)
    n, features = len(X_train) + len(X_test), X_train.shape[1] * X_train.shape[2]
    X = np.empty((n, features), dtype=dtype)  # (n, rows*cols)
    X[:len(X_train)] = X_train.reshape(len(X_train), features)
    X[len(X_train):] = X_test.reshape(len(X_test), features)
    y = np.concatenate([y_train, y_test]).astype(np.int64)  # (n,)
    return X, y, len(X_test)


# ----------------------------------------------------------------------------- downloading


def sha256_of(path: str) -> str:
    """The SHA-256 of a file, as 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_mirror(mirror: str) -> str:
    parsed = urllib.parse.urlparse(mirror)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"mirror must be an http:// or https:// URL of a folder holding the "
                         f"four .gz files, got {mirror!r}")
    return mirror if mirror.endswith("/") else mirror + "/"


def _matches(path: str, digest: str) -> bool:
    return sha256_of(path) == digest


class _Bar:
    """A progress bar as pooch drives it. pooch asks ``if progressbar:`` before it sets the
    total, and a tqdm bar without a total refuses ``bool()``: this wrapper is always true and
    passes the rest on."""

    def __init__(self, bar: Any) -> None:
        self.bar = bar

    def __bool__(self) -> bool:
        return True

    @property
    def total(self) -> Any:
        return self.bar.total

    @total.setter
    def total(self, value: Any) -> None:
        self.bar.total = value

    def update(self, n: int) -> None:
        self.bar.update(n)

    def reset(self) -> None:
        self.bar.reset()

    def close(self) -> None:
        self.bar.close()


class _Capped:
    """The file pooch writes a download into, refusing to grow past ``limit`` bytes."""

    def __init__(self, f: Any, limit: int, url: str) -> None:
        self.f, self.limit, self.url, self.written = f, limit, url, 0

    def write(self, data: bytes) -> int:
        self.written += len(data)
        if self.written > self.limit:
            raise DownloadError(f"{self.url}: the server sent more than {self.limit:,} bytes, "
                                "more than this file can be; the download was stopped and "
                                "deleted")
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


def _capped_downloader(downloader: Any, limit: int) -> Callable[..., Any]:
    """``downloader`` (pooch's) writing through ``_Capped``: at most ``limit`` bytes."""
    def download(url: str, output_file: Any, pooch_obj: Any, check_only: bool = False) -> Any:
        if check_only:
            return downloader(url, output_file, pooch_obj, check_only=True)
        with open(output_file, "w+b") as f:
            return downloader(url, _Capped(f, limit, url), pooch_obj)
    return download


def _fetch(folder: str, base: str, name: str, digest: str, retries: int, timeout: float,
           progress: Callable[[str], Any] | None) -> None:
    """One file from one mirror through pooch: a temporary file in ``folder``, checked, then
    moved into place; retried ``retries`` times; stopped past its known size (``SIZES``) plus
    ``DOWNLOAD_MARGIN``, or ``MAX_DOWNLOAD``. Raises DownloadError naming the URL."""
    import pooch  # type: ignore[import-untyped]  # (pooch ships no type information)
    import requests

    fetcher = pooch.create(path=folder, base_url=base, registry={name: f"sha256:{digest}"},
                           retry_if_failed=retries)
    downloader = pooch.HTTPDownloader(
        progressbar=_Bar(progress(name)) if progress is not None else False, timeout=timeout,
        headers={"User-Agent": f"neuralpath/{__version__}"})
    logger = pooch.get_logger()  # pooch logs each download on stderr: the library is quiet
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        limit = SIZES[name] + DOWNLOAD_MARGIN if name in SIZES else MAX_DOWNLOAD
        fetcher.fetch(name, downloader=_capped_downloader(downloader, limit))
    except DownloadError:
        raise
    except ValueError as exc:  # pooch: the SHA-256 does not match (the file is deleted)
        raise DownloadError(f"{base}{name}: checksum mismatch ({exc}); the download was "
                            "deleted") from None
    except (requests.RequestException, OSError) as exc:
        raise DownloadError(f"{base}{name}: {type(exc).__name__}: {exc}") from None
    finally:
        logger.setLevel(level)


def download(dest: str | os.PathLike | None = None, mirror: str | None = None, *,
             checksums: dict[str, str] | None = None,
             progress: Callable[[str], Any] | None = None, retries: int = 2,
             timeout: float = 60.0) -> dict[str, str]:
    """Fetch the four gzipped MNIST files into folder ``dest``; returns {file name: status}.

    Parameters
    ----------
    dest : path, optional
        Target folder (made if needed); default ``default_data_dir()``.
    mirror : str, optional
        URL of a folder that serves the four ``.gz`` files; default: each of ``MIRRORS``
        in turn until one delivers.
    checksums : dict, optional
        File name -> SHA-256 hex; default ``CHECKSUMS``, the standard files. Its keys are
        the files fetched.
    progress : callable, optional
        ``progress(file_name)`` returns a progress bar for that file, an object as pooch
        wants it (``tqdm`` is one): ``total``, ``update(n)``, ``reset()``, ``close()``.
    retries : int
        How many more times pooch tries a file whose transfer broke off or whose checksum
        did not match, waiting 1, 2, ... seconds in between.
    timeout : float
        Seconds to wait for the server on each connection and read.

    A file already present with the right checksum is left alone ("present"). Others are
    downloaded by pooch to a temporary file in ``dest`` and moved into place only when
    whole and matching ("downloaded"); a temporary file is deleted whatever happens.

    Raises
    ------
    DownloadError
        A file could not be fetched from any mirror, or its checksum did not match.
    ValueError
        ``mirror`` is not an http(s) URL, or ``retries`` is negative.
    """
    checksums = CHECKSUMS if checksums is None else checksums
    mirrors = [_check_mirror(m) for m in (MIRRORS if mirror is None else (mirror,))]
    if not isinstance(retries, int) or retries < 0:
        raise ValueError(f"retries must be a non-negative integer, got {retries!r}")
    folder = os.path.abspath(os.fspath(dest) if dest is not None else default_data_dir())
    os.makedirs(folder, exist_ok=True)
    status = {}
    for name, digest in checksums.items():
        final = os.path.join(folder, name)
        if os.path.isfile(final) and _matches(final, digest):
            status[name] = "present"
            continue
        failures = []
        for base in mirrors:
            try:
                _fetch(folder, base, name, digest, retries, timeout, progress)
            except DownloadError as exc:
                failures.append(str(exc))
                continue
            status[name] = "downloaded"
            break
        else:
            raise DownloadError("; ".join(failures))
    return status


def folder_status(folder: str) -> tuple[list[str], list[str]]:
    """One line per file (where it is and whether it is the standard file) and the names of
    the missing files."""
    lines, missing = [], []
    for name in NAMES:
        path = find_file(folder, name)
        if path is None:
            missing.append(name)
            lines.append(f"  missing  {name}.gz")
            continue
        base = os.path.basename(path)
        note = "uncompressed, not checked against the checksum"
        if base in CHECKSUMS:
            note = ("checksum ok" if _matches(path, CHECKSUMS[base])
                    else "not the standard MNIST file: a subset or another IDX set")
        lines.append(f"  present  {base} ({os.path.getsize(path):,} bytes, {note})")
    return lines, missing
