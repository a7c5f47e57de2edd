"""One replication: the real campaign, through the real engine, driven by a profile.

Every random number of a replication comes from ``SeedSequence(seed, spawn_key=(rep, i))``
for unit number ``i`` of the tree, in a fixed layout (one slot per purpose, per template
step), never from anything that depends on the worker, the arm or the order of execution:
a replication gives the same result serially, in a process pool or on a Dask cluster, and
the arms of a sweep see the same draws (common random numbers).

What units owe is read from the engine (``unit_status(unit).steps`` after enrollment); a
step that a unit does not owe is never acted on. Actions are grouped by instant and step:
submissions go through :meth:`~zyw_flow.Campaign.submit_many` (the bulk path), reviews,
findings and scores through the single-call API. A batch the engine refuses as a whole is
retried unit by unit, and what it still refuses is counted (``refused``), not hidden.
"""

from __future__ import annotations

import datetime as dt
import gc
import itertools
import math
import time
from array import array
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from functools import cache
from statistics import NormalDist
from typing import Any

import attrs
import numpy as np

from zyw_flow._errors import CampaignError, ZywFlowError
from zyw_flow.compile import STATUS_NAMES, CompiledCampaign
from zyw_flow.runtime import Campaign
from zyw_flow.sim._plan import StepPlan, param_columns, plan_inspections, plan_unit_steps
from zyw_flow.sim._profile import Behaviour, Profile
from zyw_flow.sim._seeds import uniform_chunks
from zyw_flow.sim._units import UnitTree

__all__ = ["RepResult", "align_daily", "run_replication"]

# Slot layout of a unit's random numbers (the words of its SeedSequence): slot 0 draws
# its class; then, for each template step in order, a unit-submitted dated step takes
# 6 + L slots (never, offset, return 1, rework 1, return 2, rework 2, one per escalation
# level) and an inspection step 8 (day, count, then rectify days and never per finding);
# then one slot per score.
_STEP_SLOTS = 6
_INSPECT_SLOTS = 2 + 3 * 2
_MAX_FINDINGS = 3

# Kinds of action, in the order they run at one instant.
_INSPECT, _FINDING, _SUBMIT, _FIX, _RETURN, _ACCEPT, _VERIFY, _SCORE, _FINAL = range(9)

_HOUR = 3_600_000_000
_INSPECT_H, _SUBMIT_H, _REVIEW_H, _SCORE_H, _FINAL_H = 9, 10, 15, 16, 17

_SOLID = ("submitted", "accepted")


@attrs.frozen
class RepResult:
    """What one replication of one arm gives.

    Attributes:
        arm, rep: which arm of the sweep and which replication.
        metrics: the replication's figures (see :func:`zyw_flow.sim.metric_names`).
        units: the per-unit table, column → values.
        daily: the per-day table, column → values.
        events: events the campaign recorded; ``seconds`` the wall time of the run, and
            ``split`` its parts (enroll, owed, plan, run, read).
    """

    arm: int
    rep: int
    metrics: Mapping[str, Any]
    units: Mapping[str, list[Any]]
    daily: Mapping[str, list[Any]]
    events: int
    seconds: float = attrs.field(eq=False, default=0.0)
    split: Mapping[str, float] = attrs.field(eq=False, factory=dict)


def _pick(u: float, lo: int, hi: int) -> int:
    return lo + min(hi - lo, int(u * (hi - lo + 1)))


def _poisson(u: float, mean: float) -> int:
    if mean <= 0:
        return 0
    k, p = 0, math.exp(-mean)
    acc = p
    while u > acc and k < _MAX_FINDINGS:
        k += 1
        p *= mean / k
        acc += p
    return k


class _Clock:
    """Working-day arithmetic on day ordinals and local instants, cached."""

    def __init__(self, compiled: CompiledCampaign) -> None:
        self.cal = compiled.calendar
        self.zone = compiled.zone
        self._at: dict[int, int] = {}  # day ordinal → local midnight, µs

    def midnight(self, o: int) -> int:
        found = self._at.get(o)
        if found is None:
            d = dt.date.fromordinal(o)
            local = dt.datetime(d.year, d.month, d.day, tzinfo=self.zone)
            found = self._at[o] = int(local.timestamp()) * 1_000_000
        return found

    def at(self, o: int, hour: int) -> int:
        return self._at[o] + hour * _HOUR if o in self._at else self.midnight(o) + hour * _HOUR

    @cache  # noqa: B019
    def add(self, o: int, n: int) -> int:
        return self.cal.add_workdays(dt.date.fromordinal(o), n).toordinal()

    @cache  # noqa: B019
    def workday_on_or_after(self, o: int) -> int:
        return self.cal.next_workday(dt.date.fromordinal(o)).toordinal()

    def day_of(self, us: int) -> int:
        local = dt.datetime.fromtimestamp(us / 1_000_000, tz=self.zone)
        return local.date().toordinal()

    @cache  # noqa: B019
    def instant(self, us: int) -> dt.datetime:
        return dt.datetime.fromtimestamp(us // 1_000_000, tz=self.zone).replace(
            microsecond=us % 1_000_000
        )


