"""Issue 23 on the training page in chromium: the default request is the CLI's tutorial run
(to its final cost), a double Start leaves one run, settings are checked on the page and
kept in the URL, a phone sees the chart while it trains, and one browser's "Use this
network" leaves another browser's draw page on its own model."""
import json

import pytest
from cli_run import run as cli
from drive import draw, watched_page

ONE = [[(0.52, 0.14), (0.5, 0.5), (0.48, 0.86)]]
SETTLED = "#result[data-settled=true]"


def starts(page):
    """The bodies of the POST /api/train requests the page sends, as they are sent."""
    bodies = []
    page.on("request", lambda r: bodies.append(r.post_data_json)
            if r.method == "POST" and r.url.endswith("/api/train") else None)
    return bodies


def until(page, expression, seconds=10):
    """Wait until ``expression`` is true in the page (evaluated from outside: the page's
    Content-Security-Policy forbids wait_for_function's eval)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def my_runs(page):
    return page.evaluate("fetch('/api/train/runs').then(r => r.json())")["runs"]


def test_the_default_run_is_the_clis_tutorial_run(train_page, tmp_path):
    """Start with nothing changed sends {"preset": "tutorial", "seed": 0}, and the run ends
    at the final cost of `neuralpath train --preset tutorial --seed 0` (to 1e-9)."""
    page = train_page
    assert page.input_value("#alpha") == "0.25"
    page.locator("#alpha-slider").fill("-0.6")  # the slider near log10(0.25): 0.25, not 0.251
    assert page.input_value("#alpha") == "0.25"
    bodies = starts(page)
    page.click("#start")
    page.wait_for_selector("body[data-state=done]", timeout=120_000)
    assert bodies == [{"preset": "tutorial", "seed": 0}]
    (shown,) = my_runs(page)
    assert shown["label"] == "tutorial" and shown["iteration"] == 3000
    info = page.evaluate(f"fetch('/api/train/{shown['id']}').then(r => r.json())")
    code, out, err = cli(["train", "--preset", "tutorial", "--seed", "0", "--json", "--quiet",
                          "--out", tmp_path / "cli.npz"])
    assert code == 0, err
    expected = json.loads(out)["final_cost"]
    assert info["final_cost"] == pytest.approx(expected, abs=1e-9)
    assert info["cost"][-1] == pytest.approx(expected, abs=1e-9)
    assert page.text_content("#cost-now") == f"{expected:.4f}"


def test_a_double_start_leaves_one_run(train_page, browser, live_server):
    """Two presses of Start (and a Start from a second tab of the same browser) leave one
    run going; the one replaced is stopped, not left training out of reach."""
    page = train_page
    page.fill("#length", "20000")
    page.select_option("#speed", "30")
    bodies = starts(page)
    assert page.text_content("#start") == "Start"
    page.evaluate("() => { const b = document.getElementById('start'); b.click(); b.click(); }")
    assert page.text_content("#start") == "preparing…" or page.is_disabled("#start")
    page.wait_for_selector("body[data-state=running]", timeout=30_000)
    assert page.is_disabled("#start")  # while it runs, and a click does nothing
    page.evaluate("document.getElementById('start').click()")
    page.wait_for_timeout(300)
    assert len(bodies) == 1
    runs = my_runs(page)
    assert [r["state"] for r in runs] == ["running"]
    assert page.evaluate("document.body.dataset.streams") == "1"

    second = page.context.new_page()  # the same browser: the same session
    second.goto(live_server + "/train?iterations=20000&speed=30")
    second.wait_for_selector("body[data-ready=true]", timeout=10_000)
    second.wait_for_selector("body[data-state=running]", timeout=10_000)  # it follows the run
    assert second.is_disabled("#start") and second.is_enabled("#stop")
    second.click("#stop")
    second.wait_for_selector("body[data-state=stopped]", timeout=10_000)
    page.wait_for_selector("body[data-state=stopped]", timeout=10_000)  # the first tab too
    assert [r["state"] for r in my_runs(page)] == ["stopped"]
    second.close()


def test_settings_are_checked_on_the_page_in_plain_words(train_page):
    page = train_page
    assert page.evaluate("document.body.dataset.total") == "3000"  # the empty charts' axes
    page.fill("#length", "500")
    assert page.evaluate("document.body.dataset.total") == "500"
    bodies = starts(page)
    page.fill("#hidden", "")
    assert page.is_visible("#hidden-error")
    assert "Hidden layers is empty" in page.text_content("#hidden-error")
    page.fill("#seed", "")
    assert "Seed is empty" in page.text_content("#seed-error")
    page.click("#start")
    assert "Check these settings: Seed, Hidden layers" in page.text_content("#error")
    assert bodies == []  # nothing is sent with a wrong setting, nothing silently defaulted
    page.fill("#seed", "3")
    page.fill("#hidden", "40, x")
    assert "“x” is not" in page.text_content("#hidden-error")
    page.fill("#hidden", "40, 20")
    assert page.is_hidden("#hidden-error") and page.is_hidden("#seed-error")
    assert "[64, 40, 20, 10]" in page.text_content("#hidden-help")  # help follows the values
    page.select_option("#batch-kind", "mini")
    page.fill("#batch_size", "0")
    assert "Batch size must be a whole number of 1 or more" in page.text_content("#batch-error")
    page.fill("#batch_size", "64")
    assert "over 64 samples" in page.text_content("#batch-help")
    assert "tutorial changed" in page.text_content("#preset-help")
    page.click("#reset")  # the preset again, and the usual batch size
    assert page.input_value("#hidden") == "30" and page.input_value("#batch_size") == "32"
    assert page.input_value("#batch-kind") == "full"


def test_too_many_steps_are_told_beside_the_length_before_sending(train_page):
    """Epochs count as the steps they make on the preset's training rows (the server's
    counts, GET /api/train/options' preset_rows): 100 epochs of single rows are refused on
    the page, in the server's numbers, and nothing is sent."""
    page = train_page
    bodies = starts(page)
    page.select_option("#length-kind", "epochs")
    page.fill("#length", "100")
    page.select_option("#batch-kind", "mini")
    page.fill("#batch_size", "1")
    assert page.is_visible("#length-error")
    assert page.text_content("#length-error") == (
        "100 epochs of 1078 rows in batches of 1 make 107800 steps; a run on this server "
        "makes at most 20000: use fewer epochs or batches of at least 6.")
    page.click("#start")
    assert "Check this setting: Epochs" in page.text_content("#error")
    page.fill("#batch_size", "6")  # 100 x ceil(1078 / 6) = 18000 steps
    assert page.is_hidden("#length-error")
    assert page.evaluate("document.body.dataset.total") == "18000"
    assert bodies == []


