"""Draw digits on the real page with the mouse and check what it shows."""
import json
import math
import time

import numpy as np
import pytest
from drive import draw

SETTLED = "#result[data-settled=true]"  # the answer shown is for the drawing as it is now


ONE = [[(0.52, 0.14), (0.5, 0.5), (0.48, 0.86)]]  # a vertical stroke
ZERO = [[(0.5 + 0.22 * math.sin(a), 0.5 - 0.34 * math.cos(a))
         for a in np.linspace(0.0, 2.0 * math.pi, 48)]]  # an ellipse


def answer(page):
    page.wait_for_selector(SETTLED, timeout=10_000)
    probabilities = [float(v) for v in page.eval_on_selector_all(
        "#bars li", "rows => rows.map(r => r.dataset.p)")]
    return page.text_content("#digit"), probabilities


def seen(page):
    """The 8x8 drawn on the 'what the network sees' canvas, read back as 0..16."""
    rgba = page.evaluate("""() => {
        const c = document.getElementById('seen'), g = c.getContext('2d'), cell = c.width / 8;
        const out = [];
        for (let r = 0; r < 8; r++) for (let k = 0; k < 8; k++)
            out.push(g.getImageData(Math.floor((k + 0.5) * cell),
                                    Math.floor((r + 0.5) * cell), 1, 1).data[0]);
        return out; }""")
    return 16 * (1 - np.array(rgba, float) / 255)


def test_draw_one_then_zero(page, drawing_model, tmp_path):
    page.wait_for_selector("body[data-status=ready]", timeout=10_000)
    sizes = drawing_model.network.layer_sizes
    assert "preset best" in page.text_content("#model")
    assert "layer sizes " + " → ".join(map(str, sizes)) in page.text_content("#model")

    draw(page, ONE)
    digit, probabilities = answer(page)
    assert digit == "1"
    assert len(probabilities) == 10 and abs(sum(probabilities) - 1) < 0.01
    assert max(probabilities) == probabilities[1]
    grid = seen(page).reshape(8, 8)
    assert grid[:, 3:5].max(axis=1).min() > 8  # a bar down the middle, in every row
    assert grid[:, [0, 1, 6, 7]].max() < 1
    # the page's 8x8 is the input the network saw: it gives the digit shown
    assert drawing_model.predict(np.round(grid).ravel()[None])[0] == 1
    assert page.locator("#hidden canvas").count() == len(sizes) - 2  # a map per hidden layer
    captions = page.locator("#hidden figcaption").all_text_contents()
    assert [c.split(":")[1].split()[0] for c in captions] == [str(s) for s in sizes[1:-1]]
    page.screenshot(path=str(tmp_path / "one.png"))

    page.click("#clear")
    assert page.text_content("#digit") == "no digit"
    assert page.locator(SETTLED).count() == 0
    draw(page, ZERO)
    digit, probabilities = answer(page)
    assert digit == "0"
    assert max(probabilities) == probabilities[0]
    ring = seen(page).reshape(8, 8)
    assert ring[3:5, 3:5].max() < 4 < ring[3:5, [1, 6]].min()  # hollow middle, inked sides
    page.screenshot(path=str(tmp_path / "zero.png"))
    assert (tmp_path / "zero.png").stat().st_size > 10_000


def test_throttled_while_drawing(page):
    """While a stroke is drawn the page asks for predictions, at most one per THROTTLE_MS
    (120 ms), not one per mouse move."""
    page.wait_for_selector("body[data-status=ready]", timeout=10_000)
    requests = []
    page.on("request", lambda r: requests.append(r) if r.url.endswith("/api/predict") else None)
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.2 * box["height"])
    page.mouse.down()
    start = time.monotonic()
    moves = 40
    for a in np.linspace(0, 2 * math.pi, moves):
        page.mouse.move(box["x"] + (0.5 + 0.2 * math.sin(a)) * box["width"],
                        box["y"] + (0.5 - 0.3 * math.cos(a)) * box["height"])
        page.wait_for_timeout(15)
    elapsed = time.monotonic() - start
    page.wait_for_timeout(50)  # the request events of the last moves arrive
    during = len(requests)
    page.mouse.up()
    assert answer(page)[0] == "0"
    assert 2 <= during <= elapsed / 0.120 + 2, (during, elapsed)
    assert during < moves
    assert all(r.method == "POST" and r.post_data_json["image"].startswith("data:image/png;base64,")
               for r in requests)


