"""The proctors' live console and the board's, in Debian's Chromium, at 1366x768 and on a 375 px
phone (issue 10, point 5).

A sitting is placed in one lab through the services (a grid of 2 x 4 with a gap at B2 and a
spare seat at B4; any address may start: ``networks=()``); a proctor checks a candidate in from
the page, a real student page connects, the room is started together from the page, answers
and flags count on the card, a network cut shows as "no signal", a closed page as
disconnected. The console's own lost connection greys the states and rebuilds them exactly
from a fresh snapshot; the console's reducer is held to ``proctoring.console.apply``; moves,
refusals and the board's view over the sitting. States are read from data attributes (the
words are Vietnamese, and may not be compiled yet). Screenshots go to ``/tmp/console-shots/``.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from accounts import photos
from accounts.models import Role, User
from assess import events, statuses
from assess.models import Attempt, FormItem, Sitting
from proctoring import console, services
from proctoring.models import SittingRoom
from tests.browser.test_csp_browser import RECORD_VIOLATIONS
from tests.browser.test_exam_browser import (  # noqa: F401  (fixtures)
    Exam,
    browser,
    choose,
    in_db_thread,
    log_in,
    new_page,
    server,
)
from tests.browser.test_exam_day_browser import fits, open_exam, within_width
from tests.browser.test_people_browser import photo_media  # noqa: F401  (fixture)
from tests.factories import make_sitting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/console-shots")
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}
CITIZEN_ID = "001210012345"
# Short rhythms for the tests: the console asks who was heard from every second and calls a
# candidate silent after 3 s; the student page pings every second.
FAST = {"seenMs": 1000, "pingMs": 1000, "staleAfterMs": 3000, "deadAfterMs": 3000}
STUDENT_FAST = {"heartbeatMs": 1000, "deadAfterMs": 4000}


@dataclass(frozen=True)
class Day:
    sitting: Sitting
    room: SittingRoom
    attempts: list[Attempt]  # in seat order: A1, A2, A3
    proctors: list[User]
    board: User
    keys: dict[int, str]


def _portrait() -> bytes:
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (300, 400), (214, 228, 240))
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 60, 210, 210), fill=(222, 184, 150))
    draw.rectangle((50, 260, 250, 400), fill=(40, 70, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


@pytest.fixture
def day(photo_media, transactional_db) -> Day:  # noqa: F811
    sitting = make_sitting(n_items=5, n_students=3)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    lab = services.room_save(
        by=keeper,
        organisation_id=school.pk,
        spec=services.RoomSpec(name="Phòng máy 1", rows=2, columns=4, networks=(), missing=("B2",), spares=("B4",)),
    )
    proctors = [make_user(Role.PROCTOR, school), make_user(Role.PROCTOR, school)]
    services.sitting_place(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        plan=[services.RoomPlan(room_id=lab.pk, proctor_ids=tuple(p.pk for p in proctors))],
    )
    room = SittingRoom.objects.select_related("room").get(sitting=sitting)
    order = list(
        Attempt.objects.filter(sitting=sitting).order_by("seat__row", "seat__column").values_list("pk", "student")
    )
    # The first logs in (tests.browser.test_exam_browser.log_in finds the username in the top bar):
    # no name, but a photo and a citizen ID; the others have names as long as real ones.
    (_, first), *others = order
    User.objects.filter(pk=first).update(citizen_id=CITIZEN_ID)
    photos.photo_store(by=keeper, user_id=first, data=_portrait())
    for (_, student), (given, family) in zip(others, [("Bình", "Trần Thị"), ("Châu Anh", "Nguyễn Ngọc")], strict=True):
        User.objects.filter(pk=student).update(first_name=given, last_name=family)
    attempts = list(
        Attempt.objects.filter(sitting=sitting).select_related("student", "seat").order_by("seat__row", "seat__column")
    )
    keys = {
        fi.position: fi.item_version.content["key"]
        for fi in FormItem.objects.filter(form_id=attempts[0].form_id).select_related("item_version")
    }
    return Day(sitting, room, attempts, proctors, sitting.created_by, keys)


def shot(page, name: str, *, full_page: bool = False) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def open_console(chromium, base: str, user: User, path: str, *, viewport=DESKTOP, **config):
    """A logged-in page at ``path``; ``config`` overrides the console's (#console-config)."""
    page = new_page(chromium, locale="vi-VN", viewport=viewport)
    page.add_init_script(RECORD_VIOLATIONS)  # the pages run under the site's CSP: no inline script or style
    if config:
        # As the exam-day tests change the runner's: deferred scripts read the changed config.
        page.add_init_script(
            'document.addEventListener("readystatechange", () => {'
            '  if (document.readyState !== "interactive") return;'
            '  const node = document.getElementById("console-config");'
            "  if (!node) return;"
            f"  node.textContent = JSON.stringify(Object.assign(JSON.parse(node.textContent), {json.dumps(config)}));"
            "});"
        )
    log_in(page, base, user.username)
    page.goto(base + path)
    return page


