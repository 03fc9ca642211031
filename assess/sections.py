"""Delivery by sections: an assessment's parts taken one after the other, each with its own
time limit, navigation and a break after it (``AssessmentPart``).

An assessment runs by sections when any of its parts has a time limit, a break after it or a
navigation other than free; every part holding items on the form is then a section, in the
parts' order. Otherwise nothing here applies (``Attempt.section`` stays null).

The rules, enforced by the server (``assess.services`` calls these on a locked attempt):

- One section is current (``Attempt.section``). Its items take answers and flags, and so do
  the items of an earlier section *open to return*: free navigation, no time limit, and no
  break since it (none after it nor after any section up to the current one). Every other
  item is refused (``section_closed``).
- Navigation inside a section: ``free``, any item in any order; ``linear``, item by item and
  forward only: only ``Attempt.item_reached`` takes answers (``item_closed`` before it,
  ``item_not_reached`` after it) and ``next_item`` moves on; ``no_return``, free inside but
  closed for good once left.
- ``next_section`` leaves the current section (``last_section`` in the last one: handing in
  ends it). A section whose time is up is left by the server at its end.
- Leaving a section with a break after it starts the break: nothing is answered (``on_break``)
  until it ends at ``Attempt.break_until``, or earlier on ``end_break``. A break is not exam
  time: the deadline moves on by the break's length when it starts, and back by what is left
  of it when it ends early.
- A section's clock starts when it is entered, its limit scaled by the accommodation
  (``Attempt.time_scale``). In the last section the deadline is at most the section's end.
- A pause freezes the section's or the break's clock with the deadline's
  (``Attempt.section_paused_remaining``); more time given moves the section's end too.

Ends are applied at the instants they fell due, whoever is connected (:func:`catch_up`): a
section that ended while the candidate was away ended at its own end, and the next one (or its
break) started then.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.utils.translation import gettext as _

from . import errors, statuses
from .models import AssessmentPart, Attempt, FormItem

FREE = AssessmentPart.Navigation.FREE.value
LINEAR = AssessmentPart.Navigation.LINEAR.value
NO_RETURN = AssessmentPart.Navigation.NO_RETURN.value

# What a move of the sections changes on the attempt (saved with ``updated_at``).
FIELDS = ["section", "section_deadline", "break_until", "item_reached", "deadline"]


@dataclass(frozen=True)
class Section:
    index: int
    label: str
    positions: tuple[int, ...]  # the items' positions on the form, in order
    time_limit: timedelta | None
    navigation: str
    break_after: timedelta | None

    @property
    def reopenable(self) -> bool:
        """Whether the candidate may come back to it once left (break permitting)."""
        return self.navigation == FREE and self.time_limit is None and self.break_after is None


def runs_by_sections(parts: list[AssessmentPart]) -> bool:
    return any(p.time_limit is not None or p.break_after is not None or p.navigation != FREE for p in parts)


@functools.lru_cache(maxsize=512)
def form_sections(form_id: int) -> tuple[Section, ...]:
    """The sections of a form, or () when its assessment does not run by sections.

    Cached per process like ``selectors.form_index``: delivery reads it once a sitting has
    opened, when neither the form nor its assessment's parts change any more
    (``assess.authoring``). Items of a part the assessment does not list join the last section.
    """
    parts = list(AssessmentPart.objects.filter(assessment__forms=form_id).order_by("position"))
    if not runs_by_sections(parts):
        return ()
    by_part: dict[int, list[int]] = {}
    for position, part in FormItem.objects.filter(form_id=form_id).order_by("position").values_list("position", "part"):
        by_part.setdefault(part, []).append(position)
    sections: list[Section] = []
    known = {part.position for part in parts}
    for part in parts:
        if by_part.get(part.position):
            sections.append(
                Section(
                    len(sections),
                    part.label,
                    tuple(by_part[part.position]),
                    part.time_limit,
                    part.navigation,
                    part.break_after,
                )
            )
    stray = sorted(p for part, positions in by_part.items() if part not in known for p in positions)
    if stray and sections:
        last = sections[-1]
        sections[-1] = Section(
            last.index,
            last.label,
            tuple(sorted((*last.positions, *stray))),
            last.time_limit,
            last.navigation,
            last.break_after,
        )
    return tuple(sections)


def scaled(duration: timedelta, scale: float) -> timedelta:
    """A time scaled by an accommodation, to the second."""
    return timedelta(seconds=round(duration.total_seconds() * scale))


def section_of(sections: tuple[Section, ...], position: int) -> int | None:
    for section in sections:
        if position in section.positions:
            return section.index
    return None


def open_sections(attempt: Attempt, sections: tuple[Section, ...]) -> frozenset[int]:
    """The sections whose items take answers now: the current one and those open to return."""
    if attempt.section is None or attempt.break_until is not None:
        return frozenset()
    opened = {attempt.section}
    for index in range(attempt.section - 1, -1, -1):
        section = sections[index]
        if section.break_after is not None:  # a break closes every section before it
            break
        if section.reopenable:
            opened.add(index)
    return frozenset(opened)


# --- moves (on a locked attempt; the caller saves FIELDS) ------------------------------------------


def enter(attempt: Attempt, sections: tuple[Section, ...], index: int, at: datetime) -> None:
    """Start section ``index`` at ``at``: its clock, and its first item if it is linear."""
    section = sections[index]
    attempt.section = index
    attempt.break_until = None
    attempt.item_reached = section.positions[0] if section.navigation == LINEAR else None
    attempt.section_deadline = (
        at + scaled(section.time_limit, attempt.time_scale) if section.time_limit is not None else None
    )
    last = index == len(sections) - 1
    if last and attempt.section_deadline is not None and attempt.deadline is not None:
        attempt.deadline = min(attempt.deadline, attempt.section_deadline)


def leave(attempt: Attempt, sections: tuple[Section, ...], at: datetime) -> None:
    """Leave the current section at ``at``: its break starts, or else the next section."""
    assert attempt.section is not None and attempt.section < len(sections) - 1
    pause = sections[attempt.section].break_after
    if pause is None:
        enter(attempt, sections, attempt.section + 1, at)
        return
    attempt.break_until = at + pause
    attempt.section_deadline = None
    attempt.item_reached = None
    if attempt.deadline is not None:  # the break is not exam time
        attempt.deadline += pause


def end_break(attempt: Attempt, sections: tuple[Section, ...], at: datetime) -> None:
    """End the break at ``at`` (its end, or earlier) and start the next section."""
    assert attempt.break_until is not None and attempt.section is not None
    unused = attempt.break_until - at
    if unused > timedelta(0) and attempt.deadline is not None:
        attempt.deadline -= unused
    enter(attempt, sections, attempt.section + 1, at)


def catch_up(attempt: Attempt, now: datetime) -> bool:
    """Apply every section end and break end due by ``now``, each at its own instant.

    Stops at the deadline: what falls after it never happens (the attempt is handed in).
    True if anything moved.
    """
    if attempt.section is None or attempt.status != statuses.IN_PROGRESS:
        return False
    sections = form_sections(attempt.form_id)
    moved = False
    while True:
        if attempt.break_until is not None:
            if attempt.break_until > now:
                break
            enter(attempt, sections, attempt.section + 1, attempt.break_until)
        elif attempt.section_deadline is not None and attempt.section < len(sections) - 1:
            at = attempt.section_deadline
            if at > now or (attempt.deadline is not None and at >= attempt.deadline):
                break
            leave(attempt, sections, at)
        else:
            break
        moved = True
    return moved


def _sections_of(attempt: Attempt) -> tuple[Section, ...]:
    sections = form_sections(attempt.form_id) if attempt.section is not None else ()
    if not sections:
        raise errors.NavigationRefused(_("This exam is not taken section by section."))
    return sections


def next_section(attempt: Attempt, now: datetime) -> None:
    """The candidate leaves the current section (``next_section``)."""
    sections = _sections_of(attempt)
    assert attempt.section is not None
    if attempt.break_until is not None:
        raise errors.NavigationRefused(_("This is the break: the next section starts when it ends."))
    if attempt.section >= len(sections) - 1:
        raise errors.LastSection(_("This is the last section: submit the exam to finish."))
    leave(attempt, sections, now)


def end_break_now(attempt: Attempt, now: datetime) -> None:
    """The candidate ends the break early (``end_break``)."""
    sections = _sections_of(attempt)
    if attempt.break_until is None:
        raise errors.NavigationRefused(_("There is no break now."))
    end_break(attempt, sections, now)


def next_item(attempt: Attempt) -> None:
    """A linear section: move on from the current item (``next_item``)."""
    sections = _sections_of(attempt)
    assert attempt.section is not None
    section = sections[attempt.section]
    if attempt.break_until is not None or section.navigation != LINEAR or attempt.item_reached is None:
        raise errors.NavigationRefused(_("In this section you may go to any question."))
    index = section.positions.index(attempt.item_reached)
    if index == len(section.positions) - 1:
        raise errors.NavigationRefused(_("This is the last question of the section."))
    attempt.item_reached = section.positions[index + 1]


def check_item(attempt: Attempt, position: int, seq: int | None) -> None:
    """Raise the refusal of an answer, flag or check of item ``position`` now, if any."""
    if attempt.section is None:
        return
    sections = form_sections(attempt.form_id)
    if not sections:
        return
    if attempt.break_until is not None:
        raise errors.OnBreak(_("This is the break between sections: answers are not accepted now."), seq)
    index = section_of(sections, position)
    if index is None or index not in open_sections(attempt, sections):
        raise errors.SectionClosed(
            _("Question %(item)d is in a section that is not open now.") % {"item": position}, seq
        )
    section = sections[index]
    if index == attempt.section and section.navigation == LINEAR and attempt.item_reached is not None:
        at, reached = section.positions.index(position), section.positions.index(attempt.item_reached)
        if at < reached:
            raise errors.ItemClosed(
                _("Question %(item)d was left: this section goes forward only.") % {"item": position}, seq
            )
        if at > reached:
            raise errors.ItemNotReached(
                _("Question %(item)d comes later: this section goes question by question.") % {"item": position},
                seq,
            )


# --- the clocks under pause and extension ------------------------------------------------------


def freeze(attempt: Attempt, now: datetime) -> None:
    """At a pause: keep what the section's or the break's clock had left."""
    clock = attempt.break_until or attempt.section_deadline
    attempt.section_paused_remaining = max(clock - now, timedelta(0)) if clock is not None else None


def thaw(attempt: Attempt, now: datetime) -> None:
    """At a resume: the section's or the break's clock runs again with what it had left."""
    left = attempt.section_paused_remaining
    if left is not None:
        if attempt.break_until is not None:
            attempt.break_until = now + left
        elif attempt.section_deadline is not None:
            attempt.section_deadline = now + left
    attempt.section_paused_remaining = None


def extend(attempt: Attempt, extra: timedelta) -> None:
    """More time given: the current section's end moves with the deadline (not a break's)."""
    if attempt.break_until is not None or attempt.section_deadline is None:
        return
    if attempt.status == statuses.PAUSED and attempt.section_paused_remaining is not None:
        attempt.section_paused_remaining += extra
    else:
        attempt.section_deadline += extra


# --- what the candidate's page is told --------------------------------------------------------------


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


def progress(attempt: Attempt, now: datetime) -> dict[str, Any]:
    """Where the attempt is in its sections, for the candidate's page: no content, no keys.

    Nothing of the sections once the attempt is handed in (nor before it starts)."""
    running = attempt.section is not None and attempt.status in statuses.OPEN
    sections = form_sections(attempt.form_id) if running else ()
    if not sections:
        return {
            "sections": [],
            "section": None,
            "item_reached": None,
            "section_deadline": None,
            "section_remaining_ms": None,
            "on_break": False,
            "break_until": None,
            "break_remaining_ms": None,
            "large_text": attempt.large_text,
        }
    paused = attempt.status == statuses.PAUSED
    held = attempt.section_paused_remaining
    on_break = attempt.break_until is not None
    section_ms = break_ms = None
    if on_break:
        break_ms = _ms(held) if paused and held is not None else _ms(attempt.break_until - now)  # type: ignore[operator]
    elif attempt.section_deadline is not None:
        section_ms = _ms(held) if paused and held is not None else _ms(attempt.section_deadline - now)
    opened = open_sections(attempt, sections)

    def state(section: Section) -> str:
        if section.index > attempt.section:  # type: ignore[operator]
            return "later"
        if section.index == attempt.section and not on_break:
            return "current"
        return "open" if section.index in opened else "closed"

    return {
        "sections": [
            {
                "index": s.index,
                "label": s.label,
                "items": list(s.positions),
                "time_limit_seconds": (
                    int(scaled(s.time_limit, attempt.time_scale).total_seconds()) if s.time_limit else None
                ),
                "navigation": s.navigation,
                "break_seconds": int(s.break_after.total_seconds()) if s.break_after else None,
                "state": state(s),
            }
            for s in sections
        ],
        "section": attempt.section,
        "item_reached": attempt.item_reached,
        "section_deadline": attempt.section_deadline.isoformat() if attempt.section_deadline else None,
        "section_remaining_ms": section_ms,
        "on_break": on_break,
        "break_until": attempt.break_until.isoformat() if attempt.break_until else None,
        "break_remaining_ms": break_ms,
        "large_text": attempt.large_text,
    }
