"""Moderation before publication: change how an item of a sitting is scored, see what it does
to every candidate's score, then apply it (audited) and rescore.

A change is one of: drop the item (it counts for no one: out of every raw score and maximum),
count it again, re-key it (a single-choice item's key becomes another option), accept further
keys (a response choosing any of them earns full credit), or go back to the item's own key.
It applies to the item on the master form and on every test code alike (``master_position``).

``moderation_preview`` works out every scored candidate's result under the change, without
writing it (``assess.services.FormRule``: the rule scoring uses, on unsaved form items), and
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
from assess.models import Answer, FormItem, ItemMark, Result, Sitting
from assess.services import FormRule
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
    if scoring_runs.running(sitting).exists():
        raise ValidationError({"sitting": [_("The sitting is being scored: wait for the run to finish.")]})


BATCH = 2000  # attempts whose answers a preview holds in memory at once


def _what_if(sitting: Sitting, form_id: int, position: int, after: dict[str, Any]) -> FormRule:
    """The rule scoring a form's attempts with the item at ``position`` scored as ``after``
    (unsaved form items: nothing is written)."""
    form_items = sorted(
        FormItem.objects.filter(form_id=form_id).select_related("item_version__item"),
        key=lambda fi: fi.master_position or fi.position,
    )
    for form_item in form_items:
        if (form_item.master_position or form_item.position) == position:
            for name, value in after.items():
                setattr(form_item, name, copy.deepcopy(value))
    return FormRule(form_items, step=sitting.assessment.score_step)


def _rescored(sitting: Sitting, position: int, after: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What scoring the item at ``position`` as ``after`` does to every scored candidate: the
    summary over all of them, and the candidates whose score changes.

    The attempts are worked through in batches of ``BATCH`` (their answers read per batch), so
    a national sitting's preview holds one batch of answers in memory, not the sitting's.
    """
    assessment = sitting.assessment
    attempts = list(
        Result.objects.filter(attempt__sitting=sitting, attempt__status__in=SCORED)
        .order_by("attempt_id")
        .values_list("attempt_id", "attempt__form_id", "score_10")
    )
    rules: dict[int, FormRule] = {}
    changed: list[dict[str, Any]] = []
    before_total = after_total = Decimal(0)
    up = down = 0
    for start in range(0, len(attempts), BATCH):
        batch = attempts[start : start + BATCH]
        ids = [attempt_id for attempt_id, _form, _score in batch]
        answers: dict[int, dict[int, object]] = defaultdict(dict)
        for attempt_id, form_item_id, value in Answer.objects.filter(attempt_id__in=ids).values_list(
            "attempt_id", "form_item_id", "value"
        ):
            answers[attempt_id][form_item_id] = value
        marks: dict[int, dict[int, Decimal]] = defaultdict(dict)
        for attempt_id, form_item_id, points in ItemMark.objects.filter(attempt_id__in=ids).values_list(
            "attempt_id", "form_item_id", "points"
        ):
            marks[attempt_id][form_item_id] = points
        by_form: dict[int, list[int]] = defaultdict(list)
        for attempt_id, form_id, _score in batch:
            by_form[form_id].append(attempt_id)
        computed = {}
        for form_id, form_attempts in by_form.items():
            if form_id not in rules:
                rules[form_id] = _what_if(sitting, form_id, position, after)
            computed.update(rules[form_id].score_values((a, answers[a], marks[a]) for a in form_attempts))
        moved = []
        for attempt_id, _form, score in batch:
            new = computed[attempt_id].score_10
            before_total += score
            after_total += new
            if new != score:
                up += new > score
                down += new < score
                moved.append((attempt_id, score, new, computed[attempt_id].raw_score))
        stored = {
            result.attempt_id: result
            for result in Result.objects.filter(attempt_id__in=[m[0] for m in moved]).select_related("attempt__student")
        }
        for attempt_id, score, new, raw_after in moved:
            result = stored[attempt_id]
            student = result.attempt.student
            changed.append(
                {
                    "attempt": attempt_id,
                    "student": student.username,
                    "name": student.get_full_name() or student.username,  # family name first
                    "learner_id": student.learner_id,
                    "raw_before": str(result.raw_score),
                    "raw_after": str(raw_after),
                    "score_before": assessment.score_text(score),
                    "score_after": assessment.score_text(new),
                    "delta": _signed(assessment.score_text(abs(new - score)), new - score),
                }
            )
    count = len(attempts)
    summary = {
        "candidates": count,
        "changed": len(changed),
        "up": up,
        "down": down,
        "mean_before": str(round(before_total / count, 2)) if count else None,
        "mean_after": str(round(after_total / count, 2)) if count else None,
    }
    return summary, changed


def _signed(text: str, difference: Decimal) -> str:
    return f"-{text}" if difference < 0 else f"+{text}" if difference > 0 else text


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
    summary, rows = _rescored(sitting, position, after)
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
    rows.sort(key=lambda row: (-abs(Decimal(row["delta"])), row["student"]))
    return change, rows[:MAX_ROWS]


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