def test_the_settings_in_the_url_open_ready_to_start(train_page, browser, live_server):
    page = train_page
    page.select_option("#preset", "tutorial")
    page.fill("#seed", "7")
    page.fill("#hidden", "40, 20")
    page.select_option("#activation", "tanh")
    page.fill("#alpha", "0.5")
    page.fill("#l2", "0.001")
    page.select_option("#batch-kind", "mini")
    page.fill("#batch_size", "64")
    page.select_option("#length-kind", "epochs")
    page.fill("#length", "3")
    page.select_option("#speed", "100")
    link = page.url
    assert "hidden=40%2C20" in link and "learning_rate=0.5" in link and "speed=100" in link
    expected = {"preset": "tutorial", "seed": 7, "layer_sizes": [64, 40, 20, 10],
                "activation": "tanh", "learning_rate": 0.5, "l2": 0.001, "batch_size": 64,
                "epochs": 3}

    with watched_page(browser, link) as shared:  # another browser opens the link
        shared.wait_for_selector("body[data-ready=true]", timeout=10_000)
        assert shared.input_value("#hidden") == "40, 20"
        assert shared.input_value("#alpha") == "0.5"
        assert shared.input_value("#speed") == "100"
        assert shared.input_value("#length-kind") == "epochs"
        assert shared.is_enabled("#start")
        bodies = starts(shared)
        shared.click("#start")
        shared.wait_for_function("() => document.getElementById('run-label').textContent !== ''",
                                 timeout=30_000)
        assert bodies == [expected]
        label = shared.text_content("#run-label")
        assert "learning rate 0.5" in label and "40, 20" in label
        shared.click("#stop")
        shared.wait_for_selector("body[data-state=stopped]", timeout=30_000)
        assert shared.url == link  # the link still says what it trained


