"""Bringing files into the bank: a preview with a report per item, then all items or none.

``import_preview`` parses a file (``interchange.parse_file``), checks every item as the bank
would store it (``itembank.content.validate_content``, its media, its subject, topic and
level) and reports, for each item and each problem, where it is in the file and what is
wrong. ``import_commit`` does the same and then, only when nothing is wrong, writes every
item (with its media) in one transaction; a single bad item writes nothing.

Every problem names where it is: a file problem starts with the file name (and the line,
row or package member the importer gave), an item problem sits in the report of an item
whose ``source`` says where the item is.

Checks beyond the importers' own, because they are about what the bank can store:

- a file given with the format ``auto`` that is plainly not a file of questions (an image,
  a PDF, binary data, a QTI test or passage without its package, a ``.css`` or ``.json``
  file that only looks like GIFT because it has braces) is refused saying what it is;
- every image an item shows must travel in the file (``media:NAME`` with its bytes): an
  image from another site or a relative path (a lone QTI item file) is refused, since item
  text loads nothing but the bank's own files (``itembank.richtext.reference_problems``,
  checked by ``itembank.content.validate_content``);
- every file an item refers to must be what its name says (extension and first bytes,
  ``itembank.interchange.media.check_media``) and within the size limits
  (``itembank.media.check_media``: ``MEDIA_IMAGE_MAX_BYTES``, ``MEDIA_AUDIO_MAX_BYTES``);
- points have at most two decimals (the bank stores them so).

Metadata in Moodle XML. Moodle has no field for a subject, level or topic; the bank's
Moodle export writes them as question tags ``bank:subject=...``, ``bank:level=...``,
``bank:topic=...``, ``bank:source=...``, ``bank:expected_seconds=...``,
``bank:language=...`` (``BANK_TAG_PREFIX``; Moodle keeps tags), and this module reads them
back, so a Moodle round trip keeps them.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AUTHORS, scope_of

from . import content as item_content
from .interchange.base import ImportedItem
from .interchange.detect import FORMATS, detect_format, parse_file
from .interchange.media import AUDIO_TYPES as AUDIO_EXTENSIONS
from .interchange.media import IMAGE_TYPES as IMAGE_EXTENSIONS
from .interchange.media import MediaRefused, sniff
from .interchange.media import check_media as check_media_name
from .media import check_media, media_refs, media_store, rename_media
from .models import CognitiveLevel, ItemVersion, MediaFile, Subject, Topic, Visibility, cognitive_levels
from .richtext import sanitize_html
from .services import NewItem, items_create_bulk
from .textsearch import search_key

MAX_IMPORT_BYTES = 50 * 1024 * 1024
MAX_IMPORT_ITEMS = 20_000

# Words importers and people use for the cognitive levels -> the bank's codes.
LEVEL_WORDS = {
    "know": CognitiveLevel.KNOW,
    "understand": CognitiveLevel.UNDERSTAND,
    "apply": CognitiveLevel.APPLY,
    "biet": CognitiveLevel.KNOW,
    "nhan biet": CognitiveLevel.KNOW,
    "hieu": CognitiveLevel.UNDERSTAND,
    "thong hieu": CognitiveLevel.UNDERSTAND,
    "van dung": CognitiveLevel.APPLY,
    "van dung cao": CognitiveLevel.APPLY,
}
BANK_TAG_PREFIX = "bank:"
BANK_TAGS = ("subject", "level", "topic", "source", "expected_seconds", "language")
MAX_POINTS_DECIMALS = 2  # ItemVersion.points: decimal_places=2
MAX_EXPECTED_SECONDS = 24 * 3600  # one item, at most a day: anything more is a typing slip
# Extensions of files that are never GIFT although they may hold braces.
_NOT_GIFT = {
    "css", "json", "js", "html", "htm", "xml", "csv", "md", "vtt", "srt", "svg", "rtf", "tex", "py", "yaml", "yml",
    *IMAGE_EXTENSIONS, *AUDIO_EXTENSIONS, "pdf", "doc", "xls", "ppt", "pptx", "odt", "ods", "zip",
}  # fmt: skip
_XML_HEAD = re.compile(rb"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.DOTALL)
_XML_DOCTYPE = re.compile(rb"(?:\s|<\?.*?\?>|<!--.*?-->)*<!DOCTYPE\b", re.DOTALL | re.IGNORECASE)
_XML_ROOT = re.compile(rb"<\s*(?:[A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")
_PACKAGE_ONLY = "import the content package (a .zip with imsmanifest.xml) that holds it and its items"
_XML_ROOT_REASONS = {
    "assessmentTest": f"a QTI assessment test lists its items by file name; {_PACKAGE_ONLY}",
    "qti-assessment-test": f"a QTI assessment test lists its items by file name; {_PACKAGE_ONLY}",
    "manifest": "the manifest of a content package, without the package; import the whole package as a .zip",
    "assessmentStimulus": "a QTI shared stimulus (a reading passage) holds no questions; passages are not imported yet",
    "qti-assessment-stimulus": (
        "a QTI shared stimulus (a reading passage) holds no questions; passages are not imported yet"
    ),
}
_KIND_LABELS = {
    "image/png": "a PNG image",
    "image/jpeg": "a JPEG image",
    "image/gif": "a GIF image",
    "image/webp": "a WebP image",
    "image/svg+xml": "an SVG image",
    "audio/mpeg": "an MP3 audio file",
    "audio/ogg": "an Ogg audio file",
    "audio/wav": "a WAV audio file",
    "audio/mp4": "an M4A audio file",
    "application/pdf": "a PDF document",
    "text/html": "an HTML page",
}
_ITEM_FILES = "the bank imports QTI items and packages, Moodle XML, GIFT, Excel (.xlsx) and Word (.docx)"


class ImportRejected(ValidationError):
    """The file has at least one error: nothing was written. ``report`` says what and where."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(f"{report.error_count} problem(s) in {report.filename}; nothing was imported.")
        self.report = report


