"""Moderation before publication: change how an item of a sitting is scored, see what it does
to every candidate's score, then apply it (audited) and rescore.

A change is one of: drop the item (it counts for no one: out of every raw score and maximum),
count it again, re-key it (a single-choice item's key becomes another option), accept further
keys (a response choosing any of them earns full credit), or go back to the item's own key.
It applies to the item on the master form and on every test code alike (``master_position``).

``moderation_preview`` works out every scored candidate's result under the change, without
writing it (``assess.services.score_attempts``: the rule scoring uses, on unsaved form items), and
keeps the change as ``previewed`` with what it found. ``moderation_apply`` writes it, provided
nothing moved since the preview (the item's scoring is still the preview's ``before``), and
starts a rescore of the sitting (``assess.scoring_runs``): results and record entries follow in
the background. Refused while the sitting's results are published (withdraw them first), while
its essays are being marked, or while it is being scored.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from assess import scoring_runs, statuses
from assess.models import Answer, FormItem, ItemMark, Result, ScoringRun, Sitting
from assess.services import score_attempts
from assess.sittings import require_runner

from . import publication
from .models import ModerationChange, Script

MAX_REASON = 500
MAX_ROWS = 500  # changed candidates a preview lists (the summary counts them all)
SCORED = (statuses.SCORED, statuses.PUBLISHED)
FIELDS = ("dropped", "key_override", "accepted_keys")


def item_family(sitting: Sitting, position: int) -> list[FormItem]:
    """The item at ``position`` of the sitting's master form, on the master and every test code."""
    master_id = sitting.form.parent_id or sitting.form_id
    return list(
        FormItem.objects.filter(
            Q(form_id=master_id, position=position) | Q(form__parent_id=master_id, master_position=position)
        ).select_related("item_version__item")
    )


def _state(form_item: FormItem) -> dict[str, Any]:
    return {name: copy.deepcopy(getattr(form_item, name)) for name in FIELDS}


def _options(form_item: FormItem) -> list[str]:
    content = form_item.item_version.content
    return [str(option.get("id")) for option in content.get("options", []) if isinstance(option, dict)]


def _after(kind: str, form_item: FormItem, key: str | None, keys: list[str]) -> dict[str, Any]:
    """The item's scoring after the change; ValidationError for a change that cannot be made."""
    before = _state(form_item)
    item_type = form_item.item_version.item.item_type
    if form_item.trial:
        raise ValidationError({"item": [_("A trial item counts for no one already.")]})
    if kind == ModerationChange.Kind.DROP:
        if before["dropped"]:
            raise ValidationError({"kind": [_("The item is dropped already.")]})
        return {**before, "dropped": True}
    if kind == ModerationChange.Kind.RESTORE:
        if not before["dropped"]:
            raise ValidationError({"kind": [_("The item counts already.")]})
        return {**before, "dropped": False}
    if kind == ModerationChange.Kind.RESET:
        if not before["key_override"] and not before["accepted_keys"]:
            raise ValidationError({"kind": [_("The item is scored with its own key already.")]})
        return {**before, "key_override": None, "accepted_keys": []}
    if item_type != "single_choice":
        raise ValidationError(
            {"kind": [_("Only a single-choice item is re-keyed here: drop the item, or change it in the bank.")]}
        )
    options = _options(form_item)
    current = str((before["key_override"] or {}).get("key") or form_item.item_version.scoring_key().get("key"))
    if kind == ModerationChange.Kind.REKEY:
        if key not in options:
            raise ValidationError({"key": [_("Choose one of the item's options.")]})
        if key == current:
            raise ValidationError({"key": [_("That is the item's key already.")]})
        return {**before, "key_override": {"key": key}, "accepted_keys": []}
    if kind == ModerationChange.Kind.ACCEPT:
        wanted = list(dict.fromkeys(keys))
        if not wanted or any(k not in options for k in wanted):
            raise ValidationError({"keys": [_("Choose one or more of the item's options.")]})
        if current in wanted:
            raise ValidationError({"keys": [_("The key is accepted already: choose other options.")]})
        return {**before, "accepted_keys": [{"key": k} for k in wanted]}
    raise ValidationError({"kind": [_("Unknown change.")]})


