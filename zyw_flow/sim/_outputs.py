"""What a simulation writes: ``summary.json``, ``units.parquet``, ``daily.parquet``,
``report.html``, and ``parts/`` (one file set per finished replication, for ``resume``)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from zyw_flow._files import replaced, write_bytes_whole
from zyw_flow.sim._errors import SimulationError
from zyw_flow.sim._report import write_report
from zyw_flow.sim._runner import RepResult

if TYPE_CHECKING:
    from zyw_flow.sim._spec import Simulation

__all__ = ["prepare", "write_outputs", "write_part"]

MANIFEST = "run.json"


def _write_parquet(table: pa.Table, path: Path) -> None:
    with replaced(path) as tmp:
        pq.write_table(table, tmp)


def _name(arm: int, rep: int) -> str:
    return f"a{arm:03d}-r{rep:05d}"


def prepare(folder: Path, sim: Simulation, resume: bool) -> dict[tuple[int, int], RepResult]:
    """Make ``folder`` ready; with ``resume``, the replications already finished there.

    Raises:
        SimulationError: ``resume`` into a folder holding another simulation's parts, or a
            folder that cannot be written.
    """
    parts = folder / "parts"
    manifest = folder / MANIFEST
    key = sim.fingerprint()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if resume and manifest.is_file():
            held = json.loads(manifest.read_text("utf-8")).get("fingerprint")
            if held != key:
                raise SimulationError(
                    f"{folder}: --resume, but the finished replications there come from "
                    "another simulation (template, overrides, units, profile, seed or runs "
                    "differ); use another --out or run without --resume"
                )
        elif parts.exists():
            shutil.rmtree(parts)
        parts.mkdir(exist_ok=True)
        write_bytes_whole(manifest, json.dumps({"fingerprint": key}).encode("utf-8"))
    except OSError as exc:
        raise SimulationError(f"{folder}: cannot write the output folder: {exc}") from None
    done: dict[tuple[int, int], RepResult] = {}
    if not resume:
        return done
    for meta in sorted(parts.glob("*.json")):
        stem = meta.stem
        units, daily = parts / f"{stem}.units.parquet", parts / f"{stem}.daily.parquet"
        if not (units.is_file() and daily.is_file()):
            continue
        try:
            m = json.loads(meta.read_text("utf-8"))
            res = RepResult(
                m["arm"], m["rep"], m["metrics"], pq.read_table(units).to_pydict(),
                pq.read_table(daily).to_pydict(), m["events"], m.get("seconds", 0.0),
            )  # fmt: skip
        except (OSError, ValueError, KeyError, pa.ArrowException):
            continue  # a part cut short by the interruption: run it again
        if res.arm < len(sim.arms) and res.rep < sim.runs:
            done[(res.arm, res.rep)] = res
    return done


def _table(columns: Mapping[str, Sequence[Any]], arm: int, rep: int) -> pa.Table:
    n = len(next(iter(columns.values()))) if columns else 0
    data: dict[str, Any] = {"arm": [arm] * n, "replication": [rep] * n}
    data.update({k: list(v) for k, v in columns.items() if k not in data})
    return pa.table(data)


def write_part(folder: Path, res: RepResult) -> None:
    """Keep one finished replication (parquet first, its JSON last: the JSON marks it done)."""
    parts = folder / "parts"
    stem = _name(res.arm, res.rep)
    _write_parquet(pa.table(dict(res.units)), parts / f"{stem}.units.parquet")
    _write_parquet(pa.table(dict(res.daily)), parts / f"{stem}.daily.parquet")
    meta = {"arm": res.arm, "rep": res.rep, "metrics": res.metrics, "events": res.events,
            "seconds": res.seconds}  # fmt: skip
    write_bytes_whole(parts / f"{stem}.json", json.dumps(meta, ensure_ascii=False).encode("utf-8"))


def summary_text(summary: Mapping[str, Any]) -> str:
    """``summary.json`` as written (indented, UTF-8, keys in contract order)."""
    return json.dumps(summary, ensure_ascii=False, indent=2) + "\n"


def write_outputs(
    folder: Path, sim: Simulation, summary: Mapping[str, Any], results: Sequence[RepResult],
    *, report: bool = True,
) -> None:  # fmt: skip
    """``summary.json``, the two Parquet tables and ``report.html``."""
    write_bytes_whole(folder / "summary.json", summary_text(summary).encode("utf-8"))
    units = [_table(r.units, r.arm, r.rep) for r in results]
    daily = [_table(r.daily, r.arm, r.rep) for r in results]
    if units:
        _write_parquet(pa.concat_tables(units), folder / "units.parquet")
        _write_parquet(pa.concat_tables(daily), folder / "daily.parquet")
    if report:
        write_report(folder / "report.html", sim, summary, results)
