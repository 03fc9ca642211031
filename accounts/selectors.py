"""Reads about people and organisations, used for authorisation everywhere."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from . import throttle
from .models import AccountEvent, LoginThrottle, Organisation, Role, User


def organisation_subtree_ids(organisation_id: int | None) -> set[int]:
    """The organisation and every organisation below it (departments contain schools)."""
    if organisation_id is None:
        return set()
    found = {organisation_id}
    frontier = [organisation_id]
    while frontier:
        children = list(Organisation.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        frontier = [child for child in children if child not in found]
        found.update(frontier)
    return found


def user_can_oversee(user: User, organisation_id: int) -> bool:
    """Whether a board member, proctor or teacher may see what happens in an organisation.

    Administrators see everything; others see their own organisation and what lies below it.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    return organisation_id in organisation_subtree_ids(user.organisation_id)


def overseen_organisation_ids(user: User) -> set[int] | None:
    """The organisations a user oversees; None means all of them (administrators)."""
    if user.is_admin_role:
        return None
    return organisation_subtree_ids(user.organisation_id)


STAFF_ROLES = (Role.TEACHER, Role.PROCTOR, Role.BOARD, Role.ADMIN)


# Who may unlock whose account (docs/security.md): a proctor the students, an exam board
# member the students, teachers and proctors, of the organisations they oversee; an
# administrator anyone. Board members and administrators are unlocked by an administrator
# (or `manage.py unlock_account`).
UNLOCKABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.PROCTOR: (Role.STUDENT,),
    Role.BOARD: (Role.STUDENT, Role.TEACHER, Role.PROCTOR),
}
UNLOCKING_ROLES = (Role.PROCTOR, Role.BOARD, Role.ADMIN)


def user_can_unlock(actor: User, target: User) -> bool:
    """Whether ``actor`` may unlock ``target``'s account."""
    if not actor.is_authenticated or not actor.is_active:
        return False
    if actor.is_admin_role:
        return True
    if target.is_admin_role or target.role not in UNLOCKABLE_ROLES.get(actor.role, ()):
        return False
    return target.organisation_id is not None and user_can_oversee(actor, target.organisation_id)


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
    """Rows (with a ``user``) about accounts ``user`` may unlock: the rule of ``user_can_unlock``."""
    if user.is_admin_role and user.is_active:
        return rows
    roles = UNLOCKABLE_ROLES.get(user.role)
    if not roles or not user.is_active:
        return rows.none()
    return rows.filter(
        user__role__in=roles,
        user__is_superuser=False,
        user__organisation_id__in=organisation_subtree_ids(user.organisation_id),
    )
