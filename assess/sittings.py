"""Sittings: scheduling, enrolment, rescheduling, cancelling, make-ups, assignments, release.

Two kinds (``Sitting.Kind``):

- an *exam* sitting of a periodic assessment, scheduled by the exam board of the assessment's
  organisation: a window, an optional latest start and access code, one attempt each;
  enrolled by classes (one school's or, by grade, every school the board oversees), by a
  list of learner identifiers or user names, or from a file of them;
- an *assignment* of a continuous assessment to classes, by the teacher who built it (to the
  classes they teach) or the board: a window of days, attempts allowed, which one counts,
  a feedback policy, or practice that feeds no record.

Every change is audited (``SittingEvent``) with who, when and why; cancelling and moving a
window need a reason. Candidates are dealt test codes in turn in roster order (class, then
given name as Vietnamese rosters sort), so neighbours get different codes. Enrolment is
all or nothing: one refused candidate refuses the request, naming each.

Releasing results moves every scored attempt to ``published`` (students see them, and the
record entries count as published); withdrawing moves them back. An assignment follows its
feedback policy instead: after each submission, or when its window closes
(:func:`sittings_release_due`, run by the beat).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ClassMembership, Role, SchoolClass, User
from accounts.permissions import BOARD, organisation_subtree, require, scope_of
from accounts.selectors import classes_for
from scoring import grades

from . import authoring, events, statuses
from .models import Assessment, Attempt, AttemptTransition, Form, Sitting, SittingEvent

MAX_TITLE = 200
MAX_REASON = 500
MAX_ACCESS_CODE = 20
MAX_ENROL = 100_000
MAX_ATTEMPTS = 20
BATCH = 2000


@dataclass(frozen=True)
class SittingSpec:
    title: str
    opens_at: datetime
    closes_at: datetime
    latest_start: datetime | None = None
    access_code: str = ""
    late_rule: str = Sitting.LateRule.FULL_TIME
    max_attempts: int = 1
    counting: str = Sitting.Counting.BEST
    feedback_timing: str = Sitting.FeedbackTiming.ON_RELEASE
    feedback_detail: str = Sitting.FeedbackDetail.SCORE
    practice: bool = False


@dataclass(frozen=True)
class Candidates:
    """Who to enrol: classes, every class of a grade the sitting's organisation holds, people."""

    class_ids: tuple[int, ...] = ()
    grade: int | None = None
    names: tuple[str, ...] = ()  # learner identifiers or user names

    @property
    def empty(self) -> bool:
        return not self.class_ids and self.grade is None and not self.names


@dataclass
class Enrolment:
    added: int = 0
    already: int = 0
    classes: list[int] = field(default_factory=list)


def new_access_code() -> str:
    """Six digits, read out in the room."""
    return f"{secrets.randbelow(10**6):06d}"


# --- who may ----------------------------------------------------------------------------------


def _may_run(user: User, sitting: Sitting) -> bool:
    """An exam sitting is its organisation's board's; an assignment its assessment's managers'."""
    if sitting.kind == Sitting.Kind.EXAM:
        scope = scope_of(user)
        return scope.has_role(*BOARD) and scope.oversees(sitting.organisation_id)
    return authoring.may_manage(user, sitting.assessment)


def require_runner(user: User, sitting: Sitting) -> None:
    require(_may_run(user, sitting), _("You may not change this sitting."))


def sittings_run_by(user: User):
    """The sittings a person schedules and oversees: a board those of its organisations, a
    teacher the assignments of the assessments they built."""
    scope = scope_of(user)
    sittings = Sitting.objects.select_related("assessment__subject", "form", "organisation")
    if scope.is_admin:
        return sittings
    if scope.has_role(*BOARD):
        return sittings.filter(organisation_id__in=scope.overseen)
    if scope.has_role(Role.TEACHER):
        return sittings.filter(kind=Sitting.Kind.ASSIGNMENT, assessment__created_by_id=scope.user_id)
    return sittings.none()


# --- checks -------------------------------------------------------------------------------------


