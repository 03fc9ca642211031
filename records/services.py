"""Keeping the records (Circular 22): entries a teacher enters, corrections, comments, the
closing of a semester, the subjects' rules. Every write checks who asks and keeps a
``RecordEvent``; a closed semester refuses every change of its class until a school
administrator reopens it.

Who does what:

- the *subject teacher* (``ClassTeacher``) enters the assessments of their subject in their
  class that were not taken on the computer (a paper test, an oral check), corrects or removes
  them with a reason, and writes each student's comment on the subject;
- the *homeroom teacher* writes each student's overall comment and closes the semester once
  every student has every assessment (semester II closes after semester I);
- a *school administrator* (or the board above) sets how each subject is assessed in each grade
  and reopens a closed semester, with a reason.

An entry written by scoring (an attempt's) is not corrected here: its score is the result's,
changed through the results' review, a moderation or an appeal.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ClassMembership, Organisation, Role, SchoolClass, User, validate_school_year
from accounts.permissions import BOARD, require, scope_of
from assess.models import RecordEntry, RecordEntryType
from itembank.models import Subject
from scoring import grades

from . import policy, primary, selectors
from .models import LevelEntry, RecordEvent, SemesterClosing, SubjectRule, TeacherComment

MAX_NOTE = 200
MAX_REASON = 500
MAX_COMMENT = 1000


def _refuse_closed(school_class: SchoolClass, term: int) -> None:
    if selectors.closed(school_class.pk, term):
        raise ValidationError(
            {
                "term": [
                    _("Semester %(term)s of class %(name)s is closed: ask the school administrator to reopen it.")
                    % {"term": "I" if term == 1 else "II", "name": school_class.name}
                ]
            }
        )


def _check_term(term: int) -> None:
    if term not in (1, 2):
        raise ValidationError({"term": [_("The semester is 1 or 2.")]})


def _member(school_class: SchoolClass, student_id: int) -> User:
    membership = (
        ClassMembership.objects.filter(school_class=school_class, student_id=student_id, left_at__isnull=True)
        .select_related("student")
        .first()
    )
    if membership is None:
        raise ValidationError({"student": [_("This student is not in class %(name)s.") % {"name": school_class.name}]})
    return membership.student


def class_of(student_id: int, school_year: str) -> SchoolClass:
    """The class a student is in (or was last in) in a school year."""
    membership = (
        ClassMembership.objects.filter(student_id=student_id, school_year=school_year)
        .select_related("school_class__school")
        .order_by("left_at", "-joined_at")  # the current one (no left_at) first
        .first()
    )
    if membership is None:
        raise ValidationError({"student": [_("This student is in no class this school year.")]})
    return membership.school_class


def _value(rule: selectors.Rule, score: Any, comment: str | None) -> dict[str, Any]:
    """The entry's value by the subject's rule: a score (0 to 10, one decimal) or Đạt / Chưa đạt."""
    if rule.scored:
        if score in (None, ""):
            raise ValidationError(
                {"score": [_("%(subject)s is assessed by score: give a score.") % {"subject": rule.name}]}
            )
        if isinstance(score, float):
            score = repr(score)
        try:
            value = grades.score(score if isinstance(score, (Decimal, int)) else str(score).strip())
        except (TypeError, ValueError):
            raise ValidationError(
                {"score": [_("A score is a number from 0 to 10 with at most one decimal, such as 7.5.")]}
            ) from None
        return {"score": value.quantize(Decimal("0.1")), "comment_result": ""}
    if comment not in grades.COMMENT_RESULTS:
        raise ValidationError(
            {"comment": [_("%(subject)s is assessed by comment: Đạt or Chưa đạt.") % {"subject": rule.name}]}
        )
    return {"score": None, "comment_result": comment}


def _shown(entry: RecordEntry) -> dict[str, Any]:
    return {"score": None if entry.score is None else str(entry.score), "comment": entry.comment_result or None}


def _rule_of(school_class: SchoolClass, subject_id: int) -> selectors.Rule:
    rule = selectors.subject_rules(school_class).get(subject_id)
    if rule is None:
        raise ValidationError(
            {"subject": [_("This subject is not taught in class %(name)s.") % {"name": school_class.name}]}
        )
    return rule


def _require_teacher(by: User, school_class: SchoolClass, subject_id: int) -> None:
    require(
        scope_of(by).is_admin or selectors.teaches(by, school_class, subject_id),
        _("Only the teacher of this subject in this class keeps its records."),
    )


@transaction.atomic
def entry_enter(
    *,
    by: User,
    class_id: int,
    subject_id: int,
    student_id: int,
    term: int,
    entry_type: str,
    score: Any = None,
    comment: str | None = None,
    note: str = "",
) -> RecordEntry:
    """Enter an assessment not taken on the computer (a paper test, an oral check)."""
    school_class = SchoolClass.objects.select_for_update().select_related("school").get(pk=class_id)
    _require_teacher(by, school_class, subject_id)
    _check_term(term)
    if entry_type not in RecordEntryType.values:
        raise ValidationError({"entry_type": [_("Choose continuous, mid-term or end-of-term.")]})
    _refuse_closed(school_class, term)
    student = _member(school_class, student_id)
    rule = _rule_of(school_class, subject_id)
    value = _value(rule, score, comment)
    if policy.is_primary(school_class.grade):
        _check_primary_mark(rule, entry_type, value)
    existing = RecordEntry.objects.filter(
        student=student, subject_id=subject_id, school_year=school_class.school_year, term=term, entry_type=entry_type
    )
    if entry_type == RecordEntryType.CONTINUOUS:
        if existing.count() >= rule.continuous:
            raise ValidationError(
                {
                    "entry_type": [
                        _(
                            "%(subject)s takes %(count)s continuous assessments a semester and this student has them: "
                            "correct one instead."
                        )
                        % {"subject": rule.name, "count": rule.continuous}
                    ]
                }
            )
    elif existing.exists():
        raise ValidationError(
            {"entry_type": [_("This student has this semester's assessment of this kind already: correct it instead.")]}
        )
    now = timezone.now()
    entry = RecordEntry.objects.create(
        student=student,
        subject_id=subject_id,
        school_year=school_class.school_year,
        term=term,
        entry_type=entry_type,
        organisation_id=school_class.school_id,
        source=RecordEntry.Source.TEACHER,
        entered_by=by,
        note=note.strip()[:MAX_NOTE],
        created_at=now,
        **value,
    )
    _event(RecordEvent.Kind.ENTERED, entry, by=by, school_class=school_class, after=_shown(entry))
    return entry


def _check_primary_mark(rule: selectors.Rule, entry_type: str, value: dict[str, Any]) -> None:
    """Circular 27: a pupil's continuous assessment is by comment (a level, not a mark), and
    only a subject with a periodic test takes marks, whole ones."""
    if not rule.scored:
        raise ValidationError(
            {
                "score": [
                    _("In primary school %(subject)s is assessed by its level, not by a mark.") % {"subject": rule.name}
                ]
            }
        )
    if entry_type == RecordEntryType.CONTINUOUS:
        raise ValidationError(
            {"entry_type": [_("In primary school continuous assessment is by comment: give the subject's level.")]}
        )
    if value["score"] != value["score"].to_integral_value():
        raise ValidationError({"score": [_("A primary school test is marked in whole numbers (0 to 10).")]})


def _event(kind: str, entry: RecordEntry, *, by: User, school_class: SchoolClass, **fields: Any) -> None:
    RecordEvent.objects.create(
        kind=kind,
        entry=entry if kind != RecordEvent.Kind.REMOVED else None,
        student_id=entry.student_id,
        school_class=school_class,
        subject_id=entry.subject_id,
        school_year=entry.school_year,
        term=entry.term,
        entry_type=entry.entry_type,
        by=by,
        **fields,
    )


def _teacher_entry(by: User, entry_id: int) -> tuple[RecordEntry, SchoolClass]:
    entry = RecordEntry.objects.select_for_update(of=("self",)).select_related("subject").get(pk=entry_id)
    school_class = class_of(entry.student_id, entry.school_year)
    _require_teacher(by, school_class, entry.subject_id)
    if entry.source != RecordEntry.Source.TEACHER:
        raise ValidationError(
            {
                "entry": [
                    _(
                        "This score comes from a test taken on the computer: it changes with the result, "
                        "through the results' review or an appeal."
                    )
                ]
            }
        )
    _refuse_closed(school_class, entry.term)
    return entry, school_class


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why: the correction is kept with its reason.")]})
    return reason[:MAX_REASON]


@transaction.atomic
def entry_correct(
    *, by: User, entry_id: int, reason: str, score: Any = None, comment: str | None = None
) -> RecordEntry:
    """Correct a teacher's entry; the old and new values are kept with the reason."""
    entry, school_class = _teacher_entry(by, entry_id)
    reason = _reason(reason)
    value = _value(_rule_of(school_class, entry.subject_id), score, comment)
    before = _shown(entry)
    entry.score, entry.comment_result = value["score"], value["comment_result"]
    entry.updated_at = timezone.now()
    entry.save(update_fields=["score", "comment_result", "updated_at"])
    _event(
        RecordEvent.Kind.CORRECTED,
        entry,
        by=by,
        school_class=school_class,
        before=before,
        after=_shown(entry),
        reason=reason,
    )
    return entry


