"""Tests of zyw_flow.dates date phrases and windows."""

from __future__ import annotations

import calendar
import contextlib
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow import DateExpressionError
from zyw_flow.dates import (
    AbsoluteDate,
    DateExpr,
    DaySpan,
    RelativeDate,
    WorkCalendar,
    parse_date,
    parse_window,
)

CN = WorkCalendar()


def window_days(text: str, year: int) -> tuple[date, date]:
    """The first and last day of a window phrase for a campaign year."""
    start, end = parse_window(text)
    assert isinstance(start, AbsoluteDate)
    assert isinstance(end, AbsoluteDate)
    return start.span(year).first, end.span(year).last


def date_span(text: str, year: int) -> tuple[date, date]:
    """The span of a single date phrase for a campaign year."""
    expr = parse_date(text)
    assert isinstance(expr, AbsoluteDate)
    span = expr.span(year)
    return span.first, span.last


# ---------------------------------------------------------------------------------------
# Strategies: phrases rendered from a known meaning, in every spelling we accept
# ---------------------------------------------------------------------------------------

_CN_DIGITS = "〇一二三四五六七八九"


def cn_numeral(n: int) -> str:
    """1..31 as a Chinese numeral: 十, 十二, 二十, 三十一."""
    tens, ones = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[ones]
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def render_number(draw: st.DrawFn, n: int) -> str:
    """n in Arabic, full-width or Chinese numerals."""
    style = draw(st.sampled_from(["arabic", "fullwidth", "chinese"]))
    if style == "arabic":
        return str(n)
    if style == "fullwidth":
        return "".join(chr(ord(c) - ord("0") + ord("０")) for c in str(n))
    return cn_numeral(n)


# kind -> (first day, last day or None for month end)
FUZZY_WORDS: dict[str, tuple[int, int | None]] = {
    "初": (1, 10),
    "上旬": (1, 10),
    "中旬": (11, 20),
    "下旬": (21, None),
    "底": (21, None),
    "末": (21, None),
    "": (1, None),
    "份": (1, None),
}


@st.composite
def month_phrases(draw: st.DrawFn, year: int) -> tuple[str, date, date]:
    """A phrase inside one month of ``year`` and the span it means."""
    month = draw(st.integers(min_value=1, max_value=12))
    month_len = calendar.monthrange(year, month)[1]
    text = render_number(draw, month) + "月"
    if draw(st.booleans()):
        day = draw(st.integers(min_value=1, max_value=month_len))
        text += render_number(draw, day) + draw(st.sampled_from(["日", "号", "號"]))
        return text, date(year, month, day), date(year, month, day)
    word = draw(st.sampled_from(sorted(FUZZY_WORDS)))
    first, last = FUZZY_WORDS[word]
    return text + word, date(year, month, first), date(year, month, last or month_len)


separators = st.sampled_from(["—", "–", "-", "~", "～", "至", "到", " — ", "——", " - "])


@st.composite
def window_phrases(draw: st.DrawFn) -> tuple[str, int, date, date]:
    """A valid window phrase (two parts in order) with its year and expected days."""
    year = draw(st.integers(min_value=2004, max_value=2026))
    a = draw(month_phrases(year))
    b = draw(month_phrases(year))
    if b[1] < a[1]:
        a, b = b, a
    if b[2] < a[2]:  # b lies inside a: use a then a
        b = a
    sep = draw(separators)
    if draw(st.booleans()):
        # An explicit year on the start, inherited by the end.
        prefix = draw(st.sampled_from([str(year), "".join(_CN_DIGITS[int(c)] for c in str(year))]))
        return f"{prefix}年{a[0]}{sep}{b[0]}", 1999, a[1], b[2]
    return f"{a[0]}{sep}{b[0]}", year, a[1], b[2]


# ---------------------------------------------------------------------------------------
# Single phrases
# ---------------------------------------------------------------------------------------