def _leaf_items(compiled: CompiledCampaign) -> list[tuple[str, str | None, str | None, float]]:
    """Every score a unit's scheme needs: ``(indicator, period, rater group, top)``."""
    scheme = compiled.schemes.get("units")
    if scheme is None:
        return []
    out: list[tuple[str, str | None, str | None, float]] = []

    def walk(ind: Any, periods: tuple[Any, ...]) -> None:
        periods = ind.periods or periods
        if ind.is_leaf:
            top = float(ind.points) if scheme.model == "points" and ind.points else 100.0
            for p in periods or (None,):
                for r in ind.raters or (None,):
                    out.append((ind.id, None if p is None else p.id,
                                None if r is None else r.id, top))  # fmt: skip
            return
        for child in ind.children:
            walk(child, periods)

    for ind in scheme.indicators:
        walk(ind, ())
    return out


@attrs.define
class _Plan:
    """The actions of a replication as two columns — the instant (µs) and the rest of the
    key, ``kind << 36 | step << 26 | unit << 2 | extra`` (sorting by both sorts by
    instant, kind, step, unit) — and the instant of each unit's first submission of each
    step (``NEVER`` if none)."""

    times: array[int] = attrs.field(factory=lambda: array("q"))
    rest: array[int] = attrs.field(factory=lambda: array("q"))
    first_submit: dict[int, list[int]] = attrs.field(factory=dict)

    def add(self, t: int, kind: int, s: int, i: int, x: int) -> None:
        self.times.append(t)
        self.rest.append((kind << 36) | (s << 26) | (i << 2) | x)

    def emit(self, instants: list[int], kind: int, s: int, units: np.ndarray, x: int) -> None:
        """Many actions of one kind and step (the chunked plan)."""
        rest = (units.astype(np.int64) << 2) | ((kind << 36) | (s << 26) | x)
        self.times.extend(instants)
        self.rest.frombytes(rest.astype(np.int64).tobytes())

    def __len__(self) -> int:
        return len(self.times)


_NEVER = 1 << 62


def run_replication(
    compiled: CompiledCampaign,
    units: UnitTree,
    profile: Profile,
    seed: int,
    rep: int,
    *,
    arm: int = 0,
    evaluate: bool = True,
    accept: str = "needed",
) -> RepResult:
    """Run one replication of a campaign and read its figures off the engine.

    Args:
        compiled: the campaign (with the arm's overrides already applied).
        units: the unit tree.
        profile: how units behave.
        seed, rep: the random-number key, with each unit's index in the tree.
        arm: the arm's number (only recorded in the result).
        evaluate: record scores and finalise the evaluation when the template scores and
            the profile has scores.
        accept: ``needed`` (the office accepts what another step depends on or a phase
            gate needs) or ``all`` (every submission it does not return).

    The cyclic garbage collector is paused for the run (the campaign's records form no
    cycles; its passes over the growing state cost 10-20 % of a replication of 10^4
    units).
    """
    was = gc.isenabled()
    gc.disable()
    try:
        return _replicate(compiled, units, profile, seed, rep, arm, evaluate, accept)
    finally:
        if was:
            gc.enable()


