"""imaging: pictures -> the digits' 8x8 counts (or MNIST-like grey), the one conversion that
`neuralpath predict` and the web page share."""
import io
import math

import numpy as np
import pytest
from PIL import Image, ImageDraw

from neuralpath import data, no_digit
from neuralpath.imaging import (
    grey_to_input,
    image_file_to_input,
    image_to_input,
    input_max,
    read_image,
)

CANVAS = 280


def picture(strokes, width=20, size=CANVAS, scale=1.0, offset=(0.0, 0.0), ink=0,
            background=255, mode="L"):
    """Strokes (lists of points as fractions of the picture) drawn with round ends."""
    img = Image.new(mode, (size, size), background)
    pen = ImageDraw.Draw(img)
    for stroke in strokes:
        pts = [(size * (0.5 + offset[0] + (x - 0.5) * scale),
                size * (0.5 + offset[1] + (y - 0.5) * scale)) for x, y in stroke]
        pen.line(pts, fill=ink, width=width, joint="curve")
        for x, y in pts:
            pen.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=ink)
    return img


def png(img, fmt="PNG"):
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


BAR = [[(0.5, 0.15), (0.5, 0.85)]]
RING = [[(0.5 + 0.22 * math.sin(a), 0.5 - 0.33 * math.cos(a))
         for a in np.linspace(0, 2 * math.pi, 60)]]


# ---- correctness -----------------------------------------------------------------------

def test_digits_form_is_block_counts_0_to_16():
    x = image_to_input(png(picture(RING)))
    assert x.shape == (64,) and x.dtype == np.float64
    assert np.all(x == np.round(x)) and x.min() == 0 and x.max() == 16
    assert input_max(8) == 16


def test_a_vertical_bar_fills_the_middle_columns_of_every_row():
    grid = image_to_input(png(picture(BAR))).reshape(8, 8)
    assert grid[:, 3:5].min() >= 8  # every row: the digit spans the bitmap's height
    assert grid[:, [0, 1, 2, 5, 6, 7]].max() == 0


def test_a_ring_is_hollow_with_inked_sides():
    grid = image_to_input(png(picture(RING))).reshape(8, 8)
    assert grid[3:5, 3:5].max() <= 2
    assert grid[3:5, [1, 6]].min() >= 10
    assert grid[0].max() >= 12 and grid[7].max() >= 12


def test_strokes_are_evened_whatever_the_pen():
    """A thin pen and a fat brush give nearly the same input: strokes are brought to the
    width of the data's strokes. Without it the thin ring's counts are far lower."""
    thin = image_to_input(png(picture(RING, width=6)))
    fat = image_to_input(png(picture(RING, width=44)))
    normal = image_to_input(png(picture(RING, width=20)))
    assert np.abs(thin - normal).mean() < 1.5
    assert np.abs(fat - normal).mean() < 2.0
    X, y = data.digits()
    assert abs(thin.mean() - X[y == 0].mean()) < 2  # about as much ink as the data's zeros


def test_position_and_size_do_not_matter():
    big = image_to_input(png(picture(RING)))
    small = image_to_input(png(picture(RING, width=10, scale=0.4, offset=(-0.25, 0.2))))
    assert np.abs(big - small).mean() < 1.0


@pytest.mark.parametrize("variant", ["light-on-dark", "transparent", "rgb", "jpeg", "huge"])
def test_every_kind_of_picture_gives_the_same_input(variant):
    reference = image_to_input(png(picture(RING)))
    if variant == "light-on-dark":
        raw = png(picture(RING, ink=255, background=0))
    elif variant == "transparent":  # strokes on a transparent canvas, as some apps save
        raw = png(picture(RING, ink=(0, 0, 0, 255), background=(0, 0, 0, 0), mode="RGBA"))
    elif variant == "rgb":
        raw = png(picture(RING, ink=(20, 40, 200), background=(250, 250, 240), mode="RGB"))
    elif variant == "jpeg":
        raw = png(picture(RING), "JPEG")
    else:  # box-averaged down first: 2400 x 2400 pixels
        raw = png(picture(RING, width=170, size=2400))
    assert np.abs(image_to_input(raw) - reference).mean() < 1.0


def test_blank_and_uniform_pictures_are_all_zero():
    assert not image_to_input(png(Image.new("L", (50, 50), 255))).any()
    assert not image_to_input(png(Image.new("L", (50, 50), 0))).any()
    assert not grey_to_input(np.full((9, 9), 0.7)).any()
    assert not grey_to_input(np.zeros((1, 1)), side=28).any()


def test_digits_images_survive_the_conversion():
    """The data's own images, drawn large and converted back, keep their shape: strongly
    correlated with the original, pixel by pixel."""
    X, _ = data.digits()
    correlations = []
    for row in X[:40]:
        big = Image.fromarray((255 - row.reshape(8, 8) * 255 / 16).astype(np.uint8))
        big = big.resize((160, 160), Image.BILINEAR)
        back = image_to_input(png(big))
        correlations.append(np.corrcoef(row, back)[0, 1])
    assert np.median(correlations) > 0.8


