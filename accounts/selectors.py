"""Reads about accounts: the login throttle's state, locked accounts and their audit trail."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from . import throttle
from .models import AccountEvent, LoginThrottle, User
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
