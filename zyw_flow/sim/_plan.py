"""The plan of the units' own steps, a step at a time for a chunk of units at once.

What :func:`plan_unit_steps` plans for each unit is what the rules of
:mod:`zyw_flow.sim._runner` say one unit does (``_plan_step``: submit relative to the due
day unless it never does, answer an escalation level, wait for the steps it depends on,
be returned and hand in again, be accepted the next working day), computed with numpy over
the chunk's columns of random numbers: working-day arithmetic is looked up per distinct
(day, offset) pair, so a calendar walk is done once per pair, not once per unit.
``tests/test_sim.py`` checks it plans exactly what the one-unit rules plan.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

__all__ = ["StepPlan", "plan_inspections", "plan_unit_steps", "poisson_counts"]

_NONE = -1  # "never accepted" / "never submits" as a day ordinal


class StepPlan:
    """The constants of one step for the chunked plan."""

    def __init__(
        self, s: int, base: int, due: int, opens: int, esc: Sequence[int], closes: int | None,
        reviewed: bool, accepts: bool, deps: Sequence[int], first_submit: bool,
    ) -> None:  # fmt: skip
        self.s, self.base, self.due, self.opens = s, base, due, opens
        self.esc, self.closes, self.reviewed, self.accepts = tuple(esc), closes, reviewed, accepts
        self.deps, self.first_submit = tuple(deps), first_submit


def _pick(u: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``lo + min(hi - lo, int(u * (hi - lo + 1)))`` elementwise (``u`` in (0, 1))."""
    span = hi - lo
    out: np.ndarray = lo + np.minimum(span, (u * (span + 1)).astype(np.int64))
    return out


