"""The engine's database for a run of drills: migrated, one form, and a sitting of its own for
each drill, every candidate logged in (a session made here, as ``bench.load`` makes them).

Run in a process of its own (``python -m bench.drills.build``), so that the drills themselves
(and the test process that runs them) never hold a Django connection to the servers they
restart:

    python -m bench.drills.build DATABASE_URL REDIS_URL ITEMS OUT.json name=students ...

writes ``{"<name>": [{"attempt", "path", "cookie", "username"}, ...], ...}`` to OUT.json.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from pathlib import Path

from bench.load import targets


def build(database_url: str, redis_url: str, items: int, groups: dict[str, int]) -> dict[str, list[dict]]:
    os.environ.update(targets.engine_environment(database_url, redis_url))
    sys.path.insert(0, str(targets.ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Role, User
    from assess import authoring
    from assess.models import Attempt
    from itembank import services as bank
    from itembank.models import CognitiveLevel, Subject
    from tests.factories import make_assessment, make_school, make_user, password_hash, release_version, schedule

    call_command("migrate", verbosity=0)
    school = make_school()
    board = make_user(Role.BOARD, school.parent)
    teacher = make_user(Role.TEACHER, school)
    subject, _ = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    versions = []
    for n in range(items):
        version = bank.item_create(
            by=teacher,
            subject=subject,
            level=CognitiveLevel.KNOW,
            content={
                "stem": targets.STEM.format(n=n + 1),
                "options": [{"id": letter, "text": text} for letter, text in zip("ABCD", targets.OPTIONS, strict=True)],
                "key": "ABCD"[n % 4],
            },
            points="0.25",
        )
        versions.append(release_version(version, author=teacher, reviewer=board))
    # Three hours: the longest run of drills ends well before anyone's deadline.
    assessment = make_assessment(
        organisation=school, subject=subject, created_by=board, duration=timezone.timedelta(hours=3)
    )
    form = authoring.form_of_versions(by=board, assessment=assessment, code="101", item_versions=versions)
    hashed = password_hash()
    store = SessionStore()
    expires = timezone.now() + timezone.timedelta(hours=6)
    cookie = settings.SESSION_COOKIE_NAME
    seats: dict[str, list[dict]] = {}
    for group, students in groups.items():
        people = User.objects.bulk_create(
            User(
                username=f"{group}-{n:05d}",
                role=Role.STUDENT,
                organisation=school,
                learner_id=f"{group[:6].upper()}{n:06d}",
                password=hashed,
                first_name="Thí sinh",
                last_name=f"{n:05d}",
            )
            for n in range(students)
        )
        people = list(User.objects.filter(username__startswith=f"{group}-", role=Role.STUDENT).order_by("username"))
        sitting = schedule(
            by=board,
            form=form,
            students=people,
            title=f"Diễn tập {group}",
            closes_at=timezone.now() + timezone.timedelta(hours=4),
        )
        sessions = {}
        rows = []
        for person in people:
            key = secrets.token_hex(16)
            data = {
                SESSION_KEY: str(person.pk),
                BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                HASH_SESSION_KEY: person.get_session_auth_hash(),
            }
            rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
            sessions[person.pk] = key
        Session.objects.bulk_create(rows, batch_size=2000)
        seats[group] = [
            {
                "attempt": attempt_id,
                "path": f"/ws/attempts/{attempt_id}/",
                "cookie": f"{cookie}={sessions[student_id]}",
                "username": username,
            }
            for attempt_id, student_id, username in Attempt.objects.filter(sitting=sitting)
            .order_by("pk")
            .values_list("pk", "student_id", "student__username")
        ]
    return seats


def main() -> None:
    database_url, redis_url, items, out, *groups = sys.argv[1:]
    wanted = {name: int(count) for name, count in (group.split("=") for group in groups)}
    Path(out).write_text(json.dumps(build(database_url, redis_url, int(items), wanted)))


if __name__ == "__main__":
    main()
