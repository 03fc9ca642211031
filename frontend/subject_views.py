"""Môn học và chủ đề (``/bank/subjects/``): subjects and their topic trees.

Teachers read; the exam board, school administrators and administrators add subjects and
topics and change what their organisations keep. The page holds no data: its script
(``bank_subjects.js``) reads and writes through ``/api/subjects/`` and ``/api/topics/``,
where every check is made (``itembank.subjects``).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.permissions import BOARD, TAXONOMY_KEEPERS, TAXONOMY_READERS, page_for, scope_of
from itembank.models import Topic

from .bank_text import subjects_text


@page_for(*TAXONOMY_READERS)
def bank_subjects(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    return render(
        request,
        "frontend/bank/subjects.html",
        {
            "bank_config": {
                "user": {"id": request.user.pk, "role": request.user.role, "board": scope.has_role(*BOARD)},
                "keeper": scope.has_role(*TAXONOMY_KEEPERS),
                "kinds": [{"code": code, "label": str(label)} for code, label in Topic.Kind.choices],
            },
            "bank_text": subjects_text(),
            "keeper": scope.has_role(*TAXONOMY_KEEPERS),
        },
    )
