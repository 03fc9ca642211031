"""Usage and exposure of bank items, counted from delivery."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from assess import services
from assess.selectors import item_usage
from tests.factories import make_school, make_sitting, make_user, make_versions

pytestmark = pytest.mark.django_db


def _start(attempt):
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)


def test_forms_sittings_and_exposures_are_counted_per_item():
    sitting = make_sitting(n_items=3, n_students=3)
    items = list(sitting.form.form_items.values_list("item_version__item_id", flat=True))
    teacher = make_user(Role.TEACHER, make_school())
    unused = make_versions(teacher, sitting.assessment.subject, 1)[0].item_id
    assert item_usage(items)[items[0]] == {
        "forms": 1,
        "sittings": 1,
        "exposures": 0,
        "last_used": sitting.opens_at.isoformat(),
    }
    attempts = list(sitting.attempts.order_by("pk"))
    _start(attempts[0])
    _start(attempts[1])
    usage = item_usage([*items, unused])
    assert [usage[i]["exposures"] for i in items] == [2, 2, 2]  # two candidates saw each item
    assert usage[unused] == {"forms": 0, "sittings": 0, "exposures": 0, "last_used": None}


def test_the_usage_call_follows_sharing(client):
    sitting = make_sitting(n_items=1, n_students=1)
    item_id = sitting.form.form_items.get().item_version.item_id
    owner = sitting.form.form_items.get().item_version.item.author
    client.force_login(owner)
    answer = client.get(f"/api/items/{item_id}/usage/")
    assert answer.status_code == 200 and answer.json()["forms"] == 1
    outsider = Client()
    outsider.force_login(make_user(Role.TEACHER, make_school()))
    assert outsider.get(f"/api/items/{item_id}/usage/").status_code == 404
    student = Client()
    student.force_login(sitting.attempts.get().student)
    assert student.get(f"/api/items/{item_id}/usage/").status_code == 403
