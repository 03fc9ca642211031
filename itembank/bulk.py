"""Several items at once: one review move or one sharing change, applied to each item on its own.

``items_bulk_apply`` takes the items a person selected in the bank's list and, for each in
turn, calls the same service a single item's button calls:

- ``submit``, ``approve``, ``publish``: ``itembank.services.item_version_move`` of the item's
  latest version (the one the list shows) to ``submitted``, ``approved``, ``published``;
- ``share``: ``itembank.services.item_update`` with the ``visibility`` chosen.

So every rule holds per item exactly as it does one at a time: who may change the item, the
four-eyes rule (nobody approves a version they wrote or changed), the transition table, a
private item not going to review. Each item is one transaction: it is done whole or not at
all, and one item's refusal does not stop the others. The outcome of each is reported:

- ``done``: changed now;
- ``unchanged``: it already was so (a repeated request changes nothing);
- ``refused``, with a stable ``code`` (``not_found``: no such item, or not shared with you;
  ``forbidden``; ``illegal_transition``; ``invalid``) and a message for people.

At most :data:`MAX_BULK_ITEMS` items a call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.permissions import scope_of

from . import services, workflow
from .models import Item, ItemVersion, Visibility
from .selectors import can_edit_item, items_visible_to

MAX_BULK_ITEMS = 200

SUBMIT, APPROVE, PUBLISH, SHARE = "submit", "approve", "publish", "share"
ACTIONS = (SUBMIT, APPROVE, PUBLISH, SHARE)
TARGET = {SUBMIT: workflow.SUBMITTED, APPROVE: workflow.APPROVED, PUBLISH: workflow.PUBLISHED}

DONE, UNCHANGED, REFUSED = "done", "unchanged", "refused"


@dataclass(frozen=True)
class BulkOutcome:
    """What became of one item of the selection."""

    item: int
    outcome: str
    code: str = ""
    message: str = ""
    version: int | None = None
    status: str | None = None
    visibility: str | None = None

    def as_dict(self) -> dict:
        return {name: value for name, value in asdict(self).items() if value not in ("", None)}


def too_many_message(count: int) -> str:
    return _("Choose at most %(max)s items at a time; %(count)s were chosen.") % {
        "max": MAX_BULK_ITEMS,
        "count": count,
    }


def items_bulk_apply(
    *, by: User, action: str, item_ids: Sequence[int], visibility: str | None = None
) -> list[BulkOutcome]:
    """Apply ``action`` to each item, each on its own; one outcome per distinct id, in order.

    Raises ``ValidationError`` (and changes nothing) for an unknown action, no items, more
    than :data:`MAX_BULK_ITEMS`, or ``share`` without a valid ``visibility``.
    """
    if action not in ACTIONS:
        raise ValidationError(
            {"action": [_("Unknown action; choose one of: %(actions)s.") % {"actions": ", ".join(ACTIONS)}]}
        )
    if len(item_ids) > MAX_BULK_ITEMS:
        raise ValidationError({"items": [too_many_message(len(item_ids))]})
    ids = list(dict.fromkeys(item_ids))
    if not ids:
        raise ValidationError({"items": [_("Choose at least one item.")]})
    if action == SHARE and visibility not in Visibility.values:
        raise ValidationError({"visibility": [_("Choose who the items are shared with.")]})
    found = {item.pk: item for item in items_visible_to(by).filter(pk__in=ids).prefetch_related("versions")}
    outcomes = []
    for item_id in ids:
        item = found.get(item_id)
        if item is None:
            outcomes.append(BulkOutcome(item_id, REFUSED, "not_found", _("Not found, or not shared with you.")))
        elif action == SHARE:
            outcomes.append(_share(by, item, visibility or ""))
        else:
            outcomes.append(_move(by, item, action))
    return outcomes


def _share(by: User, item: Item, visibility: str) -> BulkOutcome:
    if not can_edit_item(scope_of(by), item):
        return BulkOutcome(item.pk, REFUSED, "forbidden", _("You may not change this item."))
    if item.visibility == visibility:
        return BulkOutcome(item.pk, UNCHANGED, visibility=visibility)
    try:
        changed = services.item_update(by=by, item_id=item.pk, visibility=visibility)
    except PermissionDenied as exc:
        return BulkOutcome(item.pk, REFUSED, "forbidden", str(exc) or _("You may not change this item."))
    except ValidationError as exc:
        return BulkOutcome(item.pk, REFUSED, "invalid", " ".join(exc.messages))
    except ObjectDoesNotExist:
        return BulkOutcome(item.pk, REFUSED, "not_found", _("Not found, or not shared with you."))
    return BulkOutcome(item.pk, DONE, visibility=changed.visibility)


_ILLEGAL = {
    SUBMIT: lambda: _(
        "Version %(number)s is “%(status)s”: only a draft or a version with changes requested can be submitted for review."
    ),
    APPROVE: lambda: _("Version %(number)s is “%(status)s”: only a version submitted for review can be approved."),
    PUBLISH: lambda: _("Version %(number)s is “%(status)s”: only an approved version can be published."),
}


def _move(by: User, item: Item, action: str) -> BulkOutcome:
    versions = sorted(item.versions.all(), key=lambda v: v.number)
    if not versions:
        return BulkOutcome(item.pk, REFUSED, "invalid", _("The item has no version."))
    latest = versions[-1]
    target = TARGET[action]
    try:
        moved = services.item_version_move(by=by, version_id=latest.pk, to=target)
    except workflow.IllegalTransition:
        label = ItemVersion.Status(latest.status).label if latest.status in workflow.ALL else latest.status
        message = _ILLEGAL[action]() % {"number": latest.number, "status": label}
        return BulkOutcome(item.pk, REFUSED, workflow.IllegalTransition.code, message, latest.pk, latest.status)
    except PermissionDenied as exc:
        message = str(exc) or _("You may not change this item.")
        return BulkOutcome(item.pk, REFUSED, "forbidden", message, latest.pk, latest.status)
    except ValidationError as exc:
        return BulkOutcome(item.pk, REFUSED, "invalid", " ".join(exc.messages), latest.pk, latest.status)
    except ObjectDoesNotExist:
        return BulkOutcome(item.pk, REFUSED, "not_found", _("Not found, or not shared with you."))
    outcome = UNCHANGED if latest.status == target else DONE
    return BulkOutcome(item.pk, outcome, version=moved.pk, status=moved.status)
