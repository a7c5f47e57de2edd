"""Deadlines relative to an event the host records (issue 13, "Calendar and recurrence
gaps"): 「行政执法依据发生变化,要在30日以内报同级人民政府法制办公室审查后对外公布」 (001-F L127).

A step written ``due: {after: TRIGGER, within: N days}`` has no deadline until the host
records the trigger for a unit (``record_trigger``); then it is due N days (or working
days) after that day, and goes overdue, escalates and lights its warnings by ``tick``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zyw_flow import (
    Campaign,
    CompiledCampaign,
    PermissionRefused,
    TemplateError,
    TransitionRefused,
    compile_campaign,
    load_template_text,
    resolve,
    run_scenario,
)
from zyw_flow.cli import main
from zyw_flow.dates import WorkCalendar

END = "T23:59:59.999999+08:00"
ZONE = dt.timezone(dt.timedelta(hours=8))


def template_text(within: str = "30 days", policy: str = "keep", staff: str = "5 working days"
                  ) -> str:  # fmt: skip
    return f"""\
id: trigger-probe
title: 触发探针
params: {{year: {{type: int, default: 2011}}}}
calendar: {{name: cn, on_non_workday: {policy}}}
triggers: {{basis_changed: 执法依据发生变化, staff_changed: 执法人员变化}}
escalation:
  - {{id: reminder, title: 催办, after: 1 working day}}
  - {{id: red_card, title: 红牌, after: 3 working days}}
warnings:
  - {{id: yellow, title: 黄灯, before: 2 days}}
phases:
  - id: year
    title: 全年
    window: 1月1日—12月31日
    steps:
      report: {{title: 报审, due: {{after: basis_changed, within: {within}}}}}
      publish:
        title: 公布
        review: []
        after: [report]
        due: {{after: basis_changed, within: {within}}}
      notice:
        title: 通告
        due: {{after: basis_changed, within: {within}}}
        on_non_workday: next_workday
      staff: {{title: 人员调整, due: {{after: staff_changed, within: {staff}}}}}
      plan: {{title: 方案, due: 9月30日}}
"""


_CACHE: dict[tuple[str, str], CompiledCampaign] = {}


def compiled(within: str = "30 days", policy: str = "keep") -> CompiledCampaign:
    key = (within, policy)
    if key not in _CACHE:
        _CACHE[key] = compile_campaign(resolve(load_template_text(template_text(within, policy))))
    return _CACHE[key]


def make(c: Campaign) -> Campaign:
    c.add_actor("office", ["office"])
    c.add_actor("clerk-a", ["member"], unit="a")
    c.add_actor("clerk-b", ["member"], unit="b")
    c.enroll_many([("a", "甲局", None), ("b", "乙局", None)], at="2011-01-01")
    return c


def campaign(within: str = "30 days", policy: str = "keep") -> Campaign:
    return make(Campaign.create(compiled(within, policy)))


def due(c: Campaign, unit: str, step: str) -> str | None:
    value = c.unit_status(unit).steps[step].due
    return None if value is None else value.isoformat()


# -- the template language ------------------------------------------------------------------
HEAD = """\
id: p
title: 探针
params: {year: {type: int, default: 2011}}
triggers: {basis_changed: 执法依据发生变化}
phases:
  - id: y
    title: 年
    window: 9月
    steps:
