"""The one authentication backend: Django's, behind the login throttle (accounts/throttle.py).

Every door that checks a password calls ``django.contrib.auth.authenticate`` and so comes
here: the login page, ``POST /api/auth/login/``, the admin's login, the password change.
It answers every password check itself: a user, or ``PermissionDenied``, which makes Django
stop asking further backends and answer "no user" (so the ModelBackend listed after it, for
sessions made before the throttle, never checks a password a second time). An attempt the
throttle refuses raises before any hash is computed; the door reads why with
:func:`refusal_of` (None: a wrong password) and says so.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone

from . import selectors, services, throttle

REFUSAL_ATTRIBUTE = "login_refusal"


def refusal_of(request: HttpRequest | None) -> throttle.Refusal | None:
    """Why the last authentication of this request was refused unchecked, if it was."""
    return getattr(request, REFUSAL_ATTRIBUTE, None)


def _refuse(request: HttpRequest | None, refusal: throttle.Refusal) -> PermissionDenied:
    if request is not None:
        setattr(request, REFUSAL_ATTRIBUTE, refusal)
    return PermissionDenied(refusal.code)


class ThrottledModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs) -> AbstractBaseUser | None:
        if request is not None and hasattr(request, REFUSAL_ATTRIBUTE):
            delattr(request, REFUSAL_ATTRIBUTE)
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None  # nothing to check (nor does ModelBackend check anything then)
        if not isinstance(username, str) or len(username) > throttle.MAX_USERNAME_LENGTH:
            raise PermissionDenied  # no account has such a name: nothing to guess, nothing to hash
        policy = throttle.Policy.from_settings()
        state = selectors.login_throttle_state(username=username, address=throttle.client_address(request))
        refused = throttle.refusal(state, timezone.now(), policy)
        if refused is not None:
            raise _refuse(request, refused)
        reservation, refused = services.login_attempt_reserve(state=state, policy=policy)
        if refused is not None:
            raise _refuse(request, refused)
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            locked = services.login_failure_record(
                username=username, address=state.address, policy=policy, reservation=reservation
            )
            if locked is not None:
                raise _refuse(request, locked)
            raise PermissionDenied  # a wrong password: no other backend checks it again
        services.login_success_record(state=state, policy=policy, reservation=reservation)
        return user

    async def aauthenticate(self, request, username=None, password=None, **kwargs) -> AbstractBaseUser | None:
        return await sync_to_async(self.authenticate)(request, username=username, password=password, **kwargs)
