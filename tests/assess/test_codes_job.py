"""Test codes are made by a job (``POST /api/forms/<id>/codes/`` answers 202): the page follows
its progress; what would be refused is refused at once, and a job that fails writes nothing."""

from __future__ import annotations

import pytest

from assess import test_codes
from assess.models import Form
from jobs.models import Job
from jobs.services import job_start, run_job
from tests.assess.test_authoring import exam, master, world  # noqa: F401 - fixtures
from tests.factories import logged_in_client, post_job, schedule

pytestmark = pytest.mark.django_db


def test_the_codes_are_made_by_a_job_and_the_same_seed_makes_the_same_codes(world, master):  # noqa: F811
    client = logged_in_client(world.board)
    code, job = post_job(
        client, f"/api/forms/{master.pk}/codes/", {"count": 4, "seed": 7}, content_type="application/json"
    )
    assert code == 202 and job["kind"] == "test_codes" and job["status"] == "succeeded", job
    assert job["percent"] == 100 and job["result"]["form"] == master.pk
    made = list(Form.objects.filter(parent=master).order_by("code"))
    assert [entry["code"] for entry in job["result"]["test_codes"]] == [form.code for form in made]
    assert [form.code for form in made] == ["101", "102", "103", "104"]
    layouts = {
        form.code: list(form.form_items.order_by("position").values_list("item_version", "arrangement"))
        for form in made
    }
    again = test_codes.codes_generate(by=world.board, form_id=master.pk, count=4, seed=7)
    assert {
        form.code: list(form.form_items.order_by("position").values_list("item_version", "arrangement"))
        for form in again
    } == layouts


@pytest.mark.parametrize(
    "body, field",
    [({"count": 0}, "count"), ({"count": 500}, "count"), ({"count": 2, "first": "x" * 40}, "first"), ({}, "count")],
)
def test_bad_counts_and_names_are_refused_at_once_and_no_job_starts(world, master, body, field):  # noqa: F811
    response = logged_in_client(world.board).post(
        f"/api/forms/{master.pk}/codes/", body, content_type="application/json"
    )
    assert response.status_code == 400 and field in response.json()["error"]["fields"], response.json()
    assert Job.objects.count() == 0 and not Form.objects.filter(parent=master).exists()


def test_a_frozen_form_and_a_stranger_are_refused_at_once(world, master):  # noqa: F811
    stranger = logged_in_client(world.teacher).post(
        f"/api/forms/{master.pk}/codes/", {"count": 2}, content_type="application/json"
    )
    assert stranger.status_code == 404
    student = logged_in_client(world.student).post(
        f"/api/forms/{master.pk}/codes/", {"count": 2}, content_type="application/json"
    )
    assert student.status_code == 403
    test_codes.codes_generate(by=world.board, form_id=master.pk, count=2)
    schedule(by=world.board, form=master, students=[world.student])
    response = logged_in_client(world.board).post(
        f"/api/forms/{master.pk}/codes/", {"count": 2}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["form"] == ["Đề GOC đã được khóa: một ca thi dùng đề này đã mở."]
    assert Job.objects.count() == 0


def test_a_job_that_finds_the_form_frozen_meanwhile_fails_and_keeps_the_codes(world, master):  # noqa: F811
    """The sitting opened between the request and the worker: the job refuses, nothing changes."""
    test_codes.codes_generate(by=world.board, form_id=master.pk, count=2, seed=1)
    before = sorted(Form.objects.filter(parent=master).values_list("pk", flat=True))
    job = job_start(by=world.board, kind="test_codes", params={"form": master.pk, "count": 3, "first": "101"})
    schedule(by=world.board, form=master, students=[world.student])
    assert run_job(str(job.pk)) == "failed"
    error = Job.objects.get(pk=job.pk).error
    assert error["code"] == "invalid" and "GOC" in error["message"]
    assert sorted(Form.objects.filter(parent=master).values_list("pk", flat=True)) == before
