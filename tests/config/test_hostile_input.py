"""No address of the project answers a hostile path id or query parameter with a server error.

The walk takes every URL pattern from the resolver (the admin's included), fills each of its
path parameters with real ids of a small world, with ids too large for a 64-bit column and
with odd strings, and sends every query parameter the project reads with hostile values, as
an anonymous visitor and as every role. Any 5xx fails. With ``DATABASE_URL`` set it runs on
PostgreSQL, else on SQLite: each database overflows differently (SQLite raises
``OverflowError`` for ``IN`` lists with a large int, PostgreSQL refuses a NUL character).
"""

from __future__ import annotations

import importlib
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.http import QueryDict
from django.test import Client
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone

from accounts.models import ClassMembership, ClassTeacher, Role, SchoolClass
from assess.models import Attempt
from config.asgi import websocket_application
from config.ids import MAX_ID
from itembank import stimuli
from itembank.models import ImportBatch, MediaFile, Topic
from tests.factories import make_school, make_sitting, make_user, session_cookie

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]

# Too large for a 64-bit id column (2^63, 10^30), the largest accepted, and a few odd ones.
HOSTILE_IDS = ["9" * 30, "9223372036854775808", str(MAX_ID), "0", "00000000000000000001"]
HOSTILE_VALUES = [
    "9" * 30,
    "18446744073709551616",
    "-1",
    "1e309",
    "1.5",
    "²",
    "١٢",
    "",
    "x",
    "\x00",
    "ab\ud800cd".encode("utf-8", "surrogatepass").decode("latin-1"),
    "a" * 3000,
]
# Parameters of Django's own views (the admin's changelist and popups, the login's "next").
# Django's changelist code is the same for every model: the values that break a parser (too
# large, negative, not a number, NUL, very long) are enough there, the whole list for ours.
DJANGO_VALUES = ["9" * 30, "-1", "x", "\x00", "a" * 3000]
CHANGELIST = re.compile(r"/admin/\w+/\w+/")
DJANGO_PARAMETERS = {"next", "o", "p", "q", "e", "all", "_popup", "_to_field", "_changelist_filters", "id__exact"}


