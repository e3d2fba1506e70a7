"""``neuralpath presets``: every preset with its settings; ``--show NAME`` as a train command."""
from __future__ import annotations

import argparse
import shlex
from typing import IO

from ..config import TrainConfig
from ..presets import PRESETS
from .common import option

HELP = "list the presets and their settings"
EPILOG = """examples:
  neuralpath presets                    every preset, every setting, side by side
  neuralpath presets --show best        the neuralpath train command that equals best
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--show NAME``."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--show", choices=sorted(PRESETS), metavar="NAME",
                        help="print preset NAME (" + ", ".join(PRESETS) + ") as the "
                             "neuralpath train command it equals")


def as_command(name: str) -> str:
    """The ``neuralpath train`` command line that gives preset ``name``'s settings, spelling
    out every one that differs from TrainConfig's defaults (the tutorial's)."""
    parts = ["neuralpath", "train", "--preset", name]
    for key, (value, _) in PRESETS[name].differences(TrainConfig()).items():
        if isinstance(value, bool):
            parts.append(option(key) if value else "--no-" + option(key)[2:])
        elif value is None:
            continue  # iterations cleared by epochs (or the other way round)
        elif isinstance(value, list):
            parts += [option(key), ",".join(map(str, value))]
        else:
            parts += [option(key), str(value)]
    return shlex.join(parts)


def shown(value: object) -> str:
    """A setting's value as ``train`` takes it: on/off for a switch (``--augment`` /
    ``--no-augment``), 64,30,10 for a list, - for none."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Print one preset as a command, or a table of every preset's settings."""
    if args.show:
        print(as_command(args.show), file=out)
        return 0
    names = list(PRESETS)
    rows = {option(key): [shown(v) for v in (PRESETS[n].to_dict()[key] for n in names)]
            for key in TrainConfig().to_dict()}
    width = max(len(k) for k in rows) + 2
    col = 2 + max(len(v) for v in [*names, *(v for vs in rows.values() for v in vs)])
    print("option".ljust(width) + "".join(n.ljust(col) for n in names).rstrip(), file=out)
    for key, values in rows.items():
        print(key.ljust(width) + "".join(v.ljust(col) for v in values).rstrip(), file=out)
    return 0
