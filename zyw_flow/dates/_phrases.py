"""Reading the date phrases of campaign documents.

Two kinds of expression:

* :class:`AbsoluteDate` — a calendar phrase (``2011-09-10``, ``9月10日前``, ``9月下旬``,
  ``12月``, ``年末``, ``次年1月中旬前`` …), whose year may be implicit and is then taken from
  the template's ``year`` parameter when :meth:`AbsoluteDate.span` is called.
* :class:`RelativeDate` — an anchor plus an offset (``phase.end + 10 working days``).

:func:`parse_date` reads one expression, :func:`parse_window` a window (one span, or a
start and an end joined by ``—``, ``-``, ``~``, ``至``, ``到`` …). Simplified and
traditional characters, full-width digits and Chinese numerals (``二〇一二年六月十八日``)
are accepted. Every failure is a :class:`~zyw_flow.DateExpressionError` with a reason a
template author understands.
"""

from __future__ import annotations

import calendar as _stdcal
import re
import unicodedata
from datetime import date
from typing import Literal, TypeAlias, TypeVar

import attrs

from zyw_flow._errors import DateExpressionError
from zyw_flow.dates._calendar import WorkCalendar

__all__ = [
    "ANCHOR_PATTERN",
    "AbsoluteDate",
    "DateExpr",
    "DaySpan",
    "Fuzzy",
    "RelativeDate",
    "WeekdayMismatchError",
    "parse_date",
    "parse_window",
]

Fuzzy: TypeAlias = Literal["early", "mid", "late"]
"""A fuzzy part of a month: 上旬 (初), 中旬, 下旬 (底, 末)."""

ANCHOR_PATTERN = (
    r"(?:\d{4}-\d{2}-\d{2}|phase\.(?:start|end)|campaign\.(?:start|end)"
    r"|phases\.[A-Za-z0-9_-]+\.(?:start|end)|steps\.[A-Za-z0-9_-]+\.due"
    r"|quarters\.Q[1-4]\.(?:start|end))"
)
"""Regular expression of the anchors a :class:`RelativeDate` may name."""

_ANCHOR_RE = re.compile(ANCHOR_PATTERN + r"\Z")
_ANCHORS_HELP = (
    "an ISO date (2015-02-28), phase.start, phase.end, phases.<id>.start, phases.<id>.end, "
    "steps.<id>.due, "
    "quarters.Q1.end (… Q4, .start or .end of the campaign year), campaign.start or "
    "campaign.end"
)

_D = TypeVar("_D", bound=date)

_WEEKDAY_TITLES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


class WeekdayMismatchError(DateExpressionError):
    """A phrase names a weekday that its date does not fall on: 「10月5日(星期四)」 in 2011.

    Attributes:
        day: the date.
        written: the weekday written (0 = Monday … 6 = Sunday).
    """

    def __init__(self, phrase: str, day: date, written: int) -> None:
        self.day = day
        self.written = written
        super().__init__(
            phrase,
            f"{day.isoformat()} is a {_WEEKDAY_TITLES[day.weekday()]}, "
            f"not a {_WEEKDAY_TITLES[written]} as written",
        )


# ---------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------


@attrs.frozen
class DaySpan:
    """An inclusive run of calendar days, ``first <= last``."""

    first: date
    last: date

    def __attrs_post_init__(self) -> None:
        if self.first > self.last:
            raise ValueError(f"DaySpan: {self.first} is after {self.last}")


def _check_month(_inst: object, _attr: object, value: int | None) -> None:
    if value is not None and not 1 <= value <= 12:
        raise ValueError(f"month {value} does not exist")


def _check_day(_inst: object, _attr: object, value: int | None) -> None:
    if value is not None and not 1 <= value <= 31:
        raise ValueError(f"day {value} does not exist")


