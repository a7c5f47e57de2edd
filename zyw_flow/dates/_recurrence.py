"""Recurring deadlines: daily, weekly, monthly, quarterly, half-yearly and yearly (``repeat:``)."""

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

Every: TypeAlias = Literal["day", "week", "month", "quarter", "half_year", "year"]

_EVERY: dict[str, Every] = {
    "day": "day",
    "daily": "day",
    "日": "day",
    "天": "day",
    "每日": "day",
    "每天": "day",
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
    "half_year": "half_year",
    "half-year": "half_year",
    "halfyear": "half_year",
    "half-yearly": "half_year",
    "half_yearly": "half_year",
    "halfyearly": "half_year",
    "半年": "half_year",
    "每半年": "half_year",
    "year": "year",
    "yearly": "year",
    "annual": "year",
    "annually": "year",
    "年": "year",
    "每年": "year",
    "年度": "year",
}
_EVERY_HELP = "day, week, month, quarter, half_year or year"
_WORKDAY_WORDS = ("workday", "workdays", "workingday", "workingdays", "工作日", "每个工作日")
_ALL_DAY_WORDS = ("all", "day", "days", "每天", "每日", "天")
_MONTH_DAY = re.compile(r"(?:(\d{1,2})[-/](\d{1,2})|(\d{1,2})月(\d{1,2})[日号]?)\Z")

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
    "day": frozenset({"every", "on"}),
    "week": frozenset({"every", "on"}),
    "month": frozenset({"every", "day"}),
    "quarter": frozenset({"every", "within"}),
    "half_year": frozenset({"every", "within"}),
    "year": frozenset({"every", "on", "within", "interval"}),
}
_PERIOD_END_MONTHS: dict[Every, tuple[int, ...]] = {
    "quarter": (3, 6, 9, 12),
    "half_year": (6, 12),
    "year": (12,),
}
_IGNORED_KEYS = frozenset({"from", "until"})
_TRADITIONAL = str.maketrans("週個禮", "周个礼")


