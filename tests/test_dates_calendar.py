"""Tests of zyw_flow.dates working-day calendars."""

from __future__ import annotations

import pickle
from datetime import date, datetime, timedelta

import attrs
import chinese_calendar
import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow import CalendarError, CalendarHorizonError
from zyw_flow.dates import WorkCalendar, end_of_day, start_of_day

CN = WorkCalendar()
WEEKENDS = WorkCalendar(name="weekends")

# Days well inside the package's data, so that a walk of up to ~90 working days either
# way stays covered.
covered_days = st.dates(min_value=date(2004, 6, 1), max_value=date(2026, 6, 30))
offsets = st.integers(min_value=-60, max_value=60)
nonzero_offsets = st.one_of(st.integers(-60, -1), st.integers(1, 60))
calendars = st.sampled_from([CN, WEEKENDS])


class TestOfficialData:
    """The cn calendar agrees with chinesecalendar, 调休 included."""

    def test_national_day_2011(self) -> None:
        """2011-10-05 is a holiday; the Saturday 2011-10-08 is a make-up working day."""
        assert not CN.is_workday(date(2011, 10, 5))
        assert CN.is_workday(date(2011, 10, 8))
        assert CN.next_workday(date(2011, 10, 5)) == date(2011, 10, 8)
        assert CN.add_workdays(date(2011, 10, 5), 1) == date(2011, 10, 8)
        assert CN.add_workdays(date(2011, 10, 5), 3) == date(2011, 10, 10)
        assert CN.previous_workday(date(2011, 10, 5)) == date(2011, 9, 30)

    def test_bitmap_matches_package_everywhere(self) -> None:
        """Every covered day answers exactly as chinese_calendar.is_workday."""
        first, last = CN.coverage
        d = first
        while d <= last:
            assert CN.is_workday(d) == chinese_calendar.is_workday(d), d
            d += timedelta(days=1)

    def test_coverage_computed_from_package(self) -> None:
        """Coverage spans 1 January of the first to 31 December of the last data year."""
        years = {d.year for d in chinese_calendar.constants.holidays}
        assert CN.coverage == (date(min(years), 1, 1), date(max(years), 12, 31))
        assert CN.covers(date(2011, 10, 5))
        assert not CN.covers(date(max(years) + 1, 1, 1))

    def test_datetime_counts_as_its_date(self) -> None:
        """A datetime is answered by its day and keeps its time of day when moved."""
        at = datetime(2011, 10, 5, 9, 30)
        assert not CN.is_workday(at)
        assert CN.next_workday(at) == datetime(2011, 10, 8, 9, 30)
        assert CN.add_workdays(at, 3) == datetime(2011, 10, 10, 9, 30)

    def test_pendulum_datetime_keeps_zone_and_time(self) -> None:
        """A pendulum DateTime moved by working days keeps its zone and wall time."""
        at = pendulum.datetime(2011, 10, 5, 17, 0, tz="Asia/Shanghai")
        moved = CN.add_workdays(at, 1)
        assert isinstance(moved, pendulum.DateTime)
        assert moved == pendulum.datetime(2011, 10, 8, 17, 0, tz="Asia/Shanghai")


