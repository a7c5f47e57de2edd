"""In-memory measurements of the runtime, and the ``transitions`` baselines they are judged by.

Each ``task_*`` function runs in a fresh interpreter (see :func:`benchmarks._harness.spawned`)
and returns a small result object; ``python -m benchmarks`` prints them. Times are wall clock
(``time.perf_counter``) with the garbage collector on, as in a host program.
"""

from __future__ import annotations

import gc
import linecache
import statistics
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from benchmarks._harness import (
    compiled,
    fit,
    local_text,
    rss,
    schedule,
    to_us,
    unit_rows,
)

__all__ = [
    "AttachResult",
    "BulkResult",
    "EventsResult",
    "FloorResult",
    "MemoryResult",
    "ScaleResult",
    "task_attach",
    "task_bulk",
    "task_events",
    "task_floor",
    "task_flyweight",
    "task_many",
    "task_memory",
    "task_profile",
    "task_scale",
]

_FINAL_STATES = frozenset({"accepted", "waived"})


# -- enrolment, memory (RSS) and ticks at one size --------------------------------------------
@dataclass
class ScaleResult:
    n: int
    enrol_seconds: list[float]
    rss_bytes_per_unit: float
    quiet_ticks: int
    quiet_tick_us_dt: float
    quiet_tick_us_str: float
    quiet_events: int
    deadline_seconds: float
    deadline_events: int
    escalation_seconds: float
    escalation_events: int

    @property
    def enrol_median(self) -> float:
        return statistics.median(self.enrol_seconds)

    @property
    def enrol_rate(self) -> float:
        return self.n / self.enrol_median


def task_scale(n: int, quiet_ticks: int, repeats: int) -> ScaleResult:
    """Enrol ``n`` units (timed, RSS), then quiet ticks, the deadline tick and an escalation."""
    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    gc.collect()
    rss0 = rss()
    rows = unit_rows(n)
    c = Campaign(comp)
    t0 = time.perf_counter()
    c.enroll_many(rows)
    first = time.perf_counter() - t0
    del rows
    gc.collect()
    per_unit = (rss() - rss0) / n

    c.tick(sched.quiet_start)  # opens the first phase
    step = fit(sched.quiet_start, sched.quiet_end, 2 * quiet_ticks, timedelta(seconds=1))
    ats = [sched.quiet_start + step * (k + 1) for k in range(2 * quiet_ticks)]
    as_dt, as_str = ats[:quiet_ticks], [local_text(a) for a in ats[quiet_ticks:]]
    fired = 0
    samples_dt: list[float] = []
    for at in as_dt:
        t0 = time.perf_counter()
        fired += len(c.tick(at))
        samples_dt.append(time.perf_counter() - t0)
    samples_str: list[float] = []
    for text in as_str:
        t0 = time.perf_counter()
        fired += len(c.tick(text))
        samples_str.append(time.perf_counter() - t0)

    cursor = c.cursor
    t0 = time.perf_counter()
    c.tick(sched.deadline)
    deadline = time.perf_counter() - t0
    deadline_events = c.cursor - cursor
    cursor = c.cursor
    t0 = time.perf_counter()
    c.tick(sched.escalation)
    escalation = time.perf_counter() - t0
    escalation_events = c.cursor - cursor
    del c
    gc.collect()

    times = [first]
    for _ in range(repeats - 1):
        rows = unit_rows(n)
        c = Campaign(comp)
        gc.collect()
        t0 = time.perf_counter()
        c.enroll_many(rows)
        times.append(time.perf_counter() - t0)
        del c, rows
        gc.collect()
    return ScaleResult(
        n=n,
        enrol_seconds=times,
        rss_bytes_per_unit=per_unit,
        quiet_ticks=quiet_ticks,
        quiet_tick_us_dt=statistics.median(samples_dt) * 1e6,
        quiet_tick_us_str=statistics.median(samples_str) * 1e6,
        quiet_events=fired,
        deadline_seconds=deadline,
        deadline_events=deadline_events,
        escalation_seconds=escalation,
        escalation_events=escalation_events,
    )