def _replicate(
    compiled: CompiledCampaign, units: UnitTree, profile: Profile, seed: int, rep: int,
    arm: int, evaluate: bool, accept: str,
) -> RepResult:  # fmt: skip
    started = time.perf_counter()
    clock = _Clock(compiled)
    steps = compiled.steps
    levels = compiled.escalation
    level_ids = tuple(lv.id for lv in levels)
    profile = profile.for_levels(level_ids, compiled.id)  # the template's levels, no other
    c = Campaign(compiled)
    for role in ("office", "inspector", "accountability", "leader"):
        if role in compiled.roles:
            c.add_actor(f"sim:{role}", roles=[role])
    first_day = clock.day_of(min(compiled.phase_start_us))
    c.enroll_many(list(units.rows()), at=clock.instant(clock.midnight(first_day - 1)))
    ids = units.ids
    member = {uid: f"m:{uid}" for uid in ids}
    has_member = "member" in compiled.roles
    if has_member:
        c.add_actors({"id": member[uid], "roles": ("member",), "unit": uid} for uid in ids)

    # What the engine says each unit owes, and who submits each step.
    index = compiled.step_index
    member_steps = {s for s, d in enumerate(steps) if "member" in d.submit and d.due is not None}
    undated = {s for s, d in enumerate(steps) if "member" in d.submit and d.due is None}
    inspect_steps = {
        s for s, d in enumerate(steps)
        if "inspector" in d.submit and "member" not in d.submit
    }  # fmt: skip
    needed: set[int] = set()
    for d in steps:
        needed.update(index[a] for a in d.after if a in index)
    if compiled.advance == "completion":
        for gate in compiled.gate_steps:
            needed.update(gate)
    reviewed = {s for s, d in enumerate(steps) if d.review}
    split = {"enroll": time.perf_counter() - started}
    mark = time.perf_counter()
    owed: list[list[int]] = [[] for _ in ids]
    for s, col in enumerate(c.status_table().steps.values()):
        for i in col.owed():
            owed[i].append(s)

    # Per-step constants.
    due_day = {s: clock.day_of(compiled.due_us[s]) for s in member_steps}
    for s in undated:  # no deadline: handed in around the end of its phase, never late
        due_day[s] = clock.day_of(compiled.phase_end_us[compiled.step_phase[s]])
    open_day = {s: clock.day_of(compiled.opens_us[s]) for s in range(len(steps))}
    close_us = compiled.closes_us
    esc_day = {s: [clock.day_of(t) for t in compiled.escalation_us[s]] for s in member_steps}
    esc_day.update((s, []) for s in undated)
    phase_days: dict[int, list[int]] = {}
    for s in inspect_steps:  # a working day from its opening to its deadline or phase end
        p = compiled.step_phase[s]
        lo = max(clock.day_of(compiled.phase_start_us[p]), open_day[s])
        hi = clock.day_of(compiled.phase_end_us[p])
        if steps[s].due is not None:
            hi = min(hi, clock.day_of(compiled.due_us[s]))
        days = [o for o in range(lo, hi + 1) if clock.workday_on_or_after(o) == o]
        phase_days[s] = days or [lo]
    items = _leaf_items(compiled) if evaluate and profile.scores else []
    sources = compiled.resolved.template.findings.sources
    source = "inspection" if "inspection" in sources else (sources[0] if sources else "inspection")
    slot: dict[int, int] = {}
    n_slots = 1
    for s in range(len(steps)):
        if s in member_steps or s in undated:
            slot[s] = n_slots
            n_slots += _STEP_SLOTS + len(levels)
        elif s in inspect_steps:
            slot[s] = n_slots
            n_slots += _INSPECT_SLOTS
    score_base = n_slots
    n_slots += len(items)

    split["owed"] = time.perf_counter() - mark
    mark = time.perf_counter()
    plan = _Plan(first_submit={s: [_NEVER] * len(ids) for s in member_steps})
    group_classes = {g: profile.classes(g) for g in set(units.groups)}
    own = sorted(member_steps | undated) if has_member else []
    chunked = [
        StepPlan(s, slot[s], due_day[s], open_day[s], esc_day[s], close_us[s], s in reviewed,
                 accept == "all" or s in needed,
                 [index[a] for a in steps[s].after if a in index], s in member_steps)
        for s in own
    ]  # fmt: skip
    ctx = _PlanContext(plan, clock, slot, owed, levels, member_steps, undated, has_member,
                       reviewed, needed, accept, due_day, open_day, esc_day, close_us, steps,
                       index, inspect_steps, phase_days, units, items, score_base)  # fmt: skip
    klass: list[str] = [""] * len(ids)
    score_rows: list[tuple[int, list[float]]] = []
    inspected = sorted(inspect_steps)
    owes = _owes(owed, own + inspected, len(ids))
    not_person = np.array([k != "person" for k in units.kinds], dtype=bool)
    for s in inspected:  # persons are never inspected
        owes[s] &= not_person
    per_unit = not _CHUNKED or bool(items)  # what is left to plan unit by unit
    for first, u in uniform_chunks(seed, rep, len(ids), n_slots, _CHUNK):
        rows = np.arange(first, first + len(u))
        behaviours = _classes(u[:, 0], units.groups[first : first + len(u)], group_classes)
        for k, b in enumerate(behaviours):
            klass[first + k] = b.id
        if _CHUNKED:
            part = {s: col[first : first + len(u)] for s, col in owes.items()}
            params = _params(behaviours, level_ids)
            plan_unit_steps(
                u, rows, part, chunked, params, clock.add, clock.at, plan.emit,
                plan.first_submit, (_SUBMIT_H, _REVIEW_H), (_SUBMIT, _RETURN, _ACCEPT),
                _STEP_SLOTS, level_ids,
            )  # fmt: skip
            for s in inspected:
                plan_inspections(
                    u, rows, part[s], slot[s], s, phase_days[s], params, clock.add, clock.at,
                    plan.emit, (_INSPECT_H, _SUBMIT_H, _REVIEW_H),
                    (_INSPECT, _FINDING, _FIX, _VERIFY), _MAX_FINDINGS,
                )  # fmt: skip
        if per_unit:
            for k, b in enumerate(behaviours):
                _plan_unit(ctx, first + k, b, _row(u, k, ctx.needs), chunked=_CHUNKED,
                           score_rows=score_rows)  # fmt: skip

    last_day = clock.day_of(max(compiled.phase_end_us))
    eval_day = clock.cal.previous_workday(dt.date.fromordinal(last_day)).toordinal()
    if score_rows:
        for i, _values in score_rows:
            plan.add(clock.at(eval_day, _SCORE_H), _SCORE, 0, i, 0)
        plan.add(clock.at(eval_day, _FINAL_H), _FINAL, 0, 0, 0)
    scores = dict(score_rows)

    split["plan"] = time.perf_counter() - mark
    mark = time.perf_counter()
    refused, recorded = _execute(c, plan, clock, steps, ids, member, items, scores, source)
    static_end = max(
        [t for t in compiled.due_us if t is not None and t < 1 << 62]
        + [t for ts in compiled.escalation_us for t in ts]
        + list(compiled.phase_end_us)
    )
    last_action = max(plan.times) if len(plan) else static_end
    end = max(static_end, last_action + 21 * 24 * _HOUR)
    c.tick(clock.instant(end))
    split["run"] = time.perf_counter() - mark
    mark = time.perf_counter()
    metrics, table = _read(c, compiled, units, owed, member_steps, level_ids, recorded)
    metrics["refused"] = refused
    daily = _daily(plan, clock, compiled, owed, member_steps, first_day, clock.day_of(end))
    table["class"] = klass
    split["read"] = time.perf_counter() - mark
    return RepResult(arm, rep, metrics, table, daily, c.cursor, time.perf_counter() - started,
                     split)  # fmt: skip


