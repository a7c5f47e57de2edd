"""The columnar read: every unit's every step in one call.

:func:`status_table` reads the state's byte columns a step at a time, so that a dashboard,
an export or a simulation that wants every unit does not build a
:class:`~zyw_flow.runtime.UnitStatus` per unit (0.1–0.2 ms each). What it shows is what
:func:`~zyw_flow.runtime._queries.unit_status` shows for each unit, cell for cell
(tests/test_table.py checks the two agree on random campaigns).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from zyw_flow._time import NEVER, from_us
from zyw_flow.compile._machine import NOT_OPEN, OVERDUE, PENDING, RETURNED, STATUS_NAMES
from zyw_flow.runtime._queries import warning_light
from zyw_flow.runtime._scoring import evaluate
from zyw_flow.runtime._state import KINDS, LATE, UNOWED, WARN_MASK, WARN_SHIFT, State

__all__ = ["RectificationRows", "StatusTable", "StepColumn", "status_table"]

_LIT = frozenset({PENDING, RETURNED, OVERDUE})  # statuses that show a warning light


@attrs.frozen(slots=True)
class StepColumn:
    """One template step for every unit, in enrollment order.

    Attributes:
        step, title: the step.
        status: the status name of each unit's step (``not_open``, ``pending`` …), or
            ``None`` where the unit does not owe it.
        late: whether each unit's submission came after its deadline.
        escalation: the escalation level each unit's step reached (0: none).
        warning: the warning light each unit's open step shows, or ``None``.
        due: the step's deadline (``None``: undated); ``due_of`` has a cell's own, moved
            deadline where there is one.
        codes: ``status`` as bytes, one per unit: the index of the status name in
            :data:`zyw_flow.compile.STATUS_NAMES`, 255 where the unit does not owe the step
            (for ``numpy.frombuffer``).
    """

    step: str
    title: str
    status: tuple[str | None, ...]
    late: tuple[bool, ...]
    escalation: tuple[int, ...]
    warning: tuple[str | None, ...]
    due: dt.datetime | None
    own_due: Mapping[int, dt.datetime] = attrs.field(factory=dict, repr=False)
    codes: bytes = attrs.field(default=b"", repr=False)

    def due_of(self, i: int) -> dt.datetime | None:
        """The deadline of unit number ``i``'s step (its own, if it was moved)."""
        return self.own_due.get(i, self.due)

    def owed(self) -> list[int]:
        """The numbers of the units that owe the step."""
        return [i for i, st in enumerate(self.status) if st is not None]

    def counts(self) -> dict[str, int]:
        """How many units are in each status (units that do not owe it left out)."""
        out: dict[str, int] = {}
        for st in self.status:
            if st is not None:
                out[st] = out.get(st, 0) + 1
        return out


@attrs.frozen(slots=True)
class RectificationRows:
    """Every rectification step (from a finding, a sanction or a complaint's reply
    deadline), one row each, as columns of equal length.

    Attributes:
        unit: the unit's number in :attr:`StatusTable.units`.
        step: the step id (``<unit>-finding-1`` …).
        source: where it came from (``inspection``, ``complaint`` …, or ``complaint_reply``
            for a complaint's reply deadline).
        status, late, escalation, warning: as in :class:`StepColumn`.
        due: the deadline.
    """

    unit: tuple[int, ...] = ()
    step: tuple[str, ...] = ()
    source: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    late: tuple[bool, ...] = ()
    escalation: tuple[int, ...] = ()
    warning: tuple[str | None, ...] = ()
    due: tuple[dt.datetime | None, ...] = ()

    def __len__(self) -> int:
        return len(self.step)


@attrs.frozen(slots=True)
class StatusTable:
    """Every unit's status at one instant, by columns (see :meth:`Campaign.status_table`).

    Attributes:
        at: the campaign's clock when the table was read (``None`` before any event).
        units, names, kinds, parents, phases: one entry per enrolled unit, in
            enrollment order (``parents`` and ``phases`` hold ids or ``None``).
        steps: a :class:`StepColumn` per template step, in template order.
        rectifications: the rectification steps, one row each.
        sanctions: the ids of each unit's sanctions in force (voided ones left out).
        scores, grades: each unit's score (an exact decimal string) and grade band, as
            :meth:`Campaign.unit_status` gives them (``None`` unscored).
    """

    at: dt.datetime | None
    units: tuple[str, ...]
    names: tuple[str | None, ...]
    kinds: tuple[str, ...]
    parents: tuple[str | None, ...]
    phases: tuple[str | None, ...]
    steps: Mapping[str, StepColumn]
    rectifications: RectificationRows
    sanctions: tuple[tuple[str, ...], ...]
    scores: tuple[str | None, ...]
    grades: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.units)

    def rows(self) -> Iterator[dict[str, Any]]:
        """The cells in long form, one dict per owed step of each unit: ``unit``, ``step``,
        ``status``, ``late``, ``escalation``, ``warning``, ``due`` — template steps in
        template order, then rectification steps."""
        units = self.units
        for col in self.steps.values():
            for i, st in enumerate(col.status):
                if st is not None:
                    yield {"unit": units[i], "step": col.step, "status": st,
                           "late": col.late[i], "escalation": col.escalation[i],
                           "warning": col.warning[i], "due": col.due_of(i)}  # fmt: skip
        r = self.rectifications
        for k in range(len(r)):
            yield {"unit": units[r.unit[k]], "step": r.step[k], "status": r.status[k],
                   "late": r.late[k], "escalation": r.escalation[k], "warning": r.warning[k],
                   "due": r.due[k]}  # fmt: skip

    def to_arrow(self) -> Any:
        """:meth:`rows` as a ``pyarrow.Table`` (columns unit, step, status, late,
        escalation, warning, due)."""
        import pyarrow as pa

        cols: dict[str, list[Any]] = {k: [] for k in (
            "unit", "step", "status", "late", "escalation", "warning", "due")}  # fmt: skip
        for row in self.rows():
            for k, v in row.items():
                cols[k].append(v)
        return pa.table(cols)


