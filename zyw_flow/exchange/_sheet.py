"""Tables to CSV (UTF-8 with a BOM, so Excel opens Chinese text) and ``.xlsx``, with every
text cell that a spreadsheet would run as a formula neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Literal

import attrs

from zyw_flow._files import replaced, write_text_whole
from zyw_flow.exchange._errors import DataFileError

__all__ = [
    "FORMULA_PREFIXES",
    "Cell",
    "Sheet",
    "csv_text",
    "neutralise",
    "sheet_format",
    "write_sheet",
    "write_workbook",
]

#: A cell: text, a whole or exact decimal number, a local date-time (the campaign's wall
#: clock, written without a zone), or empty.
Cell = str | int | Decimal | dt.datetime | None

#: Text starting with one of these is a formula (or DDE payload) to Excel, LibreOffice and
#: Google Sheets; on export such a cell is prefixed with ``'`` and so stays text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

Format = Literal["csv", "xlsx"]


@attrs.frozen
class Sheet:
    """One exported table.

    Attributes:
        name: the sheet's name in a workbook (at most 31 characters).
        header: the column titles (Chinese).
        rows: the rows, each as long as the header.
    """

    name: str
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def neutralise(value: str) -> str:
    """``value``, prefixed with ``'`` when it starts like a formula (``=`` ``+`` ``-`` ``@``,
    tab or carriage return) or is already such a quoted text; anything else unchanged. The
    unit and actor list readers take one ``'`` off again, so an export reads back as it was.

    >>> neutralise("=HYPERLINK(\"http://x\")"), neutralise("-1+1"), neutralise("市局")
    ('\'=HYPERLINK("http://x")', "'-1+1", '市局')
    """
    if value.startswith(FORMULA_PREFIXES) or (
        value.startswith("'") and value[1:].lstrip("'").startswith(FORMULA_PREFIXES)
    ):
        return f"'{value}"
    return value


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, int):
        return str(value)
    return neutralise(value)


def sheet_format(path: str | Path, given: str | None = None) -> Format:
    """``csv`` or ``xlsx``: ``given``, else from the file's suffix (``.xlsx``; else CSV).

    Raises:
        DataFileError: ``given`` is neither.
    """
    name = given or ("xlsx" if Path(path).suffix.lower() == ".xlsx" else "csv")
    if name == "csv":
        return "csv"
    if name == "xlsx":
        return "xlsx"
    raise DataFileError(f"unknown table format {name!r}; use csv or xlsx")


def csv_text(sheet: Sheet) -> str:
    """The sheet as CSV text (no BOM; :func:`write_sheet` adds it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralise(h) for h in sheet.header])
    writer.writerows([_text(v) for v in row] for row in sheet.rows)
    return out.getvalue()


def write_sheet(sheet: Sheet, path: str | Path, fmt: str | None = None) -> Path:
    """Write ``sheet`` to ``path`` as CSV (UTF-8 with a BOM) or ``.xlsx`` (by ``fmt`` or the
    suffix); return the path."""
    target = Path(path)
    if sheet_format(target, fmt) == "csv":
        write_text_whole(target, csv_text(sheet), encoding="utf-8-sig", newline="")
    else:
        write_workbook([sheet], target)
    return target


def write_workbook(sheets: Sequence[Sheet], path: str | Path) -> Path:
    """Write one or more sheets to an ``.xlsx`` workbook (streamed: openpyxl's write-only
    mode): bold header row, frozen below it, columns fitted to their first rows, numbers as
    numbers, date-times as local date-time cells, text neutralised."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for sheet in sheets:
        ws = book.create_sheet(_sheet_name(sheet.name))
        sample = sheet.rows[:_SAMPLE]
        for column, title in enumerate(sheet.header):
            width = max([_width(title), *(_width(_text(r[column])) for r in sample)])
            ws.column_dimensions[get_column_letter(column + 1)].width = min(60, width + 2)
        ws.freeze_panes = "A2"
        header = []
        for title in sheet.header:
            cell = WriteOnlyCell(ws, value=_xlsx_text(title))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            out: list[object] = []
            for value in row:
                if isinstance(value, dt.datetime):
                    cell = WriteOnlyCell(ws, value=value.replace(tzinfo=None, microsecond=0))
                    cell.number_format = "yyyy-mm-dd hh:mm"
                    out.append(cell)
                else:
                    out.append(_xlsx_value(value))
            ws.append(out)
    target = Path(path)
    with replaced(target) as tmp:
        book.save(tmp)
    return target


#: Rows read to fit column widths.
_SAMPLE = 500


def _xlsx_value(value: Cell) -> str | int | Decimal | dt.datetime | None:
    if isinstance(value, dt.datetime):
        # Excel has no time zones: the campaign's wall clock, to the second (23:59:59.999999
        # would show as the next day's 00:00)
        return value.replace(tzinfo=None, microsecond=0)
    if isinstance(value, str):
        return _xlsx_text(value)
    return value


def _xlsx_text(value: str) -> str:
    """XML keeps no carriage return: a line feed, then neutralised; the other control
    characters XML cannot hold (a vertical tab, NUL …) become U+FFFD (�)."""
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return neutralise(_NOT_IN_XML.sub("\ufffd", text))


#: characters an XML 1.0 document cannot hold (tab and line feed can)
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _width(text: str) -> int:
    """Display width: a Chinese character takes two columns."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _sheet_name(name: str) -> str:
    for ch in "[]:*?/\\":
        name = name.replace(ch, "_")
    return name[:31] or "Sheet"
