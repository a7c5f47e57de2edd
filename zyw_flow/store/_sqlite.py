"""The embedded default: one campaign per SQLite file (WAL, durable commits)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from zyw_flow._errors import StoreError
from zyw_flow.store._journal import Journal

__all__ = ["SQLiteJournal"]


class SQLiteJournal(Journal):
    """A journal in a SQLite file.

    Writers take SQLite's write lock (``BEGIN IMMEDIATE``) for each call, so several
    processes may share a file; every commit is durable (``synchronous=FULL``).
    """

    def __init__(
        self, path: str | Path, campaign: str | None = None, *, create: bool = True
    ) -> None:
        super().__init__(str(path), campaign)
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"{self.path}: no such campaign database")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the database: {exc}") from exc
        try:
            self._wrap(self.ensure_schema)
        except BaseException:
            self._db.close()
            raise

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
        self._execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self._execute("COMMIT")

    def _rollback(self) -> None:
        if self._db.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self._db.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
