"""Consequence rules: a condition on a unit's round (grade band, rank position, survey
result, input predicates, how many times it happened) → actions (a sanction of the ladder,
限时整改 with its deadline, 重点监督, loss of 评优资格, 通报 …).

A scheme's ``rules:`` and its ``consequences:`` package (001-E 诫勉, read as two rules; see
:meth:`ScoringScheme.consequence_rules`) are evaluated here over one or several rounds,
oldest first. Pure: the caller gives the rounds (scorecards, survey results and the
predicates it knows, such as ``open_case``) and gets the actions back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from fractions import Fraction

import attrs

from zyw_flow.evaluation._decl import Condition, Rule
from zyw_flow.evaluation._scheme import ScoringError, ScoringScheme
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
        totals = [c.total for c in r.scorecards if c.total is not None]
        self.totals = totals
        self.surveys = {(s.survey, s.unit): s for s in r.surveys}
        self.predicates = r.predicates
        self.units = sorted(set(self.cards) | {s.unit for s in r.surveys})

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
            if cond.top is not None and sum(t > card.total for t in self.totals) >= cond.top:
                return False
            if cond.bottom is not None and (
                sum(t < card.total for t in self.totals) >= cond.bottom
            ):
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
        return unit in self.cards or any(u == unit for _, u in self.surveys)


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
    counts: dict[tuple[str, str], int] = {}
    years: dict[tuple[str, str], int | str | None] = {}
    out: list[RuleAction] = []
    for index, rnd in enumerate(seq):
        view = _View(rnd)
        for rule in chosen:
            cond = rule.when
            if cond.occurrence is not None and cond.window == "year" and rnd.year is None:
                raise ScoringError(
                    f"rule {rule.id!r} counts occurrences per year: give each Round its year"
                )
            for unit in view.units:
                key = (rule.id, unit)
                ok = view.holds(cond, unit)
                n = 1
                if cond.occurrence is not None:
                    if cond.window == "year" and years.get(key, rnd.year) != rnd.year:
                        counts.pop(key, None)
                    years[key] = rnd.year
                    if not ok:
                        if cond.window == "consecutive" and view.present(unit):
                            counts.pop(key, None)
                        continue
                    n = counts[key] = counts.get(key, 0) + 1
                    if n < cond.occurrence or (n > cond.occurrence and not cond.and_beyond):
                        continue
                elif not ok:
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
    if scheme.consequences is None:
        return []
    fired = rule_consequences(scheme, scorecard, rules=("consequences", "consequences_unit"))
    return [
        Consequence(a.unit, a.kind, a.title, a.target, a.to, a.within, a.within_unit) for a in fired
    ]
