"""Evaluation after review: each test failed before its fix.

* a voided case (一票否决 …) or deduction no longer counts;
* the staff of a 诫勉 unit's sections are not 优秀个人 either (the whole subtree);
* a bad case or deduction is refused with ``TransitionRefused`` (not a bare ``ScoringError``);
* a round is not made final with nothing scored; the default round name never collides;
* ungraded cards are counted as ``"ungraded"`` in the JSON distribution.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from zyw_flow import Campaign, TransitionRefused
from zyw_flow.template import load_template

ROOT = Path(__file__).resolve().parent.parent


def fuling() -> Campaign:
    c = Campaign.create("fuling-changxiao")
    c.add_actor("office", ["office"])
    c.add_actor("acc", ["accountability"])
    c.enroll("b")
    c.record_score("b", "environment", 95, actor="office", at="2012-03-30")
    return c


def test_a_voided_veto_no_longer_counts() -> None:
    c = fuling()
    c.record_case("b", "veto", item="work_style", actor="acc", at="2012-03-31", key="k1")
    assert c.grade("b") == ("95", "admonish")
    c.void("k1", reason="录入有误", actor="office", at="2012-03-31")
    assert c.grade("b") == ("95", "excellent")


def test_a_voided_case_no_longer_counts_after_reopening(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    c = Campaign.create_stored(db, "zhiyong-2011")
    c.add_actor("office", ["office"])
    c.add_actor("rectify", ["accountability"])
    c.enroll("c1")
    before = c.evaluate().cards
    c.record_case("c1", "violation", actor="rectify", at="2011-12-10", key="v1")
    c.void("v1", reason="误", actor="office", at="2011-12-11")
    assert c.evaluate().cards == before
    c.close()
    for snapshot in (False, True):
        again = Campaign.open(db, use_snapshot=snapshot)
        assert again.evaluate().cards == before
        if not snapshot:
            again.save_snapshot()
        again.close()


def test_bad_cases_and_deductions_are_refused_as_calls() -> None:
    c = Campaign.create("zhiyong-2011")
    c.add_actor("office", ["office"])
    c.add_actor("rectify", ["accountability"])
    c.enroll("c1")
    with pytest.raises(TransitionRefused, match="unknown case kind 'scandal'"):
        c.record_case("c1", "scandal", actor="rectify", at="2011-12-10")
    with pytest.raises(TransitionRefused, match="must name its veto item"):
        c.record_case("c1", "veto", actor="rectify", at="2011-12-10")
    with pytest.raises(TransitionRefused, match="positive number of points"):
        c.record_deduction("c1", "x", -5, actor="office", at="2011-12-10")


def test_the_staff_of_a_sanctioned_units_sections_are_not_excellent(tmp_path: Path) -> None:
    text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text("utf-8")
    text = text.replace("params:\n", "params:\n  excellent_ratio: {type: str, default: '0.5'}\n", 1)
    (tmp_path / "t.yaml").write_text(text, "utf-8")
    c = Campaign.create(load_template(tmp_path / "t.yaml"))
    c.add_actor("office", ["office"])
    c.add_actor("inspector", ["inspector"])

    def scored(uid: str, v: int, person: bool) -> None:
        periods = ("Q1", "Q2", "Q3", "Q4")
        leaves = ("work_tasks",) if person else ("key_work", "routine_work", "other_work")
        for q in periods:
            for leaf in leaves:
                c.record_score(uid, leaf, v, period=q, actor="office", at="2011-12-10")
        if person:
            c.record_score(uid, "internal_management", v, actor="inspector", at="2011-12-10")
        else:
            for leaf in ("lawful", "efficient", "clean", "other_management",
                         "innovation_results", "improvement"):  # fmt: skip
                c.record_score(uid, leaf, v, actor="office", at="2011-12-10")
        for g in ("leadership", "staff"):
            c.record_score(uid, "satisfaction", v, rater_group=g, actor="office",
                           at="2011-12-10")  # fmt: skip

    for uid, v in (("good", 95), ("bad", 60)):
        c.enroll(uid)
        scored(uid, v, person=False)
    c.enroll("bad-sec", parent="bad")
    for pid, parent, v in (("p1", "good", 95), ("p2", "bad", 99), ("p3", "bad-sec", 98),
                           ("p4", "good", 95)):  # fmt: skip
        c.enroll(pid, parent=parent, kind="person")
        scored(pid, v, person=True)
    assert c.grade("bad")[1] == "admonish"
    assert "p3" not in c.evaluate().excellent_people  # a section's staff, under 诫勉
    chosen = c.evaluate().excellent_people
    c.finalize_evaluation(actor="office", at="2011-12-20")
    assert {"p2", "p3", "bad-sec"} <= set(c.rounds[-1]["ineligible"])
    assert c.rounds[-1]["excellent_people"] == list(chosen) == ["p1", "p4"]
    assert "p3" not in c.evaluate().excellent_people


def test_a_round_is_not_final_with_nothing_scored() -> None:
    c = Campaign.create("fuling-changxiao")
    c.add_actor("office", ["office"])
    c.enroll("u0")
    with pytest.raises(TransitionRefused, match="nothing is scored yet"):
        c.finalize_evaluation(actor="office", at="2012-03-31")
    assert c.rounds == ()


def test_the_default_round_name_never_collides() -> None:
    c = fuling()
    c.finalize_evaluation(actor="office", at="2012-03-31", round="round-2")
    c.finalize_evaluation(actor="office", at="2012-06-30")
    assert [r["round"] for r in c.rounds] == ["round-2", "round-3"]


def test_ungraded_cards_are_counted_as_ungraded_in_json() -> None:
    c = Campaign.create("zhiyong-2011")
    c.add_actor("office", ["office"])
    c.enroll("c1")
    c.record_score("c1", "lawful", 90, actor="office", at="2011-12-10")  # the rest missing
    dist = c.evaluate().to_json()["distribution"]
    assert "None" not in dist and dist["ungraded"] == 1


def test_the_reference_scheme_of_the_docs_validates(tmp_path: Path) -> None:
    """docs/evaluation.md's "Writing a scoring scheme" block is a valid scheme as written."""
    from zyw_flow.validation import validate_file

    text = (ROOT / "docs" / "evaluation.md").read_text("utf-8")
    start = text.index("```yaml", text.index("## Writing a scoring scheme")) + len("```yaml\n")
    (tmp_path / "scheme.yaml").write_text(text[start : text.index("```", start)], "utf-8")
    report = validate_file(tmp_path / "scheme.yaml")
    assert report.kind == "scoring" and not report.errors, [str(p) for p in report.errors]


