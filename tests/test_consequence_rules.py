"""Consequence rules: condition → actions; the 001-E package as a rule set; quotas."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow import ScoringError, TemplateError
from zyw_flow.evaluation import (
    Case,
    Consequence,
    Round,
    Scorecard,
    ScoreInput,
    ScoringScheme,
    SurveyCount,
    apply_rules,
    bottom_actions,
    consequences,
    load_scheme,
    load_scheme_text,
    rank,
    score_unit,
    score_units,
    select_advanced,
    survey_result,
)


def reference_package(scheme: ScoringScheme, card: Scorecard) -> list[Consequence]:
    """The fixed 001-E package as it was written before rules (the oracle)."""
    rules = scheme.consequences
    if rules is None or card.band != rules.band:
        return []
    who = "person" if card.is_person else "unit"
    out = [
        Consequence(card.unit, "written_report", "书面情况报告", who, rules.report_to,
                    rules.report_within, rules.report_unit),
        Consequence(card.unit, "admonition_talk", "诫勉谈话", who, rules.talk_by),
    ]  # fmt: skip
    if not card.is_person:
        out.append(Consequence(card.unit, "key_rectification", "重点整改单位", "unit"))
        out.append(Consequence(card.unit, "award_ineligibility", "取消所属人员评优资格", "members"))
    return out


def unit_inputs(u: str, value: int) -> list[ScoreInput]:
    scheme = load_scheme("bureau-unit")
    out: list[ScoreInput] = []
    for leaf in scheme.leaves():
        periods = [None]
        for root in scheme.indicators:
            if any(n.id == leaf.id for n in root.walk()) and root.periods:
                periods = [p.id for p in root.periods]  # type: ignore[misc]
        groups = [g.id for g in leaf.raters] or [None]
        out += [
            ScoreInput(u, leaf.id, D(value), period=p, rater_group=g)
            for p in periods
            for g in groups
        ]
    return out


class TestPackage:
    """The 001-E 诫勉 package is a rule set with the old results."""

    def test_package_rules(self) -> None:
        """bureau-unit declares `consequences:`; it reads as two rules on 诫勉."""
        scheme = load_scheme("bureau-unit")
        rules = scheme.consequence_rules()
        assert [r.id for r in rules[:2]] == ["consequences", "consequences_unit"]
        assert rules[0].when.bands == ("admonish",) and rules[1].when.subject == "units"

    @settings(max_examples=60, deadline=None)
    @given(
        value=st.integers(min_value=0, max_value=100),
        violation=st.booleans(),
        person=st.booleans(),
    )
    def test_same_as_the_fixed_package(self, value: int, violation: bool, person: bool) -> None:
        """For any score and case, units and persons: the rules give the package exactly."""
        if person:
            scheme = load_scheme("bureau-individual")
            inputs = [
                ScoreInput("p", "work_tasks", D(value), period=q) for q in ("Q1", "Q2", "Q3", "Q4")
            ]
            inputs += [
                ScoreInput("p", "internal_management", D(value)),
                ScoreInput("p", "satisfaction", D(value), rater_group="leadership"),
                ScoreInput("p", "satisfaction", D(value), rater_group="staff"),
            ]
            card = score_unit(scheme, "p", inputs, cases=[Case("p", "violation")] * violation)
        else:
            scheme = load_scheme("bureau-unit")
            card = score_unit(
                scheme, "p", unit_inputs("p", value), cases=[Case("p", "violation")] * violation
            )
        assert consequences(scheme, card) == reference_package(scheme, card)
        fired = apply_rules(scheme, Round([card]))
        assert [(a.kind, a.target) for a in fired] == [
            (c.kind, c.target) for c in reference_package(scheme, card)
        ]

    def test_no_package(self) -> None:
        """A scheme without `consequences:` has no package rules."""
        scheme = load_scheme("beijing-sanxiao")
        assert scheme.consequence_rules() == ()
        card = score_unit(
            scheme, "bj", [ScoreInput("bj", leaf.id, D(0)) for leaf in scheme.leaves()]
        )
        assert consequences(scheme, card) == []


RULES = """\
kind: scoring
id: rules-probe
title: 规则探针
indicators: [{id: all, title: 综合, weight: 100}]
surveys:
  wanren:
    title: 万人评议
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
  satisfaction:
    title: 群众满意度
    scale:
      - {id: satisfied, title: 满意, score: 100}
      - {id: basically, title: 基本满意, score: 60}
      - {id: dissatisfied, title: 不满意, score: 0}
    raters: {citizens: {title: 群众}}
quota:
  best_office: {count: 4, among: [excellent, good], exclude: [open_case]}
  star: {count: 14, among: [excellent, good]}
  advanced: {share: 30%, among: [excellent], exclude: [open_case]}
