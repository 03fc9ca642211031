"""Differential item functioning of a sitting's items, where the board asks: does an item treat
girls and boys (or one school's candidates and the others') differently at the same ability?

Mantel–Haenszel (``scoring.dif``) on the responses as the calibration reads them (full marks
or not, ``results.calibration.response_matrix``), the candidates matched on their total of
those items; each item's MH D-DIF with its standard error and the ETS class: A negligible, B
moderate, C large (look at the item with the subject's experts before publication). Essays are
left out (a person marks them), as are items everyone scored the same on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import Gender, Organisation
from assess.models import Sitting
from scoring.dif import mantel_haenszel_dif

from .calibration import PERSON_MARKED, master_items, response_matrix

BY = ("gender", "school")
FOCAL, REFERENCE = "focal", "reference"


def _number(value: float, places: int = 3) -> float | None:
    return round(float(value), places) if np.isfinite(value) else None


def sitting_dif(sitting: Sitting, *, by: str, focal_school: int | None = None) -> dict[str, Any]:
    """DIF of every item between two groups: girls (focal) and boys (reference), or one school
    (focal) and the sitting's other schools (reference)."""
    if by not in BY:
        raise ValidationError({"by": [_("Compare by gender or by school.")]})
    items = master_items(sitting)
    if by == "gender":
        matrix, labels = response_matrix(sitting, items, label="attempt__student__gender")
        groups = [FOCAL if g == Gender.FEMALE else REFERENCE if g == Gender.MALE else None for g in labels]
        focal_name, reference_name = _("Girls"), _("Boys")
    else:
        school = Organisation.objects.filter(pk=focal_school).first() if focal_school else None
        if school is None:
            raise ValidationError({"focal": [_("Choose the school to compare with the others.")]})
        matrix, labels = response_matrix(sitting, items, label="attempt__student__organisation_id")
        groups = [FOCAL if o == school.pk else REFERENCE for o in labels]
        focal_name, reference_name = school.name, _("The other schools")
    columns = [
        j
        for j, fi in enumerate(items)
        if fi.item_version.item.item_type not in PERSON_MARKED
        and np.unique(matrix[:, j][~np.isnan(matrix[:, j])]).size > 1
    ]
    n_focal, n_reference = groups.count(FOCAL), groups.count(REFERENCE)
    if not columns or min(n_focal, n_reference) < 2:
        raise ValidationError(
            {
                "by": [
                    _(
                        "Both groups need candidates with responses: %(focal)s %(n_focal)s, %(reference)s %(n_reference)s."
                    )
                    % {"focal": focal_name, "n_focal": n_focal, "reference": reference_name, "n_reference": n_reference}
                ]
            }
        )
    # A candidate of neither group (gender not recorded) is left out.
    kept = [k for k, group in enumerate(groups) if group is not None]
    data = matrix[kept][:, columns]
    result = mantel_haenszel_dif(
        data, np.array([groups[k] for k in kept], dtype=object), focal=FOCAL, reference=REFERENCE
    )
    rows = []
    for k, j in enumerate(columns):
        rows.append(
            {
                "position": items[j].position,
                "item": items[j].item_version.item_id,
                "delta": _number(result.delta[k]),
                "se_delta": _number(result.se_delta[k]),
                "p_value": _number(result.p_value[k], 4),
                "ets_class": result.ets_class[k],
                "n_focal": int(result.n_focal[k]),
                "n_reference": int(result.n_reference[k]),
                "note": result.reasons.get(k, ""),
            }
        )
    return {
        "by": by,
        "focal": focal_name,
        "reference": reference_name,
        "n_focal": n_focal,
        "n_reference": n_reference,
        "items": rows,
    }