@pytest.mark.parametrize("ratio", ["15%", "abc", "0", "1.5", "-0.1", "NaN"])
def test_a_bad_excellent_ratio_is_a_template_problem(tmp_path: Path, ratio: str) -> None:
    from zyw_flow import TemplateError

    text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text("utf-8")
    text = text.replace(
        "params:\n", f"params:\n  excellent_ratio: {{type: str, default: '{ratio}'}}\n", 1
    )
    (tmp_path / "t.yaml").write_text(text, "utf-8")
    with pytest.raises(TemplateError, match=r"excellent_ratio .* must be a share") as info:
        load_template(tmp_path / "t.yaml")
    assert info.value.problems[0].path == "params.excellent_ratio.default"
    assert (
        load_template(tmp_path / "t.yaml", {"excellent_ratio": "0.15"}).params["excellent_ratio"]
        == "0.15"
    )


def test_one_units_evaluation_keeps_its_campaign_wide_rank() -> None:
    from zyw_flow import run_scenario

    c = run_scenario(ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml").campaign
    assert c is not None
    whole = c.evaluate()
    for row in whole.ranking:
        one = c.evaluate([row.unit])
        assert list(one.cards) == [row.unit] and one.cards[row.unit] == whole.cards[row.unit]
        assert one.ranking == (row,)  # its position among all, not 1st of 1
        assert one.distribution == whole.distribution


def test_replay_lists_every_problem_of_a_scenario_as_validate_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from zyw_flow.cli import main

    path = tmp_path / "s.yaml"
    path.write_text(
        "template: zhiyong-2011\n"
        "units: [{id: city, name: 市局}, {id: c1, name: 一分局, parent: city}]\n"
        "actors: {office: {roles: [office]}}\n"
        "script:\n"
        "  - {at: '2011-12-10', do: score, unit: c1, indicator: lawful, value: abc,"
        " actor: office}\n"
        "  - {at: '2011-12-10', do: score, unit: c1, indicator: lawful, actor: office}\n"
        "  - {at: '2011-12-10', do: finalize, actor: office, round: 2011}\n",
        "utf-8",
    )
    for command in (["replay", str(path)], ["evaluate", str(path)]):
        capsys.readouterr()
        assert main(command) == 2
        err = capsys.readouterr().err
        assert f"{path}:5: script[0].value" in err
        assert f"{path}:6: script[1]" in err
        assert f"{path}:7: script[2].round" in err


def test_validate_checks_a_scenarios_case_kinds_and_veto_items(tmp_path: Path) -> None:
    from zyw_flow.validation import validate_file

    path = tmp_path / "s.yaml"
    path.write_text(
        "template: zhiyong-2011\n"
        "units: [{id: city, name: 市局}, {id: c1, name: 一分局, parent: city}]\n"
        "actors: {rectify: {roles: [accountability]}}\n"
        "script:\n"
        "  - {at: '2011-12-10', do: case, unit: c1, kind: scandal, actor: rectify}\n"
        "  - {at: '2011-12-10', do: case, unit: c1, kind: veto, item: nope, actor: rectify}\n"
        "  - {at: '2011-12-10', do: case, unit: c1, kind: veto, actor: rectify}\n"
        "  - {at: '2011-12-10', do: case, unit: c1, kind: violation, actor: rectify}\n",
        "utf-8",
    )
    found = {(p.line, p.path): p.message for p in validate_file(path).errors}
    assert set(found) == {(5, "script[0].kind"), (6, "script[1].item"), (7, "script[2]")}
    assert "unknown case kind 'scandal'" in found[(5, "script[0].kind")]
