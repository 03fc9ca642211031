"""Uploaded import files: kept only while an import may still use them, within a quota.

A file given to ``POST /api/imports/`` is previewed (``itembank.importing.import_preview``) and
kept on disk only while it can still be imported:

- a file whose report has an error is not kept at all (its batch keeps the report);
- a file refused at commit is deleted then, and a committed one once its items are written
  (when the transaction commits);
- a file nobody commits within ``IMPORT_UPLOAD_MAX_AGE_SECONDS`` is deleted by
  :func:`import_uploads_sweep` (Celery beat every ``IMPORT_UPLOAD_SWEEP_SECONDS``, or the
  embedded server, ``config.asgi.EmbeddedBeat``), and so is any file under ``imports/`` that
  no batch names once it is that old: the process that wrote it died before it saved its row,
  or after a commit but before it deleted the file.

Each user keeps at most ``IMPORT_MAX_PENDING_UPLOADS`` files waiting for their import,
``IMPORT_MAX_PENDING_BYTES`` together; one more is refused (:class:`UploadQuotaExceeded`)
before it is read. Nothing here decides who may import: ``itembank.import_api`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User

from .importing import ImportDefaults, ImportRejected, import_commit
from .models import ImportBatch

logger = logging.getLogger(__name__)

UPLOADS_FOLDER = "imports"  # ImportBatch.file's upload_to starts with it


class UploadQuotaExceeded(ValidationError):
    """The user already keeps as many uploads (or bytes) waiting as the settings allow."""

    code = "upload_quota"

    def __init__(self, message: str) -> None:
        super().__init__(message, code=self.code)


def _pending(user_id: int):
    return ImportBatch.objects.filter(created_by_id=user_id, status=ImportBatch.Status.PREVIEWED).exclude(file="")


def import_upload_check_quota(*, by: User, size: int) -> None:
    """Refuse (:class:`UploadQuotaExceeded`) an upload of ``size`` bytes over the user's quota."""
    pending = _pending(by.pk).aggregate(bytes=Sum("size"))
    count = _pending(by.pk).count()
    hours = max(1, round(settings.IMPORT_UPLOAD_MAX_AGE_SECONDS / 3600))
    if count >= settings.IMPORT_MAX_PENDING_UPLOADS:
        raise UploadQuotaExceeded(
            _(
                "You have %(count)d files waiting to be imported, the most one person may keep: import them, "
                "or wait until they are deleted (%(hours)d hours after their upload)."
            )
            % {"count": count, "hours": hours}
        )
    if (pending["bytes"] or 0) + size > settings.IMPORT_MAX_PENDING_BYTES:
        raise UploadQuotaExceeded(
            _(
                "Your files waiting to be imported and this one come to more than %(limit)d bytes: import them, "
                "or wait until they are deleted (%(hours)d hours after their upload)."
            )
            % {"limit": settings.IMPORT_MAX_PENDING_BYTES, "hours": hours}
        )


@transaction.atomic
def import_upload_store(
    *, by: User, owner_id: int, filename: str, format: str, data: bytes, options: dict[str, Any], report: dict
) -> ImportBatch:
    """Record a previewed upload; keep its bytes only if its report lets it be imported.

    The user's row is locked while the quota is checked, so that parallel uploads of one
    person cannot pass it together.
    """
    User.objects.select_for_update().filter(pk=by.pk).first()
    keep = bool(report.get("ok"))
    if keep:
        import_upload_check_quota(by=by, size=len(data))
    batch = ImportBatch(
        owner_id=owner_id,
        created_by=by,
        filename=filename[:255],
        format=format,
        size=len(data),
        options=options,
        report=report,
        status=ImportBatch.Status.PREVIEWED if keep else ImportBatch.Status.REJECTED,
    )
    batch.save()  # the row first: a file on disk without its row is found by the sweep
    if keep:
        batch.file.save("upload", ContentFile(data), save=False)
        # Should the transaction roll back, no row names the file: the sweep deletes it.
        ImportBatch.objects.filter(pk=batch.pk).update(file=batch.file.name)
    return batch


def import_batch_forget_file(batch: ImportBatch, *, status: str | None = None) -> None:
    """Stop keeping ``batch``'s file: the row says so now, the bytes go when this commits."""
    name = batch.file.name
    changes: dict[str, Any] = {"file": ""}
    if status is not None:
        changes["status"] = status
    ImportBatch.objects.filter(pk=batch.pk).update(**changes)
    batch.file.name = ""
    if name:
        transaction.on_commit(lambda: _delete_file(name), robust=True)


class ImportBatchRefused(ValidationError):
    """A batch that cannot be imported now: ``code`` (``not_found``, ``upload_gone``,
    ``import_rejected``), the message in the person's language, and the report if any."""

    def __init__(self, code: str, message: str, report: dict | None = None) -> None:
        super().__init__(message, code=code)
        self.code, self.report = code, report


