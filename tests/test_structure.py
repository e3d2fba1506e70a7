"""The layout of DESIGN.md, checked from the code: no import cycles, the library below the
commands, typed public functions, figures without pyplot, ``python -m neuralpath``."""
import ast
import importlib
import inspect
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import neuralpath

PACKAGE = Path(neuralpath.__file__).parent
SRC = PACKAGE.parent


def _module_name(path, src=SRC):
    parts = list(path.relative_to(src).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _all_imports(path, src=SRC):
    """Every module that ``path`` imports, at module level or inside functions (not under
    ``if TYPE_CHECKING:``), as absolute names; ``from X import name`` counts X and X.name."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            node.body = []
    mod = _module_name(path, src)
    is_pkg = path.name == "__init__.py"
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found |= {f"{target}.{a.name}" for a in node.names}
    return found - {mod}


def _imports(path, known, src=SRC):
    """The modules of the package (``known``) that ``path`` imports."""
    return {m for m in _all_imports(path, src) if m in known}


def _graph(package=PACKAGE):
    src = package.parent
    files = {_module_name(p, src): p for p in package.rglob("*.py")}
    graph = {m: _imports(p, files, src) for m, p in files.items()}
    for edges in graph.values():  # the root package only re-exports: not a design edge
        edges.discard("neuralpath")
    return graph


def _cycles(graph):
    """Strongly connected groups of two or more modules (Tarjan)."""
    index, low, stack, on, groups, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return groups


def test_no_import_cycle_among_the_modules():
    assert _cycles(_graph()) == []


def test_the_cycle_check_can_fail():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_nothing_below_the_commands_imports_them():
    """DESIGN.md: the library below, the commands above; only cli.py and commands/ import
    commands/ or cli.py."""
    top = {"neuralpath.cli", "neuralpath.__main__"}
    for mod, edges in _graph().items():
        if mod in top or mod.startswith("neuralpath.commands"):
            continue
        upward = {e for e in edges if e in top or e.startswith("neuralpath.commands")}
        assert not upward, f"{mod} imports {sorted(upward)}"


# DESIGN.md: the engine imports nothing but NumPy and itself. ``errors``, ``checks``,
# ``signals`` and ``blas`` are standard library (and NumPy) only, below everything, so the
# engine may use them; threadpoolctl is blas.py's (imported inside the function that caps BLAS
# threads).
ENGINE = ("activations", "costs", "initializers", "network", "buffers", "optimizers", "dropout",
          "training")
ENGINE_BASE = ("errors", "checks", "signals", "blas")
ENGINE_THIRD_PARTY = {"numpy", "threadpoolctl"}


def engine_problems(package=PACKAGE, engine=ENGINE, base=ENGINE_BASE):
    """{module: [what it must not import]} for the engine's modules and their base: another
    module of the package outside them, or a library other than NumPy (and threadpoolctl)."""
    name = package.name
    allowed = {f"{name}.{m}" for m in engine + base}
    graph = _graph(package)
    problems = {}
    for mod in sorted(allowed & set(graph)):
        path = package / (mod.split(".", 1)[1].replace(".", "/") + ".py")
        outside = {i.split(".")[0] for i in _all_imports(path, package.parent)
                   if i.split(".")[0] not in (name, "")}
        bad = sorted((graph[mod] - allowed) | (outside - ENGINE_THIRD_PARTY
                                               - set(sys.stdlib_module_names)))
        if bad:
            problems[mod] = bad
    return problems


def test_the_engine_imports_only_the_engine_and_numpy():
    assert engine_problems() == {}


def test_the_engine_check_can_fail(tmp_path):
    """A control: a copy of the engine in which training.py imports config.py (as it did) and
    optimizers.py imports scikit-learn is reported, module by module."""
    copy = tmp_path / "neuralpath"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static"))
    training = copy / "training.py"
    training.write_text(training.read_text().replace(
        "from .errors import", "from .config import TrainConfig\nfrom .errors import", 1))
    optimizers = copy / "optimizers.py"
    optimizers.write_text("import sklearn.utils\n" + optimizers.read_text())
    problems = engine_problems(copy)
    assert problems == {"neuralpath.optimizers": ["sklearn"],
                        "neuralpath.training": ["neuralpath.config"]}


# the tutorial's listings are kept as the text prints them, which has no type hints; their
# modules' few helpers keep the same plain style, so a learner can read them side by side
VERBATIM = ("neuralpath.tutorial.section",)


def _public_callables():
    """Every public function, class and method of every public module of the package."""
    for info in pkgutil.walk_packages([str(PACKAGE)], "neuralpath."):
        if any(part.startswith("_") for part in info.name.split(".")[1:]):
            continue
        if info.name.startswith(VERBATIM):
            continue
        if info.name.startswith("neuralpath.web"):
            pytest.importorskip("fastapi")
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != info.name:
                continue
            if inspect.isfunction(obj):
                yield f"{info.name}.{name}", obj
            elif inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") and attr != "__init__":
                        continue
                    if isinstance(member, (classmethod, staticmethod)):
                        member = member.__func__
                    if inspect.isfunction(member):
                        yield f"{info.name}.{name}.{attr}", member


def _missing_hints(fn):
    sig = inspect.signature(fn)
    missing = [p for p in sig.parameters if p not in ("self", "cls")
               and sig.parameters[p].annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


def test_every_public_function_and_method_has_type_hints():
    untyped = {name: _missing_hints(fn) for name, fn in _public_callables() if _missing_hints(fn)}
    assert not untyped, untyped


def test_the_type_hint_check_can_fail():
    def typed(x: int) -> int:
        return x

    def untyped(x, y: int):
        return x

    assert _missing_hints(typed) == [] and _missing_hints(untyped) == ["x", "return"]


def test_the_package_says_it_is_typed():
    assert (PACKAGE / "py.typed").is_file()


def test_importing_plots_leaves_matplotlib_alone():
    """No pyplot state and no backend switch: a user's backend stays what it was."""
    code = ("import matplotlib; matplotlib.use('svg'); import neuralpath.plots, "
            "neuralpath.runs, neuralpath.tutorial.figures, sys; "
            "assert matplotlib.get_backend() == 'svg', matplotlib.get_backend(); "
            "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_python_dash_m_neuralpath_is_the_command_line():
    proc = subprocess.run([sys.executable, "-m", "neuralpath", "--version"],
                          capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == f"neuralpath {neuralpath.__version__}"


HEAVY = ("sklearn", "scipy", "pandas", "matplotlib", "PIL")


@pytest.mark.parametrize("module", ["neuralpath", "neuralpath.training", "neuralpath.config",
                                    "neuralpath.presets", "neuralpath.cli"])
def test_importing_the_package_and_the_engine_loads_nothing_heavy(module):
    """DESIGN.md: ``import neuralpath`` and the engine load no scikit-learn, SciPy, pandas,
    matplotlib or Pillow (they cost a second; the commands import them when they run)."""
    code = (f"import sys, {module}; "
            f"print([m for m in {HEAVY!r} if m in sys.modules])")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert proc.stdout.strip() == "[]", (module, proc.stdout)


def test_the_package_still_offers_every_public_name():
    for name in neuralpath.__all__:
        assert getattr(neuralpath, name) is not None, name
    assert neuralpath.train.__module__ == "neuralpath.training"


ARCHITECTURE = SRC.parent / "docs" / "architecture.md"


def test_the_architecture_doc_names_every_module():
    """docs/architecture.md is the project's map: every module of the package (and every
    subpackage) is named in it, so a module added without a place on the map fails here."""
    text = ARCHITECTURE.read_text()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.name in ("__init__.py", "__main__.py"):
            continue
        top = rel.parts[0]
        # a module of tutorial/ is named by its package; elsewhere by its file name
        name = f"{top}/" if top == "tutorial" else (rel.name if len(rel.parts) == 1
                                                     else f"{rel.parts[0]}/{rel.name}")
        short = rel.stem if len(rel.parts) == 1 else None
        if name not in text and (short is None or f"{short}.py" not in text):
            missing.append(str(rel))
    assert not missing, f"docs/architecture.md does not name {missing}"
