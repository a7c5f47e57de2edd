"""Surveys and mass appraisal in scoring schemes: declarations, validation, exact results."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow import ScoringError, TemplateError
from zyw_flow.evaluation import (
    Ballot,
    ScoreInput,
    SurveyCount,
    load_scheme_text,
    score_unit,
    survey_inputs,
    survey_result,
    survey_results,
)

SCHEME = """\
kind: scoring
id: survey-probe
title: 测评探针
indicators:
  - {id: work, title: 工作, weight: 80}
  - {id: satisfaction, title: 满意度, weight: 20}
surveys:
  appraisal:
    title: 群众评议
    feeds: satisfaction
    scale:
      - {id: good, title: 好, score: 100}
      - {id: fair, title: 较好, score: 80}
      - {id: average, title: 一般, score: 60}
      - {id: poor, title: 差, score: 0}
    raters:
      clients: {title: 服务对象, weight: 50, sample: 100}
      grassroots: {title: 基层单位, weight: 30, sample: 100}
      deputies: {title: 人大代表, weight: 20, sample: 100}
    bands:
      - {id: good, title: 好, min: 85}
      - {id: fair, title: 较好, min: 75}
      - {id: average, title: 一般, min: 60}
      - {id: poor, title: 差}
  pooled:
    title: 满意度测评
    sample: 300
    scale:
      - {id: satisfied, title: 满意, score: 100}
      - {id: basically, title: 基本满意, score: 60}
      - {id: dissatisfied, title: 不满意, score: 0}
    raters:
      staff: {title: 职工, share: 60%}
      patients: {title: 患者, share: 40%}
