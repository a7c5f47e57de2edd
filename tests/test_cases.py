"""Accountability cases (问责): 立案 → 告知 → 申辩 → 决定 → 公开, 先停职后调查, the blame
chain, refused transitions, the evaluation case a decision feeds, and replay."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import store_fixtures
from zyw_flow import (
    ActorSuspended,
    Campaign,
    PermissionRefused,
    TemplateError,
    TransitionRefused,
    UnknownActorError,
    UnknownRecordError,
)
from zyw_flow.template import load_template_text

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

TEMPLATE = "xingzheng-wenze"
END = "T23:59:59.999999+08:00"


def setup(c: Campaign) -> Campaign:
    """A department with a window clerk, its principal and its deputy leader."""
    c.add_actor("office", roles=["office"])
    c.add_actor("wenze", roles=["accountability"])
    c.add_actor("clerk-a", roles=["member"], unit="dept-a")
    c.add_actor("wang", roles=["member"], unit="dept-a", name="王某")
    c.add_actor("li", roles=["principal"], unit="dept-a", name="李局长")
    c.add_actor("zhao", roles=["deputy"], unit="dept-a", name="赵副局长")
    c.add_actor("sun", roles=["deputy"], unit="dept-b", name="孙副局长")
    c.enroll("city", at="2012-01-01")
    c.enroll("dept-a", parent="city", at="2012-01-01")
    c.enroll("dept-b", parent="city", at="2012-01-01")
    return c


@pytest.fixture
def c() -> Campaign:
    return setup(Campaign.create(TEMPLATE))


def open_case(c: Campaign, situation: str = "slowness", at: str = "2012-03-01", **kw: Any) -> str:
    ev = c.open_case("dept-a", situation, actor="wenze", at=at, **kw)
    return str(ev.data["case"])  # type: ignore[index]


class TestProcedure:
    def test_every_state_with_suspension(self, c: Campaign) -> None:
        """先停职后调查: 王某 is suspended from 立案 to 决定; the joint-accountability
        situation names the principal; the decision issues both sanctions."""
        cid = open_case(
            c,
            "complaints_unhandled",
            person="wang",
            suspend=True,
            description="投诉较多未能及时妥善处理",
        )
        case = c.case(cid)
        assert (case.status, case.person, case.suspended) == ("investigating", "wang", True)
        assert case.due.isoformat() == "2012-04-13" + END  # 30 working days (Qingming off)
        assert case.chain == (("li", "principal", "situation:complaints_unhandled"),)
        assert c.suspended == {"wang": cid}
        with pytest.raises(ActorSuspended) as err:
            c.submit("dept-a", "duty_catalogue", actor="wang", at="2012-03-02")
        assert isinstance(err.value, PermissionRefused)
        assert "先停职后调查" in str(err.value)
        ev = c.notify_case(cid, actor="wenze", facts="逾期未办结", at="2012-03-05")
        assert ev.data is not None and ev.data["due"] == "2012-03-12" + END  # 5 working days
        assert c.case(cid).status == "notified"
        c.record_statement(cid, actor="wenze", statement="系统故障", at="2012-03-08")
        assert (c.case(cid).status, c.case(cid).statement) == ("stated", "系统故障")
        c.decide_case(
            cid,
            actor="wenze",
            sanction="admonition_talk",
            chain_sanction="interview",
            reason="情况属实",
            at="2012-03-09",
        )
        case = c.case(cid)
        assert (case.status, case.sanction, case.chain_sanction, case.suspended) == (
            "decided",
            "admonition_talk",
            "interview",
            False,
        )
        assert c.suspended == {}
        sanctions = [(s["sanction"], s["person"]) for s in c.unit_status("dept-a").sanctions]
        assert sanctions == [("admonition_talk", "wang"), ("interview", "li")]
        c.submit("dept-a", "duty_catalogue", actor="wang", at="2012-03-10")  # reinstated
        c.publish_case(cid, actor="wenze", note="门户网站", at="2012-03-12")
        assert c.case(cid).status == "published"
        types = [e.type for e in c.timeline("dept-a") if e.type.startswith("case_")]
        assert types == [
            "case_opened",
            "case_notified",
            "case_statement",
            "case_decided",
            "case_published",
        ]

    def test_no_authority_lent_while_suspended(self, c: Campaign) -> None:
        """A delegate (代办) cannot act on behalf of a suspended principal either."""
        c.add_actor("helper", roles=[], unit="dept-a")
        c.delegate("wang", "helper", start="2012-02-01", end="2012-12-31")
        c.submit("dept-a", "duty_catalogue", actor="helper", at="2012-02-10")
        open_case(c, person="wang", suspend=True, at="2012-03-01")
        with pytest.raises(PermissionRefused):
            c.submit("dept-a", "post_responsibility", actor="helper", at="2012-03-02")

    def test_decision_without_statement_waits_for_the_period(self, c: Campaign) -> None:
        """No statement: the decision is refused until the statement period has ended."""
        cid = open_case(c)
        c.notify_case(cid, actor="wenze", at="2012-03-05")
        with pytest.raises(TransitionRefused, match="may state"):
            c.decide_case(cid, actor="wenze", at="2012-03-12 18:00")
        ev = c.decide_case(cid, actor="wenze", at="2012-03-13")  # no accountability
        assert ev.data is not None and "sanction" not in ev.data
        assert c.case(cid).sanction is None
        assert c.unit_status("dept-a").sanctions == ()

    def test_overdue_investigation(self, c: Campaign) -> None:
        """Still investigating after the deadline: overdue, until notified."""
        cid = open_case(c)
        c.tick("2012-04-13")
        assert not c.case(cid).overdue
        c.tick("2012-04-14")
        assert c.case(cid).overdue
        c.notify_case(cid, actor="wenze", at="2012-04-16")
        assert not c.case(cid).overdue

    def test_decision_feeds_the_evaluation(self) -> None:
        """grade_case records an evaluation case (record_case) of that kind."""
        c = Campaign.create("zhiyong-2011")
        c.add_actor("rectify", roles=["accountability"])
        c.enroll("city", at="2011-09-01")
        c.enroll("county-1", parent="city", at="2011-09-01")
        ev = c.open_case("county-1", "inaction", actor="rectify", at="2011-10-10")
        cid = str(ev.data["case"])  # type: ignore[index]
        c.notify_case(cid, actor="rectify", at="2011-10-11")
        c.record_statement(cid, actor="rectify", statement="无", at="2011-10-12")
        c.decide_case(
            cid,
            actor="rectify",
            sanction="circulated_criticism",
            grade_case="violation",
            at="2011-10-13",
        )
        recorded = [e for e in c.events() if e.type == "case_recorded"]
        assert [(e.unit, e.data["kind"]) for e in recorded] == [("county-1", "violation")]  # type: ignore[index]
        with pytest.raises(TransitionRefused):  # an unknown evaluation kind: nothing decided
            cid2 = str(
                c.open_case("county-1", "inaction", actor="rectify", at="2011-10-14").data["case"]
            )  # type: ignore[index]
            c.notify_case(cid2, actor="rectify", at="2011-10-14")
            c.record_statement(cid2, actor="rectify", statement="无", at="2011-10-14")
            c.decide_case(cid2, actor="rectify", grade_case="bribery", at="2011-10-15")
        assert c.case("case-2").status == "stated"


class TestRefusals:
    def test_illegal_transitions(self, c: Campaign) -> None:
        """Each step out of order is refused with TransitionRefused and changes nothing."""
        cid = open_case(c)
        steps: list[tuple[Callable[[], Any], str]] = [
            (
                lambda: c.record_statement(cid, actor="wenze", statement="x", at="2012-03-02"),
                "notify the respondent first",
            ),
            (
                lambda: c.decide_case(cid, actor="wenze", at="2012-03-02"),
                "notify the respondent first",
            ),
            (lambda: c.publish_case(cid, actor="wenze", at="2012-03-02"), "decide it first"),
        ]
        before = c.cursor
        for call, why in steps:
            with pytest.raises(TransitionRefused, match=why):
                call()
        assert c.cursor == before and c.case(cid).status == "investigating"
        c.notify_case(cid, actor="wenze", at="2012-03-05")
        with pytest.raises(TransitionRefused, match="already been notified"):
            c.notify_case(cid, actor="wenze", at="2012-03-05")
        with pytest.raises(TransitionRefused, match="statement period ended"):
            c.record_statement(cid, actor="wenze", statement="迟到的申辩", at="2012-03-13")
        c.decide_case(cid, actor="wenze", sanction="interview", at="2012-03-13")
        for call, why in [
            (lambda: c.decide_case(cid, actor="wenze", at="2012-03-14"), "already decided"),
            (
                lambda: c.record_statement(cid, actor="wenze", statement="x", at="2012-03-14"),
                "decided",
            ),
        ]:
            with pytest.raises(TransitionRefused, match=why):
                call()
        c.publish_case(cid, actor="wenze", at="2012-03-14")
        with pytest.raises(TransitionRefused, match="already public"):
            c.publish_case(cid, actor="wenze", at="2012-03-15")

    def test_bad_openings(self, c: Campaign) -> None:
        """Unknown situation, person, complaint; a suspension needs a person of the unit."""
        with pytest.raises(TransitionRefused, match="unknown 问责情形 'corruption'"):
            open_case(c, "corruption")
        with pytest.raises(UnknownActorError):
            open_case(c, person="nobody")
        with pytest.raises(TransitionRefused, match="belongs to unit 'dept-b'"):
            open_case(c, person="sun")
        with pytest.raises(TransitionRefused, match="name the person"):
            open_case(c, suspend=True)
        with pytest.raises(UnknownRecordError):
            open_case(c, complaint="complaint-7")
        with pytest.raises(UnknownRecordError):
            c.notify_case("case-9", actor="wenze", at="2012-03-02")
        with pytest.raises(PermissionRefused):
            c.open_case("dept-a", "slowness", actor="office", at="2012-03-01")
        open_case(c, person="wang", suspend=True)
        with pytest.raises(TransitionRefused, match="already suspended"):
            open_case(c, person="wang", suspend=True, at="2012-03-02")
        assert len(c.cases()) == 1

    def test_bad_decisions(self, c: Campaign) -> None:
        cid = open_case(c)
        c.notify_case(cid, actor="wenze", at="2012-03-02")
        c.record_statement(cid, actor="wenze", statement="x", at="2012-03-02")
        with pytest.raises(TransitionRefused, match="unknown sanction 'fine'"):
            c.decide_case(cid, actor="wenze", sanction="fine", at="2012-03-03")
        with pytest.raises(TransitionRefused, match="names no leader"):
            c.decide_case(
                cid,
                actor="wenze",
                sanction="interview",
                chain_sanction="interview",
                at="2012-03-03",
            )


class TestBlameChain:
    def test_second_case_in_a_year_names_the_deputy(self, c: Campaign) -> None:
        """repeat_deputy: the unit's 2nd case in the calendar year names 分管领导 (not the
        deputy of another unit); the 3rd also the 主要领导; a new year starts again."""
        first = open_case(c, at="2012-03-01")
        second = open_case(c, at="2012-06-01")
        third = open_case(c, "inaction", at="2012-09-01")
        next_year = open_case(c, at="2013-01-05")
        assert c.case(first).chain == ()
        assert c.case(second).chain == (("zhao", "deputy", "repeat_deputy"),)
        assert c.case(third).chain == (
            ("zhao", "deputy", "repeat_deputy"),
            ("li", "principal", "repeat_principal"),
        )
        assert c.case(next_year).chain == ()

    def test_a_revoked_leader_is_not_named(self, c: Campaign) -> None:
        """A deputy no longer in post (revoked) is not named; a successor is."""
        open_case(c, at="2012-03-01")
        c.revoke_actor("zhao", at="2012-03-05", reason="调任")
        c.add_actor("qian", roles=["deputy"], unit="dept-a", name="钱副局长")
        assert c.case(open_case(c, at="2012-03-06")).chain == (("qian", "deputy", "repeat_deputy"),)

    def test_chain_sanctions_each_leader(self, c: Campaign) -> None:
        """The decision's chain sanction goes to every leader named, by default the same."""
        open_case(c, at="2012-03-01")
        cid = open_case(c, person="wang", at="2012-03-02")
        c.notify_case(cid, actor="wenze", at="2012-03-02")
        c.record_statement(cid, actor="wenze", statement="x", at="2012-03-03")
        c.decide_case(cid, actor="wenze", sanction="circulated_criticism", at="2012-03-04")
        got = [(s["sanction"], s["person"], s["reason"]) for s in c.unit_status("dept-a").sanctions]
        assert got == [
            ("circulated_criticism", "wang", cid),
            ("circulated_criticism", "zhao", f"{cid} (deputy, repeat_deputy)"),
        ]

    def test_a_situation_filter(self, tmp_path: Path) -> None:
        """A rule with ``situation:`` counts only cases of that situation (同一类反复发生)."""
        text = (store_fixtures.ROOT / "templates" / f"{TEMPLATE}.yaml").read_text("utf-8")
        text = text.replace(
            "    - {id: repeat_deputy, title: 案件多发倒查分管领导, cases: 2, names: [deputy]}",
            "    - {id: repeat_deputy, title: 同类反复, cases: 2, names: [deputy], "
            "situation: slowness}",
        )
        c = setup(Campaign.create(load_template_text(text)))
        open_case(c, "inaction", at="2012-03-01")
        assert c.case(open_case(c, "slowness", at="2012-03-02")).chain == ()
        assert c.case(open_case(c, "slowness", at="2012-03-03")).chain[0][2] == "repeat_deputy"


