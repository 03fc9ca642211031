"""Uploaded import files do not pile up: refused ones are not kept, imported ones are deleted
once written, abandoned ones (the person left, the worker died) by the sweep; each person has
a quota of files waiting.

The finding: every uploaded file stayed on disk forever, refused or not.
"""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from itembank.models import ImportBatch, Item, Subject
from itembank.uploads import import_batch_commit, import_uploads_sweep
from tests.factories import logged_in_client, make_school, make_user, post_job
from tests.processes import celery_worker_process, daphne_process

pytestmark = pytest.mark.django_db

GIFT = "::Câu 1:: 1 + 1 = ? {=2 ~3 ~4}\n\n::Câu 2:: Trái Đất quay quanh Mặt Trời. {T}\n".encode()
GIFT_BAD = "::Câu 1:: Thủ đô? {~Huế ~Vinh}\n".encode()  # no right answer


@pytest.fixture
def teacher(db):
    Subject.objects.get_or_create(code="toan", defaults={"name": "Toán"})
    return make_user(Role.TEACHER, make_school())


def upload(client: Client, data: bytes = GIFT, name: str = "de.gift"):
    return client.post("/api/imports/", {"file": SimpleUploadedFile(name, data), "subject": "toan"})


def stored(media_root: Path) -> list[Path]:
    """Every upload file on disk."""
    return sorted(path for path in (media_root / "imports").rglob("*") if path.is_file())


def test_a_refused_file_is_not_kept(teacher, media_root):
    client = logged_in_client(teacher)
    answer = upload(client, GIFT_BAD)
    assert answer.status_code == 201 and not answer.json()["report"]["ok"]
    assert stored(media_root) == []
    batch = ImportBatch.objects.get(pk=answer.json()["id"])
    assert batch.status == ImportBatch.Status.REJECTED and not batch.file
    commit = client.post(f"/api/imports/{batch.pk}/commit/")
    assert commit.status_code == 400 and commit.json()["error"]["code"] == "import_rejected"
    assert commit.json()["report"]["error_count"] == 1 and Item.objects.count() == 0


def test_an_imported_file_is_deleted_once_its_items_are_written(
    teacher, media_root, django_capture_on_commit_callbacks
):
    client = logged_in_client(teacher)
    batch_id = upload(client).json()["id"]
    assert len(stored(media_root)) == 1
    code, job = post_job(client, f"/api/imports/{batch_id}/commit/")
    assert code == 202 and job["status"] == "succeeded" and Item.objects.count() == 2
    assert stored(media_root) == []
    batch = ImportBatch.objects.get(pk=batch_id)
    assert batch.status == ImportBatch.Status.IMPORTED and not batch.file
    again = client.post(f"/api/imports/{batch_id}/commit/")  # a double click still answers the items
    assert again.status_code == 200 and again.json()["items"] == job["result"]["items"]


def test_a_file_refused_at_commit_is_deleted(teacher, media_root, django_capture_on_commit_callbacks):
    client = logged_in_client(teacher)
    batch_id = upload(client).json()["id"]
    (path,) = stored(media_root)
    path.write_bytes(GIFT_BAD)  # what the file holds no longer imports (here: changed on disk)
    code, job = post_job(client, f"/api/imports/{batch_id}/commit/")
    assert code == 202 and job["status"] == "failed" and job["error"]["code"] == "import_rejected"
    assert job["error"]["message"] == "Có 1 lỗi trong de.gift; chưa nhập câu hỏi nào."
    assert job["error"]["report"]["error_count"] == 1
    assert stored(media_root) == [] and Item.objects.count() == 0
    assert ImportBatch.objects.get(pk=batch_id).status == ImportBatch.Status.REJECTED


