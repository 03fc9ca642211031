"""Ready-made structures for a new assessment: the national exam's per subject, and a quick check.

The national graduation exam from 2025 (``shared/DOMAIN.md``): part I single choice (0.25 a
point each), part II groups of four true/false statements (1 point each, the national scale
inside the item), part III short numeric answers (0.5 each in mathematics, 0.25 elsewhere);
the counts and the time depend on the subject. A preset fills the assessment wizard; every
value stays editable before the first form is built.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class PresetPart:
    label: object  # a lazy translation: the assessment stores it in the author's language
    item_type: str
    item_count: int
    points_per_item: Decimal


@dataclass(frozen=True)
class Preset:
    key: str
    name: object  # a lazy translation
    kind: str  # Assessment.Kind
    record_entry_type: str  # RecordEntryType
    minutes: int
    parts: tuple[PresetPart, ...]
    subjects: tuple[str, ...] = ()  # subject codes it is meant for; () for any
    score_step: str = "0.1"  # Assessment.ScoreStep: the national exam counts in quarters

    @property
    def total_points(self) -> Decimal:
        return sum((part.item_count * part.points_per_item for part in self.parts), Decimal(0))


_QUARTER = Decimal("0.25")


def _national(
    key: str,
    name: object,
    minutes: int,
    choice: int,
    groups: int,
    numeric: int,
    numeric_points: str,
    subjects: tuple[str, ...],
) -> Preset:
    parts = [PresetPart(_("Part I"), "single_choice", choice, _QUARTER)]
    if groups:
        parts.append(PresetPart(_("Part II"), "true_false_group", groups, Decimal(1)))
    if numeric:
        parts.append(PresetPart(_("Part III"), "short_numeric", numeric, Decimal(numeric_points)))
    return Preset(key, name, "periodic", "endterm", minutes, tuple(parts), subjects, score_step="0.25")


PRESETS: dict[str, Preset] = {
    preset.key: preset
    for preset in (
        _national("national_mathematics", _("National exam: mathematics"), 90, 12, 4, 6, "0.5", ("toan",)),
        _national(
            "national_sciences",
            _("National exam: physics, chemistry, biology, geography"),
            50,
            18,
            4,
            6,
            "0.25",
            ("vat-li", "hoa-hoc", "sinh-hoc", "dia-li"),
        ),
        _national(
            "national_social",
            _("National exam: history, economics and law, technology"),
            50,
            24,
            4,
            0,
            "0.25",
            ("lich-su", "gdktpl", "cong-nghe"),
        ),
        Preset(
            "national_foreign_language",
            _("National exam: foreign language"),
            "periodic",
            "endterm",
            50,
            (PresetPart(_("Part I"), "single_choice", 40, _QUARTER),),
            ("tieng-anh",),
            score_step="0.25",
        ),
        Preset(
            "national_literature",
            _("National exam: literature (essay)"),
            "periodic",
            "endterm",
            120,
            (
                PresetPart(_("Reading"), "essay", 1, Decimal(4)),
                PresetPart(_("Writing"), "essay", 1, Decimal(6)),
            ),
            ("ngu-van",),
            score_step="0.25",
        ),
        Preset(
            "continuous_15",
            _("15-minute continuous check"),
            "continuous",
            "continuous",
            15,
            (PresetPart(_("Part I"), "single_choice", 10, Decimal(1)),),
        ),
    )
}


def preset_data(preset: Preset) -> dict:
    """A preset as the API and the wizard show it (points as decimal strings)."""
    return {
        "key": preset.key,
        "name": str(preset.name),
        "kind": preset.kind,
        "record_entry_type": preset.record_entry_type,
        "score_step": preset.score_step,
        "duration_minutes": preset.minutes,
        "subjects": list(preset.subjects),
        "total_points": str(preset.total_points),
        "parts": [
            {
                "label": str(part.label),
                "item_type": part.item_type,
                "item_count": part.item_count,
                "points_per_item": str(part.points_per_item),
                "scoring": "as_authored",
            }
            for part in preset.parts
        ],
    }
