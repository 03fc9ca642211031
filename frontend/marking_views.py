"""The marking pages: the board's plan and progress of a sitting
(``/board/sittings/<id>/marking/``), a marker's sittings (``/marking/``) and their desk
(``/marking/<plan>/``).

The pages hold no data but who asks and which plan: ``board_marking.js`` and
``marking_desk.js`` read and write through the marking API (``results.api``), where every
check is made.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.models import Organisation
from accounts.permissions import AUTHORS, BOARD, page_for
from assess.sittings import sittings_run_by
from results import selectors
from results.models import Calibration, Marker, MarkingPlan, ModerationChange

from .marking_text import calibration_text, marking_text, moderation_text


@page_for(*AUTHORS)
def board_marking(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """Who marks a sitting's essays and how (single or blind double marking), and how far they are."""
    sitting = sittings_run_by(request.user).filter(pk=sitting_id).select_related("assessment").first()
    if sitting is None:
        raise Http404
    plan = MarkingPlan.objects.filter(sitting=sitting).first()
    markers = list(plan.markers.select_related("user")) if plan else []
    return render(
        request,
        "frontend/board_marking.html",
        {
            "sitting": sitting,
            "plan": plan,
            "markers_text": "\n".join(m.user.username for m in markers if not m.adjudicator),
            "adjudicators_text": "\n".join(m.user.username for m in markers if m.adjudicator),
            "bank_config": {"sitting": sitting.pk},
            "bank_text": marking_text(),
        },
    )


@page_for(*AUTHORS)
def marking_list(request: HttpRequest) -> HttpResponse:
    """The sittings this teacher or board member marks, with their marks and what is left."""
    return render(request, "frontend/marking_list.html", {"plans": selectors.plans_of_marker(request.user)})


@page_for(*AUTHORS)
def marking_desk(request: HttpRequest, plan_id: int) -> HttpResponse:
    """One script at a time: the question, the rubric and the response, never the candidate."""
    marker = Marker.objects.filter(plan_id=plan_id, user=request.user).select_related("plan__sitting").first()
    if marker is None:
        raise Http404
    return render(
        request,
        "frontend/marking_desk.html",
        {
            "plan": marker.plan,
            "sitting": marker.plan.sitting,
            "marker": marker,
            "bank_config": {"plan": plan_id},
            "bank_text": marking_text(),
        },
    )


@page_for(*AUTHORS)
def board_moderation(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """The items' figures and flags, changes of how an item is scored with their preview on
    every candidate, and the review and publication of the results."""
    sitting = sittings_run_by(request.user).filter(pk=sitting_id).first()
    if sitting is None:
        raise Http404
    return render(
        request,
        "frontend/board_moderation.html",
        {
            "sitting": sitting,
            # The candidates' schools, for a DIF of one school against the others (two or more).
            "schools": schools if len(schools := _candidate_schools(sitting)) > 1 else [],
            "kinds": ModerationChange.Kind.choices,
            "bank_config": {"sitting": sitting.pk},
            "bank_text": moderation_text(),
        },
    )


@page_for(*BOARD)
def board_calibration(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """The sitting's responses calibrated on the bank's scale, reviewed, written back."""
    sitting = sittings_run_by(request.user).filter(pk=sitting_id).first()
    if sitting is None:
        raise Http404
    return render(
        request,
        "frontend/board_calibration.html",
        {
            "sitting": sitting,
            "models": Calibration.Model.choices,
            "bank_config": {"sitting": sitting.pk},
            "bank_text": calibration_text(),
        },
    )


def _candidate_schools(sitting) -> list[Organisation]:
    ids = sitting.attempts.values_list("student__organisation_id", flat=True).distinct()
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))
