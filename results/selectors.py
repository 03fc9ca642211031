"""Reads of marking: a script as a marker sees it, a plan's progress, a marker's sittings."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count

from accounts.models import User
from assess.models import Answer, Sitting
from assess.selectors import form_content
from scoring.item_rules import count_words

from .marking import marks_needed, own_students
from .models import Calibration, Mark, Marker, MarkingPlan, Script


def script_view(script: Script, *, marker: User) -> dict[str, Any]:
    """A script as its marker sees it: the code, the question, the rubric and the response;
    never the candidate (name, number, class, other answers) nor, in double marking, the
    other marker's mark."""
    form_item = script.form_item
    view = next(entry for entry in form_content(form_item.form_id) if entry["item"] == form_item.position)
    key = form_item.item_version.scoring_key()
    response = Answer.objects.filter(attempt_id=script.attempt_id, form_item_id=form_item.pk).values_list(
        "value", flat=True
    )
    text = next(iter(response), None)
    text = text if isinstance(text, str) else ""
    round_ = Mark.Round.ADJUDICATION if script.status == Script.Status.ADJUDICATION else None
    view_marks = []
    if round_ == Mark.Round.ADJUDICATION:  # an adjudicator sees both marks: that is the point
        view_marks = [
            {"round": m.round, "points": str(m.points), "levels": m.levels, "comment": m.comment}
            for m in script.marks.all()
        ]
    elif not script.marks.exists():
        round_ = Mark.Round.FIRST
    else:
        round_ = Mark.Round.SECOND
    return {
        "code": script.code,
        "plan": script.plan_id,
        "sitting": script.plan.sitting.title,
        "round": round_,
        "points": str(form_item.points),
        "stem_html": view["stem_html"],
        "stimulus": view.get("stimulus"),
        "rubric": key.get("rubric") or [],
        "response": text,
        "words": count_words(text),
        "marks": view_marks,
        "claimed_until": script.claimed_until.isoformat() if script.claimed_until else None,
    }


def plan_progress(plan: MarkingPlan) -> dict[str, Any]:
    """How far the marking of a sitting is: scripts by status, and per marker the marks given
    by round and how many scripts are still on their desk."""
    by_status: dict[str, int] = dict(plan.scripts.values_list("status").annotate(n=Count("pk")))
    given: dict[int, Counter] = defaultdict(Counter)
    for marker_id, round_, n in (
        Mark.objects.filter(script__plan=plan).values_list("marker_id", "round").annotate(n=Count("pk"))
    ):
        given[marker_id][round_] = n
    markers = []
    for marker in plan.markers.select_related("user").order_by("user__last_name", "user__first_name", "user_id"):
        counts = given.pop(marker.user_id, Counter())
        markers.append(_marker_row(marker.user, marker.adjudicator, counts))
    # marks by people no longer markers of the plan stand: they are shown too
    for user in User.objects.filter(pk__in=given).order_by("pk"):
        markers.append({**_marker_row(user, False, given[user.pk]), "removed": True})
    total = sum(by_status.values())
    return {
        "plan": plan.pk,
        "sitting": plan.sitting_id,
        "double": plan.double,
        "tolerance": str(plan.tolerance),
        "scripts": total,
        "open": by_status.get(Script.Status.OPEN, 0),
        "adjudication": by_status.get(Script.Status.ADJUDICATION, 0),
        "done": by_status.get(Script.Status.DONE, 0),
        "marks_needed": total * marks_needed(plan),
        "markers": markers,
    }


def _marker_row(user: User, adjudicator: bool, counts: Counter) -> dict[str, Any]:
    return {
        "user": user.pk,
        "username": user.username,
        "name": user.get_full_name() or user.username,
        "adjudicator": adjudicator,
        "first": counts.get(Mark.Round.FIRST, 0),
        "second": counts.get(Mark.Round.SECOND, 0),
        "adjudication": counts.get(Mark.Round.ADJUDICATION, 0),
        "marks": sum(counts.values()),
        "removed": False,
    }


def plans_of_marker(user: User) -> list[dict[str, Any]]:
    """The sittings a person marks, with their own marks given and the scripts left."""
    rows = []
    markers = Marker.objects.filter(user=user).select_related("plan__sitting__assessment__subject").order_by("-plan_id")
    for marker in markers:
        plan = marker.plan
        sitting: Sitting = plan.sitting
        mine = Mark.objects.filter(script__plan=plan, marker=user).count()
        left = plan.scripts.exclude(status=Script.Status.DONE).exclude(marks__marker=user)
        if not marker.adjudicator:
            left = left.exclude(status=Script.Status.ADJUDICATION)
        own = left.filter(attempt__student_id__in=own_students(user, sitting.assessment.school_year)).count()
        rows.append(
            {
                "plan": plan.pk,
                "sitting": sitting.pk,
                "title": sitting.title,
                "subject": sitting.assessment.subject.name,
                "double": plan.double,
                "adjudicator": marker.adjudicator,
                "my_marks": mine,
                "left": left.count() - own,
                "own_students": own,
            }
        )
    return rows


# --- moderation -------------------------------------------------------------------------------