@given(st.lists(st.tuples(st.integers(2012, 2013), st.integers(1, 300)), min_size=1, max_size=7))
def test_deputy_named_from_the_second_case_of_each_year(days: list[tuple[int, int]]) -> None:
    """However cases are spread over two years, the deputy is named exactly on each case
    that is at least the unit's 2nd of its calendar year, the principal from the 3rd."""
    import datetime as dt

    c = setup(Campaign.create(TEMPLATE, horizon=("2011-01-01", "2015-01-01")))
    instants = sorted(dt.date(y, 1, 1) + dt.timedelta(days=d) for y, d in days)
    per_year: dict[int, int] = {}
    for i, day in enumerate(instants):
        cid = open_case(c, at=f"{day.isoformat()} 08:{i:02d}")
        per_year[day.year] = per_year.get(day.year, 0) + 1
        n = per_year[day.year]
        positions = [p for _, p, _ in c.case(cid).chain]
        assert positions == ["deputy"] * (n >= 2) + ["principal"] * (n >= 3)


class TestReplay:
    def test_store_replays_to_the_live_state(self, store: store_fixtures.Store) -> None:
        """Cases, suspensions and chains come back identically from the journal and from a
        snapshot; a suspension restored still refuses the suspended actor."""
        c = setup(Campaign.create_stored(store.target, TEMPLATE))
        first = open_case(c, "media_exposure", person="wang", suspend=True)
        c.notify_case(first, actor="wenze", at="2012-03-02")
        c.record_statement(first, actor="wenze", statement="不知情", at="2012-03-05")
        c.decide_case(first, actor="wenze", sanction="admonition_talk", at="2012-03-06")
        c.publish_case(first, actor="wenze", at="2012-03-07")
        second = open_case(c, person="clerk-a", suspend=True, at="2012-04-01")
        c.tick("2012-06-01")

        def everything(x: Campaign) -> str:
            return json.dumps(
                {
                    "report": x.report(),
                    "cases": [k.to_json() for k in x.cases()],
                    "suspended": dict(x.suspended),
                },
                sort_keys=True,
                ensure_ascii=False,
            )

        live = everything(c)
        assert c.case(second).overdue and c.case(second).chain[0][0] == "zhao"
        c.save_snapshot()
        c.close()
        for use_snapshot in (True, False):
            again = Campaign.open(store.target, use_snapshot=use_snapshot)
            assert everything(again) == live
            with pytest.raises(ActorSuspended):
                again.submit("dept-a", "duty_catalogue", actor="clerk-a", at="2012-06-02")
            again.close()