def clean(page) -> None:
    """No script error and no Content-Security-Policy violation on the page."""
    assert page.page_errors == []
    assert page.evaluate("() => window.__violations || []") == []


def live(page) -> None:
    from playwright.sync_api import expect

    expect(page.locator("#console")).to_have_attribute("data-connection", "open")


def card(page, attempt: Attempt):
    return page.locator(f'#seat-map .seat-card[data-attempt="{attempt.pk}"]')


def student_page(chromium, base: str, day: Day, attempt: Attempt, **config):
    exam = Exam(day.sitting, attempt, attempt.student, attempt, attempt.student, day.board, day.keys)
    return open_exam(chromium, base, exam, **{**STUDENT_FAST, **config})


def fresh_snapshot(page, url: str) -> dict:
    """The console's snapshot as the server gives it now, asked by the page (its session)."""
    return page.evaluate(
        "(url) => fetch(url, {credentials: 'same-origin'}).then((r) => r.json())",
        url,
    )


def held_view(page) -> dict:
    view = page.evaluate("JSON.parse(JSON.stringify(window.Console.view()))")
    view.pop("stale", None)
    return view


def assert_view_is_fresh(page, url: str) -> None:
    """Snapshot + every event heard == a fresh snapshot (the rule of tests/proctoring/test_console_events.py)."""
    page.wait_for_timeout(700)  # events of the last action delivered
    fresh = fresh_snapshot(page, url)
    held = held_view(page)
    assert held == {key: fresh[key] for key in ("sitting", "room", "rooms", "attempts", "incidents")}


# --- 1. the room's console, live --------------------------------------------------------------------


