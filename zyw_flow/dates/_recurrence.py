"""Recurring deadlines: weekly, monthly and quarterly (``repeat:`` in a step)."""

from __future__ import annotations

import calendar as _stdcal
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Literal, TypeAlias

import attrs

from zyw_flow._errors import DateExpressionError
from zyw_flow.dates._calendar import WorkCalendar

__all__ = ["Recurrence", "parse_recurrence"]

Every: TypeAlias = Literal["week", "month", "quarter"]

_EVERY: dict[str, Every] = {
    "week": "week",
    "weekly": "week",
    "周": "week",
    "每周": "week",
    "month": "month",
    "monthly": "month",
    "月": "month",
    "每月": "month",
    "quarter": "quarter",
    "quarterly": "quarter",
    "季": "quarter",
    "季度": "quarter",
    "每季": "quarter",
    "每季度": "quarter",
}

_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CN_WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
_WEEKDAYS: dict[str, int] = {}
for _i, _name in enumerate(_WEEKDAY_NAMES):
    _WEEKDAYS[_name] = _i
    _WEEKDAYS[_name[:3]] = _i
    for _prefix in ("周", "星期", "礼拜"):
        _WEEKDAYS[_prefix + _CN_WEEKDAYS[_i]] = _i
for _prefix in ("周", "星期", "礼拜"):
    _WEEKDAYS[_prefix + "天"] = 6

_LAST_DAY_WORDS = ("last", "月末", "月底", "最后一天")
_WITHIN = re.compile(r"(\d+)(.*)\Z")
_WITHIN_UNITS: dict[str, Literal["days", "working_days"]] = {
    "": "days",
    "d": "days",
    "day": "days",
    "days": "days",
    "天": "days",
    "日": "days",
    "天内": "days",
    "日内": "days",
    "workday": "working_days",
    "workdays": "working_days",
    "workingday": "working_days",
    "workingdays": "working_days",
    "工作日": "working_days",
    "个工作日": "working_days",
    "个工作日内": "working_days",
    "工作日内": "working_days",
}
_KEYS: dict[Every, frozenset[str]] = {
    "week": frozenset({"every", "on"}),
    "month": frozenset({"every", "day"}),
    "quarter": frozenset({"every", "within"}),
}
_IGNORED_KEYS = frozenset({"from", "until"})
_TRADITIONAL = str.maketrans("週個禮", "周个礼")


@attrs.frozen
class Recurrence:
    """A recurring deadline.

    Attributes:
        every: ``"week"``, ``"month"`` or ``"quarter"``.
        weekday: for ``week``, 0 = Monday … 6 = Sunday.
        day: for ``month``, the day of the month 1–31 (beyond a month's length, its last
            day); ``None`` together with ``last=True``.
        last: for ``month``, the last day of each month.
        within: for ``quarter``, the offset after the quarter's last day (``None`` or 0: the
            quarter's last day itself).
        within_unit: ``"days"`` or ``"working_days"`` for ``within``.

    Raises:
        DateExpressionError: the fields do not fit together (a week without a weekday, a
            month without a day, a day out of range …).
    """

    every: Every
    weekday: int | None = None
    day: int | None = None
    last: bool = False
    within: int | None = None
    within_unit: Literal["days", "working_days"] = "days"

    def __attrs_post_init__(self) -> None:
        what = f"every {self.every}"
        if self.every not in _KEYS:
            raise DateExpressionError(
                what, f"unknown 'every: {self.every}'; use week, month or quarter"
            )
        if self.every == "week":
            if self.weekday is None or not 0 <= self.weekday <= 6:
                raise DateExpressionError(what, "a weekly recurrence needs a weekday 0–6")
        elif self.weekday is not None:
            raise DateExpressionError(what, "a weekday is only used with every: week")
        if self.every == "month":
            if self.last == (self.day is not None):
                raise DateExpressionError(what, "a monthly recurrence needs a day or last")
            if self.day is not None and not 1 <= self.day <= 31:
                raise DateExpressionError(what, f"day {self.day} does not exist")
        elif self.day is not None or self.last:
            raise DateExpressionError(what, "a day is only used with every: month")
        if self.within is not None:
            if self.every != "quarter":
                raise DateExpressionError(what, "within is only used with every: quarter")
            if self.within < 0:
                raise DateExpressionError(what, "within must not be negative")
        if self.within_unit not in ("days", "working_days"):
            raise DateExpressionError(what, f"unknown unit {self.within_unit!r}")

    def due_dates(self, first: date, last: date, calendar: WorkCalendar) -> list[date]:
        """The due dates of the instances in ``[first, last]``.

        Args:
            first: the first day of the range (a phase window or ``from``).
            last: the last day of the range (inclusive).
            calendar: used for ``within`` in working days.

        Returns:
            Sorted due dates. ``week``: each such weekday in the range. ``month``: that day
            of each month in the range (the month's end if the month is shorter).
            ``quarter``: for each quarter whose last day lies in the range, that day plus
            ``within`` — so a due date may lie after ``last`` (Q4 2011 + 10 days is
            2012-01-10).

        Raises:
            CalendarHorizonError: ``within`` working days walk beyond the calendar's data.
        """
        first, last = _as_date(first), _as_date(last)
        if first > last:
            return []
        if self.every == "week":
            assert self.weekday is not None
            d = first + timedelta(days=(self.weekday - first.weekday()) % 7)
            out = []
            while d <= last:
                out.append(d)
                d += timedelta(days=7)
            return out
        if self.every == "month":
            out = []
            for y, m in _months(first, last):
                month_len = _stdcal.monthrange(y, m)[1]
                d = date(y, m, month_len if self.day is None else min(self.day, month_len))
                if first <= d <= last:
                    out.append(d)
            return out
        out = []
        for y, m in _months(first, last):
            if m % 3:
                continue
            quarter_end = date(y, m, _stdcal.monthrange(y, m)[1])
            if not first <= quarter_end <= last:
                continue
            n = self.within or 0
            if self.within_unit == "working_days":
                out.append(calendar.add_workdays(quarter_end, n))
            else:
                out.append(calendar.add_days(quarter_end, n))
        return out