def test_an_abandoned_upload_is_deleted_by_the_sweep_and_cannot_be_imported_then(
    teacher, media_root, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_UPLOAD_MAX_AGE_SECONDS = 3600
    client = logged_in_client(teacher)
    old_id = upload(client).json()["id"]
    young_id = upload(client, GIFT.replace(b"1 + 1", b"2 + 2")).json()["id"]
    ImportBatch.objects.filter(pk=old_id).update(created_at=timezone.now() - timedelta(hours=2))
    assert len(stored(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        assert import_uploads_sweep() == 1
    (kept,) = stored(media_root)
    assert ImportBatch.objects.get(pk=young_id).file.name == str(kept.relative_to(media_root))
    old = ImportBatch.objects.get(pk=old_id)
    assert old.status == ImportBatch.Status.EXPIRED and not old.file
    gone = client.post(f"/api/imports/{old_id}/commit/")
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "upload_gone"
    code, job = post_job(client, f"/api/imports/{young_id}/commit/")
    assert code == 202 and job["status"] == "succeeded"
    with django_capture_on_commit_callbacks(execute=True):
        assert import_uploads_sweep() == 0  # nothing left to do: safe to run again


def test_a_file_whose_process_died_before_its_row_is_deleted_by_the_sweep_once_old(media_root, settings):
    """The worker died between writing the file and saving (or committing) its row: no row
    names the file. The sweep leaves it while an upload may still be under way, then deletes it."""
    settings.IMPORT_UPLOAD_MAX_AGE_SECONDS = 3600
    orphan = media_root / "imports" / "2026" / "12" / "upload_x1"
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(GIFT)
    assert import_uploads_sweep() == 0 and orphan.exists()
    two_hours_ago = time.time() - 7200
    os.utime(orphan, (two_hours_ago, two_hours_ago))
    assert import_uploads_sweep() == 1 and not orphan.exists()


def test_a_row_that_still_names_its_file_after_the_import_loses_it_to_the_sweep(
    teacher, media_root, django_capture_on_commit_callbacks
):
    """The process died after the commit, before it deleted the file."""
    client = logged_in_client(teacher)
    batch_id = upload(client).json()["id"]
    name = ImportBatch.objects.get(pk=batch_id).file.name
    import_batch_commit(by=teacher, batch_id=batch_id)  # on-commit deletion never runs here
    assert ImportBatch.objects.get(pk=batch_id).status == ImportBatch.Status.IMPORTED
    ImportBatch.objects.filter(pk=batch_id).update(file=name)
    assert len(stored(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert import_uploads_sweep() == 1
    assert stored(media_root) == []


def test_each_person_has_a_quota_of_files_waiting(teacher, settings, media_root):
    settings.IMPORT_MAX_PENDING_UPLOADS = 2
    client = logged_in_client(teacher)
    assert upload(client).status_code == 201
    assert upload(client, GIFT_BAD).status_code == 201  # refused files are not kept: they do not count
    assert upload(client).status_code == 201
    refused = upload(client)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error["code"] == "upload_quota" and "2" in error["message"]
    assert ImportBatch.objects.count() == 3 and len(stored(media_root)) == 2
    other = make_user(Role.TEACHER, teacher.organisation)
    assert upload(logged_in_client(other)).status_code == 201  # a quota per person


def test_the_quota_counts_bytes_too(teacher, settings, media_root):
    settings.IMPORT_MAX_PENDING_BYTES = len(GIFT) * 2 - 1
    client = logged_in_client(teacher)
    assert upload(client).status_code == 201
    refused = upload(client)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "upload_quota"
    assert len(stored(media_root)) == 1


def test_the_quota_message_is_in_vietnamese(teacher, settings):
    settings.IMPORT_MAX_PENDING_UPLOADS = 1
    client = logged_in_client(teacher)
    upload(client)
    message = upload(client).json()["error"]["message"]
    assert "tệp" in message, message


# --- the sweep runs by itself: Celery beat, or the embedded server -----------------------------


def _abandoned_upload(teacher, media_root: Path) -> Path:
    answer = upload(logged_in_client(teacher))
    assert answer.status_code == 201
    (path,) = stored(media_root)
    return path


def _wait_until_gone(path: Path, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not path.exists():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_the_embedded_server_sweeps_abandoned_uploads(teacher, media_root, tmp_path):
    """One Daphne process of the embedded default (no Redis, no beat) deletes the file of an
    upload nobody imported: the worker that should have committed it is gone."""
    path = _abandoned_upload(teacher, media_root)
    env = {
        "REDIS_URL": "",
        "MEDIA_ROOT": str(media_root),
        "IMPORT_UPLOAD_MAX_AGE_SECONDS": "1",
        "IMPORT_UPLOAD_SWEEP_SECONDS": "1",
    }
    with daphne_process(tmp_path, **env):
        assert _wait_until_gone(path), (tmp_path / "daphne.log").read_text()
    assert ImportBatch.objects.get().status == ImportBatch.Status.EXPIRED


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_celery_beat_sweeps_abandoned_uploads(teacher, media_root, tmp_path):
    from tests.integration.test_exam_end_to_end import private_redis_url

    path = _abandoned_upload(teacher, media_root)
    with private_redis_url() as redis_url:
        env = {
            "REDIS_URL": redis_url,
            "MEDIA_ROOT": str(media_root),
            "IMPORT_UPLOAD_MAX_AGE_SECONDS": "1",
            "IMPORT_UPLOAD_SWEEP_SECONDS": "1",
        }
        with celery_worker_process(tmp_path, beat=True, **env):
            assert _wait_until_gone(path), (tmp_path / "celery.log").read_text()
    assert ImportBatch.objects.get().status == ImportBatch.Status.EXPIRED
