"""Consequence rules inside a campaign: finalising a round fires the scheme's declared
``rules:`` over the recorded rounds (repeat counts), with the runtime's ``open_case``
predicate (an open 问责 case: no 先进, and a rule may read it), as replayed events."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zyw_flow import Campaign, TemplateError, load_template

RULES_SCHEME = """\
kind: scoring
id: rules-demo
title: 后果规则测试
subject: units
indicators:
  - {id: work, title: 工作, weight: 100}
bands:
  - {id: excellent, title: 优秀, min: 90}
  - {id: good, title: 良好, min: 80}
  - {id: pass, title: 合格, min: 60}
  - {id: poor, title: 差}
quota:
  advanced: {share: 50%, among: [excellent], exclude: [open_case]}
surveys:
  appraisal:
    title: 群众评议
    scale:
      - {id: good, title: 好, score: 100}
      - {id: fair, title: 较好, score: 80}
      - {id: average, title: 一般, score: 60}
      - {id: poor, title: 差, score: 0}
    raters: {citizens: {title: 群众}}
    bands:
      - {id: good, title: 好, min: 85}
      - {id: fair, title: 较好, min: 70}
      - {id: average, title: 一般, min: 50}
      - {id: poor, title: 差}
rules:
  - id: poor_key_supervision
    title: 把评议结果“差”的单位纳入重点监督检查范围
    source: "003 L11 (catalogue §3.4, §4.5)"
    when: {survey: {id: appraisal, band: poor}}
    then: [key_supervision]
  - id: poor_grade_rectify
    title: 考核为差的限时整改
    when: {band: poor}
    then:
      - {kind: rectification, title: 限时整改, within: 10 working days}
      - {kind: circulate, title: 通报}
  - id: bottom_twice
    title: 连续两次排名末位的通报批评
    when: {rank: {bottom: 1}, occurrence: 2, window: consecutive}
    then: [{kind: sanction, sanction: circulated_criticism}]
  - id: open_case_no_award
    title: 有未结问责案件的取消评优资格
    when: {predicate: open_case}
    then: [{kind: award_ineligibility, target: unit}]
"""
UNITS = ("dept-a", "dept-b", "dept-c", "dept-d")


def template_path(tmp_path: Path, scheme: str = RULES_SCHEME) -> Path:
    """001-D's accountability template, scored by ``scheme``."""
    (tmp_path / "rules.yaml").write_text(scheme, encoding="utf-8")
    text = (ROOT / "templates" / "xingzheng-wenze.yaml").read_text(encoding="utf-8")
    text = text.replace("\naccountability:\n", "\nscoring: {units: rules.yaml}\naccountability:\n")
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def setup(c: Campaign) -> Campaign:
    c.add_actor("office", ["office"])
    c.add_actor("wenze", ["accountability"])
    c.enroll("city", at="2012-01-01")
    for uid in UNITS:
        c.enroll(uid, parent="city", at="2012-01-01")
    c.enroll("staff-a", parent="dept-a", kind="person", at="2012-01-01")
    return c


@pytest.fixture()
def c(tmp_path: Path) -> Campaign:
    return setup(Campaign.create(load_template(template_path(tmp_path))))


def score_round(c: Campaign, day: str, values: dict[str, int], name: str) -> None:
    for uid, v in values.items():
        c.record_score(uid, "work", v, actor="office", at=day)
    c.finalize_evaluation(actor="office", at=day, round=name)


def actions(c: Campaign, round_name: str | None = None) -> list[tuple[str, str, str]]:
    """``(unit, rule, kind)`` of every consequence action (of one round)."""
    out = []
    for e in c.events():
        data = e.data or {}
        if e.type == "consequence_action" and round_name in (None, data["round"]):
            out.append((str(e.unit), str(data["rule"]), str(data["kind"])))
    return out


def sanctions(c: Campaign, unit: str) -> list[tuple[str, str | None]]:
    return [(s["sanction"], s.get("reason")) for s in c.unit_status(unit).sanctions]


