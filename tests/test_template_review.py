"""Template and calendar problems found in review: each is a located TemplateError problem,
every problem is collected, and validation catches what Campaign.create would refuse."""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from zyw_flow import Campaign, TemplateError, load_template_text
from zyw_flow._errors import DateExpressionError, Problem
from zyw_flow._yaml import Document, join, read_yaml
from zyw_flow.dates import AbsoluteDate, RelativeDate, WorkCalendar, parse_date, parse_window
from zyw_flow.resolve import resolve
from zyw_flow.template._build import _Builder
from zyw_flow.validation import validate_file

BASE = """\
id: probe
title: 探针
params: {year: {type: int, default: 2011}}
%s
phases:
  - use: mobilization
    window: 9月
    %s
    steps:
      a: {title: A, %s}
      z: {title: Z, submit: [king], due: 9月31日}
"""


def problems_of(text: str, **kwargs: Any) -> list[Problem]:
    """Every problem of ``text`` (load, then resolve); fails if there are none."""
    with pytest.raises(TemplateError) as info:
        resolve(load_template_text(text, **kwargs))
    return list(info.value.problems)


def lines(problems: list[Problem]) -> list[str]:
    return [str(p) for p in problems]


def assert_others_reported(problems: list[Problem]) -> None:
    """The sentinel mistakes of BASE (an unknown role and a bad date) are both reported."""
    text = "\n".join(lines(problems))
    assert "phases[0].steps.z.submit[0]: unknown role 'king'" in text
    assert "phases[0].steps.z.due: bad date '9月31日'" in text
    assert all(p.line is not None for p in problems), text


# -- 3: a wrongly-typed field does not hide the others ---------------------------------------

WRONG_SHAPES = [
    ("escalation: 5", "", "", "escalation"),
    ("findings: {sources: 5}", "", "", "findings.sources"),
    ("owed_by: {groups: 5}", "", "", "owed_by.groups"),
    ("extensions: {approve: null}", "", "", "extensions.approve"),
    ("extensions: {max_times: many}", "", "", "extensions.max_times"),
    ("calendar: {extra_holidays: 5}", "", "", "calendar.extra_holidays"),
    ("calendar: {years: [2027]}", "", "", "calendar.years"),
    ("calendar: {years: {2027: {holidays: 5}}}", "", "", "calendar.years[2027].holidays"),
    ("calendar: {fallback: guess}", "", "", "calendar.fallback"),
    ("complaints: {channels: 5}", "", "", "complaints.channels"),
    ("accountability: {chain: 5}", "", "", "accountability.chain"),
    ("accountability: {chain: [{id: c, cases: x, names: [deputy]}]}", "", "",
     "accountability.chain[0].cases"),
    ("", "", "submit: null", "phases[0].steps.a.submit"),
    ("", "", "review: 5", "phases[0].steps.a.review"),
    ("", "", "after: [{x: 1}]", "phases[0].steps.a.after[0]"),
    ("", "", "repeat: 5", "phases[0].steps.a.repeat"),
    ("", "", "owed_by: {depth: x}", "phases[0].steps.a.owed_by.depth"),
    ("", "", "extensions: {approve: 5}", "phases[0].steps.a.extensions.approve"),
    ("", "", "cooperation: {groups: 5}", "phases[0].steps.a.cooperation.groups"),
    ("", "drop: [[x]]", "", "phases[0].drop[0]"),
]  # fmt: skip


@pytest.mark.parametrize(("top", "phase", "step", "path"), WRONG_SHAPES)
def test_a_wrongly_typed_field_does_not_hide_other_problems(
    top: str, phase: str, step: str, path: str
) -> None:
    problems = problems_of(BASE % (top, phase, step))
    assert [p for p in problems if p.path == path], lines(problems)
    assert_others_reported(problems)


def _paths(value: Any, path: str = "", parts: tuple[Any, ...] = ()) -> Any:
    yield path, parts
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, join(path, k), (*parts, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, join(path, i), (*parts, i))


