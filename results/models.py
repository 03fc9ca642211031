"""Marking of the responses a person scores (essays): plans, markers, scripts and marks.

A sitting's marking plan says who marks and how: single marking, or blind double marking
where two markers mark each script without seeing the other's mark and an adjudicator
settles the scripts whose two marks differ by more than the plan's tolerance. A script is one
response to mark, known to markers only by its code: never the candidate's name, number or
class. The rules live in ``results.marking``; these models hold the invariants.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assess.models import Attempt, FormItem, ScoringRun, Sitting


class MarkingPlan(models.Model):
    sitting = models.OneToOneField(Sitting, on_delete=models.CASCADE, related_name="marking_plan")
    double = models.BooleanField(_("blind double marking"), default=False)
    # Two marks further apart than this (in points) go to an adjudicator.
    tolerance = models.DecimalField(_("tolerance (points)"), max_digits=5, decimal_places=2, default=Decimal("0.5"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(tolerance__gte=0), name="marking_tolerance_non_negative"),
        ]
        verbose_name = _("marking plan")
        verbose_name_plural = _("marking plans")


class Marker(models.Model):
    """A person who marks a plan's scripts; an adjudicator settles the disputed ones."""

    plan = models.ForeignKey(MarkingPlan, on_delete=models.CASCADE, related_name="markers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="marking")
    adjudicator = models.BooleanField(_("adjudicator"), default=False)

    class Meta:
        ordering = ["plan_id", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "user"], name="marker_once_per_plan")]


