#!/usr/bin/env python
"""Time the same training side by side: neuralpath, PyTorch, scikit-learn, the tutorial's listing.

    python benchmarks/train_speed.py                  # both parts, about two minutes
    python benchmarks/train_speed.py --part a --repeat 3
    python benchmarks/train_speed.py --help

The same as ``neuralpath bench``: the timing code lives in ``neuralpath/bench.py``, and this
script only parses the same options and calls it. PyTorch is optional
(``pip install 'neuralpath[torch]'``); without it its rows say so. What the figures mean and
where the time goes: benchmarks/README.md.
"""
import argparse
import sys

from neuralpath.commands import bench


def main(argv=None):
    parser = argparse.ArgumentParser(prog="train_speed.py", description=bench.HELP)
    bench.add_arguments(parser)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse has printed its one-line reason
        return exc.code
    try:
        return bench.run(args, sys.stdout, sys.stderr)
    except ValueError as exc:
        print(f"train_speed.py: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
