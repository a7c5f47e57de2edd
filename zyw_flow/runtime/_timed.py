"""Time-driven decisions: what a scheduled instant does to the units (pure; no writes).

A scheduled item is ``(at, order, seq, kind, a, b)``: a phase opening (``a`` = phase), a
deadline passing (``a`` = step; scheduled a microsecond after the due instant and stamped
with it) or an escalation level reached (``a`` = step, ``b`` = level index); or an
accountability case's investigation deadline, level or warning light (``a`` = the case's
number − 1, ``b`` = level index). Each item is decided over all units (a tick) or over
some (catching up units enrolled late), and gives one batch event per step and level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import compress

from zyw_flow.compile._machine import OVERDUE, PENDING, RETURNED
from zyw_flow.runtime._events import (
    DomainEvent,
    PhaseOpened,
    PhasesEntered,
    StepsEscalated,
    StepsOverdue,
    StepsWarned,
)
from zyw_flow.runtime._proc_events import CaseEscalated, CaseOverdue, CaseWarned
from zyw_flow.runtime._state import (
    K_CDUE,
    K_CESC,
    K_CWARN,
    K_DUE,
    K_ESC,
    K_PHASE,
    K_UDUE,
    K_UESC,
    K_WARN,
    SYSTEM_ACTOR,
    UNOWED,
    WARN_MASK,
    WARN_SHIFT,
    State,
)

__all__ = ["Item", "case_item", "decide_item", "enter_phases", "escalated", "overdue_from"]

Item = tuple[int, int, int, int, int, int]


def escalated(state: State, s: int, k: int, at: int, units: tuple[int, ...]) -> StepsEscalated:
    """Step ``s`` of ``units`` climbs to level ``k + 1`` at ``at``."""
    c = state.compiled
    level = c.escalation[k]
    title = level_no = None
    if level.sanction is not None:
        ladder = c.sanctions
        i = next(i for i, x in enumerate(ladder) if x.id == level.sanction)
        title, level_no = ladder[i].title, i + 1
    return StepsEscalated(
        at, s, k + 1, level.id, level.title, level.sanction, title, level_no, units
    )


def warned(state: State, s: int, k: int, at: int, units: tuple[int, ...]) -> StepsWarned:
    """Step ``s`` of ``units`` reaches warning light ``k + 1`` at ``at``."""
    c = state.compiled
    ladder = c.step_warnings[s] if s < state.n and c.step_warnings else c.warnings
    level = ladder[k]
    return StepsWarned(at, s, k + 1, level.id, level.title, units)


def overdue_from(
    state: State, s: int, units: tuple[int, ...], at: int, upto: int
) -> list[DomainEvent]:
    """Step ``s`` of ``units`` goes overdue at ``at`` and climbs every level reached by
    ``upto`` from the level each had (stamped no earlier than ``at``), in time order."""
    events: list[DomainEvent] = [StepsOverdue(at, s, units)]
    col = state.esc[s]
    template = s < state.n
    groups: dict[tuple[int, ...], list[int]] = {}
    for u in units:  # cells with a deadline of their own climb their own ladder
        groups.setdefault(state.escalations_of(s, u if template else 0), []).append(u)
    for ladder, group in groups.items():
        for k, level_at in sorted(enumerate(ladder), key=lambda x: x[1]):
            if level_at > upto:
                continue
            climbing = tuple(u for u in group if col[u if template else 0] <= k)
            if climbing:
                events.append(escalated(state, s, k, max(level_at, at), climbing))
    return events


def enter_phases(
    state: State, units: Iterable[int], p: int, at: int, opened: int
) -> list[DomainEvent]:
    """Completion advance: ``units`` enter phase ``p`` at ``at``, steps of the phase already
    past due go overdue, and each unit goes on while its gate is met (up to ``opened``)."""
    c = state.compiled
    events: list[DomainEvent] = []
    group = tuple(units)
    while group:
        events.append(PhasesEntered(at, p, group))
        for s in c.phase_steps[p]:
            col = state.status[s]
            flags = state.flags[s]
            late = tuple(
                u
                for u in group
                if col[u] == PENDING and not flags[u] & UNOWED and state.due_of(s, u) < at
            )
            if late:
                events.extend(overdue_from(state, s, late, at, at))
        nxt = p + 1
        if nxt > opened:
            break
        group = tuple(u for u in group if state.gate_met(u, p))
        p = nxt
    return events


def decide_item(state: State, item: Item, units: Sequence[int] | None = None) -> list[DomainEvent]:
    """The events a scheduled item gives, over every unit or over ``units``."""
    at, _, _, kind, a, b = item
    if kind == K_PHASE:
        if units is not None:  # bringing some units up to the clock: enter, if they may
            if not state.completion:
                return []
            uphase, enrolled = state.uphase, state.enrolled
            ready = [
                u
                for u in units
                if uphase[u] == a - 1 and enrolled[u] <= at and state.gate_met(u, a - 1)
            ]
            return enter_phases(state, ready, a, at, a)
        events: list[DomainEvent] = [PhaseOpened(at, a)]
        if state.completion:
            uphase, enrolled = state.uphase, state.enrolled
            ready = [
                u
                for u in range(len(state.ids))
                if uphase[u] == a - 1 and enrolled[u] <= at and state.gate_met(u, a - 1)
            ]
            events.extend(enter_phases(state, ready, a, at, a))
        return events
    if kind >= K_CDUE:
        return case_item(state, at, kind, a, b)
    if kind >= K_UDUE:
        return _cell_item(state, item)
    d = state.defs[a]
    col = state.status[a]
    if kind == K_DUE:
        at -= 1  # scheduled just after the due instant; stamped with it
        if a >= state.n:
            own = state.deadlines[a]
            hit: tuple[int, ...] = (d.owner,) if col[0] in (PENDING, RETURNED) and not own else ()
        else:
            cand = _open_cells(col) if units is None else units
            if state.completion and d.phase >= 0:
                uphase, phase = state.uphase, d.phase
                hit = tuple(
                    u
                    for u in cand
                    if (col[u] == PENDING and uphase[u] >= phase) or col[u] == RETURNED
                )
            elif units is None:
                hit = tuple(cand)  # the open cells, found by _open_cells
            else:
                hit = tuple(u for u in cand if col[u] == PENDING or col[u] == RETURNED)
            if hit and state.restricted[a]:
                hit = _owed_here(state, a, hit)
        return [StepsOverdue(at, a, hit)] if hit else []
    if kind == K_WARN:
        if at < d.opens:
            return []
        flags = state.flags[a]
        light = (b + 1) << WARN_SHIFT
        if a >= state.n:
            ok = (
                col[0] in (PENDING, RETURNED)
                and (flags[0] & WARN_MASK) < light
                and not state.deadlines[a]
            )
            hit = (d.owner,) if ok else ()
        else:
            cand = _open_cells(col) if units is None else units
            hit = tuple(
                u
                for u in cand
                if (col[u] == PENDING or col[u] == RETURNED) and (flags[u] & WARN_MASK) < light
            )
            if hit and state.completion and d.phase >= 0:
                uphase = state.uphase
                hit = tuple(u for u in hit if uphase[u] >= d.phase)
            if hit and state.restricted[a]:
                hit = _owed_here(state, a, hit)
        return [warned(state, a, b, at, hit)] if hit else []
    assert kind == K_ESC
    esc = state.esc[a]
    if a >= state.n:
        ok = col[0] == OVERDUE and esc[0] == b and not state.deadlines[a]
        hit = (d.owner,) if ok else ()
    else:
        cand = _cells(col, _OVERDUE) if units is None else units
        hit = tuple(u for u in cand if col[u] == OVERDUE and esc[u] == b)
        if hit and state.restricted[a]:
            hit = _owed_here(state, a, hit)
    return [escalated(state, a, b, at, hit)] if hit else []


def _table(*statuses: int) -> bytes:
    return bytes(1 if b in statuses else 0 for b in range(256))


_OVERDUE, _OPEN = _table(OVERDUE), _table(PENDING, RETURNED)


def _cells(col: bytearray, table: bytes) -> list[int]:
    """The cells of a column whose status the table marks, found at C speed (a column is
    one byte per unit: a deadline or a level passing looks only at the units it can
    concern)."""
    return list(compress(range(len(col)), col.translate(table)))


def _open_cells(col: bytearray) -> list[int]:
    """The pending and returned cells of a column, in unit order."""
    return _cells(col, _OPEN)


def case_item(state: State, at: int, kind: int, n: int, k: int) -> list[DomainEvent]:
    """What a scheduled instant of case number ``n + 1``'s investigation deadline gives:
    nothing once the respondent has been notified (the investigation is over)."""
    c = state.proc.cases.get(f"case-{n + 1}")
    if c is None or c.status != "investigating":
        return []
    if kind == K_CDUE:
        if c.overdue:
            return []
        return [CaseOverdue(at - 1, c.unit, SYSTEM_ACTOR, c.id)]  # stamped with the deadline
    if kind == K_CESC:
        if not c.overdue or c.escalation != k:
            return []
        level = state.compiled.escalation[k]
        return [CaseEscalated(at, c.unit, SYSTEM_ACTOR, c.id, k + 1, level.id, level.title)]
    assert kind == K_CWARN
    if c.overdue or c.warning > k:
        return []
    light = state.compiled.warnings[k]
    return [CaseWarned(at, c.unit, SYSTEM_ACTOR, c.id, k + 1, light.id, light.title)]


def _owed_here(state: State, s: int, units: tuple[int, ...]) -> tuple[int, ...]:
    """Of ``units``, those that owe step ``s`` and keep its template deadline."""
    flags, own = state.flags[s], state.deadlines[s]
    return tuple(u for u in units if not flags[u] & UNOWED and u not in own)


def _cell_item(state: State, item: Item) -> list[DomainEvent]:
    """An instant of one cell's own deadline (set or extended): fires only if it is still
    that cell's instant (a later extension makes an earlier item stale)."""
    at, _, _, kind, s, b = item
    j, k = (b, 0) if kind == K_UDUE else divmod(b, 64)
    own = state.deadlines[s].get(j)
    if own is None:
        return []
    u = state.defs[s].owner if s >= state.n else j
    if s < state.n and state.flags[s][j] & UNOWED:
        return []
    st = state.status[s][j]
    if kind == K_UDUE:
        if own[0] + 1 != at or st not in (PENDING, RETURNED):
            return []
        phase = state.defs[s].phase
        waiting = st == PENDING and state.uphase[u] < phase  # not in the step's phase yet
        if state.completion and phase >= 0 and s < state.n and waiting:
            return []
        return [StepsOverdue(at - 1, s, (u,))]
    if kind == K_UESC:
        if k >= len(own[1]) or own[1][k] != at or st != OVERDUE or state.esc[s][j] != k:
            return []
        return [escalated(state, s, k, at, (u,))]
    if k >= len(own[2]) or own[2][k] != at or st not in (PENDING, RETURNED):
        return []
    if (state.flags[s][j] & WARN_MASK) >= (k + 1) << WARN_SHIFT:
        return []
    return [warned(state, s, k, at, (u,))]