def _check_spec(spec: SittingSpec, *, kind: str, now: datetime | None = None) -> None:
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if not spec.title.strip() or len(spec.title) > MAX_TITLE:
        add("title", _("Give a title of 1 to %(max)d characters.") % {"max": MAX_TITLE})
    if spec.closes_at <= spec.opens_at:
        add("closes_at", _("The window must close after it opens."))
    if spec.latest_start is not None and not spec.opens_at <= spec.latest_start <= spec.closes_at:
        add("latest_start", _("The latest start lies within the window."))
    if len(spec.access_code) > MAX_ACCESS_CODE or (spec.access_code and not spec.access_code.isalnum()):
        add("access_code", _("An access code is up to %(max)d letters and digits.") % {"max": MAX_ACCESS_CODE})
    if not 1 <= spec.max_attempts <= MAX_ATTEMPTS:
        add("max_attempts", _("Allow 1 to %(max)d attempts.") % {"max": MAX_ATTEMPTS})
    if kind == Sitting.Kind.EXAM and spec.max_attempts != 1:
        add("max_attempts", _("An exam allows one attempt."))
    if kind == Sitting.Kind.EXAM and spec.feedback_timing != Sitting.FeedbackTiming.ON_RELEASE:
        add("feedback_timing", _("An exam's results reach students when they are released."))
    if kind == Sitting.Kind.EXAM and spec.practice:
        add("practice", _("An exam always feeds the record."))
    if spec.counting not in Sitting.Counting.values:
        add("counting", _("Which attempt counts: best, last or mean."))
    if spec.feedback_timing not in Sitting.FeedbackTiming.values:
        add("feedback_timing", _("Unknown feedback timing."))
    if spec.feedback_detail not in Sitting.FeedbackDetail.values:
        add("feedback_detail", _("Unknown feedback detail."))
    if errors:
        raise ValidationError(errors)


def _kind_of(assessment: Assessment) -> str:
    return Sitting.Kind.EXAM if assessment.kind == Assessment.Kind.PERIODIC else Sitting.Kind.ASSIGNMENT


def _audit(sitting: Sitting, kind: str, by: User, reason: str = "", **detail) -> None:
    SittingEvent.objects.create(sitting=sitting, kind=kind, by=by, reason=reason[:MAX_REASON], detail=detail)


# --- scheduling ---------------------------------------------------------------------------------


@transaction.atomic
def sitting_schedule(
    *,
    by: User,
    form_id: int,
    spec: SittingSpec,
    candidates: Candidates = Candidates(),
    makeup_of: Sitting | None = None,
) -> tuple[Sitting, Enrolment]:
    """A sitting of a master form, with its candidates (all or nothing)."""
    # A form of an assessment one may not see does not exist (404), as in the API.
    visible = authoring.assessments_visible_to(by)
    form = Form.objects.select_related("assessment").filter(assessment__in=visible).get(pk=form_id)
    if form.kind != Form.Kind.MASTER:
        raise ValidationError({"form": [_("A sitting uses a master form; its test codes are dealt to candidates.")]})
    assessment = form.assessment
    kind = _kind_of(assessment)
    draft = Sitting(assessment=assessment, form=form, organisation_id=assessment.organisation_id, kind=kind)
    require_runner(by, draft)
    _check_spec(spec, kind=kind)
    sitting = Sitting.objects.create(
        assessment=assessment,
        form=form,
        organisation_id=assessment.organisation_id,
        kind=kind,
        title=spec.title.strip(),
        opens_at=spec.opens_at,
        closes_at=spec.closes_at,
        latest_start=spec.latest_start,
        access_code=spec.access_code,
        late_rule=spec.late_rule,
        max_attempts=spec.max_attempts,
        counting=spec.counting,
        feedback_timing=spec.feedback_timing,
        feedback_detail=spec.feedback_detail,
        practice=spec.practice,
        makeup_of=makeup_of,
        created_by=by,
    )
    _audit(sitting, SittingEvent.Kind.SCHEDULED, by, window=[spec.opens_at.isoformat(), spec.closes_at.isoformat()])
    enrolment = Enrolment()
    if not candidates.empty:
        enrolment = _enrol(sitting, candidates, by=by)
    return sitting, enrolment


