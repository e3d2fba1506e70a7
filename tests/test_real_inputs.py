"""Issue 13: the `best` model reads what people draw and print (the held-out parts of the
corpora of tests/corpus.py), says when there is no digit, and is not sure of what it gets
wrong. Floors: drawn >= 97%, printed >= 90%, on the held-out parts only.

Seed 0 measured on this machine (benchmarks/real_inputs.py): drawn
held-out 98.5%, printed held-out 91.9%; before issue 13, 81.5% and 80.9%.
"""
import corpus
import numpy as np
import pytest

from neuralpath import pipeline
from neuralpath.calibration import expected_calibration_error
from neuralpath.imaging import read_image

DRAWN_FLOOR = 0.97
PRINTED_FLOOR = 0.90


@pytest.fixture(scope="module")
def model():
    """The `best` preset, seed 0."""
    trained, _, metrics = pipeline.train_preset("best", seed=0)
    # the >= 98.5% promise is the mean over seeds 0..4 (benchmarks/real_inputs.py
    # --seeds 0-4), checked per preset elsewhere; one seed may be a little under it
    assert metrics["test_accuracy"] >= 0.98
    return trained


def _read(samples):
    readings = [read_image(corpus.png(s.image)) for s in samples]
    return (np.array([r.input for r in readings]), np.array([s.digit for s in samples]),
            [r.reason for r in readings])


def test_the_held_out_parts_are_not_trained_on():
    """No held-out drawn style is a skeleton of synthetic.py; no font is in both parts."""
    from neuralpath.synthetic import _styles
    held = corpus.styles(held_out=True)
    assert len(held) == 10 and {s["digit"] for s in held} == set(range(10))
    skeletons = {tuple(map(tuple, stroke)) for styles in _styles().values()
                 for style in styles for stroke in style}
    for style in held:
        assert not {tuple(map(tuple, s)) for s in style["strokes"]} & skeletons, style["name"]
    assert not set(corpus.TUNE_FONTS) & set(corpus.HELD_FONTS)


def test_drawn_held_out_digits_are_read(model):
    X, y, reasons = _read(corpus.drawn(held_out=True))
    assert reasons.count(None) == len(reasons)  # every drawing holds a digit
    right = model.predict(X) == y
    assert right.mean() >= DRAWN_FLOOR, f"{right.mean():.3f} of {len(y)} drawn digits"


def test_printed_held_out_digits_are_read(model):
    X, y, reasons = _read(corpus.printed(held_out=True))
    assert reasons.count(None) == len(reasons)
    right = model.predict(X) == y
    assert right.mean() >= PRINTED_FLOOR, f"{right.mean():.3f} of {len(y)} printed digits"
    for dark_on_light in (True, False):  # both polarities, not one carrying the other
        part = np.array([("dark-on-light" in s.source) == dark_on_light
                         for s in corpus.printed(held_out=True)])
        assert right[part].mean() >= PRINTED_FLOOR - 0.03


def test_confidence_on_drawings_is_calibrated(model):
    """Expected calibration error (15 bins) under 5% on the held-out drawings and the split."""
    X, y, _ = _read(corpus.drawn(held_out=True))
    assert expected_calibration_error(model.predict_proba(X), y) < 0.05
    X_te, y_te = pipeline.test_part(model)
    assert expected_calibration_error(model.predict_proba(X_te), y_te) < 0.05


def test_pictures_without_a_digit_are_flagged():
    """The no-digit pictures of the issue: a blank pad, a dot, a stray mark, a faint smudge."""
    blank = corpus.draw([], height=1.0)  # the pad as Clear leaves it
    dot = corpus.draw([[(0.5, 0.5)]], height=1.0)
    mark = corpus.draw([[(0.0, 0.0), (0.0, 1.0)]], height=40.0, angle=30)
    smudge = corpus.draw([[(0.0, 0.0), (0.6, 1.0)]], height=150.0, pen=60.0)
    smudge = smudge.point(lambda v: 255 - (255 - v) * 0.12)  # 12% grey at most
    reasons = [read_image(corpus.png(img)).reason for img in (blank, dot, mark, smudge)]
    assert reasons == ["no ink", "only a dot", "only a short mark", "the ink is too faint"]