rules:
  - id: poor_key_supervision
    title: 把评议结果“差”的单位纳入重点监督检查范围
    source: "003 L11 (catalogue §3.4, §4.5)"
    when: {survey: {id: wanren, band: poor}}
    then: [key_supervision]
  - id: majority_dissatisfied
    title: 对多数群众不满意的,要进行整改
    source: "001 L154 (catalogue §2.4)"
    when: {survey: {id: satisfaction, share: {of: [dissatisfied], above: 50%}}}
    then:
      - {kind: rectification, title: 限时整改, within: 30 days}
      - {kind: circulate, title: 通报}
  - id: bottom_first
    title: 对考核排序后五位的,第一次通报批评
    source: "004 L100 (catalogue §4.3)"
    when: {rank: {bottom: 5}, occurrence: 1}
    then: [{kind: sanction, sanction: circulated_criticism}]
  - id: bottom_second
    title: 第二次对主要领导诫勉谈话
    when: {rank: {bottom: 5}, occurrence: 2}
    then: [{kind: sanction, sanction: admonition_talk}]
  - id: bottom_third
    title: 第三次对班子进行调整
    when: {rank: {bottom: 5}, occurrence: 3+}
    then: [{kind: sanction, sanction: team_reshuffle}]
  - id: open_case_no_award
    title: 有未结问责案件的单位不得评先
    when: {predicate: open_case, band: [excellent, good]}
    then: [award_ineligibility]
"""


@pytest.fixture(scope="module")
def scheme() -> ScoringScheme:
    return load_scheme_text(RULES, file="rules.yaml")


def cards(scheme: ScoringScheme, totals: dict[str, int]) -> list[Scorecard]:
    return score_units(
        scheme, list(totals), [ScoreInput(u, "all", D(v)) for u, v in totals.items()]
    )


class TestRules:
    """Each kind of condition, and the actions they fire."""

    def test_poor_means_key_supervision(self, scheme: ScoringScheme) -> None:
        """「把评议结果“差”的单位纳入重点监督检查范围」: 差 → 重点监督, the others nothing."""
        # a: 10 好 → 100 (好); b: 3 一般 + 7 差 → 18 (差).
        results = [
            survey_result(
                scheme, "wanren", "a", [SurveyCount("a", "wanren", "citizens", {"good": 10})]
            ),
            survey_result(
                scheme, "wanren", "b",
                [SurveyCount("b", "wanren", "citizens", {"average": 3, "poor": 7})],
            ),
        ]  # fmt: skip
        assert [r.band for r in results] == ["good", "poor"]
        fired = apply_rules(scheme, Round(surveys=results))
        assert [(a.unit, a.rule, a.kind, a.title) for a in fired] == [
            ("b", "poor_key_supervision", "key_supervision", "重点监督")
        ]

    def test_majority_dissatisfied(self, scheme: ScoringScheme) -> None:
        """Above 50% 不满意 → 限时整改 within 30 days and 通报; exactly 50% is not a majority."""

        def result(unit: str, dissatisfied: int) -> object:
            counts = {"satisfied": 10 - dissatisfied, "dissatisfied": dissatisfied}
            return survey_result(
                scheme,
                "satisfaction",
                unit,
                [SurveyCount(unit, "satisfaction", "citizens", counts)],
            )

        fired = apply_rules(scheme, Round(surveys=[result("half", 5), result("most", 6)]))
        assert [(a.unit, a.kind, a.within, a.within_unit) for a in fired] == [
            ("most", "rectification", 30, "days"),
            ("most", "circulate", None, None),
        ]

    def test_bottom_ladder_matches_bottom_actions(self, scheme: ScoringScheme) -> None:
        """The 后五位 ladder as three rules gives what bottom_actions gives."""
        ladder = load_scheme_text(
            "kind: scoring\nid: l\ntitle: l\nindicators: [{id: all, title: 综合, weight: 100}]\n"
            "ranking: {bottom: 5}\n"
        )
        rounds = []
        for bottom in ({0, 1, 2, 3, 4}, {0, 1, 5, 6, 7}, {0, 5, 8, 9, 10}, {0, 1, 2, 3, 4}):
            rounds.append({f"d{k:02d}": (50 if k in bottom else 80) + k for k in range(12)})
        expected = bottom_actions(ladder, [rank(cards(ladder, r)) for r in rounds])
        fired = apply_rules(scheme, [Round(cards(scheme, r)) for r in rounds])
        got = [(a.unit, a.round, a.occurrence, a.sanction) for a in fired if a.kind == "sanction"]
        assert sorted(got) == sorted((a.unit, a.round, a.occurrence, a.action) for a in expected)
        assert ("d00", 3, 4, "team_reshuffle") in got  # 3+: the third and beyond

    def test_consecutive_and_year_windows(self) -> None:
        """consecutive: a round outside the bottom resets; year: each year counts anew."""
        base = (
            "kind: scoring\nid: w\ntitle: w\nindicators: [{id: all, title: 综合, weight: 100}]\n"
            "rules:\n  - id: second\n    title: 第二次\n"
            "    when: {rank: {bottom: 1}, occurrence: 2, window: WINDOW}\n"
            "    then: [circulate]\n"
        )
        low, high = {"a": 10, "b": 90}, {"a": 90, "b": 10}
        seq = [low, high, low, low]
        consecutive = load_scheme_text(base.replace("WINDOW", "consecutive"))
        fired = apply_rules(consecutive, [Round(cards(consecutive, t)) for t in seq])
        assert [(a.unit, a.round) for a in fired] == [("a", 3)]
        yearly = load_scheme_text(base.replace("WINDOW", "year"))
        rounds = [
            Round(cards(yearly, t), year=y)
            for t, y in zip(seq, (2011, 2011, 2012, 2012), strict=True)
        ]
        assert [(a.unit, a.round) for a in apply_rules(yearly, rounds)] == [("a", 3)]
        with pytest.raises(ScoringError, match="give each Round its year"):
            apply_rules(yearly, [Round(cards(yearly, low))])

    def test_predicate(self, scheme: ScoringScheme) -> None:
        """An input predicate (open_case) the caller supplies; absent, it holds for no one."""
        round_cards = cards(scheme, {"a": 95, "b": 95})
        fired = apply_rules(scheme, Round(round_cards, predicates={"open_case": ["b"]}))
        assert [(a.unit, a.kind) for a in fired if a.rule == "open_case_no_award"] == [
            ("b", "award_ineligibility")
        ]
        assert not [
            a for a in apply_rules(scheme, Round(round_cards)) if a.rule == "open_case_no_award"
        ]

    def test_only_some_rules(self, scheme: ScoringScheme) -> None:
        """rules= picks rules by id; an unknown id is refused."""
        with pytest.raises(ScoringError, match="no rule nope"):
            apply_rules(scheme, Round(), rules=["nope"])


class TestQuotas:
    """Fixed-count quotas (双评 4 + 14) and eligibility exclusions."""

    def test_fixed_counts(self, scheme: ScoringScheme) -> None:
        """4 最佳**厅 and 14 **明星, however many units are graded."""
        totals = {f"u{k:02d}": 80 + k for k in range(20)}
        round_cards = cards(scheme, totals)
        assert select_advanced(scheme, round_cards, quota="best_office") == [
            "u19", "u18", "u17", "u16"
        ]  # fmt: skip
        assert len(select_advanced(scheme, round_cards, quota="star")) == 14

    def test_open_case_cannot_be_advanced(self, scheme: ScoringScheme) -> None:
        """A unit with an open case is passed over; it still counts in the 30% denominator."""
        round_cards = cards(scheme, {f"u{k}": 90 + k for k in range(10)})
        assert select_advanced(scheme, round_cards) == ["u9", "u8", "u7"]
        assert select_advanced(scheme, round_cards, predicates={"open_case": {"u9"}}) == [
            "u8", "u7", "u6"
        ]  # fmt: skip
        # `star` does not exclude open cases.
        star = select_advanced(scheme, round_cards, quota="star", predicates={"open_case": {"u9"}})
        assert "u9" in star


class TestValidation:
    """Rules and quotas are validated with located problems."""

    def test_every_problem_located(self) -> None:
        """Unknown survey, band, category, action; bad occurrence; sanction without id."""
        bad = """\
