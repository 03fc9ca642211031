"""The student's pages: the dashboard of their assessments (``/exam/``) and the review of a
published attempt (``/exam/attempts/<id>/review/``), and the exam runner's settings.

Both render what ``assess.dashboard`` computes, the same as ``GET /api/me/dashboard/`` and
``GET /api/attempts/<id>/review/``: nothing here decides a state, a result or what a feedback
policy shows; the view only turns instants into datetimes for the templates. The exam runner
is ``views.exam_page``; "Try again" is a ``POST /api/sittings/<id>/attempts/`` made by
``student.js``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.permissions import STUDENTS, page_for
from assess import dashboard
from assess.models import Attempt
from results import appeals

from .student_text import student_text

SECTION_HEADINGS = {
    dashboard.IN_PROGRESS: pgettext_lazy("dashboard section", "In progress"),
    dashboard.OPEN: pgettext_lazy("dashboard section", "Open"),
    dashboard.UPCOMING: pgettext_lazy("dashboard section", "Upcoming"),
    dashboard.DONE: pgettext_lazy("dashboard section", "Done"),
    dashboard.MISSED: pgettext_lazy("dashboard section", "Missed"),
    dashboard.CANCELLED: pgettext_lazy("dashboard section", "Cancelled"),
}
PAST = (dashboard.DONE, dashboard.MISSED, dashboard.CANCELLED)
PAST_SHOWN = 20
KIND_LABELS = {
    "exam": pgettext_lazy("sitting kind", "Exam"),
    "assignment": pgettext_lazy("sitting kind", "Assignment"),
}


# The exam runner's heartbeat (exam.js): a ping when nothing else was sent for HEARTBEAT_MS
# (each costs one token of the rate limit), and a connection that hears nothing from the
# server for DEAD_AFTER_MS is taken for dead: closed and opened again. A browser's own
# websocket gives no sign of a connection lost quietly (a sleeping laptop, a Wi-Fi hand-over)
# for minutes; the student must see it at once.
HEARTBEAT_MS = 10_000
DEAD_AFTER_MS = 25_000


def runner_config(attempt_id: int) -> dict[str, Any]:
    """What ``exam.js`` reads from ``#runner-config``: the attempt, where to connect, the heartbeat."""
    return {
        "attemptId": attempt_id,
        "wsPath": f"/ws/attempts/{attempt_id}/",
        "listUrl": reverse("exam-list"),
        "heartbeatMs": HEARTBEAT_MS,
        "deadAfterMs": DEAD_AFTER_MS,
    }


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def duration_text(ms: int | None) -> str:
    """A time left or a wait, in whole minutes down: "2 d 5 h", "1 h 05 min", "12 min".

    Abbreviated units need no plural forms; under a minute is said as such.
    """
    if ms is None:
        return ""
    minutes = max(0, ms) // 60_000
    if minutes < 1:
        return _("less than a minute")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def _card(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A dashboard row with its instants as datetimes and its waits in words."""
    sitting = row["sitting"]
    opens = datetime.fromisoformat(sitting["opens_at"])
    return {
        **row,
        "kind_label": KIND_LABELS.get(sitting["kind"], sitting["kind"]),
        "opens": opens,
        "closes": _instant(sitting["closes_at"]),
        "latest_start": _instant(sitting["latest_start"]),
        "time_left": duration_text(row["remaining_ms"]),
        "closes_in": duration_text(row["closes_in_ms"]),
        "opens_in": duration_text(int((opens - now).total_seconds() * 1000)) if opens > now else "",
    }


@page_for(*STUDENTS)
def exam_list(request: HttpRequest) -> HttpResponse:
    """Bài kiểm tra của em: every sitting the student is enrolled in, by state."""
    board = dashboard.student_dashboard(request.user)
    now = datetime.fromisoformat(board["server_time"])
    everything = request.GET.get("all") == "1"
    sections = []
    for name in dashboard.SECTIONS:
        rows = board["sections"][name]
        if not rows:
            continue
        # What is over shows its latest few unless the student asks for all of it: a page
        # of 200 past assessments helps nobody and costs the server.
        shown = rows if everything or name not in PAST else rows[:PAST_SHOWN]
        sections.append(
            {
                "name": name,
                "heading": SECTION_HEADINGS[name],
                "cards": [_card(row, now) for row in shown],
                "count": len(rows),
                "more": len(rows) - len(shown),
            }
        )
    return render(
        request,
        "frontend/exam_list.html",
        {"sections": sections, "student_text": student_text()},
    )


@page_for(*STUDENTS)
def attempt_review(request: HttpRequest, attempt_id: int) -> HttpResponse:
    """A published attempt of the student's own: 403 before its results are released, 404 if
    it is not theirs (its existence is not revealed)."""
    try:
        review = dashboard.attempt_review(request.user, attempt_id)
    except Attempt.DoesNotExist:
        raise Http404 from None
    attempt = Attempt.objects.select_related("sitting__assessment").get(pk=attempt_id)
    filed = [appeals.appeal_data(a) for a in attempt.appeals.all()]
    deadline = appeals.appeal_deadline(attempt)
    open_now = deadline is not None and timezone.now() <= deadline
    return render(
        request,
        "frontend/exam_review.html",
        {
            "review": review,
            "appeals": filed,
            "appeal_deadline": deadline,
            "can_appeal": open_now and not filed,
            "appeal_text": {
                "error": _("The appeal could not be sent."),
                "networkError": _("The server cannot be reached. Check the connection and try again."),
            },
        },
    )