@dataclass
class ItemReport:
    index: int
    source: str
    item_type: str
    title: str
    preview: str
    subject: str = ""
    topic: str = ""
    level: str = ""
    points: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "source": self.source,
            "item_type": self.item_type,
            "title": self.title,
            "preview": self.preview,
            "subject": self.subject,
            "topic": self.topic,
            "level": self.level,
            "points": self.points,
            "ok": self.ok,
            "errors": self.errors,
            "warnings": self.warnings,
        }


@dataclass
class ImportReport:
    filename: str
    format: str
    items: list[ItemReport] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)  # problems not tied to a readable item
    file_warnings: list[str] = field(default_factory=list)
    imported: int = 0

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + sum(len(item.errors) for item in self.items)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and bool(self.items)

    def as_dict(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "format": self.format,
            "ok": self.ok,
            "item_count": len(self.items),
            "error_count": self.error_count,
            "imported": self.imported,
            "file_errors": self.file_errors,
            "file_warnings": self.file_warnings,
            "items": [item.as_dict() for item in self.items],
        }


@dataclass
class _Planned:
    """One item as it will be written, once every check passed."""

    source: ImportedItem
    item_type: str
    content: dict[str, Any]
    points: Decimal
    subject: Subject
    topic_path: tuple[str, ...]
    level: str
    metadata: dict[str, Any]
    files: dict[str, bytes]


@dataclass(frozen=True)
class ImportDefaults:
    """What the person importing chose for items whose file does not say."""

    subject: Subject | None = None
    level: str = CognitiveLevel.KNOW
    topic: Topic | None = None
    visibility: str = Visibility.SCHOOL
    grade: int | None = None

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> ImportDefaults:
        """The defaults an upload kept (``ImportBatch.options``: codes and ids, JSON)."""
        subject, topic = options.get("subject"), options.get("topic")
        return cls(
            subject=Subject.objects.filter(code=subject).first() if subject else None,
            level=options.get("level") or CognitiveLevel.KNOW,
            topic=Topic.objects.filter(pk=topic).first() if topic else None,
            visibility=options.get("visibility") or Visibility.SCHOOL,
            grade=options.get("grade"),
        )


def _level(value: object, default: str) -> tuple[str, str | None]:
    if value in (None, ""):
        return default, None
    text = search_key(str(value)).replace("_", " ")
    codes = {code for code, _label in cognitive_levels()}
    if str(value) in codes:
        return str(value), None
    if text in LEVEL_WORDS and LEVEL_WORDS[text] in codes:
        return LEVEL_WORDS[text], None
    return default, f"unknown cognitive level {value!r}; {default} is used"