class TestHorizon:
    """Beyond the data the calendar refuses plainly, or falls back as declared."""

    def test_error_beyond_data(self) -> None:
        """A cn date in 2030 raises CalendarHorizonError naming the date and the range."""
        with pytest.raises(CalendarHorizonError) as info:
            CN.is_workday(date(2030, 1, 7))
        message = str(info.value)
        assert "2030-01-07" in message
        assert CN.coverage[1].isoformat() in message
        assert "calendar.years[2030]" in message
        assert "fallback: weekends" in message

    def test_horizon_error_is_calendar_error(self) -> None:
        """CalendarHorizonError is a CalendarError and a LookupError."""
        with pytest.raises(LookupError):
            CN.add_workdays(CN.coverage[1], 10)
        with pytest.raises(CalendarError):
            CN.previous_workday(date(2003, 12, 31))

    def test_weekend_fallback(self) -> None:
        """fallback: weekends answers Monday to Friday beyond the data."""
        cal = WorkCalendar(fallback="weekends")
        assert not cal.is_workday(date(2030, 1, 5))  # Saturday
        assert cal.is_workday(date(2030, 1, 7))  # Monday
        assert not cal.covers(date(2030, 1, 7))
        assert cal.next_workday(date(2030, 1, 5)) == date(2030, 1, 7)

    def test_years_override_covers_a_year(self) -> None:
        """A declared year is covered: weekdays work except its holidays, plus its workdays."""
        last = CN.coverage[1].year
        year = last + 1
        jan1 = date(year, 1, 1)
        sat = jan1 + timedelta(days=(5 - jan1.weekday()) % 7)
        monday = jan1 + timedelta(days=(0 - jan1.weekday()) % 7)
        cal = WorkCalendar(years={year: (frozenset({monday}), frozenset({sat}))})
        assert cal.covers(jan1)
        assert cal.coverage == (CN.coverage[0], date(year, 12, 31))
        assert cal.is_workday(sat)
        assert not cal.is_workday(monday)
        assert cal.is_workday(monday + timedelta(days=1))
        with pytest.raises(CalendarHorizonError):
            cal.is_workday(date(year + 1, 3, 1))

    def test_years_2027(self) -> None:
        """The documented 2027 example: 2027-01-01 off, Saturday 2027-02-20 worked."""
        cal = WorkCalendar(
            years={2027: {"holidays": [date(2027, 1, 1)], "workdays": [date(2027, 2, 20)]}}
        )
        assert cal.covers(date(2027, 6, 1))
        assert not cal.is_workday(date(2027, 1, 1))
        assert cal.is_workday(date(2027, 2, 20))
        assert cal.is_workday(date(2027, 1, 4))

    def test_weekends_calendar_has_no_horizon(self) -> None:
        """The weekends calendar covers every date and knows no holidays."""
        assert WEEKENDS.covers(date(2999, 1, 1))
        assert WEEKENDS.is_workday(date(2011, 10, 5))  # a Wednesday, 国庆 in cn
        assert not WEEKENDS.is_workday(date(2011, 10, 8))  # a Saturday, 调休 in cn
        assert WEEKENDS.coverage == (date.min, date.max)

    def test_extras_answer_beyond_data(self) -> None:
        """An extra working day or holiday is answered even beyond the data."""
        cal = WorkCalendar(
            extra_workdays=frozenset({date(2030, 1, 5)}),
            extra_holidays=frozenset({date(2030, 1, 7)}),
        )
        assert cal.is_workday(date(2030, 1, 5))
        assert not cal.is_workday(date(2030, 1, 7))
        with pytest.raises(CalendarHorizonError):
            cal.is_workday(date(2030, 1, 8))


class TestOverrides:
    """Per-template extra holidays and working days win over the official data."""

    def test_extra_holiday_and_workday(self) -> None:
        """extra_holidays and extra_workdays override cn."""
        cal = WorkCalendar(
            extra_holidays=frozenset({date(2011, 9, 13)}),
            extra_workdays=frozenset({date(2011, 10, 5)}),
        )
        assert not cal.is_workday(date(2011, 9, 13))
        assert cal.is_workday(date(2011, 10, 5))
        assert cal.next_workday(date(2011, 9, 13)) == date(2011, 9, 14)

    def test_lists_are_accepted(self) -> None:
        """Extras given as lists (as from YAML) are converted to frozensets."""
        cal = WorkCalendar(extra_holidays=[date(2011, 9, 13)])
        assert cal.extra_holidays == frozenset({date(2011, 9, 13)})

    def test_same_day_in_both_refused(self) -> None:
        """A day both extra holiday and extra workday is a CalendarError."""
        with pytest.raises(CalendarError, match="both"):
            WorkCalendar(
                extra_holidays=frozenset({date(2011, 9, 13)}),
                extra_workdays=frozenset({date(2011, 9, 13)}),
            )

    def test_years_entry_outside_its_year_refused(self) -> None:
        """A declared year listing a day of another year is a CalendarError."""
        with pytest.raises(CalendarError, match="not in 2027"):
            WorkCalendar(years={2027: (frozenset({date(2028, 1, 1)}), frozenset())})

    def test_unknown_name(self) -> None:
        """An unknown calendar name lists the known ones."""
        with pytest.raises(CalendarError) as info:
            WorkCalendar(name="x")
        assert str(info.value) == "unknown calendar 'x'; known: cn, weekends"

    def test_unknown_fallback(self) -> None:
        """An unknown fallback is a CalendarError."""
        with pytest.raises(CalendarError):
            WorkCalendar(fallback="guess")  # type: ignore[arg-type]

    def test_equality_and_hash(self) -> None:
        """Calendars are values: equal when configured alike, hashable, cache excluded."""
        a = WorkCalendar(years={2027: (frozenset(), frozenset())})
        b = WorkCalendar(years={2027: (frozenset(), frozenset())})
        a.is_workday(date(2011, 1, 1))
        assert a == b
        assert hash(a) == hash(b)
        assert attrs.evolve(a, name="weekends") != a

    def test_pickle(self) -> None:
        """A calendar (declared years included) survives pickling, e.g. to worker processes."""
        cal = WorkCalendar(years={2027: (frozenset({date(2027, 1, 1)}), frozenset())})
        cal.is_workday(date(2011, 1, 1))
        copy = pickle.loads(pickle.dumps(cal))
        assert copy == cal
        assert not copy.is_workday(date(2027, 1, 1))