RICH = """\
id: rich
title: 丰富
params:
  year: {type: int, default: 2011}
calendar:
  name: cn
  on_non_workday: keep
  fallback: error
  extra_holidays: [2011-09-13]
  extra_workdays: [2011-09-17]
  years:
    2027: {holidays: [2027-01-01], workdays: [2027-02-20]}
advance: calendar
roles: {member: 单位, office: 办公室, inspector: 督查, accountability: 问责, leader: 领导}
permissions: {accept: [office], trigger: [office]}
triggers: {basis_changed: 变化}
groups: {lead: 牵头, county: 县区}
owed_by: {kind: unit, level: any, groups: [lead]}
warnings:
  - {id: blue, title: 蓝灯, before: 3 working days}
extensions:
  allowed: true
  approve: [office]
  max_times: 1
  max_days: 10 working days
  until: campaign_end
escalation:
  - {id: reminder, title: 催办, after: 1 working day}
  - {id: red_card, title: 红牌, after: 5 working days, sanction: interview}
sanctions:
  - {id: interview, title: 约谈}
  - {id: circulated_criticism, title: 通报批评}
findings: {rectification_days: 10, sources: [inspection, complaint]}
complaints:
  reply_days: 5
  channels: [hotline]
  categories: [a]
  satisfaction: {satisfied: 满意, no: 不满意}
  satisfied: [satisfied]
accountability:
  investigation_days: 30
  statement_days: 5
  leaders: {principal: leader, deputy: office}
  situations:
    - {id: inaction, title: 不作为, joint: [principal]}
  chain:
    - {id: repeat, cases: 2, names: [deputy], situation: inaction}
phases:
  - use: mobilization
    window: 9月初—9月中旬
    drop: [themed_discussion]
    steps:
      work_plan: {due: 9月10日前}
  - id: work
    title: 工作
    window: 9月21日—10月31日
    steps:
      a:
        title: A
        kind: document
        submit: [member]
        review: [office]
        due: 10月10日
        opens: 9月22日
        closes: 10月30日
        on_non_workday: next_workday
        after: [work_plan]
        blocks_next: true
        early: false
        owed_by: {kind: [unit], depth: [1], groups: [county], level: leaves}
        warnings: [{id: y, title: 黄, before: 2 days}]
        extensions: {allowed: true, approve: [office], max_days: 5}
        review_tiers: 2
        cooperation: {groups: [lead], title: 配合, due: 10月8日}
      r:
        title: R
        repeat: {every: month, day: 5, from: 10月, until: 10月}
      t: {title: T, due: {after: basis_changed, within: 30 days}}
      sentinel: {title: S, submit: [king]}
"""


def test_the_builder_never_crashes_on_a_field_of_the_wrong_shape() -> None:
    """Every field of a template using every block, replaced by values of other shapes:
    the builder reports problems (never raises anything else), and the unknown role of
    another step is still among them."""
    doc = read_yaml(RICH, "rich.yaml")
    values: list[Any] = [5, None, "x", [5], {"zz": 5}, True]
    for path, parts in list(_paths(doc.data)):
        if not parts:
            continue
        for value in values:
            data = copy.deepcopy(doc.data)
            cur = data
            for part in parts[:-1]:
                cur = cur[part]
            cur[parts[-1]] = value
            mutated = Document(doc.file, data, doc.lines, doc.text, doc.numbers)
            with pytest.raises(TemplateError) as info:
                _Builder(mutated, None).build()  # no safety net: a crash is raw here
            if "sentinel" in path or path in ("phases", "phases[1]", "phases[1].steps"):
                continue
            if path.startswith("roles"):
                continue
            assert any("'king'" in p.message for p in info.value.problems), (path, value)


# -- 7: a text where a list is expected is one problem --------------------------------------


@pytest.mark.parametrize(
    ("top", "phase", "step", "path"),
    [
        ("calendar: {extra_holidays: 2011-09-13}", "", "", "calendar.extra_holidays"),
        ("", "", "submit: member", "phases[0].steps.a.submit"),
        ("", "drop: work_plan", "", "phases[0].drop"),
        ("", "", "after: work_plan", "phases[0].steps.a.after"),
    ],
)
def test_a_text_for_a_list_is_one_problem_at_the_field(
    top: str, phase: str, step: str, path: str
) -> None:
    problems = problems_of(BASE % (top, phase, step))
    mine = [p for p in problems if p.path.startswith(path)]
    assert len(mine) == 1, lines(problems)
    assert "expected array" in mine[0].message and "(a list: write [" in mine[0].message
    assert_others_reported(problems)


