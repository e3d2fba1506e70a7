"""The training view in chromium: start a small training from the page, watch the cost curve
and the accuracy change, pause, step, resume, let it finish, use the network, then draw a
digit on the draw view and get its answer from that network."""
from drive import draw

ONE = [[(0.52, 0.14), (0.5, 0.5), (0.48, 0.86)]]  # a vertical stroke


def body(page, name):
    return page.evaluate(f"() => document.body.dataset.{name}")


def curve_pixels(page):
    """How many pixels of the cost curve's canvas are the curve's blue."""
    return page.evaluate("""() => {
        const c = document.getElementById('curve'), g = c.getContext('2d');
        const d = g.getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
            if (d[i] < 90 && d[i + 1] > 80 && d[i + 1] < 150 && d[i + 2] > 190) n++;
        return n; }""")


def test_train_watch_pause_step_use_draw(train_page):
    page = train_page
    assert page.input_value("#hidden") == "30"  # the tutorial preset's form
    for a in page.locator(".explain a").all():  # every control links to the tutorial
        assert a.get_attribute("href").startswith("https://adventuresinmachinelearning.com/")
    assert "α" in page.text_content("#settings") and "λ" in page.text_content("#settings")
    page.fill("#hidden", "40")
    page.fill("#length", "6000")
    page.click("#start")

    # the curve and the accuracy change at least three times while it runs
    seen = []
    for _ in range(3):
        measured = int(body(page, "measurements") or 0)  # train and test accuracy
        page.wait_for_function(
            f"() => +document.body.dataset.measurements > {measured} && "
            "document.getElementById('test-accuracy').textContent.endsWith('%')",
            timeout=20_000)
        page.wait_for_timeout(150)  # the next frame draws it
        seen.append((int(body(page, "points")), page.text_content("#iteration"),
                     int(body(page, "measurements")), curve_pixels(page)))
    assert body(page, "state") == "running"
    points = [s[0] for s in seen]
    assert points == sorted(points) and points[0] < points[-1]
    assert len({s[1] for s in seen}) == 3  # the iteration shown moved each time
    measurements = [s[2] for s in seen]  # train and test accuracy, measured again each time
    assert measurements == sorted(set(measurements))
    assert seen[-1][3] > 50  # the curve is drawn

    page.click("#pause")
    page.wait_for_selector("body[data-state=paused]", timeout=10_000)
    paused_at = int(body(page, "iteration"))
    assert page.is_enabled("#step") and page.is_enabled("#resume")
    page.click("#step")
    page.wait_for_function(f"() => +document.body.dataset.iteration === {paused_at + 1}",
                           timeout=10_000)
    page.click("#step")
    page.wait_for_function(f"() => +document.body.dataset.iteration === {paused_at + 2}",
                           timeout=10_000)
    assert body(page, "state") == "paused"
    assert page.text_content("#iteration").startswith(f"{paused_at + 2} of 6000")
    page.click("#resume")
    page.wait_for_selector("body[data-state=done]", timeout=120_000)
    assert int(body(page, "points")) == 6000
    assert page.text_content("#iteration").startswith("6000 of 6000")
    accuracy = float(page.text_content("#test-accuracy").rstrip("%"))
    assert accuracy > 50
    assert page.locator("#confusion td").count() == 100
    assert page.locator("#wrong figure").count() > 0
    assert page.locator("#weights").bounding_box()["height"] > 40  # 40 pictures drawn
    assert page.get_attribute("#download", "href").endswith("/model.npz")

    page.reload()  # a reloaded page follows the run this tab started
    page.wait_for_selector("body[data-state=done]", timeout=10_000)
    assert int(body(page, "points")) == 6000 and page.input_value("#hidden") == "40"

    page.click("#use")
    page.wait_for_selector("#use-status[data-used]", timeout=10_000)
    page.click("#to-draw")
    page.wait_for_selector("body[data-status=ready]", timeout=10_000)
    assert "layer sizes 64 → 40 → 10" in page.text_content("#model")  # the live network
    assert "preset tutorial" in page.text_content("#model")
    draw(page, ONE)
    page.wait_for_selector("#result[data-settled=true]", timeout=10_000)
    assert page.text_content("#digit") in list("0123456789")
    assert page.locator("#hidden canvas").count() == 1  # one hidden layer, as trained
    assert "40 nodes" in page.text_content("#hidden figcaption")
