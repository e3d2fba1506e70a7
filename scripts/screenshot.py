"""Make docs/screenshot.png: the draw-a-digit page with a digit drawn on it, in chromium.

    .venv/bin/python scripts/screenshot.py [--model PATH] [--out docs/screenshot.png]

Without --model it trains the best preset (seed 0, a few seconds). The page is served on a
free loopback port, a "2" is drawn with the mouse, and the page is saved as a palette PNG.
Needs Playwright for Python and Debian's chromium (apt-get install chromium fonts-dejavu-core).
"""
import argparse
import io
import math
import sys
from pathlib import Path

import numpy as np
from PIL import Image

# the browser tests' page driver (tests/browser/drive.py): launched and drawn the same way
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from drive import CHROMIUM, CHROMIUM_ARGS, draw  # noqa: E402

# a "2": an arc over the top, a diagonal down to the left, a base line (fractions of the canvas)
TWO = [[(0.5 + 0.19 * math.sin(a), 0.33 - 0.16 * math.cos(a)) for a in np.linspace(-1.3, 2.2, 24)]
       + [(0.3, 0.82), (0.74, 0.82)]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model file (default: train the best preset)")
    parser.add_argument("--out", default="docs/screenshot.png")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from neuralpath import load
    from neuralpath.pipeline import train_preset
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server

    if args.model:
        model = load(args.model)
    else:
        model, _, metrics = train_preset("best", seed=0)
        print(f"trained the best preset: test accuracy {metrics['test_accuracy']:.2%}",
              file=sys.stderr)
    with background_server(create_app(model=model)) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 470})
        page.goto(url + "/")
        page.wait_for_selector("body[data-status=ready]", timeout=60_000)
        draw(page, TWO)
        page.wait_for_selector("#result[data-settled=true]", timeout=10_000)
        digit = page.text_content("#digit")
        page.wait_for_timeout(500)  # the bars' width transition ends
        shot = page.screenshot(full_page=True)  # every hidden layer, however many
        browser.close()
    # a 256-colour palette keeps the flat page sharp and the file small
    img = Image.open(io.BytesIO(shot)).convert("RGB").quantize(256, dither=Image.Dither.NONE)
    img.save(args.out, optimize=True)
    print(f"the page read the drawing as {digit}; wrote {args.out}", file=sys.stderr)
    return 0 if digit == "2" else 1


if __name__ == "__main__":
    sys.exit(main())
