"""The author's section editor and the board's accommodations, in Debian's Chromium.

The author gives an assessment's first part a time limit, linear navigation and a break after
it, is told next to the field when a limit is too long, and finds the values again after a
reload. The board gives one candidate ×1.5 with larger text and a separate room and a class
+15 minutes, is told when the candidate has one already, edits the class's and deletes it;
then places the sitting: refused while no room is kept apart, placed once the small room is
marked for a separate room (that candidate alone sits there). Both pages at 1366 × 768 and on a
375 px phone; screenshots in /tmp/sectionsui-shots/. Read by ids and data attributes, so the
tests hold in either language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts import services as people
from accounts.models import Role, SchoolClass, User
from assess.models import Accommodation, AssessmentPart, Attempt, Sitting
from proctoring import services
from proctoring.models import Room
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import make_sitting, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/sectionsui-shots")
WIDE = {"width": 1366, "height": 768}
PHONE = {"width": 375, "height": 740}


@dataclass(frozen=True)
class World:
    sitting: Sitting
    board: User
    needing: User  # the candidate given a separate room
    school_class: SchoolClass
    main: Room  # 3 x 4: twelve seats
    apart: Room  # 1 x 2: two seats


@pytest.fixture
def world(transactional_db) -> World:
    now = timezone.now()
    sitting = make_sitting(n_students=6, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=1, hours=3))
    for position, (label, count) in enumerate((("Phần I", 3), ("Phần II", 2)), start=1):
        AssessmentPart.objects.create(
            assessment=sitting.assessment, position=position, label=label, item_count=count, points_per_item=1
        )
    school = sitting.organisation
    admin = make_user(Role.SCHOOL_ADMIN, school)
    attempts = list(Attempt.objects.filter(sitting=sitting).select_related("student").order_by("pk"))
    school_class = people.class_create(by=admin, school_id=school.pk, school_year="2026-2027", name="10A1", grade=10)
    for attempt in attempts[3:]:
        people.class_place_student(by=admin, class_id=school_class.pk, student_id=attempt.student_id)
    main = services.room_save(
        by=admin, organisation_id=school.pk, spec=services.RoomSpec(name="Phòng 1", rows=3, columns=4)
    )
    apart = services.room_save(
        by=admin, organisation_id=school.pk, spec=services.RoomSpec(name="Phòng riêng", rows=1, columns=2)
    )
    return World(sitting, sitting.created_by, attempts[0].student, school_class, main, apart)


def _open(browser, pages, viewport):  # noqa: F811
    page = new_page(browser, locale="vi-VN", viewport=viewport)
    pages.append(page)
    return page


def _fits(page, selector: str) -> None:
    """Nothing in ``selector`` reaches past the viewport's right edge."""
    right = page.evaluate(
        "(selector) => Math.max(...Array.from(document.querySelectorAll(selector + ', ' + selector + ' *'))"
        ".map((node) => node.getBoundingClientRect().right))",
        selector,
    )
    assert right <= page.viewport_size["width"], right