#: plan the units' own steps a chunk at a time (``False``: one unit at a time, by
#: :func:`_plan_step`; tests/test_sim.py checks the two plan the same)
_CHUNKED = True
_CHUNK = 8192  # units per chunk of random numbers


@attrs.define
class _PlanContext:
    """What the per-unit part of the plan reads."""

    plan: _Plan
    clock: _Clock
    slot: dict[int, int]
    owed: list[list[int]]
    levels: Sequence[Any]
    member_steps: set[int]
    undated: set[int]
    has_member: bool
    reviewed: set[int]
    needed: set[int]
    accept: str
    due_day: dict[int, int]
    open_day: dict[int, int]
    esc_day: dict[int, list[int]]
    close_us: Sequence[Any]
    steps: Sequence[Any]
    index: Mapping[str, int]
    inspect_steps: set[int]
    phase_days: dict[int, list[int]]
    units: UnitTree
    items: Sequence[tuple[str, str | None, str | None, float]]
    score_base: int
    needs: list[int] = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:  # the slots the per-unit part reads
        cols: set[int] = set()
        if not _CHUNKED:
            cols = set(range(self.score_base + len(self.items)))
        if not _CHUNKED:
            for s in self.inspect_steps:
                cols.update(range(self.slot[s], self.slot[s] + _INSPECT_SLOTS))
        cols.update(range(self.score_base, self.score_base + len(self.items)))
        self.needs = sorted(cols)


class _Row:
    """A unit's random numbers by slot, read from the chunk's columns that are needed."""

    __slots__ = ("_values", "_where")

    def __init__(self, values: list[float], where: Mapping[int, int]) -> None:
        self._values, self._where = values, where

    def __getitem__(self, slot: int) -> float:
        return self._values[self._where[slot]]


_WHERE: dict[tuple[int, ...], dict[int, int]] = {}


def _row(u: np.ndarray, k: int, needs: list[int]) -> _Row:
    key = tuple(needs)
    where = _WHERE.get(key)
    if where is None:
        where = _WHERE[key] = {slot: j for j, slot in enumerate(needs)}
    return _Row(u[k, needs].tolist() if needs else [], where)


def _owes(owed: Sequence[Sequence[int]], own: Sequence[int], n: int) -> dict[int, np.ndarray]:
    cols = {s: np.zeros(n, dtype=bool) for s in own}
    for i, mine in enumerate(owed):
        for s in mine:
            col = cols.get(s)
            if col is not None:
                col[i] = True
    return cols


def _classes(
    u0: np.ndarray, groups: Sequence[str], by_group: Mapping[str, Sequence[Behaviour]]
) -> list[Behaviour]:
    """Each unit's behaviour class, drawn from its first uniform: the first class of its
    group whose cumulative share exceeds it (the last if rounding leaves none)."""
    out: list[Behaviour] = [None] * len(u0)  # type: ignore[list-item]
    garr = np.array(groups, dtype=object)
    for g, classes in by_group.items():
        sel = np.flatnonzero(garr == g)
        if not sel.size:
            continue
        total = sum(b.share for b in classes)
        acc, cum = 0.0, []
        for b in classes:
            acc += b.share / total
            cum.append(acc)
        pick = np.minimum(np.searchsorted(np.array(cum), u0[sel], side="right"), len(classes) - 1)
        for j, c in zip(sel.tolist(), pick.tolist(), strict=True):
            out[j] = classes[c]
    return out


