"""Jobs: long work queued, run once, its progress visible while it runs, its outcome kept."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.test.testcases import TestCase
from django.utils.translation import gettext as _

from accounts.models import Role
from jobs import services
from jobs.models import Job
from tests.factories import logged_in_client, make_school, make_user

pytestmark = pytest.mark.django_db
SEEN: dict = {}


def counting_work(job, report):
    """Reports its progress as it goes; what the page would see is kept in SEEN."""
    for done in range(4):
        report(done, 3, f"step {done}")
        SEEN["while running"] = services.progress_of(Job.objects.get(pk=job.pk))
    return {"sum": sum(job.params["numbers"])}


def refusing_work(job, report):
    raise ValidationError({"file": [_("The file lists nobody.")]})


def forbidden_work(job, report):
    raise PermissionDenied(_("You may not do this."))


def broken_work(job, report):
    raise RuntimeError("a bug")


@pytest.fixture(autouse=True)
def kinds(monkeypatch):
    for name in ("counting_work", "refusing_work", "forbidden_work", "broken_work"):
        monkeypatch.setitem(services.KINDS, name, f"tests.jobs.test_jobs.{name}")
    monkeypatch.setattr(services, "REPORT_EVERY", 0)


def start(user, kind, **params):
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = services.job_start(by=user, kind=kind, params=params)
    job.refresh_from_db()
    return job


def test_a_job_runs_once_reports_progress_and_keeps_its_result():
    user = make_user(Role.TEACHER, make_school())
    job = start(user, "counting_work", numbers=[1, 2, 3])
    assert job.status == Job.Status.SUCCEEDED and job.result == {"sum": 6}
    assert SEEN["while running"]["message"] == "step 3" and SEEN["while running"]["total"] == 3
    assert job.payload is None and job.finished_at is not None
    assert services.run_job(str(job.pk)) == "skipped"  # a repeat (a redelivered task) does nothing
    body = logged_in_client(user).get(f"/api/jobs/{job.pk}/").json()
    assert (body["status"], body["percent"], body["result"]) == ("succeeded", 100, {"sum": 6})


@pytest.mark.parametrize(
    ("kind", "code"),
    [("refusing_work", "invalid"), ("forbidden_work", "forbidden"), ("broken_work", "server_error")],
)
def test_a_failing_job_keeps_a_clear_error_in_the_starters_language(kind, code, caplog):
    user = make_user(Role.TEACHER, make_school())
    job = start(user, kind)
    assert job.status == Job.Status.FAILED and job.error["code"] == code
    assert "bug" not in job.error["message"]  # the exception's text stays in the log
    if code == "invalid":
        assert job.error["fields"] == {"file": ["Tệp không có tên ai."]}
    if code == "server_error":
        assert "a bug" in caplog.text
    from django.utils import translation

    with translation.override("en"):
        english = start(user, "refusing_work")
    assert english.error["fields"] == {"file": ["The file lists nobody."]}


def test_a_job_is_its_owners_only():
    owner = make_user(Role.SCHOOL_ADMIN, make_school())
    job = start(owner, "counting_work", numbers=[1])
    for other in (make_user(Role.SCHOOL_ADMIN, owner.organisation), make_user(Role.ADMIN, None)):
        assert logged_in_client(other).get(f"/api/jobs/{job.pk}/").status_code == 404
    client = logged_in_client(owner)
    assert client.get("/api/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404
    assert client.get("/api/jobs/not-a-uuid/").status_code == 404
    client.logout()
    assert client.get(f"/api/jobs/{job.pk}/").status_code in (401, 403)


def test_an_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        services.job_start(by=make_user(Role.TEACHER, make_school()), kind="no_such_kind")
    assert settings.CELERY_BEAT_SCHEDULE  # jobs need no beat: each runs once, when started
