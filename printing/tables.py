"""Tables as files: a workbook (XLSX) of sheets, or a CSV, from plain rows.

The exports of results and records write their rows here; decimal strings ("8.3") become
numbers in a workbook, so a spreadsheet sums and sorts them; a CSV keeps them as written, in
UTF-8 with a byte order mark, so that a spreadsheet opens Vietnamese as it is. No Django.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _number(value: Any) -> Any:
    """A decimal string ("8.3", "-0.25") as a number in the workbook; anything else as it is."""
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        return float(Decimal(value))
    return value


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of sheets (title, header in bold, rows), written as it streams."""
    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        heads = []
        for value in header:
            cell = WriteOnlyCell(sheet, value=value)
            cell.font = Font(bold=True)
            heads.append(cell)
        sheet.append(heads)
        for row in rows:
            sheet.append([_number(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
