"""Faults: a writer killed mid-call, a full disk, a read-only database, concurrent writers.

What must hold after each: the journal holds exactly the committed calls (a contiguous,
verifying chain), the state equals a replay of those rows, a failed call changed neither
the journal nor the in-memory state, and the campaign carries on.
"""

from __future__ import annotations

import collections
import contextlib
import datetime as dt
import itertools
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests import store_fixtures
from tests.store_fixtures import (
    SCRIPT,
    Store,
    comparable,
    create,
    event_row,
    expected_cursor,
    in_memory,
    populate,
    run,
    semantic_replay,
    state,
)
from zyw_flow import Campaign
from zyw_flow._errors import StoreError
from zyw_flow.store import SQLiteJournal

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

TZ = dt.timezone(dt.timedelta(hours=8))
NO_LIMIT = 1_073_741_823  # SQLite's default max_page_count


def check_recovered(store: Store, committed: int) -> Campaign:
    """Reopen after a fault: every committed row, nothing else, same state every way."""
    rows = store.rows()
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1)), "seq not contiguous"
    c = Campaign.open(store.target)
    assert c.cursor == expected_cursor(rows) >= committed
    assert c.verify_journal().ok
    full = Campaign.open(store.target, use_snapshot=False)
    assert state(full) == state(c)
    full.close()
    assert comparable(semantic_replay(rows)) == comparable(c)
    return c


# -- a writer killed with SIGKILL ----------------------------------------------------------
WRITER = r"""
import datetime as dt, sys
from zyw_flow import Campaign
target, batch = sys.argv[1], int(sys.argv[2])
tz = dt.timezone(dt.timedelta(hours=8))
c = Campaign.create_stored(target, "zhiyong-2011")
c.add_actor("office", roles=["office"])
c.enroll("city", at="2011-08-30")
print("committed", c.cursor, flush=True)
t = dt.datetime(2011, 9, 1, 8, tzinfo=tz)
for i in range(1, 10_000):
    print("begin", i, flush=True)
    c.enroll_many([(f"b{i}-{j}", None, "city") for j in range(batch)], at=t)
    print("committed", c.cursor, flush=True)
    c.add_actor(f"clerk-{i}", roles=["member"], unit=f"b{i}-0")
    at = t + dt.timedelta(minutes=5)
    c.submit(f"b{i}-0", "work_plan", actor=f"clerk-{i}", at=at, key=f"wp-{i}")
    print("committed", c.cursor, flush=True)
    t += dt.timedelta(hours=32)
    c.tick(t)
    print("committed", c.cursor, flush=True)
    if i % 4 == 0:
        c.save_snapshot()
        print("committed", c.cursor, flush=True)
"""


def kill_writer(target: str, seed: int, tmp_path: Path) -> int:
    """Run the writer, SIGKILL it after a random number of lines and a random delay.

    Returns:
        The highest cursor the writer reported as committed (after a call returned).
    """
    rng = random.Random(seed)
    stop_after = rng.randint(4, 48)
    delay = rng.uniform(0.0, 0.04)
    with open(tmp_path / "writer.err", "w+") as err:
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, target, "150"],
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        assert proc.stdout is not None
        lines: list[str] = []
        try:
            for line in proc.stdout:
                lines.append(line)
                if len(lines) >= stop_after:
                    break
            time.sleep(delay)
            alive = proc.poll() is None
            proc.send_signal(signal.SIGKILL)
            lines += proc.stdout.read().splitlines(keepends=True)
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            proc.wait(10)
        err.seek(0)
        assert alive, f"the writer ended before it was killed: {err.read()}"
    assert proc.returncode == -signal.SIGKILL
    # only whole lines count: the kill may cut the last one short
    done = [int(m.group(1)) for x in lines if (m := re.fullmatch(r"committed (\d+)\n", x))]
    assert done, "the writer committed nothing"
    return max(done)


class TestKilledWriter:
    """SIGKILL in the middle of bulk enrollments, submissions and ticks loses no commit."""

    @pytest.mark.parametrize("seed", [1, 2, 3])
    def test_reopen_after_sigkill(self, store: Store, seed: int, tmp_path: Path) -> None:
        """Reopening gives exactly the committed calls; the campaign continues."""
        committed = kill_writer(store.target, seed, tmp_path)
        c = check_recovered(store, committed)
        assert (len(c) - 1) % 150 == 0, "an enrollment batch was half applied"
        assert c.now is not None
        later = c.now + dt.timedelta(hours=1)
        c.add_actor("city-clerk", roles=["member"], unit="city")
        ev = c.submit("city", "work_plan", actor="city-clerk", at=later, key="after-kill")
        assert ev.seq == c.cursor == expected_cursor(store.rows())
        c.tick(later + dt.timedelta(days=20))
        after = state(c)
        c.close()
        d = Campaign.open(store.target)
        assert state(d) == after
        assert d.verify_journal().ok
        d.close()


