"""Survey results (测评, 群众评议, 万人评机关): counts or ballots per rater group → a unit's
weighted score and category shares, exact.

A survey is declared in a scoring scheme (``surveys:``). Results come as counts
(:class:`SurveyCount`: 好 28, 较好 40 …) or as individual ballots (:class:`Ballot`); both
may be mixed and are added up. Shares and scores are exact rationals, shown as
:class:`~decimal.Decimal` (exact when the decimal terminates, else 28 significant digits
rounded towards −∞, as scorecards are).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs

from zyw_flow.evaluation._decl import Survey
from zyw_flow.evaluation._scheme import ScoringError, ScoringScheme
from zyw_flow.evaluation._score import ScoreInput, to_decimal

__all__ = [
    "Ballot",
    "GroupResult",
    "SurveyCount",
    "SurveyResult",
    "survey_inputs",
    "survey_result",
    "survey_results",
]


def _as_dict(value: Mapping[str, int]) -> dict[str, int]:
    return dict(value)


@attrs.frozen
class SurveyCount:
    """How many ballots of a rater group gave each category to a unit.

    Attributes:
        unit: the unit rated.
        survey: the survey id.
        group: the rater group id.
        counts: category id → number of ballots (whole numbers ≥ 0).
    """

    unit: str
    survey: str
    group: str
    counts: Mapping[str, int] = attrs.field(converter=_as_dict)

    def __attrs_post_init__(self) -> None:
        for category, n in self.counts.items():
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise ScoringError(
                    f"the count of {category!r} for {self.unit!r} ({self.survey}, {self.group}) "
                    f"must be a whole number ≥ 0, not {n!r}"
                )


@attrs.frozen
class Ballot:
    """One rater's answer about a unit; ``rater`` (optional) catches a rater voting twice."""

    unit: str
    survey: str
    group: str
    answer: str
    rater: str | None = None


@attrs.frozen
class GroupResult:
    """A rater group's part of a unit's result.

    Attributes:
        group: the group id.
        title: its name.
        weight: its declared weight (``None`` when the survey pools ballots).
        responses: ballots counted.
        sample: ballots it was to return, if declared.
        counts: category id → ballots, every category listed (best first).
        shares: category id → percent of the group's ballots (``None`` without ballots).
        score: the group's mean score 0–100 (``None`` without ballots).
    """

    group: str
    title: str
    weight: Decimal | None
    responses: int
    sample: int | None
    counts: dict[str, int]
    shares: dict[str, Decimal] | None
    score: Decimal | None