@transaction.atomic
def entry_remove(*, by: User, entry_id: int, reason: str) -> None:
    """Remove a teacher's entry entered by mistake; what it held is kept with the reason."""
    entry, school_class = _teacher_entry(by, entry_id)
    reason = _reason(reason)
    _event(RecordEvent.Kind.REMOVED, entry, by=by, school_class=school_class, before=_shown(entry), reason=reason)
    entry.delete()


@transaction.atomic
def comment_set(
    *, by: User, class_id: int, student_id: int, term: int, text: str, subject_id: int | None = None
) -> TeacherComment | None:
    """A subject teacher's comment on a student's subject, or the homeroom teacher's overall
    comment (no subject); an empty text removes it."""
    school_class = SchoolClass.objects.select_related("school").get(pk=class_id)
    _check_term(term)
    if subject_id is None:
        require(
            scope_of(by).is_admin or selectors.is_homeroom(by, school_class),
            _("Only the homeroom teacher writes the overall comment."),
        )
    else:
        _require_teacher(by, school_class, subject_id)
        _rule_of(school_class, subject_id)
    _refuse_closed(school_class, term)
    student = _member(school_class, student_id)
    text = (text or "").strip()
    if len(text) > MAX_COMMENT:
        raise ValidationError({"text": [_("A comment is at most %(count)s characters.") % {"count": MAX_COMMENT}]})
    found = TeacherComment.objects.filter(
        student=student, school_year=school_class.school_year, term=term, subject_id=subject_id
    )
    if not text:
        found.delete()
        return None
    comment, _created = found.update_or_create(
        student=student,
        school_year=school_class.school_year,
        term=term,
        subject_id=subject_id,
        defaults={"text": text, "by": by, "updated_at": timezone.now()},
    )
    return comment