@attrs.frozen
class AbsoluteDate:
    """A calendar phrase whose year may be implicit.

    Attributes:
        text: the phrase as written.
        year: the explicit year, or ``None`` when it comes from the ``year`` parameter.
        year_offset: added to the ``year`` parameter when ``year`` is ``None``
            (次年 / 翌年 / 明年 = 1, 去年 = -1).
        month: 1–12, or ``None`` for whole-year terms (``2012年``, ``年初``, ``年末``).
        first_day: the first day of the span in the month; ``None`` means day 1.
        last_day: the last day of the span in the month; ``None`` means the month's end.
        fuzzy: the fuzzy word used, if any: ``"early"`` (上旬, 初), ``"mid"`` (中旬),
            ``"late"`` (下旬, 底, 末). With ``month=None`` it makes 年初 (January 上旬) and
            年末 / 年底 (December 下旬).
        before: the phrase ended in 前 / 之前 / 以前 / 止 / 为止 / 截止. It is inclusive: the
            span is the day (or span) itself; as a deadline, the end of its last day.
        weekday: the weekday written in brackets after the day (「10月5日(星期三)前」),
            0 = Monday … 6 = Sunday, checked against the date by :meth:`span`.
    """

    text: str
    year: int | None = None
    year_offset: int = 0
    month: int | None = attrs.field(default=None, validator=_check_month)
    first_day: int | None = attrs.field(default=None, validator=_check_day)
    last_day: int | None = attrs.field(default=None, validator=_check_day)
    fuzzy: Fuzzy | None = None
    before: bool = False
    weekday: int | None = None

    def __attrs_post_init__(self) -> None:
        if self.weekday is not None:
            if not 0 <= self.weekday <= 6:
                raise ValueError(f"weekday {self.weekday} does not exist")
            if self.month is None or self.first_day is None or self.first_day != self.last_day:
                raise ValueError("a weekday needs a single day, e.g. 10月5日(星期三)")
        if self.month is None:
            if self.first_day is not None or self.last_day is not None:
                raise ValueError("days need a month")
            if self.fuzzy == "mid":
                raise ValueError("a whole-year term cannot be 中旬")
        elif (
            self.first_day is not None
            and self.last_day is not None
            and self.first_day > self.last_day
        ):
            raise ValueError(f"day {self.first_day} is after day {self.last_day}")

    def span(self, year: int) -> DaySpan:
        """The days this phrase covers.

        Args:
            year: the campaign's ``year`` parameter, used when the phrase has no explicit
                year (plus ``year_offset``).

        Returns:
            The span: a single day for ``9月10日``, 09-21 … 09-30 for ``9月下旬``, a whole
            month for ``12月``, a whole year for ``2012年``.

        Raises:
            DateExpressionError: the day does not exist in that year (``2月30日``,
                ``2月29日`` in a common year), or the year is out of range.
            WeekdayMismatchError: the weekday written in brackets is not the date's.
        """
        y = self.year if self.year is not None else year + self.year_offset
        if not 1 <= y <= 9999:
            raise DateExpressionError(self.text, f"year {y} is out of range")
        if self.month is None:
            if self.fuzzy == "early":
                return DaySpan(date(y, 1, 1), date(y, 1, 10))
            if self.fuzzy == "late":
                return DaySpan(date(y, 12, 21), date(y, 12, 31))
            return DaySpan(date(y, 1, 1), date(y, 12, 31))
        month_len = _stdcal.monthrange(y, self.month)[1]
        first = self.first_day or 1
        last = self.last_day or month_len
        for day in (first, last):
            if day > month_len:
                raise DateExpressionError(
                    self.text,
                    f"{self.month}月{day}日 does not exist in {y} "
                    f"({y}-{self.month:02d} has {month_len} days)",
                )
        span = DaySpan(date(y, self.month, first), date(y, self.month, last))
        if self.weekday is not None and span.first.weekday() != self.weekday:
            raise WeekdayMismatchError(self.text, span.first, self.weekday)
        return span


def _check_anchor(_inst: object, _attr: object, value: str) -> None:
    if not _ANCHOR_RE.match(value):
        raise ValueError(f"unknown anchor {value!r}; use {_ANCHORS_HELP}")


