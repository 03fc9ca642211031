"""Exam day in a lab from end to end, in Debian's Chromium (issue 10, "done when"): two candidates
and a proctor. The proctor checks both in from the console, starts the room together; a
candidate's network cut shows on the console; the room is paused and resumed from the console
and both candidates' pages say so; an incident costs a candidate 5 minutes, confirmed, and the
5 minutes come back on their clock; the room report (biên bản) prints what happened. States
are read from data attributes (the words are Vietnamese). Screenshots go to
``/tmp/exam-day-shots/``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from accounts.models import User
from assess import statuses
from assess.models import Attempt, AttemptTransition
from proctoring.models import Action, Incident, Refusal
from tests.browser.test_console_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    FAST,
    PHONE,
    Day,
    assert_view_is_fresh,
    card,
    clean,
    day,
    live,
    open_console,
    student_page,
)
from tests.browser.test_exam_browser import (  # noqa: F401  (fixtures)
    browser,
    choose,
    in_db_thread,
    log_in,
    new_page,
    server,
)
from tests.browser.test_exam_day_browser import fits, within_width
from tests.browser.test_people_browser import photo_media  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/exam-day-shots")
# The console asks who was heard from every second; a candidate is silent after 7 s (the server
# keeps a connection's heartbeat at most every 5 s: assess.consumers.BEAT_SECONDS).
STEADY = {**FAST, "staleAfterMs": 7000, "deadAfterMs": 7000}


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def left_seconds(student) -> int:
    minutes, seconds = student.locator("#timer").inner_text().split(":")
    return int(minutes) * 60 + int(seconds)


def test_exam_day_from_check_in_to_the_room_report(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect
    from pypdf import PdfReader

    first, second, _third = day.attempts
    proctor = day.proctors[0]
    # The test's login finds the username in the top bar: the second candidate goes by it too.
    in_db_thread(lambda: User.objects.filter(pk=second.student_id).update(first_name="", last_name=""))
    page = open_console(browser, server, proctor, f"/proctor/rooms/{day.room.pk}/", **STEADY)
    live(page)

    # Check-in: the proctor compares each candidate with their identity card.
    for attempt in (first, second):
        card(page, attempt).locator('[data-action="check-in"]').click()
        expect(page.locator("#check-in-dialog")).to_be_visible()
        expect(page.locator("#check-in-seat")).to_have_text(attempt.seat.label)
        page.locator("#check-in-confirm").click()
        expect(card(page, attempt)).to_have_attribute("data-state", "checked_in")
    students = {attempt.pk: student_page(browser, server, day, attempt) for attempt in (first, second)}
    for attempt in (first, second):
        expect(card(page, attempt)).to_have_attribute("data-state", "waiting")

    # The room starts together: both pages show the paper, both cards answer.
    page.locator("#open-together").click()
    page.locator("#open-confirm").click()
    for attempt in (first, second):
        expect(card(page, attempt)).to_have_attribute("data-state", "answering", timeout=5000)
        expect(students[attempt.pk].locator("#paper")).to_be_visible()
        choose(students[attempt.pk], 1, day.keys[1])
        expect(card(page, attempt)).to_have_attribute("data-answered", "1")
    shot(page, "1-answering")

    # The second candidate's network goes: the console says so; it comes back by itself.
    students[second.pk].context.set_offline(True)
    expect(card(page, second)).to_have_attribute("data-state", "disconnected", timeout=20_000)
    expect(card(page, second).locator(".seat-alert")).to_be_visible()
    shot(page, "2-network-cut")
    students[second.pk].context.set_offline(False)
    expect(card(page, second)).to_have_attribute("data-state", "answering", timeout=20_000)

    # A power cut: the room paused from the console, with the reason; both pages stop.
    page.locator("#group-pause").click()
    page.locator("#action-text").fill("Mất điện cả dãy nhà A")
    page.locator("#action-confirm").click()
    for attempt in (first, second):
        expect(card(page, attempt)).to_have_attribute("data-state", "paused", timeout=5000)
        expect(students[attempt.pk].locator("#paused")).to_be_visible()
    shot(page, "3-paused")
    page.locator("#group-resume").click()
    page.locator("#action-confirm").click()
    for attempt in (first, second):
        expect(card(page, attempt)).to_have_attribute("data-state", "answering", timeout=5000)
        expect(students[attempt.pk].locator("#paused")).to_be_hidden()
    kinds = in_db_thread(lambda: list(Action.objects.filter(room=day.room).values_list("kind", "reason")))
    assert (Action.Kind.PAUSE, "Mất điện cả dãy nhà A") in kinds and (Action.Kind.RESUME, "") in kinds
    paused = in_db_thread(lambda: AttemptTransition.objects.filter(to_status=statuses.PAUSED).count())
    assert paused == 2  # one room action, each candidate's clock stopped

    # The first candidate's PC froze for 5 minutes: an incident, confirmed, the time given back.
    before = in_db_thread(lambda: Attempt.objects.get(pk=first.pk).deadline)
    shown_before = left_seconds(students[first.pk])
    card(page, first).locator('[data-action="incident"]').click()
    expect(page.locator("#incident-who")).to_have_value(str(first.pk))
    page.locator("#incident-kind").select_option("pc_failure")
    page.locator("#incident-minutes").fill("5")
    page.locator("#incident-description").fill("Máy treo, khởi động lại")
    page.locator("#incident-save").click()
    incident = page.locator('#incident-list .incident[data-kind="pc_failure"]')
    expect(incident).to_have_attribute("data-status", "open")
    expect(card(page, first)).to_have_attribute("data-incidents", "1")
    incident.locator('[data-action="confirm"]').click()
    expect(page.locator("#decide-minutes")).to_have_value("5")
    page.locator("#decide-save").click()
    expect(incident).to_have_attribute("data-status", "confirmed")
    expect(card(page, first)).to_have_attribute("data-incidents", "0")
    after = in_db_thread(lambda: Attempt.objects.get(pk=first.pk).deadline)
    assert (after - before).total_seconds() == 300
    # The candidate's own clock shows the 5 minutes at once (a few seconds ticked meanwhile).
    expect(students[first.pk].locator("#timer")).not_to_have_text(re.compile(r"^$"))
    page.wait_for_timeout(1000)
    assert 290 <= left_seconds(students[first.pk]) - shown_before <= 300
    assert in_db_thread(lambda: Incident.objects.get(attempt=first).minutes_given) == 5
    assert_view_is_fresh(page, f"/api/sitting-rooms/{day.room.pk}/console/")
    for attempt in (first, second):  # connected all along since the network came back
        expect(card(page, attempt)).to_have_attribute("data-state", "answering")
    shot(page, "4-incident")

    # The room report: the link on the console gives the PDF with what happened.
    link = page.locator("#room-report")
    expect(link).to_have_attribute("href", f"/api/sitting-rooms/{day.room.pk}/report.pdf")
    response = page.request.get(server + link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    flat = re.sub(r"\s+", " ", text)
    assert day.room.room.name in flat
    assert "Mất điện cả dãy nhà A" in flat and "Máy treo, khởi động lại" in flat
    for attempt in (first, second):
        assert attempt.student.learner_id in flat
    assert all(
        in_db_thread(lambda a=a: Attempt.objects.get(pk=a.pk).status) == statuses.IN_PROGRESS for a in (first, second)
    )
    clean(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "375"])
def test_the_board_requires_safe_exam_browser_and_a_plain_browser_is_refused(
    day: Day,  # noqa: F811
    server: str,  # noqa: F811
    browser,  # noqa: F811
    viewport,
) -> None:
    from playwright.sync_api import expect

    size = viewport["width"]
    board = open_console(browser, server, day.board, f"/board/sittings/{day.sitting.pk}/", viewport=viewport)
    section = board.locator("#seb-settings")
    section.scroll_into_view_if_needed()
    # Nothing is clickable before the saved requirement is shown (it would overwrite a click).
    expect(section).to_have_attribute("data-state", "ready")
    expect(board.locator("#seb-required")).to_be_enabled()
    expect(board.locator("#seb-required")).not_to_be_checked()
    board.locator("#seb-required").check()
    board.locator("#seb-save").click()  # required, but no key to check against
    expect(board.locator("#seb-config-keys")).to_have_attribute("aria-invalid", "true")
    expect(board.locator("#seb-status")).to_have_class("notice-error")
    board.locator("#seb-config-keys").fill("not a key")
    board.locator("#seb-save").click()
    expect(board.locator("#seb-config-keys")).to_have_attribute("aria-invalid", "true")
    board.locator("#seb-config-keys").fill(("AB" * 32) + "\n" + ("cd" * 32))
    board.locator("#seb-save").click()
    expect(board.locator("#seb-status")).to_have_class("notice-ok-text")
    expect(board.locator("#seb-config-keys")).to_have_value(("ab" * 32) + "\n" + ("cd" * 32))
    if size == PHONE["width"]:
        fits(board)
        within_width(board, "#seb-settings, #seb-config-keys, #seb-save")
        # The score histogram's labels ("9–10" the widest) keep to one line under their bars.
        heights = board.evaluate(
            "[...document.querySelectorAll('.histogram .label')].map((l) => l.getBoundingClientRect().height)"
        )
        assert len(heights) == 10 and max(heights) < 1.5 * min(heights), heights
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / f"seb-settings-{size}.png"))
    clean(board)

    # A candidate in an ordinary browser: the page says what to do, and nothing of the exam.
    first = day.attempts[0]
    student = new_page(browser, locale="vi-VN", viewport=viewport)
    log_in(student, server, first.student.username)
    response = student.goto(f"{server}/exam/{first.pk}/")
    assert response.status == 403
    expect(student.locator("#seb-refusal")).to_contain_text("Safe Exam Browser")
    expect(student.locator("#paper")).to_have_count(0)
    if size == PHONE["width"]:
        fits(student)
    shot(student, f"seb-refused-{size}")
    assert in_db_thread(lambda: Refusal.objects.filter(attempt=first, code="seb_missing_header").count()) == 1
