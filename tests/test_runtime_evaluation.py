"""Evaluation inside a campaign: recorded scores, grades, consequences, rounds, replay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zyw_flow import Campaign, PermissionRefused, TransitionRefused, load_template
from zyw_flow.cli import main

RANKED_SCHEME = """\
kind: scoring
id: ranked-points
title: 排名测试
subject: units
model: points
total: 100
missing: block
indicators:
  - {id: work, title: 工作, points: 100}
ranking:
  top: 1
  exposed: 1
  bottom: 1
  ladder: [circulated_criticism, admonition_talk, team_reshuffle]
  window: campaign
"""


@pytest.fixture()
def ranked(tmp_path: Path) -> Campaign:
    """A campaign whose units are ranked each round by one points indicator."""
    (tmp_path / "ranked.yaml").write_text(RANKED_SCHEME, encoding="utf-8")
    text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "scoring: {units: bureau-unit, persons: bureau-individual}", "scoring: {units: ranked.yaml}"
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    c = Campaign.create(load_template(path))
    c.add_actor("office", ["office"])
    for uid in ("a", "b", "c"):
        c.enroll(uid)
    return c


def score_round(c: Campaign, day: str, values: dict[str, int], name: str) -> None:
    for uid, v in values.items():
        c.record_score(uid, "work", v, actor="office", at=day)
    c.finalize_evaluation(actor="office", at=day, round=name)


class TestRecording:
    def test_bad_inputs_are_refused_and_change_nothing(self) -> None:
        """Unknown indicator, missing period, out of range, wrong role: refused, no event."""
        c = Campaign.create("zhiyong-2011")
        c.add_actor("office", ["office"])
        c.add_actor("m", ["member"], unit="u")
        c.enroll("u")
        before = c.cursor
        with pytest.raises(TransitionRefused, match="no indicator"):
            c.record_score("u", "nope", 80, actor="office", at="2011-12-01")
        with pytest.raises(TransitionRefused):
            c.record_score("u", "key_work", 80, actor="office", at="2011-12-01")  # no period
        with pytest.raises(TransitionRefused):
            c.record_score("u", "lawful", 120, actor="office", at="2011-12-01")
        with pytest.raises(TransitionRefused, match="must be a number"):
            c.record_score("u", "lawful", "eighty", actor="office", at="2011-12-01")
        with pytest.raises(PermissionRefused):
            c.record_score("u", "lawful", 80, actor="m", at="2011-12-01")
        assert c.cursor == before
        assert c.now is None

    def test_a_later_score_corrects_an_earlier_one(self) -> None:
        """The latest score for the same indicator, period and rater wins."""
        c = Campaign.create("zhiyong-2011")
        c.add_actor("office", ["office"])
        c.enroll("u")
        c.record_score("u", "lawful", 50, actor="office", at="2011-12-01")
        c.record_score("u", "lawful", 70, actor="office", at="2011-12-02")
        card = c.evaluate(["u"]).cards["u"]
        assert card.line("lawful").value == 70  # type: ignore[union-attr]

    def test_no_scheme_no_scores(self) -> None:
        """A template without `scoring:` refuses scores with a clear reason."""
        c = Campaign.create("tianshui-xiaoneng-2012")
        c.add_actor("office", ["office"])
        c.enroll("u")
        with pytest.raises(TransitionRefused, match="scoring"):
            c.record_score("u", "x", 1, actor="office", at="2012-07-01")


class TestRounds:
    def test_bottom_ladder_across_rounds(self, ranked: Campaign) -> None:
        """The last unit of each round climbs 通报批评 → 诫勉谈话 (主要领导) → 班子调整."""
        for i, day in enumerate(("2011-10-01", "2011-11-01", "2011-12-01"), start=1):
            score_round(ranked, day, {"a": 90, "b": 80, "c": 50 + i}, f"r{i}")
        sanctions = ranked.unit_status("c").sanctions
        assert [s["sanction"] for s in sanctions] == ["circulated_criticism", "admonition_talk"]
        assert sanctions[1]["person"] == "主要领导"
        actions = [e for e in ranked.events() if e.type == "ranking_action"]
        assert [(e.unit, (e.data or {})["action"]) for e in actions] == [("c", "team_reshuffle")]
        assert [r["round"] for r in ranked.rounds] == ["r1", "r2", "r3"]
        assert ranked.rounds[-1]["top"] == ["a"] and ranked.rounds[-1]["bottom"] == ["c"]

    def test_year_window_counts_per_year(self, tmp_path: Path) -> None:
        """With `window: year`, occurrences restart in a new calendar year."""
        (tmp_path / "ranked.yaml").write_text(
            RANKED_SCHEME.replace("window: campaign", "window: year"), encoding="utf-8"
        )
        text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "scoring: {units: bureau-unit, persons: bureau-individual}",
            "scoring: {units: ranked.yaml}",
        )
        path = tmp_path / "campaign.yaml"
        path.write_text(text, encoding="utf-8")
        c = Campaign.create(load_template(path))
        c.add_actor("office", ["office"])
        for uid in ("a", "b"):
            c.enroll(uid)
        score_round(c, "2011-11-01", {"a": 90, "b": 50}, "r1")
        score_round(c, "2011-12-01", {"a": 90, "b": 51}, "r2")
        score_round(c, "2012-01-05", {"a": 90, "b": 52}, "r3")
        assert [s["sanction"] for s in c.unit_status("b").sanctions] == [
            "circulated_criticism",
            "admonition_talk",
            "circulated_criticism",
        ]

    def test_a_round_is_final_once(self, ranked: Campaign) -> None:
        """Finalising the same round twice is refused."""
        score_round(ranked, "2011-10-01", {"a": 90, "b": 80, "c": 70}, "r1")
        with pytest.raises(TransitionRefused, match="already final"):
            ranked.finalize_evaluation(actor="office", at="2011-10-02", round="r1")


class TestDurable:
    def test_scores_grades_and_consequences_survive_reopening(self, tmp_path: Path) -> None:
        """A stored campaign rebuilds grades, rounds and consequences from its journal."""
        scenario = ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml"
        from zyw_flow.scenario import load_scenario

        data = load_scenario(scenario)
        db = tmp_path / "eval.db"
        c = Campaign.create_stored(db, "zhiyong-2011")
        for actor, spec in data["actors"].items():
            c.add_actor(actor, spec["roles"])
        c.enroll_many(data["units"])
        for line in data["script"]:
            if line.get("expect_error"):
                continue
            if line["do"] == "score":
                c.record_score(
                    line["unit"],
                    line["indicator"],
                    line["value"],
                    actor=line["actor"],
                    at=line["at"],
                    period=line.get("period"),
                    rater_group=line.get("rater_group"),
                )
            elif line["do"] == "case":
                c.record_case(line["unit"], line["kind"], actor=line["actor"], at=line["at"])
            else:
                c.finalize_evaluation(actor=line["actor"], at=line["at"], round=line["round"])
        live = json.dumps(c.report(), sort_keys=True)
        c.save_snapshot()
        c.close()
        for use_snapshot in (True, False):
            again = Campaign.open(db, use_snapshot=use_snapshot)
            assert json.dumps(again.report(), sort_keys=True) == live
            assert again.grade("county-3") == ("60", "admonish")
            assert "key_rectification_unit" in again.restrictions("county-3")
            again.close()


class TestEvaluateCommand:
    SCENARIO = str(ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml")

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`evaluate SCENARIO --json` prints the ranking, distribution and scorecards."""
        assert main(["evaluate", self.SCENARIO, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert [r["unit"] for r in out["ranking"]] == ["county-2", "county-1", "county-3"]
        assert out["distribution"] == {"excellent": 1, "good": 0, "pass": 1, "admonish": 1}
        assert out["cards"]["county-1"]["total"] == "83"

    def test_csv_and_plot(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """`--csv` prints scorecard lines; `--plot` writes a PNG."""
        png = tmp_path / "grades.png"
        assert main(["evaluate", self.SCENARIO, "--csv", "--plot", str(png)]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[0].startswith("unit,")
        assert "county-3" in out
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_tables(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without options it prints the ranking and the distribution (tests/test_cli_output.py)."""
        assert main(["evaluate", self.SCENARIO]) == 0
        out = capsys.readouterr().out
        assert "ranking" in out and "诫勉" in out


def test_excellent_people_by_external_ratio(tmp_path: Path) -> None:
    """Excellent individuals are chosen among persons by the `excellent_ratio` parameter
    (市效能办确定的优秀比例), never from a 诫勉 unit's members."""
    text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
    text = text.replace("params:\n", "params:\n  excellent_ratio: {type: str, default: '0.5'}\n", 1)
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    c = Campaign.create(load_template(path))
    c.add_actor("office", ["office"])
    c.add_actor("inspector", ["inspector"])  # 局督查组 scores internal management
    c.enroll("unit")
    for i, v in enumerate((95, 92, 70, 60)):
        pid = f"p{i}"
        c.enroll(pid, parent="unit", kind="person")
        for q in ("Q1", "Q2", "Q3", "Q4"):
            c.record_score(pid, "work_tasks", v, period=q, actor="office", at="2011-12-10")
        c.record_score(pid, "internal_management", v, actor="inspector", at="2011-12-10")
        for g in ("leadership", "staff"):
            c.record_score(pid, "satisfaction", v, rater_group=g, actor="office", at="2011-12-10")
    assert c.evaluate().excellent_people == ("p0", "p1")