@attrs.frozen
class RelativeDate:
    """An anchor plus a signed offset in days or working days.

    Attributes:
        text: the expression as written.
        anchor: ``phase.start``, ``phase.end``, ``campaign.start``, ``campaign.end``,
            ``phases.<id>.start``, ``phases.<id>.end`` or ``steps.<id>.due``.
        amount: the signed offset.
        unit: ``"days"`` or ``"working_days"``.
    """

    text: str
    anchor: str = attrs.field(validator=_check_anchor)
    amount: int = 0
    unit: Literal["days", "working_days"] = attrs.field(
        default="days", validator=attrs.validators.in_(("days", "working_days"))
    )

    def apply(self, anchor: _D, calendar: WorkCalendar) -> _D:
        """The day reached from the anchor's resolved day.

        ``N working days`` counts working days strictly after the anchor (see
        :meth:`WorkCalendar.add_workdays`); a ``datetime`` anchor keeps its time of day.

        Raises:
            CalendarHorizonError: a working-day offset walks beyond the calendar's data.
            CalendarError: the day reached lies outside the years 1–9999.
        """
        return calendar.shift(anchor, self.amount, self.unit)


DateExpr: TypeAlias = AbsoluteDate | RelativeDate
"""Any date expression."""


# ---------------------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------------------

_TRADITIONAL = str.maketrans(
    {
        "號": "号",
        "為": "为",
        "個": "个",
        "週": "周",
        "後": "后",
        "兩": "两",
        "來": "来",
        "當": "当",
        "開": "开",
        "從": "从",
        "於": "于",
        "禮": "礼",
        "廿": "二十",
        "卅": "三十",
        "終": "终",
        "–": "—",
        "―": "—",
        "‒": "—",
        "─": "—",
        "━": "—",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "〜": "~",
        "∼": "~",
    }
)
_CN_DIGITS = {
    "〇": 0, "○": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_NUMBER = re.compile("[〇○零一二两三四五六七八九十]+")
_SPACE = re.compile(r"\s+")


def _cn_number(token: str) -> str:
    """Chinese numerals to Arabic digits: 二〇一二 → 2012, 十二 → 12, 三十一 → 31."""
    if "十" not in token:
        return "".join(str(_CN_DIGITS[c]) for c in token)
    tens, _, ones = token.partition("十")
    if len(tens) > 1 or len(ones) > 1 or "十" in ones:
        return token  # not a number we know; reported as an unknown word later
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return str(value)


def _prepare(text: str) -> str:
    """Normalise a phrase: NFKC (full-width → ASCII), traditional → simplified for the
    words we read, dashes and tildes unified, Chinese numerals → digits, no whitespace."""
    s = unicodedata.normalize("NFKC", text).translate(_TRADITIONAL)
    s = _CN_NUMBER.sub(lambda m: _cn_number(m.group()), s)
    s = s.replace("元月", "1月")
    return _SPACE.sub("", s)


_ISO_FULL = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?![\d年月日号])")
_ISO_YEAR_MONTH = re.compile(r"(?<!\d)(\d{4})[-/.](\d{1,2})(?![\d年月日号])")
_ISO_MONTH_DAY = re.compile(r"(?<![\d年月日号])(\d{1,2})[-/](\d{1,2})(?![\d年月日号])")


def _iso_to_chinese(s: str) -> str:
    """Rewrite ISO dates as Chinese ones, so that any ``-`` left is a window separator."""
    s = _ISO_FULL.sub(lambda m: f"{int(m[1])}年{int(m[2])}月{int(m[3])}日", s)
    s = _ISO_YEAR_MONTH.sub(lambda m: f"{int(m[1])}年{int(m[2])}月", s)
    return _ISO_MONTH_DAY.sub(lambda m: f"{int(m[1])}月{int(m[2])}日", s)


_SEP_STRONG = re.compile(r"—+|~+|(?<!截)至|(?<!截止)(?<!截至)到")
_SEP_ANY = re.compile(r"—+|~+|-+|(?<!截)至|(?<!截止)(?<!截至)到")


# ---------------------------------------------------------------------------------------
# Relative expressions
# ---------------------------------------------------------------------------------------

