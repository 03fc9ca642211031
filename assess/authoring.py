"""Assessments and their forms: the writes a teacher or an exam board makes before a sitting.

An assessment has a structure: parts, each with a number of items of one type (or any),
the points of each item and how they are scored (``AssessmentPart``). A *master form* fills
that structure with exact item versions, picked by hand (:func:`form_build`) or drawn from a
blueprint (:func:`form_draw`); its test codes are made by ``assess.test_codes``.

Who may do what is asked of the permission layer (``accounts.permissions``): an exam board
builds any kind of assessment for the organisations it oversees; a teacher builds continuous
assessments for their own school and manages the ones they created.

A form is *frozen* once a sitting using it has opened, or an attempt on it or one of its
codes has started: nothing of it, or of its codes, changes after that. The structure of an
assessment stays editable until its first form exists.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.permissions import ASSESSORS, BOARD, can_create_assessment, can_manage_assessment, require, scope_of
from itembank import content
from itembank.models import Item, ItemVersion, Subject, Topic, level_names
from itembank.selectors import items_visible_to
from scoring.item_rules import ITEM_TYPES

from . import drawing
from .models import (
    Assessment,
    AssessmentPart,
    Attempt,
    Blueprint,
    Form,
    FormItem,
    RecordEntryType,
    Sitting,
    validate_school_year,
)

MAX_TITLE = 200
MAX_LABEL = 50
MAX_PARTS = 10
MAX_ITEMS_PER_PART = 200
MAX_POINTS_PER_ITEM = Decimal("100")
MAX_MINUTES = 300
MAX_BREAK_MINUTES = 120
MAX_CODE = 20
GRADES = range(1, 13)
_CENT = Decimal("0.01")
# Which record entry each kind may feed (Circular 22/2021).
ENTRY_TYPES = {
    Assessment.Kind.CONTINUOUS: (RecordEntryType.CONTINUOUS,),
    Assessment.Kind.PERIODIC: (RecordEntryType.MIDTERM, RecordEntryType.ENDTERM),
}


@dataclass(frozen=True)
class PartSpec:
    label: str
    item_count: int
    points_per_item: Decimal
    item_type: str = ""
    scoring: str = AssessmentPart.Scoring.AS_AUTHORED
    # Delivery by sections (``assess.sections``): this part's own time, navigation, break after.
    time_limit_minutes: int | None = None
    navigation: str = AssessmentPart.Navigation.FREE
    break_minutes: int | None = None


@dataclass(frozen=True)
class SectionSpec:
    """The delivery policy of one part (its section), as the assessment page sends it."""

    time_limit_minutes: int | None = None
    navigation: str = AssessmentPart.Navigation.FREE
    break_minutes: int | None = None


@dataclass(frozen=True)
class AssessmentSpec:
    """A whole assessment as a client sends it; parts take their positions from their order."""

    title: str
    kind: str
    subject_id: int
    school_year: str
    term: int
    record_entry_type: str
    duration_minutes: int
    parts: tuple[PartSpec, ...]
    grade: int | None = None
    organisation_id: int | None = None
    score_step: str = Assessment.ScoreStep.TENTH


# --- reads --------------------------------------------------------------------------------


def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    """The assessments a person may see: an exam board those of the organisations it
    oversees, a teacher the ones they built. Which items a form holds is kept from everyone
    else before the sitting: a teacher does not see the board's exam for their school."""
    scope = scope_of(user)
    if not scope.has_role(*ASSESSORS):
        return Assessment.objects.none()
    assessments = Assessment.objects.select_related("subject", "organisation")
    if scope.is_admin:
        return assessments
    if scope.has_role(*BOARD):
        return assessments.filter(organisation_id__in=scope.overseen)
    return assessments.filter(created_by_id=scope.user_id, organisation_id__in=scope.overseen)


def may_manage(user: User, assessment: Assessment) -> bool:
    return can_manage_assessment(
        scope_of(user), organisation_id=assessment.organisation_id, created_by_id=assessment.created_by_id
    )


def require_manager(user: User, assessment: Assessment) -> None:
    require(may_manage(user, assessment), _("You may not change this assessment."))


