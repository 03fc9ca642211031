"""The exam board's charts: pages and the SVG pictures they show (``results.charts``).

Whoever runs the sitting sees them (``assess.sittings.sittings_run_by``: a board its
organisations' sittings, a teacher the assignments they built); anyone else gets 404, a
student 403. The figures come from ``results.chart_data``; each picture is drawn on request,
in the language its address names (``?lang=``, as the pages ask; else the request's; a decimal
comma in Vietnamese), narrower for a phone (``?size=narrow``), and kept by the browser for a
minute.

- ``/board/sittings/<id>/charts/``: the score distribution, classes and schools compared,
  each with its figures in a table;
- ``/board/sittings/<id>/charts/<name>.svg``: ``distribution``, ``classes``, ``schools``,
  ``icc`` and ``information`` (``?item=<position>`` for one item's);
- ``/board/sittings/<id>/charts/items/``: the items' curves (``?item=<position>``);
- ``/board/sittings/<id>/candidates/<attempt>/``: one candidate's answers, scores and the
  replay of their changes; ``.../timeline.svg`` draws those changes in time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET

from accounts.permissions import ASSESSORS, page_for
from assess import sittings
from assess.models import Attempt, Sitting
from itembank.models import ItemType
from results import chart_data, charts

# The most groups a comparison draws: the highest and the lowest means, half each (the
# table and the API list them all).
MAX_GROUPS_DRAWN = 40
POSITION = re.compile(r"[0-9]{1,6}")
# The SVG documents: no script; their own inline styles (matplotlib writes style attributes);
# an image of the timeline may be embedded (a data: PNG); never framed.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; sandbox"


def _sitting(request: HttpRequest, sitting_id: int) -> Sitting:
    sitting = sittings.sittings_run_by(request.user).filter(pk=sitting_id).first()
    if sitting is None:
        raise Http404
    return sitting


def _numbers() -> charts.Numbers:
    return charts.Numbers(str(formats.get_format("DECIMAL_SEPARATOR")))


def _position(request: HttpRequest) -> int | None:
    """``?item=<position>``: None when absent; 404 for anything but a whole number."""
    raw = request.GET.get("item", "")
    if raw == "":
        return None
    if not POSITION.fullmatch(raw):  # ASCII digits: "²".isdigit() is true, int("²") fails
        raise Http404
    return int(raw)


def _picture(request: HttpRequest) -> tuple[bool, AbstractContextManager[object]]:
    """How a picture is asked for: narrow for a phone (``?size=narrow``, as the pages ask on a
    small screen), and in which language (``?lang=vi``: the pages name theirs, so that a
    browser keeps each language's picture apart; without it, the request's). 404 for a size
    or a language the site does not have."""
    size = request.GET.get("size", "")
    language = request.GET.get("lang", "")
    if size not in ("", "narrow") or language not in ("", *(code for code, _name in settings.LANGUAGES)):
        raise Http404
    return size == "narrow", translation.override(language) if language else nullcontext()


def _svg(document: bytes) -> HttpResponse:
    response = HttpResponse(document, content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=60"
    response["Content-Security-Policy"] = SVG_POLICY
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _score(value: float | None, numbers: charts.Numbers) -> str:
    return "–" if value is None else numbers(value, 2)


# --- the distribution ---------------------------------------------------------------------------


def _distribution_text(data: dict, numbers: charts.Numbers) -> str:
    """The chart in words: what a screen reader reads, and the alt text's figures."""
    if not data["n"]:
        return _("No final score yet.")
    return ngettext(
        "%(n)s final score; mean %(mean)s, median %(median)s, standard deviation %(sd)s, from %(min)s to %(max)s; "
        "%(share)s%% at or above 5.",
        "%(n)s final scores; mean %(mean)s, median %(median)s, standard deviation %(sd)s, from %(min)s to %(max)s; "
        "%(share)s%% at or above 5.",
        data["n"],
    ) % {
        "n": data["n"],
        "mean": _score(data["mean"], numbers),
        "median": _score(data["median"], numbers),
        "sd": _score(data["sd"], numbers),
        "min": _score(data["min"], numbers),
        "max": _score(data["max"], numbers),
        "share": numbers(100 * (data["share_from_5"] or 0), 1),
    }


