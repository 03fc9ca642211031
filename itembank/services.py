"""Every write to the item bank. Keyword-only, transactional, checked."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from accounts.selectors import user_can_oversee

from .models import Item, ItemVersion, Subject, Topic

AUTHOR_ROLES = (Role.TEACHER, Role.BOARD, Role.ADMIN)


def _check_author(user: User, owner_id: int) -> None:
    if not user.has_role(*AUTHOR_ROLES) or not user_can_oversee(user, owner_id):
        raise PermissionDenied("You may not author items for this organisation.")


@transaction.atomic
def item_create(
    *,
    by: User,
    subject: Subject,
    level: str,
    stem: str,
    options: list[dict[str, str]],
    key: str,
    points: Decimal | float = Decimal("1"),
    topic: Topic | None = None,
    owner_id: int | None = None,
    irt_a: float | None = None,
    irt_b: float | None = None,
) -> ItemVersion:
    """Create an item with its first (draft) version."""
    owner_id = owner_id or by.organisation_id
    if owner_id is None:
        raise ValidationError({"owner": "An item needs an owner organisation."})
    _check_author(by, owner_id)
    item = Item(owner_id=owner_id, author=by, subject=subject, topic=topic, level=level)
    item.full_clean()
    item.save()
    version = ItemVersion(
        item=item,
        number=1,
        stem=stem,
        options=options,
        key=key,
        points=Decimal(str(points)),
        irt_a=irt_a,
        irt_b=irt_b,
        created_by=by,
    )
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def item_version_create(*, by: User, item_id: int, **content: Any) -> ItemVersion:
    """Start a new draft from the latest version, with ``content`` changed."""
    item = Item.objects.select_for_update().get(pk=item_id)
    _check_author(by, item.owner_id)
    latest = item.versions.order_by("-number").first()
    fields = {
        "stem": latest.stem,
        "options": latest.options,
        "key": latest.key,
        "points": latest.points,
        "irt_a": latest.irt_a,
        "irt_b": latest.irt_b,
    }
    unknown = set(content) - set(fields)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    fields.update(content)
    version = ItemVersion(item=item, number=latest.number + 1, created_by=by, **fields)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def item_version_update(*, by: User, version_id: int, **content: Any) -> ItemVersion:
    """Change a draft. A published version refuses: make a new version instead."""
    version = ItemVersion.objects.select_for_update(of=("self",)).select_related("item").get(pk=version_id)
    _check_author(by, version.item.owner_id)
    if version.status != ItemVersion.Status.DRAFT:
        raise ValidationError("A published item version cannot be changed; make a new version.")
    allowed = {"stem", "options", "key", "points", "irt_a", "irt_b"}
    unknown = set(content) - allowed
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    for name, value in content.items():
        setattr(version, name, value)
    version.full_clean()
    version.save()
    return version


@transaction.atomic
def item_version_publish(*, by: User, version_id: int) -> ItemVersion:
    """Freeze a version so that forms may use it. Publishing twice is a no-op."""
    version = ItemVersion.objects.select_for_update(of=("self",)).select_related("item").get(pk=version_id)
    _check_author(by, version.item.owner_id)
    if version.status == ItemVersion.Status.PUBLISHED:
        return version
    version.full_clean()
    ItemVersion.objects.filter(pk=version.pk).update(status=ItemVersion.Status.PUBLISHED, published_at=timezone.now())
    version.refresh_from_db()
    return version