def upload_gone() -> ImportBatchRefused:
    """The refusal of a batch whose file is no longer kept (expired, or lost on disk)."""
    return ImportBatchRefused("upload_gone", _("This upload is no longer kept: choose the file again."))


def rejected_message(report: dict) -> str:
    return _("%(count)d problem(s) in %(file)s; nothing was imported.") % {
        "count": report.get("error_count", 0),
        "file": report.get("filename", ""),
    }


def import_batch_commit(
    *, by: User, batch_id: Any, progress: Callable[[int, int, str], None] | None = None
) -> dict[str, Any]:
    """Import every item of a previewed upload of ``by``'s, or none: ``{"report", "items"}``.

    The batch is locked for the whole import, so a second commit (a double click, a repeated
    job) waits for the first and then answers what it wrote; nothing is imported twice.
    Raises :class:`ImportBatchRefused`; the permission to import for the batch's owner is
    checked again by ``import_commit``.
    """
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id, created_by=by).first()
        if batch is None:
            raise ImportBatchRefused("not_found", _("No such import."))
        if batch.status == ImportBatch.Status.IMPORTED:
            return {"report": batch.report, "items": batch.item_ids}
        if batch.status == ImportBatch.Status.REJECTED:  # its file was refused and not kept
            raise ImportBatchRefused("import_rejected", rejected_message(batch.report), batch.report)
        try:
            with batch.file.open("rb") as handle:
                raw = handle.read()
        except (FileNotFoundError, ValueError):  # ValueError: the row names no file any more
            raise upload_gone() from None
        try:
            report, versions = import_commit(
                by=by,
                data=raw,
                filename=batch.filename,
                format=batch.format,
                defaults=ImportDefaults.from_options(batch.options),
                owner_id=batch.owner_id,
                progress=progress,
            )
        except ImportRejected as exc:
            rejected = exc.report.as_dict()
            ImportBatch.objects.filter(pk=batch.pk).update(report=rejected)
            import_batch_forget_file(batch, status=ImportBatch.Status.REJECTED)
            outcome: dict[str, Any] | ImportBatchRefused = ImportBatchRefused(
                "import_rejected", rejected_message(rejected), rejected
            )
        else:
            item_ids = [version.item_id for version in versions]
            ImportBatch.objects.filter(pk=batch.pk).update(
                status=ImportBatch.Status.IMPORTED,
                report=report.as_dict(),
                item_ids=item_ids,
                committed_at=timezone.now(),
            )
            import_batch_forget_file(batch)  # the items are written: the file goes with the commit
            outcome = {"report": report.as_dict(), "items": item_ids}
    if isinstance(outcome, ImportBatchRefused):  # raised once the batch's new state is kept
        raise outcome
    return outcome


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:  # the sweep tries again: the row no longer names the file
        logger.warning("could not delete the import upload %s", name, exc_info=True)


def import_uploads_sweep(*, now: datetime | None = None) -> int:
    """Delete every upload file no import may still use; return how many were deleted.

    Safe to run at any moment, on any node, twice at once: a batch still waiting is kept until
    it is ``IMPORT_UPLOAD_MAX_AGE_SECONDS`` old, and a file no batch names is deleted only once
    it is as old (a commit or an upload in progress writes its row within seconds).
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.IMPORT_UPLOAD_MAX_AGE_SECONDS)
    deleted = 0
    # Abandoned: previewed, never committed (the person left, or the worker died).
    for batch in ImportBatch.objects.filter(status=ImportBatch.Status.PREVIEWED, created_at__lt=cutoff).exclude(
        file=""
    ):
        with transaction.atomic():
            locked = ImportBatch.objects.select_for_update().filter(pk=batch.pk, status=batch.status).first()
            if locked is not None and locked.file.name:
                import_batch_forget_file(locked, status=ImportBatch.Status.EXPIRED)
                deleted += 1
    # Finished (imported, refused, expired) rows that still name a file: its deletion was lost.
    for batch in ImportBatch.objects.exclude(status=ImportBatch.Status.PREVIEWED).exclude(file=""):
        with transaction.atomic():
            import_batch_forget_file(batch)
            deleted += 1
    # Files no row names.
    named = set(ImportBatch.objects.exclude(file="").values_list("file", flat=True))
    for name in _stored_uploads():
        if name in named:
            continue
        try:
            modified = default_storage.get_modified_time(name)
        except OSError:
            continue
        if modified < cutoff:
            _delete_file(name)
            deleted += 1
    return deleted


def _stored_uploads(folder: str = UPLOADS_FOLDER) -> list[str]:
    """Every file under ``folder`` of the storage (names relative to the storage's root)."""
    try:
        folders, files = default_storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = [f"{folder}/{name}" for name in files]
    for sub in folders:
        found += _stored_uploads(f"{folder}/{sub}")
    return found
