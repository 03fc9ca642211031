"""Writes about people: the login throttle's counts, locks and unlocks, password changes.

Every change to an account's security is audited as an ``AccountEvent``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import throttle
from .models import AccountEvent, LoginThrottle, User
from .permissions import can_unlock, scope_of

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
    """Set a person's own new password (already validated) and audit it."""
    user.set_password(new_password)
    user.save(update_fields=["password"])
    AccountEvent.objects.create(
        user=user, kind=AccountEvent.Kind.PASSWORD_CHANGED, by=user, at=timezone.now(), address=address
    )
    return user