_ANCHOR_PREFIX = re.compile(ANCHOR_PATTERN + r"(?![\w.])")
_OFFSET = re.compile(r"([+-])(\d+)(.*)\Z")
_UNITS: dict[str, Literal["days", "working_days"]] = {
    "d": "days",
    "day": "days",
    "days": "days",
    "天": "days",
    "日": "days",
    "自然日": "days",
    "个自然日": "days",
    "workday": "working_days",
    "workdays": "working_days",
    "workingday": "working_days",
    "workingdays": "working_days",
    "wd": "working_days",
    "工作日": "working_days",
    "个工作日": "working_days",
}


def _parse_relative(text: str, label: str, s: str) -> RelativeDate:
    """Read ``ANCHOR [+|- N UNIT]`` from the prepared (space-free) string ``s``.

    ``text`` names the phrase in errors; ``label`` becomes the result's ``text``.
    """
    m = _ANCHOR_PREFIX.match(s)
    if m is None:
        word = re.match(r"[A-Za-z0-9_.]*", s)
        found = word.group() if word and word.group() else s
        raise DateExpressionError(text, f"unknown anchor {found!r}; use {_ANCHORS_HELP}")
    anchor, rest = m.group(), s[m.end() :]
    if not rest:
        return RelativeDate(text=label, anchor=anchor)
    off = _OFFSET.match(rest)
    if off is None:
        raise DateExpressionError(
            text, f"expected '+ N days' or '- N working days' after {anchor}, found {rest!r}"
        )
    sign, number, unit_text = off.groups()
    if not unit_text:
        raise DateExpressionError(
            text, f"missing unit after {number}: write 'days' or 'working days'"
        )
    unit = _UNITS.get(unit_text.lower())
    if unit is None:
        raise DateExpressionError(
            text, f"unknown unit {unit_text!r}; use days or working days (天 or 个工作日)"
        )
    amount = int(number) if sign == "+" else -int(number)
    return RelativeDate(text=label, anchor=anchor, amount=amount, unit=unit)


# ---------------------------------------------------------------------------------------
# Chinese and ISO calendar phrases
# ---------------------------------------------------------------------------------------

_PREFIXES = ("截止到", "截至到", "截至", "截止", "每年", "从", "自", "于", "在")
_SUFFIXES_BEFORE = ("之前", "以前", "为止", "截止", "截至", "前", "止")
_SUFFIXES_START = ("开始", "起")
_YEAR_WORDS: dict[str, int] = {
    "次年": 1,
    "翌年": 1,
    "明年": 1,
    "来年": 1,
    "隔年": 1,
    "第2年": 1,
    "下1年": 1,
    "下年": 1,
    "今年": 0,
    "当年": 0,
    "本年": 0,
    "去年": -1,
    "上1年": -1,
    "前1年": -1,
    "上年": -1,
}
_YEAR_TERMS: dict[str, Fuzzy | None] = {
    "": None,
    "度": None,
    "初": "early",
    "首": "early",
    "末": "late",
    "底": "late",
    "终": "late",
    "尾": "late",
}
_MONTH_PARTS: dict[str, tuple[Fuzzy | None, int | None, int | None]] = {
    "": (None, None, None),
    "份": (None, None, None),
    "初": ("early", 1, 10),
    "上旬": ("early", 1, 10),
    "中旬": ("mid", 11, 20),
    "中": ("mid", 11, 20),
    "下旬": ("late", 21, None),
    "底": ("late", 21, None),
    "末": ("late", 21, None),
    "上半月": (None, 1, 15),
    "下半月": (None, 16, None),
}
_LONG_MONTH_PARTS = tuple(k for k in _MONTH_PARTS if len(k) >= 2)
_YEAR_DIGITS = re.compile(r"(\d+)年")
_MONTH_DIGITS = re.compile(r"(\d+)月")
_DAY_DIGITS = re.compile(r"(\d+)[日号]")


