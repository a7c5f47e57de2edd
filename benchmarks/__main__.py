"""``python -m benchmarks``: every performance bar of the runtime, beside its baseline.

Runs the 2011 seed campaign ``zhiyong-2011`` and prints the machine, one line per
measurement as it finishes, then ONE table of figures: every bar with its figure, the ratio
against a baseline measured in the same run, and PASS/FAIL. Every measurement runs in a
fresh interpreter (``multiprocessing`` *spawn*). It always exits 0 when the measurements
ran: it is a measurement, not a test (a measurement that crashed exits 1).

``--quick`` runs small sizes (a smoke test of well under a minute); its verdicts are marked
``(quick)`` and mean little. See ``docs/performance.md`` for the method.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import engine, journal
from benchmarks._harness import (
    TEMPLATE,
    Bar,
    Figure,
    compiled,
    fmt_bytes,
    load,
    machine_info,
    n,
    print_markdown,
    print_table,
    schedule,
    size,
    spawned,
)

__all__ = ["BARS", "main"]

#: The bars of issue 9, by key; ``python -m benchmarks`` prints each one's name.
BARS: dict[str, Bar] = {
    "per_call": Bar("per-call events/s in memory (public API)", "≥ 300,000/s"),
    "flyweight": Bar("per-call vs a shared transitions.Machine flyweight", "≥ 3×"),
    "bulk": Bar("bulk path (submit_many) events/s in memory", "≥ 1,000,000/s"),
    "sqlite": Bar("SQLite bulk durable events/s", "≥ 300,000/s"),
    "enrol": Bar("10^6 units enrolled", "≤ 3 s, ≤ 400 B/unit (RSS)"),
    "replay": Bar("reopen a journal of 10^6 events by replay", "≤ 5 s"),
    "snapshot": Bar("reopen a journal of 10^6 events from a snapshot", "≤ 5 s"),
    "quiet": Bar("quiet tick stays O(1): time at 10^6 / 10^4 units", "≤ 2×"),
}
PER_CALL_RATE = 300_000
FLYWEIGHT_RATIO = 3.0
BULK_RATE = 1_000_000
SQLITE_RATE = 300_000
ENROL_UNITS, ENROL_SECONDS, ENROL_BYTES = 1_000_000, 3.0, 400
REOPEN_EVENTS, REOPEN_SECONDS = 1_000_000, 5.0
QUIET_RATIO = 2.0


@dataclass
class Sizes:
    scale: tuple[int, ...]
    events: int
    bulk: int
    durable_units: int
    durable_submitters: int
    single: int
    journal_events: int
    pg_events: int
    attach: int
    rounds: int


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(float(part)) for part in text.split(",") if part.strip()}))


def _count(text: str) -> int:
    return int(float(text))


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Every performance bar of zyw_flow's runtime, with baselines measured "
        "in the same run (sizes accept 1e6-style numbers).",
    )
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test (< 1 min)")
    ap.add_argument("--sizes", type=_sizes, help="enrolment/tick sizes (default 1e4,1e5,1e6)")
    ap.add_argument("--event-units", type=_count, help="units of the per-call run (1e5)")
    ap.add_argument("--bulk-units", type=_count, help="units of the in-memory bulk run (2e5)")
    ap.add_argument("--durable-units", type=_count, help="units of the stored run (1e5)")
    ap.add_argument("--durable-submitters", type=_count, help="of them submit_many (all)")
    ap.add_argument("--single", type=_count, help="durable single submits, 1 commit each (500)")
    ap.add_argument("--journal-events", type=_count, help="events of the reopened journal (1e6)")
    ap.add_argument("--rounds", type=_count, help="rounds of the per-call runs (3; median)")
    ap.add_argument("--attach-units", type=_count, help="units of the add_model baseline (1e4)")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--pg-url", default=journal.DEFAULT_PG_URL, help="PostgreSQL (informational)")
    ap.add_argument("--pg-events", type=_count, help="events of the PostgreSQL journal")
    ap.add_argument(
        "--profile", action="store_true", help="cProfile the per-call, bulk and enrol runs"
    )
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    ap.add_argument("--dir", type=Path, help="where the SQLite files go (default: a temp dir)")
    return ap


def _pick(args: argparse.Namespace) -> Sizes:
    q = bool(args.quick)
    events = args.journal_events or (20_000 if q else 1_000_000)
    durable = args.durable_units or (2_000 if q else 100_000)
    return Sizes(
        scale=args.sizes or ((1_000, 10_000) if q else (10_000, 100_000, 1_000_000)),
        events=args.event_units or (5_000 if q else 100_000),
        bulk=args.bulk_units or (10_000 if q else 200_000),
        durable_units=durable,
        durable_submitters=min(args.durable_submitters or durable, durable),
        single=args.single if args.single is not None else (20 if q else 500),
        journal_events=events,
        pg_events=args.pg_events or (min(events, 10_000) if q else events),
        attach=args.attach_units or (1_000 if q else 10_000),
        rounds=args.rounds or (1 if q else 3),
    )


@dataclass
class Run:
    """Everything measured, as it came back from the spawned interpreters."""

    quick: bool
    scale: dict[int, engine.ScaleResult] = field(default_factory=dict)
    memory: dict[int, engine.MemoryResult] = field(default_factory=dict)
    events: dict[str, engine.EventsResult] = field(default_factory=dict)
    flyweight: dict[str, engine.EventsResult] = field(default_factory=dict)
    bulk: engine.BulkResult | None = None
    many: engine.EventsResult | None = None
    floor: engine.FloorResult | None = None
    bulk_rates: list[float] = field(default_factory=list)
    attach: list[engine.AttachResult] = field(default_factory=list)
    durable: journal.DurableResult | None = None
    journal_size: int = 0
    replay: journal.OpenResult | None = None
    snap_full: journal.OpenResult | None = None
    snap_tail: journal.OpenResult | None = None
    save_snapshot: tuple[float, int] | None = None
    verify: tuple[float, str] | None = None
    spread: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    round_ratios: dict[str, list[float]] = field(default_factory=dict)
    pg: dict[str, object] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def _say(text: str) -> None:
    print(text, flush=True)


# -- measuring ------------------------------------------------------------------------------------
def _measure_in_memory(run: Run, sz: Sizes) -> None:
    quiet_ticks = 1_000 if run.quick else 5_000
    for count in sz.scale:
        res = spawned(engine.task_scale, count, quiet_ticks, max(1, min(5, 100_000 // count)))
        if res is None:
            run.failures.append(f"scale {count}")
            continue
        run.scale[count] = res
        _say(
            f"[{size(count)} units] enrol {n(res.enrol_rate)} units/s ({res.enrol_median:.3f} s, "
            f"median of {len(res.enrol_seconds)}), RSS +{res.rss_bytes_per_unit:.0f} B/unit; "
            f"quiet tick {res.quiet_tick_us_dt:.2f} µs (datetime) / {res.quiet_tick_us_str:.2f} "
            f"µs (str), {res.quiet_events} events fired; deadline tick "
            f"{res.deadline_seconds:.3f} s ({res.deadline_events:,} events), escalation tick "
            f"{res.escalation_seconds:.3f} s ({res.escalation_events:,} events)"
        )
    for count in sz.scale:
        if count > 100_000:
            continue
        mres = spawned(engine.task_memory, count)
        if mres is None:
            run.failures.append(f"memory {count}")
            continue
        run.memory[count] = mres
        _say(
            f"[{size(count)} units] tracemalloc: {mres.retained_bytes_per_unit:.0f} B/unit "
            f"retained, peak {mres.peak_bytes_per_unit:.0f} B/unit during enroll_many; the "
            f"deadline tick adds {mres.deadline_bytes_per_unit:.0f} B/unit; largest sites:"
        )
        for site, per_unit in mres.top_sites:
            _say(f"      {per_unit:7.1f} B/unit  {site}")
    rounds: dict[tuple[str, str], list[engine.EventsResult]] = {}
    for k in range(sz.rounds):  # alternating, so that both sides see the same load
        for form in ("str", "datetime"):
            pair: dict[str, engine.EventsResult] = {}
            for who, task in (
                ("zyw_flow", engine.task_events),
                ("flyweight", engine.task_flyweight),
            ):
                eres = spawned(task, sz.events, form)
                if eres is None:
                    run.failures.append(f"{who} events {form}")
                    continue
                pair[who] = eres
                rounds.setdefault((who, form), []).append(eres)
                _say(
                    f"[per-call, {who}, at= {form}, round {k + 1}] {n(eres.total_rate)} "
                    f"events/s over {3 * sz.events:,} (submit {n(eres.rate('submit'))}/s, "
                    f"accept {n(eres.rate('accept'))}/s, waive {n(eres.rate('waive'))}/s; "
                    f"{eres.recorded:,} recorded)"
                )
            if len(pair) == 2:
                ratio = pair["zyw_flow"].total_rate / pair["flyweight"].total_rate
                run.round_ratios.setdefault(form, []).append(ratio)
    for (who, form), results in rounds.items():
        into = run.events if who == "zyw_flow" else run.flyweight
        into[form] = engine.EventsResult.median(results)
        rates = [r.total_rate for r in results]
        run.spread[(who, form)] = (min(rates), max(rates))
    fres = spawned(engine.task_floor, sz.events)
    if fres is None:
        run.failures.append("floor")
    else:
        run.floor = fres
        _say(
            f"[per-call floor, {size(sz.events)} units] {fres.frozen_us:.2f} µs a submit with "
            f"frozen typed events, {fres.mutable_us:.2f} µs with mutable ones; the flyweight's "
            f"submit {fres.flyweight_us:.2f} µs"
        )
    mres_ = spawned(engine.task_many, sz.events)
    if mres_ is None:
        run.failures.append("act_many")
    else:
        run.many = mres_
        _say(
            f"[act_many, {size(sz.events)} units] {n(mres_.total_rate)} events/s over "
            f"{3 * sz.events:,} (submit_many {n(mres_.rate('submit'))}/s, act_many accept "
            f"{n(mres_.rate('accept'))}/s, waive {n(mres_.rate('waive'))}/s; "
            f"{mres_.recorded:,} recorded)"
        )
    bulk_runs: list[engine.BulkResult] = []
    for k in range(sz.rounds):  # one call of a fraction of a second: the median of rounds
        bres = spawned(engine.task_bulk, sz.bulk)
        if bres is None:
            run.failures.append("bulk")
            continue
        bulk_runs.append(bres)
        _say(
            f"[bulk, {size(sz.bulk)} units, round {k + 1}] submit_many "
            f"{n(bres.submit_rate)} events/s "
            f"({bres.submit_events:,} events in {bres.submit_seconds:.3f} s); enroll_many "
            f"{n(bres.enrol_events / bres.enrol_seconds)} events/s; deadline tick "
            f"{n(bres.deadline_events / bres.deadline_seconds)} events/s "
            f"({bres.deadline_events:,}); add_actor × {sz.bulk:,} took {bres.actors_seconds:.2f} s"
        )
    if bulk_runs:
        ranked = sorted(bulk_runs, key=lambda r: r.submit_rate)
        run.bulk = ranked[(len(ranked) - 1) // 2]
        run.bulk_rates = [r.submit_rate for r in bulk_runs]
    for count, per_step in ((sz.attach, False), (max(sz.attach // 10, 100), True)):
        ares = spawned(engine.task_attach, count, per_step)
        if ares is None:
            run.failures.append(f"attach {count}")
            continue
        run.attach.append(ares)
        _say(
            f"[add_model baseline, {size(count)} units × {ares.steps_per_unit} model(s)] enrol "
            f"{n(count / ares.enrol_seconds)} units/s, {ares.bytes_per_unit:,.0f} B/unit; "
            f"zyw_flow {n(count / ares.zyw_enrol_seconds)} units/s, "
            f"{ares.zyw_bytes_per_unit:.0f} B/unit ({ares.ratio:.0f}× faster)"
        )


def _profiles(sz: Sizes) -> None:
    for what in engine.PROFILED:
        count = min(sz.events, 20_000) if what == "per_call" else sz.bulk
        text = spawned(engine.task_profile, what, count)
        _say(f"\ncProfile: {what}, {size(count)} units (own time, top functions)")
        _say(text or "failed")


def _say_durable(res: journal.DurableResult, where: str) -> None:
    D = journal.DurableResult
    _say(
        f"[{where}] {res.units:,} units, {res.rows:,} journal rows, {res.events:,} events; "
        f"add_actor × {max(res.single, res.submitters):,} (one commit each) "
        f"{res.actors_seconds:.2f} s; peak RSS {fmt_bytes(res.peak_rss)}"
    )
    for kind in ("enroll_many", "submit_many", "submit", "tick"):
        for bar in (True, False):
            txs = res.select(bar=bar, kind=kind)
            if not txs:
                continue
            what = "deadline tick" if kind == "tick" and bar else kind
            what = "later ticks" if kind == "tick" and not bar else what
            _say(
                f"    {what:<14} {len(txs):>4} call(s), {sum(t.events for t in txs):>9,} events "
                f"in {sum(t.rows for t in txs):>6,} rows: {n(D.rate(txs))} events/s; raw "
                f"executemany of the same rows {n(D.rate(txs, 'raw_same_seconds'))}/s, of one "
                f"row per event {n(D.rate(txs, 'raw_event_seconds'))}/s"
            )


def _measure_durable(run: Run, sz: Sizes, work: Path) -> None:
    db = work / "journal.db"
    journal.remove_db(db)
    _say(
        f"[SQLite] building {db}: enroll_many {sz.durable_units:,} units, {sz.single} single "
        f"submits, submit_many of {sz.durable_submitters:,}, the deadline tick over all units, "
        f"then a tick a day until {sz.journal_events:,} events"
    )
    res = spawned(
        journal.task_durable,
        str(db),
        sz.durable_units,
        sz.durable_submitters,
        sz.single,
        sz.journal_events,
        None,
    )
    if res is None:
        run.failures.append("sqlite durable")
        return
    run.durable = res
    run.journal_size = journal.file_size(db)
    _say_durable(res, "SQLite")
    _say(f"    journal file {fmt_bytes(run.journal_size)}; raw tables: {res.raw_settings}")
    run.replay = spawned(journal.task_open, str(db), False)
    run.save_snapshot = spawned(journal.task_snapshot, str(db))
    run.snap_full = spawned(journal.task_open, str(db), True, "full")
    run.snap_tail = spawned(journal.task_open, str(db), True, "tail")
    run.verify = spawned(journal.task_verify, str(db))
    for name, value in (
        ("replay", run.replay),
        ("snapshot", run.save_snapshot),
        ("open from snapshot", run.snap_full),
        ("open tail", run.snap_tail),
        ("verify", run.verify),
    ):
        if value is None:
            run.failures.append(name)
    if run.replay:
        r = run.replay
        _say(
            f"[reopen] Campaign.open(db, use_snapshot=False): {r.seconds:.2f} s for {r.events:,} "
            f"events in {r.rows:,} rows ({n(r.events / r.seconds)} events/s), peak RSS "
            f"{fmt_bytes(r.peak_rss)}"
        )
    if run.save_snapshot and run.snap_full and run.snap_tail:
        _say(
            f"[reopen] save_snapshot(): {run.save_snapshot[0]:.2f} s; Campaign.open(db) from "
            f"the snapshot: {run.snap_full.seconds:.2f} s (verify='full'), "
            f"{run.snap_tail.seconds:.2f} s (verify='tail'); same state as the replay: "
            f"{_same(run)}"
        )
    if run.verify:
        _say(f"[reopen] verify_journal(): {run.verify[0]:.2f} s — {run.verify[1]}")


def _same(run: Run) -> str:
    opened = [r for r in (run.replay, run.snap_full, run.snap_tail) if r is not None]
    return "yes" if len({(r.digest, r.events) for r in opened}) == 1 else "NO"


def _measure_pg(run: Run, sz: Sizes, args: argparse.Namespace) -> None:
    if args.no_pg:
        _say("[PostgreSQL] skipped (--no-pg)")
        return
    why = journal.pg_reachable(args.pg_url)
    if why is not None:
        _say(f"[PostgreSQL] skipped: {args.pg_url} is unreachable: {why}")
        run.pg["skipped"] = why
        return
    campaign, store = journal.pg_store(args.pg_url)
    settings = journal.pg_settings(args.pg_url)
    run.pg["settings"] = settings
    units = max(sz.durable_units * sz.pg_events // max(sz.journal_events, 1), 100)
    submitters = min(sz.durable_submitters, units // 5, 5_000)
    _say(f"[PostgreSQL] {settings}; campaign {campaign} (deleted afterwards)")
    try:
        res = spawned(
            journal.task_durable,
            store,
            units,
            submitters,
            min(sz.single, 100),
            sz.pg_events,
            args.pg_url,
        )
        if res is None:  # informational: reported, but not a failed measurement of a bar
            _say("[PostgreSQL] the durable run failed (traceback above); no PostgreSQL figures")
            run.pg["failed"] = "the durable run failed"
            return
        run.pg["durable"] = res
        _say_durable(res, "PostgreSQL")
        replay = spawned(journal.task_open, store, False)
        spawned(journal.task_snapshot, store)
        snap = spawned(journal.task_open, store, True, "full")
        run.pg["replay"], run.pg["snapshot"] = replay, snap
        if replay and snap:
            _say(
                f"[PostgreSQL] reopen by replay {replay.seconds:.2f} s ({replay.events:,} "
                f"events), from a snapshot {snap.seconds:.2f} s; same state: "
                f"{'yes' if replay.digest == snap.digest else 'NO'}"
            )
    finally:
        journal.pg_cleanup(args.pg_url, campaign)


# -- the table ---------------------------------------------------------------------------------
def _figures(run: Run) -> list[Figure]:
    """The bars first (in the issue's order), then the other figures."""
    bars: list[Figure] = []
    rows: list[Figure] = []
    for section in (_per_call, _memory, _durable, _postgres):
        section(run, bars, rows)
    return bars + rows


def _per_call(run: Run, bars: list[Figure], rows: list[Figure]) -> None:
    """Per call against the flyweight, and the bulk path."""
    q = run.quick
    for form, e in run.events.items():
        fly = run.flyweight.get(form)
        ratio = f"{e.total_rate / fly.total_rate:.2f}× flyweight" if fly else ""
        rows.append(
            Figure(
                f"per-call, at= {form}: submit / accept / waive ({size(e.n_units)} units)",
                f"{n(e.rate('submit'))} / {n(e.rate('accept'))} / {n(e.rate('waive'))} /s",
                ratio=ratio + _spread(run, "zyw_flow", form),
            )
        )
    for form, f in run.flyweight.items():
        rows.append(
            Figure(
                f"flyweight baseline, at= {form}: submit / accept / waive",
                f"{n(f.rate('submit'))} / {n(f.rate('accept'))} / {n(f.rate('waive'))} /s",
                ratio=f"{f.total_rate:,.0f}/s overall" + _spread(run, "flyweight", form),
            )
        )
    fl = run.floor
    if fl is not None:
        rows.append(
            Figure(
                "per-call floor: the least a submit can do (lookups, four checks, one typed "
                "event, one public event), frozen attrs events / mutable classes",
                f"{fl.frozen_us:.2f} / {fl.mutable_us:.2f} µs a submit "
                f"({n(1e6 / fl.frozen_us)} / {n(1e6 / fl.mutable_us)} /s)",
                ratio=f"{fl.flyweight_us / fl.frozen_us:.2f}× / "
                f"{fl.flyweight_us / fl.mutable_us:.2f}× the flyweight's submit "
                f"({fl.flyweight_us:.2f} µs, same process)",
            )
        )
    complete = all(e.recorded == 3 * e.n_units for e in run.events.values())
    complete = complete and all(f.recorded == 3 * f.n_units for f in run.flyweight.values())
    if len(run.events) == 2:
        worst = min(e.total_rate for e in run.events.values())
        value = " / ".join(f"{n(e.total_rate)} ({form})" for form, e in run.events.items())
        bars.append(BARS["per_call"].figure(value, worst >= PER_CALL_RATE and complete, quick=q))
    else:
        bars.append(BARS["per_call"].failed())
    if len(run.round_ratios) == 2:
        # The ratio of each round (the two runs next to each other saw the same load), and
        # the median over the rounds.
        ratios = {f: statistics.median(run.round_ratios[f]) for f in run.events}
        value = " / ".join(f"{r:.2f}× ({form})" for form, r in ratios.items())
        each = "; ".join(
            f"{form} rounds " + ", ".join(f"{r:.2f}×" for r in run.round_ratios[form])
            for form in ratios
        )
        ok = min(ratios.values()) >= FLYWEIGHT_RATIO and complete
        bars.append(BARS["flyweight"].figure(value, ok, ratio=each, quick=q))
    else:
        bars.append(BARS["flyweight"].failed())

    # The bulk path in memory.
    b = run.bulk
    if b is not None:
        per_call = max((e.total_rate for e in run.events.values()), default=0.0)
        ratio = f"{b.submit_rate / per_call:.1f}× per-call" if per_call else ""
        rows.append(
            Figure(
                f"in memory, enroll_many / deadline tick ({size(b.n)} units)",
                f"{n(b.enrol_events / b.enrol_seconds)} / "
                f"{n(b.deadline_events / b.deadline_seconds)} events/s",
            )
        )
        m = run.many
        if m is not None:
            rows.append(
                Figure(
                    f"in memory, the three events of each unit as three bulk calls "
                    f"({size(m.n_units)} units: submit_many, act_many accept, act_many waive)",
                    f"{n(m.total_rate)} events/s (accept {n(m.rate('accept'))}/s, waive "
                    f"{n(m.rate('waive'))}/s)",
                    ratio=f"{m.total_rate / per_call:.1f}× per-call" if per_call else "",
                )
            )
        value = f"{n(b.submit_rate)}/s ({b.submit_events:,} events, {size(b.n)} units)"
        if len(run.bulk_rates) > 1:
            value += ", median of " + " / ".join(n(r) for r in run.bulk_rates)
        ok = b.submit_rate >= BULK_RATE and b.submit_events >= b.n
        bars.append(BARS["bulk"].figure(value, ok, ratio=ratio, quick=q))
    else:
        bars.append(BARS["bulk"].failed())


def _spread(run: Run, who: str, form: str) -> str:
    lo, hi = run.spread.get((who, form), (0.0, 0.0))
    return f"; rounds {n(lo)}–{n(hi)}/s" if hi > lo else ""


def _memory(run: Run, bars: list[Figure], rows: list[Figure]) -> None:
    """Enrolment, memory and ticks."""
    q = run.quick
    for count, res in run.scale.items():
        rows.append(
            Figure(
                f"enroll_many, {size(count)} units",
                f"{n(res.enrol_rate)} units/s ({res.enrol_median:.2f} s)",
            )
        )
    for count, mres in run.memory.items():
        rows.append(
            Figure(
                f"memory, {size(count)} units (tracemalloc, retained / peak)",
                f"{mres.retained_bytes_per_unit:.0f} / {mres.peak_bytes_per_unit:.0f} B/unit",
            )
        )
    for count, res in run.scale.items():
        if count >= 100_000 or q:
            rows.append(
                Figure(
                    f"memory, {size(count)} units (RSS growth, input freed)",
                    f"{res.rss_bytes_per_unit:.0f} B/unit",
                )
            )
    for a in run.attach:
        rows.append(
            Figure(
                f"add_model baseline, {size(a.n)} units × {a.steps_per_unit} model(s)",
                f"{n(a.n / a.enrol_seconds)} units/s, {a.bytes_per_unit:,.0f} B/unit",
                ratio=f"zyw_flow {a.ratio:,.0f}× faster, "
                f"1/{a.bytes_per_unit / a.zyw_bytes_per_unit:,.0f} memory",
            )
        )
    big = run.scale.get(ENROL_UNITS) or (run.scale[max(run.scale)] if run.scale else None)
    if big is not None:
        value = f"{big.enrol_median:.2f} s, {big.rss_bytes_per_unit:.0f} B/unit ({size(big.n)})"
        ok: bool | None = (
            big.enrol_median * ENROL_UNITS / big.n <= ENROL_SECONDS
            and big.rss_bytes_per_unit <= ENROL_BYTES
        )
        if big.n != ENROL_UNITS:
            value += f", {big.enrol_median * ENROL_UNITS / big.n:.2f} s scaled to 10^6"
            ok = ok if q else None  # the bar is defined at 10^6 units
        attach = run.attach[0] if run.attach else None
        ratio = f"{attach.ratio:,.0f}× add_model (at {size(attach.n)})" if attach else ""
        bars.append(BARS["enrol"].figure(value, ok, ratio=ratio, quick=q))
    else:
        bars.append(BARS["enrol"].failed())

    # Ticks.
    for count, res in run.scale.items():
        rows.append(
            Figure(
                f"quiet tick, {size(count)} units (median of {res.quiet_ticks:,})",
                f"{res.quiet_tick_us_dt:.2f} µs (datetime) / {res.quiet_tick_us_str:.2f} µs (str)",
            )
        )
        rows.append(
            Figure(
                f"deadline / escalation tick, {size(count)} units",
                f"{res.deadline_seconds:.3f} s / {res.escalation_seconds:.3f} s "
                f"({n(res.deadline_events / res.deadline_seconds)} / "
                f"{n(res.escalation_events / res.escalation_seconds)} events/s)",
            )
        )
    for count, mres in run.memory.items():
        rows.append(
            Figure(
                f"memory added by the deadline tick, {size(count)} units",
                f"{mres.deadline_bytes_per_unit:.0f} B/unit",
            )
        )
    if len(run.scale) >= 2:
        lo, hi = min(run.scale), max(run.scale)
        growth = run.scale[hi].quiet_tick_us_dt / run.scale[lo].quiet_tick_us_dt
        quiet = all(r.quiet_events == 0 for r in run.scale.values())
        value = f"{growth:.2f}× ({size(hi)} / {size(lo)})"
        bars.append(BARS["quiet"].figure(value, growth <= QUIET_RATIO and quiet, quick=q))
    else:
        bars.append(BARS["quiet"].figure("needs two sizes", None, quick=q))


def _durable(run: Run, bars: list[Figure], rows: list[Figure]) -> None:
    """SQLite: the bulk durable bar, single commits, the journal, reopening."""
    q = run.quick
    d = run.durable
    D = journal.DurableResult
    if d is not None:
        single = d.select(kind="submit")
        if single:
            lat = sorted(t.seconds * 1000 for t in single)
            p99 = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
            raw = statistics.median(t.raw_same_seconds for t in single) * 1000
            rows.append(
                Figure(
                    f"SQLite single submit, one commit each (× {len(single)})",
                    f"{n(D.rate(single))}/s, median {statistics.median(lat):.2f} ms, "
                    f"p99 {p99:.2f} ms",
                    ratio=f"{D.rate(single) / D.rate(single, 'raw_same_seconds'):.2f} of raw "
                    f"INSERT+COMMIT ({raw:.2f} ms)",
                )
            )
        for kind in ("enroll_many", "submit_many", "tick"):
            txs = d.select(bar=True, kind=kind)
            if txs:
                rows.append(
                    _durable_row(
                        "SQLite deadline tick (all units)" if kind == "tick" else f"SQLite {kind}",
                        txs,
                    )
                )
        later = d.select(bar=False, kind="tick")
        if later:
            rows.append(_durable_row("SQLite later ticks (escalations, deadlines)", later))
        rows.append(
            Figure(
                f"SQLite journal, {d.events:,} events",
                f"{d.rows:,} rows, {fmt_bytes(run.journal_size)} "
                f"({run.journal_size / max(d.events, 1):.1f} B/event)",
            )
        )
        txs = d.select(bar=True)
        rate = D.rate(txs)
        value = f"{n(rate)}/s ({sum(t.events for t in txs):,} events, {size(d.units)} units)"
        ratio = (
            f"{rate / D.rate(txs, 'raw_event_seconds'):.2f} of raw executemany, 1 row/event; "
            f"{rate / D.rate(txs, 'raw_same_seconds'):.3f} of the same rows"
        )
        bars.append(BARS["sqlite"].figure(value, rate >= SQLITE_RATE, ratio=ratio, quick=q))
    else:
        bars.append(BARS["sqlite"].failed())

    # Reopening.
    short = q or (d is not None and d.events < REOPEN_EVENTS)
    r = run.replay
    if r is not None:
        value = f"{r.seconds:.2f} s ({r.events:,} events, {r.rows:,} rows)"
        ok: bool | None = r.seconds <= REOPEN_SECONDS if q or not short else None
        bars.append(
            BARS["replay"].figure(value, ok, ratio=f"{n(r.events / r.seconds)} events/s", quick=q)
        )
    else:
        bars.append(BARS["replay"].failed())
    s = run.snap_full
    if s is not None and r is not None:
        value = f"{s.seconds:.2f} s (verify='full')"
        good = s.seconds <= REOPEN_SECONDS and _same(run) == "yes"
        ok = good if q or not short else None
        ratio = f"{r.seconds / s.seconds:.1f}× faster than replay; same state: {_same(run)}"
        bars.append(BARS["snapshot"].figure(value, ok, ratio=ratio, quick=q))
    else:
        bars.append(BARS["snapshot"].failed())
    if run.save_snapshot and run.snap_tail and run.verify:
        rows.append(
            Figure(
                "save_snapshot() / open from it, verify='tail' / verify_journal()",
                f"{run.save_snapshot[0]:.2f} s / {run.snap_tail.seconds:.2f} s / "
                f"{run.verify[0]:.2f} s",
            )
        )
    if r is not None:
        rows.append(Figure("reopen by replay, peak RSS", fmt_bytes(r.peak_rss)))


def _postgres(run: Run, bars: list[Figure], rows: list[Figure]) -> None:
    """PostgreSQL, informational (no bar)."""
    D = journal.DurableResult
    pg = run.pg.get("durable")
    if isinstance(pg, journal.DurableResult):
        txs = pg.select(bar=True)
        pg_rate = D.rate(txs)
        rows.append(
            Figure(
                "PostgreSQL bulk durable events/s (informational)",
                f"{n(pg_rate)}/s ({sum(t.events for t in txs):,} events, {size(pg.units)} units)",
                ratio=f"{pg_rate / D.rate(txs, 'raw_event_seconds'):.2f} of raw executemany, "
                f"1 row/event",
                verdict="info",
            )
        )
        single = pg.select(kind="submit")
        if single:
            rows.append(
                Figure(
                    "PostgreSQL single submit, one commit each (informational)",
                    f"{n(D.rate(single))}/s",
                    ratio=f"{D.rate(single) / D.rate(single, 'raw_same_seconds'):.2f} of raw",
                    verdict="info",
                )
            )
        replay, snap = run.pg.get("replay"), run.pg.get("snapshot")
        if isinstance(replay, journal.OpenResult) and isinstance(snap, journal.OpenResult):
            rows.append(
                Figure(
                    f"PostgreSQL reopen {replay.events:,} events: replay / snapshot (info)",
                    f"{replay.seconds:.2f} s / {snap.seconds:.2f} s",
                    verdict="info",
                )
            )
    elif "skipped" in run.pg:
        rows.append(Figure("PostgreSQL (informational)", "unreachable, skipped", verdict="info"))
    elif "failed" in run.pg:
        rows.append(Figure("PostgreSQL (informational)", str(run.pg["failed"]), verdict="info"))


def _durable_row(name: str, txs: list[journal.Tx]) -> Figure:
    D = journal.DurableResult
    rate = D.rate(txs)
    return Figure(
        name,
        f"{n(rate)} events/s ({sum(t.events for t in txs):,} events, "
        f"{sum(t.rows for t in txs):,} rows, {len(txs)} tx)",
        ratio=f"{rate / D.rate(txs, 'raw_event_seconds'):.2f} of raw 1 row/event; "
        f"{rate / D.rate(txs, 'raw_same_seconds'):.3f} of raw same rows",
    )


# -- main ----------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    sz = _pick(args)
    started = time.perf_counter()
    comp = compiled()
    sched = schedule(comp)
    shown = " ".join(sys.argv[1:] if argv is None else argv)
    _say(f"zyw_flow benchmarks — template {TEMPLATE} ({len(comp.steps)} steps per unit)")
    _say(f"command: python -m benchmarks {shown}".rstrip())
    for line in machine_info():
        _say(line)
    _say(
        f"quiet period {sched.quiet_start.isoformat()} → {sched.quiet_end.isoformat()}, then "
        f"the deadline of {', '.join(sched.deadline_steps)}; first escalation "
        f"{sched.escalation.isoformat()}"
    )
    _say(f"sizes: {sz}")
    _say("each measurement runs in a fresh interpreter (spawn); times are wall clock\n")
    run = Run(bool(args.quick))
    work = args.dir or Path(tempfile.mkdtemp(prefix="zyw-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        _measure_in_memory(run, sz)
        _measure_durable(run, sz, work)
        _measure_pg(run, sz, args)
        if args.profile:
            _profiles(sz)
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            journal.remove_db(work / "journal.db")
    _say("")
    title = f"zyw_flow — {TEMPLATE} — bars of issue 9 and figures"
    figures = _figures(run)
    print_table(title, figures)
    _say("verdicts:")
    for f in figures:
        if f.name.startswith("BAR "):
            _say(f"  {f.verdict:<13} {f.name[4:]}: {f.value} (bar {f.bar})")
    if args.markdown:
        _say("")
        print_markdown(figures)
        _say("")
    _say(f"load average after: {load()}; {time.perf_counter() - started:.0f} s in all")
    if run.quick:
        _say("(--quick: small sizes, a smoke test; the verdicts marked (quick) mean little)")
    if run.failures:
        _say(f"measurements that failed: {', '.join(run.failures)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