def test_the_author_sets_a_part_s_time_navigation_and_break(world, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    page = _open(browser, pages, WIDE)
    log_in(page, server, world.board.username)
    page.goto(f"{server}/assessments/{world.sitting.assessment_id}/")
    form = page.locator("#sections-form")
    first = form.locator('[data-part="0"]')
    expect(first.locator('input[type="radio"]')).to_have_count(3)
    expect(form.locator('[data-part="1"] [name="break_minutes"]')).to_have_count(0)  # none after the last

    # Too long a limit: the server's message next to the field, nothing kept.
    first.locator('[name="time_limit_minutes"]').fill("500")
    page.click('[data-testid="sections-save"]')
    error = form.locator('[data-field="parts.0.time_limit_minutes"] .field-error')
    expect(error).to_be_visible()
    expect(first.locator('[name="time_limit_minutes"]')).to_have_attribute("aria-invalid", "true")
    page.screenshot(path=str(SHOTS / "sections_error_1366.png"), full_page=True)

    first.locator('[name="time_limit_minutes"]').fill("20")
    first.locator('input[value="linear"]').check()
    first.locator('[name="break_minutes"]').fill("5")
    page.click('[data-testid="sections-save"]')
    expect(form).to_have_attribute("data-state", "saved")
    expect(error).to_have_count(0)

    def stored():
        part = AssessmentPart.objects.get(assessment_id=world.sitting.assessment_id, position=1)
        return part.time_limit, part.navigation, part.break_after

    assert in_db_thread(stored) == (timedelta(minutes=20), "linear", timedelta(minutes=5))
    page.reload()
    first = page.locator('#sections-form [data-part="0"]')
    expect(first.locator('[name="time_limit_minutes"]')).to_have_value("20")
    expect(first.locator('[name="break_minutes"]')).to_have_value("5")
    expect(first.locator('input[value="linear"]')).to_be_checked()
    expect(page.locator('#sections-form [data-part="1"] input[value="free"]')).to_be_checked()
    page.locator('[data-testid="sections-editor"]').screenshot(path=str(SHOTS / "sections_saved_1366.png"))

    phone = _open(browser, pages, PHONE)
    log_in(phone, server, world.board.username)
    phone.goto(f"{server}/assessments/{world.sitting.assessment_id}/")
    expect(phone.locator('#sections-form [data-part="0"] [name="time_limit_minutes"]')).to_have_value("20")
    _fits(phone, '[data-testid="sections-editor"]')
    phone.screenshot(path=str(SHOTS / "sections_375.png"), full_page=True)


def test_the_board_sets_accommodations_and_places_a_separate_room(world, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    SHOTS.mkdir(exist_ok=True)
    page = _open(browser, pages, WIDE)
    log_in(page, server, world.board.username)
    page.goto(f"{server}/board/sittings/{world.sitting.pk}/")
    section = page.locator('[data-testid="accommodations"]')
    rows = section.locator("#accommodation-rows tr")
    expect(section.locator("#accommodations-empty")).to_be_visible()
    form = section.locator("#accommodation-form")

    # A candidate: ×1.5, larger text, a separate room.
    form.locator('[data-testid="acc-student"]').select_option(world.needing.username)
    form.locator('input[name="time"][value="multiplier"]').check()
    form.locator('[name="time_multiplier"]').fill("1.5")
    form.locator('[data-testid="acc-large-text"]').check()
    form.locator('[data-testid="acc-separate-room"]').check()
    form.locator('[name="note"]').fill("Khiếm thị nhẹ")
    form.locator('[data-testid="accommodation-save"]').click()
    expect(rows).to_have_count(1)
    mine = section.locator(f'tr[data-who="{world.needing.username}"]')
    expect(mine.locator('[data-time="multiplier"]')).to_contain_text("1.5")

    # A class: +15 minutes.
    form.locator('input[name="target"][value="class"]').check()
    form.locator('[data-testid="acc-class"]').select_option(str(world.school_class.pk))
    form.locator('input[name="time"][value="minutes"]').check()
    form.locator('[name="extra_minutes"]').fill("15")
    form.locator('[data-testid="accommodation-save"]').click()
    expect(rows).to_have_count(2)
    theirs = section.locator(f'tr[data-who="class:{world.school_class.pk}"]')
    expect(theirs.locator('[data-time="minutes"]')).to_contain_text("15")

    # The same candidate again: the server's refusal next to the candidate.
    form.locator('input[name="target"][value="student"]').check()
    form.locator('[data-testid="acc-student"]').select_option(world.needing.username)
    form.locator('[data-testid="acc-large-text"]').check()
    form.locator('[data-testid="accommodation-save"]').click()
    expect(form.locator('[data-field="student"] .field-error')).to_be_visible()
    expect(rows).to_have_count(2)
    page.screenshot(path=str(SHOTS / "accommodations_error_1366.png"), full_page=True)

    # The class's edited to +20, then deleted (confirmed).
    theirs.locator("[data-edit]").click()
    expect(form.locator('[name="extra_minutes"]')).to_have_value("15")
    expect(form.locator('[data-field="student"] .field-error')).to_have_count(0)
    form.locator('[name="extra_minutes"]').fill("20")
    form.locator('[data-testid="accommodation-save"]').click()
    expect(theirs.locator('[data-time="minutes"]')).to_contain_text("20")
    assert in_db_thread(lambda: Accommodation.objects.get(school_class=world.school_class).extra_minutes) == 20
    page.screenshot(path=str(SHOTS / "accommodations_1366.png"), full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    theirs.locator("[data-delete]").click()
    expect(rows).to_have_count(1)
    assert in_db_thread(lambda: list(Accommodation.objects.values_list("student_id", "time_multiplier"))) == [
        (world.needing.pk, pytest.approx(1.5))
    ]

    # Placing: refused while no room is kept apart, then the small room marked for it.
    page.reload()
    page.select_option('[data-testid="plan-room"]', str(world.main.pk))
    page.click('[data-testid="plan-room-add"]')
    page.click('[data-testid="rooms-place"]')
    refusal = page.locator('[data-testid="plan-errors"] .field-error')
    expect(refusal).to_contain_text("1")
    page.select_option('[data-testid="plan-room"]', str(world.apart.pk))
    page.click('[data-testid="plan-room-add"]')
    page.locator(f'input[data-separate-for="{world.apart.pk}"]').check()
    page.click('[data-testid="rooms-place"]')
    apart = page.locator(f'[data-testid="rooms-result"] article[data-room="{world.apart.pk}"]')
    expect(apart.locator(".seat-map .map-taken")).to_have_count(1)
    expect(apart.locator("[data-separate]")).to_be_visible()
    main = page.locator(f'[data-testid="rooms-result"] article[data-room="{world.main.pk}"]')
    expect(main.locator(".seat-map .map-taken")).to_have_count(5)
    assert (
        in_db_thread(lambda: Attempt.objects.get(sitting=world.sitting, student=world.needing).room.room_id)
        == world.apart.pk
    )
    page.reload()
    expect(page.locator(f'input[data-separate-for="{world.apart.pk}"]')).to_be_checked()
    page.screenshot(path=str(SHOTS / "board_sitting_1366.png"), full_page=True)

    phone = _open(browser, pages, PHONE)
    log_in(phone, server, world.board.username)
    phone.goto(f"{server}/board/sittings/{world.sitting.pk}/")
    expect(phone.locator("#accommodation-rows tr")).to_have_count(1)
    _fits(phone, '[data-testid="accommodations"]')
    _fits(phone, '[data-testid="sitting-rooms"]')
    phone.locator('[data-testid="accommodations"]').screenshot(path=str(SHOTS / "accommodations_375.png"))
    phone.screenshot(path=str(SHOTS / "board_sitting_375.png"), full_page=True)
    assert re.search(r"\d", phone.locator("#plan-seats").inner_text())
