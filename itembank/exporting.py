"""Writing bank items to files other systems read: QTI 3.0 packages, Moodle XML, Excel.

Each version becomes the neutral ``ImportedItem`` the importers produce (content with its
key, points, title, metadata), so an export read back by the importer gives the same items
(tests/itembank/test_import_export_commands.py). Media the text points at (``media:<id>``)
travel inside the file as ``metadata["files"]`` under their file names.

What each format keeps of an item besides its type, content (keys included), points and
title (the writers' docstrings give the details of the content):

- ``xlsx``: subject, topic path, level, source, expected time. The types it holds are
  single/multiple choice, true/false group, short numeric, text entry and essay.
- ``moodle``: subject, topic path, level, source, expected time and language, as question
  tags ``bank:NAME=VALUE`` (``itembank.importing.BANK_TAG_PREFIX``) that the import reads
  back (Moodle itself cuts a tag at 50 characters: a file that went through Moodle may
  bring back a shortened source or topic); option and gap ids come back renamed by
  position (A, B, ... and 1, 2, ...).
- ``qti3``: the language only; subject, level, topic, source and expected time are not
  written (the QTI importer reads no metadata), so an import takes the defaults chosen.

None keeps the sharing, grade, learning outcome, stimulus or IRT parameters: an import
takes the sharing and grade chosen for it, and the rest is the bank's own.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from accounts.models import User

from .importing import BANK_TAG_PREFIX, BANK_TAGS
from .interchange.base import CannotHold, ImportedItem, SourceLocation
from .interchange.moodle_export import items_to_moodle_xml
from .interchange.qti_export import items_to_qti3_package
from .interchange.xlsx import write_xlsx
from .media import media_refs, rename_media
from .models import ItemType, ItemVersion, MediaFile, cognitive_levels
from .selectors import items_visible_to

EXPORT_FORMATS = ("qti3", "moodle", "xlsx")
EXTENSIONS = {"qti3": "zip", "moodle": "xml", "xlsx": "xlsx"}
CONTENT_TYPES = {
    "qti3": "application/zip",
    "moodle": "application/xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_UUID = re.compile(r"[0-9a-f-]{36}")  # a bank file's id (MediaFile.pk)
# The bank's level codes -> the words the importers read back.
_LEVEL_WORDS = {"biet": "know", "hieu": "understand", "van_dung": "apply"}


def versions_for_export(
    user: User,
    *,
    subject: str | None = None,
    status: str | None = None,
    item_type: str | None = None,
    latest_only: bool = True,
) -> QuerySet[ItemVersion]:
    """The versions a user may export: of the items they may see, the latest of each by default."""
    versions = ItemVersion.objects.filter(item__in=items_visible_to(user)).select_related(
        "item__subject", "item__topic"
    )
    if subject:
        versions = versions.filter(item__subject__code=subject)
    if item_type:
        versions = versions.filter(item__item_type=item_type)
    if status:
        versions = versions.filter(status=status)
    if latest_only:
        newest = ItemVersion.objects.filter(item_id=OuterRef("item_id"))
        if status:
            newest = newest.filter(status=status)
        versions = versions.filter(number=Subquery(newest.order_by("-number").values("number")[:1]))
    return versions.order_by("item_id")


def _topic_path(topic) -> str:
    names = []
    while topic is not None and len(names) < 6:
        names.append(topic.name)
        topic = topic.parent
    return " / ".join(reversed(names))


def version_as_imported(version: ItemVersion) -> ImportedItem:
    item = version.item
    files: dict[str, bytes] = {}
    ids = {ref for ref in media_refs(version.content) if _UUID.fullmatch(ref)}
    names: dict[str, str] = {}
    for media in MediaFile.objects.filter(pk__in=ids):
        name = f"{str(media.pk)[:8]}-{media.name}"
        with media.file.open("rb") as handle:
            files[name] = handle.read()
        names[str(media.pk)] = name
    content = rename_media(version.content, names)
    metadata: dict[str, Any] = {
        "subject": item.subject.name,
        "level": _LEVEL_WORDS.get(item.level, dict(cognitive_levels()).get(item.level, item.level)),
        "language": item.language,
    }
    if item.topic_id:
        metadata["topic"] = _topic_path(item.topic)
    if item.source:
        metadata["source"] = item.source
    if item.expected_seconds:
        metadata["expected_seconds"] = item.expected_seconds
    if files:
        metadata["files"] = files
    return ImportedItem(
        item_type=item.item_type,
        content=content,
        source=SourceLocation(file="bank", element=f"item {item.pk} v{version.number}"),
        title=item.title or f"{item.subject.code}-{item.pk}",
        points=version.points,
        metadata=metadata,
    )


class NothingToExport(ValueError):
    """No item matches the export's filters."""


FORMAT_NAMES = {"qti3": "QTI 3.0", "moodle": "Moodle XML", "xlsx": "Excel"}


def export_refusal(exc: ValueError) -> str:
    """What to tell a person whose export was refused, in their language: the item a format
    cannot hold by its number and why; any other writer's reason as the writer gave it."""
    if isinstance(exc, NothingToExport):
        return _("No item matches: there is nothing to export.")
    version = getattr(exc, "version", None)
    if isinstance(exc, CannotHold) and version is not None:
        if exc.kind == "several_statements":
            what = _("it has no true/false group of several statements")
        elif exc.kind == "pattern":
            what = _("it cannot hold an answer matched by a pattern")
        else:
            what = _("it has no items of the type %(type)s") % {"type": ItemType(exc.item.item_type).label}
        return _(
            "Item #%(item)s (version %(version)s) cannot be written as %(format)s: %(what)s. Choose another "
            "format, or leave the item out with the filters."
        ) % {"item": version.item_id, "version": version.number, "format": FORMAT_NAMES[exc.format], "what": what}
    return _("These items cannot be written in this format: %(reason)s") % {"reason": exc}


def export_versions(
    versions: Iterable[ItemVersion],
    *,
    format: str,
    title: str = "Ngân hàng câu hỏi",
    progress: Callable[[int, int, str], None] | None = None,
) -> bytes:
    """The versions in one file of ``format``; ValueError names an item the format cannot hold.

    ``progress(done, total, message)`` hears each item read (a job's progress bar)."""
    if format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {format!r}; choose one of {', '.join(EXPORT_FORMATS)}")
    versions = list(versions)
    total = len(versions) + 1  # the last step: writing the file
    items: list[ImportedItem] = []
    for done, version in enumerate(versions):
        if progress is not None:
            progress(done, total, "")
        items.append(version_as_imported(version))
    if not items:
        raise NothingToExport("there are no items to export")
    if progress is not None:
        progress(len(versions), total, "")
    try:
        if format == "qti3":
            return items_to_qti3_package(items, title=title)
        if format == "moodle":
            return items_to_moodle_xml([_with_bank_tags(item) for item in items])
        return write_xlsx(items)
    except CannotHold as exc:  # name the version the item came from
        exc.version = dict(zip((item.source for item in items), versions, strict=True)).get(exc.item.source)
        raise


def _with_bank_tags(item: ImportedItem) -> ImportedItem:
    """The item with its bank metadata as Moodle tags, which Moodle keeps and the import reads."""
    tags = [str(tag) for tag in item.metadata.get("tags", ()) if not str(tag).startswith(BANK_TAG_PREFIX)]
    for name in BANK_TAGS:
        value = item.metadata.get(name)
        if value not in (None, ""):
            tags.append(f"{BANK_TAG_PREFIX}{name}={value}")
    return dataclasses.replace(item, metadata={**item.metadata, "tags": tags})
