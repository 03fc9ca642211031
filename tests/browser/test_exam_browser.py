"""The student exam runner and the board's results page, driven in Debian's Chromium.

A real Daphne process serves the test database (with a real Celery worker when Redis is
configured, so that scoring happens as in a deployment); Playwright drives the browser.

Playwright's sync API keeps an asyncio loop running in this thread while it is active, and
Django refuses ORM calls from a thread with a running loop. So the state is built by
fixtures set up before the browser is launched, and the test reads the database during the
scenario through :func:`in_db_thread`, never by setting ``DJANGO_ALLOW_ASYNC_UNSAFE``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest
from django.db import connections
from django.utils import timezone

from accounts.models import Role, User
from assess import statuses
from assess.models import Answer, Attempt, FormItem, Sitting
from tests.browser.conftest import settle
from tests.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.factories import PASSWORD, make_sitting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

T = TypeVar("T")

TIMEOUT_MS = 15_000
SCORE_WAIT_SECONDS = 30.0
SCREENSHOT = Path("/tmp/exam.png")


def in_db_thread(read: Callable[[], T]) -> T:
    """Run an ORM read in a thread of its own (no running event loop there) and close its connection."""

    def run() -> T:
        try:
            return read()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@dataclass(frozen=True)
class Exam:
    sitting: Sitting
    attempt: Attempt  # the first student's
    student: User
    other_attempt: Attempt  # another student's, in the same sitting
    other_student: User
    board: User
    keys: dict[int, str]  # position -> key; read by the test, never sent to the browser


@pytest.fixture
def exam(transactional_db) -> Exam:
    sitting = make_sitting(n_items=5, n_students=2)
    first, second = sitting.attempts.select_related("student").order_by("pk")
    keys = {
        fi.position: fi.item_version.content["key"]
        for fi in FormItem.objects.filter(form_id=first.form_id).select_related("item_version")
    }
    board = make_user(Role.BOARD, sitting.organisation.parent)
    return Exam(sitting, first, first.student, second, second.student, board, keys)


@pytest.fixture
def server(transactional_db, package_server: str) -> Iterator[str]:
    """The package's Daphne (and Celery worker) on this test's rows (tests/browser/conftest.py)."""
    yield package_server
    settle(package_server)


@pytest.fixture
def browser(transactional_db, server):
    """Chromium, launched after the state fixtures and closed before the database is flushed."""
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def new_page(browser, **context_options):
    context = browser.new_context(**context_options)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.page_errors = page_errors  # type: ignore[attr-defined]
    return page


def log_in(page, base: str, username: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base}/login/")
    page.fill('input[name="username"]', username)
    page.fill('input[name="password"]', PASSWORD)
    page.click("main form button[type=submit]")
    expect(page).not_to_have_url(re.compile(r"/login/"))
    expect(page.locator('[data-testid="who"]')).to_contain_text(username)


def shown_seconds(page) -> int:
    """The remaining time the page shows, in seconds (the timer reads MM:SS)."""
    minutes, seconds = page.locator("#timer").inner_text().strip().split(":")
    return int(minutes) * 60 + int(seconds)


def wait_until_saved(page) -> None:
    page.wait_for_function("() => document.getElementById('saved').dataset.pending === '0'")


def checked_answers(page) -> dict[int, str]:
    """Position -> the letter shown next to the checked option (the author's A-D, in order)."""
    return page.evaluate(
        """() => Object.fromEntries(Array.from(document.querySelectorAll('#items input[type=radio]:checked'))
            .map((input) => [input.name.replace('item-', ''),
                             input.closest('label').querySelector('.letter').textContent.replace('.', '')]))"""
    )


def choose(page, position: int, letter: str) -> None:
    """Check the option shown with ``letter``: its id is the form's own, random."""
    page.locator(f'input[name="item-{position}"]').nth("ABCD".index(letter)).check()


def checked_flags(page) -> list[int]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('#items input[data-flag]:checked'))
            .map((input) => Number(input.dataset.flag)).sort((a, b) => a - b)"""
    )


def submit_exam(page) -> None:
    """Hand the exam in as a student does: Submit opens the review, "Submit now" hands it in."""
    from playwright.sync_api import expect

    page.click("#submit")
    expect(page.locator("#review")).to_be_visible()
    page.click("#review-submit")


def wrong_option(key: str) -> str:
    return next(letter for letter in "ABCD" if letter != key)


def test_student_takes_exam_and_board_sees_score(exam: Exam, server: str, browser) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN")
    log_in(page, server, exam.student.username)

    # Students land on their dashboard; the sitting is open, so its card links to the exam.
    expect(page).to_have_url(f"{server}/exam/")
    page.click(f'article[data-attempt="{exam.attempt.pk}"] a[data-action="open"]')
    expect(page).to_have_url(f"{server}/exam/{exam.attempt.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    expect(page.locator("#start")).to_be_visible()
    expect(page.locator("#paper")).to_be_hidden()

    page.click("#start")
    expect(page.locator("#paper")).to_be_visible()
    expect(page.locator("#items li.item")).to_have_count(len(exam.keys))
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))

    # Items 1, 3 and 4 right, item 2 wrong, item 5 left blank; item 3 first answered wrongly
    # then changed, so the later change must win.
    keys = exam.keys
    choose(page, 3, wrong_option(keys[3]))
    chosen = {1: keys[1], 2: wrong_option(keys[2]), 3: keys[3], 4: keys[4]}
    for position, option in chosen.items():
        choose(page, position, option)
    values = page.evaluate(
        "() => Array.from(document.querySelectorAll('#items input[type=radio]')).map((i) => i.value)"
    )
    assert values and not set(values) & set("ABCD")  # the page never holds the author's ids
    page.check('input[data-flag="2"]')
    wait_until_saved(page)
    expect(page.locator("#palette a.answered")).to_have_count(len(chosen))
    expect(page.locator("#palette a.flagged")).to_have_count(1)

    # Acknowledged means committed: the database holds exactly what the page shows.
    stored = in_db_thread(
        lambda: {
            a.form_item.position: (a.value, a.flagged)
            for a in Answer.objects.filter(attempt_id=exam.attempt.pk).select_related("form_item")
        }
    )
    assert {p: v for p, (v, _) in stored.items() if v is not None} == chosen
    assert [p for p, (_, flagged) in stored.items() if flagged] == [2]

    # Reload with the browser's own copy wiped: everything comes back from the server.
    page.evaluate("() => window.localStorage.clear()")
    page.reload()
    expect(page.locator("#paper")).to_be_visible()
    expect(page.locator("#intro")).to_be_hidden()
    expect(page.locator("#items li.item")).to_have_count(len(keys))
    expect(page.locator("#palette a.answered")).to_have_count(len(chosen))
    assert {int(k): v for k, v in checked_answers(page).items()} == chosen
    assert checked_flags(page) == [2]
    expect(page.locator("#saved")).to_have_attribute("data-pending", "0")

    # The clock is the server's: after a reload the timer shows the time left until the
    # stored deadline, not the full duration again. Let enough time pass since the start
    # that a reset to the full duration cannot hide inside the tolerance.
    expect(page.locator("#timer")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    started_at, deadline = in_db_thread(
        lambda: Attempt.objects.values_list("started_at", "deadline").get(pk=exam.attempt.pk)
    )
    duration = exam.sitting.assessment.duration.total_seconds()
    elapsed = (timezone.now() - started_at).total_seconds()
    if elapsed < 8:
        page.wait_for_timeout((8 - elapsed) * 1000)
    shown = shown_seconds(page)
    expected = (deadline - timezone.now()).total_seconds()
    assert abs(shown - expected) <= 3, f"timer shows {shown} s, the server's deadline is {expected:.1f} s away"
    assert shown <= duration - 5, f"timer shows {shown} s of {duration:.0f} s: it was reset"

    # Math arrives as MathML from the server and is laid out by the browser.
    stems_with_math = page.locator("#items li.item .stem math")
    expect(stems_with_math).to_have_count(len(keys))
    box = stems_with_math.first.bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    expect(page.locator("#timer")).to_be_visible()
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # The timer and the save state stay in view at the foot of the paper.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    expect(page.locator("#timer")).to_be_in_viewport()
    expect(page.locator("#saved")).to_be_in_viewport()
    total = page.locator("#palette [data-item]").count()

    # Submit: the review before handing in counts the unanswered question and names it.
    page.click("#submit")
    expect(page.locator("#review")).to_be_visible()
    expect(page.locator("#review-unanswered")).to_have_text("1")
    expect(page.locator("#review-list button.answered")).to_have_count(total - 1)
    expect(page.locator("#review-list button:not(.answered)")).to_have_attribute("data-item", "5")
    page.click("#review-submit")
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#paper")).to_be_hidden()
    expect(page.locator("#done-reason")).not_to_be_empty()
    # A receipt, and the closed connection shown as the end of the exam, never as a fault.
    expect(page.locator("#receipt")).to_contain_text(f"{total - 1}/{total}")
    expect(page.locator("#connection")).to_have_attribute("data-state", "done")
    expect(page.locator("#connection")).to_have_text("Đã nộp")
    page.set_viewport_size({"width": 375, "height": 740})
    page.screenshot(path="/tmp/exam-receipt-375.png")
    assert page.page_errors == []
    assert in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk).status) in (
        statuses.SUBMITTED,
        statuses.SCORED,
    )

    # The board sees the score once scoring has run (a Celery worker may take a moment).
    board_page = new_page(browser, locale="vi-VN")
    log_in(board_page, server, exam.board.username)
    row = board_page.locator(f'[data-testid="results"] tr[data-student="{exam.student.username}"]')
    give_up = time.monotonic() + SCORE_WAIT_SECONDS
    while True:
        board_page.goto(f"{server}/board/sittings/{exam.sitting.pk}/")
        expect(row).to_have_count(1)
        score = row.locator("td.score").inner_text().strip()
        if score:
            break
        assert time.monotonic() < give_up, f"no score on the board page after {SCORE_WAIT_SECONDS:.0f} s"
        board_page.wait_for_timeout(500)
    result = in_db_thread(lambda: Attempt.objects.select_related("result").get(pk=exam.attempt.pk).result)
    assert result.number_correct == 3
    assert score == "6,0"  # shown with the Vietnamese decimal comma
    assert Decimal(score.replace(",", ".")) == result.score_10 == Decimal("6.0")  # 3 of 5 one-point items
    expect(row.locator(f"td.status-{statuses.SCORED}")).to_have_count(1)
    # The other student never started: listed, without a score.
    other = board_page.locator(f'[data-testid="results"] tr[data-student="{exam.other_student.username}"]')
    expect(other.locator("td.score")).to_have_text("")
    assert board_page.page_errors == []


def test_time_warnings_are_spoken_and_a_paused_exam_says_so(exam: Exam, server: str, browser) -> None:
    """The 10-minute warning is announced (role=alert) as the time crosses it; a paused
    attempt shows why nothing moves and its clock stands still."""
    from datetime import timedelta

    from playwright.sync_api import expect

    from assess import services

    page = new_page(browser, locale="vi-VN")
    log_in(page, server, exam.student.username)
    page.goto(f"{server}/exam/{exam.attempt.pk}/")
    page.click("#start")
    expect(page.locator("#paper")).to_be_visible()
    expect(page.locator("#time-warning")).to_be_hidden()
    in_db_thread(
        lambda: Attempt.objects.filter(pk=exam.attempt.pk).update(deadline=timezone.now() + timedelta(seconds=602))
    )
    page.reload()
    expect(page.locator("#paper")).to_be_visible()
    expect(page.locator("#time-warning")).to_have_text("Còn 10 phút.", timeout=10_000)
    expect(page.locator("#time-warning")).to_have_attribute("role", "alert")
    expect(page.locator("#paused")).to_be_hidden()

    in_db_thread(lambda: services.attempt_pause(attempt_id=exam.attempt.pk, by=exam.board, reason="Mất điện"))
    page.reload()
    expect(page.locator("#paused")).to_be_visible()
    expect(page.locator("#timer")).to_have_class(re.compile(r"\bpaused\b"))
    shown = page.locator("#timer").inner_text()
    page.wait_for_timeout(2500)
    assert page.locator("#timer").inner_text() == shown  # the clock stands still

    # Resumed, then handed in under the 5-minute warning: the receipt alone, nothing left over.
    in_db_thread(lambda: services.attempt_resume(attempt_id=exam.attempt.pk, by=exam.board, reason="Có điện"))
    page.reload()
    expect(page.locator("#paused")).to_be_hidden()
    expect(page.locator("#timer")).not_to_have_class(re.compile(r"\bpaused\b"))
    in_db_thread(
        lambda: Attempt.objects.filter(pk=exam.attempt.pk).update(deadline=timezone.now() + timedelta(seconds=302))
    )
    page.reload()
    expect(page.locator("#time-warning")).to_have_text("Còn 5 phút.", timeout=10_000)

    submit_exam(page)  # handed in with the warning on screen
    expect(page.locator("#done")).to_be_visible()
    expect(page.locator("#receipt")).not_to_be_empty()
    expect(page.locator("#time-warning")).to_be_hidden()
    expect(page.locator("#paused")).to_be_hidden()
    assert page.page_errors == []


def test_language_is_vietnamese_by_default_and_switches_to_english(server: str, browser) -> None:
    from playwright.sync_api import expect

    html = "html"
    button = "main form button[type=submit]"

    # A browser asking for a language the site does not offer gets the default, Vietnamese.
    fallback = new_page(browser, locale="fr-FR")
    fallback.goto(f"{server}/login/")
    expect(fallback.locator(html)).to_have_attribute("lang", "vi")

    page = new_page(browser, locale="vi-VN")
    page.goto(f"{server}/login/")
    expect(page.locator(html)).to_have_attribute("lang", "vi")
    vietnamese_button = page.locator(button).inner_text().strip()

    # The top bar's language select posts to set_language and comes back to the same page.
    page.select_option('select[name="language"]', "en")
    expect(page.locator(html)).to_have_attribute("lang", "en")
    expect(page).to_have_url(f"{server}/login/")
    expect(page.locator(button)).to_have_text("Log in")
    expect(page.locator('select[name="language"]')).to_have_value("en")
    page.reload()  # the choice sticks (cookie)
    expect(page.locator(html)).to_have_attribute("lang", "en")

    page.select_option('select[name="language"]', "vi")
    expect(page.locator(html)).to_have_attribute("lang", "vi")
    assert page.page_errors == [] and fallback.page_errors == []

    # Needs the Vietnamese catalogue (locale/vi/LC_MESSAGES/django.mo): without it Django
    # falls back to the English source strings.
    assert vietnamese_button != "Log in", "the login button is not translated into Vietnamese"
    expect(page.locator(button)).to_have_text(vietnamese_button)


def test_student_cannot_open_another_students_exam(exam: Exam, server: str, browser) -> None:
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN")
    log_in(page, server, exam.other_student.username)

    own = page.goto(f"{server}/exam/{exam.other_attempt.pk}/")
    assert own is not None and own.status == 200  # the control: their own exam opens
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")

    response = page.goto(f"{server}/exam/{exam.attempt.pk}/")
    assert response is not None and response.status == 404
    expect(page.locator("#exam")).to_have_count(0)

    # The websocket refuses too, before anything about the attempt is sent.
    refused = page.evaluate(
        """(path) => new Promise((resolve) => {
            const socket = new WebSocket('ws://' + window.location.host + path);
            const messages = [];
            socket.onmessage = (event) => messages.push(JSON.parse(event.data));
            socket.onclose = (event) => resolve({code: event.code, messages});
        })""",
        f"/ws/attempts/{exam.attempt.pk}/",
    )
    assert refused["code"] == 4403
    assert [m["type"] for m in refused["messages"]] == ["error"]
    assert refused["messages"][0]["code"] == "forbidden"

    attempt = in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk))
    assert attempt.status == statuses.SCHEDULED
    assert attempt.connection_token is None
    assert page.page_errors == []
