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
