"""Writes about people: the login throttle's counts, locks and unlocks, password changes;
classes and their students and teachers, from a roster file (accounts/roster.py reads it).

Every change to an account's security is audited as an ``AccountEvent``.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import roster, throttle
from .models import (
    AccountEvent,
    ClassMembership,
    ClassTeacher,
    LoginThrottle,
    Organisation,
    Role,
    RosterImport,
    SchoolClass,
    User,
    validate_learner_id,
    validate_school_year,
)
from .permissions import (
    SCHOOL_ADMINS,
    can_unlock,
    organisation_subtree,
    require_school_admin,
    roster_import_scope,
    scope_of,
)

# Expired throttle rows removed each time a new row is created: the table stays the size of
# what is live, with no periodic job (the embedded default runs none).
PRUNE_BATCH = 200
# A known address is refreshed at most this often per person (a write per login otherwise).
KNOWN_REFRESH = timedelta(days=1)


def _prune_expired(now: datetime) -> None:
    stale = list(LoginThrottle.objects.filter(expires_at__lt=now).values_list("pk", flat=True)[:PRUNE_BATCH])
    if stale:
        LoginThrottle.objects.filter(pk__in=stale, expires_at__lt=now).delete()


def _locked_row(scope: str, key: str, now: datetime, defaults: dict) -> LoginThrottle:
    row, created = LoginThrottle.objects.select_for_update().get_or_create(
        scope=scope, key=key, defaults={"updated_at": now, **defaults}
    )
    if created:
        _prune_expired(now)
    return row


def login_attempt_reserve(
    *, state: throttle.State, policy: throttle.Policy, now: datetime | None = None
) -> tuple[throttle.Reservation, throttle.Refusal | None]:
    """Before hashing: count the attempt as pending on its name, take its address's token.

    Only rows that exist are touched (a name with recent failures, an address that has spent
    some budget), so most logins write nothing here. Returns ``(reservation, refusal)``: the
    refusal when, checked again under the rows' locks, parallel attempts took the room.
    """
    now = now or timezone.now()
    reserve_account = state.account is not None
    reserve_token = state.address_bucket is not None and not throttle.is_known(state.known, now)
    if not (reserve_account or reserve_token):
        return throttle.NOTHING_RESERVED, None
    with transaction.atomic():
        rows = {
            row.scope: row
            for row in LoginThrottle.objects.select_for_update()
            .filter(pk__in=[row.pk for row in (state.account, state.address_bucket) if row is not None])
            .order_by("pk")
        }
        now = max(now, timezone.now())  # the clock after waiting for the locks
        account = rows.get(LoginThrottle.Scope.ACCOUNT) if reserve_account else None
        bucket = rows.get(LoginThrottle.Scope.ADDRESS) if reserve_token else None
        if account is not None:
            if account.updated_at < now - throttle.PENDING_FOR:
                account.pending = 0
            refused = throttle.reservation_refusal(account, now, policy)
            if refused is not None:
                return throttle.NOTHING_RESERVED, refused
        if bucket is not None:
            tokens = throttle.bucket_tokens(bucket, now, policy)
            if tokens < 1.0:
                wait = max(1, math.ceil((1.0 - tokens) / policy.address_per_second))
                return throttle.NOTHING_RESERVED, throttle.Refusal(throttle.TOO_MANY_ATTEMPTS, wait)
            _bucket_save(bucket, tokens - 1.0, now, policy)
        if account is not None:
            account.pending += 1
            account.updated_at = now
            account.save(update_fields=["pending", "updated_at"])
    return throttle.Reservation(account=account is not None, token=bucket is not None), None


def _bucket_save(bucket: LoginThrottle, tokens: float, now: datetime, policy: throttle.Policy) -> None:
    # Never back in time: a writer that read the clock before waiting for the row's lock
    # would otherwise hand the next one a refill for time already counted.
    now = max(now, bucket.updated_at)
    bucket.tokens, bucket.updated_at = tokens, now
    bucket.expires_at = throttle.bucket_expiry(tokens, now, policy)
    bucket.save(update_fields=["tokens", "updated_at", "expires_at"])


@transaction.atomic
def login_failure_record(
    *,
    username: str,
    address: str,
    policy: throttle.Policy,
    reservation: throttle.Reservation = throttle.NOTHING_RESERVED,
    now: datetime | None = None,
) -> throttle.Refusal | None:
    """Count a wrong password against the name and the address; lock the name at the limit.

    Returns the lock's refusal when this failure locked the account (or it already was).
    """
    now = now or timezone.now()
    account = _locked_row(LoginThrottle.Scope.ACCOUNT, username, now, {})
    if reservation.account and account.pending:
        account.pending -= 1
    if throttle.is_locked(account, now):  # locked meanwhile by a parallel attempt
        account.save(update_fields=["pending"])
        return throttle.lock_refusal(account, now)
    account.failures, account.first_failure_at = throttle.next_failures(account, now, policy)
    account.last_address = address
    account.updated_at = now
    account.locked_at = account.locked_until = None
    locked = account.failures >= policy.lock_failures
    if locked:
        account.locked_at = now
        account.locked_until = now + policy.lock_for if policy.lock_for else None
        account.expires_at = account.locked_until
        account.user = User.objects.filter(username=username).first()
    else:
        account.expires_at = account.first_failure_at + policy.failure_window
    account.save()
    if locked and account.user is not None:
        AccountEvent.objects.create(
            user=account.user,
            kind=AccountEvent.Kind.LOCKED,
            at=now,
            address=address,
            detail={
                "failures": account.failures,
                "locked_until": account.locked_until.isoformat() if account.locked_until else None,
            },
        )
    if address and not reservation.token:  # a reserved token is spent already
        bucket = _locked_row(LoginThrottle.Scope.ADDRESS, address, now, {"tokens": float(policy.address_burst)})
        _bucket_save(bucket, max(0.0, throttle.bucket_tokens(bucket, now, policy) - 1.0), now, policy)
    return throttle.lock_refusal(account, now) if locked else None


def login_success_record(
    *,
    state: throttle.State,
    policy: throttle.Policy,
    reservation: throttle.Reservation = throttle.NOTHING_RESERVED,
    now: datetime | None = None,
) -> None:
    """A right password: the name's wrong passwords are forgotten, the address's token given
    back, the address becomes known. Costs no write for a person with no recent failure
    whose address is known already."""
    now = now or timezone.now()
    if state.account is not None:
        # Not a lock set meanwhile by a parallel wrong password; a lock that ran out goes.
        unlocked = Q(locked_at__isnull=True) | Q(locked_until__lte=now)
        LoginThrottle.objects.filter(unlocked, pk=state.account.pk).delete()
    if reservation.token and state.address_bucket is not None:
        with transaction.atomic():
            bucket = LoginThrottle.objects.select_for_update().filter(pk=state.address_bucket.pk).first()
            now = max(now, timezone.now())
            if bucket is not None:
                _bucket_save(
                    bucket, min(policy.address_burst, throttle.bucket_tokens(bucket, now, policy) + 1.0), now, policy
                )
    if not state.address or not policy.known_for:
        return
    known = state.known
    if known is not None and known.updated_at > now - KNOWN_REFRESH and throttle.is_known(known, now):
        return
    with transaction.atomic():
        row = _locked_row(LoginThrottle.Scope.KNOWN, throttle.known_key(state.address, state.username), now, {})
        row.updated_at, row.expires_at = now, now + policy.known_for
        row.save(update_fields=["updated_at", "expires_at"])


class UnlockRefused(PermissionDenied):
    """The actor oversees the account but may not unlock one of its role."""


@transaction.atomic
def account_unlock(*, by: User | None, user_id: int, now: datetime | None = None) -> bool:
    """Lift the lock on an account (and forget its wrong passwords); audited.

    ``by`` None is the operator's command line. Raises ``User.DoesNotExist`` for an account
    the actor does not oversee (as for one that does not exist) and ``UnlockRefused`` when
    they oversee it but its role is not theirs to unlock. Returns whether it was locked;
    unlocking an account that is not locked changes nothing and is not audited.
    """
    now = now or timezone.now()
    target = User.objects.get(pk=user_id)
    scope = scope_of(by)
    if by is not None and not can_unlock(
        scope, role=target.role, is_superuser=target.is_superuser, organisation_id=target.organisation_id
    ):
        if not scope.oversees(target.organisation_id):
            raise User.DoesNotExist
        raise UnlockRefused(_("You may not unlock this account."))
    row = (
        LoginThrottle.objects.select_for_update().filter(scope=LoginThrottle.Scope.ACCOUNT, key=target.username).first()
    )
    if row is None:
        return False
    was_locked = throttle.is_locked(row, now)
    row.delete()
    if was_locked:
        AccountEvent.objects.create(
            user=target,
            kind=AccountEvent.Kind.UNLOCKED,
            by=by,
            at=now,
            detail={"failures": row.failures, "locked_at": row.locked_at.isoformat() if row.locked_at else None},
        )
    return was_locked


@transaction.atomic
def password_change(*, user: User, new_password: str, address: str = "") -> User:
    """Set a person's own new password (already validated) and audit it; a first or reset
    password has then been changed."""
    user.set_password(new_password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    AccountEvent.objects.create(
        user=user, kind=AccountEvent.Kind.PASSWORD_CHANGED, by=user, at=timezone.now(), address=address
    )
    return user


# --- classes and rosters ---------------------------------------------------------------------------


def _class_key(name: str) -> str:
    return "".join(name.split()).casefold()


def _split_name(full_name: str) -> tuple[str, str]:
    """(family and middle names, given name): "Nguyễn Văn An" -> ("Nguyễn Văn", "An")."""
    family, _sep, given = full_name.rpartition(" ")
    return family[:150], given[:150]


def _schools_for(organisation: Organisation) -> dict[str, Organisation]:
    """The schools an import for ``organisation`` may write to, by code (folded)."""
    if organisation.kind == Organisation.Kind.SCHOOL:
        return {roster.fold(organisation.code): organisation}
    below = organisation_subtree(organisation.pk)
    schools = Organisation.objects.filter(pk__in=below, kind=Organisation.Kind.SCHOOL)
    return {roster.fold(school.code): school for school in schools}


@dataclass
class RosterPlan:
    """What an import would do; ``problems`` empty means it may be committed."""

    problems: list[roster.Problem] = field(default_factory=list)
    new_classes: list[SchoolClass] = field(default_factory=list)
    regraded_classes: list[SchoolClass] = field(default_factory=list)
    new_people: list[User] = field(default_factory=list)
    changed_people: list[User] = field(default_factory=list)
    unchanged: dict[str, int] = field(default_factory=lambda: {"teachers": 0, "students": 0})
    memberships: list[tuple[User, SchoolClass]] = field(default_factory=list)  # to open
    moved: list[tuple[User, SchoolClass]] = field(default_factory=list)  # of those, students who move
    assignments: list[tuple[User, SchoolClass, int]] = field(default_factory=list)  # (teacher, class, subject id)
    homerooms: list[tuple[SchoolClass, User]] = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        new = [p.role for p in self.new_people]
        changed = [p.role for p in self.changed_people]
        return {
            "classes": {"created": len(self.new_classes), "updated": len(self.regraded_classes)},
            "teachers": {
                "created": new.count(Role.TEACHER),
                "updated": changed.count(Role.TEACHER),
                "unchanged": self.unchanged["teachers"],
            },
            "students": {
                "created": new.count(Role.STUDENT),
                "updated": changed.count(Role.STUDENT),
                "moved": len(self.moved),
                "placed": len(self.memberships),
                "unchanged": self.unchanged["students"],
            },
            "assignments": {"created": len(self.assignments), "homerooms": len(self.homerooms)},
        }


def _no_password() -> str:
    """An unusable password, as ``set_unusable_password`` makes one but with one call to the
    random source instead of forty (50,000 new students a province import creates)."""
    return UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30)


def _existing(model_field: str, values: list[str]) -> dict[str, User]:
    found: dict[str, User] = {}
    for start in range(0, len(values), 2000):
        chunk = values[start : start + 2000]
        for user in User.objects.filter(**{f"{model_field}__in": chunk}):
            found[getattr(user, model_field)] = user
    return found


def roster_plan(*, by: User, organisation_id: int, school_year: str, data: bytes, filename: str) -> RosterPlan:
    """Read a roster file and decide what importing it would change, writing nothing.

    Raises ``Organisation.DoesNotExist`` for an organisation the person does not oversee and
    ``PermissionDenied`` for someone who may not import rosters. Every problem with the file
    or with what it asks is in the plan's ``problems``, each with its sheet, row and column.

    A school's administrator imports everything; a homeroom teacher only the students of
    their own classes (``roster_import_scope``): a row adding or changing a class, a teacher,
    a student of another class or one moved from another class is a problem of the file.
    """
    validate_school_year(school_year)
    own_classes = roster_import_scope(by, organisation_id=organisation_id, school_year=school_year)
    scope = scope_of(by)
    organisation = Organisation.objects.get(pk=organisation_id)
    read = roster.read_roster(data, filename)
    plan = RosterPlan(problems=list(read.problems))

    def refuse(row, message: str) -> None:
        plan.problems.append(roster.Problem(row.sheet, row.row, None, message))

    schools = _schools_for(organisation)
    single = organisation if organisation.kind == Organisation.Kind.SCHOOL else None

    def school_of(row) -> Organisation | None:
        code = roster.fold(row.school_code)
        if single is not None and (not code or code == roster.fold(single.code)):
            return single
        if not code:
            refuse(row, _("Which school? Fill in the school's code (Mã trường)."))
            return None
        school = schools.get(code)
        if school is None:
            refuse(row, _("No school with the code %(code)s here.") % {"code": row.school_code})
        return school

    # Classes: those of the year, then the file's.
    classes = {
        (c.school_id, _class_key(c.name)): c
        for c in SchoolClass.objects.filter(school__in=schools.values(), school_year=school_year)
    }
    seen_classes: dict[tuple[int, str], int] = {}
    for row in read.classes:
        school = school_of(row)
        if school is None:
            continue
        key = (school.pk, _class_key(row.name))
        if key in seen_classes:
            refuse(row, _("Class %(name)s is also in row %(row)d.") % {"name": row.name, "row": seen_classes[key]})
            continue
        seen_classes[key] = row.row
        current = classes.get(key)
        if own_classes is not None and (current is None or current.pk not in own_classes or current.grade != row.grade):
            refuse(row, _("Only the school's administrator adds or changes classes; you import your class's students."))
            continue
        if current is None:
            created = SchoolClass(school=school, school_year=school_year, name=row.name, grade=row.grade)
            classes[key] = created
            plan.new_classes.append(created)
        elif current.grade != row.grade:
            current.grade = row.grade
            plan.regraded_classes.append(current)

    def class_of(row, school: Organisation, name: str) -> SchoolClass | None:
        found = classes.get((school.pk, _class_key(name)))
        if found is None:
            refuse(
                row,
                _("Unknown class %(name)s in %(school)s for %(year)s: add it on the Classes sheet.")
                % {"name": name, "school": school.name, "year": school_year},
            )
        return found

    overseen = scope.oversees
    # Usernames are the identifiers: nobody else may hold one already.
    taken = _existing("username", [r.staff_id for r in read.teachers] + [r.learner_id for r in read.students])

    def claim(row, identifier: str, person: User | None, role: str, outside: str) -> bool:
        """Whether the row may stand for this person: a new one's user name nobody else's, an
        existing one in that role and of the importer's organisations."""
        if person is None and identifier in taken:
            refuse(row, _("The user name %(id)s is already someone else's.") % {"id": identifier})
            return False
        if person is not None and (person.role != role or not overseen(person.organisation_id)):
            refuse(row, outside)
            return False
        return True

    # Teachers.
    subject_model = apps.get_model("itembank", "Subject")
    subjects = {}
    for subject in subject_model.objects.all():
        subjects[roster.fold(subject.name)] = subject.pk
        subjects[roster.fold(subject.code)] = subject.pk
    by_staff = _existing("staff_id", [r.staff_id for r in read.teachers])
    assigned = set(
        ClassTeacher.objects.filter(school_class__in=[c for c in classes.values() if c.pk]).values_list(
            "teacher_id", "school_class_id", "subject_id"
        )
    )
    homerooms: dict[int, int] = {}  # class (by object) -> the row naming its homeroom teacher
    seen_staff: dict[str, int] = {}
    for row in read.teachers:
        if own_classes is not None:
            refuse(row, _("Only the school's administrator imports teachers."))
            continue
        school = school_of(row)
        if school is None:
            continue
        if row.staff_id in seen_staff:
            refuse(
                row,
                _("Staff identifier %(id)s is also in row %(row)d.")
                % {"id": row.staff_id, "row": seen_staff[row.staff_id]},
            )
            continue
        seen_staff[row.staff_id] = row.row
        if not roster.STAFF_ID_PATTERN.fullmatch(row.staff_id):
            refuse(
                row,
                _("Staff identifier %(id)s is not in the expected form (letters, digits, . _ -).")
                % {"id": row.staff_id},
            )
            continue
        teacher = by_staff.get(row.staff_id)
        outside = _("Staff identifier %(id)s belongs to someone outside your organisations.") % {"id": row.staff_id}
        if not claim(row, row.staff_id, teacher, Role.TEACHER, outside):
            continue
        subject_ids = []
        for name in row.subjects:
            subject_id = subjects.get(roster.fold(name))
            if subject_id is None:
                refuse(row, _("Unknown subject %(name)s.") % {"name": name})
            else:
                subject_ids.append(subject_id)
        taught = [c for c in (class_of(row, school, name) for name in row.classes) if c is not None]
        homeroom = class_of(row, school, row.homeroom) if row.homeroom else None
        family, given = _split_name(row.full_name)
        if teacher is None:
            teacher = User(
                username=row.staff_id,
                staff_id=row.staff_id,
                role=Role.TEACHER,
                organisation=school,
                last_name=family,
                first_name=given,
                must_change_password=True,
                password=_no_password(),
            )
            plan.new_people.append(teacher)
        elif (teacher.last_name, teacher.first_name, teacher.organisation_id) != (family, given, school.pk):
            teacher.last_name, teacher.first_name, teacher.organisation = family, given, school
            plan.changed_people.append(teacher)
        else:
            plan.unchanged["teachers"] += 1
        plan.assignments.extend(
            (teacher, c, s) for c in taught for s in subject_ids if (teacher.pk, c.pk, s) not in assigned
        )
        if homeroom is not None:
            claimed = homerooms.setdefault(id(homeroom), row.row)
            if claimed != row.row:
                refuse(
                    row,
                    _("Class %(name)s already has its homeroom teacher in row %(row)d.")
                    % {"name": homeroom.name, "row": claimed},
                )
            elif homeroom.homeroom_teacher_id != teacher.pk or teacher.pk is None:
                plan.homerooms.append((homeroom, teacher))

    # Students.
    by_learner = _existing("learner_id", [r.learner_id for r in read.students])
    current = {}
    if by_learner:
        ids = [u.pk for u in by_learner.values()]
        for start in range(0, len(ids), 2000):
            for membership in ClassMembership.objects.filter(
                student_id__in=ids[start : start + 2000], school_year=school_year, left_at__isnull=True
            ):
                current[membership.student_id] = membership.school_class_id
    seen_learners: dict[str, int] = {}
    citizen_problem = _citizen_id_checker(read.students, refuse)
    for row in read.students:
        try:
            validate_learner_id(row.learner_id)
        except ValidationError:
            refuse(row, _("Learner identifier %(id)s is not in the expected form.") % {"id": row.learner_id})
            continue
        if row.learner_id in seen_learners:
            refuse(
                row,
                _("Learner identifier %(id)s is also in row %(row)d.")
                % {"id": row.learner_id, "row": seen_learners[row.learner_id]},
            )
            continue
        seen_learners[row.learner_id] = row.row
        if citizen_problem(row):
            continue
        if row.learner_id in seen_staff:  # both would be the same user name
            refuse(row, _("The user name %(id)s is already someone else's.") % {"id": row.learner_id})
            continue
        school = school_of(row)
        if school is None:
            continue
        school_class = class_of(row, school, row.class_name)
        if school_class is None:
            continue
        if own_classes is not None and school_class.pk not in own_classes:
            refuse(row, _("You are not the homeroom teacher of class %(name)s.") % {"name": school_class.name})
            continue
        student = by_learner.get(row.learner_id)
        if own_classes is not None and student is not None and current.get(student.pk) not in (None, school_class.pk):
            refuse(
                row,
                _("Learner %(id)s is in another class this year: only the school's administrator moves students.")
                % {"id": row.learner_id},
            )
            continue
        outside = _("Learner %(id)s is registered at a school outside your organisations.") % {"id": row.learner_id}
        if not claim(row, row.learner_id, student, Role.STUDENT, outside):
            continue
        family, given = _split_name(row.full_name)
        if student is None:
            student = User(
                username=row.learner_id,
                learner_id=row.learner_id,
                role=Role.STUDENT,
                organisation=school,
                last_name=family,
                first_name=given,
                date_of_birth=row.date_of_birth,
                gender=row.gender,
                citizen_id=row.citizen_id or "",
                must_change_password=True,
                password=_no_password(),
            )
            plan.new_people.append(student)
            plan.memberships.append((student, school_class))
            continue
        # A file without the citizen ID column leaves the numbers as they are.
        citizen_id = student.citizen_id if row.citizen_id is None else row.citizen_id
        fields = (family, given, school.pk, row.date_of_birth, row.gender, citizen_id)
        if (
            student.last_name,
            student.first_name,
            student.organisation_id,
            student.date_of_birth,
            student.gender,
            student.citizen_id,
        ) != fields:
            student.last_name, student.first_name, student.organisation = family, given, school
            student.date_of_birth, student.gender = row.date_of_birth, row.gender
            student.citizen_id = citizen_id
            plan.changed_people.append(student)
        elif current.get(student.pk) == school_class.pk:
            plan.unchanged["students"] += 1
        if current.get(student.pk) != school_class.pk:
            plan.memberships.append((student, school_class))
            if student.pk in current:
                plan.moved.append((student, school_class))
    plan.problems.sort(key=lambda p: (p.sheet, p.row or 0))
    return plan


