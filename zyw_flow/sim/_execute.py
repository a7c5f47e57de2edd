"""A simulation: arms × replications, run serially, on a process pool or on Dask.

Each task is one (arm, replication); its result depends only on the simulation and those
two numbers, so the summary is the same whichever way the tasks run, and in whatever
order they finish: results are put in (arm, replication) order before anything is summed.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import attrs

from zyw_flow.sim import _outputs
from zyw_flow.sim._errors import SimulationError
from zyw_flow.sim._metrics import aggregate, compare
from zyw_flow.sim._overrides import overrides_json
from zyw_flow.sim._runner import RepResult, align_daily, run_replication
from zyw_flow.sim._spec import Simulation, compile_arm

__all__ = ["SimResult", "run_simulation", "run_task", "summarise"]

Progress = Callable[[int, int], None]


def run_task(sim: Simulation, arm: int, rep: int) -> RepResult:
    """One replication of one arm (what each worker runs)."""
    return run_replication(
        compile_arm(sim, arm), sim.units, sim.profile, sim.seed, rep, arm=arm,
        evaluate=sim.evaluate, accept=sim.accept,
    )  # fmt: skip


_WORKER_SIM: Simulation | None = None


def _init_worker(sim: Simulation) -> None:
    global _WORKER_SIM
    _WORKER_SIM = sim


def _pool_task(arm: int, rep: int) -> RepResult:
    assert _WORKER_SIM is not None
    return run_task(_WORKER_SIM, arm, rep)


@attrs.frozen
class SimResult:
    """A finished simulation.

    Attributes:
        simulation: what was run.
        summary: the ``summary.json`` contract (template, units, runs, seed, arms …).
        results: every replication's result, in (arm, replication) order, their per-day
            tables over the same days (:func:`~zyw_flow.sim._runner.align_daily`).
    """

    simulation: Simulation
    summary: Mapping[str, Any]
    results: tuple[RepResult, ...]

    def arm_results(self, arm: int) -> list[RepResult]:
        return [r for r in self.results if r.arm == arm]


def summarise(sim: Simulation, results: Sequence[RepResult]) -> dict[str, Any]:
    """The summary of finished results (in (arm, replication) order)."""
    arms = sim.arms
    compiled = compile_arm(sim, 0)
    per_arm = [[r.metrics for r in results if r.arm == a] for a in range(len(arms))]
    out: dict[str, Any] = {
        "template": compiled.id,
        "units": len(sim.units),
        "runs": sim.runs,
        "seed": sim.seed,
        "profile": sim.profile.id,
        "params": {k: sim.params[k] for k in sorted(sim.params)},
        "arms": [
            {"overrides": dict(overrides_json(arms[a])), "metrics": aggregate(per_arm[a])}
            for a in range(len(arms))
        ],
    }
    if len(arms) > 1:
        out["comparison"] = compare(per_arm)
    return out


def _tasks(sim: Simulation) -> list[tuple[int, int]]:
    return [(a, r) for a in range(len(sim.arms)) for r in range(sim.runs)]


def _run_serial(sim: Simulation, todo: Iterable[tuple[int, int]]) -> Iterable[RepResult]:
    for arm, rep in todo:
        yield run_task(sim, arm, rep)


def _run_pool(sim: Simulation, todo: list[tuple[int, int]], workers: int) -> Iterable[RepResult]:
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(sim,)) as pool:  # fmt: skip
        futures = [pool.submit(_pool_task, a, r) for a, r in todo]
        for f in as_completed(futures):
            yield f.result()


def _run_dask(sim: Simulation, todo: list[tuple[int, int]], scheduler: Any) -> Iterable[RepResult]:
    try:
        import distributed
    except ImportError:  # pragma: no cover - a dependency
        raise SimulationError("--scheduler needs dask[distributed] installed") from None
    own = isinstance(scheduler, str)
    try:
        make: Any = distributed.Client
        client = make(scheduler) if own else scheduler
    except OSError as exc:
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
    try:
        shared = client.scatter(sim, broadcast=True)
        futures = client.map(run_task, [shared] * len(todo), [a for a, _ in todo],
                             [r for _, r in todo], pure=False)  # fmt: skip
        completed: Any = distributed.as_completed
        for f in completed(futures):
            yield f.result()
    finally:
        if own:
            client.close()


def run_simulation(
    sim: Simulation,
    out: str | Path | None = None,
    *,
    workers: int = 1,
    scheduler: Any = None,
    resume: bool = False,
    progress: Progress | None = None,
    report: bool = True,
) -> SimResult:
    """Run every replication of every arm and summarise them.

    Args:
        sim: what to run.
        out: a folder for ``summary.json``, ``units.parquet``, ``daily.parquet`` and
            ``report.html`` (and ``parts/``, one file set per finished replication).
        workers: processes of a local pool (1: in this process).
        scheduler: a Dask scheduler address (``tcp://host:port``) or a
            ``distributed.Client``; replaces ``workers``.
        resume: keep the finished replications found in ``out`` (they must come from the
            same simulation) and run only the rest.
        progress: called as ``progress(done, total)`` after each replication.
        report: also write ``report.html`` (when ``out`` is given).

    Raises:
        SimulationError, TemplateError, ProfileError: bad input; nothing is run.
    """
    for arm in range(len(sim.arms)):  # every arm's template must be valid before anything runs
        compiled = compile_arm(sim, arm)
        sim.profile.for_levels(tuple(lv.id for lv in compiled.escalation), compiled.id)
        for g in set(sim.units.groups):
            sim.profile.classes(g)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SimulationError(f"workers must be a whole number ≥ 1, not {workers!r}")
    folder = None if out is None else Path(out)
    done: dict[tuple[int, int], RepResult] = {}
    if folder is not None:
        done = _outputs.prepare(folder, sim, resume)
    todo = [t for t in _tasks(sim) if t not in done]
    total = len(_tasks(sim))
    if progress is not None:
        progress(len(done), total)
    if scheduler is not None:
        stream = _run_dask(sim, todo, scheduler)
    elif workers > 1 and len(todo) > 1:
        stream = _run_pool(sim, todo, min(workers, len(todo)))
    else:
        stream = _run_serial(sim, todo)
    for res in stream:
        done[(res.arm, res.rep)] = res
        if folder is not None:
            _outputs.write_part(folder, res)
        if progress is not None:
            progress(len(done), total)
    results = align_daily([done[t] for t in sorted(done)])  # every one over the same days
    summary = summarise(sim, results)
    if folder is not None:
        _outputs.write_outputs(folder, sim, summary, results, report=report)
    return SimResult(sim, summary, results)
