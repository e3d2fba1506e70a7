"""Files made to hurt (issue 24, items 4, 6 and 8's IDX and image errors): small files that
declare huge contents, broken model files and checkpoints, endless downloads and devices.

Each is refused with the CLI's exit code 2 and one line on stderr (or the library's named
error), with memory bounded by what the file may legitimately hold (measured in a fresh
subprocess: its peak resident set above the same process's after the imports); each has a
control that the check would let through.
"""
import gzip
import hashlib
import http.server
import io
import json
import os
import struct
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest
from cli_run import run
from idx_sets import idx_bytes, write_set
from loopback import serving, serving_files, write_zeros
from PIL import Image

from neuralpath import load, mnist, persist
from neuralpath.cli import main
from neuralpath.errors import ModelFileError
from neuralpath.imaging import MAX_FILE_BYTES, read_image, read_image_file

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def refused(argv, *words):
    """Run the CLI; assert exit code 2 and one line on stderr holding ``words``."""
    code, out, err = run(argv)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1, (code, err)
    assert "Traceback" not in err and "unexpected error" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])
    return lines[0]


def peak_mb(code, *args):
    """Run ``code`` (which defines ``attempt(*args)``) in a fresh Python; returns (what
    attempt printed, its peak resident set in MB above the peak after the imports)."""
    script = (
        "import resource, sys\n"
        "import numpy, neuralpath.persist, neuralpath.mnist, neuralpath.imaging, "
        "neuralpath.model\n"
        f"{code}\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "try:\n"
        "    attempt(*sys.argv[1:])\n"
        "    result = 'accepted'\n"
        "except (ValueError, OSError) as exc:\n"
        "    result = f'{type(exc).__name__}: {exc}'\n"
        "after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(result)\n"
        "print((after - before) / 1024)\n")
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", script, *map(str, args)], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result, mb = done.stdout.strip().splitlines()[-2:]
    return result, float(mb)


LOAD_MODEL = "def attempt(path):\n    neuralpath.model.load(path)"


# -- model files ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_file(tmp_path_factory):
    from neuralpath.pipeline import train_preset
    model, _, _ = train_preset("tutorial", seed=0, iterations=5)
    return model.save(tmp_path_factory.mktemp("model") / "m.npz")


def arrays_of(path):
    with np.load(path) as archive:
        arrays = {k: archive[k] for k in archive.files}
    return arrays, json.loads(str(arrays["metadata"]))


def rewrite(src, dst, change=None, meta_text=None, compressed=False, **replace):
    """``src`` written again as ``dst``: ``change(meta)`` applied to its metadata (or the
    metadata given as text), arrays replaced (None: removed)."""
    arrays, meta = arrays_of(src)
    if change is not None:
        change(meta)
    arrays["metadata"] = np.array(meta_text if meta_text is not None else json.dumps(meta))
    for name, value in replace.items():
        if value is None:
            arrays.pop(name)
        else:
            arrays[name] = value
    (np.savez_compressed if compressed else np.savez)(dst, **arrays)
    return str(dst)


def npy_header(shape, dtype="<f8"):
    """The bytes of a .npy header (format 1.0) declaring ``shape`` of ``dtype``."""
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buf, {"descr": dtype, "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def with_member(src, dst, name, header, data_bytes, meta_change=None,
                compression=zipfile.ZIP_STORED):
    """``src`` with member ``name`` replaced by ``header`` and ``data_bytes`` zero bytes,
    streamed (never held in memory)."""
    arrays, meta = arrays_of(src)
    if meta_change is not None:
        meta_change(meta)
    arrays["metadata"] = np.array(json.dumps(meta))
    arrays.pop(name)
    np.savez(dst, **arrays)
    with zipfile.ZipFile(dst, "a", compression=compression, compresslevel=1) as zf:
        with zf.open(name + ".npy", "w", force_zip64=True) as f:
            f.write(header)
            write_zeros(f, data_bytes)
    return str(dst)


def test_a_small_compressed_file_declaring_hundreds_of_mb_is_refused_unallocated(model_file,
                                                                               tmp_path):
    """Item 4: a compressed npz whose W0 is 400 MB of zeros in 0.4 MB of file, with layer
    sizes that fit it: refused from the member's sizes, before any allocation."""
    shape = (5000, 10000)
    bomb = with_member(model_file, tmp_path / "bomb.npz", "W0", npy_header(shape),
                       shape[0] * shape[1] * 8,
                       meta_change=lambda m: m.update(layer_sizes=[10000, 5000, 10]),
                       compression=zipfile.ZIP_DEFLATED)
    assert os.path.getsize(bomb) < 2 << 20
    refused(["predict", bomb, "--index", "0"], bomb, "W0", "compress")
    result, mb = peak_mb(LOAD_MODEL, bomb)
    assert result.startswith("ModelFileError") and mb < 50, (result, mb)
    # control: the same model compressed as it is (its arrays shrink a little) still loads
    small = rewrite(model_file, tmp_path / "compressed.npz", compressed=True)
    np.testing.assert_array_equal(load(small).network.W[0], load(model_file).network.W[0])


