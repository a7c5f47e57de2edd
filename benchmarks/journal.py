"""Journal benchmark: durable appends on SQLite and PostgreSQL, and reopening a campaign.

Run it as ``python -m benchmarks.journal [--quick] [--events 1000000] [--no-pg]``. It runs
the 2011 seed campaign ``zhiyong-2011`` and prints, in one run:

* **single events**: one public call = one transaction = one commit (``add_actor``,
  ``submit``, ``waive``), events per second and commit latency;
* **bulk events**: ``enroll_many`` of many units (one transaction, one ``enrolled`` row
  per unit) and daily ``tick`` calls that make every unit's step overdue or escalate it
  (one transaction each, one row per unit);
* the **ratio to raw ``sqlite3``** ``executemany`` of the very same rows into an
  equivalent table (``zyw_journal``'s own DDL: the same columns, primary key and indexes;
  WAL, ``synchronous=FULL``; the same transaction boundaries), measured in the same run;
* the same on **PostgreSQL** (skipped with a message if the server is unreachable), with
  a raw ``psycopg`` ``executemany`` baseline;
* the time to **reopen** a campaign of 10^6 journal rows by replaying it, and from a
  snapshot, each in a fresh interpreter; the time to verify its hash chain; its file size;
* a final table with PASS/FAIL against the bars, and a cProfile of any operation that
  misses its bar (``--profile`` profiles them all).

It never asserts: it measures.

Method:

* The journal of 10^6 rows is built with bulk calls only: ``enroll_many`` of ~6 % of the
  target in units (60,000 for 10^6) at the campaign's start, then ``tick`` day by day from
  the next day until the journal holds at least the target. Each unit gets a row per step
  deadline and per escalation level, so a busy day writes one row per unit and step.
* "Durable" means the call returned after ``COMMIT`` with SQLite in WAL mode and
  ``synchronous=FULL`` (the library's settings, read back from its connection), so each
  commit waits for ``fsync`` of the WAL. The files live in ``--dir`` (default: a fresh
  temporary directory), which should be on the disk a host would use, not a RAM disk.
* Times are wall clock (``time.perf_counter``) around the public call, so they include
  the library's own work (validation, events, hash chain) as well as the database.
* A bulk rate is the sum of rows over the sum of seconds of the bulk transactions of a
  kind (a tick that writes only its clock row is not bulk); the slowest one is shown too.
* The raw baseline reads back the library's rows right after each library transaction
  and inserts them into a fresh file in one transaction of its own (interleaved, so both
  see the same disk and the same load); its time covers ``BEGIN IMMEDIATE`` … ``COMMIT``.
* Reopening runs ``Campaign.open(db, use_snapshot=False)`` and, after ``save_snapshot()``,
  ``Campaign.open(db)`` in fresh interpreters (``multiprocessing`` *spawn*), with the file
  in the page cache (it was just written); the two states are compared.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import io
import math
import multiprocessing as mp
import os
import platform
import pstats
import resource
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

__all__ = ["main"]

TEMPLATE = "zhiyong-2011"
START = dt.date(2011, 9, 1)  # the campaign's first phase opens on this day
DEFAULT_EVENTS = 1_000_000
QUICK_EVENTS = 20_000
UNITS_PER_EVENT = 0.06  # 60,000 units reach 10^6 rows on the day the third escalation fires
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BULK_MIN_ROWS = 100  # a transaction with fewer rows is not counted as bulk

# The bars (from the issue).
BAR_BULK_EVENTS_PER_SECOND = 20_000
BAR_REOPEN_EVENTS = 1_000_000
BAR_REOPEN_SECONDS = 30.0
BAR_SNAPSHOT_SECONDS = 3.0


# Known hot spots: a function name found in a profile, and what to do about it.
HINTS: dict[str, str] = {
    "astuple": (
        "Row.fields() calls attrs.astuple (generic, recursive, per row); return the explicit "
        "tuple (self.seq, self.kind, …) or keep the raw database tuple and hash it directly"
    ),
    "chain_hash": (
        "chain_hash builds a JSON list with json.dumps(...) per row; reuse one "
        "json.JSONEncoder(ensure_ascii=False, separators=(',', ':')).encode, or hash a "
        "cheaper canonical form (a schema change: new rows only)"
    ),
    "iterencode": (
        "json encoding per row (chain_hash, canonical_data); reuse a prebuilt "
        "json.JSONEncoder, and skip canonical_data for rows without data"
    ),
    "raw_decode": (
        "_apply_row parses every row's data with json.loads; skip it for row types whose "
        "data replay does not need, or cache the parse of repeated texts"
    ),
    "_apply_row": "replay applies rows one by one in Python; batch rows of one type per tick",
    "fetchmany": "reading rows: fetch larger batches, or select only the columns replay needs",
    "executemany": "database time: larger transactions, or COPY on PostgreSQL",
    "_emit": (
        "one Event object per row is built even when nothing subscribes; build rows "
        "directly in bulk paths (_due, _level)"
    ),
    "_row": "per-row hashing and Row objects in _row; see chain_hash and astuple",
    "canonical_data": "json.dumps of the event data per row; cache texts of repeated data",
    "loads": "unpickling the snapshot (pickle.loads)",
}

T = TypeVar("T")


# -- helpers -------------------------------------------------------------------------------
def _fmt_rate(x: float) -> str:
    return f"{x:,.0f}/s" if math.isfinite(x) else "—"


def _fmt_bytes(n: int) -> str:
    x = float(n)
    for unit in ("B", "KiB", "MiB"):
        if abs(x) < 1024:
            return f"{x:,.0f} {unit}" if unit == "B" else f"{x:,.1f} {unit}"
        x /= 1024
    return f"{x:,.2f} GiB"


def _rate(rows: int, seconds: float) -> float:
    return rows / seconds if seconds > 0 else math.inf


def _spawned(fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a fresh interpreter and return its result."""
    with ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def _file_size(path: Path) -> int:
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def _profile(fn: Callable[[], object], top: int = 14) -> str:
    """cProfile ``fn``; the functions with the most own time, then a hint per hot spot."""
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    text = out.getvalue()
    raw: Any = stats.stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in raw.values()) or 1.0
    ranked = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)[:top]
    hints: list[tuple[str, str]] = []
    for (_file, _line, name), v in ranked:
        for key, hint in HINTS.items():
            hit = name == key or f"'{key}'" in name or name.endswith(f".{key}>")
            if hit and hint not in (h for _, h in hints):
                hints.append((f"{name} ({100 * v[2] / total:.0f}% own time)", hint))
    lines = [text.strip().split("\n\n", 1)[-1]]
    if hints:
        lines.append("suggested fixes:")
        lines.extend(f"  - {where}: {hint}" for where, hint in hints)
    return "\n".join(lines)


