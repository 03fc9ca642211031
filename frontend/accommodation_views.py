"""The accommodations section of the board's sitting page (extra time, larger text, a separate
room, for a candidate or a class). The section holds no data: its script
(``board_accommodations.js``) reads and writes ``/api/sittings/<id>/accommodations/``, where
every check is made (``assess.accommodations``). The view hands it whom it may choose."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from assess import accommodations
from assess.models import Sitting

from .accommodation_text import accommodation_text


def board_accommodations_context(request: HttpRequest, sitting: Sitting) -> dict[str, Any]:
    """Shown to whom the API lets set them: the exam board overseeing the sitting."""
    if not accommodations.may_set(request.user, sitting):  # type: ignore[arg-type]
        return {"accommodations_section": False}
    candidates, classes = accommodations.choices_of(sitting)
    return {
        "accommodations_section": True,
        "accommodations_config": {"sitting": sitting.pk, "candidates": candidates, "classes": classes},
        "accommodations_text": accommodation_text(),
        "accommodations_max_note": accommodations.MAX_NOTE,
        "accommodations_max_minutes": accommodations.MAX_EXTRA_MINUTES,
    }
