"""Instants in the hot path: integers of microseconds since the Unix epoch.

pendulum stays at the edges (templates, calendar arithmetic); the runtime compares ints.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from zyw_flow._errors import InstantError

__all__ = ["EPOCH", "NEVER", "At", "format_us", "from_us", "parse_at", "to_us"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
NEVER = 1 << 62
_US = dt.timedelta(microseconds=1)

At = dt.datetime | dt.date | str


def to_us(value: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    delta = dt.datetime.__sub__(value, EPOCH)  # plain timedelta, also for pendulum values
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(us: int, tz: dt.tzinfo) -> dt.datetime:
    """The aware datetime, in ``tz``, of a microsecond instant."""
    return (EPOCH + dt.timedelta(microseconds=us)).astimezone(tz)


def format_us(us: int | None, tz: dt.tzinfo) -> str | None:
    """ISO-8601 with offset (``2011-09-10T23:59:59.999999+08:00``), or ``None``."""
    if us is None or abs(us) >= NEVER:
        return None
    return from_us(us, tz).isoformat()


def parse_at(value: At, tz: dt.tzinfo | str) -> int:
    """An instant from a datetime, a date or an ISO string; naive means local time.

    A date, or a string without a time, means 00:00 local time.

    Raises:
        InstantError: not an ISO date or date-time, not a date-time at all, or out of the
            range of instants (a ``ValueError``).
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    given = value
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed: dt.datetime | dt.date = (
                dt.datetime.fromisoformat(text) if len(text) > 10 else dt.date.fromisoformat(text)
            )
        except ValueError:
            raise InstantError(value) from None
        if type(parsed) is dt.datetime and parsed.tzinfo is None:
            delta = parsed - _NAIVE_EPOCH  # (_naive_us, inline: the hot path)
            local = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
            offset = _OFFSETS.get((zone, local // _HOUR))
            if offset is not None:  # the hot path: a local time in a known hour
                return local - offset
        value = parsed
    try:
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                if -_REPRESENTABLE <= _naive_us(value) <= _REPRESENTABLE:
                    _learn_offset(value, zone)
                value = value.replace(tzinfo=zone)
            us = to_us(value)
        elif isinstance(value, dt.date):
            us = to_us(dt.datetime(value.year, value.month, value.day, tzinfo=zone))
        else:
            what = type(value).__name__
            raise InstantError(given, f"expected a datetime, date or ISO string, not {what}")
        if not -_REPRESENTABLE <= us <= _REPRESENTABLE:
            raise OverflowError
    except OverflowError:
        raise InstantError(given, "out of the range of instants zyw_flow can represent") from None
    return us


_HOUR = 3_600_000_000
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
# (zone, local hour) → the zone's UTC offset (µs) throughout that hour, for hours in which
# it does not change (so a daylight-saving fold or gap is always worked out in full).
_OFFSETS: dict[tuple[dt.tzinfo, int], int] = {}


def _naive_us(value: dt.datetime) -> int:
    delta = value - _NAIVE_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _learn_offset(value: dt.datetime, zone: dt.tzinfo) -> None:
    """Remember the zone's offset in ``value``'s local hour if it holds for the whole hour."""
    if len(_OFFSETS) > 100_000:
        _OFFSETS.clear()
    hour = value.replace(minute=0, second=0, microsecond=0)
    first = hour.replace(tzinfo=zone).utcoffset()
    last = (hour + dt.timedelta(minutes=59, seconds=59)).replace(tzinfo=zone).utcoffset()
    later = (hour + dt.timedelta(hours=1)).replace(tzinfo=zone).utcoffset()
    if first is not None and first == last == later:
        _OFFSETS[(zone, _naive_us(hour) // _HOUR)] = first // dt.timedelta(microseconds=1)


# Instants that convert back to a date-time in any time zone (years 2 … 9998).
_REPRESENTABLE = to_us(dt.datetime(9998, 12, 31, tzinfo=dt.UTC))