def form_is_frozen(form: Form, now=None) -> bool:
    """Whether a sitting using the form (or its master) has opened, or an attempt on it or
    on one of its test codes has started."""
    master_id = form.parent_id or form.pk
    now = now or timezone.now()
    if Sitting.objects.filter(form_id=master_id, opens_at__lte=now).exists():
        return True
    return Attempt.objects.filter(
        Q(form_id=master_id) | Q(form__parent_id=master_id), started_at__isnull=False
    ).exists()


def sections_locked(assessment: Assessment) -> bool:
    """Whether how the parts are delivered may no longer change: a sitting of it has opened."""
    return any(form_is_frozen(form) for form in assessment.forms.filter(kind=Form.Kind.MASTER))


def _refuse_frozen(form: Form) -> None:
    if form_is_frozen(form):
        raise ValidationError(
            {"form": [_("Form %(code)s is frozen: a sitting using it has opened.") % {"code": form.code}]}
        )


# --- assessments ---------------------------------------------------------------------------


def _check_spec(spec: AssessmentSpec, *, by: User, organisation_id: int) -> None:
    errors: dict[str, list[str]] = defaultdict(list)
    if not spec.title.strip() or len(spec.title) > MAX_TITLE:
        errors["title"].append(_("Give a title of 1 to %(max)d characters.") % {"max": MAX_TITLE})
    if spec.kind not in ENTRY_TYPES:
        errors["kind"].append(_("The kind is continuous or periodic."))
    elif spec.record_entry_type not in ENTRY_TYPES[spec.kind]:
        errors["record_entry_type"].append(
            _("A continuous assessment feeds the continuous scores; a periodic one the mid-term or end-of-term score.")
        )
    if spec.score_step not in Assessment.ScoreStep.values:
        errors["score_step"].append(
            _("The score counts in steps of %(steps)s.") % {"steps": ", ".join(Assessment.ScoreStep.values)}
        )
    if not Subject.objects.filter(pk=spec.subject_id).exists():
        errors["subject"].append(_("No such subject."))
    if spec.grade is not None and spec.grade not in GRADES:
        errors["grade"].append(_("The grade is 1 to 12."))
    try:
        validate_school_year(spec.school_year)
    except ValidationError as error:
        errors["school_year"].extend(error.messages)
    if spec.term not in (1, 2):
        errors["term"].append(_("The semester is 1 or 2."))
    if not 1 <= spec.duration_minutes <= MAX_MINUTES:
        errors["duration_minutes"].append(_("The duration is 1 to %(max)d minutes.") % {"max": MAX_MINUTES})
    if not 1 <= len(spec.parts) <= MAX_PARTS:
        errors["parts"].append(_("Give 1 to %(max)d parts.") % {"max": MAX_PARTS})
    for index, part in enumerate(spec.parts):
        where = f"parts.{index}"
        if not part.label.strip() or len(part.label) > MAX_LABEL:
            errors[f"{where}.label"].append(
                _("Give a label of 1 to %(max)d characters, like Part I.") % {"max": MAX_LABEL}
            )
        if part.item_type and part.item_type not in ITEM_TYPES:
            errors[f"{where}.item_type"].append(
                _("Unknown item type %(type)s; one of %(types)s.")
                % {"type": part.item_type, "types": ", ".join(ITEM_TYPES)}
            )
        if not 1 <= part.item_count <= MAX_ITEMS_PER_PART:
            errors[f"{where}.item_count"].append(_("A part holds 1 to %(max)d items.") % {"max": MAX_ITEMS_PER_PART})
        points = part.points_per_item
        if not (0 < points <= MAX_POINTS_PER_ITEM) or points != points.quantize(_CENT):
            errors[f"{where}.points_per_item"].append(
                _("Points per item are more than 0 and at most %(max)s, in hundredths.") % {"max": MAX_POINTS_PER_ITEM}
            )
        if part.scoring not in AssessmentPart.Scoring.values:
            errors[f"{where}.scoring"].append(
                _("The scoring is one of %(rules)s.") % {"rules": ", ".join(AssessmentPart.Scoring.values)}
            )
    _check_sections(
        [SectionSpec(p.time_limit_minutes, p.navigation, p.break_minutes) for p in spec.parts],
        duration_minutes=spec.duration_minutes,
        errors=errors,
    )
    if errors:
        raise ValidationError(dict(errors))
    if not Organisation.objects.filter(pk=organisation_id).exists():
        raise ValidationError({"organisation": [_("No such organisation.")]})


