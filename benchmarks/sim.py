"""Simulation benchmarks (``python -m benchmarks.sim``): one big replication on one core,
many replications on a Dask LocalCluster against serial in the same run, memory per unit.

Each measurement runs in a fresh interpreter (:func:`benchmarks._harness.spawned`); the
cluster's workers are fresh processes too. Times are wall clock.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from benchmarks._harness import (
    TEMPLATE,
    Bar,
    Figure,
    fmt_bytes,
    load,
    machine_info,
    n,
    peak_rss,
    print_markdown,
    print_table,
    rss,
    size,
    spawned,
)

__all__ = ["BARS", "BigResult", "main", "task_big", "task_serial"]

PROFILE = "seed004"
BIG_UNITS = 100_000
BIG_SECONDS = 30.0
REPS, REP_UNITS = 100, 10_000
CLUSTER_RATIO = 1.7

BARS = {
    "big": Bar("10^5 units, whole zhiyong-2011 campaign, one replication, one core", "≤ 30 s"),
    "cluster": Bar(
        "100 replications of 10^4 units: LocalCluster(2 workers) vs serial", "≥ 1.7× faster"
    ),
}


@dataclass
class BigResult:
    units: int
    seconds: float
    events: int
    rss_growth: int
    peak: int
    evaluate: bool
    split: dict[str, float]


def _sim(units: int, runs: int, evaluate: bool) -> object:
    from zyw_flow.sim import Simulation

    return Simulation(TEMPLATE, units=units, profile=PROFILE, seed=1, runs=runs,
                      evaluate=evaluate)  # fmt: skip


def task_big(units: int, evaluate: bool) -> BigResult:
    """One replication of ``units`` units in this (fresh) process."""
    from zyw_flow.sim._execute import run_task

    sim = _sim(units, 1, evaluate)
    run_task(_sim(50, 1, evaluate), 0, 0)  # type: ignore[arg-type]  # warm the caches
    before = rss()
    start = time.perf_counter()
    res = run_task(sim, 0, 0)  # type: ignore[arg-type]
    seconds = time.perf_counter() - start
    return BigResult(
        units, seconds, res.events, rss() - before, peak_rss(), evaluate, dict(res.split)
    )


def _warm() -> None:
    """Compile the template and fill the calendar caches with a small replication (done
    before the clock, in the serial process and in each cluster worker alike)."""
    from zyw_flow.sim._execute import run_task

    run_task(_sim(50, 1, False), 0, 0)  # type: ignore[arg-type]


def task_serial(reps: int, units: int) -> tuple[float, str]:
    """The replications serially in this (warmed) process: seconds and the summary's JSON."""
    import json

    from zyw_flow.sim import run_simulation

    _warm()
    start = time.perf_counter()
    out = run_simulation(_sim(units, reps, False))  # type: ignore[arg-type]
    return time.perf_counter() - start, json.dumps(out.summary)


#: The cluster is set up for CPU-bound batch work (docs/simulation.md): its workers run
#: without Dask's statistical profiler (a thread sampling the task's stack every 10 ms: 6-14 %
#: of a replication's time in a same-machine check), and the event loops' health tick
#: (20 ms), system monitors (0.5 s) and work stealing, which wake the scheduler and client
#: sharing the two cores with the workers, are slowed down or off (the client and scheduler
#: process then used 0.3-0.4 s of CPU instead of 0.8-1.0 s for 16 replications).
WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.scheduler.work-stealing": False,
}


def _side_by_side(reps: int, units: int) -> tuple[float, float]:
    """The machine's own ceiling for this work, no Dask: ``reps`` replications in one fresh
    process, then in each of two fresh processes at once (started together at a barrier,
    both warmed up first); the seconds of each."""
    import multiprocessing

    ctx = multiprocessing.get_context("spawn")

    def run(n: int) -> float:
        barrier, out = ctx.Barrier(n), ctx.Queue()
        procs = [
            ctx.Process(target=_timed_reps, args=(reps, units, barrier, out)) for _ in range(n)
        ]
        for p in procs:
            p.start()
        took = [float(out.get()) for _ in procs]
        for p in procs:
            p.join()
        return max(took)

    return run(1), run(2)


def _timed_reps(reps: int, units: int, barrier: Any, out: Any) -> None:
    from zyw_flow.sim._execute import run_task

    _warm()
    sim = _sim(units, reps, False)
    barrier.wait()
    start = time.perf_counter()
    for rep in range(reps):
        run_task(sim, 0, rep)  # type: ignore[arg-type]
    out.put(time.perf_counter() - start)


