"""The transactional outbox (schema 5) and subscriptions across processes, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests import store_fixtures
from tests.relay_fixtures import busy_campaign, outgoing
from tests.store_fixtures import Store, campaign_url, conninfo_of
from zyw_flow import Campaign, TransitionRefused
from zyw_flow.store import QUIET_TYPES, SCHEMA_VERSION, Outbox, open_journal

sqlite_store = store_fixtures.sqlite_store
postgres_server = store_fixtures.postgres_server
pg_store = store_fixtures.pg_store
store = store_fixtures.store
ROOT = Path(__file__).resolve().parent.parent


def _outbox(c: Campaign) -> Outbox:
    assert c.store is not None
    return Outbox(c.store)


def _clean(s: Store) -> None:
    for table in ("zyw_outbox", "zyw_relay", "zyw_dead"):
        s.sql(f"DELETE FROM {table} WHERE campaign = ?", [s.campaign])


def test_an_entry_for_every_outgoing_row(store: Store) -> None:
    c = store_fixtures.create(store)
    try:
        store_fixtures.run(c, store_fixtures.SCRIPT)
        entries = _outbox(c).entries(0)
        rows = [r for r in store.rows() if r.kind == "event" and r.type not in QUIET_TYPES]
        assert [(e.seq, e.eseq, e.n, e.type, e.at_us) for e in entries] == [
            (r.seq, r.eseq, r.events, r.type, r.at_us) for r in rows
        ]
        assert any(e.n > 1 for e in entries)  # batch rows stand for one event per unit
        covered = {s for e in entries for s in range(e.eseq, e.last + 1)}
        assert covered == set(outgoing(c))
        assert _outbox(c).pending(0) == len(outgoing(c))
        middle = outgoing(c)[len(outgoing(c)) // 2]
        assert _outbox(c).pending(middle) == len([s for s in outgoing(c) if s > middle])
        assert {e.type for e in entries}.isdisjoint(QUIET_TYPES)
        assert {"step_overdue", "step_escalated", "finding_recorded", "sanction_issued"} <= {
            e.type for e in entries
        }
    finally:
        c.close()
        _clean(store)


def test_entries_commit_and_roll_back_with_their_rows(store: Store) -> None:
    c = store_fixtures.create(store)
    try:
        store_fixtures.populate(c)
        before = (store.count(), len(_outbox(c).entries(0)))
        with pytest.raises(TransitionRefused):  # a refused call writes nothing
            c.accept("county-1", "work_plan", actor="office", at="2011-09-06")
        journal = c.store
        assert journal is not None
        journal.begin()  # rows appended, then abandoned: their entries go with them
        journal.append([("event", "finding_recorded", 0, "county-1", "f-x", "inspector",
                         {"description": "x"}, None, None, 1)])  # fmt: skip
        journal.rollback()
        assert (store.count(), len(_outbox(c).entries(0))) == before
        c.tick("2011-09-25")
        assert len(_outbox(c).entries(0)) > before[1]
        count = store.sql("SELECT COUNT(*) FROM zyw_outbox WHERE campaign = ?", [store.campaign])
        assert count[0][0] == len(_outbox(c).entries(0))
    finally:
        c.close()
        _clean(store)


def test_schema_4_store_is_migrated(tmp_path: Path) -> None:
    """A schema-4 store opens read-only as it is, and migrates when opened writable: its
    old rows get no entries (a relay does not replay the past); new ones do."""
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    c.close()
    s = Store("sqlite", db, "default")
    for table in ("zyw_outbox", "zyw_relay", "zyw_dead"):
        s.sql(f"DROP TABLE {table}")
    s.sql("UPDATE zyw_schema SET version = 4")
    ro = open_journal(db, read_only=True)
    try:
        assert not Outbox(ro).available
    finally:
        ro.close()
    again = Campaign.open(db)
    assert s.sql("SELECT version FROM zyw_schema")[0][0] == SCHEMA_VERSION == 5
    assert _outbox(again).available and _outbox(again).entries(0) == []
    cursor = again.cursor
    again.tick("2011-10-12")
    assert {s for e in _outbox(again).entries(0) for s in range(e.eseq, e.last + 1)} == set(
        outgoing(again, cursor)
    )
    again.close()


@pytest.mark.postgres
def test_schema_4_store_is_migrated_on_postgres(postgres_server: str) -> None:
    """The same in a PostgreSQL database of its own (the schema table is the database's)."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    name = f"zt_outbox_{uuid.uuid4().hex[:12]}"
    admin = conninfo_of(postgres_server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    base = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    try:
        target = campaign_url(base, "m")
        c = busy_campaign(target)
        c.close()
        with psycopg.connect(base, autocommit=True) as conn:
            for table in ("zyw_outbox", "zyw_relay", "zyw_dead"):
                conn.execute(f"DROP TABLE {table}")  # type: ignore[arg-type]
            conn.execute("UPDATE zyw_schema SET version = 4")
        ro = open_journal(target, read_only=True)
        try:
            assert not Outbox(ro).available
        finally:
            ro.close()
        again = Campaign.open(target)
        cursor = again.cursor
        assert _outbox(again).entries(0) == []
        again.tick("2011-10-12")
        covered = {s for e in _outbox(again).entries(0) for s in range(e.eseq, e.last + 1)}
        assert covered == set(outgoing(again, cursor)) != set()
        again.close()
        with psycopg.connect(base, autocommit=True) as conn:
            assert conn.execute("SELECT version FROM zyw_schema").fetchall() == [(5,)]
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def test_campaigns_have_outboxes_of_their_own(store: Store) -> None:
    other = f"{store.campaign}_b"
    target_b = (
        campaign_url(conninfo_of(store.target), other) if store.kind == "postgres" else store.target
    )
    first = store.campaign if store.kind == "postgres" else "a"
    a = Campaign.create_stored(store.target, store_fixtures.loaded_template(), campaign_id=first)
    b = Campaign.create_stored(target_b, store_fixtures.loaded_template(), campaign_id=other)
    try:
        store_fixtures.populate(a)
        a.tick("2011-09-25")
        b.add_actor("inspector", roles=["inspector"])
        b.enroll("x", at="2011-08-30")
        b.record_finding("x", actor="inspector", at="2011-09-02", description="b")
        ea, eb = _outbox(a).entries(0), _outbox(b).entries(0)
        assert [e.type for e in eb] == ["phase_opened", "finding_recorded"]
        assert len(ea) > len(eb)
        assert {s for e in ea for s in range(e.eseq, e.last + 1)} == set(outgoing(a))
    finally:
        a.close()
        b.close()
        if store.kind == "postgres":
            _clean(store)
            for table in ("zyw_journal", "zyw_meta", "zyw_outbox"):
                store.sql(f"DELETE FROM {table} WHERE campaign = ?", [other])


# -- subscriptions across connections and processes -----------------------------------------
def test_subscribers_hear_what_other_connections_committed(store: Store) -> None:
    a = store_fixtures.create(store)
    b = Campaign.open(store.target)
    try:
        store_fixtures.populate(a)
        heard: list[tuple[int, str]] = []
        b.subscribe("*", lambda e: heard.append((e.seq, e.type)))
        b.refresh()  # b opened before a enrolled the units: it hears of them now
        assert heard == [(e.seq, e.type) for e in a.events(0)] != []
        heard.clear()
        start = a.cursor
        a.tick("2011-09-25")
        assert b.refresh() > 0
        assert heard == [(e.seq, e.type) for e in a.events(start)]
        # on b's own call: first what a committed meanwhile, then b's own events
        mark = a.cursor
        a.record_finding("county-1", actor="inspector", at="2011-09-26", description="x")
        heard.clear()
        b.record_finding("county-2", actor="inspector", at="2011-09-27", description="y")
        assert heard == [(e.seq, e.type) for e in b.events(mark)]
        assert heard[0][1] == "finding_recorded" and len({s for s, _ in heard}) == len(heard)
        assert b.wait_for_events(timeout=0.3) == 0  # nothing new: the timeout passes
    finally:
        a.close()
        b.close()
        if store.kind == "postgres":
            _clean(store)


def test_wait_wakes_on_another_connection_commit(store: Store) -> None:
    store_fixtures.create(store).close()
    b = Campaign.open(store.target)
    heard: list[int] = []
    b.subscribe("*", lambda e: heard.append(e.seq))

    def later(action: Any) -> threading.Timer:
        def write() -> None:  # another connection (of its own thread) writes
            with Campaign.open(store.target) as a:
                action(a)

        timer = threading.Timer(0.3, write)
        timer.start()
        return timer

    try:
        timer = later(lambda a: a.add_actor("x", roles=["office"]))
        assert b.wait_for_events(timeout=10) == 1  # an actor row: no event to hear
        timer.join()
        assert heard == []
        timer = later(lambda a: a.enroll("u1", at="2011-08-30"))
        assert b.wait_for_events(timeout=10) >= 1
        timer.join()
        assert heard == [e.seq for e in b.events(0)] != []
    finally:
        b.close()
        if store.kind == "postgres":
            _clean(store)


LISTENER = r"""
import json, sys, time
from zyw_flow import Campaign
target, want = sys.argv[1], int(sys.argv[2])
c = Campaign.open(target)
got = []
def heard(e):
    got.append(e.seq)
    print(json.dumps({"seq": e.seq, "type": e.type, "t": time.time()}), flush=True)
c.subscribe("*", heard)
print(json.dumps({"ready": True}), flush=True)
deadline = time.monotonic() + 60
while len(got) < want and time.monotonic() < deadline:
    c.wait_for_events(timeout=30)
c.close()
"""


def _lines(proc: subprocess.Popen[str]) -> queue.Queue[dict[str, Any]]:
    q: queue.Queue[dict[str, Any]] = queue.Queue()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            q.put(json.loads(line))

    threading.Thread(target=read, daemon=True).start()
    return q


@pytest.mark.postgres
def test_two_processes_on_postgres_listen_notify(pg_store: Store) -> None:
    """Process B's subscriber receives process A's events within a second, woken by
    LISTEN/NOTIFY: while it waits its connection sends no query at all."""
    a = store_fixtures.create(pg_store)
    store_fixtures.populate(a)
    app = f"zt_listener_{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in pg_store.target else "?"
    b_url = f"{pg_store.target}{sep}application_name={app}"
    start = a.cursor
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", LISTENER, b_url, "100000"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc)
        assert lines.get(timeout=60) == {"ready": True}
        activity = (
            "SELECT pid, state, query, state_change FROM pg_stat_activity WHERE "
            "application_name = ? AND starts_with(query, 'LISTEN')"
        )
        deadline = time.monotonic() + 30
        while not (found := pg_store.sql(activity, [app])) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert found, "process B is not listening"
        time.sleep(1.5)  # B waits: no query is sent meanwhile (no polling)
        still = pg_store.sql(activity, [app])
        assert still == found and found[0][1] == "idle"
        a.record_finding("county-1", actor="inspector", at="2011-09-26", description="台账不全")
        committed = time.time()
        first = lines.get(timeout=10)
        assert first["seq"] == start + 1
        assert first["t"] - committed < 1.0
        a.tick("2011-10-12")
        want = [e.seq for e in a.events(start)]
        got = [first["seq"]]
        while len(got) < len(want):
            got.append(lines.get(timeout=10)["seq"])
        assert got == want
    finally:
        proc.kill()
        proc.wait(10)
        a.close()
        _clean(pg_store)


def test_two_processes_on_sqlite_poll(tmp_path: Path) -> None:
    """On SQLite process B looks every poll_interval (0.2 s) and hears A's events."""
    db = str(tmp_path / "c.db")
    a = store_fixtures.create(db)
    store_fixtures.populate(a)
    start = a.cursor
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", LISTENER, db, "100000"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _lines(proc)
        assert lines.get(timeout=60) == {"ready": True}
        a.tick("2011-09-25")
        want = [e.seq for e in a.events(start)]
        got = [lines.get(timeout=10)["seq"] for _ in want]
        assert got == want
    finally:
        proc.kill()
        proc.wait(10)
        a.close()
