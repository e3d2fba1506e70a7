"""docs/tutorial.ipynb: stored WITH its outputs (figures and numbers, under 1 MB), so it reads
without running; and executed again it gives the numbers it shows.

The notebook is executed with nbclient in the test environment's own ``python3`` kernel
(ipykernel), from a temporary folder, with one BLAS thread, exactly as ``python
tests/test_tutorial_notebook.py --write`` executes it to store its outputs. Section 5 trains
for the tutorial's 3000 iterations (a few seconds).
"""
import base64
import io
import os
import pathlib
import re
import sys
import tempfile

import nbclient
import nbformat
import numpy as np
import pytest
from PIL import Image

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"
ITERATIONS = 3000  # the notebook's default: the tutorial's
N_FIGURES = 7  # sigmoid, weights, bias, descent 1-d, descent 2-d, digit "1", cost curve
# numbers that are measured times, which no two runs share: "1.3 s", "12.5 us", "x3.1"
TIMES = re.compile(r"\d+(\.\d+)?(e[-+]?\d+)? ?(s|ms|us|µs|ns)\b|x ?\d+(\.\d+)?|\d+(\.\d+)?x\b")
# a printed number: its digits decide how closely two printings of it must agree
NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
# numbers closer to zero than this are round-off, whatever the BLAS kernel prints for them
ROUND_OFF = 1e-9


