"""The proctors' and the board's actions on the live consoles, in Debian's Chromium (issue 10,
point 6): a proctor pauses and resumes the room, gives a candidate more time, sends a message,
asks to reopen a handed-in attempt; the board sees the request, approves it and the candidate
shows paused on both consoles; the proctor resumes them; the board pauses, resumes and messages
the whole sitting. At 1366x768 and on a 375 px phone, by keyboard too. States are read from
data attributes (the words are Vietnamese, and may not be compiled yet); every change comes
back as the console's events, not from the action's answer. Screenshots go to
``/tmp/actions-shots/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assess import statuses
from assess.models import Attempt
from proctoring import services
from proctoring.models import Action, ReopenRequest
from tests.browser.test_console_browser import (  # noqa: F401  (fixtures)
    DESKTOP,
    PHONE,
    Day,
    card,
    clean,
    day,
    live,
    open_console,
)
from tests.browser.test_exam_browser import browser, in_db_thread, server  # noqa: F401  (fixtures)
from tests.browser.test_exam_day_browser import fits, within_width
from tests.browser.test_people_browser import photo_media  # noqa: F401  (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/actions-shots")


def shot(page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def started(of: Day) -> None:
    """Everyone checked in and started together; the third candidate has handed in (with time
    left), and is scored at once (the tasks run eagerly here)."""
    from assess import services as delivery

    proctor = of.proctors[0]
    for attempt in of.attempts:
        services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
    services.room_open(by=proctor, sitting_room_id=of.room.pk, together=True)
    third = of.attempts[2]
    token = delivery.attempt_connect(attempt_id=third.pk, user=third.student).token
    delivery.attempt_submit(attempt_id=third.pk, user=third.student, token=token)


def status_of(attempt: Attempt) -> str:
    return in_db_thread(lambda: Attempt.objects.get(pk=attempt.pk).status)


def more(page, attempt: Attempt):
    return card(page, attempt).locator('[data-action="more"]')


def choose_action(page, attempt: Attempt, action: str) -> None:
    from playwright.sync_api import expect

    more(page, attempt).click()
    expect(page.locator("#seat-actions-dialog")).to_be_visible()
    page.locator(f'#seat-actions-dialog [data-action="{action}"]').click()
    expect(page.locator("#seat-actions-dialog")).to_be_hidden()
    expect(page.locator("#action-dialog")).to_be_visible()


def test_proctor_and_board_act_from_the_consoles(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    first, second, third = day.attempts
    proctor = day.proctors[0]
    in_db_thread(lambda: started(day))
    assert status_of(third) == statuses.SCORED  # the consoles show it handed in
    page = open_console(browser, server, proctor, f"/proctor/rooms/{day.room.pk}/")
    live(page)
    dialog = page.locator("#action-dialog")
    error = dialog.locator("[data-error]")
    notice = page.locator("#actions-notice")
    expect(page.locator("#group-actions")).to_be_visible()
    expect(page.locator("#group-pause")).to_be_visible()
    expect(page.locator("#reopen-requests")).to_be_hidden()  # no request yet

    # Pause the room: a reason is required (the server's words), then both answering are paused.
    page.locator("#group-pause").click()
    expect(dialog).to_be_visible()
    expect(page.locator("#action-text")).to_be_focused()
    page.locator("#action-confirm").click()
    expect(error).to_be_visible()
    expect(page.locator("#action-text")).to_have_attribute("aria-invalid", "true")
    page.locator("#action-text").fill("Mất điện cả dãy nhà A")
    shot(page, "room-pause-1366")
    page.locator("#action-confirm").click()
    expect(dialog).to_be_hidden()
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("2")
    for attempt in (first, second):
        expect(card(page, attempt)).to_have_attribute("data-state", "paused")
    expect(card(page, third)).to_have_attribute("data-state", "finished")
    # Pressed again (as by a second proctor): refused with who paused them and when.
    page.locator("#group-pause").click()
    page.locator("#action-text").fill("Mất điện")
    page.locator("#action-confirm").click()
    expect(error).to_be_visible()
    expect(error).to_contain_text(proctor.get_full_name() or proctor.username)
    shot(page, "room-pause-refused-1366")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.locator("#group-pause")).to_be_focused()

    # Resume the room.
    page.locator("#group-resume").click()
    page.locator("#action-confirm").click()
    expect(dialog).to_be_hidden()
    for attempt in (first, second):
        expect(card(page, attempt)).to_have_attribute("data-status", "in_progress")
    expect(notice).to_contain_text("2")

    # A candidate's "More…": only what applies to an attempt under way; 5 minutes more.
    # Its name for a screen reader says whose it is.
    assert first.student.username in more(page, first).get_attribute("aria-label")
    assert first.seat.label in more(page, first).get_attribute("aria-label")
    more(page, first).click()
    menu = page.locator("#seat-actions-dialog")
    expect(menu).to_be_visible()
    shown = menu.locator("#seat-actions-list button:visible").evaluate_all("(bs) => bs.map((b) => b.dataset.action)")
    assert shown == ["pause", "extend", "message", "void"]
    expect(menu.locator('[data-action="pause"]')).to_be_focused()
    shot(page, "seat-actions-1366")
    menu.locator('[data-action="extend"]').click()
    expect(dialog).to_be_visible()
    expect(page.locator("#action-minutes")).to_be_visible()
    expect(page.locator("#action-minutes")).to_be_focused()
    page.locator("#action-minutes").fill("5")
    page.locator("#action-text").fill("Máy treo 5 phút")
    before = in_db_thread(lambda: Attempt.objects.get(pk=first.pk).deadline)
    shot(page, "extend-1366")
    page.locator("#action-confirm").click()
    expect(dialog).to_be_hidden()
    expect(notice).to_contain_text("5")
    expect(more(page, first)).to_be_focused()  # back where the proctor was
    after = in_db_thread(lambda: Attempt.objects.get(pk=first.pk).deadline)
    assert (after - before).total_seconds() == 300

    # A message to one candidate.
    choose_action(page, first, "message")
    expect(page.locator("#action-minutes")).to_be_hidden()
    page.locator("#action-text").fill("Em kiểm tra lại câu 3.")
    page.locator("#action-confirm").click()
    expect(dialog).to_be_hidden()
    expect(notice).to_contain_text("1")
    assert in_db_thread(lambda: Action.objects.filter(kind=Action.Kind.MESSAGE, attempt=first).count()) == 1

    # Voiding warns, by keyboard: Enter opens, Escape leaves nothing done and the focus where it was.
    choose_action(page, second, "void")
    expect(page.locator("#action-warning")).to_be_visible()
    expect(page.locator("#action-confirm")).to_have_class("danger")
    shot(page, "void-1366")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert status_of(second) == statuses.IN_PROGRESS
    more(page, second).focus()
    page.keyboard.press("Enter")
    expect(menu).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    expect(more(page, second)).to_be_focused()

    # One candidate paused and resumed from their card.
    choose_action(page, second, "pause")
    page.locator("#action-text").fill("Đi y tế")
    page.locator("#action-confirm").click()
    expect(card(page, second)).to_have_attribute("data-state", "paused")
    choose_action(page, second, "resume")
    page.locator("#action-confirm").click()
    expect(card(page, second)).to_have_attribute("data-status", "in_progress")

    # The handed-in attempt: only asking to reopen (or voiding) applies.
    more(page, third).click()
    shown = menu.locator("#seat-actions-list button:visible").evaluate_all("(bs) => bs.map((b) => b.dataset.action)")
    assert shown == ["reopen", "void"]
    menu.locator('[data-action="reopen"]').click()
    page.locator("#action-text").fill("Em bấm nhầm nút nộp bài")
    shot(page, "reopen-ask-1366")
    page.locator("#action-confirm").click()
    expect(dialog).to_be_hidden()
    requests = page.locator("#reopen-requests")
    expect(requests).to_be_visible()
    request = page.locator(f'#reopen-list .reopen-request[data-attempt="{third.pk}"]')
    expect(request).to_have_attribute("data-status", "pending")
    expect(request.locator('[data-action="approve"]')).to_have_count(0)  # a proctor does not decide
    # Asked again: refused, a request waits already.
    choose_action(page, third, "reopen")
    page.locator("#action-text").fill("Em bấm nhầm")
    page.locator("#action-confirm").click()
    expect(error).to_be_visible()
    page.keyboard.press("Escape")

    # The board sees the request, approves it; the candidate shows paused on both consoles.
    board = open_console(browser, server, day.board, f"/board/sittings/{day.sitting.pk}/console/")
    live(board)
    pending = board.locator(f'#reopen-list .reopen-request[data-attempt="{third.pk}"]')
    expect(pending).to_have_attribute("data-status", "pending")
    expect(pending).to_contain_text("Em bấm nhầm nút nộp bài")
    expect(pending).to_contain_text("Phòng máy 1")
    expect(board.locator("#reopen-waiting")).to_contain_text("1")
    pending.locator('[data-action="approve"]').click()
    expect(board.locator("#action-dialog")).to_be_visible()
    board.locator("#action-text").fill("Đồng ý, còn 20 phút")
    shot(board, "board-approve-1366")
    board.locator("#action-confirm").click()
    expect(board.locator("#action-dialog")).to_be_hidden()
    expect(board.locator("#reopen-notice")).to_be_visible()
    expect(pending).to_have_attribute("data-status", "approved")
    expect(pending.locator('[data-action="approve"]')).to_be_hidden()
    expect(board.locator(f'#candidates-body tr[data-attempt="{third.pk}"]')).to_have_attribute("data-state", "paused")
    assert in_db_thread(lambda: ReopenRequest.objects.get(attempt=third).status) == ReopenRequest.Status.APPROVED
    shot(board, "board-approved-1366", full_page=True)
    # The proctor's console: paused, and told to resume the candidate (the status event reads the
    # requests again, not the 20 s poll).
    expect(card(page, third)).to_have_attribute("data-state", "paused")
    expect(request).to_have_attribute("data-status", "approved", timeout=5000)
    expect(request.locator(".reopen-next")).to_be_visible()
    shot(page, "reopen-approved-1366", full_page=True)
    choose_action(page, third, "resume")
    page.locator("#action-confirm").click()
    expect(card(page, third)).to_have_attribute("data-status", "in_progress")
    expect(request.locator(".reopen-next")).to_be_hidden(timeout=5000)

    # The board: the whole sitting paused, resumed and messaged.
    board.locator("#group-pause").click()
    board.locator("#action-text").fill("Sự cố mạng toàn trường")
    board.locator("#action-confirm").click()
    expect(board.locator("#action-dialog")).to_be_hidden()
    expect(board.locator("#actions-notice")).to_contain_text("3")
    for attempt in day.attempts:
        expect(board.locator(f'#candidates-body tr[data-attempt="{attempt.pk}"]')).to_have_attribute(
            "data-state", "paused"
        )
        expect(card(page, attempt)).to_have_attribute("data-state", "paused")
    board.locator("#group-resume").click()
    board.locator("#action-confirm").click()
    expect(board.locator("#actions-notice")).to_contain_text("3")
    for attempt in day.attempts:
        expect(card(page, attempt)).to_have_attribute("data-status", "in_progress")
    board.locator("#group-message").click()
    board.locator("#action-text").fill("Còn 15 phút.")
    board.locator("#action-confirm").click()
    expect(board.locator("#actions-notice")).to_contain_text("3")
    shot(board, "board-actions-1366")
    clean(page)
    clean(board)


def test_the_actions_fit_a_phone(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    first, _second, third = day.attempts
    in_db_thread(lambda: started(day))
    in_db_thread(
        lambda: services.reopen_request(by=day.proctors[0], attempt_id=third.pk, reason="Em bấm nhầm nút nộp bài")
    )
    page = open_console(browser, server, day.proctors[0], f"/proctor/rooms/{day.room.pk}/", viewport=PHONE)
    live(page)
    expect(page.locator(f'#reopen-list .reopen-request[data-attempt="{third.pk}"]')).to_be_visible()
    fits(page)
    within_width(page, "#group-actions button, #reopen-requests")
    shot(page, "room-375", full_page=True)
    more(page, first).click()
    within_width(page, "#seat-actions-dialog, #seat-actions-dialog button:visible")
    shot(page, "seat-actions-375")
    page.locator('#seat-actions-dialog [data-action="extend"]').click()
    within_width(page, "#action-dialog, #action-minutes, #action-text, #action-confirm")
    shot(page, "extend-375")
    page.keyboard.press("Escape")
    fits(page)

    board = open_console(browser, server, day.board, f"/board/sittings/{day.sitting.pk}/console/", viewport=PHONE)
    live(board)
    pending = board.locator(f'#reopen-list .reopen-request[data-attempt="{third.pk}"]')
    expect(pending).to_have_attribute("data-status", "pending")
    fits(board)
    within_width(board, "#group-actions button, #reopen-list .reopen-request, #reopen-list button")
    board.locator("#reopen-requests").scroll_into_view_if_needed()
    shot(board, "board-375", full_page=True)
    pending.locator('[data-action="refuse"]').click()
    within_width(board, "#action-dialog, #action-confirm")
    shot(board, "board-refuse-375")
    board.locator("#action-text").fill("Đã hết giờ làm bài của phòng")
    board.locator("#action-confirm").click()
    expect(pending).to_have_attribute("data-status", "refused")
    assert status_of(third) == statuses.SCORED
    clean(page)
    clean(board)
