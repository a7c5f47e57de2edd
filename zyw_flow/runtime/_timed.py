"""Time-driven decisions: what a scheduled instant does to the units (pure; no writes).

A scheduled item is ``(at, order, seq, kind, a, b)``: a phase opening (``a`` = phase), a
deadline passing (``a`` = step; scheduled a microsecond after the due instant and stamped
with it) or an escalation level reached (``a`` = step, ``b`` = level index). Each item is
decided over all units (a tick) or over some (catching up units enrolled late), and gives
one batch event per step and level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from zyw_flow.compile._machine import OVERDUE, PENDING, RETURNED
from zyw_flow.runtime._events import (
    DomainEvent,
    PhaseOpened,
    PhasesEntered,
    StepsEscalated,
    StepsOverdue,
)
from zyw_flow.runtime._state import K_DUE, K_ESC, K_PHASE, State

__all__ = ["Item", "decide_item", "enter_phases", "escalated", "overdue_from"]

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


def overdue_from(
    state: State, s: int, units: tuple[int, ...], at: int, upto: int
) -> list[DomainEvent]:
    """Step ``s`` of ``units`` goes overdue at ``at`` and climbs every level reached by
    ``upto`` from the level each had (stamped no earlier than ``at``), in time order."""
    events: list[DomainEvent] = [StepsOverdue(at, s, units)]
    col = state.esc[s]
    template = s < state.n
    for k, level_at in sorted(enumerate(state.defs[s].escalations), key=lambda x: x[1]):
        if level_at > upto:
            continue
        climbing = tuple(u for u in units if col[u if template else 0] <= k)
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
            late = tuple(u for u in group if col[u] == PENDING)
            if late and state.defs[s].due < at:
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
    d = state.defs[a]
    col = state.status[a]
    if kind == K_DUE:
        at -= 1  # scheduled just after the due instant; stamped with it
        if a >= state.n:
            hit: tuple[int, ...] = (d.owner,) if col[0] in (PENDING, RETURNED) else ()
        else:
            cand = range(len(col)) if units is None else units
            if state.completion and d.phase >= 0:
                uphase, phase = state.uphase, d.phase
                hit = tuple(
                    u
                    for u in cand
                    if (col[u] == PENDING and uphase[u] >= phase) or col[u] == RETURNED
                )
            else:
                hit = tuple(u for u in cand if col[u] == PENDING or col[u] == RETURNED)
        return [StepsOverdue(at, a, hit)] if hit else []
    assert kind == K_ESC
    esc = state.esc[a]
    if a >= state.n:
        hit = (d.owner,) if col[0] == OVERDUE and esc[0] == b else ()
    else:
        cand = range(len(col)) if units is None else units
        hit = tuple(u for u in cand if col[u] == OVERDUE and esc[u] == b)
    return [escalated(state, a, b, at, hit)] if hit else []
