"""The whole REST API fuzzed from its own OpenAPI schema (schemathesis), as every role.

The schema is the one ``/api/schema/`` serves, generated from the views and their serializers
(drf-spectacular). Every operation is called with requests generated from it, valid and not,
as an anonymous visitor and logged in as each role, against a small world built through the
services whose objects the generated ids can name. Every answer must be no server error, with
a status the schema lists for the operation, of a content type it lists, and a body its schema
accepts.

Requests go in process, through Django's WSGI handler, on this thread's database connection:
each one runs in a savepoint rolled back after it, so every example meets the same world.

``FUZZ_EXAMPLES`` examples per operation and role (5 here, ``make fuzz`` sets more) and the
phases of ``FUZZ_PHASES``; the run is derandomised, so a failure is found again the next time,
on any machine. (The schema is loaded when the module is, for ``schema.parametrize``:
schemathesis' fixture loader, ``schemathesis.pytest.from_fixture``, reads pytest's
``Node._nodeid``, which pytest 9.2 no longer has.)
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts import services as account_services
from accounts import throttle
from accounts.models import Role
from assess import authoring
from itembank import services as bank
from itembank import stimuli, subjects
from itembank.models import CognitiveLevel, Subject
from tests.factories import (
    make_assessment,
    make_blueprint,
    make_school,
    make_user,
    make_versions,
    schedule,
    session_cookie,
)

pytestmark = [pytest.mark.fuzz, pytest.mark.django_db]

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "5"))
# The coverage phase (boundary values of every parameter, deterministic) sends a hundred
# requests or more per operation: `make fuzz` adds it.
PHASES = os.environ.get("FUZZ_PHASES", "examples,fuzzing").split(",")
ROLES = ("anonymous", "student", "teacher", "proctor", "board", "school_admin", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


class InProcessWSGI(WSGIHandler):
    """Django's WSGI handler that leaves the database connection open: every request runs on
    this thread's connection, inside the test's transaction (as Django's test client does)."""

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = super().__call__(environ, start_response)
            body = b"".join(response)
            response.close()
            return [body]
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


@dataclass
class World:
    """One school of one department, a person of every role, and one of everything."""

    users: dict[str, Any] = field(default_factory=dict)
    ids: dict[str, list[int]] = field(default_factory=dict)  # path parameter -> ids that exist


def build_world() -> World:
    school = make_school()
    department = school.parent
    users = {
        "student": make_user(Role.STUDENT, school),
        "teacher": make_user(Role.TEACHER, school),
        "proctor": make_user(Role.PROCTOR, school),
        "board": make_user(Role.BOARD, department),
        "school_admin": make_user(Role.SCHOOL_ADMIN, school),
        "admin": make_user(Role.ADMIN, department),
    }
    classmate = make_user(Role.STUDENT, school)
    teacher, board = users["teacher"], users["board"]
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    topic = subjects.topic_create(by=board, subject_id=subject.pk, name="Hàm số")
    published = make_versions(teacher, subject, 4, reviewer=board)
    draft = bank.item_create(
        by=teacher,
        subject=subject,
        level=CognitiveLevel.KNOW,
        topic=topic,
        content={"stem": "Câu nháp", "options": [{"id": "A", "text": "1"}, {"id": "B", "text": "2"}], "key": "A"},
    )
    stimulus = stimuli.stimulus_create(by=teacher, subject=subject, title="Bài đọc", kind="passage", body="Đoạn văn")
    blueprint = make_blueprint(by=teacher, subject=subject, topic=topic)
    assessment = make_assessment(organisation=school, subject=subject, created_by=board)
    form = authoring.form_of_versions(by=board, assessment=assessment, code="101", item_versions=published)
    now = timezone.now()
    sitting = schedule(
        by=board,
        form=form,
        students=[users["student"], classmate],
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=2),
    )
    school_class = account_services.class_create(
        by=users["school_admin"],
        school_id=school.pk,
        school_year="2026-2027",
        name="10A1",
        grade=10,
        homeroom_teacher_id=teacher.pk,
    )
    account_services.class_place_student(by=users["school_admin"], class_id=school_class.pk, student_id=classmate.pk)
    policy = throttle.Policy.from_settings()
    for _attempt in range(policy.lock_failures):  # a locked account to list and unlock
        account_services.login_failure_record(username=classmate.username, address="", policy=policy)
    items = [v.item_id for v in published] + [draft.item_id]
    return World(
        users=users,
        ids={
            "item_id": items,
            "version_id": [v.pk for v in published] + [draft.pk],
            "stimulus_id": [stimulus.pk],
            "subject_id": [subject.pk],
            "topic_id": [topic.pk],
            "blueprint_id": [blueprint.pk],
            "assessment_id": [assessment.pk],
            "form_id": [form.pk],
            "sitting_id": [sitting.pk],
            "attempt_id": list(sitting.attempts.values_list("pk", flat=True)),
            "class_id": [school_class.pk],
            "user_id": [classmate.pk, users["student"].pk],
            "student_id": [classmate.pk, users["student"].pk],
        },
    )


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module (as Django's setUpTestData), in a transaction rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        WORLD_IDS.update(built.ids)
        yield built
        WORLD_IDS.clear()
        transaction.set_rollback(True)


def load_schema() -> schemathesis.schemas.BaseSchema:
    """The schema /api/schema/ serves (tests/config/test_api_schema.py checks that it does)."""
    raw = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = InProcessWSGI()
    loaded.config.generation.update(max_examples=EXAMPLES, with_security_parameters=False, deterministic=True)
    loaded.config.phases.update(phases=PHASES)
    return loaded


schema = load_schema()
WORLD_IDS: dict[str, list[int]] = {}  # the world's ids by path parameter, while it exists


@pytest.fixture(params=ROLES)
def browser(request, world) -> dict[str, Any]:
    """The cookies and CSRF header of a browser logged in as the role (or not: anonymous)."""
    csrf = get_random_string(32)
    cookies = {settings.CSRF_COOKIE_NAME: csrf}
    if request.param != "anonymous":
        name, _, key = session_cookie(world.users[request.param]).partition("=")
        cookies[name] = key
    return {"cookies": cookies, "headers": {"X-CSRFToken": csrf}}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    # Mostly an id of the world (else the generated one), so that calls reach its objects and
    # do not all end in 404.
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([value, *WORLD_IDS[name]]) if WORLD_IDS.get(name) else st.just(value)
            for name, value in path_parameters.items()
        }
    )


@schema.parametrize()
@hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_as_every_role(case, browser):
    with transaction.atomic():
        response = case.call(**browser)
        transaction.set_rollback(True)
    case.validate_response(response, checks=CHECKS)