# -- disk full ------------------------------------------------------------------------------
def limit_pages(c: Campaign, extra: int = 0) -> None:
    """Cap the database file at its current size (SQLite then fails with SQLITE_FULL)."""
    assert isinstance(c.store, SQLiteJournal)
    db = c.store._db
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + extra}")


def lift_limit(c: Campaign) -> None:
    assert isinstance(c.store, SQLiteJournal)
    c.store._db.execute(f"PRAGMA max_page_count = {NO_LIMIT}")


def assert_unchanged(c: Campaign, store: Store, before: str, rows: int) -> None:
    """A failed call left the in-memory state and the journal as they were."""
    assert state(c) == before
    assert store.count() == rows
    assert c.cursor == expected_cursor(store.rows())
    assert c.verify_journal().ok


def fill_until_full(c: Campaign, store: Store, prefix: str) -> int:
    """Enroll units one call at a time until the store refuses; each call all or nothing."""
    for i in range(20_000):
        before, rows = state(c), store.count()
        try:
            c.enroll(f"{prefix}-{i}", name="名" * 40, parent="city")
        except StoreError as exc:
            assert "full" in str(exc)
            assert_unchanged(c, store, before, rows)
            return i
        assert store.count() > rows
    raise AssertionError("the store never filled up")


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A 256 KiB tmpfs (needs root or CAP_SYS_ADMIN; skipped otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


class TestDiskFull:
    """A full disk: a StoreError naming it, nothing half-written, and the run goes on."""

    def test_bulk_call_on_a_full_database(self, sqlite_store: Store) -> None:
        """SQLITE_FULL in a big batch (max_page_count): refused whole, state as before."""
        store = sqlite_store
        c = create(store)
        run(c, SCRIPT[:5])
        limit_pages(c)
        before, rows = state(c), store.count()
        with pytest.raises(StoreError, match="database or disk is full") as err:
            c.enroll_many([(f"bulk-{i}", "名" * 40, "city") for i in range(3000)], at="2011-09-09")
        assert store.target in str(err.value)
        assert_unchanged(c, store, before, rows)
        with pytest.raises(StoreError):
            c.tick("2011-12-31")  # a tick's thousands of rows do not fit either
        assert_unchanged(c, store, before, rows)
        lift_limit(c)
        run(c, SCRIPT[5:])
        assert comparable(c) == comparable(in_memory(SCRIPT))
        cursor = c.cursor
        c.close()
        check_recovered(store, cursor).close()

    def test_small_calls_until_full(self, sqlite_store: Store) -> None:
        """Filling page by page: every call commits whole or fails whole."""
        store = sqlite_store
        c = create(store)
        populate(c)
        limit_pages(c, extra=3)
        assert fill_until_full(c, store, "unit") > 0
        lift_limit(c)
        c.enroll("after", parent="city")
        cursor = c.cursor
        c.close()
        check_recovered(store, cursor).close()

    def test_real_full_filesystem(self, tiny_fs: Path) -> None:
        """On a full tmpfs: StoreError, nothing half-written; after growing it, it goes on."""
        store = Store("sqlite", str(tiny_fs / "c.db"), "default")
        c = create(store)
        populate(c)
        with pytest.raises(StoreError, match="full"):
            for i in range(200):
                before, rows = state(c), store.count()
                c.enroll_many([(f"b{i}-{j}", "名" * 40, "city") for j in range(100)])
        assert_unchanged(c, store, before, rows)
        assert fill_until_full(c, store, "one") >= 0
        grown = subprocess.run(
            ["mount", "-o", "remount,size=16m", str(tiny_fs)], capture_output=True, text=True
        )
        assert grown.returncode == 0, grown.stderr
        c.enroll_many([(f"late-{j}", "名" * 40, "city") for j in range(100)])
        run(c, SCRIPT[1:6])
        live, cursor = state(c), c.cursor
        c.close()
        d = check_recovered(store, cursor)
        assert state(d) == live
        d.close()


# -- a read-only database ----------------------------------------------------------------
@pytest.fixture
def read_only_view(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A folder and a read-only bind mount of it (root only; skipped otherwise)."""
    rw, ro = tmp_path / "rw", tmp_path / "ro"
    rw.mkdir()
    ro.mkdir()
    first = subprocess.run(["mount", "--bind", str(rw), str(ro)], capture_output=True, text=True)
    if first.returncode != 0:
        pytest.skip(f"cannot bind-mount here: {first.stderr.strip()}")
    try:
        second = subprocess.run(
            ["mount", "-o", "remount,bind,ro", str(ro)], capture_output=True, text=True
        )
        if second.returncode != 0:
            pytest.skip(f"cannot make a read-only bind mount: {second.stderr.strip()}")
        yield rw, ro
    finally:
        subprocess.run(["umount", "-l", str(ro)], check=False)


class TestReadOnly:
    """A database that cannot be written: a clear StoreError, state and journal unchanged."""

    def test_query_only_connection(self, sqlite_store: Store) -> None:
        """SQLite's read-only refusal (PRAGMA query_only) leaves everything as it was."""
        store = sqlite_store
        c = create(store)
        run(c, SCRIPT[:6])
        assert isinstance(c.store, SQLiteJournal)
        c.store._db.execute("PRAGMA query_only = 1")
        before, rows = state(c), store.count()
        with pytest.raises(StoreError, match="readonly"):
            c.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-16")
        assert_unchanged(c, store, before, rows)
        with pytest.raises(StoreError, match="readonly"):
            c.save_snapshot()
        assert_unchanged(c, store, before, rows)
        c.store._db.execute("PRAGMA query_only = 0")
        run(c, SCRIPT[6:])
        assert comparable(c) == comparable(in_memory(SCRIPT))
        c.close()

    def test_read_only_filesystem(self, read_only_view: tuple[Path, Path]) -> None:
        """Through a read-only mount the campaign reads, and every write is refused."""
        rw, ro = read_only_view
        writer_store = Store("sqlite", str(rw / "c.db"), "default")
        writer = create(writer_store)
        run(writer, SCRIPT[:6])  # the writer keeps the -wal and -shm files in place
        reader = Campaign.open(str(ro / "c.db"))
        assert state(reader) == state(writer)
        before, rows = state(reader), writer_store.count()
        with pytest.raises(StoreError, match="readonly"):
            reader.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-16")
        assert state(reader) == before
        assert writer_store.count() == rows
        run(writer, SCRIPT[6:])
        assert reader.refresh() > 0
        assert state(reader) == state(writer)
        reader.close()
        writer.close()

    def test_read_only_without_a_writer(self, read_only_view: tuple[Path, Path]) -> None:
        """With no writer holding the WAL open, the read-only copy cannot even be opened.

        SQLite needs to create the -shm file to read a WAL database; the library reports
        that as a StoreError and the file stays untouched.
        """
        rw, ro = read_only_view
        live, _ = finished_on(str(rw / "c.db"))
        content = (rw / "c.db").read_bytes()
        with pytest.raises(StoreError, match="cannot open"):
            Campaign.open(str(ro / "c.db"))
        assert (rw / "c.db").read_bytes() == content
        c = Campaign.open(str(rw / "c.db"))
        assert state(c) == live
        c.close()


def finished_on(target: str) -> tuple[str, int]:
    c = create(target)
    run(c, SCRIPT[:6])
    out = state(c), c.cursor
    c.close()
    return out


# -- subscribers and failed commits --------------------------------------------------------
class TestSubscribersAndFailedCommits:
    """Subscribers of a stored campaign around a call whose commit fails."""

    def test_subscription_survives_a_failed_commit(self, sqlite_store: Store) -> None:
        """A callback still hears events after a StoreError was raised and lifted."""
        c = create(sqlite_store)
        populate(c)
        heard: list[str] = []
        c.subscribe("*", lambda e: heard.append(e.type))
        limit_pages(c)
        with pytest.raises(StoreError):
            c.enroll_many([(f"u{i}", "名" * 40, "city") for i in range(2000)])
        lift_limit(c)
        heard.clear()
        c.enroll("later", parent="city", at="2011-08-31")
        assert heard == ["enrolled"]

    def test_no_notification_for_rolled_back_events(self, sqlite_store: Store) -> None:
        """A callback hears only events that were committed."""
        c = create(sqlite_store)
        populate(c)
        heard: list[int] = []
        c.subscribe("*", lambda e: heard.append(e.seq))
        limit_pages(c)
        with pytest.raises(StoreError):
            c.enroll_many([(f"u{i}", "名" * 40, "city") for i in range(2000)])
        assert heard == []


# -- concurrent writers --------------------------------------------------------------------
STEPS = (
    "mobilization_meeting",
    "work_plan",
    "themed_study",
    "themed_discussion",
    "problem_sweep",
    "democratic_life_meeting",
    "public_pledge",
    "model_materials",
    "rectification_report",
)

WORKER = r"""
import datetime as dt, sys, time
from zyw_flow import Campaign, TimeOrderError
target, name, n_units = sys.argv[1], sys.argv[2], int(sys.argv[3])
steps = sys.argv[4].split(",")
c = Campaign.open(target)
print("ready", flush=True)
sys.stdin.readline()
units = [f"{name}-{i}" for i in range(n_units)]
t = dt.datetime(2011, 9, 21, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
retries = 0

def later(step):
    # the latest clock this process has seen (every call, refused ones too, first applies
    # the other process's rows), plus a step
    global t
    t = max(t, c.now) + step
    return t

for step in steps:
    for u in units:
        while True:
            try:
                ev = c.submit(u, step, actor=f"clerk-{u}", at=later(dt.timedelta(minutes=7)),
                              key=f"{u}/{step}")
            except TimeOrderError:
                retries += 1
                continue
            print("event", ev.seq, u, step, flush=True)
            time.sleep(0.002)  # a host does other work too; lets SQLite's waiter in
            break
    while True:
        try:
            c.tick(later(dt.timedelta(hours=11)))
        except TimeOrderError:
            retries += 1
            continue
        break
print("retries", retries, flush=True)
print("done", c.cursor, flush=True)
"""


class TestConcurrentWriters:
    """Two processes submitting and ticking one campaign: no lost or doubled event.

    A process's ``at`` is its last seen clock plus a step; if the other process recorded a
    later event for the same unit in between (a tick, say), the call is refused with
    TimeOrderError (having caught up first) and is retried with a later instant. The
    idempotency key of each submission makes a double application impossible to miss: a
    retry of an already recorded submission at another instant would raise
    DuplicateEventError and end the worker with an error.
    """

    def test_two_processes(
        self, store: Store, tmp_path: Path, record_property: Callable[[str, object], None]
    ) -> None:
        """Contiguous journal, each (unit, step) once, final state equals a replay."""
        units_each = 4
        c = create(store)
        c.add_actor("office", roles=["office"])
        names = ["p0", "p1"]
        units = [f"{n}-{i}" for n in names for i in range(units_each)]
        c.enroll_many([("city", None, None)] + [(u, None, "city") for u in units], at="2011-08-30")
        for u in units:
            c.add_actor(f"clerk-{u}", roles=["member"], unit=u)
        c.close()
        procs: list[subprocess.Popen[str]] = []
        errs = []
        for n in names:
            err = open(tmp_path / f"{n}.err", "w+")  # noqa: SIM115 - closed below
            errs.append(err)
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        WORKER,
                        store.target,
                        n,
                        str(units_each),
                        ",".join(STEPS),
                    ],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=err,
                    text=True,
                )
            )
        try:
            for p in procs:
                assert p.stdout is not None and p.stdout.readline().strip() == "ready"
            for p in procs:
                assert p.stdin is not None
                p.stdin.write("go\n")
                p.stdin.flush()
            outputs = [p.communicate(timeout=120)[0] for p in procs]
        finally:
            for p in procs:
                with contextlib.suppress(ProcessLookupError):
                    p.kill()
        for p, err in zip(procs, errs, strict=True):
            err.seek(0)
            assert p.returncode == 0, err.read()
            err.close()

        reported: dict[int, tuple[str, str]] = {}
        retries = 0
        for out in outputs:
            for line in out.splitlines():
                parts = line.split()
                if parts[0] == "event":
                    seq = int(parts[1])
                    assert seq not in reported, f"seq {seq} reported twice"
                    reported[seq] = (parts[2], parts[3])
                elif parts[0] == "retries":
                    retries += int(parts[1])
        rows = store.rows()
        assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
        submitted = collections.Counter(
            (r.unit, r.step) for r in rows if r.type == "step_submitted"
        )
        assert submitted == collections.Counter({(u, s): 1 for u in units for s in STEPS})
        for seq, (unit, step) in reported.items():
            row = event_row(rows, seq)
            assert (row.type, row.unit, row.step) == (
                "step_submitted",
                unit,
                step,
            )
        # Time is ordered per unit: a unit's calls never go back, whichever process wrote
        # them; clock rows (ticks) never go back either. (Time-driven rows carry their
        # scheduled instants instead.)
        per_unit: dict[str | None, list[int]] = {}
        for r in rows:
            if r.type == "step_submitted":
                per_unit.setdefault(r.unit, []).append(r.at_us)
        for unit, stamps in per_unit.items():
            assert stamps == sorted(stamps), f"{unit}: its time went backwards"
        ticks = [r.at_us for r in rows if r.kind == "clock"]
        assert ticks == sorted(ticks), "the campaign clock went backwards"
        writers = [reported[s][0].split("-")[0] for s in sorted(reported)]
        switches = sum(a != b for a, b in itertools.pairwise(writers))
        assert switches >= 1  # both wrote; typically they interleave dozens of times

        replayed = Campaign.open(store.target, use_snapshot=False)
        again = Campaign.open(store.target)
        assert state(replayed) == state(again)
        assert replayed.verify_journal().ok
        assert comparable(semantic_replay(rows)) == comparable(replayed)
        assert all(
            replayed.unit_status(u).steps[s].status in ("submitted", "accepted")
            for u in units
            for s in STEPS
        )
        replayed.close()
        again.close()
        record_property("time_order_retries", retries)
        record_property("writer_switches", switches)