def test_mnist_form_is_grey_in_a_20_box_centred_by_mass():
    x = image_to_input(png(picture(RING)), side=28)
    assert x.shape == (784,) and 0 <= x.min() and x.max() == pytest.approx(255, abs=1)
    assert input_max(28) == 255
    img = x.reshape(28, 28)
    rows = np.nonzero(img.sum(axis=1))[0]
    assert rows[-1] - rows[0] + 1 in (20, 21)
    r, c = np.indices(img.shape)
    com = (np.sum(r * img) / img.sum(), np.sum(c * img) / img.sum())
    assert abs(com[0] - 13.5) <= 1 and abs(com[1] - 13.5) <= 1


def test_other_square_sides():
    for side in (4, 16):
        x = image_to_input(png(picture(BAR)), side=side)
        assert x.shape == (side * side,) and x.max() > 0


# ---- bad inputs -----------------------------------------------------------------------

@pytest.mark.parametrize("raw, fragment", [
    (b"", "not a readable image"),
    (b"hello, I am text", "not a readable image"),
    (png(picture(RING))[:200], "not a readable image"),  # a PNG cut short
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not a readable image"),
])
def test_what_is_not_an_image_is_refused(raw, fragment):
    with pytest.raises(ValueError, match=fragment):
        image_to_input(raw)


def test_too_many_pixels_are_refused_before_decoding():
    raw = png(Image.new("1", (3000, 3000), 1))  # a few kilobytes that decode to 9 Mpixels
    assert len(raw) < 50_000
    with pytest.raises(ValueError, match="3000 x 3000 pixels; at most 1000000"):
        image_to_input(raw, max_pixels=1_000_000)


@pytest.mark.parametrize("ink, side, fragment", [
    (np.zeros(5), 8, "2-D"),
    (np.zeros((0, 3)), 8, "2-D"),
    (np.array([[0.0, np.nan]]), 8, "finite"),
    (np.array([[0.0, np.inf]]), 8, "finite"),
    (np.zeros((3, 3)), 0, "side"),
    (np.zeros((3, 3)), 2.5, "side"),
])
def test_grey_to_input_refuses_bad_arrays(ink, side, fragment):
    with pytest.raises(ValueError, match=fragment):
        grey_to_input(ink, side)


def test_image_file_errors_name_the_file(tmp_path):
    bogus = tmp_path / "notes.png"
    bogus.write_text("not a picture")
    with pytest.raises(ValueError, match="notes.png: not a readable image"):
        image_file_to_input(bogus)
    with pytest.raises(ValueError, match="folder"):
        image_file_to_input(tmp_path)
    with pytest.raises(FileNotFoundError):
        image_file_to_input(tmp_path / "gone.png")
    good = tmp_path / "ring.png"
    picture(RING).save(good)
    assert np.array_equal(image_file_to_input(good), image_to_input(good.read_bytes()))


# ---- every image mode (issue 13) -----------------------------------------------------------

def _grey_ring(size=CANVAS):
    """The ring as an 8-bit grey array, with a grey level between ink and paper too."""
    return np.asarray(picture(RING, size=size), dtype=np.uint16)  # (size, size) 0..255


@pytest.mark.parametrize("size", [CANVAS, 1100])  # 1100: box-averaged down before reading
def test_8_and_16_bit_versions_of_a_picture_give_the_same_input(size):
    eight = _grey_ring(size)
    reference = image_to_input(png(Image.fromarray(eight.astype(np.uint8))))
    sixteen = Image.fromarray(eight * 257)  # the same levels on the 16-bit scale
    assert sixteen.mode == "I;16"
    raw = png(sixteen)
    assert Image.open(io.BytesIO(raw)).mode.startswith("I")  # stored as a 16-bit PNG
    assert np.array_equal(image_to_input(raw), reference)
    # a 16-bit picture is scaled, not clipped: a dark 16-bit grey is not white
    dark = Image.fromarray(np.where(eight < 128, 0, 30000).astype(np.uint16))
    assert image_to_input(png(dark)).any()


def test_32_bit_integer_and_float_pictures_give_the_same_input():
    eight = _grey_ring()
    reference = image_to_input(png(Image.fromarray(eight.astype(np.uint8))))
    as_int = Image.fromarray((eight * 257).astype(np.int32))
    assert as_int.mode == "I"
    assert np.array_equal(image_to_input(png(as_int, "TIFF")), reference)
    for scale in (1 / 255, 1.0):  # floats 0..1 and 0..255
        as_float = Image.fromarray((eight * scale).astype(np.float32))
        assert as_float.mode == "F"
        buf = io.BytesIO()
        as_float.save(buf, "TIFF")
        assert np.array_equal(image_to_input(buf.getvalue()), reference)


