"""Test accuracy and training time of every digits preset over seeds 0..4, with scikit-learn's
MLPClassifier (default settings) and an RBF support-vector classifier on the same splits.

    .venv/bin/python benchmarks/presets.py                 # all digits presets, seeds 0..4
    .venv/bin/python benchmarks/presets.py --presets best --seeds 0-9

Seed s is the split ``train_test_split(..., test_size=0.4, random_state=s)`` and the initial
weights, exactly as ``neuralpath train --preset NAME --seed s``. Each preset prepares its data
as ``pipeline.train_preset`` does (the tutorial presets scale on all of the data before the
split, as the tutorial does; ``best`` scales with the training part only). scikit-learn's
models run twice: with a StandardScaler fitted on the training part, and with the pixels
divided by the training part's largest value (``best``'s scaling). Time is the training call only
(``History.seconds``; ``fit`` for scikit-learn), with BLAS limited to ``--threads`` threads.
The last lines are a Markdown table for the README.
"""
from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
import warnings


def _seeds(text):
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return list(range(lo, hi + 1))
    return [int(v) for v in text.split(",")]


SCALERS = {"all": "StandardScaler on all the data (as the tutorial)",
           "train": "StandardScaler on the training part",
           "unit": "pixels divided by the training part's largest value"}


def describe(cfg):
    """One line saying what a preset uses."""
    length = (f"{cfg['iterations']} iterations" if cfg["iterations"] is not None
              else f"{cfg['epochs']} epochs")
    batch = "full batch" if cfg["batch_size"] is None else f"batch {cfg['batch_size']}"
    parts = [
        "[" + ",".join(map(str, cfg["layer_sizes"])) + "]",
        f"{cfg['activation']}/{cfg['output_activation']}", cfg["cost"],
        f"init {cfg['initializer']}", f"{cfg['optimizer']} alpha={cfg['learning_rate']:g}",
        f"{cfg['schedule']} schedule", batch, length,
    ]
    if cfg["l2"]:
        parts.append(f"L2 {cfg['l2']:g}")
    if cfg["dropout"]:
        parts.append(f"dropout {cfg['dropout']:g}")
    if cfg["augment"]:
        parts.append("shift augmentation x5")
    if cfg.get("augment_drawings"):
        parts.append("drawing augmentation x5 + made-up drawings")
    if cfg["early_stopping"]:
        parts.append(f"early stopping ({cfg['validation_fraction']:g} validation)")
    parts.append(SCALERS.get(cfg["scaler"], f"scaler {cfg['scaler']}"))
    if cfg["dtype"] != "float64":
        parts.append(cfg["dtype"])
    return ", ".join(parts)


def run_preset(name, seeds):
    from neuralpath.pipeline import train_preset
    accs, secs = [], []
    for seed in seeds:
        _, history, metrics = train_preset(name, seed=seed)
        accs.append(metrics["test_accuracy"])
        secs.append(history.seconds)
        print(f"  {name} seed {seed}: test accuracy {accs[-1]:.4f}, {secs[-1]:.1f} s "
              f"({history.stopped})", file=sys.stderr, flush=True)
    return accs, secs


def run_sklearn(seeds):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    from neuralpath import data
    X, y = data.digits()
    models = {"scikit-learn MLPClassifier()": lambda s: MLPClassifier(random_state=s),
              "scikit-learn SVC(kernel='rbf')": lambda s: SVC(kernel="rbf")}
    scalings = {"StandardScaler on the training part": "standard",
                "pixels divided by the training part's largest value": "unit"}
    results = {}
    for (label, make), (how, scaling) in itertools.product(models.items(), scalings.items()):
        accs, secs = [], []
        for seed in seeds:
            X_tr, X_te, y_tr, y_te = data.split(X, y, seed)
            if scaling == "standard":
                scaler = StandardScaler().fit(X_tr)
                X_tr, X_te = scaler.transform(X_tr), scaler.transform(X_te)
            else:
                X_tr, X_te = X_tr / X_tr.max(), X_te / X_tr.max()
            model = make(seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_tr, y_tr)
            secs.append(time.perf_counter() - start)
            accs.append(float((model.predict(X_te) == y_te).mean()))
            print(f"  {label}, {scaling} scaling, seed {seed}: test accuracy {accs[-1]:.4f}",
                  file=sys.stderr, flush=True)
        results[(label, f"{how}; default settings")] = (accs, secs)
    return results


def main(argv=None):
    from neuralpath.presets import PRESETS, resolve
    digits_presets = [n for n in PRESETS if PRESETS[n]["dataset"] == "digits"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default=",".join(digits_presets),
                        help=f"comma-separated (default {','.join(digits_presets)})")
    parser.add_argument("--seeds", type=_seeds, default=list(range(5)),
                        help="'0-4' or '0,3,7' (default 0-4)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn's models")
    args = parser.parse_args(argv)
    names = [n for n in args.presets.split(",") if n]
    for n in names:
        if n not in PRESETS or PRESETS[n]["dataset"] != "digits":
            parser.error(f"--presets: {n!r} is not a digits preset ({', '.join(digits_presets)})")

    from threadpoolctl import threadpool_limits
    rows = []
    print(f"seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} splits 60/40), "
          f"BLAS threads {args.threads}, {os.cpu_count()} CPUs", flush=True)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for name in names:
            print(f"{name}: {describe(resolve(name))}", flush=True)
            accs, secs = run_preset(name, args.seeds)
            rows.append((f"`{name}`", describe(resolve(name)), accs, secs))
        if not args.no_sklearn:
            for (label, what), (accs, secs) in run_sklearn(args.seeds).items():
                rows.append((label, what, accs, secs))

    print()
    print("| model | what it uses | test accuracy, mean ± std | min .. max "
          "| training time per split (mean, max) |")
    print("|---|---|---|---|---|")
    for label, what, accs, secs in rows:
        std = statistics.pstdev(accs) if len(accs) > 1 else 0.0
        print(f"| {label} | {what} | {statistics.fmean(accs):.2%} ± {std:.2%} "
              f"| {min(accs):.2%} .. {max(accs):.2%} "
              f"| {statistics.fmean(secs):.1f} s, {max(secs):.1f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