def _check_sections(sections: Sequence[SectionSpec], *, duration_minutes: int, errors: dict[str, list[str]]) -> None:
    """The delivery policy of each part: a time limit within the duration, a known navigation,
    a break of 1 to MAX_BREAK_MINUTES between two parts (never after the last)."""
    for index, section in enumerate(sections):
        where = f"parts.{index}"
        limit = section.time_limit_minutes
        if limit is not None and not 1 <= limit <= max(1, min(duration_minutes, MAX_MINUTES)):
            errors[f"{where}.time_limit_minutes"].append(
                _("A part's time limit is 1 to %(max)d minutes: within the assessment's duration.")
                % {"max": duration_minutes}
            )
        if section.navigation not in AssessmentPart.Navigation.values:
            errors[f"{where}.navigation"].append(
                _("The navigation is one of %(modes)s.") % {"modes": ", ".join(AssessmentPart.Navigation.values)}
            )
        pause = section.break_minutes
        if pause is not None and not 1 <= pause <= MAX_BREAK_MINUTES:
            errors[f"{where}.break_minutes"].append(_("A break is 1 to %(max)d minutes.") % {"max": MAX_BREAK_MINUTES})
        elif pause is not None and index == len(sections) - 1:
            errors[f"{where}.break_minutes"].append(_("There is no break after the last part: the exam ends there."))


def _minutes(minutes: int | None) -> timedelta | None:
    return timedelta(minutes=minutes) if minutes is not None else None


def _write_parts(assessment: Assessment, parts: Sequence[PartSpec]) -> None:
    AssessmentPart.objects.bulk_create(
        AssessmentPart(
            assessment=assessment,
            position=position,
            label=part.label.strip(),
            item_type=part.item_type,
            item_count=part.item_count,
            points_per_item=part.points_per_item,
            scoring=part.scoring,
            time_limit=_minutes(part.time_limit_minutes),
            navigation=part.navigation,
            break_after=_minutes(part.break_minutes),
        )
        for position, part in enumerate(parts, start=1)
    )


def _write_sections(assessment: Assessment, sections: Sequence[SectionSpec]) -> None:
    """Set the delivery policy of the stored parts, in order (their structure stays)."""
    parts = list(assessment.parts.order_by("position"))
    for part, section in zip(parts, sections, strict=True):
        part.time_limit = _minutes(section.time_limit_minutes)
        part.navigation = section.navigation
        part.break_after = _minutes(section.break_minutes)
    AssessmentPart.objects.bulk_update(parts, ["time_limit", "navigation", "break_after"])


@transaction.atomic
def assessment_set_sections(*, by: User, assessment_id: int, sections: Sequence[SectionSpec]) -> Assessment:
    """Set how the parts are delivered (time limits, navigation, breaks), one entry per part.

    Allowed after forms were built (the forms do not change), until a sitting has opened.
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    require_manager(by, assessment)
    errors: dict[str, list[str]] = defaultdict(list)
    count = assessment.parts.count()
    if len(sections) != count:
        errors["parts"].append(_("Give the delivery of each of the %(count)d parts.") % {"count": count})
    else:
        _check_sections(sections, duration_minutes=assessment.duration_minutes, errors=errors)
    if errors:
        raise ValidationError(dict(errors))
    if sections_locked(assessment):
        raise ValidationError({"assessment": [_("A sitting of this assessment has opened: it no longer changes.")]})
    _write_sections(assessment, sections)
    return assessment


@transaction.atomic
def assessment_create(*, by: User, spec: AssessmentSpec) -> Assessment:
    """A new assessment with its structure, for the person's organisation or one they name."""
    scope = scope_of(by)
    require(scope.has_role(*ASSESSORS), _("Only teachers and the exam board build assessments."))
    organisation_id = spec.organisation_id or by.organisation_id
    if organisation_id is None:
        raise ValidationError({"organisation": [_("Say which organisation the assessment is for.")]})
    require(
        can_create_assessment(scope, organisation_id=organisation_id, periodic=spec.kind == Assessment.Kind.PERIODIC),
        _("Teachers build continuous assessments for their own school; periodic ones are the exam board's."),
    )
    _check_spec(spec, by=by, organisation_id=organisation_id)
    assessment = Assessment.objects.create(
        title=spec.title.strip(),
        kind=spec.kind,
        subject_id=spec.subject_id,
        grade=spec.grade,
        organisation_id=organisation_id,
        duration=timedelta(minutes=spec.duration_minutes),
        school_year=spec.school_year,
        term=spec.term,
        record_entry_type=spec.record_entry_type,
        score_step=spec.score_step,
        created_by=by,
    )
    _write_parts(assessment, spec.parts)
    return assessment


