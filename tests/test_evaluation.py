"""Tests of zyw_flow.evaluation: schemes, scorecards, grades, quotas, rankings, reports.

The worked examples are the seed catalogue's §3.1 F; every bundled scheme number is quoted
from §3.1–3.3 in its YAML file.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Mapping
from decimal import Decimal as D
from fractions import Fraction
from pathlib import Path
from typing import ClassVar

import pytest
from rich.console import Console

from tests.conftest import ROOT
from zyw_flow import TemplateError, TemplateNotFound, ZywFlowError
from zyw_flow.evaluation import (
    DEFAULT_BANDS,
    BottomAction,
    Case,
    Consequence,
    Deduction,
    MissingInput,
    RankRow,
    Rounding,
    Scorecard,
    ScoreInput,
    ScoringError,
    ScoringScheme,
    apply_cases,
    bottom_actions,
    bottom_units,
    bundled_schemes,
    consequences,
    distribution_rows,
    distribution_table,
    grade_distribution,
    load_scheme,
    load_scheme_text,
    plot_grade_distribution,
    quota_size,
    rank,
    ranking_rows,
    ranking_table,
    score_unit,
    score_units,
    scorecard_rows,
    scorecard_table,
    select_advanced,
    select_excellent_people,
    to_csv,
    to_decimal,
    top_bottom_publicity,
)

QUARTERS = ("Q1", "Q2", "Q3", "Q4")
CATALOGUE = ROOT.parent / "shared" / "domain" / "seed-catalogue.md"


# -- helpers --------------------------------------------------------------------------------


def unit_inputs(
    unit: str,
    quarters: tuple[int, int, int, int] = (90, 80, 70, 100),
    management: int = 80,
    innovation: int = 70,
    satisfaction: int = 90,
) -> list[ScoreInput]:
    """Inputs of the bureau-unit scheme giving each first-level indicator one value."""
    out = [
        ScoreInput(unit, leaf, D(v), period=q)
        for q, v in zip(QUARTERS, quarters, strict=True)
        for leaf in ("key_work", "routine_work", "other_work")
    ]
    out += [
        ScoreInput(unit, leaf, D(management))
        for leaf in ("lawful", "efficient", "clean", "other_management")
    ]
    out += [ScoreInput(unit, leaf, D(innovation)) for leaf in ("innovation_results", "improvement")]
    out += [
        ScoreInput(unit, "satisfaction", D(satisfaction), rater_group=g)
        for g in ("leadership", "staff")
    ]
    return out


def person_inputs(unit: str, work: int = 88, internal: int = 90) -> list[ScoreInput]:
    """The §3.1 F individual example: W = 88, IM = 90, leadership 95, staff 85."""
    out = [ScoreInput(unit, "work_tasks", D(work), period=q) for q in QUARTERS]
    out.append(ScoreInput(unit, "internal_management", D(internal)))
    out.append(ScoreInput(unit, "satisfaction", D(95), rater_group="leadership"))
    out.append(ScoreInput(unit, "satisfaction", D(85), rater_group="staff"))
    return out


ONE_LEAF = """\
kind: scoring
id: one
title: 一个指标
model: percent
missing: {missing}
rounding: {rounding}
indicators:
  - {{id: all, title: 全部, weight: 100}}
"""


def one_leaf(missing: str = "block", rounding: str = "{places: null}") -> ScoringScheme:
    """A scheme whose total is its single input: for boundaries and rounding."""
    return load_scheme_text(ONE_LEAF.format(missing=missing, rounding=rounding))


def card_of(scheme: ScoringScheme, value: str | D, unit: str = "u", **kw: object) -> Scorecard:
    return score_unit(scheme, unit, [ScoreInput(unit, "all", D(value))], **kw)  # type: ignore[arg-type]


QUARTERLY = """\
kind: scoring
id: quarterly
title: 季度
model: percent
missing: {missing}
indicators:
  - id: work
    title: 工作
    weight: 60
    periods: {{Q1: 25, Q2: 25, Q3: 25, Q4: 25}}
  - id: other
    title: 其他
    weight: 40
"""


def quarterly(missing: str) -> ScoringScheme:
    return load_scheme_text(QUARTERLY.format(missing=missing))


RANKED = """\
kind: scoring
id: fuling
title: 发展环境季度考核
model: percent
missing: block
indicators:
  - {{id: all, title: 全部, weight: 100}}
ranking:
  top: {top}
  bottom: {bottom}
  exposed: {exposed}
  window: {window}
  beyond: {beyond}
  ties: {ties}
