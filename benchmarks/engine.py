"""Engine benchmark: enrolment, events and ticks of the runtime, against a ``transitions`` baseline.

Run it as ``python -m benchmarks.engine [--sizes 10000,100000,1000000] [--quick]``. It runs
the 2011 seed campaign ``zhiyong-2011`` and prints figures, the ratios to the baseline and
PASS/FAIL against the performance bars. It never asserts: it measures.

Method (printed with the figures, and described in ``docs/performance.md``):

* Every measurement runs in a fresh interpreter (``multiprocessing`` *spawn*), so that one
  size's garbage and the allocator's free lists do not flatter or hurt the next.
* Times are wall clock (``time.perf_counter``) without ``tracemalloc``; the garbage
  collector stays on, as in a host program.
* Memory is measured twice: in the timing run as the growth of the resident set
  (``/proc/self/statm``) over the enrolment, input included and freed (an upper bound,
  since freed input memory need not go back to the OS), and in a separate run with
  ``tracemalloc`` (bytes still allocated once the input is dropped) at sizes up to 10^5.
* Enrolment input is a prebuilt list of ``{"id", "name", "parent"}`` mappings of flat
  units, given to ``Campaign.enroll_many``; building it is not timed.
* Events go through the public API (``submit``, ``accept``, ``waive``) with one member actor
  registered per unit (a member acts only for its own unit), the office accepting and
  waiving; the instants are spaced evenly inside a quiet period, strictly increasing.
* Ticks: the quiet period is found from the compiled schedule (phase openings, deadlines,
  escalation instants) and every tick in it is checked to fire nothing.
* The baseline attaches objects to one shared ``transitions.Machine`` built by
  :func:`zyw_flow.compile.step_machine` (``add_model`` per object), with the machine's
  guards (``is_open`` …) answered from the compiled tables.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import linecache
import multiprocessing as mp
import os
import platform
import statistics
import sys
import time
import traceback
import tracemalloc
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, TypeVar

__all__ = ["main"]

TEMPLATE = "zhiyong-2011"
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)

# The bars (from the issue).
BAR_ENROL_UNITS = 1_000_000
BAR_ENROL_SECONDS = 20.0
BAR_BYTES_PER_UNIT = 1024
BAR_EVENTS_PER_SECOND = 50_000
BAR_QUIET_TICK_RATIO = 2.0
BAR_BASELINE_ENROL_RATIO = 20.0

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
_FINAL_STATES = frozenset({"accepted", "waived"})
_NEVER = 1 << 62  # the compiler's "no deadline" marker (zyw_flow._time.NEVER)

T = TypeVar("T")


# -- shared helpers ----------------------------------------------------------------------
def _compiled() -> Any:
    from zyw_flow import compile_campaign, load_template, resolve

    return compile_campaign(resolve(load_template(TEMPLATE)))


def _rows(n: int) -> list[dict[str, str | None]]:
    return [{"id": f"u{i}", "name": None, "parent": None} for i in range(n)]


def _rss() -> int:
    """Resident set size of this process in bytes (Linux), or -1."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return -1


def _dt(us: int, zone: tzinfo) -> datetime:
    return (_EPOCH + us * _US).astimezone(zone)


def _to_us(at: str | datetime, zone: tzinfo) -> int:
    """The baseline's own instant conversion (stdlib, as cheap as the runtime's)."""
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return (value - _EPOCH) // _US


def _local_text(at: datetime) -> str:
    """``2011-09-01 00:00:01`` (naive local time, as a host would pass it)."""
    return at.replace(tzinfo=None).isoformat(sep=" ")


@dataclass(frozen=True)
class Schedule:
    """Where the benchmark can tick: a quiet period and the deadline that ends it."""

    quiet_start: datetime  # one second after the instant that opens the quiet period
    quiet_end: datetime  # the next scheduled instant (exclusive)
    deadline: datetime  # the first deadline at or after quiet_end
    deadline_steps: tuple[str, ...]
    escalation: datetime  # the first escalation level of those steps


