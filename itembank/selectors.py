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

from accounts.models import Organisation, Role, User
from accounts.selectors import organisation_subtree_ids, overseen_organisation_ids, user_can_oversee

from .models import Item, ItemVersion, Stimulus, Visibility

BANK_ROLES = (Role.TEACHER, Role.BOARD, Role.ADMIN)


def _department_id(user: User) -> int | None:
    organisation = user.organisation
    if organisation is None:
        return None
    return organisation.pk if organisation.kind == Organisation.Kind.DEPARTMENT else organisation.parent_id


def _shared_with(user: User, *, author_field: str) -> Q | None:
    """The condition on owner/visibility/author for what ``user`` may see; None: everything."""
    if user.is_admin_role:
        return None
    overseen = overseen_organisation_ids(user) or set()
    department = organisation_subtree_ids(_department_id(user))
    return (
        Q(visibility=Visibility.PRIVATE, **{author_field: user.pk})
        | (Q(owner_id__in=overseen) & ~Q(visibility=Visibility.PRIVATE))
        | Q(visibility=Visibility.DEPARTMENT, owner_id__in=department)
        | Q(visibility=Visibility.NATIONAL)
    )


def items_visible_to(user: User) -> QuerySet[Item]:
    """Every item the user may find, preview and put on a form."""
    if not user.is_authenticated or not user.has_role(*BANK_ROLES):
        return Item.objects.none()
    items = Item.objects.select_related("subject", "topic", "owner")
    condition = _shared_with(user, author_field="author_id")
    return items if condition is None else items.filter(condition)


def user_can_edit_item(user: User, item: Item) -> bool:
    """Whether the user may change the item: new versions, metadata, the review moves."""
    if not user.is_authenticated or not user.has_role(*BANK_ROLES):
        return False
    if item.visibility == Visibility.PRIVATE and item.author_id != user.pk and not user.is_admin_role:
        return False
    return user_can_oversee(user, item.owner_id)


def items_editable_by(user: User) -> QuerySet[Item]:
    if not user.is_authenticated or not user.has_role(*BANK_ROLES):
        return Item.objects.none()
    if user.is_admin_role:
        return Item.objects.all()
    overseen = overseen_organisation_ids(user) or set()
    return Item.objects.filter(owner_id__in=overseen).exclude(Q(visibility=Visibility.PRIVATE) & ~Q(author_id=user.pk))


def item_versions_visible_to(user: User) -> QuerySet[ItemVersion]:
    return ItemVersion.objects.filter(item__in=items_visible_to(user)).select_related("item")


def stimuli_visible_to(user: User) -> QuerySet[Stimulus]:
    if not user.is_authenticated or not user.has_role(*BANK_ROLES):
        return Stimulus.objects.none()
    condition = _shared_with(user, author_field="created_by_id")
    stimuli = Stimulus.objects.select_related("media", "subject")
    return stimuli if condition is None else stimuli.filter(condition)


def stimulus_usable_by(user: User, stimulus: Stimulus) -> bool:
    return stimuli_visible_to(user).filter(pk=stimulus.pk).exists()
