"""Complaints (效能投诉): intake, hand-over with a reply deadline (限时办结), 督办, reply,
callback (回访), closure, follow-up, monthly statistics and replay."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import store_fixtures
from zyw_flow import (
    Campaign,
    PermissionRefused,
    TemplateError,
    TransitionRefused,
    UnknownRecordError,
    UnknownUnitError,
)
from zyw_flow.template import load_template_text

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

TEMPLATE = "xingzheng-wenze"
END = "T23:59:59.999999+08:00"


def setup(c: Campaign) -> Campaign:
    """Two departments under a city, the office, the inspectors and the accountability body."""
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    c.add_actor("wenze", roles=["accountability"])
    c.add_actor("clerk-a", roles=["member"], unit="dept-a")
    c.add_actor("clerk-b", roles=["member"], unit="dept-b")
    c.enroll("city", name="市政府", at="2012-01-01")
    c.enroll("dept-a", name="市住建局", parent="city", at="2012-01-01")
    c.enroll("dept-b", name="市国土局", parent="city", at="2012-01-01")
    return c


@pytest.fixture
def c() -> Campaign:
    return setup(Campaign.create(TEMPLATE))


def register(c: Campaign, unit: str = "dept-a", at: str = "2012-03-05 09:00", **kw: Any) -> str:
    kw.setdefault("channel", "hotline")
    ev = c.register_complaint(unit, actor="office", at=at, **kw)
    return str(ev.data["complaint"])  # type: ignore[index]


class TestLifecycle:
    def test_on_time(self, c: Campaign) -> None:
        """Handed over on Monday, due five working days later, replied in time: not late."""
        cid = register(c, category="涉企投诉", summary="施工许可久拖不办")
        ev = c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        assert (ev.type, ev.unit, ev.step) == ("complaint_assigned", "dept-a", cid)
        assert ev.data is not None and ev.data["due"] == "2012-03-12" + END  # Mon + 5 wd
        c.reply_complaint(
            cid, actor="clerk-a", substantiated=False, reply="材料不全", at="2012-03-09 15:00"
        )
        c.tick("2012-04-30")
        view = c.complaint(cid)
        assert (view.status, view.late, view.on_time, view.overdue) == (
            "replied",
            False,
            True,
            False,
        )
        step = c.unit_status("dept-a").steps[cid]
        assert (step.status, step.late, step.escalation) == ("accepted", False, 0)
        assert not [e for e in c.events() if e.step == cid and e.type == "step_overdue"]
        c.callback_complaint(cid, actor="office", satisfaction="satisfied", at="2012-04-30")
        c.close_complaint(cid, actor="office", at="2012-04-30")
        assert c.complaint(cid).status == "closed"

    def test_late_with_supervision(self, c: Campaign) -> None:
        """Unanswered: overdue at its deadline, then 催办 and 督办 on their working days,
        each stamped at its instant; the late reply stops the ladder."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00", mode="assign")
        events = c.tick("2012-03-19")
        mine = [
            (e.type, e.at.isoformat(), (e.data or {}).get("title")) for e in events if e.step == cid
        ]
        assert mine == [
            ("step_overdue", "2012-03-12" + END, None),
            ("step_escalated", "2012-03-13" + END, "催办"),  # 1 working day after
            ("step_escalated", "2012-03-15" + END, "督办"),  # 3 working days after
        ]
        assert c.complaint(cid).overdue
        assert [(o.unit, o.step, o.escalation_title) for o in c.overdue() if o.step == cid] == [
            ("dept-a", cid, "督办")
        ]
        stats = c.complaint_statistics("2012-03").total
        assert (stats.overdue, stats.replied) == (1, 0)
        ev = c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-03-20")
        assert ev.data is not None and ev.data["late"] is True
        view = c.complaint(cid)
        assert (view.late, view.on_time, view.overdue, view.escalation) == (True, False, False, 2)
        stats = c.complaint_statistics("2012-03").total
        assert (stats.overdue, stats.replied, stats.late, stats.on_time) == (0, 1, 1, 0)

    def test_reply_deadline_days_and_template_default(self) -> None:
        """``days=`` overrides the template's reply_days; the default is the template's."""
        text = (store_fixtures.ROOT / "templates" / f"{TEMPLATE}.yaml").read_text("utf-8")
        compiled = Campaign.create(
            load_template_text(text.replace("reply_days: 5", "reply_days: 2"))
        )
        c = setup(compiled)
        a = register(c)
        b = register(c, at="2012-03-05 09:30")
        assert c.assign_complaint(a, actor="office", at="2012-03-05 10:00").data["due"] == (  # type: ignore[index]
            "2012-03-07" + END
        )
        ev = c.assign_complaint(b, actor="office", at="2012-03-05 10:00", days=0)
        assert ev.data is not None and ev.data["due"] == "2012-03-05" + END

    def test_transfer_to_another_unit(self, c: Campaign) -> None:
        """转办 to the competent unit: the deadline is that unit's step; it replies."""
        cid = register(c, unit="dept-a")
        c.assign_complaint(cid, actor="office", to="dept-b", at="2012-03-05 10:00")
        assert cid in c.unit_status("dept-b").steps
        assert cid not in c.unit_status("dept-a").steps
        with pytest.raises(PermissionRefused):
            c.reply_complaint(cid, actor="clerk-a", substantiated=False, at="2012-03-06")
        c.reply_complaint(cid, actor="clerk-b", substantiated=False, at="2012-03-06")
        view = c.complaint(cid)
        assert (view.unit, view.handler) == ("dept-a", "dept-b")
        assert [e.type for e in c.timeline("dept-b") if e.type.startswith("complaint")] == [
            "complaint_assigned",
            "complaint_replied",
        ]

    def test_reply_deadline_is_no_rectification(self, c: Campaign) -> None:
        """An open reply deadline does not freeze the unit's principal (no 整改)."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        assert c.restrictions("dept-a") == ()


class TestSubstantiated:
    def test_finding_and_sanction(self, c: Campaign) -> None:
        """A substantiated complaint opens a finding (source complaint) and a sanction."""
        cid = register(c, summary="窗口人员态度恶劣")
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-03-07")
        ev = c.act_on_complaint(
            cid, actor="wenze", sanction="circulated_criticism", days=10, at="2012-03-08"
        )
        assert ev.type == "complaint_actioned"
        assert ev.data == {
            "complaint": cid,
            "finding": "finding-1",
            "sanction": "circulated_criticism",
        }
        found = [e for e in c.events() if e.type == "finding_recorded"]
        assert [(e.step, e.data["source"], e.data["complaint"]) for e in found] == [  # type: ignore[index]
            ("finding-1", "complaint", cid)
        ]
        assert found[0].data["due"] == "2012-03-22" + END  # type: ignore[index]
        status = c.unit_status("dept-a")
        assert [s["sanction"] for s in status.sanctions] == ["circulated_criticism"]
        assert status.steps["finding-1"].status == "pending"
        assert c.restrictions("dept-a") == ("no_transfer_or_promotion_of_principal",)
        view = c.complaint(cid)
        assert (view.findings, view.sanctions) == (("finding-1",), ("circulated_criticism",))

    def test_not_substantiated_is_refused(self, c: Campaign) -> None:
        """Only a substantiated complaint is followed up; nothing changes on refusal."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        with pytest.raises(TransitionRefused, match="no reply yet"):
            c.act_on_complaint(cid, actor="wenze", at="2012-03-06")
        c.reply_complaint(cid, actor="clerk-a", substantiated=False, at="2012-03-07")
        before = c.cursor
        with pytest.raises(TransitionRefused, match="not substantiated"):
            c.act_on_complaint(cid, actor="wenze", at="2012-03-08")
        assert c.cursor == before

    def test_roles_of_the_follow_up(self, c: Campaign) -> None:
        """The finding needs the finding roles, the sanction the sanction roles: all or none."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-03-07")
        before = c.cursor
        with pytest.raises(PermissionRefused):
            c.act_on_complaint(cid, actor="inspector", sanction="interview", at="2012-03-08")
        assert c.cursor == before and c.unit_status("dept-a").sanctions == ()
        c.act_on_complaint(cid, actor="inspector", at="2012-03-08")
        assert c.complaint(cid).findings == ("finding-1",)


class TestRefusals:
    def test_illegal_transitions(self, c: Campaign) -> None:
        """Every step out of order is refused with a typed error and changes nothing."""
        cid = register(c)
        before = c.cursor
        refusals = [
            lambda: c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-03-06"),
            lambda: c.callback_complaint(
                cid, actor="office", satisfaction="satisfied", at="2012-03-06"
            ),
            lambda: c.close_complaint(cid, actor="office", at="2012-03-06"),
        ]
        for call in refusals:
            with pytest.raises(TransitionRefused):
                call()
        assert c.cursor == before
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        with pytest.raises(TransitionRefused, match="already been handed over"):
            c.assign_complaint(cid, actor="office", at="2012-03-05 11:00")
        c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-03-06")
        with pytest.raises(TransitionRefused, match="already been replied"):
            c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-03-06")
        c.close_complaint(cid, actor="office", at="2012-03-07")
        for call in (
            lambda: c.close_complaint(cid, actor="office", at="2012-03-08"),
            lambda: c.callback_complaint(
                cid, actor="office", satisfaction="satisfied", at="2012-03-08"
            ),
        ):
            with pytest.raises(TransitionRefused):
                call()

    def test_bad_input(self, c: Campaign) -> None:
        """Unknown channel, category, mode, satisfaction, complaint or unit; no bool."""
        with pytest.raises(TransitionRefused, match="unknown channel 'fax'"):
            register(c, channel="fax")
        with pytest.raises(TransitionRefused, match="unknown category"):
            register(c, category="其他")
        with pytest.raises(UnknownUnitError):
            register(c, unit="dept-x")
        cid = register(c)
        with pytest.raises(TransitionRefused, match="unknown mode"):
            c.assign_complaint(cid, actor="office", mode="forward", at="2012-03-06")
        with pytest.raises(UnknownRecordError):
            c.assign_complaint("complaint-9", actor="office", at="2012-03-06")
        with pytest.raises(UnknownUnitError):
            c.assign_complaint(cid, actor="office", to="dept-x", at="2012-03-06")
        c.assign_complaint(cid, actor="office", at="2012-03-06")
        with pytest.raises(TransitionRefused, match="true or false"):
            c.reply_complaint(cid, actor="clerk-a", substantiated="yes", at="2012-03-06")  # type: ignore[arg-type]
        c.reply_complaint(cid, actor="clerk-a", substantiated=False, at="2012-03-06")
        with pytest.raises(TransitionRefused, match="unknown satisfaction"):
            c.callback_complaint(cid, actor="office", satisfaction="happy", at="2012-03-07")
        with pytest.raises(TransitionRefused, match="YYYY-MM"):
            c.complaint_statistics("March")

    def test_permissions(self, c: Campaign) -> None:
        """Intake is the office's; a member replies only for its own unit."""
        with pytest.raises(PermissionRefused):
            c.register_complaint("dept-a", channel="hotline", actor="clerk-a", at="2012-03-05")
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        with pytest.raises(PermissionRefused):
            c.reply_complaint(cid, actor="clerk-b", substantiated=False, at="2012-03-06")

    def test_not_delegable(self, c: Campaign) -> None:
        """A delegate of the office (代办) may not take complaints in on its behalf."""
        c.add_actor("helper", roles=[])
        c.delegate("office", "helper", start="2012-03-01", end="2012-04-01")
        with pytest.raises(PermissionRefused):
            c.register_complaint("dept-a", channel="hotline", actor="helper", at="2012-03-05")

    def test_generic_step_verbs_do_not_answer_a_complaint(self, c: Campaign) -> None:
        """The reply deadline is answered by reply_complaint only, not by submit."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        with pytest.raises(TransitionRefused, match="answered by reply_complaint"):
            c.submit("dept-a", cid, actor="clerk-a", at="2012-03-06")
        with pytest.raises(TransitionRefused, match="answered by reply_complaint"):
            c.accept("dept-a", cid, actor="office", at="2012-03-06")
        with pytest.raises(TransitionRefused, match="answered by reply_complaint"):
            c.waive("dept-a", cid, actor="office", reason="r", at="2012-03-06")
        with pytest.raises(TransitionRefused, match="answered by reply_complaint"):
            c.return_step("dept-a", cid, actor="office", reason="r", at="2012-03-06")
        assert c.complaint(cid).status == "assigned"
        assert c.unit_status("dept-a").steps[cid].status == "pending"

    def test_idempotent_intake(self, c: Campaign) -> None:
        """The same key and content is one complaint, reported as a duplicate."""
        first = c.register_complaint(
            "dept-a", channel="visit", actor="office", key="k1", at="2012-03-05"
        )
        again = c.register_complaint(
            "dept-a", channel="visit", actor="office", key="k1", at="2012-03-05"
        )
        assert again.duplicate and again.seq == first.seq
        assert len(c.complaints()) == 1


class TestComplainantWithheld:
    def test_not_in_events_reports_or_views(self, c: Campaign) -> None:
        """Who complained is kept, but shown only when asked for."""
        cid = register(c, complainant="张三 13800000000")
        assert "张三" not in json.dumps(c.report(), ensure_ascii=False)
        assert "张三" not in json.dumps([e.to_json() for e in c.events()], ensure_ascii=False)
        assert "张三" not in json.dumps(c.complaint(cid).to_json(), ensure_ascii=False)
        assert "张三" not in json.dumps(c.complaint_statistics().to_json(), ensure_ascii=False)
        assert [x["id"] for x in c.report()["complaints"]] == [cid]
        assert c.complaint(cid).complainant is None
        assert c.complaint(cid, complainant=True).complainant == "张三 13800000000"


# -- statistics (按月通报) -------------------------------------------------------------------
def run_month(c: Campaign) -> None:
    """March: five complaints over two units and three channels; April: one."""
    plan = [  # unit, channel, replied at (None: never), substantiated, satisfaction
        ("dept-a", "hotline", "2012-03-08", True, "satisfied"),
        ("dept-a", "online", "2012-03-20", False, "dissatisfied"),  # late
        ("dept-b", "hotline", "2012-03-09", False, "basically_satisfied"),
        ("dept-b", "letter", None, None, None),  # never answered: overdue
        ("dept-a", "hotline", "2012-03-12", True, None),  # no callback
    ]
    for i, (unit, channel, _, _, _) in enumerate(plan):
        register(c, unit=unit, channel=channel, at=f"2012-03-05 0{i}:00")
    for i in range(len(plan)):
        c.assign_complaint(f"complaint-{i + 1}", actor="office", at=f"2012-03-05 1{i}:00")
    c.tick("2012-03-07")
    for i, (unit, _, replied, subst, _) in sorted(enumerate(plan), key=lambda x: x[1][2] or "9"):
        if replied is None:
            continue
        cid = f"complaint-{i + 1}"
        actor = "clerk-a" if unit == "dept-a" else "clerk-b"
        c.reply_complaint(cid, actor=actor, substantiated=bool(subst), at=replied)
    for i, (_, _, _, _, satisfaction) in enumerate(plan):
        if satisfaction is not None:
            c.callback_complaint(
                f"complaint-{i + 1}", actor="office", satisfaction=satisfaction, at="2012-03-28"
            )
    register(c, unit="dept-b", channel="media", at="2012-04-02")


class TestStatistics:
    def test_monthly_report(self, c: Campaign) -> None:
        """Hand-counted: March has 5 received, 4 replied (3 on time, 1 late), 1 overdue,
        2 substantiated, 3 callbacks of which 2 satisfied (0.6667)."""
        run_month(c)
        march = c.complaint_statistics("2012-03")
        t = march.total
        assert (t.received, t.replied, t.on_time, t.late, t.overdue) == (5, 4, 3, 1, 1)
        assert (t.substantiated, t.callbacks, t.satisfied) == (2, 3, 2)
        assert t.satisfaction_rate == Decimal("0.6667")
        assert t.on_time_rate == Decimal("0.7500")
        a, b = march.by_unit["dept-a"], march.by_unit["dept-b"]
        assert (a.received, a.on_time, a.late, a.callbacks, a.satisfied) == (3, 2, 1, 2, 1)
        assert a.satisfaction_rate == Decimal("0.5000")
        assert (b.received, b.on_time, b.overdue, b.satisfaction_rate) == (2, 1, 1, Decimal(1))
        hot = march.by_channel["hotline"]
        assert (hot.received, hot.on_time, hot.substantiated) == (3, 3, 2)
        assert march.by_channel["media"].received == 0
        assert march.by_channel["media"].satisfaction_rate is None
        assert list(march.by_channel) == ["hotline", "online", "media", "letter", "visit"]
        april = c.complaint_statistics("2012-04")
        assert (april.total.received, list(april.by_unit)) == (1, ["dept-b"])
        assert c.complaint_statistics().total.received == 6
        out = march.to_json()
        assert out["total"]["satisfaction_rate"] == "0.6667"


@st.composite
def plans(draw: st.DrawFn) -> list[tuple[int, int | None, int | None]]:
    """Complaints: (reply day offset or None, satisfaction index or None) per complaint."""
    n = draw(st.integers(1, 8))
    out = []
    for _ in range(n):
        unit = draw(st.integers(0, 1))
        reply = draw(st.one_of(st.none(), st.integers(0, 14)))
        sat = None if reply is None else draw(st.one_of(st.none(), st.integers(0, 2)))
        out.append((unit, reply, sat))
    return out


@given(plans())
def test_statistics_agree_with_a_recount(plan: list[tuple[int, int | None, int | None]]) -> None:
    """Whatever the replies and answers, the figures agree with counting the complaints one
    by one: on time means replied by the deadline shown; the rate is satisfied/callbacks."""
    c = setup(Campaign.create(TEMPLATE))
    answers = ["satisfied", "basically_satisfied", "dissatisfied"]
    for i, (unit, _, _) in enumerate(plan):
        register(c, unit=("dept-a", "dept-b")[unit], at=f"2012-03-05 0{i}:00")
    for i in range(len(plan)):
        c.assign_complaint(f"complaint-{i + 1}", actor="office", at=f"2012-03-05 09:0{i}")
    start = dt.date(2012, 3, 5)
    order = sorted((r, i) for i, (_, r, _) in enumerate(plan) if r is not None)
    for r, i in order:
        clerk = ("clerk-a", "clerk-b")[plan[i][0]]
        c.reply_complaint(
            f"complaint-{i + 1}",
            actor=clerk,
            substantiated=r % 2 == 0,
            at=(start + dt.timedelta(days=r)).isoformat() + " 12:00",
        )
    for i, (_, _, sat) in enumerate(plan):
        if sat is not None:
            c.callback_complaint(
                f"complaint-{i + 1}", actor="office", satisfaction=answers[sat], at="2012-03-30"
            )
    c.tick("2012-03-31")
    views = c.complaints()
    t = c.complaint_statistics("2012-03").total
    on_time = [
        v for v in views if v.replied is not None and v.due is not None and v.replied <= v.due
    ]
    assert t.received == len(plan)
    assert t.on_time == len(on_time)
    assert t.on_time + t.late == t.replied == sum(1 for v in views if v.replied is not None)
    assert t.overdue == sum(1 for v in views if v.replied is None)  # all past due by 03-31
    calls = [v.satisfaction for v in views if v.satisfaction is not None]
    happy = sum(1 for s in calls if s != "dissatisfied")
    assert (t.callbacks, t.satisfied) == (len(calls), happy)
    if calls:
        assert t.satisfaction_rate == (Decimal(happy) / len(calls)).quantize(Decimal("0.0001"))
    by_unit = c.complaint_statistics("2012-03").by_unit
    assert sum(x.received for x in by_unit.values()) == t.received


# -- replay ------------------------------------------------------------------------------------
def everything(c: Campaign) -> str:
    return json.dumps(
        {
            "report": c.report(),
            "complaints": [v.to_json() for v in c.complaints()],
            "shown": [c.complaint(v.id, complainant=True).to_json() for v in c.complaints()],
            "stats": c.complaint_statistics().to_json(),
            "timelines": {u: [e.to_json() for e in c.timeline(u)] for u in c.units},
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )


class TestReplay:
    def test_store_replays_to_the_live_state(self, store: store_fixtures.Store) -> None:
        """A stored campaign reopened (with and without a snapshot) equals the live one."""
        c = setup(Campaign.create_stored(store.target, TEMPLATE))
        run_month(c)
        cid = register(c, complainant="李四", at="2012-04-03")
        c.assign_complaint(cid, actor="office", at="2012-04-03")
        c.reply_complaint(cid, actor="clerk-a", substantiated=True, at="2012-04-05")
        c.act_on_complaint(cid, actor="wenze", sanction="interview", at="2012-04-06")
        c.tick("2012-04-30")
        live = everything(c)
        c.save_snapshot()
        c.close()
        for use_snapshot in (True, False):
            again = Campaign.open(store.target, use_snapshot=use_snapshot)
            assert everything(again) == live
            again.close()
        again = Campaign.open(store.target)
        # the schedule came back too: an open deadline still escalates, a new one as well
        n = register(again, at="2012-05-02")
        again.assign_complaint(n, actor="office", at="2012-05-02")
        again.tick("2012-05-31")
        assert again.complaint(n).escalation == 2
        again.close()


class TestTemplateBlock:
    HEAD = "id: probe\ntitle: 探针\nparams:\n  year: {type: int, default: 2012}\n"
    PHASE = "phases:\n  - {id: work, title: 工作, window: 3月}\n"

    def test_problems_are_reported_with_their_path(self) -> None:
        """A bad delay and a satisfied answer off the scale are template errors."""
        text = (
            self.HEAD + "complaints:\n  reply_days: soon\n"
            "  satisfaction: {good: 好, bad: 差}\n  satisfied: [great]\n" + self.PHASE
        )
        with pytest.raises(TemplateError) as err:
            load_template_text(text)
        paths = {p.path for p in err.value.problems}
        assert {"complaints.reply_days", "complaints.satisfied[0]"} <= paths

    def test_schema_refuses_unknown_keys(self) -> None:
        with pytest.raises(TemplateError, match="complaints"):
            load_template_text(self.HEAD + "complaints:\n  reply_in: 3\n" + self.PHASE)

    def test_custom_block(self) -> None:
        """Channels, categories and a scale of its own; calendar-day reply period."""
        text = (
            self.HEAD + "complaints:\n  reply_days: 7 days\n  channels: [hotline]\n"
            "  satisfaction: {good: 好, fair: 一般, bad: 差}\n  satisfied: [good]\n" + self.PHASE
        )
        cfg = load_template_text(text).complaints
        assert (cfg.reply_days, cfg.reply_unit, cfg.channels) == (7, "days", ("hotline",))
        assert (tuple(cfg.satisfaction), cfg.satisfied) == (("good", "fair", "bad"), ("good",))


class TestWorkflowIntegration:
    """The reply deadline is a step row, so the engine's workflows apply to it."""

    def test_transfer_hands_the_complaint_on(self, c: Campaign) -> None:
        """A step transfer (转办) of the reply deadline changes the handling unit."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        c.transfer(
            "dept-a", cid, to="dept-b", reason="不属本单位职责", actor="office", at="2012-03-06"
        )
        assert c.complaint(cid).handler == "dept-b"
        with pytest.raises(PermissionRefused):
            c.reply_complaint(cid, actor="clerk-a", substantiated=False, at="2012-03-07")
        c.reply_complaint(cid, actor="clerk-b", substantiated=False, at="2012-03-07")
        assert c.unit_status("dept-b").steps[cid].status == "accepted"
        assert [v.id for v in c.complaints("dept-b")] == [cid]

    def test_a_moved_deadline_decides_lateness(self, c: Campaign) -> None:
        """set_deadline gives the complaint a later deadline: a reply by it is on time."""
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        c.set_deadline(
            "dept-a", cid, until="2012-03-20", reason="情况复杂", actor="office", at="2012-03-06"
        )
        assert c.complaint(cid).due.isoformat() == "2012-03-20" + END  # type: ignore[union-attr]
        c.reply_complaint(cid, actor="clerk-a", substantiated=False, at="2012-03-19")
        assert c.complaint(cid).on_time

    def test_warning_lights_before_the_deadline(self) -> None:
        """A template's warning lights (预警) light before a reply deadline too."""
        text = (store_fixtures.ROOT / "templates" / f"{TEMPLATE}.yaml").read_text("utf-8")
        text = text.replace(
            "sanctions:\n",
            "warnings:\n  - {id: yellow, title: 黄灯, before: 1 working day}\nsanctions:\n",
            1,
        )
        c = setup(Campaign.create(load_template_text(text)))
        cid = register(c)
        c.assign_complaint(cid, actor="office", at="2012-03-05 10:00")
        lights = [(e.type, e.at.date().isoformat()) for e in c.tick("2012-03-12") if e.step == cid]
        assert lights == [("step_warned", "2012-03-09")]


@given(st.lists(st.integers(0, 20), min_size=1, max_size=5), st.integers(1, 6))
def test_ticking_daily_or_once_gives_the_same_supervision(days: list[int], step: int) -> None:
    """Reply deadlines go overdue and climb the ladder at their own instants: ticking every
    ``step`` days or once to the same instant gives the same events and complaints."""
    import datetime as dt

    def run(daily: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        c = setup(Campaign.create(TEMPLATE))
        start = dt.date(2012, 3, 1)
        for i, d in enumerate(sorted(days)):
            day = (start + dt.timedelta(days=d)).isoformat()
            cid = register(c, at=f"{day} 09:{2 * i:02d}")
            c.assign_complaint(cid, actor="office", at=f"{day} 09:{2 * i + 1:02d}")
        end = start + dt.timedelta(days=45)
        if daily:
            day = start + dt.timedelta(days=max(days))
            while day < end:
                day += dt.timedelta(days=step)
                c.tick(min(day, end).isoformat())
        c.tick(end.isoformat())
        events = [{**e.to_json(), "seq": 0} for e in c.events() if e.type != "clock"]
        return events, [v.to_json() for v in c.complaints()]

    assert run(True) == run(False)