def _subject(value: object, default: Subject | None, subjects: dict[str, Subject]) -> Subject | None:
    if value:
        found = subjects.get(search_key(str(value)))
        if found is not None:
            return found
    return default


def _bank_tags(meta: dict[str, Any]) -> dict[str, Any]:
    """The metadata the bank's Moodle export wrote as ``bank:NAME=VALUE`` tags."""
    found: dict[str, Any] = {}
    for tag in meta.get("tags") or ():
        name, sep, value = str(tag).removeprefix(BANK_TAG_PREFIX).partition("=")
        if not str(tag).startswith(BANK_TAG_PREFIX) or not sep or name not in BANK_TAGS or not value.strip():
            continue
        value = value.strip()
        if name == "expected_seconds":
            found[name] = int(value) if value.isdigit() else None
        else:
            found[name] = value
    return found


def _check_file(name: str, data: bytes) -> list[str]:
    """Why the file ``name`` cannot go to the bank: its name and bytes disagree, or it is too large."""
    extension = posixpath.splitext(name)[1].lower().lstrip(".")
    kind = "audio" if extension in AUDIO_EXTENSIONS else "image"
    try:
        check_media_name(name, data, kind=kind)
    except MediaRefused as exc:
        return [f"the file {name!r} is refused: {exc}"]
    try:
        check_media(data, name)
    except ValidationError as exc:
        return [f"the file {message}" for message in _messages(exc, fields=False)]
    return []


def _points(value: object) -> tuple[Decimal, str | None]:
    try:
        points = Decimal(str(value))
        if not points.is_finite() or not Decimal("0") < points <= Decimal("1000"):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        return Decimal("1"), f"points {value!r} must be a number above 0 and at most 1000"
    step = Decimal(1).scaleb(-MAX_POINTS_DECIMALS)
    if points != points.quantize(step):
        return Decimal("1"), f"points {value} have more than {MAX_POINTS_DECIMALS} decimals"
    return points.quantize(step), None


def _plan(
    imported: ImportedItem, index: int, defaults: ImportDefaults, subjects: dict[str, Subject]
) -> tuple[ItemReport, _Planned | None]:
    meta = {**imported.metadata, **_bank_tags(imported.metadata)}
    # What a person reads in the report: the stem as plain text, case and accents kept.
    plain = " ".join(
        html.unescape(re.sub(r"<[^>]+>", " ", sanitize_html(str(imported.content.get("stem", ""))))).split()
    )
    report = ItemReport(
        index=index,
        source=str(imported.source),
        item_type=imported.item_type,
        title=imported.title,
        preview=plain[:160],
        points=str(imported.points),
        warnings=list(imported.warnings),
    )
    subject = _subject(meta.get("subject"), defaults.subject, subjects)
    if subject is None:
        report.errors.append(
            f"no subject: the file names {meta.get('subject')!r}, which the bank does not have, and none was chosen"
            if meta.get("subject")
            else "no subject: choose one for the items of this file"
        )
    elif meta.get("subject") and search_key(str(meta["subject"])) not in subjects:
        report.warnings.append(f"subject {meta['subject']!r} is not in the bank; {subject.name} is used")
    report.subject = subject.name if subject else ""
    level, problem = _level(meta.get("level"), defaults.level)
    report.level = level
    if problem:
        report.warnings.append(problem)
    topic_path: tuple[str, ...] = ()
    if meta.get("topic"):
        topic_path = tuple(part.strip() for part in str(meta["topic"]).split("/") if part.strip())[:4]
    elif imported.category:
        topic_path = tuple(part for part in imported.category if part and part != "$course$" and part != "top")[-2:]
    report.topic = " / ".join(topic_path) or (defaults.topic.name if defaults.topic else "")
    points, problem = _points(imported.points)
    if problem:
        report.errors.append(problem)
    report.points = str(points)
    document = dict(imported.content)
    try:
        document = item_content.validate_content(imported.item_type, document, points)
    except ValidationError as exc:
        report.errors.extend(_messages(exc))
    files = dict(meta.get("files") or {})
    for name in sorted(media_refs(document) | media_refs(imported.content)):
        if name not in files:
            report.errors.append(f"refers to the file {name!r}, which is not in the import")
            continue
        report.errors.extend(_check_file(name, files[name]))
    seconds = meta.get("expected_seconds")
    if seconds is not None and (
        not isinstance(seconds, int) or isinstance(seconds, bool) or not 0 < seconds <= MAX_EXPECTED_SECONDS
    ):
        report.warnings.append(
            f"expected time {seconds!r} is not a whole number of seconds from 1 to {MAX_EXPECTED_SECONDS}; "
            "it is left out"
        )
        seconds = None
    if report.errors:
        return report, None
    metadata = {
        "title": imported.title[:200],
        "source": str(meta.get("source") or "")[:300],
        "language": str(meta.get("language") or "vi")[:10],
        "expected_seconds": seconds,
        "visibility": defaults.visibility,
        "grade": defaults.grade,
    }
    return report, _Planned(imported, imported.item_type, document, points, subject, topic_path, level, metadata, files)