@attrs.frozen
class SurveyResult:
    """A unit's survey result.

    Attributes:
        survey: the survey id.
        unit: the unit.
        responses: every ballot counted.
        groups: one line per rater group, in declared order.
        shares: category id → percent: weighted by group weight (groups without ballots
            have their weight shared by the others), or over all ballots when pooled.
            ``None`` when there is no ballot at all.
        score: the weighted (or pooled) mean score 0–100; ``None`` without ballots.
        band: the survey band of the score (``None`` when none declared or no score).
        missing: groups without a ballot.
    """

    survey: str
    unit: str
    responses: int
    groups: tuple[GroupResult, ...]
    shares: dict[str, Decimal] | None
    score: Decimal | None
    band: str | None
    missing: tuple[str, ...]
    exact_shares: dict[str, Fraction] | None = attrs.field(default=None, repr=False, eq=False)
    exact_score: Fraction | None = attrs.field(default=None, repr=False, eq=False)

    def share(self, categories: Iterable[str]) -> Fraction | None:
        """The exact combined percent of some categories (``None`` without ballots)."""
        if self.exact_shares is None:
            return None
        return sum((self.exact_shares[c] for c in categories), Fraction(0))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; numbers are decimal strings."""

        def s(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        def shares(values: dict[str, Decimal] | None) -> dict[str, str | None] | None:
            return None if values is None else {k: s(v) for k, v in values.items()}

        return {
            "survey": self.survey,
            "unit": self.unit,
            "responses": self.responses,
            "score": s(self.score),
            "band": self.band,
            "shares": shares(self.shares),
            "missing": list(self.missing),
            "groups": [
                {
                    "group": g.group,
                    "weight": s(g.weight),
                    "responses": g.responses,
                    "sample": g.sample,
                    "counts": g.counts,
                    "shares": shares(g.shares),
                    "score": s(g.score),
                }
                for g in self.groups
            ],
        }


def _survey(scheme: ScoringScheme, survey_id: str) -> Survey:
    try:
        return scheme.survey(survey_id)
    except KeyError:
        known = ", ".join(sv.id for sv in scheme.surveys) or "none"
        raise ScoringError(
            f"scheme {scheme.id!r} declares no survey {survey_id!r}; surveys: {known}"
        ) from None


def _tally(
    survey: Survey, unit: str, results: Iterable[SurveyCount | Ballot]
) -> dict[str, dict[str, int]]:
    """Counts per group and category for one unit; every bad result listed in one error."""
    counts = {g.id: {c.id: 0 for c in survey.scale} for g in survey.groups}
    problems: list[str] = []
    raters: set[tuple[str, str]] = set()
    for r in results:
        if r.unit != unit or r.survey != survey.id:
            continue
        if r.group not in counts:
            problems.append(f"unknown rater group {r.group!r}; groups: {', '.join(counts)}")
            continue
        if isinstance(r, Ballot):
            if r.answer not in counts[r.group]:
                problems.append(
                    f"unknown answer {r.answer!r} ({r.group}); scale: {', '.join(counts[r.group])}"
                )
                continue
            if r.rater is not None:
                if (r.group, r.rater) in raters:
                    problems.append(f"rater {r.rater!r} ({r.group}) voted twice")
                    continue
                raters.add((r.group, r.rater))
            counts[r.group][r.answer] += 1
            continue
        for category, n in r.counts.items():
            if category not in counts[r.group]:
                problems.append(
                    f"unknown category {category!r} ({r.group}); "
                    f"scale: {', '.join(counts[r.group])}"
                )
                continue
            counts[r.group][category] += n
    for g in survey.groups:
        sample = survey.group_sample(g.id)
        got = sum(counts[g.id].values())
        if sample is not None and got > sample:
            problems.append(f"{got} ballots from {g.id!r}, more than its sample of {sample}")
    if survey.sample is not None:
        total = sum(sum(c.values()) for c in counts.values())
        if total > survey.sample:
            problems.append(f"{total} ballots, more than the survey's sample of {survey.sample}")
    if problems:
        raise ScoringError(
            f"survey {survey.id!r}, unit {unit!r}: " + "; ".join(dict.fromkeys(problems))
        )
    return counts


@functools.lru_cache(maxsize=256)
def _integers(survey: Survey) -> tuple[int, dict[str, int], dict[str, int]]:
    """Integer arithmetic, one rational per result: the scores × ``den`` and the weights
    (scaled alike) are integers. Cached per survey (a survey is read for every unit)."""
    scores = [Fraction(c.score) for c in survey.scale]
    den = math.lcm(*(f.denominator for f in scores))
    score_int = {c.id: int(f * den) for c, f in zip(survey.scale, scores, strict=True)}
    weights = {g.id: Fraction(g.weight) for g in survey.groups if g.weight is not None}
    wden = math.lcm(*(f.denominator for f in weights.values())) if weights else 1
    return den, score_int, {g: int(f * wden) for g, f in weights.items()}


def survey_result(
    scheme: ScoringScheme, survey_id: str, unit: str, results: Iterable[SurveyCount | Ballot]
) -> SurveyResult:
    """A unit's result in a survey, from counts and ballots (others' results are ignored).

    Each group's score is the mean of its ballots' category scores and its shares are
    each category's part of its ballots. With group weights, the unit's score and shares
    weigh the groups (a group without ballots has its weight shared out by the others,
    and is listed in ``missing``); without, every ballot counts alike.

    Raises:
        ScoringError: no such survey; an unknown group, category or answer; a rater who
            voted twice; more ballots than a declared sample (all listed at once).
    """
    survey = _survey(scheme, survey_id)
    counts = _tally(survey, unit, results)
    categories = [c.id for c in survey.scale]
    den, score_int, weight_int = _integers(survey)
    lines: list[GroupResult] = []
    sums: dict[str, int] = {}  # Σ count × score_int per group with ballots
    sizes: dict[str, int] = {}
    for g in survey.groups:
        mine = counts[g.id]
        n = sum(mine.values())
        shares: dict[str, Decimal] | None = None
        score: Decimal | None = None
        if n:
            sizes[g.id] = n
            sums[g.id] = sum(mine[c] * score_int[c] for c in categories)
            shares = {c: to_decimal(Fraction(100 * mine[c], n)) for c in categories}
            score = to_decimal(Fraction(sums[g.id], n * den))
        lines.append(
            GroupResult(g.id, g.title, g.weight, n, survey.group_sample(g.id), mine, shares, score)
        )
    total = sum(line.responses for line in lines)
    missing = tuple(line.group for line in lines if not line.responses)
    overall: dict[str, Fraction] | None = None
    overall_score: Fraction | None = None
    if total and survey.weighted:
        present = list(sizes)
        common = math.lcm(*(sizes[g] for g in present))
        scale = {g: weight_int[g] * (common // sizes[g]) for g in present}
        wsum = sum(weight_int[g] for g in present) * common
        overall = {
            c: Fraction(100 * sum(scale[g] * counts[g][c] for g in present), wsum)
            for c in categories
        }
        overall_score = Fraction(sum(scale[g] * sums[g] for g in present), wsum * den)
    elif total:
        pooled = {c: sum(counts[g][c] for g in counts) for c in categories}
        overall = {c: Fraction(100 * pooled[c], total) for c in categories}
        overall_score = Fraction(sum(pooled[c] * score_int[c] for c in categories), total * den)
    band: str | None = None
    if overall_score is not None:
        for b in survey.bands:
            if b.min is None or overall_score >= Fraction(b.min):
                band = b.id
                break
    return SurveyResult(
        survey=survey.id,
        unit=unit,
        responses=total,
        groups=tuple(lines),
        shares=None if overall is None else {c: to_decimal(v) for c, v in overall.items()},
        score=None if overall_score is None else to_decimal(overall_score),
        band=band,
        missing=missing,
        exact_shares=overall,
        exact_score=overall_score,
    )


def survey_results(
    scheme: ScoringScheme,
    survey_id: str,
    units: Iterable[str],
    results: Iterable[SurveyCount | Ballot],
) -> list[SurveyResult]:
    """:func:`survey_result` for each unit, in order."""
    items = list(results)
    return [survey_result(scheme, survey_id, u, items) for u in units]


def survey_inputs(scheme: ScoringScheme, results: Iterable[SurveyResult]) -> list[ScoreInput]:
    """Score inputs for the indicators the surveys feed (``feeds:``).

    The unit's score (0–100) is put on the leaf's scale (× points / 100 in the points
    model). When the leaf has rater groups, each survey group's score feeds its own group
    instead (the leaf's weights apply). A result without ballots feeds nothing (the
    scheme's ``missing`` policy then decides). Results of surveys that feed nothing are
    skipped.
    """
    out: list[ScoreInput] = []
    for r in results:
        survey = _survey(scheme, r.survey)
        if survey.feeds is None or r.exact_score is None:
            continue
        leaf = scheme.indicator(survey.feeds)
        factor = Fraction(scheme.scale(leaf)) / 100
        if leaf.raters:
            for g in r.groups:
                if g.score is not None:
                    value = to_decimal(Fraction(g.score) * factor)
                    out.append(ScoreInput(r.unit, leaf.id, value, rater_group=g.group))
        else:
            out.append(ScoreInput(r.unit, leaf.id, to_decimal(r.exact_score * factor)))
    return out