def blank(page):
    return page.evaluate("""() => { const c = document.getElementById('pad');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        return d.every((v) => v === 255); }""")


@pytest.mark.parametrize("how", ["button", "Escape key"])
def test_clear(page, how):
    page.wait_for_selector("body[data-status=ready]", timeout=10_000)
    draw(page, ONE)
    answer(page)
    assert not blank(page)
    if how == "button":
        page.click("#clear")
    else:
        page.keyboard.press("Escape")
    assert blank(page)
    assert page.text_content("#digit") == "no digit"
    assert page.locator("#hidden canvas").count() == 0
    assert page.text_content("#bars") == "0123456789"  # the bars are empty again


def test_the_page_shows_training_progress_then_the_model(browser, tmp_path, held_training):
    """No model yet: the page says it is training and how far, then shows the model."""
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server
    reached, gate = held_training(200, 50)
    app = create_app(runs_dir=tmp_path, train_overrides={"epochs": 1, "layer_sizes": [64, 16, 10]})
    with background_server(app) as url:
        page = browser.new_page()
        try:
            assert reached.wait(10)
            page.goto(url + "/")
            page.wait_for_selector("body[data-status=training]")
            assert page.is_visible("#training")
            assert "training the best preset: 25% (step 50 of 200)" in \
                page.text_content("#training-text")
            assert page.get_attribute("#training-bar", "value") == "0.25"
            draw(page, ONE)  # drawing while it trains is kept and answered once ready
            gate.set()
            page.wait_for_selector("body[data-status=ready]", timeout=20_000)
            assert not page.is_visible("#training")
            assert "64 → 16 → 10" in page.text_content("#model")
            page.wait_for_selector(SETTLED, timeout=10_000)
            assert page.text_content("#digit") in "0123456789"
        finally:
            gate.set()
            page.close()
    assert (tmp_path / "latest" / "model.npz").exists()


def test_undo_takes_back_the_last_stroke(page):
    page.wait_for_selector("body[data-status=ready]", timeout=10_000)
    assert page.is_disabled("#undo")
    draw(page, ONE)
    assert answer(page)[0] == "1"
    one = page.evaluate("document.getElementById('pad').toDataURL()")
    draw(page, [[(0.2, 0.5), (0.8, 0.5)]])  # a bar across: no longer a clean 1
    page.wait_for_selector(SETTLED, timeout=10_000)
    page.click("#undo")
    assert page.evaluate("document.getElementById('pad').toDataURL()") == one
    assert answer(page)[0] == "1"  # asked again for the drawing as it is now
    page.keyboard.press("Control+z")  # the first stroke too: the pad is empty again
    assert blank(page)
    assert page.text_content("#digit") == "no digit" and page.is_disabled("#undo")


@pytest.mark.parametrize("reason, words", [
    ("too small to read: draw it larger", "too small to read: draw it larger"),
    ("only a dot", "no digit found: only a dot"),
])
def test_a_no_digit_reason_is_shown_in_plain_words(page, reason, words):
    """imaging's "too small to read: draw it larger" is shown alone; other reasons follow
    "no digit found: ". (The server's real answer, with its digit taken away.)"""
    def no_digit(route):
        answer = route.fetch().json()
        route.fulfill(status=200, content_type="application/json",
                      body=json.dumps(answer | {"digit": None, "reason": reason}))

    page.wait_for_selector("body[data-status=ready]", timeout=10_000)
    page.route("**/api/predict", no_digit)
    draw(page, ONE)
    page.wait_for_selector(SETTLED, timeout=10_000)
    assert page.text_content("#digit") == "no digit"
    assert page.text_content("#confidence") == words
    assert page.is_hidden("#bars")
