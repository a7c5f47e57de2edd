"""Tests of zyw_flow.dates recurrences (``repeat:``)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow import CalendarHorizonError, DateExpressionError
from zyw_flow.dates import Recurrence, WorkCalendar, parse_recurrence

CN = WorkCalendar()

ranges = st.tuples(
    st.dates(min_value=date(2005, 1, 1), max_value=date(2025, 6, 30)),
    st.integers(min_value=0, max_value=400),
).map(lambda t: (t[0], t[0] + timedelta(days=t[1])))


class TestParse:
    """parse_recurrence reads the documented forms."""

    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ({"every": "week", "on": "monday"}, Recurrence(every="week", weekday=0)),
            ({"every": "week", "on": "Friday"}, Recurrence(every="week", weekday=4)),
            ({"every": "week", "on": "sun"}, Recurrence(every="week", weekday=6)),
            ({"every": "week", "on": "周一"}, Recurrence(every="week", weekday=0)),
            ({"every": "week", "on": "星期三"}, Recurrence(every="week", weekday=2)),
            ({"every": "week", "on": "週五"}, Recurrence(every="week", weekday=4)),
            ({"every": "week", "on": "周日"}, Recurrence(every="week", weekday=6)),
            ({"every": "week", "on": "星期天"}, Recurrence(every="week", weekday=6)),
            ({"every": "month", "day": 5}, Recurrence(every="month", day=5)),
            ({"every": "month", "day": "25"}, Recurrence(every="month", day=25)),
            ({"every": "month", "day": "last"}, Recurrence(every="month", last=True)),
            ({"every": "month", "day": "月底"}, Recurrence(every="month", last=True)),
            (
                {"every": "quarter", "within": "10 days"},
                Recurrence(every="quarter", within=10),
            ),
            (
                {"every": "quarter", "within": "10 working days"},
                Recurrence(every="quarter", within=10, within_unit="working_days"),
            ),
            ({"every": "quarter", "within": "10天"}, Recurrence(every="quarter", within=10)),
            (
                {"every": "quarter", "within": "10个工作日"},
                Recurrence(every="quarter", within=10, within_unit="working_days"),
            ),
            ({"every": "quarter", "within": 10}, Recurrence(every="quarter", within=10)),
            ({"every": "quarter"}, Recurrence(every="quarter")),
            (
                {"every": "month", "day": 25, "from": "3月", "until": "11月"},
                Recurrence(every="month", day=25),
            ),
        ],
    )
    def test_forms(self, spec: Mapping[str, object], expected: Recurrence) -> None:
        """Each documented form."""
        assert parse_recurrence(spec) == expected

    @pytest.mark.parametrize(
        ("spec", "reason"),
        [
            ({"every": "fortnight"}, "unknown 'every: fortnight'"),
            ({"on": "monday"}, "missing 'every'"),
            ({"every": "week"}, "needs 'on'"),
            ({"every": "week", "on": "funday"}, "unknown weekday"),
            ({"every": "week", "on": 1}, "unknown weekday"),
            ({"every": "month"}, "needs 'day'"),
            ({"every": "month", "day": 0}, "day 0 does not exist"),
            ({"every": "month", "day": 32}, "day 32 does not exist"),
            ({"every": "month", "day": True}, "day must be"),
            ({"every": "month", "day": "soon"}, "day must be"),
            ({"every": "quarter", "within": "10 weeks"}, "within must be"),
            ({"every": "quarter", "within": -5}, "within must be"),
            ({"every": "week", "on": "monday", "day": 5}, "unknown key(s) day"),
        ],
    )
    def test_bad(self, spec: Mapping[str, object], reason: str) -> None:
        """Bad specs raise DateExpressionError naming the problem."""
        with pytest.raises(DateExpressionError) as info:
            parse_recurrence(spec)
        assert reason in info.value.reason
        assert info.value.phrase == str(spec)

    def test_inconsistent_constructor(self) -> None:
        """A Recurrence whose fields do not fit together is refused."""
        with pytest.raises(DateExpressionError):
            Recurrence(every="week")
        with pytest.raises(DateExpressionError):
            Recurrence(every="month", day=5, last=True)
        with pytest.raises(DateExpressionError):
            Recurrence(every="week", weekday=0, within=3)


class TestDueDates:
    """due_dates lists the instances in a range."""

    def test_weekly(self) -> None:
        """Each Monday of March 2011."""
        r = parse_recurrence({"every": "week", "on": "monday"})
        assert r.due_dates(date(2011, 3, 1), date(2011, 3, 31), CN) == [
            date(2011, 3, 7),
            date(2011, 3, 14),
            date(2011, 3, 21),
            date(2011, 3, 28),
        ]

    def test_monthly_day_beyond_month_end(self) -> None:
        """day: 31 falls on each month's last day."""
        r = parse_recurrence({"every": "month", "day": 31})
        assert r.due_dates(date(2011, 1, 1), date(2011, 4, 30), CN) == [
            date(2011, 1, 31),
            date(2011, 2, 28),
            date(2011, 3, 31),
            date(2011, 4, 30),
        ]

    def test_monthly_inside_range(self) -> None:
        """Only days inside the range count."""
        r = parse_recurrence({"every": "month", "day": 5})
        assert r.due_dates(date(2011, 9, 6), date(2011, 12, 5), CN) == [
            date(2011, 10, 5),
            date(2011, 11, 5),
            date(2011, 12, 5),
        ]

    def test_month_end(self) -> None:
        """day: last is each month's end (leap February included)."""
        r = parse_recurrence({"every": "month", "day": "last"})
        assert r.due_dates(date(2012, 1, 15), date(2012, 3, 15), CN) == [
            date(2012, 1, 31),
            date(2012, 2, 29),
        ]

    def test_quarterly_q4_into_next_year(self) -> None:
        """Q4 2011 + 10 days is 2012-01-10."""
        r = parse_recurrence({"every": "quarter", "within": "10 days"})
        assert r.due_dates(date(2011, 1, 1), date(2011, 12, 31), CN) == [
            date(2011, 4, 10),
            date(2011, 7, 10),
            date(2011, 10, 10),
            date(2012, 1, 10),
        ]

    def test_quarterly_working_days(self) -> None:
        """Q3 2011 + 5 working days skips 国庆 and counts the 调休 weekend."""
        r = parse_recurrence({"every": "quarter", "within": "5 working days"})
        # 09-30 (Fri) → 10-08, 10-09 (调休), 10-10, 10-11, 10-12
        assert r.due_dates(date(2011, 7, 1), date(2011, 9, 30), CN) == [date(2011, 10, 12)]

    def test_quarter_must_end_inside(self) -> None:
        """A quarter whose last day is outside the range has no instance."""
        r = parse_recurrence({"every": "quarter", "within": 10})
        assert r.due_dates(date(2011, 4, 1), date(2011, 6, 29), CN) == []
        assert r.due_dates(date(2011, 6, 30), date(2011, 6, 30), CN) == [date(2011, 7, 10)]

    def test_empty_range(self) -> None:
        """A range that ends before it starts has no instances."""
        r = parse_recurrence({"every": "week", "on": "monday"})
        assert r.due_dates(date(2011, 3, 31), date(2011, 3, 1), CN) == []

    def test_horizon(self) -> None:
        """Working days beyond the data raise CalendarHorizonError."""
        r = parse_recurrence({"every": "quarter", "within": "10 working days"})
        last = CN.coverage[1]
        with pytest.raises(CalendarHorizonError):
            r.due_dates(date(last.year, 10, 1), last, CN)