SINGLE_CASES = [
    # ISO
    ("2011-09-10", 2000, date(2011, 9, 10), date(2011, 9, 10)),
    ("09-10", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9-10", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("2011-09", 2000, date(2011, 9, 1), date(2011, 9, 30)),
    ("２０１１－０９－１０", 2000, date(2011, 9, 10), date(2011, 9, 10)),
    # days
    ("9月10日", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10号", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10號", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日前", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日之前", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日以前", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日止", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日为止", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日為止", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("9月10日截止", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("10月5日前", 2011, date(2011, 10, 5), date(2011, 10, 5)),
    ("12月3日前", 2011, date(2011, 12, 3), date(2011, 12, 3)),
    ("7月20日前", 2012, date(2012, 7, 20), date(2012, 7, 20)),
    ("2013年1月15日前", 2012, date(2013, 1, 15), date(2013, 1, 15)),
    ("二〇一二年六月十八日", 2000, date(2012, 6, 18), date(2012, 6, 18)),
    ("二○一二年十二月三十一日", 2000, date(2012, 12, 31), date(2012, 12, 31)),
    ("十月一日", 2011, date(2011, 10, 1), date(2011, 10, 1)),
    (" 9 月 10 日 前 ", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("９月１０日", 2011, date(2011, 9, 10), date(2011, 9, 10)),
    ("2月29日", 2012, date(2012, 2, 29), date(2012, 2, 29)),
    # fuzzy parts of a month
    ("9月初", 2011, date(2011, 9, 1), date(2011, 9, 10)),
    ("9月上旬", 2011, date(2011, 9, 1), date(2011, 9, 10)),
    ("9月中旬", 2011, date(2011, 9, 11), date(2011, 9, 20)),
    ("9月下旬", 2011, date(2011, 9, 21), date(2011, 9, 30)),
    ("9月底", 2011, date(2011, 9, 21), date(2011, 9, 30)),
    ("9月末", 2011, date(2011, 9, 21), date(2011, 9, 30)),
    ("2月下旬", 2012, date(2012, 2, 21), date(2012, 2, 29)),
    ("2月底", 2011, date(2011, 2, 21), date(2011, 2, 28)),
    ("年7月下旬", 2011, date(2011, 7, 21), date(2011, 7, 31)),
    ("年5月底以前", 2011, date(2011, 5, 21), date(2011, 5, 31)),
    ("次年1月中旬前", 2011, date(2012, 1, 11), date(2012, 1, 20)),
    ("翌年1月上旬", 2011, date(2012, 1, 1), date(2012, 1, 10)),
    ("明年1月", 2011, date(2012, 1, 1), date(2012, 1, 31)),
    # whole months and years
    ("12月", 2011, date(2011, 12, 1), date(2011, 12, 31)),
    ("十二月", 2011, date(2011, 12, 1), date(2011, 12, 31)),
    ("7月份", 2011, date(2011, 7, 1), date(2011, 7, 31)),
    ("2012年", 2000, date(2012, 1, 1), date(2012, 12, 31)),
    ("年初", 2011, date(2011, 1, 1), date(2011, 1, 10)),
    ("每年年初", 2011, date(2011, 1, 1), date(2011, 1, 10)),
    ("年末", 2011, date(2011, 12, 21), date(2011, 12, 31)),
    ("年底", 2011, date(2011, 12, 21), date(2011, 12, 31)),
    ("年底之前", 2011, date(2011, 12, 21), date(2011, 12, 31)),
    ("2011年末", 2000, date(2011, 12, 21), date(2011, 12, 31)),
    ("从2012年5月开始", 2000, date(2012, 5, 1), date(2012, 5, 31)),
    ("從2012年5月開始", 2000, date(2012, 5, 1), date(2012, 5, 31)),
]


class TestSinglePhrases:
    """Every accepted single-phrase form means the documented days."""

    @pytest.mark.parametrize(("text", "year", "first", "last"), SINGLE_CASES)
    def test_span(self, text: str, year: int, first: date, last: date) -> None:
        """The phrase's span for the campaign year."""
        assert date_span(text, year) == (first, last)

    @pytest.mark.parametrize(("text", "year", "first", "last"), SINGLE_CASES)
    def test_as_window(self, text: str, year: int, first: date, last: date) -> None:
        """A single phrase is also a window: (e, e)."""
        start, end = parse_window(text)
        assert start == end
        assert window_days(text, year) == (first, last)

    def test_fields(self) -> None:
        """Fields of a parsed phrase: implicit year, offset, fuzzy and 前."""
        expr = parse_date("次年1月中旬前")
        assert expr == AbsoluteDate(
            text="次年1月中旬前",
            year=None,
            year_offset=1,
            month=1,
            first_day=11,
            last_day=20,
            fuzzy="mid",
            before=True,
        )
        year_end = parse_date("年末")
        assert isinstance(year_end, AbsoluteDate)
        assert year_end.month is None
        assert year_end.year is None

    def test_explicit_year_ignores_parameter(self) -> None:
        """An explicit year wins over the year parameter."""
        assert date_span("2013年1月15日", 1990) == (date(2013, 1, 15), date(2013, 1, 15))

    def test_impossible_day_raises_in_span(self) -> None:
        """2月30日 reads, but has no span in any year; 2月29日 none in a common year."""
        expr = parse_date("2月30日")
        assert isinstance(expr, AbsoluteDate)
        with pytest.raises(DateExpressionError, match="does not exist"):
            expr.span(2012)
        leap = parse_date("2月29日")
        assert isinstance(leap, AbsoluteDate)
        with pytest.raises(DateExpressionError, match="28 days"):
            leap.span(2011)
        with pytest.raises(DateExpressionError):
            parse_date("4月31日").span(2011)  # type: ignore[union-attr]


BAD_PHRASES = [
    ("9月中下旬", "unknown word '中下旬'"),
    ("13月", "month 13 does not exist"),
    ("0月", "month 0 does not exist"),
    ("9月32日", "day 32 does not exist"),
    ("2011-13-01", "month 13 does not exist"),
    ("十三月", "month 13 does not exist"),
    ("9月10日后", "unknown word '后'"),
    ("9月上旬左右", "unknown word '左右'"),
    ("動員部署", "unknown word"),
    ("", "empty date"),
    ("   ", "empty date"),
    ("25日", "needs a month"),
    ("2011", "2011年"),
    ("9", "9月"),
    ("11年9月", "four digits"),
    ("年", "needs a year"),
    ("9月初—9月中旬", "window"),
]


class TestBadPhrases:
    """Phrases that cannot be read raise DateExpressionError with a useful reason."""

    @pytest.mark.parametrize(("text", "reason"), BAD_PHRASES)
    def test_reason(self, text: str, reason: str) -> None:
        """The reason names the problem."""
        with pytest.raises(DateExpressionError) as info:
            parse_date(text)
        assert reason in info.value.reason
        assert info.value.phrase == text
        assert isinstance(info.value, ValueError)

    def test_not_text(self) -> None:
        """A YAML date (not quoted) is refused with a hint."""
        with pytest.raises(DateExpressionError, match="quote"):
            parse_date(date(2011, 9, 10))  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------
# Windows
# ---------------------------------------------------------------------------------------

WINDOW_CASES = [
    ("9月初—9月中旬", 2011, date(2011, 9, 1), date(2011, 9, 20)),
    ("9月下旬", 2011, date(2011, 9, 21), date(2011, 9, 30)),
    ("10月-11月", 2011, date(2011, 10, 1), date(2011, 11, 30)),
    ("12月", 2011, date(2011, 12, 1), date(2011, 12, 31)),
    ("6月19日—6月25日", 2012, date(2012, 6, 19), date(2012, 6, 25)),
    ("6月26日—7月20日", 2012, date(2012, 6, 26), date(2012, 7, 20)),
    ("7月21日—12月9日", 2012, date(2012, 7, 21), date(2012, 12, 9)),
    ("2012年12月10日—2013年1月10日", 2012, date(2012, 12, 10), date(2013, 1, 10)),
    ("年8月至次年3月", 2011, date(2011, 8, 1), date(2012, 3, 31)),
    ("年8月至2012年3月", 2011, date(2011, 8, 1), date(2012, 3, 31)),
    ("2012年4月至6月", 2000, date(2012, 4, 1), date(2012, 6, 30)),
    ("6月19日至6月25日", 2012, date(2012, 6, 19), date(2012, 6, 25)),
    ("6月19日—25日", 2012, date(2012, 6, 19), date(2012, 6, 25)),
    ("6月19-25日", 2012, date(2012, 6, 19), date(2012, 6, 25)),
    ("10-11月", 2011, date(2011, 10, 1), date(2011, 11, 30)),
    ("3月1日—3月31日", 2011, date(2011, 3, 1), date(2011, 3, 31)),
    ("2011-09-01—2011-09-20", 2000, date(2011, 9, 1), date(2011, 9, 20)),
    ("2011-09-01 - 2011-09-20", 2000, date(2011, 9, 1), date(2011, 9, 20)),
    ("2011-09-01至2011-09-20", 2000, date(2011, 9, 1), date(2011, 9, 20)),
    ("2011-09-01 — 2011-09-20", 2000, date(2011, 9, 1), date(2011, 9, 20)),
    ("2011-12-10-12-20", 2000, date(2011, 12, 10), date(2011, 12, 20)),
    ("09-01~09-20", 2011, date(2011, 9, 1), date(2011, 9, 20)),
    ("2011-09—2011-10", 2000, date(2011, 9, 1), date(2011, 10, 31)),
    ("9月初——9月中旬", 2011, date(2011, 9, 1), date(2011, 9, 20)),
    ("9月初 ～ 9月中旬", 2011, date(2011, 9, 1), date(2011, 9, 20)),
    ("9月1日到9月10日", 2011, date(2011, 9, 1), date(2011, 9, 10)),
    ("從9月1日起至9月10日止", 2011, date(2011, 9, 1), date(2011, 9, 10)),
    ("次年1月—3月", 2011, date(2012, 1, 1), date(2012, 3, 31)),
    ("年末—次年初", 2011, date(2011, 12, 21), date(2012, 1, 10)),
    ("二〇一二年六月十九日—六月二十五日", 2000, date(2012, 6, 19), date(2012, 6, 25)),
]


class TestWindows:
    """Windows from the seed documents and every separator."""

    @pytest.mark.parametrize(("text", "year", "first", "last"), WINDOW_CASES)
    def test_window(self, text: str, year: int, first: date, last: date) -> None:
        """The window's first and last day."""
        assert window_days(text, year) == (first, last)

    def test_end_inherits_year(self) -> None:
        """An end without a year takes the start's explicit year and offset."""
        _, end = parse_window("2012年4月至6月")
        assert isinstance(end, AbsoluteDate)
        assert end.year == 2012
        _, end = parse_window("次年1月—3月")
        assert isinstance(end, AbsoluteDate)
        assert (end.year, end.year_offset) == (None, 1)

    def test_end_inherits_month(self) -> None:
        """An end without a month takes the start's month."""
        _, end = parse_window("6月19日—25日")
        assert isinstance(end, AbsoluteDate)
        assert (end.month, end.first_day, end.last_day) == (6, 25, 25)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("9月下旬—9月初", "before it starts"),
            ("12月—1月", "before it starts"),
            ("10月-11月-12月", "2 separators"),
            ("9月初—", "no end"),
            ("—9月初", "no start"),
            ("9月初—9月中下旬", "unknown word '中下旬'"),
            ("年初—25日", "needs a month"),
            ("2011-09-10-20", "bare number"),
        ],
    )
    def test_bad_window(self, text: str, reason: str) -> None:
        """Bad windows say why."""
        with pytest.raises(DateExpressionError) as info:
            parse_window(text)
        assert reason in info.value.reason
        assert info.value.phrase == text

    def test_order_checked_only_when_year_independent(self) -> None:
        """12月—2013年1月 reads (the order depends on the year parameter)."""
        assert window_days("12月—2013年1月", 2012) == (date(2012, 12, 1), date(2013, 1, 31))

    def test_relative_window(self) -> None:
        """Two relative expressions joined by a strong separator."""
        start, end = parse_window("phase.start — phase.start + 3 days")
        assert start == RelativeDate(text="phase.start", anchor="phase.start")
        assert isinstance(end, RelativeDate)
        assert (end.anchor, end.amount, end.unit) == ("phase.start", 3, "days")


# ---------------------------------------------------------------------------------------
# Relative expressions
# ---------------------------------------------------------------------------------------

RELATIVE_CASES = [
    ("phase.end + 10 days", "phase.end", 10, "days"),
    ("phase.end + 10 working days", "phase.end", 10, "working_days"),
    ("phase.end + 1 working day", "phase.end", 1, "working_days"),
    ("steps.work_plan.due - 3 days", "steps.work_plan.due", -3, "days"),
    ("campaign.start", "campaign.start", 0, "days"),
    ("campaign.end", "campaign.end", 0, "days"),
    ("phase.start", "phase.start", 0, "days"),
    ("phases.self_check.end + 5 days", "phases.self_check.end", 5, "days"),
    ("phases.self-check.start-2 days", "phases.self-check.start", -2, "days"),
    ("phase.end + 5 个工作日", "phase.end", 5, "working_days"),
    ("phase.end + 5 個工作日", "phase.end", 5, "working_days"),
    ("phase.end + 10天", "phase.end", 10, "days"),
    ("phase.end + 10 日", "phase.end", 10, "days"),
    ("phase.end+10days", "phase.end", 10, "days"),
    ("phase.end + 10 Working Days", "phase.end", 10, "working_days"),
]


class TestRelative:
    """Relative expressions: anchor, signed amount, unit."""

    @pytest.mark.parametrize(("text", "anchor", "amount", "unit"), RELATIVE_CASES)
    def test_parse(self, text: str, anchor: str, amount: int, unit: str) -> None:
        """The anchor, amount and unit are read."""
        expr = parse_date(text)
        assert expr == RelativeDate(text=text.strip(), anchor=anchor, amount=amount, unit=unit)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("phase.middle", "unknown anchor 'phase.middle'"),
            ("phase.ending + 3 days", "unknown anchor"),
            ("steps.x.start", "unknown anchor"),
            ("phase.end + 3 weeks", "unknown unit 'weeks'"),
            ("phase.end + 3", "missing unit"),
            ("phase.end * 3 days", "expected '+ N days'"),
            ("phase.end + days", "expected '+ N days'"),
        ],
    )
    def test_bad(self, text: str, reason: str) -> None:
        """Bad relative expressions say why."""
        with pytest.raises(DateExpressionError) as info:
            parse_date(text)
        assert reason in info.value.reason

    def test_apply_days(self) -> None:
        """Calendar days ignore holidays."""
        expr = parse_date("phase.end + 10 days")
        assert isinstance(expr, RelativeDate)
        assert expr.apply(date(2011, 9, 30), CN) == date(2011, 10, 10)

    def test_apply_working_days(self) -> None:
        """Working days skip 国庆 2011 and count the 调休 weekend."""
        expr = parse_date("phase.end + 3 working days")
        assert isinstance(expr, RelativeDate)
        assert expr.apply(date(2011, 9, 30), CN) == date(2011, 10, 10)
        back = parse_date("steps.report.due - 1 working day")
        assert isinstance(back, RelativeDate)
        assert back.apply(date(2011, 10, 8), CN) == date(2011, 9, 30)

    def test_apply_keeps_time_of_day(self) -> None:
        """A datetime anchor keeps its time of day."""
        expr = parse_date("phase.end + 1 working day")
        assert isinstance(expr, RelativeDate)
        assert expr.apply(datetime(2011, 9, 30, 23, 59), CN) == datetime(2011, 10, 8, 23, 59)

    def test_bad_anchor_in_constructor(self) -> None:
        """RelativeDate validates its anchor."""
        with pytest.raises(ValueError, match="unknown anchor"):
            RelativeDate(text="x", anchor="phase.middle")