"""

# Fuling's three distributions (seed catalogue §7, 004 L22), one per group.
FULING = {
    "clients": {"good": 28, "fair": 40, "average": 27, "poor": 5},
    "grassroots": {"good": 22, "fair": 37, "average": 34, "poor": 7},
    "deputies": {"good": 18, "fair": 37, "average": 37, "poor": 8},
}


@pytest.fixture(scope="module")
def scheme():  # type: ignore[no-untyped-def]
    return load_scheme_text(SCHEME, file="probe.yaml")


def counts(unit: str = "u", groups: dict[str, dict[str, int]] = FULING) -> list[SurveyCount]:
    return [SurveyCount(unit, "appraisal", g, c) for g, c in groups.items()]


class TestResults:
    """Hand-computed results, exact."""

    def test_weighted(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """Group scores 76.2 / 72 / 69.8; weighted 0.5×76.2 + 0.3×72 + 0.2×69.8 = 73.66."""
        r = survey_result(scheme, "appraisal", "u", counts())
        assert [g.score for g in r.groups] == [D("76.2"), D("72"), D("69.8")]
        assert r.score == D("73.66")
        # 好 = 0.5×28 + 0.3×22 + 0.2×18 = 24.2; 较好 38.5; 一般 31.1; 差 6.2.
        assert r.shares == {
            "good": D("24.2"),
            "fair": D("38.5"),
            "average": D("31.1"),
            "poor": D("6.2"),
        }
        assert r.responses == 300 and r.missing == ()
        assert r.band == "average"  # 60 ≤ 73.66 < 75
        assert r.groups[0].shares == {
            "good": D(28), "fair": D(40), "average": D(27), "poor": D(5)
        }  # fmt: skip

    def test_missing_group_reweights(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """Without 人大代表: (0.5×76.2 + 0.3×72) / 0.8 = 74.625."""
        groups = {k: v for k, v in FULING.items() if k != "deputies"}
        r = survey_result(scheme, "appraisal", "u", counts(groups=groups))
        assert r.score == D("74.625")
        assert r.missing == ("deputies",)

    def test_pooled_is_exact_or_floored(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """Pooled ballots: (2×100 + 1×60 + 0) / 3 = 86.666…, floored at 28 digits."""
        ballots = [
            Ballot("u", "pooled", "staff", "satisfied", rater="a"),
            Ballot("u", "pooled", "staff", "satisfied", rater="b"),
            Ballot("u", "pooled", "patients", "basically"),
        ]
        r = survey_result(scheme, "pooled", "u", ballots)
        assert r.exact_score == Fraction(260, 3)
        assert r.score == D("86.66666666666666666666666666")
        assert r.share(["satisfied"]) == Fraction(200, 3)
        assert r.band is None

    def test_counts_and_ballots_add_up(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """Counts and ballots of the same group are added; other units are ignored."""
        results = [
            SurveyCount("u", "pooled", "staff", {"satisfied": 1}),
            Ballot("u", "pooled", "staff", "dissatisfied"),
            Ballot("v", "pooled", "staff", "dissatisfied"),
        ]
        r = survey_result(scheme, "pooled", "u", results)
        assert r.responses == 2 and r.score == D(50)
        assert [x.unit for x in survey_results(scheme, "pooled", ["u", "v"], results)] == [
            "u",
            "v",
        ]

    def test_no_ballots(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """No ballots: no score, no shares, every group missing; nothing fed."""
        r = survey_result(scheme, "appraisal", "u", [])
        assert (r.score, r.shares, r.band) == (None, None, None)
        assert r.missing == ("clients", "grassroots", "deputies")
        assert survey_inputs(scheme, [r]) == []

    def test_feeds_an_indicator(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """The score feeds `satisfaction`: 0.8×90 + 0.2×73.66 = 86.732."""
        r = survey_result(scheme, "appraisal", "u", counts())
        inputs = [ScoreInput("u", "work", D(90)), *survey_inputs(scheme, [r])]
        card = score_unit(scheme, "u", inputs)
        assert card.line("satisfaction").value == D("73.66")
        assert card.total == D("86.732") and card.band == "good"

    def test_feeds_points_and_rater_groups(self) -> None:
        """Points model: 20 points × 73.66% = 14.732; rater groups feed their own groups."""
        text = SCHEME.replace(
            "  - {id: work, title: 工作, weight: 80}\n"
            "  - {id: satisfaction, title: 满意度, weight: 20}\n",
            "  - {id: work, title: 工作, points: 80}\n"
            "  - {id: satisfaction, title: 公众评价, points: 20}\n",
        ).replace("title: 测评探针\n", "title: 测评探针\nmodel: points\n")
        points = load_scheme_text(text)
        r = survey_result(points, "appraisal", "u", counts())
        [fed] = survey_inputs(points, [r])
        assert fed.value == D("14.732")
        grouped = load_scheme_text(
            SCHEME.replace(
                "  - {id: satisfaction, title: 满意度, weight: 20}\n",
                "  - id: satisfaction\n    title: 满意度\n    weight: 20\n    raters:\n"
                "      clients: {title: 服务对象, weight: 50}\n"
                "      grassroots: {title: 基层单位, weight: 30}\n"
                "      deputies: {title: 人大代表, weight: 20}\n",
            )
        )
        r = survey_result(grouped, "appraisal", "u", counts())
        fed_groups = {i.rater_group: i.value for i in survey_inputs(grouped, [r])}
        assert fed_groups == {"clients": D("76.2"), "grassroots": D("72"), "deputies": D("69.8")}
        card = score_unit(
            grouped, "u", [ScoreInput("u", "work", D(90)), *survey_inputs(grouped, [r])]
        )
        assert card.line("satisfaction").value == D("73.66")

    def test_bad_results_listed_at_once(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """Unknown group, category, answer, a double vote and an overfull sample: one error."""
        results = [
            SurveyCount("u", "appraisal", "mayors", {"good": 1}),
            SurveyCount("u", "appraisal", "clients", {"excellent": 1, "good": 101}),
            Ballot("u", "appraisal", "deputies", "meh"),
            Ballot("u", "appraisal", "deputies", "good", rater="d1"),
            Ballot("u", "appraisal", "deputies", "good", rater="d1"),
        ]
        with pytest.raises(ScoringError) as info:
            survey_result(scheme, "appraisal", "u", results)
        message = str(info.value)
        for part in ("'mayors'", "'excellent'", "'meh'", "'d1'", "more than its sample of 100"):
            assert part in message
        with pytest.raises(ScoringError, match="declares no survey 'nope'"):
            survey_result(scheme, "nope", "u", [])
        with pytest.raises(ScoringError, match="whole number"):
            SurveyCount("u", "appraisal", "clients", {"good": -1})


class TestProperties:
    """Shares sum to 100 and the score is the shares' weighted mean."""

    @settings(max_examples=100)
    @given(
        table=st.lists(
            st.lists(st.integers(min_value=0, max_value=25), min_size=4, max_size=4),
            min_size=3,
            max_size=3,
        )
    )
    def test_shares_and_score(self, table: list[list[int]]) -> None:
        """Σ shares = 100 exactly; score = Σ share × category score / 100; within 0–100."""
        scheme = load_scheme_text(SCHEME)
        cats = ("good", "fair", "average", "poor")
        groups = {
            g: dict(zip(cats, row, strict=True)) for g, row in zip(FULING, table, strict=True)
        }
        r = survey_result(scheme, "appraisal", "u", counts(groups=groups))
        if r.exact_shares is None:
            assert sum(map(sum, table)) == 0
            return
        assert sum(r.exact_shares.values()) == 100
        values = {"good": 100, "fair": 80, "average": 60, "poor": 0}
        assert r.exact_score == sum(r.exact_shares[c] * values[c] for c in cats) / 100
        assert 0 <= r.exact_score <= 100
        assert r.score is not None and r.score <= r.exact_score  # floored, never above