def execute(nb, workdir):
    """Run ``nb`` in place as the stored outputs were made: python3 kernel, one BLAS thread
    (training is faster on a busy 2-core machine and its numbers do not depend on it)."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    saved = {k: os.environ.get(k) for k in ("NEURALPATH_TUTORIAL_ITERATIONS",
                                            "OPENBLAS_NUM_THREADS")}
    os.environ.pop("NEURALPATH_TUTORIAL_ITERATIONS", None)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                         record_timing=False,
                                         resources={"metadata": {"path": str(workdir)}})
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb


def _images(nb):
    return [out.data["image/png"] for kind in ("display_data", "execute_result")
            for out in _outputs(nb, kind) if "image/png" in out.data]


def test_notebook_is_stored_with_its_outputs_under_1_mb():
    assert NOTEBOOK.stat().st_size < 1_000_000
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    assert all(c.outputs for c in code[1:])  # every cell after the imports shows something
    assert not list(_outputs(nb, "error"))
    images = _images(nb)
    assert len(images) == N_FIGURES
    assert sum(len(base64.b64decode(i)) for i in images) < 1_000_000


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("notebook")
    return execute(nbformat.read(NOTEBOOK, as_version=4), workdir), workdir


def _stdout_by_cell(nb):
    """Each code cell's printed text, times masked and runs of spaces made one (a table's
    columns are as wide as its times)."""
    texts = ["".join(o.text for o in c.outputs if o.output_type == "stream"
                     and o.name == "stdout") for c in nb.cells if c.cell_type == "code"]
    return [re.sub(r" +", " ", re.sub(r"-{3,}", "---", TIMES.sub("<time>", t))) for t in texts]


def _last_place(token):
    """One unit in the last printed place of a number: 0.8354 -> 1e-4, 2.5e-3 -> 1e-4; an
    integer (a count) has none: it must be printed the same."""
    mantissa, _, exponent = token.lower().partition("e")
    if "." not in mantissa and not exponent:
        return 0.0
    decimals = len(mantissa.split(".")[1]) if "." in mantissa else 0
    return 10.0 ** (int(exponent or 0) - decimals)


def same_printout(a, b):
    """Whether two printouts say the same: the words exactly, each number to within one unit
    of its last printed place (a BLAS kernel may round the last digit the other way), numbers
    below ``ROUND_OFF`` counted as equal round-off."""
    if NUMBER.sub("#", a) != NUMBER.sub("#", b):
        return False
    for x, y in zip(NUMBER.findall(a), NUMBER.findall(b)):
        (xs, ys) = ("".join(x), "".join(y))
        xv, yv = float(xs), float(ys)
        if abs(xv) < ROUND_OFF and abs(yv) < ROUND_OFF:
            continue
        if abs(xv - yv) > 1.01 * max(_last_place(xs), _last_place(ys)):
            return False
    return True


def test_printouts_compare_numbers_with_a_tolerance():
    """The comparison itself: the last digit may differ, round-off is round-off, and a real
    difference or a changed word is still caught (controls)."""
    assert same_printout("output: 0.83545566 and 86.65%", "output: 0.83545567 and 86.65%")
    assert same_printout("largest 1.78e-12", "largest 1.13e-12")
    assert not same_printout("output: 0.83545566", "output: 0.83545580")
    assert not same_printout("accuracy 86.65%", "accuracy 86.79%")
    assert not same_printout("agree on 719 of 719", "agree on 718 of 719")
    assert not same_printout("agree on 719", "disagree on 719")


def test_executing_again_gives_the_numbers_the_notebook_shows(executed):
    nb, _ = executed
    stored = nbformat.read(NOTEBOOK, as_version=4)
    again, shown = _stdout_by_cell(nb), _stdout_by_cell(stored)
    assert len(again) == len(shown)
    for cell, (a, b) in enumerate(zip(again, shown)):
        assert same_printout(a, b), f"code cell {cell}: stored\n{b}\nexecuted again\n{a}"
    assert sum(ch.isdigit() for ch in "".join(shown)) > 500  # numbers were compared
    assert len(_images(nb)) == len(_images(stored))


def _outputs(nb, kind):
    for cell in nb.cells:
        if cell.cell_type == "code":
            for out in cell.outputs:
                if out.output_type == kind:
                    yield out


def test_notebook_runs_to_the_end(executed):
    nb, _ = executed
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count is not None for c in code)
    assert not list(_outputs(nb, "error"))


def test_notebook_prints_the_tutorials_numbers(executed):
    nb, _ = executed
    text = "".join(out.text for out in _outputs(nb, "stream") if out.name == "stdout")
    assert "output: tutorial 0.8354, neuralpath 0.83545566" in text
    assert "[0.89090318, 0.96770454, 0.9909867]" in text
    assert "The local minimum occurs at 2.249965" in text
    assert "p1 = [1.5, 2.0], gradient [2.1, 0.7]" in text
    assert "agree to 1e-6: 63 of 64" in text
    assert "label 1 -> [0.0, 1.0, 0.0" in text
    assert f"{ITERATIONS} iterations in" in text
    # seed 0, as the README says: 86.65%, give or take one of the 719 test images
    shown = re.search(rf"accuracy after {ITERATIONS} iterations: (\d+\.\d+)%", text)
    assert shown and abs(float(shown.group(1)) - 86.65) <= 100 / 719 + 0.005, text
    assert "the engine agrees on 719 of 719 test images" in text
    assert "tutorial looped" in text and "100-100-50-10" in text
    # the three gradient columns (chain rule, vectorised, central differences) agree on
    # every row, to well within their 10 printed decimals
    rows = [line.split() for line in text.splitlines() if line.startswith(("w_", "b_"))]
    assert len(rows) == 16
    for name, *values in rows:
        numbers = [float(v) for v in values]
        assert len(numbers) == 3 and max(numbers) - min(numbers) <= 2e-10, (name, values)
    assert "largest difference between the columns: below 1e-10" in text


def test_notebook_draws_its_figures_inline(executed):
    nb, workdir = executed
    images = _images(nb)
    assert len(images) == N_FIGURES
    for encoded in images:
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as img:
            assert img.format == "PNG"
            width, height = img.size
            pixels = np.asarray(img.convert("RGB"))
        assert width > 200 and height > 200
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1
    assert list(workdir.iterdir()) == []  # figures are drawn inline, nothing is written


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    with tempfile.TemporaryDirectory() as folder:
        done = execute(nbformat.read(NOTEBOOK, as_version=4), folder)
    nbformat.write(done, NOTEBOOK)
    print(f"stored {NOTEBOOK} with its outputs ({NOTEBOOK.stat().st_size} bytes)")