class Script(models.Model):
    """One response to mark. ``open`` until it has its marks; ``adjudication`` when its two
    marks differ by more than the tolerance; ``done`` with its final points, written into the
    attempt's result."""

    class Status(models.TextChoices):
        OPEN = "open", _("To mark")
        ADJUDICATION = "adjudication", _("To adjudicate")
        DONE = "done", _("Marked")

    plan = models.ForeignKey(MarkingPlan, on_delete=models.CASCADE, related_name="scripts")
    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="+")
    form_item = models.ForeignKey(FormItem, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("script code"), max_length=12, unique=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    final_points = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    # Who has it on their desk now, until when: no two markers mark the same round at once.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan_id", "id"]
        constraints = [models.UniqueConstraint(fields=["attempt", "form_item"], name="script_one_per_response")]
        indexes = [models.Index(fields=["plan", "status"], name="script_plan_status")]


class Mark(models.Model):
    class Round(models.TextChoices):
        FIRST = "first", _("First marking")
        SECOND = "second", _("Second marking")
        ADJUDICATION = "adjudication", _("Adjudication")

    script = models.ForeignKey(Script, on_delete=models.CASCADE, related_name="marks")
    round = models.CharField(_("round"), max_length=20, choices=Round.choices)
    marker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    # The rubric level chosen per criterion ({} for an item without a rubric).
    levels = models.JSONField(default=dict, blank=True)
    comment = models.CharField(_("comment"), max_length=1000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["script_id", "at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["script", "round"], name="mark_one_per_round"),
            # blind double marking: two different people, and an adjudicator who is neither
            models.UniqueConstraint(fields=["script", "marker"], name="mark_one_per_marker"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="mark_points_non_negative"),
        ]


class ModerationChange(models.Model):
    """One change the board makes to how an item of a sitting is scored, after the sitting:
    drop it (it counts for no one), restore it, re-key it, accept further keys, or undo a
    re-key. It is previewed first (every candidate's score before and after) and then applied
    to the item on every test code, which rescores the sitting. Kept for good: the audit."""

    class Kind(models.TextChoices):
        DROP = "drop", _("Drop the item")
        RESTORE = "restore", _("Count the item again")
        REKEY = "rekey", _("Change the key")
        ACCEPT = "accept", _("Accept further keys")
        RESET = "reset", _("Back to the item's own key")

    class Status(models.TextChoices):
        PREVIEWED = "previewed", _("Previewed")
        APPLIED = "applied", _("Applied")
        DISCARDED = "discarded", _("Discarded")

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="moderation_changes")
    position = models.PositiveIntegerField(_("item"))  # on the master form
    kind = models.CharField(_("change"), max_length=20, choices=Kind.choices)
    # The item's scoring before and after: {"dropped", "key_override", "accepted_keys"}.
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    reason = models.CharField(_("reason"), max_length=500)
    # What the preview found: results changed, up, down, the means before and after.
    summary = models.JSONField(default=dict)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    # The rescore the change started.
    run = models.ForeignKey(ScoringRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["sitting_id", "-created_at", "-id"]
        verbose_name = _("moderation change")
        verbose_name_plural = _("moderation changes")


class Publication(models.Model):
    """A sitting's results on their way to the students: ``draft`` (being scored, marked and
    moderated) -> ``reviewed`` (the board checked them) -> ``published``. A change after the
    review (a moderation, an appeal) sends them back to ``draft``; publishing needs a review
    of the results as they are."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEWED = "reviewed", _("Reviewed")
        PUBLISHED = "published", _("Published")

    sitting = models.OneToOneField(Sitting, on_delete=models.CASCADE, related_name="publication")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    # Why it went back to draft last (a moderation change, an appeal, a withdrawal).
    note = models.CharField(max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")


class PublicationEvent(models.Model):
    """Every move of a publication, by whom, when and why: the audit."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["publication_id", "at", "id"]


class Appeal(models.Model):
    """A candidate asks for their published script to be reviewed (phúc khảo).

    ``open`` until the board decides: ``changed`` when the review changed a mark (the result
    and the record follow, and the student sees the new result), ``unchanged`` otherwise.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Awaiting review")
        CHANGED = "changed", _("Reviewed: the score changed")
        UNCHANGED = "unchanged", _("Reviewed: the score stands")

    attempt = models.ForeignKey(Attempt, on_delete=models.PROTECT, related_name="appeals")
    reason = models.CharField(_("reason"), max_length=1000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    filed_at = models.DateTimeField(default=timezone.now)
    score_before = models.DecimalField(max_digits=5, decimal_places=2)
    score_after = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision = models.CharField(_("decision"), max_length=1000, blank=True)
    # The marks the review gave: [{"item": position, "before": "1.00", "after": "1.50"}].
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-filed_at", "-id"]
        constraints = [
            # one appeal at a time per script
            models.UniqueConstraint(
                fields=["attempt"], condition=models.Q(status="open"), name="appeal_one_open_per_attempt"
            )
        ]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")


class Calibration(models.Model):
    """A sitting's responses calibrated (``results.calibration``): the items' parameters on the
    bank's scale, their standard errors and fit, for the board to review; then written back
    into the item bank (``applied``) for the versions the board chose, with their provenance.

    ``queued -> running -> done | failed``, ``done -> applied``.
    """

    class Model(models.TextChoices):
        TWO_PL = "2pl", _("2PL (discrimination and difficulty)")
        THREE_PL = "3pl", _("3PL (with guessing)")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready for review")
        FAILED = "failed", _("Failed")
        APPLIED = "applied", _("Written to the bank")

    sitting = models.ForeignKey(Sitting, on_delete=models.CASCADE, related_name="calibrations")
    model = models.CharField(_("model"), max_length=8, choices=Model.choices, default=Model.TWO_PL)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.QUEUED)
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    # The sitting's applied moderation changes when its responses were read: a later change
    # (a re-key) makes the figures stale and the write-back is refused.
    moderation_changes = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)
    anchors = models.PositiveIntegerField(default=0)
    converged = models.BooleanField(default=False)
    iterations = models.PositiveIntegerField(default=0)
    latent_mean = models.FloatField(null=True, blank=True)
    latent_sd = models.FloatField(null=True, blank=True)
    loglik = models.FloatField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True)
    # One entry per item of the master form: its role (anchor, new, left out), parameters,
    # standard errors, fit and flags (``results.calibration``).
    items = models.JSONField(default=list, blank=True)
    error = models.CharField(max_length=500, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    applied_at = models.DateTimeField(null=True, blank=True)
    # The item versions whose parameters were written, with what they held before.
    written = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("calibration")
        verbose_name_plural = _("calibrations")
