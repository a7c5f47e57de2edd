"""Host-system workflows: who owes a step, scoped roles, extensions, warnings, corrections,
reassignment, revocation and delegation — through the API, the journal and properties."""

from __future__ import annotations

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
    UnknownActorError,
    compile_campaign,
    load_template,
    load_template_text,
    resolve,
)
from zyw_flow.runtime import register_owner

HERE = Path(__file__).parent
TEMPLATE = HERE / "templates" / "workflow" / "county-supervision.yaml"


@pytest.fixture(scope="module")
def compiled() -> CompiledCampaign:
    return compile_campaign(resolve(load_template(TEMPLATE)))


def make(compiled: CompiledCampaign) -> Campaign:
    """city → county-1 → (sec-1a, sec-1b); city → county-2 → sec-2a; a person under sec-1a."""
    c = Campaign.create(compiled)
    c.add_actor("office", roles=["office"])
    c.add_actor("c1-office", roles=["office"], unit="county-1", scope="subtree")
    c.add_actor("c1-leader", roles=["leader"], unit="county-1", scope="subtree")
    c.add_actor("c1-clerk", roles=["member"], unit="county-1", scope="subtree")
    c.add_actor("c2-clerk", roles=["member"], unit="county-2")
    c.add_actor("s1a-clerk", roles=["member"], unit="sec-1a")
    c.add_actor("city-clerk", roles=["member"], unit="city")
    c.add_actor("inspector", roles=["inspector"])
    c.enroll_many(
        [
            ("city", "市局", None),
            ("county-1", "一县局", "city"),
            ("county-2", "二县局", "city"),
            ("sec-1a", "一所", "county-1"),
            ("sec-1b", "二所", "county-1"),
            ("sec-2a", "三所", "county-2"),
            ("li", "李某", "sec-1a", "person"),
        ],
        at="2024-03-29",
    )
    return c


def owed(c: Campaign, unit: str) -> set[str]:
    return {s.split("@")[0] for s in c.unit_status(unit).steps}