class TestRules:
    def test_poor_appraisal_brings_key_supervision(self, c: Campaign) -> None:
        """差 → 重点监督 (Daqing 003 L11): only the unit whose appraisal band is 差."""
        c.record_survey("dept-a", "appraisal", "citizens", counts={"good": 9, "fair": 1},
                        actor="office", at="2012-06-01")  # fmt: skip
        c.record_survey("dept-b", "appraisal", "citizens", counts={"average": 3, "poor": 7},
                        actor="office", at="2012-06-01")  # fmt: skip
        assert c.survey_result("dept-b", "appraisal").band == "poor"  # 3×60/10 = 18 < 50
        assert c.key_supervision == ()
        score_round(c, "2012-06-01", {"dept-a": 85, "dept-b": 85}, "h1")
        assert actions(c) == [("dept-b", "poor_key_supervision", "key_supervision")]
        assert c.key_supervision == ("dept-b",)
        assert "key_supervision" in c.restrictions("dept-b")
        assert "key_supervision" not in c.restrictions("dept-a")
        (event,) = [e for e in c.events() if e.type == "consequence_action"]
        assert event.data == {  # the record: rule, action, round
            "rule": "poor_key_supervision",
            "kind": "key_supervision",
            "title": "重点监督",
            "target": "unit",
            "round": "h1",
            "occurrence": 1,
        }
        assert c.rounds[-1]["surveys"]["appraisal"]["dept-b"]["band"] == "poor"

    def test_poor_grade_orders_rectification_with_deadline_and_circulation(
        self, c: Campaign
    ) -> None:
        """A 差 grade: a 限时整改 step due in 10 working days, and a 通报 record."""
        score_round(c, "2012-06-01", {"dept-a": 95, "dept-b": 50}, "h1")
        assert actions(c) == [
            ("dept-b", "poor_grade_rectify", "rectification"),
            ("dept-b", "poor_grade_rectify", "circulate"),
        ]
        rect = next(e for e in c.events() if e.type == "consequence_action")
        finding = rect.data["finding"]  # type: ignore[index]
        step = c.unit_status("dept-b").steps[finding]
        # 2012-06-01 is a Friday: 10 working days are 06-04…06-08 and 06-11…06-15
        assert step.due is not None and step.due.date().isoformat() == "2012-06-15"
        assert step.status == "pending"
        assert finding not in c.unit_status("dept-a").steps

    def test_repeat_rule_counts_the_recorded_rounds(self, c: Campaign) -> None:
        """Last twice running → 通报批评; a round out of last place breaks the run."""
        score_round(c, "2012-03-01", {"dept-a": 90, "dept-b": 80, "dept-c": 70}, "q1")
        assert sanctions(c, "dept-c") == []
        score_round(c, "2012-06-01", {"dept-a": 90, "dept-b": 80, "dept-c": 71}, "q2")
        assert sanctions(c, "dept-c") == [
            ("circulated_criticism", "连续两次排名末位的通报批评 (bottom_twice)")
        ]
        assert actions(c, "q2") == [("dept-c", "bottom_twice", "sanction")]
        score_round(c, "2012-09-01", {"dept-a": 90, "dept-b": 60, "dept-c": 72}, "q3")
        score_round(c, "2012-12-01", {"dept-a": 90, "dept-b": 80, "dept-c": 73}, "q4")
        assert actions(c, "q3") == [] and actions(c, "q4") == []  # q3 broke the run
        assert len(sanctions(c, "dept-c")) == 1 and sanctions(c, "dept-b") == []

    def test_an_open_case_excludes_from_advanced_and_fires_its_rule(self, c: Campaign) -> None:
        """A unit with an open 问责 case is not 先进 and loses its 评优资格; once the case is
        decided, the next round may choose it."""
        values = {"dept-a": 98, "dept-b": 95, "dept-c": 92, "dept-d": 70}
        for uid, v in values.items():
            c.record_score(uid, "work", v, actor="office", at="2012-03-01")
        assert c.evaluate().advanced == ("dept-a", "dept-b")  # 50% of 4 graded
        ev = c.open_case("dept-a", "slowness", actor="wenze", at="2012-03-02")
        cid = str(ev.data["case"])  # type: ignore[index]
        assert c.evaluate().advanced == ("dept-b", "dept-c")
        c.finalize_evaluation(actor="office", at="2012-03-05", round="q1")
        assert c.rounds[-1]["advanced"] == ["dept-b", "dept-c"]
        assert c.rounds[-1]["predicates"] == {"open_case": ["dept-a"]}
        assert actions(c) == [("dept-a", "open_case_no_award", "award_ineligibility")]
        assert "no_award_eligibility" in c.restrictions("dept-a")
        assert "no_award_eligibility" not in c.restrictions("staff-a")  # target: unit only
        c.notify_case(cid, actor="wenze", at="2012-03-06")
        c.decide_case(cid, actor="wenze", at="2012-03-20", sanction=None)
        score_round(c, "2012-06-01", values, "q2")
        assert c.rounds[-1]["advanced"] == ["dept-a", "dept-b"]
        assert actions(c, "q2") == [("dept-d", "bottom_twice", "sanction")]  # last twice

    def test_a_template_whose_rule_names_an_unknown_sanction_is_refused(
        self, tmp_path: Path
    ) -> None:
        """Rules issue sanctions of the template's ladder; another is a located problem."""
        bad = RULES_SCHEME.replace("sanction: circulated_criticism", "sanction: flogging")
        with pytest.raises(TemplateError, match="rule 'bottom_twice' issues sanction 'flogging'"):
            load_template(template_path(tmp_path, bad))

    def test_a_scheme_without_rules_records_nothing_more(self, tmp_path: Path) -> None:
        """Without `rules:` a round's data and events are as before (no rule keys)."""
        plain = RULES_SCHEME.split("rules:\n")[0]
        c = setup(Campaign.create(load_template(template_path(tmp_path, plain))))
        score_round(c, "2012-06-01", {"dept-a": 95, "dept-b": 50}, "h1")
        assert not {"predicates", "surveys"} & set(c.rounds[-1])
        assert actions(c) == []


