"""Moderation and publication in Debian's Chromium (issue 11, done when): the board re-keys an
item, sees every candidate's score before and after, applies it (the sitting is rescored by the
server's worker), checks and publishes the results; a student then sees the new result. The
page fits a 375 px phone. Screenshots go to ``/tmp/moderation-shots/``.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_rooms_browser import _fits
from tests.factories import make_sitting, take
from tests.results.test_moderation import board_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/moderation-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@pytest.fixture
def handed_in(transactional_db):
    """Five items keyed A, B, C, D, A: the first candidate answers A and B (4.0), the second
    B and B (2.0); the sitting scored with its figures."""
    from assess import scoring_runs
    from assess.models import ScoringRun

    sitting = make_sitting(n_items=5, n_students=2, irt=False)
    first, second = sitting.attempts.select_related("student").order_by("pk")
    take(first, {1: "A", 2: "B"})
    take(second, {1: "B", 2: "B"})
    run = scoring_runs.sitting_score_start(by=board_of(sitting), sitting_id=sitting.pk, rescore=True)
    deadline = time.monotonic() + 60
    while ScoringRun.objects.get(pk=run.pk).status != ScoringRun.Status.DONE:  # the worker's, with Redis
        assert time.monotonic() < deadline, "the scoring run did not finish"
        time.sleep(0.2)
    return sitting, board_of(sitting).username, first, second


def test_the_board_re_keys_sees_the_diff_publishes_and_the_student_sees_the_result(
    handed_in,
    server,  # noqa: F811
    browser,  # noqa: F811
    pages,  # noqa: F811
) -> None:
    from playwright.sync_api import expect

    sitting, board, first, second = handed_in  # read before Playwright's loop: no queries after
    SHOTS.mkdir(exist_ok=True)
    page = new_page(browser, locale="vi-VN", viewport=WIDE)
    pages.append(page)
    page.on("dialog", lambda dialog: dialog.accept())
    log_in(page, server, board)
    page.goto(f"{server}/board/sittings/{sitting.pk}/")
    page.click('[data-testid="moderation-link"]')
    expect(page).to_have_url(f"{server}/board/sittings/{sitting.pk}/moderation/")
    items = page.locator('[data-testid="moderation-items"] tbody tr')
    expect(items).to_have_count(5)
    expect(items.first.locator('[data-testid="item-key"]')).to_have_text("A")
    expect(page.locator('[data-testid="publication-status"]')).not_to_be_empty()

    page.select_option('[data-testid="change-item"]', "1")
    page.select_option('[data-testid="change-kind"]', "rekey")
    page.select_option('[data-testid="change-key"]', "B")
    page.fill('[data-testid="change-reason"]', "Đáp án đúng của câu 1 là B.")
    page.click('[data-testid="change-preview"]')
    rows = page.locator('[data-testid="preview-rows"] tbody tr')
    expect(rows).to_have_count(2)
    first_row = page.locator(f'[data-testid="preview-rows"] tr[data-student="{first.student.username}"]')
    second_row = page.locator(f'[data-testid="preview-rows"] tr[data-student="{second.student.username}"]')
    expect(first_row.locator('[data-testid="score-before"]')).to_have_text("4.0")
    expect(first_row.locator('[data-testid="score-after"]')).to_have_text("2.0")
    expect(second_row.locator('[data-testid="score-after"]')).to_have_text("4.0")
    expect(page.locator('[data-testid="preview-summary"]')).to_contain_text("2")
    page.screenshot(path=str(SHOTS / "preview-wide.png"), full_page=True)

    page.click('[data-testid="change-apply"]')
    expect(page.locator("#moderation-notice")).to_be_visible()
    # the rescore runs on the server; the key column shows the new key once read again
    expect(items.first.locator('[data-testid="item-key"]')).to_contain_text("B")
    review = page.locator('[data-testid="publication-review"]')
    deadline = time.monotonic() + 60
    while True:  # review is refused while the rescore runs: try until it is accepted
        expect(review).to_be_visible()
        review.click()
        page.wait_for_timeout(1000)
        if page.locator('[data-testid="publication-publish"]').is_visible():
            break
        assert time.monotonic() < deadline, "the results never became complete"
        page.reload()
    page.click('[data-testid="publication-publish"]')
    expect(page.locator('[data-testid="publication-withdraw"]')).to_be_visible()
    expect(page.locator("#moderation-notice")).to_contain_text("2")
    page.screenshot(path=str(SHOTS / "published-wide.png"), full_page=True)
    assert not page.page_errors

    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, board)
    phone.goto(f"{server}/board/sittings/{sitting.pk}/moderation/")
    expect(phone.locator('[data-testid="moderation-items"] tbody tr')).to_have_count(5)
    _fits(phone, "main")
    phone.screenshot(path=str(SHOTS / "moderation-phone.png"), full_page=True)

    student = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(student)
    log_in(student, server, second.student.username)
    student.goto(f"{server}/exam/")
    expect(student.locator(f'[data-result="{second.pk}"] [data-testid="score"]')).to_have_text("4,0")
    student.screenshot(path=str(SHOTS / "student-phone.png"), full_page=True)

    # the student appeals (phúc khảo); the board reviews and decides; the student reads it
    student.click(f'[data-result="{second.pk}"] [data-testid="review-link"]')
    student.fill('[data-testid="appeal-reason"]', "Em xin phúc khảo câu 2.")
    student.click('[data-testid="appeal-send"]')
    expect(student.locator('[data-status="open"] [data-testid="appeal-status"]')).to_be_visible()
    page.reload()
    appeal = page.locator('[data-testid="appeals"] article[data-status="open"]')
    expect(appeal).to_contain_text(second.student.learner_id)
    appeal.locator('input[name="decision"]').fill("Bài làm được chấm đúng.")
    appeal.locator("button[type=submit]").click()
    expect(page.locator('[data-testid="appeals"] article[data-status="unchanged"]')).to_be_visible()
    page.screenshot(path=str(SHOTS / "appeal-decided-wide.png"), full_page=True)
    student.reload()
    expect(student.locator('[data-status="unchanged"] [data-testid="appeal-status"]')).to_contain_text("4,0")
    student.screenshot(path=str(SHOTS / "appeal-student-phone.png"), full_page=True)
    assert not student.page_errors and not page.page_errors
