"""Calibration of a sitting back into the item bank.

The exam board calibrates a sitting's responses (``calibration_start``: a job, run by a Celery
worker), reviews the items' parameters, standard errors and fit, then writes the parameters of
the items it chose back into the bank (``calibration_apply``), each version with its provenance.

What is calibrated: every candidate's first handed-in and scored attempt, one column per item
of the master form (test codes line up with it), each response coded 1 when it earned the
item's full points, 0 otherwise (a blank is 0), missing while a person's mark is awaited. So a
true/false group or a numeric item with partial credit is calibrated as "full marks or not",
which is what its 2PL/3PL parameters in the bank mean. Left out: items a person marks (essays),
items nobody answered differently (all right or all wrong) and items with fewer than
``CALIBRATION_MIN_RESPONSES`` responses.

The scale: items whose version holds bank parameters are *anchors*, fixed at those values, so
the other items (new and trial items) come out on the bank's scale and the sample's ability
mean and SD are estimated (``scoring.calibrate`` with ``anchors``). An item re-keyed or given
further keys by moderation is no anchor (its bank parameters describe the version's own key)
and its parameters are never written back: they describe the moderated key, not the version.
With fewer than ``CALIBRATION_MIN_ANCHORS`` anchors the calibration is on the sitting's own
scale (ability N(0, 1)), and the review page says so.

Fit: infit and outfit mean squares (``scoring.fit.item_fit``) at each candidate's EAP ability
under the estimated parameters. Flags: a slope below 0.3 (weak) or above 4, a difficulty beyond
±4, a standard error of ``b`` above 0.5, a mean square outside ``CALIBRATION_FIT_RANGE``.

Writing back: only from a finished calibration, once, refused if the sitting's moderation
changed since (the responses it read are not the results any more), or if an anchor's bank
parameters changed since. Anchors keep their values; each written version records
``calibration:<id> sitting:<id> <model> anchors:<n> n:<persons>`` and the time, and the
calibration keeps what each version held before.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import BOARD, scope_of
from assess import scoring_runs
from assess.models import FormItem, Result, Sitting
from assess.sittings import require_runner
from itembank.models import ItemVersion
from scoring import ItemParams, calibrate
from scoring.fit import item_fit
from scoring.irt import estimate_ability

from .models import Calibration, ModerationChange

Report = Callable[[int, int, str], None]

ANCHOR, NEW, LEFT_OUT = "anchor", "new", "left_out"
ROLES = (ANCHOR, NEW, LEFT_OUT)
PERSON_MARKED = ("essay",)
WEAK_SLOPE, STEEP_SLOPE, EXTREME_B, IMPRECISE_B = 0.3, 4.0, 4.0, 0.5


def _require_board(user: User, sitting: Sitting) -> None:
    require_runner(user, sitting)
    if not scope_of(user).has_role(*BOARD):
        raise PermissionDenied(_("Only the exam board calibrates items into the bank."))


def _applied_changes(sitting: Sitting) -> int:
    return ModerationChange.objects.filter(sitting=sitting, status=ModerationChange.Status.APPLIED).count()


def master_items(sitting: Sitting) -> list[FormItem]:
    return list(
        FormItem.objects.filter(form_id=sitting.form_id).select_related("item_version__item").order_by("position")
    )


@transaction.atomic
def calibration_start(*, by: User, sitting_id: int, model: str = Calibration.Model.TWO_PL) -> Calibration:
    """Queue a calibration of the sitting's responses (a job the page and the API follow)."""
    from jobs.services import job_start  # jobs runs the work; it imports no app above it

    sitting = Sitting.objects.select_for_update().select_related("form").get(pk=sitting_id)
    _require_board(by, sitting)
    if model not in Calibration.Model.values:
        raise ValidationError({"model": [_("Choose 2PL or 3PL.")]})
    if scoring_runs.running(sitting).exists():
        raise ValidationError({"sitting": [_("The sitting is being scored: calibrate once its scoring is done.")]})
    if sitting.calibrations.filter(status__in=(Calibration.Status.QUEUED, Calibration.Status.RUNNING)).exists():
        raise ValidationError({"sitting": [_("A calibration of this sitting is already running.")]})
    persons = _responses_query(sitting).count()
    needed = settings.CALIBRATION_MIN_PERSONS
    if persons < needed:
        raise ValidationError(
            {
                "sitting": [
                    _(
                        "A calibration needs the scored responses of at least %(needed)d candidates; this sitting has %(count)d."
                    )
                    % {"needed": needed, "count": persons}
                ]
            }
        )
    calibration = Calibration.objects.create(sitting=sitting, model=model, created_by=by)
    calibration.job = job_start(by=by, kind="calibration", params={"calibration": calibration.pk})
    calibration.save(update_fields=["job"])
    return calibration


