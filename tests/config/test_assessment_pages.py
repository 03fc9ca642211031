"""The assessments pages of teachers and boards: who may open them and what they show."""

from __future__ import annotations

import pytest

from accounts.models import Role
from assess import sittings, test_codes
from assess.models import Assessment
from tests.assess.test_sittings import School, _spec
from tests.factories import logged_in_client, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> School:
    return School()


def test_teachers_and_boards_open_the_assessments_page_others_are_refused(world):
    for user in (world.teacher, world.board):
        page = logged_in_client(user).get("/assessments/")
        assert page.status_code == 200
        html = page.content.decode()
        assert 'id="assessment-form"' in html and 'data-testid="nav-assessments"' in html
        assert ('value="periodic"' in html) is (user == world.board)  # teachers make continuous ones
    for role in (Role.STUDENT, Role.PROCTOR, Role.SCHOOL_ADMIN):
        assert logged_in_client(make_user(role, world.school)).get("/assessments/").status_code == 403


def test_an_assessment_page_shows_its_forms_codes_and_sittings_to_its_owner_only(world):
    form = world.form(world.board, codes=2)
    sitting, _ = sittings.sitting_schedule(
        by=world.board, form_id=form.pk, spec=_spec(access_code="K9K9"), candidates=sittings.Candidates(grade=10)
    )
    client = logged_in_client(world.board)
    html = client.get(f"/assessments/{form.assessment_id}/").content.decode()
    assert "GOC" in html and f"/api/forms/{form.pk}/keys.xlsx" in html
    assert 'data-testid="access-code">K9K9<' in html and sitting.title in html
    assert f'data-sitting="{sitting.pk}"' in html and 'data-sitting-action="release"' not in html
    assert f"/board/sittings/{sitting.pk}/moderation/" in html  # an exam is published after its review
    assert logged_in_client(world.teacher).get(f"/assessments/{form.assessment_id}/").status_code == 404
    preview = client.get(f"/assessments/forms/{form.test_codes.first().pk}/preview/")
    assert preview.status_code == 200
    text = preview.content.decode()
    assert 'id="preview-data"' in text and '"key"' not in text
    assert logged_in_client(world.teacher).get(f"/assessments/forms/{form.pk}/preview/").status_code == 404


def test_a_teachers_quiz_page_offers_assignment_to_their_classes(world):
    quiz = world.form(world.teacher, kind=Assessment.Kind.CONTINUOUS)
    html = logged_in_client(world.teacher).get(f"/assessments/{quiz.assessment_id}/").content.decode()
    assert 'name="max_attempts"' in html and 'name="feedback_timing"' in html
    assert 'name="new_access_code"' not in html
    assert "10A1" in html and "10A2" not in html  # only the classes they teach
    test_codes.codes_generate(by=world.teacher, form_id=quiz.pk, count=3)
    html = logged_in_client(world.teacher).get(f"/assessments/{quiz.assessment_id}/").content.decode()
    assert f"/api/forms/{quiz.pk}/keys.xlsx" in html


def test_the_boards_calendar_shows_a_months_sittings_on_their_days(world):
    from datetime import timedelta

    from django.utils import timezone

    form = world.form(world.board)
    opens = timezone.localtime().replace(day=10, hour=7, minute=30, second=0, microsecond=0)
    sitting, _ = sittings.sitting_schedule(
        by=world.board,
        form_id=form.pk,
        spec=_spec(title="Ca sáng", opens_at=opens, closes_at=opens + timedelta(days=1, hours=2)),
    )
    client = logged_in_client(world.board)
    html = client.get(f"/board/?month={opens:%Y-%m}").content.decode()
    assert html.count(f'href="/board/sittings/{sitting.pk}/"') == 3  # two days of the calendar, the list
    assert "07:30 Ca sáng" in html and 'class="cal-entry continues"' in html
    following = (opens.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    assert f'href="?month={following}"' in html
    later = client.get(f"/board/?month={(opens + timedelta(days=70)):%Y-%m}").content.decode()
    assert "Ca sáng" not in later
    assert client.get("/board/?month=2026-13").status_code == 404
    assert client.get("/board/?month=x").status_code == 404
    assert logged_in_client(world.teacher).get("/board/").status_code == 403
