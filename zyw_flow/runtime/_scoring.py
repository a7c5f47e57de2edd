"""Evaluation inside a running campaign: decide functions for scores, deductions, cases and
finalising a round, and the evaluation read model.

Scores and cases are recorded events like any other (prepared, authorised with the
scheme's scorer roles through the one authority path, journaled, replayed); grades are
computed from them by :mod:`zyw_flow.evaluation`, and finalising a round records the
grades and fires their consequences as events of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import attrs

from zyw_flow._errors import TransitionRefused
from zyw_flow._time import from_us
from zyw_flow.evaluation import (
    Case,
    Deduction,
    RankRow,
    Scorecard,
    ScoreInput,
    ScoringError,
    ScoringScheme,
    bottom_actions,
    check_score_inputs,
    consequences,
    grade_distribution,
    parse_decimal,
    rank,
    score_unit,
    score_units,
    select_advanced,
    select_excellent_people,
    top_bottom_publicity,
)
from zyw_flow.runtime._consequences import fire_rules, predicates, round_inputs
from zyw_flow.runtime._decide import (
    authorise,
    finding_deadline,
    new_finding,
    sanction_event,
)
from zyw_flow.runtime._events import (
    CaseRecorded,
    DeductionRecorded,
    DomainEvent,
    EvaluationFinalized,
    RankingAction,
    ScoreRecorded,
)
from zyw_flow.runtime._state import SYSTEM_ACTOR, State
from zyw_flow.runtime._surveys import survey_score_inputs

__all__ = [
    "Evaluation",
    "decide_case",
    "decide_deduction",
    "decide_finalize",
    "decide_score",
    "evaluate",
    "grade",
    "number",
]


@attrs.frozen
class Evaluation:
    """Scorecards, ranking and selections at one moment.

    Attributes:
        cards: scorecard per evaluated unit or person.
        ranking: the units (not persons) ranked by total.
        distribution: how many units and persons got each band.
        advanced: units chosen as 先进 within the quota.
        top, bottom: the top-N and bottom-N lists for publicity (前后N位).
    """

    cards: Mapping[str, Scorecard]
    ranking: tuple[RankRow, ...]
    distribution: Mapping[str | None, int]
    advanced: tuple[str, ...]
    top: tuple[str, ...]
    bottom: tuple[str, ...]
    excellent_people: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (scores as exact decimal strings)."""
        return {
            "cards": {u: _card_json(c) for u, c in self.cards.items()},
            "ranking": [
                {
                    "position": r.position,
                    "rank": r.rank,
                    "unit": r.unit,
                    "total": None if r.total is None else str(r.total),
                    "band": r.band,
                    "tie": r.tie,
                }
                for r in self.ranking
            ],
            # cards with no grade yet (scores missing) count as "ungraded", as on the board
            "distribution": {
                "ungraded" if k is None else str(k): v for k, v in self.distribution.items()
            },
            "advanced": list(self.advanced),
            "top": list(self.top),
            "bottom": list(self.bottom),
            "excellent_people": list(self.excellent_people),
        }


def _card_json(card: Scorecard) -> dict[str, Any]:
    data = card.to_dict()
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}


# -- deciding ---------------------------------------------------------------------------
def number(value: Decimal | int | str, what: str, unit: str, step: str | None, event: str) -> str:
    """A score or points as exact decimal text, bounded as scheme numbers are
    (:func:`zyw_flow.evaluation.parse_decimal`); a float is read as the decimal it prints as
    (``88.5``, as YAML gives it).

    Raises:
        TransitionRefused: not a finite number, or beyond the accepted precision.
    """
    given: object = repr(value) if isinstance(value, float) else value
    try:
        return str(parse_decimal(given, what=what))
    except ScoringError as exc:
        raise TransitionRefused(str(exc), unit=unit, step=step, event=event) from None


def _scheme_for(state: State, u: int, event: str) -> tuple[ScoringScheme, bool]:
    is_person = state.kind[u] == 1
    what = "persons" if is_person else "units"
    scheme = state.compiled.schemes.get(what)
    if scheme is None:
        raise TransitionRefused(
            f"the template names no scoring scheme for {what} (scoring.{what})",
            unit=state.ids[u],
            event=event,
        )
    return scheme, is_person


