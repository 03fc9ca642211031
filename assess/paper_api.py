"""REST: printed papers of test codes and key tables as PDF (thin: authorise, call, respond).

- ``GET /api/forms/<id>/paper.pdf``: a test code (or a master form) as candidates get it on
  paper, for the paper fallback of an exam (``assess.papers.form_paper_pdf``);
- ``GET /api/forms/<id>/keys.pdf``: the key table of every code of a master form.

Both are for the form's managers only, like the key tables (``authoring_api._managed_form``):
anyone else who may see the form is refused (403 for roles without assessments, 404 for
everyone else). Neither is kept in a cache: a paper is an exam's content before its sitting.
"""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request

from accounts.permissions import IsAssessor

from . import papers
from .authoring_api import _managed_form
from .models import Form

PDF = "application/pdf"


def _pdf(body: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(body, content_type=PDF)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _slug(form: Form) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in form.code) or str(form.pk)


@extend_schema(responses={(200, PDF): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsAssessor])
def form_paper_pdf(request: Request, form_id: int) -> HttpResponse:
    """The printed paper of a test code (A4 PDF): items, options and labels in its order, no key."""
    form = _managed_form(request, form_id)
    return _pdf(papers.form_paper_pdf(form), f"de-{form.assessment_id}-ma-{_slug(form)}.pdf")


@extend_schema(responses={(200, PDF): OpenApiTypes.BINARY})
@api_view(["GET"])
@permission_classes([IsAssessor])
def form_keys_pdf(request: Request, form_id: int) -> HttpResponse:
    """The key table of every code of a master form (landscape A4 PDF, a row per code)."""
    form = _managed_form(request, form_id)
    return _pdf(papers.key_table_pdf(form), f"dap-an-{form.assessment_id}-{form.pk}.pdf")
