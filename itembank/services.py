"""Every write to the item bank. Keyword-only, transactional, checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import AUTHORS, BOARD, scope_of

from . import content, workflow
from .models import Item, ItemReviewEvent, ItemVersion, ItemVersionEdit, Stimulus, Subject, Topic, Visibility
from .selectors import can_edit_item, items_visible_to, stimulus_usable_by
from .textsearch import search_key


def _check_author(user: User, owner_id: int) -> None:
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS) or not scope.oversees(owner_id):
        raise PermissionDenied(_("You may not author items for this organisation."))


def _check_editor(user: User, item: Item) -> None:
    if not can_edit_item(scope_of(user), item):
        raise PermissionDenied(_("You may not change this item."))


def _check_actor(user: User, version: ItemVersion, actor: str) -> None:
    """Raise PermissionDenied unless ``user`` is the kind of actor ``workflow`` names."""
    _check_editor(user, version.item)
    if actor == workflow.REVIEWER and user.pk in version_contributors(version):
        raise PermissionDenied(_("You wrote or changed this version, so you may not review it; ask a colleague."))
    if actor == workflow.BOARD and not scope_of(user).has_role(*BOARD):
        raise PermissionDenied(_("Only the exam board retires items."))


def version_contributors(version: ItemVersion) -> set[int]:
    """Everyone who shaped the version's content: its creator and whoever changed it since."""
    return {version.created_by_id, *ItemVersionEdit.objects.filter(version=version).values_list("by_id", flat=True)}


# Item fields an author sets besides subject, topic, level and type.
ITEM_METADATA = ("visibility", "title", "grade", "learning_outcome", "expected_seconds", "source", "language")
# Version fields an author sets. IRT parameters are not among them: they describe how the exact
# content behaved in a calibration, which the exam board records (item_version_set_calibration);
# a new version starts uncalibrated.
VERSION_FIELDS = ("content", "points", "stimulus")


def _check_stimulus(user: User, stimulus: Stimulus | None) -> None:
    if stimulus is not None and not stimulus_usable_by(user, stimulus):
        raise PermissionDenied("You may not use this stimulus.")


def _search_text(item_type: str, document: dict[str, Any]) -> str:
    """What ``Item.search_text`` holds for a version's content (``itembank.textsearch``)."""
    return search_key(content.search_text(item_type, document))


def refresh_search_text(item: Item, version: ItemVersion) -> None:
    """Keep the item's search text equal to its latest version's student-visible text."""
    text = _search_text(item.item_type, version.content)
    if text != item.search_text:
        Item.objects.filter(pk=item.pk).update(search_text=text)
        item.search_text = text


@transaction.atomic
def item_create(
    *,
    by: User,
    subject: Subject,
    level: str,
    content: dict[str, Any],
    item_type: str = "single_choice",
    points: Decimal | float | str = Decimal("1"),
    topic: Topic | None = None,
    owner_id: int | None = None,
    stimulus: Stimulus | None = None,
    **metadata: Any,
) -> ItemVersion:
    """Create an item with its first (draft) version; ``metadata`` takes ``ITEM_METADATA``."""
    owner_id = owner_id or by.organisation_id
    if owner_id is None:
        raise ValidationError({"owner": "An item needs an owner organisation."})
    unknown = set(metadata) - set(ITEM_METADATA)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    _check_author(by, owner_id)
    _check_stimulus(by, stimulus)
    item = Item(
        owner_id=owner_id, author=by, subject=subject, topic=topic, level=level, item_type=item_type, **metadata
    )
    item.full_clean()
    item.save()
    version = ItemVersion(
        item=item,
        number=1,
        content=content,
        points=Decimal(str(points)),
        stimulus=stimulus,
        created_by=by,
    )
    version.full_clean()
    version.save()
    refresh_search_text(item, version)
    return version