def _candidate_students(sitting: Sitting, candidates: Candidates, *, by: User) -> tuple[list[int], list[int]]:
    """(student ids in roster order, the class ids used), or ValidationError naming who is refused."""
    errors: dict[str, list[str]] = {}
    school_year = sitting.assessment.school_year
    classes = SchoolClass.objects.none()
    if candidates.class_ids:
        allowed = classes_for(by, school_year=school_year).filter(pk__in=candidates.class_ids)
        found = set(allowed.values_list("pk", flat=True))
        missing = [str(pk) for pk in candidates.class_ids if pk not in found]
        if missing:
            errors["classes"] = [
                _("You may not enrol these classes of %(year)s: %(classes)s.")
                % {"year": school_year, "classes": ", ".join(missing)}
            ]
        classes = SchoolClass.objects.filter(pk__in=found)
    if candidates.grade is not None:
        if not scope_of(by).has_role(*BOARD):
            raise PermissionDenied(_("Only the exam board enrols a whole grade."))
        schools = organisation_subtree(sitting.organisation_id)
        classes = classes | SchoolClass.objects.filter(
            school_id__in=schools, school_year=school_year, grade=candidates.grade
        )
    class_ids = sorted(set(classes.values_list("pk", flat=True)))
    members = list(
        ClassMembership.objects.filter(school_class_id__in=class_ids, left_at__isnull=True)
        .order_by(
            "school_class__school__name",
            "school_class__name",
            "student__first_name",
            "student__last_name",
            "student_id",
        )
        .values_list("student_id", flat=True)
    )
    listed: list[int] = []
    if candidates.names:
        wanted = list(dict.fromkeys(name.strip() for name in candidates.names if name.strip()))
        people = {
            key: (pk, role, organisation_id, active)
            for pk, role, organisation_id, active, learner_id, username in User.objects.filter(
                Q(learner_id__in=wanted) | Q(username__in=wanted)
            ).values_list("pk", "role", "organisation_id", "is_active", "learner_id", "username")
            for key in (learner_id, username)
            if key
        }
        reach = organisation_subtree(sitting.organisation_id)
        unknown, not_students, outside = [], [], []
        for name in wanted:
            person = people.get(name)
            if person is None:
                unknown.append(name)
            elif person[1] != Role.STUDENT or not person[3]:
                not_students.append(name)
            elif person[2] not in reach or not scope_of(by).oversees(person[2]):
                outside.append(name)
            else:
                listed.append(person[0])
        if unknown:
            errors.setdefault("students", []).append(
                _("Nobody has these identifiers: %(names)s.") % {"names": ", ".join(unknown[:20])}
            )
        if not_students:
            errors.setdefault("students", []).append(
                _("These are not active students: %(names)s.") % {"names": ", ".join(not_students[:20])}
            )
        if outside:
            errors.setdefault("students", []).append(
                _("These students are outside this sitting's organisation: %(names)s.")
                % {"names": ", ".join(outside[:20])}
            )
    if errors:
        raise ValidationError(errors)
    ordered = list(dict.fromkeys(members + listed))
    if len(ordered) > MAX_ENROL:
        raise ValidationError({"students": [_("Enrol at most %(max)d candidates at a time.") % {"max": MAX_ENROL}]})
    return ordered, class_ids


def _enrol(sitting: Sitting, candidates: Candidates, *, by: User) -> Enrolment:
    if sitting.status == Sitting.Status.CANCELLED:
        raise ValidationError({"sitting": [_("The sitting is cancelled.")]})
    if timezone.now() >= sitting.closes_at:
        raise ValidationError({"sitting": [_("The sitting has closed.")]})
    students, class_ids = _candidate_students(sitting, candidates, by=by)
    enrolled = set(Attempt.objects.filter(sitting=sitting).values_list("student_id", flat=True))
    new = [student for student in students if student not in enrolled]
    codes = list(Form.objects.filter(parent_id=sitting.form_id).order_by("code")) or [sitting.form]
    dealt = Attempt.objects.filter(sitting=sitting, number=1).count()
    Attempt.objects.bulk_create(
        (
            Attempt(sitting=sitting, student_id=student, number=1, form=codes[(dealt + index) % len(codes)])
            for index, student in enumerate(new)
        ),
        batch_size=BATCH,
    )
    if class_ids:
        sitting.classes.add(*class_ids)
    _audit(sitting, SittingEvent.Kind.ENROLLED, by, added=len(new), already=len(students) - len(new), classes=class_ids)
    return Enrolment(added=len(new), already=len(students) - len(new), classes=class_ids)


@transaction.atomic
def sitting_enrol(*, by: User, sitting_id: int, candidates: Candidates) -> Enrolment:
    """Add candidates; the ones already enrolled are counted, not added twice."""
    sitting = Sitting.objects.select_for_update().select_related("assessment", "form").get(pk=sitting_id)
    require_runner(by, sitting)
    if candidates.empty:
        raise ValidationError({"students": [_("Choose classes, a grade or students to enrol.")]})
    return _enrol(sitting, candidates, by=by)


