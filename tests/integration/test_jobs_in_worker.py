"""Long work over real processes: a Daphne server answers 202 and a real Celery worker does the
work (an item import, test codes, an export); the page's client follows each job over HTTP
until it ends, its progress read from Redis, and downloads the file the export made."""

from __future__ import annotations

import time
from contextlib import ExitStack
from typing import Any

import pytest

from assess import authoring
from assess.models import Form
from itembank.importing import ImportDefaults, import_preview
from itembank.models import Item, Subject
from itembank.uploads import import_upload_store
from tests.assess.test_authoring import World
from tests.integration.test_exam_end_to_end import HttpClient, logged_in, private_redis_url
from tests.processes import celery_worker_process, daphne_process

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

GIFT = "::Câu 1:: 1 + 1 = ? {=2 ~3 ~4}\n\n::Câu 2:: Trái Đất quay quanh Mặt Trời. {T}\n".encode()
JOB_WAIT = 30.0  # seconds: from the request to the job's end in the worker


def follow(client: HttpClient, job: dict[str, Any]) -> dict[str, Any]:
    """Poll GET /api/jobs/<id>/ as the page does until the job ends; every state seen is valid."""
    deadline = time.monotonic() + JOB_WAIT
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        status, job = client.get(f"/api/jobs/{job['id']}/")
        assert status == 200 and 0 <= job["percent"] <= 100, job
    return job


def test_imports_codes_and_exports_are_done_by_the_worker(tmp_path, settings):
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)  # where this process keeps the upload the worker reads
    world = World()
    teacher = world.teacher
    toan = Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})[0]
    report, _planned = import_preview(data=GIFT, filename="de.gift", defaults=ImportDefaults(subject=toan))
    batch = import_upload_store(  # as POST /api/imports/ keeps a previewed file
        by=teacher,
        owner_id=world.school.pk,
        filename="de.gift",
        format="auto",
        data=GIFT,
        options={"subject": "toan", "level": "biet", "visibility": "school"},
        report=report.as_dict(),
    )
    quiz = authoring.assessment_create(by=world.board, spec=world.spec())
    choices = world.choice(world.algebra, n=4)
    groups = world.true_false(world.geometry, n=2)
    master = authoring.form_build(
        by=world.board, assessment_id=quiz.pk, code="GOC", item_ids=[[i.pk for i in choices], [i.pk for i in groups]]
    )
    with ExitStack() as stack:
        env = {"REDIS_URL": stack.enter_context(private_redis_url()), "MEDIA_ROOT": str(media)}
        stack.enter_context(celery_worker_process(tmp_path, **env))
        base = stack.enter_context(daphne_process(tmp_path, **env))

        author = logged_in(base, teacher)
        csrf = {"X-CSRFToken": author.cookie("csrftoken")}
        status, body = author.request("POST", f"/api/imports/{batch.pk}/commit/", {}, csrf)
        assert status == 202 and body["job"]["kind"] == "item_import", body
        job = follow(author, body["job"])
        assert job["status"] == "succeeded", job
        assert sorted(job["result"]["items"]) == sorted(
            Item.objects.filter(owner=world.school, subject=toan).values_list("pk", flat=True)
        )
        assert len(job["result"]["items"]) == 2

        status, body = author.request("POST", "/api/exports/", {"format": "moodle", "subject": "toan"}, csrf)
        assert status == 202, body
        job = follow(author, body["job"])
        assert job["status"] == "succeeded" and job["result"]["items"] == 2, job
        status, data = author.get(job["result"]["download"])
        assert status == 200 and "<quiz>" in data and "Trái Đất quay quanh Mặt Trời" in data
        status, body = HttpClient(base).get(job["result"]["download"])  # nobody else's
        assert status in (401, 403, 404), body

        board = logged_in(base, world.board)
        status, body = board.request(
            "POST",
            f"/api/forms/{master.pk}/codes/",
            {"count": 4, "seed": 5},
            {"X-CSRFToken": board.cookie("csrftoken")},
        )
        assert status == 202, body
        job = follow(board, body["job"])
        assert job["status"] == "succeeded", job
        assert [c["code"] for c in job["result"]["test_codes"]] == ["101", "102", "103", "104"]
        assert Form.objects.filter(parent=master).count() == 4
        # One step a code, one to write them all: the job's row keeps the final figures.
        assert job["percent"] == 100 and job["done"] == job["total"] == 5
