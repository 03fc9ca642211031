"""Blueprints (ma trận đề / bảng đặc tả): writes, reads, and the check against the bank.

A blueprint says what a test must hold: parts (Phần I, II, III of the national exam), each of
one item type and the same points per item, and in each part a table of topics x cognitive
levels -> number of items. A cell's topic stands for the topic and every topic below it.

``blueprint_availability`` compares every cell with what the bank holds *for the user who
asks*: the items they may see (``itembank.selectors.items_visible_to``) of the blueprint's
subject, the cell's topic or a descendant, the cell's level and the part's item type, having
at least one version usable in forms (approved or published). It also checks cells that
compete for the same items (the same item type and level, one topic inside the other, in one
part or in two): their needs are added up against the items of the outer topic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from accounts.models import Organisation, User
from accounts.permissions import AUTHORS, scope_of
from itembank.models import ItemVersion, Subject, Topic, cognitive_levels, level_names
from itembank.selectors import items_visible_to
from scoring.item_rules import ITEM_TYPES

from .models import BLUEPRINT_MAX_ITEMS_PER_CELL, Assessment, Blueprint, BlueprintCell, BlueprintPart

MAX_PARTS = 10
MAX_CELLS = 500
MAX_ITEMS_PER_CELL = BLUEPRINT_MAX_ITEMS_PER_CELL
MAX_POINTS_PER_ITEM = Decimal("100")
MAX_TITLE = 200
MAX_LABEL = 50
GRADES = range(1, 13)
_CENT = Decimal("0.01")
_TENTH = Decimal("0.1")


@dataclass(frozen=True)
class CellSpec:
    topic_id: int
    level: str
    item_count: int


@dataclass(frozen=True)
class PartSpec:
    label: str
    item_type: str
    points_per_item: Decimal
    cells: tuple[CellSpec, ...]


@dataclass(frozen=True)
class BlueprintSpec:
    """A whole blueprint as a client sends it; parts take their positions from their order."""

    title: str
    subject_id: int
    parts: tuple[PartSpec, ...]
    grade: int | None = None
    owner_id: int | None = None
    assessment_id: int | None = None


# --- reads -------------------------------------------------------------------------------


def blueprints_visible_to(user: User) -> QuerySet[Blueprint]:
    """Blueprints owned by the organisations the user oversees (teachers, boards, admins)."""
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS):
        return Blueprint.objects.none()
    blueprints = Blueprint.objects.select_related("subject", "owner")
    return blueprints if scope.is_admin else blueprints.filter(owner_id__in=scope.overseen)


def _points(value: Decimal) -> str:
    return str(value.quantize(_CENT))


def _percent(part: Decimal | int, whole: Decimal | int) -> str | None:
    if not whole:
        return None
    return str((Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, rounding=ROUND_HALF_UP))


def _subtrees(topics: Iterable[dict[str, Any]], roots: Iterable[int]) -> dict[int, frozenset[int]]:
    """Each root topic id -> itself and every topic below it, from one list of (id, parent_id)."""
    children: dict[int | None, list[int]] = defaultdict(list)
    for topic in topics:
        children[topic["parent_id"]].append(topic["id"])
    found: dict[int, frozenset[int]] = {}
    for root in roots:
        seen = {root}
        frontier = [root]
        while frontier:
            frontier = [child for node in frontier for child in children.get(node, ()) if child not in seen]
            seen.update(frontier)
        found[root] = frozenset(seen)
    return found


def blueprint_availability(blueprint: Blueprint, user: User) -> dict[str, Any]:
    """Compare each cell with the items the bank holds for ``user``; totals and level shares.

    A fixed number of queries whatever the size of the blueprint: its parts, its cells, the
    subject's topics, and one aggregate of the usable items by (topic, level, item type).
    Points are decimal strings; shares are percentages of the blueprint's items and points.
    """
    parts = list(blueprint.parts.prefetch_related("cells"))
    topics = list(Topic.objects.filter(subject_id=blueprint.subject_id).order_by().values("id", "parent_id", "name"))
    names = {topic["id"]: topic["name"] for topic in topics}
    subtree = _subtrees(topics, {cell.topic_id for part in parts for cell in part.cells.all()})
    levels_named = level_names()

    usable = ItemVersion.objects.usable_in_forms().filter(item_id=OuterRef("pk"))
    counts: dict[tuple[int, str, str], int] = {
        (row["topic_id"], row["level"], row["item_type"]): row["n"]
        for row in items_visible_to(user)
        .filter(
            Exists(usable),
            subject_id=blueprint.subject_id,
            topic__isnull=False,
            item_type__in={part.item_type for part in parts},
        )
        .order_by()
        .values("topic_id", "level", "item_type")
        .annotate(n=Count("pk"))
    }

    def available(topic_id: int, level: str, item_type: str) -> int:
        return sum(counts.get((t, level, item_type), 0) for t in subtree.get(topic_id, (topic_id,)))

    def zero() -> dict[str, Any]:
        return {"needed": 0, "shortfall": 0, "points": Decimal(0)}

    by_level: dict[str, dict[str, Any]] = {code: zero() for code in levels_named}
    by_topic: dict[int, dict[str, Any]] = {}
    total = zero()
    part_reports = []
    shortfalls = []
    for part in parts:
        part_total = zero()
        cell_reports = []
        for cell in part.cells.all():
            have = available(cell.topic_id, cell.level, part.item_type)
            missing = max(0, cell.item_count - have)
            points = cell.item_count * part.points_per_item
            for bucket in (
                part_total,
                total,
                by_level.setdefault(cell.level, zero()),
                by_topic.setdefault(cell.topic_id, zero()),
            ):
                bucket["needed"] += cell.item_count
                bucket["shortfall"] += missing
                bucket["points"] += points
            report = {
                "topic": cell.topic_id,
                "topic_name": names.get(cell.topic_id, ""),
                "level": cell.level,
                "needed": cell.item_count,
                "available": have,
                "shortfall": missing,
                "points": _points(points),
            }
            if missing:
                report["message"] = _cell_message(
                    part=part.label,
                    topic=names.get(cell.topic_id, str(cell.topic_id)),
                    level=levels_named.get(cell.level, cell.level),
                    needed=cell.item_count,
                    have=have,
                )
                shortfalls.append({"part": part.position, **report})
            cell_reports.append(report)
        part_reports.append(
            {
                "position": part.position,
                "label": part.label,
                "item_type": part.item_type,
                "points_per_item": str(part.points_per_item),
                **_shape(part_total),
                "cells": cell_reports,
            }
        )

    shared = _shared_shortfalls(parts, subtree, available, names, levels_named)
    return {
        "blueprint": blueprint.pk,
        "subject": blueprint.subject.code,
        "ok": not shortfalls and not shared,
        "total_items": total["needed"],
        "total_points": _points(total["points"]),
        "shortfall": total["shortfall"],
        "parts": part_reports,
        "levels": [
            {
                "level": code,
                "name": levels_named.get(code, code),
                **_shape(bucket),
                "share_of_items": _percent(bucket["needed"], total["needed"]),
                "share_of_points": _percent(bucket["points"], total["points"]),
            }
            for code, bucket in by_level.items()
        ],
        "topics": [
            {"topic": topic_id, "topic_name": names.get(topic_id, ""), **_shape(bucket)}
            for topic_id, bucket in by_topic.items()
        ],
        "shortfalls": shortfalls,
        "shared_shortfalls": shared,
    }


def _shape(bucket: dict[str, Any]) -> dict[str, Any]:
    return {"needed": bucket["needed"], "shortfall": bucket["shortfall"], "points": _points(bucket["points"])}


def _cell_message(*, part: str, topic: str, level: str, needed: int, have: int) -> str:
    """What a cell lacks, in one line in the language of the request (the blueprint page shows it as is)."""
    return _("%(part)s: topic %(topic)s needs %(needed)s approved %(level)s items, the bank has %(have)s.") % {
        "part": part,
        "topic": topic,
        "needed": needed,
        "level": level,
        "have": have,
    }


def _shared_shortfalls(
    parts: list[BlueprintPart],
    subtree: dict[int, frozenset[int]],
    available: Callable[[int, str, str], int],
    names: dict[int, str],
    level_names: dict[str, str],
) -> list[dict[str, Any]]:
    """Cells that are each satisfiable but together need more items than the bank holds.

    Topic subtrees nest or are disjoint, so the cells can all be filled at once exactly when,
    for every cell's topic T, the cells of the same item type and level whose topic lies
    within T need no more than the items T holds (Hall's condition on a laminar family).
    """
    cells = [(part, cell) for part in parts for cell in part.cells.all()]
    reports = []
    seen: set[tuple[str, str, int]] = set()
    for part, cell in cells:
        key = (part.item_type, cell.level, cell.topic_id)
        if key in seen:
            continue
        seen.add(key)
        inner = subtree.get(cell.topic_id, frozenset({cell.topic_id}))
        group = [
            (p, c) for p, c in cells if p.item_type == part.item_type and c.level == cell.level and c.topic_id in inner
        ]
        if len(group) < 2:
            continue
        needed = sum(c.item_count for _p, c in group)
        have = available(cell.topic_id, cell.level, part.item_type)
        if needed <= have:
            continue
        topic = names.get(cell.topic_id, str(cell.topic_id))
        level = level_names.get(cell.level, cell.level)
        labels = ", ".join(dict.fromkeys(p.label for p, _c in group))
        reports.append(
            {
                "topic": cell.topic_id,
                "topic_name": topic,
                "level": cell.level,
                "item_type": part.item_type,
                "parts": sorted({p.position for p, _c in group}),
                "cells": [{"part": p.position, "topic": c.topic_id} for p, c in group],
                "needed": needed,
                "available": have,
                "shortfall": needed - have,
                "message": _(
                    "%(parts)s: topic %(topic)s with its subtopics needs %(needed)s approved %(level)s items "
                    "in all, the bank has %(have)s."
                )
                % {"parts": labels, "topic": topic, "needed": needed, "level": level, "have": have},
            }
        )
    return reports


# --- writes ------------------------------------------------------------------------------


def _check_editor(user: User, owner_id: int) -> None:
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS) or not scope.oversees(owner_id):
        raise PermissionDenied(_("You may not write blueprints for this organisation."))


def _check_spec(spec: BlueprintSpec, *, by: User) -> int:
    """Check who writes and what: return the owner id, or raise PermissionDenied or one
    ValidationError naming every bad field (``title``, ``parts.0.cells.2.topic``, ...)."""
    if not scope_of(by).has_role(*AUTHORS):
        raise PermissionDenied(_("Only teachers, the exam board and administrators write blueprints."))
    owner_id = spec.owner_id or by.organisation_id
    if owner_id is None:
        raise ValidationError({"owner": [_("Say which organisation owns the blueprint.")]})
    _check_editor(by, owner_id)
    # Only an administrator gets this far with an organisation that does not exist.
    if not Organisation.objects.filter(pk=owner_id).exists():
        raise ValidationError({"owner": [_("No such organisation.")]})

    errors: dict[str, list[str]] = defaultdict(list)
    if not Subject.objects.filter(pk=spec.subject_id).exists():
        errors["subject"].append(_("No such subject."))
    if not spec.title.strip() or len(spec.title) > MAX_TITLE:
        errors["title"].append(_("Give a title of 1 to %(max)d characters.") % {"max": MAX_TITLE})
    if spec.grade is not None and spec.grade not in GRADES:
        errors["grade"].append(_("The grade is 1 to 12."))
    if spec.assessment_id is not None:
        assessment = Assessment.objects.filter(pk=spec.assessment_id).first()
        if assessment is None or not scope_of(by).oversees(assessment.organisation_id):
            errors["assessment"].append(_("No such assessment."))
        elif assessment.subject_id != spec.subject_id:
            errors["assessment"].append(_("The assessment is of another subject."))
    if not 1 <= len(spec.parts) <= MAX_PARTS:
        errors["parts"].append(_("Give 1 to %(max)d parts.") % {"max": MAX_PARTS})
    n_cells = sum(len(part.cells) for part in spec.parts)
    if n_cells > MAX_CELLS:
        errors["parts"].append(
            _("A blueprint has at most %(max)d cells; this one has %(count)d.") % {"max": MAX_CELLS, "count": n_cells}
        )

    levels = dict(cognitive_levels())
    topic_ids = {cell.topic_id for part in spec.parts for cell in part.cells}
    subject_topics = set(
        Topic.objects.filter(pk__in=topic_ids, subject_id=spec.subject_id).values_list("pk", flat=True)
    )
    for p, part in enumerate(spec.parts):
        where = f"parts.{p}"
        if not part.label.strip() or len(part.label) > MAX_LABEL:
            errors[f"{where}.label"].append(
                _("Give a label of 1 to %(max)d characters, like Part I.") % {"max": MAX_LABEL}
            )
        if part.item_type not in ITEM_TYPES:
            errors[f"{where}.item_type"].append(
                _("Unknown item type %(type)s; one of %(types)s.")
                % {"type": part.item_type, "types": ", ".join(ITEM_TYPES)}
            )
        points = part.points_per_item
        if not (0 < points <= MAX_POINTS_PER_ITEM) or points != points.quantize(_CENT):
            errors[f"{where}.points_per_item"].append(
                _("Points per item are more than 0 and at most %(max)s, in hundredths.") % {"max": MAX_POINTS_PER_ITEM}
            )
        if not part.cells:
            errors[f"{where}.cells"].append(_("A part needs at least one cell."))
        seen: dict[tuple[int, str], int] = {}
        for c, cell in enumerate(part.cells):
            at = f"{where}.cells.{c}"
            if cell.topic_id not in subject_topics:
                errors[f"{at}.topic"].append(
                    _("Topic %(topic)s is not a topic of this blueprint's subject.") % {"topic": cell.topic_id}
                )
            if cell.level not in levels:
                errors[f"{at}.level"].append(
                    _("Unknown cognitive level %(level)s; one of %(levels)s.")
                    % {"level": cell.level, "levels": ", ".join(levels)}
                )
            if not 1 <= cell.item_count <= MAX_ITEMS_PER_CELL:
                errors[f"{at}.item_count"].append(_("A cell holds 1 to %(max)d items.") % {"max": MAX_ITEMS_PER_CELL})
            first = seen.setdefault((cell.topic_id, cell.level), c)
            if first != c:
                errors[at].append(
                    _("The same topic and level as cell %(cell)d of this part; merge them.") % {"cell": first}
                )
    if errors:
        raise ValidationError(dict(errors))
    return owner_id


def _write_parts(blueprint: Blueprint, parts: tuple[PartSpec, ...]) -> None:
    created = BlueprintPart.objects.bulk_create(
        BlueprintPart(
            blueprint=blueprint,
            position=position,
            label=part.label.strip(),
            item_type=part.item_type,
            points_per_item=part.points_per_item,
        )
        for position, part in enumerate(parts, start=1)
    )
    BlueprintCell.objects.bulk_create(
        BlueprintCell(part=row, topic_id=cell.topic_id, level=cell.level, item_count=cell.item_count)
        for row, part in zip(created, parts, strict=True)
        for cell in part.cells
    )


@transaction.atomic
def blueprint_create(*, by: User, spec: BlueprintSpec) -> Blueprint:
    """Create a whole blueprint: its parts and cells, checked together."""
    owner_id = _check_spec(spec, by=by)
    blueprint = Blueprint.objects.create(
        owner_id=owner_id,
        subject_id=spec.subject_id,
        title=spec.title.strip(),
        grade=spec.grade,
        assessment_id=spec.assessment_id,
        created_by=by,
    )
    _write_parts(blueprint, spec.parts)
    return blueprint


@transaction.atomic
def blueprint_replace(*, by: User, blueprint_id: int, spec: BlueprintSpec) -> Blueprint:
    """Replace a blueprint's fields, parts and cells with ``spec`` (all or nothing)."""
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint_id)
    _check_editor(by, blueprint.owner_id)
    # A replacement that names no owner keeps the blueprint's.
    owner_id = _check_spec(replace(spec, owner_id=spec.owner_id or blueprint.owner_id), by=by)
    BlueprintCell.objects.filter(part__blueprint=blueprint).delete()
    blueprint.parts.all().delete()
    blueprint.owner_id = owner_id
    blueprint.subject_id = spec.subject_id
    blueprint.title = spec.title.strip()
    blueprint.grade = spec.grade
    blueprint.assessment_id = spec.assessment_id
    blueprint.save()
    _write_parts(blueprint, spec.parts)
    return blueprint


@transaction.atomic
def blueprint_delete(*, by: User, blueprint_id: int) -> None:
    blueprint = Blueprint.objects.select_for_update().get(pk=blueprint_id)
    _check_editor(by, blueprint.owner_id)
    blueprint.delete()