def _citizen_id_checker(
    rows: list[roster.StudentRow], refuse: Callable[[roster.StudentRow, str], None]
) -> Callable[[roster.StudentRow], bool]:
    """A check of each student row's citizen ID number (well formed already: ``accounts.roster``)
    against the file and the database: whether it is a problem, refused.

    A number may be given to one learner only: a second learner of the file with it, or one
    recorded for another learner who keeps it after this import (not in the file, or in it
    with the column and without that number: two learners may swap theirs), is a problem.
    Numbers are not unique in the database (a data error must not stop everyone else's import).
    """
    given = {row.learner_id: row.citizen_id for row in rows if row.citizen_id is not None}
    holders: dict[str, list[str]] = {}
    numbers = sorted({number for number in given.values() if number})
    for start in range(0, len(numbers), 2000):
        for number, learner_id in User.objects.filter(citizen_id__in=numbers[start : start + 2000]).values_list(
            "citizen_id", "learner_id"
        ):
            holders.setdefault(number, []).append(learner_id)
    first_row: dict[str, tuple[int, str]] = {}

    def problem(row: roster.StudentRow) -> bool:
        number = row.citizen_id
        if not number:
            return False
        seen = first_row.setdefault(number, (row.row, row.learner_id))
        if seen[1] != row.learner_id:
            refuse(
                row,
                _("Citizen ID number %(number)s is also in row %(row)d, for another learner.")
                % {"number": number, "row": seen[0]},
            )
            return True
        for holder in holders.get(number, ()):
            if holder != row.learner_id and (holder not in given or given[holder] == number):
                refuse(
                    row,
                    _("Citizen ID number %(number)s is already recorded for another learner.") % {"number": number},
                )
                return True
        return False

    return problem