def _responses_query(sitting: Sitting):
    return Result.objects.filter(attempt__sitting=sitting, attempt__number=1, attempt__status__in=scoring_runs.SCORED)


def response_matrix(sitting: Sitting, items: Sequence[FormItem], *, label: str | None = None):
    """Candidates x master items: 1 full points, 0 less (a blank too), NaN awaiting a mark.

    With ``label`` (a field path from the result, e.g. ``"attempt__student__gender"``), also
    each candidate's value of it, in the rows' order: ``(matrix, labels)``."""
    query = _responses_query(sitting).order_by("attempt_id").annotate(text=Cast("item_scores", TextField()))
    found = list(query.values_list("text", label) if label else query.values_list("text"))
    # One parse of the whole column: "null" (awaiting a marker) becomes NaN.
    whole = "[" + ",".join(row[0] for row in found) + "]"
    rows = json.loads(whole.replace("null", "NaN"))
    keep = [k for k, row in enumerate(rows) if len(row) == len(items)]
    scores = np.array([rows[k] for k in keep], dtype=np.float64).reshape(len(keep), len(items))
    points = np.array([float(fi.points) for fi in items])
    coded = np.where(scores >= points - 1e-9, 1.0, 0.0)
    coded[np.isnan(scores)] = np.nan
    if label is None:
        return coded
    return coded, [found[k][1] for k in keep]


def _bank(version: ItemVersion) -> dict[str, float] | None:
    if version.irt_a is None or version.irt_b is None:
        return None
    return {"a": version.irt_a, "b": version.irt_b, "c": version.irt_c or 0.0}


def _moderated(fi: FormItem) -> bool:
    return bool(fi.key_override or fi.accepted_keys)


def _number(value: Any, places: int = 4) -> float | None:
    value = float(value)
    return round(value, places) if math.isfinite(value) else None


def calibration_run(*, by: User, calibration_id: int, report: Report | None = None) -> dict[str, Any]:
    """Calibrate (a job's work): read the responses, estimate, measure the fit, keep it all."""
    report = report or (lambda done, total, message="": None)
    with transaction.atomic():
        calibration = Calibration.objects.select_for_update().select_related("sitting").get(pk=calibration_id)
        if calibration.status != Calibration.Status.QUEUED:
            return {"calibration": calibration.pk, "status": calibration.status}
        _require_board(by, calibration.sitting)
        calibration.status = Calibration.Status.RUNNING
        calibration.save(update_fields=["status"])
    try:
        outcome = _calibrate(calibration, report)
    except Exception as error:
        message = "; ".join(error.messages) if isinstance(error, ValidationError) else str(error)
        Calibration.objects.filter(pk=calibration.pk).update(
            status=Calibration.Status.FAILED, error=message[:500], finished_at=timezone.now()
        )
        raise
    Calibration.objects.filter(pk=calibration.pk).update(
        status=Calibration.Status.DONE, finished_at=timezone.now(), **outcome
    )
    return {"calibration": calibration.pk, "status": Calibration.Status.DONE, "persons": outcome["persons"]}