def _same_structure(assessment: Assessment, parts: Sequence[PartSpec]) -> bool:
    stored = [
        (p.label, p.item_type, p.item_count, p.points_per_item, p.scoring)
        for p in assessment.parts.order_by("position")
    ]
    sent = [(p.label.strip(), p.item_type, p.item_count, p.points_per_item, p.scoring) for p in parts]
    return stored == sent


@transaction.atomic
def assessment_update(*, by: User, assessment_id: int, spec: AssessmentSpec) -> Assessment:
    """Replace an assessment's fields and structure (all or nothing).

    Once a form exists, the subject, the kind and the structure stay as they are (the forms
    were built for them); the title, the time, the school year and semester may still change
    until a form is frozen, the duration only while no sitting has opened.
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    require_manager(by, assessment)
    organisation_id = assessment.organisation_id
    _check_spec(spec, by=by, organisation_id=organisation_id)
    forms = list(assessment.forms.filter(kind=Form.Kind.MASTER))
    if forms:
        locked = []
        if spec.subject_id != assessment.subject_id:
            locked.append("subject")
        if spec.kind != assessment.kind:
            locked.append("kind")
        if not _same_structure(assessment, spec.parts):
            locked.append("parts")
        if locked:
            raise ValidationError(
                {field: [_("Forms were built for this assessment: this no longer changes.")] for field in locked}
            )
        if any(form_is_frozen(form) for form in forms):
            raise ValidationError({"assessment": [_("A sitting of this assessment has opened: it no longer changes.")]})
    assessment.title = spec.title.strip()
    assessment.kind = spec.kind
    assessment.subject_id = spec.subject_id
    assessment.grade = spec.grade
    assessment.duration = timedelta(minutes=spec.duration_minutes)
    assessment.school_year = spec.school_year
    assessment.term = spec.term
    assessment.record_entry_type = spec.record_entry_type
    assessment.score_step = spec.score_step
    assessment.save()
    if not forms:
        assessment.parts.all().delete()
        _write_parts(assessment, spec.parts)
    else:  # the structure is the forms'; how its parts are delivered may still change
        _write_sections(
            assessment, [SectionSpec(p.time_limit_minutes, p.navigation, p.break_minutes) for p in spec.parts]
        )
    return assessment


@transaction.atomic
def assessment_delete(*, by: User, assessment_id: int) -> None:
    """Delete an assessment that has no sitting (its forms and codes go with it)."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    require_manager(by, assessment)
    if assessment.sittings.exists():
        raise ValidationError({"assessment": [_("This assessment has sittings: it is kept for the record.")]})
    forms = Form.objects.filter(assessment=assessment)
    FormItem.objects.filter(form__in=forms).delete()
    forms.filter(kind=Form.Kind.CODE).delete()
    forms.delete()
    Blueprint.objects.filter(assessment=assessment).update(assessment=None)
    assessment.delete()


# --- forms ----------------------------------------------------------------------------------


def _latest_usable_versions(item_ids: Sequence[int]) -> dict[int, ItemVersion]:
    """Each item's highest-numbered version usable in forms (approved or published)."""
    versions: dict[int, ItemVersion] = {}
    for version in (
        ItemVersion.objects.usable_in_forms()
        .filter(item_id__in=item_ids)
        .select_related("item")
        .order_by("item_id", "-number")
    ):
        versions.setdefault(version.item_id, version)
    return versions


def _enemy_pairs(item_ids: Sequence[int]) -> set[tuple[int, int]]:
    through = Item.enemies.through
    rows = through.objects.filter(from_item_id__in=item_ids, to_item_id__in=item_ids).values_list(
        "from_item_id", "to_item_id"
    )
    return {(a, b) for a, b in rows if a < b}


