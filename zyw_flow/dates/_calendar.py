"""Working-day calendars: official PRC working days (with 调休) and plain weekends.

The ``cn`` calendar reads the official holiday and make-up working-day (调休) tables of the
``chinesecalendar`` package. Beyond the years the package covers the calendar never
guesses: it raises :class:`~zyw_flow.CalendarHorizonError`, unless the template declared
the missing year (``years``) or a ``fallback``.

Answers are cached per year as a bitmap (one byte per day), built lazily on first use, so
:meth:`WorkCalendar.add_workdays` costs a few byte lookups per day stepped over.
"""

from __future__ import annotations

import calendar as _stdcal
import functools
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, timedelta
from typing import Literal, TypeAlias, TypeVar

import attrs

from zyw_flow._errors import CalendarError, CalendarHorizonError

__all__ = ["KNOWN_CALENDARS", "NonWorkdayPolicy", "WorkCalendar"]

NonWorkdayPolicy: TypeAlias = Literal["keep", "next_workday", "previous_workday"]
"""What to do with a date that is not a working day: leave it, or move it."""

KNOWN_CALENDARS: tuple[str, ...] = ("cn", "weekends")
"""Calendar names :class:`WorkCalendar` accepts."""

_POLICIES: tuple[str, ...] = ("keep", "next_workday", "previous_workday")
_FALLBACKS: tuple[str, ...] = ("error", "weekends")

_D = TypeVar("_D", bound=date)

YearSpec: TypeAlias = tuple[Iterable[date], Iterable[date]] | Mapping[str, Iterable[date]]
"""One declared year: ``(holidays, workdays)`` or ``{"holidays": [...], "workdays": [...]}``."""

_YearTable: TypeAlias = tuple[int, bytes]
"""Ordinal of 1 January and one byte per day of that year (1 = working day)."""


@functools.cache
def _cn_data() -> tuple[int, int, frozenset[int], frozenset[int]]:
    """``chinesecalendar``'s data: first and last year, holiday and workday ordinals."""
    from chinese_calendar import constants

    holidays: Iterable[date] = constants.holidays.keys()
    workdays: Iterable[date] = constants.workdays.keys()
    hol = frozenset(d.toordinal() for d in holidays)
    work = frozenset(d.toordinal() for d in workdays)
    years = [date.fromordinal(o).year for o in hol]
    return min(years), max(years), hol, work


def _to_dates(values: Iterable[date]) -> frozenset[date]:
    """Normalise an iterable of dates (datetimes are cut to their date) to a frozenset."""
    out: set[date] = set()
    for v in values:
        if not isinstance(v, date):
            raise CalendarError(f"expected a date, got {v!r}")
        out.add(date(v.year, v.month, v.day))
    return frozenset(out)


