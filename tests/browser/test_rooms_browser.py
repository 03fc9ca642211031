"""Computer rooms and a sitting split over them, in Debian's Chromium (issue 10, point 1).

A school's administrator draws a lab on the seat map editor (an aisle by clicking, a spare
seat with the keyboard), is told which network range is wrong, saves, finds it listed with
its capacity, edits and deletes rooms; on a 375 px phone the page still fits. The exam board
then opens the sitting's page, is told when the chosen room is too small, chooses a lab and
two proctors, places the ten candidates and sees each one's seat and test code and the room's
access code; once check-in has begun, placing again is refused with the server's message.
The words are looked up by ids and data attributes, so the tests hold in either language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import Role, User
from assess import test_codes
from assess.models import Attempt, Sitting
from proctoring import services
from proctoring.models import Room, SittingRoom
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_sitting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/rooms-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@dataclass(frozen=True)
class Lab:
    sitting: Sitting
    keeper: User  # the school's administrator
    board: User  # the sitting's creator
    proctors: list[User]
    small: Room | None  # 2 x 3: six seats for ten candidates
    large: Room | None  # 3 x 5, an aisle down column 3, C5 spare: eleven seats


def _lab(*, with_rooms: bool) -> Lab:
    # Opening in an hour: the test codes are made before it opens (a form is locked once one has).
    now = timezone.now()
    sitting = make_sitting(n_students=10, opens_at=now + timedelta(hours=1), closes_at=now + timedelta(hours=4))
    school = sitting.organisation
    keeper = make_user(Role.SCHOOL_ADMIN, school)
    proctors = [make_user(Role.PROCTOR, school, first_name=f"Giám thị {n}", last_name="Trần") for n in (1, 2, 3)]
    small = large = None
    if with_rooms:
        test_codes.codes_generate(by=sitting.created_by, form_id=sitting.form_id, count=4, first="201")
        small = services.room_save(
            by=keeper, organisation_id=school.pk, spec=services.RoomSpec(name="Phòng nhỏ", rows=2, columns=3)
        )
        large = services.room_save(
            by=keeper,
            organisation_id=school.pk,
            spec=services.RoomSpec(
                name="Phòng máy 1",
                rows=3,
                columns=5,
                networks=("10.1.2.0/24",),
                missing=("A3", "B3", "C3"),
                spares=("C5",),
            ),
        )
    return Lab(sitting, keeper, sitting.created_by, proctors, small, large)


@pytest.fixture
def empty_lab(transactional_db) -> Lab:
    return _lab(with_rooms=False)


@pytest.fixture
def lab(transactional_db) -> Lab:
    return _lab(with_rooms=True)


def _open(browser, pages, viewport):  # noqa: F811
    page = new_page(browser, locale="vi-VN", viewport=viewport)
    pages.append(page)
    return page


def _fits(page, selector: str = "body") -> None:
    """Nothing in ``selector`` reaches past the viewport's right edge (no sideways scrolling)."""
    right = page.evaluate(
        "(selector) => Math.max(...Array.from(document.querySelectorAll(selector + ', ' + selector + ' *'))"
        ".map((node) => node.getBoundingClientRect().right))",
        selector,
    )
    wide = page.evaluate(
        "([selector, width]) => Array.from(document.querySelectorAll(selector + ' *'))"
        ".filter((node) => node.getBoundingClientRect().right > width).slice(0, 5)"
        ".map((node) => node.tagName + '.' + node.className + ' ' + Math.round(node.getBoundingClientRect().right))",
        [selector, page.viewport_size["width"]],
    )
    assert right <= page.viewport_size["width"], (right, wide)
    if selector == "body":
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= page.viewport_size["width"], width