def project_parameters() -> set[str]:
    """Every query parameter name the project's code reads: the fields of each serializer fed
    with ``request.query_params`` and each name looked up in it or in ``request.GET`` (found
    in the code itself, so that a new one is walked without anyone listing it here)."""
    names: set[str] = set()
    lookup = re.compile(r"""(?:query_params|GET)\.get\(\s*["']([^"']+)["']""")
    serializer = re.compile(r"(\w+)\(data=request\.query_params\)")
    for folder in ("accounts", "itembank", "assess", "proctoring", "results", "records", "frontend", "config"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            names.update(lookup.findall(text))
            module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
            for name in serializer.findall(text):
                names.update(getattr(module, name)().fields)
    return names


@dataclass
class World:
    ids: dict[str, list[str]]  # path parameter name -> values that exist
    users: dict[str, object]


@pytest.fixture
def world(db) -> World:
    sitting = make_sitting(n_items=2, n_students=1)
    attempt = Attempt.objects.filter(sitting=sitting).select_related("student").first()
    school = sitting.organisation
    teacher = make_user(Role.TEACHER, school)
    board = make_user(Role.BOARD, school.parent)
    admin = make_user(Role.ADMIN, None, is_staff=True, is_superuser=True)
    version = sitting.form.form_items.select_related("item_version__item").first().item_version
    stimulus = stimuli.stimulus_create(
        by=teacher, title="Đoạn văn", subject=version.item.subject, kind="passage", body="<p>Văn bản</p>"
    )
    topic = Topic.objects.create(subject=version.item.subject, name="Hàm số")
    batch = ImportBatch.objects.create(owner=school, created_by=teacher, filename="x.txt", format="gift", size=1)
    # A class with its records: the teacher its homeroom teacher and teaching the subject.
    school_class = SchoolClass.objects.create(
        school=school, school_year="2026-2027", name="10A1", grade=10, homeroom_teacher=teacher
    )
    ClassMembership.objects.create(
        school_class=school_class, student=attempt.student, school_year="2026-2027", joined_at=timezone.now()
    )
    ClassTeacher.objects.create(school_class=school_class, teacher=teacher, subject=version.item.subject)
    ids = {
        "item_id": [str(version.item_id)],
        "version_id": [str(version.pk)],
        "stimulus_id": [str(stimulus.pk)],
        "attempt_id": [str(attempt.pk)],
        "sitting_id": [str(sitting.pk)],
        "student_id": [str(attempt.student_id)],
        "blueprint_id": [],
        "batch_id": [str(batch.pk)],
        "media_id": [str(uuid.uuid4())],
        "object_id": [str(version.pk), str(topic.pk)],
        "class_id": [str(school_class.pk)],
        "subject_id": [str(version.item.subject_id)],
    }
    users = {
        "anonymous": None,
        "student": attempt.student,
        "teacher": teacher,
        "proctor": make_user(Role.PROCTOR, school),
        "board": board,
        "admin": admin,
    }
    assert MediaFile.objects.count() == 0
    return World(ids=ids, users=users)


def patterns(resolvers=None, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Every route of the project as (regex, pattern), nested includes flattened."""
    for entry in get_resolver().url_patterns if resolvers is None else resolvers:
        regex = prefix + entry.pattern.regex.pattern.lstrip("^").removesuffix("\\Z").removesuffix("$")
        if isinstance(entry, URLResolver):
            yield from patterns(entry.url_patterns, regex)
        else:
            yield regex, entry


_GROUP = re.compile(r"\(\?P<(\w+)>([^()]*(?:\([^()]*\)[^()]*)*)\)")


def fill(regex: str, values: dict[str, str]) -> str | None:
    """The path of ``regex`` with each named group replaced by ``values[name]``; ``None`` for
    a pattern with free-form parts (the admin's catch-all), walked through its neighbours."""
    path = _GROUP.sub(lambda m: values.get(m.group(1), "x"), regex)
    path = re.sub(r"\\([.\-/])", r"\1", path)
    if any(token in path for token in ("(?", "[", "\\", "*", "+", "|")):
        return None
    return "/" + path


def addresses(world: World) -> list[tuple[str, bool]]:
    """Every address to walk, with whether its path holds only real values (those also get the
    hostile query parameters; the others are hostile in their path)."""
    found: set[tuple[str, bool]] = set()
    for regex, _entry in patterns():
        names = [name for name, _group in _GROUP.findall(regex)]
        choices: list[list[str]] = []
        for name, group in _GROUP.findall(regex):
            if name == "app_label":
                choices.append(["itembank", "nosuchapp"])
            elif name == "model_name":
                choices.append(["item", "nosuchmodel"])
            elif "[0-9a-f]" in group:
                choices.append(world.ids.get(name, []) + [str(uuid.uuid4())])
            else:
                choices.append(world.ids.get(name, []) + HOSTILE_IDS + ["%00", "x" * 300])
        real = {name: (options[0] if options else "1") for name, options in zip(names, choices, strict=True)}
        path = fill(regex, real)
        if path:
            found.add((path, True))
        # Each parameter takes each of its values once, the others their first value.
        for name, options in zip(names, choices, strict=True):
            for value in options[1:]:
                path = fill(regex, {**real, name: value})
                if path:
                    found.add((path, False))
    return sorted(found)


def test_the_walk_covers_the_project(world):
    walked = [path for path, _real in addresses(world)]
    for expected in ("/api/items/", "/api/item-versions/", "/api/blueprints/", "/exam/", "/admin/itembank/item/"):
        assert any(path.startswith(expected) for path in walked), expected
    assert {"topic", "against", "subject", "q", "format", "page"} <= project_parameters()
    assert any("9223372036854775808" in path for path in walked)


class _ReadParameters:
    """Records the names a view looks up in a ``QueryDict`` (``request.GET``, DRF's
    ``query_params``): the parameters it reads, found by asking the view itself."""

    def __init__(self, monkeypatch) -> None:
        self.names: set[str] = set()
        for method in ("get", "getlist", "__getitem__", "__contains__"):
            original = getattr(QueryDict, method)
            monkeypatch.setattr(QueryDict, method, self._recording(original))

    def _recording(self, original):
        def read(query, key, *args, **kwargs):
            if isinstance(key, str):
                self.names.add(key)
            return original(query, key, *args, **kwargs)

        return read


@pytest.mark.parametrize("role", ["anonymous", "student", "teacher", "proctor", "board", "admin"])
def test_no_hostile_path_or_parameter_gives_a_server_error(world, role, monkeypatch):
    client = Client(raise_request_exception=False)
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    reads = _ReadParameters(monkeypatch)
    failures: list[str] = []
    for path, real in addresses(world):
        if path.startswith(("/logout/", "/api/auth/logout/", "/admin/logout/")):
            continue  # would end the session the walk goes on with
        reads.names.clear()
        plain = client.get(path)
        names = set(reads.names) - {"csrftoken", "sessionid", settings.LANGUAGE_COOKIE_NAME}
        if plain.status_code >= 500:
            failures.append(f"GET {path} -> {plain.status_code}")
        response = client.post(path, content_type="application/json")
        if response.status_code >= 500:
            failures.append(f"POST {path} -> {response.status_code}")
        if not real or plain.status_code >= 400:
            continue  # a page the role may not open refuses before it reads parameters
        if CHANGELIST.fullmatch(path):
            names |= DJANGO_PARAMETERS  # the changelist iterates over its parameters
        for name in sorted(names):
            values = DJANGO_VALUES if CHANGELIST.fullmatch(path) and name in DJANGO_PARAMETERS else HOSTILE_VALUES
            for value in values:
                response = client.get(path, {name: value})
                if response.status_code >= 500:
                    failures.append(f"GET {path}?{name}={value[:20]!r} -> {response.status_code}")
    assert not failures, "\n".join(failures[:40])


def test_the_walk_finds_every_parameter_the_code_reads(world, monkeypatch):
    """The recorder sees each parameter name written in the code: the walk misses none."""
    client = Client(raise_request_exception=False)
    client.force_login(world.users["admin"])
    student = Client(raise_request_exception=False)  # the student's own pages are theirs alone
    student.force_login(world.users["student"])
    reads = _ReadParameters(monkeypatch)
    for path, real in addresses(world):
        if real and not path.startswith(("/logout/", "/api/auth/logout/", "/admin/")):
            client.get(path)
            student.get(path)
    assert project_parameters() <= reads.names


@pytest.mark.parametrize("path", ["/api/items/{}/", "/exam/{}/", "/api/students/{}/record/", "/bank/items/{}/"])
def test_an_id_too_large_for_a_column_is_no_address(path):
    """Ids of 19 digits or more (2^63 has 19) never reach a view: the route does not match."""
    assert resolve(path.format(MAX_ID)).kwargs
    for too_large in ("9" * 19, "9" * 30):
        with pytest.raises(Resolver404):
            resolve(path.format(too_large))


@pytest.mark.asyncio
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt_id", ["9" * 30, "9223372036854775808"])
async def test_an_exam_socket_with_an_overflowing_id_is_not_found(attempt_id):
    student = await database_sync_to_async(lambda: make_user(Role.STUDENT, make_school()))()
    cookie = await database_sync_to_async(session_cookie)(student)
    communicator = WebsocketCommunicator(
        websocket_application,
        f"/ws/attempts/{attempt_id}/",
        headers=[(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1"), (b"cookie", cookie.encode())],
    )
    connected, _code = await communicator.connect()
    try:
        assert connected
        message = json.loads(await communicator.receive_from(timeout=3))
        assert message["type"] == "error" and message["code"] == "not_found"
        assert await communicator.receive_output(timeout=3) == {"type": "websocket.close", "code": 4404}
    finally:
        await communicator.disconnect()
