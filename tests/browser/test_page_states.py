"""The page on a phone, and the page after its server has stopped."""
import time

from drive import draw

ONE = [[(0.52, 0.14), (0.5, 0.5), (0.48, 0.86)]]
SETTLED = "#result[data-settled=true]"


def test_on_a_phone_the_answer_is_on_screen_with_the_pad(browser, server):
    """390 x 844 (an iPhone 12-15): the pad and the predicted digit are both on screen,
    unscrolled, while a digit is drawn (a finger on the pad cannot scroll)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(server + "/")
        page.wait_for_selector("body[data-status=ready]", timeout=10_000)
        draw(page, ONE)
        page.wait_for_selector(SETTLED, timeout=10_000)
        assert page.evaluate("window.scrollY") == 0
        pad, digit = page.locator("#pad").bounding_box(), page.locator("#digit").bounding_box()
        bars = page.locator("#bars li").nth(1).bounding_box()  # the "1" bar, the answer's
        assert pad["y"] >= 0 and pad["y"] + pad["height"] <= 844
        assert pad["width"] >= 250  # still a pad to draw on
        assert 0 <= digit["y"] and digit["y"] + digit["height"] <= 844, digit
        assert bars["y"] + bars["height"] <= 844
        assert page.text_content("#digit") == "1"
        assert "Esc" not in page.text_content("#hint")  # a phone has no Esc key
        rows = page.locator("#bars li .value").all()
        assert all(r.bounding_box()["height"] < 24 for r in rows)  # "under 1%" on one line
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing sticks out sideways
    finally:
        context.close()


def test_on_a_desktop_the_four_panels_are_side_by_side(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    try:
        page.goto(server + "/")
        page.wait_for_selector("body[data-status=ready]", timeout=10_000)
        tops = [b["y"] for b in (page.locator(f"main > section:nth-child({i})").bounding_box()
                                 for i in range(1, 5))]
        lefts = [page.locator(f"main > section:nth-child({i})").bounding_box()["x"]
                 for i in range(1, 5)]
        assert len(set(tops)) == 1 and lefts == sorted(lefts)
    finally:
        context.close()


def test_after_the_server_stops_mid_training_the_page_drops_the_bar(browser, tmp_path,
                                                                   monkeypatch):
    """The server stops while it trains: the page no longer shows a training bar, and says
    the connection is lost, with the command as code, not with literal backticks."""
    import neuralpath.pipeline as pipeline
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server

    def endless(preset, seed, callbacks, **overrides):
        (state,) = callbacks
        state.on_train_begin(10 ** 6)
        for i in range(1, 10 ** 6):
            state.on_iteration(i, 1.0)  # raises once the server stops
            time.sleep(0.01)

    monkeypatch.setattr(pipeline, "train_preset", endless)
    page = browser.new_page()
    try:
        with background_server(create_app(runs_dir=tmp_path)) as url:
            page.goto(url + "/")
            page.wait_for_selector("body[data-status=training]", timeout=10_000)
            page.wait_for_function("document.getElementById('training-text').textContent"
                                   ".includes('step')", timeout=10_000)
            assert page.is_visible("#training")
        page.wait_for_selector("body[data-status=unreachable]", timeout=10_000)
        assert not page.is_visible("#training")
        text = page.text_content("#connection")
        assert "`" not in text and "Connection lost, retrying" in text
        assert page.text_content("#connection code") == "neuralpath serve"
    finally:
        page.close()


def test_a_drawing_made_while_the_server_is_gone_is_answered_when_it_is_back(browser,
                                                                           drawing_model):
    """The server stops: a digit drawn meanwhile shows "connection lost, retrying" (never
    "the pad is empty" under the drawing), and the same server started again on the same
    port answers it without a reload."""
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server
    page = browser.new_page()
    try:
        with background_server(create_app(model=drawing_model)) as url:
            page.goto(url + "/")
            page.wait_for_selector("body[data-status=ready]", timeout=10_000)
        port = int(url.rsplit(":", 1)[1])
        draw(page, ONE)
        page.wait_for_selector("#connection:not([hidden])", timeout=10_000)
        text = page.text_content("#connection")
        assert "`" not in text and "Connection lost, retrying" in text
        assert page.text_content("#connection code") == "neuralpath serve"
        assert "empty" not in page.text_content("#result")
        assert page.locator(SETTLED).count() == 0
        with background_server(create_app(model=drawing_model), "127.0.0.1", port):
            page.wait_for_selector(SETTLED, timeout=15_000)
            assert page.text_content("#digit") == "1"
            assert page.is_hidden("#connection")
    finally:
        page.close()