def _as_date(d: date) -> date:
    return date(d.year, d.month, d.day)


def _months(first: date, last: date) -> list[tuple[int, int]]:
    """Every (year, month) from ``first``'s month to ``last``'s month."""
    out = []
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        out.append((y, m))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _text(value: object) -> str:
    """Normalise a scalar for lookup: NFKC, lower case, no whitespace, simplified 週/個/禮."""
    s = unicodedata.normalize("NFKC", str(value)).lower()
    s = s.translate(_TRADITIONAL)
    return re.sub(r"\s+", "", s)


def _int(value: object) -> int | None:
    """An integer from an int or a digit string; ``None`` otherwise (bools are refused)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _text(value).isdigit():
        return int(_text(value))
    return None


def parse_recurrence(spec: Mapping[str, object]) -> Recurrence:
    """Read a ``repeat:`` mapping (without ``from`` / ``until``, which are ignored here).

    Accepted forms::

        {every: week, on: monday}            # also mon, 周一, 星期一, 週一, 礼拜一
        {every: month, day: 5}               # or day: last (月末, 月底)
        {every: quarter, within: 10 days}    # 10 working days, 10天, 10个工作日, or 10

    Raises:
        DateExpressionError: an unknown ``every``, a missing or unknown ``on``, a day out
            of range, an unknown key … (the phrase is ``str(spec)``).
    """
    phrase = str(spec)
    if not isinstance(spec, Mapping):
        raise DateExpressionError(
            phrase, "a recurrence is a mapping such as {every: week, on: monday}"
        )
    if "every" not in spec:
        raise DateExpressionError(phrase, "missing 'every' (week, month or quarter)")
    every = _EVERY.get(_text(spec["every"]))
    if every is None:
        raise DateExpressionError(
            phrase, f"unknown 'every: {spec['every']}'; use week, month or quarter"
        )
    unknown = sorted(str(k) for k in spec if k not in _KEYS[every] | _IGNORED_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_KEYS[every] - {"every"}))
        raise DateExpressionError(
            phrase, f"unknown key(s) {', '.join(unknown)} for every: {every}; use {allowed}"
        )
    if every == "week":
        if "on" not in spec:
            raise DateExpressionError(phrase, "a weekly recurrence needs 'on' (e.g. on: monday)")
        weekday = _WEEKDAYS.get(_text(spec["on"]))
        if weekday is None:
            raise DateExpressionError(
                phrase, f"unknown weekday {spec['on']!r}; use monday … sunday or 周一 … 周日"
            )
        return Recurrence(every="week", weekday=weekday)
    if every == "month":
        if "day" not in spec:
            raise DateExpressionError(phrase, "a monthly recurrence needs 'day' (1–31 or last)")
        raw = spec["day"]
        if _text(raw) in _LAST_DAY_WORDS:
            return Recurrence(every="month", last=True)
        day = _int(raw)
        if day is None:
            raise DateExpressionError(phrase, f"day must be 1–31 or last, not {raw!r}")
        if not 1 <= day <= 31:
            raise DateExpressionError(phrase, f"day {day} does not exist")
        return Recurrence(every="month", day=day)
    raw = spec.get("within")
    if raw is None:
        return Recurrence(every="quarter")
    if isinstance(raw, bool):
        raise DateExpressionError(phrase, f"within must be a number of days, not {raw!r}")
    m = _WITHIN.match(_text(raw))
    unit = _WITHIN_UNITS.get(m.group(2)) if m else None
    if m is None or unit is None:
        raise DateExpressionError(
            phrase,
            f"within must be like '10 days' or '10 working days' (10天, 10个工作日), not {raw!r}",
        )
    return Recurrence(every="quarter", within=int(m.group(1)), within_unit=unit)