def test_a_school_administrator_draws_edits_and_deletes_rooms(empty_lab, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    page = _open(browser, pages, WIDE)
    log_in(page, server, empty_lab.keeper.username)
    page.click('[data-testid="nav-rooms"]')
    expect(page).to_have_url(f"{server}/rooms/")
    expect(page.locator('[data-testid="rooms"]')).to_have_attribute("aria-busy", "false")
    expect(page.locator("#rooms-body tr[data-room]")).to_have_count(0)
    expect(page.locator("#room-school")).to_have_count(0)  # their own school, not chosen

    page.click('[data-testid="room-new"]')
    page.fill("#room-name", "Phòng máy 1")
    page.fill("#room-rows", "3")
    page.fill("#room-columns", "5")
    grid = page.locator('[data-testid="seat-grid"]')
    expect(grid.locator("button[data-cell]")).to_have_count(15)
    # An aisle down the middle: each cell clicked twice (seat -> spare -> no seat).
    for label in ("A3", "B3", "C3"):
        grid.locator(f'[data-cell="{label}"]').click()
        grid.locator(f'[data-cell="{label}"]').click()
        expect(grid.locator(f'[data-cell="{label}"]')).to_have_attribute("data-state", "missing")
    # A spare seat at the back, with the keyboard: one tab stop, arrow keys, Space.
    grid.locator('[data-cell="A1"]').focus()
    for key in ("ArrowRight",) * 4 + ("ArrowDown",) * 2:
        page.keyboard.press(key)
    expect(grid.locator('[data-cell="C5"]')).to_be_focused()
    expect(grid.locator('[tabindex="0"]')).to_have_count(1)
    page.keyboard.press("Space")
    spare = grid.locator('[data-cell="C5"]')
    expect(spare).to_have_attribute("data-state", "spare")
    expect(spare).to_have_attribute("aria-label", re.compile(r"^C5, "))

    def named_state(label: str) -> str:  # each cell's accessible name says its label, then its state
        return grid.locator(f'[data-cell="{label}"]').get_attribute("aria-label").split(", ", 1)[1]

    assert len({named_state("C4"), named_state("C5"), named_state("B3")}) == 3
    expect(page.locator('[data-testid="seat-counts"]')).to_have_attribute("data-capacity", "11")

    # A wrong network range: the server's message next to the field, nothing saved.
    page.fill("#room-networks", "10.1.2.0/24\n10.1.3.300/24")
    page.click('[data-testid="room-save"]')
    networks = page.locator('[data-field="networks"]')
    expect(networks.locator(".field-error")).to_contain_text("10.1.3.300/24")
    expect(page.locator("#room-networks")).to_have_attribute("aria-invalid", "true")
    assert in_db_thread(lambda: Room.objects.count()) == 0
    page.screenshot(path=str(SHOTS / "rooms_editor_error_1366.png"), full_page=True)

    page.fill("#room-networks", "10.1.2.0/24")
    page.click('[data-testid="room-save"]')
    expect(page.locator("#room-editor")).to_be_hidden()
    row = page.locator("#rooms-body tr[data-room]")
    expect(row).to_have_count(1)
    expect(row.locator('[data-testid="room-name"]')).to_have_text("Phòng máy 1")
    expect(row.locator("[data-capacity]")).to_have_attribute("data-capacity", "11")
    expect(row.locator("[data-spares]")).to_have_attribute("data-spares", "1")
    room = in_db_thread(lambda: Room.objects.get())
    assert room.organisation_id == empty_lab.sitting.organisation_id and room.networks == ["10.1.2.0/24"]
    assert in_db_thread(lambda: sorted(s.label for s in room.seats.filter(spare=True))) == ["C5"]
    page.screenshot(path=str(SHOTS / "rooms_list_1366.png"), full_page=True)

    # Edited: the aisle's front cell becomes a seat again, and the room needs three proctors.
    row.locator('[data-action="edit"]').click()
    expect(page.locator("#room-name")).to_have_value("Phòng máy 1")
    expect(grid.locator('[data-cell="B3"]')).to_have_attribute("data-state", "missing")
    expect(grid.locator('[data-cell="C5"]')).to_have_attribute("data-state", "spare")
    grid.locator('[data-cell="A3"]').click()
    expect(grid.locator('[data-cell="A3"]')).to_have_attribute("data-state", "seat")
    page.fill("#room-proctors", "3")
    page.screenshot(path=str(SHOTS / "rooms_editor_1366.png"), full_page=True)
    page.click('[data-testid="room-save"]')
    expect(row.locator("[data-capacity]")).to_have_attribute("data-capacity", "12")
    assert in_db_thread(lambda: Room.objects.get().proctors_needed) == 3

    # A second room, deleted again.
    page.click('[data-testid="room-new"]')
    page.fill("#room-name", "Phòng tạm")
    page.fill("#room-rows", "1")
    page.fill("#room-columns", "2")
    page.click('[data-testid="room-save"]')
    expect(page.locator("#rooms-body tr[data-room]")).to_have_count(2)
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#rooms-body tr[data-room]", has_text="Phòng tạm").locator('[data-action="delete"]').click()
    expect(page.locator("#rooms-body tr[data-room]")).to_have_count(1)
    assert in_db_thread(lambda: list(Room.objects.values_list("name", flat=True))) == ["Phòng máy 1"]

    phone = _open(browser, pages, PHONE)
    log_in(phone, server, empty_lab.keeper.username)
    phone.goto(f"{server}/rooms/")
    expect(phone.locator("#rooms-body tr[data-room]")).to_have_count(1)
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "rooms_list_375.png"), full_page=True)
    phone.locator('#rooms-body [data-action="edit"]').click()
    expect(phone.locator('[data-testid="seat-grid"] button[data-cell]')).to_have_count(15)
    _fits(phone)
    phone.screenshot(path=str(SHOTS / "rooms_editor_375.png"), full_page=True)
    # A wide lab scrolls inside its map; the page itself does not scroll sideways.
    phone.fill("#room-columns", "12")
    expect(phone.locator('[data-testid="seat-grid"] button[data-cell]')).to_have_count(36)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], width