def _check_code(assessment: Assessment, code: str, *, exclude: int | None = None) -> str:
    code = code.strip()
    if not code or len(code) > MAX_CODE:
        raise ValidationError({"code": [_("Give a code of 1 to %(max)d characters.") % {"max": MAX_CODE}]})
    clash = Form.objects.filter(assessment=assessment, code=code)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise ValidationError({"code": [_("This assessment already has a form %(code)s.") % {"code": code}]})
    return code


def _write_items(form: Form, parts: Sequence[AssessmentPart], picks: Sequence[Sequence[ItemVersion]]) -> None:
    """The picked versions, part by part, each with its part's points and scoring."""
    _write_rows(
        form,
        [
            (part.position, part.points_per_item, part.scoring == AssessmentPart.Scoring.ALL_OR_NOTHING, version)
            for part, versions in zip(parts, picks, strict=True)
            for version in versions
        ],
    )


def _write_rows(form: Form, rows: Sequence[tuple[int, Decimal, bool, ItemVersion]]) -> None:
    FormItem.objects.bulk_create(
        FormItem(
            form=form,
            position=position,
            part=part,
            item_version=version,
            points=points,
            all_or_nothing=all_or_nothing,
            # Each form draws its own ids: what a student is shown says nothing of the key.
            response_ids=content.new_response_ids(version.item.item_type, version.content),
        )
        for position, (part, points, all_or_nothing, version) in enumerate(rows, start=1)
    )


def _check_picks(
    assessment: Assessment, parts: Sequence[AssessmentPart], item_ids: Sequence[Sequence[int]], *, by: User
) -> list[list[ItemVersion]]:
    """The latest usable version of each picked item, part by part, or one ValidationError."""
    errors: dict[str, list[str]] = defaultdict(list)
    if len(item_ids) != len(parts):
        raise ValidationError({"parts": [_("Give the items of each of the %(count)d parts.") % {"count": len(parts)}]})
    flat = [item_id for ids in item_ids for item_id in ids]
    repeated = sorted({item_id for item_id in flat if flat.count(item_id) > 1})
    if repeated:
        errors["parts"].append(
            _("An item may appear once on a form: %(items)s.") % {"items": ", ".join(f"#{i}" for i in repeated)}
        )
    visible = set(
        items_visible_to(by).filter(pk__in=flat, subject_id=assessment.subject_id).values_list("pk", flat=True)
    )
    versions = _latest_usable_versions(sorted(visible))
    picks: list[list[ItemVersion]] = []
    for index, (part, ids) in enumerate(zip(parts, item_ids, strict=True)):
        where = f"parts.{index}"
        if len(ids) != part.item_count:
            errors[where].append(
                _("%(part)s holds %(count)d items; %(given)d were given.")
                % {"part": part.label, "count": part.item_count, "given": len(ids)}
            )
        chosen = []
        for item_id in ids:
            version = versions.get(item_id)
            if item_id not in visible:
                errors[where].append(
                    _("Item #%(item)s is not in the bank of this subject for you.") % {"item": item_id}
                )
            elif version is None:
                errors[where].append(_("Item #%(item)s has no approved or published version.") % {"item": item_id})
            elif part.item_type and version.item.item_type != part.item_type:
                errors[where].append(
                    _("Item #%(item)s is %(type)s; %(part)s takes %(wanted)s.")
                    % {"item": item_id, "type": version.item.item_type, "part": part.label, "wanted": part.item_type}
                )
            else:
                chosen.append(version)
        picks.append(chosen)
    for a, b in sorted(_enemy_pairs(flat)):
        errors["parts"].append(_("Items #%(a)s and #%(b)s are enemies: a form holds one of them.") % {"a": a, "b": b})
    if errors:
        raise ValidationError(dict(errors))
    return picks


def _parts_of(assessment: Assessment) -> list[AssessmentPart]:
    parts = list(assessment.parts.order_by("position"))
    if not parts:
        raise ValidationError({"parts": [_("Give the assessment its parts before building a form.")]})
    return parts


@transaction.atomic
def form_build(*, by: User, assessment_id: int, code: str, item_ids: Sequence[Sequence[int]]) -> Form:
    """A master form of the picked items, part by part, in the order given."""
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    require_manager(by, assessment)
    code = _check_code(assessment, code)
    parts = _parts_of(assessment)
    picks = _check_picks(assessment, parts, item_ids, by=by)
    form = Form.objects.create(assessment=assessment, code=code, kind=Form.Kind.MASTER, created_by=by)
    _write_items(form, parts, picks)
    return form


