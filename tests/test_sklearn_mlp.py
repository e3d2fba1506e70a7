"""scikit-learn's own tests of its MLP, run against neuralpath's estimators.

The test file ``sklearn/neural_network/tests/test_mlp.py`` of the INSTALLED scikit-learn is
copied into pytest's tmp_path at test time (never committed), its one import of
MLPClassifier and MLPRegressor is rewritten to neuralpath's estimators, and it is run by pytest
in a subprocess. Every one of its tests must pass, except these, which reach into
scikit-learn's private internals (they set or call attributes that are not part of the
estimator's contract): none now. ``test_gradient`` calls the private ``_loss_grad_lbfgs``
with scikit-learn's buffers; the estimator offers it, computed by the engine's backprop.

``test_fit`` sets ``_coef_grads``, ``_coef_velocity``, ... by hand; they are ignored here and
it passes. ``_optimizer.learning_rate`` and ``_no_improvement_count``, which other tests
read, exist here with the same meaning. No test of the installed scikit-learn (1.9.1) needs
a newer one. The copy runs with warnings as errors, as this project's tests do.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

sklearn = pytest.importorskip("sklearn")

EXCLUDED: dict[str, str] = {}
IMPORT = "from sklearn.neural_network import MLPClassifier, MLPRegressor"
REWRITTEN = ("from neuralpath.estimator import NeuralNetworkClassifier as MLPClassifier, "
             "NeuralNetworkRegressor as MLPRegressor")
CONFTEST = '''
import pytest


@pytest.fixture
def global_random_seed():
    # scikit-learn's conftest parametrizes this from SKLEARN_TESTS_GLOBAL_RANDOM_SEED; 42 is
    # its default
    return 42
'''


def _copy_sklearn_tests(folder: Path, rewrite: bool) -> Path:
    source = Path(sklearn.__file__).parent / "neural_network" / "tests" / "test_mlp.py"
    text = source.read_text(encoding="utf-8")
    assert text.count(IMPORT) == 1, f"{source} no longer imports the MLP as {IMPORT!r}"
    if rewrite:
        text = text.replace(IMPORT, REWRITTEN)
    folder.mkdir()
    (folder / "test_mlp.py").write_text(text, encoding="utf-8")
    (folder / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (folder / "pytest.ini").write_text(
        "[pytest]\naddopts = -p no:cacheprovider\nfilterwarnings = error\n")
    return folder


def _run(folder: Path) -> tuple[subprocess.CompletedProcess, dict]:
    deselect = [f"--deselect=test_mlp.py::{name}" for name in EXCLUDED]
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfE", "test_mlp.py", *deselect],
        cwd=folder, capture_output=True, text=True, timeout=1500, check=False)
    counts = {k: int(v) for v, k in re.findall(
        r"(\d+) (passed|failed|errors?|deselected|skipped)", proc.stdout.splitlines()[-1])}
    return proc, counts


def test_scikit_learns_own_mlp_tests_pass_on_neuralpaths_estimators(tmp_path):
    proc, counts = _run(_copy_sklearn_tests(tmp_path / "neuralpath_mlp", rewrite=True))
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert counts.get("failed", 0) == 0 and counts.get("error", counts.get("errors", 0)) == 0
    assert counts.get("deselected", 0) == len(EXCLUDED)
    assert counts.get("passed", 0) >= 59, counts  # 59 with scikit-learn 1.9.1