@attrs.frozen
class Recurrence:
    """A recurring deadline.

    Attributes:
        every: ``"day"``, ``"week"``, ``"month"``, ``"quarter"``, ``"half_year"`` or
            ``"year"``.
        weekday: for ``week``, 0 = Monday … 6 = Sunday.
        day: for ``month``, the day of the month 1–31 (beyond a month's length, its last
            day); ``None`` together with ``last=True``. For ``year`` with ``month``, the
            day of that month (29 February falls on the 28th in a common year).
        last: for ``month``, the last day of each month.
        month: for ``year``, the month of a fixed day (``on: 12-20``); ``None`` for the
            year's end plus ``within``.
        within: for ``quarter``, ``half_year`` and ``year`` (without ``month``), the offset
            after the period's last day (``None`` or 0: the last day itself).
        within_unit: ``"days"`` or ``"working_days"`` for ``within``.
        workdays: for ``day``, only the calendar's working days.
        interval: for ``year``, every ``interval``-th year counted from the range's first
            year (每三年 = 3); 1 otherwise.

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
    month: int | None = None
    workdays: bool = False
    interval: int = 1

    def __attrs_post_init__(self) -> None:
        what = f"every {self.every}"
        if self.every not in _KEYS:
            raise DateExpressionError(what, f"unknown 'every: {self.every}'; use {_EVERY_HELP}")
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
        elif self.every == "year" and self.month is not None:
            if not 1 <= self.month <= 12:
                raise DateExpressionError(what, f"month {self.month} does not exist")
            if self.day is None or not 1 <= self.day <= _stdcal.monthrange(2000, self.month)[1]:
                raise DateExpressionError(
                    what, f"day {self.day} does not exist in month {self.month}"
                )
            if self.within is not None:
                raise DateExpressionError(
                    what, "a yearly recurrence takes `on` or `within`, not both"
                )
        elif self.day is not None or self.last:
            raise DateExpressionError(what, "a day is only used with every: month or year")
        if self.month is not None and self.every != "year":
            raise DateExpressionError(what, "a month is only used with every: year")
        if self.workdays and self.every != "day":
            raise DateExpressionError(what, "workdays is only used with every: day")
        if self.interval != 1 and self.every != "year":
            raise DateExpressionError(what, "an interval is only used with every: year")
        if isinstance(self.interval, bool) or self.interval < 1:
            raise DateExpressionError(what, "the interval must be a whole number of years ≥ 1")
        if self.within is not None:
            if self.every not in _PERIOD_END_MONTHS:
                raise DateExpressionError(
                    what, "within is only used with every: quarter, half_year or year"
                )
            if self.within < 0:
                raise DateExpressionError(what, "within must not be negative")
        if self.within_unit not in ("days", "working_days"):
            raise DateExpressionError(what, f"unknown unit {self.within_unit!r}")

    def due_dates(self, first: date, last: date, calendar: WorkCalendar) -> list[date]:
        """The due dates of the instances in ``[first, last]``.

        Args:
            first: the first day of the range (a phase window or ``from``).
            last: the last day of the range (inclusive).
            calendar: used for ``within`` in working days and for ``workdays``.

        Returns:
            Sorted due dates. ``day``: each day in the range (each working day with
            ``workdays``). ``week``: each such weekday in the range. ``month``: that day
            of each month in the range (the month's end if the month is shorter).
            ``quarter`` / ``half_year`` / ``year`` without a fixed day: for each period
            whose last day lies in the range, that day plus ``within`` — so a due date may
            lie after ``last`` (Q4 2011 + 10 days is 2012-01-10). ``year`` with a fixed
            day: that day of every ``interval``-th year from ``first``'s year, in range.

        Raises:
            CalendarHorizonError: ``within`` working days or ``workdays`` walk beyond the
                calendar's data.
        """
        first, last = _as_date(first), _as_date(last)
        if first > last:
            return []
        if self.every == "day":
            days = (first + timedelta(days=i) for i in range((last - first).days + 1))
            return [d for d in days if not self.workdays or calendar.is_workday(d)]
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
        if self.every == "year" and self.month is not None:
            assert self.day is not None
            out = []
            for y in range(first.year, last.year + 1, self.interval):
                d = date(y, self.month, min(self.day, _stdcal.monthrange(y, self.month)[1]))
                if first <= d <= last:
                    out.append(d)
            return out
        out = []
        ends = _PERIOD_END_MONTHS[self.every]
        for y, m in _months(first, last):
            if m not in ends or (y - first.year) % self.interval:
                continue
            period_end = date(y, m, _stdcal.monthrange(y, m)[1])
            if not first <= period_end <= last:
                continue
            n = self.within or 0
            if self.within_unit == "working_days":
                out.append(calendar.add_workdays(period_end, n))
            else:
                out.append(calendar.add_days(period_end, n))
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


def _within(phrase: str, raw: object) -> tuple[int, Literal["days", "working_days"]]:
    if isinstance(raw, bool):
        raise DateExpressionError(phrase, f"within must be a number of days, not {raw!r}")
    m = _WITHIN.match(_text(raw))
    unit = _WITHIN_UNITS.get(m.group(2)) if m else None
    if m is None or unit is None:
        raise DateExpressionError(
            phrase,
            f"within must be like '10 days' or '10 working days' (10天, 10个工作日), not {raw!r}",
        )
    return int(m.group(1)), unit


def parse_recurrence(spec: Mapping[str, object]) -> Recurrence:
    """Read a ``repeat:`` mapping (without ``from`` / ``until``, which are ignored here).

    Accepted forms::

        {every: day}                         # each day; on: workdays (工作日) for working days
        {every: week, on: monday}            # also mon, 周一, 星期一, 週一, 礼拜一
        {every: month, day: 5}               # or day: last (月末, 月底)
        {every: quarter, within: 10 days}    # 10 working days, 10天, 10个工作日, or 10
        {every: half_year, within: 10 days}  # after 06-30 and 12-31 (半年, 每半年)
        {every: year, on: 12-20}             # a fixed day (12月20日); or within: after 12-31
        {every: year, on: 12-20, interval: 3}   # every third year from the range's first

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
        raise DateExpressionError(phrase, f"missing 'every' ({_EVERY_HELP})")
    every = _EVERY.get(_text(spec["every"]))
    if every is None:
        raise DateExpressionError(phrase, f"unknown 'every: {spec['every']}'; use {_EVERY_HELP}")
    unknown = sorted(str(k) for k in spec if k not in _KEYS[every] | _IGNORED_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_KEYS[every] - {"every"}))
        raise DateExpressionError(
            phrase, f"unknown key(s) {', '.join(unknown)} for every: {every}; use {allowed}"
        )
    if every == "day":
        if "on" not in spec:
            return Recurrence(every="day")
        word = _text(spec["on"])
        if word in _WORKDAY_WORDS:
            return Recurrence(every="day", workdays=True)
        if word in _ALL_DAY_WORDS:
            return Recurrence(every="day")
        raise DateExpressionError(
            phrase, f"a daily recurrence takes on: workdays (工作日) or nothing, not {spec['on']!r}"
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
    if every == "year":
        interval = 1
        if "interval" in spec:
            got = _int(spec["interval"])
            if got is None or got < 1:
                raise DateExpressionError(
                    phrase,
                    f"interval must be a whole number of years ≥ 1, not {spec['interval']!r}",
                )
            interval = got
        if "on" in spec:
            if "within" in spec:
                raise DateExpressionError(
                    phrase, "a yearly recurrence takes `on` (a day) or `within`, not both"
                )
            m = _MONTH_DAY.match(_text(spec["on"]))
            if m is None:
                raise DateExpressionError(
                    phrase,
                    f"on must be a day of the year like 12-20 or 12月20日, not {spec['on']!r}",
                )
            month = int(m.group(1) or m.group(3))
            day = int(m.group(2) or m.group(4))
            if not 1 <= month <= 12:
                raise DateExpressionError(phrase, f"month {month} does not exist")
            if not 1 <= day <= _stdcal.monthrange(2000, month)[1]:
                raise DateExpressionError(phrase, f"{month}月{day}日 does not exist")
            return Recurrence(every="year", month=month, day=day, interval=interval)
        if "within" not in spec:
            return Recurrence(every="year", interval=interval)
        n, unit = _within(phrase, spec["within"])
        return Recurrence(every="year", within=n, within_unit=unit, interval=interval)
    raw = spec.get("within")
    if raw is None:
        return Recurrence(every=every)
    n, unit = _within(phrase, raw)
    return Recurrence(every=every, within=n, within_unit=unit)
