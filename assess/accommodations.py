"""Accommodations (access arrangements) in a sitting: for one candidate or for a class.

What one gives (``Accommodation``): more time, as extra minutes (1 to 300) or as a multiplier
of the duration (1 to 3), not both; larger text (the exam page opens in its large text size);
a room of their own (the placement keeps such candidates apart: ``proctoring.services``).

Applied by the server when the attempt starts (``assess.services``): the attempt keeps the
scale of its times (``Attempt.time_scale``: the multiplier, or (duration + extra) / duration)
and its deadline (``proctoring.gate.deadline``) and every section's time limit
(``assess.sections``) scale by it. A candidate's own accommodation wins over their class's; of
several classes', the one giving the most time. One set or changed after a candidate started
does not change their running attempt: the proctors give time from the console.

Set by the exam board overseeing the sitting's organisation, and only by it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.models import ClassMembership, SchoolClass, User
from accounts.permissions import BOARD, require, scope_of

from . import statuses
from .models import Accommodation, Attempt, Sitting

MAX_EXTRA_MINUTES = 300
MIN_MULTIPLIER = Decimal("1")
MAX_MULTIPLIER = Decimal("3")
MAX_NOTE = 200


@dataclass(frozen=True)
class AccommodationSpec:
    """One accommodation as the board sends it: for a candidate (``student``: their user name
    or learner identifier) or for a class (``school_class``: its id)."""

    student: str = ""
    school_class_id: int | None = None
    extra_minutes: int | None = None
    time_multiplier: Decimal | None = None
    large_text: bool = False
    separate_room: bool = False
    note: str = ""


# --- who may ------------------------------------------------------------------------------------


def may_set(user: User, sitting: Sitting) -> bool:
    """The exam board overseeing the sitting's organisation (an administrator too)."""
    scope = scope_of(user)
    return scope.has_role(*BOARD) and scope.oversees(sitting.organisation_id)


def _require_board(user: User, sitting: Sitting) -> None:
    require(may_set(user, sitting), _("Only the exam board of this sitting sets accommodations."))


# --- reads ----------------------------------------------------------------------------------------


def accommodations_of(sitting: Sitting) -> QuerySet[Accommodation]:
    return Accommodation.objects.filter(sitting=sitting).select_related("student", "school_class").order_by("pk")


def _more_time(accommodation: Accommodation) -> tuple[Decimal, int]:
    return (accommodation.time_multiplier or Decimal(1), accommodation.extra_minutes or 0)


def accommodation_for(sitting_id: int, student_id: int) -> Accommodation | None:
    """The accommodation that applies to a candidate (``accommodations_for``). One query."""
    return accommodations_for(sitting_id, [student_id])[student_id]


def accommodations_for(sitting_id: int, student_ids: Iterable[int]) -> dict[int, Accommodation | None]:
    """The accommodation that applies to each candidate: their own, else their class's (of
    several, the one giving the most time). One query, and one more to see who is in which class
    when several candidates are asked for and a class has one (a room started together)."""
    ids = list(dict.fromkeys(student_ids))
    found = list(
        Accommodation.objects.filter(
            Q(student_id__in=ids)
            | Q(
                school_class__in=ClassMembership.objects.filter(student_id__in=ids, left_at__isnull=True).values(
                    "school_class_id"
                )
            ),
            sitting_id=sitting_id,
        ).order_by("pk")
    )
    by_class = [a for a in found if a.school_class_id is not None]
    classes: dict[int, set[int]] = defaultdict(set)  # student -> their classes that have one
    if len(ids) == 1:
        classes[ids[0]] = {a.school_class_id for a in by_class}
    elif by_class:
        for student_id, class_id in ClassMembership.objects.filter(
            student_id__in=ids, left_at__isnull=True, school_class_id__in={a.school_class_id for a in by_class}
        ).values_list("student_id", "school_class_id"):
            classes[student_id].add(class_id)
    applying: dict[int, Accommodation | None] = {}
    for student_id in ids:
        own = next((a for a in found if a.student_id == student_id), None)
        theirs = [a for a in by_class if a.school_class_id in classes[student_id]]
        applying[student_id] = own or max(theirs, key=_more_time, default=None)
    return applying


def time_scale(accommodation: Accommodation | None, duration: timedelta) -> float:
    """How much longer a candidate's times are: the multiplier, or (duration + extra) / duration."""
    if accommodation is None:
        return 1.0
    if accommodation.time_multiplier is not None:
        return float(accommodation.time_multiplier)
    if accommodation.extra_minutes:
        return (duration + timedelta(minutes=accommodation.extra_minutes)) / duration
    return 1.0


def separate_room_candidates(sitting: Sitting) -> set[int]:
    """The candidates (student ids) of a sitting whose accommodation asks for a room of their own."""
    students = set(Attempt.objects.filter(sitting=sitting).values_list("student_id", flat=True))
    rows = list(Accommodation.objects.filter(sitting=sitting))
    own = {a.student_id: a for a in rows if a.student_id is not None}
    by_class = [a for a in rows if a.school_class_id is not None]
    members: dict[int, set[int]] = defaultdict(set)
    if by_class:
        for class_id, student_id in ClassMembership.objects.filter(
            school_class_id__in=[a.school_class_id for a in by_class], left_at__isnull=True, student_id__in=students
        ).values_list("school_class_id", "student_id"):
            members[student_id].add(class_id)
    separate = set()
    for student_id in students:
        if student_id in own:
            if own[student_id].separate_room:
                separate.add(student_id)
            continue
        classes = [a for a in by_class if a.school_class_id in members.get(student_id, ())]
        chosen = max(classes, key=_more_time, default=None)
        if chosen is not None and chosen.separate_room:
            separate.add(student_id)
    return separate


