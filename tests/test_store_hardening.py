"""Stores under a hostile host: read-only copies, files deleted under an open campaign,
writers that wait for a lock, connections the server drops."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import time
from pathlib import Path

import pytest

from tests import store_fixtures
from tests.store_fixtures import SCRIPT, Store, create, populate, run
from zyw_flow import Campaign, LockTimeout, SchemaVersionError, StoreError
from zyw_flow.cli import main
from zyw_flow.store import generate_keys, open_journal

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


class TestReadOnlyVerify:
    """verify on an auditor's copy opens it read-only and never writes."""

    @pytest.fixture
    def copy(self, tmp_path: Path) -> Path:
        live = tmp_path / "live" / "campaign.db"
        live.parent.mkdir()
        c = create(str(live))
        run(c, SCRIPT)
        c.close()
        audit = tmp_path / "audit"
        audit.mkdir()
        shutil.copy(live, audit / "campaign.db")
        (audit / "campaign.db").chmod(0o444)
        return audit / "campaign.db"

    def test_verify_a_0444_copy_changes_nothing(
        self, copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The chain and a receipt are checked; not a byte, file or mtime changes."""
        before = (digest(copy), copy.stat().st_mtime_ns, listing(copy.parent))
        assert main(["campaign", "verify", str(copy)]) == 0
        assert capsys.readouterr().out.startswith("ok: ")
        key, pub = generate_keys(tmp_path / "k")
        live = tmp_path / "live" / "campaign.db"
        assert main(["campaign", "checkpoint", str(live), "--signing-key", str(key)]) == 0
        receipt = tmp_path / "receipt.json"
        receipt.write_text(capsys.readouterr().out)
        argv = ["campaign", "verify", str(copy), "--receipt", str(receipt), "--public-key"]
        assert main([*argv, str(pub)]) == 0
        assert (digest(copy), copy.stat().st_mtime_ns, listing(copy.parent)) == before

    def test_an_old_schema_is_not_migrated(self, copy: Path) -> None:
        """A read-only open neither migrates nor creates tables: it refuses with the reason."""
        copy.chmod(0o644)
        with contextlib.closing(sqlite3.connect(copy)) as db, db:
            db.execute("UPDATE zyw_schema SET version = 2")
        copy.chmod(0o444)
        before = digest(copy)
        with pytest.raises(StoreError, match="must be migrated"):
            open_journal(copy, read_only=True)
        copy.chmod(0o644)
        with contextlib.closing(sqlite3.connect(copy)) as db, db:
            db.execute("UPDATE zyw_schema SET version = 99")
        with pytest.raises(SchemaVersionError):
            open_journal(copy, read_only=True)
        assert digest(copy) != before  # (we changed it ourselves above)

    def test_an_empty_file_stays_empty(self, tmp_path: Path) -> None:
        """No schema is created in a file opened read-only."""
        empty = tmp_path / "empty.db"
        empty.touch()
        with pytest.raises(StoreError, match="holds no zyw_flow journal"):
            open_journal(empty, read_only=True)
        assert empty.stat().st_size == 0
        assert listing(tmp_path) == ["empty.db"]
        with pytest.raises(StoreError, match="no such campaign database"):
            open_journal(tmp_path / "missing.db", read_only=True)
        assert listing(tmp_path) == ["empty.db"]

    def test_writes_are_refused(self, copy: Path) -> None:
        j = open_journal(copy, read_only=True)
        try:
            with pytest.raises(StoreError, match="read-only"):
                j.begin()
        finally:
            j.close()

    def test_postgres_read_only(self, pg_store: Store) -> None:
        """On PostgreSQL the session is read-only: verify works, a write is refused by the
        server and by the journal."""
        c = create(pg_store)
        populate(c)
        c.close()
        j = open_journal(pg_store.target, read_only=True)
        try:
            assert j.verify().ok
            with pytest.raises(StoreError, match="read-only"):
                j.begin()
            with pytest.raises(StoreError, match="read-only"):
                j._execute("DELETE FROM zyw_journal")
        finally:
            j.close()
        assert pg_store.count() > 0


class TestFilesDeletedUnderAnOpenCampaign:
    """A database or write-ahead log deleted (or replaced) while a campaign is open."""

    @pytest.fixture
    def opened(self, sqlite_store: Store) -> Campaign:
        c = create(sqlite_store)
        populate(c)
        return c

    def test_database_deleted(self, opened: Campaign, sqlite_store: Store) -> None:
        """The next call is refused with StoreError, not committed into an unlinked file."""
        os.remove(sqlite_store.target)
        with pytest.raises(StoreError, match="database file was deleted"):
            opened.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        with pytest.raises(StoreError, match="was deleted"):
            opened.tick("2011-09-30")
        opened.close()

    def test_wal_deleted(self, opened: Campaign, sqlite_store: Store) -> None:
        wal = Path(sqlite_store.target + "-wal")
        assert wal.exists()
        wal.unlink()
        with pytest.raises(StoreError, match=r"write-ahead log .* was deleted"):
            opened.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        opened.close()

    def test_database_replaced(self, opened: Campaign, sqlite_store: Store) -> None:
        """A file put in its place (a restore from a backup, say) is not written into."""
        target = Path(sqlite_store.target)
        shutil.copy(target, target.with_suffix(".bak"))
        os.replace(target.with_suffix(".bak"), target)
        with pytest.raises(StoreError, match="replaced by another file"):
            opened.add_actor("late", roles=["office"])
        opened.close()
        again = Campaign.open(str(target))  # the file itself is whole
        assert "late" not in again.actors
        again.close()

    def test_untouched_files_work(self, opened: Campaign) -> None:
        opened.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        opened.close()


class TestLockTimeout:
    """A writer waits a bounded time for another's lock, then LockTimeout; nothing changes."""

    def test_sqlite(self, sqlite_store: Store) -> None:
        c = create(sqlite_store)
        populate(c)
        c.close()
        c = Campaign.open(open_journal(sqlite_store.target, lock_timeout=0.3))
        blocker = sqlite3.connect(sqlite_store.target, isolation_level=None)
        try:
            blocker.execute("BEGIN IMMEDIATE")
            rows = sqlite_store.count()
            start = time.monotonic()
            with pytest.raises(LockTimeout, match=r"more than 0.3 s; nothing was written"):
                c.add_actor("late", roles=["office"])
            assert 0.25 <= time.monotonic() - start < 5
            blocker.execute("ROLLBACK")
            assert sqlite_store.count() == rows and "late" not in c.actors
            c.add_actor("late", roles=["office"])  # the lock is free again
            assert sqlite_store.count() == rows + 1
        finally:
            blocker.close()
            c.close()

    def test_postgres(self, pg_store: Store) -> None:
        c = create(pg_store)
        populate(c)
        c.close()
        for opened in (
            lambda: Campaign.open(open_journal(pg_store.target, lock_timeout=0.3)),
            lambda: Campaign.open(pg_store.target + "&lock_timeout=0.3"),
        ):
            c = opened()
            blocker = open_journal(pg_store.target)
            try:
                blocker.begin()  # holds the campaign's lock
                rows = pg_store.count()
                start = time.monotonic()
                with pytest.raises(LockTimeout, match=r"more than 0.3 s"):
                    c.add_actor("late", roles=["office"])
                assert 0.25 <= time.monotonic() - start < 5
                blocker.rollback()
                assert pg_store.count() == rows and "late" not in c.actors
                c.add_actor("late", roles=["office"])
                assert pg_store.count() == rows + 1
                pg_store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq = ?",
                             [pg_store.campaign, rows + 1])  # fmt: skip
            finally:
                blocker.close()
                c.close()

    def test_bad_values(self, store: Store) -> None:
        for bad in (-1, "soon", float("nan")):
            with pytest.raises(ValueError, match="lock_timeout"):
                open_journal(store.target, lock_timeout=bad)  # type: ignore[arg-type]


