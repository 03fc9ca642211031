"""The one permission layer: who acts, for which organisations, and the doors that ask.

Every door asks the same two questions, in the same way:

1. *What is this person's role?* Roles are exclusive (``accounts.models.Role``); an
   administrator (the role, or a superuser) may act in every role.
2. *Which organisations does this person act for?* Their own organisation and every
   organisation below it (a department's board acts for its schools); administrators act
   for all of them.

``scope_of(user)`` answers both once, as a frozen :class:`Scope`, with one query (a
recursive walk of the organisation tree), and keeps it on the user object: a request has
one user object, so a request pays for its scope once however many rows it checks, and a
websocket connection once for its life. The permission functions here and in the apps
(``itembank.selectors``, ``assess.selectors``) are pure functions of a scope and the
attributes of the row they judge: they never query.

The doors use them like this:

- REST views: the DRF permission classes below (``IsStudent``, ``IsAuthor``, ...) for the
  role, then a scoped queryset (404 for what the user may not see) or a predicate;
- pages: :func:`page_for` (login, then the role; 403 otherwise);
- the exam websocket: ``assess.services.attempt_connect`` checks the attempt is the
  student's own;
- the Django admin: platform administrators only (:func:`can_use_admin`, ``accounts.admin``);
- services: every write checks again with the same functions, whoever calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from .models import Organisation, Role, SchoolClass

# Who may do what, by role. Administrators pass every check (``Scope.has_role``).
STUDENTS = (Role.STUDENT,)
AUTHORS = (Role.TEACHER, Role.BOARD, Role.ADMIN)  # write and review items, use the bank
BOARD = (Role.BOARD, Role.ADMIN)  # assessments, forms, sittings, results, calibration, retiring
PROCTORS = (Role.PROCTOR, Role.BOARD, Role.ADMIN)  # pause and resume attempts, unlock students
STAFF = (Role.TEACHER, Role.PROCTOR, Role.BOARD, Role.ADMIN)  # everyone who oversees an organisation
SCHOOL_ADMINS = (Role.SCHOOL_ADMIN, Role.ADMIN)  # classes, rosters and people of their organisations
CLASS_READERS = (Role.TEACHER, Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)  # see classes and their students
TAXONOMY_READERS = (Role.TEACHER, Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)  # see subjects and their topic trees
TAXONOMY_KEEPERS = (Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)  # add subjects and topics; change their organisations'
ROSTER_IMPORTERS = (Role.SCHOOL_ADMIN, Role.TEACHER, Role.ADMIN)  # rosters; a teacher: their homeroom's students
ROOM_KEEPERS = (Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)  # labs: seat maps, networks, proctors needed


@dataclass(frozen=True)
class Scope:
    """A person's role and the organisations they act for; computed by :func:`scope_of`."""

    user_id: int | None = None
    role: str | None = None
    is_admin: bool = False
    organisation_id: int | None = None
    overseen: frozenset[int] = field(default_factory=frozenset)
    """Their organisation and everything below it (empty for administrators: see ``oversees``)."""
    department: frozenset[int] = field(default_factory=frozenset)
    """Their department (their organisation if it is one, else its parent) and everything below."""

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None

    def has_role(self, *roles: str) -> bool:
        if self.role is None:
            return False
        return self.role in roles or (self.is_admin and Role.ADMIN in roles)

    def oversees(self, organisation_id: int | None) -> bool:
        """Whether the person acts for ``organisation_id`` (administrators act for all)."""
        return self.is_admin or (organisation_id is not None and organisation_id in self.overseen)

    @property
    def overseen_ids(self) -> frozenset[int] | None:
        """The organisations to filter lists by; None means every one (administrators)."""
        return None if self.is_admin else self.overseen


ANONYMOUS = Scope()

# The organisation's department, then every organisation below it, in one statement. UNION
# (not UNION ALL) stops on a cycle, which Organisation.clean refuses but the database allows.
_TREE_SQL = """
WITH RECURSIVE
  start(id) AS (
    SELECT CASE WHEN kind = %s OR parent_id IS NULL THEN id ELSE parent_id END
    FROM accounts_organisation WHERE id = %s
  ),
  tree(id, parent_id) AS (
    SELECT o.id, o.parent_id FROM accounts_organisation o JOIN start ON o.id = start.id
    UNION
    SELECT o.id, o.parent_id FROM accounts_organisation o JOIN tree ON o.parent_id = tree.id
  )
SELECT id, parent_id FROM tree
"""


def _organisation_tree(organisation_id: int) -> tuple[frozenset[int], frozenset[int]]:
    """(the organisation's subtree, its department's subtree), with one query."""
    with connection.cursor() as cursor:
        cursor.execute(_TREE_SQL, [Organisation.Kind.DEPARTMENT.value, organisation_id])
        rows = cursor.fetchall()
    children: dict[int | None, list[int]] = {}
    for node, parent in rows:
        children.setdefault(parent, []).append(node)
    department = frozenset(node for node, _parent in rows)
    if organisation_id not in department:  # no such organisation
        return frozenset(), frozenset()
    subtree = {organisation_id}
    frontier = [organisation_id]
    while frontier:
        frontier = [child for node in frontier for child in children.get(node, []) if child not in subtree]
        subtree.update(frontier)
    return frozenset(subtree), department


