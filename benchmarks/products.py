"""Time the five matrix products of one tutorial-preset iteration in every orientation.

    python benchmarks/products.py [--dtype float64|float32] [--rounds N] [--calls N]

One full-batch iteration of [64, 30, 10] on the 1078 training digits makes five products:
the forward X W1^T and h W2^T, the weight gradients delta3^T h and delta2^T X, and the hidden
delta delta3 W2. Each can be asked of BLAS in more than one way (row or column layout, with
the transposes in the operands or in the result); this script times every way on one BLAS
thread and prints the fastest sum. That sum is a floor for an iteration of any engine that
leaves its products to NumPy's BLAS: it is what benchmarks/README.md compares with the
targets. Random operands of the right shapes stand in for the data (BLAS speed does not
depend on the values).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

from neuralpath.commands.common import positive_int

M, S1, S2, S3 = 1078, 64, 30, 10


def _best_us(fn, rounds, calls=300):
    fn()
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1e6


def _ways(a, b, out_shape, dtype):
    """Every way of computing a @ b with NumPy: each operand stored row-major (C) or
    column-major (F, which BLAS reads as a transpose), and either the product itself or its
    transpose b^T a^T (read back through a view). Each writes into an array made once."""
    out, out_t = np.empty(out_shape, dtype), np.empty(out_shape[::-1], dtype)
    a_, b_ = {"C": np.ascontiguousarray(a), "F": np.asfortranarray(a)}, \
        {"C": np.ascontiguousarray(b), "F": np.asfortranarray(b)}
    layouts = [(la, lb) for la in "CF" for lb in "CF"]
    ways = {f"a{la} b{lb}": lambda x=a_[la], y=b_[lb]: np.matmul(x, y, out=out)
            for la, lb in layouts}
    ways.update({f"(b{lb}^T a{la}^T)^T": lambda x=a_[la], y=b_[lb]: np.matmul(y.T, x.T, out=out_t)
                 for la, lb in layouts})
    return ways


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--rounds", type=positive_int, default=7,
                        help="keep the fastest of N rounds")
    parser.add_argument("--calls", type=positive_int, default=300, help="calls per round")
    args = parser.parse_args(argv)
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)

    def rand(*shape):
        return rng.standard_normal(shape).astype(dtype)

    X, h2, W1, W2 = rand(M, S1), rand(M, S2), rand(S2, S1), rand(S3, S2)
    delta2, delta3 = rand(M, S2), rand(M, S3)
    # name: (a, b, shape of a @ b, how network.backprop stores a and b)
    products = {
        "z2 = X W1^T": (X, W1.T, (M, S2), "aC bF"),
        "z3 = h2 W2^T": (h2, W2.T, (M, S3), "aC bF"),
        "delta3^T h2 (grad W2)": (delta3.T, h2, (S3, S2), "aF bC"),
        "delta3 W2 (hidden delta)": (delta3, W2, (M, S2), "aC bC"),
        "delta2^T X (grad W1)": (delta2.T, X, (S2, S1), "aF bC"),
    }
    with threadpool_limits(1):
        blas = ", ".join(f"{i['internal_api']} {i.get('version')} {i.get('architecture')}"
                         for i in threadpool_info() if i["user_api"] == "blas")
        print(f"{args.dtype}, 1 thread, {blas}; microseconds per call, fastest of "
              f"{args.rounds} rounds")
        total_fastest = total_engine = 0.0
        for name, (a, b, shape, engine_way) in products.items():
            ways = _ways(a, b, shape, dtype)
            if total_fastest == 0.0:
                print(f"  {'product':26s}" + "".join(f"{w:>14s}" for w in ways))
            times = {way: _best_us(fn, args.rounds, args.calls) for way, fn in ways.items()}
            fastest = min(times, key=times.get)
            total_fastest += times[fastest]
            total_engine += times[engine_way]
            print(f"  {name:26s}" + "".join(f"{t:14.1f}" for t in times.values())
                  + f"   fastest: {fastest}; neuralpath: {engine_way}")
        print(f"  sum of the fastest ways: {total_fastest:.1f} us; "
              f"sum of neuralpath's ways: {total_engine:.1f} us")


if __name__ == "__main__":
    main()
