"""PostgreSQL (psycopg 3) for several host processes sharing one campaign."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from zyw_flow._errors import LockTimeout, StoreError
from zyw_flow.store._journal import Journal, public_url

__all__ = ["CHANNEL", "DEFAULT_LOCK_TIMEOUT", "PostgresJournal", "split_url"]

#: The LISTEN/NOTIFY channel: every commit that appends rows notifies it with its campaign.
CHANNEL = "zyw_flow_journal"

#: How long (seconds) a writer waits for another's campaign lock by default.
DEFAULT_LOCK_TIMEOUT = 60.0
#: The query parameters zyw_flow reads (and takes out of the URL before connecting).
_OURS = ("campaign", "lock_timeout")


def split_url(url: str) -> tuple[str, str | None]:
    """Take the ``campaign=`` (and ``lock_timeout=``) query parameters out of a
    ``postgresql://`` URL; returns the connection string and the campaign."""
    conninfo, ours = _split(url)
    return conninfo, ours.get("campaign")


def _split(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    ours = {k: v for k, v in query if k in _OURS}
    rest = urlencode([(k, v) for k, v in query if k not in _OURS])
    return urlunsplit(parts._replace(query=rest)), ours


def _seconds(value: object) -> float:
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = -1.0
    if isinstance(value, bool) or not seconds >= 0 or seconds == float("inf"):
        raise ValueError(f"lock_timeout must be a number of seconds ≥ 0, not {value!r}")
    return seconds


class PostgresJournal(Journal):
    """A journal in PostgreSQL; many campaigns may share a database (``?campaign=ID``).

    Each write transaction takes a transaction-scoped advisory lock on the campaign, so
    one process writes (and ticks) at a time; the journal's sequence number is the
    campaign version, and the primary key refuses two rows with the same number.
    """

    placeholder = "%s"
    blob_type = "BYTEA"
    int_type = "BIGINT"

    def __init__(
        self,
        url: str,
        campaign: str | None = None,
        *,
        read_only: bool = False,
        lock_timeout: float | None = None,
    ) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError(
                f"{public_url(_split(url)[0])}: PostgreSQL needs the psycopg driver; install "
                "it with pip install 'zyw_flow[postgres]'"
            ) from None

        conninfo, ours = _split(url)
        super().__init__(url, campaign or ours.get("campaign"))
        self._psycopg = psycopg
        self._conninfo = conninfo
        self.read_only = read_only
        if lock_timeout is None:
            lock_timeout = _seconds(ours.get("lock_timeout", DEFAULT_LOCK_TIMEOUT))
        #: How long (seconds) a writer waits for another's campaign lock.
        self.lock_timeout = _seconds(lock_timeout)
        self._tx = False  # a server transaction is open on this connection
        self._listener: Any = None  # the LISTEN connection of :meth:`wait`
        self._db = self._connect()
        self._lock_key = _lock_key(self.campaign)
        if read_only:
            self.check_schema()
        else:
            self.ensure_schema()

    def retarget(self, campaign: str) -> None:
        """Work on another campaign of the database (its own advisory lock)."""
        super().retarget(campaign)
        self._lock_key = _lock_key(campaign)

    def _connect(self) -> Any:
        psycopg = self._psycopg
        try:
            db = psycopg.connect(self._conninfo, autocommit=True)
            if self.read_only:  # the server refuses any write on this session
                db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())  # psycopg's text runs over several lines
            raise StoreError(
                f"{public_url(self._conninfo)}: cannot connect to PostgreSQL: {reason}"
            ) from exc
        return db

    def _lost(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the server dropped the connection (not a failed statement)."""
        return isinstance(exc, self._psycopg.OperationalError) and bool(
            self._db.closed or self._db.broken
        )

    def _reconnect(self) -> None:
        with contextlib.suppress(Exception):
            self._db.close()
        self._db = self._connect()

    @property
    def backend_pid(self) -> int:
        """The server process of this connection (``pg_backend_pid()``)."""
        return int(self._db.info.backend_pid)

    def _has_table(self, name: str) -> bool:
        found = self._execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return bool(found[0][0])

    def ensure_schema(self) -> None:
        """Create the tables if missing (serialised by an advisory lock)."""
        self._execute("SELECT pg_advisory_lock(%s)", [727_272])
        try:
            super().ensure_schema()
        finally:
            self._execute("SELECT pg_advisory_unlock(%s)", [727_272])

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            return self._run(sql, params)
        except self._psycopg.Error as exc:
            # Between calls (no transaction open) a dropped connection is opened again,
            # once: nothing was in flight, so the statement can simply run again.
            if self._tx or not self._lost(exc):
                raise StoreError(f"PostgreSQL: {exc}") from exc
        self._reconnect()
        try:
            return self._run(sql, params)
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL (after reconnecting): {exc}") from exc

    def _run(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cur = self._db.execute(sql, params)
        return cur.fetchall() if cur.description else []

    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        try:
            with self._db.cursor() as cur:
                cur.executemany(sql, rows)
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def _iter(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]:
        for attempt in (1, 2):
            started = False
            try:
                with self._db.cursor() as cur:
                    cur.execute(sql, params)
                    while batch := cur.fetchmany(10_000):
                        started = True
                        yield from batch
                return
            except self._psycopg.Error as exc:
                # as in _execute: a connection dropped between calls, before any row came
                if started or attempt == 2 or self._tx or not self._lost(exc):
                    raise StoreError(f"PostgreSQL: {exc}") from exc
            self._reconnect()

    def _begin(self) -> None:
        if self.read_only:
            raise StoreError(f"{self.where}: opened read-only; nothing can be written")
        self._execute("BEGIN")
        self._tx = True

    def _lock(self) -> None:
        ms = max(1, round(self.lock_timeout * 1000))  # 0 in PostgreSQL would wait forever
        self._execute(f"SET LOCAL lock_timeout = {int(ms)}")
        try:
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", [self._lock_key])
        except self._psycopg.errors.LockNotAvailable as exc:
            raise LockTimeout(
                f"{self.where}: another writer held the campaign's lock for more than "
                f"{self.lock_timeout:g} s; nothing was written (retry the call)"
            ) from exc
        except self._psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}") from exc

    def _commit(self) -> None:
        try:
            if self._tx_first is not None and self._in_tx:  # rows appended: wake listeners
                # NOTIFY is transactional: listeners hear it when (and only if) this commits.
                self._execute("SELECT pg_notify(%s, %s)", [CHANNEL, self.campaign])
            self._execute("COMMIT")
        finally:
            self._tx = False

    def _rollback(self) -> None:
        self._tx = False
        with contextlib.suppress(self._psycopg.Error):
            self._db.execute("ROLLBACK")

    def wait(self, timeout: float | None = None) -> bool:
        """Block until rows after the position are committed (by any process) or
        ``timeout`` seconds pass (``None``: no limit); whether there are such rows.

        A connection of its own LISTENs on :data:`CHANNEL`: every commit that appends rows
        notifies it, so this wakes at once and sends no query while nothing happens."""
        psycopg = self._psycopg
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        try:
            if self._listener is None or self._listener.closed:
                self._listener = psycopg.connect(self._conninfo, autocommit=True)
                self._listener.execute(f"LISTEN {CHANNEL}")
            # listening first, then looking: a commit in between is seen either way
            if self.has_new_rows():
                return True
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                for note in self._listener.notifies(timeout=left, stop_after=1):
                    if note.payload == self.campaign:
                        return self.has_new_rows()
        except psycopg.Error as exc:
            with contextlib.suppress(Exception):
                if self._listener is not None:
                    self._listener.close()
            self._listener = None
            raise StoreError(f"PostgreSQL (waiting for new rows): {exc}") from exc

    @property
    def listener_pid(self) -> int | None:
        """The server process of the LISTEN connection :meth:`wait` uses, once it has one."""
        if self._listener is None or self._listener.closed:
            return None
        return int(self._listener.info.backend_pid)

    def close(self) -> None:
        """Close the connection (and the LISTEN connection, if any)."""
        if self._listener is not None:
            with contextlib.suppress(Exception):
                self._listener.close()
            self._listener = None
        self._db.close()


def _lock_key(campaign: str) -> int:
    """The advisory lock of one campaign."""
    return int.from_bytes(
        hashlib.sha256(f"zyw_flow:{campaign}".encode()).digest()[:8], "big", signed=True
    )