class TestProperties:
    """Hypothesis properties of due dates."""

    @settings(max_examples=100)
    @given(span=ranges, weekday=st.integers(min_value=0, max_value=6))
    def test_weekly(self, span: tuple[date, date], weekday: int) -> None:
        """Weekly dates are that weekday, inside the range, 7 days apart, none missed."""
        first, last = span
        got = Recurrence(every="week", weekday=weekday).due_dates(first, last, CN)
        expected = [
            first + timedelta(days=i)
            for i in range((last - first).days + 1)
            if (first + timedelta(days=i)).weekday() == weekday
        ]
        assert got == expected

    @settings(max_examples=100)
    @given(span=ranges, day=st.integers(min_value=1, max_value=31))
    def test_monthly(self, span: tuple[date, date], day: int) -> None:
        """Monthly dates are in range, one per month, on min(day, month length)."""
        first, last = span
        got = Recurrence(every="month", day=day).due_dates(first, last, CN)
        assert all(first <= d <= last for d in got)
        assert len({(d.year, d.month) for d in got}) == len(got)
        for d in got:
            assert d.day == min(day, calendar.monthrange(d.year, d.month)[1])

    @settings(max_examples=100)
    @given(span=ranges, within=st.integers(min_value=0, max_value=20))
    def test_quarterly(self, span: tuple[date, date], within: int) -> None:
        """One instance per quarter end in range; working-day dues are working days."""
        first, last = span
        days = Recurrence(every="quarter", within=within).due_dates(first, last, CN)
        work = Recurrence(every="quarter", within=within, within_unit="working_days")
        work_days = work.due_dates(first, last, CN)
        assert len(days) == len(work_days)
        for d, w in zip(days, work_days, strict=True):
            quarter_end = d - timedelta(days=within)
            assert quarter_end.month % 3 == 0
            assert first <= quarter_end <= last
            if within:
                assert CN.is_workday(w)
                assert CN.workdays_between(quarter_end, w) == within