# -- 1: relative window anchors and offsets out of range -------------------------------------

TWO_PHASES = """\
id: probe
title: 探针
params: {year: {type: int, default: %s}}
%s
phases:
  - id: p1
    title: 一
    window: %s
    steps:
      s1: {title: S1}
  - id: p2
    title: 二
    window: %s
    steps:
      s2: {title: S2, due: %s}
      z: {title: Z, submit: [king]}
"""


@pytest.mark.parametrize(
    ("first", "second", "path", "words"),
    [
        ("9月1日—phase.end", "10月", "phases[0].window", "its own phase"),
        ("phase.start", "10月", "phases[0].window", "its own phase"),
        ("campaign.start", "10月", "phases[0].window", "the first phase's window"),
        ("9月", "campaign.end", "phases[1].window", "ends with the last window"),
        ("9月", "phases.p2.start—11月", "phases[1].window", "this or a later phase"),
        ("9月", "steps.s2.due", "phases[1].window", "step 's2' is in this or a later phase"),
        ("2011-09-01—phases.p2.end", "10月", "phases[0].window", "this or a later phase"),
    ],
)
def test_a_window_refers_only_to_what_is_known_before_it(
    first: str, second: str, path: str, words: str
) -> None:
    problems = problems_of(TWO_PHASES % (2011, "", first, second, "10月31日"))
    mine = [p for p in problems if p.path == path]
    assert len(mine) == 1 and words in mine[0].message, lines(problems)
    assert any("'king'" in p.message for p in problems), lines(problems)
    assert all(p.line is not None for p in problems)


def test_campaign_start_in_a_later_window_is_the_first_phase_start() -> None:
    resolved = resolve(load_template_text(TWO_PHASES.replace(", submit: [king]", "") % (
        2011, "", "9月", "campaign.start + 30 days—11月", "10月31日")))  # fmt: skip
    assert resolved.phases[1].start.date().isoformat() == "2011-10-01"


def test_a_bad_window_does_not_hide_the_dates_of_other_phases() -> None:
    problems = problems_of(TWO_PHASES % (2011, "", "9月1日—phase.end", "10月", "10月32日"))
    assert {p.path for p in problems} >= {
        "phases[0].window",
        "phases[1].steps.s2.due",
        "phases[1].steps.z.submit[0]",
    }, lines(problems)


@pytest.mark.parametrize(
    ("year", "calendar", "due", "words"),
    [
        (2011, "", "phase.end + 99999999 days", "outside the years 1-9999"),
        (2011, "", "phase.start - 99999999 days", "outside the years 1-9999"),
        (2011, "calendar: {name: weekends}", "phase.end + 99999999 working days", "outside"),
        (2011, "calendar: {name: weekends}", "phase.end - 99999999 working days", "outside"),
        (9999, "calendar: {fallback: weekends}", "phase.end + 5 working days", "outside"),
        (9999, "calendar: {fallback: weekends}", "phase.end + 1 day", "outside"),
        (9999, "calendar: {fallback: weekends}", "次年1月10日", "year 10000 is out of range"),
    ],
)
def test_a_deadline_out_of_range_is_a_located_problem(
    year: int, calendar: str, due: str, words: str
) -> None:
    problems = problems_of(TWO_PHASES % (year, calendar, "9月", "12月", due), file="range.yaml")
    mine = [p for p in problems if p.path == "phases[1].steps.s2.due"]
    assert len(mine) == 1 and words in mine[0].message, lines(problems)
    assert mine[0].line == 15
    assert any("'king'" in p.message for p in problems)


def test_the_last_quarter_of_year_9999_ends_on_its_last_day() -> None:
    text = TWO_PHASES.replace(", submit: [king]", "") % (
        9999,
        "calendar: {fallback: weekends}",
        "9月",
        "10月—12月",
        "quarters.Q4.end",
    )
    resolved = resolve(load_template_text(text))  # fmt: skip
    assert resolved.step("s2").due is not None
    assert resolved.step("s2").due.date().isoformat() == "9999-12-31"


