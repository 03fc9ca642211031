"""The neutral form every importer produces, and the report it gives about a file.

An importer never writes to the database: it returns ``ParseResult`` (the items it could
read and, for everything it could not, an ``ImportIssue`` saying where and why). The
import service shows that report and then writes all items or none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from scoring import item_rules

# The item types are the ones the scoring rules know: one list, in scoring.
ITEM_TYPES = item_rules.ITEM_TYPES


@dataclass(frozen=True)
class SourceLocation:
    """Where an item or a problem is in the source: a file, and a line or a row if known."""

    file: str
    line: int | None = None
    row: int | None = None
    element: str | None = None  # e.g. an XML path or a question name

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
        if self.row is not None:
            where += f", row {self.row}"
        if self.element:
            where += f" ({self.element})"
        return where


@dataclass(frozen=True)
class ImportedItem:
    """One item read from a file, in the bank's content model (docs/decisions/0003).

    ``content`` holds the type's document: ``stem`` and the type's fields, keys included
    (see the table in decision 0003). Text fields are HTML fragments; plain text from the
    source is escaped. They are sanitised again when the item is written to the bank.
    """

    item_type: str
    content: dict[str, Any]
    source: SourceLocation
    title: str = ""
    points: Decimal = Decimal("1")
    category: tuple[str, ...] = ()  # e.g. a Moodle category path or a GIFT $CATEGORY
    metadata: dict[str, Any] = field(default_factory=dict)
    feedback: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.item_type not in ITEM_TYPES:
            raise ValueError(f"{self.source}: unknown item type {self.item_type!r}")


class CannotHold(ValueError):
    """An export format cannot hold this item: its type (``kind`` "type"), a true/false group
    of several statements ("several_statements") or an answer matched by a pattern
    ("pattern"). Raised by the writers with the item, so the bank can name the item and say
    why in the person's language (``itembank.exporting.export_refusal``)."""

    def __init__(self, item: ImportedItem, *, format: str, kind: str, reason: str, label: str = "") -> None:
        super().__init__(f"{label or item.source}: {reason}")
        self.item, self.format, self.kind, self.reason = item, format, kind, reason
        self.version: object | None = None  # the bank's version the item came from, when known

    def labelled(self, label: str) -> CannotHold:
        """The same refusal, its message naming the item by ``label``."""
        return CannotHold(self.item, format=self.format, kind=self.kind, reason=self.reason, label=label)


@dataclass(frozen=True)
class ImportIssue:
    """Something in the file that was not imported, and why."""

    source: SourceLocation
    message: str
    severity: str = "error"  # "error": the item is not imported; "warning": imported with a change

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


@dataclass(frozen=True)
class ParseResult:
    items: tuple[ImportedItem, ...]
    issues: tuple[ImportIssue, ...]

    @property
    def errors(self) -> tuple[ImportIssue, ...]:
        return tuple(issue for issue in self.issues if issue.severity == "error")

    @property
    def ok(self) -> bool:
        return not self.errors