"""


def problems(steps: str, head: str = HEAD) -> list[str]:
    with pytest.raises(TemplateError) as info:
        resolve(load_template_text(head + steps))
    return [str(p) for p in info.value.problems]


class TestTemplate:
    def test_the_step_has_no_deadline_and_names_its_trigger(self) -> None:
        template = load_template_text(template_text())
        step = template.step("staff")
        assert step.due is None
        assert step.due_after is not None
        assert (step.due_after.trigger, step.due_after.amount, step.due_after.unit) == (
            "staff_changed", 5, "working_days")  # fmt: skip
        assert template.triggers == {"basis_changed": "执法依据发生变化",
                                     "staff_changed": "执法人员变化"}  # fmt: skip
        resolved = resolve(template)
        by_id = {s.id: s for s in resolved.steps}
        assert by_id["report"].due is None and not by_id["report"].blocks_next
        shown = {s["id"]: s for p in resolved.to_json()["phases"] for s in p["steps"]}
        assert shown["staff"]["due_after"] == {"trigger": "staff_changed", "within": 5,
                                               "unit": "working_days"}  # fmt: skip
        assert "due_after" not in shown["plan"]

    @pytest.mark.parametrize(
        ("steps", "expected"),
        [
            ("      r: {title: 报, due: {after: nope, within: 30 days}}\n",
             "<string>:10: phases[0].steps.r.due.after: unknown trigger 'nope'; the template's "
             "triggers: basis_changed"),
            ("      r: {title: 报, due: {after: basis_changed, within: 三十天}}\n",
             "<string>:10: phases[0].steps.r.due.within: bad delay: expected 'N days' or 'N "
             "working days' (N个工作日 / N天)"),
            ("      r: {title: 报, due: {after: basis_changed, within: 30 days}, repeat: {every: "
             "month, day: 5}}\n",
             "<string>:10: phases[0].steps.r.due: a step due after a trigger cannot repeat "
             "(`repeat:`): it has one deadline per unit, from the trigger's record"),
            ("      r: {title: 报, due: {after: basis_changed}}\n",
             "<string>:10: phases[0].steps.r.due: missing required field 'within'"),
            ("      r: {title: 报, due: {after: basis_changed, within: 30 days, wihtin: 3}}\n",
             "<string>:10: phases[0].steps.r.due.wihtin: unknown field 'wihtin'; did you mean "
             "'within'? allowed here: after, within"),
            ("      r: {title: 报, due: {after: basis_changed, within: 30 days}}\n"
             "      s: {title: 跟, due: steps.r.due + 3 days}\n",
             "<string>:11: phases[0].steps.s.due: bad date 'steps.r.due + 3 days': step 'r' has "
             "no deadline of its own: it is due after trigger 'basis_changed', once per unit"),
        ],
    )  # fmt: skip
    def test_problems_are_located(self, steps: str, expected: str) -> None:
        assert problems(steps) == [expected]

    def test_undeclared_triggers_and_roles(self) -> None:
        head = HEAD.replace("triggers: {basis_changed: 执法依据发生变化}\n",
                            "permissions: {trigger: [nobody]}\n")  # fmt: skip
        assert problems("      r: {title: 报, due: {after: basis_changed, within: 3 days}}\n",
                        head) == [
            "<string>:4: permissions.trigger[0]: unknown role 'nobody'; declared roles: member, "
            "office, inspector, accountability, leader",
            "<string>:10: phases[0].steps.r.due.after: unknown trigger 'basis_changed'; the "
            "template's triggers: none declared",
        ]  # fmt: skip

    def test_show_says_what_the_deadline_waits_for(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "probe.yaml"
        path.write_text(template_text(), encoding="utf-8")
        assert main(["validate", str(path)]) == 0
        assert main(["show", str(path)]) == 0
        out = capsys.readouterr().out
        rows = {line.split("│")[1].strip(): line for line in out.splitlines() if "│" in line}
        assert "30 days after basis_changed" in rows["report"]
        assert "5 working days after staff_changed" in rows["staff"]
        assert "after" not in rows["plan"]


# -- the runtime --------------------------------------------------------------------------------
class TestRecordTrigger:
    def test_no_deadline_until_the_trigger_is_recorded(self) -> None:
        c = campaign()
        events = c.tick("2011-12-31 23:59:59.999999")
        assert due(c, "a", "report") is None
        assert c.unit_status("a").steps["report"].status == "pending"
        assert not [e for e in events if e.step in ("report", "publish", "notice", "staff")]
        assert c.unit_status("a").steps["plan"].status == "overdue"  # a step with a date does

    def test_calendar_days_and_the_non_working_day_policy(self) -> None:
        """30 days after 2011-09-05 is 2011-10-05, a 国庆 holiday: kept by default; moved
        to the 调休 Saturday 10-08 by the step's ``next_workday``."""
        c = campaign()
        first = c.record_trigger("a", "basis_changed", actor="office", at="2011-09-05 10:00",
                                 note="法律修改")  # fmt: skip
        assert first.type == "trigger_recorded" and first.step == "report"
        assert first.data == {"trigger": "basis_changed", "step": "report", "days": 30,
                              "day_unit": "days", "due": f"2011-10-05{END}",
                              "note": "法律修改"}  # fmt: skip
        assert [e.step for e in c.events(first.seq - 1)] == ["report", "publish", "notice"]
        assert due(c, "a", "report") == due(c, "a", "publish") == f"2011-10-05{END}"
        assert due(c, "a", "notice") == f"2011-10-08{END}"
        assert due(c, "a", "staff") is None  # another trigger
        assert due(c, "b", "report") is None  # another unit

    def test_working_days_across_national_day(self) -> None:
        """5 working days after 2011-09-28: 09-29, 09-30, 10-08 and 10-09 (调休), 10-10."""
        c = campaign()
        c.record_trigger("b", "staff_changed", actor="office", at="2011-09-28 16:00")
        assert due(c, "b", "staff") == f"2011-10-10{END}"

    def test_on_time_and_late_with_the_ladder_and_the_lights(self) -> None:
        c = campaign()
        for unit in ("a", "b"):
            c.record_trigger(unit, "basis_changed", actor="office", at="2011-09-05 10:00")
        c.submit("a", "report", actor="clerk-a", at="2011-09-20")
        c.accept("a", "report", actor="office", at="2011-09-21")
        c.submit("a", "publish", actor="clerk-a", at="2011-09-22")
        events = c.tick("2011-10-11")
        mine = [(e.type, e.step, e.at.isoformat(), (e.data or {}).get("id"))
                for e in events if e.unit == "b" and e.step == "report"]  # fmt: skip
        assert mine == [
            ("step_warned", "report", f"2011-10-03{END}", None),  # 2 days before
            ("step_overdue", "report", f"2011-10-05{END}", None),
            ("step_escalated", "report", f"2011-10-08{END}", "reminder"),  # 1 working day
            ("step_escalated", "report", f"2011-10-10{END}", "red_card"),  # 3: 10-08, 09, 10
        ]
        assert not [e for e in events if e.unit == "a" and e.step in ("report", "publish")]
        c.submit("b", "report", actor="clerk-b", at="2011-10-11 09:00")
        a, b = c.unit_status("a").steps, c.unit_status("b").steps
        assert (a["report"].status, a["report"].late) == ("accepted", False)
        assert (a["publish"].status, a["publish"].late) == ("accepted", False)
        assert (b["report"].status, b["report"].late, b["report"].escalation) == (
            "submitted", True, 2)  # fmt: skip

    def test_refusals_change_nothing(self) -> None:
        c = campaign()
        c.waive("a", "staff", actor="office", at="2011-03-01", reason="无人员变化")
        before = json.dumps(c.report(), sort_keys=True, ensure_ascii=False)
        refusals: list[tuple[type[Exception], dict[str, Any]]] = [
            (TransitionRefused, {"unit": "a", "trigger": "nope", "actor": "office"}),
            (TransitionRefused, {"unit": "a", "trigger": "staff_changed", "actor": "office"}),
            (PermissionRefused, {"unit": "a", "trigger": "basis_changed", "actor": "clerk-a"}),
            (TransitionRefused, {"unit": "a", "trigger": "basis_changed", "actor": "office",
                                 "note": "  "}),
        ]  # fmt: skip
        for error, fields in refusals:
            unit, trigger = fields.pop("unit"), fields.pop("trigger")
            with pytest.raises(error):
                c.record_trigger(unit, trigger, at="2011-03-02", **fields)
        assert json.dumps(c.report(), sort_keys=True, ensure_ascii=False) == before
        c.record_trigger("a", "basis_changed", actor="office", at="2011-03-02", key="k")
        again = c.record_trigger("a", "basis_changed", actor="office", at="2011-03-02", key="k")
        assert again.duplicate
        with pytest.raises(TransitionRefused, match="recorded for this unit already, at "
                           "2011-03-02T00:00:00"):  # fmt: skip
            c.record_trigger("a", "basis_changed", actor="office", at="2011-03-03")

    def test_a_member_records_its_own_trigger_where_the_template_allows(self) -> None:
        text = template_text().replace("triggers:", "permissions: {trigger: [member]}\ntriggers:")
        c = make(Campaign.create(compile_campaign(resolve(load_template_text(text)))))
        c.record_trigger("a", "basis_changed", actor="clerk-a", at="2011-04-01")
        with pytest.raises(PermissionRefused):
            c.record_trigger("b", "basis_changed", actor="clerk-a", at="2011-04-01")
        assert due(c, "a", "report") == f"2011-05-01{END}"

    def test_scenario_verb_and_bundled_scenario(self) -> None:
        result = run_scenario("zhifa-zerenzhi")
        assert result.ok, result.failures
        gsj = result.campaign.unit_status("gsj").steps
        # recorded 2010-06-10 + 30 calendar days = 2010-07-10 (hand-computed)
        assert gsj["basis_report"].due == dt.datetime(2010, 7, 10, 23, 59, 59, 999999,
                                                      tzinfo=ZONE)  # fmt: skip
        # the columnar read shows each unit's own deadline, and none without the trigger
        column = result.campaign.status_table().steps["basis_report"]
        assert [None if d is None else d.date().isoformat() for d in map(column.due_of, range(3))
                ] == ["2010-04-04", "2010-07-10", None]  # fmt: skip


