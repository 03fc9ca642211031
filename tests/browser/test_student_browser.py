"""A student's own pages in Debian's Chromium: the dashboard, an exam with an access code, the
results and the review once the board releases them; at 1366x768 and on a 375 px phone.

The words are looked up by ids, data attributes and test ids, so the test holds in either
language. The state is built through the services by a fixture before the browser starts;
the scenario reads and writes the database only through :func:`in_db_thread`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from assess import sittings, statuses
from assess.models import Assessment, Attempt, Sitting
from tests.assess.test_sittings import School
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, new_page, wait_until_saved
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")
CODE = "482913"
SCORE_WAIT_SECONDS = 30.0
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@dataclass(frozen=True)
class Term:
    student: User
    board: User
    exam: Sitting  # open now, with an access code; the answers are shown after the release
    attempt: Attempt  # the student's
    quiz: Sitting  # an assignment open now
    upcoming: Sitting


@pytest.fixture
def term(transactional_db) -> Term:
    world = School()
    now = timezone.now()
    classes = sittings.Candidates(class_ids=(world.classes["10A1"].pk,))

    def schedule(by, form, **spec) -> Sitting:
        window = {"opens_at": now - timedelta(minutes=5), "closes_at": now + timedelta(hours=2)}
        spec = sittings.SittingSpec(**{**window, **spec})
        return sittings.sitting_schedule(by=by, form_id=form.pk, spec=spec, candidates=classes)[0]

    exam = schedule(
        world.board,
        world.form(world.board),
        title="Kiểm tra giữa kì I – Toán 10",
        access_code=CODE,
        feedback_detail="answers",
    )
    quiz = schedule(
        world.teacher,
        world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS),
        title="Luyện tập: hàm số bậc hai",
        max_attempts=3,
        feedback_timing="after_submit",
    )
    upcoming = schedule(
        world.board,
        world.form(world.board),
        title="Kiểm tra cuối kì I – Toán 10",
        opens_at=now + timedelta(days=3),
        closes_at=now + timedelta(days=3, hours=2),
    )
    student = world.students["An"]
    return Term(student, world.board, exam, exam.attempts.get(student=student), quiz, upcoming)


def log_in(page, base: str, student: User) -> None:
    """Log in; the top bar names the student (by full name: School's students have one)."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login/")
    page.fill('input[name="username"]', student.username)
    page.fill('input[name="password"]', PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    expect(page.locator('[data-testid="who"]')).to_contain_text(student.get_full_name())


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{width} px wide on a {page.viewport_size['width']} px screen"


def test_a_student_takes_an_exam_with_an_access_code_and_reviews_it(term: Term, server: str, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    pages.append(page)
    log_in(page, server, term.student)
    expect(page).to_have_url(f"{server}/exam/")

    # The dashboard: the exam and the quiz are open, the end-of-term exam upcoming.
    exam_card = page.locator(f'article[data-sitting="{term.exam.pk}"]')
    expect(exam_card).to_have_attribute("data-state", "open")
    expect(exam_card.locator('[data-testid="needs-code"]')).to_be_visible()
    expect(page.locator(f'article[data-sitting="{term.quiz.pk}"]')).to_have_attribute("data-state", "open")
    upcoming = page.locator(f'section[data-section="upcoming"] article[data-sitting="{term.upcoming.pk}"]')
    expect(upcoming.locator('[data-testid="opens"]')).to_be_visible()
    expect(upcoming.locator("[data-action]")).to_have_count(0)
    assert CODE not in page.content()
    page.screenshot(path=str(SCREENSHOTS / "student_dashboard_1366.png"), full_page=True)

    # The exam page asks for the access code; a wrong one is refused with the server's words
    # and the intro stays for another try; the right one starts the exam.
    exam_card.locator('a[data-action="open"]').click()
    expect(page).to_have_url(f"{server}/exam/{term.attempt.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    expect(page.locator("#access-code")).to_be_visible()
    page.fill("#access-code", "000000")
    page.click("#start")
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).not_to_be_empty()
    refusal = page.locator("#notice").inner_text()
    assert "access_code" not in refusal  # the server's message, not the code of the error
    expect(page.locator("#intro")).to_be_visible()
    expect(page.locator("#paper")).to_be_hidden()
    expect(page.locator("#access-code")).to_be_focused()
    assert in_db_thread(lambda: Attempt.objects.get(pk=term.attempt.pk).status) == statuses.SCHEDULED
    page.screenshot(path=str(SCREENSHOTS / "student_access_code_1366.png"), full_page=True)
    page.set_viewport_size(PHONE)
    fits(page)
    page.screenshot(path=str(SCREENSHOTS / "student_access_code_375.png"), full_page=True)
    page.set_viewport_size(DESKTOP)

    page.fill("#access-code", f" {CODE} ")
    page.press("#access-code", "Enter")
    expect(page.locator("#paper")).to_be_visible()
    expect(page.locator("#notice")).to_be_hidden()
    expect(page.locator("#items li.item")).to_have_count(2)
    # Both items' key is the author's A, shown first (no test codes): one right, one wrong.
    page.locator('input[name="item-1"]').nth(0).check()
    page.locator('input[name="item-2"]').nth(1).check()
    wait_until_saved(page)
    # Meanwhile the dashboard (no websocket: the exam page keeps its connection) says how
    # long is left and offers to continue.
    board = new_page(browser, locale="vi-VN", viewport=DESKTOP)
    pages.append(board)
    log_in(board, server, term.student)
    running = board.locator(f'section[data-section="in_progress"] article[data-sitting="{term.exam.pk}"]')
    expect(running.locator('[data-testid="time-left"]')).to_have_text(re.compile(r"1[45]"))  # of 15 minutes
    expect(running.locator('a[data-action="continue"]')).to_have_attribute("href", f"/exam/{term.attempt.pk}/")
    board.screenshot(path=str(SCREENSHOTS / "student_dashboard_running_1366.png"), full_page=True)
    board.context.close()
    page.click("#submit")  # the review before handing in
    page.click("#review-submit")
    expect(page.locator("#done")).to_be_visible()

    # Scored on submission (the embedded server runs the task; with Redis, a worker).
    give_up = time.monotonic() + SCORE_WAIT_SECONDS
    while in_db_thread(lambda: Attempt.objects.get(pk=term.attempt.pk).status) != statuses.SCORED:
        assert time.monotonic() < give_up, f"not scored after {SCORE_WAIT_SECONDS:.0f} s"
        page.wait_for_timeout(300)

    # Done, and nothing of the result before the release.
    page.goto(f"{server}/exam/")
    done = page.locator(f'section[data-section="done"] article[data-sitting="{term.exam.pk}"]')
    expect(done).to_have_count(1)
    expect(done.locator('[data-testid="score"]')).to_have_count(0)
    expect(done.locator('[data-testid="review-link"]')).to_have_count(0)

    in_db_thread(lambda: sittings.sitting_release(by=term.board, sitting_id=term.exam.pk))
    page.reload()
    expect(done.locator('[data-testid="score"]')).to_have_text("5,0")  # 1 of 2: 5 on the 10-point scale
    page.screenshot(path=str(SCREENSHOTS / "student_dashboard_done_1366.png"), full_page=True)
    done.locator('[data-testid="review-link"]').click()
    expect(page).to_have_url(f"{server}/exam/attempts/{term.attempt.pk}/review/")
    expect(page.locator('[data-testid="review-score"]')).to_have_text("5,0")
    items = page.locator("li[data-item]")
    expect(items).to_have_count(2)
    first, second = items.nth(0), items.nth(1)
    # Item 1: the student's answer is the correct one; item 2: the student's B, the correct A.
    expect(first.locator('li.is-yours.is-correct [data-testid="yours"]')).to_have_count(1)
    expect(second.locator('li.is-yours [data-testid="yours"]')).to_have_count(1)
    expect(second.locator('li.is-yours [data-testid="correct"]')).to_have_count(0)
    expect(second.locator("li.is-correct .letter")).to_have_text("A.")
    expect(second.locator("li.is-yours .letter")).to_have_text("B.")
    page.screenshot(path=str(SCREENSHOTS / "student_review_1366.png"), full_page=True)

    # On a phone: the dashboard and the review fit the screen.
    phone = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(phone)
    log_in(phone, server, term.student)
    phone.goto(f"{server}/exam/")
    expect(phone.locator("article[data-sitting]")).to_have_count(3)
    fits(phone)
    phone.screenshot(path=str(SCREENSHOTS / "student_dashboard_375.png"), full_page=True)
    phone.goto(f"{server}/exam/attempts/{term.attempt.pk}/review/")
    expect(phone.locator("li[data-item]")).to_have_count(2)
    fits(phone)
    phone.screenshot(path=str(SCREENSHOTS / "student_review_375.png"), full_page=True)


def test_try_again_opens_the_next_attempt(term: Term, server: str, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from tests.assess.test_sittings import _take

    first = in_db_thread(lambda: Attempt.objects.get(sitting=term.quiz, student=term.student))
    in_db_thread(lambda: _take(first, right=True))
    page = new_page(browser, locale="vi-VN", viewport=PHONE)
    pages.append(page)
    log_in(page, server, term.student)
    card = page.locator(f'article[data-sitting="{term.quiz.pk}"]')
    expect(card.locator('[data-testid="score"]')).to_have_text("10,0")
    fits(page)
    page.screenshot(path=str(SCREENSHOTS / "student_try_again_375.png"), full_page=True)
    card.locator('button[data-action="try-again"]').click()
    expect(page).to_have_url(re.compile(rf"/exam/(?!{first.pk}/)\d+/$"))
    second = in_db_thread(lambda: Attempt.objects.get(sitting=term.quiz, student=term.student, number=2))
    expect(page).to_have_url(f"{server}/exam/{second.pk}/")
    expect(page.locator("#start")).to_be_visible()
    expect(page.locator("#access-code")).to_have_count(0)