@transaction.atomic
def sitting_reschedule(
    *, by: User, sitting_id: int, opens_at: datetime, closes_at: datetime, latest_start: datetime | None, reason: str
) -> Sitting:
    """Move the window (a reason is kept); attempts that started keep their deadlines."""
    sitting = Sitting.objects.select_for_update().select_related("assessment").get(pk=sitting_id)
    require_runner(by, sitting)
    if sitting.status == Sitting.Status.CANCELLED:
        raise ValidationError({"sitting": [_("The sitting is cancelled.")]})
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the sitting moves.")]})
    spec = SittingSpec(title=sitting.title, opens_at=opens_at, closes_at=closes_at, latest_start=latest_start)
    _check_spec(spec, kind=Sitting.Kind.ASSIGNMENT)
    before = [sitting.opens_at.isoformat(), sitting.closes_at.isoformat()]
    sitting.opens_at, sitting.closes_at, sitting.latest_start = opens_at, closes_at, latest_start
    sitting.save(update_fields=["opens_at", "closes_at", "latest_start"])
    _audit(
        sitting,
        SittingEvent.Kind.RESCHEDULED,
        by,
        reason.strip(),
        before=before,
        after=[opens_at.isoformat(), closes_at.isoformat()],
    )
    return sitting


@transaction.atomic
def sitting_cancel(*, by: User, sitting_id: int, reason: str) -> Sitting:
    """Cancel a sitting nobody has started; its attempts are voided, the reason kept."""
    sitting = Sitting.objects.select_for_update().select_related("assessment").get(pk=sitting_id)
    require_runner(by, sitting)
    if sitting.status == Sitting.Status.CANCELLED:
        return sitting
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the sitting is cancelled.")]})
    if Attempt.objects.filter(sitting=sitting, started_at__isnull=False).exists():
        raise ValidationError(
            {"sitting": [_("Candidates have started: pause or void their attempts instead of cancelling.")]}
        )
    now = timezone.now()
    attempts = list(Attempt.objects.select_for_update().filter(sitting=sitting).exclude(status=statuses.VOIDED))
    AttemptTransition.objects.bulk_create(
        AttemptTransition(attempt=a, from_status=a.status, to_status=statuses.VOIDED, by=by, reason="cancelled", at=now)
        for a in attempts
    )
    Attempt.objects.filter(pk__in=[a.pk for a in attempts]).update(status=statuses.VOIDED, updated_at=now)
    for attempt in attempts:
        attempt.status = statuses.VOIDED
        events.publish(events.status_of(attempt))
    sitting.status = Sitting.Status.CANCELLED
    sitting.save(update_fields=["status"])
    _audit(sitting, SittingEvent.Kind.CANCELLED, by, reason.strip(), voided=len(attempts))
    return sitting


@transaction.atomic
def sitting_makeup(*, by: User, sitting_id: int, spec: SittingSpec) -> tuple[Sitting, Enrolment]:
    """A make-up sitting of the same form for the candidates who did not sit the first."""
    original = Sitting.objects.select_related("assessment", "form").get(pk=sitting_id)
    require_runner(by, original)
    if timezone.now() < original.closes_at and original.status == Sitting.Status.SCHEDULED:
        raise ValidationError({"sitting": [_("A make-up is scheduled once the sitting has closed.")]})
    absent = list(
        Attempt.objects.filter(sitting=original, started_at__isnull=True, number=1)
        .order_by("pk")
        .values_list("student__username", flat=True)
    )
    if not absent:
        raise ValidationError({"sitting": [_("Everyone sat it: there is nobody to make up.")]})
    return sitting_schedule(
        by=by, form_id=original.form_id, spec=spec, candidates=Candidates(names=tuple(absent)), makeup_of=original
    )


# --- release ------------------------------------------------------------------------------------


def _publish(sitting: Sitting, *, by: User | None, reason: str, now: datetime) -> int:
    """Publish the sitting's scored attempts, but none whose responses still await a marker."""
    attempts = list(
        Attempt.objects.select_for_update().filter(sitting=sitting, status=statuses.SCORED, result__pending_items=0)
    )
    AttemptTransition.objects.bulk_create(
        AttemptTransition(
            attempt=a, from_status=statuses.SCORED, to_status=statuses.PUBLISHED, by=by, reason=reason, at=now
        )
        for a in attempts
    )
    Attempt.objects.filter(pk__in=[a.pk for a in attempts]).update(status=statuses.PUBLISHED, updated_at=now)
    return len(attempts)


@transaction.atomic
def sitting_release(*, by: User, sitting_id: int) -> int:
    """Release the scored results to the students (and their records); how many."""
    sitting = Sitting.objects.select_for_update().select_related("assessment").get(pk=sitting_id)
    require_runner(by, sitting)
    if sitting.status == Sitting.Status.CANCELLED:
        raise ValidationError({"sitting": [_("The sitting is cancelled.")]})
    now = timezone.now()
    released = _publish(sitting, by=by, reason="released", now=now)
    sitting.released_at, sitting.released_by = now, by
    sitting.save(update_fields=["released_at", "released_by"])
    _audit(sitting, SittingEvent.Kind.RELEASED, by, attempts=released)
    return released