def _peak_rss() -> int:
    """This process's peak resident set (``VmHWM``; ``ru_maxrss`` would include the parent's
    peak in a forked-then-exec'd child)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _journal_rows(c: Any) -> int:
    """The number of the campaign's last journal row (events, actor and clock rows)."""
    return int(c.store.last()[0])


def _load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def _pragmas(db: sqlite3.Connection) -> str:
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    sync = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[
        db.execute("PRAGMA synchronous").fetchone()[0]
    ]
    return f"journal_mode={mode}, synchronous={sync}"


# -- raw baselines: the library's own rows, inserted right after each library call ----------
class Raw(Protocol):
    """An equivalent table written with plain ``INSERT``/``executemany``, one transaction each."""

    settings: str

    def fetch(self, first: int, last: int) -> list[tuple[Any, ...]]:
        """The library's rows ``first`` … ``last`` (not timed)."""

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> float:
        """Insert ``rows`` in one durable transaction; the seconds it took."""

    def close(self) -> None:
        """Close the connections and drop the table."""


class RawSQLite:
    """Raw ``sqlite3``: a fresh file, WAL, ``synchronous=FULL``, and a copy of the library's
    ``zyw_journal`` table (its ``CREATE TABLE`` and ``CREATE INDEX`` statements, read from
    the library's file, so the columns, key and indexes stay the same as the schema evolves).
    """

    def __init__(self, source: Path, path: Path) -> None:
        self.source = sqlite3.connect(source)
        self.path = path
        _remove_db(path)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        ddl = self.source.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = 'zyw_journal' AND sql IS NOT "
            "NULL ORDER BY type DESC"  # the table before its indexes
        ).fetchall()
        for _, sql in ddl:
            self.db.execute(str(sql).replace("zyw_journal", "raw_journal"))
        self.columns = [r[1] for r in self.db.execute("PRAGMA table_info(raw_journal)")]
        marks = ", ".join("?" * len(self.columns))
        self.sql = f"INSERT INTO raw_journal ({', '.join(self.columns)}) VALUES ({marks})"
        indexes = sum(1 for kind, _ in ddl if kind == "index")
        self.settings = (
            f"{_pragmas(self.db)}; table: {len(self.columns)} columns, primary key"
            + (f", {indexes} more index(es)" if indexes else "")
            + " as zyw_journal"
        )

    def fetch(self, first: int, last: int) -> list[tuple[Any, ...]]:
        return self.source.execute(
            f"SELECT {', '.join(self.columns)} FROM zyw_journal WHERE seq BETWEEN ? AND ? "
            "ORDER BY seq",
            [first, last],
        ).fetchall()

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> float:
        db = self.db
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        if len(rows) == 1:
            db.execute(self.sql, rows[0])
        else:
            db.executemany(self.sql, rows)
        db.execute("COMMIT")
        return time.perf_counter() - t0

    def close(self) -> None:
        self.source.close()
        self.db.close()
        _remove_db(self.path)


