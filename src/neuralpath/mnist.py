"""The real MNIST: 70,000 handwritten digits of 28x28 pixels, in four IDX files.

The tutorial calls its 8x8 digits "MNIST"; the real set is 60,000 training and 10,000 test
images of 28x28 grey pixels (0 background .. 255 ink), published as four IDX files:

    train-images-idx3-ubyte  train-labels-idx1-ubyte  t10k-images-idx3-ubyte  t10k-labels-idx1-ubyte

An IDX file is a 4-byte magic number (two zero bytes, a type code 0x08 for unsigned bytes, the
number of dimensions), one big-endian uint32 per dimension, then the values in C order.
``load_mnist`` reads them, gzipped or not, and checks all of that. ``download`` fetches the
gzipped files from a mirror, checks each against the size and SHA-256 kept below, resumes an
interrupted transfer with an HTTP Range request and moves a file into place only once it is
whole and verified. Nothing here downloads implicitly: only ``download`` (and the command
``neuralpath data mnist --download``) touches the network.

The folder: ``--data-dir`` / ``data_dir`` when given, else ``$NEURALPATH_DATA``, else
``~/.cache/neuralpath``.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import os
import struct
import urllib.error
import urllib.parse
import urllib.request
import zlib
from typing import Any

import numpy as np

from ._version import __version__
from .errors import DownloadError  # re-exported: mnist.DownloadError is what callers catch

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"
NAMES = (TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)
N_TEST = 10000  # the test part: pipeline.prepare takes the last 10,000 rows of load_mnist_arrays

# Size in bytes and SHA-256 of the standard gzipped files, as published with TensorFlow
# Datasets' MNIST checksums and used by many projects that fetch these same files.
CHECKSUMS = {
    TRAIN_IMAGES + ".gz": (9912422,
                           "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    TRAIN_LABELS + ".gz": (28881,
                           "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    TEST_IMAGES + ".gz": (1648877,
                          "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    TEST_LABELS + ".gz": (4542,
                          "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
}
MIRRORS = (  # tried in this order when no mirror is given (yann.lecun.com often refuses)
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
)

_UBYTE = 0x08  # IDX type code of unsigned bytes, the only one MNIST uses
_KINDS = {"images": 3, "labels": 1}  # IDX dimensions: (n, rows, cols) and (n,)
_CHUNK = 1 << 20  # bytes per read while loading and downloading



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
    """A binary reader of the file's content; gzip is recognised by its first two bytes."""
    f = open(path, "rb")
    if f.read(2) == b"\x1f\x8b":
        f.close()
        return gzip.open(path, "rb")
    f.seek(0)
    return f


def _read_up_to(f, n):
    """At most ``n`` bytes, read in chunks (a damaged header cannot make it allocate gigabytes)."""
    buf = bytearray()
    while len(buf) < n:
        chunk = f.read(min(_CHUNK, n - len(buf)))
        if not chunk:
            break
        buf += chunk
    return buf


