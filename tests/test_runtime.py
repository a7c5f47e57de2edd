"""The campaign runtime: actions, ticks, authority, findings, sanctions, queries."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest

from zyw_flow import (
    Campaign,
    CompiledCampaign,
    DuplicateEventError,
    EnrollmentError,
    PermissionRefused,
    TimeOrderError,
    TransitionRefused,
    UnknownActorError,
    UnknownStepError,
    UnknownUnitError,
    compile_campaign,
    load_template_text,
    resolve,
)

TZ = dt.timezone(dt.timedelta(hours=8))


def make(compiled: CompiledCampaign, units: int = 2) -> Campaign:
    """A campaign with a city, `units` county bureaus, one clerk each and the offices."""
    c = Campaign(compiled)
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    c.add_actor("rectify", roles=["accountability"])
    c.enroll("city", name="市局")
    for i in range(1, units + 1):
        c.enroll(f"county-{i}", name=f"{i}分局", parent="city")
        c.add_actor(f"clerk-{i}", roles=["member"], unit=f"county-{i}")
    return c


def state(c: Campaign) -> str:
    """Everything observable, as canonical JSON."""
    return json.dumps(c.report(), sort_keys=True, ensure_ascii=False)


class TestDesignExample:
    def test_contract(self, zhiyong: CompiledCampaign) -> None:
        """The DESIGN.md example yields exactly the documented unit report."""
        c = make(zhiyong, 1)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-08 10:00")
        c.accept("county-1", "work_plan", actor="office", at="2011-09-09")
        c.tick("2011-10-12")
        report = c.report()
        assert report["campaign"] == "zhiyong-2011"
        assert report["at"] == "2011-10-12T00:00:00+08:00"
        unit = report["units"]["county-1"]
        assert unit["phase"] == "supervision"
        assert unit["sanctions"] == []
        assert unit["steps"]["work_plan"] == {
            "status": "accepted",
            "due": "2011-09-10T23:59:59.999999+08:00",
            "late": False,
            "completed_at": "2011-09-09T00:00:00+08:00",
            "escalation": 0,
            "warning": None,
            "extensions": [],
        }
        assert unit["steps"]["rectification_report"] == {
            "status": "overdue",
            "due": "2011-10-05T23:59:59.999999+08:00",
            "late": False,
            "completed_at": None,
            "escalation": 2,
            "warning": None,
            "extensions": [],
        }
        overdue = {
            "type": "step_overdue",
            "unit": "county-1",
            "step": "rectification_report",
            "at": "2011-10-05T23:59:59.999999+08:00",
        }
        assert any(overdue.items() <= e.items() for e in report["events"])
        json.dumps(report)  # JSON-serialisable

    def test_escalation_counts_working_days_across_national_day(
        self, zhiyong: CompiledCampaign
    ) -> None:
        """催办 at 10-08 (a make-up Saturday), 黄牌 at 10-10, 红牌 at 10-12, each end of day."""
        c = make(zhiyong, 1)
        events = c.tick("2011-10-13")
        levels = [
            (e.data["id"], e.at.isoformat())
            for e in events
            if e.type == "step_escalated"
            and e.unit == "county-1"
            and e.step == "rectification_report"
        ]
        assert levels == [
            ("reminder", "2011-10-08T23:59:59.999999+08:00"),
            ("yellow_card", "2011-10-10T23:59:59.999999+08:00"),
            ("red_card", "2011-10-12T23:59:59.999999+08:00"),
        ]


class TestStepLifecycle:
    def test_not_open_before_phase(self, zhiyong: CompiledCampaign) -> None:
        """Before its phase a step is not_open and cannot be submitted."""
        c = make(zhiyong)
        c.tick("2011-09-05")
        assert c.unit_status("county-1").steps["rectification_report"].status == "not_open"
        with pytest.raises(TransitionRefused, match="not open"):
            c.submit("county-1", "rectification_report", actor="clerk-1", at="2011-09-06")

    def test_return_and_resubmit(self, zhiyong: CompiledCampaign) -> None:
        """submitted → returned → submitted → accepted, with the reason recorded."""
        c = make(zhiyong)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        ev = c.return_step(
            "county-1", "work_plan", actor="office", reason="不完整", at="2011-09-06"
        )
        assert ev.type == "step_returned" and ev.data == {"reason": "不完整"}
        assert c.unit_status("county-1").steps["work_plan"].status == "returned"
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-07")
        c.accept("county-1", "work_plan", actor="office", at="2011-09-08")
        st = c.unit_status("county-1").steps["work_plan"]
        assert (st.status, st.late) == ("accepted", False)
        assert st.completed_at == dt.datetime(2011, 9, 8, tzinfo=TZ)

    def test_late_submission_is_marked_and_stops_escalation(
        self, zhiyong: CompiledCampaign
    ) -> None:
        """An overdue step submitted is late; its escalation stops where it was."""
        c = make(zhiyong)
        c.tick("2011-09-16")  # 09-11/12 are Mid-Autumn days off: 催办 09-13, 黄牌 09-15
        st = c.unit_status("county-1").steps["work_plan"]
        assert st.status == "overdue" and st.escalation == 2
        ev = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-16 09:00")
        assert ev.data == {"late": True}
        c.tick("2011-10-01")
        st = c.unit_status("county-1").steps["work_plan"]
        assert (st.status, st.late, st.escalation) == ("submitted", True, 2)

    def test_overdue_exactly_when_pending_past_due(self, zhiyong: CompiledCampaign) -> None:
        """A step is still pending at its due instant and overdue right after it; the event
        is stamped with the due instant."""
        c = make(zhiyong)
        c.tick("2011-09-10 23:59:59.999999")
        assert c.unit_status("county-1").steps["work_plan"].status == "pending"
        events = c.tick("2011-09-11 00:00")
        assert c.unit_status("county-1").steps["work_plan"].status == "overdue"
        (ev,) = [e for e in events if e.unit == "county-1" and e.step == "work_plan"]
        assert ev.at.isoformat() == "2011-09-10T23:59:59.999999+08:00"

    def test_submission_at_the_due_instant_is_on_time(self, zhiyong: CompiledCampaign) -> None:
        """Regression: 前 is inclusive, to the last microsecond of the day."""
        c = make(zhiyong)
        ev = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-10 23:59:59.999999")
        assert ev.data is None
        assert not c.unit_status("county-1").steps["work_plan"].late

    def test_returned_step_goes_overdue_at_the_deadline(self, zhiyong: CompiledCampaign) -> None:
        """Regression: a step sent back before its deadline and not resubmitted goes overdue
        and escalates; a return cannot be used to dodge the ladder."""
        c = make(zhiyong)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        c.return_step("county-1", "work_plan", actor="office", reason="重写", at="2011-09-06")
        c.tick("2011-09-14")
        st = c.unit_status("county-1").steps["work_plan"]
        assert (st.status, st.escalation) == ("overdue", 1)

    def test_waive(self, zhiyong: CompiledCampaign) -> None:
        """The office may waive a step, even one not yet open; a member may not."""
        c = make(zhiyong)
        with pytest.raises(PermissionRefused):
            c.waive("county-1", "summary_report", actor="clerk-1", at="2011-09-02")
        c.waive("county-1", "summary_report", actor="office", at="2011-09-02", reason="合并")
        assert c.unit_status("county-1").steps["summary_report"].status == "waived"
        with pytest.raises(TransitionRefused):
            c.submit("county-1", "summary_report", actor="clerk-1", at="2011-12-01")

    def test_review_free_step_is_accepted_on_submission(self, zhiyong: CompiledCampaign) -> None:
        """A step with `review: []` is accepted as soon as it is recorded."""
        c = make(zhiyong)
        c.tick("2011-10-02")
        c.submit("county-1", "covert_visits", actor="inspector", at="2011-10-09")
        st = c.unit_status("county-1").steps["covert_visits"]
        assert st.status == "accepted"
        with pytest.raises(TransitionRefused, match="needs no review"):
            c.accept("county-1", "covert_visits", actor="office", at="2011-10-10")


class TestRefusalsChangeNothing:
    @pytest.mark.parametrize(
        ("call", "error"),
        [
            (
                lambda c: c.submit("nope", "work_plan", actor="clerk-1", at="2011-09-06"),
                UnknownUnitError,
            ),
            (
                lambda c: c.submit("county-1", "nope", actor="clerk-1", at="2011-09-06"),
                UnknownStepError,
            ),
            (
                lambda c: c.submit("county-1", "work_plan", actor="ghost", at="2011-09-06"),
                UnknownActorError,
            ),
            (
                lambda c: c.submit("county-2", "work_plan", actor="clerk-1", at="2011-09-06"),
                PermissionRefused,
            ),
            (
                lambda c: c.accept("county-1", "work_plan", actor="clerk-1", at="2011-09-06"),
                PermissionRefused,
            ),
            (
                lambda c: c.accept("county-2", "work_plan", actor="office", at="2011-09-06"),
                TransitionRefused,
            ),
            (
                lambda c: c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-04"),
                TimeOrderError,
            ),
            (lambda c: c.tick("2011-09-01"), TimeOrderError),
            (
                lambda c: c.record_finding("county-1", actor="clerk-1", at="2011-09-06"),
                PermissionRefused,
            ),
            (
                lambda c: c.issue_sanction("county-1", "exile", actor="rectify", at="2011-09-06"),
                TransitionRefused,
            ),
            (
                lambda c: c.issue_sanction(
                    "county-1", "interview", actor="office", at="2011-09-06"
                ),
                PermissionRefused,
            ),
            (lambda c: c.enroll("county-1"), EnrollmentError),
            (lambda c: c.enroll("x", parent="nope"), EnrollmentError),
            (lambda c: c.enroll_many([{"id": "a"}, {"id": "a"}]), EnrollmentError),
        ],
    )
    def test_refused(self, zhiyong: CompiledCampaign, call: Any, error: type[Exception]) -> None:
        """A refused call raises its typed error and leaves the state as it was."""
        c = make(zhiyong)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        before = state(c)
        with pytest.raises(error) as info:
            call(c)
        assert str(info.value)
        assert state(c) == before

    def test_refusal_does_not_move_the_clock(self, zhiyong: CompiledCampaign) -> None:
        """A refused action far in the future does not fire time-driven transitions."""
        c = make(zhiyong)
        before = state(c)
        with pytest.raises(PermissionRefused):
            c.submit("county-2", "work_plan", actor="clerk-1", at="2011-11-01")
        assert state(c) == before
        assert c.now is None

    def test_error_names_unit_step_event(self, zhiyong: CompiledCampaign) -> None:
        """Errors carry the unit, step and event they concern."""
        c = make(zhiyong)
        with pytest.raises(PermissionRefused) as info:
            c.submit("county-2", "work_plan", actor="clerk-1", at="2011-09-06")
        err = info.value
        assert (err.unit, err.step, err.event) == ("county-2", "work_plan", "submit")
        assert "county-2" in str(err) and "work_plan" in str(err)


class TestIdempotency:
    def test_same_key_same_payload_is_a_duplicate(self, zhiyong: CompiledCampaign) -> None:
        """Repeating a keyed call is reported as a duplicate and applied once."""
        c = make(zhiyong)
        first = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key="k1")
        n = c.cursor
        again = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key="k1")
        assert again.duplicate and not first.duplicate
        assert again.seq == first.seq
        assert c.cursor == n

    def test_same_key_other_payload_is_refused(self, zhiyong: CompiledCampaign) -> None:
        """A key reused for a different event is refused and changes nothing."""
        c = make(zhiyong)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key="k1")
        before = state(c)
        with pytest.raises(DuplicateEventError):
            c.submit("county-1", "themed_study", actor="clerk-1", at="2011-09-05", key="k1")
        assert state(c) == before


class TestFindingsAndSanctions:
    def test_finding_spawns_rectification(self, zhiyong: CompiledCampaign) -> None:
        """A finding makes a step due N working days later; verifying it lifts the freeze."""
        c = make(zhiyong)
        ev = c.record_finding(
            "county-1",
            actor="inspector",
            at="2011-09-29 10:00",
            source="covert_visit",
            description="脱岗",
            days=3,
        )
        fid = ev.step
        assert fid == "finding-1"
        # 09-30 is a working day, then the National Day holiday; 10-08 and 10-09 work.
        assert ev.data["due"] == "2011-10-09T23:59:59.999999+08:00"
        assert c.restrictions("county-1") == ("no_transfer_or_promotion_of_principal",)
        c.tick("2011-10-11")
        st = c.unit_status("county-1").steps[fid]
        assert (st.status, st.escalation) == ("overdue", 1)
        c.submit("county-1", fid, actor="clerk-1", at="2011-10-11 09:00")
        c.verify_finding("county-1", fid, actor="inspector", at="2011-10-12")
        st = c.unit_status("county-1").steps[fid]
        assert (st.status, st.late) == ("accepted", True)
        assert c.restrictions("county-1") == ()
        assert not c.under_rectification("county-1")

    def test_sanction_ladder(self, zhiyong: CompiledCampaign) -> None:
        """A sanction is recorded with its ladder level; rectify_days orders rectification."""
        c = make(zhiyong)
        c.issue_sanction(
            "county-2",
            "admonition_talk",
            actor="rectify",
            at="2011-10-20",
            person="王某",
            reason="排名靠后",
            rectify_days=10,
        )
        unit = c.unit_status("county-2")
        (s,) = unit.sanctions
        assert (s["sanction"], s["level"], s["person"]) == ("admonition_talk", 3, "王某")
        assert unit.restrictions == ("no_transfer_or_promotion_of_principal",)
        assert any(k.startswith("finding-") for k in unit.steps)

    def test_unknown_finding_source_refused(self, zhiyong: CompiledCampaign) -> None:
        """Findings name a source the template allows."""
        c = make(zhiyong)
        with pytest.raises(TransitionRefused, match="source"):
            c.record_finding("county-1", actor="inspector", at="2011-09-29", source="rumour")


class TestEnrolment:
    def test_late_enrolment_catches_up(self, zhiyong: CompiledCampaign) -> None:
        """A unit enrolled after deadlines passed has those steps overdue, escalated."""
        c = make(zhiyong)
        c.tick("2011-09-20")
        c.enroll("county-9", parent="city", at="2011-09-21")
        st = c.unit_status("county-9").steps["work_plan"]
        assert st.status == "overdue"
        assert st.escalation == c.unit_status("county-1").steps["work_plan"].escalation
        assert c.unit_status("county-9").phase == "self_check"

    def test_enroll_csv_and_tree(self, zhiyong: CompiledCampaign) -> None:
        """CSV enrollment builds the unit tree; persons are a kind."""
        c = Campaign(zhiyong)
        text = "id,name,parent,kind\ncity,市局,,\nc1,一分局,city,\nwang,王某,c1,person\n"
        assert c.enroll_csv(io.StringIO(text)) == 3
        status = c.unit_status("wang")
        assert (status.kind, status.parent, status.name) == ("person", "c1", "王某")

    def test_csv_without_id_column(self, zhiyong: CompiledCampaign) -> None:
        """A CSV without an id column is refused."""
        with pytest.raises(EnrollmentError, match="id"):
            Campaign(zhiyong).enroll_csv(io.StringIO("name\nx\n"))


class TestQueries:
    def test_board_rolls_up(self, zhiyong: CompiledCampaign) -> None:
        """The board counts steps by status per subtree; totals add up."""
        c = make(zhiyong, 3)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        c.tick("2011-09-12")
        board = c.board()
        owed = sum(len(c.unit_status(u).steps) for u in c.units)
        assert board.units == 4
        # every unit owes every step but the city bureau's own report to the province
        assert owed == 4 * len(zhiyong.steps) - 3
        assert sum(board.statuses.values()) == owed
        (city,) = board.children
        assert city.unit == "city" and city.units == 4
        assert [ch.unit for ch in city.children] == ["county-1", "county-2", "county-3"]
        assert board.statuses["submitted"] == 1
        assert board.statuses["overdue"] == 3
        assert city.children[0].statuses == {"not_open": 12, "pending": 3, "submitted": 1}
        assert board.phases == {"mobilization": 4}
        assert c.board("county-2").units == 1

    def test_overdue_and_due_soon(self, zhiyong: CompiledCampaign) -> None:
        """Overdue lists each overdue step; due_soon lists open steps due within a window."""
        c = make(zhiyong)
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        c.tick("2011-09-12")
        assert {(o.unit, o.step) for o in c.overdue()} == {
            ("city", "work_plan"),
            ("county-2", "work_plan"),
        }
        soon = c.due_soon(dt.timedelta(days=9))
        assert (
            "county-1",
            "mobilization_meeting",
            dt.datetime(2011, 9, 20, 23, 59, 59, 999999, tzinfo=TZ),
        ) in [(u, s, d) for u, s, d in soon]
        assert all(s != "work_plan" for _, s, _ in soon)

    def test_events_cursor_subscriptions_timeline(self, zhiyong: CompiledCampaign) -> None:
        """Events after a cursor; subscribers see each new event of their type."""
        c = make(zhiyong)
        seen: list[str] = []
        cancel = c.subscribe("step_overdue", lambda e: seen.append(e.unit or ""))
        cursor = c.cursor
        c.tick("2011-09-11")
        assert sorted(seen) == ["city", "county-1", "county-2"]
        assert [e.seq for e in c.events(cursor)] == list(range(cursor + 1, c.cursor + 1))
        cancel()
        c.tick("2011-09-21")
        assert len(seen) == 3
        assert all(e.unit == "county-1" for e in c.timeline("county-1"))
        assert c.timeline("county-1")[0].type == "enrolled"

    def test_clock_injection(self, zhiyong: CompiledCampaign) -> None:
        """With a clock, calls without `at` use it; without one they refuse."""
        now = [dt.datetime(2011, 9, 5, 9, 0, tzinfo=TZ)]
        c = Campaign(zhiyong, clock=lambda: now[0])
        c.add_actor("clerk", roles=["member"], unit="u")
        c.enroll("u")
        ev = c.submit("u", "work_plan", actor="clerk")
        assert ev.at == now[0]
        with pytest.raises(TypeError):
            Campaign(zhiyong).tick()


COMPLETION = """
id: completion-demo
title: 完成推进示例
params: {year: {type: int, default: 2011}}
advance: completion
phases:
  - use: mobilization
    window: 9月1日—9月10日
    drop: [themed_study, themed_discussion, mobilization_meeting]
    steps:
      work_plan: {due: 9月5日}
  - use: self_check
    window: 9月11日—9月20日
    drop: [problem_sweep, democratic_life_meeting, public_pledge, model_materials]
    steps:
      rectification_report: {due: 9月15日}