def _interleaved(reps: int, units: int, rounds: int) -> tuple[float, float, bool, int]:
    """Serial (a fresh interpreter) and the LocalCluster in alternation, ``rounds`` times
    over a share of the replications, so that both see the same load: total serial
    seconds, total cluster seconds, whether every pair of summaries was equal, events."""
    import json

    import dask
    import distributed

    from zyw_flow.sim import run_simulation

    shares = [reps // rounds + (1 if i < reps % rounds else 0) for i in range(rounds)]
    serial = cluster_s = 0.0
    same = True
    events = 0
    with (
        dask.config.set(WORKER_CONFIG),
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.run(_warm)  # workers import and warm up before the clock, as serial does
        for share in (s for s in shares if s):
            got = spawned(task_serial, share, units)
            if got is None:
                raise RuntimeError("the serial run failed")
            start = time.perf_counter()
            out = run_simulation(_sim(units, share, False), scheduler=client)  # type: ignore[arg-type]
            took = time.perf_counter() - start
            cluster_s += took
            serial += got[0]
            same = same and got[1] == json.dumps(out.summary)
            events += sum(r.events for r in out.results)
            _say(
                f"  round of {share}: serial {got[0]:.1f} s, cluster {took:.1f} s "
                f"({got[0] / took:.2f}×); so far {serial / cluster_s:.2f}×"
            )
    return serial, cluster_s, same, events


def _say(text: str) -> None:
    print(text, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.sim", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--units", type=lambda s: int(float(s)), help=f"big run ({BIG_UNITS:,})")
    ap.add_argument("--reps", type=lambda s: int(float(s)), help=f"replications ({REPS})")
    ap.add_argument("--rep-units", type=lambda s: int(float(s)),
                    help=f"units per replication ({REP_UNITS:,})")  # fmt: skip
    ap.add_argument("--eval-units", type=lambda s: int(float(s)),
                    help="units of the run with scores and evaluation (1,000)")  # fmt: skip
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    args = ap.parse_args(argv)
    q = bool(args.quick)
    big = args.units or (300 if q else BIG_UNITS)
    reps = args.reps or (3 if q else REPS)
    rep_units = args.rep_units or (50 if q else REP_UNITS)
    eval_units = args.eval_units or (20 if q else 1_000)
    started = time.perf_counter()
    _say(f"zyw_flow simulation benchmarks — template {TEMPLATE}, profile {PROFILE}")
    for line in machine_info():
        _say(line)
    failures: list[str] = []
    bars: list[Figure] = []
    rows: list[Figure] = []

    r = spawned(task_big, big, False)
    if r is None:
        failures.append("big")
        bars.append(BARS["big"].failed())
    else:
        _say(f"big run: {size(r.units)} units in {r.seconds:.1f} s, {r.events:,} events")
        scaled = r.seconds * BIG_UNITS / r.units
        value = f"{r.seconds:.1f} s ({size(r.units)} units, {r.events:,} events)"
        ok: bool | None = scaled <= BIG_SECONDS
        if r.units != BIG_UNITS:
            value += f", {scaled:.1f} s scaled to 10^5"
            ok = ok if q else None
        bars.append(BARS["big"].figure(value, ok, quick=q,
                                       ratio=f"{n(r.events / r.seconds)} events/s"))  # fmt: skip
        rows.append(Figure("big run: cost per unit", f"{r.seconds / r.units * 1e6:,.0f} µs/unit"))
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in r.split.items())
        rows.append(Figure("big run: where the time goes", parts))
        mem = f"{r.rss_growth / r.units:,.0f} B/unit / {fmt_bytes(r.peak)}"
        rows.append(Figure("big run: memory per simulated unit (RSS growth / peak RSS)", mem))
    e = spawned(task_big, eval_units, True)
    if e is None:
        failures.append("evaluation")
    else:
        _say(f"with evaluation: {size(e.units)} units in {e.seconds:.1f} s")
        rows.append(Figure(f"with scores and evaluation ({size(e.units)} units)",
                           f"{e.seconds:.1f} s, {e.seconds / e.units * 1e3:,.1f} ms/unit, "
                           f"{e.events:,} events"))  # fmt: skip

    try:
        inter = _interleaved(reps, rep_units, 1 if q else 2)
    except Exception as exc:  # a measurement, not a test: report and go on
        _say(f"!! LocalCluster run failed: {exc!r}")
        inter = None
    if inter is None:
        failures.append("cluster")
        bars.append(BARS["cluster"].failed())
    else:
        serial_s, cluster_s, same, events = inter
        ratio = serial_s / cluster_s
        _say(f"{reps} × {size(rep_units)}: serial {serial_s:.1f} s, cluster {cluster_s:.1f} s")
        value = f"{ratio:.2f}× ({reps} × {size(rep_units)} units; summaries equal: " + (
            "yes)" if same else "NO)"
        )
        ok = ratio >= CLUSTER_RATIO and same
        full = reps == REPS and rep_units == REP_UNITS
        bars.append(BARS["cluster"].figure(
            value, ok if (full or q) else None, quick=q,
            ratio=f"serial {serial_s:.1f} s / cluster {cluster_s:.1f} s",
        ))  # fmt: skip
        rows.append(Figure("cluster run: events/s", f"{n(events / cluster_s)}"))
    side = spawned(_side_by_side, 3 if q else 8, rep_units)
    if side is None:
        failures.append("side by side")
    else:
        one, two = side
        k = 3 if q else 8
        _say(f"side by side, no Dask: {k} reps {one:.1f} s alone, {k} each in two {two:.1f} s")
        rows.append(Figure(
            f"the machine's ceiling: {k} replications of {size(rep_units)} units in one "
            f"process, then {k} in each of two processes at once (no Dask)",
            f"{one:.1f} s / {two:.1f} s", ratio=f"{2 * one / two:.2f}× the work per second",
        ))  # fmt: skip

    _say("")
    figures = bars + rows
    print_table("zyw_flow — simulation (issue 12) bars and figures", figures)
    _say("verdicts:")
    for f in figures:
        if f.name.startswith("BAR "):
            _say(f"  {f.verdict:<13} {f.name[4:]}: {f.value} (bar {f.bar})")
    if args.markdown:
        _say("")
        print_markdown(figures)
    _say(f"load average after: {load()}; {time.perf_counter() - started:.0f} s in all")
    if failures:
        _say(f"measurements that failed: {', '.join(failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
