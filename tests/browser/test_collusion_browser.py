"""The board's answer similarity report in Debian's Chromium, at 1366x768 and on a 375 px phone
(issue 10, point 9).

A finished sitting over two labs where one candidate copied from their neighbour (on another
test code): the board opens it from the sitting's page, starts the analysis, follows the job,
finds the pair first and flagged with its seats and learner IDs, filters to flagged pairs and
reads the explanation; on a phone the page fits its width. Words are not matched (Vietnamese,
possibly not compiled yet): ids and data attributes are. Screenshots go to
``/tmp/collusion-shots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_rooms_browser import _fits
from tests.proctoring.test_collusion_report import Exam, exam, hand_in, independent, neighbours

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/collusion-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def copied(transactional_db) -> tuple[Exam, list[str]]:
    setting = exam(seed=67)
    choices = independent(setting, seed=71)
    source, copier = neighbours(setting)
    choices[copier, :36] = choices[source, :36]
    hand_in(setting, choices)
    return setting, [setting.attempts[row].student.learner_id for row in (source, copier)]


def test_the_board_analyses_a_sitting_and_reads_the_ranked_pairs(copied, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    setting, learner_ids = copied
    SHOTS.mkdir(exist_ok=True)
    page = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(page)
    log_in(page, server, setting.board.username)
    page.goto(f"{server}/board/sittings/{setting.sitting.pk}/")
    page.click('[data-testid="collusion-link"]')
    expect(page).to_have_url(f"{server}/board/sittings/{setting.sitting.pk}/collusion/")
    expect(page.locator('[data-testid="collusion-explain"]')).to_be_visible()
    expect(page.locator("#collusion-pairs")).to_be_hidden()  # no report yet

    page.click('button[data-testid="collusion-start"]')
    rows = page.locator('[data-testid="pairs"] tbody tr')
    expect(rows.first).to_be_visible()
    first = rows.first
    expect(first).to_have_attribute("data-rank", "1")
    expect(first).to_have_class("collusion-flagged")
    for learner_id in learner_ids:
        expect(first).to_contain_text(learner_id)
    expect(page.locator('[data-testid="flagged-count"]')).to_contain_text("1")
    expect(page.locator('[data-testid="pairs-shown"]')).to_contain_text("1–50")
    page.screenshot(path=str(SHOTS / "report-wide.png"))
    page.evaluate("document.getElementById('collusion-pairs').scrollIntoView()")
    page.screenshot(path=str(SHOTS / "report-wide-pairs.png"))

    page.check('[data-testid="flagged-filter"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-rank", "1")
    page.uncheck('[data-testid="flagged-filter"]')
    expect(rows).to_have_count(50)  # a page
    every_room = page.locator('[data-testid="pairs-shown"]').inner_text()
    page.select_option('[data-testid="room-filter"]', index=2)
    expect(page.locator('[data-testid="pairs-shown"]')).not_to_have_text(every_room)  # the second room's only
    expect(rows.first).to_be_visible()

    # Opened again, the report is read, not computed: the same time of computing is shown.
    summary = page.locator('[data-testid="collusion-summary"]').text_content()
    page.reload()
    expect(page.locator('[data-testid="collusion-summary"]')).to_have_text(summary)

    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, setting.board.username)
    phone.goto(f"{server}/board/sittings/{setting.sitting.pk}/collusion/")
    expect(phone.locator('[data-testid="pairs"] tbody tr').first).to_be_visible()
    phone.screenshot(path=str(SHOTS / "report-phone.png"), full_page=False)
    phone.evaluate("document.getElementById('collusion-pairs').scrollIntoView()")
    phone.screenshot(path=str(SHOTS / "report-phone-pairs.png"), full_page=False)
    _fits(phone)
