"""Dates and calendars: official working days, date phrases, recurrences and instants.

Everything here is pure: no wall clock, no I/O. See ``docs/calendar.md``.
"""

from __future__ import annotations

from zyw_flow.dates._calendar import NonWorkdayPolicy, WorkCalendar
from zyw_flow.dates._durations import DurationUnit, parse_duration
from zyw_flow.dates._instants import end_of_day, start_of_day
from zyw_flow.dates._phrases import (
    AbsoluteDate,
    DateExpr,
    DaySpan,
    RelativeDate,
    WeekdayMismatchError,
    parse_date,
    parse_window,
)
from zyw_flow.dates._recurrence import Recurrence, parse_recurrence

__all__ = [
    "AbsoluteDate",
    "DateExpr",
    "DaySpan",
    "DurationUnit",
    "NonWorkdayPolicy",
    "Recurrence",
    "RelativeDate",
    "WeekdayMismatchError",
    "WorkCalendar",
    "end_of_day",
    "parse_date",
    "parse_duration",
    "parse_recurrence",
    "parse_window",
    "start_of_day",
]