CAMPAIGN_RULES = """\
rules:
  units:
    - id: first_place
      title: 排名第一的通报表扬
      when: {rank: {top: 1}}
      then: [{kind: commendation, title: 通报表扬}]
    - id: poor_grade_interview
      title: 考核为差的约谈
      when: {band: poor}
      then: [{kind: sanction, sanction: interview, target: principal_leader}]
"""


class TestCampaignRules:
    """A campaign template declares rules of its own (``rules: {units: [...]}``), read
    against the scheme of that subject and fired after the scheme's."""

    def campaign(self, tmp_path: Path, extra: str) -> Path:
        path = template_path(tmp_path)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\naccountability:\n", f"\n{extra}accountability:\n"),
                        encoding="utf-8")  # fmt: skip
        return path

    def test_campaign_rules_fire_after_the_schemes(self, tmp_path: Path) -> None:
        tpl = load_template(self.campaign(tmp_path, CAMPAIGN_RULES))
        assert [r.id for r in tpl.rules["units"]] == ["first_place", "poor_grade_interview"]
        c = setup(Campaign.create(tpl))
        score_round(c, "2012-06-01", {"dept-a": 95, "dept-b": 50}, "h1")
        assert actions(c) == [
            ("dept-b", "poor_grade_rectify", "rectification"),
            ("dept-b", "poor_grade_rectify", "circulate"),
            ("dept-a", "first_place", "commendation"),
            ("dept-b", "poor_grade_interview", "sanction"),
        ]
        (interview,) = c.unit_status("dept-b").sanctions
        assert (interview["sanction"], interview["person"]) == ("interview", "主要领导")

    def test_a_stored_campaign_keeps_its_rules(self, tmp_path: Path) -> None:
        """Reopened from its journal, the campaign reads its own rules again from the
        stored template: a later round fires them."""
        db = tmp_path / "own.db"
        path = self.campaign(tmp_path, CAMPAIGN_RULES)
        c = setup(Campaign.create_stored(db, load_template(path)))
        score_round(c, "2012-06-01", {"dept-a": 95, "dept-b": 50}, "h1")
        live = json.dumps(c.report(), sort_keys=True)
        c.close()
        path.unlink()  # the stored template is what counts
        again = Campaign.open(db)
        assert json.dumps(again.report(), sort_keys=True) == live
        score_round(again, "2012-12-01", {"dept-b": 99}, "h2")
        assert ("dept-b", "first_place", "commendation") in actions(again, "h2")
        again.close()

    @pytest.mark.parametrize(
        ("extra", "message"),
        [
            (
                CAMPAIGN_RULES.replace("band: poor", "band: platinum"),
                "rules.units[1].when.band: unknown band 'platinum'",
            ),
            (
                CAMPAIGN_RULES.replace("id: first_place", "id: bottom_twice"),
                "rules.units[0].id: duplicate rule id 'bottom_twice'",
            ),
            (
                CAMPAIGN_RULES.replace("sanction: interview", "sanction: flogging"),
                "rules.units[1]: scheme 'rules-demo' rule 'poor_grade_interview' issues "
                "sanction 'flogging'",
            ),
            (
                CAMPAIGN_RULES.replace("  units:", "  persons:"),
                "rules.persons: rules for persons need a scoring scheme for them",
            ),
        ],
    )
    def test_bad_campaign_rules_are_located_in_the_template(
        self, tmp_path: Path, extra: str, message: str
    ) -> None:
        with pytest.raises(TemplateError) as err:
            load_template(self.campaign(tmp_path, extra))
        assert message in str(err.value)
        assert "campaign.yaml:" in str(err.value)


