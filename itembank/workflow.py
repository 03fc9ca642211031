"""Review statuses of an item version and the one table of allowed transitions.

Each version is reviewed on its own. The values are stored and sent over the wire as they
are: never translate them.

    draft --> submitted --> approved --> published --> retired
                 ^   |
                 |   v
           changes_requested      (the author edits, then submits again)

Who may make each move (``TRANSITIONS`` names the actor):

- ``author``: a teacher, board member or administrator of an organisation that oversees the
  item's owner (``accounts.permissions.Scope.oversees``). Authors submit and resubmit, and
  publish what a reviewer has approved: approval is the four-eyes check, publishing only
  releases the approved content, so the author may do it.
- ``reviewer``: the same people, except anyone who shaped the version's content: its
  creator (``created_by``) and whoever changed it since (``ItemVersionEdit``), administrators
  included. Reviewers approve or request changes (with a comment).
- ``board``: a board member or administrator overseeing the owner. Only they retire.

Content may be edited only in ``EDITABLE`` statuses; from approval on it is frozen, because
forms may use approved and published versions (``USABLE_IN_FORMS``).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

DRAFT = "draft"
SUBMITTED = "submitted"
CHANGES_REQUESTED = "changes_requested"
APPROVED = "approved"
PUBLISHED = "published"
RETIRED = "retired"

ALL = (DRAFT, SUBMITTED, CHANGES_REQUESTED, APPROVED, PUBLISHED, RETIRED)

AUTHOR = "author"
REVIEWER = "reviewer"
BOARD = "board"

# from status -> {to status: who may make the move}
TRANSITIONS: dict[str, dict[str, str]] = {
    DRAFT: {SUBMITTED: AUTHOR},
    SUBMITTED: {APPROVED: REVIEWER, CHANGES_REQUESTED: REVIEWER},
    CHANGES_REQUESTED: {SUBMITTED: AUTHOR},
    APPROVED: {PUBLISHED: AUTHOR},
    PUBLISHED: {RETIRED: BOARD},
    RETIRED: {},
}

ALLOWED: dict[str, frozenset[str]] = {current: frozenset(targets) for current, targets in TRANSITIONS.items()}

# Who may move a version into a status, whatever it comes from (one actor per target).
ACTOR_FOR_TARGET: dict[str, str] = {
    target: actor for targets in TRANSITIONS.values() for target, actor in targets.items()
}
assert all(
    actor == ACTOR_FOR_TARGET[target] for targets in TRANSITIONS.values() for target, actor in targets.items()
), "every status must be entered by one kind of actor"

EDITABLE = frozenset({DRAFT, CHANGES_REQUESTED})
FROZEN = frozenset({APPROVED, PUBLISHED, RETIRED})
USABLE_IN_FORMS = frozenset({APPROVED, PUBLISHED})
COMMENT_REQUIRED = frozenset({CHANGES_REQUESTED})


class IllegalTransition(ValidationError):
    """A move the table does not allow. The API answers 400 with code ``illegal_transition``."""

    code = "illegal_transition"

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"An item version cannot move from {current} to {target}.", code=self.code)
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> str:
    """Return the actor kind for the move, or raise ``IllegalTransition``."""
    actor = TRANSITIONS.get(current, {}).get(target)
    if actor is None:
        raise IllegalTransition(current, target)
    return actor
