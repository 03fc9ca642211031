"""Reads about accounts: the login throttle's state, locked accounts and their audit trail;
classes and their students."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from . import throttle
from .models import AccountEvent, LoginThrottle, Organisation, Role, SchoolClass, User
from .permissions import UNLOCKABLE_ROLES, scope_of


def login_throttle_state(*, username: str, address: str) -> throttle.State:
    """The throttle rows deciding one login attempt, in one query."""
    wanted = Q(scope=LoginThrottle.Scope.ACCOUNT, key=username)
    if address:
        wanted |= Q(scope=LoginThrottle.Scope.ADDRESS, key=address)
        wanted |= Q(scope=LoginThrottle.Scope.KNOWN, key=throttle.known_key(address, username))
    rows = {row.scope: row for row in LoginThrottle.objects.filter(wanted)}
    return throttle.State(
        username=username,
        address=address,
        account=rows.get(LoginThrottle.Scope.ACCOUNT),
        address_bucket=rows.get(LoginThrottle.Scope.ADDRESS),
        known=rows.get(LoginThrottle.Scope.KNOWN),
    )


def locked_accounts_for(user: User, now: datetime) -> QuerySet[LoginThrottle]:
    """The locks on accounts ``user`` may unlock, the most recent first."""
    locks = (
        LoginThrottle.objects.filter(scope=LoginThrottle.Scope.ACCOUNT, user__isnull=False, locked_at__isnull=False)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__gt=now))
        .select_related("user__organisation")
        .order_by("-locked_at", "pk")
    )
    return _only_unlockable_by(user, locks)


def account_events_for(user: User, *, kinds: tuple[str, ...], limit: int = 20) -> QuerySet[AccountEvent]:
    """The latest audit events about accounts ``user`` may unlock."""
    events = AccountEvent.objects.filter(kind__in=kinds).select_related("user", "by").order_by("-at", "-pk")
    return _only_unlockable_by(user, events)[:limit]


def _only_unlockable_by(user: User, rows: QuerySet) -> QuerySet:
    """Rows (with a ``user``) about accounts ``user`` may unlock: the rule of
    ``accounts.permissions.can_unlock``, as a filter."""
    scope = scope_of(user)
    if scope.is_admin:
        return rows
    roles = UNLOCKABLE_ROLES.get(scope.role or "")
    if not roles:
        return rows.none()
    return rows.filter(user__role__in=roles, user__is_superuser=False, user__organisation_id__in=scope.overseen)


def classes_for(user: User, *, school_year: str | None = None, school_id: int | None = None) -> QuerySet:
    """The classes ``user`` may see: a school's administrators and boards those of the schools
    they oversee; a teacher those they teach or are the homeroom teacher of."""

    scope = scope_of(user)
    classes = SchoolClass.objects.select_related("school", "homeroom_teacher")
    if scope.has_role(Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN):
        if scope.overseen_ids is not None:
            classes = classes.filter(school_id__in=scope.overseen_ids)
    elif scope.has_role(Role.TEACHER):
        classes = classes.filter(Q(homeroom_teacher_id=user.pk) | Q(subject_teachers__teacher_id=user.pk)).distinct()
    else:
        return classes.none()
    if school_year:
        classes = classes.filter(school_year=school_year)
    if school_id is not None:
        classes = classes.filter(school_id=school_id)
    return classes.annotate(
        student_count=Count("memberships", filter=Q(memberships__left_at__isnull=True), distinct=True)
    ).order_by("-school_year", "school__name", "grade", "name")


def homeroom_classes_of(user: User, *, school_year: str) -> QuerySet:
    """The classes of the year ``user`` is the homeroom teacher of, in their own school (the
    classes whose students they may import, ``permissions.roster_import_scope``)."""
    if user.role != Role.TEACHER or user.organisation_id is None:
        return SchoolClass.objects.none()
    return (
        SchoolClass.objects.select_related("school")
        .filter(homeroom_teacher=user, school_year=school_year, school_id=user.organisation_id)
        .order_by("grade", "name")
    )


def class_students(school_class) -> QuerySet:
    """The students in a class now, by name."""
    return User.objects.filter(
        class_memberships__school_class=school_class, class_memberships__left_at__isnull=True
    ).order_by("first_name", "last_name", "pk")


def organisations_managed_by(user: User) -> QuerySet:
    """The organisations a school's administrator may import rosters for: theirs and those below."""
    scope = scope_of(user)
    organisations = Organisation.objects.order_by("kind", "name")
    if scope.overseen_ids is not None:
        organisations = organisations.filter(pk__in=scope.overseen_ids)
    return organisations


def current_school_year(today=None) -> str:
    """The school year under way: it starts in September (August counts as the next one's)."""
    today = today or timezone.localdate()
    start = today.year if today.month >= 8 else today.year - 1
    return f"{start}-{start + 1}"


def school_years_near(year: str) -> list[str]:
    """The school year before and after ``year`` too, newest first, for a choice of years."""
    start = int(year[:4])
    return [f"{y}-{y + 1}" for y in range(start + 1, start - 3, -1)]
