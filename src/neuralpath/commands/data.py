"""``neuralpath data mnist``: where the MNIST-format files are looked for, what is there, and
``--download`` to fetch the standard files (checked against their SHA-256)."""
from __future__ import annotations

import argparse
import os
from typing import IO, Any

from .. import mnist
from ..errors import UsageError

HELP = "the real MNIST digits (28x28): where the files go, and --download to fetch them"
EPILOG = """examples:
  neuralpath data mnist                     where the files are looked for, and what is there
  neuralpath data mnist --download          fetch the four files and check their SHA-256
  neuralpath data mnist --download --data-dir ~/mnist
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The data set, and --download, --mirror, --data-dir."""
    parser.epilog = EPILOG
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("dataset", choices=["mnist"], help="the data set (only mnist for now)")
    parser.add_argument("--download", action="store_true",
                        help="fetch the four files (about 11 MB) and check their checksums")
    parser.add_argument("--mirror", help="URL of a folder with the four .gz files "
                        f"(default: {mnist.MIRRORS[0]}, then the others)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder for the files (default: $NEURALPATH_DATA or "
                             "~/.cache/neuralpath)")


def _tqdm_bytes(err: IO[str]) -> Any:
    """Download progress: one tqdm bar per file, in bytes, on ``err`` (pooch sets its total
    and moves it)."""
    from tqdm import tqdm

    def bar(name: str) -> Any:
        return tqdm(desc=name, unit="B", unit_scale=True, unit_divisor=1024, file=err,
                    dynamic_ncols=True, leave=True)
    return bar


def run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    """Say which files are where, or fetch them."""
    folder = args.data_dir or mnist.default_data_dir()
    if args.mirror is not None and not args.download:
        raise UsageError("neuralpath data: --mirror is used only with --download")
    if not args.download:
        lines, missing = mnist.folder_status(folder)
        print(f"MNIST files are expected in {folder}", file=out)
        print("\n".join(lines), file=out)
        if missing:
            print(f"{len(missing)} of 4 files missing; fetch them with: neuralpath data mnist "
                  "--download" + (f" --data-dir {folder}" if args.data_dir else ""), file=out)
            return 0
        try:  # read them as train will: refuse here what train would refuse
            (X_train, y_train), (X_test, _) = mnist.load_mnist(folder)
        except ValueError as exc:
            raise UsageError(f"neuralpath data: the files cannot be trained on: {exc}") from None
        print(f"all four files present: {len(X_train):,} training and {len(X_test):,} test "
              f"images of {X_train.shape[1]}x{X_train.shape[2]}, labels "
              f"{int(y_train.min())}..{int(y_train.max())}; train with: neuralpath train "
              "--dataset mnist" + (f" --data-dir {folder}" if args.data_dir else ""), file=out)
        return 0
    try:
        # a bar only on a terminal, as train's: a pipe or a file gets no escape codes
        show = bool(getattr(err, "isatty", lambda: False)())
        status = mnist.download(folder, mirror=args.mirror,
                                progress=_tqdm_bytes(err) if show else None)
    except mnist.DownloadError as exc:
        print(f"neuralpath data: download failed: {exc}", file=err)
        return 1
    for name, state in status.items():
        print(f"  {state:<10} {os.path.join(folder, name)}", file=out)
    print("all four MNIST files are in place and match their checksums", file=out)
    return 0