@transaction.atomic
def form_of_versions(*, by: User, assessment: Assessment, code: str, item_versions: Sequence[ItemVersion]) -> Form:
    """A master form of exact versions, in order, each with its own points (one part): for an
    assessment without a structure (imports, the demo data, tests)."""
    require_manager(by, assessment)
    code = _check_code(assessment, code)
    errors: list[str] = []
    if not item_versions:
        errors.append(_("A form needs at least one item."))
    for version in item_versions:
        if version.status not in (ItemVersion.Status.APPROVED, ItemVersion.Status.PUBLISHED):
            errors.append(_("Item #%(item)s has no approved or published version.") % {"item": version.item_id})
        elif version.item.subject_id != assessment.subject_id:
            errors.append(_("Item #%(item)s is of another subject.") % {"item": version.item_id})
    ids = [version.item_id for version in item_versions]
    repeated = sorted({item_id for item_id in ids if ids.count(item_id) > 1})
    if repeated:
        errors.append(
            _("An item may appear once on a form: %(items)s.") % {"items": ", ".join(f"#{i}" for i in repeated)}
        )
    if errors:
        raise ValidationError({"item_versions": errors})
    visible = set(items_visible_to(by).filter(pk__in=[v.item_id for v in item_versions]).values_list("pk", flat=True))
    require(len(visible) == len(item_versions), _("A form may hold only items shared with you."))
    form = Form.objects.create(assessment=assessment, code=code, kind=Form.Kind.MASTER, created_by=by)
    _write_rows(form, [(1, version.points, False, version) for version in item_versions])
    return form


@transaction.atomic
def form_replace_items(*, by: User, form_id: int, item_ids: Sequence[Sequence[int]], code: str | None = None) -> Form:
    """Replace a master form's items (reordered, swapped); its test codes are made again."""
    form = Form.objects.select_for_update().select_related("assessment").get(pk=form_id)
    if form.kind != Form.Kind.MASTER:
        raise ValidationError({"form": [_("A test code follows its master form: change the master form.")]})
    require_manager(by, form.assessment)
    _refuse_frozen(form)
    if code is not None and code.strip() != form.code:
        form.code = _check_code(form.assessment, code, exclude=form.pk)
    parts = _parts_of(form.assessment)
    picks = _check_picks(form.assessment, parts, item_ids, by=by)
    codes = list(form.test_codes.order_by("code"))
    if codes:
        from . import test_codes  # the codes follow the master form

        test_codes.codes_remove(form)
    FormItem.objects.filter(form=form).delete()
    _write_items(form, parts, picks)
    form.save()
    if codes:
        test_codes.codes_generate(by=by, form_id=form.pk, count=len(codes), first=codes[0].code, seed=codes[0].seed)
    return form


@transaction.atomic
def form_set_trial(*, by: User, form_id: int, positions: Sequence[int]) -> Form:
    """Make the items at these master positions trial items (delivered and calibrated, never
    counted in a score), on the master form and every test code; the others count. Only
    before a sitting of the form opens: afterwards moderation drops or restores items."""
    form = Form.objects.select_for_update().select_related("assessment").get(pk=form_id)
    if form.kind != Form.Kind.MASTER:
        raise ValidationError({"form": [_("A test code follows its master form: change the master form.")]})
    require_manager(by, form.assessment)
    _refuse_frozen(form)
    wanted = set(positions)
    known = set(FormItem.objects.filter(form=form).values_list("position", flat=True))
    unknown = sorted(wanted - known)
    if unknown:
        raise ValidationError(
            {"positions": [_("The form has no item %(positions)s.") % {"positions": ", ".join(map(str, unknown))}]}
        )
    if known and wanted == known:
        raise ValidationError({"positions": [_("At least one item must count in the score.")]})
    family = FormItem.objects.filter(Q(form=form) | Q(form__parent=form))
    trial = Q(form=form, position__in=wanted) | Q(form__parent=form, master_position__in=wanted)
    family.filter(trial).update(trial=True)
    family.exclude(trial).update(trial=False)
    return form