def _params(behaviours: Sequence[Behaviour], levels: Sequence[str]) -> dict[str, np.ndarray]:
    distinct = list({id(b): b for b in behaviours}.values())
    where = {id(b): j for j, b in enumerate(distinct)}
    pick = np.fromiter((where[id(b)] for b in behaviours), dtype=np.int64, count=len(behaviours))
    return {k: v[pick] for k, v in param_columns(distinct, levels).items()}


def _plan_unit(
    ctx: _PlanContext, i: int, b: Behaviour, r: Any, *, chunked: bool,
    score_rows: list[tuple[int, list[float]]],
) -> None:  # fmt: skip
    """The plan of one unit: its own steps (unless planned by chunks), the inspections of
    it and the findings they bring, its scores."""
    plan, clock, units = ctx.plan, ctx.clock, ctx.units
    is_person = units.kinds[i] == "person"
    accepted_day: dict[int, int | None] = {}
    steps, index = ctx.steps, ctx.index
    for s in ctx.owed[i]:
        base = ctx.slot.get(s, 0)
        if (s in ctx.member_steps or s in ctx.undated) and ctx.has_member:
            if chunked:
                continue
            day = _plan_step(
                plan, clock, b, r, base, s, i, ctx.due_day[s], ctx.open_day[s], ctx.esc_day[s],
                ctx.close_us[s], ctx.levels, s in ctx.reviewed,
                ctx.accept == "all" or s in ctx.needed,
                [accepted_day[index[a]] for a in steps[s].after
                 if index.get(a) in accepted_day],  # what it depends on and owes
            )  # fmt: skip
            accepted_day[s] = day
        elif s in ctx.inspect_steps and not is_person and not chunked:
            ib = base
            days = ctx.phase_days[s]
            o = days[min(len(days) - 1, int(r[ib] * len(days)))]
            plan.add(clock.at(o, _INSPECT_H), _INSPECT, s, i, 0)
            for k in range(_poisson(r[ib + 1], b.findings_mean)):
                plan.add(clock.at(o, _INSPECT_H) + 1_000_000 * (k + 1), _FINDING, s, i, k)
                if r[ib + 3 + 2 * k] < b.rectify_never:
                    continue
                fix = clock.add(o, _pick(r[ib + 2 + 2 * k], *b.rectify_days))
                plan.add(clock.at(fix, _SUBMIT_H), _FIX, s, i, k)
                plan.add(clock.at(clock.add(fix, 1), _REVIEW_H), _VERIFY, s, i, k)
    items = ctx.items
    if items and not is_person and units.kinds[i] == "unit":
        values: list[float] = []
        for j, (ind, _p, _g, top) in enumerate(items):
            spec = b.score_of(ind)
            if spec is None:
                values = []
                break
            z = NormalDist().inv_cdf(r[ctx.score_base + j])
            pct = min(100.0, max(0.0, spec[0] + spec[1] * z))
            values.append(round(pct * top / 100.0, 1))
        if values:
            score_rows.append((i, values))


def _plan_step(
    plan: _Plan, clock: _Clock, b: Behaviour, r: list[float], base: int, s: int, i: int,
    due: int, opens: int, esc: list[int], closes: int | None, levels: Sequence[Any],
    reviewed: bool, accepts: bool, deps: list[int | None],
) -> int | None:  # fmt: skip
    """Plan one unit's submissions of one step; the day its last submission is accepted
    (or ``None`` if it is never accepted)."""
    earliest = opens
    for d in deps:
        if d is None:
            return None  # a step it depends on is never accepted: it cannot submit
        earliest = max(earliest, clock.add(d, 1))
    if r[base] < b.never:
        day: int | None = None
    else:
        off = _pick(r[base + 1], *b.submit_days)
        day = clock.add(due, off) if off else due
    # Each escalation level, once it fires before the unit has submitted, may make it act.
    for k, e in enumerate(esc):
        if day is not None and day <= e:
            break
        if r[base + _STEP_SLOTS + k] < b.escalation.get(levels[k].id, 0.0):
            day = clock.add(e, 1)
            break
    if day is None:
        return None
    day = max(day, earliest)
    if closes is not None and clock.at(day, _SUBMIT_H) > closes:
        return None
    if s in plan.first_submit:
        plan.first_submit[s][i] = clock.at(day, _SUBMIT_H)
    plan.add(clock.at(day, _SUBMIT_H), _SUBMIT, s, i, 0)
    if not reviewed:
        return day
    for round_ in range(2):
        review = clock.add(day, 1)
        if r[base + 2 + 2 * round_] < b.return_chance:
            plan.add(clock.at(review, _REVIEW_H), _RETURN, s, i, 0)
            day = clock.add(review, _pick(r[base + 3 + 2 * round_], *b.rework_days))
            if closes is not None and clock.at(day, _SUBMIT_H) > closes:
                return None
            plan.add(clock.at(day, _SUBMIT_H), _SUBMIT, s, i, 1)
            continue
        if accepts:
            plan.add(clock.at(review, _REVIEW_H), _ACCEPT, s, i, 0)
        return review
    review = clock.add(day, 1)
    if accepts:
        plan.add(clock.at(review, _REVIEW_H), _ACCEPT, s, i, 0)
    return review