def _messages(exc: ValidationError, *, fields: bool = True) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [
            f"{name}: {message}" if fields and name != "__all__" else message
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return list(exc.messages)


def _refusal(data: bytes, filename: str) -> str | None:
    """Why a file given with the format ``auto`` is plainly not a file of questions, or None.

    The importers' detection (``interchange.detect``) takes any text with a brace for GIFT;
    these are the files that would otherwise be reported as broken GIFT or as an unknown
    format although what they are is clear.
    """
    if not data.strip():
        return f"{filename}: the file is empty"
    kind = sniff(data)
    if kind in _KIND_LABELS:
        return (
            f"{filename}: this is {_KIND_LABELS[kind]}, not a file of questions ({_ITEM_FILES}; "
            "pictures and sound travel inside those files)"
        )
    if kind == "application/zip":
        return None
    head = data[:4096]
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    if b"\x00" in head or controls > max(2, len(head) // 100):
        return f"{filename}: binary data, not a file of questions ({_ITEM_FILES}); text must be saved as UTF-8"
    chosen = detect_format(data, filename=filename)
    extension = posixpath.splitext(filename)[1].lower().lstrip(".")
    if chosen == "gift" and extension in _NOT_GIFT:
        return (
            f"{filename}: a .{extension} file is not a file of questions ({_ITEM_FILES}); "
            "if it is GIFT text, choose the format gift"
        )
    if chosen is None:
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
        if _XML_DOCTYPE.match(text):
            # The importers refuse every DTD; detection stops at one with an internal subset.
            return (
                f"{filename}: refused: the file has a DOCTYPE declaration (DTDs are not allowed: "
                "their entities can read the server's files or expand without end)"
            )
        body = _XML_HEAD.sub(b"", text).lstrip()
        match = _XML_ROOT.match(body) if body.startswith(b"<") else None
        root = match.group(1).decode("ascii", "replace") if match else ""
        if root in _XML_ROOT_REASONS:
            return f"{filename}: {_XML_ROOT_REASONS[root]}"
    return None


def _check_defaults(defaults: ImportDefaults) -> None:
    codes = {code for code, _label in cognitive_levels()}
    if defaults.level not in codes:
        raise ValidationError(
            {"level": f"unknown cognitive level {defaults.level!r}; choose one of {', '.join(sorted(codes))}"}
        )
    if defaults.grade is not None and not 1 <= defaults.grade <= 12:
        raise ValidationError({"grade": f"grade {defaults.grade} is not one of 1 to 12"})
    if defaults.topic is not None and defaults.subject is not None and defaults.topic.subject_id != defaults.subject.pk:
        raise ValidationError({"topic": f"the topic {defaults.topic.name!r} is not a topic of {defaults.subject.name}"})


def import_preview(
    *, data: bytes, filename: str, format: str = "auto", defaults: ImportDefaults | None = None
) -> tuple[ImportReport, list[_Planned]]:
    """Parse and check everything; write nothing."""
    defaults = defaults or ImportDefaults()
    if format not in FORMATS:
        raise ValidationError({"format": f"unknown format {format!r}; choose one of {', '.join(FORMATS)}"})
    _check_defaults(defaults)
    report = ImportReport(filename=filename, format=format)
    if len(data) > MAX_IMPORT_BYTES:
        report.file_errors.append(f"{filename}: the file is {len(data)} bytes; the limit is {MAX_IMPORT_BYTES} bytes")
        return report, []
    refusal = _refusal(data, filename) if format == "auto" else None
    if refusal:
        report.file_errors.append(refusal)
        return report, []
    result = parse_file(data, filename=filename, format=format)
    for issue in result.issues:
        (report.file_errors if issue.severity == "error" else report.file_warnings).append(str(issue))
    if len(result.items) > MAX_IMPORT_ITEMS:
        report.file_errors.append(f"{filename}: {len(result.items)} items; one import takes at most {MAX_IMPORT_ITEMS}")
        return report, []
    if not result.items and not report.file_errors:
        report.file_errors.append(f"{filename}: the file holds no items")
    subjects = {}
    for subject in Subject.objects.all():
        subjects[search_key(subject.name)] = subject
        subjects[search_key(subject.code)] = subject
    planned: list[_Planned] = []
    for index, imported in enumerate(result.items, start=1):
        item_report, plan = _plan(imported, index, defaults, subjects)
        report.items.append(item_report)
        if plan is not None:
            planned.append(plan)
    return report, planned


def _topic(subject: Subject, path: tuple[str, ...], default: Topic | None, cache: dict, owner_id: int) -> Topic | None:
    """The topic at ``path`` in the subject's tree; the missing ones are added, kept by ``owner_id``."""
    if not path:
        return default if default is not None and default.subject_id == subject.pk else None
    parent = None
    for depth, name in enumerate(path):
        key = (subject.pk, parent.pk if parent else None, name)
        if key not in cache:
            kind = Topic.Kind.CHAPTER if depth == 0 and len(path) > 1 else Topic.Kind.TOPIC
            cache[key], _created = Topic.objects.get_or_create(
                subject=subject, parent=parent, name=name[:200], defaults={"kind": kind, "owner_id": owner_id}
            )
        parent = cache[key]
    return parent


def import_commit(
    *,
    by: User,
    data: bytes,
    filename: str,
    format: str = "auto",
    defaults: ImportDefaults | None = None,
    owner_id: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> tuple[ImportReport, list[ItemVersion]]:
    """Import every item of the file as a draft, or none: raises ``ImportRejected`` on any error.

    ``progress(done, total, message)`` hears how many items are ready to be written (a job's
    progress bar); the last step, writing them all, is one transaction.
    """
    owner_id = owner_id or by.organisation_id
    scope = scope_of(by)
    if owner_id is None or not scope.oversees(owner_id) or not scope.has_role(*AUTHORS):
        raise PermissionDenied(_("You may not import items for this organisation."))
    defaults = defaults or ImportDefaults()
    report, planned = import_preview(data=data, filename=filename, format=format, defaults=defaults)
    if not report.ok:
        raise ImportRejected(report)
    versions: list[ItemVersion] = []
    topics: dict = {}
    stored_media: list[MediaFile] = []
    try:
        with transaction.atomic():
            rows: list[NewItem] = []
            total = len(planned) + 1  # the last step: writing them all
            for done, plan in enumerate(planned):
                if progress is not None:
                    progress(done, total, "")
                names: dict[str, str] = {}
                for name in sorted(media_refs(plan.content)):
                    stored = media_store(by=by, owner_id=owner_id, name=name, data=plan.files[name])
                    stored_media.append(stored)
                    names[name] = str(stored.pk)
                document = rename_media(plan.content, names)
                rows.append(
                    NewItem(
                        subject=plan.subject,
                        topic=_topic(plan.subject, plan.topic_path, defaults.topic, topics, owner_id),
                        level=plan.level,
                        item_type=plan.item_type,
                        content=document,
                        points=plan.points,
                        metadata=plan.metadata,
                    )
                )
            # One statement per 500 items and versions: 10,000 items in seconds, not minutes.
            if progress is not None:
                progress(len(planned), total, "")
            versions = items_create_bulk(by=by, owner_id=owner_id, rows=rows)
    except BaseException:
        _forget_unsaved_media(stored_media)
        raise
    report.imported = len(versions)
    return report, versions


def _forget_unsaved_media(stored: list[MediaFile]) -> None:
    """Delete the stored bytes of media rows the rollback took away (rows kept from before stay)."""
    try:
        kept = set(MediaFile.objects.filter(pk__in=[media.pk for media in stored]).values_list("pk", flat=True))
    except DatabaseError:  # the connection is gone: leave the files rather than hide the first error
        return
    for media in stored:
        if media.pk not in kept and media.file.name:
            media.file.storage.delete(media.file.name)