def _schedule(compiled: Any) -> Schedule:
    """The first quiet period (≥ 1 day) after the campaign opens, from the compiled tables."""
    dues = [d for d in compiled.due_us if d < _NEVER]
    instants = sorted(
        {*compiled.phase_start_us, *dues, *(e for esc in compiled.escalation_us for e in esc)}
    )
    first = compiled.phase_start_us[0]
    day = 86_400 * 1_000_000
    a, b = next((a, b) for a, b in itertools.pairwise(instants) if a >= first and b - a >= day)
    deadline = min(d for d in dues if d >= b)
    steps = tuple(s for s, d in enumerate(compiled.due_us) if d == deadline)
    escalation = min(e for s in steps for e in compiled.escalation_us[s])
    zone = compiled.zone
    return Schedule(
        quiet_start=_dt(a + 1_000_000, zone),
        quiet_end=_dt(b, zone),
        deadline=_dt(deadline + 1, zone),  # overdue once the due instant has passed
        deadline_steps=tuple(compiled.steps[s].id for s in steps),
        escalation=_dt(escalation, zone),
    )


def _fit(start: datetime, end: datetime, count: int, wanted: timedelta) -> timedelta:
    """A spacing ≤ ``wanted`` that fits ``count`` instants strictly inside (start, end)."""
    room = (end - start - _US) // max(count, 1)
    return max(min(wanted, room), _US)


# -- zyw_flow: scale (enrolment, quiet ticks, deadline tick) --------------------------------
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
    def enrol_rate(self) -> float:
        return self.n / statistics.median(self.enrol_seconds)


def task_scale(n: int, quiet_ticks: int, repeats: int) -> ScaleResult:
    """Enrol ``n`` units (timed, RSS), then quiet ticks, the deadline tick and an escalation."""
    from zyw_flow import Campaign

    compiled = _compiled()
    sched = _schedule(compiled)
    gc.collect()
    rss0 = _rss()
    rows = _rows(n)
    c = Campaign(compiled)
    t0 = time.perf_counter()
    c.enroll_many(rows)
    first = time.perf_counter() - t0
    del rows
    gc.collect()
    rss = (_rss() - rss0) / n

    c.tick(sched.quiet_start)  # opens the first phase
    step = _fit(sched.quiet_start, sched.quiet_end, 2 * quiet_ticks, timedelta(seconds=1))
    ats = [sched.quiet_start + step * (k + 1) for k in range(2 * quiet_ticks)]
    as_dt, as_str = ats[:quiet_ticks], [_local_text(a) for a in ats[quiet_ticks:]]
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

    t0 = time.perf_counter()
    deadline_events = len(c.tick(sched.deadline))
    deadline = time.perf_counter() - t0
    t0 = time.perf_counter()
    escalation_events = len(c.tick(sched.escalation))
    escalation = time.perf_counter() - t0
    del c
    gc.collect()

    times = [first]
    for _ in range(repeats - 1):
        rows = _rows(n)
        c = Campaign(compiled)
        gc.collect()
        t0 = time.perf_counter()
        c.enroll_many(rows)
        times.append(time.perf_counter() - t0)
        del c, rows
        gc.collect()
    return ScaleResult(
        n=n,
        enrol_seconds=times,
        rss_bytes_per_unit=rss,
        quiet_ticks=quiet_ticks,
        quiet_tick_us_dt=statistics.median(samples_dt) * 1e6,
        quiet_tick_us_str=statistics.median(samples_str) * 1e6,
        quiet_events=fired,
        deadline_seconds=deadline,
        deadline_events=deadline_events,
        escalation_seconds=escalation,
        escalation_events=escalation_events,
    )


# -- zyw_flow: memory with tracemalloc --------------------------------------------------------
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

    compiled = _compiled()
    sched = _schedule(compiled)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    base = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    rows = _rows(n)
    c = Campaign(compiled)
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


# -- zyw_flow: events through the public API -------------------------------------------------
@dataclass
class EventsResult:
    n_units: int
    form: str  # "str" or "datetime"
    seconds: dict[str, float]  # per event type, for n_units events each
    recorded: int  # events the campaign recorded (expected 3 × n_units)
    spacing_us: int

    @property
    def total_rate(self) -> float:
        return 3 * self.n_units / sum(self.seconds.values())

    def rate(self, kind: str) -> float:
        return self.n_units / self.seconds[kind]