def test_a_proctor_checks_in_starts_together_and_follows_the_room_live(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    first, second, third = day.attempts
    proctor = day.proctors[0]
    page = open_console(browser, server, proctor, "/proctor/", **FAST)
    # The rooms one watches; the room's console from there.
    row = page.locator(f'[data-testid="rooms"] tr[data-room="{day.room.pk}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text(day.sitting.title)
    expect(row).to_contain_text("Phòng máy 1")
    expect(page.locator('[data-testid="nav-proctor"]')).to_be_visible()
    shot(page, "rooms-1366")
    row.locator('a[data-action="console"]').click()
    expect(page).to_have_url(f"{server}/proctor/rooms/{day.room.pk}/")
    live(page)

    # The map: row A at the front, 7 seats and a gap, the spare seat drawn as spare.
    expect(page.locator("#access-code")).to_have_text(day.room.access_code)
    expect(page.locator("#seat-map .console-seat")).to_have_count(7)
    expect(page.locator("#seat-map .console-gap")).to_have_count(1)
    labels = page.locator("#seat-map .console-seat").evaluate_all("(cells) => cells.map((c) => c.dataset.seat)")
    assert labels == ["A1", "A2", "A3", "A4", "B1", "B3", "B4"]
    spare = page.locator('#seat-map .console-seat[data-seat="B4"]')
    expect(spare).to_have_attribute("data-spare", "1")
    expect(spare.locator(".seat-empty")).to_be_visible()
    expect(page.locator("#seat-map .seat-card")).to_have_count(3)
    for attempt in day.attempts:
        expect(card(page, attempt)).to_have_attribute("data-state", "not_checked_in")
        expect(card(page, attempt)).to_have_attribute("data-seat", attempt.seat.label)
        expect(card(page, attempt).locator(".seat-name")).to_have_text(
            attempt.student.get_full_name() or attempt.student.username
        )
        expect(card(page, attempt).locator(".state-icon")).to_have_text("○")  # not told by colour alone
    expect(card(page, first).locator(".seat-photo img")).to_have_attribute(
        "src", f"/api/people/{first.student_id}/photo/"
    )
    expect(card(page, first).locator(".seat-photo img")).to_have_attribute("loading", "lazy")
    expect(card(page, second).locator(".seat-photo img")).to_have_count(0)
    expect(card(page, first).locator(".seat-citizen")).to_contain_text(CITIZEN_ID)
    expect(page.locator('#room-opened[data-opened="no"]')).to_be_visible()
    expect(page.locator("#open-actions")).to_be_visible()
    shot(page, "room-before-1366")

    # Check-in: the panel shows what the proctor compares with the identity card.
    card(page, first).locator('[data-action="check-in"]').click()
    dialog = page.locator("#check-in-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#check-in-name")).to_have_text(first.student.username)
    expect(page.locator("#check-in-seat")).to_have_text(first.seat.label)
    expect(page.locator("#check-in-learner")).to_have_text(first.student.learner_id)
    expect(page.locator("#check-in-citizen")).to_have_text(CITIZEN_ID)
    photo = page.locator("#check-in-photo img")
    expect(photo).to_be_visible()
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=photo.element_handle())
    shot(page, "check-in-1366")
    page.locator("#check-in-confirm").click()
    expect(dialog).to_be_hidden()
    expect(card(page, first)).to_have_attribute("data-state", "checked_in")
    expect(card(page, first).locator('[data-action="check-in"]')).to_be_hidden()
    expect(page.locator("#room-notice")).to_be_visible()
    assert in_db_thread(lambda: Attempt.objects.get(pk=first.pk).status) == statuses.CHECKED_IN
    # The second candidate, without a photo: the panel says so.
    card(page, second).locator('[data-action="check-in"]').click()
    expect(page.locator("#check-in-photo.no-photo")).to_be_visible()
    expect(page.locator("#check-in-citizen")).to_have_text("–")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(card(page, second)).to_have_attribute("data-state", "not_checked_in")

    # The candidate opens the exam page: connected, waiting to start, from their address.
    student = student_page(browser, server, day, first)
    expect(card(page, first)).to_have_attribute("data-state", "waiting")
    expect(card(page, first).locator(".fact-ip dd")).to_have_text("127.0.0.1")

    # Start everyone together (after a confirmation): the card turns "answering".
    page.locator("#open-together").click()
    expect(page.locator("#open-dialog")).to_be_visible()
    expect(page.locator("#open-what")).to_contain_text("1")
    shot(page, "open-together-1366")
    page.locator("#open-confirm").click()
    expect(card(page, first)).to_have_attribute("data-state", "answering", timeout=5000)
    expect(page.locator('#room-opened[data-opened="together"]')).to_be_visible()
    expect(page.locator("#open-actions")).to_be_hidden()
    expect(card(page, first).locator(".fact-left dd")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(card(page, second)).to_have_attribute("data-state", "not_checked_in")
    expect(student.locator("#paper")).to_be_visible()

    # Answers and flags count on the card as the candidate gives them.
    expect(card(page, first)).to_have_attribute("data-answered", "0")
    choose(student, 1, day.keys[1])
    expect(card(page, first)).to_have_attribute("data-answered", "1")
    choose(student, 2, "A")
    student.check('input[data-flag="3"]')
    expect(card(page, first)).to_have_attribute("data-answered", "2")
    expect(card(page, first)).to_have_attribute("data-flagged", "1")
    expect(card(page, first).locator(".fact-answered dd")).to_have_text("2/5")
    # The time left ticks.
    shown = card(page, first).locator(".fact-left dd").inner_text()
    page.wait_for_timeout(1500)
    assert card(page, first).locator(".fact-left dd").inner_text() != shown
    shot(page, "room-answering-1366")
    assert_view_is_fresh(page, f"/api/sitting-rooms/{day.room.pk}/console/")

    # The network goes: the socket stays open and silent, only "seen" can tell.
    student.context.set_offline(True)
    expect(card(page, first)).to_have_attribute("data-state", "disconnected", timeout=10_000)
    alert = card(page, first).locator(".seat-alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_text(re.compile(r"\d"))
    expect(card(page, first)).to_have_class(re.compile(r"\bis-silent\b"))
    shot(page, "room-no-signal-1366")
    student.context.set_offline(False)
    expect(card(page, first)).to_have_attribute("data-state", "answering", timeout=20_000)
    expect(alert).to_be_hidden()

    # The page closes: disconnected, and said so.
    student.close()
    expect(card(page, first)).to_have_attribute("data-state", "disconnected", timeout=5000)
    expect(alert).to_be_visible()
    expect(card(page, first)).not_to_have_class(re.compile(r"\bis-silent\b"))
    assert_view_is_fresh(page, f"/api/sitting-rooms/{day.room.pk}/console/")
    shot(page, "room-disconnected-1366", full_page=True)
    clean(page)


# --- 2. the phone: a list ordered by seat ---------------------------------------------------------


def test_on_a_phone_the_map_is_a_list_ordered_by_seat(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    first = day.attempts[0]
    page = open_console(browser, server, day.proctors[0], "/proctor/", viewport=PHONE)
    expect(page.locator(f'[data-testid="rooms"] tr[data-room="{day.room.pk}"]')).to_be_visible()
    fits(page)
    shot(page, "rooms-375", full_page=True)
    page.goto(f"{server}/proctor/rooms/{day.room.pk}/")
    live(page)
    expect(page.locator("#seat-map .seat-card")).to_have_count(3)
    assert page.locator("#seat-map").evaluate("(n) => getComputedStyle(n).flexDirection") == "column"
    expect(page.locator("#seat-map .console-gap").first).to_be_hidden()
    tops = page.locator("#seat-map .console-seat").evaluate_all(
        "(cells) => cells.map((c) => [c.dataset.seat, c.getBoundingClientRect().top])"
    )
    assert [label for label, _ in tops] == ["A1", "A2", "A3", "A4", "B1", "B3", "B4"]
    assert [top for _, top in tops] == sorted(top for _, top in tops)  # one under the other
    fits(page)
    within_width(page, "#seat-map .seat-card, #seat-map .seat-card button, #access-code, #open-together, #open-each")
    shot(page, "room-375", full_page=True)
    card(page, first).locator('[data-action="check-in"]').click()
    expect(page.locator("#check-in-dialog")).to_be_visible()
    within_width(page, "#check-in-dialog, #check-in-confirm, #check-in-photo")
    shot(page, "check-in-375")
    page.locator("#check-in-confirm").click()
    expect(card(page, first)).to_have_attribute("data-state", "checked_in")
    fits(page)
    clean(page)


# --- 3. the console's own connection --------------------------------------------------------------


def test_a_console_that_lost_its_connection_says_so_and_rebuilds_its_state(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    first, second, _third = day.attempts
    proctor = day.proctors[0]
    page = open_console(browser, server, proctor, f"/proctor/rooms/{day.room.pk}/", **FAST)
    live(page)
    expect(card(page, first)).to_have_attribute("data-state", "not_checked_in")
    status = page.locator("#console-status")
    expect(status).to_be_hidden()

    page.context.set_offline(True)
    expect(status).to_be_visible(timeout=8000)
    expect(page.locator("#console")).not_to_have_attribute("data-connection", "open")
    expect(page.locator("#seat-map .seat-card[data-state=unknown]")).to_have_count(3)
    shot(page, "console-offline-1366")
    # Meanwhile the room changes; this console hears none of it.
    in_db_thread(lambda: services.attempt_check_in(by=proctor, attempt_id=first.pk))
    in_db_thread(lambda: services.seat_move(by=proctor, attempt_id=second.pk, seat_label="B4", reason="Máy hỏng"))
    page.wait_for_timeout(1500)
    expect(card(page, first)).to_have_attribute("data-state", "unknown")

    page.context.set_offline(False)
    expect(status).to_be_hidden(timeout=20_000)
    live(page)
    expect(card(page, first)).to_have_attribute("data-state", "checked_in")
    expect(
        page.locator(f'#seat-map .console-seat[data-seat="B4"] .seat-card[data-attempt="{second.pk}"]')
    ).to_be_visible()
    expect(page.locator('#seat-map .console-seat[data-seat="A2"] .seat-empty')).to_be_visible()
    assert_view_is_fresh(page, f"/api/sitting-rooms/{day.room.pk}/console/")
    clean(page)


# --- 4. moves and refusals ------------------------------------------------------------------------


def test_moves_to_a_spare_seat_and_the_refusals_are_shown(day: Day, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    first, second, third = day.attempts
    page = open_console(browser, server, day.proctors[0], f"/proctor/rooms/{day.room.pk}/")
    other = open_console(browser, server, day.proctors[1], f"/proctor/rooms/{day.room.pk}/")
    live(page)
    live(other)

    # Moved to the best free spare seat: the card goes to B4, marked spare, on both consoles.
    card(page, first).locator('[data-action="move"]').click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    options = page.locator("#move-seat option").evaluate_all("(os) => os.map((o) => o.value)")
    assert options[0] == "" and options[1] == "B4"  # the server's choice, then the spare seat first
    seats = {"A1", "A2", "A3", "A4", "B1", "B3", "B4"}
    assert set(options[1:]) == seats - {a.seat.label for a in day.attempts}
    page.locator("#move-reason").fill("Máy hỏng")
    shot(page, "move-1366")
    page.locator("#move-confirm").click()
    expect(dialog).to_be_hidden()
    for console_page in (page, other):
        moved = console_page.locator(f'#seat-map .console-seat[data-seat="B4"] .seat-card[data-attempt="{first.pk}"]')
        expect(moved).to_be_visible()
        expect(moved.locator(".seat-tag")).to_be_visible()
        expect(
            console_page.locator(f'#seat-map .console-seat[data-seat="{first.seat.label}"] .seat-empty')
        ).to_be_visible()
    assert in_db_thread(lambda: Attempt.objects.select_related("seat").get(pk=first.pk).seat.label) == "B4"

    # A seat taken meanwhile (by the other proctor): the server's refusal is shown in the panel.
    free = sorted(seats - {"B4", second.seat.label, third.seat.label})[0]
    card(page, second).locator('[data-action="move"]').click()
    page.locator("#move-seat").select_option(free)
    in_db_thread(lambda: services.seat_move(by=day.proctors[1], attempt_id=third.pk, seat_label=free))
    page.locator("#move-confirm").click()
    error = page.locator("#move-dialog [data-error]")
    expect(error).to_be_visible()
    expect(error).to_contain_text(free)
    expect(dialog).to_be_visible()
    shot(page, "move-refused-1366")
    page.keyboard.press("Escape")

    # Two proctors open the room at once: one wins, the other is told who opened it and how.
    other.locator("#open-together").click()
    expect(other.locator("#open-dialog")).to_be_visible()
    page.locator("#open-each").click()
    page.locator("#open-confirm").click()
    expect(page.locator('#room-opened[data-opened="each"]')).to_be_visible()
    expect(other.locator('#room-opened[data-opened="each"]')).to_be_visible()
    other.locator("#open-confirm").click()
    notice = other.locator("#room-notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("role", "alert")
    expect(notice).to_contain_text(day.proctors[0].get_full_name() or day.proctors[0].username)
    expect(other.locator("#open-actions")).to_be_hidden()
    shot(other, "open-refused-1366")
    clean(page)
    clean(other)


# --- 5. the board's console over the sitting ------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "375"])
def test_the_board_follows_every_room_of_the_sitting(day: Day, server: str, browser, viewport) -> None:  # noqa: F811
    from playwright.sync_api import expect

    size = viewport["width"]
    first, second, third = day.attempts
    board = open_console(browser, server, day.board, f"/board/sittings/{day.sitting.pk}/", viewport=viewport, **FAST)
    board.locator('[data-testid="board-console-link"]').click()
    expect(board).to_have_url(f"{server}/board/sittings/{day.sitting.pk}/console/")
    live(board)
    line = board.locator(f'#rooms-summary .room-line[data-room="{day.room.pk}"]')
    expect(line).to_be_visible()
    expect(line).to_have_attribute("data-opened", "0")
    expect(line.locator(".room-line-name")).to_have_attribute("href", f"/proctor/rooms/{day.room.pk}/")
    expect(line.locator('.state-count[data-state="not_checked_in"]')).to_have_attribute("data-count", "3")
    rows = board.locator("#candidates-body tr.candidate-row")
    expect(rows).to_have_count(3)
    seats = rows.evaluate_all("(rs) => rs.map((r) => r.querySelector('.col-seat').textContent)")
    assert seats == [a.seat.label for a in day.attempts]

    # A proctor checks one in, the candidate connects and the room opens: the board sees it.
    proctor = open_console(browser, server, day.proctors[0], f"/proctor/rooms/{day.room.pk}/")
    live(proctor)
    card(proctor, first).locator('[data-action="check-in"]').click()
    proctor.locator("#check-in-confirm").click()
    row = board.locator(f'#candidates-body tr[data-attempt="{first.pk}"]')
    expect(row).to_have_attribute("data-state", "checked_in")
    expect(line.locator('.state-count[data-state="checked_in"]')).to_have_attribute("data-count", "1")
    expect(line.locator('.state-count[data-state="not_checked_in"]')).to_have_attribute("data-count", "2")
    student = student_page(browser, server, day, first)
    expect(row).to_have_attribute("data-state", "waiting")
    proctor.locator("#open-together").click()
    proctor.locator("#open-confirm").click()
    expect(row).to_have_attribute("data-state", "answering")
    expect(line).to_have_attribute("data-opened", "1")
    choose(student, 1, "A")
    expect(row).to_have_attribute("data-answered", "1")
    expect(row.locator(".col-ip")).to_have_text("127.0.0.1")
    expect(row.locator(".col-left")).to_have_text(re.compile(r"^\d\d:\d\d$"))

    # The filter by state.
    board.locator("#state-filter").select_option("answering")
    expect(board.locator("#candidates-body tr.candidate-row:visible")).to_have_count(1)
    board.locator("#state-filter").select_option("not_checked_in")
    expect(board.locator("#candidates-body tr.candidate-row:visible")).to_have_count(2)
    expect(board.locator(f'#candidates-body tr[data-attempt="{third.pk}"]')).to_be_visible()
    board.locator("#state-filter").select_option("paused")
    expect(board.locator("#candidates-body tr.candidate-row:visible")).to_have_count(0)
    expect(board.locator("#no-candidates")).to_be_visible()
    board.locator("#state-filter").select_option("")
    expect(board.locator("#candidates-body tr.candidate-row:visible")).to_have_count(3)
    assert_view_is_fresh(board, f"/api/sittings/{day.sitting.pk}/console/")
    if size == PHONE["width"]:
        fits(board)
        within_width(board, "#rooms-summary .room-line, #candidates-body tr.candidate-row, #state-filter")
    shot(board, f"board-{size}", full_page=True)
    student.close()
    clean(board)
    clean(proctor)


# --- 5b. incidents and integrity alerts --------------------------------------------------------------


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "375"])
def test_incidents_are_logged_confirmed_and_shown_live(day: Day, server: str, browser, viewport) -> None:  # noqa: F811
    from playwright.sync_api import expect

    from assess import protocol
    from assess import services as delivery

    size = viewport["width"]
    first, second, _third = day.attempts
    proctor = day.proctors[0]

    def start_all() -> None:
        for attempt in day.attempts:
            services.attempt_check_in(by=proctor, attempt_id=attempt.pk)
        services.room_open(by=proctor, sitting_room_id=day.room.pk, together=True)
        token = delivery.attempt_connect(attempt_id=second.pk, user=second.student).token
        for _n in range(3):  # the page left three times: an integrity alert
            message = protocol.Integrity("focus_loss", 4000)
            reply = delivery.attempt_message(attempt_id=second.pk, user=second.student, token=token, message=message)
            for event in reply.events:
                events.send(event)

    # Made before the page opens: the server runs in a process of its own, its events reach the
    # page only from there (without Redis), so the page reads these in its snapshot.
    in_db_thread(start_all)
    page = open_console(browser, server, proctor, f"/proctor/rooms/{day.room.pk}/", viewport=viewport)
    live(page)
    expect(page.locator("#incidents-none")).to_be_hidden()
    expect(card(page, second)).to_have_attribute("data-incidents", "1")
    expect(card(page, second).locator(".seat-flags")).to_be_visible()
    expect(card(page, second).locator(".seat-integrity")).to_contain_text("3×")
    expect(page.locator('#incident-list .incident[data-kind="integrity"]')).to_have_attribute("data-status", "open")

    # The whole room lost the power for 6 minutes: logged from the panel, confirmed, given back.
    page.locator("#incident-new").click()
    expect(page.locator("#incident-dialog")).to_be_visible()
    page.locator("#incident-who").select_option("")
    page.locator("#incident-kind").select_option("power")
    page.locator("#incident-minutes").fill("6")
    page.locator("#incident-description").fill("Mất điện cả dãy nhà A")
    if size == PHONE["width"]:
        within_width(page, "#incident-dialog, #incident-save")
    shot(page, f"incident-log-{size}")
    page.locator("#incident-save").click()
    expect(page.locator("#incident-dialog")).to_be_hidden()
    power = page.locator('#incident-list .incident[data-kind="power"]')
    expect(power).to_have_attribute("data-status", "open")
    expect(power).to_contain_text("Mất điện cả dãy nhà A")
    before = in_db_thread(lambda: Attempt.objects.get(pk=first.pk).deadline)
    power.locator('[data-action="confirm"]').click()
    expect(page.locator("#decide-minutes")).to_have_value("6")
    page.locator("#decide-save").click()
    expect(power).to_have_attribute("data-status", "confirmed")
    expect(page.locator("#incidents-notice")).to_contain_text("6")
    after = in_db_thread(lambda: Attempt.objects.get(pk=first.pk).deadline)
    assert (after - before).total_seconds() == 360
    # The integrity alert dismissed, with a reason; a seat's own "Incident…" opens the log for it.
    alert = page.locator('#incident-list .incident[data-kind="integrity"]')
    alert.locator('[data-action="dismiss"]').click()
    page.locator("#decide-save").click()
    expect(page.locator("#decide-dialog [data-error]")).to_be_visible()  # a reason is needed
    page.locator("#decide-note").fill("Máy bật thông báo cập nhật")
    page.locator("#decide-save").click()
    expect(alert).to_have_attribute("data-status", "dismissed")
    expect(card(page, second)).to_have_attribute("data-incidents", "0")
    expect(page.locator("#room-report")).to_have_attribute("href", f"/api/sitting-rooms/{day.room.pk}/report.pdf")
    assert_view_is_fresh(page, f"/api/sitting-rooms/{day.room.pk}/console/")
    if size == PHONE["width"]:
        fits(page)
        within_width(page, "#incidents, #incident-list .incident, #incident-new, #room-report")
    page.locator("#incidents").scroll_into_view_if_needed()
    shot(page, f"incidents-{size}", full_page=True)

    # The board sees them and the rooms' reports.
    board = open_console(browser, server, day.board, f"/board/sittings/{day.sitting.pk}/console/", viewport=viewport)
    live(board)
    expect(board.locator("#incident-list .incident")).to_have_count(2)
    expect(board.locator(f'#report-links a[data-room="{day.room.pk}"]')).to_have_text("Phòng máy 1")
    # A seat's own "Incident…" logs one for that candidate: the board hears it at once.
    card(page, first).locator('[data-action="incident"]').click()
    expect(page.locator("#incident-who")).to_have_value(str(first.pk))
    page.locator("#incident-kind").select_option("illness")
    page.locator("#incident-description").fill("Đau bụng")
    page.locator("#incident-save").click()
    expect(card(page, first)).to_have_attribute("data-incidents", "1")
    expect(board.locator(f'#candidates-body tr[data-attempt="{first.pk}"]')).to_have_attribute("data-incidents", "1")
    expect(board.locator('#incident-list .incident[data-kind="illness"]')).to_have_attribute("data-status", "open")
    assert_view_is_fresh(board, f"/api/sittings/{day.sitting.pk}/console/")
    if size == PHONE["width"]:
        fits(board)
    shot(board, f"board-incidents-{size}", full_page=True)
    clean(page)
    clean(board)


# --- 6. the script's reducer is proctoring.console.apply -----------------------------------------


def _random_events(rng: random.Random, n: int) -> list[dict]:
    """Wire events of every kind the consoles hear, over known and unknown attempts and rooms."""
    stamps = [f"2026-12-01T08:{m:02d}:00+00:00" for m in range(60)]
    made = []
    for _ in range(n):
        kind = rng.choice(
            ["status", "answer", "presence", "seated", "room_opened", "takeover", "integrity", "incident"]
        )
        room = rng.choice([5, 5, 6, 7, None])
        base = {"kind": kind, "sitting": 1, "room": room}
        attempt = rng.choice([1, 2, 3, 4])
        if kind == "room_opened":
            base.update(room=rng.choice([5, 6, 7]), opened_at=rng.choice(stamps), together=rng.random() < 0.5)
        elif kind == "status":
            status = rng.choice(["scheduled", "checked_in", "in_progress", "paused", "submitted", "voided"])
            base.update(
                attempt=attempt,
                status=status,
                deadline=rng.choice([None, *stamps[:3]]),
                paused_remaining_ms=rng.choice([None, 0, 61_000]),
                submit_reason=rng.choice([None, "student", "deadline"]),
                connection=rng.choice([None, "t1"]),
            )
        elif kind == "answer":
            base.update(
                attempt=attempt,
                item=rng.randint(1, 5),
                answered=rng.choice([True, False, None]),
                flagged=rng.choice([True, False, None]),
                at=rng.choice(stamps),
            )
        elif kind == "presence":
            base.update(
                attempt=attempt,
                connected=rng.random() < 0.5,
                token=rng.choice(["t1", "t2", "t3"]),
                ip=rng.choice([None, "10.1.2.9"]),
                at=rng.choice(stamps),
            )
        elif kind == "seated":
            label = rng.choice([None, "A1", "B4"])
            base.update(
                attempt=attempt,
                from_room=rng.choice([5, 6, None]),
                seat=label,
                row=None if label is None else (1 if label[0] == "A" else 2),
                column=None if label is None else int(label[1:]),
            )
        elif kind == "integrity":
            base.update(attempt=attempt, counts={"focus_loss": rng.randint(1, 4)}, focus_ms=rng.randint(0, 9000))
        elif kind == "incident":
            incident_room = rng.choice([5, 6, None])
            base.update(
                room=incident_room,
                incident={
                    "id": rng.randint(1, 6),
                    "attempt": rng.choice([1, 2, 3, None]) if incident_room is not None else attempt,
                    "room": incident_room,
                    "kind": rng.choice(["power", "illness", "integrity"]),
                    "status": rng.choice(["open", "open", "confirmed", "dismissed"]),
                    "description": "Mất điện",
                    "detail": {},
                    "time_lost": 5,
                    "minutes_given": 0,
                    "reported_at": rng.choice(stamps[:4]),
                    "reported_by": None,
                    "decided_at": None,
                    "decided_by": None,
                    "note": "",
                },
            )
        else:
            base.update(attempt=attempt, token=rng.choice(["t1", "t2"]))
        made.append(base)
    return made


def _view(room: int | None) -> dict:
    def row(attempt: int, room_id: int) -> dict:
        return {
            "attempt": attempt,
            "student": {"username": f"hs{attempt}", "name": f"Học sinh {attempt}", "learner_id": f"HS{attempt}"},
            "room": room_id,
            "seat": {"label": f"A{attempt}", "row": 1, "column": attempt},
            "status": "scheduled",
            "deadline": None,
            "paused_remaining_ms": None,
            "submit_reason": None,
            "items": 5,
            "answered": [2, 4],
            "flagged": [],
            "last_answer_at": None,
            "connection": None,
            "integrity": None,
            "incidents": {"open": 0, "kinds": []},
        }

    rooms = {"5": {"name": "P1", "opened_at": None, "together": False}}
    attempts = {"1": row(1, 5), "2": row(2, 5)}
    if room is None:
        rooms["6"] = {"name": "P2", "opened_at": None, "together": False}
        attempts["3"] = row(3, 6)
    return {"sitting": 1, "room": room, "rooms": rooms, "attempts": attempts, "incidents": {}}


def test_the_consoles_reducer_applies_events_as_proctoring_console_apply_does(day: Day, server: str, browser) -> None:  # noqa: F811
    page = open_console(browser, server, day.proctors[0], f"/proctor/rooms/{day.room.pk}/")
    live(page)
    rng = random.Random(20261201)
    for room in (5, None):
        for _ in range(12):
            sequence = _random_events(rng, 40)
            expected = []
            view = _view(room)
            for wire in sequence:
                console.apply(view, events.from_wire(json.loads(json.dumps(wire))))
                expected.append(json.loads(json.dumps(view)))
            got = page.evaluate(
                """([view, sequence]) => sequence.map((event) => {
                    window.Console.apply(view, event);
                    return JSON.parse(JSON.stringify(view));
                })""",
                [_view(room), sequence],
            )
            for n, (mine, theirs) in enumerate(zip(got, expected, strict=True)):
                assert mine == theirs, (room, n, sequence[: n + 1])
    clean(page)


# --- 7. placed again: candidates moved between rooms ------------------------------------------


@dataclass(frozen=True)
class TwoRooms:
    sitting: Sitting
    first: SittingRoom  # a row of 3 seats: 3 candidates at first
    second: SittingRoom  # 2 x 2 seats: the fourth at first, all four after placing again
    proctors: list[User]  # one a room


@pytest.fixture
def two_rooms(transactional_db) -> TwoRooms:
    sitting = make_sitting(n_students=4)
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    labs = [
        services.room_save(by=keeper, organisation_id=school.pk, spec=services.RoomSpec(name="P1", rows=1, columns=3)),
        services.room_save(by=keeper, organisation_id=school.pk, spec=services.RoomSpec(name="P2", rows=2, columns=2)),
    ]
    proctors = [make_user(Role.PROCTOR, school), make_user(Role.PROCTOR, school)]
    services.sitting_place(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        plan=[services.RoomPlan(room_id=lab.pk, proctor_ids=(p.pk,)) for lab, p in zip(labs, proctors, strict=True)],
    )
    first, second = (SittingRoom.objects.get(sitting=sitting, room=lab) for lab in labs)
    return TwoRooms(sitting, first, second, proctors)


def place_again(page, rooms: TwoRooms) -> None:
    """The board places the sitting again, the second room first: all four go there."""
    plan = {
        "rooms": [
            {"room": rooms.second.room_id, "proctors": [rooms.proctors[1].pk]},
            {"room": rooms.first.room_id, "proctors": [rooms.proctors[0].pk]},
        ]
    }
    status = page.evaluate(
        """([url, body]) => fetch(url, {method: 'PUT', credentials: 'same-origin', body: JSON.stringify(body),
              headers: {'Content-Type': 'application/json',
                        'X-CSRFToken': document.cookie.match(/csrftoken=([^;]+)/)[1]}}).then((r) => r.status)""",
        [f"/api/sittings/{rooms.sitting.pk}/rooms/", plan],
    )
    assert status == 200


def test_candidates_placed_again_into_a_room_appear_on_its_console(two_rooms: TwoRooms, server: str, browser) -> None:  # noqa: F811
    """Seated events naming candidates this console does not know make it read the room again
    (a snapshot and the people), as ``proctoring.console.apply`` says."""
    from playwright.sync_api import expect

    board = open_console(
        browser, server, two_rooms.sitting.created_by, f"/board/sittings/{two_rooms.sitting.pk}/console/"
    )
    live(board)
    page = open_console(browser, server, two_rooms.proctors[1], f"/proctor/rooms/{two_rooms.second.pk}/")
    live(page)
    expect(page.locator("#seat-map .seat-card")).to_have_count(1)
    place_again(board, two_rooms)
    expect(page.locator("#seat-map .seat-card")).to_have_count(4)
    names = in_db_thread(
        lambda: {
            str(a.pk): (a.student.get_full_name() or a.student.username, a.seat.label, a.form.code)
            for a in Attempt.objects.filter(room=two_rooms.second).select_related("student", "seat", "form")
        }
    )
    for attempt, (name, seat, code) in names.items():
        shown = page.locator(f'#seat-map .console-seat[data-seat="{seat}"] .seat-card[data-attempt="{attempt}"]')
        expect(shown.locator(".seat-name")).to_have_text(name)
        expect(shown.locator(".seat-code")).to_contain_text(code)
    assert_view_is_fresh(page, f"/api/sitting-rooms/{two_rooms.second.pk}/console/")
    # The board's console follows too: every candidate in the second room now.
    expect(board.locator("#candidates-body tr.candidate-row")).to_have_count(4)
    expect(
        board.locator(f'#rooms-summary .room-line[data-room="{two_rooms.second.pk}"] .room-line-total')
    ).to_contain_text("4")
    assert_view_is_fresh(board, f"/api/sittings/{two_rooms.sitting.pk}/console/")
    clean(page)
    clean(board)


def test_candidates_placed_again_out_of_a_room_leave_its_console(two_rooms: TwoRooms, server: str, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    board = open_console(
        browser, server, two_rooms.sitting.created_by, f"/board/sittings/{two_rooms.sitting.pk}/console/"
    )
    page = open_console(browser, server, two_rooms.proctors[0], f"/proctor/rooms/{two_rooms.first.pk}/")
    live(page)
    expect(page.locator("#seat-map .seat-card")).to_have_count(3)
    place_again(board, two_rooms)
    expect(page.locator("#seat-map .seat-card")).to_have_count(0, timeout=5000)
