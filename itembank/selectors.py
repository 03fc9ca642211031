"""Reads of the item bank, scoped to what a user may see: the one place sharing is decided.

Sharing (``Item.visibility``, ``Stimulus.visibility``), for teachers, board members and
administrators (students and proctors see no bank at all):

- ``private``: its author only (it cannot be sent to review until it is shared);
- ``school``: everyone who oversees the owner organisation (its teachers, the board of the
  department above it);
- ``department``: everyone in the owner's department (the department and all its schools);
- ``national``: everyone.

Editing (new versions, metadata, the review moves) stays with those who oversee the owner
organisation, and with the author alone for a private item; administrators see and edit all.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.models import User
from accounts.permissions import AUTHORS, Scope, scope_of

from .models import Item, ItemVersion, Stimulus, Visibility


def shared_with(scope: Scope, *, author_field: str) -> Q | None:
    """The condition on owner/visibility/author for what ``scope`` may see; None: everything."""
    if scope.is_admin:
        return None
    return (
        Q(visibility=Visibility.PRIVATE, **{author_field: scope.user_id})
        | (Q(owner_id__in=scope.overseen) & ~Q(visibility=Visibility.PRIVATE))
        | Q(visibility=Visibility.DEPARTMENT, owner_id__in=scope.department)
        | Q(visibility=Visibility.NATIONAL)
    )


def can_change_shared(scope: Scope, *, owner_id: int, visibility: str, author_id: int | None) -> bool:
    """Whether ``scope`` may change a shared object (an item or a stimulus): new versions,
    metadata, the review moves. Those who oversee the owner organisation; the author alone for
    a private one; administrators always. Pure: no query."""
    if not scope.has_role(*AUTHORS):
        return False
    if visibility == Visibility.PRIVATE and author_id != scope.user_id and not scope.is_admin:
        return False
    return scope.oversees(owner_id)


def items_visible_to(user: User) -> QuerySet[Item]:
    """Every item the user may find, preview and put on a form."""
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS):
        return Item.objects.none()
    items = Item.objects.select_related("subject", "topic", "owner")
    condition = shared_with(scope, author_field="author_id")
    return items if condition is None else items.filter(condition)


def can_edit_item(scope: Scope, item: Item) -> bool:
    """Whether the user may change the item: new versions, metadata, the review moves."""
    return can_change_shared(scope, owner_id=item.owner_id, visibility=item.visibility, author_id=item.author_id)


def items_editable_by(user: User) -> QuerySet[Item]:
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS):
        return Item.objects.none()
    if scope.is_admin:
        return Item.objects.all()
    return Item.objects.filter(owner_id__in=scope.overseen).exclude(
        Q(visibility=Visibility.PRIVATE) & ~Q(author_id=scope.user_id)
    )


def item_versions_visible_to(user: User) -> QuerySet[ItemVersion]:
    return ItemVersion.objects.filter(item__in=items_visible_to(user)).select_related("item")


def stimuli_visible_to(user: User) -> QuerySet[Stimulus]:
    scope = scope_of(user)
    if not scope.has_role(*AUTHORS):
        return Stimulus.objects.none()
    condition = shared_with(scope, author_field="created_by_id")
    stimuli = Stimulus.objects.select_related("media", "subject")
    return stimuli if condition is None else stimuli.filter(condition)


def stimulus_usable_by(user: User, stimulus: Stimulus) -> bool:
    return stimuli_visible_to(user).filter(pk=stimulus.pk).exists()
