"""Complaints, cases and workflows after review: each test failed before its fix.

* the step verbs never answer a complaint's reply deadline, and an extension of it can be
  asked for by those who answer it;
* a complaint's callback, closure and follow-up are not dated before its reply; it is
  followed up once, and not after it is closed; an answered complaint is not handed on;
* a suspension (先停职后调查) is judged at the call's instant, also after the decision and
  through a delegation, also after reopening the store;
* an extension is not approved for a step submitted since the request;
* survey categories cannot smuggle counts in; small input checks of cases and statistics.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zyw_flow import (
    ActorSuspended,
    Campaign,
    PermissionRefused,
    TimeOrderError,
    TransitionRefused,
    run_scenario,
)

ROOT = Path(__file__).resolve().parent.parent
UNITS = [("city", "市政府", None), ("dept-a", "市住建局", "city"), ("dept-b", "市国土局", "city")]


def wenze(c: Campaign) -> Campaign:
    c.add_actor("office", roles=["office"])
    c.add_actor("wenze", roles=["accountability"])
    c.add_actor("clerk-a", roles=["member"], unit="dept-a")
    c.add_actor("clerk-b", roles=["member"], unit="dept-b")
    c.enroll_many(UNITS, at="2012-01-01")
    return c


@pytest.fixture
def c() -> Campaign:
    return wenze(Campaign.create("xingzheng-wenze"))


def state(c: Campaign) -> str:
    return json.dumps(c.report(), sort_keys=True)


def assigned(c: Campaign, to: str | None = None) -> str:
    ev = c.register_complaint("dept-a", channel="hotline", actor="office", at="2012-03-05 09:00")
    cid = str(ev.data["complaint"])
    c.assign_complaint(cid, to=to, actor="office", at="2012-03-05 10:00")
    return cid


class TestReplyDeadline:
    def test_a_waive_cannot_silence_a_complaint(self, c: Campaign) -> None:
        cid = assigned(c)
        before = state(c)
        with pytest.raises(TransitionRefused, match="answered by reply_complaint"):
            c.waive("dept-a", cid, reason="r", actor="office", at="2012-03-06")
        assert state(c) == before
        c.tick("2012-03-30")  # unanswered, it goes overdue and is counted so
        assert c.complaint(cid).overdue
        assert c.complaint_statistics().total.overdue == 1

    def test_an_extension_is_asked_by_those_who_answer(self, c: Campaign) -> None:
        cid = assigned(c)
        c.request_extension("dept-a", cid, until="2012-03-30", reason="材料多", actor="clerk-a",
                            at="2012-03-06")  # fmt: skip
        c.approve_extension("dept-a", cid, actor="office", at="2012-03-06")
        assert c.complaint(cid).due is not None and c.complaint(cid).due.day == 30
        ev = c.reply_complaint(cid, substantiated=False, actor="clerk-a", at="2012-03-28")
        assert ev.data["late"] is False  # judged against the moved deadline

    def test_an_answered_complaint_is_not_handed_on(self, c: Campaign) -> None:
        cid = assigned(c)
        c.reply_complaint(cid, substantiated=False, actor="clerk-a", at="2012-03-07")
        with pytest.raises(TransitionRefused, match="nothing left to hand on"):
            c.transfer("dept-a", cid, to="dept-b", reason="r", actor="office", at="2012-03-08")
        assert c.complaint(cid).handler == "dept-a"


class TestComplaintOrder:
    @pytest.fixture
    def replied(self, c: Campaign) -> str:
        cid = assigned(c, to="dept-b")  # the reply is on dept-b's timeline, not dept-a's
        c.reply_complaint(cid, substantiated=True, actor="clerk-b", at="2012-03-09 15:00")
        return cid

    def test_nothing_is_dated_before_the_reply(self, c: Campaign, replied: str) -> None:
        before = state(c)
        with pytest.raises(TimeOrderError, match="its reply is at 2012-03-09T15:00"):
            c.callback_complaint(replied, satisfaction="satisfied", actor="office",
                                 at="2012-03-06")  # fmt: skip
        with pytest.raises(TimeOrderError, match="its reply is at"):
            c.close_complaint(replied, actor="office", at="2012-03-06 12:00")
        with pytest.raises(TimeOrderError, match="its reply is at"):
            c.act_on_complaint(replied, sanction="interview", actor="wenze", at="2012-03-07")
        assert state(c) == before

    def test_followed_up_once_and_not_after_closing(self, c: Campaign, replied: str) -> None:
        c.act_on_complaint(replied, sanction="interview", actor="wenze", at="2012-03-10")
        before = state(c)
        with pytest.raises(TransitionRefused, match="followed up already"):
            c.act_on_complaint(replied, sanction="interview", actor="wenze", at="2012-03-11")
        assert state(c) == before
        assert c.complaint(replied).findings == ("finding-1",)
        assert c.complaint(replied).sanctions == ("interview",)

    def test_a_closed_complaint_is_not_followed_up(self, c: Campaign, replied: str) -> None:
        c.close_complaint(replied, actor="office", at="2012-03-12")
        with pytest.raises(TransitionRefused, match="closed"):
            c.act_on_complaint(replied, sanction="interview", actor="wenze", at="2012-03-13")


class TestSuspensionAsOfTheCall:
    @pytest.fixture
    def decided(self, c: Campaign) -> Campaign:
        c.add_actor("boss", roles=["office"], unit="dept-a")
        c.add_actor("helper", roles=["member"], unit="dept-b")
        c.delegate("boss", "helper", start="2012-01-01", end="2012-12-31")
        c.open_case("dept-a", "inaction", person="boss", suspend=True, actor="wenze",
                    at="2012-03-01")  # fmt: skip
        with pytest.raises(PermissionRefused, match="suspended by case case-1"):
            c.waive("dept-b", "duty_catalogue", actor="helper", reason="r", at="2012-03-02")
        c.notify_case("case-1", actor="wenze", at="2012-03-05")
        c.decide_case("case-1", sanction="removal", actor="wenze", at="2012-03-20")
        return c

    def test_a_back_dated_action_is_refused_after_the_decision(self, decided: Campaign) -> None:
        c = decided
        before = state(c)
        with pytest.raises(ActorSuspended, match="until 2012-03-20"):
            c.waive("dept-b", "duty_catalogue", actor="boss", reason="r", at="2012-03-03")
        with pytest.raises(PermissionRefused, match="a suspended principal lends no authority"):
            c.waive("dept-b", "duty_catalogue", actor="helper", reason="r", at="2012-03-02")
        assert state(c) == before
        ev = c.waive("dept-b", "duty_catalogue", actor="helper", reason="r", at="2012-03-21")
        assert ev.data["on_behalf_of"] == "boss"

    def test_the_bulk_path_refuses_a_suspended_member(self, c: Campaign) -> None:
        c.open_case("dept-a", "inaction", person="clerk-a", suspend=True, actor="wenze",
                    at="2012-03-01")  # fmt: skip
        before = state(c)
        with pytest.raises(ActorSuspended, match="clerk-a"):
            c.submit_many(["dept-a", "dept-b"], "duty_catalogue", actor=["clerk-a", "clerk-b"],
                          at="2012-03-03")  # fmt: skip
        assert state(c) == before

    def test_the_same_after_reopening(self, tmp_path: Path) -> None:
        db = tmp_path / "c.db"
        c = wenze(Campaign.create_stored(db, "xingzheng-wenze"))
        c.add_actor("boss", roles=["office"], unit="dept-a")
        c.open_case("dept-a", "inaction", person="boss", suspend=True, actor="wenze",
                    at="2012-03-01")  # fmt: skip
        c.notify_case("case-1", actor="wenze", at="2012-03-05")
        c.decide_case("case-1", sanction="removal", actor="wenze", at="2012-03-20")
        c.save_snapshot()
        c.close()
        for verify in ("tail", "full"):
            again = Campaign.open(db, verify=verify)
            with pytest.raises(ActorSuspended, match="until 2012-03-20"):
                again.waive("dept-b", "duty_catalogue", actor="boss", reason="r", at="2012-03-03")
            again.close()

    def test_a_revoked_person_is_not_suspended(self, c: Campaign) -> None:
        c.add_actor("gone", roles=["office"], unit="dept-a")
        c.revoke_actor("gone", at="2012-02-01")
        with pytest.raises(TransitionRefused, match="no one to suspend"):
            c.open_case("dept-a", "inaction", person="gone", suspend=True, actor="wenze",
                        at="2012-03-01")  # fmt: skip
        assert "gone" not in c.suspended


class TestCaseInputs:
    def test_a_case_from_a_complaint_against_another_unit(self, c: Campaign) -> None:
        cid = assigned(c)
        with pytest.raises(TransitionRefused, match="is against unit 'dept-a', not 'dept-b'"):
            c.open_case("dept-b", "inaction", complaint=cid, actor="wenze", at="2012-03-06")

    @pytest.mark.parametrize("statement", [None, "", "   "])
    def test_an_empty_statement_is_refused(self, c: Campaign, statement: str | None) -> None:
        c.open_case("dept-a", "inaction", actor="wenze", at="2012-03-01")
        c.notify_case("case-1", actor="wenze", at="2012-03-02")
        with pytest.raises(TransitionRefused, match="empty"):
            c.record_statement("case-1", statement=statement, actor="wenze", at="2012-03-03")  # type: ignore[arg-type]
        assert c.case("case-1").status == "notified"

    @pytest.mark.parametrize("month", ["2012-3", "2012-003", "12-03", "2012-03-01"])
    def test_a_month_is_two_digits(self, c: Campaign, month: str) -> None:
        with pytest.raises(TransitionRefused, match="YYYY-MM"):
            c.complaint_statistics(month)


def test_an_extension_is_not_approved_once_the_step_is_submitted() -> None:
    c = Campaign.create(ROOT / "tests/templates/workflow/county-supervision.yaml")
    for actor, roles, unit, scope in [
        ("office", ["office"], None, None),
        ("c1-leader", ["leader"], "county-1", "subtree"),
        ("c1-clerk", ["member"], "county-1", "subtree"),
    ]:
        c.add_actor(actor, roles, unit, scope=scope)
    c.enroll_many([("city", "市局", None), ("county-1", "一县局", "city"),
                   ("sec-1a", "一所", "county-1")], at="2024-03-29")  # fmt: skip
    c.request_extension("sec-1a", "plan", until="2024-04-19", reason="r", actor="c1-clerk",
                        at="2024-04-08")  # fmt: skip
    c.approve_extension("sec-1a", "plan", actor="c1-leader", at="2024-04-09")
    c.submit("sec-1a", "plan", actor="c1-clerk", at="2024-04-15")
    before = state(c)
    with pytest.raises(TransitionRefused, match="nothing to extend"):
        c.approve_extension("sec-1a", "plan", actor="office", at="2024-04-16")
    assert state(c) == before
    c.refuse_extension("sec-1a", "plan", actor="office", reason="已报送", at="2024-04-16")
    s = c.unit_status("sec-1a").steps["plan"]
    assert (s.status, s.late) == ("submitted", True)


@pytest.mark.parametrize(
    "category", ["dissatisfied=900;satisfied", "satisfied,dissatisfied", "a:b", " satisfied", ""]
)
def test_a_survey_category_cannot_smuggle_counts_in(category: str) -> None:
    b = run_scenario(ROOT / "templates/scenarios/beijing-sanxiao-2011.yaml").campaign
    before = state(b)
    with pytest.raises(TransitionRefused, match="a category must be"):
        b.record_survey("guihua", "public_evaluation", "service_objects", counts={category: 1},
                        actor="lingdian", at="2012-06-01")  # fmt: skip
    assert state(b) == before


def test_a_voided_follow_up_sanction_leaves_the_complaint_view(tmp_path: Path) -> None:
    c = wenze(Campaign.create_stored(tmp_path / "c.db", "xingzheng-wenze"))
    cid = assigned(c)
    c.reply_complaint(cid, substantiated=True, actor="clerk-a", at="2012-03-07")
    c.act_on_complaint(cid, sanction="interview", actor="wenze", at="2012-03-08")
    issued = next(e for e in c.events(since=0) if e.type == "sanction_issued")
    assert c.complaint(cid).sanctions == ("interview",)
    c.void(seq=issued.seq, reason="误", actor="office", at="2012-03-09")
    assert c.complaint(cid).sanctions == ()
    assert c.unit_status("dept-a").sanctions == ()
    c.close()
    again = Campaign.open(tmp_path / "c.db")
    assert again.complaint(cid).sanctions == ()
    again.close()


def test_a_format_4_snapshot_with_a_follow_up_sanction_is_replayed(c: Campaign) -> None:
    """Format 4 kept no rows of a complaint's sanctions: such a snapshot is replayed."""
    import zlib

    from zyw_flow.runtime import _snapshot

    cid = assigned(c)
    c.reply_complaint(cid, substantiated=True, actor="clerk-a", at="2012-03-07")

    def as_format_4(with_sanction: bool) -> bytes:
        data = json.loads(zlib.decompress(_snapshot.dump(c._state, (1, "x"))))
        data["format"] = 4
        for rec in data["procedures"]["complaints"]:
            rec.pop("sanction_rows")
            rec["sanctions"] = ["interview"] if with_sanction else []
        return zlib.compress(json.dumps(data).encode("utf-8"))

    assert _snapshot.load(c.compiled, as_format_4(True)) is None  # replayed instead
    restored = _snapshot.load(c.compiled, as_format_4(False))
    assert restored is not None
    assert restored[0].proc.complaints[cid].sanction_rows == []


def test_grade_case_without_a_scheme_is_refused_as_decide_case(c: Campaign) -> None:
    c.open_case("dept-a", "inaction", actor="wenze", at="2012-03-01")
    c.notify_case("case-1", actor="wenze", at="2012-03-02")
    with pytest.raises(TransitionRefused, match="grade_case: the template names no") as info:
        c.decide_case("case-1", sanction="removal", grade_case="violation", actor="wenze",
                      at="2012-03-20")  # fmt: skip
    assert info.value.event == "decide_case"
    assert c.case("case-1").status == "notified"
