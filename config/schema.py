"""The REST API's OpenAPI 3 schema and its documentation page (drf-spectacular).

- ``GET /api/schema/``: the schema, generated from the views and their serializers once per
  process and language (it depends on the code alone: every reader sees the whole API), then
  served from memory; YAML, or JSON with ``?format=json`` (the site turns DRF's ``format``
  override off for every other view: ``format`` is a parameter of the bank's import and export
  calls).
- ``GET /api/docs/``: Swagger UI over that schema. Its files come from drf-spectacular-sidecar
  as the site's own static files and its start-up script is a file of its own (``?script``),
  so the page keeps the site's Content-Security-Policy but for one relaxation: Swagger UI's
  stylesheet draws its icons as ``data:`` images.

Who may read them: ``accounts.permissions.IsSchemaReader`` (docs/security.md).
"""

from __future__ import annotations

from typing import Any

from csp.decorators import csp_update
from django.conf import settings
from django.utils.translation import get_language, get_supported_language_variant
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from accounts.permissions import SCHEMA_READERS, page_for


class FormatParameterNegotiation(DefaultContentNegotiation):
    """``?format=json`` (or ``yaml``) chooses the schema's renderer."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: str | None = None) -> Any:
        return super().select_renderer(request, renderers, format_suffix or request.query_params.get("format"))


class SchemaView(SpectacularAPIView):
    content_negotiation_class = FormatParameterNegotiation
    # language -> the generated schema. Generating it walks every view and serializer (about
    # half a second); a reader asking again, or a second reader, waits for the rendering only.
    # The API has one version: drf-spectacular's ``?version=`` is not read (any value would
    # otherwise be a schema of its own, and a memory that grows).
    generated: dict[str, dict] = {}

    def _get_schema_response(self, request: Any) -> Response:
        language = schema_language()
        if language not in self.generated:
            generator = self.generator_class(urlconf=self.urlconf, api_version=None, patterns=self.patterns)
            self.generated[language] = generator.get_schema(request=request, public=self.serve_public)
        return Response(
            data=self.generated[language],
            headers={"Content-Disposition": f'inline; filename="{self._get_filename(request, None)}"'},
        )


class DocsView(SpectacularSwaggerSplitView):
    template_name = "frontend/api_docs.html"
    url_name = "api-schema"
    title = _("REST API")


def schema_language() -> str:
    """The language the schema is written in: the active one (``?lang=`` included), or the
    site's default for a language the site does not have (its texts fall back to it), so
    that no query string makes the memory of generated schemas grow."""
    try:
        return get_supported_language_variant(get_language() or settings.LANGUAGE_CODE)
    except LookupError:
        return settings.LANGUAGE_CODE


schema = SchemaView.as_view()
# Anonymous visitors are sent to the login page, other roles refused (403), as for any page.
docs = page_for(*SCHEMA_READERS)(csp_update({"img-src": ["data:"]})(DocsView.as_view()))