class TestArithmetic:
    """Working-day arithmetic and the non-working-day policies."""

    def test_adjust_policies(self) -> None:
        """keep leaves a holiday; next/previous move it to the nearest working day."""
        d = date(2011, 10, 5)
        assert CN.adjust(d, "keep") == d
        assert CN.adjust(d, "next_workday") == date(2011, 10, 8)
        assert CN.adjust(d, "previous_workday") == date(2011, 9, 30)
        assert CN.adjust(date(2011, 10, 10), "next_workday") == date(2011, 10, 10)

    def test_adjust_unknown_policy(self) -> None:
        """An unknown policy is a CalendarError."""
        with pytest.raises(CalendarError, match="unknown on_non_workday"):
            CN.adjust(date(2011, 10, 5), "nearest")  # type: ignore[arg-type]

    def test_add_days(self) -> None:
        """add_days is plain calendar arithmetic, even beyond the data."""
        assert CN.add_days(date(2011, 12, 31), 10) == date(2012, 1, 10)
        assert CN.add_days(date(2030, 1, 1), -1) == date(2029, 12, 31)

    def test_add_zero_workdays(self) -> None:
        """Adding zero working days returns the day itself, working day or not."""
        assert CN.add_workdays(date(2011, 10, 5), 0) == date(2011, 10, 5)

    def test_negative_workdays(self) -> None:
        """Negative offsets count working days strictly before the day."""
        assert CN.add_workdays(date(2011, 10, 8), -1) == date(2011, 9, 30)
        # 2011-10-09 (a Sunday) was a make-up working day too.
        assert CN.add_workdays(date(2011, 10, 10), -2) == date(2011, 10, 8)
        assert CN.add_workdays(date(2011, 10, 10), -3) == date(2011, 9, 30)

    def test_across_a_year(self) -> None:
        """Walks cross years (元旦 2012: 01-01 to 01-03 off, Saturday 2011-12-31 worked)."""
        assert CN.add_workdays(date(2011, 12, 30), 1) == date(2011, 12, 31)
        assert CN.add_workdays(date(2011, 12, 30), 2) == date(2012, 1, 4)
        assert CN.add_workdays(date(2012, 1, 4), -1) == date(2011, 12, 31)
        assert CN.workdays_between(date(2011, 12, 30), date(2012, 1, 4)) == 2

    def test_workdays_between(self) -> None:
        """workdays_between counts (a, b], or minus [b, a) when b < a."""
        assert CN.workdays_between(date(2011, 9, 30), date(2011, 10, 8)) == 1
        assert CN.workdays_between(date(2011, 10, 8), date(2011, 9, 30)) == -1
        assert CN.workdays_between(date(2011, 10, 7), date(2011, 9, 30)) == -1
        assert CN.workdays_between(date(2011, 10, 1), date(2011, 9, 30)) == -1
        assert CN.workdays_between(date(2011, 10, 1), date(2011, 10, 1)) == 0
        assert WEEKENDS.workdays_between(date(2011, 1, 2), date(2011, 1, 9)) == 5

    def test_long_walk(self) -> None:
        """A long walk agrees with counting: 2004..2026 working days."""
        first, last = CN.coverage
        total = CN.workdays_between(first, last)
        assert CN.add_workdays(first, total) == CN.previous_workday(last)


