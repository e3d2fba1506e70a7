"""Every Python example runs as written: each ```python block of README.md and of the guides
(docs/guides/*.md) is run in a fresh interpreter, in an empty folder, with what it needs
defined in the block itself. A block that needs an optional package (PyTorch, onnxruntime,
Dask, FastAPI) is skipped, saying which, when that package is missing (it fails under CI=true,
where the test extra installs them all).

The folder holds a copy of ``examples/`` (the DDP guide runs ``examples/ddp_continue.py`` from
a clone), and ``src/`` is first on PYTHONPATH, as in the rest of the suite.
"""
from __future__ import annotations

import importlib.util
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs" / "guides").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.M | re.S)
OPTIONAL = {"torch": "torch", "onnxruntime": "onnxruntime", "distributed": "dask[distributed]",
            "fastapi": "fastapi", "uvicorn": "uvicorn"}
TIMEOUT = 240
# blocks that fail because of a known bug, until it is fixed (strict: then this test fails and
# says to take the entry out); none now
KNOWN_BUGS: dict[str, str] = {}


def blocks() -> list:
    """(page, line, code) for every ```python block of the pages."""
    found = []
    for page in PAGES:
        text = page.read_text()
        for match in BLOCK.finditer(text):
            line = text.count("\n", 0, match.start()) + 2
            bug = KNOWN_BUGS.get(str(page.relative_to(ROOT)))
            marks = [pytest.mark.xfail(reason=bug, strict=True)] if bug else []
            found.append(pytest.param(page, line, match.group(1), marks=marks,
                                      id=f"{page.relative_to(ROOT)}:{line}"))
    return found


def needs(code: str) -> list[str]:
    """The optional packages the block imports (directly, or through neuralpath's web app)."""
    names = set(re.findall(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", code, re.M))
    if "neuralpath.web" in code:
        names |= {"fastapi", "uvicorn"}
    if "examples/ddp_continue.py" in code or "to_torch" in code:
        names.add("torch")
    if "save_onnx" in code or "--format" in code:
        names.add("onnx")
    return sorted(n for n in names if n in OPTIONAL or n == "onnx")


def test_there_are_examples_to_run():
    pages = {p.name for p, *_ in (b.values for b in blocks())}
    assert "README.md" in pages and len(pages) >= 8, pages


@pytest.mark.parametrize(("page", "line", "code"), blocks())
def test_example_runs_as_written(page, line, code, tmp_path):
    missing = [n for n in needs(code) if importlib.util.find_spec(n) is None]
    if missing:
        reason = f"needs {', '.join(OPTIONAL.get(n, n) for n in missing)} (pip install it)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    script = tmp_path / "example.py"
    script.write_text(code)
    env = dict(os.environ, MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, (
        f"{page.relative_to(ROOT)}, the block at line {line}, failed:\n{done.stderr[-3000:]}")