def distribution_chart(data: dict, numbers: charts.Numbers, narrow: bool = False) -> bytes:
    bins = data["bins"]
    counts = "; ".join(f"{numbers(b['from'], 1)}–{numbers(b['to'], 1)}: {b['count']}" for b in bins if b["count"])
    return charts.distribution_svg(
        edges=[b["from"] for b in bins] + [bins[-1]["to"]],
        counts=[b["count"] for b in bins],
        mean=data["mean"],
        median=data["median"],
        title=_("Score distribution"),
        x_label=_("Score (0–10)"),
        y_label=_("Candidates"),
        mean_label=_("Mean"),
        median_label=_("Median"),
        empty_label=_("No final score yet."),
        description=f"{_distribution_text(data, numbers)} {counts}".strip(),
        numbers=numbers,
        narrow=narrow,
    )


# --- classes and schools -------------------------------------------------------------------------


def _group_label(group: dict, data: dict, several_schools: bool) -> str:
    if data["by"] == "class" and several_schools and group["school"]:
        return f"{group['name']} · {group['school']}"
    return group["name"]


def _drawn(groups: list[dict]) -> tuple[list[dict], int]:
    """The groups a chart draws: all, or the highest and lowest means when there are too many."""
    if len(groups) <= MAX_GROUPS_DRAWN:
        return groups, 0
    half = MAX_GROUPS_DRAWN // 2
    return groups[:half] + groups[-half:], len(groups) - MAX_GROUPS_DRAWN


def _group_titles(by: str) -> tuple[str, str]:
    if by == "class":
        return _("Scores by class"), _("No class has a final score yet.")
    return _("Scores by school"), _("No school has a final score yet.")


def groups_chart(data: dict, numbers: charts.Numbers, narrow: bool = False) -> bytes:
    groups = data["groups"]
    several = len({g["school"] for g in groups}) > 1
    drawn, omitted = _drawn(groups)
    title, empty = _group_titles(data["by"])
    described = "; ".join(
        _("%(name)s: n = %(n)s, mean %(mean)s (95%% confidence interval %(low)s to %(high)s)")
        % {
            "name": _group_label(g, data, several),
            "n": g["n"],
            "mean": _score(g["mean"], numbers),
            "low": _score(g["ci_low"], numbers),
            "high": _score(g["ci_high"], numbers),
        }
        for g in drawn
    )
    return charts.groups_svg(
        names=[_group_label(g, data, several) for g in drawn],
        n=[g["n"] for g in drawn],
        mean=[g["mean"] for g in drawn],
        ci_low=[g["ci_low"] for g in drawn],
        ci_high=[g["ci_high"] for g in drawn],
        q1=[g["q1"] for g in drawn],
        q3=[g["q3"] for g in drawn],
        overall_mean=data["mean"],
        omitted=omitted,
        title=title,
        x_label=_("Score (0–10)"),
        mean_label=_("Mean score"),
        interval_label=_("95% confidence interval of the mean"),
        quartiles_label=_("Middle half of the scores (Q1–Q3)"),
        overall_label=_("Mean of all"),
        count_label="n",
        omitted_label=ngettext("… %(n)d more in between …", "… %(n)d more in between …", omitted) % {"n": omitted},
        empty_label=empty,
        description=f"{title}. {described}" if described else f"{title}. {empty}",
        numbers=numbers,
        narrow=narrow,
    )


# --- item curves ----------------------------------------------------------------------------------


def _item_label(row: dict) -> str:
    return _("Item %(position)d") % {"position": row["position"]}


def _selected_index(data: dict) -> int | None:
    if data["selected"] is None:
        return None
    return next(i for i, row in enumerate(data["items"]) if row["position"] == data["selected"])


def icc_chart(data: dict, numbers: charts.Numbers, narrow: bool = False) -> bytes:
    selected = _selected_index(data)
    items = data["items"]
    if selected is None:
        title = _("Item characteristic curves")
        described = "; ".join(
            _("%(item)s: a = %(a)s, b = %(b)s, c = %(c)s")
            % {"item": _item_label(row), "a": numbers(row["a"]), "b": numbers(row["b"]), "c": numbers(row["c"])}
            for row in items
        )
    else:
        title = _("Item characteristic curve of item %(position)d") % {"position": data["selected"]}
        described = "; ".join(
            _("θ %(theta)s: %(proportion)s%% right of %(n)s (the curve: %(expected)s%%)")
            % {
                "theta": numbers(row["theta"]),
                "proportion": numbers(100 * row["proportion"], 0),
                "n": row["n"],
                "expected": numbers(100 * row["expected"], 0),
            }
            for row in data["empirical"]
        )
    return charts.icc_svg(
        theta=data["theta"],
        labels=[_item_label(row) for row in items],
        curves=[row["probability"] for row in items],
        selected=selected,
        empirical_theta=[row["theta"] for row in data["empirical"]],
        empirical_proportion=[row["proportion"] for row in data["empirical"]],
        title=title,
        x_label=_("Ability θ"),
        y_label=_("Probability of full marks"),
        empirical_label=_("Share with full marks, by ability group"),
        empty_label=_("No item of this sitting has IRT parameters."),
        description=f"{title}. {described}".strip(),
        numbers=numbers,
        narrow=narrow,
    )