# -- who owes a step ------------------------------------------------------------------------
class TestOwnership:
    def test_rules_pick_the_units(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        assert owed(c, "city") == {"plan", "city_summary", "tiered", "monthly"}
        assert owed(c, "county-1") == {"plan", "tiered", "monthly"}  # not a leaf, not root
        assert owed(c, "sec-1a") == {"plan", "leaf_report", "tiered", "monthly"}
        assert owed(c, "li") == set()  # a person owes no unit step unless one says so

    def test_unowed_steps_are_nowhere(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.tick("2024-05-01")
        overdue = {(o.unit, o.step) for o in c.overdue()}
        assert ("sec-1a", "leaf_report") in overdue
        assert ("county-1", "leaf_report") not in overdue
        assert not any(u == "li" for u, _ in overdue)
        assert ("county-1", "city_summary") not in overdue and ("city", "city_summary") in overdue
        report = c.report()
        assert "leaf_report" not in report["units"]["county-1"]["steps"]
        assert report["units"]["li"]["steps"] == {}
        steps = sum(len(c.unit_status(u).steps) for u in c.units)
        assert sum(c.board().statuses.values()) == steps  # the board counts what is owed
        with pytest.raises(TransitionRefused, match="does not owe"):
            c.submit("county-1", "leaf_report", actor="c1-clerk", at="2024-05-02")

    def test_a_leaf_that_gets_a_child_stops_owing_leaf_steps(
        self, compiled: CompiledCampaign
    ) -> None:
        c = make(compiled)
        assert "leaf_report" in owed(c, "sec-2a")
        c.enroll("team-2a", name="一组", parent="sec-2a", at="2024-04-02")
        assert "leaf_report" not in owed(c, "sec-2a")
        assert "leaf_report" in owed(c, "team-2a")

    def test_a_group_owes_its_steps_and_joins_late_as_if_enrolled_late(
        self, compiled: CompiledCampaign
    ) -> None:
        c = make(compiled)
        c.tick("2024-05-06")
        assert "lead_report" not in owed(c, "county-2")
        c.assign_group("lead", ["county-2"], actor="office", at="2024-05-06")
        s = c.unit_status("county-2").steps["lead_report"]
        # due 04-26 (Friday); levels at +1 (04-28, a make-up Sunday) and +3 working days
        assert (s.status, s.escalation, s.escalation_title) == ("overdue", 2, "红牌")
        c.assign_group("lead", ["county-2"], actor="office", at="2024-05-07", remove=True)
        assert "lead_report" not in owed(c, "county-2")

    def test_lead_and_cooperating_units(self, compiled: CompiledCampaign) -> None:
        """牵头/配合: the lead owes the deliverable, each cooperator its contribution."""
        c = make(compiled)
        c.assign_group("lead", ["county-1"], actor="office", at="2024-04-01")
        c.assign_group("cooperating", ["county-2", "sec-2a"], actor="office", at="2024-04-01")
        assert {"lead_report"} <= owed(c, "county-1")
        assert "lead_report-contribution" not in owed(c, "county-1")
        for unit in ("county-2", "sec-2a"):
            assert "lead_report-contribution" in owed(c, unit)
            assert "lead_report" not in owed(c, unit)
        c.submit("county-2", "lead_report-contribution", actor="c2-clerk", at="2024-04-22")
        c.tick("2024-04-25")
        steps = {u: c.unit_status(u).steps for u in ("county-2", "sec-2a")}
        assert steps["county-2"]["lead_report-contribution"].status == "submitted"
        assert steps["sec-2a"]["lead_report-contribution"].status == "overdue"

    def test_unknown_group_is_refused(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        before = c.cursor
        with pytest.raises(TransitionRefused, match="unknown group 'leads'"):
            c.assign_group("leads", ["county-2"], actor="office", at="2024-04-01")
        assert c.cursor == before

    def test_template_groups_are_checked(self) -> None:
        text = TEMPLATE.read_text(encoding="utf-8").replace("groups: [lead]", "groups: [leed]")
        with pytest.raises(TemplateError, match="unknown group 'leed'"):
            load_template_text(text)

    def test_a_predicate_decides_at_enrollment(self) -> None:
        text = TEMPLATE.read_text(encoding="utf-8").replace(
            "owed_by: {groups: [lead], description: 牵头单位}",
            "owed_by: {predicate: hq_named}",
        )
        compiled = compile_campaign(resolve(load_template_text(text)))
        c = Campaign.create(compiled)
        with pytest.raises(Exception, match="register it first"):
            c.enroll("x", at="2024-03-29")
        register_owner("hq_named", lambda unit: str(unit["name"] or "").endswith("指挥部"))
        c.enroll("hq", name="项目指挥部", at="2024-03-29")
        c.enroll("plain", name="一县局", at="2024-03-29")
        assert "lead_report" in owed(c, "hq") and "lead_report" not in owed(c, "plain")


# -- roles scoped to the unit tree ------------------------------------------------------------
class TestScopes:
    def test_a_county_clerk_acts_for_its_subtree(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1b", "plan", actor="c1-clerk", at="2024-04-08")
        c.submit("county-1", "plan", actor="c1-clerk", at="2024-04-08")
        with pytest.raises(PermissionRefused, match="subtree of unit 'county-1'"):
            c.submit("sec-2a", "plan", actor="c1-clerk", at="2024-04-08")
        with pytest.raises(PermissionRefused, match="acts only for unit 'county-2'"):
            c.submit("sec-2a", "plan", actor="c2-clerk", at="2024-04-08")  # no scope: own unit

    def test_a_county_office_reviews_its_own_sections_only(
        self, compiled: CompiledCampaign
    ) -> None:
        c = make(compiled)
        c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08")
        c.accept("sec-1a", "plan", actor="c1-office", at="2024-04-09")
        c.submit("city", "plan", actor="city-clerk", at="2024-04-08")
        with pytest.raises(PermissionRefused):
            c.accept("city", "plan", actor="c1-office", at="2024-04-09")

    def test_tiered_review(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1a", "tiered", actor="s1a-clerk", at="2024-05-06")
        with pytest.raises(TransitionRefused, match="tier by tier"):
            c.accept("sec-1a", "tiered", actor="office", at="2024-05-07")
        first = c.accept("sec-1a", "tiered", actor="c1-office", at="2024-05-07")
        assert first.type == "step_reviewed"
        assert c.unit_status("sec-1a").steps["tiered"].status == "submitted"
        with pytest.raises(TransitionRefused, match="campaign-wide"):
            c.accept("sec-1a", "tiered", actor="c1-office", at="2024-05-08")
        last = c.accept("sec-1a", "tiered", actor="office", at="2024-05-08")
        assert last.type == "step_accepted"
        assert c.unit_status("sec-1a").steps["tiered"].status == "accepted"

    def test_a_return_starts_the_tiers_again(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1a", "tiered", actor="s1a-clerk", at="2024-05-06")
        c.accept("sec-1a", "tiered", actor="c1-office", at="2024-05-07")
        c.return_step("sec-1a", "tiered", actor="office", reason="缺附件", at="2024-05-07")
        c.submit("sec-1a", "tiered", actor="s1a-clerk", at="2024-05-08")
        with pytest.raises(TransitionRefused, match="tier by tier"):
            c.accept("sec-1a", "tiered", actor="office", at="2024-05-09")


class TestRevocationAndDelegation:
    def test_revoked_actor_cannot_act_and_keeps_its_history(
        self, compiled: CompiledCampaign
    ) -> None:
        c = make(compiled)
        c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08")
        c.revoke_actor("s1a-clerk", at="2024-04-09", reason="调离")
        with pytest.raises(PermissionRefused, match="revoked"):
            c.submit("sec-1a", "monthly@2024-04-20", actor="s1a-clerk", at="2024-04-10")
        assert c.timeline("sec-1a")[1].actor == "s1a-clerk"
        with pytest.raises(PermissionRefused, match="new id"):
            c.add_actor("s1a-clerk", roles=["member"], unit="sec-1a")
        c.add_actor("s1a-clerk-2", roles=["member"], unit="sec-1a")
        c.submit("sec-1a", "monthly@2024-04-20", actor="s1a-clerk-2", at="2024-04-10")
        with pytest.raises(UnknownActorError):
            c.revoke_actor("nobody")

    def test_delegation_records_both(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.add_actor("deputy", roles=["member"], unit="county-2")
        c.delegate("s1a-clerk", "deputy", start="2024-04-01", end="2024-04-10")
        e = c.submit("sec-1a", "plan", actor="deputy", at="2024-04-08")
        assert (e.actor, e.data) == ("deputy", {"on_behalf_of": "s1a-clerk"})
        with pytest.raises(PermissionRefused):
            c.submit("sec-1a", "monthly@2024-04-20", actor="deputy", at="2024-04-11")


# -- extensions and deadlines ------------------------------------------------------------------
class TestExtensions:
    def test_approval_chain_moves_the_deadline_and_its_ladder(
        self, compiled: CompiledCampaign
    ) -> None:
        c = make(compiled)
        c.request_extension("sec-1a", "plan", until="2024-04-19", reason="人员抽调",
                            actor="s1a-clerk", at="2024-04-10")  # fmt: skip
        with pytest.raises(PermissionRefused):  # the unit's leader approves first
            c.approve_extension("sec-1a", "plan", actor="office", at="2024-04-10")
        c.approve_extension("sec-1a", "plan", actor="c1-leader", at="2024-04-10")
        assert c.unit_status("sec-1a").steps["plan"].due.isoformat().startswith("2024-04-12")
        c.approve_extension("sec-1a", "plan", actor="office", at="2024-04-11")
        s = c.unit_status("sec-1a").steps["plan"]
        assert s.due.isoformat().startswith("2024-04-19T23:59:59")
        assert [x["status"] for x in s.extensions] == ["approved"]
        events = c.tick("2024-04-25")
        mine = [(e.type, e.at.date().isoformat()) for e in events
                if e.unit == "sec-1a" and e.step == "plan"]  # fmt: skip
        # no overdue at the old deadline; the lights, the deadline and the ladder all moved:
        # 蓝灯 3 and 黄灯 1 working days before 04-19, 催办 1 and 红牌 3 working days after
        assert mine == [
            ("step_warned", "2024-04-16"),
            ("step_warned", "2024-04-18"),
            ("step_overdue", "2024-04-19"),
            ("step_escalated", "2024-04-22"),
            ("step_escalated", "2024-04-24"),
        ]
        assert c.unit_status("sec-1b").steps["plan"].escalation == 2  # the others: 04-12

    def test_refusal_changes_nothing(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.request_extension("sec-1a", "plan", until="2024-04-19", reason="r", actor="s1a-clerk",
                            at="2024-04-10")  # fmt: skip
        c.refuse_extension("sec-1a", "plan", actor="c1-leader", at="2024-04-11", reason="不必")
        s = c.unit_status("sec-1a").steps["plan"]
        assert s.due.isoformat().startswith("2024-04-12")
        assert [x["status"] for x in s.extensions] == ["refused"]

    @pytest.mark.parametrize(
        ("until", "at", "message"),
        [
            ("2024-04-19", "2024-04-13", "deadline passed"),
            ("2024-04-11", "2024-04-10", "must be later"),
            ("2024-05-31", "2024-04-10", "at most 10 working days"),
        ],
    )
    def test_bad_requests_are_refused(
        self, compiled: CompiledCampaign, until: str, at: str, message: str
    ) -> None:
        c = make(compiled)
        before = c.report()
        with pytest.raises(TransitionRefused, match=message):
            c.request_extension("sec-1a", "plan", until=until, reason="r", actor="s1a-clerk",
                                at=at)  # fmt: skip
        assert c.report() == before

    def test_limits(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        with pytest.raises(TransitionRefused, match="allows no extension"):
            c.assign_group("lead", ["sec-1a"], actor="office", at="2024-04-01")
            c.request_extension("sec-1a", "lead_report", until="2024-04-30", reason="r",
                                actor="s1a-clerk", at="2024-04-02")  # fmt: skip
        c.request_extension("sec-1a", "plan", until="2024-04-16", reason="r", actor="s1a-clerk",
                            at="2024-04-10")  # fmt: skip
        with pytest.raises(TransitionRefused, match="pending already"):
            c.request_extension("sec-1a", "plan", until="2024-04-17", reason="r",
                                actor="s1a-clerk", at="2024-04-10")  # fmt: skip
        c.approve_extension("sec-1a", "plan", actor="c1-leader", at="2024-04-11")
        c.approve_extension("sec-1a", "plan", actor="office", at="2024-04-11")
        with pytest.raises(TransitionRefused, match="allows 1 extension"):
            c.request_extension("sec-1a", "plan", until="2024-04-18", reason="r",
                                actor="s1a-clerk", at="2024-04-12")  # fmt: skip

    def test_a_recurring_instance_is_extended_alone(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.request_extension("sec-1a", "monthly@2024-04-20", until="2024-04-25", reason="r",
                            actor="s1a-clerk", at="2024-04-15")  # fmt: skip
        c.approve_extension("sec-1a", "monthly@2024-04-20", actor="c1-leader", at="2024-04-15")
        c.approve_extension("sec-1a", "monthly@2024-04-20", actor="office", at="2024-04-15")
        steps = c.unit_status("sec-1a").steps
        assert steps["monthly@2024-04-20"].due.day == 25
        assert steps["monthly@2024-05-20"].due.day == 20

    def test_set_deadline_reopens_a_late_unit(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.tick("2024-04-20")
        c.enroll("sec-1c", name="新所", parent="county-1", at="2024-04-20")
        assert c.unit_status("sec-1c").steps["plan"].status == "overdue"
        c.set_deadline("sec-1c", "plan", until="2024-04-30", reason="新设机构", actor="office",
                       at="2024-04-22")  # fmt: skip
        s = c.unit_status("sec-1c").steps["plan"]
        assert (s.status, s.escalation, s.due.day) == ("pending", 0, 30)
        with pytest.raises(PermissionRefused):
            c.set_deadline("sec-1c", "plan", until="2024-05-06", reason="r", actor="c1-clerk",
                           at="2024-04-22")  # fmt: skip


# -- warning lights ----------------------------------------------------------------------------
class TestWarnings:
    def test_lights_come_on_before_the_deadline(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        events = c.tick("2024-04-12 12:00")
        lights = [
            (e.data["level"], e.at.date().isoformat())
            for e in events
            if e.type == "step_warned" and e.unit == "sec-1a" and e.step == "plan"
        ]
        # due 04-12 (Friday): 3 working days before is 04-09, 1 working day before 04-11
        assert lights == [("blue", "2024-04-09"), ("yellow", "2024-04-11")]
        s = c.unit_status("sec-1a").steps["plan"]
        assert (s.warning, s.warning_title) == ("yellow", "黄灯")
        assert c.report()["units"]["sec-1a"]["steps"]["plan"]["warning"] == "yellow"

    def test_lists_and_board_show_the_light(self, compiled: CompiledCampaign) -> None:
        import datetime as dt

        from zyw_flow.board import board_data

        c = make(compiled)
        c.tick("2024-04-12 12:00")
        soon = {(d.unit, d.step): d.warning for d in c.due_soon(dt.timedelta(days=2))}
        assert soon[("sec-1a", "plan")] == "yellow"
        c.tick("2024-04-14")
        late = {(o.unit, o.step): o.warning for o in c.overdue()}
        assert late[("sec-1a", "plan")] == "yellow"
        data = board_data(c)
        (unit,) = [u for u in data["units"] if u["id"] == "sec-1a"]
        (plan,) = [s for s in unit["steps"] if s["step"] == "plan"]
        assert (plan["warning"], plan["warning_title"]) == ("yellow", "黄灯")

    def test_a_submitted_step_shows_no_light(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08")
        events = c.tick("2024-04-12")
        assert not [e for e in events if e.type == "step_warned" and e.unit == "sec-1a"
                    and e.step == "plan"]  # fmt: skip
        assert c.unit_status("sec-1a").steps["plan"].warning is None

    def test_bad_lead_time_is_located(self) -> None:
        text = TEMPLATE.read_text(encoding="utf-8").replace(
            "before: 1 working day}", "before: soon}"
        )
        with pytest.raises(TemplateError, match=r"warnings\[1\]\.before: bad lead time"):
            load_template_text(text)


# -- corrections and reassignment ----------------------------------------------------------------
class TestVoid:
    def test_a_voided_submission_is_as_if_never_made(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08", key="wrong-unit")
        c.tick("2024-04-20")
        assert c.unit_status("sec-1a").steps["plan"].status == "submitted"
        e = c.void("wrong-unit", reason="记错单位", actor="office", at="2024-04-20")
        assert e.type == "event_voided" and e.data["target_type"] == "step_submitted"
        s = c.unit_status("sec-1a").steps["plan"]
        assert (s.status, s.escalation) == ("overdue", 2)  # as sec-1b, which did nothing
        assert c.unit_status("sec-1b").steps["plan"].escalation == 2
        with pytest.raises(TransitionRefused, match="void already"):
            c.void("wrong-unit", reason="again", actor="office", at="2024-04-21")

    def test_a_later_action_must_be_voided_first(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08", key="s")
        c.accept("sec-1a", "plan", actor="office", at="2024-04-09", key="a")
        with pytest.raises(TransitionRefused, match="void that first"):
            c.void("s", reason="r", actor="office", at="2024-04-10")
        c.void("a", reason="r", actor="office", at="2024-04-10")
        assert c.unit_status("sec-1a").steps["plan"].status == "submitted"
        c.void("s", reason="r", actor="office", at="2024-04-10")
        assert c.unit_status("sec-1a").steps["plan"].status == "pending"

    def test_only_authorised_roles_void(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08", key="s")
        with pytest.raises(PermissionRefused):
            c.void("s", reason="r", actor="s1a-clerk", at="2024-04-09")
        with pytest.raises(TransitionRefused, match="no recorded action"):
            c.void("nope", reason="r", actor="office", at="2024-04-09")


class TestTransfer:
    def test_a_finding_changes_hands_with_its_deadline(self, compiled: CompiledCampaign) -> None:
        c = make(compiled)
        f = c.record_finding("sec-1a", actor="inspector", at="2024-04-08", description="台账缺失")
        assert f.step is not None
        due = c.unit_status("sec-1a").steps[f.step].due
        c.transfer("sec-1a", f.step, to="sec-1b", reason="属二所职责", actor="office",
                   at="2024-04-09")  # fmt: skip
        assert f.step not in c.unit_status("sec-1a").steps
        assert c.unit_status("sec-1b").steps[f.step].due == due
        assert c.restrictions("sec-1a") == () and c.restrictions("sec-1b") != ()
        group = c.assign_group("lead", ["sec-1a", "sec-1b"], actor="office", at="2024-04-10")
        assert group.data == {"group": "lead", "units": ["sec-1a", "sec-1b"]}
        assert c.timeline("sec-1b")[-1].type == "group_assigned"
        assert all(e.type != "group_assigned" for e in c.timeline("county-1"))

    def test_a_template_step_moves_only_to_a_unit_that_does_not_owe_it(
        self, compiled: CompiledCampaign
    ) -> None:
        c = make(compiled)
        with pytest.raises(TransitionRefused, match="owes step 'plan' itself"):
            c.transfer("sec-1a", "plan", to="sec-1b", reason="r", actor="office",
                       at="2024-04-09")  # fmt: skip
        c.transfer("sec-1a", "leaf_report", to="county-1", reason="上收", actor="office",
                   at="2024-04-09", until="2024-04-26")  # fmt: skip
        assert "leaf_report" in owed(c, "county-1") and "leaf_report" not in owed(c, "sec-1a")
        assert c.unit_status("county-1").steps["leaf_report"].due.day == 26


# -- the journal ------------------------------------------------------------------------------
def _workload(c: Campaign) -> None:
    c.assign_group("lead", ["county-1"], actor="office", at="2024-04-01")
    c.submit("sec-1a", "plan", actor="s1a-clerk", at="2024-04-08", key="k1")
    c.request_extension("sec-1b", "plan", until="2024-04-19", reason="r", actor="c1-clerk",
                        at="2024-04-09")  # fmt: skip
    c.approve_extension("sec-1b", "plan", actor="c1-leader", at="2024-04-10")
    c.approve_extension("sec-1b", "plan", actor="office", at="2024-04-10")
    f = c.record_finding("sec-2a", actor="inspector", at="2024-04-10")
    assert f.step is not None
    c.transfer("sec-2a", f.step, to="county-2", reason="r", actor="office", at="2024-04-11")
    c.tick("2024-04-20")
    c.set_deadline("county-2", "plan", until="2024-04-30", reason="r", actor="office",
                   at="2024-04-22")  # fmt: skip
    c.void("k1", reason="r", actor="office", at="2024-04-22")
    c.revoke_actor("c2-clerk", at="2024-04-22")
    c.tick("2024-05-20")


def test_replayed_from_sqlite_equals_live(compiled: CompiledCampaign, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    live = Campaign.create_stored(str(db), compiled)
    seed = make(compiled)
    for actor in seed.actors.values():
        live.add_actor(actor.id, sorted(actor.roles), actor.unit, actor.name, scope=actor.scope)
    live.enroll_many([(s.unit, s.name, s.parent, s.kind) for s in seed.iter_units()],
                     at="2024-03-29")  # fmt: skip
    _workload(live)
    expected = json.dumps(live.report(), sort_keys=True, ensure_ascii=False)
    live.close()
    with Campaign.open(str(db)) as again:
        assert json.dumps(again.report(), sort_keys=True, ensure_ascii=False) == expected
        assert again.verify_journal().ok


# -- properties -------------------------------------------------------------------------------
_DAYS = st.integers(min_value=1, max_value=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_day=st.integers(min_value=1, max_value=20), extra=_DAYS)
def test_an_approved_extension_never_moves_a_deadline_earlier(request_day: int, extra: int) -> None:
    compiled = _compiled()
    c = make(compiled)
    old = c.unit_status("sec-1a").steps["plan"].due
    until = f"2024-04-{min(12 + extra % 19, 30):02d}"
    try:
        c.request_extension("sec-1a", "plan", until=until, reason="r", actor="s1a-clerk",
                            at=f"2024-04-{request_day:02d}")  # fmt: skip
        c.approve_extension("sec-1a", "plan", actor="c1-leader", at=f"2024-04-{request_day:02d}")
        c.approve_extension("sec-1a", "plan", actor="office", at=f"2024-04-{request_day:02d}")
    except TransitionRefused:
        assert c.unit_status("sec-1a").steps["plan"].due == old
        return
    new = c.unit_status("sec-1a").steps["plan"].due
    assert new > old
    events = c.tick("2024-04-30")
    assert not any(e.type == "step_overdue" and e.unit == "sec-1a" and e.step == "plan"
                   and e.at == old for e in events)  # fmt: skip


_COMPILED: list[CompiledCampaign] = []


def _compiled() -> CompiledCampaign:
    if not _COMPILED:
        _COMPILED.append(compile_campaign(resolve(load_template(TEMPLATE))))
    return _COMPILED[0]


_ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["submit", "extend", "deadline"]),
        st.sampled_from(["sec-1a", "sec-1b", "sec-2a", "county-1"]),
        st.integers(min_value=1, max_value=25),
    ),
    max_size=6,
)


def _act(c: Campaign, action: tuple[str, str, int]) -> None:
    verb, unit, day = action
    at = f"2024-04-{day:02d}"
    clerk = {"sec-1a": "s1a-clerk", "sec-2a": "c2-clerk"}.get(unit, "c1-clerk")
    if unit == "sec-2a":
        clerk = "office"  # not a clerk of sec-2a: submit refused, deadline allowed
    try:
        if verb == "submit":
            c.submit(unit, "plan", actor=clerk, at=at)
        elif verb == "extend":
            c.request_extension(unit, "plan", until="2024-04-19", reason="r", actor=clerk, at=at)
            c.approve_extension(unit, "plan", actor="c1-leader", at=at)
            c.approve_extension(unit, "plan", actor="office", at=at)
        else:
            c.set_deadline(unit, "plan", until="2024-04-26", reason="r", actor="office", at=at)
    except (TransitionRefused, PermissionRefused):
        pass
    except Exception as exc:  # a time-order refusal is fine; anything else is a bug
        assert type(exc).__name__ == "TimeOrderError", exc


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions=_ACTIONS)
def test_daily_ticks_equal_one_tick_with_warnings_and_extensions(
    actions: list[tuple[str, str, int]],
) -> None:
    compiled = _compiled()
    daily, once = make(compiled), make(compiled)
    for action in sorted(actions, key=lambda a: a[2]):
        for c in (daily, once):
            _act(c, action)
    for day in range(1, 31):
        daily.tick(f"2024-05-{day:02d}")
    once.tick("2024-05-30")

    def seen(c: Campaign) -> list[Any]:
        return sorted((e.type, e.unit, e.step, e.at_us, json.dumps(e.data, sort_keys=True))
                      for e in c.events(0))  # fmt: skip

    assert seen(daily) == seen(once)
    assert daily.report(events=False) == once.report(events=False)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(day=st.integers(min_value=1, max_value=25), later=st.integers(min_value=0, max_value=20))
def test_void_then_state_equals_never_recorded(day: int, later: int) -> None:
    compiled = _compiled()
    a, b = make(compiled), make(compiled)
    a.submit("sec-1a", "plan", actor="s1a-clerk", at=f"2024-04-{day:02d}", key="k")
    when = f"2024-05-{1 + later:02d}"
    for c in (a, b):
        c.tick(when)
    a.void("k", reason="r", actor="office", at=when)
    assert a.report(events=False)["units"] == b.report(events=False)["units"]