def test_campaign_record_trigger_on_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "t.db")
    assert main(["campaign", "init", db, "zhifa-zerenzhi"]) == 0
    with Campaign.open(db) as c:
        c.add_actor("office", ["office"])
        c.enroll("gaj", "市公安局", at="2010-01-01")
    assert main(["campaign", "record-trigger", db, "gaj", "basis_changed", "--actor", "office",
                 "--at", "2010-03-05 10:00", "--note", "法律修改"]) == 0  # fmt: skip
    with Campaign.open(db) as c:
        assert due(c, "gaj", "basis_report") == f"2010-04-04{END}"


# -- the journal ----------------------------------------------------------------------------------
def _workload(c: Campaign) -> None:
    c.record_trigger("a", "basis_changed", actor="office", at="2011-09-05 10:00", key="t1")
    c.submit("a", "report", actor="clerk-a", at="2011-09-20")
    c.tick("2011-09-25")


def _rest(c: Campaign) -> None:
    c.record_trigger("b", "staff_changed", actor="office", at="2011-09-28 16:00")
    c.tick("2011-10-20")


@pytest.mark.parametrize("use_snapshot", [False, True])
def test_replayed_from_sqlite_and_a_snapshot_equal_live(tmp_path: Path, use_snapshot: bool) -> None:
    db = str(tmp_path / "c.db")
    live = make(Campaign.create_stored(db, compiled()))
    _workload(live)
    live.save_snapshot()
    _rest(live)
    expected = json.dumps(live.report(), sort_keys=True, ensure_ascii=False)
    live.close()
    with Campaign.open(db, use_snapshot=use_snapshot) as again:
        assert json.dumps(again.report(), sort_keys=True, ensure_ascii=False) == expected
        assert again.verify_journal().ok
        # what the trigger recorded survives: recorded once, and a retry is a duplicate
        with pytest.raises(TransitionRefused, match="already"):
            again.record_trigger("a", "basis_changed", actor="office", at="2011-10-21")
        retry = again.record_trigger("a", "basis_changed", actor="office",
                                     at="2011-09-05 10:00", key="t1")  # fmt: skip
        assert retry.duplicate


