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

from assess.blueprints import BlueprintSpec, CellSpec, PartSpec, blueprint_create
from assess.models import Assessment, Attempt, Form, Sitting
from itembank import services as bank
from itembank.models import CognitiveLevel, Topic
from tests.assess.test_sittings import School
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