class TestValidation:
    """Survey declarations are checked like the rest of a scheme, each problem located."""

    def test_every_problem_located(self) -> None:
        """Weights, scale order, range, duplicates, feeds, shares and samples."""
        bad = """\
kind: scoring
id: bad
title: 坏
indicators:
  - {id: a, title: A, weight: 100}
surveys:
  s1:
    title: 测评
    feeds: nowhere
    scale:
      - {id: good, title: 好, score: 60}
      - {id: poor, title: 差, score: 80}
      - {id: poor, title: 差, score: 120}
    raters:
      x: {title: 甲, weight: 60}
      y: {title: 乙, weight: 30}
  s2:
    title: 测评
    sample: 10
    scale: [{id: a, title: 满意, score: 100}]
    raters:
      x: {title: 甲, weight: 50, sample: 4}
      y: {title: 乙, sample: 5}
  s3:
    title: 测评
    scale: [{id: a, title: 满意, score: 100}, {id: b, title: 不满意, score: 0}]
    raters:
      x: {title: 甲, share: 50%}
"""
        with pytest.raises(TemplateError) as info:
            load_scheme_text(bad, file="bad.yaml")
        got = [(p.line, p.path, p.message) for p in info.value.problems]
        expect = {
            (9, "surveys.s1.feeds"): "not a leaf indicator",
            (12, "surveys.s1.scale[1].score"): "best first",
            (13, "surveys.s1.scale[2].score"): "0–100",
            (14, "surveys.s1.raters"): "sum to 90, not 100",
            (20, "surveys.s2.scale"): "at least two",
            (21, "surveys.s2.raters"): "give every rater group a weight, or none",
            (21, "surveys.s2.raters "): "samples sum to 9, not the survey's 10",
            (27, "surveys.s3.raters"): "shares sum to 50, not 100",
            (28, "surveys.s3.raters.x.share"): "declare it",
        }
        for (line, path), words in expect.items():
            assert any(
                (g_line, g_path) == (line, path.strip()) and words in message
                for g_line, g_path, message in got
            ), (line, path, words, got)
        assert len(got) == len(expect)

    def test_samples_sum(self) -> None:
        """Group samples that do not add up to the survey's sample are a problem."""
        text = SCHEME.replace(
            "      staff: {title: 职工, share: 60%}", "      staff: {title: 职工, sample: 100}"
        )
        text = text.replace(
            "      patients: {title: 患者, share: 40%}",
            "      patients: {title: 患者, sample: 100}",
        )
        with pytest.raises(TemplateError, match="sum to 200, not the survey's 300"):
            load_scheme_text(text)

    def test_share_gives_group_sample(self, scheme) -> None:  # type: ignore[no-untyped-def]
        """share × the survey's sample: 60% of 300 = 180 ballots."""
        pooled = scheme.survey("pooled")
        assert pooled.group_sample("staff") == 180 and pooled.group_sample("patients") == 120
        with pytest.raises(ScoringError, match="more than its sample of 120"):
            survey_result(
                scheme, "pooled", "u", [SurveyCount("u", "pooled", "patients", {"satisfied": 121})]
            )
