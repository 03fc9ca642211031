"""Builders of test state. They go through the services, as the application does."""

from __future__ import annotations

import functools
from datetime import timedelta
from itertools import count

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from accounts.models import Organisation, Role, User
from assess import authoring, services
from assess.models import Assessment, Attempt, RecordEntryType, Sitting
from itembank import services as bank
from itembank.models import CognitiveLevel, ItemVersion, Subject

_serial = count(1)
PASSWORD = "correct horse battery staple"


@functools.cache
def password_hash() -> str:
    """Hash the test password once: a real hash, verifiable by server processes too."""
    return make_password(PASSWORD)


def session_cookie(user: User) -> str:
    """A logged-in session for ``user``, as the ``Cookie`` header value a client sends."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def make_department(name: str = "Sở GD&ĐT Thử") -> Organisation:
    n = next(_serial)
    return Organisation.objects.create(name=f"{name} {n}", code=f"dept-{n}", kind=Organisation.Kind.DEPARTMENT)


def make_school(department: Organisation | None = None) -> Organisation:
    n = next(_serial)
    department = department or make_department()
    return Organisation.objects.create(
        name=f"Trường {n}", code=f"school-{n}", kind=Organisation.Kind.SCHOOL, parent=department
    )


def make_user(role: str, organisation: Organisation | None, **extra) -> User:
    n = next(_serial)
    user = User(username=extra.pop("username", f"{role}{n}"), role=role, organisation=organisation, **extra)
    if role == Role.STUDENT and not user.learner_id:
        user.learner_id = f"HS{n:08d}"
    user.password = password_hash()
    user.full_clean()
    user.save()
    return user


def shown(attempt: Attempt, position: int, value):
    """An answer written in the item version's own ids, in the ids the attempt's form shows."""
    from assess.models import FormItem
    from itembank import content

    form_item = FormItem.objects.select_related("item_version__item").get(form_id=attempt.form_id, position=position)
    return content.response_to_shown(form_item.item_version.item.item_type, form_item.response_ids, value)


def release_version(version: ItemVersion, *, author: User, reviewer: User) -> ItemVersion:
    """Take a draft through the review workflow: submitted by its author, approved, published."""
    bank.item_version_submit(by=author, version_id=version.pk)
    bank.item_version_approve(by=reviewer, version_id=version.pk)
    return bank.item_version_publish(by=reviewer, version_id=version.pk)


def make_versions(
    author: User, subject: Subject, n: int = 5, *, irt: bool = True, reviewer: User | None = None
) -> list[ItemVersion]:
    """Published versions by ``author``, reviewed by ``reviewer`` (default: a board member above)."""
    if reviewer is None:
        organisation = author.organisation
        reviewer = make_user(Role.BOARD, organisation.parent or organisation) if organisation else author
    versions = []
    for i in range(n):
        version = bank.item_create(
            by=author,
            subject=subject,
            level=CognitiveLevel.KNOW,
            content={
                "stem": f"Câu {i + 1}: $x^{i + 1}$ = ?",
                "options": [{"id": letter, "text": f"Đáp án {letter}"} for letter in "ABCD"],
                "key": "ABCD"[i % 4],
            },
            points="1",
        )
        version = release_version(version, author=author, reviewer=reviewer)
        if irt:  # recorded by the exam board, as a calibration would
            version = bank.item_version_set_calibration(
                by=reviewer,
                version_id=version.pk,
                irt_a=1.0 + (i % 10) / 10,
                irt_b=-1 + (i % 10) / 2,
                calibration="test",
            )
        versions.append(version)
    return versions


def make_assessment(*, organisation: Organisation, subject: Subject, created_by: User, **fields) -> Assessment:
    """A periodic 45-minute mid-term of 2026-2027, term I, unless ``fields`` say otherwise."""
    defaults = {
        "title": "Kiểm tra",
        "kind": Assessment.Kind.PERIODIC,
        "duration": timedelta(minutes=45),
        "school_year": "2026-2027",
        "term": 1,
        "record_entry_type": RecordEntryType.MIDTERM,
    }
    return Assessment.objects.create(
        organisation=organisation, subject=subject, created_by=created_by, **{**defaults, **fields}
    )


def make_blueprint(*, by: User, subject: Subject, topic, title: str = "Ma trận", item_count: int = 1, **fields):
    """A blueprint of one part (single choice, 0.25 points) with one cell: ``topic``, knowing."""
    from decimal import Decimal

    from assess.blueprints import BlueprintSpec, CellSpec, PartSpec, blueprint_create

    cell = CellSpec(topic_id=topic.pk, level=CognitiveLevel.KNOW, item_count=item_count)
    part = PartSpec(label="Phần I", item_type="single_choice", points_per_item=Decimal("0.25"), cells=(cell,))
    return blueprint_create(by=by, spec=BlueprintSpec(title=title, subject_id=subject.pk, parts=(part,), **fields))


def logged_in_client(user: User):
    """A test client with ``user`` logged in."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def post_job(client, path: str, data=None, **extra) -> tuple[int, dict]:
    """POST to an endpoint that starts a job (202), run the job as the worker would once the
    request commits, then read it as ``GET /api/jobs/<id>/`` shows it: (status code, the
    finished job). Any other answer comes back as (status code, its body)."""
    from django.test.testcases import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(path, data, **extra) if data is not None else client.post(path, **extra)
    if response.status_code != 202:
        return response.status_code, response.json()
    job = client.get(f"/api/jobs/{response.json()['job']['id']}/").json()
    return response.status_code, job


