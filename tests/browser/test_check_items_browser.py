"""Feedback after each item in Debian's Chromium: a student answers, checks, sees whether it is
right and the correct answer, and the item is then fixed; after a reload the feedback is back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assess import sittings
from assess.models import Answer, Assessment
from tests.assess.test_sittings import School
from tests.browser.test_bank_browser import pages as pages  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import browser as browser  # noqa: F401  (fixture)
from tests.browser.test_exam_browser import in_db_thread, new_page, wait_until_saved
from tests.browser.test_exam_browser import server as server  # noqa: F401  (fixture)
from tests.browser.test_student_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def quiz(transactional_db):
    world = School()
    form = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    now = timezone.now()
    sitting, _ = sittings.sitting_schedule(
        by=world.teacher,
        form_id=form.pk,
        spec=sittings.SittingSpec(
            title="Luyện tập có phản hồi",
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(days=1),
            feedback_timing="after_item",
            feedback_detail="answers",
        ),
        candidates=sittings.Candidates(class_ids=(world.classes["10A1"].pk,)),
    )
    return sitting.attempts.select_related("student").get(student=world.students["An"])


def test_a_student_checks_an_item_and_sees_the_feedback(quiz, server, browser, pages) -> None:  # noqa: F811
    from playwright.sync_api import expect

    page = new_page(browser, locale="vi-VN", viewport={"width": 375, "height": 740})
    pages.append(page)
    log_in(page, server, quiz.student)
    page.goto(f"{server}/exam/{quiz.pk}/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "open")
    page.click("#start")
    expect(page.locator("#items li.item")).to_have_count(2)
    page.locator('input[name="item-1"]').nth(1).check()  # the author's key is A, shown first: this is B
    wait_until_saved(page)
    page.click('[data-check="1"]')
    feedback = page.locator('[data-feedback="1"]')
    expect(feedback).to_be_visible()
    expect(feedback).to_have_class("item-feedback feedback-incorrect")
    expect(feedback).to_contain_text("A")  # the correct answer's letter
    expect(page.locator('input[name="item-1"]').nth(0)).to_be_disabled()
    expect(page.locator('[data-check="1"]')).to_have_count(0)
    assert in_db_thread(lambda: Answer.objects.get(attempt=quiz, form_item__position=1).value) == "B"
    page.screenshot(path="/tmp/check_item_375.png", full_page=True)
    page.reload()
    expect(page.locator('[data-feedback="1"]')).to_be_visible()
    expect(page.locator('[data-check="2"]')).to_be_enabled()
