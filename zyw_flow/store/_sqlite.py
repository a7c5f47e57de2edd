"""The embedded default: one campaign per SQLite file (WAL, durable commits)."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from zyw_flow._errors import LockTimeout, StoreError
from zyw_flow.store._journal import Journal

__all__ = ["DEFAULT_LOCK_TIMEOUT", "SQLiteJournal"]

#: How long (seconds) a writer waits for another's write lock by default.
DEFAULT_LOCK_TIMEOUT = 60.0


class SQLiteJournal(Journal):
    """A journal in a SQLite file.

    Writers take SQLite's write lock (``BEGIN IMMEDIATE``) for each call, so several
    processes may share a file; every commit is durable (``synchronous=FULL``). A writer
    waits at most ``lock_timeout`` seconds for another's lock (then :class:`LockTimeout`).
    ``read_only`` opens the file with ``mode=ro`` and never writes (no schema creation, no
    migration, no WAL checkpoint): for verifying an auditor's copy.

    Each transaction first checks that the database file (and its write-ahead log) is still
    the one opened: a file deleted or replaced under an open campaign is refused
    (:class:`StoreError`) instead of committing into a file nobody can open again.
    """

    def __init__(
        self,
        path: str | Path,
        campaign: str | None = None,
        *,
        create: bool = True,
        read_only: bool = False,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        super().__init__(str(path), campaign)
        self.path = Path(path)
        self.read_only = read_only
        self.lock_timeout = _timeout(lock_timeout)
        self._identity: tuple[tuple[int, int] | None, ...] | None = None
        if (read_only or not create) and not self.path.exists():
            raise StoreError(f"{self.path}: no such campaign database")
        try:
            if read_only:
                self._db = self._connect_read_only()
            else:
                self._db = sqlite3.connect(
                    self.path, isolation_level=None, timeout=self.lock_timeout
                )
                if not create and not self._holds_a_store():
                    self._db.close()
                    raise StoreError(
                        f"{self.path}: holds no campaign (not a zyw_flow store; create one "
                        "first); the file was left as it is"
                    )
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}") from exc
        try:
            self._wrap(self.check_schema if read_only else self.ensure_schema)
            self._identity = self._files()
        except BaseException:
            self._db.close()
            raise

    def _holds_a_store(self) -> bool:
        """Whether the file already holds zyw_flow's tables (read without writing)."""
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'zyw_meta'"
        ).fetchone()
        return found is not None

    def _connect_read_only(self) -> sqlite3.Connection:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        if not Path(f"{self.path}-wal").exists():
            # No write-ahead log: the file alone is the whole database (a copy, or one no
            # process has open). ``immutable`` reads it without creating -wal and -shm files
            # beside it, which a read-only WAL connection would otherwise do.
            uri += "&immutable=1"
        db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=self.lock_timeout)
        db.execute("PRAGMA query_only=ON")
        return db

    def _files(self) -> tuple[tuple[int, int] | None, ...]:
        """The identity (device, inode) of the database file and of its write-ahead log."""
        out: list[tuple[int, int] | None] = []
        for p in (str(self.path), f"{self.path}-wal"):
            try:
                st = os.stat(p)
            except FileNotFoundError:
                out.append(None)
            else:
                out.append((st.st_dev, st.st_ino))
        return tuple(out)

    def _check_files(self) -> None:
        if self.read_only or self._identity is None:
            return
        now = self._files()
        if now == self._identity:
            return
        (db_then, wal_then), (db_now, wal_now) = self._identity, now
        if db_now != db_then:
            what = "was deleted" if db_now is None else "was replaced by another file"
            raise StoreError(
                f"{self.path}: the database file {what} while the campaign was open; "
                "refusing to write into it (reopen the campaign from its file)"
            )
        if wal_then is None:  # the log appeared since (SQLite made it): take it as known
            self._identity = now
            return
        what = "was deleted" if wal_now is None else "was replaced by another file"
        raise StoreError(
            f"{self.path}: its write-ahead log ({self.path.name}-wal) {what} while the "
            "campaign was open; committed calls may be lost: refusing to write (restore the "
            "file from a backup, or reopen and check with `zyw-flow campaign verify`)"
        )

    def _has_table(self, name: str) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        found = self._execute(sql, [name])
        return bool(found)

    def _wrap(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            self._db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def _iter(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        try:
            cur = self._db.execute(sql, params)
            while batch := cur.fetchmany(10_000):
                yield from batch
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def _begin(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only; nothing can be written")
        self._check_files()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LockTimeout(
                    f"{self.path}: another writer held the write lock for more than "
                    f"{self.lock_timeout:g} s; nothing was written (retry the call)"
                ) from exc
            raise StoreError(f"{self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: {exc}") from exc

    def _commit(self) -> None:
        self._check_files()
        self._execute("COMMIT")

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


def _timeout(value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ValueError(f"lock_timeout must be a number of seconds ≥ 0, not {value!r}")
    return float(value)
