"""Marking the responses a person scores: the plan, the queue, the marks, adjudication.

How it runs:

- The board that runs a sitting sets its plan (``plan_set``): single or blind double marking,
  the tolerance, the markers and the adjudicators (teachers or board members it oversees).
- Every response awaiting a person (``Result.pending_items``) becomes a script with a random
  code (``scripts_sync``, run whenever the plan or a queue is read: an attempt scored later
  joins the queue by itself).
- A marker asks for the next script (``script_next``): it is theirs for ``MARKING_CLAIM_MINUTES``
  (no one else gets that round meanwhile), shown without the candidate's identity and, in
  double marking, without the other mark. Never a student of a class the marker teaches or
  is the homeroom teacher of in that school year.
- ``mark_submit`` records the mark (from the rubric's levels where the item has a rubric).
  Single marking: that is the final mark. Double marking: the second mark settles it as the
  mean of the two (hundredths, halves up) when they are within the tolerance, else the script
  goes to an adjudicator, whose mark is final. The final mark goes into the attempt's result
  (``assess.services.attempt_mark_response``): the last one makes it final, published where
  the sitting's results show, and written into the record.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ClassMembership, ClassTeacher, Role, SchoolClass, User
from accounts.permissions import scope_of
from assess import services as assess_services
from assess import statuses
from assess.models import FormItem, ItemMark, Result, Sitting
from assess.sittings import require_runner
from scoring.item_rules import score_essay_by_rubric

from .models import Mark, Marker, MarkingPlan, Script

MARKER_ROLES = (Role.TEACHER, Role.BOARD)
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and copied by hand
CODE_LENGTH = 8
MAX_COMMENT = 1000
_CENT = Decimal("0.01")


# --- the plan ---------------------------------------------------------------------------------


def _markers_allowed(by: User, user_ids: Sequence[int]) -> dict[int, User]:
    """The people named, each a teacher or board member of an organisation ``by`` oversees."""
    scope = scope_of(by)
    people = {u.pk: u for u in User.objects.filter(pk__in=set(user_ids), is_active=True)}
    refused = [
        user_id
        for user_id in user_ids
        if user_id not in people
        or people[user_id].role not in MARKER_ROLES
        or not (scope.is_admin or scope.oversees(people[user_id].organisation_id))
    ]
    if refused:
        raise ValidationError(
            {"markers": [_("Markers are teachers or exam board members of the organisations you oversee.")]}
        )
    return people


@transaction.atomic
def plan_set(
    *,
    by: User,
    sitting_id: int,
    double: bool,
    tolerance: Decimal,
    markers: Sequence[int],
    adjudicators: Sequence[int] = (),
) -> MarkingPlan:
    """Set (or change) how a sitting is marked and by whom.

    Once a mark is given, single or double marking and the tolerance stay as they are (the
    marks given were made under them); markers may still be added or removed (a removed
    marker's marks stand).
    """
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    require_runner(by, sitting)
    errors: dict[str, list[str]] = defaultdict(list)
    if not Decimal(0) <= tolerance <= Decimal(10) or tolerance != tolerance.quantize(_CENT):
        errors["tolerance"].append(_("The tolerance is 0 to 10 points, in hundredths."))
    marker_ids = list(dict.fromkeys(markers))
    adjudicator_ids = list(dict.fromkeys(adjudicators))
    if not marker_ids:
        errors["markers"].append(_("Name at least one marker."))
    if double and len(marker_ids) < 2:
        errors["markers"].append(_("Double marking needs at least two markers."))
    if double and not adjudicator_ids:
        errors["adjudicators"].append(_("Double marking needs an adjudicator for the scripts whose marks differ."))
    if errors:
        raise ValidationError(dict(errors))
    _markers_allowed(by, [*marker_ids, *adjudicator_ids])
    plan = MarkingPlan.objects.select_for_update().filter(sitting=sitting).first()
    if plan is None:
        plan = MarkingPlan.objects.create(sitting=sitting, double=double, tolerance=tolerance, created_by=by)
    else:
        marked = Mark.objects.filter(script__plan=plan).exists()
        if marked and (plan.double != double or plan.tolerance != tolerance):
            raise ValidationError(
                {"double": [_("Marking has begun: single or double marking and the tolerance no longer change.")]}
            )
        plan.double, plan.tolerance = double, tolerance
        plan.save(update_fields=["double", "tolerance", "updated_at"])
    wanted = {user_id: False for user_id in marker_ids} | {user_id: True for user_id in adjudicator_ids}
    plan.markers.exclude(user_id__in=wanted).delete()
    for user_id, adjudicator in wanted.items():
        Marker.objects.update_or_create(plan=plan, user_id=user_id, defaults={"adjudicator": adjudicator})
    scripts_sync(plan)
    return plan


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _pending_responses(plan: MarkingPlan) -> list[tuple[int, int]]:
    """(attempt, form item) of every response of the sitting still awaiting a person."""
    results = Result.objects.filter(
        attempt__sitting_id=plan.sitting_id,
        attempt__status__in=(statuses.SCORED, statuses.PUBLISHED),
        pending_items__gt=0,
    ).values_list("attempt_id", "attempt__form_id", "item_scores")
    by_form: dict[int, list[FormItem]] = {}
    pending = []
    for attempt_id, form_id, item_scores in results:
        if form_id not in by_form:
            by_form[form_id] = sorted(
                FormItem.objects.filter(form_id=form_id), key=lambda fi: fi.master_position or fi.position
            )
        for form_item, score in zip(by_form[form_id], item_scores, strict=False):
            if score is None and assess_services.counts(form_item):
                pending.append((attempt_id, form_item.pk))
    return pending


def scripts_sync(plan: MarkingPlan) -> int:
    """Make a script of every response awaiting a person that has none yet; how many."""
    have = set(Script.objects.filter(plan=plan).values_list("attempt_id", "form_item_id"))
    marked = set(ItemMark.objects.filter(attempt__sitting_id=plan.sitting_id).values_list("attempt_id", "form_item_id"))
    new = [pair for pair in _pending_responses(plan) if pair not in have and pair not in marked]
    for attempt_id, form_item_id in new:
        for _try in range(5):  # a code already taken (1 in 10^12 a draw) is drawn again
            try:
                with transaction.atomic():
                    Script.objects.create(plan=plan, attempt_id=attempt_id, form_item_id=form_item_id, code=_new_code())
                break
            except IntegrityError:
                if Script.objects.filter(attempt_id=attempt_id, form_item_id=form_item_id).exists():
                    break
    return len(new)


# --- who may mark what ------------------------------------------------------------------------


def marker_of(user: User, plan: MarkingPlan) -> Marker:
    marker = plan.markers.filter(user=user).first()
    if marker is None:
        raise PermissionDenied(_("You are not a marker of this sitting."))
    return marker


def own_students(user: User, school_year: str) -> QuerySet:
    """The students of the classes ``user`` teaches or is the homeroom teacher of that year:
    a marker never marks them."""
    classes = SchoolClass.objects.filter(
        Q(homeroom_teacher=user) | Q(pk__in=ClassTeacher.objects.filter(teacher=user).values("school_class_id")),
        school_year=school_year,
    )
    return ClassMembership.objects.filter(school_class__in=classes, school_year=school_year).values("student_id")


def marks_needed(plan: MarkingPlan) -> int:
    """Marks a script needs before it can be settled (an adjudication comes on top)."""
    return 2 if plan.double else 1


def _claim_free(now) -> Q:
    return Q(claimed_by__isnull=True) | Q(claimed_until__lt=now)


@transaction.atomic
def script_next(*, by: User, plan_id: int) -> Script | None:
    """The script this marker marks next, now claimed by them; None when none is left for them.

    A script still on their desk comes back first (a reload, another PC). Adjudicators take the
    disputed scripts first; then anyone takes a script that lacks a mark and that they have
    not marked, of a candidate they do not teach.
    """
    plan = MarkingPlan.objects.select_related("sitting__assessment").get(pk=plan_id)
    marker = marker_of(by, plan)
    scripts_sync(plan)
    now = timezone.now()
    mine = Script.objects.filter(plan=plan, claimed_by=by, claimed_until__gte=now).exclude(status=Script.Status.DONE)
    mine = mine.exclude(marks__marker=by).order_by("pk").first()
    if mine is not None:
        return mine
    free = (
        Script.objects.filter(plan=plan)
        .filter(_claim_free(now))
        .exclude(marks__marker=by)
        .exclude(attempt__student_id__in=own_students(by, plan.sitting.assessment.school_year))
    )
    candidates = []
    if marker.adjudicator:
        candidates.append(free.filter(status=Script.Status.ADJUDICATION))
    candidates.append(
        free.filter(status=Script.Status.OPEN).annotate(given=Count("marks")).filter(given__lt=marks_needed(plan))
    )
    for queryset in candidates:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:20])
        script = Script.objects.select_for_update(skip_locked=True).filter(pk__in=ids).filter(_claim_free(now))
        chosen = script.order_by("pk").first()
        if chosen is not None:
            chosen.claimed_by = by
            chosen.claimed_until = now + timedelta(minutes=settings.MARKING_CLAIM_MINUTES)
            chosen.save(update_fields=["claimed_by", "claimed_until"])
            return chosen
    return None


def _points(script: Script, levels: Mapping[str, str] | None, points: object) -> tuple[Decimal, dict]:
    """The points a marker gives: from the rubric's levels where the item has a rubric, else
    the points they typed (0 to the item's points, in hundredths)."""
    form_item = script.form_item
    rubric = form_item.item_version.scoring_key().get("rubric")
    if rubric:
        if not isinstance(levels, Mapping) or not levels:
            raise ValidationError({"levels": [_("Choose a level for every criterion of the rubric.")]})
        try:
            score = score_essay_by_rubric(levels, rubric, form_item.points)
        except ValueError:
            raise ValidationError({"levels": [_("Choose one of the rubric's levels for every criterion.")]}) from None
        assert score.points is not None  # a rubric's score is never pending
        return score.points, dict(levels)
    return typed_points(points, form_item, field="points"), {}


def typed_points(value: object, form_item: FormItem, *, field: str) -> Decimal:
    """Points a person typed for a response (a decimal comma too): 0 to the item's points, in
    hundredths; ValidationError on ``field`` otherwise. Marking and appeals both take it."""
    try:
        given = Decimal(str(value).replace(",", ".")) if value is not None else None
    except InvalidOperation:
        given = None
    if (
        given is None
        or not given.is_finite()
        or not Decimal(0) <= given <= form_item.points
        or given != given.quantize(_CENT)
    ):
        raise ValidationError(
            {field: [_("A mark is 0 to %(max)s points.") % {"max": format(form_item.points.normalize(), "f")}]}
        )
    return given


@transaction.atomic
def mark_submit(
    *, by: User, code: str, levels: Mapping[str, str] | None = None, points: object = None, comment: str = ""
) -> Script:
    """Record this marker's mark of a script and move the script on (see the module's rules)."""
    script = (
        Script.objects.select_for_update()
        .select_related("plan__sitting__assessment", "form_item__item_version__item")
        .filter(code=code.strip().upper())
        .first()
    )
    if script is None:
        raise ValidationError({"script": [_("No such script.")]})
    plan = script.plan
    marker = marker_of(by, plan)
    now = timezone.now()
    if script.status == Script.Status.DONE:
        raise ValidationError({"script": [_("This script is marked already.")]})
    marks = list(script.marks.all())
    if any(mark.marker_id == by.pk for mark in marks):
        raise ValidationError({"script": [_("You have marked this script already: another marker marks it now.")]})
    if script.claimed_by_id not in (None, by.pk) and script.claimed_until and script.claimed_until >= now:
        raise ValidationError({"script": [_("Another marker has this script on their desk.")]})
    if own_students(by, plan.sitting.assessment.school_year).filter(student_id=script.attempt.student_id).exists():
        raise PermissionDenied(_("You teach this candidate: their script goes to another marker."))
    if len(comment) > MAX_COMMENT:
        raise ValidationError({"comment": [_("A comment is at most %(max)d characters.") % {"max": MAX_COMMENT}]})
    if script.status == Script.Status.ADJUDICATION:
        if not marker.adjudicator:
            raise PermissionDenied(_("Only an adjudicator marks a script whose two marks differ."))
        round_ = Mark.Round.ADJUDICATION
    elif not marks:
        round_ = Mark.Round.FIRST
    elif plan.double and len(marks) == 1:
        round_ = Mark.Round.SECOND
    else:  # pragma: no cover - a script with its marks is done or in adjudication
        raise ValidationError({"script": [_("This script is marked already.")]})
    given, chosen = _points(script, levels, points)
    mark = Mark.objects.create(
        script=script, round=round_, marker=by, points=given, levels=chosen, comment=comment.strip(), at=now
    )
    marks.append(mark)
    script.claimed_by, script.claimed_until = None, None
    final = _settle(plan, marks)
    if final is None:
        script.status = Script.Status.ADJUDICATION if len(marks) == 2 else Script.Status.OPEN
        script.save(update_fields=["status", "claimed_by", "claimed_until"])
        return script
    script.status, script.final_points = Script.Status.DONE, final.quantize(_CENT)
    script.save(update_fields=["status", "final_points", "claimed_by", "claimed_until"])
    assess_services.attempt_mark_response(
        attempt_id=script.attempt_id,
        form_item_id=script.form_item_id,
        points=script.final_points,
        detail={
            "script": script.code,
            "marks": [{"round": m.round, "marker": m.marker_id, "points": str(m.points)} for m in marks],
        },
    )
    return script


def _settle(plan: MarkingPlan, marks: list[Mark]) -> Decimal | None:
    """The final mark of a script from its marks so far, or None while it needs another."""
    by_round = {mark.round: mark.points for mark in marks}
    if Mark.Round.ADJUDICATION in by_round:
        return by_round[Mark.Round.ADJUDICATION]
    if not plan.double:
        return by_round.get(Mark.Round.FIRST)
    if len(by_round) < 2:
        return None
    first, second = by_round[Mark.Round.FIRST], by_round[Mark.Round.SECOND]
    if abs(first - second) > plan.tolerance:
        return None
    return ((first + second) / 2).quantize(_CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def script_release(*, by: User, code: str) -> None:
    """Put a claimed script back in the queue (the marker leaves their desk)."""
    Script.objects.filter(code=code.strip().upper(), claimed_by=by).update(claimed_by=None, claimed_until=None)