def read_idx(path: str, kind: str) -> np.ndarray:
    """One IDX file of unsigned bytes: ``kind`` "images" -> (n, rows, cols), "labels" -> (n,).

    Raises ValueError naming the file and what is wrong: not an IDX file or the wrong kind
    (magic number), a damaged gzip stream, fewer data bytes than the header promises
    (truncated) or more (trailing bytes).
    """
    ndim = _KINDS[kind]
    magic_expected = (_UBYTE << 8) | ndim
    try:
        with _open(path) as f:
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
            size = int(np.prod(shape, dtype=np.int64))
            body = _read_up_to(f, size)
            if len(body) < size:
                raise ValueError(f"{path}: truncated: the header promises {shape} = {size} "
                                 f"bytes of data, the file has {len(body)}")
            extra = len(_read_up_to(f, _CHUNK))
            if extra:
                more = "" if extra < _CHUNK else " or more"
                raise ValueError(f"{path}: {extra}{more} unexpected bytes after the {size} "
                                 f"bytes of data the header promises ({shape})")
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise ValueError(f"{path}: damaged gzip file ({exc})") from None
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


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
        raise FileNotFoundError(f"MNIST folder not found: {folder} (fetch the files with "
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


def load_mnist_arrays(data_dir: str | os.PathLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All of MNIST as the pipeline wants it: training images first, then the test images.

    Returns X (n, rows*cols) float64 raw pixels 0..255 and y (n,) int64 labels; the last
    ``N_TEST`` rows are the test part (pipeline.prepare splits there), so the test files
    must hold exactly ``N_TEST`` images.
    """
    (X_train, y_train), (X_test, y_test) = load_mnist(data_dir)
    if len(X_test) != N_TEST:
        folder = data_dir if data_dir is not None else default_data_dir()
        raise ValueError(f"the MNIST test files in {folder} hold {len(X_test)} images; "
                         f"training takes the last {N_TEST} rows as the test part, so they "
                         f"must hold exactly {N_TEST}")
    n, features = len(X_train) + len(X_test), X_train.shape[1] * X_train.shape[2]
    X = np.empty((n, features), dtype=np.float64)  # (n, rows*cols)
    X[:len(X_train)] = X_train.reshape(len(X_train), features)
    X[len(X_train):] = X_test.reshape(len(X_test), features)
    y = np.concatenate([y_train, y_test]).astype(np.int64)  # (n,)
    return X, y


# ----------------------------------------------------------------------------- downloading


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_mirror(mirror):
    parsed = urllib.parse.urlparse(mirror)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"mirror must be an http:// or https:// URL of a folder holding the "
                         f"four .gz files, got {mirror!r}")
    return mirror if mirror.endswith("/") else mirror + "/"


def _matches(path, expected):
    size, digest = expected
    if size is not None and os.path.getsize(path) != size:
        return False
    return sha256_of(path) == digest


def _finish(part, final, expected, name):
    """Verify the whole ``.part`` file and move it into place, or delete it and refuse."""
    size, digest = expected
    have = os.path.getsize(part)
    if size is not None and have != size:
        os.unlink(part)
        raise DownloadError(f"{name}: expected {size} bytes, got {have}; the download was "
                            "deleted")
    got = sha256_of(part)
    if got != digest:
        os.unlink(part)
        raise DownloadError(f"{name}: checksum mismatch: expected SHA-256 {digest}, got {got}; "
                            "the download was deleted")
    with open(part, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(part, final)


def _content_range_start(header):
    """The first byte of ``Content-Range: bytes START-END/TOTAL``, or None if unreadable."""
    try:
        unit, _, span = header.partition(" ")
        return int(span.split("-", 1)[0]) if unit == "bytes" else None
    except ValueError:
        return None


def _fetch(url, part, expected, name, progress, timeout):
    """Bring ``part`` to the whole file from ``url``, resuming from what it already holds.

    Returns True when the server resumed a partial file. Raises DownloadError when the
    transfer breaks off (the part is kept for the next attempt) or the server refuses.
    """
    size = expected[0]
    offset = os.path.getsize(part) if os.path.exists(part) else 0
    if size is not None and offset > size:  # longer than the real file: useless
        os.unlink(part)
        offset = 0
    if size is not None and offset == size:
        return True  # whole already: only the checksum is left to do
    headers = {"User-Agent": f"neuralpath/{__version__}", "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        exc.close()
        if exc.code == 416 and offset:  # nothing after the bytes we hold: check them as they are
            return True
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(f"{url}: {reason}") from None
    with response:
        resumed = offset > 0 and response.status == 206
        if resumed and _content_range_start(response.headers.get("Content-Range", "")) != offset:
            os.unlink(part)  # cannot tell how the bytes fit: start afresh next time
            raise DownloadError(f"{url}: the server answered the request for bytes from "
                                f"{offset} with {response.headers.get('Content-Range')!r}; "
                                "the partial file was discarded")
        if not resumed:
            offset = 0  # the server sent the whole file (it ignored or was not asked a Range)
        length = response.headers.get("Content-Length", "")
        length = int(length) if length.isdigit() else None
        total = size if size is not None else (offset + length if length is not None else None)
        if progress is not None:
            progress.start(name, total, offset)
        received, broken = offset, None
        with open(part, "ab" if resumed else "wb") as f:
            try:
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:  # reset, timeout
                        broken = f"{type(exc).__name__}: {exc}"
                        break
                    if not chunk:
                        break
                    f.write(chunk)
                    received += len(chunk)
                    if progress is not None:
                        progress.update(len(chunk))
            finally:
                if progress is not None:
                    progress.finish()
    promised = offset + length if length is not None else total
    if broken or (promised is not None and received < promised):
        of = f" of {promised}" if promised is not None else ""
        why = f" ({broken})" if broken else ""
        raise DownloadError(f"{url}: the transfer broke off after {received}{of} bytes{why}; "
                            f"{part} is kept and the next download resumes from there")
    return resumed


def download(dest: str | None = None, mirror: str | None = None, *,
             checksums: dict[str, tuple[int, str]] | None = None, progress: Any = None,
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
        File name -> (size in bytes or None, SHA-256 hex); default ``CHECKSUMS``, the
        standard files. Its keys are the files fetched.
    progress : object, optional
        With ``start(name, total_bytes, done_bytes)``, ``update(n_bytes)`` and ``finish()``.
    timeout : float
        Seconds to wait for the server on each connection and read.

    A file already present with the right checksum is left alone ("present"). Others are
    written to ``<name>.part`` and moved into place (``os.replace``) only when whole and
    matching ("downloaded", or "resumed" when a partial ``.part`` was completed). If the
    transfer breaks off, the ``.part`` file stays and the next call asks the server for
    the rest (HTTP Range); a file whose checksum is wrong is deleted and refused.

    Raises
    ------
    DownloadError
        A file could not be fetched from any mirror, or its checksum did not match.
    """
    checksums = CHECKSUMS if checksums is None else checksums
    mirrors = [_check_mirror(m) for m in (MIRRORS if mirror is None else (mirror,))]
    folder = os.fspath(dest) if dest is not None else default_data_dir()
    os.makedirs(folder, exist_ok=True)
    status = {}
    for name, expected in checksums.items():
        final = os.path.join(folder, name)
        if os.path.isfile(final) and _matches(final, expected):
            status[name] = "present"
            continue
        part = final + ".part"
        failures = []
        for base in mirrors:
            try:
                resumed = _fetch(base + name, part, expected, name, progress, timeout)
                _finish(part, final, expected, name)
            except DownloadError as exc:
                failures.append(str(exc))
                continue
            status[name] = "resumed" if resumed else "downloaded"
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
            part = os.path.join(folder, name + ".gz.part")
            note = (f" (partial download of {os.path.getsize(part):,} bytes: --download "
                    "resumes it)" if os.path.isfile(part) else "")
            lines.append(f"  missing  {name}.gz{note}")
            continue
        base = os.path.basename(path)
        note = "uncompressed, not checked against the checksum"
        if base in CHECKSUMS:
            note = ("checksum ok" if _matches(path, CHECKSUMS[base])
                    else "checksum differs from the standard file")
        lines.append(f"  present  {base} ({os.path.getsize(path):,} bytes, {note})")
    return lines, missing