def _check_open(sitting: Sitting) -> None:
    """Refuse a change the sitting's state does not allow now."""
    if sitting.attempts.filter(status=statuses.PUBLISHED).exists():
        raise ValidationError(
            {"sitting": [_("The results are published: withdraw them before changing how an item is scored.")]}
        )
    if Script.objects.filter(plan__sitting=sitting).exclude(status=Script.Status.DONE).exists():
        raise ValidationError(
            {"sitting": [_("Essays are being marked: change how an item is scored once the marking is finished.")]}
        )
    if ScoringRun.objects.filter(sitting=sitting, status__in=scoring_runs.ACTIVE).exists():
        raise ValidationError({"sitting": [_("The sitting is being scored: wait for the run to finish.")]})


def _rescored(sitting: Sitting, position: int, after: dict[str, Any]) -> list[dict[str, Any]]:
    """Every scored candidate's result now and with the item at ``position`` scored as ``after``."""
    step = sitting.assessment.score_step
    results = {
        row[0]: row
        for row in Result.objects.filter(attempt__sitting=sitting, attempt__status__in=SCORED).values_list(
            "attempt_id",
            "attempt__form_id",
            "raw_score",
            "score_10",
            "attempt__student__username",
            "attempt__student__first_name",
            "attempt__student__last_name",
            "attempt__student__learner_id",
        )
    }
    by_form: dict[int, list[int]] = defaultdict(list)
    for attempt_id, form_id, *_rest in results.values():
        by_form[form_id].append(attempt_id)
    answers: dict[int, dict[int, object]] = defaultdict(dict)
    for attempt_id, form_item_id, value in Answer.objects.filter(attempt_id__in=results).values_list(
        "attempt_id", "form_item_id", "value"
    ):
        answers[attempt_id][form_item_id] = value
    marks: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for attempt_id, form_item_id, points in ItemMark.objects.filter(attempt_id__in=results).values_list(
        "attempt_id", "form_item_id", "points"
    ):
        marks[attempt_id][form_item_id] = points
    rows = []
    for form_id, attempt_ids in by_form.items():
        form_items = sorted(
            FormItem.objects.filter(form_id=form_id).select_related("item_version__item"),
            key=lambda fi: fi.master_position or fi.position,
        )
        for form_item in form_items:
            if (form_item.master_position or form_item.position) == position:
                for name, value in after.items():
                    setattr(form_item, name, copy.deepcopy(value))  # unsaved: a what-if
        computed = score_attempts(
            form_items, ((a, answers.get(a, {}), marks.get(a, {})) for a in attempt_ids), step=step
        )
        for attempt_id in attempt_ids:
            _a, _f, raw, score, username, first, last, learner_id = results[attempt_id]
            new = computed[attempt_id]
            rows.append(
                {
                    "attempt": attempt_id,
                    "student": username,
                    "name": f"{last} {first}".strip() or username,
                    "learner_id": learner_id,
                    "raw_before": str(raw),
                    "raw_after": str(new.raw_score),
                    "score_before": sitting.assessment.score_text(score),
                    "score_after": sitting.assessment.score_text(new.score_10),
                    "delta": _signed(sitting.assessment.score_text(abs(new.score_10 - score)), new.score_10 - score),
                }
            )
    return rows


def _signed(text: str, difference: Decimal) -> str:
    return f"-{text}" if difference < 0 else f"+{text}" if difference > 0 else text


