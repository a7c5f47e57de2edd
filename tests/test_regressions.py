"""Regression tests for bugs found in review (each failed before its fix)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from zyw_flow import CalendarHorizonError, Campaign, ScenarioError, TransitionRefused, run_scenario

TZ = dt.timezone(dt.timedelta(hours=8))


def people(c: Campaign) -> Campaign:
    c.add_actor("office", ["office"])
    c.add_actor("inspector", ["inspector"])
    c.add_actor("rectify", ["accountability"])
    c.add_actor("clerk-1", ["member"], unit="county-1")
    c.enroll("county-1")
    return c


def state(c: Campaign) -> str:
    return json.dumps(c.report(), sort_keys=True)


class TestNothingChangesOnBadInput:
    def test_non_text_evidence_is_refused_and_the_journal_stays_whole(self, tmp_path: Path) -> None:
        """A payload that is not text is refused before anything changes; reopening works."""
        db = tmp_path / "c.db"
        c = people(Campaign.create_stored(db, "zhiyong-2011"))
        c.tick("2011-09-02")
        before = state(c)
        with pytest.raises(TransitionRefused, match="evidence"):
            c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-03", evidence=object())  # type: ignore[arg-type]
        assert state(c) == before
        c.close()
        again = Campaign.open(db)
        assert state(again) == before
        again.close()

    @pytest.mark.parametrize(
        ("days", "error"),
        [
            (-5, TransitionRefused),
            (2.5, TransitionRefused),
            ("abc", TransitionRefused),
            (True, TransitionRefused),
            (5000, CalendarHorizonError),  # beyond the calendar data: the same error everywhere
        ],
    )
    def test_bad_rectification_days_are_refused(self, days: object, error: type) -> None:
        """`rectify_days` and finding `days` must be whole working days within the data."""
        c = people(Campaign.create("zhiyong-2011"))
        c.tick("2011-10-10")
        before = state(c)
        with pytest.raises(error):
            c.issue_sanction(
                "county-1", "interview", actor="rectify", at="2011-10-11", rectify_days=days
            )  # type: ignore[arg-type]
        with pytest.raises(error):
            c.record_finding("county-1", actor="inspector", at="2011-10-11", days=days)  # type: ignore[arg-type]
        assert state(c) == before


class TestReturnedLate:
    def test_a_step_returned_after_its_deadline_is_overdue_at_once(self) -> None:
        """Sent back after the due instant, a step is overdue from then and escalates."""
        c = people(Campaign.create("zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-08")
        c.return_step("county-1", "work_plan", actor="office", reason="重写", at="2011-09-14")
        st = c.unit_status("county-1").steps["work_plan"]
        assert (st.status, st.escalation) == ("overdue", 1)  # 催办 was due 09-13
        c.tick("2011-10-30")
        st = c.unit_status("county-1").steps["work_plan"]
        assert (st.status, st.escalation) == ("overdue", 3)
        assert any(o.step == "work_plan" for o in c.overdue())

    def test_the_same_for_a_stored_campaign(self, tmp_path: Path) -> None:
        """Reopening replays the late return the same way."""
        db = tmp_path / "c.db"
        c = people(Campaign.create_stored(db, "zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-08")
        c.return_step("county-1", "work_plan", actor="office", reason="重写", at="2011-09-14")
        c.tick("2011-10-30")
        live = state(c)
        c.close()
        again = Campaign.open(db)
        assert state(again) == live
        again.close()


class TestIdempotentRetries:
    def test_finalize_retry_without_round(self) -> None:
        """Retrying finalize with the same key (no round name) is a duplicate."""
        c = people(Campaign.create("zhiyong-2011"))
        c.record_score("county-1", "lawful", 90, actor="office", at="2011-12-10")
        first = c.finalize_evaluation(actor="office", at="2011-12-20", key="fin")
        again = c.finalize_evaluation(actor="office", at="2011-12-20", key="fin")
        assert again.duplicate and again.seq == first.seq
        assert len(c.rounds) == 1

    def test_retry_with_the_clock(self) -> None:
        """With an injected clock, a retry seconds later with the same key is a duplicate."""
        now = [dt.datetime(2011, 9, 5, 9, tzinfo=TZ)]
        c = people(Campaign.create("zhiyong-2011", clock=lambda: now[0]))
        first = c.submit("county-1", "work_plan", actor="clerk-1", key="req-1")
        now[0] += dt.timedelta(seconds=5)
        again = c.submit("county-1", "work_plan", actor="clerk-1", key="req-1")
        assert again.duplicate and again.seq == first.seq


class TestFindingsKeepTheirDescription:
    def test_rectification_ordered_by_a_sanction_survives_reopening(self, tmp_path: Path) -> None:
        """A finding opened by a sanction keeps its source and description in the journal."""
        db = tmp_path / "c.db"
        c = people(Campaign.create_stored(db, "zhiyong-2011"))
        c.issue_sanction(
            "county-1", "interview", actor="rectify", at="2011-10-11", reason="r", rectify_days=3
        )
        title = c.unit_status("county-1").steps["finding-1"].title
        c.close()
        again = Campaign.open(db)
        assert again.unit_status("county-1").steps["finding-1"].title == title == "整改: r"
        again.close()


class TestMalformedScenarios:
    @pytest.mark.parametrize(
        "body",
        [
            "script: []\nexpect: {a: {steps: [work_plan]}}\n",
            "actors: [office]\nscript: []\n",
            "actors: {office: [office]}\nscript: []\n",
            "units: {a: 1}\nscript: []\n",
        ],
    )
    def test_readable_error_not_a_crash(self, tmp_path: Path, body: str) -> None:
        """Wrong shapes give a ScenarioError, not an AttributeError."""
        path = tmp_path / "s.yaml"
        path.write_text("template: zhiyong-2011\n" + body, encoding="utf-8")
        with pytest.raises(ScenarioError):
            run_scenario(path)


class TestWalkthroughFindings:
    """Found by a fresh-user walkthrough of the README and docs/cli.md."""

    def test_validate_reports_escalations_beyond_the_calendar(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A December deadline whose escalation runs into a year without data fails
        validation (naming the step), instead of `ok` then a failure at run time."""
        from tests.conftest import ROOT
        from zyw_flow.cli import main

        template = str(ROOT / "templates" / "zhiyong-2011.yaml")
        assert main(["validate", template, "--param", "year=2026"]) == 1
        out = capsys.readouterr().out
        assert "escalation level 'reminder'" in out and "2027" in out

    def test_failed_init_leaves_no_file(self, tmp_path: Path) -> None:
        """A template that cannot run creates no store."""
        from zyw_flow import TemplateError

        with pytest.raises(TemplateError):
            Campaign.create_stored(tmp_path / "c.db", "zhiyong-2011", {"year": 2026})
        assert not (tmp_path / "c.db").exists()

    def test_phases_must_be_in_order(self) -> None:
        """A phase that opens before the one listed before it is a template problem."""
        from zyw_flow import TemplateError, load_template_text, resolve

        text = (
            "id: order\ntitle: 顺序\nparams: {year: {type: int, default: 2011}}\nphases:\n"
            "  - {id: p1, title: 一, window: 9月1日—9月10日}\n"
            "  - {id: p2, title: 二, window: 8月5日—8月20日}\n"
        )
        with pytest.raises(TemplateError, match="list phases in the order they open"):
            resolve(load_template_text(text))

    def test_csv_with_a_misspelt_column_is_refused(self) -> None:
        """`parnet` is not silently ignored."""
        import io

        from zyw_flow import EnrollmentError

        c = Campaign.create("zhiyong-2011")
        with pytest.raises(EnrollmentError, match="parnet"):
            c.enroll_csv(io.StringIO("id,name,parnet\na,甲,\n"))
        assert len(c) == 0

    def test_bare_on_key_in_a_recurrence(self) -> None:
        """`repeat: {every: week, on: monday}` works as written in the docs."""
        from zyw_flow import load_template_text, resolve

        text = (
            "id: weekly\ntitle: 周报\nparams: {year: {type: int, default: 2011}}\nphases:\n"
            "  - id: p\n    title: 全年\n    window: 3月1日—3月31日\n    steps:\n"
            "      weekly: {title: 周报, repeat: {every: week, on: monday}}\n"
        )
        ids = [s.id for s in resolve(load_template_text(text)).steps]
        assert ids[0] == "weekly@2011-03-07"

    def test_bad_instant_on_the_command_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--until "next week"` is a one-line error with exit 2, not a traceback."""
        from zyw_flow.cli import main

        db = str(tmp_path / "c.db")
        assert main(["campaign", "init", db, "zhiyong-2011"]) == 0
        assert main(["campaign", "tick", db, "--until", "next week"]) == 2
        assert "not an ISO date" in capsys.readouterr().err

    def test_a_misspelt_step_gets_a_suggestion(self) -> None:
        """An unknown step id names the closest ones."""
        from zyw_flow import UnknownStepError

        c = people(Campaign.create("zhiyong-2011"))
        with pytest.raises(UnknownStepError, match="did you mean work_plan"):
            c.submit("county-1", "work_pln", actor="clerk-1", at="2011-09-05")


# -- found by an API review (2026-12-01) ----------------------------------------------------------
_PREREQ = """
id: probe
title: 探针
params: {year: {type: int, default: 2024}}
phases:
  - id: p1
    title: 一
    window: 4月1日—4月30日
    steps:
      a: {title: 甲, kind: document, due: 4月12日}
      b: {title: 乙, kind: document, due: 4月19日, after: [a]}
"""


class TestCorrections:
    def _score(self, c: Campaign) -> object:
        card = c.evaluate().cards.get("county-1")
        lines = [] if card is None else [x.value for x in card.lines if x.indicator == "lawful"]
        return lines[0] if lines else None

    def test_voiding_a_replaced_score_keeps_the_correction(self, tmp_path: Path) -> None:
        c = people(Campaign.create_stored(tmp_path / "s.db", "zhiyong-2011"))
        c.record_score("county-1", "lawful", 10, actor="office", at="2011-12-10", key="wrong")
        c.record_score("county-1", "lawful", 90, actor="office", at="2011-12-11", key="right")
        c.void("wrong", reason="录错", actor="office", at="2011-12-12")
        assert str(self._score(c)) == "90"
        c.void("right", reason="也录错", actor="office", at="2011-12-13")  # the void one stays void
        assert self._score(c) is None
        expected = state(c)
        c.close()
        with Campaign.open(tmp_path / "s.db") as again:
            assert state(again) == expected

    def test_voiding_a_sanction_voids_the_rectification_it_ordered(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.issue_sanction("county-1", "circulated_criticism", rectify_days=5, actor="rectify",
                         at="2011-10-18", key="sx")  # fmt: skip
        assert c.restrictions("county-1")
        c.void("sx", reason="误", actor="office", at="2011-10-19")
        c.tick("2011-11-30")
        status = c.unit_status("county-1")
        assert (status.sanctions, c.restrictions("county-1")) == ((), ())
        assert "finding-1" not in status.steps
        assert not [x for x in c.overdue() if x.step == "finding-1"]
        assert c.status_table().rectifications.step == ()
        with pytest.raises(TransitionRefused, match="made void with the sanction"):
            c.submit("county-1", "finding-1", actor="clerk-1", at="2011-11-30")

    def test_a_rectification_acted_on_stands_on_its_sanction(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.issue_sanction("county-1", "circulated_criticism", rectify_days=5, actor="rectify",
                         at="2011-10-18", key="sx")  # fmt: skip
        c.submit("county-1", "finding-1", actor="clerk-1", at="2011-10-20", key="fx")
        before = state(c)
        with pytest.raises(TransitionRefused, match=r"\(#\d+\) of its rectification step"):
            c.void("sx", reason="误", actor="office", at="2011-10-21")
        assert state(c) == before
        c.void("fx", reason="误", actor="office", at="2011-10-21")
        c.void("sx", reason="误", actor="office", at="2011-10-21")
        assert c.restrictions("county-1") == ()

    def test_a_prerequisite_acted_on_since_stands_on_it(self) -> None:
        from zyw_flow import load_template_text

        c = Campaign.create(load_template_text(_PREREQ))
        c.add_actor("office", ["office"])
        c.add_actor("m1", ["member"], "u1")
        c.enroll("u1", at="2024-03-25")
        c.submit("u1", "a", actor="m1", at="2024-04-08")
        c.accept("u1", "a", actor="office", at="2024-04-09", key="aa")
        c.submit("u1", "b", actor="m1", at="2024-04-10", key="bs")
        before = state(c)
        with pytest.raises(TransitionRefused, match="step b comes after this one"):
            c.void("aa", reason="误", actor="office", at="2024-04-11")
        assert state(c) == before
        c.void("bs", reason="误", actor="office", at="2024-04-11")
        c.void("aa", reason="误", actor="office", at="2024-04-11")
        assert {k: v.status for k, v in c.unit_status("u1").steps.items()} == {
            "a": "submitted", "b": "pending"}  # fmt: skip

    def test_void_names_its_target_once_and_numbers_that_exist(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key="k1")
        with pytest.raises(TransitionRefused, match="not both"):
            c.void("k1", seq=1, reason="误", actor="office", at="2011-09-06")
        with pytest.raises(TransitionRefused, match=r"no event #99999: the events are numbered"):
            c.void(seq=99999, reason="误", actor="office", at="2011-09-06")

    def test_a_retry_with_a_voided_actions_key_does_not_bring_it_back(self) -> None:
        """docs/workflows.md: the key stays the voided action's; a new recording needs a new
        key, and with it the step is submitted again."""
        c = people(Campaign.create("zhiyong-2011"))
        first = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key="k1")
        c.void("k1", reason="误", actor="office", at="2011-09-06")
        count = c.cursor
        again = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key="k1")
        assert again.duplicate and again.seq == first.seq and c.cursor == count
        assert c.unit_status("county-1").steps["work_plan"].status == "pending"
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-07", key="k2")
        assert c.unit_status("county-1").steps["work_plan"].status == "submitted"


class TestInputChecks:
    def test_an_enrollment_before_the_clock_has_an_instant_before_all(self) -> None:
        c = Campaign.create("zhiyong-2011")
        c.enroll("city", name="市局")
        event = c.timeline("city")[0]
        assert event.to_json()["at"] is None
        assert event.at == dt.datetime.min.replace(tzinfo=dt.UTC)
        assert event.at < dt.datetime(2011, 9, 1, tzinfo=TZ)

    @pytest.mark.parametrize("key", ["", "   "])
    def test_an_empty_idempotency_key_is_refused(self, key: str) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        before = state(c)
        with pytest.raises(TransitionRefused, match="key must be non-empty text"):
            c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05", key=key)
        assert state(c) == before

    @pytest.mark.parametrize("reason", [None, "", "  "])
    def test_a_return_needs_a_reason(self, reason: str | None) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        before = state(c)
        with pytest.raises(TransitionRefused, match="a return needs a reason"):
            c.return_step("county-1", "work_plan", actor="office", reason=reason,  # type: ignore[arg-type]
                          at="2011-09-06")  # fmt: skip
        assert state(c) == before

    def test_an_actor_is_not_revoked_before_the_clock(self) -> None:
        from zyw_flow import TimeOrderError

        c = people(Campaign.create("zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        c.accept("county-1", "work_plan", actor="office", at="2011-09-06")
        with pytest.raises(TimeOrderError, match="cannot revoke an actor at"):
            c.revoke_actor("office", at="2011-09-02")
        assert c.actors["office"].revoked_at is None

    def test_a_closed_stored_campaign_says_it_is_closed(self, tmp_path: Path) -> None:
        from zyw_flow import StoreError

        c = people(Campaign.create_stored(tmp_path / "c.db", "zhiyong-2011"))
        c.close()
        with pytest.raises(StoreError, match="this campaign was closed"):
            c.enroll("x", at="2011-09-01")
        with Campaign.open(tmp_path / "c.db") as again:
            assert again.units == ("county-1",)


class TestMoreInputChecks:
    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            ([{"id": "county-1", "nmae": "一分局"}], "unknown field.*'nmae'"),
            (["  "], "is only spaces"),
            (["a\x00b"], "control character"),
            (["county\t1"], "control character"),
            ([" county-1"], "spaces at its ends"),
            (["x" * 201], "201 characters long"),
        ],
    )
    def test_an_enrollment_of_odd_ids_or_fields_is_refused(self, rows: list[object],
                                                           message: str) -> None:  # fmt: skip
        from zyw_flow import EnrollmentError

        c = Campaign.create("zhiyong-2011")
        with pytest.raises(EnrollmentError, match=message):
            c.enroll_many([{"id": "ok"}, *rows])
        assert c.units == ()

    def test_bulk_calls_take_a_list_of_units_not_a_text(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        before = state(c)
        with pytest.raises(TransitionRefused, match=r"a list of one: \['county-1'\]"):
            c.submit_many("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        with pytest.raises(TransitionRefused, match="units must be a list"):
            c.act_many("waive", "county-1", actor="office", at="2011-09-05", step="work_plan")
        assert state(c) == before

    def test_subscriptions_name_a_real_event_type_and_a_callable(self) -> None:
        c = Campaign.create("zhiyong-2011")
        with pytest.raises(TransitionRefused, match="did you mean step_overdue"):
            c.subscribe("step_overdeu", print)
        with pytest.raises(TransitionRefused, match="callable"):
            c.subscribe("*", 5)  # type: ignore[arg-type]
        seen: list[str] = []
        c.subscribe("trigger_recorded", lambda e: seen.append(e.type))  # every public type
        c.subscribe("complaint_registered", lambda e: seen.append(e.type))

    def test_events_since_is_an_event_number(self) -> None:
        from zyw_flow import UnknownUnitError

        c = people(Campaign.create("zhiyong-2011"))
        for since in ("5", -1, 1.5, True):
            with pytest.raises(TransitionRefused, match="since must be an event number"):
                c.events(since)  # type: ignore[arg-type]
        with pytest.raises(UnknownUnitError):
            c.events(0, unit="nosuch")
        assert [e.type for e in c.events(0, unit="county-1")] == ["enrolled"]

    @pytest.mark.parametrize(
        ("horizon", "message"),
        [(("2011-01-01",), "a pair"), ("2011-01-01", "a pair"),
         (("2012-01-01", "2011-01-01"), "start must be before its end")],
    )  # fmt: skip
    def test_a_horizon_is_a_pair_in_order(self, horizon: object, message: str) -> None:
        from zyw_flow import InstantError

        with pytest.raises(InstantError, match=message):
            Campaign.create("zhiyong-2011", horizon=horizon)  # type: ignore[arg-type]

    def test_verify_finding_is_for_rectifications(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        with pytest.raises(TransitionRefused, match="a step of the template, not a rectification"):
            c.verify_finding("county-1", "work_plan", actor="inspector", at="2011-09-06")


def test_a_sanctions_person_and_reason_are_text_and_a_member_of_another_unit_is_refused() -> None:
    c = people(Campaign.create("zhiyong-2011"))
    c.enroll("county-2", at="2011-09-01")
    c.add_actor("clerk-2", ["member"], unit="county-2")
    before = state(c)
    for fields in ({"person": "clerk-2"}, {"person": 5}, {"reason": 5}, {"person": " "}):
        with pytest.raises(TransitionRefused):
            c.issue_sanction("county-1", "interview", actor="rectify", at="2011-10-18",
                             **fields)  # type: ignore[arg-type]  # fmt: skip
    assert state(c) == before
    c.issue_sanction("county-1", "interview", actor="rectify", at="2011-10-18", person="clerk-1")
    c.issue_sanction("county-1", "interview", actor="rectify", at="2011-10-18", person="张三")


def test_a_clock_moved_past_the_horizon_on_purpose_carries_it_along(tmp_path: Path) -> None:
    """Moved to 2026 once with a wider horizon (the CLI's --at now), a stored 2011 campaign
    reopened with its default horizon accepts instants up to a year after its clock."""
    from zyw_flow import InstantError

    db = tmp_path / "c.db"
    with Campaign.create_stored(db, "zhiyong-2011", horizon=("2010-01-01", "2026-12-31")) as c:
        c.tick("2026-12-02")
    with pytest.raises(InstantError, match="implausibly far"):
        Campaign.create("zhiyong-2011").tick("2026-12-02")  # the default: not moved to 2026
    with Campaign.open(db) as again:
        again.tick("2027-06-01")  # within a year of the clock
        with pytest.raises(InstantError, match="implausibly far"):
            again.tick("2028-12-31")


def test_a_round_is_not_finalized_before_the_campaign_clock() -> None:
    from zyw_flow import TimeOrderError

    c = people(Campaign.create("zhiyong-2011"))
    c.enroll("county-2", at="2011-09-01")
    c.add_actor("clerk-2", ["member"], unit="county-2")
    c.submit("county-2", "work_plan", actor="clerk-2", at="2011-12-20")  # the clock: 12-20
    before = state(c)
    with pytest.raises(TimeOrderError, match="cannot finalize an evaluation at 2011-12-15"):
        c.finalize_evaluation(actor="office", at="2011-12-15")
    assert state(c) == before


_MIXED_LADDER = """
id: mixed
title: 探针
params: {year: {type: int, default: 2011}}
sanctions: [{id: interview, title: 约谈}]
escalation:
  - {id: reminder, title: 催办, after: 1 working day}
  - {id: red_card, title: 红牌, after: 3 days, sanction: interview}
phases:
  - id: p1
    title: 一
    window: 5月
    steps:
      a: {title: 甲, due: 5月10日}
"""


def test_a_deadline_past_the_window_climbs_a_mixed_ladder_in_order() -> None:
    """Moved to 2011-09-30, before 国庆: 1 working day is 10-08, 3 days 10-03. The red card
    is reached with the reminder (levels in order), its sanction issued."""
    from zyw_flow import load_template_text

    c = Campaign.create(load_template_text(_MIXED_LADDER))
    c.add_actor("office", ["office"])
    c.enroll("u1", at="2011-05-01")
    c.set_deadline("u1", "a", until="2011-09-30", reason="延后", actor="office", at="2011-05-02")
    events = [e for e in c.tick("2011-10-31") if e.type == "step_escalated"]
    assert [(e.data["id"], e.at.date().isoformat()) for e in events] == [  # type: ignore[index]
        ("reminder", "2011-10-08"), ("red_card", "2011-10-08")]  # fmt: skip
    status = c.unit_status("u1")
    assert status.steps["a"].escalation == 2 and [s["sanction"] for s in status.sanctions] == [
        "interview"]  # fmt: skip


def test_a_deadline_past_the_calendar_names_the_call_and_the_unit() -> None:
    c = people(Campaign.create("zhiyong-2011"))
    message = r"^finding for unit 'county-1': 5000 working days after 2011-10-11T00:00:00\+08:00"
    with pytest.raises(CalendarHorizonError, match=message + " run past the calendar"):
        c.record_finding("county-1", actor="inspector", at="2011-10-11", days=5000)
    with pytest.raises(CalendarHorizonError, match=r"^sanction for unit 'county-1'"):
        c.issue_sanction("county-1", "interview", actor="rectify", at="2011-10-11",
                         rectify_days=5000)  # fmt: skip


def test_an_actor_mapping_that_misses_a_unit_names_it() -> None:
    c = people(Campaign.create("zhiyong-2011"))
    c.enroll("county-2", at="2011-09-01")
    before = state(c)
    with pytest.raises(TransitionRefused, match="names no actor for unit 'county-2'"):
        c.submit_many(["county-1", "county-2"], "work_plan", actor={"county-1": "clerk-1"},
                      at="2011-09-05")  # fmt: skip
    assert state(c) == before


# -- found by a review of the day's changes ---------------------------------------------------
class TestCorrectionsStandOn:
    def test_a_rectification_passed_on_stands_on_its_sanction(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.enroll("county-2", at="2011-09-01")
        c.add_actor("clerk-2", ["member"], unit="county-2")
        c.issue_sanction("county-1", "circulated_criticism", rectify_days=5, actor="rectify",
                         at="2011-10-18", key="sx")  # fmt: skip
        c.transfer("county-1", "finding-1", to="county-2", reason="转办", actor="office",
                   at="2011-10-19")  # fmt: skip
        c.submit("county-2", "finding-1", actor="clerk-2", at="2011-10-20")
        c.accept("county-2", "finding-1", actor="office", at="2011-10-21")
        before = state(c)
        with pytest.raises(TransitionRefused, match=r"step_transferred .* cannot be undone"):
            c.void("sx", reason="误", actor="office", at="2011-10-22")
        assert state(c) == before
        assert c.unit_status("county-2").steps["finding-1"].status == "accepted"

    def test_act_many_verify_is_for_rectifications_too(self) -> None:
        c = people(Campaign.create("zhiyong-2011"))
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        before = state(c)
        with pytest.raises(TransitionRefused, match="not a rectification"):
            c.act_many("verify", ["county-1"], step="work_plan", actor="office", at="2011-09-06")
        assert state(c) == before

    def test_the_default_horizon_does_not_move_with_the_clock(self) -> None:
        from zyw_flow import InstantError

        c = Campaign.create("zhiyong-2011")  # the default horizon ends early in 2014
        c.tick("2013-12-01")
        with pytest.raises(InstantError, match="implausibly far"):
            c.tick("2014-12-01")

    def test_subscribe_refuses_what_is_not_an_event_type(self) -> None:
        c = Campaign.create("zhiyong-2011")
        with pytest.raises(TransitionRefused, match="no event type"):
            c.subscribe(["step_overdue"], print)  # type: ignore[arg-type]

    @pytest.mark.parametrize("uid", ["市\u3000局", "a\u00a0b"])
    def test_a_space_inside_an_id_is_part_of_it(self, uid: str) -> None:
        c = Campaign.create("zhiyong-2011")
        c.enroll_many([uid])
        assert c.units == (uid,)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5/db", "postgresql://u@h:5/db"),
        ("postgresql://u@h/db?password=pw&campaign=x", "postgresql://u@h/db?password=***&campaign=x"),
        ("postgresql://u:pw@[::1]:5432/db", "postgresql://u@[::1]:5432/db"),
        ("c.db?campaign=x y", "c.db?campaign=x y"),
    ],
)  # fmt: skip
def test_public_url_hides_every_password(url: str, shown: str) -> None:
    from zyw_flow.store._journal import public_url

    assert public_url(url) == shown