def information_chart(data: dict, numbers: charts.Numbers, narrow: bool = False) -> bytes:
    selected = _selected_index(data)
    title = (
        _("Information") if selected is None else _("Information of item %(position)d") % {"position": data["selected"]}
    )
    described = "; ".join(
        _("θ %(theta)s: information %(information)s, standard error %(se)s")
        % {
            "theta": numbers(row["theta"]),
            "information": _score(row["information"], numbers),
            "se": _score(row["standard_error"], numbers),
        }
        for row in data["test_information_at"]
    )
    return charts.information_svg(
        theta=data["theta"],
        labels=[_item_label(row) for row in data["items"]],
        curves=[row["information"] for row in data["items"]],
        selected=selected,
        test_information=[value if value is not None else float("nan") for value in data["test_information"]],
        standard_error=[value if value is not None else float("nan") for value in data["standard_error"]],
        title=title,
        x_label=_("Ability θ"),
        y_label=_("Information"),
        test_label=_("Test information (counted items)"),
        se_label=_("Standard error of θ"),
        empty_label=_("No item of this sitting has IRT parameters."),
        description=f"{title}. {described}".strip(),
        numbers=numbers,
        narrow=narrow,
    )


# --- a candidate's timeline -------------------------------------------------------------------------


def _event_kind(event: dict) -> str:
    if event["kind"] == "flag":
        return charts.FLAGGED if event["flagged"] else charts.UNFLAGGED
    return charts.ANSWERED if event["text"] else charts.CLEARED


def timeline_chart(data: dict, numbers: charts.Numbers, narrow: bool = False) -> bytes:
    events = data["events"]
    n_rows = max([item["position"] for item in data["items"]] + [1])
    title = _("Changes of the answers in time")
    described = ngettext(
        "%(n)d change of the answers over %(minutes)s minutes.",
        "%(n)d changes of the answers over %(minutes)s minutes.",
        len(events),
    ) % {"n": len(events), "minutes": numbers(events[-1]["minutes"] if events else 0, 1)}
    return charts.timeline_svg(
        minutes=[event["minutes"] for event in events],
        rows=[event["position"] for event in events],
        kinds=[_event_kind(event) for event in events],
        n_rows=n_rows,
        pauses=[(span["from"], span["to"]) for span in data["pauses"]],
        submitted=data["submitted_minutes"],
        title=title,
        x_label=_("Minutes from the start"),
        y_label=_("Item"),
        kind_labels={
            charts.ANSWERED: _("Answered"),
            charts.CLEARED: _("Answer cleared"),
            charts.FLAGGED: _("Flagged"),
            charts.UNFLAGGED: _("Flag removed"),
        },
        pause_label=_("Paused"),
        submitted_label=_("Handed in"),
        empty_label=_("No answer was given."),
        description=f"{title}. {described}",
        numbers=numbers,
        narrow=narrow,
    )


# --- the views ---------------------------------------------------------------------------------------


def _groups_context(data: dict) -> dict:
    several = len({g["school"] for g in data["groups"]}) > 1
    for group in data["groups"]:
        group["label"] = _group_label(group, data, several)
    drawn, omitted = _drawn(data["groups"])
    return {**data, "drawn": len(drawn), "omitted": omitted}


