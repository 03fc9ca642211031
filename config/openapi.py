"""How drf-spectacular describes the API (``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]``).

Views declare their own bodies and answers with ``@extend_schema``: serializers for the
request, the query parameters and each status. What every view of the API may answer besides
is added here, once, with the one error shape (:class:`config.api.ErrorSerializer`):

- ``401 not_authenticated`` and ``403`` (``forbidden``, ``password_change_required``) where
  the view needs a logged-in person; ``403 csrf_failed`` for any method that writes;
- ``404 not_found`` where the path names an object, or the body may (an id that is no
  object one may use: ``POST /api/sittings/`` with an unknown ``form``);
- ``400 invalid`` where the request has a body or query parameters to check.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import AllowAny

from config.api import ErrorSerializer

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        # Below what @extend_schema declares (its schema class answers get_response_serializers).
        bodies = super()._get_response_bodies(direction)
        for status in self._possible_errors():
            if str(status) not in bodies:
                bodies[str(status)] = self._get_response_for_code(ErrorSerializer, str(status), direction=direction)
        return dict(sorted(bodies.items()))

    def _possible_errors(self) -> list[int]:
        logged_in = not all(isinstance(permission, AllowAny) for permission in self.view.get_permissions())
        writes = self.method not in SAFE_METHODS
        statuses = []
        if writes or self.get_override_parameters():
            statuses.append(400)
        if logged_in:
            statuses.append(401)
        if logged_in or writes:
            statuses.append(403)
        if "{" in self.path or (writes and self.get_request_serializer() is not None):
            statuses.append(404)
        return statuses


class SessionScheme(OpenApiAuthenticationExtension):
    """``config.authentication.SessionAuthentication``: Django's session cookie."""

    target_class = "config.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