def _calibrate(calibration: Calibration, report: Report) -> dict[str, Any]:
    started = time.perf_counter()
    sitting = calibration.sitting
    items = master_items(sitting)
    changes = _applied_changes(sitting)
    report(0, 4, _("Reading the responses"))
    matrix = response_matrix(sitting, items)
    rows: list[dict[str, Any]] = []
    columns: list[int] = []
    min_responses = settings.CALIBRATION_MIN_RESPONSES
    for j, fi in enumerate(items):
        version = fi.item_version
        answered = matrix[:, j][~np.isnan(matrix[:, j])]
        bank = _bank(version)
        row: dict[str, Any] = {
            "position": fi.position,
            "item": version.item_id,
            "version": version.pk,
            "version_number": version.number,
            "title": version.item.title,
            "item_type": version.item.item_type,
            "counted": not (fi.trial or fi.dropped),
            "trial": fi.trial,
            "dropped": fi.dropped,
            "moderated": _moderated(fi),
            "bank": bank,
            "responses": int(answered.size),
            "p_value": _number(answered.mean()) if answered.size else None,
            "note": "",
        }
        if version.item.item_type in PERSON_MARKED:
            row["role"], row["note"] = LEFT_OUT, "person_marked"
        elif answered.size < min_responses:
            row["role"], row["note"] = LEFT_OUT, "few_responses"
        elif answered.min() == answered.max():
            row["role"], row["note"] = LEFT_OUT, "no_variance"
        else:
            row["role"] = ANCHOR if bank is not None and not _moderated(fi) else NEW
            columns.append(j)
        rows.append(row)
    anchors = [k for k, j in enumerate(columns) if rows[j]["role"] == ANCHOR]
    if len(anchors) < settings.CALIBRATION_MIN_ANCHORS:
        for j in columns:
            rows[j]["role"] = NEW
        anchors = []
    if len(columns) - len(anchors) < 1:
        raise ValidationError(_("Every item of this sitting is an anchor or left out: there is nothing to calibrate."))
    data = matrix[:, columns]
    # Candidates who answered none of the calibrated items carry no information.
    data = data[~np.all(np.isnan(data), axis=1)]
    report(1, 4, _("Estimating the parameters"))
    anchor_spec = None
    if anchors:
        banks = [rows[columns[k]]["bank"] for k in anchors]
        anchor_spec = (
            np.array(anchors),
            ItemParams(
                a=np.array([b["a"] for b in banks]),
                b=np.array([b["b"] for b in banks]),
                c=np.array([b["c"] for b in banks]),
            ),
        )
    result = calibrate(data, calibration.model, anchors=anchor_spec)
    report(2, 4, _("Measuring the fit"))
    params = result.items
    ability = estimate_ability(data, params, prior_mean=result.latent_mean, prior_sd=result.latent_sd)
    fit = item_fit(data, params, ability.theta)
    low, high = settings.CALIBRATION_FIT_RANGE
    for k, j in enumerate(columns):
        row = rows[j]
        estimate = {
            "a": _number(params.a[k]),
            "b": _number(params.b[k]),
            "c": _number(params.c[k]),
            "se_a": _number(result.se.a[k]),
            "se_b": _number(result.se.b[k]),
            "se_c": _number(result.se.c[k]) if calibration.model == Calibration.Model.THREE_PL else None,
            "infit": _number(fit.infit[k], 3),
            "outfit": _number(fit.outfit[k], 3),
        }
        row.update(estimate)
        row["flags"] = _flags(row, low, high)
    report(3, 4, _("Keeping the figures"))
    return {
        "moderation_changes": changes,
        "persons": int(result.n_persons),
        "anchors": len(anchors),
        "converged": bool(result.converged),
        "iterations": int(result.iterations),
        "latent_mean": _number(result.latent_mean),
        "latent_sd": _number(result.latent_sd),
        "loglik": _number(result.loglik, 2),
        "seconds": round(time.perf_counter() - started, 2),
        "items": rows,
    }


def _flags(row: dict[str, Any], low: float, high: float) -> list[str]:
    flags = []
    if row["role"] == NEW:
        a, b, se_b = row["a"], row["b"], row["se_b"]
        if a is not None and a < WEAK_SLOPE:
            flags.append("weak")
        if a is not None and a > STEEP_SLOPE:
            flags.append("steep")
        if b is not None and abs(b) > EXTREME_B:
            flags.append("extreme")
        if se_b is None or se_b > IMPRECISE_B:
            flags.append("imprecise")
    for name in ("infit", "outfit"):
        value = row.get(name)
        if value is not None and not low <= value <= high:
            flags.append("misfit")
            break
    return flags


