"""A problem with a step field a campaign inherits from a phase template (``use:``) is
located where the field is written — the phase template's file, line and path — and names
the campaign phase that uses it; a field the campaign overrides stays located in the
campaign. The loader and the date resolver agree, so a problem both find is reported once."""

from __future__ import annotations

from pathlib import Path

import pytest

from zyw_flow import TemplateError, load_template
from zyw_flow._errors import Problem
from zyw_flow.resolve import resolve
from zyw_flow.validation import validate_file

PHASE = """\
kind: phase
id: check
title: 自查
steps:
  sweep:
    title: 排查
    submit: [inspector]
    after: [nothing_here]
    due: "9月32日"
  report:
    title: 报告
    due: "9月20日"
"""

CAMPAIGN = """\
id: t
title: 测试
params:
  year: {type: int, default: 2011}
roles:
  office: 办公室
  member: 成员
  inspector: 督查
  accountability: 问责
phases:
  - id: first
    title: 动员
    window: "9月1日至9月10日"
  - use: check
    window: "9月11日至9月30日"
%s"""


def problems(tmp_path: Path, overrides: str = "", roles: bool = True) -> list[Problem]:
    (tmp_path / "phases").mkdir(exist_ok=True)
    (tmp_path / "phases" / "check.yaml").write_text(PHASE, encoding="utf-8")
    text = CAMPAIGN % overrides
    if not roles:
        text = text.replace("  inspector: 督查\n", "")
    (tmp_path / "camp.yaml").write_text(text, encoding="utf-8")
    found = list(validate_file(tmp_path / "camp.yaml").errors)
    with pytest.raises(TemplateError) as info:  # loading and resolving say the same
        resolve(load_template(tmp_path / "camp.yaml"))
    assert set(info.value.problems) <= set(found)
    return found


def where(found: list[Problem]) -> set[tuple[str, int | None, str]]:
    return {(Path(p.file).name, p.line, p.path) for p in found}


def test_inherited_fields_are_located_in_the_phase_template(tmp_path: Path) -> None:
    found = problems(tmp_path, roles=False)
    assert {
        ("check.yaml", 7, "steps.sweep.submit[0]"),
        ("check.yaml", 8, "steps.sweep.after[0]"),
        ("check.yaml", 9, "steps.sweep.due"),
    } <= where(found), [str(p) for p in found]
    for p in found:
        if p.file.endswith("check.yaml"):
            assert "in phase template 'check', used by " in p.message
            assert p.message.endswith("camp.yaml:13: phases[1].use)"), p.message  # no inspector
    # nothing is located at paths the campaign file does not have
    assert not any(p.path.startswith("phases[1].steps.sweep") for p in found)


def test_the_due_date_problem_is_reported_once(tmp_path: Path) -> None:
    found = problems(tmp_path)
    dues = [p for p in found if p.path.endswith("sweep.due")]
    assert len(dues) == 1 and dues[0].file.endswith("check.yaml"), [str(p) for p in found]


def test_an_overridden_field_stays_in_the_campaign(tmp_path: Path) -> None:
    over = '    steps:\n      sweep: {due: "9月31日", after: []}\n'
    found = problems(tmp_path, over)
    assert ("camp.yaml", 17, "phases[1].steps.sweep.due") in where(found), [str(p) for p in found]
    assert not any(p.path == "steps.sweep.due" for p in found)
    assert not any("nothing_here" in p.message for p in found)  # `after` overridden: gone
    assert ("check.yaml", 7, "steps.sweep.submit[0]") not in where(found)  # inspector declared


def test_a_deadline_the_campaign_window_makes_early_points_at_both(tmp_path: Path) -> None:
    """A resolver problem (the inherited deadline falls before the campaign's window) is
    located at the deadline, in the phase template, and names the campaign's use of it."""
    over = '    steps:\n      sweep: {due: "9月25日", after: []}\n'
    text_window = "9月11日至9月30日"
    (tmp_path / "phases").mkdir()
    (tmp_path / "phases" / "check.yaml").write_text(PHASE, encoding="utf-8")
    camp = (CAMPAIGN % over).replace(text_window, "9月21日至9月30日")
    (tmp_path / "camp.yaml").write_text(camp, encoding="utf-8")
    with pytest.raises(TemplateError) as info:
        resolve(load_template(tmp_path / "camp.yaml"))
    found = list(info.value.problems)
    early = [p for p in found if "before phase" in p.message]
    assert len(early) == 1, [str(p) for p in found]
    assert (Path(early[0].file).name, early[0].line, early[0].path) == (
        "check.yaml",
        12,
        "steps.report.due",
    )
    assert "used by " in early[0].message and "phases[1].use" in early[0].message


def test_validate_prints_the_phase_template_location(tmp_path: Path) -> None:
    problems(tmp_path, roles=False)  # writes the files
    report = validate_file(tmp_path / "camp.yaml")
    text = "\n".join(str(p) for p in report.errors)
    assert f"{tmp_path / 'phases' / 'check.yaml'}:7: steps.sweep.submit[0]: unknown role" in text
