"""Transcripts (học bạ số): a student's results year by year, as a page and as a PDF the school
signs, every issuance logged.

What a transcript holds: each school year the student was in a class, the semesters its
homeroom teacher **closed** (an open semester is not official yet: its columns stay empty, a
year with none closed is left out): every subject's semester and year results (averages with a
decimal comma, or Đạt / Chưa đạt), the subject teacher's comment, the levels, the retakes, the
homeroom teacher's comment. It is printed in Vietnamese (``printing.transcript``).

Issuing (the school's administrator): the PDF is rendered with a serial ``HB-<year>-<id>``,
signed with the school's key (``printing.signing``: PAdES, the key made on the first issuance
and kept encrypted, ``records.models.SchoolKey``), and kept with its SHA-256, the key's
fingerprint, who and when (``records.models.TranscriptIssue``). Anyone holding a copy can check
it (:func:`transcript_verify`): the copy must be one this site issued, byte for byte, and its
signature intact under the school's certificate.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import ClassMembership, Organisation, Role, SchoolClass, User
from accounts.permissions import BOARD, require, scope_of
from printing import signing
from printing import transcript as layout

from . import policy, selectors
from .models import SchoolKey, TeacherComment, TranscriptIssue

ISSUERS = (Role.SCHOOL_ADMIN, Role.ADMIN)


# --- who -------------------------------------------------------------------------------------------


def _classes_of(student: User) -> list[SchoolClass]:
    """The student's class of each school year (the last one where they moved)."""
    memberships = (
        ClassMembership.objects.filter(student=student)
        .select_related("school_class__school", "school_class__homeroom_teacher")
        .order_by("school_year", "left_at", "-joined_at")
    )
    found: dict[str, SchoolClass] = {}
    for membership in memberships:
        found.setdefault(membership.school_year, membership.school_class)
    return [found[year] for year in sorted(found)]


def may_read(user: User, student: User) -> bool:
    """The student, their homeroom teachers, and the staff overseeing their school."""
    scope = scope_of(user)
    if user.pk == student.pk or scope.is_admin:
        return True
    if scope.has_role(Role.SCHOOL_ADMIN, *BOARD) and scope.oversees(student.organisation_id):
        return True
    return ClassMembership.objects.filter(student=student, school_class__homeroom_teacher=user).exists()


def may_issue(user: User, student: User) -> bool:
    scope = scope_of(user)
    return scope.has_role(*ISSUERS) and scope.oversees(student.organisation_id)


# --- what ------------------------------------------------------------------------------------------


def _shown(value: Any) -> str:
    """A result as the transcript prints it: "8,3", "Đạt"; empty when there is none."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value).replace(".", ",")
    return str(value)


def _name(user: User | None) -> str:
    return selectors.person_name(user) if user else ""


def years_of(student: User) -> list[dict[str, Any]]:
    """The student's official results, year by year (closed semesters only)."""
    years = []
    for school_class in _classes_of(student):
        if policy.is_primary(school_class.grade):
            continue  # a primary school year has Circular 27's own form, not printed here yet
        record = selectors.class_record(school_class, students=[student])
        closed = {str(term) for term in record["closings"]}
        if not closed or not record["students"]:
            continue
        mine = record["students"][0]
        comments = {
            (subject, term): text
            for subject, term, text in TeacherComment.objects.filter(
                student=student, school_year=school_class.school_year
            ).values_list("subject_id", "term", "text")
        }

        def official(term: str, value: Any, closed: set[str] = closed) -> str:
            return _shown(value) if term in closed else ""

        subjects = []
        for subject_id, rule in record["rules"].items():
            terms = mine.subjects[subject_id]
            year = mine.year[subject_id]
            subjects.append(
                {
                    "name": rule.name,
                    "first": official("1", terms["1"].average if rule.scored else terms["1"].result),
                    "second": official("2", terms["2"].average if rule.scored else terms["2"].result),
                    "year": official("2", year.get("average") if rule.scored else year.get("result")),
                    "comment": comments.get((subject_id, 2)) or comments.get((subject_id, 1)) or "",
                }
            )
        years.append(
            {
                "school_year": school_class.school_year,
                "grade": school_class.grade,
                "class_name": school_class.name,
                "school": school_class.school.name,
                "subjects": subjects,
                "level_first": official("1", mine.levels["1"]),
                "level_second": official("2", mine.levels["2"]),
                "level_year": official("2", mine.levels[selectors.YEAR]),
                "retakes": [record["rules"][pk].name for pk in mine.retakes] if "2" in closed else [],
                "homeroom_comment": comments.get((None, 2)) or comments.get((None, 1)) or "",
                "homeroom_teacher": _name(school_class.homeroom_teacher),
                "closed": sorted(closed),
            }
        )
    return years