def writable(row: dict[str, Any]) -> bool:
    """Whether an item's estimate may go into the bank: a new item, not re-keyed, estimated."""
    a, b = row.get("a"), row.get("b")
    return (
        row["role"] == NEW
        and not row["moderated"]
        and a is not None
        and b is not None
        and 0 < a <= 10
        and -10 <= b <= 10
    )


def provenance(calibration: Calibration) -> str:
    return (
        f"calibration:{calibration.pk} sitting:{calibration.sitting_id} {calibration.model.upper()} "
        f"anchors:{calibration.anchors} n:{calibration.persons}"
    )[:200]


@transaction.atomic
def calibration_apply(*, by: User, calibration_id: int, versions: Sequence[int] | None = None) -> Calibration:
    """Write the chosen new items' parameters into the bank (all writable ones when ``versions``
    is None); each version keeps the calibration it came from."""
    calibration = Calibration.objects.select_for_update().select_related("sitting").get(pk=calibration_id)
    sitting = calibration.sitting
    _require_board(by, sitting)
    if calibration.status == Calibration.Status.APPLIED:
        raise ValidationError({"calibration": [_("This calibration was written to the bank already.")]})
    if calibration.status != Calibration.Status.DONE:
        raise ValidationError({"calibration": [_("Only a finished calibration can be written to the bank.")]})
    if _applied_changes(sitting) != calibration.moderation_changes:
        raise ValidationError(
            {"calibration": [_("The sitting's scoring changed since this calibration (moderation): calibrate again.")]}
        )
    rows = {row["version"]: row for row in calibration.items}
    chosen = [version for version, row in rows.items() if writable(row)] if versions is None else list(versions)
    errors = []
    for version in chosen:
        row = rows.get(version)
        if row is None:
            errors.append(_("Version #%(version)s is not an item of this sitting.") % {"version": version})
        elif not writable(row):
            errors.append(
                _("Item %(position)s cannot be written to the bank: %(why)s")
                % {"position": row["position"], "why": _why_not(row)}
            )
    if not chosen:
        errors.append(_("Choose at least one item to write to the bank."))
    if errors:
        raise ValidationError({"versions": errors})
    locked = {v.pk: v for v in ItemVersion.objects.select_for_update().filter(pk__in=list(rows))}
    for row in calibration.items:
        if row["role"] == ANCHOR and _bank(locked[row["version"]]) != row["bank"]:
            raise ValidationError(
                {
                    "calibration": [
                        _("An anchor's parameters in the bank changed since this calibration: calibrate again.")
                    ]
                }
            )
    now = timezone.now()
    source = provenance(calibration)
    written = []
    for version in chosen:
        row, current = rows[version], locked[version]
        written.append({"version": version, "position": row["position"], "before": _bank(current) or None})
        c = row["c"] if calibration.model == Calibration.Model.THREE_PL else None
        # update(): the content guard refuses to save a frozen (published) version; parameters
        # describe how its content behaved, they do not change it.
        ItemVersion.objects.filter(pk=version).update(
            irt_a=row["a"], irt_b=row["b"], irt_c=c, irt_calibration=source, irt_calibrated_at=now
        )
    calibration.status = Calibration.Status.APPLIED
    calibration.applied_by, calibration.applied_at, calibration.written = by, now, written
    calibration.save(update_fields=["status", "applied_by", "applied_at", "written"])
    return calibration


def _why_not(row: dict[str, Any]) -> str:
    if row["role"] == ANCHOR:
        return _("an anchor keeps its bank parameters")
    if row["role"] == LEFT_OUT:
        return _("it was left out of the calibration")
    if row["moderated"]:
        return _("it was re-keyed in this sitting, so its parameters describe another key than the version's")
    return _("its estimate is out of the bank's range (0 < a <= 10, -10 <= b <= 10)")
