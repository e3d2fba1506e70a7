"""Render the digits of the tuning DejaVu faces into src/neuralpath/glyphs/dejavu_digits.npz.

    python scripts/extract_glyphs.py            # needs fonts-dejavu-core (Debian)

The `best` preset trains on printed shapes (neuralpath.printed), and its model must not depend
on the fonts a machine happens to have, so the shapes are shipped with the package: for each
face, the digits 0..9 rendered by FreeType (Pillow) anti-aliased, the digit's height
``HEIGHT`` pixels, centred on a ``CANVAS`` x ``CANVAS`` square, grey 0 (paper) .. 255 (ink).
Only DejaVu faces that are in the tuning fonts of tests/corpus.py are rendered (its licence
allows redistribution; GNU FreeFont's GPL would not suit an MIT package's data); the held-out
fonts are never used. Running it again gives the same file (the npz is written without time
stamps).
"""
from __future__ import annotations

import io
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "neuralpath" / "glyphs" / "dejavu_digits.npz"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FACES = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSansMono",
         "DejaVuSansMono-Bold", "DejaVuSansCondensed", "DejaVuSerifCondensed")
HEIGHT = 96  # the digit's height in pixels (the 8x8 input is counted from 32x32)
CANVAS = 112


def render(font_path: Path, digit: int) -> np.ndarray:
    """One digit, its ink box centred on the canvas, its height HEIGHT pixels: (CANVAS, CANVAS)
    uint8, ink bright."""
    probe = ImageFont.truetype(str(font_path), 200)
    left, top, right, bottom = probe.getbbox("0123456789", anchor="ls")
    size = 200 * HEIGHT / (bottom - top)  # the digits' common height becomes HEIGHT
    font = ImageFont.truetype(str(font_path), round(size))
    big = Image.new("L", (4 * CANVAS, 4 * CANVAS), 0)
    ImageDraw.Draw(big).text((2 * CANVAS, 2 * CANVAS), str(digit), fill=255, font=font,
                             anchor="mm")
    ink = np.asarray(big)
    rows, cols = np.nonzero(ink)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    h, w = crop.shape
    if max(h, w) > CANVAS:
        raise SystemExit(f"{font_path.name} {digit}: {w}x{h} does not fit {CANVAS}")
    out = np.zeros((CANVAS, CANVAS), np.uint8)
    r, c = (CANVAS - h) // 2, (CANVAS - w) // 2
    out[r:r + h, c:c + w] = crop
    return out


def main() -> None:
    missing = [f for f in FACES if not (FONT_DIR / f"{f}.ttf").exists()]
    if missing:
        raise SystemExit(f"missing fonts {missing}: apt-get install fonts-dejavu-core")
    glyphs = np.array([[render(FONT_DIR / f"{face}.ttf", d) for d in range(10)]
                       for face in FACES])  # (faces, 10, CANVAS, CANVAS)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:  # fixed dates: reproducible
        for name, array in (("glyphs", glyphs), ("faces", np.array(FACES))):
            member = io.BytesIO()
            np.lib.format.write_array(member, array, allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, member.getvalue())
    fd, tmp = tempfile.mkstemp(dir=OUT.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        f.write(buf.getvalue())
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o644 & ~umask)  # mkstemp makes it 0600: a package file is readable by all
    os.replace(tmp, OUT)
    print(f"{OUT.relative_to(ROOT)}: {glyphs.shape}, {OUT.stat().st_size} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
