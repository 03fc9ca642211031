"""A sitting's results as a file (XLSX or CSV): a row a candidate, read with one query however
many there are (a national sitting's 100,000 rows stream into the file)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _

from assess.models import Attempt, Sitting
from printing import tables

FORMATS = ("xlsx", "csv")
CONTENT_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "csv": "text/csv"}


def header() -> list[str]:
    return [
        _("Learner ID"),
        _("Family name"),
        _("Given name"),
        _("Username"),
        _("School"),
        _("Test code"),
        _("Status"),
        _("Raw score"),
        _("Maximum"),
        _("Correct"),
        _("Score (0–10)"),
        _("Responses awaiting a marker"),
        "θ",
        _("θ standard error"),
    ]


def rows(sitting: Sitting) -> Iterator[list[Any]]:
    statuses = dict(Attempt._meta.get_field("status").choices or [])
    values = (
        sitting.attempts.order_by("student__last_name", "student__first_name", "student__username")
        .values_list(
            "student__learner_id",
            "student__last_name",
            "student__first_name",
            "student__username",
            "student__organisation__name",
            "form__code",
            "status",
            "result__raw_score",
            "result__max_score",
            "result__number_correct",
            "result__score_10",
            "result__pending_items",
            "result__theta",
            "result__theta_se",
        )
        .iterator(chunk_size=5000)
    )
    for row in values:
        (learner, family, given, username, school, code, status, raw, maximum, correct, score, pending, theta, se) = row
        yield [
            learner or "",
            family,
            given,
            username,
            school or "",
            code,
            str(statuses.get(status, status)),
            "" if raw is None else str(raw),
            "" if maximum is None else str(maximum),
            "" if correct is None else correct,
            "" if score is None else sitting.assessment.score_text(score),
            "" if pending is None else pending,
            "" if theta is None else round(theta, 3),
            "" if se is None else round(se, 3),
        ]


def results_file(sitting: Sitting, output: str) -> tuple[str, str, bytes]:
    """(file name, content type, bytes) of the sitting's results."""
    name = f"ket-qua-{sitting.pk}.{output}"
    if output == "csv":
        return name, CONTENT_TYPES["csv"], tables.csv_bytes(header(), rows(sitting))
    return name, CONTENT_TYPES["xlsx"], tables.xlsx_bytes([(_("Results"), header(), rows(sitting))])
