"""Turning calendar days into aware ``pendulum`` instants.

A window starts at the beginning of its first day; a deadline is the end of its last day
(23:59:59.999999 local time, so "9月10日前" is inclusive).
"""

from __future__ import annotations

from datetime import date

import pendulum
from pendulum.tz.exceptions import InvalidTimezone

from zyw_flow._errors import CalendarError

__all__ = ["end_of_day", "start_of_day"]


def _instant(
    d: date, tz: str, hour: int, minute: int, second: int, micro: int
) -> pendulum.DateTime:
    try:
        return pendulum.datetime(d.year, d.month, d.day, hour, minute, second, micro, tz=tz)
    except InvalidTimezone:
        raise CalendarError(f"unknown time zone {tz!r}") from None


def start_of_day(d: date, tz: str) -> pendulum.DateTime:
    """The first instant of day ``d`` in time zone ``tz`` (00:00 local, aware).

    Args:
        d: the day (a ``datetime`` counts as its date).
        tz: an IANA time zone name, e.g. ``"Asia/Shanghai"``.

    Raises:
        CalendarError: an unknown time zone.
    """
    return _instant(d, tz, 0, 0, 0, 0)


def end_of_day(d: date, tz: str) -> pendulum.DateTime:
    """The last instant of day ``d`` in time zone ``tz`` (23:59:59.999999 local, aware).

    Args:
        d: the day (a ``datetime`` counts as its date).
        tz: an IANA time zone name, e.g. ``"Asia/Shanghai"``.

    Raises:
        CalendarError: an unknown time zone.
    """
    return _instant(d, tz, 23, 59, 59, 999_999)
