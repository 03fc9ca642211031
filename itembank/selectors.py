"""Reads of the item bank, scoped to what a user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Role, User
from accounts.selectors import overseen_organisation_ids

from .models import Item, ItemVersion


def items_visible_to(user: User) -> QuerySet[Item]:
    """Items owned by the organisations the user oversees (authors and boards only)."""
    if not user.has_role(Role.TEACHER, Role.BOARD, Role.ADMIN):
        return Item.objects.none()
    scope = overseen_organisation_ids(user)
    items = Item.objects.select_related("subject", "topic", "owner")
    return items if scope is None else items.filter(owner_id__in=scope)


def item_versions_visible_to(user: User) -> QuerySet[ItemVersion]:
    return ItemVersion.objects.filter(item__in=items_visible_to(user)).select_related("item")