# -- memory with tracemalloc ------------------------------------------------------------------
@dataclass
class MemoryResult:
    n: int
    retained_bytes_per_unit: float
    peak_bytes_per_unit: float
    deadline_bytes_per_unit: float
    top_sites: list[tuple[str, float]] = field(default_factory=list)


def _site(frame: tracemalloc.Frame) -> str:
    name = frame.filename
    for marker in ("zyw_flow", "benchmarks"):
        if marker in name:
            name = name[name.index(marker) :]
            break
    code = linecache.getline(frame.filename, frame.lineno).strip()
    return f"{name}:{frame.lineno} `{code[:60]}`"


def task_memory(n: int) -> MemoryResult:
    """Bytes per unit still allocated after enrolling ``n`` units (input dropped)."""
    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    rows = unit_rows(n)
    c = Campaign(comp)
    c.enroll_many(rows)
    del rows
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    after = tracemalloc.take_snapshot()
    sites = [
        (_site(stat.traceback[0]), stat.size_diff / n)
        for stat in after.compare_to(before, "lineno")[:5]
        if stat.size_diff > 0
    ]
    del before, after
    c.tick(sched.quiet_start)
    gc.collect()
    mark = tracemalloc.get_traced_memory()[0]
    c.tick(sched.deadline)
    gc.collect()
    deadline = tracemalloc.get_traced_memory()[0] - mark
    tracemalloc.stop()
    return MemoryResult(n, (current - base) / n, (peak - base) / n, deadline / n, sites)