def make_sitting(
    *,
    n_items: int = 5,
    n_students: int = 2,
    duration: timedelta = timedelta(minutes=45),
    opens_at=None,
    closes_at=None,
    irt: bool = True,
) -> Sitting:
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = make_versions(teacher, subject, n_items, irt=irt, reviewer=board)
    assessment = make_assessment(organisation=school, subject=subject, created_by=board, duration=duration)
    form = authoring.form_of_versions(by=board, assessment=assessment, code="101", item_versions=versions)
    now = timezone.now()
    students = [make_user(Role.STUDENT, school) for _ in range(n_students)]
    return schedule(
        by=board,
        form=form,
        students=students,
        opens_at=opens_at or now - timedelta(minutes=5),
        closes_at=closes_at or now + timedelta(hours=3),
    )


def take(attempt: Attempt, answers: dict[int, object]):
    """The student answers (positions of their form -> values in the version's ids), hands in,
    and the attempt is scored (the task the commit queues, run here); its result."""
    from assess.models import Result

    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    for seq, (position, value) in enumerate(answers.items(), start=1):
        services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=seq, item=position, value=shown(attempt, position, value)
        )
    services.attempt_submit(attempt_id=attempt.pk, user=attempt.student, token=token)
    services.attempt_score(attempt_id=attempt.pk)
    return Result.objects.get(attempt=attempt)


ESSAY_RUBRIC = [
    {
        "criterion": "Lời giải",
        "levels": [
            {"label": "Đầy đủ", "points": "1.5"},
            {"label": "Một phần", "points": "0.75"},
            {"label": "Chưa có", "points": "0"},
        ],
    },
    {"criterion": "Trình bày", "levels": [{"label": "Rõ ràng", "points": "0.5"}, {"label": "Chưa rõ", "points": "0"}]},
]


def make_essay_sitting(*, n_students: int = 2, n_choice: int = 3, score_step: str = "0.1", **spec) -> Sitting:
    """A sitting of ``n_choice`` single-choice items (1 point each, keys A, B, C, D, ...) and one
    essay worth 2 points marked with :data:`ESSAY_RUBRIC` (the last item), for ``n_students``."""
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="ngu-van", defaults={"name": "Ngữ văn"})
    versions = make_versions(teacher, subject, n_choice, irt=False, reviewer=board)
    essay = bank.item_create(
        by=teacher,
        subject=subject,
        level=CognitiveLevel.APPLY,
        item_type="essay",
        content={"stem": "Trình bày suy nghĩ của em về việc tự học.", "rubric": ESSAY_RUBRIC},
        points="2",
    )
    versions.append(release_version(essay, author=teacher, reviewer=board))
    assessment = make_assessment(organisation=school, subject=subject, created_by=board, score_step=score_step)
    form = authoring.form_of_versions(by=board, assessment=assessment, code="201", item_versions=versions)
    students = [make_user(Role.STUDENT, school) for _ in range(n_students)]
    return schedule(by=board, form=form, students=students, **spec)


def schedule(*, by: User, form, students, opens_at=None, closes_at=None, title: str = "Ca thi thử", **spec) -> Sitting:
    """A sitting of ``form`` with ``students`` enrolled in the order given (through the services)."""
    from assess import sittings

    now = timezone.now()
    sitting, _enrolment = sittings.sitting_schedule(
        by=by,
        form_id=form.pk,
        spec=sittings.SittingSpec(
            title=title,
            opens_at=opens_at or now - timedelta(minutes=5),
            closes_at=closes_at or now + timedelta(hours=3),
            **spec,
        ),
        candidates=sittings.Candidates(names=tuple(student.username for student in students)),
    )
    return sitting


@pytest.fixture
def sitting(db) -> Sitting:
    return make_sitting()


@pytest.fixture
def attempt(sitting) -> Attempt:
    return sitting.attempts.order_by("pk").first()


@pytest.fixture
def started(attempt) -> tuple[Attempt, object]:
    """An attempt in progress with its connection token."""
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    attempt.refresh_from_db()
    return attempt, token