def _summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    deltas = [Decimal(row["delta"]) for row in rows]
    before = [Decimal(row["score_before"]) for row in rows]
    after = [Decimal(row["score_after"]) for row in rows]

    def mean(values: list[Decimal]) -> str | None:
        return str(round(sum(values, Decimal(0)) / len(values), 2)) if values else None

    return {
        "candidates": len(rows),
        "changed": sum(1 for d in deltas if d),
        "up": sum(1 for d in deltas if d > 0),
        "down": sum(1 for d in deltas if d < 0),
        "mean_before": mean(before),
        "mean_after": mean(after),
    }


@transaction.atomic
def moderation_preview(
    *,
    by: User,
    sitting_id: int,
    position: int,
    kind: str,
    reason: str,
    key: str | None = None,
    keys: list[str] | None = None,
) -> tuple[ModerationChange, list[dict[str, Any]]]:
    """Work out what a change would do to every candidate's score; keep it as previewed.

    Returns the change and the candidates whose score it changes (the largest changes first,
    at most ``MAX_ROWS``; its summary counts them all).
    """
    sitting = Sitting.objects.select_related("assessment", "form").get(pk=sitting_id)
    require_runner(by, sitting)
    if kind not in ModerationChange.Kind.values:
        raise ValidationError({"kind": [_("Unknown change.")]})
    reason = reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise ValidationError({"reason": [_("Say why, in at most %(max)d characters.") % {"max": MAX_REASON}]})
    _check_open(sitting)
    family = item_family(sitting, position)
    if not family:
        raise ValidationError({"item": [_("The sitting's form has no item %(item)d.") % {"item": position}]})
    master = min(family, key=lambda fi: (fi.master_position is not None, fi.form_id))
    after = _after(kind, master, key, list(keys or []))
    rows = _rescored(sitting, position, after)
    summary = _summary(rows)
    change = ModerationChange.objects.create(
        sitting=sitting,
        position=position,
        kind=kind,
        before=_state(master),
        after=after,
        reason=reason,
        summary=summary,
        created_by=by,
    )
    changed = sorted(
        (row for row in rows if Decimal(row["delta"])), key=lambda row: (-abs(Decimal(row["delta"])), row["student"])
    )
    return change, changed[:MAX_ROWS]


@transaction.atomic
def moderation_apply(*, by: User, change_id: int) -> ModerationChange:
    """Apply a previewed change to the item on every test code and rescore the sitting."""
    change = ModerationChange.objects.select_for_update().select_related("sitting").get(pk=change_id)
    sitting = Sitting.objects.select_for_update().select_related("assessment", "form").get(pk=change.sitting_id)
    require_runner(by, sitting)
    if change.status != ModerationChange.Status.PREVIEWED:
        raise ValidationError({"change": [_("This change was applied or discarded already.")]})
    _check_open(sitting)
    family = item_family(sitting, change.position)
    if any(_state(fi) != change.before for fi in family):
        raise ValidationError(
            {"change": [_("The item's scoring changed since this preview: preview the change again.")]}
        )
    for form_item in family:
        for name, value in change.after.items():
            setattr(form_item, name, copy.deepcopy(value))
        form_item.save(update_fields=list(FIELDS))
    change.status = ModerationChange.Status.APPLIED
    change.applied_by, change.applied_at = by, timezone.now()
    change.run = scoring_runs.sitting_score_start(by=by, sitting_id=sitting.pk, rescore=True)
    change.save(update_fields=["status", "applied_by", "applied_at", "run"])
    publication.back_to_draft(
        sitting, by=by, reason=_("An item's scoring changed: %(reason)s") % {"reason": change.reason}
    )
    return change


@transaction.atomic
def moderation_discard(*, by: User, change_id: int) -> ModerationChange:
    change = ModerationChange.objects.select_for_update().select_related("sitting").get(pk=change_id)
    require_runner(by, change.sitting)
    if change.status != ModerationChange.Status.PREVIEWED:
        raise ValidationError({"change": [_("This change was applied or discarded already.")]})
    change.status = ModerationChange.Status.DISCARDED
    change.save(update_fields=["status"])
    return change
