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

from assess.models import Attempt, FormItem, Sitting


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
