"""Durable measurements: bulk writes to a stored campaign (SQLite, PostgreSQL), raw
``executemany`` baselines interleaved with them, and reopening the journal.

Each ``task_*`` function runs in a fresh interpreter; ``python -m benchmarks`` prints them.
"Durable" means the call returned after ``COMMIT``: SQLite in WAL mode with
``synchronous=FULL`` (the library's settings, so each commit waits for ``fsync``),
PostgreSQL with the server's ``synchronous_commit``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from benchmarks._harness import TEMPLATE, compiled, peak_rss, schedule, unit_rows

__all__ = [
    "DEFAULT_PG_URL",
    "DurableResult",
    "OpenResult",
    "Tx",
    "file_size",
    "pg_cleanup",
    "pg_reachable",
    "pg_settings",
    "pg_store",
    "remove_db",
    "task_durable",
    "task_open",
    "task_snapshot",
    "task_verify",
]

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
START = dt.date(2011, 9, 1)  # the campaign's first phase opens on this day
_FAKE_HASH = "0" * 64
_CHUNK = 50_000


def remove_db(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        with contextlib.suppress(FileNotFoundError):
            Path(f"{path}{suffix}").unlink()


def file_size(path: Path) -> int:
    return sum(
        Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()
    )


def _rows_of(c: Any) -> int:
    """The number of the campaign's last journal row (event, actor and clock rows)."""
    return int(c.store.last()[0])


# -- raw baselines ------------------------------------------------------------------------------
class Raw(Protocol):
    """Tables of the journal's own definition, written with plain ``executemany``."""

    settings: str
    columns: list[str]
    campaign: str

    def fetch(self, first: int, last: int) -> list[tuple[Any, ...]]:
        """The library's rows ``first`` … ``last`` (not timed)."""

    def insert(self, table: str, chunks: Iterable[Sequence[tuple[Any, ...]]]) -> float:
        """Insert the rows of ``chunks`` into ``table`` in one durable transaction; the
        seconds of ``BEGIN``, each ``executemany`` and ``COMMIT`` (building a chunk is not
        timed)."""

    def close(self) -> None:
        """Close the connections and drop the tables."""


RAW_TABLES = ("raw_same", "raw_event")


class RawSQLite:
    """Raw ``sqlite3`` in a fresh file: WAL, ``synchronous=FULL``, two copies of the
    library's ``zyw_journal`` table (its ``CREATE`` statements, read from the library's file,
    so the columns, key and indexes follow the schema)."""

    def __init__(self, source: Path, path: Path) -> None:
        self.source = sqlite3.connect(source)
        self.path = path
        self.campaign = str(self.source.execute("SELECT campaign FROM zyw_meta").fetchone()[0])
        remove_db(path)
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        ddl = self.source.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'zyw_journal' AND sql IS "
            "NOT NULL ORDER BY type DESC"  # the table before its indexes
        ).fetchall()
        for table in RAW_TABLES:
            for _, _, sql in ddl:
                self.db.execute(str(sql).replace("zyw_journal", table))
        self.columns = [r[1] for r in self.db.execute("PRAGMA table_info(raw_same)")]
        mode = self.db.execute("PRAGMA journal_mode").fetchone()[0]
        sync = self.db.execute("PRAGMA synchronous").fetchone()[0]
        indexes = sum(1 for kind, _, _ in ddl if kind == "index")
        self.settings = (
            f"journal_mode={mode}, synchronous={'FULL' if sync == 2 else sync}; "
            f"{len(self.columns)} columns, primary key, {indexes} more index(es) as zyw_journal"
        )

    def fetch(self, first: int, last: int) -> list[tuple[Any, ...]]:
        return self.source.execute(
            f"SELECT {', '.join(self.columns)} FROM zyw_journal WHERE seq BETWEEN ? AND ? "
            "ORDER BY seq",
            [first, last],
        ).fetchall()

    def insert(self, table: str, chunks: Iterable[Sequence[tuple[Any, ...]]]) -> float:
        marks = ", ".join("?" * len(self.columns))
        sql = f"INSERT INTO {table} ({', '.join(self.columns)}) VALUES ({marks})"
        db = self.db
        t0 = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        spent = time.perf_counter() - t0
        for chunk in chunks:
            t0 = time.perf_counter()
            db.executemany(sql, chunk)
            spent += time.perf_counter() - t0
        t0 = time.perf_counter()
        db.execute("COMMIT")
        return spent + time.perf_counter() - t0

    def close(self) -> None:
        self.source.close()
        self.db.close()
        remove_db(self.path)