def _document(student: User, years: list[dict[str, Any]], *, serial: str, issued_at, issued_by: User) -> bytes:
    return layout.render(
        layout.Transcript(
            student_name=_name(student),
            learner_id=student.learner_id or "",
            date_of_birth=student.date_of_birth.strftime("%d/%m/%Y") if student.date_of_birth else "",
            school=student.organisation.name if student.organisation_id else "",
            years=[
                layout.YearRecord(
                    school_year=year["school_year"],
                    grade=year["grade"],
                    class_name=year["class_name"],
                    school=year["school"],
                    subjects=[layout.SubjectLine(**subject) for subject in year["subjects"]],
                    level_first=year["level_first"],
                    level_second=year["level_second"],
                    level_year=year["level_year"],
                    retakes=year["retakes"],
                    homeroom_comment=year["homeroom_comment"],
                    homeroom_teacher=year["homeroom_teacher"],
                    principal="",
                )
                for year in years
            ],
            serial=serial,
            issued_at=timezone.localtime(issued_at).strftime("%d/%m/%Y"),
            issued_by=_name(issued_by),
        )
    )


# --- the school's key --------------------------------------------------------------------------------


def _passphrase(school_id: int) -> bytes:
    secret = (settings.TRANSCRIPT_KEY_SECRET or settings.SECRET_KEY).encode()
    return hmac.new(secret, f"school-signing-key:{school_id}".encode(), hashlib.sha256).hexdigest().encode()


def school_key(*, by: User, school_id: int) -> SchoolKey:
    """The school's active signing key, made on its first use (the school's row locked: two
    first issuances at once make one key)."""
    school = Organisation.objects.select_for_update().get(pk=school_id)
    key = SchoolKey.objects.filter(school_id=school_id, retired_at__isnull=True).first()
    if key is not None:
        return key
    made = signing.new_school_key(school.name[:64], school.name[:64], passphrase=_passphrase(school_id))
    return SchoolKey.objects.create(
        school_id=school_id,
        cert_pem=made.cert_pem.decode(),
        key_pem=made.key_pem.decode(),
        fingerprint=signing.fingerprint(made.cert_pem),
        created_by=by,
    )


# --- issuing and checking ------------------------------------------------------------------------------


@transaction.atomic
def transcript_issue(*, by: User, student_id: int) -> TranscriptIssue:
    """Issue a signed copy of the student's transcript; kept with its serial, hash and key."""
    student = User.objects.select_related("organisation").get(pk=student_id, role=Role.STUDENT)
    require(may_issue(by, student), _("Only the school's administrator issues transcripts."))
    if not student.organisation_id:
        raise ValidationError({"student": [_("This student belongs to no school.")]})
    years = years_of(student)
    if not years:
        raise ValidationError(
            {"student": [_("No closed semester yet: a transcript holds only results of closed semesters.")]}
        )
    key = school_key(by=by, school_id=student.organisation_id)
    now = timezone.now()
    issue = TranscriptIssue.objects.create(
        serial=f"pending-{student.pk}-{now.timestamp()}",
        student=student,
        school_id=student.organisation_id,
        years=[year["school_year"] for year in years],
        key=key,
        sha256="",
        pdf=b"",
        issued_by=by,
        issued_at=now,
    )
    issue.serial = f"HB-{timezone.localtime(now).year}-{issue.pk:06d}"
    document = _document(student, years, serial=issue.serial, issued_at=now, issued_by=by)
    signed = signing.sign_pdf(
        document,
        signing.SigningKey(key_pem=key.key_pem.encode(), cert_pem=key.cert_pem.encode()),
        reason=f"Học bạ số {issue.serial}",
        location=student.organisation.name[:100],
        passphrase=_passphrase(student.organisation_id),
        signed_at=now,
    )
    issue.pdf, issue.sha256 = signed, hashlib.sha256(signed).hexdigest()
    issue.save(update_fields=["serial", "pdf", "sha256"])
    return issue


def transcript_verify(pdf: bytes) -> dict[str, Any]:
    """Whether ``pdf`` is a transcript this site issued, unchanged, with an intact signature."""
    digest = hashlib.sha256(pdf).hexdigest()
    issue = TranscriptIssue.objects.select_related("key", "student", "school").filter(sha256=digest).first()
    if issue is None:
        return {"valid": False, "problem": _("This file is not a transcript issued here, or it was changed.")}
    check = signing.verify_pdf(pdf, issue.key.cert_pem.encode())
    return {
        "valid": check.valid,
        "problem": "" if check.valid else _("The signature does not hold: %(problem)s") % {"problem": check.problem},
        "serial": issue.serial,
        "student": _name(issue.student),
        "learner_id": issue.student.learner_id,
        "school": issue.school.name,
        "issued_at": issue.issued_at.isoformat(),
        "fingerprint": issue.key.fingerprint,
    }