def test_a_declared_74_gb_array_is_a_model_file_error_not_a_memory_error(model_file, tmp_path):
    shape = (100_000, 92_500)  # 74 GB of float64, in a member of a few bytes
    huge = with_member(model_file, tmp_path / "huge.npz", "W0", npy_header(shape), 64,
                       meta_change=lambda m: m.update(layer_sizes=[92_500, 100_000, 10]))
    refused(["predict", huge, "--index", "0"], huge, "W0", "74,000,000,000 bytes")
    with pytest.raises(ModelFileError):
        load(huge)
    # a header whose shape does not fit the layer sizes is named as such
    other = with_member(model_file, tmp_path / "other.npz", "W0", npy_header((30, 63)),
                        30 * 63 * 8)
    refused(["predict", other, "--index", "0"], "W0 has the wrong shape", "(30, 63)")


@pytest.mark.parametrize("dtype", ["datetime64[s]", "complex128", "bool", "object",
                                   "structured", "int64", "U8"])
def test_weights_of_a_type_that_is_no_number_are_refused_by_name(model_file, tmp_path, dtype):
    W0 = load(model_file).network.W[0]
    if dtype == "structured":
        bad = np.zeros(W0.shape, dtype=[("a", "f8")])
    elif dtype == "object":
        bad = W0.astype(object)
    else:
        bad = W0.astype(dtype)
    path = rewrite(model_file, tmp_path / "typed.npz", W0=bad)
    line = refused(["predict", path, "--index", "0"], path, "W0 has dtype")
    assert "floating point" in line


def test_float32_weights_are_a_control_that_loads(model_file, tmp_path):
    W0 = load(model_file).network.W[0]
    path = rewrite(model_file, tmp_path / "f32.npz", W0=W0.astype(np.float32))
    np.testing.assert_allclose(load(path).network.W[0], W0, rtol=1e-6)


@pytest.mark.parametrize("value", [1e-320, 0.0, -1.0, np.nan, np.inf])
def test_a_scale_that_is_subnormal_zero_or_not_finite_is_refused(model_file, tmp_path, value):
    scale = load(model_file).scaler_scale.copy()
    scale[3] = value
    path = rewrite(model_file, tmp_path / "scale.npz", scaler_scale=scale)
    refused(["predict", path, "--index", "0"], path, "scaler_scale")


def test_a_small_scale_is_a_control_that_loads_and_predicts_finite(model_file, tmp_path):
    scale = load(model_file).scaler_scale.copy()
    scale[3] = 1e-3
    path = rewrite(model_file, tmp_path / "scale.npz", scaler_scale=scale)
    code, out, err = run(["predict", path, "--index", "0", "--json"])
    assert code == 0, err
    assert all(np.isfinite(v) for v in json.loads(out)[0]["probabilities"].values())


@pytest.mark.parametrize("key, value, words", [
    ("preset", ["x"], "'preset' must be a preset's name or null"),
    ("preset", {"a": 1}, "'preset' must be"),
    ("layer_sizes", [64, "30", 10], "'layer_sizes' must be"),
    ("config", [1], "'config' must be"),
    ("test_accuracy", "high", "'test_accuracy' must be"),
    ("notes", json.loads("[" * 17 + "]" * 17), "nested more than 16 levels"),
])
def test_metadata_of_the_wrong_type_or_nesting_is_refused(model_file, tmp_path, key, value,
                                                          words):
    path = rewrite(model_file, tmp_path / "meta.npz", lambda m: m.update({key: value}))
    refused(["evaluate", path], path, words)
    refused(["predict", path, "--index", "0"], path, words)