def _groups(plan: _Plan) -> Iterator[tuple[int, int, int, list[tuple[int, int]]]]:
    """The actions in order of (instant, kind, step, unit, extra), grouped by (instant,
    kind, step): the units and extras of each group."""
    if not len(plan):
        return
    times = np.frombuffer(plan.times, dtype=np.int64)
    rest = np.frombuffer(plan.rest, dtype=np.int64)
    order = np.lexsort((rest, times))
    times, rest = times[order], rest[order]
    head = rest >> 26  # kind and step
    cut = np.flatnonzero((times[1:] != times[:-1]) | (head[1:] != head[:-1])) + 1
    bounds = [0, *cut.tolist(), len(times)]
    units = ((rest >> 2) & 0xFFFFFF).tolist()
    extras = (rest & 3).tolist()
    t_list, h_list = times.tolist(), head.tolist()
    for a, b in itertools.pairwise(bounds):
        h = h_list[a]
        yield t_list[a], (h >> 10) & 15, h & 1023, list(zip(units[a:b], extras[a:b], strict=True))


def _execute(
    c: Campaign, plan: _Plan, clock: _Clock, steps: Sequence[Any], ids: Sequence[str],
    member: Mapping[str, str], items: Sequence[tuple[str, str | None, str | None, float]],
    scores: Mapping[int, list[float]], source: str,
) -> tuple[int, set[str]]:  # fmt: skip
    """Play the plan through the campaign, in time order: how many actions were refused,
    and the steps of the findings the inspection group recorded."""
    refused = 0
    findings: dict[tuple[int, int, int], str] = {}
    submitted: dict[int, bytearray] = {}  # step → which units handed it in
    by_row = [member[u] for u in ids]  # each unit's member, by the unit's number
    for t, kind, s, who in _groups(plan):
        at = clock.instant(t)
        step = steps[s].id if s < len(steps) else ""
        if kind in (_SUBMIT, _INSPECT):
            units = [ids[i] for i, _x in who]
            actor: str | list[str] = (
                [by_row[i] for i, _x in who] if kind == _SUBMIT else "sim:inspector"
            )
            try:
                c.submit_many(units, step, actor=actor, at=at)
                mark = submitted.setdefault(s, bytearray(len(ids)))
                for i, _x in who:
                    mark[i] = 1
            except ZywFlowError:
                for i, _x in who:  # the batch as a whole was refused: one by one
                    a = member[ids[i]] if kind == _SUBMIT else "sim:inspector"
                    try:
                        c.submit(ids[i], step, actor=a, at=at)
                        submitted.setdefault(s, bytearray(len(ids)))[i] = 1
                    except CampaignError:
                        refused += 1
                        if s in plan.first_submit:
                            plan.first_submit[s][i] = _NEVER
            continue
        if kind in _MANY:
            refused += _many(c, kind, step, who, ids, member, at, findings, submitted, s, source)
            continue
        for i, _x in who:
            uid = ids[i]
            try:
                if kind == _SCORE:
                    for (ind, period, group, _top), v in zip(items, scores[i], strict=True):
                        c.record_score(uid, ind, Decimal(str(v)), actor="sim:office", at=at,
                                       period=period, rater_group=group)  # fmt: skip
                elif kind == _FINAL:
                    c.finalize_evaluation(actor="sim:office", at=at)
            except CampaignError:
                refused += 1
    return refused, set(findings.values())


_MANY = {_FINDING: "finding", _FIX: "submit", _VERIFY: "verify", _RETURN: "return",
         _ACCEPT: "accept"}  # fmt: skip


def _many(
    c: Campaign, kind: int, step: str, who: list[tuple[int, int]], ids: Sequence[str],
    member: Mapping[str, str], at: dt.datetime, findings: dict[tuple[int, int, int], str],
    submitted: Mapping[int, bytearray], s: int, source: str,
) -> int:  # fmt: skip
    """One group of reviews, returns, findings or rectifications at one instant, through
    :meth:`~zyw_flow.Campaign.act_many` (a unit with two findings to fix at one instant
    goes into a second batch); a batch refused as a whole is retried unit by unit. How
    many actions were refused."""
    fields: dict[str, Any] = {}
    if kind == _FINDING:
        rows = who  # (one finding number per group: its instant has the number in it)
        fields = {"source": source, "description": f"{step} #{who[0][1] + 1}"}
    elif kind in (_FIX, _VERIFY):  # a finding's own step, if it was recorded
        rows = [(i, x) for i, x in who if (i, s, x) in findings]
    else:  # a review of what the unit handed in
        mark = submitted.get(s)
        rows = [(i, x) for i, x in who if mark is not None and mark[i]]
        if kind == _RETURN:
            fields = {"reason": "退回补充完善"}
    refused = 0
    while rows:
        seen: set[int] = set()
        batch: list[tuple[int, int]] = []
        rest: list[tuple[int, int]] = []
        for r in rows:  # each unit once per batch
            (rest if r[0] in seen else batch).append(r)
            seen.add(r[0])
        rows = rest
        refused += _batch(c, kind, step, batch, ids, member, at, findings, s, fields)
    return refused


