"""Calendar gaps of issue 13: daily, half-yearly and yearly recurrences, ISO anchors,
phase aliases in ``use:``, 廿/卅 and a weekday in brackets."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow import DateExpressionError, TemplateError, load_template_text
from zyw_flow.dates import (
    AbsoluteDate,
    Recurrence,
    RelativeDate,
    WeekdayMismatchError,
    WorkCalendar,
    parse_date,
    parse_recurrence,
    parse_window,
)
from zyw_flow.resolve import resolve

CN = WorkCalendar()
CN_WEEKDAYS = "一二三四五六日"

ranges = st.tuples(
    st.dates(min_value=date(2005, 1, 1), max_value=date(2024, 6, 30)),
    st.integers(min_value=0, max_value=800),
).map(lambda t: (t[0], t[0] + timedelta(days=t[1])))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class TestNewRecurrences:
    """every: day, half_year and year."""

    @pytest.mark.parametrize(
        ("spec", "expected"),
        [
            ({"every": "day"}, Recurrence(every="day")),
            ({"every": "每天"}, Recurrence(every="day")),
            ({"every": "daily", "on": "workdays"}, Recurrence(every="day", workdays=True)),
            ({"every": "day", "on": "工作日"}, Recurrence(every="day", workdays=True)),
            ({"every": "half_year"}, Recurrence(every="half_year")),
            ({"every": "每半年", "within": "10天"}, Recurrence(every="half_year", within=10)),
            ({"every": "year"}, Recurrence(every="year")),
            (
                {"every": "year", "within": "10 working days"},
                Recurrence(every="year", within=10, within_unit="working_days"),
            ),
            ({"every": "每年", "on": "12-20"}, Recurrence(every="year", month=12, day=20)),
            ({"every": "year", "on": "12月20日"}, Recurrence(every="year", month=12, day=20)),
            (
                {"every": "year", "on": "12-20", "interval": 3},
                Recurrence(every="year", month=12, day=20, interval=3),
            ),
        ],
    )
    def test_forms(self, spec: Mapping[str, object], expected: Recurrence) -> None:
        """Each documented form reads as written."""
        assert parse_recurrence(spec) == expected

    @pytest.mark.parametrize(
        ("spec", "reason"),
        [
            ({"every": "day", "on": "monday"}, "a daily recurrence takes on: workdays"),
            ({"every": "day", "within": 3}, "unknown key(s) within"),
            ({"every": "half_year", "day": 5}, "unknown key(s) day"),
            ({"every": "year", "on": "13-01"}, "month 13 does not exist"),
            ({"every": "year", "on": "2-30"}, "2月30日 does not exist"),
            ({"every": "year", "on": "soon"}, "on must be a day of the year"),
            ({"every": "year", "on": "12-20", "within": 3}, "not both"),
            ({"every": "year", "interval": 0}, "interval must be"),
            ({"every": "year", "interval": "three"}, "interval must be"),
        ],
    )
    def test_bad(self, spec: Mapping[str, object], reason: str) -> None:
        """A bad spec is a DateExpressionError naming the problem."""
        with pytest.raises(DateExpressionError) as info:
            parse_recurrence(spec)
        assert reason in info.value.reason

    def test_inconsistent_constructor(self) -> None:
        """Fields that belong to other cadences are refused."""
        for kwargs in (
            {"every": "day", "interval": 2},
            {"every": "week", "weekday": 0, "workdays": True},
            {"every": "quarter", "month": 3, "day": 1},
            {"every": "year", "month": 2, "day": 30},
            {"every": "year", "month": 12, "day": 20, "within": 2},
        ):
            with pytest.raises(DateExpressionError):
                Recurrence(**kwargs)  # type: ignore[arg-type]

    def test_half_year_into_next_year(self) -> None:
        """H2 2011 + 10 days is 2012-01-10 (半年测评 after each half)."""
        r = parse_recurrence({"every": "half_year", "within": "10 days"})
        assert r.due_dates(date(2011, 1, 1), date(2011, 12, 31), CN) == [
            date(2011, 7, 10),
            date(2012, 1, 10),
        ]

    def test_year_end_within_working_days(self) -> None:
        """2011-12-31 + 5 working days skips 元旦 (2012-01-01 … 01-03)."""
        r = parse_recurrence({"every": "year", "within": "5 working days"})
        assert r.due_dates(date(2011, 1, 1), date(2011, 12, 31), CN) == [date(2012, 1, 10)]

    def test_every_three_years(self) -> None:
        """「每三年开展一次“万人评机关”活动」: 2009, 2012, 2015 from a range starting 2009."""
        r = parse_recurrence({"every": "year", "on": "12-20", "interval": 3})
        assert r.due_dates(date(2009, 1, 1), date(2016, 12, 31), CN) == [
            date(2009, 12, 20),
            date(2012, 12, 20),
            date(2015, 12, 20),
        ]

    def test_leap_day_in_common_years(self) -> None:
        """on: 2-29 falls on 02-28 in a common year."""
        r = parse_recurrence({"every": "year", "on": "2-29"})
        assert r.due_dates(date(2011, 1, 1), date(2012, 12, 31), CN) == [
            date(2011, 2, 28),
            date(2012, 2, 29),
        ]

    def test_workdays_skip_golden_week(self) -> None:
        """Daily on working days: 国庆 2011 off, the 调休 weekend 10-08/09 on."""
        r = parse_recurrence({"every": "day", "on": "workdays"})
        assert r.due_dates(date(2011, 9, 30), date(2011, 10, 10), CN) == [
            date(2011, 9, 30),
            date(2011, 10, 8),
            date(2011, 10, 9),
            date(2011, 10, 10),
        ]


class TestRecurrenceProperties:
    """Hypothesis properties of the new cadences."""

    @settings(max_examples=60)
    @given(span=ranges)
    def test_daily_is_every_day(self, span: tuple[date, date]) -> None:
        """Daily: each day of the range once; on workdays: exactly the working days."""
        first, last = span
        assert Recurrence(every="day").due_dates(first, last, CN) == _days(first, last)
        got = Recurrence(every="day", workdays=True).due_dates(first, last, CN)
        assert got == [d for d in _days(first, last) if CN.is_workday(d)]

    @settings(max_examples=100)
    @given(span=ranges, within=st.integers(min_value=0, max_value=40))
    def test_half_year(self, span: tuple[date, date], within: int) -> None:
        """One instance per half-year end (06-30, 12-31) in range, ``within`` days later."""
        first, last = span
        ends = [d for d in _days(first, last) if (d.month, d.day) in ((6, 30), (12, 31))]
        got = Recurrence(every="half_year", within=within).due_dates(first, last, CN)
        assert got == [d + timedelta(days=within) for d in ends]

    @settings(max_examples=100)
    @given(
        span=ranges,
        month=st.integers(min_value=1, max_value=12),
        day=st.integers(min_value=1, max_value=31),
        interval=st.integers(min_value=1, max_value=4),
    )
    def test_yearly_fixed_day(
        self, span: tuple[date, date], month: int, day: int, interval: int
    ) -> None:
        """Yearly on a day: in range, in every interval-th year from the first, none missed."""
        first, last = span
        day = min(day, calendar.monthrange(2000, month)[1])
        r = Recurrence(every="year", month=month, day=day, interval=interval)
        got = r.due_dates(first, last, CN)
        expected = [
            d
            for d in _days(first, last)
            if d.month == month
            and d.day == min(day, calendar.monthrange(d.year, month)[1])
            and (d.year - first.year) % interval == 0
        ]
        assert got == expected


class TestIsoAnchor:
    """An ISO date as the anchor of a relative expression."""

    def test_parse(self) -> None:
        """`2015-02-28 - 2 working days` is an anchor and an offset."""
        expr = parse_date("2015-02-28 - 2 working days")
        assert expr == RelativeDate(
            text="2015-02-28 - 2 working days", anchor="2015-02-28", amount=-2, unit="working_days"
        )
        # 2015-02-28 is a 调休 Saturday (a working day); 02-27 and 02-26 are working days.
        assert expr.apply(date(2015, 2, 28), CN) == date(2015, 2, 26)
        assert parse_date("2011-9-1 + 10天") == RelativeDate(
            text="2011-9-1 + 10天", anchor="2011-09-01", amount=10, unit="days"
        )

    def test_plain_iso_is_absolute(self) -> None:
        """Without an offset an ISO date stays an absolute date."""
        assert isinstance(parse_date("2015-02-28"), AbsoluteDate)

    def test_impossible_anchor(self) -> None:
        """An ISO anchor that is no date is refused."""
        with pytest.raises(DateExpressionError, match="is not a date"):
            parse_date("2015-02-30 + 2 days")

    def test_resolved_in_a_template(self) -> None:
        """A step due `2011-09-30 - 2 working days` resolves to 09-28."""
        text = _CAMPAIGN.format(use="self_check", due="2011-09-30 - 2 working days")
        resolved = resolve(load_template_text(text))
        step = resolved.step("report")
        assert step.nominal_due == date(2011, 9, 28)


_CAMPAIGN = """\
id: probe
title: 探针
params:
  year: {{type: int, default: 2011}}