kind: scoring
id: bad
title: 坏
indicators: [{id: a, title: A, weight: 100}]
surveys:
  s:
    title: 测评
    scale: [{id: sat, title: 满意, score: 100}, {id: unsat, title: 不满意, score: 0}]
    raters: {g: {title: 群众}}
quota:
  q: {count: 0}
  r: {count: 2, share: 30%}
rules:
  - {id: r1, title: 一, when: {survey: {id: nope, band: x}}, then: [circulate]}
  - {id: r2, title: 二, when: {band: platinum}, then: [circulate]}
  - {id: r3, title: 三, when: {survey: {id: s, share: {of: [maybe], above: 50%}}}, then: [x]}
  - {id: r4, title: 四, when: {band: pass, occurrence: zero}, then: [{kind: sanction}]}
  - {id: r4, title: 五, when: {band: pass}, then: [circulate]}
  - {id: r6, title: 六, when: {}, then: []}
"""
        with pytest.raises(TemplateError) as info:
            load_scheme_text(bad, file="bad.yaml")
        got = [(p.line, p.path, p.message) for p in info.value.problems]
        expect = [
            (11, "quota.q.count", "whole number ≥ 1"),
            (12, "quota.r", "not both"),
            (14, "rules[0].when.survey.id", "unknown survey 'nope'"),
            (15, "rules[1].when.band", "unknown band 'platinum'"),
            (16, "rules[2].when.survey.share.of", "unknown category 'maybe'"),
            (16, "rules[2].then[0]", "unknown action 'x'"),
            (17, "rules[3].when.occurrence", "whole number ≥ 1, or N+"),
            (17, "rules[3].then[0]", "names its `sanction`"),
            (18, "rules[4].id", "duplicate rule id 'r4'"),
            (19, "rules[5].when", "at least one condition"),
            (19, "rules[5].then", "non-empty list"),
        ]
        for line, path, words in expect:
            assert any((gl, gp) == (line, path) and words in gm for gl, gp, gm in got), (
                line,
                path,
                words,
                got,
            )
