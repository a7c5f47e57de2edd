"""Evaluation inside a running campaign: scores, cases, grades and their consequences.

Scores and cases are recorded events like any other (permission-checked, journaled,
replayed); grades are computed from them by :mod:`zyw_flow.evaluation`, and finalising a
round records the grades and fires their consequences as events of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import attrs

from zyw_flow._errors import PermissionRefused, TransitionRefused
from zyw_flow._time import At, from_us
from zyw_flow.evaluation import (
    Case,
    Deduction,
    RankRow,
    Scorecard,
    ScoreInput,
    ScoringError,
    ScoringScheme,
    bottom_actions,
    consequences,
    grade_distribution,
    rank,
    score_unit,
    score_units,
    select_advanced,
    select_excellent_people,
    top_bottom_publicity,
)
from zyw_flow.runtime._records import Event

if TYPE_CHECKING:  # pragma: no cover
    from zyw_flow.runtime._campaign import Campaign

__all__ = [
    "Evaluation",
    "evaluate",
    "finalize_evaluation",
    "grade",
    "record_case",
    "record_deduction",
    "record_score",
    "rounds",
]

_SYSTEM = "system"


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
            "distribution": {str(k): v for k, v in self.distribution.items()},
            "advanced": list(self.advanced),
            "top": list(self.top),
            "bottom": list(self.bottom),
            "excellent_people": list(self.excellent_people),
        }


def _card_json(card: Scorecard) -> dict[str, Any]:
    data = card.to_dict()
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in data.items()}


# -- helpers --------------------------------------------------------------------
def _scheme_for(self: Campaign, u: int, event: str) -> tuple[ScoringScheme, bool]:
    schemes = self.compiled.schemes
    is_person = self._kind[u] == 1
    scheme = schemes.get("persons" if is_person else "units")
    if scheme is None:
        what = "persons" if is_person else "units"
        raise TransitionRefused(
            f"the template names no scoring scheme for {what} (scoring.{what})",
            unit=self._ids[u],
            event=event,
        )
    return scheme, is_person


def _inputs(self: Campaign) -> list[ScoreInput]:
    return list(self._scores.values())


# -- recording (the documented methods are on Campaign) ---------------------------
def record_score(
    self: Campaign,
    unit: str,
    indicator: str,
    value: Decimal | int | str,
    actor: str,
    at: At | None,
    period: str | None,
    rater_group: str | None,
    rater: str | None,
    evidence: str | None,
    key: str | None,
) -> Event:
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise TransitionRefused(
            f"score {value!r} is not a number", unit=unit, step=indicator, event="score"
        ) from None
    payload: dict[str, Any] = {"indicator": indicator, "value": str(number)}
    for name, v in (
        ("period", period),
        ("rater_group", rater_group),
        ("rater", rater),
        ("evidence", evidence),
    ):
        if v is not None:
            payload[name] = v
    u, at_us, dup, fp = self._prepare("score", unit, None, actor, at, key, payload)
    if dup is not None:
        return dup
    scheme, is_person = _scheme_for(self, u, "score")
    try:
        ind = scheme.indicator(indicator)
    except (KeyError, LookupError, ScoringError):
        ind = None
    if ind is None:
        raise TransitionRefused(
            f"scheme {scheme.id!r} has no indicator {indicator!r}",
            unit=unit,
            step=indicator,
            event="score",
        )
    if actor != _SYSTEM and not (self._actors[actor].roles & set(ind.scorers)):
        raise PermissionRefused(
            f"actor {actor!r} may not score {indicator!r}; allowed roles: {', '.join(ind.scorers)}",
            unit=unit,
            step=indicator,
            event="score",
        )
    entry = ScoreInput(unit, indicator, number, period, rater_group, rater)
    try:
        score_unit(scheme, unit, [entry], is_person=is_person)
    except ScoringError as exc:
        raise TransitionRefused(str(exc), unit=unit, step=indicator, event="score") from None
    self._advance(at_us)
    self._scores[(unit, indicator, period, rater_group, rater)] = entry
    self._last[u] = max(self._last[u], at_us)
    return self._emit("score_recorded", at_us, unit, None, actor, payload, key, fp)


def record_deduction(
    self: Campaign,
    unit: str,
    item: str,
    points: Decimal | int | str,
    *,
    actor: str,
    at: At | None = None,
    description: str | None = None,
    key: str | None = None,
) -> Event:
    """Implements :meth:`Campaign.record_deduction`."""
    try:
        number = Decimal(str(points))
    except InvalidOperation:
        raise TransitionRefused(
            f"points {points!r} are not a number", unit=unit, event="deduction"
        ) from None
    payload: dict[str, Any] = {"item": item, "points": str(number)}
    if description is not None:
        payload["description"] = description
    u, at_us, dup, fp = self._prepare("deduction", unit, None, actor, at, key, payload)
    if dup is not None:
        return dup
    scheme, is_person = _scheme_for(self, u, "deduction")
    self._authorise(
        actor, self.compiled.permissions.get("score", ("office",)), u, "deduction", None
    )
    entry = Deduction(unit, item, number, description or "")
    try:
        score_unit(scheme, unit, [], deductions=[entry], is_person=is_person)
    except ScoringError as exc:
        raise TransitionRefused(str(exc), unit=unit, event="deduction") from None
    self._advance(at_us)
    self._deductions.append(entry)
    self._last[u] = max(self._last[u], at_us)
    return self._emit("deduction_recorded", at_us, unit, None, actor, payload, key, fp)


def record_case(
    self: Campaign,
    unit: str,
    kind: str,
    *,
    actor: str,
    at: At | None = None,
    item: str | None = None,
    person: str | None = None,
    description: str | None = None,
    key: str | None = None,
) -> Event:
    """Implements :meth:`Campaign.record_case`."""
    payload: dict[str, Any] = {"kind": kind}
    for name, v in (("item", item), ("person", person), ("description", description)):
        if v is not None:
            payload[name] = v
    u, at_us, dup, fp = self._prepare("case", unit, None, actor, at, key, payload)
    if dup is not None:
        return dup
    scheme, is_person = _scheme_for(self, u, "case")
    self._authorise(actor, self.compiled.permissions.get("sanction", ()), u, "case", None)
    entry = Case(unit, kind, item, person, description or "")
    try:
        score_unit(scheme, unit, [], cases=[entry], is_person=is_person)
    except (ScoringError, ValueError) as exc:
        raise TransitionRefused(str(exc), unit=unit, event="case") from None
    self._advance(at_us)
    self._cases.append(entry)
    self._last[u] = max(self._last[u], at_us)
    return self._emit("case_recorded", at_us, unit, None, actor, payload, key, fp)


# -- computing --------------------------------------------------------------------
def evaluate(self: Campaign, units: Iterable[str] | None = None) -> Evaluation:
    """Implements :meth:`Campaign.evaluate`."""
    schemes = self.compiled.schemes
    if not schemes:
        raise TransitionRefused("the template names no scoring scheme", event="evaluate")
    wanted = set(units) if units is not None else {k[0] for k in self._scores}
    for uid in wanted:
        self._unit(uid, "evaluate")
    inputs = _inputs(self)
    cards: dict[str, Scorecard] = {}
    ranked: list[Scorecard] = []
    for subject, scheme in schemes.items():
        kind = 1 if subject == "persons" else 0
        ids = [uid for uid in self._ids if uid in wanted and self._kind[self._index[uid]] == kind]
        for card in score_units(
            scheme,
            ids,
            inputs,
            deductions=self._deductions,
            cases=self._cases,
            is_person=kind == 1,
        ):
            cards[card.unit] = card
            if kind == 0:
                ranked.append(card)
    unit_scheme = schemes.get("units")
    ranking = tuple(rank(ranked))
    advanced: tuple[str, ...] = ()
    top: tuple[str, ...] = ()
    bottom: tuple[str, ...] = ()
    if unit_scheme is not None and ranked:
        if unit_scheme.quotas:
            advanced = tuple(select_advanced(unit_scheme, ranked))
        if unit_scheme.ranking is not None:
            t, b = top_bottom_publicity(unit_scheme, list(ranking))
            top, bottom = tuple(t), tuple(b)
    excellent: tuple[str, ...] = ()
    ratio = self.compiled.resolved.template.params.get("excellent_ratio")
    people = [c for c in cards.values() if c.is_person]
    if ratio not in (None, "") and people:
        try:
            excellent = tuple(
                select_excellent_people(
                    people, Decimal(str(ratio)), ineligible=sorted(self._ineligible)
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


def finalize_evaluation(
    self: Campaign,
    *,
    actor: str,
    at: At | None = None,
    round: str | None = None,
    key: str | None = None,
) -> Event:
    """Implements :meth:`Campaign.finalize_evaluation`."""
    payload = {"round": round} if round is not None else {}
    root = self._ids[0] if self._ids else None
    if root is None:
        raise TransitionRefused("no unit is enrolled", event="finalize")
    u0, at_us, dup, fp = self._prepare("finalize", root, None, actor, at, key, payload)
    if dup is not None:
        return dup
    name = round or f"round-{len(self._rounds) + 1}"
    self._authorise(
        actor, self.compiled.permissions.get("score", ("office",)), u0, "finalize", None
    )
    if any(r["round"] == name for r in self._rounds):
        raise TransitionRefused(f"round {name!r} is already final", event="finalize")
    result = self.evaluate()
    schemes = self.compiled.schemes
    deadlines = {  # worked out before anything changes: a bad one refuses the call
        uid: self._finding_deadline(int(cons.within or 0), at_us, uid, "finalize")
        for uid, card in result.cards.items()
        for cons in consequences(schemes["persons" if card.is_person else "units"], card)
        if cons.kind == "written_report"
    }
    self._advance(at_us)
    grades = {
        u: {"score": None if c.total is None else str(c.total), "grade": c.band}
        for u, c in result.cards.items()
    }
    key_units: list[str] = []
    ineligible: list[str] = []
    fired: list[tuple[str, Any]] = []
    schemes = self.compiled.schemes
    for uid, card in result.cards.items():
        scheme = schemes["persons" if card.is_person else "units"]
        for cons in consequences(scheme, card):
            fired.append((uid, cons))
            if cons.kind == "key_rectification":
                key_units.append(uid)
            elif cons.kind == "award_ineligibility":
                u = self._index[uid]
                ineligible.append(uid)
                ineligible.extend(
                    self._ids[v] for v in range(len(self._ids)) if self._parent[v] == u
                )
    data = {
        "round": name,
        "year": from_us(at_us, self.compiled.zone).year,
        "grades": grades,
        "ranking": [r.unit for r in result.ranking],
        "advanced": list(result.advanced),
        "top": list(result.top),
        "bottom": list(result.bottom),
        "key_rectification": key_units,
        "ineligible": sorted(set(ineligible)),
    }
    event = self._emit("evaluation_finalized", at_us, None, None, actor, data, key, fp)
    apply_final(self, data, at_us)
    ladder = {s.id for s in self.compiled.sanctions}
    for uid, cons in fired:
        u = self._index[uid]
        if cons.kind == "written_report":
            self._new_finding(
                u,
                at_us,
                _SYSTEM,
                "evaluation",
                f"{cons.title} → {cons.to or ''}".strip(" →"),
                deadlines[uid],
                None,
                {},
            )
        elif cons.kind == "admonition_talk" and "admonition_talk" in ladder:
            self._record_sanction(u, "admonition_talk", at_us, _SYSTEM, None, "诫勉等次", None)
    unit_scheme = schemes.get("units")
    if unit_scheme is not None and unit_scheme.ranking is not None and result.ranking:
        rounds = [_round_rows(self, r) for r in self._rounds]
        years = [int(r.get("year", 0)) for r in self._rounds]
        for action in bottom_actions(unit_scheme, rounds, years=years):
            if action.round != len(rounds) - 1:
                continue
            u = self._index[action.unit]
            person = "主要领导" if action.target == "principal_leader" else None
            if action.action in ladder:
                self._record_sanction(
                    u,
                    action.action,
                    at_us,
                    _SYSTEM,
                    person,
                    f"排名后位第{action.occurrence}次",
                    None,
                )
            else:
                self._emit(
                    "ranking_action",
                    at_us,
                    action.unit,
                    None,
                    _SYSTEM,
                    {
                        "action": action.action,
                        "title": action.title,
                        "occurrence": action.occurrence,
                        "target": action.target,
                        "round": name,
                    },
                )
    return event


def _round_rows(self: Campaign, final: Mapping[str, Any]) -> list[RankRow]:
    rows = []
    grades = final["grades"]
    for position, uid in enumerate(final["ranking"], start=1):
        total = grades[uid]["score"]
        if total is not None:  # a blocked card (missing inputs) is not ranked
            rows.append(
                RankRow(position, position, uid, Decimal(total), grades[uid]["grade"], False)
            )
    return rows


def apply_final(self: Campaign, data: Mapping[str, Any], at: int) -> None:
    self._rounds.append(dict(data))
    for uid, g in data["grades"].items():
        self._grades[uid] = (g["score"], g["grade"])
    self._key_units.update(data.get("key_rectification", ()))
    self._ineligible.update(data.get("ineligible", ()))


# -- queries --------------------------------------------------------------------
def grade(self: Campaign, unit: str) -> tuple[str | None, str | None]:
    """``(score, band)`` of a unit: the last final round's, else the current one's
    (``(None, None)`` when it has no scores)."""
    self._unit(unit, "query")
    if unit in self._grades:
        return self._grades[unit]
    if not self.compiled.schemes or not any(k[0] == unit for k in self._scores):
        return None, None
    card = self.evaluate([unit]).cards.get(unit)
    if card is None:
        return None, None
    return (None if card.total is None else str(card.total)), card.band


def rounds(self: Campaign) -> tuple[Mapping[str, Any], ...]:
    """The finalised evaluation rounds, oldest first."""
    return tuple(self._rounds)