class _Years(Mapping[int, tuple[frozenset[date], frozenset[date]]]):
    """A read-only (and picklable) ``{year: (holidays, workdays)}`` mapping."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[int, tuple[frozenset[date], frozenset[date]]]) -> None:
        self._data = data

    def __getitem__(self, year: int) -> tuple[frozenset[date], frozenset[date]]:
        return self._data[year]

    def __iter__(self) -> Iterator[int]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return repr(self._data)


def _to_years(
    value: Mapping[int, YearSpec],
) -> Mapping[int, tuple[frozenset[date], frozenset[date]]]:
    """Normalise declared years to a read-only ``{year: (holidays, workdays)}`` mapping."""
    out: dict[int, tuple[frozenset[date], frozenset[date]]] = {}
    for year, spec in value.items():
        if isinstance(year, bool) or not isinstance(year, int):
            raise CalendarError(f"calendar.years: a year must be an integer, got {year!r}")
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"holidays", "workdays"}
            if unknown:
                raise CalendarError(
                    f"calendar.years[{year}]: unknown key(s) {', '.join(sorted(map(str, unknown)))}"
                    "; use holidays and workdays"
                )
            hol = _to_dates(spec.get("holidays", ()))
            work = _to_dates(spec.get("workdays", ()))
        else:
            hol, work = (_to_dates(spec[0]), _to_dates(spec[1]))
        stray = sorted(d for d in hol | work if d.year != year)
        if stray:
            raise CalendarError(
                f"calendar.years[{year}] lists {stray[0].isoformat()}, which is not in {year}"
            )
        both = sorted(hol & work)
        if both:
            raise CalendarError(
                f"calendar.years[{year}]: {both[0].isoformat()} is both a holiday and a workday"
            )
        out[year] = (hol, work)
    return _Years(out)


_MIN_ORD, _MAX_ORD = date.min.toordinal(), date.max.toordinal()


def _range_error(d: date, n: int, unit: str) -> CalendarError:
    """A move of ``n`` days or working days from ``d`` out of the years 1–9999."""
    way = f"{n} {unit} after" if n >= 0 else f"{-n} {unit} before"
    return CalendarError(
        f"{way} {date(d.year, d.month, d.day).isoformat()} is outside the years 1-9999"
    )


def _check_name(_inst: object, _attr: object, value: str) -> None:
    if value not in KNOWN_CALENDARS:
        raise CalendarError(f"unknown calendar {value!r}; known: {', '.join(KNOWN_CALENDARS)}")


def _check_fallback(_inst: object, _attr: object, value: str) -> None:
    if value not in _FALLBACKS:
        raise CalendarError(f"unknown calendar fallback {value!r}; known: {', '.join(_FALLBACKS)}")


@attrs.frozen
class WorkCalendar:
    """A working-day calendar.

    Attributes:
        name: ``"cn"`` for official PRC working days (``chinesecalendar``, with 调休
            make-up days), or ``"weekends"`` for Monday to Friday with no holidays and no
            horizon.
        extra_holidays: extra days off; they win over every other source.
        extra_workdays: extra working days; they win over every other source.
        years: whole years declared by the template, ``year -> (holidays, workdays)``: such a
            year is covered, Monday to Friday work except the listed holidays, and the listed
            workdays work. A declared year replaces the package's data for that year.
        fallback: what to answer for a date beyond the data: ``"error"`` raises
            :class:`~zyw_flow.CalendarHorizonError`, ``"weekends"`` answers Monday to Friday.

    Raises:
        CalendarError: an unknown ``name`` or ``fallback``, a date that is both an extra
            holiday and an extra workday, or a malformed ``years`` entry.
    """

    name: str = attrs.field(default="cn", validator=_check_name)
    extra_holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_to_dates)
    extra_workdays: frozenset[date] = attrs.field(default=frozenset(), converter=_to_dates)
    years: Mapping[int, tuple[frozenset[date], frozenset[date]]] = attrs.field(
        factory=dict, converter=_to_years, hash=False
    )
    fallback: Literal["error", "weekends"] = attrs.field(default="error", validator=_check_fallback)
    _tables: dict[int, _YearTable | None] = attrs.field(
        init=False, factory=dict, eq=False, repr=False, hash=False
    )

    def __attrs_post_init__(self) -> None:
        both = sorted(self.extra_holidays & self.extra_workdays)
        if both:
            raise CalendarError(
                f"{both[0].isoformat()} is both an extra holiday and an extra workday"
            )

    # -- coverage ---------------------------------------------------------------------

    def _has_data(self, year: int) -> bool:
        """Whether ``year`` has official or declared data (ignoring the fallback)."""
        if self.name == "weekends" or year in self.years:
            return True
        first, last, _, _ = _cn_data()
        return first <= year <= last

    @property
    def coverage(self) -> tuple[date, date]:
        """The first and last day with official (or declared) data.

        For ``cn`` this is 1 January of the package's first year to 31 December of its last
        year, extended by declared ``years`` adjoining that range. For ``weekends`` it is
        ``(date.min, date.max)``.
        """
        if self.name == "weekends":
            return date.min, date.max
        first, last, _, _ = _cn_data()
        while first - 1 in self.years:
            first -= 1
        while last + 1 in self.years:
            last += 1
        return date(first, 1, 1), date(last, 12, 31)

    def covers(self, d: date) -> bool:
        """Whether ``d`` has official or declared data (the fallback does not count)."""
        return self._has_data(d.year)

    # -- the per-year table -----------------------------------------------------------

    def _build(self, year: int) -> _YearTable | None:
        """Build the bitmap of ``year``, or ``None`` if the year has no data and no fallback."""
        jan1 = date(year, 1, 1).toordinal()
        ndays = 366 if _stdcal.isleap(year) else 365
        wd0 = date(year, 1, 1).weekday()
        bits = bytearray(1 if (wd0 + i) % 7 < 5 else 0 for i in range(ndays))
        if year in self.years:
            hol, work = self.years[year]
            hol_o = {d.toordinal() for d in hol}
            work_o = {d.toordinal() for d in work}
        elif self.name == "weekends":
            hol_o, work_o = set(), set()
        else:
            first, last, cn_hol, cn_work = _cn_data()
            if not first <= year <= last:
                if self.fallback == "error":
                    return None
                hol_o, work_o = set(), set()
            else:
                hol_o = {o for o in range(jan1, jan1 + ndays) if o in cn_hol}
                work_o = {o for o in range(jan1, jan1 + ndays) if o in cn_work}
        for o in hol_o:
            bits[o - jan1] = 0
        for o in work_o:
            bits[o - jan1] = 1
        for d in self.extra_holidays:
            if d.year == year:
                bits[d.toordinal() - jan1] = 0
        for d in self.extra_workdays:
            if d.year == year:
                bits[d.toordinal() - jan1] = 1
        return jan1, bytes(bits)

    def _table(self, year: int) -> _YearTable | None:
        try:
            return self._tables[year]
        except KeyError:
            table = self._tables[year] = self._build(year)
            return table

    def _horizon_error(self, d: date) -> CalendarHorizonError:
        first, last = self.coverage
        return CalendarHorizonError(
            f"no official working-day data for {d.isoformat()} ({self.name} covers "
            f"{first.isoformat()}..{last.isoformat()}); declare calendar.years[{d.year}] "
            "or fallback: weekends"
        )

    def _work_ord(self, o: int) -> bool:
        """Whether the day with proleptic ordinal ``o`` is a working day."""
        return self.is_workday(date.fromordinal(o))

    # -- queries ----------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day.

        Args:
            d: the day (a ``datetime`` counts as its date).

        Returns:
            True for an official working day, including a 调休 make-up Saturday or Sunday.

        Raises:
            CalendarHorizonError: ``d`` lies beyond the data and ``fallback`` is ``"error"``
                (an extra holiday or workday is answered all the same).
        """
        table = self._table(d.year)
        if table is None:
            day = date(d.year, d.month, d.day)
            if day in self.extra_workdays:
                return True
            if day in self.extra_holidays:
                return False
            raise self._horizon_error(day)
        return table[1][d.toordinal() - table[0]] == 1

    def next_workday(self, d: _D) -> _D:
        """The first working day on or after ``d`` (``d`` itself if it is one).

        A ``datetime`` keeps its time of day.
        """
        step = 0
        while not self.is_workday(self.add_days(d, step)):
            step += 1
        return d + timedelta(days=step)

    def previous_workday(self, d: _D) -> _D:
        """The last working day on or before ``d`` (``d`` itself if it is one).

        A ``datetime`` keeps its time of day.
        """
        step = 0
        while not self.is_workday(self.add_days(d, -step)):
            step += 1
        return d - timedelta(days=step)

    def add_workdays(self, d: _D, n: int) -> _D:
        """Move ``d`` by ``n`` working days.

        Args:
            d: the starting day; it need not be a working day. A ``datetime`` keeps its time
                of day.
            n: for ``n > 0`` the result is the ``n``-th working day strictly after ``d``; for
                ``n < 0`` the ``|n|``-th working day strictly before ``d``; ``0`` returns ``d``.

        Returns:
            The day reached, of the same type as ``d``.

        Raises:
            CalendarHorizonError: the walk leaves the covered data without a fallback.
        """
        if n == 0:
            return d
        step = 1 if n > 0 else -1
        remaining = abs(n)
        o = start = d.toordinal()
        if not _MIN_ORD <= o + n <= _MAX_ORD:  # n working days move at least n days
            raise _range_error(d, n, "working days")
        table = self._table(d.year)
        while remaining:
            o += step
            if not _MIN_ORD <= o <= _MAX_ORD:
                raise _range_error(d, n, "working days")
            if table is None or not table[0] <= o < table[0] + len(table[1]):
                table = self._table(date.fromordinal(o).year)
                if table is None:
                    # No bitmap: ask day by day (extras answer, anything else raises).
                    if self._work_ord(o):
                        remaining -= 1
                    continue
            if table[1][o - table[0]]:
                remaining -= 1
        return d + timedelta(days=o - start)

    def add_days(self, d: _D, n: int) -> _D:
        """Move ``d`` by ``n`` calendar days (no calendar data needed).

        Raises:
            CalendarError: the day reached lies outside the years 1–9999.
        """
        if not _MIN_ORD <= d.toordinal() + n <= _MAX_ORD:
            raise _range_error(d, n, "days")
        return d + timedelta(days=n)

    def shift(self, d: _D, n: int, unit: str) -> _D:
        """Move ``d`` by ``n`` ``"days"`` or ``"working_days"`` (see :meth:`add_workdays`).

        Raises:
            CalendarError: the day reached lies outside the years 1–9999.
            CalendarHorizonError: a working-day walk leaves the covered data.
        """
        if unit == "working_days":
            return self.add_workdays(d, n)
        return self.add_days(d, n)

    def adjust(self, d: _D, policy: NonWorkdayPolicy) -> _D:
        """Apply a non-working-day policy to ``d``.

        Args:
            d: the day (a ``datetime`` keeps its time of day).
            policy: ``"keep"`` returns ``d`` as is; ``"next_workday"`` and
                ``"previous_workday"`` move a non-working day to the nearest working day
                after or before it.

        Raises:
            CalendarError: an unknown policy.
        """
        if policy == "keep":
            return d
        if policy == "next_workday":
            return self.next_workday(d)
        if policy == "previous_workday":
            return self.previous_workday(d)
        raise CalendarError(
            f"unknown on_non_workday policy {policy!r}; known: {', '.join(_POLICIES)}"
        )

    def workdays_between(self, a: date, b: date) -> int:
        """The number of working days in ``(a, b]``.

        If ``b < a`` the answer is negative: minus the working days in ``[b, a)``. Either
        way ``workdays_between(d, add_workdays(d, n)) == n`` for every ``n``.
        """
        lo, hi = a.toordinal() + 1, b.toordinal()  # count [lo, hi]
        sign = 1
        if hi < lo:
            lo, hi, sign = hi, lo - 2, -1  # [b, a - 1]
        count = 0
        o = lo
        while o <= hi:
            table = self._table(date.fromordinal(o).year)
            if table is None:
                count += self._work_ord(o)
                o += 1
                continue
            jan1, bits = table
            end = min(hi + 1, jan1 + len(bits))
            count += bits.count(1, o - jan1, end - jan1)
            o = end
        return sign * count
