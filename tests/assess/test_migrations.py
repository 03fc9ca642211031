"""The data migrations of issue 8: form items built before get shown ids, attempts their count."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from assess import selectors, services
from assess.models import Attempt, FormItem
from tests.factories import make_sitting

pytestmark = pytest.mark.django_db


def _answered_sitting():
    """A sitting whose first candidate answered all three items (option A)."""
    sitting = make_sitting(n_items=3, n_students=2)
    attempt = sitting.attempts.order_by("pk").first()
    token = services.attempt_connect(attempt_id=attempt.pk, user=attempt.student).token
    services.attempt_start(attempt_id=attempt.pk, user=attempt.student, token=token)
    for seq, form_item in enumerate(FormItem.objects.filter(form=sitting.form).order_by("position"), start=1):
        value = form_item.response_ids["options"]["A"]
        services.attempt_record_answer(
            attempt_id=attempt.pk, token=token, seq=seq, item=form_item.position, value=value
        )
    return sitting, attempt


def test_form_items_built_before_get_shown_ids_and_their_answers_show_in_them():
    migration = importlib.import_module("assess.migrations.0004_form_item_response_ids")
    sitting, attempt = _answered_sitting()
    FormItem.objects.update(response_ids={})  # as the table was before the migration

    migration.draw_response_ids(apps, None)  # data only: no schema editor needed

    for form_item in FormItem.objects.filter(form=sitting.form):
        assert set(form_item.response_ids) == {"options"} and sorted(form_item.response_ids["options"]) == list("ABCD")
        assert not set(form_item.response_ids["options"].values()) & set("ABCD")
    # The answers stored before (in the author's ids) are shown in the new ids.
    selectors.form_index.cache_clear()
    state = selectors.attempt_state(attempt.pk)
    first = FormItem.objects.get(form=sitting.form, position=1).response_ids["options"]
    assert state["answers"]["1"] == first["A"]


def test_attempts_get_the_count_of_their_history():
    migration = importlib.import_module("assess.migrations.0005_attempt_event_count")
    sitting, attempt = _answered_sitting()
    Attempt.objects.update(event_count=0)  # as the table was before the migration

    migration.count_history(apps, None)

    counts = dict(Attempt.objects.filter(sitting=sitting).values_list("pk", "event_count"))
    assert counts == {attempt.pk: 3, sitting.attempts.order_by("pk").last().pk: 0}