def test_metadata_nested_100000_deep_is_refused_without_a_recursion_error(model_file, tmp_path):
    _, meta = arrays_of(model_file)
    text = json.dumps(meta)[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"
    path = rewrite(model_file, tmp_path / "deep.npz", meta_text=text)
    refused(["evaluate", path], path, "nested more than 16 levels")


def test_metadata_controls_unknown_shallow_keys_and_a_null_preset_load(model_file, tmp_path):
    def change(meta):
        meta.update(notes={"a": [1, 2, {"b": None}]}, preset=None)
    path = rewrite(model_file, tmp_path / "ok.npz", change)
    assert load(path).metadata["notes"] == {"a": [1, 2, {"b": None}]}


def test_an_array_the_metadata_does_not_account_for_is_refused(model_file, tmp_path):
    path = rewrite(model_file, tmp_path / "extra.npz", W7=np.zeros((2, 2)))
    refused(["predict", path, "--index", "0"], path, "W7")
    path = rewrite(model_file, tmp_path / "odd.npz", something=np.zeros(2))
    refused(["predict", path, "--index", "0"], path, "unexpected entry 'something.npy'")


# -- checkpoints ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def checkpoint_dir(tmp_path_factory):
    """A checkpoint of an Adam run with early stopping (buffers, counters, a best record),
    written after epoch 2 of 3."""
    from neuralpath.pipeline import train_config
    from neuralpath.presets import PRESETS
    from neuralpath.runs import save_checkpoint
    folder = tmp_path_factory.mktemp("runs") / "stopped"
    cfg = PRESETS["best"].replace(layer_sizes=[64, 16, 10], epochs=3, augment=False,
                                  early_stopping=True, patience=5)

    def save_at_2(model, state):
        if state.history.epochs == 2:
            save_checkpoint(model, state, str(folder))
    train_config(cfg, preset="best", checkpoint=save_at_2, checkpoint_every=1)
    return folder


def tampered(checkpoint_dir, tmp_path, change=None, **replace):
    """A copy of the checkpoint folder whose checkpoint has ``change(training_state)`` made
    and arrays replaced (None: removed)."""
    folder = tmp_path / "run"
    folder.mkdir()

    def meta_change(meta):
        if change is not None:
            change(meta["training_state"])
    rewrite(checkpoint_dir / "checkpoint.npz", folder / "checkpoint.npz", meta_change,
            **replace)
    return folder


def _set(path, value):
    def change(state):
        target = state
        for key in path[:-1]:
            target = target[key]
        if value is _DROP:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


_DROP = object()
_W0_SHAPE = (16, 64)
CHECKPOINT_TAMPERING = {
    # the nine kinds, and more
    "extra buffers": (None, {f"state_optimizer_3_{i}": np.zeros(s) for i, s in
                             enumerate([_W0_SHAPE, (10, 16), (16,), (10,)])}, "state_optimizer_3"),
    "a buffer count higher than stored": (_set(["optimizer_buffers"], 4), {},
                                          "the checkpoint says 4"),
    "a buffer count lower than the optimizer keeps": (_set(["optimizer_buffers"], 2), {
        f"state_optimizer_2_{i}": None for i in range(4)}, "keeps 3 kind(s)"),
    "a buffer of another shape": (None, {"state_optimizer_0_0": np.zeros((64, 16))},
                                  "state_optimizer_0_0 has the wrong shape"),
    "history of another shape": (lambda s: s["history"]["cost"].pop(), {},
                                 "do not fit"),
    "a history with a field of its own": (_set(["history", "extra"], 1), {},
                                          "its history must hold"),
    "no generator state": (_set(["rng"], _DROP), {}, "its training state must hold"),
    "a generator state of another generator": (
        _set(["rng"], {"bit_generator": "MT19937", "state": {}}), {}, "random generator"),
    "a broken generator state": (_set(["rng", "state"], {"state": "x", "inc": 1}), {},
                                 "random generator's state is not valid"),
    "no step count for Adam": (_set(["optimizer_counters"], {}), {}, "['t']"),
    "a negative step count": (_set(["optimizer_counters", "t"], -5), {}, "non-negative"),
    "a best record of the wrong count": (_set(["best", "count"], 3), {},
                                         "early stopping's record"),
    "best weights missing": (None, {"state_best_0": None}, "has no state_best_0"),
    "more epochs than iterations": (_set(["history", "epochs"], 10 ** 6), {}, "epochs"),
    "a training state that is a list": (None, {}, "'training_state' must be an object"),
}


@pytest.mark.parametrize("kind", sorted(CHECKPOINT_TAMPERING))
def test_tampered_checkpoint_state_is_refused_by_resume_with_exit_2(checkpoint_dir, tmp_path,
                                                                    kind):
    change, replace, words = CHECKPOINT_TAMPERING[kind]
    if kind == "a training state that is a list":
        folder = tmp_path / "run"
        folder.mkdir()
        rewrite(checkpoint_dir / "checkpoint.npz", folder / "checkpoint.npz",
                lambda m: m.update(training_state=[1, 2]))
    else:
        folder = tampered(checkpoint_dir, tmp_path, change, **replace)
    refused(["train", "--resume", folder, "--quiet"], str(folder / "checkpoint.npz"), words)


def test_the_untampered_checkpoint_is_a_control_that_resumes(checkpoint_dir, tmp_path):
    folder = tampered(checkpoint_dir, tmp_path)  # rewritten, unchanged
    code, out, err = run(["train", "--resume", folder, "--quiet", "--json"])
    assert code == 0, err
    assert json.loads(out)["epochs"] == 3


# -- IDX files --------------------------------------------------------------------------------


def _gz_idx(path, shape, data_bytes):
    """A gzipped IDX image file declaring ``shape``, holding ``data_bytes`` zero bytes."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        f.write(struct.pack(">IIII", 0x0803, *shape))
        write_zeros(f, data_bytes)
    return str(path)


READ_IDX = "def attempt(path):\n    neuralpath.mnist.read_idx(path, 'images')"


def test_a_small_gzipped_idx_declaring_a_million_images_is_refused_unallocated(tmp_path):
    """Item 4: 10^6 images of 28x28 (784 MB) declared by a gzipped file of 0.2 MB (200 MB
    of zeros, whose gzip ratio is 1000x): refused before the array is made."""
    path = _gz_idx(tmp_path / "train-images-idx3-ubyte.gz", (10 ** 6, 28, 28), 200 << 20)
    assert os.path.getsize(path) < 1 << 20
    with pytest.raises(ValueError, match=rf"^{path}: the header declares 1000000 x 28 x 28 = "
                                         r"784,000,000 bytes of data from .* gzipped bytes"):
        mnist.read_idx(path, "images")
    result, mb = peak_mb(READ_IDX, path)
    assert result.startswith("ValueError") and mb < 50, (result, mb)


def test_a_gzipped_idx_that_holds_less_than_its_plausible_size_is_counted_not_trusted(tmp_path):
    """Within the plausible size the data are read and counted: a file declaring 11.8 MB and
    holding 10 MB is truncated, whatever its gzip trailer says."""
    path = _gz_idx(tmp_path / "t.gz", (15_000, 28, 28), 10 << 20)
    with pytest.raises(ValueError, match="truncated: the header promises"):
        mnist.read_idx(path, "images")


def test_idx_dimensions_whose_product_overflows_are_named_with_the_file(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.integers(0, 256, (20, 28, 28)).astype(np.uint8), rng.integers(0, 10, 20)
    folder = write_set(tmp_path / "set", (X, y.astype(np.uint8)), (X, y.astype(np.uint8)))
    images = os.path.join(folder, mnist.TRAIN_IMAGES + ".gz")
    # 2^32 - 1 in every dimension: 2^96 bytes, which wraps to 0 in 64 bits
    with open(images, "wb") as f:
        f.write(gzip.compress(struct.pack(">IIII", 0x0803, 2**32 - 1, 2**32 - 1, 2**32 - 1)
                              + bytes(100)))
    line = refused(["data", "mnist", "--data-dir", folder], images, "4294967295 x 4294967295")
    assert "reshape" not in line
    raw = os.path.join(tmp_path, "raw-idx")
    with open(raw, "wb") as f:
        f.write(struct.pack(">IIII", 0x0803, 2**32 - 1, 2**32 - 1, 2**32 - 1) + bytes(100))
    with pytest.raises(ValueError, match=f"^{raw}: truncated"):
        mnist.read_idx(raw, "images")


def test_a_plausible_gzipped_set_is_a_control_that_loads(tmp_path):
    rng = np.random.default_rng(1)
    X = np.zeros((3000, 28, 28), np.uint8)  # blank images compress ~1000x: the allowance
    X[:, 10:18, 10:18] = rng.integers(0, 256, (3000, 8, 8))
    path = tmp_path / "x.gz"
    path.write_bytes(gzip.compress(idx_bytes(X)))
    np.testing.assert_array_equal(mnist.read_idx(str(path), "images"), X)


# -- image files ------------------------------------------------------------------------------


READ_IMAGE = "def attempt(path):\n    neuralpath.imaging.read_image_file(path)"


def test_predict_on_dev_zero_is_refused_at_once(model_file):
    refused(["predict", model_file, "/dev/zero"], "/dev/zero", "not a readable image")
    result, mb = peak_mb(READ_IMAGE, "/dev/zero")
    assert result.startswith("ValueError: /dev/zero") and mb < 20, (result, mb)


def test_an_endless_stream_that_begins_as_a_picture_is_cut_at_the_cap(tmp_path):
    fifo = tmp_path / "endless.png"
    os.mkfifo(fifo)
    png = io.BytesIO()
    Image.new("L", (8, 8)).save(png, format="PNG")
    # the PNG signature and header, then an image data chunk that never ends
    start = png.getvalue()[:33] + struct.pack(">I", 2**31 - 1) + b"IDAT"

    def feed():
        try:
            with open(fifo, "wb") as f:
                f.write(start)
                while True:
                    f.write(bytes(1 << 20))
        except (BrokenPipeError, OSError):
            pass
    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    with pytest.raises(ValueError, match=rf"^{fifo}: larger than 50 MB"):
        read_image_file(fifo)
    writer.join(10)


def test_a_300_mb_non_image_is_refused_unread(model_file, tmp_path):
    path = tmp_path / "big.bin"
    with open(path, "wb") as f:
        f.truncate(300 << 20)  # sparse: 300 MB of zeros
    refused(["predict", model_file, path], str(path), "larger than 50 MB")
    result, mb = peak_mb(READ_IMAGE, path)
    assert "larger than 50 MB" in result and mb < 20, (result, mb)
    # under the cap, a non-image is refused from its first bytes, the rest unread
    small = tmp_path / "small.bin"
    with open(small, "wb") as f:
        f.truncate(MAX_FILE_BYTES - 1)
    result, mb = peak_mb(READ_IMAGE, small)
    assert "not a readable image" in result and mb < 20, (result, mb)


def test_image_errors_name_the_file_never_a_bytesio(model_file, tmp_path):
    text = tmp_path / "notes.png"
    text.write_text("not a picture")
    line = refused(["predict", model_file, text], str(text), "not a readable image")
    assert "BytesIO" not in line and "0x" not in line
    broken = tmp_path / "broken.png"
    png = io.BytesIO()
    Image.new("L", (64, 64), 255).save(png, format="PNG")
    broken.write_bytes(png.getvalue()[:60])  # a PNG cut inside its data
    line = refused(["predict", model_file, broken], str(broken))
    assert "BytesIO" not in line
    with pytest.raises(ValueError) as info:
        read_image(b"GIF89a" + bytes(20))
    assert "BytesIO" not in str(info.value)
    # control: a whole picture is read
    whole = tmp_path / "whole.png"
    whole.write_bytes(png.getvalue())
    assert read_image_file(whole).reason == "no ink"


# -- downloads --------------------------------------------------------------------------------


class _Endless(http.server.BaseHTTPRequestHandler):
    sent = 0

    def do_GET(self):  # noqa: N802 - the name http.server calls
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()
        block = bytes(1 << 16)
        try:
            while type(self).sent < 1 << 30:  # a gigabyte at most, should the cap fail
                self.wfile.write(block)
                type(self).sent += len(block)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *args):
        pass


def test_a_mirror_that_never_stops_is_cut_at_the_files_size(tmp_path):
    _Endless.sent = 0
    with serving(_Endless) as url:
        name = mnist.TEST_IMAGES + ".gz"
        limit = mnist.SIZES[name] + mnist.DOWNLOAD_MARGIN
        with pytest.raises(mnist.DownloadError, match=f"more than {limit:,} bytes"):
            mnist.download(tmp_path, mirror=url, checksums={name: mnist.CHECKSUMS[name]},
                           retries=0, timeout=10)
        assert os.listdir(tmp_path) == []  # nothing kept, no temporary file
        # the CLI: exit 1 as for any failed download, one line naming the URL
        out, err = io.StringIO(), io.StringIO()
        code = main(["data", "mnist", "--download", "--mirror", url, "--data-dir",
                     str(tmp_path)], out=out, err=err)
        assert code == 1 and len(err.getvalue().strip().splitlines()) == 1
        assert f"more than {mnist.SIZES[mnist.TRAIN_IMAGES + '.gz'] + mnist.DOWNLOAD_MARGIN:,}"\
            in err.getvalue()
    assert _Endless.sent < 64 << 20  # the socket buffers, not the whole gigabyte


def test_a_download_within_its_size_is_a_control_that_is_kept(tmp_path):
    body = gzip.compress(idx_bytes(np.arange(10, dtype=np.uint8)))
    name = mnist.TEST_LABELS + ".gz"
    with serving_files({name: body}) as url:
        status = mnist.download(tmp_path, mirror=url,
                                checksums={name: hashlib.sha256(body).hexdigest()}, retries=0)
    assert status == {name: "downloaded"} and (tmp_path / name).read_bytes() == body


def test_persist_caps_are_what_the_docs_say():
    assert persist.MAX_EXPANSION == 20 and persist.MAX_JSON_DEPTH == 16
    assert mnist.MAX_EXPANSION == 50 and MAX_FILE_BYTES == 50 << 20
