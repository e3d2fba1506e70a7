"""Make docs/train-desktop.png and docs/train-phone.png: the training view after a live run.

    .venv/bin/python scripts/screenshot_train.py [--preset tutorial-l2] [--out-dir docs]

The page is served on a free loopback port; chromium sets the preset in the form, presses
Start and waits for the run to finish, on a desktop window (1280 wide: the whole page) and on
a phone (390 wide: from the "Learning" panel to the confusion matrix). Each is saved as a
palette PNG. Needs Playwright for Python and Debian's chromium.
"""
import argparse
import io
import sys
import tempfile
from pathlib import Path

from PIL import Image

# the browser tests' page driver (tests/browser/drive.py): launched the same way
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))
from drive import CHROMIUM, CHROMIUM_ARGS  # noqa: E402


def palette_png(shot, path, box=None):
    img = Image.open(io.BytesIO(shot)).convert("RGB")
    if box is not None:
        img = img.crop(box)
    img.quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)
    return img.size


def run_page(browser, url, preset, viewport):
    page = browser.new_page(viewport=viewport, device_scale_factor=1)
    page.goto(url + "/train")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    page.select_option("#preset", preset)
    page.click("#start")
    page.wait_for_selector("body[data-state=done]", timeout=300_000)
    page.wait_for_timeout(300)  # the last frame is drawn
    return page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tutorial-l2")
    parser.add_argument("--out-dir", default="docs")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from neuralpath.pipeline import train_preset
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server

    model, _, _ = train_preset("tutorial", seed=0, iterations=10)  # the draw view's model
    out = Path(args.out_dir)
    with tempfile.TemporaryDirectory() as runs, \
            background_server(create_app(model=model, runs_dir=runs)) as url, \
            sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = run_page(browser, url, args.preset, {"width": 1280, "height": 900})
        size = palette_png(page.screenshot(full_page=True), out / "train-desktop.png")
        print(f"desktop {size}: test accuracy {page.text_content('#test-accuracy')}",
              file=sys.stderr)
        page = run_page(browser, url, args.preset, {"width": 390, "height": 844})
        top, bottom = page.evaluate("""() => {
            const y = (sel) => document.querySelector(sel).getBoundingClientRect();
            return [y('.progress').top + window.scrollY,
                    y('#confusion').bottom + window.scrollY]; }""")
        box = (0, int(top) - 8, 390, int(bottom) + 40)
        size = palette_png(page.screenshot(full_page=True), out / "train-phone.png", box)
        print(f"phone {size}: test accuracy {page.text_content('#test-accuracy')}",
              file=sys.stderr)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