# Flags of the item analysis: an item whose figures call for a look before publication.
EASY_ABOVE = 0.95
HARD_BELOW = 0.2
DISCRIMINATION_BELOW = 0.2


def item_flags(stats: dict[str, Any] | None) -> list[str]:
    """Why an item of a sitting deserves a look: codes the pages translate."""
    if not stats or not stats.get("responses"):
        return []
    flags = []
    p_value, discrimination = stats.get("p_value"), stats.get("corrected_item_total")
    if discrimination is not None and discrimination < 0:
        flags.append("negative")
    elif discrimination is not None and discrimination < DISCRIMINATION_BELOW:
        flags.append("low_discrimination")
    if p_value is not None and p_value > EASY_ABOVE:
        flags.append("very_easy")
    if p_value is not None and p_value < HARD_BELOW:
        flags.append("very_hard")
    options = (stats.get("options") or {}).get("choices") or []
    key_rpb = next((o["point_biserial"] for o in options if o.get("key")), None)
    if key_rpb is not None and any(
        not o.get("key") and o.get("option") is not None and (o.get("point_biserial") or -1) > key_rpb for o in options
    ):
        flags.append("distractor")  # stronger candidates chose another option than the key
    return flags


def moderation_view(sitting: Sitting) -> dict[str, Any]:
    """Every item of the sitting's master form: how it is scored now, its figures from the last
    finished scoring run with its flags, and the changes made so far."""
    from assess.models import FormItem, ScoringRun

    from .models import ModerationChange

    master_id = sitting.form.parent_id or sitting.form_id
    view = {entry["item"]: entry for entry in form_content(master_id)}
    run = ScoringRun.objects.filter(sitting=sitting, status=ScoringRun.Status.DONE).order_by("-finished_at").first()
    statistics = {item["position"]: item for item in ((run.statistics or {}).get("items", []) if run else [])}
    items = []
    for form_item in (
        FormItem.objects.filter(form_id=master_id).select_related("item_version__item").order_by("position")
    ):
        version = form_item.item_version
        own_key = version.scoring_key().get("key") if version.item.item_type == "single_choice" else None
        stats = statistics.get(form_item.position)
        items.append(
            {
                "position": form_item.position,
                "item_type": version.item.item_type,
                "item_type_label": str(version.item.get_item_type_display()),
                "points": str(form_item.points),
                "stem_html": view.get(form_item.position, {}).get("stem_html", ""),
                "options": [
                    {"id": str(o.get("id")), "text": str(o.get("text", ""))}
                    for o in version.content.get("options", [])
                    if isinstance(o, dict)
                ]
                if version.item.item_type == "single_choice"
                else [],
                "own_key": own_key,
                "key": (form_item.key_override or {}).get("key", own_key),
                "accepted": [k.get("key") for k in form_item.accepted_keys if isinstance(k, dict)],
                "dropped": form_item.dropped,
                "trial": form_item.trial,
                "statistics": stats,
                "flags": item_flags(stats),
            }
        )
    changes = ModerationChange.objects.filter(sitting=sitting).select_related("created_by", "applied_by")[:100]
    return {
        "sitting": sitting.pk,
        "run": run.pk if run else None,
        "attempts": (run.statistics or {}).get("attempts", 0) if run else 0,
        "items": items,
        "changes": [change_data(change) for change in changes],
    }


def change_data(change) -> dict[str, Any]:
    return {
        "id": change.pk,
        "position": change.position,
        "kind": change.kind,
        "before": change.before,
        "after": change.after,
        "reason": change.reason,
        "summary": change.summary,
        "status": change.status,
        "created_by": change.created_by.username,
        "created_at": change.created_at.isoformat(),
        "applied_by": change.applied_by.username if change.applied_by_id else None,
        "applied_at": change.applied_at.isoformat() if change.applied_at else None,
        "run": change.run_id,
    }


def calibration_data(calibration: Calibration) -> dict[str, Any]:
    """A calibration as the API and the board's page show it, with its job's progress."""
    from jobs.api import job_data

    from .calibration import writable

    items = [{**row, "writable": writable(row)} for row in calibration.items]
    return {
        "id": calibration.pk,
        "sitting": calibration.sitting_id,
        "model": calibration.model,
        "status": calibration.status,
        "job": job_data(calibration.job) if calibration.job else None,
        "created_by": calibration.created_by.get_full_name() or calibration.created_by.username,
        "created_at": calibration.created_at.isoformat(),
        "finished_at": calibration.finished_at.isoformat() if calibration.finished_at else None,
        "persons": calibration.persons,
        "anchors": calibration.anchors,
        "converged": calibration.converged,
        "iterations": calibration.iterations,
        "latent_mean": calibration.latent_mean,
        "latent_sd": calibration.latent_sd,
        "seconds": calibration.seconds,
        "error": calibration.error,
        "applied_by": (calibration.applied_by.get_full_name() or calibration.applied_by.username)
        if calibration.applied_by
        else None,
        "applied_at": calibration.applied_at.isoformat() if calibration.applied_at else None,
        "written": calibration.written,
        "items": items,
    }