def task_events(n: int, form: str) -> EventsResult:
    """``submit`` (member), ``accept`` (office) of work_plan, ``waive`` (office) of another step."""
    from zyw_flow import Campaign

    compiled = _compiled()
    sched = _schedule(compiled)
    c = Campaign(compiled)
    c.enroll_many(_rows(n))
    c.add_actor("office", roles=["office"])
    for i in range(n):
        c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")
    c.tick(sched.quiet_start)
    step = _fit(sched.quiet_start, sched.quiet_end, 3 * n, timedelta(seconds=1))
    instants = [sched.quiet_start + step * (k + 1) for k in range(3 * n)]
    ats: Sequence[str | datetime] = (
        [_local_text(a) for a in instants] if form == "str" else instants
    )
    submit_step = sched.deadline_steps[0]  # work_plan: due at the end of the quiet period
    waive_step = next(s.id for s in compiled.steps if s.id != submit_step and s.review)
    units = [f"u{i}" for i in range(n)]
    clerks = [f"clerk-{i}" for i in range(n)]
    cursor = c.cursor
    gc.collect()
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    for u, who, at in zip(units, clerks, ats[:n], strict=True):
        c.submit(u, submit_step, actor=who, at=at)
    seconds["submit"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for u, at in zip(units, ats[n : 2 * n], strict=True):
        c.accept(u, submit_step, actor="office", at=at)
    seconds["accept"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    for u, at in zip(units, ats[2 * n :], strict=True):
        c.waive(u, waive_step, actor="office", at=at)
    seconds["waive"] = time.perf_counter() - t0
    return EventsResult(n, form, seconds, c.cursor - cursor, step // _US)


# -- the baseline: units attached to a shared transitions.Machine -----------------------------
@dataclass(frozen=True)
class _StepSpec:
    opens: int
    due: int
    closes: int
    deps: tuple[int, ...]


class _BaselineUnit:
    """A unit record of the baseline: id, name, parent and its step models."""

    __slots__ = ("id", "name", "parent", "steps")

    def __init__(self, uid: str, name: str | None, parent: str | None) -> None:
        self.id = uid
        self.name = name
        self.parent = parent
        self.steps: list[_BaselineStep] = []


class _BaselineStep:
    """A ``transitions`` model: the state of one step of one unit.

    ``add_model`` binds the triggers (``open``, ``submit`` …) on the instance; the guards
    named by the machine are answered here from the compiled tables, given the instant.
    """

    state: str
    open: Callable[..., bool]
    submit: Callable[..., bool]
    accept: Callable[..., bool]
    overdue: Callable[..., bool]
    waive: Callable[..., bool]

    def __init__(self, unit: _BaselineUnit, spec: _StepSpec) -> None:
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


def _specs(compiled: Any) -> list[_StepSpec]:
    return [
        _StepSpec(compiled.opens_us[s], compiled.due_us[s], compiled.closes_us[s], compiled.deps[s])
        for s in range(len(compiled.steps))
    ]


def _baseline_enrol(
    machine: Any, rows: list[dict[str, str | None]], specs: list[_StepSpec]
) -> dict[str, _BaselineUnit]:
    index: dict[str, _BaselineUnit] = {}
    for row in rows:
        uid = str(row["id"])
        unit = _BaselineUnit(uid, row["name"], row["parent"])
        index[uid] = unit
        for spec in specs:
            model = _BaselineStep(unit, spec)
            unit.steps.append(model)
            machine.add_model(model)
    return index


@dataclass
class BaselineResult:
    n: int
    steps_per_unit: int
    zyw_enrol_seconds: list[float]
    zyw_bytes_per_unit: float
    enrol_seconds: float
    bytes_per_unit: float
    open_seconds: float = 0.0
    deadline_seconds: float = 0.0
    submit_seconds: float = 0.0
    accept_seconds: float = 0.0
    triggered: int = 0

    @property
    def zyw_enrol_rate(self) -> float:
        return self.n / statistics.median(self.zyw_enrol_seconds)

    @property
    def enrol_rate(self) -> float:
        return self.n / self.enrol_seconds

    @property
    def trigger_rate(self) -> float:
        return 2 * self.n / (self.submit_seconds + self.accept_seconds)


def _zyw_memory(compiled: Any, n: int) -> float:
    from zyw_flow import Campaign

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    rows = _rows(n)
    c = Campaign(compiled)
    c.enroll_many(rows)
    del rows
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del c
    gc.collect()
    return used / n


def _baseline_memory(compiled: Any, n: int, specs: list[_StepSpec]) -> float:
    from zyw_flow.compile import step_machine

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    machine = step_machine()
    rows = _rows(n)
    index = _baseline_enrol(machine, rows, specs)
    del rows
    gc.collect()
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del index, machine
    gc.collect()
    return used / n


def task_baseline(n: int, repeats: int, per_step: bool) -> BaselineResult:
    """The same operations at ``n`` units, zyw_flow against the ``transitions`` baseline.

    ``per_step=False``: one model per unit, carrying the state of one step (work_plan) —
    the cheapest attachment, so the ratios are lower bounds. ``per_step=True``: one model
    per (unit, step), all 16 steps of the template — what a unit really carries; only
    enrolment and memory are measured.
    """
    from zyw_flow import Campaign
    from zyw_flow.compile import step_machine

    compiled = _compiled()
    sched = _schedule(compiled)
    zone = compiled.zone
    all_specs = _specs(compiled)
    s = compiled.step_index[sched.deadline_steps[0]]
    specs = all_specs if per_step else [all_specs[s]]
    s_local = s if per_step else 0

    zyw_times = []
    for _ in range(repeats):
        rows = _rows(n)
        c = Campaign(compiled)
        gc.collect()
        t0 = time.perf_counter()
        c.enroll_many(rows)
        zyw_times.append(time.perf_counter() - t0)
        del c, rows
        gc.collect()

    machine = step_machine()
    rows = _rows(n)
    gc.collect()
    t0 = time.perf_counter()
    index = _baseline_enrol(machine, rows, specs)
    enrol = time.perf_counter() - t0
    del rows
    result = BaselineResult(n, len(specs), zyw_times, 0.0, enrol, 0.0)

    if not per_step:
        models = [index[f"u{i}"].steps[s_local] for i in range(n)]
        opened = _to_us(sched.quiet_start, zone)
        ok = 0
        t0 = time.perf_counter()
        for model in models:  # the phase opens: every unit's step, one trigger each
            ok += model.open(opened)
        result.open_seconds = time.perf_counter() - t0
        due = _to_us(sched.deadline, zone)
        t0 = time.perf_counter()
        for model in models:  # the deadline: every pending step goes overdue
            if model.state == "pending":
                ok += model.overdue(due)
        result.deadline_seconds = time.perf_counter() - t0
        # Events after the deadline (late submissions): the same transitions' cost.
        start = sched.deadline + timedelta(seconds=1)
        ats = [_local_text(start + timedelta(seconds=k)) for k in range(2 * n)]
        units = [f"u{i}" for i in range(n)]
        gc.collect()
        t0 = time.perf_counter()
        for uid, at in zip(units, ats[:n], strict=True):
            ok += index[uid].steps[s_local].submit(_to_us(at, zone))
        result.submit_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        for uid, at in zip(units, ats[n:], strict=True):
            ok += index[uid].steps[s_local].accept(_to_us(at, zone))
        result.accept_seconds = time.perf_counter() - t0
        result.triggered = ok
    del index, machine
    gc.collect()
    result.zyw_bytes_per_unit = _zyw_memory(compiled, n)
    result.bytes_per_unit = _baseline_memory(compiled, n, specs)
    return result


# -- running and reporting ----------------------------------------------------------------
def _isolated(fn: Callable[..., T], *args: Any) -> T | None:
    """Run ``fn(*args)`` in a fresh interpreter; ``None`` (and the traceback) on failure."""
    try:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            return pool.submit(fn, *args).result()
    except Exception:
        print(f"!! {fn.__name__}{args} failed:\n{traceback.format_exc()}", file=sys.stderr)
        return None


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _size(n: int) -> str:
    exp = len(str(n)) - 1
    return f"10^{exp}" if n == 10**exp else f"{n:,}"


@dataclass
class Row:
    figure: str
    value: str
    bar: str = ""
    verdict: str = ""


def _verdict(ok: bool | None, quick: bool) -> str:
    if ok is None:
        return "n/a"
    word = "PASS" if ok else "FAIL"
    return f"{word} (quick)" if quick else word


def _machine_line() -> str:
    try:
        with open("/proc/meminfo") as fh:
            kib = int(fh.readline().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        mem = ""
    import transitions

    return (
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"{os.cpu_count()} cores{mem}, {platform.system()} {platform.machine()}, "
        f"transitions {transitions.__version__}"
    )


def _library_line() -> str:
    """Which zyw_flow is measured: its path and, in a git checkout, the commit (+ dirty)."""
    import subprocess

    import zyw_flow

    where = os.path.dirname(os.path.dirname(os.path.abspath(zyw_flow.__file__)))
    try:
        head = subprocess.run(
            ["git", "-C", where, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", where, "status", "--porcelain", "--", "zyw_flow"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        commit = f", commit {head}{' + uncommitted changes' if dirty else ''}"
    except (OSError, subprocess.CalledProcessError):
        commit = ""
    return f"zyw_flow {zyw_flow.__version__} from {where}{commit}"


def _print_table(title: str, rows: list[Row]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a dependency
        print(title)
        for r in rows:
            print(f"  {r.figure:<58} {r.value:>34}  {r.bar:<20} {r.verdict}")
        return
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("bar")
    table.add_column("result")
    for r in rows:
        style = "green" if r.verdict.startswith("PASS") else ""
        style = "bold red" if r.verdict.startswith("FAIL") else style
        table.add_row(r.figure, r.value, r.bar, f"[{style}]{r.verdict}[/]" if style else r.verdict)
    Console(width=150).print(table)


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _parse_sizes(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(float(part)) for part in text.split(",") if part.strip()}))


@dataclass
class Results:
    """Everything measured in one run."""

    quick: bool
    scale: dict[int, ScaleResult] = field(default_factory=dict)
    memory: dict[int, MemoryResult] = field(default_factory=dict)
    events: dict[str, EventsResult] = field(default_factory=dict)
    baseline: dict[int, BaselineResult] = field(default_factory=dict)
    per_step: BaselineResult | None = None


def _measure(
    sizes: tuple[int, ...],
    quick: bool,
    event_units: int,
    baseline_sizes: tuple[int, ...],
    per_step_n: int,
) -> Results:
    out = Results(quick)
    quiet_ticks = 1_000 if quick else 5_000
    for n in sizes:
        repeats = max(1, min(5, 100_000 // n))
        res = _isolated(task_scale, n, quiet_ticks, repeats)
        if res is None:
            continue
        out.scale[n] = res
        print(
            f"[{_size(n)} units] enrol {_n(res.enrol_rate)} units/s "
            f"({statistics.median(res.enrol_seconds):.3f} s, median of {len(res.enrol_seconds)}), "
            f"RSS +{res.rss_bytes_per_unit:.0f} B/unit; quiet tick {res.quiet_tick_us_dt:.2f} µs "
            f"(datetime) / {res.quiet_tick_us_str:.2f} µs (str), {res.quiet_events} events fired; "
            f"deadline tick {res.deadline_seconds:.3f} s ({res.deadline_events:,} events), "
            f"escalation tick {res.escalation_seconds:.3f} s ({res.escalation_events:,} events)"
        )

    for n in sizes:
        if n > 100_000:
            continue
        mres = _isolated(task_memory, n)
        if mres is None:
            continue
        out.memory[n] = mres
        print(
            f"[{_size(n)} units] tracemalloc: {mres.retained_bytes_per_unit:.0f} B/unit retained, "
            f"peak {mres.peak_bytes_per_unit:.0f} B/unit during enrol_many; deadline tick adds "
            f"{mres.deadline_bytes_per_unit:.0f} B/unit; largest allocation sites:"
        )
        for site, per_unit in mres.top_sites:
            print(f"      {per_unit:7.1f} B/unit  {site}")

    for form in ("str", "datetime"):
        eres = _isolated(task_events, event_units, form)
        if eres is None:
            continue
        out.events[form] = eres
        print(
            f"[events, at= {form}] {_n(eres.total_rate)} events/s over {3 * event_units:,} "
            f"(submit {_n(eres.rate('submit'))}/s, accept {_n(eres.rate('accept'))}/s, "
            f"waive {_n(eres.rate('waive'))}/s; {eres.recorded:,} recorded, "
            f"{eres.spacing_us / 1e6:g} s apart) in a campaign of {_size(event_units)} units"
        )

    for n in baseline_sizes:
        base = _isolated(task_baseline, n, 5, False)
        if base is None:
            continue
        out.baseline[n] = base
        print(
            f"[baseline, {_size(n)} units, 1 model/unit] enrol {_n(base.enrol_rate)} units/s vs "
            f"zyw_flow {_n(base.zyw_enrol_rate)}/s; {base.bytes_per_unit:.0f} B/unit vs "
            f"{base.zyw_bytes_per_unit:.0f}; triggers {_n(base.trigger_rate)}/s "
            f"({base.triggered:,} transitions ok of {4 * n:,}); opening a phase "
            f"{base.open_seconds:.3f} s, deadline {base.deadline_seconds:.3f} s"
        )
    out.per_step = _isolated(task_baseline, per_step_n, 3, True)
    if out.per_step is not None:
        ps = out.per_step
        print(
            f"[baseline, {_size(per_step_n)} units, 1 model/(unit, step) = {ps.steps_per_unit} "
            f"per unit] enrol {_n(ps.enrol_rate)} units/s vs zyw_flow {_n(ps.zyw_enrol_rate)}/s; "
            f"{ps.bytes_per_unit:.0f} B/unit vs {ps.zyw_bytes_per_unit:.0f}"
        )
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engine",
        description="Engine benchmark of zyw_flow against a transitions baseline.",
    )
    parser.add_argument("--sizes", help="comma-separated unit counts (default 1e4,1e5,1e6)")
    parser.add_argument("--quick", action="store_true", help="smoke test: sizes 1e3,1e4")
    parser.add_argument(
        "--baseline-sizes", help="unit counts of the baseline (default 1e4,2e4; quick 2e3)"
    )
    parser.add_argument("--event-units", type=int, help="units in the events run (default ≤ 1e5)")
    args = parser.parse_args(argv)

    quick = bool(args.quick)
    sizes = _parse_sizes(args.sizes) if args.sizes else QUICK_SIZES if quick else DEFAULT_SIZES
    if args.baseline_sizes:
        baseline_sizes = _parse_sizes(args.baseline_sizes)
    else:
        baseline_sizes = (2_000,) if quick else (10_000, 20_000)
    event_units = args.event_units or min(100_000, max(sizes))
    per_step_n = max(min(baseline_sizes) // 10, 100)

    compiled = _compiled()
    sched = _schedule(compiled)
    print(f"zyw_flow engine benchmark — template {TEMPLATE}")
    print(_machine_line())
    print(_library_line())
    print(
        f"quiet period: {sched.quiet_start.isoformat()} → {sched.quiet_end.isoformat()} "
        f"(then the deadline of {', '.join(sched.deadline_steps)}; its first escalation at "
        f"{sched.escalation.isoformat()}); {len(compiled.steps)} steps per unit"
    )
    print(f"load average before: {_load()} (other processes on the machine skew the times)")
    print("each measurement runs in a fresh interpreter; times without tracemalloc\n")
    results = _measure(sizes, quick, event_units, baseline_sizes, per_step_n)
    rows, verdicts = _figures(results)
    print()
    _print_table(f"zyw_flow engine — {TEMPLATE} — {_machine_line()}", rows)
    print("bars: " + "; ".join(f"{name}: {v}" for name, v in verdicts))
    print(f"load average after: {_load()}")
    if quick:
        print("(quick mode: small sizes; the verdicts are indicative only)")
    return 0


def _figures(r: Results) -> tuple[list[Row], list[tuple[str, str]]]:
    rows: list[Row] = []
    verdicts: list[tuple[str, str]] = []
    q = r.quick

    # Enrolment and memory.
    for n, res in r.scale.items():
        secs = statistics.median(res.enrol_seconds)
        rows.append(
            Row(f"enrol rate, {_size(n)} units", f"{_n(res.enrol_rate)} units/s ({secs:.2f} s)")
        )
    for n, mres in r.memory.items():
        rows.append(
            Row(
                f"memory, {_size(n)} units (tracemalloc, retained)",
                f"{mres.retained_bytes_per_unit:.0f} B/unit",
            )
        )
    for n, res in r.scale.items():
        if n >= 100_000:  # below that the RSS delta is page-granular noise
            rows.append(
                Row(
                    f"memory, {_size(n)} units (RSS delta, input incl.)",
                    f"{res.rss_bytes_per_unit:.0f} B/unit",
                )
            )
    big = r.scale.get(BAR_ENROL_UNITS)
    if big is not None:
        secs = statistics.median(big.enrol_seconds)
        ok = secs <= BAR_ENROL_SECONDS and big.rss_bytes_per_unit <= BAR_BYTES_PER_UNIT
        value = f"{secs:.2f} s, {big.rss_bytes_per_unit:.0f} B/unit (RSS)"
        verdict = _verdict(ok, q)
    else:
        value, verdict = "not measured (--sizes without 1e6)", "n/a"
    rows.append(Row("BAR 10^6 units enrolled", value, "≤ 20 s, ≤ 1 KiB/unit", verdict))
    verdicts.append(("10^6 enrolled", verdict))

    # Events.
    for form, eres in r.events.items():
        rows.append(
            Row(
                f"events/s, at= {form}: submit / accept / waive",
                f"{_n(eres.rate('submit'))} / {_n(eres.rate('accept'))} / {_n(eres.rate('waive'))}",
            )
        )
    if r.events:
        worst = min(e.total_rate for e in r.events.values())
        complete = all(e.recorded == 3 * e.n_units for e in r.events.values())
        value = " / ".join(f"{_n(e.total_rate)} ({f})" for f, e in r.events.items())
        verdict = _verdict(worst >= BAR_EVENTS_PER_SECOND and complete, q)
    else:
        value, verdict = "failed", "FAIL"
    rows.append(Row("BAR events/s, mixed (at= str / datetime)", value, "≥ 50,000/s", verdict))
    verdicts.append(("events/s", verdict))

    # Ticks.
    for n, res in r.scale.items():
        rows.append(
            Row(
                f"tick, nothing due, {_size(n)} units (median of {res.quiet_ticks:,})",
                f"{res.quiet_tick_us_dt:.2f} µs (datetime), {res.quiet_tick_us_str:.2f} µs (str)",
            )
        )
    if len(r.scale) >= 2:
        lo, hi = min(r.scale), max(r.scale)
        ratio = r.scale[hi].quiet_tick_us_dt / r.scale[lo].quiet_tick_us_dt
        quiet = all(res.quiet_events == 0 for res in r.scale.values())
        label = f"BAR tick, nothing due, {_size(hi)} / {_size(lo)}"
        if (lo, hi) != (10_000, 1_000_000):
            label += " (bar: 10^6 / 10^4)"
        verdict = _verdict(ratio <= BAR_QUIET_TICK_RATIO and quiet, q)
        rows.append(Row(label, f"{ratio:.2f}×", "≤ 2×", verdict))
    else:
        verdict = "n/a"
        rows.append(Row("BAR tick, nothing due, ratio", "needs two sizes", "≤ 2×", verdict))
    verdicts.append(("quiet tick", verdict))
    for n, res in r.scale.items():
        rows.append(
            Row(
                f"tick on a deadline, {_size(n)} units ({res.deadline_events:,} overdue)",
                f"{res.deadline_seconds:.3f} s, {res.deadline_seconds / n * 1e6:.2f} µs/unit",
            )
        )
    for n, res in r.scale.items():
        rows.append(
            Row(
                f"tick on an escalation, {_size(n)} units ({res.escalation_events:,} escalated)",
                f"{res.escalation_seconds:.3f} s, {res.escalation_seconds / n * 1e6:.2f} µs/unit",
            )
        )
    for n, mres in r.memory.items():
        rows.append(
            Row(
                f"memory added by the deadline tick, {_size(n)} (event log)",
                f"{mres.deadline_bytes_per_unit:.0f} B/unit",
            )
        )

    # Baseline.
    rows.extend(_baseline_rows(r))
    if r.baseline:
        n = min(r.baseline)
        base = r.baseline[n]
        ratio = base.zyw_enrol_rate / base.enrol_rate
        verdict = _verdict(ratio >= BAR_BASELINE_ENROL_RATIO, q)
        value = f"{ratio:.1f}× ({_n(base.zyw_enrol_rate)} / {_n(base.enrol_rate)} units/s)"
        rows.append(Row(f"BAR enrol rate zyw_flow / baseline, {_size(n)}", value, "≥ 20×", verdict))
    else:
        verdict = "FAIL"
        rows.append(Row("BAR enrol rate zyw_flow / baseline", "failed", "≥ 20×", verdict))
    verdicts.append(("baseline enrol ratio", verdict))
    if q:
        rows.append(Row("mode", "--quick: smoke test, verdicts indicative"))
    return rows, verdicts


def _baseline_rows(r: Results) -> list[Row]:
    rows: list[Row] = []
    for n, base in r.baseline.items():
        size = _size(n)
        rows.append(
            Row(
                f"baseline enrol, {size} units (1 model/unit)",
                f"{_n(base.enrol_rate)} units/s; zyw_flow {_n(base.zyw_enrol_rate)}"
                f" = {base.zyw_enrol_rate / base.enrol_rate:.1f}×",
            )
        )
    for n, base in r.baseline.items():
        rows.append(
            Row(
                f"baseline memory, {_size(n)} units (1 model/unit)",
                f"{base.bytes_per_unit:.0f} B/unit; zyw_flow {base.zyw_bytes_per_unit:.0f}"
                f" = 1/{base.bytes_per_unit / base.zyw_bytes_per_unit:.1f}",
            )
        )
    for n, base in r.baseline.items():
        line = f"{_n(base.trigger_rate)}/s"
        if "str" in r.events:
            zyw = _rate_pair(r.events["str"])
            line += f"; zyw_flow {_n(zyw)} = {zyw / base.trigger_rate:.2f}×"
        rows.append(Row(f"baseline triggers (submit+accept, at= str), {_size(n)}", line))
    for n, base in r.baseline.items():
        line = f"{base.deadline_seconds:.3f} s, {base.deadline_seconds / n * 1e6:.2f} µs/unit"
        if n in r.scale:
            line += f"; zyw_flow {base.deadline_seconds / r.scale[n].deadline_seconds:.1f}× faster"
        rows.append(Row(f"baseline tick on a deadline, {_size(n)} units", line))
        rows.append(
            Row(
                f"baseline tick opening a phase, {_size(n)} units",
                f"{base.open_seconds:.3f} s (zyw_flow: O(1))",
            )
        )
    ps = r.per_step
    if ps is not None:
        rows.append(
            Row(
                f"baseline, 1 model/(unit, step) × {ps.steps_per_unit}, {_size(ps.n)} units",
                f"{_n(ps.enrol_rate)} units/s, {ps.bytes_per_unit:,.0f} B/unit; zyw_flow "
                f"{ps.zyw_enrol_rate / ps.enrol_rate:,.0f}× rate, "
                f"1/{ps.bytes_per_unit / ps.zyw_bytes_per_unit:,.0f} memory",
            )
        )
    return rows


def _rate_pair(e: EventsResult) -> float:
    """zyw_flow's rate over the same two transitions as the baseline (submit, accept)."""
    return 2 * e.n_units / (e.seconds["submit"] + e.seconds["accept"])


if __name__ == "__main__":
    sys.exit(main())
