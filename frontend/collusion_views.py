"""The board's collusion report of a sitting (``/board/sittings/<id>/collusion/``).

The page holds no data: ``collusion.js`` starts the analysis and reads the report through
``/api/sittings/<id>/collusion/`` (``proctoring.collusion_api``), where every check is made.
Here only who may open the page and what the script needs.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.permissions import BOARD, page_for
from assess.models import Sitting
from proctoring import collusion_report

from .collusion_text import collusion_text


@page_for(*BOARD)
def board_collusion(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """Ranked pairs, outliers and how to read them, for the board of the sitting."""
    try:
        sitting = collusion_report.sitting_for_board(user=request.user, sitting_id=sitting_id)
    except Sitting.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "frontend/board_collusion.html",
        {
            "sitting": sitting,
            "default_alpha": collusion_report.DEFAULT_ALPHA,
            "bank_config": {
                "sitting": sitting.pk,
                "url": reverse("api-sitting-collusion", args=[sitting.pk]),
                "defaultAlpha": collusion_report.DEFAULT_ALPHA,
                "minAlpha": collusion_report.MIN_ALPHA,
                "maxAlpha": collusion_report.MAX_ALPHA,
                "pageSize": 50,
            },
            "bank_text": collusion_text(),
        },
    )