class RosterRefused(ValidationError):
    """The roster has problems: nothing was written."""

    def __init__(self, plan: RosterPlan) -> None:
        super().__init__(_("The roster has problems; nothing was imported."), code="roster_problems")
        self.plan = plan


def _no_report(done: int, total: int, message: str = "") -> None:
    return None


@transaction.atomic
def roster_import(
    *, by: User, organisation_id: int, school_year: str, data: bytes, filename: str, report=_no_report
) -> tuple[RosterPlan, RosterImport]:
    """Import a roster: every row or none (:class:`RosterRefused` with the plan's problems).

    ``report(done, total, message)`` hears how far it is (a job's progress bar).
    """
    steps = 5
    report(0, steps, _("Reading and checking every row"))
    plan = roster_plan(by=by, organisation_id=organisation_id, school_year=school_year, data=data, filename=filename)
    if plan.problems:
        raise RosterRefused(plan)
    report(1, steps, _("Writing classes and people"))
    now = timezone.now()
    SchoolClass.objects.bulk_create(plan.new_classes, batch_size=1000)
    if plan.regraded_classes:
        SchoolClass.objects.bulk_update(plan.regraded_classes, ["grade"], batch_size=1000)
    User.objects.bulk_create(plan.new_people, batch_size=2000)
    if plan.changed_people:
        User.objects.bulk_update(
            plan.changed_people,
            ["last_name", "first_name", "organisation", "date_of_birth", "gender", "citizen_id"],
            batch_size=2000,
        )
    report(2, steps, _("Placing students in their classes"))
    moving = [student.pk for student, _c in plan.moved]
    for start in range(0, len(moving), 2000):
        ClassMembership.objects.filter(
            student_id__in=moving[start : start + 2000], school_year=school_year, left_at__isnull=True
        ).update(left_at=now)
    ClassMembership.objects.bulk_create(
        [
            ClassMembership(school_class=c, student=s, school_year=school_year, joined_at=now)
            for s, c in plan.memberships
        ],
        batch_size=2000,
    )
    report(3, steps, _("Giving classes their teachers"))
    ClassTeacher.objects.bulk_create(
        [ClassTeacher(school_class=c, teacher=t, subject_id=s) for t, c, s in plan.assignments],
        batch_size=2000,
        ignore_conflicts=True,
    )
    for school_class, teacher in plan.homerooms:
        school_class.homeroom_teacher = teacher
    if plan.homerooms:
        SchoolClass.objects.bulk_update([c for c, _t in plan.homerooms], ["homeroom_teacher"])
    record = RosterImport.objects.create(
        organisation_id=organisation_id,
        school_year=school_year,
        filename=filename[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        counts=plan.counts(),
        by=by,
        at=now,
    )
    report(steps, steps, "")
    return plan, record


def _require_school_admin_of(by: User, school_id: int) -> Organisation:
    scope = require_school_admin(by)
    if not scope.oversees(school_id):
        raise Organisation.DoesNotExist
    school = Organisation.objects.get(pk=school_id)
    if school.kind != Organisation.Kind.SCHOOL:
        raise ValidationError({"school": [_("Classes belong to a school, not to a department.")]})
    return school


def _check_homeroom(school: Organisation, teacher_id: int | None) -> User | None:
    if teacher_id is None:
        return None
    teacher = User.objects.filter(pk=teacher_id, role=Role.TEACHER, organisation=school).first()
    if teacher is None:
        raise ValidationError({"homeroom_teacher": [_("The homeroom teacher must be a teacher of this school.")]})
    return teacher


@transaction.atomic
def class_create(
    *, by: User, school_id: int, school_year: str, name: str, grade: int, homeroom_teacher_id: int | None = None
) -> SchoolClass:
    school = _require_school_admin_of(by, school_id)
    school_class = SchoolClass(
        school=school,
        school_year=school_year,
        name=" ".join(name.split()),
        grade=grade,
        homeroom_teacher=_check_homeroom(school, homeroom_teacher_id),
    )
    school_class.full_clean()
    school_class.save()
    return school_class


@transaction.atomic
def class_update(*, by: User, class_id: int, changes: dict) -> SchoolClass:
    """Rename, regrade or give a class another homeroom teacher (``changes``: those fields)."""
    school_class = SchoolClass.objects.select_for_update().get(pk=class_id)
    school = _require_school_admin_of(by, school_class.school_id)
    if "name" in changes:
        school_class.name = " ".join(changes["name"].split())
    if "grade" in changes:
        school_class.grade = changes["grade"]
    if "homeroom_teacher" in changes:
        school_class.homeroom_teacher = _check_homeroom(school, changes["homeroom_teacher"])
    school_class.full_clean()
    school_class.save()
    return school_class


@transaction.atomic
def class_place_student(*, by: User, class_id: int, student_id: int) -> ClassMembership:
    """Put a student of the class's school into the class; a student in another class of the
    same year moves (that membership ends, its history kept). Placing a student already there
    changes nothing."""
    school_class = SchoolClass.objects.get(pk=class_id)
    _require_school_admin_of(by, school_class.school_id)
    student = User.objects.select_for_update().filter(pk=student_id, role=Role.STUDENT).first()
    if student is None or not scope_of(by).oversees(student.organisation_id):
        raise User.DoesNotExist
    if student.organisation_id != school_class.school_id:
        raise ValidationError({"student": [_("The student belongs to another school.")]})
    current = ClassMembership.objects.filter(
        student=student, school_year=school_class.school_year, left_at__isnull=True
    ).first()
    if current is not None and current.school_class_id == school_class.pk:
        return current
    now = timezone.now()
    if current is not None:
        current.left_at = now
        current.save(update_fields=["left_at"])
    return ClassMembership.objects.create(
        school_class=school_class, student=student, school_year=school_class.school_year, joined_at=now
    )


# Letters and digits nobody misreads on a printed card (no 0/o, 1/l/i).
FIRST_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def first_password(user: User) -> str:
    """A random password a person can type from a card, passing the password policy."""
    length = max(settings.PASSWORD_MIN_LENGTH, 10)
    while True:
        password = "".join(secrets.choice(FIRST_PASSWORD_ALPHABET) for _ in range(length))
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def _issue_password(person: User) -> str:
    """Give ``person`` (unsaved) a new first password to be changed at the next login; return it."""
    password = first_password(person)
    person.set_password(password)
    person.must_change_password = True
    return password


def can_manage_person(scope, person: User) -> bool:
    """A school's administrator manages the students and teachers of the organisations they oversee."""
    return (
        scope.has_role(*SCHOOL_ADMINS)
        and person.role in (Role.STUDENT, Role.TEACHER)
        and not person.is_superuser
        and scope.oversees(person.organisation_id)
    )


@transaction.atomic
def password_reset(*, by: User, user_id: int, address: str = "") -> str:
    """Give a student or teacher a new password, to be changed at their next login; audited.

    Returns the password, which is stored only hashed: show it once. Raises
    ``User.DoesNotExist`` for someone the administrator does not manage."""
    scope = require_school_admin(by)
    person = User.objects.select_for_update().get(pk=user_id)
    if not can_manage_person(scope, person):
        raise User.DoesNotExist
    password = _issue_password(person)
    person.save(update_fields=["password", "must_change_password"])
    AccountEvent.objects.create(
        user=person, kind=AccountEvent.Kind.PASSWORD_RESET, by=by, at=timezone.now(), address=address
    )
    return password


@transaction.atomic
def class_first_passwords(*, by: User, class_id: int, address: str = "") -> list[tuple[User, str]]:
    """First passwords for the students of a class who have never logged in, for their login
    cards: each new, to be changed at the first login, audited, returned once (stored hashed).
    Students who have logged in keep theirs (a forgotten one is reset one by one)."""
    school_class = SchoolClass.objects.get(pk=class_id)
    _require_school_admin_of(by, school_class.school_id)
    students = list(
        User.objects.select_for_update()
        .filter(
            role=Role.STUDENT,
            last_login__isnull=True,
            class_memberships__school_class=school_class,
            class_memberships__left_at__isnull=True,
        )
        .order_by("first_name", "last_name", "pk")
    )
    now = timezone.now()
    issued = []
    for student in students:
        issued.append((student, _issue_password(student)))
    User.objects.bulk_update(students, ["password", "must_change_password"])
    AccountEvent.objects.bulk_create(
        AccountEvent(
            user=student,
            kind=AccountEvent.Kind.PASSWORD_RESET,
            by=by,
            at=now,
            address=address,
            detail={"login_card": True, "class": school_class.pk},
        )
        for student in students
    )
    return issued