# ---------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------


class TestProperties:
    """Hypothesis properties of phrases and windows."""

    @settings(max_examples=300)
    @given(case=window_phrases())
    def test_generated_windows(self, case: tuple[str, int, date, date]) -> None:
        """Every generated valid window parses to the days it was built from."""
        text, year, first, last = case
        got_first, got_last = window_days(text, year)
        assert got_first <= got_last
        assert (got_first, got_last) == (first, last)

    @settings(max_examples=200)
    @given(
        year=st.integers(min_value=1900, max_value=2100),
        month=st.integers(min_value=1, max_value=12),
        word=st.sampled_from(sorted(w for w in FUZZY_WORDS if w)),
    )
    def test_fuzzy_spans_stay_in_their_month(self, year: int, month: int, word: str) -> None:
        """A fuzzy part of a month never leaves the month, and 下旬 reaches its end."""
        expr = parse_date(f"{month}月{word}")
        assert isinstance(expr, AbsoluteDate)
        span = expr.span(year)
        assert (span.first.year, span.first.month) == (year, month)
        assert (span.last.year, span.last.month) == (year, month)
        if FUZZY_WORDS[word][1] is None:
            assert span.last.day == calendar.monthrange(year, month)[1]

    @settings(max_examples=200)
    @given(d=st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
    def test_iso_round_trip(self, d: date) -> None:
        """An ISO date reads as itself, whatever the year parameter."""
        assert date_span(d.isoformat(), 2011) == (d, d)
        assert date_span(f"{d.year}年{d.month}月{d.day}日前", 2011) == (d, d)

    @settings(max_examples=100)
    @given(text=st.text(max_size=12))
    def test_garbage_never_crashes(self, text: str) -> None:
        """Any text either parses or raises DateExpressionError."""
        try:
            exprs: tuple[DateExpr, DateExpr] = parse_window(text)
        except DateExpressionError:
            return
        for expr in exprs:
            if isinstance(expr, AbsoluteDate):
                with contextlib.suppress(DateExpressionError):
                    assert isinstance(expr.span(2011), DaySpan)