# -- per-call events: zyw_flow's public API and the flyweight baseline --------------------------
@dataclass
class EventsResult:
    who: str  # "zyw_flow" or "flyweight"
    n_units: int
    form: str  # "str" or "datetime"
    seconds: dict[str, float]  # per event type, for n_units events each
    recorded: int  # events recorded (zyw_flow: cursor delta) or transitions made (flyweight)
    spacing_us: int

    @property
    def total_rate(self) -> float:
        return 3 * self.n_units / sum(self.seconds.values())

    def rate(self, kind: str) -> float:
        return self.n_units / self.seconds[kind]

    @classmethod
    def median(cls, rounds: Sequence[EventsResult]) -> EventsResult:
        """The round of median total time (its figures stay those of one real run)."""
        ranked = sorted(rounds, key=lambda r: sum(r.seconds.values()))
        return ranked[(len(ranked) - 1) // 2]


def _instants(sched: Any, count: int, form: str) -> tuple[Sequence[str | datetime], int]:
    step = fit(sched.quiet_start, sched.quiet_end, count, timedelta(seconds=1))
    instants = [sched.quiet_start + step * (k + 1) for k in range(count)]
    ats: Sequence[str | datetime] = [local_text(a) for a in instants] if form == "str" else instants
    return ats, step // timedelta(microseconds=1)


def _timed_three(
    n: int,
    ats: Sequence[str | datetime],
    submit: Callable[[str, str, str | datetime], object],
    accept: Callable[[str, str | datetime], object],
    waive: Callable[[str, str | datetime], object],
) -> dict[str, float]:
    """``n`` submits, then ``n`` accepts, then ``n`` waives; the seconds of each kind."""
    units = [f"u{i}" for i in range(n)]
    clerks = [f"clerk-{i}" for i in range(n)]
    gc.collect()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    for u, who, at in zip(units, clerks, ats[:n], strict=True):
        submit(u, who, at)
    seconds["submit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for u, at in zip(units, ats[n : 2 * n], strict=True):
        accept(u, at)
    seconds["accept"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for u, at in zip(units, ats[2 * n :], strict=True):
        waive(u, at)
    seconds["waive"] = time.perf_counter() - t0
    return seconds


def task_events(n: int, form: str) -> EventsResult:
    """``submit`` (member), ``accept`` (office) of work_plan, ``waive`` (office) of another
    step, each once per unit, through the public API of a campaign of ``n`` units."""
    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    c = Campaign(comp)
    c.enroll_many(unit_rows(n))
    c.add_actor("office", roles=["office"])
    for i in range(n):
        c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")
    c.tick(sched.quiet_start)
    ats, spacing = _instants(sched, 3 * n, form)
    work, other = sched.deadline_steps[0], sched.other_step
    cursor = c.cursor
    seconds = _timed_three(
        n,
        ats,
        lambda u, who, at: c.submit(u, work, actor=who, at=at),
        lambda u, at: c.accept(u, work, actor="office", at=at),
        lambda u, at: c.waive(u, other, actor="office", at=at),
    )
    return EventsResult("zyw_flow", n, form, seconds, c.cursor - cursor, spacing)


def task_many(n: int) -> EventsResult:
    """The same three events per unit as :func:`task_events`, as three calls: ``submit_many``
    (the units' members as a list), ``act_many("accept")`` and ``act_many("waive")``, each
    at one instant (per unit the rules of the single calls)."""
    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    c = Campaign(comp)
    c.enroll_many(unit_rows(n))
    c.add_actor("office", roles=["office"])
    c.add_actors({"id": f"clerk-{i}", "roles": ["member"], "unit": f"u{i}"} for i in range(n))
    c.tick(sched.quiet_start)
    ats, spacing = _instants(sched, 3, "datetime")
    work, other = sched.deadline_steps[0], sched.other_step
    units = [f"u{i}" for i in range(n)]
    clerks = [f"clerk-{i}" for i in range(n)]
    cursor = c.cursor
    seconds: dict[str, float] = {}
    gc.collect()
    t0 = time.perf_counter()
    c.submit_many(units, work, actor=clerks, at=ats[0])
    seconds["submit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    c.act_many("accept", units, actor="office", at=ats[1], step=work)
    seconds["accept"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    c.act_many("waive", units, actor="office", at=ats[2], step=other)
    seconds["waive"] = time.perf_counter() - t0
    return EventsResult("act_many", n, "datetime", seconds, c.cursor - cursor, spacing)


class _Proxy:
    """The one model attached to the shared machine: the flyweight.

    Before each trigger the unit's step state is copied in (``state``, ``u``, ``s``); the
    machine's guards are answered from the compiled tables, given the instant.
    """

    state: str

    def __init__(self, comp: Any, status: list[bytearray], final: frozenset[int]) -> None:
        self.final = final
        self.opens = comp.opens_us
        self.due = comp.due_us
        self.closes = comp.closes_us
        self.deps = comp.deps
        self.status = status
        self.u = 0
        self.s = 0

    def is_open(self, at: int) -> bool:
        return bool(self.opens[self.s] <= at)

    def is_not_closed(self, at: int) -> bool:
        return bool(at <= self.closes[self.s])

    def dependencies_met(self, at: int) -> bool:
        u, status, final = self.u, self.status, self.final
        return all(status[d][u] in final for d in self.deps[self.s])

    def is_past_due(self, at: int) -> bool:
        return bool(self.due[self.s] <= at)


class Flyweight:
    """Units as compact records (one status byte per unit and step), every event driven
    through one shared ``transitions.Machine`` (:func:`zyw_flow.compile.step_machine`) by
    copying the unit's step state into the one proxy model and back out.

    It does what the runtime's hot path must do at the least: find the unit and the step,
    read the instant, run the machine, store the new status. It checks no permissions, no
    time order, no idempotency key, and keeps no event log, so it does less than the
    runtime per event: the ratio against it is a lower bound.
    """

    def __init__(self, comp: Any, ids: Sequence[str]) -> None:
        from zyw_flow.compile import STATUS_NAMES, step_machine

        self.names = STATUS_NAMES
        self.codes = {name: k for k, name in enumerate(STATUS_NAMES)}
        final = frozenset(self.codes[s] for s in _FINAL_STATES)
        self.zone = comp.zone
        self.index = {uid: k for k, uid in enumerate(ids)}
        self.step_index = comp.step_index
        self.status = [bytearray(len(ids)) for _ in comp.steps]  # 0 = not_open
        self.machine = step_machine()
        self.proxy = _Proxy(comp, self.status, final)
        self.machine.add_model(self.proxy)
        self.events = {name: ev for name, ev in self.machine.events.items()}

    def fire(self, trigger: str, unit: str, step: str, at: str | datetime | int) -> bool:
        u = self.index[unit]
        s = self.step_index[step]
        at_us = at if isinstance(at, int) else to_us(at, self.zone)
        proxy = self.proxy
        row = self.status[s]
        proxy.u, proxy.s = u, s
        proxy.state = self.names[row[u]]
        ok = bool(self.events[trigger].trigger(proxy, at_us))
        row[u] = self.codes[proxy.state]
        return ok


def task_flyweight(n: int, form: str) -> EventsResult:
    """The same three events per unit as :func:`task_events`, through the flyweight."""
    comp = compiled()
    sched = schedule(comp)
    ids = [f"u{i}" for i in range(n)]
    fly = Flyweight(comp, ids)
    work, other = sched.deadline_steps[0], sched.other_step
    opened = to_us(sched.quiet_start, comp.zone)
    for uid in ids:  # the phase opens (not timed)
        fly.fire("open", uid, work, opened)
        fly.fire("open", uid, other, opened)
    ats, spacing = _instants(sched, 3 * n, form)
    made = [0]

    def count(ok: bool) -> None:
        made[0] += ok

    seconds = _timed_three(
        n,
        ats,
        lambda u, who, at: count(fly.fire("submit", u, work, at)),
        lambda u, at: count(fly.fire("accept", u, work, at)),
        lambda u, at: count(fly.fire("waive", u, other, at)),
    )
    return EventsResult("flyweight", n, form, seconds, made[0], spacing)


# -- the floor: the least a per-call submit can do ------------------------------------------------
@dataclass
class FloorResult:
    n_units: int
    frozen_us: float  # per submit, with the engine's own (frozen attrs) event types
    mutable_us: float  # the same with mutable slotted classes of the same fields
    flyweight_us: float  # the flyweight's submit, in the same process


def task_floor(n: int) -> FloorResult:
    """The least a ``submit`` through a Python call can do in this state model, timed beside
    the flyweight's submit in the same process: parse the instant, find the unit and the
    step, check time order, the actor's unit and the status rule and that nothing
    time-driven is due, build one typed event, write the status cell and the unit's last
    instant, append to a list and return a public event. No keys, payloads, journal port,
    deadlines of its own, dependencies, gates or subscribers: the real path does all of
    those besides. With the engine's frozen attrs types (``StepSubmitted``, ``Event``) and
    with mutable slotted classes of the same fields, three times each in alternation (the
    median of each)."""
    from typing import Any as _Any

    import attrs

    from zyw_flow import Campaign
    from zyw_flow._time import to_us as _to_us
    from zyw_flow.compile import STEP_EVENTS
    from zyw_flow.runtime._events import StepSubmitted
    from zyw_flow.runtime._records import Event

    @attrs.define(slots=True)
    class MutableSubmitted:
        at: int
        unit: int
        step: int
        actor: str
        data: _Any = None
        key: _Any = None
        fingerprint: _Any = None
        late: bool = False

    @attrs.define(slots=True)
    class MutableEvent:
        seq: int
        type: str
        at_us: int
        unit: _Any = None
        step: _Any = None
        actor: _Any = None
        data: _Any = None
        key: _Any = None
        zone: _Any = None
        duplicate: bool = False

    comp = compiled()
    sched = schedule(comp)
    work = sched.deadline_steps[0]
    submit_ev = STEP_EVENTS.index("submit")
    units = [f"u{i}" for i in range(n)]
    clerks = [f"clerk-{i}" for i in range(n)]
    ats, _ = _instants(sched, n, "datetime")

    def timed(event_type: _Any, public_type: _Any) -> float:
        c = Campaign(comp)
        c.enroll_many(unit_rows(n))
        c.add_actors(
            {"id": w, "roles": ["member"], "unit": u} for u, w in zip(units, clerks, strict=True)
        )
        c.tick(sched.quiet_start)
        st = c._state
        index, step_index, last, actors = st.index, st.step_index, st.last, st.actors
        status, table, heap, defs, zone = st.status, comp.table, st.schedule, st.defs, st.zone
        log: list[object] = []

        def submit(unit: str, step: str, actor: str, at: datetime) -> object:
            us = _to_us(at)
            u, s = index[unit], step_index[step]
            col = status[s]
            if (
                us < last[u]
                or actors[actor]._member_unit != unit
                or table[col[u]][submit_ev] < 0
                or (heap and heap[0][0] <= us)
            ):
                raise RuntimeError("refused")
            ev = event_type(us, u, s, actor, None, None, None, us > defs[s].due)
            col[u] = 3
            last[u] = us
            log.append(ev)
            return public_type(len(log), "step_submitted", us, unit, step, actor, None, None, zone)

        gc.collect()
        t0 = time.perf_counter()
        for u, w, at in zip(units, clerks, ats, strict=True):
            submit(u, work, w, at)
        return (time.perf_counter() - t0) / n * 1e6

    frozen_runs: list[float] = []
    mutable_runs: list[float] = []
    for _ in range(3):  # alternating; the median of each
        frozen_runs.append(timed(StepSubmitted, Event))
        mutable_runs.append(timed(MutableSubmitted, MutableEvent))
    frozen, mutable = statistics.median(frozen_runs), statistics.median(mutable_runs)
    fly = Flyweight(comp, units)
    opened = to_us(sched.quiet_start, comp.zone)
    for uid in units:
        fly.fire("open", uid, work, opened)
    gc.collect()
    t0 = time.perf_counter()
    for u, at in zip(units, ats, strict=True):
        fly.fire("submit", u, work, at)
    flyweight = (time.perf_counter() - t0) / n * 1e6
    return FloorResult(n, frozen, mutable, flyweight)


# -- the bulk path in memory ----------------------------------------------------------------------
@dataclass
class BulkResult:
    n: int
    enrol_seconds: float
    enrol_events: int
    actors_seconds: float
    submit_seconds: float
    submit_events: int
    deadline_seconds: float
    deadline_events: int

    @property
    def submit_rate(self) -> float:
        return self.submit_events / self.submit_seconds


def task_bulk(n: int) -> BulkResult:
    """``enroll_many`` of ``n`` units, ``Campaign.submit_many`` of a step for all of them
    (each by its own member), then the deadline of another step passes for all of them;
    the events of each call from the campaign's cursor before and after it."""
    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    c = Campaign(comp)
    rows = unit_rows(n)
    cursor = c.cursor
    t0 = time.perf_counter()
    c.enroll_many(rows)
    enrol = time.perf_counter() - t0
    enrolled = c.cursor - cursor
    del rows
    t0 = time.perf_counter()
    for i in range(n):
        c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")
    actors_seconds = time.perf_counter() - t0
    c.tick(sched.quiet_start)
    units = [f"u{i}" for i in range(n)]
    who = {f"u{i}": f"clerk-{i}" for i in range(n)}
    gc.collect()
    cursor = c.cursor
    t0 = time.perf_counter()
    c.submit_many(units, sched.other_step, actor=who, at=sched.quiet_start)
    submit = time.perf_counter() - t0
    submitted = c.cursor - cursor
    cursor = c.cursor
    t0 = time.perf_counter()
    c.tick(sched.deadline)  # nobody submitted work_plan: overdue for every unit
    deadline = time.perf_counter() - t0
    return BulkResult(
        n, enrol, enrolled, actors_seconds, submit, submitted, deadline, c.cursor - cursor
    )


# -- the attach baseline: a transitions model per unit (enrolment and memory) ---------------------
@dataclass(frozen=True)
class _StepSpec:
    opens: int
    due: int
    closes: int
    deps: tuple[int, ...]


class _AttachedUnit:
    __slots__ = ("id", "name", "parent", "steps")

    def __init__(self, uid: str, name: str | None, parent: str | None) -> None:
        self.id = uid
        self.name = name
        self.parent = parent
        self.steps: list[_AttachedStep] = []


class _AttachedStep:
    """A ``transitions`` model: the state of one step of one unit."""

    state: str

    def __init__(self, unit: _AttachedUnit, spec: _StepSpec) -> None:
        self.unit = unit
        self.spec = spec

    def is_open(self, at: int) -> bool:
        return self.spec.opens <= at

    def is_not_closed(self, at: int) -> bool:
        return at <= self.spec.closes

    def dependencies_met(self, at: int) -> bool:
        steps = self.unit.steps
        return all(steps[d].state in _FINAL_STATES for d in self.spec.deps)

    def is_past_due(self, at: int) -> bool:
        return self.spec.due <= at


def _attach(machine: Any, rows: list[dict[str, str | None]], specs: list[_StepSpec]) -> list[Any]:
    units = []
    for row in rows:
        unit = _AttachedUnit(str(row["id"]), row["name"], row["parent"])
        units.append(unit)
        for spec in specs:
            model = _AttachedStep(unit, spec)
            unit.steps.append(model)
            machine.add_model(model)
    return units


@dataclass
class AttachResult:
    n: int
    steps_per_unit: int
    zyw_enrol_seconds: float
    zyw_bytes_per_unit: float
    enrol_seconds: float
    bytes_per_unit: float

    @property
    def ratio(self) -> float:
        return self.enrol_seconds / self.zyw_enrol_seconds


def _traced(build: Callable[[], object], n: int) -> float:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    kept = build()
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del kept
    gc.collect()
    return used / n


def task_attach(n: int, per_step: bool) -> AttachResult:
    """Enrolment into a shared machine with ``add_model`` per unit (``per_step``: per unit
    and step, all the template's steps), against ``enroll_many`` in the same process."""
    from zyw_flow import Campaign
    from zyw_flow.compile import step_machine

    comp = compiled()
    sched = schedule(comp)
    specs = [
        _StepSpec(comp.opens_us[s], comp.due_us[s], comp.closes_us[s], comp.deps[s])
        for s in range(len(comp.steps))
    ]
    if not per_step:
        specs = [specs[comp.step_index[sched.deadline_steps[0]]]]
    zyw = []
    for _ in range(3):
        rows = unit_rows(n)
        c = Campaign(comp)
        gc.collect()
        t0 = time.perf_counter()
        c.enroll_many(rows)
        zyw.append(time.perf_counter() - t0)
        del c, rows
    rows = unit_rows(n)
    machine = step_machine()
    gc.collect()
    t0 = time.perf_counter()
    kept = _attach(machine, rows, specs)
    attach = time.perf_counter() - t0
    del kept, machine, rows

    def zyw_build() -> object:
        c = Campaign(comp)
        c.enroll_many(unit_rows(n))
        return c

    def attach_build() -> object:
        machine = step_machine()
        return machine, _attach(machine, unit_rows(n), specs)

    return AttachResult(
        n,
        len(specs),
        statistics.median(zyw),
        _traced(zyw_build, n),
        attach,
        _traced(attach_build, n),
    )


# -- profiles (``--profile``) ----------------------------------------------------------------------
PROFILED = ("per_call", "bulk", "enrol")


def task_profile(what: str, n: int, top: int = 18) -> str:
    """cProfile one in-memory measurement (``per_call``, ``bulk`` or ``enrol``) at ``n``
    units; the functions with the most own time."""
    import cProfile
    import io
    import pstats

    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    c = Campaign(comp)
    rows = unit_rows(n)
    if what != "enrol":
        c.enroll_many(rows)
        for i in range(n):
            c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")
        c.add_actor("office", roles=["office"])
        c.tick(sched.quiet_start)
    ats, _ = _instants(sched, 2 * n, "str")
    work, other = sched.deadline_steps[0], sched.other_step
    units = [f"u{i}" for i in range(n)]
    who = {u: f"clerk-{u[1:]}" for u in units}
    prof = cProfile.Profile()
    prof.enable()
    if what == "enrol":
        c.enroll_many(rows)
    elif what == "bulk":
        c.submit_many(units, other, actor=who, at=sched.quiet_start)
        c.tick(sched.deadline)
    else:
        for u, at in zip(units, ats[:n], strict=True):
            c.submit(u, work, actor=who[u], at=at)
        for u, at in zip(units, ats[n:], strict=True):
            c.accept(u, work, actor="office", at=at)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue().strip().split("\n\n", 1)[-1]
