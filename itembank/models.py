"""The item bank: items, their immutable published versions, and the taxonomy."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation

from . import workflow


class Subject(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        verbose_name = _("subject")
        verbose_name_plural = _("subjects")

    def __str__(self) -> str:
        return self.name


class Topic(models.Model):
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="topics")
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["subject", "name"]
        unique_together = [("subject", "parent", "name")]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return f"{self.subject.code}: {self.name}"


class CognitiveLevel(models.TextChoices):
    KNOW = "biet", _("Biết (knowing)")
    UNDERSTAND = "hieu", _("Hiểu (understanding)")
    APPLY = "van_dung", _("Vận dụng (applying)")


class ItemType(models.TextChoices):
    SINGLE_CHOICE = "single_choice", _("Single choice")


class Item(models.Model):
    """A question as a lasting identity; its content lives in versions."""

    owner = models.ForeignKey(Organisation, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="items")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_items")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="items")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.PROTECT, related_name="items")
    level = models.CharField(_("cognitive level"), max_length=20, choices=CognitiveLevel.choices)
    item_type = models.CharField(
        _("item type"), max_length=30, choices=ItemType.choices, default=ItemType.SINGLE_CHOICE
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("item")
        verbose_name_plural = _("items")

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject.code} ({self.get_level_display()})"

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

    ``options`` is a list of ``{"id": "A", "text": "..."}``; ``key`` is the id of the
    correct option. Text may hold LaTeX between ``$...$`` (inline) or ``$$...$$`` (display).
    ``irt_a`` and ``irt_b`` are 2PL parameters (logistic metric, D = 1) where calibrated.
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
    stem = models.TextField(_("stem"))
    options = models.JSONField(_("options"))
    key = models.CharField(_("key"), max_length=8)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, default=1)
    irt_a = models.FloatField(_("IRT discrimination a"), null=True, blank=True)
    irt_b = models.FloatField(_("IRT difficulty b"), null=True, blank=True)
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
        ]
        verbose_name = _("item version")
        verbose_name_plural = _("item versions")

    def __str__(self) -> str:
        return f"item {self.item_id} v{self.number} ({self.status})"

    @property
    def option_ids(self) -> list[str]:
        return [option["id"] for option in self.options]

    def clean(self) -> None:
        validate_single_choice_content(options=self.options, key=self.key)
        if (self.irt_a is None) != (self.irt_b is None):
            raise ValidationError(_("Give both IRT parameters a and b, or neither."))

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


def validate_single_choice_content(*, options: object, key: str) -> None:
    """Options are 2 to 10 ``{"id", "text"}`` objects with distinct ids; the key is one of them."""
    if not isinstance(options, list) or not 2 <= len(options) <= 10:
        raise ValidationError({"options": _("Give between 2 and 10 options.")})
    ids: list[str] = []
    for index, option in enumerate(options):
        if (
            not isinstance(option, dict)
            or set(option) != {"id", "text"}
            or not isinstance(option["id"], str)
            or not isinstance(option["text"], str)
            or not option["id"].strip()
            or len(option["id"]) > 8
            or not option["text"].strip()
        ):
            raise ValidationError(
                {"options": _('Option %(n)d must be {"id": short text, "text": text}.') % {"n": index + 1}}
            )
        ids.append(option["id"])
    if len(set(ids)) != len(ids):
        raise ValidationError({"options": _("Option ids must be distinct.")})
    if key not in ids:
        raise ValidationError({"key": _("The key must be the id of one of the options.")})
