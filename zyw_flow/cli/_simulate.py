"""``simulate``: run a campaign many times with a behaviour profile (``zyw_flow.sim``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from rich.table import Table

from zyw_flow.cli._args import UsageError
from zyw_flow.cli._console import Ui
from zyw_flow.cli._outputs import written

__all__ = ["add_simulate_command", "cmd_simulate"]

MAX_UNITS = 2**24 - 1  # zyw_flow.sim._units.MAX_UNITS (not imported here: numpy is slow to load)
MAX_RUNS = 100_000
MAX_SEED = 2**128 - 1


def _whole(low: int, high: int, shown: str = "") -> Callable[[str], int]:
    """An argparse type: a whole number in [low, high] (``shown``: how to write ``high`` in
    messages), written in digits (``2000``) or in exponent form when that is exactly whole
    (``1e5``, ``2.5e3``; not ``1.99e1``)."""
    bounds = f"from {low} to {shown or high}"

    def read(text: str) -> int:
        try:
            d = Decimal(text.strip())
        except InvalidOperation:
            d = Decimal("NaN")
        if not d.is_finite():
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
        if d.adjusted() > len(str(high)) or not low <= d <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number {bounds}, not {text!r}")
        if d != d.to_integral_value():
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}")
        return int(d)

    read.__name__ = "whole number"  # argparse names the type so in its messages
    return read


def cmd_simulate(args: argparse.Namespace, ui: Ui) -> int:
    from zyw_flow.sim import (
        Simulation,
        generate_units,
        parse_override,
        parse_sweep,
        read_units_csv,
        run_simulation,
    )

    if args.units is None and args.units_csv is None:
        raise UsageError("simulate needs --units N (a generated tree) or --units-csv FILE")
    _check_profile(args.profile)
    if Path(args.out).exists() and not Path(args.out).is_dir():
        raise UsageError(f"--out: {args.out} is a file, not a folder")
    units = read_units_csv(args.units_csv) if args.units_csv else generate_units(args.units)
    sim = Simulation(
        args.template,
        units=units,
        profile=args.profile,
        seed=args.seed,
        runs=args.runs,
        params=args.param,
        overrides=[parse_override(s) for s in args.set or ()],
        sweep=[parse_sweep(s) for s in args.sweep or ()],
        evaluate=not args.no_evaluation,
        accept=args.accept,
    )
    with ui.progress() as bar:
        task = bar.add_task("simulating", total=len(sim.arms) * sim.runs)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        result = run_simulation(
            sim, args.out, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
            progress=progress, report=not args.no_report,
        )  # fmt: skip
    stale = Path(args.out) / "report.html"
    if args.no_report and stale.exists():  # an earlier run's: it would not match summary.json
        stale.unlink()
        ui.warn(f"removed {stale}, left by an earlier run (--no-report)")
    if args.json:
        ui.json(result.summary)
    else:
        ui.out.print(summary_table(result.summary, evaluated=sim.evaluate))
    files = "summary.json, units.parquet, daily.parquet" + ("" if args.no_report else
                                                           ", report.html")  # fmt: skip
    ui.warn(written(files, args.out))  # on stderr, as every command that prints its result
    return 0


def _check_profile(profile: str) -> None:
    """Refuse a ``--profile`` that is neither a bundled profile nor a file (exit 2: an unknown
    file is unusable input; a profile file with problems is a checked failure, exit 1).

    Raises:
        UsageError: ``--profile: no bundled profile or file 'NAME'; bundled: …``.
    """
    from zyw_flow.sim import bundled_profiles

    bundled = bundled_profiles()
    if profile in bundled or Path(profile).is_file():
        return
    what = "is a folder, not a profile file" if Path(profile).is_dir() else "does not exist"
    raise UsageError(
        f"--profile: {profile!r} is not a bundled profile and the file {what}; bundled: "
        + ", ".join(bundled)
    )


def _cell(m: Mapping[str, Any]) -> str:
    lo, hi = m["ci95"]
    return f"{m['mean']:.4g} [{lo:.4g}, {hi:.4g}]"


def summary_table(summary: Mapping[str, Any], *, evaluated: bool = True) -> Table:
    """The headline figures of each arm, side by side (mean [95 % CI]); without the
    evaluation the grade rows are left out (they would read 0, not "not evaluated")."""
    table = Table(title=f"{summary['template']}: {summary['units']} units × {summary['runs']} "
                  f"runs, seed {summary['seed']}, profile {summary['profile']}",
                  caption=None if evaluated else "not evaluated (--no-evaluation): no "
                  "scores or grades, and no sanctions that follow from them")  # fmt: skip
    table.add_column("metric")
    for i, arm in enumerate(summary["arms"]):
        said = ", ".join(f"{k}={v}" for k, v in arm["overrides"].items())
        table.add_column(f"arm {i + 1}" + (f"\n{said}" if said else ""), justify="right")
    first = summary["arms"][0]["metrics"]
    rows: list[tuple[str, list[str]]] = []
    for key in ("on_time_rate", "overdue_steps", "findings_opened", "findings_closed"):
        rows.append((key, [_cell(a["metrics"][key]) for a in summary["arms"]]))
    for group in (
        ("escalations", "sanctions", "grades") if evaluated else ("escalations", "sanctions")
    ):
        for k in first.get(group, {}):
            rows.append((f"{group}.{k}", [_cell(a["metrics"][group][k]) for a in summary["arms"]]))
    for name, cells in rows:
        table.add_row(name, *cells)
    return table


def add_simulate_command(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a campaign many times with a behaviour profile; summary, tables, report",
        description="Run TEMPLATE through the engine R times per arm with units behaving as "
        "the profile says; writes DIR/summary.json, units.parquet, daily.parquet and "
        "report.html.",
    )
    p.add_argument("template", help="bundled template id or path")
    p.add_argument("--param", action="append", metavar="NAME=VALUE", help="template parameter")
    p.add_argument("--set", action="append", metavar="PATH=VALUE",
                   help="override a template value for the run, e.g. "
                   "findings.rectification_days=5 or escalation[2].after=4")  # fmt: skip
    p.add_argument("--sweep", action="append", metavar="PATH=V1,V2,…",
                   help="one arm per value (several --sweep: every combination); arms share "
                   "their random numbers")  # fmt: skip
    units = p.add_mutually_exclusive_group()
    units.add_argument(
        "--units",
        type=_whole(1, MAX_UNITS),
        help=f"units in a generated city → county → section tree (1 to {MAX_UNITS})",
    )
    units.add_argument(
        "--units-csv", metavar="FILE", help="units from CSV (id,name,parent[,kind,group])"
    )
    p.add_argument("--runs", type=_whole(1, MAX_RUNS), default=1,
                   help=f"replications per arm (default 1; at most {MAX_RUNS})")  # fmt: skip
    p.add_argument("--seed", type=_whole(0, MAX_SEED, "2**128 - 1"), default=0,
                   help="random seed (default 0; a whole number below 2**128)")  # fmt: skip
    p.add_argument("--profile", default="seed004",
                   help="bundled profile (punctual, absent, seed004, district-organs, townships, "
                   "villages) or a profile file; default seed004")  # fmt: skip
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=_whole(1, 1024), default=1,
                       help="local worker processes (1 to 1024)")  # fmt: skip
    where.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, tcp://HOST:PORT")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--resume", action="store_true",
                   help="keep the replications already finished in DIR")  # fmt: skip
    p.add_argument("--no-evaluation", action="store_true",
                   help="do not record scores or finalise the evaluation")  # fmt: skip
    p.add_argument("--accept", choices=("needed", "all"), default="needed",
                   help="which submissions the office accepts (default: what a dependency or "
                   "a phase gate needs)")  # fmt: skip
    p.add_argument("--no-report", action="store_true", help="skip report.html")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout")
    p.set_defaults(func=cmd_simulate)
