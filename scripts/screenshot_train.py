"""Make docs/train-desktop.png and docs/train-phone.png: the training view during a live run.

    .venv/bin/python scripts/screenshot_train.py [--preset tutorial] [--speed 300] [--out-dir docs]

The page is served on a free loopback port; chromium opens /train with the preset and a
watchable speed in its URL (as a teacher's link would), presses Start and takes the picture
half way through the run, while it trains: on a desktop window (1280 x 800: the settings
beside the learning view, and below them the other pictures) and on a phone (390 x 844 with
touch: the screen as it is after Start, which scrolls the learning view into sight). Each is
saved as a palette PNG. Needs Playwright for Python and Debian's chromium.
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


def run_page(browser, url, preset, speed, viewport, phone=False):
    """A page that has pressed Start and is half way through its run (still training)."""
    context = browser.new_context(viewport=viewport, device_scale_factor=1, is_mobile=phone,
                                  has_touch=phone)
    page = context.new_page()
    page.goto(f"{url}/train?preset={preset}&speed={speed}")
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    if phone:
        page.locator("#start").scroll_into_view_if_needed()
        page.tap("#start")
    else:
        page.click("#start")
    page.wait_for_function("() => document.body.dataset.state === 'running' && "
                           "+document.body.dataset.points >= +document.body.dataset.total / 2",
                           timeout=300_000)
    page.wait_for_timeout(300)  # the frame of the last update is drawn
    return page


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="tutorial")
    parser.add_argument("--speed", type=int, default=300, help="steps a second (a pace to watch)")
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
        page = run_page(browser, url, args.preset, args.speed, {"width": 1280, "height": 800})
        size = palette_png(page.screenshot(full_page=True), out / "train-desktop.png")
        print(f"desktop {size}: {page.text_content('#iteration')}, "
              f"test accuracy {page.text_content('#test-accuracy')}", file=sys.stderr)
        page.context.close()
        page = run_page(browser, url, args.preset, args.speed, {"width": 390, "height": 844},
                        phone=True)
        size = palette_png(page.screenshot(), out / "train-phone.png")
        print(f"phone {size}: {page.text_content('#iteration')}, "
              f"test accuracy {page.text_content('#test-accuracy')}", file=sys.stderr)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
