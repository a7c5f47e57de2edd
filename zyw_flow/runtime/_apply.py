"""The one writer of state: ``apply(state, event)``.

The same code runs for a live call, for rows other processes wrote, for replaying a journal
and after a snapshot restore. It never validates (the decide functions did) and never
re-derives what an event recorded (a finding's deadline is read from the event).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from typing import Any

from zyw_flow._time import format_us
from zyw_flow.compile._machine import ACCEPTED, OVERDUE, RETURNED, SUBMITTED, WAIVED
from zyw_flow.evaluation import Case, Deduction, ScoreInput
from zyw_flow.runtime._events import (
    ActorAdded,
    CaseRecorded,
    ClockMoved,
    DeductionRecorded,
    DomainEvent,
    EvaluationFinalized,
    FindingRecorded,
    PhaseOpened,
    PhasesEntered,
    RankingAction,
    SanctionIssued,
    ScoreRecorded,
    StepAccepted,
    StepAction,
    StepReturned,
    StepsEscalated,
    StepsOverdue,
    StepsSubmitted,
    StepSubmitted,
    StepWaived,
    UnitsEnrolled,
    count,
)
from zyw_flow.runtime._records import Actor
from zyw_flow.runtime._state import KINDS, LATE, SYSTEM_ACTOR, State, StepDef

__all__ = ["apply"]


def apply(state: State, event: DomainEvent) -> None:
    """Write one event into the state."""
    _APPLY[type(event)](state, event)
    if event.at > state.now and event.KIND != "actor":
        state.now = event.at
    n = count(event)
    if n:
        state.eseq += n
        key = getattr(event, "key", None)
        if key is not None:
            state.keys[key] = (event.fingerprint, state.eseq)  # type: ignore[attr-defined]


def _touch(state: State, u: int, at: int) -> None:
    if at > state.last[u]:
        state.last[u] = at


def _actor_added(state: State, e: ActorAdded) -> None:
    state.actors[e.actor] = Actor(e.actor, frozenset(e.roles), e.unit, e.name)


def _clock(state: State, e: ClockMoved) -> None:
    pass


def _enrolled(state: State, e: UnitsEnrolled) -> None:
    start = len(state.ids)
    k = len(e.ids)
    index = state.index
    state.ids.extend(e.ids)
    for i, uid in enumerate(e.ids, start):
        index[uid] = i
    if e.names:
        state.names.extend(e.names)
    else:
        state.names.extend(_NONES * k if k <= len(_NONES) else [None] * k)
    if e.parents:
        state.parent.extend(-1 if p is None else index[p] for p in e.parents)
    else:
        state.parent.extend(array("i", [-1]) * k)
    if e.kinds:
        state.kind.extend(KINDS.index(kind) for kind in e.kinds)
    else:
        state.kind.extend(bytes(k))
    stamp = array("q", [e.at]) * k
    state.enrolled.extend(stamp)
    state.last.extend(stamp)
    state.uphase.extend(array("b", [-1]) * k)
    pending = b"\x01" * k
    blank = bytes(k)
    for s in range(state.n):
        state.status[s].extend(pending)
        state.esc[s].extend(blank)
        state.flags[s].extend(blank)


_NONES: list[None] = [None] * 1024


def _phase_opened(state: State, e: PhaseOpened) -> None:
    state.phase = e.phase


def _phases_entered(state: State, e: PhasesEntered) -> None:
    uphase, at = state.uphase, e.at
    for u in e.units:
        uphase[u] = e.phase
        _touch(state, u, at)


_STATUS = {
    StepSubmitted: SUBMITTED,
    StepAccepted: ACCEPTED,
    StepReturned: RETURNED,
    StepWaived: WAIVED,
}


def _step_action(state: State, e: StepAction) -> None:
    s, u = e.step, e.unit
    j = u if s < state.n else 0
    status = _STATUS[type(e)]
    state.status[s][j] = status
    if e.late:
        state.flags[s][j] |= LATE
    if status >= ACCEPTED:
        state.completed[s][j] = e.at
    state.last[u] = max(state.last[u], e.at)


def _submitted_many(state: State, e: StepsSubmitted) -> None:
    s, at = e.step, e.at
    template = s < state.n
    col, flags, completed, last = state.status[s], state.flags[s], state.completed[s], state.last
    status = ACCEPTED if e.auto else SUBMITTED
    for u in e.units:
        j = u if template else 0
        col[j] = status
        if e.auto:
            completed[j] = at
        if at > last[u]:
            last[u] = at
    for i in e.late:
        flags[e.units[i] if template else 0] |= LATE


def _overdue(state: State, e: StepsOverdue) -> None:
    s = e.step
    col = state.status[s]
    last, at = state.last, e.at
    if s < state.n:
        for u in e.units:
            col[u] = OVERDUE
            if at > last[u]:
                last[u] = at
    else:
        col[0] = OVERDUE
        for u in e.units:
            _touch(state, u, at)


def _escalated(state: State, e: StepsEscalated) -> None:
    s = e.step
    col = state.esc[s]
    last, at, level = state.last, e.at, e.level
    template = s < state.n
    for u in e.units:
        col[u if template else 0] = level
        if at > last[u]:
            last[u] = at
    if e.sanction is not None:
        for u in e.units:
            _add_sanction(
                state, u, e.sanction, e.sanction_title, e.sanction_level, at, None, None, e.title
            )


def _finding(state: State, e: FindingRecorded) -> None:
    s = len(state.defs)
    u = e.unit
    d = StepDef(
        id=e.finding,
        title=f"整改: {e.description}" if e.description else "限期整改",
        opens=e.at,
        due=e.due,
        closes=1 << 62,
        escalations=e.escalations,
        submit=("member",),
        review=tuple(state.compiled.permissions.get("verify", ("office",))),
        owner=u,
        source=e.source,
        description=e.description,
    )
    state.defs.append(d)
    state.step_index[e.finding] = s
    state.status.append(bytearray(b"\x01"))
    state.esc.append(bytearray(1))
    state.flags.append(bytearray(1))
    state.completed.append({})
    state.unit_findings.setdefault(u, []).append(s)
    state.push_step(s, d)
    _touch(state, u, e.at)


def _add_sanction(
    state: State,
    u: int,
    sanction: str,
    title: str | None,
    level: int | None,
    at: int,
    actor: str | None,
    person: str | None,
    reason: str | None,
) -> None:
    state.sanctions.setdefault(u, []).append(
        {
            "sanction": sanction,
            "title": title,
            "level": level,
            "at": format_us(at, state.zone),
            "actor": actor or SYSTEM_ACTOR,
            "person": person,
            "reason": reason,
        }
    )


def _sanction(state: State, e: SanctionIssued) -> None:
    _add_sanction(state, e.unit, e.sanction, e.title, e.level, e.at, e.actor, e.person, e.reason)
    _touch(state, e.unit, e.at)


def _score(state: State, e: ScoreRecorded) -> None:
    from decimal import Decimal

    uid = state.ids[e.unit]
    entry = ScoreInput(uid, e.indicator, Decimal(e.value), e.period, e.rater_group, e.rater)
    state.scores[(uid, e.indicator, e.period, e.rater_group, e.rater)] = entry
    _touch(state, e.unit, e.at)


def _deduction(state: State, e: DeductionRecorded) -> None:
    from decimal import Decimal

    state.deductions.append(Deduction(state.ids[e.unit], e.item, Decimal(e.points), e.description))
    _touch(state, e.unit, e.at)


def _case(state: State, e: CaseRecorded) -> None:
    state.cases.append(Case(state.ids[e.unit], e.case, e.item, e.person, e.description))
    _touch(state, e.unit, e.at)


def _finalized(state: State, e: EvaluationFinalized) -> None:
    data = e.data
    state.rounds.append(dict(data))
    for uid, g in data["grades"].items():
        state.grades[uid] = (g["score"], g["grade"])
    state.key_units.update(data.get("key_rectification", ()))
    state.ineligible.update(data.get("ineligible", ()))


def _ranking(state: State, e: RankingAction) -> None:
    _touch(state, e.unit, e.at)


_APPLY: dict[type[DomainEvent], Callable[[State, Any], None]] = {
    ActorAdded: _actor_added,
    ClockMoved: _clock,
    UnitsEnrolled: _enrolled,
    PhaseOpened: _phase_opened,
    PhasesEntered: _phases_entered,
    StepSubmitted: _step_action,
    StepAccepted: _step_action,
    StepReturned: _step_action,
    StepWaived: _step_action,
    StepsSubmitted: _submitted_many,
    StepsOverdue: _overdue,
    StepsEscalated: _escalated,
    FindingRecorded: _finding,
    SanctionIssued: _sanction,
    ScoreRecorded: _score,
    DeductionRecorded: _deduction,
    CaseRecorded: _case,
    EvaluationFinalized: _finalized,
    RankingAction: _ranking,
}