roles: {{member: 单位, office: 办公室, inspector: 督查, accountability: 问责, leader: 领导小组}}
phases:
  - use: {use}
    window: 9月
    steps:
      report: {{title: 报告, due: "{due}"}}
"""


class TestPhaseAliases:
    """`use:` takes a phase template's declared aliases."""

    @pytest.mark.parametrize(
        ("use", "phase"),
        [
            ("动员部署", "mobilization"),
            ("動員部署", "mobilization"),
            ("动员部署阶段", "mobilization"),
            ("思想动员", "mobilization"),
            ("查找問題", "self_check"),
            ("工作推进", "supervision"),
            ("总结评估", "summary"),
        ],
    )
    def test_alias(self, use: str, phase: str) -> None:
        """The alias selects the phase template, whose id the phase takes."""
        template = load_template_text(_CAMPAIGN.format(use=use, due="9月20日"))
        assert template.phases[0].id == phase
        assert template.phases[0].use == phase
        assert "report" in [s.id for s in template.phases[0].steps]

    def test_unknown_alias(self) -> None:
        """An alias no phase template declares is a located problem."""
        with pytest.raises(TemplateError) as info:
            load_template_text(_CAMPAIGN.format(use="不存在阶段", due="9月20日"))
        [problem] = info.value.problems
        assert problem.path == "phases[0].use"
        assert "no phase template declares it" in problem.message

    def test_stored_campaign_reopens(self, tmp_path) -> None:  # type: ignore[no-untyped-def]
        """A stored campaign keeps the phase template by id and finds the alias again."""
        from zyw_flow import Campaign

        template = load_template_text(_CAMPAIGN.format(use="動員部署", due="9月20日"))
        db = tmp_path / "alias.db"
        Campaign.create_stored(db, template).close()
        again = Campaign.open(db)
        assert [p.id for p in again.compiled.resolved.phases] == ["mobilization"]
        again.close()

    def test_path_is_not_an_alias(self) -> None:
        """A path is still refused, whatever its characters."""
        with pytest.raises(TemplateError):
            load_template_text(_CAMPAIGN.format(use="../动员部署", due="9月20日"))


