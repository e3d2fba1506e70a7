"""Driving the page in Debian's chromium with Playwright: the browser tests and
scripts/screenshot.py share this, so both launch and draw the same way.

Playwright is imported by the caller, not here; this module needs nothing beyond the standard
library.
"""
import contextlib

CHROMIUM = "/usr/bin/chromium"
# headless as root on a machine without outside network: no sandbox, no GPU, no background
# connections (they are refused here, many at a time)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def draw(page, strokes, pad="#pad"):
    """Drag the mouse along each stroke; points are fractions of the canvas's width and height."""
    box = page.locator(pad).bounding_box()
    for stroke in strokes:
        xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
        page.mouse.move(*xy[0])
        page.mouse.down()
        for x, y in xy[1:]:
            page.mouse.move(x, y, steps=4)
        page.mouse.up()


@contextlib.contextmanager
def watched_page(browser, url, width=1280, height=800):
    """A new page at ``url`` in a fresh context; script errors and console errors logged while
    it is open fail the test when the block ends."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.goto(url)
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


@contextlib.contextmanager
def served(model, **app_options):
    """The draw page for ``model`` served by uvicorn in a thread on a free 127.0.0.1 port, for
    the block; yields its base URL."""
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server
    with background_server(create_app(model=model, **app_options), "127.0.0.1", 0) as url:
        yield url
