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


class AttemptClosed(DeliveryError):
    code = "attempt_closed"


class DeadlinePassed(DeliveryError):
    code = "deadline_passed"


class Paused(DeliveryError):
    code = "paused"


class UnknownItem(DeliveryError):
    code = "unknown_item"


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