class RawPostgres:
    """Raw ``psycopg``: ``CREATE TABLE … (LIKE zyw_journal INCLUDING ALL)`` (the same
    columns, key and indexes), dropped afterwards."""

    def __init__(self, url: str, campaign: str, table: str) -> None:
        import psycopg

        self.campaign = campaign
        self.table = table
        self.source = psycopg.connect(url, autocommit=True)
        self.db = psycopg.connect(url, autocommit=True)
        self.db.execute(f"DROP TABLE IF EXISTS {table}")
        self.db.execute(f"CREATE TABLE {table} (LIKE zyw_journal INCLUDING ALL)")
        self.columns = [
            str(r[0])
            for r in self.db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        marks = ", ".join(["%s"] * len(self.columns))
        self.sql = f"INSERT INTO {table} ({', '.join(self.columns)}) VALUES ({marks})"
        self.settings = f"table: {len(self.columns)} columns, LIKE zyw_journal INCLUDING ALL"

    def fetch(self, first: int, last: int) -> list[tuple[Any, ...]]:
        return self.source.execute(
            f"SELECT {', '.join(self.columns)} FROM zyw_journal WHERE campaign = %s "
            "AND seq BETWEEN %s AND %s ORDER BY seq",
            [self.campaign, first, last],
        ).fetchall()

    def insert(self, rows: Sequence[tuple[Any, ...]]) -> float:
        t0 = time.perf_counter()
        with self.db.transaction(), self.db.cursor() as cur:
            if len(rows) == 1:
                cur.execute(self.sql, rows[0])
            else:
                cur.executemany(self.sql, rows)
        return time.perf_counter() - t0

    def close(self) -> None:
        self.db.execute(f"DROP TABLE IF EXISTS {self.table}")
        self.source.close()
        self.db.close()


# -- the library: single events ------------------------------------------------------------
@dataclass
class SingleResult:
    """Calls that each write one row in their own transaction, and the raw inserts."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    raw: list[float] = field(default_factory=list)
    rows: int = 0
    settings: str = ""
    raw_settings: str = ""

    def rate(self, kind: str | None = None) -> float:
        lat = (
            [x for v in self.latencies.values() for x in v]
            if kind is None
            else self.latencies[kind]
        )
        return _rate(len(lat), sum(lat))

    @property
    def raw_rate(self) -> float:
        return _rate(len(self.raw), sum(self.raw))


def run_single(store: str | Path, units: int, make_raw: Callable[[], Raw]) -> SingleResult:
    """Register a member per unit, then a submit and a waive per unit: one commit each.

    After each call its row is read back and inserted raw (interleaved, so that both see
    the same disk and the same load).
    """
    from zyw_flow import Campaign

    c = Campaign.create_stored(store, TEMPLATE)
    raw = make_raw()
    try:
        c.add_actor("office", roles=["office"])
        c.enroll_many(({"id": f"u{i}"} for i in range(units)), at=START.isoformat())
        result = SingleResult(raw_settings=raw.settings)
        db = getattr(c.store, "_db", None)
        if isinstance(db, sqlite3.Connection):
            result.settings = _pragmas(db)
        base = dt.datetime(2011, 9, 2, 9, 0)
        calls: list[tuple[str, Callable[[int], object]]] = [
            ("add_actor", lambda i: c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")),
            (
                "submit",
                lambda i: c.submit(
                    f"u{i}", "work_plan", actor=f"clerk-{i}", at=base + dt.timedelta(seconds=i)
                ),
            ),
            (
                "waive",
                lambda i: c.waive(
                    f"u{i}",
                    "themed_study",
                    actor="office",
                    at=base + dt.timedelta(hours=1, seconds=i),
                ),
            ),
        ]
        for kind, call in calls:
            lat = result.latencies.setdefault(kind, [])
            for i in range(units):
                before = _journal_rows(c)
                t0 = time.perf_counter()
                call(i)
                lat.append(time.perf_counter() - t0)
                after = _journal_rows(c)
                result.rows += after - before
                result.raw.append(raw.insert(raw.fetch(before + 1, after)))
        if result.rows != 3 * units:  # every call writes exactly one row
            print(f"  note: {3 * units} calls wrote {result.rows} rows")
    finally:
        raw.close()
        c.close()
    return result


# -- the library: bulk events --------------------------------------------------------------
@dataclass
class Tx:
    """One transaction of the build: what wrote it, its rows (first … last), its time, and
    the time of the same rows inserted raw in one transaction."""

    kind: str
    first: int
    last: int
    seconds: float
    raw_seconds: float
    label: str = ""

    @property
    def rows(self) -> int:
        return self.last - self.first + 1


@dataclass
class BuildResult:
    units: int
    txs: list[Tx]
    rows: int
    seconds: float
    raw_settings: str = ""
    peak_rss: int = 0

    def bulk(self, kind: str) -> list[Tx]:
        return [t for t in self.txs if t.kind == kind and t.rows >= BULK_MIN_ROWS]

    def rate(self, kind: str) -> float:
        txs = self.bulk(kind)
        return _rate(sum(t.rows for t in txs), sum(t.seconds for t in txs))

    def raw_rate(self, kind: str) -> float:
        txs = self.bulk(kind)
        return _rate(sum(t.rows for t in txs), sum(t.raw_seconds for t in txs))

    def slowest(self, kind: str) -> Tx | None:
        txs = self.bulk(kind)
        return min(txs, key=lambda t: t.rows / t.seconds) if txs else None


def build(
    store: str | Path,
    units: int,
    target: int,
    make_raw: Callable[[], Raw],
    *,
    progress: bool = True,
) -> BuildResult:
    """A campaign of ``units`` units ticked day by day until the journal has ``target`` rows.

    After each transaction its rows are read back and inserted raw in one transaction.
    """
    from zyw_flow import Campaign

    rows_in = [{"id": f"u{i}", "name": f"单位{i}", "parent": None} for i in range(units)]
    c = Campaign.create_stored(store, TEMPLATE)
    raw = make_raw()
    txs: list[Tx] = []
    elapsed = 0.0

    def timed(kind: str, label: str, call: Callable[[], object]) -> Tx:
        nonlocal elapsed
        first = _journal_rows(c) + 1
        t0 = time.perf_counter()
        call()
        seconds = time.perf_counter() - t0
        elapsed += seconds
        last = _journal_rows(c)
        tx = Tx(kind, first, last, seconds, raw.insert(raw.fetch(first, last)), label)
        txs.append(tx)
        if progress and tx.rows >= BULK_MIN_ROWS:
            print(
                f"    {kind} {label}: {tx.rows:>9,} rows in {tx.seconds:6.2f} s "
                f"({_fmt_rate(tx.rows / tx.seconds)}; raw {_fmt_rate(tx.rows / tx.raw_seconds)})"
                f"; journal {last:,} rows",
                flush=True,
            )
        return tx

    try:
        timed(
            "enroll_many", START.isoformat(), lambda: c.enroll_many(rows_in, at=START.isoformat())
        )
        rows_in.clear()  # free the input, as a host would
        day = START
        while _journal_rows(c) < target:
            day += dt.timedelta(days=1)
            timed("tick", day.isoformat(), lambda: c.tick(day.isoformat()))  # noqa: B023
            if day > START + dt.timedelta(days=400):
                print("  note: the journal stopped growing before the target")
                break
        total = _journal_rows(c)
    finally:
        raw.close()
        c.close()
    peak = _peak_rss()
    return BuildResult(units, txs, total, elapsed, raw.settings, peak)


# -- reopening (each in a fresh interpreter) ----------------------------------------------
@dataclass
class OpenResult:
    seconds: float
    rows: int  # journal rows
    events: int  # the campaign's cursor
    units: int
    digest: str
    peak_rss: int
    profile: str = ""


def _state_digest(c: Any) -> str:
    import hashlib

    board = c.board()
    text = repr((c.cursor, len(c), c.now, c.phase, board.statuses, board.phases))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def task_open(store: str, use_snapshot: bool, profile: bool, verify: str = "full") -> OpenResult:
    """Reopen the campaign (in a fresh interpreter); optionally under cProfile."""
    # the imports are not part of reopening
    import zyw_flow.runtime
    import zyw_flow.store  # noqa: F401
    from zyw_flow import Campaign

    t0 = time.perf_counter()
    c = Campaign.open(store, use_snapshot=use_snapshot, verify=verify)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    result = OpenResult(
        seconds,
        _journal_rows(c),
        c.cursor,
        len(c),
        _state_digest(c),
        _peak_rss(),
    )
    c.close()
    if profile:
        holder: list[Any] = []
        result.profile = _profile(
            lambda: holder.append(
                Campaign.open(store, use_snapshot=use_snapshot, verify=verify)  # type: ignore[arg-type]
            )
        )
        holder[0].close()
    return result


def task_snapshot(store: str) -> tuple[float, int]:
    """Open (from the journal), then time ``save_snapshot()``; the seconds and its row."""
    from zyw_flow import Campaign

    c = Campaign.open(store, use_snapshot=False)
    t0 = time.perf_counter()
    seq = c.save_snapshot()
    seconds = time.perf_counter() - t0
    c.close()
    return seconds, seq


def task_verify(store: str) -> tuple[float, str]:
    """Open from the snapshot, then time ``verify()`` over the whole chain."""
    from zyw_flow import Campaign

    c = Campaign.open(store)
    t0 = time.perf_counter()
    report = c.verify_journal()
    seconds = time.perf_counter() - t0
    c.close()
    return seconds, str(report)


def task_profile_bulk(store: str, units: int) -> str:
    """Profile ``enroll_many`` of ``units`` and the busiest ticks, on a fresh journal."""
    from zyw_flow import Campaign

    c = Campaign.create_stored(store, TEMPLATE)
    rows = [{"id": f"u{i}", "name": f"单位{i}", "parent": None} for i in range(units)]

    def work() -> None:
        c.enroll_many(rows, at=START.isoformat())
        c.tick("2011-09-22")

    text = _profile(work)
    c.close()
    return text


# -- PostgreSQL -----------------------------------------------------------------------------
def pg_reachable(url: str) -> str | None:
    """``None`` if the server answers, else why not."""
    try:
        import psycopg
    except ImportError as exc:
        return f"psycopg is not installed ({exc})"
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]
    return None


def pg_settings(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        names = ("server_version", "synchronous_commit", "fsync", "wal_sync_method")
        values = [str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names]  # type: ignore[index]
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))


def pg_cleanup(url: str, campaigns: Sequence[str], table: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("zyw_journal", "zyw_meta", "zyw_snapshot"):
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"DELETE FROM {name} WHERE campaign = ANY(%s)", [list(campaigns)])
        conn.execute(f"DROP TABLE IF EXISTS {table}")


# -- reporting --------------------------------------------------------------------------------
@dataclass
class Bar:
    name: str
    measured: str
    bar: str
    ok: bool
    note: str = ""


def _print_single(res: SingleResult) -> float:
    for kind, lat in res.latencies.items():
        ms = sorted(x * 1000 for x in lat)
        p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
        print(
            f"  {kind:<10} {len(lat):>6} calls  {_fmt_rate(res.rate(kind)):>10}   "
            f"latency median {statistics.median(ms):6.2f} ms, p99 {p99:6.2f} ms"
        )
    lib, raw = res.rate(), res.raw_rate
    raw_ms = statistics.median(res.raw) * 1000
    print(
        f"  all        {res.rows:>6} rows   {_fmt_rate(lib):>10}   raw INSERT + COMMIT per row, "
        f"interleaved: {_fmt_rate(raw)} (median {raw_ms:.2f} ms); library/raw = {lib / raw:.2f}"
    )
    return lib / raw


def _print_bulk(res: BuildResult) -> dict[str, float]:
    ratios: dict[str, float] = {}
    for kind in ("enroll_many", "tick"):
        txs = res.bulk(kind)
        if not txs:
            continue
        rows = sum(t.rows for t in txs)
        lib, raw = res.rate(kind), res.raw_rate(kind)
        slow = res.slowest(kind)
        ratios[kind] = lib / raw
        print(
            f"  {kind:<11} {len(txs):>3} tx, {rows:>9,} rows  {_fmt_rate(lib):>10}"
            + (f"  (slowest tx {_fmt_rate(slow.rows / slow.seconds)})" if slow else "")
        )
        print(
            f"  {'':<11} raw executemany of the same rows, same transactions: "
            f"{_fmt_rate(raw)}; library/raw = {lib / raw:.2f} (raw is {raw / lib:.1f}× faster)"
        )
    quiet = [t for t in res.txs if t.rows < BULK_MIN_ROWS]
    if quiet:
        secs = sorted(t.seconds * 1000 for t in quiet)
        print(
            f"  quiet ticks {len(quiet)} (clock row only): median {statistics.median(secs):.2f} ms"
        )
    return ratios


# -- main -------------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m benchmarks.journal",
        description=(__doc__ or "").split("\n\n")[0],
    )
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    ap.add_argument("--events", type=int, help="journal rows to build and reopen (10^6)")
    ap.add_argument("--single", type=int, help="units in the single-call run (3 calls each)")
    ap.add_argument("--pg-events", type=int, help="journal rows on PostgreSQL (default --events)")
    ap.add_argument("--no-pg", action="store_true", help="skip PostgreSQL")
    ap.add_argument("--pg-url", default=os.environ.get("ZYW_FLOW_PG_URL", DEFAULT_PG_URL))
    ap.add_argument("--dir", type=Path, help="where the SQLite files go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the SQLite files")
    ap.add_argument("--profile", action="store_true", help="profile every measured operation")
    args = ap.parse_args(argv)

    events = args.events or (QUICK_EVENTS if args.quick else DEFAULT_EVENTS)
    single = args.single or (50 if args.quick else 1000)
    pg_events = args.pg_events or (min(events, 10_000) if args.quick else events)
    pg_single = max(10, single // 5)
    units = math.ceil(events * UNITS_PER_EVENT)
    pg_units = math.ceil(pg_events * UNITS_PER_EVENT)

    work = args.dir or Path(tempfile.mkdtemp(prefix="zyw-journal-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    bars: list[Bar] = []
    import zyw_flow

    shown = " ".join(sys.argv[1:] if argv is None else argv)
    print("zyw_flow journal benchmark")
    print(f"  command: python -m benchmarks.journal {shown}".rstrip())
    print(
        f"  Python {platform.python_version()} ({platform.python_implementation()}), "
        f"SQLite {sqlite3.sqlite_version}, zyw_flow {getattr(zyw_flow, '__version__', '?')}"
    )
    print(f"  {platform.platform()}, {os.cpu_count()} CPU(s), load average {_load()}")
    print(f"  files in {work}; template {TEMPLATE}")
    print()

    # -- SQLite: single events ------------------------------------------------------------
    single_db = work / "single.db"
    _remove_db(single_db)
    print(f"SQLite, single events: {single} units × (add_actor, submit, waive), one commit each")
    sres = run_single(single_db, single, lambda: RawSQLite(single_db, work / "raw-single.db"))
    print(f"  library connection: {sres.settings}; raw connection: {sres.raw_settings}")
    single_ratio = _print_single(sres)
    print()

    # -- SQLite: bulk build of the journal -------------------------------------------------
    big_db = work / f"journal-{events}.db"
    _remove_db(big_db)
    print(f"SQLite, bulk: enroll_many of {units:,} units, then a tick a day until {events:,} rows")
    bres = build(big_db, units, events, lambda: RawSQLite(big_db, work / "raw-bulk.db"))
    print(
        f"  built {bres.rows:,} rows in {bres.seconds:.1f} s of library calls; peak RSS "
        f"{_fmt_bytes(bres.peak_rss)}; raw connection: {bres.raw_settings}"
    )
    ratios = _print_bulk(bres)
    size = _file_size(big_db)
    print(
        f"  journal file: {_fmt_bytes(size)} for {bres.rows:,} rows "
        f"({size / max(1, bres.rows):.0f} B/row)"
    )
    for kind in ("enroll_many", "tick"):
        lib = bres.rate(kind)
        bars.append(
            Bar(
                f"SQLite bulk {kind}, durable",
                _fmt_rate(lib),
                f"≥ {BAR_BULK_EVENTS_PER_SECOND:,}/s",
                lib >= BAR_BULK_EVENTS_PER_SECOND,
                f"library/raw {ratios.get(kind, math.nan):.2f}",
            )
        )
    print()

    # -- SQLite: reopening -----------------------------------------------------------------
    print(f"SQLite, reopening the campaign of {bres.rows:,} rows (fresh interpreters)")
    replay = _spawned(task_open, str(big_db), False, args.profile)
    print(
        f"  Campaign.open(db, use_snapshot=False): {replay.seconds:6.2f} s "
        f"({replay.rows / replay.seconds:,.0f} rows/s), peak RSS {_fmt_bytes(replay.peak_rss)}"
    )
    snap_s, snap_seq = _spawned(task_snapshot, str(big_db))
    size_snap = _file_size(big_db)
    print(
        f"  save_snapshot() after row {snap_seq:,}: {snap_s:.2f} s; file now "
        f"{_fmt_bytes(size_snap)} (+{_fmt_bytes(size_snap - size)})"
    )
    full = _spawned(task_open, str(big_db), True, args.profile, "full")
    print(
        f"  Campaign.open(db) from the snapshot, whole chain checked (verify='full'): "
        f"{full.seconds:6.2f} s, peak RSS {_fmt_bytes(full.peak_rss)}"
    )
    fromsnap = _spawned(task_open, str(big_db), True, args.profile, "tail")
    print(
        f"  Campaign.open(db, verify='tail') from the snapshot:   {fromsnap.seconds:6.2f} s, "
        f"peak RSS {_fmt_bytes(fromsnap.peak_rss)}"
    )
    same = (
        replay.digest == fromsnap.digest == full.digest
        and replay.rows == fromsnap.rows == full.rows
    )
    print(
        f"  same state both ways: {'yes' if same else 'NO'} ({replay.rows:,} rows, "
        f"{replay.events:,} events, {replay.units:,} units)"
    )
    ver_s, ver_text = _spawned(task_verify, str(big_db))
    print(f"  verify(): {ver_s:.2f} s — {ver_text}")
    short = "" if bres.rows >= BAR_REOPEN_EVENTS else f"(only {bres.rows:,} rows)"
    bars.append(
        Bar(
            f"reopen {bres.rows:,} rows, replay",
            f"{replay.seconds:.2f} s",
            f"≤ {BAR_REOPEN_SECONDS:g} s",
            replay.seconds <= BAR_REOPEN_SECONDS,
            short,
        )
    )
    bars.append(
        Bar(
            f"reopen {bres.rows:,} rows, snapshot (verify='tail')",
            f"{fromsnap.seconds:.2f} s",
            f"≤ {BAR_SNAPSHOT_SECONDS:g} s",
            fromsnap.seconds <= BAR_SNAPSHOT_SECONDS and same,
            f"{short} {'' if same else 'the state differs!'}".strip(),
        )
    )
    print()

    # -- PostgreSQL -------------------------------------------------------------------------
    if args.no_pg:
        print("PostgreSQL: skipped (--no-pg)")
    elif (why := pg_reachable(args.pg_url)) is not None:
        print(f"PostgreSQL: skipped — {args.pg_url} is unreachable: {why}")
    else:
        run_pg(args.pg_url, pg_single, pg_units, pg_events, args.profile)
    print()

    # -- profiles of what missed its bar ----------------------------------------------------
    if args.profile or any(not b.ok for b in bars if b.name.startswith("SQLite bulk")):
        prof_db = work / "profile.db"
        _remove_db(prof_db)
        n = min(units, 20_000)
        print(f"cProfile: enroll_many of {n:,} units + tick to 2011-09-22 (SQLite)")
        print(_spawned(task_profile_bulk, str(prof_db), n))
        _remove_db(prof_db)
        print()
    for res, use_snapshot, bar, what in (
        (replay, False, BAR_REOPEN_SECONDS, "Campaign.open(db, use_snapshot=False)"),
        (fromsnap, True, BAR_SNAPSHOT_SECONDS, "Campaign.open(db) from the snapshot"),
    ):
        if args.profile or res.seconds > bar:
            profile = res.profile or _spawned(task_open, str(big_db), use_snapshot, True).profile
            print(f"cProfile: {what}")
            print(profile)
            print()

    # -- the bars ---------------------------------------------------------------------------------
    print(f"Bars (load average now {_load()})")
    w = max(len(b.name) for b in bars)
    print(f"  {'measure':<{w}}  {'measured':>12}  {'bar':>12}  result")
    for b in bars:
        print(
            f"  {b.name:<{w}}  {b.measured:>12}  {b.bar:>12}  "
            f"{'PASS' if b.ok else 'FAIL'}{'  ' + b.note if b.note else ''}"
        )
    print(
        f"  single events (no bar): {_fmt_rate(sres.rate())} durable commits, "
        f"library/raw {single_ratio:.2f}"
    )
    if bres.rows < BAR_REOPEN_EVENTS:
        print(
            f"  note: the reopen bars are defined at {BAR_REOPEN_EVENTS:,} rows; this run "
            f"built {bres.rows:,} (--quick or --events)"
        )

    if args.keep:
        print(f"files kept in {work}")
    elif args.dir is None:
        shutil.rmtree(work, ignore_errors=True)
    else:
        for p in (single_db, big_db):
            _remove_db(p)
    return 0


def run_pg(url: str, single: int, units: int, events: int, profile: bool) -> None:
    """The single and bulk runs, and reopening, on PostgreSQL; then clean up."""
    tag = f"bench-journal-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    single_c, big_c = f"{tag}-single", f"{tag}-bulk"
    table = f"zyw_bench_raw_{os.getpid()}"
    sep = "&" if "?" in url else "?"
    try:
        print(f"PostgreSQL ({pg_settings(url)})")
        print(f"  campaigns {single_c}, {big_c} and table {table} (deleted afterwards)")
        print(f"  single events: {single} units × (add_actor, submit, waive), one commit each")
        sres = run_single(
            f"{url}{sep}campaign={single_c}", single, lambda: RawPostgres(url, single_c, table)
        )
        _print_single(sres)
        print(f"  bulk: enroll_many of {units:,} units, then a tick a day until {events:,} rows")
        store = f"{url}{sep}campaign={big_c}"
        bres = build(store, units, events, lambda: RawPostgres(url, big_c, table), progress=False)
        print(
            f"  built {bres.rows:,} rows in {bres.seconds:.1f} s of library calls; raw "
            f"{bres.raw_settings}"
        )
        _print_bulk(bres)
        replay = _spawned(task_open, store, False, profile)
        snap_s, _ = _spawned(task_snapshot, store)
        fromsnap = _spawned(task_open, store, True, profile)
        print(
            f"  Campaign.open(url, use_snapshot=False): {replay.seconds:6.2f} s "
            f"({replay.rows / replay.seconds:,.0f} rows/s)"
        )
        print(
            f"  save_snapshot(): {snap_s:.2f} s; Campaign.open(url) from the snapshot: "
            f"{fromsnap.seconds:.2f} s; same state: "
            f"{'yes' if replay.digest == fromsnap.digest else 'NO'}"
        )
        for res, what in ((replay, "replay"), (fromsnap, "snapshot")):
            if res.profile:
                print(f"  cProfile: open from PostgreSQL ({what})")
                print(res.profile)
    finally:
        pg_cleanup(url, [single_c, big_c], table)


if __name__ == "__main__":
    raise SystemExit(main())
