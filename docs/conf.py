"""Sphinx configuration of neuralpath's documentation site (``make docs``).

Pages made at build time, into ``docs/_generated/`` (git-ignored), from the code itself:

- ``cli/<command>.md``: each command's real ``--help`` (``neuralpath.cli.build_parser``);
- ``web-api.md`` and ``openapi.json``: the web API from FastAPI's own OpenAPI schema
  (``create_app(...).openapi()``);
- ``tables.md``: the activations and the (cost, output activation) pairs, from the tables;
- ``architecture.md``: ``docs/architecture.md`` included as it is at build time (a
  placeholder page when there is no such file yet).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import sys
import tempfile
import warnings

DOCS = pathlib.Path(__file__).resolve().parent
ROOT = DOCS.parent
GENERATED = DOCS / "_generated"
sys.path.insert(0, str(ROOT / "src"))

import neuralpath  # noqa: E402

project = "neuralpath"
author = "neuralpath maintainers"
copyright = "neuralpath maintainers, MIT licence"
release = version = neuralpath.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_nb",  # MyST markdown pages and the tutorial notebook
]

exclude_patterns = [
    "_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints",
    "architecture.md",  # the lead's page: included by _generated/architecture.md
]
source_suffix = {".rst": "restructuredtext", ".md": "myst-nb", ".ipynb": "myst-nb"}

# the notebook is shown with the outputs stored in it; tests/test_tutorial_notebook.py runs it
nb_execution_mode = "off"
myst_enable_extensions = ["colon_fence", "dollarmath"]
myst_heading_anchors = 3

# the API reference: numpydoc sections, members in source order, signatures without the
# (long) type hints, which numpydoc's Parameters give in words
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

# internal references must resolve: with nitpicky every py: reference is checked; the only
# ones let through are to names outside this project (NumPy, the standard library, ...)
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(?!neuralpath\b).*"),
]

html_theme = "furo"
html_title = f"neuralpath {release}"
html_static_path: list[str] = []
html_extra_path: list[str] = []
linkcheck_ignore = [r"https?://.*"]  # no network here: external links are not checked
suppress_warnings = ["myst.header"]  # an included page may start at ## under its page's #


# -- pages made from the code ---------------------------------------------------------------


def write(path: pathlib.Path, text: str) -> None:
    """Write ``text`` unless the file already holds it (so Sphinx rebuilds only changes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def fence(text: str, lang: str = "text") -> str:
    ticks = "`" * max(3, max((len(r) for r in text.split("\n") if set(r) == {"`"}),
                             default=0) + 1)
    return f"{ticks}{lang}\n{text.rstrip()}\n{ticks}\n"


def cli_pages() -> None:
    """One page per command, its text the real ``--help`` at 100 columns."""
    os.environ["COLUMNS"] = "100"
    from neuralpath.cli import build_parser
    parser = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {a.dest: a.help for a in sub._choices_actions}
    index = ["# Command line\n",
             "Each page is the command's own `--help`, made from `neuralpath.cli`'s parser "
             "when the site is built.\n", fence("$ neuralpath --help\n" + parser.format_help()),
             "```{toctree}\n:maxdepth: 1\n"]
    for name, subparser in sub.choices.items():
        index.append(f"{name}\n")
        write(GENERATED / "cli" / f"{name}.md",
              f"# neuralpath {name}\n\n{helps[name]}.\n\n"
              + fence(f"$ neuralpath {name} --help\n" + subparser.format_help()))
    index.append("```\n")
    write(GENERATED / "cli" / "index.md", "\n".join(index))


def schema_text(schema: dict, components: dict) -> str:
    """A request or response body's schema in a line: its model name, or its type."""
    if "$ref" in schema:
        return f"`{schema['$ref'].rsplit('/', 1)[-1]}`"
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return " or ".join(schema_text(s, components) for s in schema[key])
    if schema.get("type") == "array":
        return f"array of {schema_text(schema.get('items', {}), components)}"
    return f"`{schema.get('type', 'any')}`" if schema else "any"


def web_api_page() -> None:
    """The web API from FastAPI's own OpenAPI schema of ``create_app``'s app."""
    from neuralpath.web.app import create_app
    with tempfile.TemporaryDirectory() as runs, warnings.catch_warnings():
        # FastAPI warns that a route serving GET and HEAD has one operation id twice
        warnings.simplefilter("ignore", UserWarning)
        app = create_app(runs_dir=runs)
        schema = app.openapi()
    write(GENERATED / "extra" / "openapi.json", json.dumps(schema, indent=2) + "\n")
    components = schema.get("components", {}).get("schemas", {})
    lines = [
        "# Web API\n",
        f"The JSON API of `neuralpath serve` ({schema['info']['title']}), generated when the "
        "site is built from FastAPI's own OpenAPI schema of "
        "`neuralpath.web.app.create_app(...)`: `app.openapi()`. The whole schema is "
        "[openapi.json](extra/openapi.json). The pages themselves (`/`, `/train`, `/static/...`) "
        "are not part of the API and are not listed. See the guide "
        "[](../guides/classroom.md) to serve them.\n",
    ]
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            lines.append(f"## `{method.upper()} {path}`\n")
            if op.get("summary"):
                lines.append(f"**{op['summary']}**\n")
            if op.get("description"):
                lines.append(op["description"].strip() + "\n")
            params = op.get("parameters", [])
            if params:
                lines.append("| parameter | in | type | required |\n|---|---|---|---|")
                lines += [f"| `{p['name']}` | {p['in']} "
                          f"| {schema_text(p.get('schema', {}), components)} "
                          f"| {'yes' if p.get('required') else 'no'} |" for p in params]
                lines.append("")
            body = op.get("requestBody", {}).get("content", {})
            for mime, content in body.items():
                lines.append(f"Request body ({mime}): "
                             f"{schema_text(content.get('schema', {}), components)}\n")
            lines.append("| status | meaning | body |\n|---|---|---|")
            for status, response in op.get("responses", {}).items():
                content = response.get("content", {})
                kinds = "; ".join(f"{mime}: {schema_text(c.get('schema', {}), components)}"
                                  for mime, c in content.items()) or "none"
                lines.append(f"| {status} | {response.get('description', '')} | {kinds} |")
            lines.append("")
    if components:
        lines.append("## Schemas\n")
        for name, comp in components.items():
            lines.append(f"### `{name}`\n")
            lines.append(fence(json.dumps(comp, indent=2), "json"))
    write(GENERATED / "web-api.md", "\n".join(lines))


def tables_page() -> None:
    """The activations table and the (cost, output activation) table, from the engine's own."""
    from neuralpath.activations import ACTIVATIONS
    from neuralpath.costs import OUTPUT_LAYERS

    def name(f):
        f = getattr(f, "func", f)  # a functools.partial
        return f"`{f.__module__}.{f.__qualname__}`"

    lines = ["# Activations and costs\n",
             "Made from `neuralpath.activations.ACTIVATIONS` and `neuralpath.costs.OUTPUT_LAYERS` "
             "when the site is built: one entry there is one row here. "
             "{py:func}`neuralpath.activations.get_activation` and "
             "{py:func}`neuralpath.costs.get_cost` look them up.\n",
             "## Activations\n",
             "| name | function | derivative f'(z) | hidden layer | output layer | classifies |",
             "|---|---|---|---|---|---|"]
    for key, a in ACTIVATIONS.items():
        yes = {True: "yes", False: "no"}
        lines.append(f"| `{key}` | {name(a.f)} "
                     f"| {name(a.deriv) if a.deriv else '(none: the cost gives the delta)'} "
                     f"| {yes[a.hidden]} | {yes[a.output]} | {yes[a.classifies]} |")
    lines += ["", "## Costs and their output layers\n",
              "The cost J and the output layer's delta for each pair the engine supports; "
              "any other pair is refused by `get_cost`, naming the allowed ones.\n",
              "| cost | output activation | J | delta of the output layer |", "|---|---|---|---|"]
    for (cost, output), (value, delta) in OUTPUT_LAYERS.items():
        lines.append(f"| `{cost}` | `{output}` | {name(value)} | {name(delta)} |")
    write(GENERATED / "tables.md", "\n".join(lines) + "\n")


def architecture_page() -> None:
    """``docs/architecture.md`` as it is now, or a placeholder page (never written into docs/)."""
    if (DOCS / "architecture.md").exists():
        text = "```{include} ../architecture.md\n:relative-docs: ../\n:relative-images:\n```\n"
    else:
        text = ("# Architecture\n\n`docs/architecture.md`, the project's map of its code, "
                "is not written yet; this page shows it once it is.\n")
    write(GENERATED / "architecture.md", text)


cli_pages()
web_api_page()
tables_page()
architecture_page()
