"""Consequence rules fired when a round is made final (the decide side; nothing written).

A scheme's declared ``rules:`` (condition → actions, :mod:`zyw_flow.evaluation._consequence`)
are evaluated over every final round of the campaign, oldest first, and the round being
made final: the earlier rounds are read back from the state (their grades, and what the
rules read of them — the survey results and the predicates — recorded with the round), so
that a repeat rule (``occurrence: 2``, 后五位 several rounds running, two cases in a year)
counts exactly what was final then. The runtime supplies the predicate ``open_case``: the
units with an accountability case (问责) not yet decided.

The actions of the new round become events: a ``consequence_action`` per action (the
record: rule, kind, title, target, occurrence), followed by what it does — a sanction of
the ladder, a rectification step with its deadline (a finding, source ``evaluation``), an
admonition talk; 重点监督, loss of 评优资格 and 重点整改单位 are written by the record itself.
The 001-E ``consequences:`` package keeps its own path (:func:`._scoring.decide_finalize`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Any

from zyw_flow._errors import TransitionRefused
from zyw_flow.evaluation import (
    Round,
    RuleAction,
    Scorecard,
    ScoringError,
    ScoringScheme,
    SurveyResult,
    apply_rules,
    survey_result,
)
from zyw_flow.runtime._decide import finding_deadline, new_finding, sanction_event
from zyw_flow.runtime._events import ConsequenceAction, DomainEvent
from zyw_flow.runtime._state import SYSTEM_ACTOR, State

__all__ = ["OPEN_CASE", "fire_rules", "open_cases", "predicates", "round_inputs"]

#: The predicate the runtime supplies: a unit with an open 问责 case (not yet decided).
OPEN_CASE = "open_case"
_OPEN_STATES = ("investigating", "notified", "stated")
#: Who bears a sanction aimed at a unit's leaders (as the bottom-N ladder names them).
_PERSONS = {"principal_leader": "主要领导", "leadership_team": "领导班子"}


def open_cases(state: State) -> frozenset[str]:
    """Units with an accountability case opened and not yet decided (立案 … 申辩)."""
    return frozenset(
        state.ids[c.unit] for c in state.proc.cases.values() if c.status in _OPEN_STATES
    )


def predicates(state: State) -> dict[str, frozenset[str]]:
    """The predicates rules and quotas may read, by name."""
    return {OPEN_CASE: open_cases(state)}


def _declared(state: State) -> list[tuple[str, ScoringScheme]]:
    return [(subject, s) for subject, s in state.compiled.schemes.items() if s.rules]


def _fraction(value: Fraction) -> str:
    return str(value)  # "n/d" or "n": exact, read back by Fraction()


def _surveys(state: State, subject: str, scheme: ScoringScheme) -> list[SurveyResult]:
    """The results of the scheme's surveys for units of its subject that have ballots."""
    kind = 1 if subject == "persons" else 0
    out: list[SurveyResult] = []
    for survey in scheme.surveys:
        for uid in sorted(state.surveys):
            if state.kind[state.index[uid]] != kind:
                continue
            entries = [e for e in state.surveys[uid] if e.survey == survey.id]
            if entries:
                out.append(survey_result(scheme, survey.id, uid, entries))
    return out


def round_inputs(
    state: State, cards: Mapping[str, Scorecard], year: int
) -> tuple[dict[str, Any], dict[str, Round]]:
    """What the declared rules read of the round being made final: the part recorded with
    the round (``{}`` without declared rules) and the round per scheme subject."""
    declared = _declared(state)
    if not declared:
        return {}, {}
    preds = predicates(state)
    read = sorted({p for _, s in declared for r in s.rules for p in r.when.predicates})
    record: dict[str, Any] = {}
    rounds: dict[str, Round] = {}
    surveys_out: dict[str, dict[str, Any]] = {}
    for subject, scheme in declared:
        mine = [c for c in cards.values() if c.is_person == (subject == "persons")]
        results = (
            _surveys(state, subject, scheme)
            if any(r.when.survey is not None for r in scheme.rules)
            else []
        )
        for r in results:
            if r.exact_score is None:
                continue
            shares = r.exact_shares or {}
            surveys_out.setdefault(r.survey, {})[r.unit] = {
                "score": _fraction(r.exact_score),
                "band": r.band,
                "shares": {k: _fraction(v) for k, v in shares.items()},
            }
        present = {c.unit for c in mine} | {r.unit for r in results}
        held = {p: frozenset(preds.get(p, ())) & present for p in read}  # units of the round
        rounds[subject] = Round(mine, results, held, year)
    if read:
        record["predicates"] = {
            p: sorted(set().union(*(r.predicates[p] for r in rounds.values()))) for p in read
        }
    if surveys_out:
        record["surveys"] = surveys_out
    return record, rounds


