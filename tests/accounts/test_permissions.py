"""The one permission layer: a scope computed once, pure checks over it, the doors that ask."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import Organisation, Role
from accounts.permissions import (
    ANONYMOUS,
    AUTHORS,
    BOARD,
    PROCTORS,
    STAFF,
    STUDENTS,
    IsAuthor,
    IsBoard,
    IsProctor,
    IsStaff,
    IsStudent,
    can_use_admin,
    page_for,
    scope_of,
)
from tests.factories import make_department, make_school, make_user

pytestmark = pytest.mark.django_db


def _queries(function):
    with CaptureQueriesContext(connection) as queries:
        result = function()
    return result, len(queries)


@pytest.fixture
def tree():
    """Sở (department) > Phòng (department) > two schools; another Sở with a school."""
    so = make_department("Sở")
    phong = Organisation.objects.create(name="Phòng", code="phong", kind=Organisation.Kind.DEPARTMENT, parent=so)
    school_a, school_b = make_school(phong), make_school(phong)
    direct = make_school(so)
    elsewhere = make_school()
    return {"so": so, "phong": phong, "a": school_a, "b": school_b, "direct": direct, "elsewhere": elsewhere}


def test_a_scope_costs_one_query_once_per_user_object(tree):
    board = make_user(Role.BOARD, tree["so"])
    scope, n = _queries(lambda: scope_of(board))
    assert n == 1
    assert scope.overseen == {tree["so"].pk, tree["phong"].pk, tree["a"].pk, tree["b"].pk, tree["direct"].pk}
    again, n = _queries(lambda: scope_of(board))
    assert again is scope and n == 0


def test_a_school_teacher_oversees_the_school_and_shares_in_its_department(tree):
    teacher = make_user(Role.TEACHER, tree["a"])
    scope = scope_of(teacher)
    assert scope.overseen == {tree["a"].pk}
    assert scope.department == {tree["phong"].pk, tree["a"].pk, tree["b"].pk}
    assert scope.oversees(tree["a"].pk) and not scope.oversees(tree["b"].pk)
    assert not scope.oversees(tree["phong"].pk) and not scope.oversees(None)


def test_a_nested_department_oversees_its_own_branch_only(tree):
    scope = scope_of(make_user(Role.BOARD, tree["phong"]))
    assert scope.overseen == {tree["phong"].pk, tree["a"].pk, tree["b"].pk}
    assert not scope.oversees(tree["so"].pk) and not scope.oversees(tree["direct"].pk)
    assert scope.department == scope.overseen


def test_administrators_oversee_everything_without_a_query(tree):
    admin = make_user(Role.ADMIN, None)
    scope, n = _queries(lambda: scope_of(admin))
    assert n == 0 and scope.is_admin and scope.overseen_ids is None
    assert all(scope.oversees(org.pk) for org in tree.values())
    superuser = make_user(Role.TEACHER, tree["a"], is_superuser=True)
    assert scope_of(superuser).is_admin and scope_of(superuser).has_role(*BOARD)


def test_students_act_for_no_organisation_and_cost_no_query(tree):
    student = make_user(Role.STUDENT, tree["a"])
    scope, n = _queries(lambda: scope_of(student))
    assert n == 0 and scope.user_id == student.pk
    assert not scope.oversees(tree["a"].pk)
    assert scope.has_role(*STUDENTS) and not scope.has_role(*AUTHORS)


def test_anonymous_and_inactive_users_pass_no_check(tree):
    assert scope_of(AnonymousUser()) is ANONYMOUS
    assert scope_of(None) is ANONYMOUS
    board = make_user(Role.BOARD, tree["so"], is_active=False)
    assert scope_of(board) is ANONYMOUS
    for roles in (STUDENTS, AUTHORS, BOARD, PROCTORS, STAFF):
        assert not ANONYMOUS.has_role(*roles)
    assert not ANONYMOUS.oversees(tree["a"].pk)


def test_a_changed_role_or_organisation_is_seen(tree):
    user = make_user(Role.TEACHER, tree["a"])
    assert scope_of(user).overseen == {tree["a"].pk}
    user.organisation = tree["b"]
    assert scope_of(user).overseen == {tree["b"].pk}
    user.role = Role.STUDENT
    user.learner_id = "HS99999999"
    assert not scope_of(user).has_role(*AUTHORS)


def test_a_cycle_in_the_tree_does_not_loop(tree):
    # Organisation.clean refuses cycles; the query must still end if a row says otherwise.
    Organisation.objects.filter(pk=tree["so"].pk).update(parent=tree["a"])
    scope = scope_of(make_user(Role.BOARD, tree["phong"]))
    assert tree["a"].pk in scope.overseen


@pytest.mark.parametrize(
    "role, allowed",
    [
        (Role.STUDENT, {IsStudent}),
        (Role.TEACHER, {IsAuthor, IsStaff}),
        (Role.PROCTOR, {IsProctor, IsStaff}),
        (Role.BOARD, {IsAuthor, IsBoard, IsProctor, IsStaff}),
        (Role.ADMIN, {IsAuthor, IsBoard, IsProctor, IsStaff}),
    ],
)
def test_rest_permission_classes_follow_the_role(tree, role, allowed):
    user = make_user(role, None if role == Role.ADMIN else tree["a"])
    request = RequestFactory().get("/")
    request.user = user
    for permission in (IsStudent, IsAuthor, IsBoard, IsProctor, IsStaff):
        assert permission().has_permission(request, None) == (permission in allowed), permission.__name__
    request.user = AnonymousUser()
    assert not any(p().has_permission(request, None) for p in (IsStudent, IsAuthor, IsBoard, IsProctor, IsStaff))


def test_pages_send_visitors_to_log_in_and_refuse_other_roles(tree):
    @page_for(*BOARD)
    def board_page(request):
        return HttpResponse("ok")

    request = RequestFactory().get("/board/")
    request.user = AnonymousUser()
    assert board_page(request).status_code == 302
    request.user = make_user(Role.TEACHER, tree["a"])
    with pytest.raises(PermissionDenied):
        board_page(request)
    request.user = make_user(Role.BOARD, tree["so"])
    assert board_page(request).content == b"ok"


def test_only_platform_administrators_use_the_admin(tree):
    assert can_use_admin(scope_of(make_user(Role.ADMIN, None)))
    for role in (Role.STUDENT, Role.TEACHER, Role.PROCTOR, Role.BOARD):
        assert not can_use_admin(scope_of(make_user(role, tree["a"], is_staff=True)))
