"""The records pages render for the people who keep or read them, and for nobody else."""

from __future__ import annotations

import pytest
from django.utils import translation

from records import services
from tests.factories import logged_in_client, make_user
from tests.records.test_records import YEAR, School

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> School:
    with translation.override("en"):
        school = School()
        an = school.students[0]
        school.complete(an, 1, ("8.5", "8", "8.5", "8.5", "8"))
        services.comment_set(
            by=school.homeroom, class_id=school.school_class.pk, student_id=an.pk, term=1, text="Ngoan."
        )
    return school


def test_the_subject_teacher_keeps_the_gradebook(world):
    page = logged_in_client(world.maths_teacher).get(
        f"/records/classes/{world.school_class.pk}/subjects/{world.maths.pk}/"
    )
    html = page.content.decode()
    assert page.status_code == 200
    assert "8,3" in html and html.count('data-testid="enter"') == 2 * 5  # Bình and Chi: 3 + 1 + 1 empty
    assert 'data-testid="correct"' in html
    pe = logged_in_client(world.maths_teacher).get(f"/records/classes/{world.school_class.pk}/subjects/{world.pe.pk}/")
    assert pe.status_code == 404
    read_only = logged_in_client(world.homeroom).get(
        f"/records/classes/{world.school_class.pk}/subjects/{world.maths.pk}/?term=2"
    )
    assert read_only.status_code == 200 and 'data-testid="enter"' not in read_only.content.decode()


def test_the_homeroom_teacher_reads_the_class_and_closes(world):
    client = logged_in_client(world.homeroom)
    page = client.get(f"/records/classes/{world.school_class.pk}/")
    html = page.content.decode()
    assert page.status_code == 200 and "8,3" in html and 'data-testid="close-1"' in html
    year = client.get(f"/records/classes/{world.school_class.pk}/?period=year").content.decode()
    assert 'data-testid="retakes"' in year
    listing = client.get("/records/").content.decode()
    assert 'data-testid="class-record-link"' in listing
    assert logged_in_client(world.maths_teacher).get(f"/records/classes/{world.school_class.pk}/").status_code == 404
    assert logged_in_client(world.stranger).get(f"/records/classes/{world.school_class.pk}/").status_code == 404


def test_the_student_reads_their_own_record(world):
    an = world.students[0]
    client = logged_in_client(an)
    page = client.get("/my/record/")
    html = page.content.decode()
    assert page.status_code == 200 and "Toán" in html and 'data-testid="my-average"' in html
    assert client.get("/records/").status_code == 403
    assert logged_in_client(world.homeroom).get("/my/record/").status_code == 403


def test_the_rules_page_is_the_school_administrators(world):
    page = logged_in_client(world.admin).get(f"/records/rules/?organisation={world.school.pk}&school_year={YEAR}")
    assert page.status_code == 200 and 'data-testid="rules-table"' in page.content.decode()
    assert page.content.decode().count("<tr>") >= 3
    assert logged_in_client(world.maths_teacher).get("/records/rules/").status_code == 403
    assert logged_in_client(make_user("student", world.school)).get("/records/rules/").status_code == 403
