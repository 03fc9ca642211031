"""Attempt statuses and the one table of allowed transitions.

The values are stored and sent over the wire as they are: never translate them.

    scheduled --> checked_in --> in_progress <--> paused
        |                          |              |  ^
        +--------------------------+--> submitted <+--> scored <--> published
    (any state before published) --> voided       |  (reopened: submitted or scored --> paused)

Published results may be withdrawn (published --> scored) by whoever released them; both
moves are audited like every other. An attempt the candidate handed in by mistake may be
reopened by the exam board (submitted or scored --> paused, ``proctoring.reopening``): its
proctor resumes it with the time it had left.
"""

SCHEDULED = "scheduled"
CHECKED_IN = "checked_in"
IN_PROGRESS = "in_progress"
PAUSED = "paused"
SUBMITTED = "submitted"
SCORED = "scored"
PUBLISHED = "published"
VOIDED = "voided"

ALL = (SCHEDULED, CHECKED_IN, IN_PROGRESS, PAUSED, SUBMITTED, SCORED, PUBLISHED, VOIDED)

ALLOWED: dict[str, frozenset[str]] = {
    SCHEDULED: frozenset({CHECKED_IN, IN_PROGRESS, VOIDED}),
    CHECKED_IN: frozenset({IN_PROGRESS, VOIDED}),
    IN_PROGRESS: frozenset({PAUSED, SUBMITTED, VOIDED}),
    PAUSED: frozenset({IN_PROGRESS, SUBMITTED, VOIDED}),
    SUBMITTED: frozenset({SCORED, PAUSED, VOIDED}),
    SCORED: frozenset({PUBLISHED, PAUSED, VOIDED}),
    PUBLISHED: frozenset({SCORED}),
    VOIDED: frozenset(),
}

# Statuses in which the student may still change answers (time permitting).
ANSWERABLE = frozenset({IN_PROGRESS})
# Statuses in which the clock runs or is held, i.e. the attempt is still open.
OPEN = frozenset({IN_PROGRESS, PAUSED})
NOT_STARTED = frozenset({SCHEDULED, CHECKED_IN})
FINISHED = frozenset({SUBMITTED, SCORED, PUBLISHED, VOIDED})


def live(status: str) -> str:
    """The status as the exam day follows it: scored and published are handed in still.

    Consoles and the candidate's page follow this; moves that do not change it (scoring,
    release, withdrawal) are not announced live.
    """
    return SUBMITTED if status in (SCORED, PUBLISHED) else status


CHOICES = [(status, status.replace("_", " ")) for status in ALL]


class IllegalTransition(Exception):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"An attempt cannot move from {current} to {target}.")
        self.current = current
        self.target = target


def check_transition(current: str, target: str) -> None:
    if target not in ALLOWED[current]:
        raise IllegalTransition(current, target)