def test_a_snapshot_taken_after_the_trigger_keeps_its_deadlines(tmp_path: Path) -> None:
    """A snapshot taken between the trigger and its deadline: the deadline still fires."""
    db = str(tmp_path / "s.db")
    live = make(Campaign.create_stored(db, compiled()))
    _workload(live)
    live.save_snapshot()
    live.close()
    with Campaign.open(db) as again:
        events = again.tick("2011-10-06")
        assert [(e.type, e.unit, e.at.isoformat()) for e in events if e.step == "publish"] == [
            ("step_warned", "a", f"2011-10-03{END}"),
            ("step_overdue", "a", f"2011-10-05{END}"),
        ]


# -- properties -------------------------------------------------------------------------------
_WITHIN = st.tuples(
    st.integers(min_value=0, max_value=45), st.sampled_from(["days", "working days"])
)
_POLICY = st.sampled_from(["keep", "next_workday", "previous_workday"])
CAL = WorkCalendar()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.integers(min_value=0, max_value=300), hour=st.integers(min_value=0, max_value=23),
       within=_WITHIN, policy=_POLICY)  # fmt: skip
def test_the_deadline_is_never_before_the_trigger(
    day: int, hour: int, within: tuple[int, str], policy: str
) -> None:
    amount, unit = within
    c = campaign(f"{amount} {unit}", policy)
    recorded = dt.datetime(2011, 1, 1, hour, tzinfo=ZONE) + dt.timedelta(days=day)
    c.record_trigger("a", "basis_changed", actor="office", at=recorded)
    value = c.unit_status("a").steps["report"].due
    assert value is not None
    assert value >= recorded
    assert (value.hour, value.minute, value.microsecond) == (23, 59, 999999)
    last = value.date()
    if policy == "keep":  # the count itself, by the calendar's own arithmetic
        if unit == "days":
            assert last == recorded.date() + dt.timedelta(days=amount)
        else:
            assert CAL.workdays_between(recorded.date(), last) == amount
            assert amount == 0 or CAL.is_workday(last)
    elif policy == "next_workday":
        assert CAL.is_workday(last)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.integers(min_value=0, max_value=250), submit=st.none() | st.integers(0, 60),
       within=_WITHIN)  # fmt: skip
