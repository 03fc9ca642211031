"""The review of an attempt (``exam_review.html``): each item's responses paired with what they name.

``assess.dashboard.attempt_review`` gives every item as the student saw it (its options,
statements, gaps, premises and responses, elements, each with the id the form showed) and the
student's ``response`` and, where the policy shows it, the ``correct`` one, in those same ids.
:func:`review_item` matches the ids with their text, one shape per family of types, so that
the template shows "your answer" and "correct answer" side by side. Only the server's
rendered fields (``*_html``) are marked safe; what the student typed stays text.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# How itembank.rendering marks a gap of an inline-choice stem.
GAP = re.compile(r'<span class="gap" data-gap="([^"]*)"></span>')


def _decimal(value: object) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def _outcome(score: object, points: object) -> str:
    """full, partial, zero, or pending (not marked yet: an essay waits for a teacher)."""
    got, worth = _decimal(score), _decimal(points)
    if got is None:
        return "pending"
    if got <= 0:
        return "zero"
    return "full" if worth is not None and got >= worth else "partial"


def _html(entry: dict[str, Any]) -> SafeString:
    return mark_safe(entry.get("html", ""))  # rendered and sanitised by the server (itembank.rendering)


def _choices(item: dict[str, Any], shown: bool) -> dict[str, Any]:
    response, correct = item.get("response"), item.get("correct")
    chosen = set(response if isinstance(response, list) else [response] if response else [])
    keys = set(correct if isinstance(correct, list) else [correct] if correct else [])
    rows = [
        {
            "id": option["id"],
            "letter": LETTERS[i % len(LETTERS)],
            "html": _html(option),
            "chosen": option["id"] in chosen,
            "correct": option["id"] in keys if shown and correct is not None else None,
        }
        for i, option in enumerate(item.get("options", []))
    ]
    return {"kind": "choices", "rows": rows}


def _statements(item: dict[str, Any], shown: bool) -> dict[str, Any]:
    response = item.get("response") or {}
    correct = item.get("correct") or {}
    rows = []
    for i, statement in enumerate(item.get("statements", [])):
        yours = response.get(statement["id"]) if isinstance(response, dict) else None
        key = correct.get(statement["id"]) if shown and isinstance(correct, dict) else None
        rows.append(
            {
                "letter": "abcdefghijklmnopqrstuvwxyz"[i % 26],
                "html": _html(statement),
                "yours": yours,
                "correct": key,
                "right": None if key is None else yours == key,
            }
        )
    return {"kind": "statements", "rows": rows}


def _gaps(item: dict[str, Any], shown: bool) -> dict[str, Any]:
    response = item.get("response") if isinstance(item.get("response"), dict) else {}
    correct = item.get("correct") if isinstance(item.get("correct"), dict) else {}
    rows = []
    for i, gap in enumerate(item.get("gaps", [])):
        texts = {option["id"]: option["text"] for option in gap.get("options", [])}
        yours = response.get(gap["id"])
        key = correct.get(gap["id"]) if shown else None
        rows.append(
            {
                "number": i + 1,
                "yours": texts.get(yours) if yours else None,  # plain text: escaped by the template
                "correct": texts.get(key) if key else None,
                "right": None if key is None else yours == key,
            }
        )
    return {"kind": "gaps", "rows": rows}


def _pairs(item: dict[str, Any], shown: bool) -> dict[str, Any]:
    response = item.get("response") if isinstance(item.get("response"), dict) else {}
    correct = item.get("correct") if isinstance(item.get("correct"), dict) else {}
    choices = {
        entry["id"]: {"letter": LETTERS[i % len(LETTERS)], "html": _html(entry)}
        for i, entry in enumerate(item.get("responses", []))
    }
    rows = []
    for i, premise in enumerate(item.get("premises", [])):
        yours = response.get(premise["id"])
        key = correct.get(premise["id"]) if shown else None
        rows.append(
            {
                "number": i + 1,
                "html": _html(premise),
                "yours": choices.get(yours) if yours else None,
                "correct": choices.get(key) if key else None,
                "right": None if key is None else yours == key,
            }
        )
    return {"kind": "pairs", "rows": rows, "responses": list(choices.values())}


def _order(item: dict[str, Any], shown: bool) -> dict[str, Any]:
    elements = {entry["id"]: _html(entry) for entry in item.get("elements", [])}
    response = item.get("response") if isinstance(item.get("response"), list) else []
    correct = item.get("correct") if shown and isinstance(item.get("correct"), list) else []
    yours = [
        {
            "html": elements[shown_id],
            "right": None if not correct else place < len(correct) and correct[place] == shown_id,
        }
        for place, shown_id in enumerate(response)
        if shown_id in elements
    ]
    return {
        "kind": "order",
        "yours": yours,
        "correct": [{"html": elements[i]} for i in correct if i in elements],
    }


def _text(item: dict[str, Any], shown: bool) -> dict[str, Any]:
    response, correct = item.get("response"), item.get("correct") if shown else None
    yours = response if isinstance(response, str) else None
    return {
        "kind": "text",
        "yours": yours,
        "correct": correct if isinstance(correct, str) else None,
        "long": item.get("type") == "essay",
    }


FAMILIES = {
    "single_choice": _choices,
    "multiple_response": _choices,
    "true_false_group": _statements,
    "short_numeric": _text,
    "text_entry": _text,
    "essay": _text,
    "inline_choice": _gaps,
    "matching": _pairs,
    "ordering": _order,
}


@register.filter
def review_item(item: dict[str, Any]) -> dict[str, Any]:
    """One item of a review, its ids matched with their text: ``kind`` (choices, statements,
    text, gaps, pairs, order) and that kind's rows; ``answered``, ``shows_correct`` (the policy
    shows the correct answers), ``no_single_correct`` (shown, but there is none to show: an
    essay, a pattern), ``outcome`` (full, partial, zero, pending) and the ``stem``."""
    shown = "correct" in item
    family = FAMILIES.get(item.get("type", ""))
    shaped = family(item, shown) if family else {"kind": "unknown"}
    response = item.get("response")
    return {
        **shaped,
        "answered": response not in (None, "", [], {}),
        "shows_correct": shown,
        "no_single_correct": shown and item.get("correct") is None,
        "outcome": _outcome(item.get("score"), item.get("points")),
        "stem": _stem(item),
    }


def _stem(item: dict[str, Any]) -> SafeString:
    """The server's stem; an inline-choice stem with each gap numbered as the table below it."""
    stem = item.get("stem_html", "")
    if item.get("type") == "inline_choice":
        numbers = {gap["id"]: i + 1 for i, gap in enumerate(item.get("gaps", []))}
        stem = GAP.sub(
            lambda match: (
                f'<span class="gap review-gap" data-gap="{escape(match.group(1))}">'
                f"({numbers.get(match.group(1), '?')})</span>"
            ),
            stem,
        )
    return mark_safe(stem)  # rendered and sanitised by the server; the numbers are ours