class TestReconnect:
    """A PostgreSQL connection the server dropped between calls is opened again, once."""

    def test_terminated_backend(self, pg_store: Store) -> None:
        c = create(pg_store)
        try:
            populate(c)
            journal = c.store
            assert journal is not None
            pid = journal.backend_pid  # type: ignore[attr-defined]
            pg_store.sql("SELECT pg_terminate_backend(?)", [pid])
            ev = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
            assert journal.backend_pid != pid  # type: ignore[attr-defined]
            assert ev.seq == c.cursor
            pg_store.sql("SELECT pg_terminate_backend(?)", [journal.backend_pid])  # type: ignore[attr-defined]
            assert [e.seq for e in c.events(since=ev.seq - 1)] == [ev.seq]  # a read, too
        finally:
            c.close()
        again = Campaign.open(pg_store.target)
        assert again.unit_status("county-1").steps["work_plan"].status == "submitted"
        again.close()


class TestFilesThatAreNotStores:
    """Opening (not creating) a file that holds no zyw_flow store writes nothing into it."""

    @pytest.mark.parametrize("kind", ["other tables", "empty"])
    def test_an_open_or_a_read_command_leaves_the_file_as_it_was(
        self, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = tmp_path / "theirs.db"
        if kind == "empty":
            path.write_bytes(b"")
        else:
            with contextlib.closing(sqlite3.connect(path)) as db:
                db.execute("CREATE TABLE mine (a)")
                db.commit()
        before = path.read_bytes()
        with pytest.raises(StoreError, match="holds no campaign"):
            Campaign.open(path)
        for command in (["status"], ["board"], ["overdue"], ["tick", "--until", "2011-09-01"]):
            assert main(["campaign", command[0], str(path), *command[1:]]) == 2
            assert "holds no campaign" in capsys.readouterr().err, command
        assert path.read_bytes() == before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.db"]


def test_a_store_url_is_printed_without_its_password(capsys: pytest.CaptureFixture[str]) -> None:
    """A PostgreSQL URL's password never reaches a message; the message is one line."""
    url = "postgresql://someone:s3cret-pw@127.0.0.1:1/nodb"
    with pytest.raises(StoreError) as info:
        open_journal(url)
    assert "s3cret-pw" not in str(info.value) and "\n" not in str(info.value)
    assert "postgresql://someone@127.0.0.1:1/nodb" in str(info.value)
    assert main(["campaign", "status", url]) == 2
    err = capsys.readouterr().err
    assert "s3cret-pw" not in err and err.count("\n") == 1


def test_a_campaign_named_that_the_store_does_not_hold_lists_those_it_does(tmp_path: Path) -> None:
    db = tmp_path / "mc.db"
    Campaign.create_stored(db, "zhiyong-2011").close()
    Campaign.create_stored(f"{db}?campaign=dq", "daqing-zuofeng-2011").close()
    with pytest.raises(StoreError, match="holds no campaign 'nosuch'; it holds default, dq"):
        Campaign.open(f"{db}?campaign=nosuch")