def decide_score(
    state: State,
    u: int,
    at: int,
    actor: str,
    payload: dict[str, Any],
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """record_score: the indicator must exist and the actor hold one of its scorer roles."""
    uid = state.ids[u]
    indicator = payload["indicator"]
    scheme, _person = _scheme_for(state, u, "score")
    try:
        ind = scheme.indicator(indicator)
    except (KeyError, LookupError, ScoringError):
        ind = None
    if ind is None:
        raise TransitionRefused(
            f"scheme {scheme.id!r} has no indicator {indicator!r}",
            unit=uid,
            step=indicator,
            event="score",
        )
    authorise(state, actor, tuple(ind.scorers), u, "score", indicator)
    period, group, rater = payload.get("period"), payload.get("rater_group"), payload.get("rater")
    entry = ScoreInput(uid, indicator, Decimal(payload["value"]), period, group, rater)
    try:
        check_score_inputs(scheme, [entry])
    except ScoringError as exc:
        raise TransitionRefused(str(exc), unit=uid, step=indicator, event="score") from None
    return [
        ScoreRecorded(at, u, actor, indicator, payload["value"], period, group, rater, payload,
                      key, fingerprint)
    ]  # fmt: skip


def decide_deduction(
    state: State,
    u: int,
    at: int,
    actor: str,
    payload: dict[str, Any],
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """record_deduction: roles of ``score``; the scheme must take the item."""
    uid = state.ids[u]
    scheme, is_person = _scheme_for(state, u, "deduction")
    authorise(state, actor, state.compiled.permissions.get("score", ("office",)), u, "deduction",
              None)  # fmt: skip
    try:
        entry = Deduction(uid, payload["item"], Decimal(payload["points"]),
                          payload.get("description") or "")  # fmt: skip
        score_unit(scheme, uid, [], deductions=[entry], is_person=is_person)
    except ScoringError as exc:
        raise TransitionRefused(str(exc), unit=uid, event="deduction") from None
    return [
        DeductionRecorded(at, u, actor, entry.item, payload["points"], entry.description, payload,
                          key, fingerprint)
    ]  # fmt: skip


def decide_case(
    state: State,
    u: int,
    at: int,
    actor: str,
    payload: dict[str, Any],
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """record_case: roles of ``sanction``; the scheme must know the kind."""
    uid = state.ids[u]
    scheme, is_person = _scheme_for(state, u, "case")
    authorise(state, actor, state.compiled.permissions.get("sanction", ()), u, "case", None)
    try:
        entry = Case(uid, payload["kind"], payload.get("item"), payload.get("person"),
                     payload.get("description") or "")  # fmt: skip
        score_unit(scheme, uid, [], cases=[entry], is_person=is_person)
    except (ScoringError, ValueError) as exc:
        raise TransitionRefused(str(exc), unit=uid, event="case") from None
    return [
        CaseRecorded(at, u, actor, entry.kind, entry.item, entry.person, entry.description,
                     payload, key, fingerprint)
    ]  # fmt: skip


# -- computing --------------------------------------------------------------------
T = TypeVar("T")


def _standing(recorded: list[T], voided: set[int]) -> list[T]:
    """The recorded cases or deductions that are not void (by their place in the list)."""
    if not voided:
        return recorded
    return [x for k, x in enumerate(recorded) if k not in voided]


def evaluate(state: State, units: Iterable[str] | None = None) -> Evaluation:
    """Scorecards, ranking, distribution and selections (see ``Campaign.evaluate``).

    With ``units``, the scorecards of those units (also of one with no scores yet) and
    their rows of the campaign's ranking, at their campaign-wide positions; the
    distribution and selections stay the campaign's (a unit is ranked among all of them,
    never among the few asked for)."""
    if units is None:
        return _evaluate(state, ())
    chosen = set(units)
    whole = _evaluate(state, chosen)
    return attrs.evolve(
        whole,
        cards={u: card for u, card in whole.cards.items() if u in chosen},
        ranking=tuple(r for r in whole.ranking if r.unit in chosen),
    )


def _evaluate(state: State, also: Iterable[str]) -> Evaluation:
    """Every unit and person with scores, and ``also``."""
    schemes = state.compiled.schemes
    if not schemes:
        raise TransitionRefused("the template names no scoring scheme", event="evaluate")
    wanted = {k[0] for k in state.scores} | set(state.surveys) | set(also)
    recorded = state.score_inputs()
    order: list[str] = state.ids
    inputs = [*recorded, *survey_score_inputs(state, wanted)]
    cards: dict[str, Scorecard] = {}
    ranked: list[Scorecard] = []
    for subject, scheme in schemes.items():
        kind = 1 if subject == "persons" else 0
        ids = [uid for uid in order if uid in wanted and state.kind[state.index[uid]] == kind]
        for card in score_units(
            scheme, ids, inputs, deductions=_standing(state.deductions, state.void_deductions),
            cases=_standing(state.cases, state.void_cases),
            is_person=kind == 1,
        ):  # fmt: skip
            cards[card.unit] = card
            if kind == 0:
                ranked.append(card)
    unit_scheme = schemes.get("units")
    ranking = tuple(rank(ranked))
    advanced: tuple[str, ...] = ()
    top: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()
    if unit_scheme is not None and ranked:
        if unit_scheme.quotas:  # a unit with an open 问责 case may be excluded (exclude:)
            advanced = tuple(select_advanced(unit_scheme, ranked, predicates=predicates(state)))
        if unit_scheme.ranking is not None:
            t, b = top_bottom_publicity(unit_scheme, list(ranking))
            top, bottom = tuple(t), tuple(b)
    excellent: tuple[str, ...] = ()
    ratio = state.compiled.resolved.template.params.get("excellent_ratio")
    people = [c for c in cards.values() if c.is_person]
    if ratio not in (None, "") and people:
        try:
            excellent = tuple(
                select_excellent_people(
                    people, Decimal(str(ratio)), ineligible=sorted(_ineligible(state, cards))
                )
            )
        except (ScoringError, InvalidOperation) as exc:
            raise TransitionRefused(
                f"parameter excellent_ratio={ratio!r}: {exc}", event="evaluate"
            ) from None
    return Evaluation(
        excellent_people=excellent,
        cards=cards,
        ranking=ranking,
        distribution=grade_distribution(cards.values()),
        advanced=advanced,
        top=top,
        bottom=bottom,
    )


def _ineligible(state: State, cards: Mapping[str, Scorecard]) -> set[str]:
    """Members who may not be 优秀: those of units graded 诫勉 in a final round, and those
    of units whose current grade is 诫勉 (the rule holds in every round, final or not)."""
    out = set(state.ineligible)
    scheme = state.compiled.schemes.get("units")
    if scheme is None:
        return out
    barred = [
        state.index[uid]
        for uid, card in cards.items()
        if not card.is_person
        and any(c.kind == "award_ineligibility" for c in consequences(scheme, card))
    ]
    out.update(state.ids[v] for v in _under(state, barred))
    return out


def _under(state: State, roots: Iterable[int]) -> list[int]:
    """Every unit and person below ``roots`` in the tree (科室 and their people too); one
    pass over the tree."""
    todo = list(roots)
    if not todo:
        return []
    children: dict[int, list[int]] = {}
    for v, p in enumerate(state.parent):
        if p >= 0:
            children.setdefault(p, []).append(v)
    out: list[int] = []
    while todo:
        kids = children.get(todo.pop(), ())
        out.extend(kids)
        todo.extend(kids)
    return out


def decide_finalize(
    state: State,
    u0: int,
    at: int,
    actor: str,
    round_name: str | None,
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """finalize_evaluation: grades made final and their consequences, as events."""
    taken = {r["round"] for r in state.rounds}
    name = round_name or next(
        n for k in range(len(state.rounds) + 1, len(state.rounds) + len(taken) + 2)
        if (n := f"round-{k}") not in taken
    )  # fmt: skip
    authorise(state, actor, state.compiled.permissions.get("score", ("office",)), u0, "finalize",
              None)  # fmt: skip
    if any(r["round"] == name for r in state.rounds):
        raise TransitionRefused(f"round {name!r} is already final", event="finalize")
    result = evaluate(state)
    if not result.cards:
        raise TransitionRefused(
            "nothing is scored yet: a round is made final once units have scores",
            event="finalize",
        )
    schemes = state.compiled.schemes
    fired = [
        (uid, cons)
        for uid, card in result.cards.items()
        for cons in consequences(schemes["persons" if card.is_person else "units"], card)
    ]
    deadlines = {  # worked out before anything changes: a bad one refuses the call
        uid: finding_deadline(state, int(cons.within or 0), "working_days", at, uid, "finalize")
        for uid, cons in fired
        if cons.kind == "written_report"
    }
    key_units = [uid for uid, cons in fired if cons.kind == "key_rectification"]
    barred = [uid for uid, cons in fired if cons.kind == "award_ineligibility"]
    ineligible = [
        *barred,
        *(state.ids[v] for v in _under(state, (state.index[uid] for uid in barred))),
    ]
    year = from_us(at, state.zone).year
    recorded, rule_rounds = round_inputs(state, result.cards, year)
    data = {
        "round": name,
        "year": year,
        "grades": {
            uid: {"score": None if c.total is None else str(c.total), "grade": c.band}
            for uid, c in result.cards.items()
        },
        "ranking": [r.unit for r in result.ranking],
        "advanced": list(result.advanced),
        "top": list(result.top),
        "bottom": list(result.bottom),
        "key_rectification": key_units,
        "ineligible": sorted(set(ineligible)),
        "excellent_people": list(result.excellent_people),
        **recorded,  # what the declared rules read of the round (for later rounds)
    }
    events: list[DomainEvent] = [EvaluationFinalized(at, actor, data, key, fingerprint)]
    ladder = {s.id for s in state.compiled.sanctions}
    offset = 0
    for uid, cons in fired:
        u = state.index[uid]
        if cons.kind == "written_report":
            description = f"{cons.title} → {cons.to or ''}".strip(" →")
            events.append(
                new_finding(state, u, at, SYSTEM_ACTOR, "evaluation", description, deadlines[uid],
                            "working_days", offset=offset)
            )  # fmt: skip
            offset += 1
        elif cons.kind == "admonition_talk" and "admonition_talk" in ladder:
            events.append(
                sanction_event(state, u, "admonition_talk", at, SYSTEM_ACTOR, None, "诫勉等次")
            )
    unit_scheme = schemes.get("units")
    if unit_scheme is not None and unit_scheme.ranking is not None and result.ranking:
        finals = [*state.rounds, data]
        rows = [_round_rows(r) for r in finals]
        years = [int(r.get("year", 0)) for r in finals]
        for action in bottom_actions(unit_scheme, rows, years=years):
            if action.round != len(rows) - 1:
                continue
            u = state.index[action.unit]
            if action.action in ladder:
                person = "主要领导" if action.target == "principal_leader" else None
                reason = f"排名后位第{action.occurrence}次"
                events.append(sanction_event(state, u, action.action, at, SYSTEM_ACTOR, person,
                                             reason))  # fmt: skip
            else:
                events.append(
                    RankingAction(at, u, {"action": action.action, "title": action.title,
                                          "occurrence": action.occurrence,
                                          "target": action.target, "round": name})
                )  # fmt: skip
    events.extend(fire_rules(state, at, name, rule_rounds, offset))
    return events


def _round_rows(final: Mapping[str, Any]) -> list[RankRow]:
    rows = []
    grades = final["grades"]
    for position, uid in enumerate(final["ranking"], start=1):
        total = grades[uid]["score"]
        if total is not None:  # a blocked card (missing inputs) is not ranked
            rows.append(
                RankRow(position, position, uid, Decimal(total), grades[uid]["grade"], False)
            )
    return rows


# -- queries --------------------------------------------------------------------
def grade(state: State, unit: str) -> tuple[str | None, str | None]:
    """``(score, band)`` of a unit: the last final round's, else the current one's
    (``(None, None)`` when it has no scores)."""
    if unit in state.grades:
        return state.grades[unit]
    if not state.compiled.schemes or unit not in state.scores_of():
        return None, None
    card = evaluate(state, [unit]).cards.get(unit)
    if card is None:
        return None, None
    return (None if card.total is None else str(card.total)), card.band