def test_daily_ticks_equal_one_tick(day: int, submit: int | None, within: tuple[int, str]) -> None:
    amount, unit = within
    daily, once = campaign(f"{amount} {unit}"), campaign(f"{amount} {unit}")
    start = dt.date(2011, 1, 1) + dt.timedelta(days=day)
    for c in (daily, once):
        c.record_trigger("a", "basis_changed", actor="office", at=start.isoformat())
        c.record_trigger("b", "staff_changed", actor="office", at=start.isoformat())
        if submit is not None:
            c.submit(
                "a", "report", actor="clerk-a", at=(start + dt.timedelta(days=submit)).isoformat()
            )
    begin = start + dt.timedelta(days=submit or 0)
    for k in range(1, 91):
        daily.tick((begin + dt.timedelta(days=k)).isoformat())
    once.tick((begin + dt.timedelta(days=90)).isoformat())

    def seen(c: Campaign) -> list[Any]:
        return sorted((e.type, e.unit, e.step, e.at_us, json.dumps(e.data, sort_keys=True))
                      for e in c.events(0))  # fmt: skip

    assert seen(daily) == seen(once)
    assert daily.report(events=False) == once.report(events=False)


# -- a trigger recorded by mistake is made void --------------------------------------------------
def _cells(c: Campaign, unit: str) -> dict[str, tuple[str, str | None, int]]:
    steps = c.unit_status(unit).steps
    return {s: (steps[s].status, due(c, unit, s), steps[s].escalation)
            for s in ("report", "publish", "notice", "staff")}  # fmt: skip


class TestVoidTrigger:
    def test_every_step_it_gave_a_deadline_is_as_before_and_it_may_be_recorded_again(
        self,
    ) -> None:
        c = campaign()
        c.set_deadline("a", "notice", until="2011-09-30", actor="office", reason="先行通告",
                       at="2011-09-01")  # fmt: skip
        before = _cells(c, "a")
        first = c.record_trigger("a", "basis_changed", actor="office", at="2011-09-05 10:00",
                                 key="t1")  # fmt: skip
        assert due(c, "a", "notice") == f"2011-10-08{END}"  # the trigger's replaces the office's
        c.tick("2011-10-07")
        assert c.unit_status("a").steps["report"].status == "overdue"
        # any of its events names the record
        voided = c.void(seq=first.seq + 1, reason="录入单位有误", actor="office", at="2011-10-07")
        assert voided.data == {"target": first.seq, "target_type": "trigger_recorded",
                               "reason": "录入单位有误"}  # fmt: skip
        after = _cells(c, "a")
        # no deadline again where there was none; the office's 09-30 again for notice, which
        # is overdue as of then (the voided trigger had held it back)
        assert {s: after[s] for s in ("report", "publish", "staff")} == {
            s: before[s] for s in ("report", "publish", "staff")}  # fmt: skip
        assert after["notice"] == ("overdue", f"2011-09-30{END}", 0)
        assert not [e for e in c.tick("2011-12-31") if e.step in ("report", "publish")]
        with pytest.raises(TransitionRefused, match="void already"):
            c.void(seq=first.seq + 2, reason="再次", actor="office", at="2011-12-31")
        again = c.record_trigger("a", "basis_changed", actor="office", at="2011-12-31")
        assert (again.type, due(c, "a", "report")) == ("trigger_recorded", f"2012-01-30{END}")

    def test_a_later_action_on_its_step_stands_on_it_and_a_refusal_changes_nothing(self) -> None:
        c = campaign()
        c.record_trigger("a", "basis_changed", actor="office", at="2011-09-05 10:00", key="t1")
        c.submit("a", "notice", actor="clerk-a", at="2011-09-20", key="s1")
        before = json.dumps(c.report(), sort_keys=True, ensure_ascii=False)
        with pytest.raises(TransitionRefused, match=r"later step_submitted \(#\d+\) of step "
                           "notice stands on the trigger: void that first"):  # fmt: skip
            c.void("t1", reason="录错", actor="office", at="2011-09-21")
        with pytest.raises(PermissionRefused):
            c.void("t1", reason="录错", actor="clerk-a", at="2011-09-21")
        assert json.dumps(c.report(), sort_keys=True, ensure_ascii=False) == before
        c.void("s1", reason="误报", actor="office", at="2011-09-21")
        c.void("t1", reason="录错", actor="office", at="2011-09-21")
        assert _cells(c, "a")["notice"] == ("pending", None, 0)
        assert _cells(c, "b") == {s: ("pending", None, 0)
                                  for s in ("report", "publish", "notice", "staff")}  # fmt: skip

    @pytest.mark.parametrize("use_snapshot", [False, True])
    def test_replayed_and_restored_equal_live(self, tmp_path: Path, use_snapshot: bool) -> None:
        db = str(tmp_path / "v.db")
        live = make(Campaign.create_stored(db, compiled()))
        live.set_deadline("a", "notice", until="2011-09-30", actor="office", reason="先行",
                          at="2011-09-01")  # fmt: skip
        live.record_trigger("a", "basis_changed", actor="office", at="2011-09-05", key="t1")
        live.tick("2011-10-07")
        live.void("t1", reason="录错", actor="office", at="2011-10-07")
        live.save_snapshot()
        live.record_trigger("a", "basis_changed", actor="office", at="2011-10-09")
        live.tick("2011-12-01")
        expected = json.dumps(live.report(), sort_keys=True, ensure_ascii=False)
        live.close()
        with Campaign.open(db, use_snapshot=use_snapshot) as again:
            assert json.dumps(again.report(), sort_keys=True, ensure_ascii=False) == expected
            assert again.verify_journal().ok


