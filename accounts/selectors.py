"""Reads about people and organisations, used for authorisation everywhere."""

from __future__ import annotations

from .models import Organisation, Role, User


def organisation_subtree_ids(organisation_id: int | None) -> set[int]:
    """The organisation and every organisation below it (departments contain schools)."""
    if organisation_id is None:
        return set()
    found = {organisation_id}
    frontier = [organisation_id]
    while frontier:
        children = list(Organisation.objects.filter(parent_id__in=frontier).values_list("id", flat=True))
        frontier = [child for child in children if child not in found]
        found.update(frontier)
    return found


def user_can_oversee(user: User, organisation_id: int) -> bool:
    """Whether a board member, proctor or teacher may see what happens in an organisation.

    Administrators see everything; others see their own organisation and what lies below it.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_admin_role:
        return True
    return organisation_id in organisation_subtree_ids(user.organisation_id)


def overseen_organisation_ids(user: User) -> set[int] | None:
    """The organisations a user oversees; None means all of them (administrators)."""
    if user.is_admin_role:
        return None
    return organisation_subtree_ids(user.organisation_id)


STAFF_ROLES = (Role.TEACHER, Role.PROCTOR, Role.BOARD, Role.ADMIN)