def _summary(record: dict[str, Any], term: str) -> dict[str, Any]:
    """A closed semester's results as the transcript reads them later."""
    students = {}
    for student_record in record["students"]:
        subjects = {}
        for subject_id, terms in student_record.subjects.items():
            term_record = terms[term]
            subjects[str(subject_id)] = {
                "average": None if term_record.average is None else str(term_record.average),
                "result": term_record.result,
            }
            if term == "2":
                year = student_record.year[subject_id]
                subjects[str(subject_id)]["year"] = (
                    None if year.get("average") is None else str(year["average"])
                ) or year.get("result")
        students[str(student_record.student.pk)] = {
            "subjects": subjects,
            "level": student_record.levels[term],
            **({"year_level": student_record.levels["year"], "retakes": student_record.retakes} if term == "2" else {}),
        }
    return {"students": students}


@transaction.atomic
def semester_close(*, by: User, class_id: int, term: int) -> SemesterClosing:
    """Close a class's semester once every student has every assessment: its entries and
    comments no longer change (semester II after semester I)."""
    school_class = SchoolClass.objects.select_for_update().select_related("school").get(pk=class_id)
    require(
        scope_of(by).is_admin or selectors.is_homeroom(by, school_class) or selectors.oversees_school(by, school_class),
        _("Only the homeroom teacher closes the semester."),
    )
    _check_term(term)
    _refuse_closed(school_class, term)
    if term == 2 and not selectors.closed(school_class.pk, 1):
        raise ValidationError({"term": [_("Close semester I first.")]})
    primary_class = policy.is_primary(school_class.grade)
    record = (primary.class_record if primary_class else selectors.class_record)(school_class)
    missing = (primary.missing_of if primary_class else selectors.missing_of)(record, str(term))
    if missing:
        shown = [
            _("%(student)s: %(subject)s lacks %(count)s assessments")
            % {
                "student": selectors.person_name(row["student"]),
                "subject": row["subject"],
                "count": row["missing"],
            }
            for row in missing[:10]
        ]
        more = len(missing) - len(shown)
        message = _("The semester cannot close: assessments are missing. %(list)s") % {"list": "; ".join(shown)}
        if more > 0:
            message += " " + _("(and %(count)s more)") % {"count": more}
        raise ValidationError({"term": [message]})
    closing = SemesterClosing.objects.create(
        school_class=school_class,
        term=term,
        closed_by=by,
        summary=(primary.summary if primary_class else _summary)(record, str(term)),
    )
    RecordEvent.objects.create(
        kind=RecordEvent.Kind.CLOSED, school_class=school_class, school_year=school_class.school_year, term=term, by=by
    )
    return closing


@transaction.atomic
def semester_reopen(*, by: User, class_id: int, term: int, reason: str) -> None:
    """A school administrator reopens a closed semester (a correction is due), with a reason."""
    school_class = SchoolClass.objects.select_for_update().select_related("school").get(pk=class_id)
    require(
        selectors.oversees_school(by, school_class),
        _("Only the school's administrator reopens a closed semester."),
    )
    _check_term(term)
    reason = _reason(reason)
    closing = SemesterClosing.objects.filter(school_class=school_class, term=term).first()
    if closing is None:
        raise ValidationError({"term": [_("This semester is not closed.")]})
    if term == 1 and selectors.closed(school_class.pk, 2):
        raise ValidationError({"term": [_("Reopen semester II first.")]})
    closing.delete()
    RecordEvent.objects.create(
        kind=RecordEvent.Kind.REOPENED,
        school_class=school_class,
        school_year=school_class.school_year,
        term=term,
        by=by,
        reason=reason,
    )


