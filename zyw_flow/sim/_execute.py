"""A simulation: arms × replications, run serially, on a process pool or on Dask.

Each task is one (arm, replication); its result depends only on the simulation and those
two numbers, so the summary is the same whichever way the tasks run, and in whatever
order they finish: results are put in (arm, replication) order before anything is summed.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import lru_cache
from pathlib import Path
from typing import Any

import attrs

from zyw_flow._errors import TemplateError
from zyw_flow._yaml import read_yaml_file
from zyw_flow.compile import CompiledCampaign, compile_campaign
from zyw_flow.resolve import resolve
from zyw_flow.resolve._load import build_template
from zyw_flow.sim._errors import SimulationError
from zyw_flow.sim._metrics import aggregate, compare
from zyw_flow.sim._overrides import Override, apply_overrides, explain, overrides_json
from zyw_flow.sim._profile import Profile, load_profile
from zyw_flow.sim._runner import RepResult, run_replication
from zyw_flow.sim._units import UnitTree, generate_units
from zyw_flow.template import find_template

__all__ = ["SimResult", "Simulation", "compile_arm", "run_simulation"]

Progress = Callable[[int, int], None]


@attrs.frozen
class Simulation:
    """What to simulate.

    Attributes:
        template: a bundled template id or a path.
        units: the unit tree (:func:`generate_units`, :func:`read_units_csv`) or a count.
        profile: a :class:`Profile`, a bundled profile id or a profile file.
        seed: the root of every random draw.
        runs: replications per arm.
        params: template parameters.
        overrides: template values set for every arm (:class:`Override` or ``"path=value"``).
        sweep: one list of values per swept path; the arms are their combinations, in order
            (``[["escalation[2].after=3", "escalation[2].after=5"]]``: two arms).
        evaluate: record scores and finalise the evaluation (when the template scores and
            the profile has scores).
        accept: ``needed`` or ``all`` (see :func:`zyw_flow.sim.run_replication`).
    """

    template: str
    units: UnitTree = attrs.field(converter=lambda u: generate_units(u) if isinstance(u, int)
                                  else u)  # fmt: skip
    profile: Profile = attrs.field(converter=load_profile, default="seed004")
    seed: int = 0
    runs: int = 1
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)
    overrides: tuple[Override, ...] = attrs.field(default=(), converter=lambda v: tuple(
        _as_override(o) for o in v))  # fmt: skip
    sweep: tuple[tuple[Override, ...], ...] = attrs.field(default=(), converter=lambda v: tuple(
        tuple(_as_override(o) for o in values) for values in v))  # fmt: skip
    evaluate: bool = True
    accept: str = "needed"

    def __attrs_post_init__(self) -> None:
        if isinstance(self.runs, bool) or not isinstance(self.runs, int) or self.runs < 1:
            raise SimulationError(f"runs must be a whole number ≥ 1, not {self.runs!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SimulationError(f"the seed must be a whole number ≥ 0, not {self.seed!r}")
        if self.accept not in ("needed", "all"):
            raise SimulationError(f"accept must be 'needed' or 'all', not {self.accept!r}")

    @property
    def arms(self) -> tuple[tuple[Override, ...], ...]:
        """Each arm's overrides: the common ones, then one value of each swept path."""
        arms: list[tuple[Override, ...]] = [()]
        for values in self.sweep:
            arms = [a + (v,) for a in arms for v in values]
        return tuple(self.overrides + a for a in arms)

    def arm_overrides(self, arm: int) -> tuple[Override, ...]:
        return self.arms[arm]

    def fingerprint(self) -> str:
        """A digest of everything that decides the results (for ``resume``)."""
        prof = attrs.evolve(self.profile, file="", lines={})
        blob = json.dumps(
            [self.template, sorted(self.params.items()), list(self.units.ids),
             list(self.units.parents), list(self.units.groups), list(self.units.kinds),
             repr(prof), self.seed, self.runs,
             [[(o.path, o.text) for o in a] for a in self.arms], self.evaluate, self.accept],
            ensure_ascii=False, default=str,
        )  # fmt: skip
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _as_override(o: Override | str) -> Override:
    from zyw_flow.sim._overrides import parse_override

    return o if isinstance(o, Override) else parse_override(o)


@lru_cache(maxsize=32)
def _compile(template: str, params: tuple[tuple[str, Any], ...],
             overrides: tuple[Override, ...]) -> CompiledCampaign:  # fmt: skip
    found = find_template(template)
    doc = apply_overrides(read_yaml_file(found.path), overrides, template)
    try:
        return compile_campaign(resolve(build_template(doc, dict(params))))
    except TemplateError as exc:
        raise explain(exc, overrides) from None


def compile_arm(sim: Simulation, arm: int) -> CompiledCampaign:
    """The campaign of one arm, compiled once per process.

    Raises:
        SimulationError: an override names a path the template does not have.
        TemplateError: the template, with the overrides, has problems (each located, the
            message naming the overrides).
    """
    params = tuple(sorted((str(k), v) for k, v in sim.params.items()))
    return _compile(sim.template, params, sim.arm_overrides(arm))


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
        results: every replication's result, in (arm, replication) order.
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
        client = distributed.Client(scheduler) if own else scheduler
    except OSError as exc:
        raise SimulationError(f"cannot reach the Dask scheduler {scheduler!r}: {exc}") from None
    try:
        shared = client.scatter(sim, broadcast=True)
        futures = client.map(run_task, [shared] * len(todo), [a for a, _ in todo],
                             [r for _, r in todo], pure=False)  # fmt: skip
        for f in distributed.as_completed(futures):
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
        sim.profile.check_levels(tuple(lv.id for lv in compiled.escalation), compiled.id)
        for g in set(sim.units.groups):
            sim.profile.classes(g)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise SimulationError(f"workers must be a whole number ≥ 1, not {workers!r}")
    from zyw_flow.sim import _outputs

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
    results = tuple(done[t] for t in sorted(done))
    summary = summarise(sim, results)
    if folder is not None:
        _outputs.write_outputs(folder, sim, summary, results, report=report)
    return SimResult(sim, summary, results)
