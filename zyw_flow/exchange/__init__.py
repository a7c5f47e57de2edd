"""Data in and out: unit and actor lists from CSV and ``.xlsx``; the board, the overdue
list, scorecards and the ranking to CSV and ``.xlsx`` with Chinese headers; deadlines as
iCalendar files. Pure functions over a campaign's public read API (docs/data-exchange.md).
"""

from __future__ import annotations

from zyw_flow.exchange._errors import DataFileError
from zyw_flow.exchange._ics import (
    Deadline,
    calendar_bytes,
    campaign_calendar,
    template_calendar,
)
from zyw_flow.exchange._read import (
    ACTOR_COLUMNS,
    UNIT_COLUMNS,
    ActorRow,
    actor_rows,
    read_table,
    unit_rows,
)
from zyw_flow.exchange._sheet import (
    FORMULA_PREFIXES,
    Cell,
    Sheet,
    csv_text,
    neutralise,
    write_sheet,
    write_workbook,
)
from zyw_flow.exchange._tables import (
    EXPORTS,
    board_sheet,
    overdue_sheet,
    ranking_sheet,
    scorecards_sheet,
)

__all__ = [
    "ACTOR_COLUMNS",
    "EXPORTS",
    "FORMULA_PREFIXES",
    "UNIT_COLUMNS",
    "ActorRow",
    "Cell",
    "DataFileError",
    "Deadline",
    "Sheet",
    "actor_rows",
    "board_sheet",
    "calendar_bytes",
    "campaign_calendar",
    "csv_text",
    "neutralise",
    "overdue_sheet",
    "ranking_sheet",
    "read_table",
    "scorecards_sheet",
    "template_calendar",
    "unit_rows",
    "write_sheet",
    "write_workbook",
]