@transaction.atomic
def subject_rule_set(
    *, by: User, organisation_id: int, school_year: str, grade: int, subject_id: int, mode: str, periods: int
) -> SubjectRule:
    """How a subject is assessed in a grade: a school's administrator for the school, the board
    (or the department's administrator) for every school of a department."""
    organisation = Organisation.objects.get(pk=organisation_id)
    scope = scope_of(by)
    require(
        scope.oversees(organisation.pk) and scope.has_role(Role.SCHOOL_ADMIN, *BOARD),
        _("Only a school's administrator or the board sets how subjects are assessed."),
    )
    errors: dict[str, list[str]] = {}
    try:
        validate_school_year(school_year)
    except ValidationError as error:
        errors["school_year"] = error.messages
    if mode not in SubjectRule.Mode.values:
        errors["mode"] = [_("Choose by score or by comment.")]
    if not 1 <= grade <= 12:
        errors["grade"] = [_("A grade is 1 to 12.")]
    if not 1 <= periods <= 400:
        errors["periods"] = [_("Periods a year: 1 to 400.")]
    if not Subject.objects.filter(pk=subject_id).exists():
        errors["subject"] = [_("No such subject.")]
    if errors:
        raise ValidationError(errors)
    rule, _created = SubjectRule.objects.update_or_create(
        organisation=organisation,
        school_year=school_year,
        grade=grade,
        subject_id=subject_id,
        defaults={"mode": mode, "periods": periods, "updated_by": by, "updated_at": timezone.now()},
    )
    return rule


def refuse_unless_reader(user: User, school_class: SchoolClass, subject_id: int | None = None) -> None:
    allowed = (
        selectors.may_read_class(user, school_class)
        if subject_id is None
        else selectors.may_read_subject(user, school_class, subject_id)
    )
    if not allowed:
        raise PermissionDenied(_("You may not see these records."))


@transaction.atomic
def level_set(
    *,
    by: User,
    class_id: int,
    student_id: int,
    term: int,
    level: str,
    subject_id: int | None = None,
    aspect: str | None = None,
) -> LevelEntry | None:
    """Primary school (Circular 27): a subject's level (its teacher) or a quality's or
    competence's (the homeroom teacher) for a semester; an empty level removes it. Kept."""
    school_class = SchoolClass.objects.select_for_update().select_related("school").get(pk=class_id)
    if not policy.is_primary(school_class.grade):
        raise ValidationError(
            {"level": [_("Levels are given in primary school; this class is assessed by Circular 22.")]}
        )
    _check_term(term)
    if (subject_id is None) == (aspect in (None, "")):
        raise ValidationError({"level": [_("Give either a subject or a quality or competence.")]})
    if subject_id is not None:
        _require_teacher(by, school_class, subject_id)
        _rule_of(school_class, subject_id)
        allowed = grades.SUBJECT_LEVELS
    else:
        require(
            scope_of(by).is_admin or selectors.is_homeroom(by, school_class),
            _("Only the homeroom teacher assesses the qualities and competences."),
        )
        if aspect not in primary.ASPECT_CODES:
            raise ValidationError({"aspect": [_("No such quality or competence.")]})
        allowed = grades.QUALITY_LEVELS
    if level and level not in allowed:
        raise ValidationError({"level": [_("Choose one of: %(levels)s.") % {"levels": ", ".join(allowed)}]})
    _refuse_closed(school_class, term)
    student = _member(school_class, student_id)
    found = LevelEntry.objects.filter(
        student=student, school_year=school_class.school_year, term=term, subject_id=subject_id, aspect=aspect or ""
    )
    before = found.values_list("level", flat=True).first()
    if not level:
        found.delete()
        entry = None
    else:
        entry, _created = found.update_or_create(
            student=student,
            school_year=school_class.school_year,
            term=term,
            subject_id=subject_id,
            aspect=aspect or "",
            defaults={"level": level, "by": by, "updated_at": timezone.now()},
        )
    if before != (level or None):
        RecordEvent.objects.create(
            kind=RecordEvent.Kind.CORRECTED if before else RecordEvent.Kind.ENTERED,
            student=student,
            school_class=school_class,
            subject_id=subject_id,
            school_year=school_class.school_year,
            term=term,
            entry_type=aspect or "level",
            before={"level": before} if before else None,
            after={"level": level} if level else None,
            by=by,
        )
    return entry