class RawPostgres:
    """Raw ``psycopg``: two tables ``LIKE zyw_journal INCLUDING ALL``, dropped afterwards."""

    def __init__(self, url: str, campaign: str) -> None:
        import psycopg

        self.campaign = campaign
        self.tag = f"{os.getpid()}"
        self.source = psycopg.connect(url, autocommit=True)
        self.db = psycopg.connect(url, autocommit=True)
        for table in RAW_TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {table}_{self.tag}")
            self.db.execute(f"CREATE TABLE {table}_{self.tag} (LIKE zyw_journal INCLUDING ALL)")
        self.columns = [
            str(r[0])
            for r in self.db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "ORDER BY ordinal_position",
                [f"raw_same_{self.tag}"],
            ).fetchall()
        ]
        self.settings = f"{len(self.columns)} columns, LIKE zyw_journal INCLUDING ALL"

    def fetch(self, first: int, last: int) -> list[tuple[Any, ...]]:
        return self.source.execute(
            f"SELECT {', '.join(self.columns)} FROM zyw_journal WHERE campaign = %s "
            "AND seq BETWEEN %s AND %s ORDER BY seq",
            [self.campaign, first, last],
        ).fetchall()

    def insert(self, table: str, chunks: Iterable[Sequence[tuple[Any, ...]]]) -> float:
        marks = ", ".join(["%s"] * len(self.columns))
        sql = f"INSERT INTO {table}_{self.tag} ({', '.join(self.columns)}) VALUES ({marks})"
        with self.db.cursor() as cur:
            t0 = time.perf_counter()
            cur.execute("BEGIN")
            spent = time.perf_counter() - t0
            for chunk in chunks:
                t0 = time.perf_counter()
                cur.executemany(sql, chunk)
                spent += time.perf_counter() - t0
            t0 = time.perf_counter()
            cur.execute("COMMIT")
        return spent + time.perf_counter() - t0

    def close(self) -> None:
        for table in RAW_TABLES:
            self.db.execute(f"DROP TABLE IF EXISTS {table}_{self.tag}")
        self.source.close()
        self.db.close()


def _per_event_rows(
    raw: Raw, rows: Sequence[tuple[Any, ...]], events: int, start: int
) -> Iterator[list[tuple[Any, ...]]]:
    """One plain row per event, as a journal without batch records writes them (the
    columns of the library's first event row of the call, a unit id, a hash, no data),
    in chunks of ``_CHUNK`` rows."""
    cols = raw.columns
    kind = cols.index("kind")
    template = next((r for r in rows if r[kind] == "event"), None)
    if template is None:
        return
    seq, eseq, unit = cols.index("seq"), cols.index("eseq"), cols.index("unit")
    data, count, hash_ = cols.index("data"), cols.index("n"), cols.index("hash")
    base = list(template)
    base[data], base[count], base[hash_] = None, 1, _FAKE_HASH
    for first in range(0, events, _CHUNK):
        chunk = []
        for k in range(first, min(events, first + _CHUNK)):
            row = base.copy()
            row[seq] = row[eseq] = start + k
            row[unit] = f"u{k}"
            chunk.append(tuple(row))
        yield chunk


# -- the durable bulk run --------------------------------------------------------------------------
@dataclass
class Tx:
    """One library call (one transaction), and the raw inserts that followed it."""

    kind: str  # enroll_many, submit_many, submit, tick
    label: str
    rows: int
    events: int
    seconds: float
    raw_same_seconds: float = 0.0  # the library's own rows, inserted raw
    raw_event_seconds: float = 0.0  # one plain row per event, inserted raw
    bar: bool = False  # part of the bulk bar (enroll_many, submit_many, the deadline tick)


@dataclass
class DurableResult:
    units: int
    submitters: int
    single: int
    actors_seconds: float
    txs: list[Tx] = field(default_factory=list)
    rows: int = 0
    events: int = 0
    peak_rss: int = 0
    raw_settings: str = ""

    def select(self, *, bar: bool | None = None, kind: str | None = None) -> list[Tx]:
        return [
            t
            for t in self.txs
            if (bar is None or t.bar == bar) and (kind is None or t.kind == kind)
        ]

    @staticmethod
    def rate(txs: Sequence[Tx], what: str = "seconds") -> float:
        seconds = sum(getattr(t, what) for t in txs)
        return sum(t.events for t in txs) / seconds if seconds > 0 else float("nan")