def test_on_a_phone_the_chart_is_in_sight_while_it_trains(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(live_server + "/train?speed=100")
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        page.locator("#start").scroll_into_view_if_needed()
        page.tap("#start")
        page.wait_for_function("() => +document.body.dataset.points > 50", timeout=30_000)
        assert page.evaluate("document.body.dataset.state") == "running"
        chart = page.locator("#curve").bounding_box()
        assert chart["y"] >= 0 and chart["y"] + chart["height"] <= 844, chart
        state = page.locator("#state").bounding_box()
        assert state["y"] >= 0 and state["y"] + state["height"] <= 844
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.tap("#stop")
        page.wait_for_selector("body[data-state=stopped]", timeout=10_000)
    finally:
        context.close()


def test_on_a_desktop_start_and_the_chart_are_above_the_fold(train_page_800):
    page = train_page_800
    start = page.locator("#start").bounding_box()
    chart = page.locator("#curve").bounding_box()
    assert start["y"] + start["height"] <= 800 and chart["y"] + chart["height"] <= 800
    assert chart["x"] > page.locator("#settings").bounding_box()["x"]  # beside the settings


def test_use_this_network_changes_this_browsers_draw_page_only(browser, live_server,
                                                              drawing_model):
    """Browser A trains and uses its network: A's open draw page follows it (header and the
    hidden layers' captions); browser B's draw page keeps the server's model."""
    sizes = " → ".join(map(str, drawing_model.network.layer_sizes))
    with watched_page(browser, live_server + "/") as other, \
            watched_page(browser, live_server + "/") as mine_draw:
        for p in (other, mine_draw):
            p.wait_for_selector("body[data-status=ready]", timeout=10_000)
            assert sizes in p.text_content("#model")
        draw(mine_draw, ONE)
        mine_draw.wait_for_selector(SETTLED, timeout=10_000)
        before = mine_draw.evaluate("document.body.dataset.version")
        train = mine_draw.context.new_page()  # the same browser as mine_draw
        train.goto(live_server + "/train?hidden=12&iterations=400")
        train.wait_for_selector("body[data-ready=true]", timeout=10_000)
        train.click("#start")
        train.wait_for_selector("body[data-state=done]", timeout=60_000)
        train.click("#use")
        train.wait_for_selector("#use-status[data-used]", timeout=10_000)
        mine_draw.wait_for_function(f"() => document.body.dataset.version !== {before!r}",
                                    timeout=10_000)
        assert "64 → 12 → 10" in mine_draw.text_content("#model")
        mine_draw.wait_for_selector(SETTLED, timeout=10_000)  # the drawing asked again
        assert "12 nodes" in mine_draw.text_content("#hidden figcaption")
        train.close()

        other.wait_for_timeout(2500)  # longer than the draw page's follow interval
        assert sizes in other.text_content("#model")
        draw(other, ONE)
        other.wait_for_selector(SETTLED, timeout=10_000)
        captions = other.locator("#hidden figcaption").all_text_contents()
        hidden = drawing_model.network.layer_sizes[1:-1]
        assert [c.split(":")[1].split()[0] for c in captions] == [str(s) for s in hidden]


def test_a_lost_server_is_shown_and_recovered_from(browser, drawing_model, tmp_path):
    """The server stops mid-run: the page says "connection lost, retrying" (not "Failed to
    fetch", not "running" forever). The same server back on the same port: the page follows
    the run again (stopped by the shutdown, its curve kept). A new server there, that never
    had the run: the page says so, and Start trains again."""
    from neuralpath.web.app import create_app
    from neuralpath.web.server import background_server

    def lost(page):
        page.wait_for_selector("#connection:not([hidden])", timeout=10_000)
        assert "Connection lost, retrying" in page.text_content("#connection")
        assert page.evaluate("document.body.dataset.connection") == "lost"
        assert page.is_disabled("#start")
        return int(page.evaluate("document.body.dataset.points"))

    app = create_app(model=drawing_model, runs_dir=str(tmp_path / "runs"))
    page = browser.new_page()
    try:
        with background_server(app) as url:
            port = int(url.rsplit(":", 1)[1])
            page.goto(url + "/train?speed=100")
            page.wait_for_selector("body[data-ready=true]", timeout=10_000)
            page.click("#start")
            page.wait_for_function("() => +document.body.dataset.points > 100", timeout=30_000)
        points = lost(page)
        with background_server(app, "127.0.0.1", port):  # the same server, back
            page.wait_for_selector("body[data-connection=ok]", timeout=15_000)
            page.wait_for_selector("body[data-state=stopped]", timeout=10_000)
            assert page.is_hidden("#connection")
            assert "the server shut down" in page.text_content("#state")
            assert int(page.evaluate("document.body.dataset.points")) >= points
            page.wait_for_selector("#use", timeout=10_000)
            page.click("#start")
            page.wait_for_function("() => document.body.dataset.state === 'running' && "
                                   "+document.body.dataset.points > 50", timeout=30_000)
        lost(page)
        with background_server(create_app(model=drawing_model, runs_dir=str(tmp_path / "new")),
                               "127.0.0.1", port):  # a new server, that never had the run
            page.wait_for_selector("body[data-connection=ok]", timeout=15_000)
            page.wait_for_selector("body[data-state=idle]", timeout=10_000)
            assert "no longer has this run" in page.text_content("#error")
            assert page.is_enabled("#start")
            page.click("#start")
            page.wait_for_selector("body[data-state=running]", timeout=30_000)
            page.click("#stop")
            page.wait_for_selector("body[data-state=stopped]", timeout=10_000)
    finally:
        page.close()


def test_a_busy_server_shows_the_place_in_line(browser, live_server):
    """Two browsers train (the two computing slots); a third browser's run waits, and its
    page says where it is in line instead of refusing it."""
    pages = []
    try:
        for _ in range(3):
            context = browser.new_context()
            page = context.new_page()
            page.goto(live_server + "/train?iterations=20000")
            page.wait_for_selector("body[data-ready=true]", timeout=10_000)
            pages.append(page)
        for page in pages[:2]:
            page.click("#start")
            page.wait_for_selector("body[data-state=running]", timeout=30_000)
        pages[2].click("#start")
        pages[2].wait_for_selector("body[data-state=queued]", timeout=10_000)
        assert pages[2].text_content("#state").startswith("1st in line")
        assert pages[2].is_enabled("#stop") and pages[2].is_disabled("#pause")
        pages[0].click("#stop")  # a slot comes free: the waiting run trains
        pages[2].wait_for_selector("body[data-state=running]", timeout=30_000)
    finally:
        for page in pages:
            if page.is_enabled("#stop"):
                page.click("#stop")
            page.context.close()


def test_the_run_list_downloads_and_says_why_not_beside_the_button(browser, live_server):
    """(Not a watched page: the refused download below logs a 404 on purpose.)"""
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    page.goto(live_server + "/train?iterations=200")
    page.wait_for_selector("body[data-ready=true]", timeout=10_000)
    page.click("#start")
    page.wait_for_selector("body[data-state=done]", timeout=60_000)
    page.wait_for_selector("#runs tr[data-state=done] a.download", timeout=10_000)
    row = page.locator("#runs tr").first
    assert "tutorial, iterations 200" in row.locator("td.what").text_content()
    with page.expect_download() as download:
        row.locator("a.download").click()
    assert download.value.suggested_filename.endswith(".npz")
    assert download.value.path().stat().st_size > 1000

    def gone(route):
        route.fulfill(status=404, content_type="application/json",
                      body=json.dumps({"error": "run x was removed: only the 8 newest runs "
                                                "of this browser are kept"}))
    page.route("**/model.npz", gone)  # as if the server had dropped it meanwhile
    row.locator("a.download").click()
    status = row.locator(".status")
    page.wait_for_function("() => document.querySelector('#runs .status').textContent !== ''")
    assert "only the 8 newest runs" in status.text_content()
    assert "error" in status.get_attribute("class")
    row.locator("button.use").click()
    page.wait_for_selector("#runs button.use:disabled", timeout=10_000)  # now "In use"
    assert page.locator("#runs button.use").text_content() == "In use"
    context.close()


def test_start_waits_for_the_server_to_answer(browser, live_server):
    """Until the server has answered, Start is disabled and says "preparing…"; a server that
    does not answer yet is retried. (Not a watched page: the refused requests log errors.)"""
    context = browser.new_context()
    page = context.new_page()
    page.route("**/api/train/options", lambda route: route.abort())
    try:
        page.goto(live_server + "/train")
        page.wait_for_selector("body[data-connection=lost]", timeout=10_000)
        assert page.is_disabled("#start") and page.text_content("#start") == "preparing…"
        assert "Connection lost, retrying" in page.text_content("#connection")
        page.unroute("**/api/train/options")
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        assert page.is_enabled("#start") and page.text_content("#start") == "Start"
        assert page.is_hidden("#connection")
    finally:
        context.close()


def test_a_setting_the_server_refuses_is_told_beside_its_field(browser, live_server):
    """(Not a watched page: the refusal is a 422 on purpose.)"""
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(live_server + "/train?hidden=1024,1024,1024")
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        assert page.is_hidden("#hidden-error")  # each layer is within the page's check
        page.click("#start")
        page.wait_for_selector("#hidden-error:not([hidden])", timeout=10_000)
        assert "8 MB" in page.text_content("#hidden-error")  # the server's words
        assert page.evaluate("document.activeElement.id") == "hidden"
        assert page.is_enabled("#start") and page.text_content("#start") == "Start"
        assert page.evaluate("document.body.dataset.state") == "idle"
    finally:
        context.close()


def test_a_digit_drawn_during_a_run_shows_every_hidden_layer_of_its_network(browser,
                                                                           live_server):
    """The training page's pad is answered by the run's network as it is now (POST
    /api/train/{id}/predict): the probabilities and a map per hidden layer, asked again as the
    network learns, and the final network once the run has stopped."""
    with watched_page(browser, live_server + "/train?hidden=30,20&iterations=20000&speed=300",
                      height=900) as page:
        page.wait_for_selector("body[data-ready=true]", timeout=10_000)
        assert "Start a run" in page.text_content("#try-status")
        page.click("#start")
        page.wait_for_selector("body[data-state=running]", timeout=30_000)
        page.locator("#try-pad").scroll_into_view_if_needed()
        draw(page, ONE, pad="#try-pad")
        page.wait_for_selector("#try-result[data-settled=true]", timeout=10_000)
        captions = page.locator("#try-hidden figcaption").all_text_contents()
        assert [c.split(" (")[0] for c in captions] == ["layer 2: 30 nodes", "layer 3: 20 nodes"]
        assert all("(sigmoid)" in c for c in captions)
        assert page.locator("#try-hidden canvas").count() == 2
        assert page.locator("#try-bars li").count() == 10 and page.is_visible("#try-bars")
        assert page.text_content("#try-digit") in list("0123456789")
        first = int(page.get_attribute("#try-result", "data-iteration"))
        assert first > 0 and "as it learns" in page.text_content("#try-status")
        # the same drawing is asked again while the network learns: a later update answers
        until(page, f"Number(document.getElementById('try-result').dataset.iteration) > {first}")
        page.click("#stop")
        page.wait_for_selector("body[data-state=stopped]", timeout=10_000)
        stopped_at = int(page.evaluate("document.body.dataset.iteration"))
        until(page, "document.getElementById('try-result').dataset.iteration === "  # the network
                    f"'{stopped_at}'")  # it stopped with answers the drawing
        page.wait_for_selector("#try-result[data-settled=true]", timeout=10_000)
        assert "as it learns" not in page.text_content("#try-status")
        page.click("#try-clear")
        assert page.locator("#try-hidden figure").count() == 0
        assert page.text_content("#try-digit") == "–"