@transaction.atomic
def form_delete(*, by: User, form_id: int) -> None:
    form = Form.objects.select_for_update().select_related("assessment").get(pk=form_id)
    require_manager(by, form.assessment)
    if form.kind != Form.Kind.MASTER:
        raise ValidationError({"form": [_("A test code follows its master form: change the master form.")]})
    if form.sittings.exists() or Attempt.objects.filter(Q(form=form) | Q(form__parent=form)).exists():
        raise ValidationError({"form": [_("A sitting uses this form: it is kept for the record.")]})
    FormItem.objects.filter(Q(form=form) | Q(form__parent=form)).delete()
    form.test_codes.all().delete()
    form.delete()


# --- drawing from a blueprint ------------------------------------------------------------------


@dataclass
class Draw:
    """What :func:`form_draw` found: the form (unless only tried), the picks and the gaps."""

    seed: int
    cells: list[drawing.CellDraw]
    form: Form | None = None

    @property
    def shortfall(self) -> int:
        return sum(cell.shortfall for cell in self.cells)


def _blueprint_cells(blueprint: Blueprint, parts: Sequence[AssessmentPart]) -> list[drawing.Cell]:
    """The blueprint's cells, checked against the assessment's structure."""
    errors: dict[str, list[str]] = defaultdict(list)
    blueprint_parts = list(blueprint.parts.prefetch_related("cells").order_by("position"))
    if len(blueprint_parts) != len(parts):
        raise ValidationError(
            {
                "blueprint": [
                    _("The blueprint has %(have)d parts; the assessment has %(want)d.")
                    % {"have": len(blueprint_parts), "want": len(parts)}
                ]
            }
        )
    topics = list(Topic.objects.filter(subject_id=blueprint.subject_id).order_by().values("id", "parent_id"))
    children: dict[int | None, list[int]] = defaultdict(list)
    for topic in topics:
        children[topic["parent_id"]].append(topic["id"])

    def subtree(root: int) -> frozenset[int]:
        seen, frontier = {root}, [root]
        while frontier:
            frontier = [child for node in frontier for child in children.get(node, ()) if child not in seen]
            seen.update(frontier)
        return frozenset(seen)

    cells = []
    for bp_part, part in zip(blueprint_parts, parts, strict=True):
        total = sum(cell.item_count for cell in bp_part.cells.all())
        if part.item_type and bp_part.item_type != part.item_type:
            errors["blueprint"].append(
                _("%(part)s of the blueprint is %(type)s; the assessment's %(label)s takes %(wanted)s.")
                % {"part": bp_part.label, "type": bp_part.item_type, "label": part.label, "wanted": part.item_type}
            )
        if total != part.item_count:
            errors["blueprint"].append(
                _("%(part)s of the blueprint asks for %(have)d items; the assessment's %(label)s holds %(want)d.")
                % {"part": bp_part.label, "have": total, "label": part.label, "want": part.item_count}
            )
        for cell in bp_part.cells.all():
            cells.append(
                drawing.Cell(
                    part=part.position,
                    index=len(cells),
                    topic=cell.topic_id,
                    topics=subtree(cell.topic_id),
                    level=cell.level,
                    item_type=bp_part.item_type,
                    count=cell.item_count,
                )
            )
    if errors:
        raise ValidationError(dict(errors))
    return cells


def _candidates(by: User, subject_id: int, cells: Sequence[drawing.Cell]) -> list[drawing.Candidate]:
    """Every item of the subject the person may use that could fill a cell, with its latest
    usable version and its exposure (how many master forms used it), in two queries."""
    usable = ItemVersion.objects.usable_in_forms().filter(item_id=OuterRef("pk")).order_by("-number")
    rows = (
        items_visible_to(by)
        .filter(
            Exists(usable),
            subject_id=subject_id,
            topic__isnull=False,
            item_type__in={cell.item_type for cell in cells},
            level__in={cell.level for cell in cells},
        )
        .order_by()
        .annotate(version_id=Subquery(usable.values("pk")[:1]))
        .values_list("pk", "version_id", "topic_id", "level", "item_type")
    )
    exposure = dict(
        FormItem.objects.filter(form__kind=Form.Kind.MASTER, item_version__item__subject_id=subject_id)
        .order_by()
        .values("item_version__item_id")
        .annotate(n=Count("form_id", distinct=True))
        .values_list("item_version__item_id", "n")
    )
    return [
        drawing.Candidate(item_id, version_id, topic_id, level, item_type, exposure.get(item_id, 0))
        for item_id, version_id, topic_id, level, item_type in rows
    ]


