"""Template and calendar problems found in review: each is a located TemplateError problem,
every problem is collected, and validation catches what Campaign.create would refuse."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from zyw_flow import TemplateError, load_template_text
from zyw_flow._errors import Problem
from zyw_flow._yaml import Document, join, read_yaml
from zyw_flow.resolve import resolve
from zyw_flow.template._build import _Builder

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