def _batch(
    c: Campaign, kind: int, step: str, rows: list[tuple[int, int]], ids: Sequence[str],
    member: Mapping[str, str], at: dt.datetime, findings: dict[tuple[int, int, int], str],
    s: int, fields: Mapping[str, Any],
) -> int:  # fmt: skip
    verb = _MANY[kind]
    by_inspector = kind in (_FINDING, _VERIFY)

    def record(part: list[tuple[int, int]]) -> None:
        units = [ids[i] for i, _x in part]
        steps: Any = step
        if kind in (_FIX, _VERIFY):
            steps = {ids[i]: findings[(i, s, x)] for i, x in part}
        elif kind == _FINDING:
            steps = None
        actor: Any = "sim:inspector" if by_inspector else "sim:office"
        if kind == _FIX:
            actor = {u: member[u] for u in units}
        done = c.act_many(verb, units, actor=actor, at=at, step=steps, **fields)
        if kind == _FINDING:
            for (i, x), sid in zip(part, done.steps, strict=True):
                if sid is not None:
                    findings[(i, s, x)] = sid

    try:
        record(rows)
        return 0
    except CampaignError:
        pass
    refused = 0
    for row in rows:  # the batch as a whole was refused: one by one
        try:
            record([row])
        except CampaignError:
            refused += 1
    return refused


def _read(
    c: Campaign, compiled: CompiledCampaign, units: UnitTree, owed: Sequence[Sequence[int]],
    member_steps: set[int], level_ids: tuple[str, ...], recorded: set[str],
) -> tuple[dict[str, Any], dict[str, list[Any]]]:  # fmt: skip
    """The replication's figures, read off the engine's final statuses (one columnar
    read, :meth:`~zyw_flow.Campaign.status_table`): the steps the units owed and submit,
    and the findings the simulation recorded (not, say, the 诫勉 written report the
    evaluation orders, which no profile plans)."""
    steps = compiled.steps
    table = c.status_table()
    n = len(units.ids)
    n_levels = len(level_ids)
    scheme = compiled.schemes.get("units")
    esc = [0] * n_levels
    sanctions = {sd.id: 0 for sd in compiled.sanctions}
    grades = {band.id: 0 for band in scheme.bands} if scheme is not None else {}
    per_step: dict[str, list[int]] = {}
    n_f, n_fc = [0] * n, [0] * n
    f_on_time = 0

    def count(i: int, status: str, late: bool, level: int) -> bool:
        on = status in _SOLID and not late
        for k in range(min(level, n_levels)):
            esc[k] += 1
        if level > top[i]:
            top[i] = level
        n_owed[i] += 1
        n_on[i] += on
        n_over[i] += late or status == "overdue"
        return on

    solid = np.zeros(256, dtype=bool)  # by status code (255: not owed)
    solid[[STATUS_NAMES.index(name) for name in _SOLID]] = True
    overdue_code = STATUS_NAMES.index("overdue")
    started = _owes(owed, sorted(member_steps), n)  # what each unit owed at the start
    a_owed, a_on, a_over, a_top = (np.zeros(n, dtype=np.int64) for _ in range(4))
    a_steps, a_handed = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    for s, col in enumerate(table.steps.values()):
        codes = np.frombuffer(col.codes, dtype=np.uint8)
        owes_now = codes != 255
        a_steps += owes_now
        done = solid[codes]
        if "member" in steps[s].submit:
            a_handed += done
        if s not in member_steps:
            continue
        counted = started[s] & owes_now
        late = np.array(col.late, dtype=bool)
        level = np.array(col.escalation, dtype=np.int64)
        on = counted & done & ~late
        for k in range(n_levels):
            esc[k] += int(np.count_nonzero(counted & (level > k)))
        a_top = np.maximum(a_top, np.where(counted, level, 0))
        a_owed += counted
        a_on += on
        a_over += counted & (late | (codes == overdue_code))
        per_step[col.step] = [int(np.count_nonzero(counted)), int(np.count_nonzero(on))]
    template_n, handed_in = a_steps.tolist(), a_handed.tolist()
    n_owed, n_on, n_over, top = a_owed.tolist(), a_on.tolist(), a_over.tolist(), a_top.tolist()
    r = table.rectifications
    for k, sid in enumerate(r.step):
        if sid not in recorded:
            continue
        i = r.unit[k]
        on = count(i, r.status[k], r.late[k], r.escalation[k])
        n_f[i] += 1
        n_fc[i] += r.status[k] == "accepted"
        f_on_time += on
    for held in table.sanctions:
        for key in held:
            sanctions[key] = sanctions.get(key, 0) + 1
    for i, band in enumerate(table.grades):
        if band is not None and units.kinds[i] == "unit":
            grades[band] = grades.get(band, 0) + 1
    cols: dict[str, list[Any]] = {
        "unit": list(units.ids), "group": list(units.groups), "steps": template_n,
        "handed_in": handed_in, "owed": n_owed, "on_time": n_on, "overdue": n_over,
        "max_escalation": top, "findings": n_f, "findings_closed": n_fc,
        "sanctions": [len(x) for x in table.sanctions], "score": list(table.scores),
        "grade": list(table.grades),
    }  # fmt: skip
    owed_total, on_time_total, overdue_total = sum(n_owed), sum(n_on), sum(n_over)
    f_open, f_closed = sum(n_f), sum(n_fc)
    advanced = 0
    if c.rounds:
        advanced = len(c.rounds[-1].get("advanced", ()) or ())
    metrics: dict[str, Any] = {
        "on_time_rate": on_time_total / owed_total if owed_total else 1.0,
        "overdue_steps": overdue_total,
        "escalations": dict(zip(level_ids, esc, strict=True)),
        "sanctions": sanctions,
        "grades": grades,
        "advanced": advanced,
        "findings_opened": f_open,
        "findings_closed": f_closed,
        "findings_on_time_rate": f_on_time / f_open if f_open else 1.0,
        "on_time_by_step": {k: (v[1] / v[0] if v[0] else 1.0) for k, v in per_step.items()},
        "owed_steps": owed_total,
        "events": c.cursor,
    }
    return metrics, cols