def organisation_subtree(organisation_id: int) -> frozenset[int]:
    """An organisation and every organisation below it (one query)."""
    return _organisation_tree(organisation_id)[0]


_CACHE_ATTRIBUTE = "_permission_scope"


def scope_of(user: Any) -> Scope:
    """The user's scope, computed once per user object (a request's or a connection's).

    Inactive and anonymous users get ``ANONYMOUS``, which passes no check. The cached scope
    is recomputed if the user object's role or organisation changed since.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return ANONYMOUS
    key = (user.pk, user.role, user.is_superuser, user.organisation_id)
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None and cached[0] == key:
        return cached[1]
    is_admin = user.role == Role.ADMIN or user.is_superuser
    overseen: frozenset[int] = frozenset()
    department: frozenset[int] = frozenset()
    # Students act for no organisation: they only ever reach their own attempts and records,
    # so their scope costs no query (a start storm connects thousands of them at once).
    if user.organisation_id is not None and user.role != Role.STUDENT:
        overseen, department = _organisation_tree(user.organisation_id)
    scope = Scope(
        user_id=user.pk,
        role=user.role,
        is_admin=is_admin,
        organisation_id=user.organisation_id,
        overseen=overseen,
        department=department,
    )
    setattr(user, _CACHE_ATTRIBUTE, (key, scope))
    return scope


# Who may unlock whose account (docs/security.md): a proctor the students, an exam board
# member the students, teachers and proctors, of the organisations they oversee; a platform
# administrator anyone. Board members and administrators are unlocked by an administrator (or
# the operator's `manage.py unlock_account`).
UNLOCKABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.PROCTOR: (Role.STUDENT,),
    Role.BOARD: (Role.STUDENT, Role.TEACHER, Role.PROCTOR),
}
UNLOCKERS = PROCTORS


def can_unlock(scope: Scope, *, role: str, is_superuser: bool, organisation_id: int | None) -> bool:
    """Whether ``scope`` may unlock the account of a person with these attributes."""
    if scope.is_admin:
        return scope.has_role(*UNLOCKERS)
    if is_superuser or role not in UNLOCKABLE_ROLES.get(scope.role or "", ()):
        return False
    return scope.oversees(organisation_id)


def can_change_taxonomy(scope: Scope, *, owner_id: int | None) -> bool:
    """Whether ``scope`` may rename, move or delete a subject or topic kept by ``owner_id``.

    Subjects and topic trees are one vocabulary every organisation reads (items and blueprints
    are shared across schools and departments), so a change reaches every organisation: the
    exam board and school administrators change only what their organisations added; what no
    organisation keeps (``owner_id`` None: the platform's own list) only administrators.
    Adding a subject or topic needs only the role (``TAXONOMY_KEEPERS``).
    """
    return scope.has_role(*TAXONOMY_KEEPERS) and scope.oversees(owner_id)


def can_use_admin(scope: Scope) -> bool:
    """The Django admin bypasses the services' checks: platform administrators only."""
    return scope.is_admin


# Assessments, forms and test codes (``assess.authoring``): an exam board builds any kind for
# the organisations it oversees; a teacher builds continuous assessments for their own school
# and manages only the ones they created.
ASSESSORS = AUTHORS


def can_create_assessment(scope: Scope, *, organisation_id: int | None, periodic: bool) -> bool:
    if scope.has_role(*BOARD):
        return scope.oversees(organisation_id)
    if scope.has_role(Role.TEACHER):
        return not periodic and organisation_id is not None and organisation_id == scope.organisation_id
    return False


def can_manage_assessment(scope: Scope, *, organisation_id: int, created_by_id: int) -> bool:
    if scope.has_role(*BOARD):
        return scope.oversees(organisation_id)
    if scope.has_role(Role.TEACHER):
        return created_by_id == scope.user_id and scope.oversees(organisation_id)
    return False


# Students' photos (accounts.photos), for check-in on exam day: the school's administrators and
# the exam board of the organisations they oversee, and a proctor named for a room where the
# student sits an exam. Students see none, not even their own (they have nothing to check).
PHOTO_VIEWERS = (Role.SCHOOL_ADMIN, Role.BOARD, Role.ADMIN)


def may_see_photo(viewer: Any, student: Any) -> bool:
    """Whether ``viewer`` may see ``student``'s photo (and so know that there is one).

    Pure for everyone but proctors: a proctor costs one query (are they named for a room of a
    sitting in which the student has an attempt?), which a proctor's page pays per student.
    """
    if getattr(student, "role", None) != Role.STUDENT:
        return False
    scope = scope_of(viewer)
    if scope.has_role(*PHOTO_VIEWERS):
        return scope.oversees(student.organisation_id)
    if scope.role == Role.PROCTOR and scope.user_id is not None:
        from proctoring.models import SittingRoom  # proctoring sits above accounts

        return SittingRoom.objects.filter(proctors=scope.user_id, attempts__student=student.pk).exists()
    return False


# --- REST: DRF permission classes --------------------------------------------------------------


class _RolePermission(BasePermission):
    roles: tuple[str, ...] = ()
    message: Any = _("You may not do this.")

    def has_permission(self, request: Any, view: Any) -> bool:
        return scope_of(request.user).has_role(*self.roles)


def _role_permission(name: str, roles: tuple[str, ...], message: Any) -> type[BasePermission]:
    return type(name, (_RolePermission,), {"roles": roles, "message": message})


IsStudent = _role_permission("IsStudent", STUDENTS, _("Only students may do this."))
IsAuthor = _role_permission("IsAuthor", AUTHORS, _("Only teachers and the exam board use the item bank."))
IsBoard = _role_permission("IsBoard", BOARD, _("Only the exam board may do this."))
IsProctor = _role_permission("IsProctor", PROCTORS, _("Only proctors and the exam board may do this."))
IsStaff = _role_permission("IsStaff", STAFF, _("Only staff may do this."))
IsRoomKeeper = _role_permission(
    "IsRoomKeeper", ROOM_KEEPERS, _("Only school administrators and the exam board keep rooms.")
)
IsSchoolAdmin = _role_permission(
    "IsSchoolAdmin", SCHOOL_ADMINS, _("Only the school's administrator manages classes and people.")
)


IsRosterImporter = _role_permission(
    "IsRosterImporter",
    ROSTER_IMPORTERS,
    _("Only the school's administrator and homeroom teachers import rosters."),
)


def roster_import_scope(user: Any, *, organisation_id: int, school_year: str) -> frozenset[int] | None:
    """What ``user`` may import in a roster for ``organisation_id`` and the year: ``None`` for
    a school's administrator overseeing it (everything: classes, teachers, students); for a
    homeroom teacher of their own school, the ids of the year's classes they are homeroom
    teacher of (only those classes' students). ``Organisation.DoesNotExist`` for an organisation
    out of reach (as a 404); ``PermissionDenied`` for anyone else.
    """
    scope = scope_of(user)
    if scope.has_role(*SCHOOL_ADMINS):
        if not scope.oversees(organisation_id):
            raise Organisation.DoesNotExist
        return None
    require(scope.has_role(Role.TEACHER), IsRosterImporter.message)
    if organisation_id != scope.organisation_id:
        raise Organisation.DoesNotExist
    classes = frozenset(
        SchoolClass.objects.filter(
            school_id=organisation_id, school_year=school_year, homeroom_teacher_id=scope.user_id
        ).values_list("pk", flat=True)
    )
    require(bool(classes), _("Only the homeroom teacher of a class of this year imports its students."))
    return classes


def require_school_admin(user: Any) -> Scope:
    """The scope of a school's administrator (or a platform administrator); ``PermissionDenied`` otherwise."""
    scope = scope_of(user)
    require(scope.has_role(*SCHOOL_ADMINS), IsSchoolAdmin.message)
    return scope


IsAssessor = _role_permission("IsAssessor", ASSESSORS, _("Only teachers and the exam board build assessments."))
IsClassReader = _role_permission("IsClassReader", CLASS_READERS, _("Only staff see classes."))
IsTaxonomyReader = _role_permission("IsTaxonomyReader", TAXONOMY_READERS, _("Only staff see subjects and topics."))
IsTaxonomyKeeper = _role_permission(
    "IsTaxonomyKeeper",
    TAXONOMY_KEEPERS,
    _("Only the exam board and school administrators manage subjects and topics."),
)


class ReadsOrKeepsTaxonomy(BasePermission):
    """Subjects and topics: readers may look (GET, HEAD, OPTIONS), keepers may also change."""

    message: Any = IsTaxonomyReader.message

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return scope_of(request.user).has_role(*TAXONOMY_READERS)
        self.message = IsTaxonomyKeeper.message
        return scope_of(request.user).has_role(*TAXONOMY_KEEPERS)


IsUnlocker = _role_permission(
    "IsUnlocker", UNLOCKERS, _("Only proctors, the exam board and administrators unlock accounts.")
)

# The API's schema and its documentation page (/api/schema/, /api/docs/): every logged-in
# role but students, who have no use for it (docs/security.md says why it is not public).
SCHEMA_READERS = (Role.TEACHER, Role.PROCTOR, Role.BOARD, Role.SCHOOL_ADMIN, Role.ADMIN)
IsSchemaReader = _role_permission("IsSchemaReader", SCHEMA_READERS, _("Only staff read the API's documentation."))


# --- pages --------------------------------------------------------------------------------------


def page_for(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for these roles: the login page for anonymous visitors, 403 for other roles."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def guarded(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not scope_of(request.user).has_role(*roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return login_required(guarded)

    return decorate


def require(allowed: bool, message: Any) -> None:
    """Raise ``PermissionDenied(message)`` unless ``allowed``: how services refuse."""
    if not allowed:
        raise PermissionDenied(message)