def test_the_board_places_a_sitting_in_a_room_with_two_proctors(lab, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    page = _open(browser, pages, WIDE)
    log_in(page, server, lab.board.username)
    page.goto(f"{server}/board/sittings/{lab.sitting.pk}/")
    section = page.locator('[data-testid="sitting-rooms"]')
    expect(section).to_be_visible()
    expect(page.locator("#plan-room option[value]:not([value=''])")).to_have_count(2)
    expect(page.locator('[data-testid="rooms-status"]')).to_have_attribute("data-unplaced", "10")

    # The small room alone: the server's shortfall (ten candidates, six seats) shows.
    page.select_option('[data-testid="plan-room"]', str(lab.small.pk))
    page.click('[data-testid="plan-room-add"]')
    small = page.locator(f'#plan-list li[data-room="{lab.small.pk}"]')
    expect(small.locator('[data-warn="proctors"]')).to_be_visible()
    expect(page.locator('[data-testid="plan-seats"]')).to_have_attribute("data-seats", "6")
    page.click('[data-testid="rooms-place"]')
    shortfall = page.locator('[data-testid="plan-errors"] .field-error')
    expect(shortfall).to_be_visible()
    expect(shortfall).to_contain_text("10")
    expect(shortfall).to_contain_text("6")
    assert in_db_thread(lambda: SittingRoom.objects.count()) == 0
    page.screenshot(path=str(SHOTS / "board_shortfall_1366.png"), full_page=True)

    # The lab instead, with two proctors; a proctor named there is not offered for another room.
    small.locator('[data-move="remove"]').click()
    page.select_option('[data-testid="plan-room"]', str(lab.large.pk))
    page.click('[data-testid="plan-room-add"]')
    large = page.locator(f'#plan-list li[data-room="{lab.large.pk}"]')
    for proctor in lab.proctors[:2]:
        large.locator("select").select_option(str(proctor.pk))
        large.locator("[data-add-proctor]").click()
        expect(large.locator(f'[data-proctor="{proctor.pk}"]')).to_be_visible()
    expect(large.locator('[data-warn="proctors"]')).to_have_count(0)
    page.select_option('[data-testid="plan-room"]', str(lab.small.pk))
    page.click('[data-testid="plan-room-add"]')
    offered = page.locator(f'#plan-list li[data-room="{lab.small.pk}"] select option')
    expect(offered).to_have_count(2)  # the prompt and the third proctor
    page.locator(f'#plan-list li[data-room="{lab.small.pk}"] [data-move="remove"]').click()
    expect(page.locator("#plan-list > li")).to_have_count(1)

    page.click('[data-testid="rooms-place"]')
    result = page.locator(f'[data-testid="rooms-result"] article[data-room="{lab.large.pk}"]')
    expect(result.locator(".seat-map .map-taken")).to_have_count(10)
    code = result.locator('[data-testid="access-code"]')
    expect(code).to_have_text(re.compile(r"^\d{6}$"))
    expect(page.locator('[data-testid="rooms-status"]')).to_have_attribute("data-unplaced", "0")
    spare_seat = result.locator('.seat-map [data-seat="C5"]')
    expect(spare_seat).to_have_class(re.compile(r"\bmap-spare\b"))
    expect(spare_seat).not_to_have_attribute("data-attempt", re.compile(".*"))
    expect(result.locator(".seat-map .map-taken[data-code]")).to_have_count(10)
    # Four test codes dealt: left and right neighbours on the map never share one.
    shown = dict(
        zip(
            result.locator(".seat-map .map-taken").evaluate_all("cells => cells.map(c => c.dataset.seat)"),
            result.locator(".seat-map .map-taken").evaluate_all("cells => cells.map(c => c.dataset.code)"),
            strict=True,
        )
    )
    assert set(shown.values()) <= {"201", "202", "203", "204"} and len(set(shown.values())) > 1
    assert all(shown[f"{row}1"] != shown[f"{row}2"] for row in "ABC")

    def placed():
        room = SittingRoom.objects.get(sitting=lab.sitting)
        seats = dict(Attempt.objects.filter(room=room).values_list("pk", "seat__row"))
        return room.access_code, sorted(room.proctors.values_list("pk", flat=True)), len(seats)

    access_code, proctor_ids, seated = in_db_thread(placed)
    expect(code).to_have_text(access_code)
    assert proctor_ids == sorted(p.pk for p in lab.proctors[:2]) and seated == 10
    first = in_db_thread(lambda: Attempt.objects.filter(sitting=lab.sitting).select_related("seat", "student").first())
    cell = result.locator(f'.seat-map [data-seat="{first.seat.label}"]')
    expect(cell).to_have_attribute("data-attempt", str(first.pk))
    expect(cell.locator(".map-name")).to_have_text(first.student.get_full_name() or first.student.username)
    page.screenshot(path=str(SHOTS / "board_placed_1366.png"), full_page=True)

    # Once a candidate is checked in, placing again is refused with the server's message.
    in_db_thread(lambda: services.attempt_check_in(by=lab.board, attempt_id=first.pk))
    page.click('[data-testid="rooms-place"]')
    expect(page.locator('[data-testid="plan-sitting-errors"] .field-error')).to_be_visible()
    expect(result.locator(".seat-map .map-taken")).to_have_count(10)
    page.screenshot(path=str(SHOTS / "board_refused_1366.png"), full_page=True)

    phone = _open(browser, pages, PHONE)
    log_in(phone, server, lab.board.username)
    phone.goto(f"{server}/board/sittings/{lab.sitting.pk}/")
    on_phone = phone.locator(f'[data-testid="rooms-result"] article[data-room="{lab.large.pk}"]')
    expect(on_phone.locator(".seat-list li")).to_have_count(10)
    expect(on_phone.locator(".seat-list")).to_be_visible()
    expect(on_phone.locator(".seat-map")).to_be_hidden()
    expect(on_phone.locator('[data-testid="access-code"]')).to_have_text(access_code)
    expect(phone.locator(f'#plan-list li[data-room="{lab.large.pk}"] [data-proctor]')).to_have_count(2)
    # The section fits (the results table above it is the page's own, wider than a phone).
    _fits(phone, '[data-testid="sitting-rooms"]')
    phone.screenshot(path=str(SHOTS / "board_placed_375.png"), full_page=True)
