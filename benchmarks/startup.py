#!/usr/bin/env python
"""How long the command line takes to answer: ``neuralpath --version`` and ``neuralpath train
--help``, each the best (min) of several fresh processes.

    python benchmarks/startup.py              # 5 runs each
    python benchmarks/startup.py --repeat 9

Each run starts a new interpreter the way the ``neuralpath`` script does (``from
neuralpath.cli import main``), so what is measured is the import time of what the command
needs plus its answer. The targets (issue 21): --version under 0.3 s, train --help under
0.5 s. The minimum is reported because the noise of a shared machine only ever adds time.
Run it with the package to be measured first on the path (``PYTHONPATH=src``).
"""
import argparse
import subprocess
import sys
import time

SCRIPT = "import sys; from neuralpath.cli import main; sys.exit(main())"
COMMANDS = {"neuralpath --version": ["--version"], "neuralpath train --help": ["train", "--help"]}
TARGETS = {"neuralpath --version": 0.3, "neuralpath train --help": 0.5}


def best_of(argv, repeat):
    """The shortest wall time, in seconds, of ``repeat`` fresh processes running ``argv``."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", SCRIPT, *argv], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="startup.py", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per command (default 5)")
    args = parser.parse_args(argv)
    for name, command in COMMANDS.items():
        seconds = best_of(command, args.repeat)
        print(f"{name:26} {seconds:6.3f} s  (min of {args.repeat}; target < "
              f"{TARGETS[name]} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