@attrs.frozen
class _Side:
    """One side of a window before the end inherits from the start."""

    has_year: bool
    year: int | None
    year_offset: int
    month: int | None
    first_day: int | None
    last_day: int | None
    fuzzy: Fuzzy | None
    before: bool
    weekday: int | None = None

    @property
    def day_only(self) -> bool:
        """A day without a month (only valid as a window end: ``6月19日—25日``)."""
        return self.month is None and self.first_day is not None

    def build(self, text: str) -> AbsoluteDate:
        return AbsoluteDate(
            text=text,
            year=self.year,
            year_offset=self.year_offset,
            month=self.month,
            first_day=self.first_day,
            last_day=self.last_day,
            fuzzy=self.fuzzy,
            before=self.before,
            weekday=self.weekday,
        )


_WEEKDAY_BRACKET = re.compile(r"\((?:星期|周|礼拜)([1-7日天])\)")


def _take_weekday(text: str, s: str) -> tuple[str, int | None]:
    """Remove a bracketed weekday (「(星期三)」, prepared as ``(星期3)``) written after a day."""
    found = list(_WEEKDAY_BRACKET.finditer(s))
    if not found:
        return s, None
    if len(found) > 1:
        raise DateExpressionError(text, "more than one weekday in brackets")
    m = found[0]
    if m.start() == 0 or s[m.start() - 1] not in "日号":
        raise DateExpressionError(
            text, "a weekday in brackets must follow a day, as in 10月5日(星期三)"
        )
    digit = m.group(1)
    weekday = 6 if digit in "日天7" else int(digit) - 1
    return s[: m.start()] + s[m.end() :], weekday


def _strip_affixes(core: str) -> tuple[str, bool]:
    for prefix in _PREFIXES:
        if core.startswith(prefix) and len(core) > len(prefix):
            core = core[len(prefix) :]
            break
    for suffix in _SUFFIXES_BEFORE:
        if core.endswith(suffix) and len(core) > len(suffix):
            return core[: -len(suffix)], True
    for suffix in _SUFFIXES_START:
        if core.endswith(suffix) and len(core) > len(suffix):
            return core[: -len(suffix)], False
    return core, False


def _unknown(text: str, word: str) -> DateExpressionError:
    return DateExpressionError(text, f"unknown word {word!r}")


def _month_part(text: str, rest: str) -> tuple[Fuzzy | None, int | None, int | None]:
    """Read what follows ``N月``: nothing, 份, a fuzzy word or ``N日``."""
    part = _MONTH_PARTS.get(rest)
    if part is not None:
        return part
    m = _DAY_DIGITS.match(rest)
    if m is not None:
        if m.end() != len(rest):
            raise _unknown(text, rest[m.end() :])
        day = int(m.group(1))
        if not 1 <= day <= 31:
            raise DateExpressionError(text, f"day {day} does not exist")
        return None, day, day
    for word in _LONG_MONTH_PARTS:
        if rest.startswith(word):
            raise _unknown(text, rest[len(word) :])
    raise _unknown(text, rest)


