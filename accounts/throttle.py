"""The login throttle's rules: when a password is not even checked.

Every door that checks a password (the login page, ``POST /api/auth/login/``, the admin's
login, the password change) authenticates through ``accounts.backends``, which asks
:func:`refusal` before hashing anything. Two limits, each refused without a hash:

* **Per account name** (``account_locked``): ``LOGIN_LOCK_FAILURES`` wrong passwords in a row
  (within ``LOGIN_FAILURE_WINDOW_SECONDS``) lock the name for ``LOGIN_LOCK_SECONDS``, or until
  a proctor or an administrator unlocks it when that is 0. A right password resets the count.
  Names that belong to nobody are counted and locked alike, so a lock tells nothing about who
  has an account.
* **Per client address** (``too_many_attempts``): a token bucket of wrong passwords,
  ``LOGIN_ADDRESS_BURST`` at once, refilled at ``LOGIN_ADDRESS_PER_MINUTE``. It bounds the
  hashes one address can make the server compute and password spraying over many names.
  A school logs in from one NAT address: right passwords cost nothing, the bucket holds a
  school's mistyping, and a name that logged in from this address before (within
  ``LOGIN_KNOWN_ADDRESS_DAYS``) is not held back by it, so one student spraying from the lab
  cannot keep the lab's regular users out (only their own name's lock applies to them).

The state is in the database (``LoginThrottle``): shared by every node, listable, auditable.
This module is pure: rows in, a decision out.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import LoginThrottle

ACCOUNT_LOCKED = "account_locked"
TOO_MANY_ATTEMPTS = "too_many_attempts"
# Usernames are at most 150 characters (AbstractUser): a longer name belongs to nobody.
MAX_USERNAME_LENGTH = 150


@dataclass(frozen=True)
class Policy:
    lock_failures: int
    failure_window: timedelta
    lock_for: timedelta | None  # None: until a person unlocks
    address_burst: int
    address_per_second: float
    known_for: timedelta

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            lock_failures=settings.LOGIN_LOCK_FAILURES,
            failure_window=timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS),
            lock_for=timedelta(seconds=settings.LOGIN_LOCK_SECONDS) if settings.LOGIN_LOCK_SECONDS else None,
            address_burst=settings.LOGIN_ADDRESS_BURST,
            address_per_second=settings.LOGIN_ADDRESS_PER_MINUTE / 60.0,
            known_for=timedelta(days=settings.LOGIN_KNOWN_ADDRESS_DAYS),
        )


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused before its password was checked."""

    code: str  # ACCOUNT_LOCKED or TOO_MANY_ATTEMPTS
    retry_after: int | None  # seconds; None: until a proctor or an administrator unlocks
    until: datetime | None = None


@dataclass(frozen=True)
class State:
    """The rows that decide one attempt (any may be missing)."""

    username: str
    address: str
    account: LoginThrottle | None
    address_bucket: LoginThrottle | None
    known: LoginThrottle | None


def client_address(request: HttpRequest | None) -> str:
    """The address to count against: IPv4 as is, IPv6 by its /64 (one host's usual share).

    Behind the bundled nginx, Daphne runs with ``--proxy-headers`` and ``REMOTE_ADDR`` is the
    browser's address as nginx saw it, not one a client can forge.
    """
    if request is None:
        return ""
    raw = request.META.get("REMOTE_ADDR") or ""
    try:
        parsed = ipaddress.ip_address(raw)
    except ValueError:
        return raw[:64]
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def known_key(address: str, username: str) -> str:
    return f"{address} {username}"


def is_locked(row: LoginThrottle | None, now: datetime) -> bool:
    return bool(row and row.locked_at and (row.locked_until is None or row.locked_until > now))


def lock_refusal(row: LoginThrottle, now: datetime) -> Refusal:
    if row.locked_until is None:
        return Refusal(ACCOUNT_LOCKED, None)
    return Refusal(ACCOUNT_LOCKED, max(1, math.ceil((row.locked_until - now).total_seconds())), row.locked_until)


def bucket_tokens(row: LoginThrottle | None, now: datetime, policy: Policy) -> float:
    """Tokens in an address's bucket now: full when unknown, refilled since its last update."""
    if row is None:
        return float(policy.address_burst)
    elapsed = max(0.0, (now - row.updated_at).total_seconds())
    return min(float(policy.address_burst), row.tokens + elapsed * policy.address_per_second)


def bucket_expiry(tokens: float, now: datetime, policy: Policy) -> datetime:
    """When a bucket holding ``tokens`` is full again (and its row can go)."""
    return now + timedelta(seconds=(policy.address_burst - tokens) / policy.address_per_second)


def is_known(row: LoginThrottle | None, now: datetime) -> bool:
    return bool(row and row.expires_at and row.expires_at > now)


def refusal(state: State, now: datetime, policy: Policy) -> Refusal | None:
    """Whether to refuse an attempt without checking its password, and why."""
    if is_locked(state.account, now):
        assert state.account is not None
        return lock_refusal(state.account, now)
    if state.address and not is_known(state.known, now):
        tokens = bucket_tokens(state.address_bucket, now, policy)
        if tokens < 1.0:
            return Refusal(TOO_MANY_ATTEMPTS, max(1, math.ceil((1.0 - tokens) / policy.address_per_second)))
    return None


@dataclass(frozen=True)
class Reservation:
    """What an attempt took before its password was checked, given back or kept after.

    Parallel attempts must not all pass the same check: an attempt of a name with earlier
    failures counts itself as pending, and one from an address whose bucket exists takes its
    token, before hashing. (A name or an address with no row yet is not reserved: at most
    one wave of parallel attempts gets past its first check.)
    """

    account: bool = False
    token: bool = False


NOTHING_RESERVED = Reservation()
# A pending attempt older than this is a crashed one: its hash took far less.
PENDING_FOR = timedelta(seconds=60)


def reservation_refusal(account: LoginThrottle | None, now: datetime, policy: Policy) -> Refusal | None:
    """Whether the attempts already counted and in flight leave no room for this one."""
    if account is None:
        return None
    if is_locked(account, now):
        return lock_refusal(account, now)
    if current_failures(account, now, policy) + account.pending >= policy.lock_failures:
        return Refusal(TOO_MANY_ATTEMPTS, 1)
    return None


def current_failures(row: LoginThrottle, now: datetime, policy: Policy) -> int:
    """Wrong passwords that still count: none after the window or after a lock ran out."""
    if row.locked_at is not None or row.first_failure_at is None or now - row.first_failure_at > policy.failure_window:
        return 0
    return row.failures


def next_failures(row: LoginThrottle, now: datetime, policy: Policy) -> tuple[int, datetime]:
    """(failures, first failure) after one more wrong password; older ones are forgotten."""
    failures = current_failures(row, now, policy)
    if failures == 0:
        return 1, now
    return failures + 1, row.first_failure_at or now


def refusal_message(refused: Refusal) -> str:
    """What to tell the person, on the page and in the API's ``message``."""
    if refused.code == ACCOUNT_LOCKED:
        if refused.until is None:
            return gettext(
                "This account is locked after too many wrong passwords. Ask a proctor or an administrator to unlock it."
            )
        return gettext(
            "This account is locked after too many wrong passwords. "
            "Try again after %(time)s, or ask a proctor or an administrator to unlock it."
        ) % {"time": timezone.localtime(refused.until).strftime("%H:%M")}
    return gettext("Too many wrong passwords from your network address. Wait %(seconds)d s and try again.") % {
        "seconds": refused.retry_after or 1
    }
