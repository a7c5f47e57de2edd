"""The bulk path's column check: a batch of ``submit`` judged by whole columns.

:func:`check_submissions` answers for a batch what :func:`zyw_flow.runtime._decide.prepare`
and :func:`zyw_flow.runtime._decide.check_step_action` would answer unit by unit, in the
common case only: when it cannot say plainly that every submission passes it returns
``None`` and the caller checks the batch unit by unit (which finds the first refusal and
its error). It reads the state and never writes it. The unit columns are read through
numpy views that live only as long as one gather (a ``bytearray`` or ``array`` that is
exporting a buffer cannot grow, and enrollment grows them).
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

import numpy as np

from zyw_flow.compile import STEP_EVENTS
from zyw_flow.compile._machine import FINAL, NOT_OPEN, OVERDUE, PENDING, RETURNED
from zyw_flow.runtime._records import UNIT_SCOPED_ROLES
from zyw_flow.runtime._state import UNOWED, State

__all__ = ["check_submissions"]

_SUBMIT = STEP_EVENTS.index("submit")
_ROLES, _SCOPE, _REVOKED = attrgetter("roles"), attrgetter("scope"), attrgetter("revoked_at")
_UNIT_OF = attrgetter("unit")
_MEMBER_UNIT = attrgetter("_member_unit")
_STR = {str}
_NO_VALUE = {None}
_NONE_TYPE = type(None)
#: status code → accepted or waived (a lookup table, indexed by a column's codes)
_FINAL = np.zeros(256, dtype=bool)
_FINAL[sorted(FINAL)] = True

#: below this many units a batch's distinctness is checked with a set, above it by counts
_SMALL = 256


def _gather(column: Any, dtype: Any, rows: np.ndarray[Any, Any]) -> Any:
    """``column[rows]`` for a ``bytearray`` / ``array`` column, as a numpy array (a copy:
    the view on the column is gone when this returns)."""
    return np.frombuffer(column, dtype)[rows]


def _distinct(rows: list[int], r: np.ndarray[Any, Any]) -> bool:
    if len(rows) < _SMALL or int(r.max()) > 16 * len(rows):
        return len(set(rows)) == len(rows)
    return int(np.bincount(r).max()) <= 1


def check_submissions(
    state: State, units: Sequence[str], step: str, actors: Sequence[str], at: int
) -> tuple[int, list[int], list[int]] | None:
    """``(step table row, unit rows, positions of the late submissions)`` when every
    submission of the batch passes in the common case, else ``None``.

    The common case: distinct enrolled units, each at or after its last event; a template
    step every one of them owes, with the step's own deadline; registered, unrevoked
    actors without a scope who hold a submit role themselves (a member for its own unit);
    the same status rule (``compiled.table``) and dependencies accepted or waived. It
    never accepts a batch the unit-by-unit check would refuse (tests/test_bulk_rules.py
    checks the two agree)."""
    if type(step) is not str or not units or len(units) != len(actors):
        return None
    s = state.step_index.get(step)
    if s is None or s >= state.n:
        return None
    if set(map(type, units)) != _STR or set(map(type, actors)) != _STR:
        return None
    listed: list[int | None] = list(map(state.index.get, units))
    if None in listed:
        return None
    us: list[int] = listed  # type: ignore[assignment]
    r = np.array(us, dtype=np.intp)
    if not _distinct(us, r):
        return None
    if int(_gather(state.last, np.int64, r).max()) > at:
        return None
    d = state.defs[s]
    if at > d.closes:
        return None
    if int(np.bitwise_or.reduce(_gather(state.flags[s], np.uint8, r))) & UNOWED:
        return None
    own = state.deadlines[s]
    if own and not own.keys().isdisjoint(us):
        return None
    if not _authorised(state, d.submit, units, actors):
        return None
    if state.proc.suspending and not state.proc.suspending.keys().isdisjoint(actors):
        return None  # someone was suspended at some time: as of ``at``, one by one
    # the status rule, as status_at gives it for a template step with its own deadline
    got = _gather(state.status[s], np.uint8, r)
    raw = set(np.flatnonzero(np.bincount(got, minlength=256)).tolist())
    table = state.compiled.table
    late_raw: list[int] = []
    for st in raw:
        status = st
        if st == PENDING:
            if d.opens > at:
                status = NOT_OPEN
            elif state.completion and d.phase >= 0:
                if int(_gather(state.uphase, np.int8, r).min()) < d.phase:
                    return None  # the unit's phase as of ``at``: one by one
                if d.due < at:
                    status = OVERDUE
            elif d.due < at:
                status = OVERDUE
        elif st == RETURNED and d.due < at:
            status = OVERDUE
        if table[status][_SUBMIT] < 0:
            return None
        if status == OVERDUE or at > d.due:
            late_raw.append(st)
    for x in d.deps:
        if not _FINAL[_gather(state.status[x], np.uint8, r)].all():
            return None
    if not late_raw:
        lates: list[int] = []
    elif len(late_raw) == len(raw):
        lates = list(range(len(us)))
    else:
        late_codes = np.zeros(256, dtype=bool)
        late_codes[late_raw] = True
        lates = np.flatnonzero(late_codes[got]).tolist()
    return s, us, lates


def _authorised(
    state: State, allowed: Sequence[str], units: Sequence[str], actors: Sequence[str]
) -> bool:
    """Every actor registered, unrevoked, without a scope, holding a submit role of its own
    (a member: for its own unit)."""
    get = state.actors.get
    if UNIT_SCOPED_ROLES.intersection(allowed):
        try:  # the common case: each unit's own plain member (one read per actor)
            if list(map(_MEMBER_UNIT, map(get, actors))) == list(units):
                return True
        except AttributeError:  # an unknown actor (``None``)
            return False
    whos = list(map(get, actors))
    if _NONE_TYPE in set(map(type, whos)):  # (not ``None in``: that calls ``Actor.__eq__``)
        return False
    if set(map(_SCOPE, whos)) != _NO_VALUE or set(map(_REVOKED, whos)) != _NO_VALUE:
        return False
    own_unit = set()
    for roles in set(map(_ROLES, whos)):
        usable = [r for r in allowed if r in roles]
        if not usable:
            return False
        own_unit.add(UNIT_SCOPED_ROLES.issuperset(usable))
    if True in own_unit:
        if False in own_unit:
            for who, uid in zip(whos, units, strict=True):
                assert who is not None
                if who.unit != uid and UNIT_SCOPED_ROLES.issuperset(
                    [r for r in allowed if r in who.roles]
                ):
                    return False
        elif list(map(_UNIT_OF, whos)) != list(units):
            return False
    return True