def _enemies_of(item_ids: Sequence[int]) -> dict[int, frozenset[int]]:
    """Each candidate -> its enemies (one query, every enemy whether a candidate or not)."""
    found: dict[int, set[int]] = defaultdict(set)
    for a, b in Item.enemies.through.objects.filter(from_item_id__in=item_ids).values_list(
        "from_item_id", "to_item_id"
    ):
        found[a].add(b)
    return {item_id: frozenset(enemies) for item_id, enemies in found.items()}


def shortfall_messages(draw: Draw, blueprint: Blueprint) -> list[dict[str, Any]]:
    """One line per cell that could not be filled, in the chosen language."""
    names = dict(Topic.objects.filter(subject_id=blueprint.subject_id).values_list("id", "name"))
    labels = dict(blueprint.parts.values_list("position", "label"))
    levels = level_names()
    reports = []
    for result in draw.cells:
        if not result.shortfall:
            continue
        cell = result.cell
        reports.append(
            {
                "part": cell.part,
                "topic": cell.topic,
                "level": cell.level,
                "needed": cell.count,
                "found": len(result.picked),
                "fitting": result.fitting,
                "taken_elsewhere": result.taken_elsewhere,
                "enemies": result.enemies,
                "message": _(
                    "%(part)s, %(topic)s, %(level)s: needs %(needed)d items, drew %(found)d "
                    "(%(fitting)d usable in the bank, %(taken)d taken by other cells, %(enemies)d left out as enemies)."
                )
                % {
                    "part": labels.get(cell.part, cell.part),
                    "topic": names.get(cell.topic, cell.topic),
                    "level": levels.get(cell.level, cell.level),
                    "needed": cell.count,
                    "found": len(result.picked),
                    "fitting": result.fitting,
                    "taken": result.taken_elsewhere,
                    "enemies": result.enemies,
                },
            }
        )
    return reports


class DrawShortfall(ValidationError):
    """The bank cannot fill the blueprint: nothing was written; ``draw`` tells why per cell."""

    def __init__(self, draw: Draw, messages: list[dict[str, Any]]) -> None:
        super().__init__({"blueprint": [report["message"] for report in messages]})
        self.draw = draw
        self.reports = messages


@transaction.atomic
def form_draw(
    *,
    by: User,
    assessment_id: int,
    blueprint_id: int,
    code: str = "",
    seed: int | None = None,
    dry_run: bool = False,
) -> Draw:
    """Draw a master form from a blueprint over the bank the person may use.

    The same seed over the same bank draws the same items. With ``dry_run`` nothing is
    written (a preview); otherwise a form is written only if every cell was filled, and
    ``DrawShortfall`` explains each cell that was not.
    """
    assessment = Assessment.objects.select_for_update().get(pk=assessment_id)
    require_manager(by, assessment)
    blueprint = Blueprint.objects.filter(pk=blueprint_id).first()
    if blueprint is None or not scope_of(by).oversees(blueprint.owner_id):
        raise ValidationError({"blueprint": [_("No such blueprint.")]})
    if blueprint.subject_id != assessment.subject_id:
        raise ValidationError({"blueprint": [_("The blueprint is of another subject.")]})
    parts = _parts_of(assessment)
    cells = _blueprint_cells(blueprint, parts)
    seed = secrets.randbelow(2**62) if seed is None else seed
    candidates = _candidates(by, assessment.subject_id, cells)
    results = drawing.draw(cells, candidates, _enemies_of([c.item_id for c in candidates]), seed)
    draw = Draw(seed=seed, cells=results)
    if dry_run:
        return draw
    code = _check_code(assessment, code)
    if draw.shortfall:
        raise DrawShortfall(draw, shortfall_messages(draw, blueprint))
    versions = {
        v.pk: v
        for v in ItemVersion.objects.select_related("item").filter(
            pk__in=[c.version_id for cell in results for c in cell.picked]
        )
    }
    picks = [
        [versions[c.version_id] for cell in results if cell.cell.part == part.position for c in cell.picked]
        for part in parts
    ]
    form = Form.objects.create(
        assessment=assessment, code=code, kind=Form.Kind.MASTER, seed=seed, blueprint=blueprint, created_by=by
    )
    _write_items(form, parts, picks)
    draw.form = form
    return draw
