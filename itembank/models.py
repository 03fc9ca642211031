"""The item bank: items, their immutable published versions, and the taxonomy."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation
from scoring.item_rules import ITEM_TYPES

from . import workflow


class Subject(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    # Who keeps it (accounts.permissions.can_change_taxonomy): the organisation of whoever added
    # it; None for the platform's own list, which only administrators change. Everyone reads all.
    owner = models.ForeignKey(
        Organisation, verbose_name=_("kept by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    """A node of a subject's topic tree: a chapter, a lesson within it, or a finer topic."""

    class Kind(models.TextChoices):
        CHAPTER = "chapter", _("Chapter")
        LESSON = "lesson", _("Lesson")
        TOPIC = "topic", _("Topic")

    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="topics")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.TOPIC)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    # As Subject.owner: who may rename, move or delete it (itembank.subjects).
    owner = models.ForeignKey(
        Organisation, verbose_name=_("kept by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["subject", "name"]
        unique_together = [("subject", "parent", "name")]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return f"{self.subject.code}: {self.name}"

    def clean(self) -> None:
        if self.parent_id and self.subject_id and self.parent.subject_id != self.subject_id:
            raise ValidationError({"parent": _("The parent topic belongs to another subject.")})


class CognitiveLevel(models.TextChoices):
    KNOW = "biet", _("Knowing")
    UNDERSTAND = "hieu", _("Understanding")
    APPLY = "van_dung", _("Applying")


def cognitive_levels() -> list[tuple[str, str]]:
    """The configured cognitive levels (``settings.COGNITIVE_LEVELS``), else the national three."""
    configured = getattr(settings, "COGNITIVE_LEVELS", None)
    return list(configured) if configured else list(CognitiveLevel.choices)


def level_names() -> dict[str, str]:
    """Each configured cognitive level's name in the active language."""
    return {code: str(label) for code, label in cognitive_levels()}


def validate_level(value: str) -> None:
    if value not in {code for code, _label in cognitive_levels()}:
        raise ValidationError(_("Unknown cognitive level %(level)s.") % {"level": value})


class ItemType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("Single choice")
    MULTIPLE_RESPONSE = "multiple_response", _("Multiple response")
    TRUE_FALSE_GROUP = "true_false_group", _("True/false group")
    SHORT_NUMERIC = "short_numeric", _("Short numeric answer")
    TEXT_ENTRY = "text_entry", _("Text entry")
    INLINE_CHOICE = "inline_choice", _("Inline choice (cloze)")
    MATCHING = "matching", _("Matching")
    ORDERING = "ordering", _("Ordering")
    ESSAY = "essay", _("Essay")


assert tuple(ItemType.values) == tuple(ITEM_TYPES), "the bank's item types are the scoring rules' types"


class Visibility(models.TextChoices):
    """Who may see and use an item besides its owner organisation's authors."""

    PRIVATE = "private", _("Private: the author only")
    SCHOOL = "school", _("School")
    DEPARTMENT = "department", _("Department")
    NATIONAL = "national", _("National")


class MediaFile(models.Model):
    """An image or audio clip of the bank, stored once, addressed by an unguessable id.

    Item text refers to it as ``media:<id>``; pages get ``/media/<id>/``. Type and size are
    checked on upload (``itembank.media``).
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="media_files")
    file = models.FileField(upload_to="bank/%Y/%m/")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64, db_index=True)
    alt_text = models.CharField(_("alternative text"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("media file")
        verbose_name_plural = _("media files")

    def __str__(self) -> str:
        return f"{self.name} ({self.content_type})"

    @property
    def url(self) -> str:
        return f"/media/{self.pk}/"


class Stimulus(models.Model):
    """Shared material several items use: a reading passage, a table, an image or an audio clip.

    Once an approved version uses it, its content is frozen like the version's (edit a copy).
    """

    class Kind(models.TextChoices):
        PASSAGE = "passage", _("Reading passage")
        TABLE = "table", _("Table")
        IMAGE = "image", _("Image")
        AUDIO = "audio", _("Audio clip")

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="stimuli")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="stimuli")
    title = models.CharField(_("title"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    body = models.TextField(_("text"), blank=True)
    media = models.ForeignKey(MediaFile, null=True, blank=True, on_delete=models.PROTECT, related_name="stimuli")
    visibility = models.CharField(_("sharing"), max_length=12, choices=Visibility.choices, default=Visibility.SCHOOL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("stimulus")
        verbose_name_plural = _("stimuli")

    def __str__(self) -> str:
        return self.title

    @property
    def frozen(self) -> bool:
        return self.versions.filter(status__in=workflow.FROZEN).exists()

    def clean(self) -> None:
        if self.kind in (self.Kind.IMAGE, self.Kind.AUDIO):
            if self.media_id is None:
                raise ValidationError({"media": _("An image or audio stimulus needs its file.")})
            expected = "image/" if self.kind == self.Kind.IMAGE else "audio/"
            if not self.media.content_type.startswith(expected):
                raise ValidationError({"media": _("The file is not of the stimulus's kind.")})
            if self.kind == self.Kind.IMAGE and not self.media.alt_text.strip():
                raise ValidationError({"media": _("An image needs an alternative text.")})
        elif not self.body.strip():
            raise ValidationError({"body": _("A passage or table needs its text.")})


class Item(models.Model):
    """A question as a lasting identity; its content lives in versions."""

    owner = models.ForeignKey(Organisation, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="items")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_items")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="items")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    level = models.CharField(_("cognitive level"), max_length=20, validators=[validate_level])
    item_type = models.CharField(
        _("item type"), max_length=30, choices=ItemType.choices, default=ItemType.SINGLE_CHOICE
    )
    visibility = models.CharField(_("sharing"), max_length=12, choices=Visibility.choices, default=Visibility.SCHOOL)
    title = models.CharField(_("title"), max_length=200, blank=True)
    grade = models.PositiveSmallIntegerField(_("grade"), null=True, blank=True)
    learning_outcome = models.CharField(_("learning outcome"), max_length=500, blank=True)
    expected_seconds = models.PositiveIntegerField(_("expected time (seconds)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)
    language = models.CharField(_("language"), max_length=10, default="vi")
    # Items that must never sit on one form together (one gives away the other's answer, or
    # they ask the same thing): a form drawn from a blueprint never takes both.
    enemies = models.ManyToManyField("self", symmetrical=True, blank=True, verbose_name=_("enemy items"))
    # The latest version's student-visible text, lower-cased without diacritics, for search
    # and the near-duplicate check (itembank.search); kept by the services.
    search_text = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["subject", "level", "item_type"], name="item_subject_level_type")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grade__isnull=True) | models.Q(grade__gte=1, grade__lte=12), name="item_grade_1_12"
            ),
        ]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject.code} ({self.level_label})"

    @property
    def level_label(self) -> str:
        return dict(cognitive_levels()).get(self.level, self.level)

    def clean(self) -> None:
        if self.topic_id and self.subject_id and self.topic.subject_id != self.subject_id:
            raise ValidationError({"topic": _("The topic belongs to another subject.")})


class ItemVersionQuerySet(models.QuerySet):
    def published(self) -> ItemVersionQuerySet:
        return self.filter(status=ItemVersion.Status.PUBLISHED)

    def usable_in_forms(self) -> ItemVersionQuerySet:
        return self.filter(status__in=workflow.USABLE_IN_FORMS)


class ItemVersion(models.Model):
    """One exact content of an item, reviewed on its own (``itembank.workflow``).

    Its content changes only while it is a draft or has changes requested; from approval on
    it never changes again (forms may use approved and published versions).

    ``content`` is the item type's document (``itembank.content``, decision 0003): the stem,
    the type's fields and its key, text as sanitised HTML with LaTeX between ``$...$`` or
    ``$$...$$``. Only ``itembank.content.student_view`` of it ever reaches a student.
    ``irt_a``, ``irt_b`` (and ``irt_c`` for 3PL) are IRT parameters (logistic metric, D = 1)
    where calibrated, with their provenance: which calibration, when.
    """

    class Status(models.TextChoices):
        DRAFT = workflow.DRAFT, _("Draft")
        SUBMITTED = workflow.SUBMITTED, _("Submitted for review")
        CHANGES_REQUESTED = workflow.CHANGES_REQUESTED, _("Changes requested")
        APPROVED = workflow.APPROVED, _("Approved")
        PUBLISHED = workflow.PUBLISHED, _("Published")
        RETIRED = workflow.RETIRED, _("Retired")

    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    content = models.JSONField(_("content"))
    stimulus = models.ForeignKey(
        Stimulus, null=True, blank=True, on_delete=models.PROTECT, related_name="versions", verbose_name=_("stimulus")
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, default=1)
    irt_a = models.FloatField(_("IRT discrimination a"), null=True, blank=True)
    irt_b = models.FloatField(_("IRT difficulty b"), null=True, blank=True)
    irt_c = models.FloatField(_("IRT guessing c"), null=True, blank=True)
    irt_calibration = models.CharField(_("IRT calibration"), max_length=200, blank=True)
    irt_calibrated_at = models.DateTimeField(_("IRT calibrated at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ItemVersionQuerySet.as_manager()

    class Meta:
        ordering = ["item_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="item_version_number_unique"),
            models.CheckConstraint(
                condition=models.Q(irt_a__isnull=True) | models.Q(irt_a__gt=0),
                name="item_version_irt_a_positive",
            ),
            models.CheckConstraint(condition=models.Q(points__gt=0), name="item_version_points_positive"),
            models.CheckConstraint(
                condition=models.Q(irt_c__isnull=True) | models.Q(irt_c__gte=0, irt_c__lt=1),
                name="item_version_irt_c_range",
            ),
        ]
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")

    def __str__(self) -> str:
        return f"item {self.item_id} v{self.number} ({self.status})"

    @property
    def item_type(self) -> str:
        return self.item.item_type

    @property
    def stem(self) -> str:
        return self.content.get("stem", "") if isinstance(self.content, dict) else ""

    def scoring_key(self) -> dict:
        from .content import scoring_key

        return scoring_key(self.item.item_type, self.content)

    def clean(self) -> None:
        from .content import validate_content

        if self.item_id is None:
            return  # the form says the item is missing; nothing to check the content against
        self.content = validate_content(self.item.item_type, self.content, self.points)
        if (self.irt_a is None) != (self.irt_b is None):
            raise ValidationError(_("Give both IRT parameters a and b, or neither."))
        if self.irt_c is not None and self.irt_a is None:
            raise ValidationError(_("A guessing parameter c needs a and b."))
        if self.stimulus_id and self.stimulus.subject_id != self.item.subject_id:
            raise ValidationError({"stimulus": _("The stimulus belongs to another subject.")})

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = ItemVersion.objects.filter(pk=self.pk).values_list("status", flat=True).first()
            if stored in workflow.FROZEN:
                raise ValidationError(
                    _("An item version that is %(status)s cannot be changed; make a new version.") % {"status": stored}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        # Only a draft has no review history; anything further is kept for the audit.
        if self.status != ItemVersion.Status.DRAFT:
            raise ValidationError(_("Only a draft item version can be deleted."))
        return super().delete(*args, **kwargs)


class ItemReviewEvent(models.Model):
    """One move of an item version through the review workflow: who, when, from, to, why."""

    version = models.ForeignKey(ItemVersion, on_delete=models.PROTECT, related_name="review_events")
    from_status = models.CharField(_("from"), max_length=20, choices=ItemVersion.Status.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=ItemVersion.Status.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["version_id", "at", "id"]
        verbose_name = _("item review event")
        verbose_name_plural = _("item review events")

    def __str__(self) -> str:
        return f"{self.version}: {self.from_status} -> {self.to_status} by {self.by_id}"


class ItemVersionEdit(models.Model):
    """One change of a draft's fields after it was created: who, when, which fields.

    With ``ItemVersion.created_by`` it names everyone who shaped the version's content, none
    of whom may approve it (the four-eyes rule, ``itembank.services.item_version_move``).
    """

    version = models.ForeignKey(ItemVersion, on_delete=models.CASCADE, related_name="edits")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT, related_name="+")
    fields = models.JSONField(_("fields"), default=list)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["version_id", "at", "id"]
        verbose_name = _("item version edit")
        verbose_name_plural = _("item version edits")

    def __str__(self) -> str:
        return f"{self.version}: {', '.join(self.fields)} by {self.by_id}"


class ImportBatch(models.Model):
    """One file brought to the bank: previewed, then imported whole or not at all (audited)."""

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        IMPORTED = "imported", _("Imported")
        REJECTED = "rejected", _("Rejected")
        EXPIRED = "expired", _("Expired: never imported, the file was deleted")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="import_batches")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    filename = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=10)
    # Kept only while the batch may still be imported (itembank.uploads); empty afterwards.
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    options = models.JSONField(default=dict)  # the defaults chosen: subject, level, topic, visibility, grade
    report = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PREVIEWED)
    item_ids = models.JSONField(default=list)
    # The job importing it (``POST /api/imports/<id>/commit/``): a second click follows the same one.
    job = models.ForeignKey("jobs.Job", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"
