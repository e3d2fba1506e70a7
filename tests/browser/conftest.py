"""Real-browser fixtures: Debian's chromium driven by Playwright, and the page served by
uvicorn on a free loopback port with a model trained here, in a second or two.

Where /usr/bin/chromium (or Playwright) is missing the browser tests skip and say why,
except under CI=true, where a missing browser is a failure: CI installs chromium.
"""
import os

import pytest
from drive import CHROMIUM, CHROMIUM_ARGS, served, watched_page


def _missing(reason):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sync_playwright():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright for Python is not installed (pip install playwright)")
    return sync_playwright


@pytest.fixture(scope="session")
def browser(sync_playwright):
    if not os.path.exists(CHROMIUM):
        _missing(f"chromium is not installed at {CHROMIUM} "
                 "(apt-get install chromium fonts-dejavu-core)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def drawing_model():
    """The best preset for 5 epochs: well under a second, and it reads a drawn vertical
    stroke as 1 and an ellipse as 0."""
    from neuralpath.pipeline import train_preset
    model, _, metrics = train_preset("best", seed=0, epochs=5)
    assert metrics["test_accuracy"] > 0.85
    return model


@pytest.fixture(scope="session")
def server(drawing_model):
    """The page's base URL, served by uvicorn in a thread on a free 127.0.0.1 port."""
    with served(drawing_model) as url:
        yield url


@pytest.fixture
def page(browser, server):
    with watched_page(browser, server + "/") as page:
        yield page


@pytest.fixture
def live_server(drawing_model, tmp_path):
    """A server of its own (the draw tests' server keeps its model), saving runs in tmp."""
    with served(drawing_model, runs_dir=str(tmp_path / "runs")) as url:
        yield url


@pytest.fixture
def train_page(browser, live_server):
    """The training view, reached from the draw view's link, in a 1280 x 900 window."""
    with watched_page(browser, live_server + "/", height=900) as page:
        page.click("#to-train")  # the draw view links to the training view
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        yield page


@pytest.fixture
def train_page_800(browser, live_server):
    """The training view in a 1280 x 800 window (a laptop's)."""
    with watched_page(browser, live_server + "/train", height=800) as page:
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        yield page