def _names(state: State, s: int, now: int) -> tuple[str | None, ...]:
    """Step ``s``'s status names as ``effective`` gives them, ``None`` where not owed."""
    d = state.defs[s]
    col, flags = state.status[s], state.flags[s]
    names: list[str | None] = list(STATUS_NAMES)
    if d.opens > now:
        names[PENDING] = STATUS_NAMES[NOT_OPEN]
    if state.completion and d.phase >= 0 and d.opens <= now:
        # pending before the unit has entered the step's phase: not open for that unit
        uphase, phase = state.uphase, d.phase
        out: list[str | None] = [
            names[NOT_OPEN] if st == PENDING and uphase[u] < phase else names[st]
            for u, st in enumerate(col)
        ]
    else:
        out = list(map(names.__getitem__, col))
    if UNOWED in {f & UNOWED for f in set(flags)}:
        for j, f in enumerate(flags):
            if f & UNOWED:
                out[j] = None
    return tuple(out)


def _warnings(state: State, s: int, names: Sequence[str | None]) -> tuple[str | None, ...]:
    flags = state.flags[s]
    if not any(f & WARN_MASK for f in set(flags)):
        return (None,) * len(flags)
    c = state.compiled
    ladder = c.step_warnings[s] if c.step_warnings else c.warnings
    lit = {STATUS_NAMES[x] for x in _LIT}
    out: list[str | None] = []
    for f, name in zip(flags, names, strict=True):
        level = (f & WARN_MASK) >> WARN_SHIFT
        out.append(ladder[level - 1].id if level and name in lit else None)
    return tuple(out)


def status_table(state: State) -> StatusTable:
    """Every unit's status now, by columns."""
    now, zone = state.now, state.zone
    n_units = len(state.ids)

    def instant(us: int) -> dt.datetime | None:
        return None if us >= NEVER else from_us(us, zone)

    steps: dict[str, StepColumn] = {}
    for s in range(state.n):
        d = state.defs[s]
        names = _names(state, s, now)
        late_bits = state.flags[s].translate(_LATE_TABLE)
        own = state.deadlines[s]
        codes = bytes(
            255 if name is None else _CODE[name] for name in names
        )  # (the names say not_open where effective does; owed-ness from the flags)
        steps[d.id] = StepColumn(
            codes=codes,
            step=d.id,
            title=d.title,
            status=names,
            late=tuple(map(bool, late_bits)),
            escalation=tuple(state.esc[s]),
            warning=_warnings(state, s, names),
            due=instant(d.due),
            own_due={j: t for j, cell in own.items() if (t := instant(cell[0])) is not None},
        )
    rect: dict[str, list[Any]] = {k: [] for k in (
        "unit", "step", "source", "status", "late", "escalation", "warning", "due",
    )}  # fmt: skip
    for u in range(n_units):
        for s in state.unit_findings.get(u, ()):
            f = state.flags[s][0]
            if f & UNOWED:
                continue
            d = state.defs[s]
            rect["unit"].append(u)
            rect["step"].append(d.id)
            rect["source"].append(d.source)
            status = state.effective(s, u, 0)
            rect["status"].append(STATUS_NAMES[status])
            rect["warning"].append(warning_light(state, s, 0, status)[0])
            rect["late"].append(bool(f & LATE))
            rect["escalation"].append(state.esc[s][0])
            rect["due"].append(instant(state.due_of(s, 0)))
    parent = state.parent
    phase_ids = state.compiled.phase_ids
    if state.completion:
        phases = tuple(None if p < 0 else phase_ids[p] for p in state.uphase)
    else:
        one = None if state.phase < 0 else phase_ids[state.phase]
        phases = (one,) * n_units
    held = [
        tuple(str(x.get("sanction", x.get("id", ""))) for x in state.sanctions.get(u, ())
              if not x.get("voided"))
        for u in range(n_units)
    ]  # fmt: skip
    scores, grades = _grades(state)
    return StatusTable(
        at=None if now <= -NEVER else from_us(now, zone),
        units=tuple(state.ids),
        names=tuple(state.names),
        kinds=tuple(KINDS[k] for k in state.kind),
        parents=tuple(None if p < 0 else state.ids[p] for p in parent),
        phases=phases,
        steps=steps,
        rectifications=RectificationRows(**{k: tuple(v) for k, v in rect.items()}),
        sanctions=tuple(held),
        scores=scores,
        grades=grades,
    )


def _grades(state: State) -> tuple[tuple[str | None, ...], tuple[str | None, ...]]:
    """Every unit's ``(score, band)`` as ``_scoring.grade`` gives it, in one evaluation."""
    n = len(state.ids)
    if not state.compiled.schemes:
        return (None,) * n, (None,) * n
    final = state.grades
    scored = {k[0] for k in state.scores}
    wanted = [uid for uid in state.ids if uid in scored and uid not in final]
    cards = evaluate(state, wanted).cards if wanted else {}
    scores: list[str | None] = []
    bands: list[str | None] = []
    for uid in state.ids:
        if uid in final:
            score, band = final[uid]
        elif (card := cards.get(uid)) is not None:
            score, band = (None if card.total is None else str(card.total)), card.band
        else:
            score = band = None
        scores.append(score)
        bands.append(band)
    return tuple(scores), tuple(bands)


_LATE_TABLE = bytes(b & LATE for b in range(256))
_CODE = {name: k for k, name in enumerate(STATUS_NAMES)}
