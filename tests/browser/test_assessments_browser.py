"""A teacher turns the bank into a quiz for their class, in Debian's Chromium.

From the Assessments page they start from the 15-minute preset, make it 4 items, draw the form
from their blueprint (previewed first), make 4 test codes, preview one as a student gets it,
and assign the quiz to their class; on a 375 px phone the pages still fit.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from assess import authoring
from assess.authoring import AssessmentSpec
from assess.authoring import PartSpec as AssessmentPartSpec
from assess.blueprints import BlueprintSpec, CellSpec, PartSpec, blueprint_create
from assess.models import Assessment, Attempt, Form, FormItem, RecordEntryType, Sitting
from itembank import services as bank
from itembank.models import CognitiveLevel, ItemVersion, Topic
from tests.assess.test_sittings import YEAR, School
from tests.browser.test_bank_browser import open_page
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, log_in, new_page
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.factories import release_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path("/tmp")


@pytest.fixture
def world(transactional_db) -> School:
    world = School()
    algebra = Topic.objects.create(subject=world.subject, name="Đại số")
    for n in range(6):
        version = bank.item_create(
            by=world.teacher,
            subject=world.subject,
            topic=algebra,
            level=CognitiveLevel.KNOW,
            content={
                "stem": f"Câu {n}: tính $\\sqrt{{{n * n}}}$.",
                "options": [{"id": x, "text": f"{x}{n}"} for x in "ABC"]
                + [{"id": "D", "text": "Cả ba", "pinned": True}],
                "key": "ABC"[n % 3],
            },
        )
        release_version(version, author=world.teacher, reviewer=world.board)
    cell = CellSpec(topic_id=algebra.pk, level=CognitiveLevel.KNOW, item_count=4)
    blueprint_create(
        by=world.teacher,
        spec=BlueprintSpec(
            title="Ma trận 15 phút",
            subject_id=world.subject.pk,
            parts=(PartSpec("Phần I", "single_choice", Decimal("2.5"), (cell,)),),
        ),
    )
    return world


def test_a_teacher_builds_a_quiz_from_a_blueprint_with_codes_and_assigns_it(world, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = open_page(browser, pages)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, server, world.teacher.username)
    page.click('[data-testid="nav-assessments"]')
    expect(page).to_have_url(f"{server}/assessments/")
    page.select_option('[data-testid="preset"]', "continuous_15")
    expect(page.locator("#a-minutes")).to_have_value("15")
    page.select_option("#a-subject", world.subject.code)
    part = page.locator('[data-testid="parts"] [data-part]').first
    part.locator("[name=item_count]").fill("4")
    part.locator("[name=points_per_item]").fill("2.5")
    expect(page.locator("#parts-total")).to_contain_text("10")
    page.fill("#a-title", "Kiểm tra 15 phút – Đại số")
    page.screenshot(path=str(SCREENSHOTS / "assessments_wizard_1366.png"), full_page=True)
    page.click('[data-testid="create-assessment"]')
    expect(page).to_have_url(re.compile(r"/assessments/\d+/$"))
    assessment = in_db_thread(lambda: Assessment.objects.get(title="Kiểm tra 15 phút – Đại số"))
    assert (assessment.kind, assessment.duration_minutes) == ("continuous", 15)

    page.click('[data-draw="preview"]')
    expect(page.locator('[data-testid="draw-report"] .report-ok')).to_be_visible()
    assert in_db_thread(lambda: Form.objects.count()) == 0  # a preview writes nothing
    page.click('[data-draw="save"]')
    expect(page.locator('[data-testid="forms"] tbody tr[data-form]')).to_have_count(1)
    page.locator("[data-codes-count]").fill("4")
    page.click("[data-make-codes]")
    expect(page.locator('[data-testid="keys-pdf"]')).to_be_visible()
    assert in_db_thread(lambda: Form.objects.filter(kind="code").count()) == 4

    page.check(f'[data-testid="class-choices"] input[value="{world.classes["10A1"].pk}"]')
    page.fill("#s-attempts", "2")
    page.click('[data-testid="schedule"]')
    expect(page.locator('[data-testid="sittings"] tbody tr[data-sitting]')).to_have_count(1)
    sitting = in_db_thread(lambda: Sitting.objects.get())
    assert (sitting.kind, sitting.max_attempts) == ("assignment", 2)
    codes = in_db_thread(lambda: list(Attempt.objects.filter(sitting=sitting).values_list("form__code", flat=True)))
    assert len(codes) == 3 and codes[0] != codes[1]
    # Enrol more: an unknown identifier is refused with its name, nothing written; a move of
    # the window needs its reason, and is kept in the sitting's history.
    page.click('[data-testid="manage-panel"] summary')
    page.fill("#en-students", "nobody-0001")
    page.click("#enrol-form button[type=submit]")
    expect(page.locator("#enrol-form .field-error")).to_contain_text("nobody-0001")
    page.fill("#mv-opens", "2027-01-05T07:00")
    page.fill("#mv-closes", "2027-01-12T07:00")
    page.click("#move-form button[type=submit]")
    expect(page.locator('#move-form [data-field="reason"] .field-error')).to_be_visible()
    page.fill("#mv-reason", "Lùi một tuần vì lịch thi học kỳ")
    # The page tells of the move, then reloads itself: a click before the reload would be lost.
    with page.expect_navigation():
        page.click("#move-form button[type=submit]")
        expect(page.locator("#sittings-notice")).to_be_visible()
    assert in_db_thread(lambda: sitting.events.filter(kind="rescheduled").count()) == 1
    page.screenshot(path=str(SCREENSHOTS / "assessment_detail_1366.png"), full_page=True)

    page.click('[data-testid="forms"] a.button:not([download])')
    expect(page.locator('[data-testid="preview-items"] > li')).to_have_count(4)
    expect(page.locator('[data-testid="code-tab"]')).to_have_count(4)
    page.locator('[data-testid="code-tab"]').first.click()
    expect(page.locator('[data-testid="preview-items"] > li')).to_have_count(4)
    expect(page.locator('[data-testid="preview-items"] math').first).to_be_attached()
    page.screenshot(path=str(SCREENSHOTS / "form_preview_1366.png"), full_page=True)

    phone = new_page(browser, locale="vi-VN", viewport={"width": 375, "height": 740})
    pages.append(phone)
    log_in(phone, server, world.teacher.username)
    for path, name in (
        (f"/assessments/{assessment.pk}/", "assessment_detail_375"),
        ("/assessments/", "assessments_375"),
    ):
        phone.goto(f"{server}{path}")
        width = phone.evaluate("document.documentElement.scrollWidth")
        phone.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        assert width <= 375 + 1, (path, width)


def _two_part_quiz(world: School) -> Assessment:
    """A quiz of two parts: three single-choice items, then two of any type."""
    return authoring.assessment_create(
        by=world.teacher,
        spec=AssessmentSpec(
            title="Kiểm tra sắp xếp tay",
            kind=Assessment.Kind.CONTINUOUS,
            subject_id=world.subject.pk,
            school_year=YEAR,
            term=1,
            record_entry_type=RecordEntryType.CONTINUOUS,
            duration_minutes=15,
            parts=(
                AssessmentPartSpec("Phần I", 3, Decimal("2"), "single_choice"),
                AssessmentPartSpec("Phần II", 2, Decimal("2")),
            ),
            organisation_id=world.school.pk,
        ),
    )


def _item_ids_by_number() -> dict[int, int]:
    """The world's "Câu n: tính ..." items by n."""
    ids = {}
    for version in ItemVersion.objects.all():
        head = version.content["stem"].split(":")[0]
        if ":" in version.content["stem"] and head.startswith("Câu "):
            ids[int(head.removeprefix("Câu "))] = version.item_id
    return ids


