"""The exam page taken section by section, in Debian's Chromium, at 1366x768 and at 375 px.

A linear first section (one question at a time, "Next question"), a break with its countdown
and "Resume now", a no-return second section; the review of the section before moving on; an
accommodation's large text. Screenshots go to ``/tmp/sections-shots/``.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from assess import accommodations
from assess.models import AssessmentPart, Attempt, FormItem
from tests.browser.test_exam_browser import (  # noqa: F401  (fixtures)
    Exam,
    browser,
    choose,
    exam,
    in_db_thread,
    server,
    wait_until_saved,
)
from tests.browser.test_exam_day_browser import DESKTOP, PHONE, fits, open_exam, start

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/sections-shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sectioned(exam: Exam) -> None:  # noqa: F811 (the fixture, passed on)
    """Items 1-3 a linear section of 10 minutes with a 2-minute break after it, 4-5 no return."""
    sitting = exam.sitting
    for position, (label, items, limit, navigation, pause) in enumerate(
        (
            ("Phần I", [1, 2, 3], timedelta(minutes=10), "linear", timedelta(minutes=2)),
            ("Phần II", [4, 5], None, "no_return", None),
        ),
        start=1,
    ):
        AssessmentPart.objects.create(
            assessment=sitting.assessment,
            position=position,
            label=label,
            item_count=len(items),
            points_per_item=1,
            time_limit=limit,
            navigation=navigation,
            break_after=pause,
        )
        FormItem.objects.filter(form__in=sitting.assessment.forms.all(), position__in=items).update(part=position)
    accommodations.accommodation_create(
        by=sitting.created_by,
        sitting_id=sitting.pk,
        spec=accommodations.AccommodationSpec(
            student=exam.student.username, time_multiplier=Decimal("1.5"), large_text=True
        ),
    )


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "375"])
def test_a_candidate_takes_an_exam_section_by_section(exam: Exam, server: str, browser, viewport) -> None:  # noqa: F811
    from playwright.sync_api import expect

    in_db_thread(lambda: sectioned(exam))
    page = open_exam(browser, server, exam, viewport=viewport, language="en")
    start(page)
    width = viewport["width"]
    # The accommodation: large text, and 10 minutes x 1.5 for the section.
    expect(page.locator("#exam")).to_have_class(__import__("re").compile("text-size-1"))
    expect(page.locator("[data-testid=section-name]")).to_contain_text("Section 1 of 2: Phần I")
    minutes = int(page.locator("[data-testid=section-timer]").inner_text().split(":")[0])
    assert 14 <= minutes <= 15
    # Linear: one question shown, the others of the section out of reach.
    expect(page.locator("#item-1")).to_be_visible()
    expect(page.locator("#item-2")).to_be_hidden()
    expect(page.locator("#item-4")).to_have_count(0)  # a later section's content is not sent
    expect(page.locator("[data-testid=section-hint]")).to_be_visible()
    expect(page.locator("#submit")).to_be_hidden()
    choose(page, 1, "B")
    wait_until_saved(page)
    fits(page)
    shot(page, f"linear-{width}")
    page.click("[data-testid=next-item]")
    expect(page.locator("#item-2")).to_be_visible()
    expect(page.locator("#item-1")).to_be_hidden()
    page.click("[data-testid=next-item]")
    expect(page.locator("#item-3")).to_be_visible()
    expect(page.locator("[data-testid=next-item]")).to_be_hidden()  # the section's last question
    page.locator("#item-3 input[data-flag]").check()
    wait_until_saved(page)
    # The review of the section before moving on lists its questions (the flag among them).
    page.click("[data-testid=next-section]")
    review = page.locator("[data-testid=review]")
    expect(review).to_be_visible()
    expect(page.locator("#review-title")).to_have_text("Check this section before you go on")
    expect(page.locator("[data-testid=review-flagged]")).to_have_text("1")
    expect(page.locator("[data-testid=review-submit]")).to_be_hidden()
    shot(page, f"section-review-{width}")
    page.click("[data-testid=review-next-section]")
    # The break: its countdown, and "Resume now".
    expect(page.locator("[data-testid=break]")).to_be_visible()
    expect(page.locator("#paper")).to_be_hidden()
    assert page.locator("[data-testid=break-timer]").inner_text().startswith(("01:", "02:"))
    fits(page)
    shot(page, f"break-{width}")
    page.click("[data-testid=end-break]")
    expect(page.locator("[data-testid=section-name]")).to_contain_text("Section 2 of 2: Phần II")
    expect(page.locator("#item-4")).to_be_visible()
    expect(page.locator("#item-5")).to_be_visible()
    expect(page.locator("#item-1")).to_have_count(0)  # the first section is closed
    expect(page.locator("#submit")).to_be_visible()
    expect(page.locator("[data-testid=next-section]")).to_be_hidden()
    choose(page, 5, "A")
    wait_until_saved(page)
    fits(page)
    shot(page, f"last-section-{width}")
    attempt = in_db_thread(lambda: Attempt.objects.get(pk=exam.attempt.pk))
    assert attempt.section == 1 and attempt.break_until is None
    assert page.page_errors == []