def task_durable(
    store: str, units: int, submitters: int, single: int, target: int, raw_url: str | None
) -> DurableResult:
    """A stored campaign: ``enroll_many`` of ``units``; ``single`` submits of one step, one
    call (one commit) each; ``submit_many`` of another step for ``submitters`` units; the
    deadline tick of the first step over all units; then a tick a day until the journal
    holds ``target`` events. After each library call its rows are
    inserted raw (``raw_url``: a PostgreSQL URL, else a fresh SQLite file beside ``store``).
    """
    from zyw_flow import Campaign

    comp = compiled()
    sched = schedule(comp)
    work, other = sched.deadline_steps[0], sched.other_step
    c = Campaign.create_stored(store, TEMPLATE)
    raw: Raw = (
        RawPostgres(raw_url, c.store.campaign)  # type: ignore[union-attr]
        if raw_url
        else RawSQLite(Path(store), Path(f"{store}.raw"))
    )
    res = DurableResult(units, submitters, single, 0.0, raw_settings=raw.settings)
    try:

        def timed(kind: str, label: str, call: Callable[[], object], *, bar: bool) -> Tx:
            first, cursor = _rows_of(c) + 1, c.cursor
            t0 = time.perf_counter()
            call()
            seconds = time.perf_counter() - t0
            last = _rows_of(c)
            tx = Tx(kind, label, last - first + 1, c.cursor - cursor, seconds, bar=bar)
            same = raw.fetch(first, last)
            tx.raw_same_seconds = raw.insert("raw_same", [same])
            per_event = _per_event_rows(raw, same, tx.events, cursor + 1)
            tx.raw_event_seconds = raw.insert("raw_event", per_event)
            res.txs.append(tx)
            return tx

        rows = unit_rows(units)
        at = sched.quiet_start
        timed("enroll_many", f"{units:,} units", lambda: c.enroll_many(rows, at=at), bar=True)
        rows.clear()  # free the input, as a host would
        c.add_actor("office", roles=["office"])
        t0 = time.perf_counter()
        for i in range(max(single, submitters)):
            c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")
        res.actors_seconds = time.perf_counter() - t0
        step = dt.timedelta(seconds=1)
        for i in range(single):
            when = at + step * (i + 1)
            timed(
                "submit",
                "",
                lambda i=i, when=when: c.submit(f"u{i}", work, actor=f"clerk-{i}", at=when),  # type: ignore[misc]
                bar=False,
            )
        ids = [f"u{i}" for i in range(submitters)]
        who = {u: f"clerk-{u[1:]}" for u in ids}
        when = at + step * (single + 1)
        timed(
            "submit_many",
            f"{len(ids):,} units",
            lambda: c.submit_many(ids, other, actor=who, at=when),
            bar=True,
        )
        timed("tick", f"deadline of {work}", lambda: c.tick(sched.deadline), bar=True)
        day = sched.deadline.date()
        while c.cursor < target and day < START + dt.timedelta(days=400):
            day += dt.timedelta(days=1)
            text = day.isoformat()
            timed("tick", text, lambda text=text: c.tick(text), bar=False)  # type: ignore[misc]
        res.rows, res.events = _rows_of(c), c.cursor
    finally:
        raw.close()
        c.close()
    res.txs = [t for t in res.txs if t.events or t.kind == "submit"]  # drop quiet ticks
    res.peak_rss = peak_rss()
    return res


# -- reopening ---------------------------------------------------------------------------------
@dataclass
class OpenResult:
    seconds: float
    rows: int
    events: int
    units: int
    digest: str
    peak_rss: int


def _digest(c: Any) -> str:
    board = c.board()
    text = repr((c.cursor, len(c), c.now, c.phase, board.statuses, board.phases))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def task_open(store: str, use_snapshot: bool, verify: str = "full") -> OpenResult:
    """Reopen the campaign in this (fresh) interpreter; the imports are not timed."""
    import zyw_flow.runtime
    import zyw_flow.store  # noqa: F401
    from zyw_flow import Campaign

    t0 = time.perf_counter()
    c = Campaign.open(store, use_snapshot=use_snapshot, verify=verify)  # type: ignore[arg-type]
    seconds = time.perf_counter() - t0
    out = OpenResult(seconds, _rows_of(c), c.cursor, len(c), _digest(c), peak_rss())
    c.close()
    return out


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
    """Open from the snapshot, then time ``verify_journal()`` over the whole chain."""
    from zyw_flow import Campaign

    c = Campaign.open(store, verify="tail")
    t0 = time.perf_counter()
    report = c.verify_journal()
    seconds = time.perf_counter() - t0
    c.close()
    return seconds, str(report)


# -- PostgreSQL ---------------------------------------------------------------------------------
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
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return None


def pg_settings(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        names = ("server_version", "synchronous_commit", "fsync")
        values = [str(conn.execute(f"SHOW {n}").fetchone()[0]) for n in names]  # type: ignore[index]
    return ", ".join(f"{n}={v}" for n, v in zip(names, values, strict=True))


def pg_store(url: str) -> tuple[str, str]:
    """A fresh campaign id for this run and the store URL that selects it."""
    campaign = f"bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in url else "?"
    return campaign, f"{url}{sep}campaign={campaign}"


def pg_cleanup(url: str, campaign: str) -> None:
    """Delete the run's campaign rows (the benchmark's own, nothing else)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for name in ("zyw_journal", "zyw_meta", "zyw_snapshot"):
            with contextlib.suppress(psycopg.Error):
                conn.execute(f"DELETE FROM {name} WHERE campaign = %s", [campaign])
