"""The one writer of state: ``apply(state, event)``.

The same code runs for a live call, for rows other processes wrote, for replaying a journal
and after a snapshot restore. It never validates (the decide functions did) and never
re-derives what an event recorded (a finding's deadline is read from the event).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from zyw_flow._time import format_us
from zyw_flow.compile._machine import ACCEPTED, OVERDUE, PENDING, RETURNED, SUBMITTED, WAIVED
from zyw_flow.evaluation import Case, Deduction, ScoreInput
from zyw_flow.runtime import _cases, _complaints
from zyw_flow.runtime._events import (
    ActorAdded,
    ActorRevoked,
    CaseRecorded,
    ClockMoved,
    ConsequenceAction,
    DeadlineSet,
    DeductionRecorded,
    DelegationGranted,
    DomainEvent,
    EvaluationFinalized,
    EventVoided,
    ExtensionApproved,
    ExtensionRefused,
    ExtensionRequested,
    FindingRecorded,
    GroupAssigned,
    PhaseOpened,
    PhasesEntered,
    RankingAction,
    SanctionIssued,
    ScoreRecorded,
    StepAccepted,
    StepAction,
    StepReturned,
    StepReviewed,
    StepsEscalated,
    StepsOverdue,
    StepsSubmitted,
    StepSubmitted,
    StepsWarned,
    StepTransferred,
    StepWaived,
    SurveyRecorded,
    UnitsEnrolled,
)
from zyw_flow.runtime._proc_events import TriggerRecorded
from zyw_flow.runtime._records import Actor
from zyw_flow.runtime._state import (
    KINDS,
    LATE,
    REVIEWED,
    SYSTEM_ACTOR,
    UNOWED,
    WARN_MASK,
    WARN_SHIFT,
    State,
    StepDef,
)
from zyw_flow.runtime._surveys import apply_survey

__all__ = ["apply", "move_deadline"]


def apply(state: State, event: DomainEvent) -> None:
    """Write one event into the state."""
    _APPLY[type(event)](state, event)
    if event.at > state.now and event.KIND != "actor":
        state.now = event.at
    n = event.count()
    if n:
        state.eseq += n
        key = getattr(event, "key", None)
        if key is not None:
            state.keys[key] = (event.fingerprint, state.eseq)  # type: ignore[attr-defined]


def _touch(state: State, u: int, at: int) -> None:
    if at > state.last[u]:
        state.last[u] = at


_ROLE_SETS: dict[tuple[str, ...], frozenset[str]] = {}


def _actor_added(state: State, e: ActorAdded) -> None:
    roles = _ROLE_SETS.get(e.roles)
    if roles is None:  # (a few distinct role lists: one frozenset each, shared)
        if len(_ROLE_SETS) > 1024:
            _ROLE_SETS.clear()
        roles = _ROLE_SETS[e.roles] = frozenset(e.roles)
    state.actors[e.actor] = Actor(e.actor, roles, e.unit, e.name, e.scope)


def _actor_revoked(state: State, e: ActorRevoked) -> None:
    from zyw_flow._time import from_us

    revoked = from_us(e.at, state.zone)
    state.actors[e.actor] = attrs.evolve(state.actors[e.actor], revoked_at=revoked)


def _delegation(state: State, e: DelegationGranted) -> None:
    state.delegations.append((e.principal, e.delegate, e.start, e.end))


def _clock(state: State, e: ClockMoved) -> None:
    pass


def _enrolled(state: State, e: UnitsEnrolled) -> None:
    start = len(state.ids)
    k = len(e.ids)
    index = state.index
    state.ids.extend(e.ids)
    index.update(zip(e.ids, range(start, start + k), strict=True))
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
    for name, positions in e.predicates.items():
        state.predicates.setdefault(name, set()).update(start + i for i in positions)
    parents: set[int] = set()
    if state.track_children:
        state.children.extend(array("i", [0]) * k)
        for u in range(start, start + k):
            p = state.parent[u]
            if p >= 0 and not state.kind[u]:  # persons under a unit keep it a leaf
                state.children[p] += 1
                if state.children[p] == 1 and p < start:
                    parents.add(p)
    persons = [u for u in range(start, start + k) if state.kind[u]] if e.kinds else []
    if state.rule_steps:
        rules = state.rule_steps
        for u in range(start, start + k):
            for s in rules:
                _own(state, s, u, state.rule_owes(s, u))
        for p in parents:  # a leaf became a branch
            for s in rules:
                _own(state, s, p, state.rule_owes(s, p))
    for u in persons:  # a person owes only the steps that say so
        for s in range(state.n):
            if s not in state.rule_steps and not state.rule_owes(s, u):
                _own(state, s, u, False)


def _own(state: State, s: int, u: int, owed: bool) -> None:
    """Mark whether unit ``u`` owes step ``s`` (a template step's cell)."""
    flags = state.flags[s]
    if owed:
        flags[u] &= ~UNOWED & 0xFF
    else:
        flags[u] |= UNOWED
        state.restricted[s] = True


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
    if status != ACCEPTED:  # a new submission, a return: the review tiers start again
        state.flags[s][j] &= ~REVIEWED & 0xFF
    if e.late:
        state.flags[s][j] |= LATE
    if status >= ACCEPTED:
        state.completed[s][j] = e.at
    state.last[u] = max(state.last[u], e.at)


#: from this many units a batch is written by whole columns
_COLUMNS = 64


def _set_many(col: bytearray, last: Any, units: Sequence[int], status: int, at: int) -> None:
    """``col[u] = status`` and ``last[u] = max(last[u], at)`` for every unit of a batch."""
    rows = np.array(units, dtype=np.intp)
    np.frombuffer(col, np.uint8)[rows] = status
    times = np.frombuffer(last, np.int64)
    times[rows] = np.maximum(times[rows], at)


def _submitted_many(state: State, e: StepsSubmitted) -> None:
    s, at = e.step, e.at
    template = s < state.n
    col, flags, completed, last = state.status[s], state.flags[s], state.completed[s], state.last
    status = ACCEPTED if e.auto else SUBMITTED
    units = e.units
    if template:
        if len(units) >= _COLUMNS:  # by whole columns (numpy views that end with the call)
            _set_many(col, last, units, status, at)
        else:
            for u in units:
                col[u] = status
                if at > last[u]:
                    last[u] = at
        if e.auto:
            completed.update(dict.fromkeys(units, at))
    else:
        for u in units:
            col[0] = status
            if e.auto:
                completed[0] = at
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
        warnings=e.warnings,
        submit=("member",),
        review=state.verify_roles,
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
    state.deadlines.append({})
    state.restricted.append(False)
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


def _consequence(state: State, e: ConsequenceAction) -> None:
    kind, uid = e.data["kind"], state.ids[e.unit]
    if kind == "key_supervision":
        state.key_supervision.add(uid)
    elif kind == "key_rectification":
        state.key_units.add(uid)
    elif kind == "award_ineligibility":
        state.ineligible.update(e.data.get("ineligible", (uid,)))
    _touch(state, e.unit, e.at)


# -- workflow ------------------------------------------------------------------------------
def _warned(state: State, e: StepsWarned) -> None:
    s, at = e.step, e.at
    flags, last = state.flags[s], state.last
    light = e.level << WARN_SHIFT
    template = s < state.n
    for u in e.units:
        j = u if template else 0
        flags[j] = (flags[j] & ~WARN_MASK & 0xFF) | light
        if at > last[u]:
            last[u] = at


def _reviewed(state: State, e: StepReviewed) -> None:
    state.flags[e.step][state.slot(e.step, e.unit)] |= REVIEWED
    _touch(state, e.unit, e.at)


def _requests(state: State, s: int, u: int) -> list[dict[str, Any]]:
    return state.extensions.setdefault((s, state.slot(s, u)), [])


def _ext_requested(state: State, e: ExtensionRequested) -> None:
    _requests(state, e.step, e.unit).append(
        {
            "requested_at": format_us(e.at, state.zone),
            "until": format_us(e.until, state.zone),
            "status": "pending",
            "reason": e.reason,
            "actor": e.actor,
            "approvals": [],
        }
    )
    _touch(state, e.unit, e.at)


def _ext_approved(state: State, e: ExtensionApproved) -> None:
    request = _requests(state, e.step, e.unit)[-1]
    request["approvals"].append(e.actor)
    if e.final:
        request["status"] = "approved"
        move_deadline(state, e.step, e.unit, (e.until, e.escalations, e.warnings), e.at)
    _touch(state, e.unit, e.at)


def _ext_refused(state: State, e: ExtensionRefused) -> None:
    _requests(state, e.step, e.unit)[-1]["status"] = "refused"
    _touch(state, e.unit, e.at)


def _deadline_set(state: State, e: DeadlineSet) -> None:
    move_deadline(state, e.step, e.unit, (e.until, e.escalations, e.warnings), e.at)
    _touch(state, e.unit, e.at)


def _trigger_recorded(state: State, e: TriggerRecorded) -> None:
    """A trigger recorded for a unit: the step due after it gets its deadline (as the
    event recorded it)."""
    state.triggers.setdefault((e.unit, e.trigger), e.at)
    s = state.step_index[e.step]
    move_deadline(state, s, e.unit, (e.due, e.escalations, e.warnings), e.at)
    _touch(state, e.unit, e.at)


def move_deadline(
    state: State, s: int, u: int, deadline: tuple[int, tuple[int, ...], tuple[int, ...]], at: int
) -> None:
    """Give one cell a deadline of its own: its lights go off, and an overdue step whose
    new deadline is still ahead is open again (the levels it reached stay in history)."""
    j = state.slot(s, u)
    state.deadlines[s][j] = deadline
    state.unit_deadlines.setdefault(u, set()).add(s)
    state.restricted[s] = True
    state.flags[s][j] &= ~WARN_MASK & 0xFF
    if state.status[s][j] == OVERDUE and deadline[0] >= at:
        state.status[s][j] = PENDING
        state.esc[s][j] = 0
    saved, state.now = state.now, max(state.now, at)
    state.push_cell(s, j, deadline)
    state.now = saved


def _voided(state: State, e: EventVoided) -> None:
    state.voided.add(e.target)
    u = e.unit
    if e.cell is not None:
        _put_back(state, e.step, state.slot(e.step, u), *e.cell)
    restore = e.restore or {}
    if "score" in restore:
        key = tuple(restore["score"])
        before = restore.get("value")
        if before is None:
            state.scores.pop(key, None)
        else:
            from decimal import Decimal

            old = state.scores[key]
            state.scores[key] = attrs.evolve(old, value=Decimal(before))
    if "deduction" in restore:
        state.void_deductions.add(int(restore["deduction"]))
    if "case" in restore:
        state.void_cases.add(int(restore["case"]))
    if "sanction" in restore:
        entry = state.sanctions[u][int(restore["sanction"])]
        entry["voided"] = True
    if "rectification" in restore:  # the sanction's own rectification step is owed no more
        s = int(restore["rectification"])
        state.status[s][0] = WAIVED
        state.flags[s][0] |= UNOWED
    if "trigger" in restore:
        _untrigger(state, u, restore)
    _touch(state, u, e.at)


def _put_back(
    state: State, s: int, j: int, status: int, level: int, flags: int, completed: int
) -> None:
    """A cell as it was before a voided action: status, escalation level, flags (whether
    the unit owes the step stays as it is now) and completion instant (-1: none)."""
    state.status[s][j] = status
    state.esc[s][j] = level
    state.flags[s][j] = (flags & ~UNOWED & 0xFF) | (state.flags[s][j] & UNOWED)
    if completed < 0:
        state.completed[s].pop(j, None)
    else:
        state.completed[s][j] = completed


def _untrigger(state: State, u: int, restore: Mapping[str, Any]) -> None:
    """A trigger made void: it is no longer recorded for the unit, and each step it gave a
    deadline is as it was before (its cell, and the deadline it had then, if any)."""
    state.triggers.pop((u, str(restore["trigger"])), None)
    state.voided.update(int(x) for x in restore["seqs"])
    for s, status, level, flags, completed, before in restore["cells"]:
        j = state.slot(s, u)
        _put_back(state, s, j, status, level, flags, completed)
        if before is None:  # the cell's scheduled instants go stale (they find no deadline)
            state.deadlines[s].pop(j, None)
            state.unit_deadlines.get(u, set()).discard(s)
        else:
            deadline = (int(before[0]), tuple(map(int, before[1])), tuple(map(int, before[2])))
            state.deadlines[s][j] = deadline
            state.push_cell(s, j, deadline)


def _transferred(state: State, e: StepTransferred) -> None:
    s, u, to = e.step, e.unit, e.to
    if s >= state.n:  # a rectification step: its one cell changes hands
        state.defs[s] = attrs.evolve(state.defs[s], owner=to)
        state.unit_findings[u].remove(s)
        state.unit_findings.setdefault(to, []).append(s)
        if s in state.unit_deadlines.get(u, ()):
            state.unit_deadlines[u].discard(s)
            state.unit_deadlines.setdefault(to, set()).add(s)
    else:  # a template step: the receiving unit takes the cell as it stands
        for col in (state.status[s], state.esc[s]):
            col[to] = col[u]
        state.flags[s][to] = state.flags[s][u] & ~UNOWED & 0xFF
        _own(state, s, u, False)
        if u in state.completed[s]:
            state.completed[s][to] = state.completed[s][u]
        if u in state.deadlines[s]:
            state.deadlines[s][to] = state.deadlines[s][u]
            state.unit_deadlines.setdefault(to, set()).add(s)
        if (s, u) in state.extensions:
            state.extensions[(s, to)] = state.extensions.pop((s, u))
    if e.until is not None:
        move_deadline(state, s, to, (e.until, e.escalations, e.warnings), e.at)
    _touch(state, u, e.at)
    _touch(state, to, e.at)


def _group(state: State, e: GroupAssigned) -> None:
    members = state.groups.setdefault(e.group, set())
    if e.remove:
        members.difference_update(e.units)
    else:
        members.update(e.units)
    steps = [s for s in state.rule_steps if state.compiled.owners[s].groups]
    for u in e.units:
        for s in steps:
            _own(state, s, u, state.rule_owes(s, u))
        _touch(state, u, e.at)


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
    ConsequenceAction: _consequence,
    ActorRevoked: _actor_revoked,
    DelegationGranted: _delegation,
    StepsWarned: _warned,
    StepReviewed: _reviewed,
    ExtensionRequested: _ext_requested,
    ExtensionApproved: _ext_approved,
    ExtensionRefused: _ext_refused,
    DeadlineSet: _deadline_set,
    EventVoided: _voided,
    StepTransferred: _transferred,
    GroupAssigned: _group,
    SurveyRecorded: apply_survey,
    TriggerRecorded: _trigger_recorded,
}
# complaints (效能投诉) and accountability cases (问责): their writers live with them
_APPLY.update(_complaints.APPLY)
_APPLY.update(_cases.APPLY)