def test_validate_reports_the_reviewed_window_and_offset_files(tmp_path: Path) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(TWO_PHASES % (2011, "", "9月1日—phase.end", "10月",
                                  "phase.end + 99999999 days"), encoding="utf-8")  # fmt: skip
    report = validate_file(path)
    assert not report.ok
    assert sorted(p.path for p in report.errors) == [
        "phases[0].window",
        "phases[1].steps.s2.due",
        "phases[1].steps.z.submit[0]",
    ]


# -- 2: the calendar block's dates are checked at load ---------------------------------------


@pytest.mark.parametrize(
    ("calendar", "path", "words"),
    [
        ("{years: {2027: {holidays: [notadate]}}}", "calendar.years[2027].holidays[0]",
         "'notadate' is not an ISO date"),
        ("{years: {2027: {workdays: ['20270220']}}}", "calendar.years[2027].workdays[0]",
         "is not an ISO date (YYYY-MM-DD)"),
        ("{years: {2027: {holidays: [2026-01-01]}}}", "calendar.years[2027].holidays[0]",
         "2026-01-01 is not in 2027"),
        ("{years: {2027: {holidays: [2027-01-01], workdays: [2027-01-01]}}}",
         "calendar.years[2027].workdays[0]", "both a holiday and a workday of 2027"),
        ("{years: {abc: {}}}", "calendar.years.abc", "'abc' is not a year"),
        ("{years: {0: {}}}", "calendar.years[0]", "0 is not a year"),
        ("{extra_holidays: [2011-09-13], extra_workdays: [2011-09-13]}",
         "calendar.extra_workdays[0]", "both an extra holiday and an extra workday"),
        ("{extra_holidays: [2011-13-01]}", "calendar.extra_holidays[0]", "not an ISO date"),
        ("{name: us}", "calendar.name", "unknown calendar 'us'"),
    ],
)  # fmt: skip
def test_the_calendar_block_is_checked_with_every_other_problem(
    calendar: str, path: str, words: str, tmp_path: Path
) -> None:
    text = BASE % (f"calendar: {calendar}", "", "")
    problems = problems_of(text)
    mine = [p for p in problems if p.path == path]
    assert len(mine) == 1 and words in mine[0].message, lines(problems)
    assert_others_reported(problems)
    with pytest.raises(TemplateError):
        Campaign.create(load_template_text(text))
    file = tmp_path / "cal.yaml"
    file.write_text(text, encoding="utf-8")
    assert str(mine[0]).split(": ", 1)[1] in "\n".join(validate_file(file).lines())


def test_a_declared_year_is_used_once_its_days_are_checked() -> None:
    text = TWO_PHASES.replace(", submit: [king]", "") % (
        2027,
        "calendar: {years: {2027: {holidays: [2027-10-29], workdays: [2027-10-30]}}}",
        "9月",
        "10月",
        "10月29日",
    )
    template = load_template_text(text)
    assert template.calendar.years == {2027: (("2027-10-29",), ("2027-10-30",))}
    cal = resolve(template).calendar
    assert not cal.is_workday(dt.date(2027, 10, 29)) and cal.is_workday(dt.date(2027, 10, 30))


# -- 4: an escalation ladder or warning lights out of order for some deadline ----------------

LADDER = """\
id: ladder
title: 升级
params: {year: {type: int, default: %s}}
%s
phases:
  - id: p
    title: P
    window: %s
    steps:
      a: {title: A, due: %s%s}
"""


def ladder_problems(*args: str) -> list[Problem]:
    year, top, window, due, extra = args
    text = LADDER % (year, top, window, due, extra)
    problems = problems_of(text)
    with pytest.raises(TemplateError):
        Campaign.create(load_template_text(text))
    return problems


def test_a_mixed_ladder_that_skips_a_level_around_a_holiday_is_refused() -> None:
    top = (
        "escalation:\n  - {id: reminder, title: 催办, after: 1 working day}\n"
        "  - {id: red_card, title: 红牌, after: 3 days, sanction: interview}"
    )
    problems = ladder_problems("2011", top, "9月—10月", "9月30日", "")
    assert len(problems) == 1, lines(problems)
    (p,) = problems
    assert (p.path, p.line) == ("escalation[1].after", 6)
    assert "reached on 2011-10-03, before level 'reminder'" in p.message
    assert "step 'a' due 2011-09-30" in p.message and "sanction 'interview'" in p.message