def _parse_side(text: str, s: str, *, day_only: bool = False) -> _Side:
    """Read one Chinese calendar phrase (ISO already rewritten) from the prepared ``s``.

    ``text`` names the phrase in errors. With ``day_only`` a day without a month is
    accepted (a window end that takes the start's month).
    """
    s, weekday = _take_weekday(text, s)
    core, before = _strip_affixes(s)
    rest = core
    year: int | None = None
    offset = 0
    has_year = False
    year_marker = False
    m = _YEAR_DIGITS.match(rest)
    if m is not None:
        digits = m.group(1)
        if len(digits) != 4:
            raise DateExpressionError(text, f"write the year with four digits (found {digits}年)")
        year, has_year, year_marker = int(digits), True, True
        rest = rest[m.end() :]
    else:
        for word, delta in _YEAR_WORDS.items():
            if rest.startswith(word):
                offset, has_year, year_marker = delta, True, True
                rest = rest[len(word) :]
                break
        else:
            if rest.startswith("年"):
                year_marker = True  # a blanked year, as in 「年7月下旬」
                rest = rest[1:]

    def side(month: int | None, first: int | None, last: int | None, fuzzy: Fuzzy | None) -> _Side:
        return _Side(
            has_year=has_year,
            year=year,
            year_offset=offset,
            month=month,
            first_day=first,
            last_day=last,
            fuzzy=fuzzy,
            before=before,
            weekday=weekday,
        )

    if year_marker and rest in _YEAR_TERMS:
        if rest in ("", "度") and not has_year:
            raise DateExpressionError(text, "'年' needs a year, a month or 初/末/底")
        return side(None, None, None, _YEAR_TERMS[rest])
    m = _MONTH_DIGITS.match(rest)
    if m is not None:
        month = int(m.group(1))
        if not 1 <= month <= 12:
            raise DateExpressionError(text, f"month {month} does not exist")
        fuzzy, first, last = _month_part(text, rest[m.end() :])
        return side(month, first, last, fuzzy)
    if not rest:
        raise DateExpressionError(text, "no date given")
    m = _DAY_DIGITS.match(rest)
    if m is not None and m.end() == len(rest):
        day = int(m.group(1))
        if not 1 <= day <= 31:
            raise DateExpressionError(text, f"day {day} does not exist")
        if day_only and not year_marker:
            return side(None, day, day, None)
        raise DateExpressionError(text, f"day {day} needs a month, e.g. 9月{day}日")
    if rest.isdigit():
        hint = (
            f"{rest}年 for a year"
            if len(rest) == 4
            else f"{rest}月 for a month or {rest}日 for a day"
        )
        raise DateExpressionError(text, f"a bare number {rest!r}: write {hint}")
    raise _unknown(text, rest)


def _looks_relative(s: str) -> bool:
    return bool(s) and s[0].isascii() and s[0].isalpha()


def _has_letters(s: str) -> bool:
    return re.search("[A-Za-z]", s) is not None


def _prepare_checked(text: object) -> str:
    if not isinstance(text, str):
        raise DateExpressionError(
            str(text), f"expected text, got {type(text).__name__} (quote the date in YAML)"
        )
    s = _prepare(text)
    if not s:
        raise DateExpressionError(text, "empty date")
    return s


_ISO_ANCHOR = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?=[+-]\d)")


def _one(phrase: str, label: str, s: str) -> DateExpr:
    """Read one expression without separators; ``label`` becomes its ``text``."""
    if _looks_relative(s):
        return _parse_relative(phrase, label, s)
    iso = _ISO_ANCHOR.match(s)
    if iso is not None:
        try:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        except ValueError:
            raise DateExpressionError(phrase, f"{iso.group()} is not a date") from None
        return _parse_relative(phrase, label, day.isoformat() + s[iso.end() :])
    return _parse_side(phrase, _iso_to_chinese(s)).build(label)


# ---------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------

_WINDOW_NOT_DATE = "this is a window (a start and an end); one date is expected here"


_TIMESTAMP = re.compile(
    r"\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d*)?)?"
    r"\s*(?:[Zz]|[+-]\d{2}(?::?\d{2})?)?"
)


def _no_time_of_day(text: str) -> None:
    """Refuse a date with a time of day (an unquoted YAML timestamp) for what it is."""
    if _TIMESTAMP.fullmatch(text.strip()):
        day = text.strip()[:10].rstrip("Tt ")
        raise DateExpressionError(
            text,
            "a date with a time of day: a deadline is the end of its day, a window starts at "
            f"the beginning of its first; write the date alone ({day})",
        )


def _iso_with_offset(s: str) -> bool:
    """``2015-02-28-2天`` (prepared): an ISO anchor and an offset in a known unit."""
    iso = _ISO_ANCHOR.match(s)
    off = _OFFSET.match(s[iso.end() :]) if iso is not None else None
    return off is not None and off.group(3).lower() in _UNITS


