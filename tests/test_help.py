"""The command line explains itself: every argument of every command has help, --help is
plain text (no reST markup), every command shows examples, and the README's usage section is
the real --help output.

Run ``python tests/test_help.py --write`` to rewrite the README's usage section after the
options change; ``test_readme_usage_is_the_real_help`` fails until then.
"""
import argparse
import dataclasses
import os
import pathlib
import re
import sys

import pytest

from neuralpath.cli import build_parser
from neuralpath.commands import COMMANDS
from neuralpath.config import TrainConfig

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
BEGIN = "<!-- usage: begin (python tests/test_help.py --write makes it from --help) -->"
END = "<!-- usage: end -->"
WIDTH = "100"
MARKUP = re.compile(r"``|:(class|func|meth|mod|attr|data):`|\.\. \w+::|`[^`\s]+`_")
NO_EXAMPLES_YET: set[str] = set()  # every command has its examples


def subparsers(parser):
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return action.choices


def every_parser():
    parser = build_parser()
    return {"neuralpath": parser, **{f"neuralpath {name}": sub
                                     for name, sub in subparsers(parser).items()}}


@pytest.fixture(autouse=True)
def fixed_width(monkeypatch):
    monkeypatch.setenv("COLUMNS", WIDTH)


def test_every_command_is_listed():
    assert set(subparsers(build_parser())) == set(COMMANDS)


@pytest.mark.parametrize("name", list(every_parser()))
def test_every_argument_has_help(name):
    parser = every_parser()[name]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            assert set(helps) == set(COMMANDS) and all(helps.values()), helps
            continue
        assert action.help and action.help != argparse.SUPPRESS, (name, action.option_strings
                                                                 or action.dest)
        assert len(action.help) > 15, (name, action.option_strings, action.help)


@pytest.mark.parametrize("name", list(every_parser()))
def test_help_renders_without_markup_and_with_examples(name):
    parser = every_parser()[name]
    text = parser.format_help()
    assert not MARKUP.search(text), MARKUP.search(text)
    assert "%(" not in text  # an unexpanded argparse format
    if name.split()[-1] not in NO_EXAMPLES_YET:
        examples = text.split("examples:\n", 1)
        assert len(examples) == 2, f"{name} --help has no examples"
        commands = [line.split()[:2] for line in examples[1].splitlines()
                    if line.startswith("  neuralpath")]
        assert commands, name
        # the examples run the command they are the help of
        if name != "neuralpath":
            assert all(c == name.split() for c in commands), commands


def test_train_help_gives_every_settings_meaning_range_and_default():
    text = every_parser()["neuralpath train"].format_help()
    flat = " ".join(text.split())
    for f in dataclasses.fields(TrainConfig):
        option = "--" + f.name.replace("_", "-")
        found = re.search(rf"^  {option}[ ,].*?(?=^  -|\n\n)", text, re.M | re.S)
        entry = " ".join(found.group(0).split())
        assert "Range: " in entry and "Default: the preset's (tutorial: " in entry, entry
    # the tutorial's names where it has them
    assert "--learning-rate ALPHA" in flat and "step size alpha" in flat
    assert "--l2 LAMBDA" in flat and "--layer-sizes S1,...,SNL" in flat
    assert "Range: > 0. Default: the preset's (tutorial: 0.25)" in flat
    assert "Range: integer >= 1, or all m samples when left out" in flat


def test_main_help_exits_0_and_prints_to_stdout(capsys):
    from neuralpath.cli import main
    assert main(["train", "--help"]) == 0
    assert "examples:" in capsys.readouterr().out


# -- the README's usage section ----------------------------------------------------------


def usage_section() -> str:
    """The README's usage section: neuralpath --help, then every command's usage lines."""
    parser = build_parser()
    blocks = [parser.format_help().rstrip()]
    blocks += [sub.format_usage().rstrip() for sub in subparsers(parser).values()]
    body = "\n\n".join(blocks)
    return f"{BEGIN}\n```\n$ neuralpath --help\n{body}\n```\n{END}"


def readme_section(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[start:end]


def test_readme_usage_is_the_real_help():
    text = README.read_text()
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert readme_section(text) == usage_section(), (
        "the README's usage section is not neuralpath's --help: run python tests/test_help.py "
        "--write")


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    os.environ["COLUMNS"] = WIDTH
    current = README.read_text()
    README.write_text(current.replace(readme_section(current), usage_section()))
    print(f"rewrote the usage section of {README}")