def test_la_p_with_transparency_and_cmyk_give_the_same_input():
    reference = image_to_input(png(picture(RING)))
    opaque_la = picture(RING).convert("LA")
    painted_la = picture(RING, ink=(0, 255), background=(0, 0), mode="LA")  # on transparency
    palette = Image.new("P", (CANVAS, CANVAS), 0)
    palette.putpalette([255, 255, 255, 0, 0, 0] + [0] * 762)
    palette.paste(1, mask=picture(RING, ink=255, background=0))
    palette.info["transparency"] = 0  # the white of the palette is see-through
    cmyk = picture(RING, ink=(10, 10, 10), background=(255, 255, 255), mode="RGB").convert("CMYK")
    for img, fmt in ((opaque_la, "PNG"), (painted_la, "PNG"), (palette, "PNG"), (cmyk, "JPEG"),
                     (cmyk, "TIFF")):
        assert np.abs(image_to_input(png(img, fmt)) - reference).mean() < 1.0, (img.mode, fmt)
    assert Image.open(io.BytesIO(png(palette))).info.get("transparency") == 0


def test_float_pictures_with_nan_are_refused():
    bad = np.zeros((20, 20), np.float32)
    bad[3, 3] = np.nan
    buf = io.BytesIO()
    Image.fromarray(bad).save(buf, "TIFF")
    with pytest.raises(ValueError, match="finite"):
        image_to_input(buf.getvalue())


# ---- no digit (issue 13): both sides of every boundary -------------------------------------

def capsule(length, width, size=CANVAS, grey=0):
    """A horizontal stroke ``length`` pixels long (ends included), ``width`` wide."""
    half = (length - width) / 2
    return picture([[(0.5 - half / size, 0.5), (0.5 + half / size, 0.5)]], width=width,
                   size=size, ink=grey)


def reading(img):
    return read_image(png(img))


def test_a_picture_without_ink_holds_no_digit():
    for img in (Image.new("L", (CANVAS, CANVAS), 255), Image.new("L", (1, 1), 0),
                Image.new("L", (40, 40), 128), Image.new("RGBA", (60, 60), (0, 0, 0, 0))):
        r = reading(img)
        assert r.reason == "no ink" and not r.input.any()
    speck = Image.new("L", (CANVAS, CANVAS), 255)
    speck.putpixel((100, 100), 0)  # one pixel of 78,400: below MIN_INK_SHARE
    assert reading(speck).reason == "no ink"
    assert reading(picture(RING)).reason is None  # the other side: a drawn 0


def test_faint_ink_holds_no_digit_and_pale_ink_does():
    below = round(255 * (1 - (no_digit.FAINT - 0.03)))  # ink 17% darker than the paper
    above = round(255 * (1 - (no_digit.FAINT + 0.03)))
    smudge = Image.new("L", (CANVAS, CANVAS), 255)
    ImageDraw.Draw(smudge).ellipse([60, 50, 210, 230], fill=below)
    assert reading(smudge).reason == "the ink is too faint"
    assert reading(picture(RING, ink=below)).reason == "the ink is too faint"
    pale = reading(picture(RING, ink=above))
    assert pale.reason is None and pale.measures.contrast > no_digit.FAINT


@pytest.mark.parametrize("pen", [20, 60])  # the page's pen, and a blot
def test_a_dot_holds_no_digit_and_a_dash_is_not_a_dot(pen):
    dot = reading(picture([[(0.5, 0.5)]], width=pen))
    assert dot.reason == "only a dot" and dot.measures.length <= no_digit.DOT_LENGTH
    dash = reading(capsule(3 * pen, pen))  # 3 widths long: past the dot's boundary
    assert dash.measures.length > no_digit.DOT_LENGTH and dash.reason != "only a dot"


def test_a_short_mark_holds_no_digit_unless_long_or_large():
    pen = 14
    short = reading(capsule(3.5 * pen, pen))  # 3.5 widths, 18% of the picture
    assert short.reason == "only a short mark"
    assert short.measures.length < no_digit.MARK_LENGTH
    assert short.measures.extent < no_digit.MARK_EXTENT
    longer = reading(capsule(6 * pen, pen))  # 6 widths: long enough for a 1
    assert longer.measures.length >= no_digit.MARK_LENGTH and longer.reason is None
    large = reading(capsule(3.5 * 20, 20, size=200))  # 3.5 widths but 35% of the picture
    assert large.measures.extent >= no_digit.MARK_EXTENT and large.reason is None


def test_measure_ink_refuses_what_is_not_a_picture():
    with pytest.raises(ValueError, match="2-D"):
        no_digit.measure_ink(np.zeros(4))