@page_for(*ASSESSORS)
@require_GET
def board_charts(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """The score distribution, the classes and the schools of a sitting, each with its figures."""
    sitting = _sitting(request, sitting_id)
    numbers = _numbers()
    distribution = chart_data.distribution(sitting)
    return render(
        request,
        "frontend/board_charts.html",
        {
            "sitting": sitting,
            "distribution": distribution,
            "distribution_text": _distribution_text(distribution, numbers),
            "classes": _groups_context(chart_data.class_comparison(sitting)),
            "schools": _groups_context(chart_data.school_comparison(sitting)),
        },
    )


def _curves(sitting: Sitting, position: int | None) -> dict:
    try:
        return chart_data.item_curves(sitting, position)
    except chart_data.UnknownItem:
        raise Http404 from None


SVG_CHARTS: dict[str, Callable[[Sitting, HttpRequest, charts.Numbers, bool], bytes]] = {
    "distribution": lambda sitting, request, *style: distribution_chart(chart_data.distribution(sitting), *style),
    "classes": lambda sitting, request, *style: groups_chart(chart_data.class_comparison(sitting), *style),
    "schools": lambda sitting, request, *style: groups_chart(chart_data.school_comparison(sitting), *style),
    "icc": lambda sitting, request, *style: icc_chart(_curves(sitting, _position(request)), *style),
    "information": lambda sitting, request, *style: information_chart(_curves(sitting, _position(request)), *style),
}


@page_for(*ASSESSORS)
@require_GET
def board_chart_svg(request: HttpRequest, sitting_id: int, name: str) -> HttpResponse:
    """One chart of a sitting as an SVG picture (``SVG_CHARTS``), in the request's language."""
    draw = SVG_CHARTS.get(name)
    if draw is None:
        raise Http404
    narrow, language = _picture(request)
    sitting = _sitting(request, sitting_id)
    with language:
        return _svg(draw(sitting, request, _numbers(), narrow))


@page_for(*ASSESSORS)
@require_GET
def board_item_curves(request: HttpRequest, sitting_id: int) -> HttpResponse:
    """The items' characteristic and information curves, all or one (``?item=<position>``)."""
    sitting = _sitting(request, sitting_id)
    data = _curves(sitting, _position(request))
    types = dict(ItemType.choices)
    for row in data["items"]:
        row["type_label"] = types.get(row["item_type"], row["item_type"])
    selected = next((row for row in data["items"] if row["position"] == data["selected"]), None)
    return render(
        request,
        "frontend/board_item_curves.html",
        {
            "sitting": sitting,
            "curves": data,
            "selected": selected,
            "query": f"?item={data['selected']}" if selected else "",
        },
    )


def _candidate(sitting: Sitting, attempt_id: int) -> dict:
    try:
        return chart_data.candidate(sitting, attempt_id)
    except Attempt.DoesNotExist:
        raise Http404 from None


STATUS_LABELS = {
    "correct": lambda: pgettext("an item's outcome", "Full marks"),
    "partial": lambda: pgettext("an item's outcome", "Part of the marks"),
    "wrong": lambda: pgettext("an item's outcome", "No marks"),
    "unanswered": lambda: pgettext("an item's outcome", "Not answered"),
    "pending": lambda: pgettext("an item's outcome", "Awaiting a marker"),
}


@page_for(*ASSESSORS)
@require_GET
def board_candidate(request: HttpRequest, sitting_id: int, attempt_id: int) -> HttpResponse:
    """One candidate's result, answers, keys and scores, and the replay of their changes."""
    sitting = _sitting(request, sitting_id)
    data = _candidate(sitting, attempt_id)
    types = dict(ItemType.choices)
    for item in data["items"]:
        item["type_label"] = types.get(item["item_type"], item["item_type"])
        item["status_label"] = STATUS_LABELS[item["status"]]() if item["status"] else ""
        item["status_class"] = item["status"] or "unscored"
    return render(
        request,
        "frontend/board_candidate.html",
        {
            "sitting": sitting,
            "candidate": data,
            "replay": {
                "items": [item["position"] for item in data["items"]],
                "events": [
                    {key: event[key] for key in ("seq", "position", "kind", "text", "flagged", "clock")}
                    for event in data["events"]
                ],
            },
            "minutes": _numbers()(data["events"][-1]["minutes"], 1) if data["events"] else "0",
            "started_at": parse_datetime(data["started_at"]) if data["started_at"] else None,
            "submitted_at": parse_datetime(data["submitted_at"]) if data["submitted_at"] else None,
        },
    )


@page_for(*ASSESSORS)
@require_GET
def board_candidate_timeline(request: HttpRequest, sitting_id: int, attempt_id: int) -> HttpResponse:
    """A candidate's changes of their answers in time, as an SVG picture."""
    narrow, language = _picture(request)
    sitting = _sitting(request, sitting_id)
    data = _candidate(sitting, attempt_id)
    with language:
        return _svg(timeline_chart(data, _numbers(), narrow))
