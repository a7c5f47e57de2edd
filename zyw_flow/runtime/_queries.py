"""The read model: statuses, boards, overdue lists and the JSON report, read off the state."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from zyw_flow._time import NEVER, from_us
from zyw_flow.compile._machine import FINAL, OVERDUE, PENDING, RETURNED, STATUS_NAMES
from zyw_flow.runtime._records import Board, DueItem, OverdueItem, StepStatus, UnitStatus
from zyw_flow.runtime._scoring import grade
from zyw_flow.runtime._state import KINDS, LATE, UNOWED, WARN_MASK, WARN_SHIFT, State

__all__ = [
    "board",
    "due_soon",
    "overdue",
    "restrictions",
    "step_status",
    "unit_status",
    "warning_light",
]


def _fmt(state: State, us: int | None) -> dt.datetime | None:
    return None if us is None or us >= NEVER else from_us(us, state.zone)


def _title(state: State, k: int) -> str | None:
    return state.compiled.escalation[k - 1].title if k else None


def warning_light(state: State, s: int, j: int, status: int) -> tuple[str | None, str | None]:
    level = (state.flags[s][j] & WARN_MASK) >> WARN_SHIFT
    if not level or status not in (PENDING, RETURNED, OVERDUE):
        return None, None
    c = state.compiled
    ladder = c.step_warnings[s] if s < state.n and c.step_warnings else c.warnings
    return ladder[level - 1].id, ladder[level - 1].title


def step_status(state: State, u: int, s: int) -> StepStatus:
    """One step of one unit, now."""
    d = state.defs[s]
    j = state.slot(s, u)
    k = state.esc[s][j]
    status = state.effective(s, u, j)
    light, light_title = warning_light(state, s, j, status)
    requests = state.extensions.get((s, j), ())
    return StepStatus(
        step=d.id,
        title=d.title,
        status=STATUS_NAMES[status],
        due=_fmt(state, state.due_of(s, j)),
        late=bool(state.flags[s][j] & LATE),
        completed_at=_fmt(state, state.completed[s].get(j)),
        escalation=k,
        escalation_title=_title(state, k),
        warning=light,
        warning_title=light_title,
        extensions=tuple(
            {"requested_at": r["requested_at"], "until": r["until"], "status": r["status"]}
            for r in requests
        ),
    )


def restrictions(state: State, u: int) -> tuple[str, ...]:
    """Restrictions in force for a unit (see ``Campaign.restrictions``)."""
    uid = state.ids[u]
    open_findings = any(
        state.status[s][0] not in FINAL
        for s in state.unit_findings.get(u, ())
        if state.defs[s].source != "complaint_reply"  # a complaint's reply deadline is no 整改
    )
    out: list[str] = []
    if open_findings or uid in state.key_units:
        out.append("no_transfer_or_promotion_of_principal")
    if uid in state.key_units:
        out.append("key_rectification_unit")
    if uid in state.key_supervision:  # 重点监督, by a consequence rule
        out.append("key_supervision")
    if uid in state.ineligible:
        out.append("no_award_eligibility")
    return tuple(out)


def _unit_phase(state: State, u: int) -> str | None:
    p = state.uphase[u] if state.completion else state.phase
    return None if p < 0 else state.compiled.phase_ids[p]


def unit_status(state: State, u: int) -> UnitStatus:
    """The unit's phase, every step's status, its sanctions, restrictions and grade."""
    uid = state.ids[u]
    score, band = grade(state, uid)
    parent = state.parent[u]
    return UnitStatus(
        unit=uid,
        name=state.names[u],
        kind=KINDS[state.kind[u]],
        parent=None if parent < 0 else state.ids[parent],
        phase=_unit_phase(state, u),
        steps={state.defs[s].id: step_status(state, u, s) for s in state.unit_steps(u)},
        sanctions=tuple(x for x in state.sanctions.get(u, ()) if not x.get("voided")),
        restrictions=restrictions(state, u),
        score=score,
        grade=band,
    )


def overdue(state: State) -> list[OverdueItem]:
    """Every overdue step of every unit (template steps, then rectification steps)."""
    out = []
    for s, d in enumerate(state.defs):
        col, esc, flags = state.status[s], state.esc[s], state.flags[s]
        if OVERDUE not in col:
            continue
        for j, st in enumerate(col):
            if st == OVERDUE and not flags[j] & UNOWED:
                k = esc[j]
                due = from_us(state.due_of(s, j), state.zone)
                light = warning_light(state, s, j, OVERDUE)[0]
                out.append(OverdueItem(state.ids[state.unit_of(s, j)], d.id, due, k,
                                       _title(state, k), light))  # fmt: skip
    return out


def due_soon(state: State, ref: int, within: dt.timedelta) -> list[DueItem]:
    """Open steps (pending or returned) due within ``within`` of ``ref``."""
    horizon = ref + within // dt.timedelta(microseconds=1)
    out = []
    for s, d in enumerate(state.defs):
        own = state.deadlines[s]
        if not own and not ref <= d.due <= horizon:
            continue
        flags = state.flags[s]
        for j in range(len(state.status[s])):
            due_us = state.due_of(s, j)
            if flags[j] & UNOWED or not ref <= due_us <= horizon:
                continue
            u = state.unit_of(s, j)
            status = state.effective(s, u, j)
            if status in (PENDING, RETURNED):
                light = warning_light(state, s, j, status)[0]
                out.append(DueItem(state.ids[u], d.id, from_us(due_us, state.zone), light))
    return out


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    return {name: counts[name] for name in STATUS_NAMES if name in counts}


def _add(dst: dict[str, int], src: Mapping[str, int]) -> None:
    for k, v in src.items():
        dst[k] = dst.get(k, 0) + v


def board(state: State, root: int | None = None) -> Board:
    """Counts by phase and step status, rolled up the unit tree (``root``: a subtree)."""
    n_units = len(state.ids)
    statuses: list[dict[str, int]] = [{} for _ in range(n_units)]
    phases: list[dict[str, int]] = [{} for _ in range(n_units)]
    sizes = [1] * n_units
    children: list[list[int]] = [[] for _ in range(n_units)]
    for u in range(n_units):
        counts = statuses[u]
        for s in state.unit_steps(u):
            name = STATUS_NAMES[state.effective(s, u, state.slot(s, u))]
            counts[name] = counts.get(name, 0) + 1
        phases[u][_unit_phase(state, u) or "before"] = 1
        if state.parent[u] >= 0:
            children[state.parent[u]].append(u)
    for u in range(n_units - 1, -1, -1):  # parents are enrolled before children
        p = state.parent[u]
        if p >= 0:
            sizes[p] += sizes[u]
            _add(statuses[p], statuses[u])
            _add(phases[p], phases[u])

    def node(u: int) -> Board:
        return Board(
            state.ids[u],
            state.names[u],
            sizes[u],
            dict(sorted(phases[u].items())),
            _ordered(statuses[u]),
            tuple(node(ch) for ch in children[u]),
        )

    if root is not None:
        return node(root)
    tops = [u for u in range(n_units) if state.parent[u] < 0]
    total_s: dict[str, int] = {}
    total_p: dict[str, int] = {}
    for u in tops:
        _add(total_s, statuses[u])
        _add(total_p, phases[u])
    return Board(
        None,
        state.compiled.resolved.title,
        n_units,
        dict(sorted(total_p.items())),
        _ordered(total_s),
        tuple(node(u) for u in tops),
    )