class TestReplay:
    def script(self, c: Campaign) -> None:
        c.record_survey("dept-b", "appraisal", "citizens", counts={"poor": 4},
                        actor="office", at="2012-03-01")  # fmt: skip
        c.open_case("dept-d", "inaction", actor="wenze", at="2012-03-01")
        score_round(c, "2012-03-01", {"dept-a": 95, "dept-b": 80, "dept-c": 50, "dept-d": 91}, "q1")
        score_round(c, "2012-06-01", {"dept-a": 95, "dept-b": 80, "dept-c": 55, "dept-d": 92}, "q2")

    def test_rule_events_replay_and_survive_a_snapshot(self, tmp_path: Path) -> None:
        """The same report and state after reopening, from the journal and from a snapshot;
        a round after reopening counts the recorded rounds as the live campaign does."""
        db = tmp_path / "rules.db"
        c = setup(Campaign.create_stored(db, load_template(template_path(tmp_path))))
        self.script(c)
        kinds = sorted({k for _, _, k in actions(c)})
        assert kinds == [
            "award_ineligibility", "circulate", "key_supervision", "rectification", "sanction",
        ]  # fmt: skip
        c.save_snapshot()
        live = json.dumps(c.report(), sort_keys=True)
        state = (c.key_supervision, c.restrictions("dept-d"), c.rounds)
        c.close()
        expected = None
        for use_snapshot in (True, False):
            copy = tmp_path / f"copy-{use_snapshot}.db"
            shutil.copy(db, copy)
            again = Campaign.open(copy, use_snapshot=use_snapshot)
            assert json.dumps(again.report(), sort_keys=True) == live
            assert (again.key_supervision, again.restrictions("dept-d"), again.rounds) == state
            score_round(again, "2012-09-01", {"dept-c": 56}, "q3")
            got = actions(again, "q3")
            assert got == [
                ("dept-b", "poor_key_supervision", "key_supervision"),
                ("dept-c", "poor_grade_rectify", "rectification"),
                ("dept-c", "poor_grade_rectify", "circulate"),
                ("dept-d", "open_case_no_award", "award_ineligibility"),
            ]  # dept-c is last a third time: `occurrence: 2` fired in q2 only
            expected = expected or json.dumps(again.report(), sort_keys=True)
            assert json.dumps(again.report(), sort_keys=True) == expected
            again.close()
