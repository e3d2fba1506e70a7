"""The training rows a live run's settings give, known before its data is read.

A run of ``epochs`` makes ``epochs x ceil(rows / batch)`` optimizer steps, and the page's
bound (``settings.MAX_ITERATIONS``) must refuse too many of them when the run is asked for,
not once its worker has read the data. The rows follow from the settings and one count per
data set, as ``pipeline.prepare`` makes them:

* the data set's training part: the digits' 1,797 rows less the test share
  (``ceil(test_size x 1797)``, as scikit-learn's ``train_test_split`` takes it), or an IDX
  set's training file, whose count is read from its 8-byte header alone;
* less the validation share with early stopping (``ceil(validation_fraction x rows)``);
* times the shifted copies (``augment``: each image and 4 shifts), or, with
  ``augment_drawings``, ``rows x COPIES`` plus the printed and drawn digits' rows.

``training_rows`` gives that count (None when an IDX set's files are not there: the run then
fails with the loader's own message), ``check_epochs`` refuses a run with too many steps in
the page's words, and ``rows_options`` gives the page the same counts so it can check the
field before sending (``GET /api/train/options``' ``train_rows``, ``preset_rows`` and
``rows``). A test holds every count equal to ``pipeline.prepare``'s.
"""
from __future__ import annotations

import math
from typing import Any

from ..augment import COPIES, added_items
from ..config import TrainConfig
from ..data import DATASETS, SHIFTS
from ..presets import PRESETS
from .settings import LABELS, MAX_ITERATIONS, refused

DIGITS_ROWS = 1797  # scikit-learn's digits (tests/test_live.py checks it)


def data_rows(dataset: str, data_dir: str | None = None) -> int | None:
    """The rows a data set's training part is taken from: all 1,797 digits (the test share
    comes out of them), or the count an IDX set's training images file declares (None when
    the file is missing or its header unreadable)."""
    if dataset == "digits":
        return DIGITS_ROWS
    from .. import mnist
    found = mnist.find_file(data_dir or mnist.default_data_dir(), mnist.TRAIN_IMAGES)
    if found is None:
        return None
    try:
        return mnist.idx_count(found, "images")
    except (OSError, ValueError):
        return None


def drawings() -> int:
    """The rows of printed and drawn digits ``augment_drawings`` adds to the images' copies
    (``augment.DrawingRows``: ``COPIES`` rows of each added item)."""
    return COPIES * added_items()


def training_rows(cfg: TrainConfig, data_dir: str | None = None) -> int | None:
    """The rows ``pipeline.prepare(cfg)``'s training part has (copies included), or None
    when its data set's count is unknown (IDX files not there)."""
    rows = data_rows(cfg.dataset, data_dir)
    if rows is None:
        return None
    if not DATASETS[cfg.dataset].reads_files:  # a random split: ceil(test_size x rows) test
        rows -= math.ceil(cfg.test_size * rows)
    if cfg.early_stopping:
        rows -= math.ceil(cfg.validation_fraction * rows)
    if cfg.augment_drawings:
        return rows * COPIES + drawings()
    return rows * len(SHIFTS) if cfg.augment else rows


def steps_of(cfg: TrainConfig, rows: int) -> int:
    """The optimizer steps a run of ``cfg`` makes on ``rows`` training rows, as training
    counts them (a batch larger than the rows is the full batch)."""
    if cfg.iterations is not None:
        return int(cfg.iterations)
    batch = rows if cfg.batch_size is None else min(cfg.batch_size, rows)
    return int(cfg.epochs or 0) * math.ceil(rows / batch)


def too_many_steps(cfg: TrainConfig, rows: int) -> str | None:
    """Why a run of ``cfg`` on ``rows`` rows makes too many steps, in the page's words; None
    when it is within ``MAX_ITERATIONS``."""
    total = steps_of(cfg, rows)
    if total <= MAX_ITERATIONS:
        return None
    batch = rows if cfg.batch_size is None else min(cfg.batch_size, rows)
    epochs = int(cfg.epochs or 0)
    per_epoch = MAX_ITERATIONS // epochs  # steps an epoch may make
    advice = (f"use at most {MAX_ITERATIONS} epochs" if per_epoch == 0 else
              f"use fewer epochs or a larger {LABELS['batch_size'].lower()} (at least "
              f"{math.ceil(rows / per_epoch)})")  # ceil(rows / b) <= per_epoch from there
    return (f"{LABELS['epochs']}: a live run makes at most {MAX_ITERATIONS} optimizer steps, "
            f"and {epochs} epochs of {rows} rows in batches of {batch} make {total}; {advice}")


def check_steps(cfg: TrainConfig, rows: int) -> int:
    """The steps a run of ``cfg`` makes on the ``rows`` it has read; ``ValueError`` in the
    page's words over ``MAX_ITERATIONS`` (the worker's check, once the data is read: the
    rows of an IDX set whose files came after the run was asked for)."""
    problem = too_many_steps(cfg, rows)
    if problem is not None:
        raise ValueError(problem)
    return steps_of(cfg, rows)


def check_epochs(cfg: TrainConfig, data_dir: str | None = None) -> None:
    """Refuse (``ApiError`` 422, field ``epochs``) a run whose epochs make more than
    ``MAX_ITERATIONS`` steps, when its rows are known before the data is read."""
    if cfg.epochs is None:
        return
    rows = training_rows(cfg, data_dir)
    problem = None if rows is None else too_many_steps(cfg, rows)
    if problem is not None:
        raise refused("epochs", problem)


def rows_options(data_dir: str | None = None) -> dict[str, Any]:
    """What the page needs to count a run's steps before sending it (``GET
    /api/train/options`` holds these three keys).

    ``train_rows``: each data set's training rows with its default split (the digits' with
    the tutorial's test share, an IDX set's training file; null when its files are not
    there). ``preset_rows``: the training rows each preset's run has, copies included (the
    page's form changes no setting that changes them): steps = epochs x ceil(rows / batch).
    ``rows``: the counts behind them, for other settings: each data set's rows (``data``),
    whether the test share comes out of them (``test_share``), and the copies: training rows
    = rows - ceil(test_size x rows) (with a test share) - ceil(validation_fraction x that)
    (early stopping), then x ``shifted_copies`` (shifted copies) or x ``drawing_copies`` +
    ``drawings`` (drawing-style copies).
    """
    counts = {name: data_rows(name, data_dir) for name in DATASETS}
    defaults = {name: PRESETS[d.default_preset] for name, d in DATASETS.items()}
    return dict(
        train_rows={name: None if counts[name] is None else training_rows(
            TrainConfig.from_dict({**cfg.to_dict(), "augment": False,
                                   "augment_drawings": False, "early_stopping": False}),
            data_dir) for name, cfg in defaults.items()},
        preset_rows={name: training_rows(cfg, data_dir) for name, cfg in PRESETS.items()},
        rows=dict(data=counts, test_share={n: not d.reads_files for n, d in DATASETS.items()},
                  shifted_copies=len(SHIFTS), drawing_copies=COPIES,
                  drawings=drawings()))
