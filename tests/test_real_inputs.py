"""Issues 13 and 26: the `best` model reads what people draw and print (the held-out parts of
the corpora of tests/corpus.py), says when there is no digit or one drawn too small, and is not
sure of what it gets wrong. The model is trained once for the module (seed 0).

Floors, on the held-out parts only, a little under seed 0 as measured on this machine
(benchmarks/real_inputs.py; seeds 0..4 in the README): drawn 99.5% (floor 97%), drawn small
99.0% (97%), printed 98.75% (97%; every digit 93.8%, floor 90%; every font family 90.0%,
floor 87.5%), printed photos 98.2% (96%). Before issue 26: printed 91.9%, photos 88.8%.
The fresh parts, measured once after everything else was chosen: drawn small 99.0% (floor
97%), photos 99.3% (97%; every family 95.0%, floor 87.5%, the lowest of seeds 0..4).
"""
import corpus
import numpy as np
import pytest

from neuralpath import pipeline
from neuralpath.calibration import expected_calibration_error
from neuralpath.imaging import read_image
from neuralpath.no_digit import TOO_SMALL
from neuralpath.printed import load_glyphs

DRAWN_FLOOR = 0.97
SMALL_FLOOR = 0.97
PRINTED_FLOOR = 0.97
PRINTED_DIGIT_FLOOR = 0.90
FAMILY_FLOOR = 0.875
PHOTOS_FLOOR = 0.96
# the fresh parts (nothing tuned on them): floors a little under what was measured once
FRESH_SMALL_FLOOR = 0.97
FRESH_PHOTOS_FLOOR = 0.97
FRESH_FAMILY_FLOOR = 0.875


@pytest.fixture(scope="module")
def model():
    """The `best` preset, seed 0."""
    trained, _, metrics = pipeline.train_preset("best", seed=0)
    # the >= 98.5% promise is the mean over seeds 0..4 (benchmarks/real_inputs.py
    # --seeds 0-4), checked per preset elsewhere; one seed may be a little under it
    assert metrics["test_accuracy"] >= 0.98
    return trained


def _read(samples):
    readings = [read_image(corpus.encode(s)) for s in samples]
    return (np.array([r.input for r in readings]), np.array([s.digit for s in samples]),
            [r.reason for r in readings])


def test_the_held_out_parts_are_not_trained_on():
    """No held-out drawn style is a skeleton of synthetic.py; the printed glyphs are of tuning
    fonts only; no font is in two parts."""
    from neuralpath.synthetic import _styles
    held = corpus.styles(held_out=True)
    assert len(held) == 10 and {s["digit"] for s in held} == set(range(10))
    skeletons = {tuple(map(tuple, stroke)) for styles in _styles().values()
                 for style in styles for stroke in style}
    for style in held:
        assert not {tuple(map(tuple, s)) for s in style["strokes"]} & skeletons, style["name"]
    parts = [set(corpus.TUNE_FONTS), set(corpus.HELD_FONTS), set(corpus.PHOTO_FONTS),
             set(corpus.FRESH_FONTS)]
    for i, one in enumerate(parts):
        for other in parts[i + 1:]:
            assert not one & other
    fresh = {corpus.family(name.split("/")[-1]) for name in parts[3]}
    assert not fresh & {corpus.family(name.split("/")[-1]) for name in set().union(*parts[:3])}
    families = {corpus.family(name.split("/")[-1]) for name in parts[1] | parts[2] | parts[3]}
    shipped = set(load_glyphs()[2])
    assert shipped <= {name.split("/")[-1].removesuffix(".ttf") for name in parts[0]}
    assert not {corpus.family(face) for face in shipped} & families


def _right(model, samples, floor, what):
    """Which of ``samples`` the model reads right: every one must hold a digit (none taken
    for a dot or a mark), and their share must reach ``floor``; ``what`` names them."""
    X, y, reasons = _read(samples)
    assert reasons.count(None) == len(reasons), [r for r in reasons if r is not None]
    right = model.predict(X) == y
    assert right.mean() >= floor, f"{right.mean():.3f} of {len(y)} {what}"
    return X, y, right


def test_drawn_held_out_digits_are_read(model):
    _right(model, corpus.drawn(held_out=True), DRAWN_FLOOR, "drawn digits")


def test_digits_drawn_small_are_read(model):
    _right(model, corpus.drawn_small(held_out=True), SMALL_FLOOR, "small drawings")


def _by(keys, right):
    return {k: right[np.array(keys) == k].mean() for k in sorted(set(keys))}


def test_printed_held_out_digits_are_read(model):
    samples = corpus.printed(held_out=True)
    X, y, right = _right(model, samples, PRINTED_FLOOR, "printed digits")
    digits = _by(list(y), right)
    assert min(digits.values()) >= PRINTED_DIGIT_FLOOR, digits
    families = _by([corpus.family(s.source) for s in samples], right)
    assert min(families.values()) >= FAMILY_FLOOR, families
    for dark_on_light in (True, False):  # both polarities, not one carrying the other
        part = np.array([("dark-on-light" in s.source) == dark_on_light for s in samples])
        assert right[part].mean() >= PRINTED_FLOOR - 0.03
    assert expected_calibration_error(model.predict_proba(X), y) < 0.05


def test_photos_of_print_are_read(model):
    samples = corpus.photos(held_out=True)
    right = _right(model, samples, PHOTOS_FLOOR, "photos")[2]
    families = _by([corpus.family(s.source) for s in samples], right)
    assert min(families.values()) >= FAMILY_FLOOR, families


def test_fresh_parts_are_read(model):
    """The fresh parts, on which nothing was tuned: the held-out styles drawn small from a new
    seed, and photos of print in families no other part uses."""
    _right(model, corpus.fresh_small(), FRESH_SMALL_FLOOR, "small drawings")
    samples = corpus.fresh_photos()
    right = _right(model, samples, FRESH_PHOTOS_FLOOR, "photos")[2]
    families = _by([corpus.family(s.source) for s in samples], right)
    assert min(families.values()) >= FRESH_FAMILY_FLOOR, families


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


@pytest.mark.parametrize("ink", [0.16, 0.18, 0.2, 0.25])
def test_a_digit_drawn_too_small_is_not_called_a_dot_or_a_mark(ink):
    """Issue 26: every style but the 1s drawn with the page's pen so that its ink spans
    ``ink`` of the pad (a 0 at 18%, a 7 at a quarter) is read or asked to be drawn larger;
    a 1 that short is a short mark (nothing tells the two apart)."""
    for style in corpus.styles():
        img = corpus.draw(style["strokes"], height=ink * corpus.CANVAS - corpus.PAGE_PEN)
        reason = read_image(corpus.png(img)).reason
        if style["digit"] != 1:
            assert reason in (None, TOO_SMALL), (style["name"], reason)
        else:
            assert reason in (None, TOO_SMALL, "only a short mark"), (style["name"], reason)