@transaction.atomic
def item_update(*, by: User, item_id: int, **fields: Any) -> Item:
    """Change an item's classification and metadata (not its content: that is versioned)."""
    item = Item.objects.select_for_update().get(pk=item_id)
    _check_editor(by, item)
    allowed = set(ITEM_METADATA) | {"topic", "level"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean()
    item.save()
    return item


MAX_ENEMIES = 50


@transaction.atomic
def item_set_enemies(*, by: User, item_id: int, enemy_ids: list[int]) -> list[int]:
    """Say which items must never sit on a form with this one (both ways); returns them.

    The author's side of the pair decides: the others must be items of the same subject
    that ``by`` may see. Refused whole with a message naming each problem.
    """
    item = Item.objects.select_for_update().get(pk=item_id)
    _check_editor(by, item)
    wanted = list(dict.fromkeys(enemy_ids))
    problems = []
    if len(wanted) > MAX_ENEMIES:
        problems.append(_("An item has at most %(max)d enemies.") % {"max": MAX_ENEMIES})
    if item.pk in wanted:
        problems.append(_("An item cannot be its own enemy."))
    found = set(items_visible_to(by).filter(pk__in=wanted, subject_id=item.subject_id).values_list("pk", flat=True))
    missing = [str(pk) for pk in wanted if pk != item.pk and pk not in found]
    if missing:
        problems.append(
            _("Not items of this subject shared with you: %(items)s.")
            % {"items": ", ".join(f"#{pk}" for pk in missing)}
        )
    if problems:
        raise ValidationError({"items": problems})
    item.enemies.set(sorted(found))
    return sorted(found)


@transaction.atomic
def item_version_create(*, by: User, item_id: int, **changes: Any) -> ItemVersion:
    """Start a new draft from the latest version, with ``changes`` (``VERSION_FIELDS``) applied."""
    item = Item.objects.select_for_update().get(pk=item_id)
    _check_editor(by, item)
    latest = item.versions.order_by("-number").first()
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    fields = {name: getattr(latest, name) for name in VERSION_FIELDS}
    fields.update(changes)
    _check_stimulus(by, fields["stimulus"] if "stimulus" in changes else None)
    version = ItemVersion(item=item, number=latest.number + 1, created_by=by, **fields)
    version.full_clean()
    version.save()
    refresh_search_text(item, version)
    return version


@transaction.atomic
def item_version_update(*, by: User, version_id: int, **changes: Any) -> ItemVersion:
    """Change a draft (or a version with changes requested). Others refuse: make a new version."""
    version = ItemVersion.objects.select_for_update(of=("self",)).select_related("item").get(pk=version_id)
    _check_editor(by, version.item)
    if version.status not in workflow.EDITABLE:
        raise ValidationError(
            f"An item version that is {version.status} cannot be changed; "
            "edit a draft or one with changes requested, or make a new version."
        )
    unknown = set(changes) - set(VERSION_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    if "stimulus" in changes:
        _check_stimulus(by, changes["stimulus"])
    before = {name: getattr(version, name) for name in changes}
    for name, value in changes.items():
        setattr(version, name, value)
    version.full_clean()  # normalises the content, so that a no-op save records no edit
    version.save()
    changed = [name for name in changes if getattr(version, name) != before[name]]
    if changed:
        ItemVersionEdit.objects.create(version=version, by=by, fields=changed)
    if not version.item.versions.filter(number__gt=version.number).exists():
        refresh_search_text(version.item, version)
    return version


@transaction.atomic
def item_version_move(*, by: User, version_id: int, to: str, comment: str = "") -> ItemVersion:
    """Move a version along ``workflow.TRANSITIONS``, audited in ``ItemReviewEvent``.

    The row is locked; a move to the status the version already has is a no-op (a replayed
    request); a move the table does not allow raises ``workflow.IllegalTransition``.
    """
    version = ItemVersion.objects.select_for_update(of=("self",)).select_related("item").get(pk=version_id)
    _check_actor(by, version, workflow.ACTOR_FOR_TARGET.get(to, workflow.AUTHOR))
    if version.status == to:
        return version
    workflow.check_transition(version.status, to)
    comment = comment.strip()
    if to == workflow.SUBMITTED and version.item.visibility == Visibility.PRIVATE:
        raise ValidationError({"visibility": _("A private item cannot be reviewed; share it with your school first.")})
    if to in workflow.COMMENT_REQUIRED and not comment:
        raise ValidationError({"comment": _("Say what should change.")})
    if to == workflow.APPROVED and version.stimulus_id:
        # Approval freezes the stimulus too: wait for (and block) any edit of it meanwhile.
        Stimulus.objects.select_for_update().filter(pk=version.stimulus_id).first()
    version.full_clean()
    changes: dict[str, Any] = {"status": to}
    if to == workflow.PUBLISHED:
        changes["published_at"] = timezone.now()
    # update(), not save(): the content guard in ItemVersion.save refuses frozen rows.
    ItemVersion.objects.filter(pk=version.pk).update(**changes)
    ItemReviewEvent.objects.create(version=version, from_status=version.status, to_status=to, by=by, comment=comment)
    version.refresh_from_db()
    return version


def item_version_submit(*, by: User, version_id: int, comment: str = "") -> ItemVersion:
    """Send a draft (or a revised version) to review."""
    return item_version_move(by=by, version_id=version_id, to=workflow.SUBMITTED, comment=comment)


def item_version_approve(*, by: User, version_id: int, comment: str = "") -> ItemVersion:
    """Approve a submitted version; from now on forms may use it and it never changes."""
    return item_version_move(by=by, version_id=version_id, to=workflow.APPROVED, comment=comment)


def item_version_request_changes(*, by: User, version_id: int, comment: str) -> ItemVersion:
    """Send a submitted version back to its author, saying what should change."""
    return item_version_move(by=by, version_id=version_id, to=workflow.CHANGES_REQUESTED, comment=comment)


def item_version_publish(*, by: User, version_id: int) -> ItemVersion:
    """Release an approved version to the bank. Publishing twice is a no-op."""
    return item_version_move(by=by, version_id=version_id, to=workflow.PUBLISHED)


def item_version_retire(*, by: User, version_id: int, comment: str = "") -> ItemVersion:
    """Withdraw a published version: existing forms keep it, new forms refuse it."""
    return item_version_move(by=by, version_id=version_id, to=workflow.RETIRED, comment=comment)


@dataclass(frozen=True)
class NewItem:
    """One item for ``items_create_bulk``: its content already checked by ``content.validate_content``."""

    subject: Subject
    level: str
    item_type: str
    content: dict[str, Any]
    points: Decimal
    topic: Topic | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@transaction.atomic
def items_create_bulk(*, by: User, owner_id: int, rows: list[NewItem], batch_size: int = 500) -> list[ItemVersion]:
    """Create many items with their first draft versions in a few statements (imports).

    The caller has validated every content document; this checks the rest of each row the
    way ``item_create`` would (metadata fields, level, points) and refuses the whole batch on
    the first problem, naming the row.
    """
    _check_author(by, owner_id)
    items: list[Item] = []
    for number, row in enumerate(rows, start=1):
        unknown = set(row.metadata) - set(ITEM_METADATA)
        if unknown:
            raise ValidationError({name: f"Row {number}: unknown field." for name in sorted(unknown)})
        item = Item(
            owner_id=owner_id,
            author=by,
            subject=row.subject,
            topic=row.topic,
            level=row.level,
            item_type=row.item_type,
            search_text=_search_text(row.item_type, row.content),
            **row.metadata,
        )
        try:
            item.clean_fields(exclude=["owner", "author", "subject", "topic"])
            item.clean()
        except ValidationError as exc:
            raise ValidationError(f"Row {number}: {'; '.join(exc.messages)}") from None
        if not row.points > 0:
            raise ValidationError(f"Row {number}: points must be above 0.")
        items.append(item)
    Item.objects.bulk_create(items, batch_size=batch_size)
    versions = [
        ItemVersion(item=item, number=1, content=row.content, points=row.points, created_by=by)
        for item, row in zip(items, rows, strict=True)
    ]
    ItemVersion.objects.bulk_create(versions, batch_size=batch_size)
    return versions


@transaction.atomic
def item_version_set_calibration(
    *,
    by: User,
    version_id: int,
    irt_a: float,
    irt_b: float,
    irt_c: float | None = None,
    calibration: str,
    calibrated_at: datetime | None = None,
) -> ItemVersion:
    """Record IRT parameters estimated from responses, with their provenance.

    Calibration follows use, so a published (frozen) version takes them too: they describe
    how the exact content behaved, they do not change it. Only the exam board records them.
    """
    version = ItemVersion.objects.select_for_update(of=("self",)).select_related("item").get(pk=version_id)
    _check_editor(by, version.item)
    if not scope_of(by).has_role(*BOARD):
        raise PermissionDenied(_("Only the exam board records calibrations."))
    if not calibration.strip():
        raise ValidationError({"calibration": "Say which calibration the parameters come from."})
    if not (0 < irt_a <= 10) or not (-10 <= irt_b <= 10) or (irt_c is not None and not 0 <= irt_c < 1):
        raise ValidationError({"irt": "Parameters out of range: 0 < a <= 10, -10 <= b <= 10, 0 <= c < 1."})
    changes = {
        "irt_a": irt_a,
        "irt_b": irt_b,
        "irt_c": irt_c,
        "irt_calibration": calibration.strip()[:200],
        "irt_calibrated_at": calibrated_at or timezone.now(),
    }
    ItemVersion.objects.filter(pk=version.pk).update(**changes)  # update(): the content guard refuses frozen rows
    version.refresh_from_db()
    return version