def test_a_ladder_out_of_order_for_a_deadline_that_is_not_a_step_is_refused() -> None:
    """No step is due near 国庆, but a finding's deadline may be: 2011-09-30 is in the
    window."""
    top = (
        "escalation:\n  - {id: reminder, title: 催办, after: 1 working day}\n"
        "  - {id: red_card, title: 红牌, after: 3 days}"
    )
    problems = ladder_problems("2011", top, "9月20日—10月20日", "9月21日", "")
    assert [p.path for p in problems] == ["escalation[1].after"], lines(problems)
    assert "a deadline on 2011-09-30" in problems[0].message


def test_days_then_fewer_working_days_is_refused() -> None:
    top = (
        "escalation:\n  - {id: reminder, title: 催办, after: 10 days}\n"
        "  - {id: red_card, title: 红牌, after: 1 working day, sanction: interview}"
    )
    problems = ladder_problems("2011", top, "9月", "9月5日", "")
    assert [p.path for p in problems] == ["escalation[1].after"], lines(problems)


def test_levels_reached_at_the_same_instant_both_fire() -> None:
    top = (
        "escalation:\n  - {id: reminder, title: 催办, after: 1 working day}\n"
        "  - {id: red_card, title: 红牌, after: 3 days, sanction: interview}"
    )
    text = LADDER % ("2011", top, "9月13日—9月20日", "9月16日", "")  # a Friday
    c = Campaign.create(load_template_text(text))
    c.add_actor("office", ["office"])
    c.enroll("u", at="2011-09-13")
    events = [e.type for e in c.tick("2011-09-30")]
    assert events.count("step_escalated") == 2 and "sanction_issued" in events


@pytest.mark.parametrize(
    ("top", "extra", "path"),
    [
        ("warnings:\n  - {id: y, title: 黄, before: 1 working day}\n"
         "  - {id: b, title: 蓝, before: 3 working days}", "", "warnings[1].before"),
        ("warnings:\n  - {id: y, title: 黄, before: 2 days}\n"
         "  - {id: b, title: 蓝, before: 1 working day}", "", "warnings[1].before"),
        ("warnings:\n  - {id: y, title: 黄, before: 1 day}\n"
         "  - {id: b, title: 蓝, before: 30 hours}", "", "warnings[1].before"),
        ("", ", warnings: [{id: y, title: 黄, before: 1 day}, {id: b, title: 蓝, before: 2 days}]",
         "phases[0].steps.a.warnings[1].before"),
    ],
)  # fmt: skip
def test_warning_lights_out_of_order_are_refused(top: str, extra: str, path: str) -> None:
    problems = ladder_problems("2011", top, "9月", "9月19日", extra)  # a Monday
    assert [p.path for p in problems] == [path], lines(problems)
    assert "would never come on" in problems[0].message
    assert problems[0].line is not None


# -- 6: the horizon check walks the warning lights -------------------------------------------


def test_a_warning_light_beyond_the_calendar_is_found_by_validation(tmp_path: Path) -> None:
    top = "warnings:\n  - {id: blue, title: 蓝灯, before: 5 working days}"
    text = LADDER % ("2004", top, "1月1日—1月31日", "1月2日", "")
    file = tmp_path / "warn.yaml"
    file.write_text(text, encoding="utf-8")
    report = validate_file(file)
    assert [(p.path, p.line) for p in report.errors] == [("phases[0].steps.a.due", 11)]
    assert "warning light 'blue'" in report.errors[0].message
    assert "2003-12-31" in report.errors[0].message
    with pytest.raises(TemplateError):  # not a CalendarHorizonError
        Campaign.create(load_template_text(text))


def test_a_light_in_hours_or_a_declared_year_is_countable() -> None:
    top = (
        "calendar: {years: {2003: {holidays: [], workdays: []}}}\n"
        "warnings:\n  - {id: blue, title: 蓝灯, before: 5 working days}\n"
        "  - {id: red, title: 红灯, before: 4 hours}"
    )
    Campaign.create(load_template_text(LADDER % ("2004", top, "1月1日—1月31日", "1月2日", "")))