class _Days:
    """Working-day arithmetic and instants on arrays of day ordinals."""

    def __init__(self, add: Callable[[int, int], int], at: Callable[[int, int], int]) -> None:
        self._add, self._at = add, at

    def add(self, days: np.ndarray, n: np.ndarray | int) -> np.ndarray:
        n_arr = np.broadcast_to(np.asarray(n, dtype=np.int64), days.shape)
        if days.size == 0:
            return days.copy()
        keys = days * 4096 + (n_arr + 2048)
        uniq, inv = np.unique(keys, return_inverse=True)
        add = self._add
        vals = np.fromiter((add(k // 4096, k % 4096 - 2048) for k in uniq.tolist()),
                           dtype=np.int64, count=len(uniq))  # fmt: skip
        return vals[inv.reshape(days.shape)]

    def at(self, days: np.ndarray, hour: int) -> list[int]:
        """The local instants (µs, Python ints: they need more than 64 bits once keyed)."""
        at = self._at
        uniq, inv = np.unique(days, return_inverse=True)
        vals = [at(o, hour) for o in uniq.tolist()]
        return [vals[k] for k in inv.tolist()]


def plan_unit_steps(
    u: np.ndarray, rows: np.ndarray, owes: Mapping[int, np.ndarray], steps: Sequence[StepPlan],
    params: Mapping[str, np.ndarray], add: Callable[[int, int], int],
    at: Callable[[int, int], int], emit: Callable[[list[int], int, int, np.ndarray, int], None],
    first_submit: Mapping[int, list[int]], hours: tuple[int, int], kinds: tuple[int, int, int],
    slots: int, levels: Sequence[str],
) -> None:  # fmt: skip
    """Plan the chunk's submissions, returns and acceptances of the units' own steps.

    Args:
        u: the chunk's uniforms, one row per unit.
        rows: the chunk's unit numbers.
        owes: step → which of the chunk's units owe it (a boolean column).
        steps: the unit-submitted steps, in template order.
        params: the behaviour of each unit, as columns: ``never``, ``sub_lo``, ``sub_hi``,
            ``ret``, ``rw_lo``, ``rw_hi``, and ``esc:<level id>``.
        add, at: working-day arithmetic and local instants on day ordinals.
        emit: ``emit(instants, kind, step, units, extra)`` records actions.
        first_submit: step → each unit's first submission instant, filled in.
        hours: the hour of submissions and of reviews.
        kinds: the action kinds submit, return, accept.
        slots: the first escalation slot of a step (after its own six).
        levels: the escalation level ids.
    """
    days = _Days(add, at)
    submit_h, review_h = hours
    k_submit, k_return, k_accept = kinds
    n = len(rows)
    accepted: dict[int, np.ndarray] = {}  # step → accepted day per unit (-1: never)
    for sp in steps:
        mask = owes[sp.s]
        b = sp.base
        earliest = np.full(n, sp.opens, dtype=np.int64)
        dead = np.zeros(n, dtype=bool)
        for a in sp.deps:  # the steps it depends on and owes, planned before it
            if a not in accepted:
                continue
            known = owes[a]
            ad = accepted[a]
            dead |= known & (ad == _NONE)
            ok = known & (ad != _NONE)
            if ok.any():
                nxt = days.add(np.where(ok, ad, sp.opens), 1)
                earliest = np.where(ok, np.maximum(earliest, nxt), earliest)
        off = _pick(u[:, b + 1], params["sub_lo"], params["sub_hi"])
        day = np.where(off != 0, days.add(np.full(n, sp.due, dtype=np.int64), off), sp.due)
        day = np.where(u[:, b] < params["never"], _NONE, day)
        decided = np.zeros(n, dtype=bool)
        for k, e in enumerate(sp.esc):  # a level that fires before it submits may move it
            decided |= (day != _NONE) & (day <= e)
            fire = ~decided & (u[:, b + slots + k] < params[f"esc:{levels[k]}"])
            if fire.any():
                day = np.where(fire, days.add(np.full(n, e, dtype=np.int64), 1)[0], day)
            decided |= fire
        live = mask & ~dead & (day != _NONE)
        day = np.where(live, np.maximum(day, earliest), _NONE)
        if sp.closes is not None:
            late = np.zeros(n, dtype=bool)
            idx = np.flatnonzero(live)
            if idx.size:
                late[idx] = np.array(days.at(day[idx], submit_h)) > sp.closes
            live &= ~late
        result = np.full(n, _NONE, dtype=np.int64)
        idx = np.flatnonzero(live)
        if idx.size:
            t = days.at(day[idx], submit_h)
            if sp.first_submit:
                fs = first_submit[sp.s]
                for j, when in zip(rows[idx].tolist(), t, strict=True):
                    fs[j] = when
            emit(t, k_submit, sp.s, rows[idx], 0)
        if not sp.reviewed:
            result[live] = day[live]
            accepted[sp.s] = result
            continue
        open_ = live.copy()  # submitted, not yet accepted or given up
        for round_ in range(2):
            idx = np.flatnonzero(open_)
            if not idx.size:
                break
            review = days.add(day[idx], 1)
            back = u[idx, b + 2 + 2 * round_] < params["ret"][idx]
            ridx, rrev = idx[back], review[back]
            if ridx.size:
                emit(days.at(rrev, review_h), k_return, sp.s, rows[ridx], 0)
                again = days.add(rrev, _pick(u[ridx, b + 3 + 2 * round_], params["rw_lo"][ridx],
                                             params["rw_hi"][ridx]))  # fmt: skip
                ok = np.ones(ridx.size, dtype=bool)
                if sp.closes is not None:
                    ok = np.array(days.at(again, submit_h)) <= sp.closes
                open_[ridx[~ok]] = False  # handed in too late to be taken: never accepted
                good, gday = ridx[ok], again[ok]
                if good.size:
                    emit(days.at(gday, submit_h), k_submit, sp.s, rows[good], 1)
                    day[good] = gday
            aidx, arev = idx[~back], review[~back]
            if aidx.size:
                if sp.accepts:
                    emit(days.at(arev, review_h), k_accept, sp.s, rows[aidx], 0)
                result[aidx] = arev
                open_[aidx] = False
        idx = np.flatnonzero(open_)  # returned twice: accepted the day after the third
        if idx.size:
            review = days.add(day[idx], 1)
            if sp.accepts:
                emit(days.at(review, review_h), k_accept, sp.s, rows[idx], 0)
            result[idx] = review
        accepted[sp.s] = result


def param_columns(behaviours: Sequence[Any], levels: Sequence[str]) -> dict[str, np.ndarray]:
    """The behaviour table as columns (one row per behaviour), for fancy indexing."""
    cols: dict[str, np.ndarray] = {
        "never": np.array([b.never for b in behaviours], dtype=np.float64),
        "sub_lo": np.array([b.submit_days[0] for b in behaviours], dtype=np.int64),
        "sub_hi": np.array([b.submit_days[1] for b in behaviours], dtype=np.int64),
        "ret": np.array([b.return_chance for b in behaviours], dtype=np.float64),
        "rw_lo": np.array([b.rework_days[0] for b in behaviours], dtype=np.int64),
        "rw_hi": np.array([b.rework_days[1] for b in behaviours], dtype=np.int64),
        "findings_mean": np.array([b.findings_mean for b in behaviours], dtype=np.float64),
        "rectify_never": np.array([b.rectify_never for b in behaviours], dtype=np.float64),
        "rf_lo": np.array([b.rectify_days[0] for b in behaviours], dtype=np.int64),
        "rf_hi": np.array([b.rectify_days[1] for b in behaviours], dtype=np.int64),
    }
    for lv in levels:
        cols[f"esc:{lv}"] = np.array([b.escalation.get(lv, 0.0) for b in behaviours],
                                     dtype=np.float64)  # fmt: skip
    return cols


def poisson_counts(u: np.ndarray, mean: np.ndarray, cap: int) -> np.ndarray:
    """``_poisson`` elementwise: the count whose cumulative probability first reaches
    ``u`` (capped), by the same float operations in the same order."""
    k = np.zeros(len(u), dtype=np.int64)
    live = mean > 0
    p = np.where(live, np.exp(-np.where(live, mean, 0.0)), 0.0)
    acc = p.copy()
    for step in range(1, cap + 1):
        go = live & (u > acc)
        if not go.any():
            break
        k[go] = step
        p = np.where(go, p * (mean / step), p)
        acc = np.where(go, acc + p, acc)
        live = go
    return k


def plan_inspections(
    u: np.ndarray, rows: np.ndarray, owes: np.ndarray, base: int, s: int, days: Sequence[int],
    params: Mapping[str, np.ndarray], add: Callable[[int, int], int],
    at: Callable[[int, int], int], emit: Callable[[list[int], int, int, np.ndarray, int], None],
    hours: tuple[int, int, int], kinds: tuple[int, int, int, int], cap: int,
) -> None:  # fmt: skip
    """An inspection step for the chunk's units that owe it (persons never do): the day it
    comes, the findings it makes, and each finding's rectification and verification."""
    inspect_h, submit_h, review_h = hours
    k_inspect, k_finding, k_fix, k_verify = kinds
    calc = _Days(add, at)
    idx = np.flatnonzero(owes)
    if not idx.size:
        return
    n_days = len(days)
    pick = np.minimum(n_days - 1, (u[idx, base] * n_days).astype(np.int64))
    day = np.asarray(days, dtype=np.int64)[pick]
    t = calc.at(day, inspect_h)
    emit(t, k_inspect, s, rows[idx], 0)
    count = poisson_counts(u[idx, base + 1], params["findings_mean"][idx], cap)
    for k in range(cap):
        has = count > k
        if not has.any():
            break
        f_idx = np.flatnonzero(has)
        emit([t[j] + 1_000_000 * (k + 1) for j in f_idx.tolist()], k_finding, s,
             rows[idx[f_idx]], k)  # fmt: skip
        fixes = f_idx[~(u[idx[f_idx], base + 3 + 2 * k] < params["rectify_never"][idx[f_idx]])]
        if not fixes.size:
            continue
        g = idx[fixes]
        fix = calc.add(day[fixes], _pick(u[g, base + 2 + 2 * k], params["rf_lo"][g],
                                         params["rf_hi"][g]))  # fmt: skip
        emit(calc.at(fix, submit_h), k_fix, s, rows[g], k)
        emit(calc.at(calc.add(fix, 1), review_h), k_verify, s, rows[g], k)