"""


class TestCompletionAdvance:
    @pytest.fixture()
    def campaign(self) -> Campaign:
        c = Campaign.create(load_template_text(COMPLETION))
        c.add_actor("office", roles=["office"])
        c.add_actor("clerk", roles=["member"], unit="u")
        c.enroll("u")
        return c

    def test_waits_for_gate_and_opening(self, campaign: Campaign) -> None:
        """A unit enters the next phase only when its gate is accepted and the phase open."""
        c = campaign
        c.submit("u", "work_plan", actor="clerk", at="2011-09-02")
        c.accept("u", "work_plan", actor="office", at="2011-09-03")
        assert c.unit_status("u").phase == "mobilization"  # accepted, but not yet open
        c.tick("2011-09-11")
        assert c.unit_status("u").phase == "self_check"

    def test_late_gate_enters_with_overdue_steps(self, campaign: Campaign) -> None:
        """Accepting the gate late moves the unit on; passed deadlines are overdue at once."""
        c = campaign
        c.tick("2011-09-16")
        status = c.unit_status("u")
        assert status.phase == "mobilization"
        assert status.steps["rectification_report"].status == "not_open"
        c.submit("u", "work_plan", actor="clerk", at="2011-09-16 09:00")
        c.accept("u", "work_plan", actor="office", at="2011-09-16 10:00")
        status = c.unit_status("u")
        assert status.phase == "self_check"
        assert status.steps["rectification_report"].status == "overdue"
        assert status.steps["work_plan"].late


def test_machine_refuses_unknown_role(zhiyong: CompiledCampaign) -> None:
    """Registering an actor with a role the template lacks is refused."""
    with pytest.raises(PermissionRefused, match="unknown role"):
        Campaign(zhiyong).add_actor("x", roles=["emperor"])


def test_resolve_compile_roundtrip() -> None:
    """A template compiles once and serves many campaigns."""
    compiled = compile_campaign(resolve(load_template_text(COMPLETION)))
    a, b = Campaign(compiled), Campaign(compiled)
    a.enroll("u")
    assert len(a) == 1 and len(b) == 0


def test_finding_due_at_once(zhiyong: CompiledCampaign) -> None:
    """Regression (found by the stateful kit): a finding recorded at the very end of a day
    with 0 days to rectify is due that instant: pending then, overdue right after."""
    c = make(zhiyong)
    ev = c.record_finding("county-1", actor="inspector", at="2011-09-09 23:59:59.999999", days=0)
    assert c.unit_status("county-1").steps[ev.step or ""].status == "pending"
    c.tick("2011-09-10")
    assert c.unit_status("county-1").steps[ev.step or ""].status == "overdue"