def _daily(
    plan: _Plan, clock: _Clock, compiled: CompiledCampaign, owed: Sequence[Sequence[int]],
    member_steps: set[int], first: int, last: int,
) -> dict[str, list[Any]]:  # fmt: skip
    """Per day: overdue steps per phase, on-time submissions so far per step (from the
    submissions the engine took, against the template's deadlines)."""
    steps = compiled.steps
    subs: dict[int, list[int]] = {s: [] for s in member_steps}
    for i, mine in enumerate(owed):
        for s in mine:
            if s in member_steps:
                subs[s].append(plan.first_submit[s][i])
    ends = [clock.midnight(o + 1) for o in range(first, last + 1)]
    out: dict[str, list[Any]] = {"day": [], "phase": [], "step": [], "owed": [], "overdue": [],
                                 "on_time_so_far": []}  # fmt: skip
    for s in sorted(member_steps):
        times = sorted(subs[s])
        due = compiled.due_us[s]
        on_time = bisect_right(times, due)
        for o, end in zip(range(first, last + 1), ends, strict=True):
            done = bisect_right(times, end)
            overdue = len(times) - done if end > due else 0
            out["day"].append(dt.date.fromordinal(o).isoformat())
            out["phase"].append(compiled.phase_ids[compiled.step_phase[s]])
            out["step"].append(steps[s].id)
            out["owed"].append(len(times))
            out["overdue"].append(overdue)
            out["on_time_so_far"].append(min(done, on_time))
    return out


def align_daily(results: Sequence[RepResult]) -> tuple[RepResult, ...]:
    """The results with every per-day table covering the same days: from the first day any
    of them starts to the last day any of them reaches. A replication's table ends on its
    own last day (its last action plus three weeks, past every escalation); after it,
    nothing can change, so its last figures are carried forward; before its first day
    (an arm whose phases open later), no step is overdue or handed in yet."""
    days = {d for r in results for d in r.daily.get("day", ())}
    if not days:
        return tuple(results)
    lo = dt.date.fromisoformat(min(days)).toordinal()
    hi = dt.date.fromisoformat(max(days)).toordinal()
    span = [dt.date.fromordinal(o).isoformat() for o in range(lo, hi + 1)]
    return tuple(_align(r, span) for r in results)


def _align(res: RepResult, span: list[str]) -> RepResult:
    t = res.daily
    day = list(t.get("day", ()))
    if not day:
        return res
    keys = ("day", "phase", "step", "owed", "overdue", "on_time_so_far")
    out: dict[str, list[Any]] = {k: [] for k in keys}
    first = {d: i for i, d in enumerate(span)}
    a = 0
    while a < len(day):  # one block of consecutive days per step
        b = a
        while b + 1 < len(day) and t["step"][b + 1] == t["step"][a]:
            b += 1
        head, tail = first[day[a]], first[day[b]]
        rows: list[tuple[Any, ...]] = []
        rows += [(d, t["phase"][a], t["step"][a], t["owed"][a], 0, 0) for d in span[:head]]
        rows += [tuple(t[k][j] for k in keys) for j in range(a, b + 1)]
        last = tuple(t[k][b] for k in keys[1:])
        rows += [(d, *last) for d in span[tail + 1 :]]
        for row in rows:
            for k, v in zip(keys, row, strict=True):
                out[k].append(v)
        a = b + 1
    return attrs.evolve(res, daily=out)
