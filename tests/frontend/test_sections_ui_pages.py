"""The section editor of the assessment page and the accommodations section of the board's
sitting page, as the server draws them (their scripts are tested in the browser:
tests/browser/test_sections_ui_browser.py). Read by ids and data attributes, so the tests
hold in either language."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import html as lxml_html

from accounts import services as people
from accounts.models import Role
from assess.models import AssessmentPart, Sitting
from tests.factories import logged_in_client, make_sitting, make_user

pytestmark = pytest.mark.django_db


def _page(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    text = response.content.decode()
    assert "{#" not in text and "{%" not in text
    return lxml_html.fromstring(text)


def _two_parts(sitting):
    AssessmentPart.objects.create(
        assessment=sitting.assessment,
        position=1,
        label="Phần I",
        item_count=3,
        points_per_item=1,
        time_limit=timedelta(minutes=20),
        navigation=AssessmentPart.Navigation.LINEAR,
        break_after=timedelta(minutes=5),
    )
    AssessmentPart.objects.create(
        assessment=sitting.assessment, position=2, label="Phần II", item_count=2, points_per_item=1
    )


def test_the_section_editor_shows_each_part_s_delivery_and_no_break_after_the_last():
    now = timezone.now()
    sitting = make_sitting(opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=2))
    _two_parts(sitting)
    tree = _page(logged_in_client(sitting.created_by), f"/assessments/{sitting.assessment_id}/")
    (form,) = tree.xpath('//form[@id="sections-form"]')
    assert form.get("data-editable") == "1" and form.xpath('.//*[@data-testid="sections-save"]')
    first, second = form.xpath(".//fieldset[@data-part]")
    assert first.xpath('.//input[@name="time_limit_minutes"]/@value') == ["20"]
    assert first.xpath('.//input[@name="break_minutes"]/@value') == ["5"]
    assert first.xpath('.//input[@type="radio"][@checked]/@value') == ["linear"]
    assert len(first.xpath('.//input[@type="radio"]')) == 3 and len(first.xpath('.//*[@class="hint"]')) == 3
    assert second.xpath('.//input[@name="break_minutes"]') == []  # nothing after the last part
    assert second.xpath('.//input[@type="radio"][@checked]/@value') == ["free"]
    assert first.xpath('.//*[@data-field="parts.0.time_limit_minutes"]')  # where the server's errors go


def test_the_section_editor_is_read_only_once_a_sitting_opened_and_for_who_may_not_change_it():
    sitting = make_sitting()  # opened five minutes ago
    _two_parts(sitting)
    tree = _page(logged_in_client(sitting.created_by), f"/assessments/{sitting.assessment_id}/")
    assert tree.xpath('//*[@data-testid="sections-locked"]')
    assert tree.xpath('//form[@id="sections-form"]//fieldset[@data-sections][@disabled]')
    assert tree.xpath('//*[@data-testid="sections-save"]') == []


def test_the_board_sitting_page_has_the_accommodations_section_with_the_sitting_s_candidates_and_classes():
    sitting = make_sitting(n_students=3)
    first = sitting.attempts.order_by("pk").first()
    admin = make_user(Role.SCHOOL_ADMIN, sitting.organisation)
    school_class = people.class_create(
        by=admin, school_id=sitting.organisation_id, school_year="2026-2027", name="10A1", grade=10
    )
    people.class_place_student(by=admin, class_id=school_class.pk, student_id=first.student_id)
    tree = _page(logged_in_client(sitting.created_by), f"/board/sittings/{sitting.pk}/")
    (section,) = tree.xpath('//section[@data-testid="accommodations"]')
    assert section.xpath('.//form[@id="accommodation-form"]') and section.xpath('.//tbody[@id="accommodation-rows"]')
    config = json.loads(tree.xpath('//script[@id="accommodations-config"]')[0].text)
    assert config["sitting"] == sitting.pk and len(config["candidates"]) == 3
    assert first.student.username in {c["username"] for c in config["candidates"]}
    assert config["classes"] == [{"id": school_class.pk, "name": "10A1"}]
    words = json.loads(tree.xpath('//script[@id="accommodations-text"]')[0].text)
    assert {"confirmDelete", "extraMinutes", "multiplier", "added"} <= words.keys()
    assert tree.xpath('//script[contains(@src, "frontend/board_accommodations.js")]')
    # bank.js once: the rooms section loads it already.
    assert len(tree.xpath('//script[contains(@src, "frontend/bank.js")]')) == 1
    assert tree.xpath('//section[@data-testid="sitting-rooms"]')


def test_an_assignment_s_teacher_sees_no_accommodations_section():
    sitting = make_sitting(n_students=1)
    Sitting.objects.filter(pk=sitting.pk).update(kind=Sitting.Kind.ASSIGNMENT)
    teacher = make_user(Role.TEACHER, sitting.organisation)
    type(sitting.assessment).objects.filter(pk=sitting.assessment_id).update(created_by=teacher)
    response = logged_in_client(teacher).get(f"/board/sittings/{sitting.pk}/")
    assert response.status_code == 200  # they run it: they see the page, never the section
    assert b'data-testid="accommodations"' not in response.content
    # The board still does, and loads bank.js for it itself (no rooms section on an assignment).
    tree = _page(logged_in_client(make_user(Role.BOARD, sitting.organisation.parent)), f"/board/sittings/{sitting.pk}/")
    assert tree.xpath('//section[@data-testid="accommodations"]')
    assert len(tree.xpath('//script[contains(@src, "frontend/bank.js")]')) == 1