_LADDER = """
id: t
title: 探针
params: {year: {type: int, default: 2011}}
triggers: {basis_changed: 变化}
sanctions: [{id: interview, title: 约谈}]
escalation:
  - {id: reminder, title: 催办, after: 1 working day}
  - {id: red_card, title: 红牌, after: 3 working days, sanction: interview}
phases:
  - {id: y, title: 年, window: 1月1日—12月31日,
     steps: {report: {title: 报, due: {after: basis_changed, within: 10 days}}}}
"""


class TestVoidTriggerStandsOn:
    def test_a_pending_extension_request_stands_on_the_trigger(self) -> None:
        c = campaign()
        c.record_trigger("a", "basis_changed", actor="office", at="2011-09-05 10:00", key="t1")
        c.request_extension("a", "report", until="2011-11-30", reason="材料多", actor="clerk-a",
                            at="2011-09-10")  # fmt: skip
        before = json.dumps(c.report(), sort_keys=True, ensure_ascii=False)
        with pytest.raises(TransitionRefused, match="extension request of step report is pending"):
            c.void("t1", reason="录错", actor="office", at="2011-09-11")
        assert json.dumps(c.report(), sort_keys=True, ensure_ascii=False) == before
        c.refuse_extension("a", "report", actor="office", at="2011-09-11", reason="不予延期")
        c.void("t1", reason="录错", actor="office", at="2011-09-11")
        assert due(c, "a", "report") is None

    def test_a_sanction_its_deadline_issued_stands_on_the_trigger(self) -> None:
        c = Campaign.create(load_template_text(_LADDER))
        c.add_actor("office", ["office"])
        c.enroll("a", at="2011-01-01")
        c.record_trigger("a", "basis_changed", actor="office", at="2011-03-01", key="t1")
        c.tick("2011-03-20")
        assert [s["sanction"] for s in c.unit_status("a").sanctions] == ["interview"]
        before = json.dumps(c.report(), sort_keys=True, ensure_ascii=False)
        with pytest.raises(TransitionRefused, match=r"step_escalated \(#\d+\) of step report "
                           "stands on the trigger: it cannot be undone"):  # fmt: skip
            c.void("t1", reason="录错", actor="office", at="2011-03-21")
        assert json.dumps(c.report(), sort_keys=True, ensure_ascii=False) == before
