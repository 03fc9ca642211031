"""The assessments pages of teachers and exam boards: the list with the wizard, and one
assessment with its forms, test codes and sittings. No logic here: the selectors and services
of ``assess`` answer, and the pages' script acts through the REST API."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts import selectors as account_selectors
from accounts.permissions import ASSESSORS, BOARD, page_for, scope_of
from assess import authoring, presets, selectors, sittings
from assess.models import Assessment, AssessmentPart, Form, FormItem
from itembank.models import Subject

from .assessment_text import assessment_text
from .bank_text import item_text


def _context(request: HttpRequest, **config: object) -> dict:
    user = request.user
    return {
        "bank_config": {
            "user": {"id": user.pk, "role": user.role, "board": scope_of(user).has_role(*BOARD)},
            **config,
        },
        "bank_text": assessment_text(),
        "item_text": item_text(),
    }


@page_for(*ASSESSORS)
def assessments(request: HttpRequest) -> HttpResponse:
    """The assessments one may see, and the wizard that makes a new one (from a preset)."""
    rows = (
        authoring.assessments_visible_to(request.user)
        .annotate(
            masters=Count("forms", filter=Q(forms__kind=Form.Kind.MASTER), distinct=True),
            sitting_count=Count("sittings", distinct=True),
        )
        .order_by("-created_at", "-id")[:300]
    )
    scope = scope_of(request.user)
    context = _context(
        request,
        presets=[presets.preset_data(preset) for preset in presets.PRESETS.values()],
        schoolYear=account_selectors.current_school_year(),
        periodicAllowed=scope.has_role(*BOARD),
        organisations=[{"id": o.pk, "name": o.name} for o in account_selectors.organisations_managed_by(request.user)],
    )
    return render(
        request,
        "frontend/assessments.html",
        {
            **context,
            "assessments": rows,
            "subjects": Subject.objects.order_by("name"),
            "grades": range(1, 13),
            "score_steps": Assessment.ScoreStep.choices,
        },
    )


def _minutes(delta) -> int | None:
    return int(delta.total_seconds() // 60) if delta is not None else None


def _navigation_choices() -> list[dict[str, str]]:
    """The navigations of a section, each with the one line that says what the candidate may do."""
    explanations = {
        AssessmentPart.Navigation.FREE: _(
            "Any question of the part, in any order; the candidate may come back to it later unless it has "
            "a time limit or a break follows."
        ),
        AssessmentPart.Navigation.LINEAR: _(
            "One question at a time, in order: a question left cannot be answered again."
        ),
        AssessmentPart.Navigation.NO_RETURN: _(
            "Any question of the part, in any order, but the part closes for good once the candidate leaves it."
        ),
    }
    return [
        {"value": value, "label": str(label), "explanation": explanations[AssessmentPart.Navigation(value)]}
        for value, label in AssessmentPart.Navigation.choices
    ]


@page_for(*ASSESSORS)
def assessment_page(request: HttpRequest, assessment_id: int) -> HttpResponse:
    """One assessment: its structure, forms and codes, and its sittings."""
    assessment = (
        authoring.assessments_visible_to(request.user)
        .select_related("subject", "organisation")
        .prefetch_related("parts")
        .filter(pk=assessment_id)
        .first()
    )
    if assessment is None:
        raise Http404
    forms = (
        Form.objects.filter(assessment=assessment, kind=Form.Kind.MASTER)
        .annotate(item_count=Count("form_items", distinct=True), code_count=Count("test_codes", distinct=True))
        .select_related("blueprint")
        .prefetch_related(Prefetch("test_codes", queryset=Form.objects.order_by("code")))
        .order_by("code")
    )
    forms = list(forms)
    trial: dict[int, list[int]] = {}
    for form_id, position in FormItem.objects.filter(form__in=forms, trial=True).values_list("form_id", "position"):
        trial.setdefault(form_id, []).append(position)
    for form in forms:
        form.trial_positions = sorted(trial.get(form.pk, []))
    runs = sittings.sittings_run_by(request.user).filter(assessment=assessment).order_by("-opens_at")
    sections_locked = authoring.sections_locked(assessment)
    year = assessment.school_year
    classes = account_selectors.classes_for(request.user, school_year=year)
    parts = list(assessment.parts.all())
    sections = [
        {
            "index": index,
            "label": part.label,
            "time_limit_minutes": _minutes(part.time_limit),
            "navigation": part.navigation,
            "break_minutes": _minutes(part.break_after),
            "last": index == len(parts) - 1,
        }
        for index, part in enumerate(parts)
    ]
    context = _context(
        request,
        assessment={
            "id": assessment.pk,
            "kind": assessment.kind,
            "subject": assessment.subject.code,
            "parts": [
                {"position": p.position, "label": p.label, "item_type": p.item_type, "item_count": p.item_count}
                for p in assessment.parts.all()
            ],
        },
        canChange=authoring.may_manage(request.user, assessment),
        classes=[{"id": c.pk, "name": c.name, "school": c.school.name, "grade": c.grade} for c in classes],
    )
    return render(
        request,
        "frontend/assessment.html",
        {
            **context,
            "assessment": assessment,
            "total_points": sum(p.item_count * p.points_per_item for p in assessment.parts.all()),
            "forms": forms,
            "sittings": runs,
            "can_change": context["bank_config"]["canChange"],
            "is_exam": assessment.kind == Assessment.Kind.PERIODIC,
            "sections": sections,
            "sections_locked": sections_locked,
            "sections_editable": context["bank_config"]["canChange"] and not sections_locked,
            "navigation_choices": _navigation_choices(),
            "max_break_minutes": authoring.MAX_BREAK_MINUTES,
        },
    )


@page_for(*ASSESSORS)
def form_preview(request: HttpRequest, form_id: int) -> HttpResponse:
    """A form or a test code as a student gets it (the same renderer, read-only, no key)."""
    form = (
        Form.objects.filter(assessment__in=authoring.assessments_visible_to(request.user))
        .select_related("assessment", "parent")
        .filter(pk=form_id)
        .first()
    )
    if form is None:
        raise Http404
    master = form.parent or form
    return render(
        request,
        "frontend/form_preview.html",
        {
            **_context(request),
            "form": form,
            "master": master,
            "codes": Form.objects.filter(parent=master).order_by("code"),
            "items": list(selectors.form_view(form.pk)),
        },
    )
