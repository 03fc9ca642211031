"""The board's charts in Debian's Chromium (issue 11, point 8): the board opens a sitting and sees
its charts drawn (each SVG picture decoded by the browser), opens every chart with its figures,
the item curves (all, then one item with its observed shares), and a candidate's drill-down,
and steps the replay of their answers; in Vietnamese and in English, at 1366×768 and on a 375 px
phone, where nothing reaches past the screen's edge. No Content-Security-Policy violation, no
script error. Screenshots go to ``/tmp/charts-shots/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_csp_browser import RECORD_VIOLATIONS
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_rooms_browser import _fits
from tests.results.test_charts import built_sitting

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/charts-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@dataclass(frozen=True)
class Walk:
    sitting: int
    board: str
    attempt: int  # the second student's: 4 of 5 right (item 5 answered B, keyed A)
    name: str


@pytest.fixture
def walk(transactional_db) -> Walk:
    """The sitting of tests/results/test_charts.py (seven candidates of two schools, three
    classes, five calibrated items), read before Playwright starts: no query after it."""
    built = built_sitting()
    attempt = built.sitting.attempts.select_related("student").get(student=built.students[1])
    return Walk(
        sitting=built.sitting.pk,
        board=built.board.username,
        attempt=attempt.pk,
        name=attempt.student.get_full_name() or attempt.student.username,
    )


def _open(browser, pages, viewport):  # noqa: F811
    page = new_page(browser, locale="vi-VN", viewport=viewport)
    page.add_init_script(RECORD_VIOLATIONS)
    pages.append(page)
    return page


def _drawn(page, scope: str = "main") -> int:
    """Every picture in ``scope`` loaded and decoded (naturalWidth > 0); how many."""
    images = page.locator(f"{scope} img")
    count = images.count()
    for index in range(count):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=image.element_handle())
    return count


def _clean(page) -> None:
    assert page.evaluate("window.__violations") == []
    assert not page.page_errors


def test_the_board_walks_the_charts_and_replays_a_candidate(walk, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    base = f"{server}/board/sittings/{walk.sitting}"
    page = _open(browser, pages, WIDE)
    log_in(page, server, walk.board)

    # the sitting's page: the distribution and the classes, drawn
    page.goto(f"{base}/")
    charts = page.locator('[data-testid="charts"]')
    expect(charts.locator("img")).to_have_count(2)
    assert _drawn(page, '[data-testid="charts"]') == 2
    charts.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "sitting-wide-vi.png"), full_page=True)
    _clean(page)

    # every chart with its figures
    page.click('[data-testid="charts-link"]')
    expect(page).to_have_url(f"{base}/charts/")
    assert _drawn(page) == 3
    page.locator('[data-testid="chart-classes"] summary').click()
    rows = page.locator('[data-testid="classes-table"] tbody tr')
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("12B1")
    expect(rows.nth(1)).to_contain_text("8,00")  # the mean of 12A1, with a decimal comma
    page.screenshot(path=str(SHOTS / "charts-wide-vi.png"), full_page=True)
    _clean(page)

    # the item curves: all, then item 3 chosen from the menu (the form sends itself)
    page.click('[data-testid="item-curves-link"]')
    expect(page).to_have_url(f"{base}/charts/items/")
    assert _drawn(page) == 2
    expect(page.locator('[data-testid="parameters-table"] tbody tr')).to_have_count(5)
    page.select_option('[data-testid="item-select"]', "3")
    expect(page).to_have_url(f"{base}/charts/items/?item=3")
    expect(page.locator('[data-testid="empirical-table"] tbody tr')).to_have_count(1)
    assert _drawn(page) == 2
    page.screenshot(path=str(SHOTS / "items-wide-vi.png"), full_page=True)
    _clean(page)

    # a candidate: the answers and keys, the timeline, the replay stepped
    page.goto(f"{base}/")
    page.locator(f'a[data-testid="candidate-link"][href$="/candidates/{walk.attempt}/"]').click()
    expect(page).to_have_url(f"{base}/candidates/{walk.attempt}/")
    expect(page.locator("h1")).to_have_text(walk.name)
    assert _drawn(page) == 1
    items = page.locator('[data-testid="candidate-items"] tbody tr')
    expect(items).to_have_count(5)
    expect(items.nth(4).locator('[data-testid="answer"]')).to_have_text("B")
    expect(items.nth(4).locator('[data-testid="key"]')).to_have_text("A")
    replay = page.locator('[data-testid="replay"]')
    answers = page.locator('[data-testid="replay-items"] tbody tr td[data-replay="answer"]')
    slider = page.locator('[data-testid="replay-slider"]')
    expect(slider).to_be_visible()
    expect(replay).to_have_attribute("data-step", "5")
    expect(answers.nth(4)).to_have_text("B")
    page.click('[data-testid="replay-first"]')
    expect(replay).to_have_attribute("data-step", "0")
    expect(answers.nth(0)).to_have_text("–")
    expect(page.locator('[data-testid="replay-status"]')).to_contain_text("5")
    page.click('[data-testid="replay-next"]')
    expect(replay).to_have_attribute("data-step", "1")
    expect(answers.nth(0)).to_have_text("A")
    expect(answers.nth(1)).to_have_text("–")
    expect(page.locator('[data-testid="replay-items"] tbody tr.changed')).to_have_attribute("data-position", "1")
    page.click('[data-testid="replay-next"]')
    expect(answers.nth(1)).to_have_text("B")
    slider.focus()
    page.keyboard.press("End")  # the slider: the keyboard moves it too
    expect(replay).to_have_attribute("data-step", "5")
    page.keyboard.press("ArrowLeft")
    expect(replay).to_have_attribute("data-step", "4")
    expect(answers.nth(4)).to_have_text("–")
    expect(slider).to_have_value("4")
    page.screenshot(path=str(SHOTS / "candidate-wide-vi.png"), full_page=True)
    _clean(page)

    # in English: the page and its pictures in the other language
    page.select_option('select[name="language"]', "en")
    expect(page.locator("#replay-heading")).to_have_text("Replay of the answers")
    assert _drawn(page) == 1
    shown = page.locator('[data-testid="chart-timeline"] img').evaluate("(img) => img.currentSrc")
    assert shown.endswith("/timeline.svg?lang=en")  # not the Vietnamese picture the browser kept
    timeline = page.request.get(shown)
    assert timeline.status == 200 and timeline.headers["content-type"] == "image/svg+xml"
    assert "5 changes of the answers" in timeline.text()
    page.click('[data-testid="replay-previous"]')
    expect(page.locator('[data-testid="replay-status"]')).to_contain_text("Change 4 of 5")
    page.screenshot(path=str(SHOTS / "candidate-wide-en.png"), full_page=True)
    page.goto(f"{base}/charts/")
    assert _drawn(page) == 3
    expect(page.locator('[data-testid="chart-distribution"] figcaption')).to_contain_text("mean 5.71")
    distribution = page.request.get(f"{base}/charts/distribution.svg?lang=en")
    assert '<title id="chart-title">Score distribution</title>' in distribution.text()
    page.screenshot(path=str(SHOTS / "charts-wide-en.png"), full_page=True)
    page.goto(f"{base}/charts/items/?item=2")
    assert _drawn(page) == 2
    page.screenshot(path=str(SHOTS / "items-wide-en.png"), full_page=True)
    _clean(page)


def test_the_charts_fit_a_phone(walk, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    base = f"{server}/board/sittings/{walk.sitting}"
    phone = _open(browser, pages, PHONE)
    log_in(phone, server, walk.board)
    for path, shot, images in (
        ("/", "sitting-phone-vi.png", 2),
        ("/charts/", "charts-phone-vi.png", 3),
        ("/charts/items/?item=1", "items-phone-vi.png", 2),
        (f"/candidates/{walk.attempt}/", "candidate-phone-vi.png", 1),
    ):
        phone.goto(f"{base}{path}")
        scope = '[data-testid="charts"]' if path == "/" else "main"
        assert _drawn(phone, scope) == images
        sources = phone.locator(f"{scope} img").evaluate_all("(images) => images.map((img) => img.currentSrc)")
        assert all(source.endswith("lang=vi&size=narrow") for source in sources), sources  # drawn for a phone
        for summary in phone.locator("main details summary").all():
            summary.click()  # the tables of figures open, and fit too
        _fits(phone, "main")
        phone.screenshot(path=str(SHOTS / shot), full_page=True)
        _clean(phone)
    phone.click('[data-testid="replay-first"]')
    phone.click('[data-testid="replay-next"]')
    expect(phone.locator('[data-testid="replay"]')).to_have_attribute("data-step", "1")
    _fits(phone, "main")
    phone.select_option('select[name="language"]', "en")
    expect(phone.locator("#answers-heading")).to_have_text("Answers and scores")
    assert _drawn(phone) == 1
    _fits(phone, "main")
    phone.screenshot(path=str(SHOTS / "candidate-phone-en.png"), full_page=True)
    _clean(phone)
