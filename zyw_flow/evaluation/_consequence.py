"""Consequence rules: a condition on a unit's round (grade band, rank position, survey
result, input predicates, how many times it happened) → actions (a sanction of the ladder,
限时整改 with its deadline, 重点监督, loss of 评优资格, 通报 …).

A scheme's ``rules:`` and its ``consequences:`` package (001-E 诫勉, read as two rules; see
:meth:`ScoringScheme.consequence_rules`) are evaluated here over one or several rounds,
oldest first. Pure: the caller gives the rounds (scorecards, survey results and the
predicates it knows, such as ``open_case``) and gets the actions back.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Iterable, Mapping, Sequence
from fractions import Fraction

import attrs

from zyw_flow.evaluation._decl import Condition, Rule
from zyw_flow.evaluation._scheme import ScoringError, ScoringScheme, package_rules
from zyw_flow.evaluation._score import Scorecard
from zyw_flow.evaluation._survey import SurveyResult

__all__ = ["Consequence", "Round", "RuleAction", "apply_rules", "consequences", "rule_consequences"]


@attrs.frozen
class Consequence:
    """A consequence of a grade (诫勉).

    Attributes:
        unit: the unit or person concerned.
        kind: ``written_report`` (书面情况报告), ``admonition_talk`` (诫勉谈话),
            ``key_rectification`` (重点整改单位) or ``award_ineligibility`` (取消所属人员评优资格).
        title: the Chinese name.
        target: who bears it: ``unit``, ``person`` or ``members`` (the unit's staff).
        to: the body it goes to or comes from (局长办公会议, 局领导), if any.
        within: a deadline in ``within_unit`` counted from when the grade is final (the
            written report), else ``None``.
        within_unit: ``working_days`` or ``days``.
    """

    unit: str
    kind: str
    title: str
    target: str
    to: str | None = None
    within: int | None = None
    within_unit: str | None = None


def _cards(value: Iterable[Scorecard]) -> tuple[Scorecard, ...]:
    return tuple(value)


def _results(value: Iterable[SurveyResult]) -> tuple[SurveyResult, ...]:
    return tuple(value)


def _predicates(value: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    return {str(k): frozenset(v) for k, v in value.items()}


@attrs.frozen
class Round:
    """What the rules read of one evaluation round.

    Attributes:
        scorecards: the units' (or persons') scorecards.
        surveys: survey results of the round.
        predicates: predicate name → the units for which it holds (``open_case``: units
            with an open 问责 case), supplied by the caller.
        year: the round's year, for rules that count occurrences per ``year``.
    """

    scorecards: tuple[Scorecard, ...] = attrs.field(default=(), converter=_cards)
    surveys: tuple[SurveyResult, ...] = attrs.field(default=(), converter=_results)
    predicates: Mapping[str, frozenset[str]] = attrs.field(factory=dict, converter=_predicates)
    year: int | str | None = None


@attrs.frozen
class RuleAction:
    """An action a rule fired for a unit.

    Attributes:
        unit: the unit (or person).
        rule: the rule id.
        round: index of the round (0 = first given).
        kind: the action kind (``sanction``, ``rectification``, ``key_supervision`` …).
        title: its name.
        target: ``unit``, ``person``, ``members``, ``principal_leader`` or
            ``leadership_team``.
        sanction: the ladder step of a ``sanction``.
        to: the body it goes to or comes from, if any.
        within: a deadline counted from when the round is final, if any.
        within_unit: ``days`` or ``working_days``.
        occurrence: how many times the condition has held (in the rule's window).
    """

    unit: str
    rule: str
    round: int
    kind: str
    title: str
    target: str
    sanction: str | None = None
    to: str | None = None
    within: int | None = None
    within_unit: str | None = None
    occurrence: int = 1


class _View:
    """One round, indexed for the conditions."""

    def __init__(self, r: Round) -> None:
        self.cards = {c.unit: c for c in r.scorecards}
        self.ranked = sorted((c.total, c.unit) for c in r.scorecards if c.total is not None)
        self.totals = [t for t, _ in self.ranked]
        self.surveys = {(s.survey, s.unit): s for s in r.surveys}
        self.predicates = r.predicates
        self.units = sorted(set(self.cards) | {s.unit for s in r.surveys})
        self.surveyed = {s.unit for s in r.surveys}
        self.by_band: dict[str | None, list[str]] = {}
        for c in r.scorecards:
            self.by_band.setdefault(c.band, []).append(c.unit)
        self.by_survey: dict[str, list[str]] = {}
        for sr in r.surveys:
            self.by_survey.setdefault(sr.survey, []).append(sr.unit)

    def candidates(self, cond: Condition) -> list[str]:
        """Units that may satisfy ``cond`` (a superset, sorted): the smallest of the pools
        its parts select, so that a selective rule never looks at every unit."""
        pools: list[Collection[str]] = []
        if cond.bands:
            pools.append([u for b in cond.bands for u in self.by_band.get(b, ())])
        n = len(self.totals)
        if cond.bottom is not None:
            end = bisect_right(self.totals, self.totals[cond.bottom - 1]) if cond.bottom < n else n
            pools.append([u for _, u in self.ranked[:end]])
        if cond.top is not None:
            start = bisect_left(self.totals, self.totals[n - cond.top]) if cond.top < n else 0
            pools.append([u for _, u in self.ranked[start:]])
        if cond.survey is not None:
            pools.append(self.by_survey.get(cond.survey, ()))
        for name in cond.predicates:
            pools.append(self.predicates.get(name, frozenset()))
        if not pools:
            return self.units
        smallest: Collection[str] = min(pools, key=lambda pool: len(pool))
        return sorted(set(smallest))

    def holds(self, cond: Condition, unit: str) -> bool:
        card = self.cards.get(unit)
        if cond.bands and (card is None or card.band not in cond.bands):
            return False
        if cond.subject is not None and (
            card is None or card.is_person != (cond.subject == "persons")
        ):
            return False
        if cond.top is not None or cond.bottom is not None:
            if card is None or card.total is None:
                return False
            above = len(self.totals) - bisect_right(self.totals, card.total)
            if cond.top is not None and above >= cond.top:
                return False
            if cond.bottom is not None and bisect_left(self.totals, card.total) >= cond.bottom:
                return False
        if cond.survey is not None:
            result = self.surveys.get((cond.survey, unit))
            if result is None or result.exact_score is None:
                return False
            if cond.survey_bands and result.band not in cond.survey_bands:
                return False
            if cond.share_of:
                share = result.share(cond.share_of)
                assert share is not None
                if cond.share_above is not None and not share > Fraction(cond.share_above):
                    return False
                if cond.share_at_least is not None and not share >= Fraction(cond.share_at_least):
                    return False
            if cond.score_below is not None and not result.exact_score < Fraction(cond.score_below):
                return False
        return all(unit in self.predicates.get(p, ()) for p in cond.predicates)

    def present(self, unit: str) -> bool:
        return unit in self.cards or unit in self.surveyed


def apply_rules(
    scheme: ScoringScheme,
    rounds: Round | Sequence[Round],
    *,
    rules: Collection[str] | None = None,
) -> list[RuleAction]:
    """Every action the scheme's consequence rules fire, round by round (oldest first).

    A rule fires for a unit in a round when every part of its condition holds. With
    ``occurrence: n`` it fires only on the n-th round in which the rest holds (``n+``:
    the n-th and every later one), counted over the rule's ``window``: the whole
    ``campaign`` (the rounds given), each ``year`` (``Round.year``), or ``consecutive``
    rounds (a round in which the unit is evaluated and the condition fails resets the
    count; a round without the unit neither counts nor resets). Rank conditions include
    ties at the cut. Actions come in round order, then rule order, then unit id.

    Args:
        scheme: the scheme (its ``consequences:`` package and its ``rules:``).
        rounds: one round or several, oldest first.
        rules: only these rule ids (default: all).

    Raises:
        ScoringError: an unknown rule id in ``rules``, or a ``year`` window without
            ``Round.year``.
    """
    seq = [rounds] if isinstance(rounds, Round) else list(rounds)
    chosen: list[Rule] = list(scheme.consequence_rules())
    if rules is not None:
        known = {r.id for r in chosen}
        unknown = sorted(set(rules) - known)
        if unknown:
            raise ScoringError(
                f"scheme {scheme.id!r} has no rule {', '.join(unknown)}; "
                f"rules: {', '.join(sorted(known)) or 'none'}"
            )
        chosen = [r for r in chosen if r.id in rules]
    counts: dict[str, dict[str, int]] = {r.id: {} for r in chosen}
    years: dict[str, dict[str, int | str | None]] = {r.id: {} for r in chosen}
    out: list[RuleAction] = []
    for index, rnd in enumerate(seq):
        view = _View(rnd)
        for rule in chosen:
            cond = rule.when
            if cond.occurrence is not None and cond.window == "year" and rnd.year is None:
                raise ScoringError(
                    f"rule {rule.id!r} counts occurrences per year: give each Round its year"
                )
            holding = [u for u in view.candidates(cond) if view.holds(cond, u)]
            mine, seen_year = counts[rule.id], years[rule.id]
            if cond.occurrence is not None and cond.window == "consecutive":
                held = set(holding)
                for unit in [u for u in mine if u not in held and view.present(u)]:
                    del mine[unit]  # evaluated and outside: the run is broken
            for unit in holding:
                n = 1
                if cond.occurrence is not None:
                    if cond.window == "year" and seen_year.get(unit, rnd.year) != rnd.year:
                        mine.pop(unit, None)
                    seen_year[unit] = rnd.year
                    n = mine[unit] = mine.get(unit, 0) + 1
                    if n < cond.occurrence or (n > cond.occurrence and not cond.and_beyond):
                        continue
                card = view.cards.get(unit)
                for action in rule.then:
                    target = action.target
                    if target == "subject":
                        target = "person" if card is not None and card.is_person else "unit"
                    out.append(
                        RuleAction(
                            unit=unit,
                            rule=rule.id,
                            round=index,
                            kind=action.kind,
                            title=action.title,
                            target=target,
                            sanction=action.sanction,
                            to=action.to,
                            within=action.within,
                            within_unit=action.within_unit,
                            occurrence=n,
                        )
                    )
    return out


def rule_consequences(
    scheme: ScoringScheme, scorecard: Scorecard, *, rules: Collection[str] | None = None
) -> list[RuleAction]:
    """The actions the rules fire for one scorecard alone (a round of one, no surveys,
    no predicates)."""
    return [a for a in apply_rules(scheme, Round((scorecard,)), rules=rules)]


def consequences(scheme: ScoringScheme, scorecard: Scorecard) -> list[Consequence]:
    """What a scorecard's grade brings under ``consequences:`` (nothing if not declared).

    The package is a rule set (:meth:`ScoringScheme.consequence_rules`), evaluated here on
    the scorecard alone. For the declared band (诫勉), however it was reached (by score or
    by downgrade): a written report to the 局长办公会议 within the declared days (10
    working days by default) and an admonition talk by the 局领导 — for units and persons
    alike
    (「被确定为“诫勉”的处室、单位和个人。要向局长办公会议提交书面情况报告,并由局领导对其进行诫勉谈话。」);
    a unit also becomes a key rectification unit (「直接列为重点整改单位」) and its staff lose
    their award eligibility (「取消所属人员评优资格」).
    """
    package = scheme.consequences
    if package is None or scorecard.band != package.band:
        return []  # the common case
    who = "person" if scorecard.is_person else "unit"
    out: list[Consequence] = []
    for rule in package_rules(package):  # bands hold; only the subject differs
        if rule.when.subject == "units" and scorecard.is_person:
            continue
        for a in rule.then:
            target = who if a.target == "subject" else a.target
            out.append(
                Consequence(scorecard.unit, a.kind, a.title, target, a.to, a.within, a.within_unit)
            )
    return out