def _history(state: State, subject: str, scheme: ScoringScheme) -> list[Round]:
    """The final rounds as the rules read them (grades, recorded surveys and predicates)."""
    kind = 1 if subject == "persons" else 0
    out: list[Round] = []
    for final in state.rounds:
        cards = []
        for uid, g in final["grades"].items():
            u = state.index.get(uid)
            if u is None or state.kind[u] != kind:
                continue
            total = None if g["score"] is None else Decimal(g["score"])
            cards.append(
                Scorecard(scheme.id, uid, kind == 1, (), total, Decimal(0), (), total,
                          g["grade"], g["grade"], (), (), (), scheme.band_ids)
            )  # fmt: skip
        results = []
        for sid, units in final.get("surveys", {}).items():
            for uid, r in units.items():
                w = state.index.get(uid)
                if w is None or state.kind[w] != kind:
                    continue
                shares = {k: Fraction(v) for k, v in r["shares"].items()}
                score = Fraction(r["score"])
                results.append(
                    SurveyResult(sid, uid, 0, (), None, None, r["band"], (),
                                 exact_shares=shares, exact_score=score)
                )  # fmt: skip
        mine = {c.unit for c in cards} | {r.unit for r in results}
        preds = {p: frozenset(units) & mine for p, units in final.get("predicates", {}).items()}
        out.append(Round(cards, results, preds, final.get("year")))
    return out


def _within(
    state: State, a: RuleAction, at: int, uid: str
) -> tuple[tuple[int, int, tuple[int, ...], tuple[int, ...]], str]:
    if a.within is not None:
        days, unit = a.within, a.within_unit or "working_days"
    else:
        findings = state.compiled.resolved.template.findings
        days, unit = findings.rectification_days, findings.rectification_unit
    return finding_deadline(state, days, unit, at, uid, "finalize"), unit


def fire_rules(
    state: State, at: int, name: str, rounds: Mapping[str, Round], offset: int
) -> list[DomainEvent]:
    """The events of the declared rules' actions in the round being made final.

    ``offset``: findings the call has already decided (their ids come first).

    Raises:
        TransitionRefused: a rule's sanction is not a step of the template's ladder; a
            deadline beyond the calendar; a rule counting per year without years.
    """
    ladder = {s.id for s in state.compiled.sanctions}
    events: list[DomainEvent] = []
    for subject, scheme in _declared(state):
        current = rounds.get(subject)
        if current is None:
            continue
        history = _history(state, subject, scheme)
        seq: Sequence[Round] = [*history, current]
        titles = {r.id: r.title for r in scheme.rules}
        try:
            fired = apply_rules(scheme, seq, rules=list(titles))
        except ScoringError as exc:
            raise TransitionRefused(str(exc), event="finalize") from None
        for a in fired:
            if a.round != len(history):
                continue
            u = state.index[a.unit]
            data: dict[str, Any] = {
                "rule": a.rule,
                "kind": a.kind,
                "title": a.title,
                "target": a.target,
                "round": name,
                "occurrence": a.occurrence,
            }
            for field in ("sanction", "to", "within", "within_unit"):
                value = getattr(a, field)
                if value is not None:
                    data[field] = value
            reason = f"{titles[a.rule]} ({a.rule})"
            follow: DomainEvent | None = None
            if a.kind == "sanction" or (a.kind == "admonition_talk" and a.kind in ladder):
                step = a.sanction if a.kind == "sanction" else a.kind
                if step not in ladder:
                    raise TransitionRefused(
                        f"rule {a.rule!r} of scheme {scheme.id!r} names sanction {step!r}; "
                        f"the ladder is {' → '.join(s.id for s in state.compiled.sanctions)}",
                        unit=a.unit,
                        event="finalize",
                    )
                assert step is not None
                follow = sanction_event(
                    state, u, step, at, SYSTEM_ACTOR, _PERSONS.get(a.target), reason
                )
            elif a.kind in ("rectification", "written_report"):
                deadline, unit = _within(state, a, at, a.unit)
                description = f"{a.title} → {a.to}" if a.to else a.title
                follow = new_finding(state, u, at, SYSTEM_ACTOR, "evaluation", description,
                                     deadline, unit, offset=offset)  # fmt: skip
                offset += 1
                data["finding"] = follow.finding
            elif a.kind == "award_ineligibility":
                members = [state.ids[v] for v in range(len(state.ids)) if state.parent[v] == u]
                data["ineligible"] = sorted(
                    {a.unit, *members} if a.target == "members" else {a.unit}
                )
            events.append(ConsequenceAction(at, u, data))
            if follow is not None:
                events.append(follow)
    return events
