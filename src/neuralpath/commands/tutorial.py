"""``neuralpath tutorial``: walk through the tutorial, its numbers beside neuralpath's and its
figures (see ``neuralpath.tutorial.walkthrough``)."""
from __future__ import annotations

import argparse
from typing import IO

from .common import nonneg_int, positive_int

HELP = "walk through the tutorial: its numbers beside neuralpath's, and its figures"
EPILOG = """examples:
  neuralpath tutorial                       sections 2, 3, 4 and 5 in turn
  neuralpath tutorial --section 5 --seed 1  only section 5, on another split
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Which section, where the figures go, and section 3's and 5's settings."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    from ..tutorial.walkthrough import DEFAULT_OUT, SECTIONS
    parser.add_argument("--section", type=int, choices=SECTIONS,
                        help="only this section (default: 2, 3, 4 and 5 in turn)")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"folder for the figures (default {DEFAULT_OUT})")
    parser.add_argument("--iterations", type=positive_int, default=3000, metavar="N",
                        help="gradient-descent iterations of section 5 (default 3000, as "
                             "the tutorial)")
    parser.add_argument("--repeat", type=positive_int, default=5, metavar="N",
                        help="timing runs per function in section 3; the best is kept "
                             "(default 5)")
    parser.add_argument("--seed", type=nonneg_int, default=0, metavar="S",
                        help="section 5's split and initial weights (default 0)")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Run the sections in turn, each printing the text's figures beside the package's."""
    from ..tutorial import walkthrough as w
    runners = {  # section -> how it runs with these arguments
        2: lambda: w.section2(args.out, out),
        3: lambda: w.section3(args.out, out, repeat=args.repeat, seed=args.seed),
        4: lambda: w.section4(args.out, out),
        5: lambda: w.section5(args.out, out, iterations=args.iterations, seed=args.seed),
    }
    sections = w.SECTIONS if args.section is None else (args.section,)
    print(f"neuralpath tutorial: sections {', '.join(map(str, sections))}; figures in "
          f"{args.out}", file=out)
    for section in sections:
        runners[section]()
    return 0