CHOICES_MAX = 2000  # more candidates than this: the board types the candidate's username


def choices_of(sitting: Sitting) -> tuple[list[dict[str, object]] | None, list[dict[str, object]]]:
    """Whom the board may give an accommodation in a sitting: its candidates (not voided), by
    name, and the classes they are in (the ones ``_check`` accepts), by name. Two queries.

    A sitting of more than ``CHOICES_MAX`` candidates (a national exam) gives None for the
    candidates: the page asks for the candidate's username instead of listing them all."""
    attempts = list(
        Attempt.objects.filter(sitting=sitting)
        .exclude(status=statuses.VOIDED)
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "student__username")[: CHOICES_MAX + 1]
    )
    candidates = [
        {
            "username": a.student.username,
            "name": a.student.get_full_name() or a.student.username,
            "learner_id": a.student.learner_id,
        }
        for a in attempts
    ]
    classes = (
        SchoolClass.objects.filter(
            memberships__left_at__isnull=True,
            memberships__student_id__in=Attempt.objects.filter(sitting=sitting).values("student_id"),
        )
        .distinct()
        .order_by("name", "pk")
    )
    return (candidates if len(attempts) <= CHOICES_MAX else None), [{"id": c.pk, "name": c.name} for c in classes]


# --- writes ---------------------------------------------------------------------------------------


def _check(sitting: Sitting, spec: AccommodationSpec) -> tuple[int | None, int | None]:
    """(student id, class id) of a valid spec, or one ValidationError naming every problem."""
    errors: dict[str, list[str]] = defaultdict(list)
    student_id = class_id = None
    name = spec.student.strip()
    if bool(name) == (spec.school_class_id is not None):
        errors["student"].append(_("Choose either one candidate or one class."))
    elif name:
        student_id = (
            Attempt.objects.filter(sitting=sitting)
            .filter(Q(student__username=name) | Q(student__learner_id=name))
            .values_list("student_id", flat=True)
            .first()
        )
        if student_id is None:
            errors["student"].append(_("%(name)s is not a candidate of this sitting.") % {"name": name[:150]})
    else:
        candidates = Attempt.objects.filter(sitting=sitting).values("student_id")
        found = SchoolClass.objects.filter(
            pk=spec.school_class_id, memberships__left_at__isnull=True, memberships__student_id__in=candidates
        ).exists()
        if not found:
            errors["school_class"].append(_("No candidate of this sitting is in this class."))
        class_id = spec.school_class_id
    if spec.extra_minutes is not None and spec.time_multiplier is not None:
        errors["extra_minutes"].append(_("Give extra minutes or a multiplier, not both."))
    if spec.extra_minutes is not None and not 1 <= spec.extra_minutes <= MAX_EXTRA_MINUTES:
        errors["extra_minutes"].append(_("Extra time is 1 to %(max)d minutes.") % {"max": MAX_EXTRA_MINUTES})
    multiplier = spec.time_multiplier
    if multiplier is not None and (
        not MIN_MULTIPLIER <= multiplier <= MAX_MULTIPLIER or multiplier != multiplier.quantize(Decimal("0.01"))
    ):
        errors["time_multiplier"].append(_("The multiplier is 1 to 3, in hundredths (1.5 is half as much again)."))
    if spec.extra_minutes is None and spec.time_multiplier is None and not spec.large_text and not spec.separate_room:
        errors["accommodation"].append(_("Give more time, larger text or a separate room."))
    if len(spec.note) > MAX_NOTE:
        errors["note"].append(_("A note has at most %(max)d characters.") % {"max": MAX_NOTE})
    if errors:
        raise ValidationError(dict(errors))
    return student_id, class_id


def _write(accommodation: Accommodation, spec: AccommodationSpec, student_id: int | None, class_id: int | None):
    accommodation.student_id = student_id
    accommodation.school_class_id = class_id
    accommodation.extra_minutes = spec.extra_minutes
    accommodation.time_multiplier = spec.time_multiplier
    accommodation.large_text = spec.large_text
    accommodation.separate_room = spec.separate_room
    accommodation.note = spec.note.strip()
    try:
        with transaction.atomic():
            accommodation.save()
    except IntegrityError:
        field = "student" if student_id is not None else "school_class"
        raise ValidationError(
            {field: [_("This one has an accommodation in this sitting already: change it.")]}
        ) from None


@transaction.atomic
def accommodation_create(*, by: User, sitting_id: int, spec: AccommodationSpec) -> Accommodation:
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    _require_board(by, sitting)
    student_id, class_id = _check(sitting, spec)
    accommodation = Accommodation(sitting=sitting, created_by=by)
    _write(accommodation, spec, student_id, class_id)
    return accommodation


@transaction.atomic
def accommodation_update(*, by: User, sitting_id: int, accommodation_id: int, spec: AccommodationSpec) -> Accommodation:
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    _require_board(by, sitting)
    accommodation = Accommodation.objects.select_for_update().get(pk=accommodation_id, sitting=sitting)
    student_id, class_id = _check(sitting, spec)
    _write(accommodation, spec, student_id, class_id)
    return accommodation


@transaction.atomic
def accommodation_delete(*, by: User, sitting_id: int, accommodation_id: int) -> None:
    sitting = Sitting.objects.select_for_update().get(pk=sitting_id)
    _require_board(by, sitting)
    Accommodation.objects.get(pk=accommodation_id, sitting=sitting).delete()