class TestInstants:
    """Days become aware pendulum instants."""

    def test_end_of_day(self) -> None:
        """A deadline day ends at 23:59:59.999999 local time."""
        end = end_of_day(date(2011, 9, 10), "Asia/Shanghai")
        assert end.isoformat() == "2011-09-10T23:59:59.999999+08:00"

    def test_start_of_day(self) -> None:
        """A day starts at 00:00 local time."""
        start = start_of_day(date(2011, 9, 10), "Asia/Shanghai")
        assert start.isoformat() == "2011-09-10T00:00:00+08:00"
        assert start.tzinfo is not None

    def test_unknown_zone(self) -> None:
        """An unknown zone is a CalendarError."""
        with pytest.raises(CalendarError, match="time zone"):
            start_of_day(date(2011, 9, 10), "Mars/Olympus")


class TestProperties:
    """Hypothesis properties of working-day arithmetic."""

    @settings(max_examples=200)
    @given(cal=calendars, d=covered_days, n=nonzero_offsets)
    def test_add_workdays_lands_on_a_workday(self, cal: WorkCalendar, d: date, n: int) -> None:
        """add_workdays(d, n) for n != 0 is a working day on the right side of d."""
        result = cal.add_workdays(d, n)
        assert cal.is_workday(result)
        assert (result > d) if n > 0 else (result < d)
        assert cal.workdays_between(d, result) == n

    @settings(max_examples=200)
    @given(cal=calendars, d=covered_days)
    def test_next_workday(self, cal: WorkCalendar, d: date) -> None:
        """next_workday is a working day >= d, idempotent, with no working day in between."""
        nxt = cal.next_workday(d)
        assert nxt >= d
        assert cal.is_workday(nxt)
        assert cal.next_workday(nxt) == nxt
        assert cal.workdays_between(d - timedelta(days=1), nxt) == 1

    @settings(max_examples=200)
    @given(cal=calendars, d=covered_days)
    def test_previous_workday(self, cal: WorkCalendar, d: date) -> None:
        """previous_workday is a working day <= d, idempotent, with none in between."""
        prev = cal.previous_workday(d)
        assert prev <= d
        assert cal.is_workday(prev)
        assert cal.previous_workday(prev) == prev
        assert cal.workdays_between(prev, d) == 0

    @settings(max_examples=200)
    @given(cal=calendars, d=covered_days, n=nonzero_offsets)
    def test_round_trip(self, cal: WorkCalendar, d: date, n: int) -> None:
        """Going n working days and back lands on d's nearest working day on the way back."""
        back = cal.add_workdays(cal.add_workdays(d, n), -n)
        if n > 0:
            assert back == cal.previous_workday(d)
        else:
            assert back == cal.next_workday(d)
        if cal.is_workday(d):
            assert back == d

    @settings(max_examples=100)
    @given(d=covered_days, n=st.integers(min_value=1, max_value=30))
    def test_adding_in_steps(self, d: date, n: int) -> None:
        """Adding n working days equals adding 1 working day n times."""
        stepwise = d
        for _ in range(n):
            stepwise = CN.add_workdays(stepwise, 1)
        assert CN.add_workdays(d, n) == stepwise

    @settings(max_examples=100)
    @given(d=covered_days, policy=st.sampled_from(["keep", "next_workday", "previous_workday"]))
    def test_adjust_keeps_working_days(self, d: date, policy: str) -> None:
        """Every policy leaves a working day where it is."""
        if CN.is_workday(d):
            assert CN.adjust(d, policy) == d  # type: ignore[arg-type]
