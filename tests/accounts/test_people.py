"""People and organisations: roles, learner identifiers, organisation scope."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Organisation, Role, User
from accounts.permissions import organisation_subtree, scope_of
from tests.factories import make_department, make_school, make_user

pytestmark = pytest.mark.django_db


def test_learner_id_follows_the_configured_pattern(settings):
    school = make_school()
    student = User(username="s", role=Role.STUDENT, organisation=school, learner_id="bad id!")
    with pytest.raises(ValidationError) as info:
        student.full_clean(exclude=["password"])
    assert "learner_id" in info.value.message_dict
    settings.LEARNER_ID_PATTERN = r"^\d{12}$"
    student.learner_id = "079206001234"
    student.full_clean(exclude=["password"])


@pytest.mark.parametrize(
    "role, learner_id, field",
    [(Role.STUDENT, None, "learner_id"), (Role.TEACHER, "HS00000001", "learner_id")],
)
def test_learner_id_is_for_students_only(role, learner_id, field):
    user = User(username="u", role=role, organisation=make_school(), learner_id=learner_id)
    with pytest.raises(ValidationError) as info:
        user.full_clean()
    assert field in info.value.message_dict


def test_staff_belong_to_an_organisation():
    with pytest.raises(ValidationError) as info:
        User(username="t", role=Role.TEACHER).full_clean()
    assert "organisation" in info.value.message_dict


def test_school_sits_under_a_department():
    other_school = make_school()
    school = Organisation(name="x", code="x", kind=Organisation.Kind.SCHOOL, parent=other_school)
    with pytest.raises(ValidationError):
        school.full_clean()


def test_department_oversees_its_schools_but_not_others():
    department = make_department()
    school = make_school(department)
    elsewhere = make_school()
    assert organisation_subtree(department.pk) == {department.pk, school.pk}
    board = make_user(Role.BOARD, department)
    assert scope_of(board).oversees(school.pk)
    assert not scope_of(board).oversees(elsewhere.pk)
    teacher = make_user(Role.TEACHER, school)
    assert not scope_of(teacher).oversees(department.pk)
    admin = make_user(Role.ADMIN, None)
    assert scope_of(admin).oversees(elsewhere.pk)
    board.is_active = False
    assert not scope_of(board).oversees(school.pk)
