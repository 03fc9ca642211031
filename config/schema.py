"""The REST API's OpenAPI 3 schema and its documentation page (drf-spectacular).

- ``GET /api/schema/``: the schema, generated from the views and their serializers at each
  request; YAML, or JSON with ``?format=json`` (the site turns DRF's ``format`` override off
  for every other view: ``format`` is a parameter of the bank's import and export calls).
- ``GET /api/docs/``: Swagger UI over that schema. Its files come from drf-spectacular-sidecar
  as the site's own static files and its start-up script is a file of its own (``?script``),
  so the page keeps the site's Content-Security-Policy but for one relaxation: Swagger UI's
  stylesheet draws its icons as ``data:`` images.

Who may read them: ``accounts.permissions.IsSchemaReader`` (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.negotiation import DefaultContentNegotiation

from accounts.permissions import SCHEMA_READERS, page_for


class FormatParameterNegotiation(DefaultContentNegotiation):
    """``?format=json`` (or ``yaml``) chooses the schema's renderer."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: str | None = None) -> Any:
        return super().select_renderer(request, renderers, format_suffix or request.query_params.get("format"))


class SchemaView(SpectacularAPIView):
    content_negotiation_class = FormatParameterNegotiation


class DocsView(SpectacularSwaggerSplitView):
    template_name = "frontend/api_docs.html"
    url_name = "api-schema"
    title = _("REST API")


schema = SchemaView.as_view()
# Anonymous visitors are sent to the login page, other roles refused (403), as for any page.
docs = page_for(*SCHEMA_READERS)(csp_update({"img-src": ["data:"]})(DocsView.as_view()))
