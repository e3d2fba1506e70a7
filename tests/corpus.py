"""The measuring corpora of issue 13, made at run time (nothing rendered is committed).

Drawn digits: the stroke paths of ``tests/data/drawn_digits.json`` (several styles of every
digit), rendered the way the page's canvas draws them (280x280, white pad, black ink, round
caps and joins, anti-aliased; the page's pen is 280/14 = 20 pixels, other pens too) and varied
by a seeded generator in size, position, aspect, slant (shear), rotation, pen width and a
small wobble of the hand.

Drawn small (issue 26): the same styles drawn with the page's pen at 22-35% of the pad's
height, anywhere on it.

Printed digits: 0..9 in the fonts of Debian packages (fonts-dejavu-core, fonts-freefont-ttf,
fonts-liberation2, fonts-urw-base35; ``.ci/run`` installs them), dark on light and light on
dark, at two sizes.

Printed photos (issue 26): 0..9 as a phone sees print: paper that is not white and not evenly
lit, off-centre, turned a few degrees, blurred, with sensor noise, sent as JPEG, a quarter
light on dark. The held-out part is in font families none of the training or tuning uses
(``PHOTO_FONTS``: Inconsolata, Roboto, Lato, Open Sans, Cantarell, Carlito, Caladea, Noto
Mono); the tuning part in the tuning fonts.

Fresh parts (issue 26, second round): the held-out parts above were looked at while the
training's drawing pens and the light flattening were chosen, so they no longer measure those
choices blind. The fresh parts were added afterwards and nothing is tuned on them: photos of
print in families no other part uses (``FRESH_FONTS``: Linux Libertine and Biolinum, Comic
Neue, Fira Code, Hack, Quicksand, Oxygen) and the held-out drawn styles drawn small from a new
seed (the styles themselves are the held-out ones, already seen in the drawn-small part).

Each corpus has a tuning part and a HELD-OUT part. Held-out drawn styles (marked in the JSON)
and held-out fonts (Liberation, URW and the photo families) are never used to train or to
tune anything; the held-out parts are also rendered from their own seeds. Floors and reports
are on them.
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

DATA = Path(__file__).parent / "data" / "drawn_digits.json"
CANVAS = 280  # the page's pad (web/static/index.html)
PAGE_PEN = CANVAS / 14  # app.js: pen.lineWidth = pad.width / 14
PENS = (PAGE_PEN, 8.0, 12.0, 28.0, 36.0)  # the page's pen and thinner and fatter ones
SUPER = 2  # render this many times finer, then box-average: anti-aliased like a canvas

TUNE_SEED, HELD_SEED = 1301, 1302
PER_STYLE = 20  # drawings of every style in a corpus part

FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/share/fonts/opentype")
TUNE_FONTS = (
    "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSerif.ttf",
    "dejavu/DejaVuSerif-Bold.ttf", "dejavu/DejaVuSansMono.ttf", "dejavu/DejaVuSansMono-Bold.ttf",
    "dejavu/DejaVuSansCondensed.ttf", "dejavu/DejaVuSerifCondensed.ttf",
    "freefont/FreeSans.ttf", "freefont/FreeSansBold.ttf", "freefont/FreeSerif.ttf",
    "freefont/FreeSerifBold.ttf", "freefont/FreeMono.ttf", "freefont/FreeMonoBold.ttf",
)
HELD_FONTS = (
    "liberation2/LiberationSans-Regular.ttf", "liberation2/LiberationSans-Bold.ttf",
    "liberation2/LiberationSerif-Regular.ttf", "liberation2/LiberationSerif-Bold.ttf",
    "liberation2/LiberationMono-Regular.ttf", "liberation2/LiberationMono-Bold.ttf",
    "urw-base35/NimbusSans-Regular.otf", "urw-base35/NimbusSans-Bold.otf",
    "urw-base35/NimbusSansNarrow-Regular.otf", "urw-base35/NimbusRoman-Regular.otf",
    "urw-base35/NimbusRoman-Bold.otf", "urw-base35/NimbusMonoPS-Regular.otf",
    "urw-base35/C059-Roman.otf", "urw-base35/P052-Roman.otf", "urw-base35/URWGothic-Book.otf",
    "urw-base35/URWBookman-Light.otf",
)
PHOTO_FONTS = (
    "inconsolata/Inconsolata.otf", "roboto/unhinted/RobotoTTF/Roboto-Regular.ttf",
    "roboto/unhinted/RobotoTTF/Roboto-Bold.ttf", "lato/Lato-Regular.ttf", "lato/Lato-Bold.ttf",
    "open-sans/OpenSans-Regular.ttf", "open-sans/OpenSans-Bold.ttf",
    "cantarell/Cantarell-Regular.otf", "cantarell/Cantarell-Bold.otf",
    "crosextra/Carlito-Regular.ttf", "crosextra/Carlito-Bold.ttf",
    "crosextra/Caladea-Regular.ttf", "crosextra/Caladea-Bold.ttf", "noto/NotoMono-Regular.ttf",
)
FONT_SIZES = (24, 96)  # pixels: a small and a large print
# the Debian package of each font folder (or file prefix), for the message of a test that
# lacks one
FONT_PACKAGES = {"dejavu": "fonts-dejavu-core", "freefont": "fonts-freefont-ttf",
                 "liberation2": "fonts-liberation2", "urw-base35": "fonts-urw-base35",
                 "inconsolata": "fonts-inconsolata", "roboto": "fonts-roboto-unhinted",
                 "lato": "fonts-lato", "open-sans": "fonts-open-sans",
                 "cantarell": "fonts-cantarell", "crosextra/Carlito": "fonts-crosextra-carlito",
                 "crosextra/Caladea": "fonts-crosextra-caladea", "noto": "fonts-noto-mono",
                 "linux-libertine": "fonts-linuxlibertine", "comic-neue": "fonts-comic-neue",
                 "firacode": "fonts-firacode", "hack": "fonts-hack",
                 "quicksand": "fonts-quicksand", "oxygen": "fonts-oxygen"}
SMALL_SEEDS = (2611, 2612)  # (tuning, held-out) seeds of the drawn-small parts
PHOTO_SEEDS = (2621, 2622)  # and of the photo parts
# The fresh parts (issue 26, second round): nothing was tuned while looking at them. Photos in
# font families no corpus used before, and the held-out styles drawn small from a seed of
# their own (the styles are the held-out ones; only the drawings are new).
FRESH_FONTS = (
    "linux-libertine/LinLibertine_R.otf", "linux-libertine/LinLibertine_RB.otf",
    "linux-libertine/LinBiolinum_R.otf", "linux-libertine/LinBiolinum_RB.otf",
    "comic-neue/ComicNeue-Regular.otf", "comic-neue/ComicNeue-Bold.otf",
    "firacode/FiraCode-Regular.ttf", "firacode/FiraCode-Bold.ttf", "hack/Hack-Regular.ttf",
    "hack/Hack-Bold.ttf", "quicksand/Quicksand-Regular.ttf", "quicksand/Quicksand-Bold.ttf",
    "oxygen/Oxygen-Sans.ttf", "oxygen/Oxygen-Sans-Bold.ttf", "oxygen/OxygenMono-Regular.ttf",
)
FRESH_SMALL_SEED, FRESH_PHOTO_SEED = 2631, 2632
PHOTOS_PER_DIGIT = 4  # photos of each digit in each font


@dataclass
class Sample:
    """One picture of the corpus and what it shows."""

    image: Image.Image
    digit: int
    source: str  # the style or the font (and polarity, size) it came from
    jpeg: int | None = None  # sent as a JPEG of this quality (a photo), else as PNG


def styles(held_out: bool | None = None) -> list[dict]:
    """The drawn styles of the JSON file; only held-out ones, only tuning ones, or all."""
    every = json.loads(DATA.read_text())["styles"]
    return [s for s in every if held_out is None or s["held_out"] == held_out]


def draw(strokes, height=180.0, aspect=1.0, shear=0.0, angle=0.0, centre=(140.0, 140.0),
         pen=PAGE_PEN, wobble=0.0, rng=None, size=CANVAS) -> Image.Image:
    """Render strokes (points in the digit's own frame, y down) on a white pad in black.

    The digit is scaled to ``height`` pixels, its width by ``aspect`` more, slanted by
    ``shear`` (x moves by shear * height above the middle), turned by ``angle`` degrees and
    put with its box centre at ``centre``; ``wobble`` moves each point by that share of the
    height (Gaussian), like an unsteady hand.
    """
    pts = [np.asarray(s, dtype=np.float64) for s in strokes]
    img = Image.new("L", (size * SUPER, size * SUPER), 255)
    if not pts:  # an empty pad
        return img.reduce(SUPER)
    every = np.concatenate(pts)
    lo, hi = every.min(axis=0), every.max(axis=0)
    mid = (lo + hi) / 2
    span_y = max(hi[1] - lo[1], 1e-6)
    cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    ink = ImageDraw.Draw(img)
    r = pen * SUPER / 2
    for p in pts:
        q = (p - mid) / span_y * height  # (n, 2) pixels about the box centre
        if wobble and rng is not None:
            q = q + rng.normal(0.0, wobble * height, q.shape)
        q[:, 0] = q[:, 0] * aspect - shear * q[:, 1]
        q = q @ np.array([[cos, sin], [-sin, cos]])
        q = (q + np.asarray(centre)) * SUPER
        xy = [tuple(v) for v in q]
        if len(xy) > 1:
            ink.line(xy, fill=0, width=int(round(2 * r)), joint="curve")
        for x, y in xy:  # round caps and joins, as lineCap/lineJoin = "round"
            ink.ellipse([x - r, y - r, x + r, y + r], fill=0)
    return img.reduce(SUPER)


def drawn(held_out: bool, per_style: int = PER_STYLE) -> list[Sample]:
    """The drawn corpus part: every style of the part, ``per_style`` varied drawings each."""
    rng = np.random.default_rng(HELD_SEED if held_out else TUNE_SEED)
    out = []
    for style in styles(held_out):
        for _ in range(per_style):
            height = rng.uniform(0.35, 0.85) * CANVAS
            pen = float(rng.choice(PENS))
            aspect = rng.uniform(0.8, 1.25)
            half_w = 0.45 * height * aspect + pen
            half_h = 0.5 * height + pen
            centre = (rng.uniform(half_w, CANVAS - half_w) if half_w < CANVAS / 2 else CANVAS / 2,
                      rng.uniform(half_h, CANVAS - half_h) if half_h < CANVAS / 2 else CANVAS / 2)
            img = draw(style["strokes"], height=height, aspect=aspect,
                       shear=rng.uniform(-0.3, 0.3), angle=rng.uniform(-10, 10), centre=centre,
                       pen=pen, wobble=0.006, rng=rng)
            out.append(Sample(img, style["digit"], style["name"]))
    return out


def drawn_small(held_out: bool, per_style: int = PER_STYLE, seed: int | None = None
                ) -> list[Sample]:
    """Digits drawn small with the page's pen: 22-35% of the pad's height, anywhere on it;
    ``seed`` (else the part's own) varies them."""
    rng = np.random.default_rng(SMALL_SEEDS[held_out] if seed is None else seed)
    out = []
    for style in styles(held_out):
        for _ in range(per_style):
            height = rng.uniform(0.22, 0.35) * CANVAS
            aspect = rng.uniform(0.8, 1.25)
            half_w, half_h = 0.45 * height * aspect + PAGE_PEN, 0.5 * height + PAGE_PEN
            centre = (rng.uniform(half_w, CANVAS - half_w), rng.uniform(half_h, CANVAS - half_h))
            img = draw(style["strokes"], height=height, aspect=aspect,
                       shear=rng.uniform(-0.3, 0.3), angle=rng.uniform(-10, 10), centre=centre,
                       pen=PAGE_PEN, wobble=0.006, rng=rng)
            out.append(Sample(img, style["digit"], style["name"]))
    return out


def font_path(name: str) -> Path | None:
    """The installed file of a font named as ``dir/file`` under the system font folders, or
    None when it is not installed."""
    for root in FONT_DIRS:
        path = Path(root) / name
        if path.exists():
            return path
    return None


def missing_fonts(names: tuple[str, ...]) -> list[str]:
    """The Debian packages that would bring the fonts of ``names`` not installed here."""
    return sorted({next(package for prefix, package in FONT_PACKAGES.items()
                        if name.startswith(prefix)) for name in names if font_path(name) is None})


def family(source: str) -> str:
    """The font family of a printed sample's source: its font's file name without weight."""
    stem = source.split()[0]
    return stem.split("-")[0].split("_")[0].removesuffix("Bold").removesuffix("PS")


def _need(names: tuple[str, ...]) -> None:
    """Skip the calling test (fail under CI=true) where a font package is missing: the part
    would otherwise be measured on fewer fonts than it promises."""
    packages = missing_fonts(names)
    if packages:
        import system
        system.missing(f"the printed corpus needs the fonts of {', '.join(packages)} "
                       f"(apt-get install {' '.join(packages)})")


def printed(held_out: bool) -> list[Sample]:
    """The printed corpus part: 0..9 in each font, both polarities, both sizes.

    Called from a test, it skips that test (fails under CI=true) where a font package is
    missing: the part would otherwise be measured on fewer fonts than it promises."""
    names = HELD_FONTS if held_out else TUNE_FONTS
    _need(names)
    out = []
    for name in names:
        path = font_path(name)
        assert path is not None
        for px in FONT_SIZES:
            font = ImageFont.truetype(str(path), px)
            side = int(px * 2.2)
            for dark_on_light in (True, False):
                paper, ink = (255, 0) if dark_on_light else (0, 255)
                for digit in range(10):
                    img = Image.new("L", (side, side), paper)
                    ImageDraw.Draw(img).text((side / 2, side / 2), str(digit), fill=ink,
                                             font=font, anchor="mm")
                    polarity = "dark-on-light" if dark_on_light else "light-on-dark"
                    out.append(Sample(img, digit, f"{Path(name).stem} {px}px {polarity}"))
    return out


def photos(held_out: bool, per_digit: int = PHOTOS_PER_DIGIT,
           fonts: tuple[str, ...] | None = None, seed: int | None = None) -> list[Sample]:
    """The printed-photos part: each digit ``per_digit`` times in each font (``PHOTO_FONTS``
    held out, ``TUNE_FONTS`` for tuning, or ``fonts``), as a phone photographs print (see
    the top); ``seed`` (else the part's own) varies them."""
    names = fonts or (PHOTO_FONTS if held_out else TUNE_FONTS)
    _need(names)
    rng = np.random.default_rng(PHOTO_SEEDS[held_out] if seed is None else seed)
    out = []
    for name in names:
        path = str(font_path(name))
        for digit in range(10):
            for _ in range(per_digit):
                img, light = photo(path, digit, rng)
                polarity = "light-on-dark" if light else "dark-on-light"
                out.append(Sample(img, digit, f"{Path(name).stem} photo {polarity}",
                                  jpeg=int(rng.integers(40, 91))))
    return out


def photo(path: str, digit: int, rng: np.random.Generator, side: int = 240
          ) -> tuple[Image.Image, bool]:
    """One phone photo of a printed digit: (picture, whether it is light ink on dark)."""
    from PIL import ImageFilter

    light = bool(rng.random() < 0.25)
    paper, ink = ((rng.uniform(15, 70), rng.uniform(170, 245)) if light
                  else (rng.uniform(140, 235), rng.uniform(5, 75)))
    px = int(rng.uniform(0.35, 0.75) * side)  # the font size: the digit is about 0.7 of it
    font = ImageFont.truetype(path, px)
    mask = Image.new("L", (2 * side, 2 * side), 0)
    left, top, right, bottom = font.getbbox(str(digit), anchor="mm")
    room_x, room_y = max(0.0, side / 2 - right - 4), max(0.0, side / 2 - bottom - 4)
    at = (side + rng.uniform(-room_x, room_x), side + rng.uniform(-room_y, room_y))
    ImageDraw.Draw(mask).text(at, str(digit), fill=255, font=font, anchor="mm")
    mask = mask.rotate(rng.uniform(-6, 6), Image.Resampling.BICUBIC, center=at)
    mask = mask.crop((side // 2, side // 2, side // 2 + side, side // 2 + side))
    mask = mask.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.8)))
    coverage = np.asarray(mask, np.float64) / 255.0  # (side, side)
    yy, xx = np.mgrid[0:side, 0:side] / side - 0.5
    gx, gy = rng.uniform(-1, 1, 2) * 30  # uneven light across the picture
    grey = paper + (ink - paper) * coverage + gx * xx + gy * yy
    grey += rng.normal(0.0, rng.uniform(2, 8), grey.shape)  # sensor noise
    return Image.fromarray(np.clip(np.round(grey), 0, 255).astype(np.uint8)), light


def fresh_small() -> list[Sample]:
    """The fresh drawn-small part: the held-out styles drawn small from ``FRESH_SMALL_SEED``."""
    return drawn_small(True, seed=FRESH_SMALL_SEED)


def fresh_photos() -> list[Sample]:
    """The fresh photo part: photos of print in ``FRESH_FONTS``, from ``FRESH_PHOTO_SEED``."""
    return photos(True, fonts=FRESH_FONTS, seed=FRESH_PHOTO_SEED)


def encode(sample: Sample) -> bytes:
    """The sample's picture as the bytes a file or the page would send: PNG, or JPEG for a
    photo."""
    if sample.jpeg is None:
        return png(sample.image)
    buf = io.BytesIO()
    sample.image.save(buf, "JPEG", quality=sample.jpeg)
    return buf.getvalue()


def png(img: Image.Image) -> bytes:
    """The picture as PNG bytes, as a file or the page would send it."""
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()
