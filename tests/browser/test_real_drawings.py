"""Issue 13 on the real page, with the full `best` model (seed 0): digits drawn as people draw
them are read, and an empty pad or a dot shows "no digit" instead of bars."""
import pytest
from drive import draw, served, watched_page

SETTLED = "#result[data-settled=true]"

SEVEN = [[(0.3, 0.2), (0.72, 0.2), (0.42, 0.86)]]  # one stroke: the top bar, then the diagonal
ONE_FLAG_BASE = [[(0.38, 0.3), (0.55, 0.14), (0.55, 0.84)],  # flag and stem
                 [(0.38, 0.85), (0.72, 0.85)]]  # the base


@pytest.fixture(scope="module")
def best_model():
    from neuralpath.pipeline import train_preset
    model, _, metrics = train_preset("best", seed=0)
    assert metrics["test_accuracy"] > 0.98
    return model


@pytest.fixture(scope="module")
def best_server(best_model):
    with served(best_model) as url:
        yield url


@pytest.fixture
def best_page(browser, best_server):
    with watched_page(browser, best_server + "/") as page:
        page.wait_for_selector("body[data-status=ready]", timeout=10_000)
        yield page


def shown(page):
    page.wait_for_selector(SETTLED, timeout=10_000)
    return page.text_content("#digit"), page.text_content("#confidence")


@pytest.mark.parametrize("strokes, digit", [(SEVEN, "7"), (ONE_FLAG_BASE, "1")],
                         ids=["plain-7-bar-then-diagonal", "1-with-flag-and-base"])
def test_digits_drawn_as_people_draw_them(best_page, strokes, digit):
    draw(best_page, strokes)
    answer, words = shown(best_page)
    assert answer == digit, words
    assert best_page.locator("#bars").is_visible()
    assert "100" not in words and "sure" not in words  # "probably 7 (over 99%)", not "100% sure"


def test_an_empty_pad_and_a_dot_show_no_digit(best_page):
    assert best_page.text_content("#digit") == "no digit"  # nothing drawn yet
    assert not best_page.locator("#bars").is_visible()
    draw(best_page, [[(0.5, 0.5)]])  # one click: a dot of the pen's width
    answer, words = shown(best_page)
    assert answer == "no digit" and words == "no digit found: only a dot"
    assert not best_page.locator("#bars").is_visible()
    best_page.click("#clear")
    assert best_page.text_content("#digit") == "no digit"
    draw(best_page, SEVEN)  # and a digit after the dot brings the bars back
    assert shown(best_page)[0] == "7"
    assert best_page.locator("#bars").is_visible()