def test_a_teacher_reorders_a_hand_built_form_by_drag_and_drop_and_buttons(world, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    quiz = in_db_thread(lambda: _two_part_quiz(world))
    ids = in_db_thread(_item_ids_by_number)
    page = open_page(browser, pages)
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, server, world.teacher.username)
    page.goto(f"{server}/assessments/{quiz.pk}/")
    words = page.evaluate("JSON.parse(document.getElementById('bank-text').textContent)")
    page.click('[data-testid="build-panel"] summary')
    results = page.locator('[data-testid="build-results"] .pick-list > li')
    expect(results.first).to_be_visible()

    def add(number: int, part: int) -> None:
        results.filter(has_text=f"Câu {number}: tính").locator("button").nth(part).click()

    def items(part: int):
        return page.locator(f'#build-parts ol[data-part="{part}"] > li')

    def order(part: int) -> list[int]:
        return [int(n) for n in items(part).evaluate_all("(lis) => lis.map((li) => li.dataset.item)")]

    for number, part in ((1, 0), (2, 0), (3, 0), (4, 1), (5, 1)):
        add(number, part)
    expect(items(0)).to_have_count(3)
    expect(items(1)).to_have_count(2)
    assert order(0) == [ids[1], ids[2], ids[3]]
    live = page.locator('[data-testid="build-live"]')

    # With the mouse: the first item of part I dropped on the lower half of the second.
    first, second = items(0).nth(0), items(0).nth(1)
    expect(first.locator(".drag-handle")).to_be_visible()
    second.scroll_into_view_if_needed()
    height = second.bounding_box()["height"]
    first.locator(".drag-handle").drag_to(second, target_position={"x": 40, "y": height - 4})
    expect(items(0).first).to_have_attribute("data-item", str(ids[2]))
    assert order(0) == [ids[2], ids[1], ids[3]]
    expect(live).to_contain_text("Câu 1: tính")

    # Into part II the browser refuses the drop; a drop event sent anyway changes nothing.
    # drag_to scrolls between the press and the move, which loses the drag: both ends in view.
    items(1).nth(0).scroll_into_view_if_needed()
    items(0).nth(0).locator(".drag-handle").drag_to(items(1).nth(0))
    expect(live).to_have_text(words["dropRefused"])
    live.evaluate("(node) => { node.textContent = ''; }")
    transfer = page.evaluate_handle("new DataTransfer()")
    items(0).nth(0).dispatch_event("dragstart", {"dataTransfer": transfer})
    items(1).nth(0).dispatch_event("dragover", {"dataTransfer": transfer})
    items(1).nth(0).dispatch_event("drop", {"dataTransfer": transfer})
    expect(live).to_have_text(words["dropRefused"])
    assert (order(0), order(1)) == ([ids[2], ids[1], ids[3]], [ids[4], ids[5]])

    # The drop indicator while dragging within a part (events sent, so the screenshot holds it).
    items(0).nth(2).dispatch_event("dragstart", {"dataTransfer": transfer})
    box = items(0).nth(0).bounding_box()
    items(0).nth(0).dispatch_event("dragover", {"dataTransfer": transfer, "clientY": box["y"] + box["height"] - 2})
    expect(items(0).nth(1)).to_have_class(re.compile(r"\bdrop-before\b"))  # between the first two
    page.screenshot(path=str(SCREENSHOTS / "dnd-dragging-1366.png"), full_page=True)
    items(0).nth(2).dispatch_event("dragend", {"dataTransfer": transfer})
    expect(page.locator("#build-parts .drop-before, #build-parts .drop-after, #build-parts .dragging")).to_have_count(0)
    assert order(0) == [ids[2], ids[1], ids[3]]

    # With the keyboard: Down on item 1 (now second) takes it last; the focus stays with it.
    down = items(0).nth(1).locator('[data-move="down"]')
    assert "Câu 1: tính" in down.get_attribute("aria-label")
    expect(items(0).nth(0).locator('[data-move="up"]')).to_be_disabled()
    down.focus()
    page.keyboard.press("Enter")
    assert order(0) == [ids[2], ids[3], ids[1]]
    focused = page.locator(":focus")
    expect(focused).to_have_attribute("data-move", "up")  # Down is disabled on the last item
    assert focused.evaluate("(node) => node.closest('li').dataset.item") == str(ids[1])
    expect(live).to_contain_text("Câu 1: tính")
    items(1).nth(0).locator('[data-move="down"]').click()
    assert order(1) == [ids[5], ids[4]]
    page.screenshot(path=str(SCREENSHOTS / "dnd-1366.png"), full_page=True)

    page.click("[data-save-form]")
    expect(page.locator('[data-testid="forms"] tbody tr[data-form]')).to_have_count(1)
    saved = in_db_thread(
        lambda: list(
            FormItem.objects.filter(form__assessment=quiz, form__kind=Form.Kind.MASTER)
            .order_by("position")
            .values_list("item_version__item_id", "part")
        )
    )
    assert saved == [(ids[2], 1), (ids[3], 1), (ids[1], 1), (ids[5], 2), (ids[4], 2)]

    # A phone has no HTML5 drag and drop: no handle, and Up and Down fit in 375 px.
    phone = new_page(browser, locale="vi-VN", viewport={"width": 375, "height": 740}, has_touch=True, is_mobile=True)
    pages.append(phone)
    log_in(phone, server, world.teacher.username)
    phone.goto(f"{server}/assessments/{quiz.pk}/")
    phone.locator('[data-testid="build-panel"] summary').tap()
    phone_results = phone.locator('[data-testid="build-results"] .pick-list > li')
    for number in (1, 2, 3):
        phone_results.filter(has_text=f"Câu {number}: tính").locator("button").first.tap()
    phone_items = phone.locator('#build-parts ol[data-part="0"] > li')
    expect(phone_items).to_have_count(3)
    expect(phone_items.first.locator(".drag-handle")).to_be_hidden()
    phone_items.first.locator('[data-move="down"]').tap()
    expect(phone_items.nth(1)).to_have_attribute("data-item", str(ids[1]))
    # Of the viewport: a full-page screenshot drops the touch emulation, and the handles show.
    phone.locator("#build-parts").scroll_into_view_if_needed()
    phone.screenshot(path=str(SCREENSHOTS / "dnd-375.png"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375 + 1
