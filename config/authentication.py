"""REST authentication (kept apart from config.api, which DRF's settings import lazily)."""

from rest_framework import authentication, exceptions


class CsrfFailed(exceptions.PermissionDenied):
    default_code = "csrf_failed"


class SessionAuthentication(authentication.SessionAuthentication):
    """Session cookies, answering 401 (not 403) when nobody is logged in, and a CSRF
    failure with its own error code."""

    def authenticate_header(self, request) -> str:
        return 'Session realm="api"'

    def enforce_csrf(self, request) -> None:
        try:
            super().enforce_csrf(request)
        except exceptions.PermissionDenied as exc:
            raise CsrfFailed(f"{exc.detail} Fetch /api/auth/csrf/ and send X-CSRFToken.") from exc


def enforce_csrf(request) -> None:
    """The CSRF check, for anonymous requests too: DRF checks only a logged-in person's, but
    logging in and out are forms like any other (a forged login would log a victim into
    someone else's account). Raises ``CsrfFailed``; a no-op for GET, HEAD and OPTIONS."""
    SessionAuthentication().enforce_csrf(request)
