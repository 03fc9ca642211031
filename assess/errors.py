"""Errors of delivery, each with the stable code the client sees (docs/protocol.md)."""

from __future__ import annotations


class DeliveryError(Exception):
    code = "error"
    close = False  # whether the connection must end after this error

    def __init__(self, message: str, seq: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.seq = seq


class NotStarted(DeliveryError):
    code = "not_started"


class SittingNotOpen(DeliveryError):
    code = "sitting_not_open"


class AccessCode(DeliveryError):
    """The sitting has an access code and the start did not carry it (or a wrong one)."""

    code = "access_code"


class NotCheckedIn(DeliveryError):
    """The attempt is placed in a room and its proctor has not checked the candidate in."""

    code = "not_checked_in"


class RoomNotOpen(DeliveryError):
    """The room's proctor has not opened the room for starting yet."""

    code = "room_not_open"


class WrongNetwork(DeliveryError):
    """The start comes from outside the room's network ranges."""

    code = "wrong_network"


class AttemptClosed(DeliveryError):
    code = "attempt_closed"


class DeadlinePassed(DeliveryError):
    code = "deadline_passed"


class Paused(DeliveryError):
    code = "paused"


class UnknownItem(DeliveryError):
    code = "unknown_item"


class ItemChecked(DeliveryError):
    """The item was checked (feedback after each item): its answer no longer changes."""

    code = "item_checked"


class CheckNotAllowed(DeliveryError):
    """Checking an item is not part of this sitting's feedback policy, or nothing to check."""

    code = "check_not_allowed"


class InvalidValue(DeliveryError):
    code = "invalid_value"


class Superseded(DeliveryError):
    code = "superseded"
    close = True


class SequenceReused(DeliveryError):
    """A sequence number already used for a different change."""

    code = "seq_conflict"


class HistoryFull(DeliveryError):
    """The attempt holds as many changes as it may (``ATTEMPT_HISTORY_MAX_EVENTS``)."""

    code = "history_full"


class SectionClosed(DeliveryError):
    """By sections: the item belongs to a section that is not open now (left, or not reached)."""

    code = "section_closed"


class ItemClosed(DeliveryError):
    """A linear section: the item is before the current one (no way back)."""

    code = "item_closed"


class ItemNotReached(DeliveryError):
    """A linear section: the item is after the current one (item by item)."""

    code = "item_not_reached"


class OnBreak(DeliveryError):
    """The break between two sections: nothing is answered until it ends."""

    code = "on_break"


class LastSection(DeliveryError):
    """``next_section`` in the last section: handing in ends it."""

    code = "last_section"


class NavigationRefused(DeliveryError):
    """A move the attempt's sections do not allow now (no sections, no break, not linear...)."""

    code = "navigation_refused"
