"""PostgreSQL (psycopg 3) for several host processes sharing one campaign."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from zyw_flow._errors import StoreError
from zyw_flow.store._journal import Journal

__all__ = ["PostgresJournal", "split_url"]


def split_url(url: str) -> tuple[str, str | None]:
    """Take the ``campaign=`` query parameter out of a ``postgresql://`` URL."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    campaign = next((v for k, v in query if k == "campaign"), None)
    rest = urlencode([(k, v) for k, v in query if k != "campaign"])
    return urlunsplit(parts._replace(query=rest)), campaign


class PostgresJournal(Journal):
    """A journal in PostgreSQL; many campaigns may share a database (``?campaign=ID``).

    Each write transaction takes a transaction-scoped advisory lock on the campaign, so
    one process writes (and ticks) at a time; the journal's sequence number is the
    campaign version, and the primary key refuses two rows with the same number.
    """

    placeholder = "%s"
    blob_type = "BYTEA"
    int_type = "BIGINT"

    def __init__(self, url: str, campaign: str | None = None) -> None:
        import psycopg

        conninfo, from_url = split_url(url)
        super().__init__(url, campaign or from_url)
        self._psycopg = psycopg
        try:
            self._db = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"{conninfo}: cannot connect to PostgreSQL: {exc}") from exc
        self._lock_key = int.from_bytes(
            hashlib.sha256(f"zyw_flow:{self.campaign}".encode()).digest()[:8], "big", signed=True
        )
        self.ensure_schema()

    def ensure_schema(self) -> None:
        """Create the tables if missing (serialised by an advisory lock)."""
        self._execute("SELECT pg_advisory_lock(%s)", [727_272])
        try:
            super().ensure_schema()
        finally:
            self._execute("SELECT pg_advisory_unlock(%s)", [727_272])

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            cur = self._db.execute(sql, params)
            return cur.fetchall() if cur.description else []
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self._db.cursor() as cur:
                cur.executemany(sql, rows)
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def _iter(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        try:
            with self._db.cursor() as cur:
                cur.execute(sql, params)
                while batch := cur.fetchmany(10_000):
                    yield from batch
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def _begin(self) -> None:
        self._execute("BEGIN")

    def _lock(self) -> None:
        self._execute("SELECT pg_advisory_xact_lock(%s)", [self._lock_key])

    def _commit(self) -> None:
        self._execute("COMMIT")

    def _rollback(self) -> None:
        with contextlib.suppress(self._psycopg.Error):
            self._db.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()