@transaction.atomic
def sitting_withdraw(*, by: User, sitting_id: int, reason: str) -> int:
    """Take released results back from the students (a reason is kept); how many."""
    sitting = Sitting.objects.select_for_update().select_related("assessment").get(pk=sitting_id)
    require_runner(by, sitting)
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the results are withdrawn.")]})
    now = timezone.now()
    attempts = list(Attempt.objects.select_for_update().filter(sitting=sitting, status=statuses.PUBLISHED))
    AttemptTransition.objects.bulk_create(
        AttemptTransition(
            attempt=a, from_status=statuses.PUBLISHED, to_status=statuses.SCORED, by=by, reason="withdrawn", at=now
        )
        for a in attempts
    )
    Attempt.objects.filter(pk__in=[a.pk for a in attempts]).update(status=statuses.SCORED, updated_at=now)
    sitting.released_at, sitting.released_by = None, None
    sitting.save(update_fields=["released_at", "released_by"])
    _audit(sitting, SittingEvent.Kind.WITHDRAWN, by, reason.strip(), attempts=len(attempts))
    return len(attempts)


def results_visible(sitting: Sitting, now: datetime | None = None) -> bool:
    """Whether the students of ``sitting`` see their results now (its policy or its release)."""
    if sitting.released_at is not None:
        return True
    if sitting.kind != Sitting.Kind.ASSIGNMENT:
        return False
    if sitting.feedback_timing in (Sitting.FeedbackTiming.AFTER_SUBMIT, Sitting.FeedbackTiming.AFTER_ITEM):
        return True
    now = now or timezone.now()
    return sitting.feedback_timing == Sitting.FeedbackTiming.AFTER_CLOSE and now >= sitting.closes_at


def sittings_release_due(*, now: datetime | None = None) -> int:
    """Publish the scored attempts of assignments whose results show once the window closed."""
    now = now or timezone.now()
    released = 0
    due = Sitting.objects.filter(
        kind=Sitting.Kind.ASSIGNMENT,
        feedback_timing=Sitting.FeedbackTiming.AFTER_CLOSE,
        closes_at__lte=now,
        status=Sitting.Status.SCHEDULED,
        attempts__status=statuses.SCORED,
    ).distinct()
    for sitting in due:
        with transaction.atomic():
            released += _publish(sitting, by=None, reason="feedback policy", now=now)
    return released


# --- attempts of an assignment ------------------------------------------------------------------


@transaction.atomic
def attempt_again(*, sitting_id: int, user: User) -> Attempt:
    """A student's next attempt at an assignment that allows more, once the last is finished."""
    sitting = Sitting.objects.select_related("form").get(pk=sitting_id)
    previous = (
        Attempt.objects.select_for_update(of=("self",))
        .filter(sitting=sitting, student_id=user.pk)
        .order_by("-number")
        .first()
    )
    if previous is None or scope_of(user).user_id != previous.student_id or not scope_of(user).has_role(Role.STUDENT):
        raise PermissionDenied(_("You are not enrolled in this sitting."))
    if previous.status not in statuses.FINISHED or previous.status == statuses.VOIDED:
        raise ValidationError({"attempt": [_("Finish your current attempt first.")]})
    if previous.number >= sitting.max_attempts:
        raise ValidationError({"attempt": [_("You have used all %(max)d attempts.") % {"max": sitting.max_attempts}]})
    if not sitting.is_open():
        raise ValidationError({"attempt": [_("The sitting is not open.")]})
    codes = list(Form.objects.filter(parent_id=sitting.form_id).order_by("code")) or [sitting.form]
    # Another try gets the next code: the same questions in another order.
    index = next((i for i, code in enumerate(codes) if code.pk == previous.form_id), -1)
    return Attempt.objects.create(
        sitting=sitting, student_id=user.pk, number=previous.number + 1, form=codes[(index + 1) % len(codes)]
    )


def counted_score(scores: Sequence, counting: str):
    """The score that counts among a student's attempts (``Sitting.Counting``), or None."""
    values = [score for score in scores if score is not None]
    if not values:
        return None
    if counting == Sitting.Counting.LAST:
        return values[-1]
    if counting == Sitting.Counting.MEAN:
        return grades.mean_score(values)
    return max(values)


def candidates_from_lines(lines: Iterable[str]) -> Candidates:
    return Candidates(names=tuple(line.strip() for line in lines if line.strip()))
