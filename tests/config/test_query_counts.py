"""Query counts of every list the API and the pages serve, pinned, and flat in the number of rows.

Security review: a board member's item list cost 57 queries for 25 items, because each row asked
the organisation tree again whether the user might edit it. The permission scope is now computed
once per request (``accounts.permissions.scope_of``); these tests fail if a list's query count
grows with its rows or rises above its pin. Each list is read with few rows and with several
times as many; the counts must be equal. The pins hold on SQLite and PostgreSQL alike.
(The attempt state and the answer path are pinned in tests/assess/test_query_counts.py.)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Role
from assess import authoring, services, statuses
from itembank import services as bank
from itembank import stimuli
from itembank.models import CognitiveLevel, ItemVersion, Subject, Topic
from tests.factories import make_assessment, make_blueprint, make_school, make_user, make_versions, schedule

pytestmark = pytest.mark.django_db

FEW, MANY = 3, 12


@dataclass
class World:
    school: Any
    teacher: Any
    colleague: Any
    board: Any
    subject: Subject
    student: Any
    proctor: Any = None
    school_admin: Any = None


@pytest.fixture
def world() -> World:
    school = make_school()
    return World(
        school=school,
        teacher=make_user(Role.TEACHER, school),
        colleague=make_user(Role.TEACHER, school),
        board=make_user(Role.BOARD, school.parent),
        subject=Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0],
        student=make_user(Role.STUDENT, school),
        proctor=make_user(Role.PROCTOR, school),
        school_admin=make_user(Role.SCHOOL_ADMIN, school),
    )


def _draft(world: World, n: int) -> ItemVersion:
    return bank.item_create(
        by=world.teacher,
        subject=world.subject,
        level=CognitiveLevel.KNOW,
        topic=Topic.objects.get_or_create(subject=world.subject, name=f"Chủ đề {n % 3}")[0],
        content={"stem": f"Câu {n}", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"},
    )


def add_items(world: World, n: int) -> None:
    for i in range(n):
        version = _draft(world, i)
        if i % 2:  # some with a second version
            bank.item_version_create(by=world.teacher, item_id=version.item_id, content={**version.content})


def add_submitted(world: World, n: int) -> None:
    for i in range(n):
        bank.item_version_submit(by=world.teacher, version_id=_draft(world, i).pk)


def add_blueprints(world: World, n: int) -> None:
    topic = Topic.objects.get_or_create(subject=world.subject, name="Đại số")[0]
    for i in range(n):
        make_blueprint(by=world.teacher, subject=world.subject, topic=topic, title=f"Ma trận {i}", item_count=2)


def add_stimuli(world: World, n: int) -> None:
    for i in range(n):
        stimuli.stimulus_create(by=world.teacher, subject=world.subject, title=f"Bài đọc {i}", kind="passage", body="x")


def _form(world: World):
    versions = make_versions(world.teacher, world.subject, 2, reviewer=world.board)
    return authoring.form_of_versions(
        by=world.board,
        assessment=make_assessment(organisation=world.school, subject=world.subject, created_by=world.board),
        code="101",
        item_versions=versions,
    )


def add_sittings(world: World, n: int) -> None:
    form = _form(world)
    now = timezone.now()
    for i in range(n):
        schedule(
            by=world.board,
            form=form,
            title=f"Ca {i}",
            opens_at=now - timedelta(minutes=5),
            closes_at=now + timedelta(hours=2),
            students=[world.student],
        )


def _finish(attempt, *, publish: bool) -> None:
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)
    if publish:
        services.attempt_move(attempt_id=attempt.pk, to=statuses.PUBLISHED, by=None, reason="published")


def add_candidates(world: World, n: int) -> None:
    students = [make_user(Role.STUDENT, world.school) for _ in range(n)]
    sitting = schedule(
        by=world.board,
        form=_form(world),
        title="Ca thi",
        opens_at=timezone.now() - timedelta(minutes=5),
        closes_at=timezone.now() + timedelta(hours=2),
        students=students,
    )
    for attempt in sitting.attempts.order_by("pk")[: n // 2]:
        _finish(attempt, publish=False)
    world.sitting = sitting  # type: ignore[attr-defined]


def add_record(world: World, n: int) -> None:
    add_sittings(world, n)
    for attempt in world.student.attempts.filter(status=statuses.SCHEDULED):
        _finish(attempt, publish=True)


def add_topics(world: World, n: int) -> None:
    for i in range(n):
        Topic.objects.create(subject=world.subject, name=f"Chủ đề {i}")


def add_subjects(world: World, n: int) -> None:
    start = Subject.objects.count()
    for i in range(start, start + n):
        subject = Subject.objects.create(code=f"mon-{i}", name=f"Môn {i}", owner=world.school)
        Topic.objects.create(subject=subject, name="Chủ đề", owner=world.school)


def add_used_topics(world: World, n: int) -> None:
    start = Topic.objects.filter(subject=world.subject).count()
    for i in range(start, start + n):
        topic = Topic.objects.create(subject=world.subject, name=f"Bài {i}", owner=world.school)
        bank.item_create(
            by=world.teacher,
            subject=world.subject,
            level=CognitiveLevel.KNOW,
            topic=topic,
            content={"stem": f"Câu {i}", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"},
        )
    if start == 0:
        make_blueprint(by=world.teacher, subject=world.subject, topic=topic, title="Ma trận")


def add_history(world: World, n: int) -> None:
    version = _draft(world, 0)
    for i in range(n):
        bank.item_version_update(by=world.teacher, version_id=version.pk, content={**version.content, "stem": f"v{i}"})
        bank.item_version_submit(by=world.teacher, version_id=version.pk)
        bank.item_version_request_changes(by=world.colleague, version_id=version.pk, comment=f"Sửa {i}")
    world.version = version  # type: ignore[attr-defined]


def add_locked_students(world: World, n: int) -> None:
    from accounts import services as account_services
    from accounts import throttle

    policy = throttle.Policy.from_settings()
    for _ in range(n):
        student = make_user(Role.STUDENT, world.school)
        for _attempt in range(policy.lock_failures):
            account_services.login_failure_record(username=student.username, address="", policy=policy)
        account_services.account_unlock(by=None, user_id=student.pk)  # an unlock in the history too
        for _attempt in range(policy.lock_failures):
            account_services.login_failure_record(username=student.username, address="", policy=policy)


def add_classes(world: World, n: int) -> None:
    from accounts import services as account_services

    start = getattr(world, "classes_made", 0)
    for i in range(start, start + n):
        school_class = account_services.class_create(
            by=world.school_admin,
            school_id=world.school.pk,
            school_year="2026-2027",
            name=f"10A{i}",
            grade=10,
            homeroom_teacher_id=world.teacher.pk,
        )
        account_services.class_place_student(
            by=world.school_admin, class_id=school_class.pk, student_id=make_user(Role.STUDENT, world.school).pk
        )
    world.classes_made = start + n  # type: ignore[attr-defined]


def add_class_members(world: World, n: int) -> None:
    from accounts import services as account_services
    from accounts.models import ClassTeacher, SchoolClass

    school_class = getattr(world, "school_class", None)
    if school_class is None:
        school_class = world.school_class = account_services.class_create(  # type: ignore[attr-defined]
            by=world.school_admin, school_id=world.school.pk, school_year="2026-2027", name="10A1", grade=10
        )
    for _ in range(n):
        student = make_user(Role.STUDENT, world.school)
        account_services.class_place_student(by=world.school_admin, class_id=school_class.pk, student_id=student.pk)
        subject = Subject.objects.create(code=f"mon-{student.pk}", name=f"Môn {student.pk}")
        ClassTeacher.objects.create(
            school_class=SchoolClass.objects.get(pk=school_class.pk),
            teacher=make_user(Role.TEACHER, world.school),
            subject=subject,
        )


# name: (builder, who asks, url, pinned count of queries). Every request spends two queries on
# its session and user, and staff one on their permission scope.
LISTS = {
    "bank items (board)": (add_items, "board", lambda w: "/api/items/", 6),
    "bank items (teacher)": (add_items, "teacher", lambda w: "/api/items/", 6),
    # PostgreSQL's word search runs in a transaction of its own with local settings (textsearch).
    "bank search with filters": (
        add_items,
        "board",
        lambda w: "/api/items/?q=cau&subject=toan&level=biet",
        {"sqlite": 7, "postgresql": 12},
    ),
    "review queue": (add_submitted, "colleague", lambda w: "/api/review-queue/", 5),
    "blueprints": (add_blueprints, "teacher", lambda w: "/api/blueprints/", 6),
    "stimuli": (add_stimuli, "teacher", lambda w: "/api/stimuli/", 4),
    "bank vocabulary": (add_topics, "teacher", lambda w: "/api/bank/meta/", 5),
    "subjects": (add_subjects, "school_admin", lambda w: "/api/subjects/", 4),
    "a subject's topic tree": (add_used_topics, "board", lambda w: f"/api/subjects/{w.subject.pk}/topics/", 5),
    "version history": (add_history, "teacher", lambda w: f"/api/item-versions/{w.version.pk}/history/", 6),
    "export": (add_items, "teacher", lambda w: "/api/exports/?format=xlsx", 4),
    "sittings": (add_sittings, "board", lambda w: "/api/sittings/", 4),
    "sitting results": (add_candidates, "board", lambda w: f"/api/sittings/{w.sitting.pk}/results/", 5),
    "board page": (add_sittings, "board", lambda w: "/board/", 4),
    # +2: the accommodations form's candidates (at most 2,000) and classes; +1: the sitting's
    # latest scoring runs.
    "board sitting page": (add_candidates, "board", lambda w: f"/board/sittings/{w.sitting.pk}/", 8),
    "my attempts": (add_sittings, "student", lambda w: "/api/me/attempts/", 3),
    "exam list page": (add_sittings, "student", lambda w: "/exam/", 3),
    "own record": (add_record, "student", lambda w: f"/api/students/{w.student.pk}/record/", 4),
    "locked accounts": (add_locked_students, "proctor", lambda w: "/api/accounts/locked/", 4),
    "locked accounts page": (add_locked_students, "proctor", lambda w: "/accounts/locked/", 5),
    "a student's record (board)": (add_record, "board", lambda w: f"/api/students/{w.student.pk}/record/", 5),
    "classes": (add_classes, "school_admin", lambda w: "/api/classes/", 4),
    "a class with its students and teachers": (
        add_class_members,
        "school_admin",
        lambda w: f"/api/classes/{w.school_class.pk}/",
        6,
    ),
}


def _count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries)


@pytest.mark.parametrize("name", LISTS)
def test_list_query_counts_are_pinned_and_flat(client, world, name):
    build, who, url, pinned = LISTS[name]
    if isinstance(pinned, dict):
        pinned = pinned[connection.vendor]
    client.force_login(getattr(world, who))
    client.get("/api/me/")  # records the session's activity, a write made once a minute (accounts.sessions)
    build(world, FEW)
    few = _count(client, url(world))
    build(world, MANY - FEW)
    many = _count(client, url(world))
    assert few == many, f"{name}: {few} queries with few rows, {many} with many"
    assert many <= pinned, f"{name}: {many} queries, pinned at {pinned}"