class TestTemplateBlock:
    HEAD = "id: probe\ntitle: 探针\nparams:\n  year: {type: int, default: 2012}\n"
    PHASE = "phases:\n  - {id: work, title: 工作, window: 3月}\n"

    def test_leader_roles_must_be_declared(self) -> None:
        """A joint or chain position needs its leader role among the template's roles."""
        text = (
            self.HEAD + "accountability:\n  situations:\n"
            "    - {id: x, title: X, joint: [principal]}\n"
            "  chain:\n    - {id: r, cases: 2, names: [deputy], situation: y}\n" + self.PHASE
        )
        with pytest.raises(TemplateError) as err:
            load_template_text(text)
        messages = "\n".join(str(p) for p in err.value.problems)
        assert "leader role 'principal' is not a declared role" in messages
        assert "leader role 'deputy' is not a declared role" in messages
        assert "unknown situation 'y'" in messages

    def test_schema_shape(self) -> None:
        with pytest.raises(TemplateError):
            load_template_text(
                self.HEAD + "accountability:\n  chain:\n"
                "    - {id: r, cases: 0, names: [boss]}\n" + self.PHASE
            )

    def test_defaults(self) -> None:
        """Without the block: 30 and 5 working days, the four 作为 of 001-D L46."""
        cfg = load_template_text(self.HEAD + self.PHASE).accountability
        assert (cfg.investigation_days, cfg.statement_days) == (30, 5)
        assert [s.title for s in cfg.situations] == ["不作为", "乱作为", "慢作为", "假作为"]
