"""``neuralpath bench``: the same training timed side by side (see ``neuralpath.bench``)."""
from __future__ import annotations

import argparse
import json
from typing import IO

from .common import positive_int, positive_int_list

HELP = "time training side by side: neuralpath, PyTorch, scikit-learn, the tutorial's listing"
EPILOG = """examples:
  neuralpath bench --part a --skip torch          the tutorial preset, numpy contenders only
  neuralpath bench --part b --batch-sizes 128     MNIST-sized mini-batches of 128
  neuralpath bench --part c --repeat 3            the mnist preset's epoch, PyTorch, GEMM bound
  neuralpath bench --breakdown                    where one tutorial iteration spends its time
  neuralpath bench --breakdown --part c           where one epoch of the mnist preset does
  neuralpath bench --part estimator --repeat 3    NeuralNetworkClassifier / MLPClassifier
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Which parts, how long, how often, with how many threads, and who competes."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--part", choices=["a", "b", "c", "all", "estimator"], default="all",
                        help="(a) the tutorial preset, (b) MNIST-sized mini-batches, (c) one "
                             "epoch of the mnist preset, each against PyTorch and (a), (c) "
                             "the one-core GEMM bound; all: the three; estimator: "
                             "NeuralNetworkClassifier against MLPClassifier")
    parser.add_argument("--problems", default="digits,mnist5k",
                        help="with --part estimator: comma-separated problems, digits "
                             "(hidden 100, 200 epochs) and/or mnist5k (256,256; 30 epochs)")
    parser.add_argument("--iterations", type=positive_int, default=3000, metavar="N",
                        help="full-batch iterations in part (a) (default 3000)")
    parser.add_argument("--listing-iterations", type=positive_int, default=30, metavar="N",
                        help="iterations the tutorial's listing is timed over (default 30)")
    parser.add_argument("--batch-sizes", type=positive_int_list, default=[32, 128, 1024],
                        help="part (b) batch sizes (default 32,128,1024)")
    parser.add_argument("--samples", type=positive_int, default=60000, metavar="N",
                        help="parts (b), (c) rows of random 784-pixel data (default 60000)")
    parser.add_argument("--repeat", type=positive_int, default=1, metavar="N",
                        help="timed runs per contender, the fastest reported (default 1)")
    parser.add_argument("--threads", type=positive_int, default=1, metavar="N",
                        help="BLAS / intra-op threads for every contender (default 1)")
    parser.add_argument("--skip", default="",
                        help="comma-separated contenders to leave out: torch, sklearn, "
                             "listing, gemm")
    parser.add_argument("--in-process", action="store_true",
                        help="measure in this process instead of one fresh process each")
    parser.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    parser.add_argument("--breakdown", action="store_true",
                        help="instead: where one tutorial-preset iteration spends its time "
                             "(with --part c: one epoch of the mnist preset, part by part)")
    parser.add_argument("--contention", action="store_true",
                        help="instead: each preset's training quiet and beside one busy "
                             "process, per BLAS thread setting (busy/quiet ratios)")
    parser.add_argument("--presets", default="tutorial,tutorial-l2,best,mnist",
                        help="with --contention: comma-separated presets to measure")
    parser.add_argument("--thread-settings", default="1,2,rule",
                        help="with --contention: BLAS threads to compare: 1, 2 and/or rule "
                             "(blas.blas_threads' choice)")


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Measure each contender in turn (progress on stderr), then print the table."""
    from .. import bench
    if args.contention:
        return _contention(args, out, err)
    if args.breakdown and args.part == "c":
        parts, epoch = bench.epoch_breakdown(args.samples, args.repeat)
        print(bench.epoch_breakdown_report(parts, epoch, args.samples), file=out)
        return 0
    if args.breakdown:
        for dtype in ("float64", "float32"):
            steps, train_us, expit_us = bench.breakdown(dtype)
            print(bench.breakdown_report(dtype, steps, train_us, expit_us), file=out)
        return 0
    specs = bench.plan(args.part, args.iterations, args.listing_iterations, args.batch_sizes,
                       args.samples, args.threads, [s for s in args.skip.split(",") if s],
                       args.repeat, [p for p in args.problems.split(",") if p])
    results = []
    for i, spec in enumerate(specs, 1):
        label = f"{bench.LABELS[spec['kind']]} {spec['dtype']}"
        if spec["part"] in ("b", "c"):
            label += f" batch {spec['batch']}"
        if spec["part"] == "estimator":
            label = f"{bench.LABELS[spec['kind']]} on {spec['problem']}"
        print(f"[{i}/{len(specs)}] ({spec['part']}) {label}", file=err, flush=True)
        results.append(bench.measure(spec, in_process=args.in_process))
    if args.json:
        print(json.dumps({"results": results, "targets": bench.targets(results)}), file=out)
    else:
        print(bench.report(results), file=out)
    return 0


def _contention(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """``--contention``: busy / quiet time per preset and thread setting (``contention``)."""
    from .. import contention
    specs = contention.plan([p for p in args.presets.split(",") if p],
                            [t for t in args.thread_settings.split(",") if t], args.repeat)
    results = []
    for i, spec in enumerate(specs, 1):
        print(f"[{i}/{len(specs)}] {spec['preset']}, threads {spec['threads']}, "
              f"{'busy' if spec['busy'] else 'quiet'}", file=err, flush=True)
        results.append(contention.measure(spec))
    for r in results:
        if "error" in r:
            print(f"neuralpath bench: {r['preset']} threads {r['threads']}: {r['error']}", file=err)
    rows = contention.summarise(results)
    print(json.dumps(rows) if args.json else contention.report(rows), file=out)
    return 0
