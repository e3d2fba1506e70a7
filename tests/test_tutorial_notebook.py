"""docs/tutorial.ipynb: stored without outputs, and it runs to the end with the right numbers.

The notebook is executed with nbclient in the test environment's own ``python3`` kernel
(ipykernel), from a temporary folder. Section 5 trains for fewer iterations than the
tutorial's 3000 here (the notebook reads ``NEURALPATH_TUTORIAL_ITERATIONS``), to stay quick.
"""
import base64
import io
import os
import pathlib

import nbclient
import nbformat
import numpy as np
import pytest
from PIL import Image

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "docs" / "tutorial.ipynb"
ITERATIONS = 1000
N_FIGURES = 7  # sigmoid, weights, bias, descent 1-d, descent 2-d, digit "1", cost curve


def test_notebook_is_stored_small_and_without_outputs():
    assert NOTEBOOK.stat().st_size < 100_000
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) >= 10
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    saved = {k: os.environ.get(k) for k in ("NEURALPATH_TUTORIAL_ITERATIONS",
                                            "OPENBLAS_NUM_THREADS")}
    # the kernel inherits the environment; one BLAS thread keeps training fast on a busy
    # 2-core machine (see test_tutorial_sections.py)
    os.environ["NEURALPATH_TUTORIAL_ITERATIONS"] = str(ITERATIONS)
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    try:
        client = nbclient.NotebookClient(nb, timeout=110, kernel_name="python3",
                                         resources={"metadata": {"path": str(workdir)}})
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return nb, workdir


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
    assert "the engine agrees on 719 of 719 test images" in text
    assert "tutorial looped" in text and "100-100-50-10" in text
    # the three gradient columns, as printed, are equal on every row
    rows = [line.split() for line in text.splitlines() if line.startswith(("w_", "b_"))]
    assert len(rows) == 16
    for name, *values in rows:
        assert len(set(values)) == 1, (name, values)


def test_notebook_draws_its_figures_inline(executed):
    nb, workdir = executed
    images = [out.data["image/png"] for kind in ("display_data", "execute_result")
              for out in _outputs(nb, kind) if "image/png" in out.data]
    assert len(images) == N_FIGURES
    for encoded in images:
        with Image.open(io.BytesIO(base64.b64decode(encoded))) as img:
            assert img.format == "PNG"
            width, height = img.size
            pixels = np.asarray(img.convert("RGB"))
        assert width > 200 and height > 200
        assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 1
    assert list(workdir.iterdir()) == []  # figures are drawn inline, nothing is written