# -- 5: the year parameter is an int --------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "given", "expected"),
    [
        ("{type: str, default: abc}", {}, {"params.year.type", "params.year.default"}),
        ("{type: bool, default: true}", {}, {"params.year.type", "params.year.default"}),
        ("{type: str, default: '2011'}", {}, {"params.year.type"}),
        ("{type: date, default: 2011-01-01}", {}, {"params.year.type", "params.year.default"}),
        ("{type: int, default: 0}", {}, {"params.year.default"}),
        ("{type: int, default: 10000}", {}, {"params.year.default"}),
        ("{type: int}", {"year": 12000}, {"params.year"}),
        ("{type: int}", {"year": "abc"}, {"params.year"}),
    ],
)
def test_the_year_parameter_must_be_an_int(
    spec: str, given: dict[str, Any], expected: set[str], tmp_path: Path
) -> None:
    text = (
        f"id: y\ntitle: t\nparams:\n  year: {spec}\nphases:\n  - {{id: p, title: P, window: 9月}}\n"
    )
    with pytest.raises(TemplateError) as info:
        load_template_text(text, given)
    problems = list(info.value.problems)
    assert {p.path for p in problems} == expected, lines(problems)
    assert all(p.line == 4 for p in problems), lines(problems)
    if not given:
        file = tmp_path / "y.yaml"
        file.write_text(text, encoding="utf-8")
        assert {p.path for p in validate_file(file).errors} == expected


# -- 9: date phrases as the docs describe them -----------------------------------------------


@pytest.mark.parametrize(
    ("window", "first", "last"),
    [
        ("9月初至中旬", "2011-09-01", "2011-09-20"),
        ("9月上旬—中旬", "2011-09-01", "2011-09-20"),
        ("9月中旬—下旬", "2011-09-11", "2011-09-30"),
        ("2011-09-20 - 3天", "2011-09-17", "2011-09-17"),
        ("2011-09-01 - 2011-09-20", "2011-09-01", "2011-09-20"),
        ("截止到9月10日", "2011-09-10", "2011-09-10"),
    ],
)
def test_window_phrases_the_docs_describe(window: str, first: str, last: str) -> None:
    start, end = parse_window(window)
    assert isinstance(start, AbsoluteDate | RelativeDate)
    cal = WorkCalendar()
    got = [
        (x.apply(dt.date.fromisoformat(x.anchor), cal) if isinstance(x, RelativeDate)
         else (x.span(2011).first if i == 0 else x.span(2011).last)).isoformat()
        for i, x in enumerate((start, end))
    ]  # fmt: skip
    assert got == [first, last]


def test_a_deadline_up_to_a_day_is_a_date() -> None:
    expr = parse_date("截止到9月10日")
    assert isinstance(expr, AbsoluteDate) and expr.span(2011).last == dt.date(2011, 9, 10)


@pytest.mark.parametrize(
    "due", ["2011-09-10 10:00:00", "2011-09-10T10:00", "2011-09-10 10:00+08:00"]
)
def test_a_date_with_a_time_of_day_says_so(due: str) -> None:
    with pytest.raises(DateExpressionError, match="a date with a time of day") as info:
        parse_date(due)
    assert "this is a window" not in info.value.reason
    problems = problems_of(BASE % ("", "", f"due: {due}"))
    assert any(
        p.path == "phases[0].steps.a.due" and "time of day" in p.message for p in problems
    ), lines(problems)


# -- 8: a phase template with schema problems is still merged --------------------------------

PHASE = """\
kind: phase
id: local
title: 本地
steps:
  x: {title: X, submit: member}
  y: {title: Y, kind: party}
"""


def test_a_phase_template_of_the_wrong_shape_does_not_hide_the_campaign_problems() -> None:
    text = """\
id: probe
title: 探针
params: {year: {type: int, default: 2011}}
phases:
  - use: local
    window: 9月
    steps:
      z: {title: Z, submit: [king], due: 9月31日}
"""
    problems = problems_of(text, phase_texts={"local": PHASE})
    got = {(p.file, p.path) for p in problems}
    assert got == {
        ("<stored>/phases/local.yaml", "steps.x.submit"),
        ("<stored>/phases/local.yaml", "steps.y.kind"),
        ("<string>", "phases[0].steps.z.submit[0]"),
        ("<string>", "phases[0].steps.z.due"),
    }, lines(problems)