class TestPhrases:
    """廿/卅 and a weekday in brackets."""

    def test_nian_sa(self) -> None:
        """廿五 = 25, 卅 = 30, 卅一 = 31, also inside a window."""
        assert parse_date("9月廿五日").span(2011).first == date(2011, 9, 25)
        assert parse_date("9月卅日前").span(2011).first == date(2011, 9, 30)
        assert parse_date("12月卅一日").span(2011).first == date(2011, 12, 31)
        _, end = parse_window("6月19日—廿五日")
        assert end.span(2012).last == date(2012, 6, 25)

    def test_weekday_bracket(self) -> None:
        """「10月5日(星期三)前」: 2011-10-05 is a Wednesday (C-TAX 整改报告)."""
        expr = parse_date("10月5日(星期三)前")
        assert isinstance(expr, AbsoluteDate)
        assert expr.weekday == 2 and expr.before
        assert expr.span(2011).first == date(2011, 10, 5)
        for text in (
            "10月5日（星期三）前",
            "10月5日(周三)",
            "10月5日(礼拜三)",
            "2011-10-05(星期三)",
        ):
            assert parse_date(text).span(2011).first == date(2011, 10, 5)  # type: ignore[union-attr]

    def test_weekday_mismatch(self) -> None:
        """A weekday the date does not fall on is a WeekdayMismatchError at span()."""
        expr = parse_date("10月5日(星期四)前")
        assert isinstance(expr, AbsoluteDate)
        with pytest.raises(WeekdayMismatchError) as info:
            expr.span(2011)
        assert info.value.day == date(2011, 10, 5) and info.value.written == 3
        assert isinstance(info.value, DateExpressionError)
        assert expr.span(2006).first == date(2006, 10, 5)  # a Thursday in 2006

    def test_weekday_mismatch_in_template(self) -> None:
        """In a template the mismatch is a located problem."""
        with pytest.raises(TemplateError) as info:
            resolve(load_template_text(_CAMPAIGN.format(use="self_check", due="9月20日(星期一)")))
        assert any(
            p.path.endswith("steps.report.due") and "星期二" in p.message
            for p in info.value.problems
        )

    def test_weekday_needs_a_day(self) -> None:
        """A weekday after a month or a fuzzy part is refused."""
        for text in ("10月(星期三)", "(星期三)10月5日"):
            with pytest.raises(DateExpressionError, match="must follow a day"):
                parse_date(text)

    @settings(max_examples=200)
    @given(
        day=st.dates(min_value=date(1990, 1, 1), max_value=date(2030, 12, 31)),
        shift=st.integers(min_value=0, max_value=6),
        word=st.sampled_from(["星期", "周", "礼拜"]),
    )
    def test_weekday_property(self, day: date, shift: int, word: str) -> None:
        """Any date with its own weekday reads; with any other, a WeekdayMismatchError."""
        written = (day.weekday() + shift) % 7
        expr = parse_date(f"{day.year}年{day.month}月{day.day}日({word}{CN_WEEKDAYS[written]})")
        assert isinstance(expr, AbsoluteDate)
        if shift == 0:
            assert expr.span(2000).first == day
        else:
            with pytest.raises(WeekdayMismatchError):
                expr.span(2000)


class TestDaqingFuzzyOpenings:
    """Daqing's 现场会 (「7月份」) and year-end steps (「年末」/「年底」) open on their span."""

    def test_openings(self) -> None:
        """07-01 for 7月份; 12-21 (December 下旬) for 年末 and 年底; the rally still 02-11."""
        from zyw_flow import load_template

        campaign = resolve(load_template("daqing-zuofeng-2011"))
        opens = {
            sid: campaign.step(sid).opens.date()
            for sid in (
                "launch_rally",
                "onsite_meeting",
                "summary_rally",
                "best_and_last_selection",
            )
        }
        assert opens == {
            "launch_rally": date(2011, 2, 11),
            "onsite_meeting": date(2011, 7, 1),
            "summary_rally": date(2011, 12, 21),
            "best_and_last_selection": date(2011, 12, 21),
        }
        # The span is read from the phrase, so another year moves with it.
        later = resolve(load_template("daqing-zuofeng-2011", {"year": 2012}))
        assert later.step("onsite_meeting").opens.date() == date(2012, 7, 1)