"""


def ranked(
    window: str = "campaign",
    *,
    top: int = 8,
    bottom: int = 5,
    exposed: int = 8,
    beyond: str = "repeat_last",
    ties: str = "include",
) -> ScoringScheme:
    return load_scheme_text(
        RANKED.format(
            window=window, top=top, bottom=bottom, exposed=exposed, beyond=beyond, ties=ties
        )
    )


def ranking_of(scheme: ScoringScheme, totals: Mapping[str, int | str]) -> list[RankRow]:
    inputs = [ScoreInput(u, "all", D(v)) for u, v in totals.items()]
    return rank(score_units(scheme, list(totals), inputs))


HEAD = """\
kind: scoring
id: probe
title: 探针
"""


def problems(text: str) -> list[tuple[int | None, str, str]]:
    """Load ``text`` (dedented after the common head) expecting every problem listed."""
    if text.startswith(HEAD):
        text = HEAD + textwrap.dedent(text[len(HEAD) :])
    with pytest.raises(TemplateError) as info:
        load_scheme_text(textwrap.dedent(text), file="probe.yaml")
    assert all(p.file == "probe.yaml" for p in info.value.problems)
    return [(p.line, p.path, p.message) for p in info.value.problems]


# -- bundled schemes ------------------------------------------------------------------------


class TestBundled:
    def test_ids(self) -> None:
        assert bundled_schemes() == [
            "beijing-sanxiao",
            "bureau-individual",
            "bureau-unit",
            "feicheng",
            "fuling-ranking",
        ]

    def test_bureau_unit_weights(self) -> None:
        s = load_scheme("bureau-unit")
        assert [(n.id, n.weight) for n in s.indicators] == [
            ("functional", 40),
            ("management", 30),
            ("innovation", 10),
            ("satisfaction", 20),
        ]
        assert [c.weight for c in s.indicator("functional").children] == [50, 30, 20]
        assert [c.weight for c in s.indicator("management").children] == [20, 20, 20, 40]
        assert [c.weight for c in s.indicator("innovation").children] == [60, 40]
        assert [(p.id, p.weight) for p in s.indicator("functional").periods] == [
            (q, 25) for q in QUARTERS
        ]
        assert [(g.title, g.weight) for g in s.indicator("satisfaction").raters] == [
            ("局领导班子评议", 40),
            ("中层以下人员评议", 60),
        ]
        assert s.quota("advanced").share == 30
        assert s.quota("advanced").among == ("excellent",)
        assert s.downgrade.unit_violation == "one_band"
        assert s.downgrade.person_violation == "admonish"
        assert s.bands == DEFAULT_BANDS
        assert s.subject == "units"
        assert s.scale(s.indicator("functional")) == 100

    def test_bureau_individual(self) -> None:
        s = load_scheme("bureau-individual")
        assert [(n.id, n.weight) for n in s.indicators] == [
            ("work_tasks", 60),
            ("internal_management", 20),
            ("satisfaction", 20),
        ]
        assert s.subject == "persons"
        assert s.indicator("internal_management").scorers == ("inspector",)
        assert s.indicator("work_tasks").scorers == ("office",)
        assert [g.weight for g in s.indicator("satisfaction").raters] == [40, 60]

    def test_beijing_points(self) -> None:
        s = load_scheme("beijing-sanxiao")
        assert s.model == "points"
        assert [(n.title, n.points) for n in s.indicators] == [
            ("履职效率", 35),
            ("管理效能", 20),
            ("服务效果", 40),
            ("创新创优", 5),
        ]
        assert len(s.leaves()) == 8  # 「设8大考评指标」
        assert s.indicator("public_evaluation").points == 20
        assert s.indicator("duties").points == D("17.5")
        assert s.deductions is not None and s.deductions.cap == 20
        assert [i.title for i in s.deductions.items] == [
            "勤政廉政",
            "安全生产",
            "绩效审计",
            "预算支出",
        ]

    def test_feicheng_points(self) -> None:
        s = load_scheme("feicheng")
        assert [(n.points) for n in s.indicators] == [45, 40, 15]
        assert s.bands == DEFAULT_BANDS

    def test_every_number_is_quoted(self) -> None:
        """Every 「…」 quote in a bundled scheme is in the seed catalogue (…-elided pieces too)."""
        if not CATALOGUE.is_file():
            pytest.skip("seed catalogue not available")
        catalogue = CATALOGUE.read_text(encoding="utf-8")
        for path in sorted((ROOT / "templates" / "scoring").glob("*.yaml")):
            quotes = re.findall(r"「(.*?)」", path.read_text(encoding="utf-8"))
            assert quotes, path
            for quote in quotes:
                for piece in filter(None, quote.split("…")):
                    assert piece in catalogue, (path.name, quote)

    def test_not_found(self) -> None:
        with pytest.raises(TemplateNotFound, match="known: beijing-sanxiao"):
            load_scheme("no-such-scheme")
        with pytest.raises(TemplateNotFound, match="does not exist"):
            load_scheme("nowhere/x.yaml")

    def test_by_path(self) -> None:
        path = ROOT / "templates" / "scoring" / "feicheng.yaml"
        s = load_scheme(path)
        assert s.id == "feicheng" and s.file == str(path) and len(s.sha256) == 64

    def test_decimal_from_text(self) -> None:
        s = load_scheme_text(
            textwrap.dedent(
                """\
                kind: scoring
                id: thirds
                title: 三分
                indicators:
                  - {id: a, title: A, weight: 33.3}
                  - {id: b, title: B, weight: 33.3}
                  - {id: c, title: C, weight: "33.4"}
                bands:
                  - {id: top, title: 顶, min: 0.1e2}
                  - {id: rest, title: 余}
                """
            )
        )
        weights = [n.weight for n in s.indicators]
        assert weights == [D("33.3"), D("33.3"), D("33.4")]
        assert all(isinstance(w, D) for w in weights)
        assert str(weights[0]) == "33.3"
        assert s.bands[0].min == 10


# -- worked examples (catalogue §3.1 F) -----------------------------------------------------


class TestWorkedExamples:
    def test_unit_83_good_then_pass(self) -> None:
        s = load_scheme("bureau-unit")
        card = score_unit(s, "office-a", unit_inputs("office-a"))
        assert card.total == D("83.0")
        assert (card.raw_band, card.band) == ("good", "good")
        assert card.line("functional").value == 85
        assert card.line("functional").contribution == 34
        assert card.line("functional", "Q4").value == 100
        assert card.line("satisfaction", rater_group="staff").contribution == D("10.8")
        assert sum(
            line.contribution or 0
            for line in card.lines
            if line.leaf and not line.period and line.indicator != "satisfaction"
        ) == D("24") + D("7")
        downgraded = score_unit(
            s, "office-a", unit_inputs("office-a"), cases=[Case("office-a", "violation")]
        )
        assert (downgraded.raw_band, downgraded.band) == ("good", "pass")
        assert downgraded.downgraded and "良好 (good) → 达标 (pass)" in downgraded.reasons[0]

    def test_individual_88_6_good_then_admonish(self) -> None:
        s = load_scheme("bureau-individual")
        card = score_unit(s, "li", person_inputs("li"))
        assert card.line("satisfaction").value == D("89.0")
        assert card.total == D("88.6")
        assert card.band == "good" and card.is_person
        worse = score_unit(s, "li", person_inputs("li"), cases=[Case("li", "violation")])
        assert (worse.raw_band, worse.band) == ("good", "admonish")

    @pytest.mark.parametrize(
        ("total", "band"),
        [
            ("90.0", "excellent"),
            ("90", "excellent"),
            ("89.999", "good"),
            ("80.0", "good"),
            ("79.9999999999", "pass"),
            ("70.0", "pass"),
            ("69.99", "admonish"),
            ("0", "admonish"),
            ("100", "excellent"),
        ],
    )
    def test_boundaries(self, total: str, band: str) -> None:
        card = card_of(one_leaf(), total)
        assert card.total == D(total)
        assert card.band == band

    def test_all_nineties_is_exactly_90(self) -> None:
        s = load_scheme("bureau-unit")
        card = score_unit(s, "u", unit_inputs("u", (90, 90, 90, 90), 90, 90, 90))
        assert card.total == 90 and str(card.total) == "90"
        assert card.band == "excellent"

    def test_unit_person_flag_override(self) -> None:
        s = load_scheme("bureau-unit")
        card = score_unit(s, "u", unit_inputs("u"), cases=[Case("u", "violation")], is_person=True)
        assert card.band == "admonish"  # the person rule: straight to the last band


# -- computation ----------------------------------------------------------------------------


class TestInputs:
    def test_float_rejected(self) -> None:
        with pytest.raises(ScoringError, match="not a float"):
            ScoreInput("u", "all", 88.5)  # type: ignore[arg-type]
        with pytest.raises(ScoringError):
            ScoreInput("u", "all", True)  # type: ignore[arg-type]
        with pytest.raises(ScoringError, match="finite"):
            ScoreInput("u", "all", D("NaN"))
        assert issubclass(ScoringError, ValueError) and issubclass(ScoringError, ZywFlowError)

    def test_int_accepted(self) -> None:
        assert card_of(one_leaf(), 90).total == 90  # type: ignore[arg-type]

    def test_every_bad_input_listed(self) -> None:
        s = load_scheme("bureau-unit")
        bad = [
            ScoreInput("u", "nope", D(1)),
            ScoreInput("u", "functional", D(1), period="Q1"),
            ScoreInput("u", "key_work", D(1)),
            ScoreInput("u", "key_work", D(1), period="Q5"),
            ScoreInput("u", "lawful", D(1), period="Q1"),
            ScoreInput("u", "lawful", D("100.01")),
            ScoreInput("u", "clean", D(-1)),
            ScoreInput("u", "satisfaction", D(1)),
            ScoreInput("u", "satisfaction", D(1), rater_group="public"),
            ScoreInput("u", "efficient", D(1), rater_group="staff"),
            ScoreInput("u", "improvement", D(1)),
            ScoreInput("u", "improvement", D(2)),
            ScoreInput("u", "satisfaction", D(1), rater_group="staff", rater="wang"),
            ScoreInput("u", "satisfaction", D(2), rater_group="staff", rater="wang"),
        ]
        with pytest.raises(ScoringError) as info:
            score_unit(s, "u", bad)
        message = str(info.value)
        for needle in (
            "unknown indicator 'nope'",
            "'functional' has sub-indicators; score its leaves "
            "(key_work, routine_work, other_work)",
            "needs a period, one of Q1, Q2, Q3, Q4",
            "; not 'Q5'",
            "the indicator is not scored per period ('Q1')",
            "100.01 is out of range 0–100",
            "-1 is out of range",
            "needs a rater group, one of leadership, staff",
            "; not 'public'",
            "the indicator has no raters",
            "'improvement': scored twice",
            "rater 'wang' of 'staff' scored twice",
        ):
            assert needle in message, needle
        assert message.count("\n") == 12

    def test_other_units_ignored(self) -> None:
        s = one_leaf()
        inputs = [ScoreInput("a", "all", D(91)), ScoreInput("b", "all", D(10))]
        assert score_unit(s, "a", inputs).total == 91

    def test_points_range(self) -> None:
        s = load_scheme("beijing-sanxiao")
        with pytest.raises(ScoringError, match=r"out of range 0–17\.5"):
            score_unit(s, "u", [ScoreInput("u", "duties", D("17.6"))])

    def test_raters_averaged_within_group(self) -> None:
        s = load_scheme("bureau-individual")
        inputs = [i for i in person_inputs("li") if i.indicator != "satisfaction"]
        inputs += [
            ScoreInput("li", "satisfaction", D(v), rater_group="leadership", rater=f"l{i}")
            for i, v in enumerate((100, 90))
        ]
        inputs += [
            ScoreInput("li", "satisfaction", D(v), rater_group="staff")
            for v in (80, 90, 85, 85, 85)
        ]
        card = score_unit(s, "li", inputs)
        assert card.line("satisfaction", rater_group="leadership").value == 95
        assert card.line("satisfaction", rater_group="staff").value == 85
        assert card.total == D("88.6")

    def test_non_terminating_average(self) -> None:
        s = load_scheme("bureau-individual")
        inputs = [i for i in person_inputs("li") if i.indicator != "satisfaction"]
        inputs += [
            ScoreInput("li", "satisfaction", D(v), rater_group="leadership") for v in (90, 90, 91)
        ]
        inputs += [ScoreInput("li", "satisfaction", D(90), rater_group="staff")]
        card = score_unit(s, "li", inputs)
        leadership = card.line("satisfaction", rater_group="leadership").value
        assert leadership == D("90.33333333333333333333333333")
        # 52.8 + 18 + 0.2 × (0.4 × 271/3 + 0.6 × 90) = 70.8 + 18.0266… = 88.82666…
        assert card.total == D("88.82666666666666666666666666")
        assert card.band == "good"

    def test_to_decimal_floor(self) -> None:
        assert to_decimal(Fraction(443, 5)) == D("88.6")
        assert to_decimal(Fraction(2, 3)) == D("0.6666666666666666666666666666")
        assert to_decimal(Fraction(-2, 3)) == D("-0.6666666666666666666666666667")
        assert to_decimal(Fraction(1, 1024)) == D("0.0009765625")


class TestDeductions:
    def beijing_full(self, unit: str = "u", scale: int = 1) -> list[ScoreInput]:
        s = load_scheme("beijing-sanxiao")
        return [ScoreInput(unit, leaf.id, s.scale(leaf) / scale) for leaf in s.leaves()]

    def test_full_marks(self) -> None:
        s = load_scheme("beijing-sanxiao")
        card = score_unit(s, "u", self.beijing_full())
        assert card.total == 100 and card.base == 100 and card.deducted == 0
        assert card.line("service_outcome").contribution == 40
        assert card.line("public_evaluation").share == 20

    def test_cap_20(self) -> None:
        s = load_scheme("beijing-sanxiao")
        deductions = [
            Deduction("u", "integrity", D(8)),
            Deduction("u", "work_safety", D(10)),
            Deduction("u", "budget_spending", D("7.5")),
            Deduction("other", "budget_spending", D(50)),
        ]
        card = score_unit(s, "u", self.beijing_full(), deductions=deductions)
        assert card.deducted == 20  # 25.5 capped at 20
        assert card.total == 80 and card.band == "good"
        small = score_unit(s, "u", self.beijing_full(), deductions=deductions[:1])
        assert (small.deducted, small.total, small.band) == (8, 92, "excellent")

    def test_below_zero_possible(self) -> None:
        s = load_scheme("beijing-sanxiao")
        card = score_unit(
            s,
            "u",
            self.beijing_full(scale=10),
            deductions=[Deduction("u", "integrity", D(30))],
        )
        assert card.base == 10 and card.deducted == 20 and card.total == -10
        assert card.band == "admonish"

    def test_bad_deductions(self) -> None:
        s = load_scheme("beijing-sanxiao")
        with pytest.raises(ScoringError, match="unknown deduction item 'parking'"):
            score_unit(s, "u", self.beijing_full(), deductions=[Deduction("u", "parking", D(1))])
        with pytest.raises(ScoringError, match="positive"):
            Deduction("u", "integrity", D(-1))
        with pytest.raises(ScoringError, match="declares no deductions"):
            score_unit(one_leaf(), "u", [], deductions=[Deduction("u", "x", D(1))])


class TestMissing:
    def inputs(self) -> list[ScoreInput]:
        # Q4 missing: work 80, 90, 100 in Q1–Q3; other 50
        return [
            ScoreInput("u", "work", D(v), period=q)
            for q, v in zip(QUARTERS, (80, 90, 100), strict=False)
        ] + [ScoreInput("u", "other", D(50))]

    def test_zero(self) -> None:
        card = score_unit(quarterly("zero"), "u", self.inputs())
        # work = (80 + 90 + 100 + 0) / 4 = 67.5; total = 0.6 × 67.5 + 0.4 × 50 = 60.5
        assert card.line("work").value == D("67.5")
        assert card.total == D("60.5") and card.band == "admonish"
        assert card.missing == (MissingInput("work", "Q4"),)
        q4 = card.line("work", "Q4")
        assert q4.value is None and q4.contribution == 0

    def test_reweight(self) -> None:
        card = score_unit(quarterly("reweight"), "u", self.inputs())
        # work = (80 + 90 + 100) / 3 = 90; total = 54 + 20 = 74
        assert card.line("work").value == 90
        assert card.total == 74 and card.band == "pass"
        assert card.missing == (MissingInput("work", "Q4"),)
        assert card.line("work", "Q1").share == 20  # 60 × 1/3
        assert card.line("work", "Q4").contribution is None

    def test_reweight_whole_indicator(self) -> None:
        card = score_unit(quarterly("reweight"), "u", self.inputs()[:3])
        assert card.total == 90  # only work remains; it carries the whole total
        assert card.missing == (MissingInput("work", "Q4"), MissingInput("other"))
        assert score_unit(quarterly("reweight"), "u", []).total is None

    def test_block(self) -> None:
        card = score_unit(quarterly("block"), "u", self.inputs())
        assert card.total is None and card.band is None and card.raw_band is None
        assert not card.graded
        assert card.missing == (MissingInput("work", "Q4"),)
        assert card.line("work", "Q1").value == 80  # what is there is still shown
        assert card.line("work").value is None

    def test_block_lists_rater_groups(self) -> None:
        s = load_scheme("bureau-individual")
        inputs = [i for i in person_inputs("li") if i.rater_group != "staff"]
        card = score_unit(s, "li", inputs)
        assert card.total is None
        assert [str(m) for m in card.missing] == ["satisfaction, raters staff"]

    def test_complete_is_the_same_under_every_policy(self) -> None:
        full = [*self.inputs(), ScoreInput("u", "work", D(70), period="Q4")]
        totals = {
            p: score_unit(quarterly(p), "u", full).total for p in ("zero", "reweight", "block")
        }
        assert set(totals.values()) == {D("71")}


class TestRounding:
    @pytest.mark.parametrize(
        ("mode", "value", "total", "band"),
        [
            ("half_up", "89.95", "90.0", "excellent"),
            ("down", "89.95", "89.9", "good"),
            ("half_even", "89.95", "90.0", "excellent"),
            ("half_even", "89.85", "89.8", "good"),
            ("half_up", "89.94", "89.9", "good"),
        ],
    )
    def test_modes(self, mode: str, value: str, total: str, band: str) -> None:
        card = card_of(one_leaf(rounding=f"{{places: 1, mode: {mode}}}"), value)
        assert card.total == D(total) and str(card.total) == total
        assert card.band == band

    def test_exact_by_default(self) -> None:
        assert card_of(one_leaf(), "89.99999").band == "good"

    def test_apply_negative(self) -> None:
        assert Rounding(1, "down").apply(Fraction(-5099, 1000)) == Fraction(-50, 10)
        assert Rounding(0, "half_up").apply(Fraction(-5, 2)) == -3
        assert Rounding(0, "half_even").apply(Fraction(-5, 2)) == -2
        assert Rounding(None).apply(Fraction(1, 3)) == Fraction(1, 3)


# -- rules ----------------------------------------------------------------------------------


class TestCases:
    def test_once_however_many(self) -> None:
        s = one_leaf()
        cases = [Case("u", "violation"), Case("u", "accident"), Case("u", "violation")]
        assert card_of(s, "95", cases=cases).band == "good"

    def test_floor(self) -> None:
        assert card_of(one_leaf(), "50", cases=[Case("u", "accident")]).band == "admonish"

    def test_person_accident_refused(self) -> None:
        with pytest.raises(ScoringError, match="violations"):
            card_of(one_leaf(), "95", cases=[Case("u", "accident")], is_person=True)

    def test_bad_case(self) -> None:
        with pytest.raises(ScoringError, match="unknown case kind"):
            Case("u", "complaint")
        with pytest.raises(ScoringError, match="veto item"):
            Case("u", "veto")

    def test_veto(self) -> None:
        s = load_scheme_text(
            ONE_LEAF.format(missing="block", rounding="{places: null}")
            + "veto:\n  - {id: style, title: 作风建设, grade: pass}\n  - {id: graft, title: 廉政}\n"
        )
        assert card_of(s, "95", cases=[Case("u", "veto", "style")]).band == "pass"
        assert card_of(s, "95", cases=[Case("u", "veto", "graft")]).band == "admonish"
        # a veto caps; it never raises
        assert card_of(s, "50", cases=[Case("u", "veto", "style")]).band == "admonish"
        both = card_of(s, "95", cases=[Case("u", "veto", "style"), Case("u", "violation")])
        assert both.band == "pass"  # one band down (good), then capped at pass
        assert len(both.reasons) == 2
        with pytest.raises(ScoringError, match="unknown veto item 'x'"):
            card_of(s, "95", cases=[Case("u", "veto", "x")])

    def test_blocked_card_still_checks_cases(self) -> None:
        with pytest.raises(ScoringError, match="unknown veto item"):
            score_unit(one_leaf(), "u", [], cases=[Case("u", "veto", "x")])

    def test_rules_by_band_id(self) -> None:
        s = load_scheme_text(
            ONE_LEAF.format(missing="block", rounding="{places: null}")
            + "downgrade: {unit_violation: pass, person_violation: none}\n"
        )
        assert apply_cases(s, "excellent", [Case("u", "violation")], is_person=False)[0] == "pass"
        assert (
            apply_cases(s, "admonish", [Case("u", "violation")], is_person=False)[0] == "admonish"
        )
        assert apply_cases(s, "good", [Case("u", "violation")], is_person=True) == (
            "good",
            ("1 violation case(s) → none: 良好 (good) → 良好 (good)",),
        )


class TestConsequences:
    def test_admonished_unit(self) -> None:
        s = load_scheme("bureau-unit")
        card = score_unit(s, "u", unit_inputs("u", (60, 60, 60, 60), 60, 60, 60))
        assert card.band == "admonish"
        got = consequences(s, card)
        assert [c.kind for c in got] == [
            "written_report",
            "admonition_talk",
            "key_rectification",
            "award_ineligibility",
        ]
        assert got[0] == Consequence(
            "u", "written_report", "书面情况报告", "unit", "局长办公会议", 10, "working_days"
        )
        assert got[1].to == "局领导" and got[3].target == "members"

    def test_by_downgrade_too(self) -> None:
        s = load_scheme("bureau-unit")
        card = score_unit(
            s, "u", unit_inputs("u", (75, 75, 75, 75), 75, 75, 75), cases=[Case("u", "violation")]
        )
        assert (card.raw_band, card.band) == ("pass", "admonish")
        assert len(consequences(s, card)) == 4

    def test_person(self) -> None:
        s = load_scheme("bureau-individual")
        card = score_unit(s, "li", person_inputs("li"), cases=[Case("li", "violation")])
        got = consequences(s, card)
        assert [(c.kind, c.target) for c in got] == [
            ("written_report", "person"),
            ("admonition_talk", "person"),
        ]

    def test_none(self) -> None:
        s = load_scheme("bureau-unit")
        assert consequences(s, score_unit(s, "u", unit_inputs("u"))) == []
        beijing = load_scheme("beijing-sanxiao")
        card = score_unit(beijing, "u", [ScoreInput("u", n.id, D(0)) for n in beijing.leaves()])
        assert card.band == "admonish" and consequences(beijing, card) == []


class TestRankingAndQuota:
    def test_rank_ties(self) -> None:
        s = one_leaf()
        rows = ranking_of(s, {"c": 80, "a": 90, "b": 80, "d": 70})
        assert [(r.position, r.rank, r.unit, r.tie) for r in rows] == [
            (1, 1, "a", False),
            (2, 2, "b", True),
            (3, 2, "c", True),
            (4, 4, "d", False),
        ]
        assert rows[0].band == "excellent" and rows[0].total == 90

    def test_rank_skips_blocked(self) -> None:
        s = one_leaf()
        cards = score_units(s, ["a", "b"], [ScoreInput("a", "all", D(1))])
        assert [r.unit for r in rank(cards)] == ["a"]

    def test_distribution(self) -> None:
        s = one_leaf()
        cards = score_units(
            s,
            ["a", "b", "c", "d"],
            [
                ScoreInput("a", "all", D(95)),
                ScoreInput("b", "all", D(91)),
                ScoreInput("c", "all", D(60)),
            ],
        )
        assert grade_distribution(cards) == {
            "excellent": 2,
            "good": 0,
            "pass": 0,
            "admonish": 1,
            None: 1,
        }
        assert grade_distribution([]) == {}

    def test_quota_size(self) -> None:
        assert quota_size(D("0.3"), 12) == 3  # 3.6 → 3: a cap
        assert quota_size(D("0.3"), 12, "half_up") == 4
        assert quota_size(D("0.3"), 12, "up") == 4
        assert quota_size(D("0.3"), 10, "up") == 3
        assert quota_size(D("0.25"), 10, "half_up") == 3  # 2.5 → 3
        assert quota_size(D("0.3"), 0) == 0

    def test_advanced_12_units_3_places(self) -> None:
        s = load_scheme("bureau-unit")
        units = [f"u{i:02d}" for i in range(12)]
        inputs = [
            i for k, u in enumerate(units) for i in unit_inputs(u, (90 + k % 10,) * 4, 95, 95, 95)
        ]
        cards = score_units(s, units, inputs)
        assert all(c.band == "excellent" for c in cards)
        chosen = select_advanced(s, cards)
        assert len(chosen) == 3
        assert chosen == ["u09", "u08", "u07"]

    def test_fewer_excellent_than_places(self) -> None:
        s = load_scheme("bureau-unit")
        units = [f"u{i:02d}" for i in range(12)]
        inputs = [
            i
            for k, u in enumerate(units)
            for i in unit_inputs(u, (95 if k < 2 else 85,) * 4, 90, 90, 90)
        ]
        chosen = select_advanced(s, score_units(s, units, inputs))
        assert chosen == ["u00", "u01"]

    def quota_scheme(self, ties: str) -> ScoringScheme:
        return load_scheme_text(
            ONE_LEAF.format(missing="block", rounding="{places: null}")
            + f"quota:\n  advanced: {{share: 30%, among: [excellent, good], ties: {ties}}}\n"
        )

    @pytest.mark.parametrize(
        ("ties", "chosen"),
        [("exclude", ["a", "b"]), ("id", ["a", "b", "c"]), ("include", ["a", "b", "c", "d"])],
    )
    def test_ties_at_the_cut(self, ties: str, chosen: list[str]) -> None:
        s = self.quota_scheme(ties)
        totals = {"a": 99, "b": 95, "c": 85, "d": 85, **{f"z{i}": 50 for i in range(6)}}
        cards = score_units(
            s, list(totals), [ScoreInput(u, "all", D(v)) for u, v in totals.items()]
        )
        assert select_advanced(s, cards) == chosen  # 10 graded × 30% = 3 places

    def test_no_quota(self) -> None:
        with pytest.raises(ScoringError, match="no quota 'advanced'"):
            select_advanced(one_leaf(), [])

    def test_excellent_people(self) -> None:
        s = one_leaf()
        totals = {f"p{i}": 91 + i for i in range(5)} | {f"q{i}": 80 for i in range(5)}
        cards = score_units(
            s, list(totals), [ScoreInput(u, "all", D(v)) for u, v in totals.items()]
        )
        assert select_excellent_people(cards, D("0.2")) == ["p4", "p3"]
        assert select_excellent_people(cards, D("0.2"), ineligible={"p4"}) == ["p3", "p2"]
        assert select_excellent_people(cards, D("0.2"), among={"good"}) == []  # tie → exclude
        assert select_excellent_people(cards, D("0.2"), among={"good"}, ties="id") == ["q0", "q1"]
        with pytest.raises(ScoringError, match="Decimal"):
            select_excellent_people(cards, 0.2)  # type: ignore[arg-type]
        with pytest.raises(ScoringError, match="between 0 and 1"):
            select_excellent_people(cards, D(20))

    def test_publicity(self) -> None:
        s = ranked(top=2, exposed=2)
        rows = ranking_of(s, {"a": 99, "b": 95, "c": 90, "d": 80, "e": 70, "f": 60})
        assert top_bottom_publicity(s, rows) == (["a", "b"], ["f", "e"])
        tie = ranking_of(s, {"a": 99, "b": 95, "c": 95, "d": 80, "e": 60, "f": 60})
        assert top_bottom_publicity(s, tie) == (["a", "b", "c"], ["f", "e"])
        small = ranking_of(s, {"a": 99, "b": 95, "c": 90})
        assert top_bottom_publicity(s, small) == (["a", "b"], ["c"])
        with pytest.raises(ScoringError, match="no `ranking:`"):
            top_bottom_publicity(one_leaf(), rows)

    def test_bottom_tie_rules(self) -> None:
        totals = {"a": 90, "b": 80, "c": 70, "d": 70}
        for ties, expected in (("include", ["d", "c"]), ("exclude", []), ("id", ["d"])):
            s = ranked(bottom=1, ties=ties)
            assert bottom_units(s, ranking_of(s, totals)) == expected, ties


class TestBottomLadder:
    """「对考核排序后五位的,第一次通报批评,第二次对主要领导诫勉谈话,第三次对班子进行调整。」"""

    UNITS: ClassVar[tuple[str, ...]] = tuple(f"u{i:02d}" for i in range(10))

    def round_with_bottom(self, scheme: ScoringScheme, bottom: set[str]) -> list[RankRow]:
        totals = {u: (60 if u in bottom else 90) + i for i, u in enumerate(self.UNITS)}
        return ranking_of(scheme, totals)

    def test_campaign_window(self) -> None:
        s = ranked("campaign")
        r1 = self.round_with_bottom(s, {"u00", "u01", "u02", "u03", "u04"})
        r2 = self.round_with_bottom(s, {"u00", "u01", "u05", "u06", "u07"})
        r3 = self.round_with_bottom(s, {"u00", "u05", "u08", "u02", "u09"})
        actions = bottom_actions(s, [r1, r2, r3])
        u00 = [a for a in actions if a.unit == "u00"]
        assert u00 == [
            BottomAction("u00", 0, 1, "circulated_criticism", "unit", "通报批评"),
            BottomAction("u00", 1, 2, "admonition_talk", "principal_leader", "诫勉谈话"),
            BottomAction("u00", 2, 3, "team_reshuffle", "leadership_team", "班子调整"),
        ]
        assert len([a for a in actions if a.round == 0]) == 5
        # u02 is in the bottom in rounds 1 and 3: its 2nd occurrence, not consecutive
        assert [(a.round, a.occurrence) for a in actions if a.unit == "u02"] == [(0, 1), (2, 2)]

    def test_consecutive_window(self) -> None:
        s = ranked("consecutive")
        r1 = self.round_with_bottom(s, {"u00", "u01", "u02", "u03", "u04"})
        r2 = self.round_with_bottom(s, {"u00", "u01", "u05", "u06", "u07"})
        r3 = self.round_with_bottom(s, {"u00", "u05", "u08", "u02", "u09"})
        actions = bottom_actions(s, [r1, r2, r3])
        assert [(a.round, a.occurrence) for a in actions if a.unit == "u02"] == [(0, 1), (2, 1)]
        assert [a.action for a in actions if a.unit == "u00"] == [
            "circulated_criticism",
            "admonition_talk",
            "team_reshuffle",
        ]
        assert [(a.round, a.occurrence) for a in actions if a.unit == "u05"] == [(1, 1), (2, 2)]

    def test_consecutive_unranked_round_neither_counts_nor_resets(self) -> None:
        s = ranked("consecutive", bottom=1)
        r1 = ranking_of(s, {"a": 50, "b": 90})
        r2 = ranking_of(s, {"b": 90, "c": 95})  # a not ranked (blocked) this round
        r3 = ranking_of(s, {"a": 50, "b": 90})
        actions = bottom_actions(s, [r1, r2, r3])
        assert [(a.unit, a.round, a.occurrence) for a in actions] == [
            ("a", 0, 1),
            ("b", 1, 1),
            ("a", 2, 2),
        ]

    def test_year_window(self) -> None:
        s = ranked("year")
        rounds = [self.round_with_bottom(s, {"u00", "u01", "u02", "u03", "u04"}) for _ in range(3)]
        actions = bottom_actions(s, rounds, years=[2011, 2011, 2012])
        assert [(a.round, a.occurrence, a.action) for a in actions if a.unit == "u00"] == [
            (0, 1, "circulated_criticism"),
            (1, 2, "admonition_talk"),
            (2, 1, "circulated_criticism"),
        ]
        with pytest.raises(ScoringError, match="year of each round"):
            bottom_actions(s, rounds)
        with pytest.raises(ScoringError, match="2 years given for 3 rounds"):
            bottom_actions(s, rounds, years=[2011, 2012])

    def test_beyond_the_ladder(self) -> None:
        rounds_of = [{"u00", "u01", "u02", "u03", "u04"}] * 4
        repeat = ranked("campaign")
        actions = bottom_actions(repeat, [self.round_with_bottom(repeat, b) for b in rounds_of])
        assert [(a.occurrence, a.action) for a in actions if a.unit == "u00"][-1] == (
            4,
            "team_reshuffle",
        )
        stop = ranked("campaign", beyond="stop")
        actions = bottom_actions(stop, [self.round_with_bottom(stop, b) for b in rounds_of])
        assert max(a.occurrence for a in actions) == 3

    def test_custom_ladder(self) -> None:
        s = load_scheme_text(
            ONE_LEAF.format(missing="block", rounding="{places: null}")
            + textwrap.dedent(
                """\
                ranking:
                  bottom: 1
                  ladder:
                    - circulated_criticism
                    - {id: warning, title: 告诫, target: principal_leader}
                """
            )
        )
        assert s.ranking is not None
        assert [(x.id, x.target) for x in s.ranking.ladder] == [
            ("circulated_criticism", "unit"),
            ("warning", "principal_leader"),
        ]
        rows = ranking_of(s, {"a": 10, "b": 90})
        assert [a.action for a in bottom_actions(s, [rows, rows, rows])] == [
            "circulated_criticism",
            "warning",
            "warning",
        ]


# -- validation -----------------------------------------------------------------------------


class TestValidation:
    def test_every_problem_with_line_and_path(self) -> None:
        got = problems(
            HEAD
            + """\
            model: percents
            bands:
              - {id: a, title: A, min: 80}
              - {id: b, title: B, min: 85}
              - {id: a, title: C}
            indicators:
              - id: x
                title: X
                weight: 33.3
                periods: {Q1: 50, Q2: 40}
                children:
                  - {id: y, title: Y, weight: 50}
                  - {id: y, title: Y2, weight: 40}
              - id: z
                title: Z
                weight: -33.3
                raters:
                  lead: {title: L, weight: 40}
                  staff: {title: S, weight: 50}
            quota:
              advanced: {share: 0.3, among: [best]}
            ranking: {window: forever, ladder: [foo]}
            extra: 1
            """
        )
        assert got == [
            (4, "model", "unknown value 'percents'; expected one of: percent, points"),
            (
                7,
                "bands[1].min",
                "bands must be in descending order of min: 85 is not below the previous band's 80",
            ),
            (8, "bands[2].id", "duplicate band id 'a' (also at bands[0])"),
            (13, "indicators[0].periods", "the period weights sum to 90, not 100"),
            (14, "indicators[0].children", "the weights of the children of 'x' sum to 90, not 100"),
            (
                16,
                "indicators[0].children[1].id",
                "duplicate indicator id 'y' (also at indicators[0].children[0])",
            ),
            (19, "indicators[1].weight", "a weight must be greater than 0, not -33.3"),
            (20, "indicators[1].raters", "the rater group weights sum to 90, not 100"),
            (24, "quota.advanced.share", 'a share must be a percentage such as "30%", not 0.3'),
            (24, "quota.advanced.among[0]", "unknown band 'best'; bands: a, b"),
            (
                25,
                "ranking.ladder[0]",
                "unknown action 'foo'; known: circulated_criticism, admonition_talk, "
                "team_reshuffle (or write {id, title, target})",
            ),
            (
                25,
                "ranking.window",
                "unknown value 'forever'; expected one of: campaign, year, consecutive",
            ),
            (
                26,
                "extra",
                "unknown field 'extra'; allowed here: kind, id, title, description, source, "
                "subject, model, total, rounding, missing, bands, indicators, deductions, "
                "downgrade, veto, quota, ranking, consequences, surveys, rules",
            ),
        ]

    def test_root_weights(self) -> None:
        assert problems(
            HEAD
            + """\
            indicators:
              - {id: a, title: A, weight: 33.3}
              - {id: b, title: B, weight: 33.3}
              - {id: c, title: C, weight: 33.3}
            """
        ) == [(4, "indicators", "the weights of the root indicators sum to 99.9, not 100")]

    def test_points(self) -> None:
        assert problems(
            HEAD
            + """\
            model: points
            total: 100
            indicators:
              - id: a
                title: A
                points: 35
                children:
                  - {id: a1, title: A1, points: 17}
                  - {id: a2, title: A2, points: 17.5}
              - {id: b, title: B, points: 60, weight: 3}
              - {id: c, title: C}
            """
        ) == [
            (
                10,
                "indicators[0].children",
                "the points of the children of 'a' (the parent's points) sum to 34.5, not 35",
            ),
            (13, "indicators[1].weight", "the points model uses `points`, not `weight`"),
            (14, "indicators[2]", "missing `points`"),
        ]

    def test_points_roots_total(self) -> None:
        assert problems(
            HEAD
            + """\
            model: points
            indicators:
              - {id: a, title: A, points: 45}
              - {id: b, title: B, points: 40}
            """
        ) == [(5, "indicators", "the points of the root indicators sum to 85, not 100")]

    def test_kind_and_basics(self) -> None:
        assert problems(
            """\
            kind: campaign
            id: has space
            indicators: []
            rounding: {places: 1.5, mode: up}
            missing: skip
            """
        ) == [
            (1, "kind", "a scoring scheme needs `kind: scoring`, not 'campaign'"),
            (1, "title", "missing title"),
            (2, "id", "a scheme id must not contain spaces: 'has space'"),
            (3, "indicators", "`indicators` must be a non-empty list"),
            (
                4,
                "rounding.places",
                "places must be a whole number from 0 to 10, or null (exact), not 1.5",
            ),
            (4, "rounding.mode", "unknown value 'up'; expected one of: half_up, down, half_even"),
            (5, "missing", "unknown value 'skip'; expected one of: zero, reweight, block"),
        ]

    def test_structure(self) -> None:
        assert problems(
            HEAD
            + """\
            indicators:
              - id: a
                title: A
                weight: 100
                periods: {Q1: 50, Q2: 50}
                raters: {x: {title: X, weight: 100}}
                children:
                  - id: b
                    title: B
                    weight: 100
                    periods: {H1: 100}
                    scorers: [office, office]
            bands:
              - {id: a, title: A}
              - {id: b, title: B, min: 10}
            veto:
              - {id: v, title: V, grade: nope}
            downgrade: {unit_violation: two_bands}
            consequences: {report_within: soon}
            deductions: {cap: -1}
            """
        ) == [
            (9, "indicators[0].raters", "only a leaf indicator (no children) can have raters"),
            (
                14,
                "indicators[0].children[0].periods",
                "periods are already declared on 'a' above; periods cannot be nested",
            ),
            (15, "indicators[0].children[0].scorers[1]", "role 'office' is listed twice"),
            (17, "bands[0]", "every band but the last needs a `min`"),
            (
                18,
                "bands[1].min",
                "the last band is the floor and takes every lower total; remove its min",
            ),
            (20, "veto[0].grade", "unknown band 'nope'; bands: a, b"),
            (
                21,
                "downgrade.unit_violation",
                "unknown downgrade rule 'two_bands'; expected one of: one_band, last_band, "
                "none, or a band id (a, b)",
            ),
            (
                22,
                "consequences.report_within",
                "expected 'N working days' or 'N days' (N个工作日 / N天), not 'soon'",
            ),
            (23, "deductions.cap", "the deduction cap cannot be negative: -1"),
        ]

    def test_share_range(self) -> None:
        got = problems(
            HEAD
            + """\
            indicators: [{id: a, title: A, weight: 100}]
            quota:
              advanced: {share: 130%}
              other: {among: [good]}
            """
        )
        assert got == [
            (
                6,
                "quota.advanced.share",
                "a share must be a percentage above 0% and at most 100%: '130%'",
            ),
            (7, "quota.other", "missing `share` (a percentage such as 30%)"),
        ]

    def test_numbers_not_text(self) -> None:
        assert problems(
            HEAD
            + """\
            indicators:
              - {id: a, title: A, weight: lots}
              - {id: b, title: B, weight: .inf}
            """
        ) == [
            (5, "indicators[0].weight", "a weight must be a number, not 'lots'"),
            (6, "indicators[1].weight", "a weight must be a finite number, not inf"),
        ]

    def test_malformed_yaml(self) -> None:
        got = problems("kind: scoring\nid: [unclosed\n")
        assert len(got) == 1 and got[0][2].startswith("malformed YAML")

    def test_not_a_mapping(self) -> None:
        assert problems("- 1\n") == [(1, "", "a scoring scheme must be a mapping")]

    def test_defaults(self) -> None:
        s = load_scheme_text(HEAD + "indicators: [{id: a, title: A, weight: 100}]\nranking: {}\n")
        assert s.model == "percent" and s.missing == "block" and s.rounding == Rounding()
        assert s.bands == DEFAULT_BANDS and s.consequences is None and s.quotas == ()
        assert s.ranking is not None
        assert (s.ranking.top, s.ranking.bottom, s.ranking.exposed) == (8, 5, 8)
        assert [x.id for x in s.ranking.ladder] == [
            "circulated_criticism",
            "admonition_talk",
            "team_reshuffle",
        ]
        assert s.ranking.window == "campaign" and s.ranking.beyond == "repeat_last"


# -- reports --------------------------------------------------------------------------------


class TestReports:
    def test_tables(self) -> None:
        s = load_scheme("bureau-unit")
        card = score_unit(s, "u", unit_inputs("u"), cases=[Case("u", "violation")])
        console = Console(width=140, record=True, color_system=None)
        console.print(scorecard_table(card, s))
        text = console.export_text()
        assert "重点工作目标" in text and "83" in text and "良好 (good) → 达标 (pass)" in text
        rows = rank([card, score_unit(s, "v", unit_inputs("v", satisfaction=100))])
        console.print(ranking_table(rows, s))
        console.print(distribution_table(grade_distribution([card]), s))
        text = console.export_text()
        assert "85" in text and "达标 (pass)" in text

    def test_csv(self) -> None:
        s = load_scheme("bureau-individual")
        card = score_unit(s, "li", person_inputs("li"))
        text = to_csv(scorecard_rows(card))
        lines = text.splitlines()
        assert lines[0] == "unit,indicator,title,period,rater_group,weight,value,contribution,share"
        assert "li,work_tasks,工作考核目标,Q1,,25,88,13.2,15" in lines
        assert "li,<total>,,,,,88.6,," in lines
        assert to_csv(ranking_rows(rank([card]))).splitlines() == [
            "position,rank,unit,total,band,tie",
            "1,1,li,88.6,good,",
        ]
        assert distribution_rows(grade_distribution([card]), s)[1] == {
            "band": "good",
            "title": "良好",
            "count": "1",
            "percent": "100.0",
        }
        assert to_csv([]) == ""

    def test_plot(self, tmp_path: Path) -> None:
        s = load_scheme("bureau-unit")
        out = plot_grade_distribution(
            {"excellent": 3, "good": 5, "pass": 2, "admonish": 1, None: 1},
            tmp_path / "grades.png",
            scheme=s,
        )
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_to_dict(self) -> None:
        s = load_scheme("bureau-individual")
        data = score_unit(s, "li", person_inputs("li")).to_dict()
        assert data["total"] == "88.6" and data["band"] == "good"
        assert data["lines"][0]["indicator"] == "work_tasks"


# -- purity ---------------------------------------------------------------------------------


def test_pure_module() -> None:
    """The evaluation package imports nothing from the runtime, compiler or scenarios."""
    forbidden = ("zyw_flow.runtime", "zyw_flow.compile", "zyw_flow.scenario")
    for path in (ROOT / "zyw_flow" / "evaluation").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                assert not name.startswith(forbidden), (path.name, name)