def parse_date(text: str) -> DateExpr:
    """Read one date expression.

    Args:
        text: an ISO date (``2011-09-10``, ``09-10``, ``2011-09``), a Chinese phrase
            (``9月10日前``, ``9月下旬``, ``12月``, ``年末``, ``次年1月中旬前`` …) or a relative
            expression (``phase.end + 10 working days``).

    Returns:
        An :class:`AbsoluteDate` or a :class:`RelativeDate`.

    Raises:
        DateExpressionError: the text is not a date expression (the reason says why).
    """
    s = _prepare_checked(text)
    _no_time_of_day(text)
    iso = _ISO_ANCHOR.match(s)
    if iso is not None and _OFFSET.match(s[iso.end() :]):
        return _one(text, text.strip(), s)  # `2015-02-28 - 2天`: an anchor, not a window
    if _has_letters(s):
        if _SEP_STRONG.search(s):
            raise DateExpressionError(text, _WINDOW_NOT_DATE)
    elif _SEP_ANY.search(_iso_to_chinese(s)):
        raise DateExpressionError(text, _WINDOW_NOT_DATE)
    return _one(text, text.strip(), s)


_TRAILING_NUMBER = re.compile(r"\d+\Z")
_LEADING_UNIT = re.compile(r"(?:\d{4}年)?\d+([月日号])")


def parse_window(text: str) -> tuple[DateExpr, DateExpr]:
    """Read a date window: one span, or a start and an end.

    The window starts at ``span(year).first`` of the first expression and ends at
    ``span(year).last`` of the second. An end without a year takes the start's year (and
    year offset); an end without a month takes the start's month (``6月19日—25日``); a bare
    number before the separator takes the unit after it (``10-11月``, ``6月19-25日``).

    Args:
        text: e.g. ``9月初—9月中旬``, ``10月-11月``, ``2012年12月10日—2013年1月10日``,
            ``年8月至次年3月``, ``2011-09-01 - 2011-09-20`` or ``9月下旬``.

    Returns:
        ``(start, end)``; the same expression twice for a single span.

    Raises:
        DateExpressionError: either side cannot be read, there is more than one separator,
            or the window ends before it starts.
    """
    s = _prepare_checked(text)
    _no_time_of_day(text)
    if _iso_with_offset(s):  # `2011-09-20 - 3天`: an anchor and an offset, never a window
        expr = _one(text, text.strip(), s)
        return expr, expr
    letters = _has_letters(s)
    if not letters:
        s = _iso_to_chinese(s)
    seps = list((_SEP_STRONG if letters else _SEP_ANY).finditer(s))
    if not seps:
        expr = _one(text, text.strip(), s)
        return expr, expr
    if len(seps) > 1:
        found = ", ".join(repr(m.group()) for m in seps)
        raise DateExpressionError(
            text, f"a window has one start and one end, but {len(seps)} separators: {found}"
        )
    left, right = s[: seps[0].start()], s[seps[0].end() :]
    if not left:
        raise DateExpressionError(text, "the window has no start before the separator")
    if not right:
        raise DateExpressionError(text, "the window has no end after the separator")
    if letters:
        return _one(text, left, left), _one(text, right, right)
    unit = _LEADING_UNIT.match(right)
    if unit is not None and _TRAILING_NUMBER.search(left):
        left += unit.group(1)
    first = _parse_side(text, left)
    bare, _ = _strip_affixes(right)
    if first.month is not None and bare and _MONTH_PARTS.get(bare, (None,))[0] is not None:
        right = f"{first.month}月{right}"  # `9月初至中旬`: the end takes the start's month
    last = _parse_side(text, right, day_only=True)
    if last.day_only:
        if first.month is None:
            raise DateExpressionError(text, f"the end {right!r} needs a month")
        last = attrs.evolve(last, month=first.month)
    if not last.has_year:
        last = attrs.evolve(
            last, year=first.year, year_offset=first.year_offset, has_year=first.has_year
        )
    start, end = first.build(left), last.build(right)
    _check_order(text, start, end)
    return start, end


def _check_order(text: str, start: AbsoluteDate, end: AbsoluteDate) -> None:
    """Refuse a window that ends before it starts, when that does not depend on the year."""
    if (start.year is None) != (end.year is None):
        return
    try:
        a = start.span(2000).first  # a leap year, so 2月29日 passes here
        b = end.span(2000).last
    except DateExpressionError:
        return  # an impossible day is reported by span() with the campaign year
    if a > b:
        raise DateExpressionError(
            text, f"the window ends ({end.text}) before it starts ({start.text})"
        )
