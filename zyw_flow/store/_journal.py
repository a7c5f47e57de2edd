"""The append-only event journal: rows, their hash chain, and the SQL both stores share.

Every row carries ``hash = sha256(previous hash + the row's canonical JSON)``, so any
changed, removed or reordered row breaks the chain from that row on.
"""

from __future__ import annotations

import hashlib
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs

from zyw_flow._errors import JournalCorrupted, SchemaVersionError, StoreError
from zyw_flow.store._checkpoint import Checkpoint, CheckpointPolicy, load_private_key, utc_now
from zyw_flow.store._merkle import Frontier, leaf_hash
from zyw_flow.store._outbox import OUTBOX_INSERT, create_outbox_tables, outbox_entries

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
    )


__all__ = [
    "GENESIS",
    "SCHEMA_VERSION",
    "Journal",
    "Row",
    "VerifyReport",
    "campaign_genesis",
    "chain_hash",
    "meta_problem",
    "public_url",
    "verify_rows",
]

SCHEMA_VERSION = 5
#: The most events one row stands for (a batch of 10,000 units, two events each).
_MAX_BATCH = 10_000
GENESIS = "0" * 64
#: The chain version new campaigns are written with: 3 also covers each row's event
#: number and event count (a batch row stands for many events).
CHAIN_VERSION = "3"


@attrs.frozen(slots=True)
class Row:
    """One journal row.

    ``kind`` is ``event`` (a campaign event), ``actor`` (an actor registered) or ``clock``
    (the clock moved with nothing due). ``data`` is canonical JSON text or ``None``;
    ``fingerprint`` identifies the payload of a keyed (idempotent) call.
    """

    seq: int
    kind: str
    type: str
    at_us: int
    unit: str | None
    step: str | None
    actor: str | None
    data: str | None
    key: str | None
    fingerprint: str | None
    hash: str
    eseq: int | None = None
    n: int | None = None

    @property
    def events(self) -> int:
        """How many public events the row stands for (rows before schema 3 hold one)."""
        if self.kind != "event":
            return 0
        return 1 if self.n is None else self.n

    def fields(self) -> tuple[Any, ...]:
        """The stored columns, in order."""
        return attrs.astuple(self)

    def hashed(self) -> tuple[Any, ...]:
        """The columns the hash covers (all but the hash and the event number, which is the
        count of event rows so far and checked on replay)."""
        return (
            self.seq,
            self.kind,
            self.type,
            self.at_us,
            self.unit,
            self.step,
            self.actor,
            self.data,
            self.key,
            self.fingerprint,
        )

    def loaded(self) -> Mapping[str, Any] | None:
        """``data`` parsed."""
        return None if self.data is None else json.loads(self.data)


def canonical_data(data: Mapping[str, Any] | None) -> str | None:
    """The canonical JSON text of an event's data."""
    if not data:
        return None
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def chain_hash(
    prev: str,
    seq: int,
    kind: str,
    type_: str,
    at_us: int,
    unit: str | None,
    step: str | None,
    actor: str | None,
    data: str | None,
    key: str | None,
    fingerprint: str | None,
) -> str:
    """The hash of a row chained to the previous row's hash."""
    body = _ENCODE([seq, kind, type_, at_us, unit, step, actor, data, key, fingerprint])
    return _sha256((prev + body).encode("utf-8")).hexdigest()


def chain_hash_v3(prev: str, row_fields: Sequence[Any]) -> str:
    """The chain-version-3 hash: every stored column but the hash itself."""
    return _sha256((prev + _ENCODE(list(row_fields))).encode("utf-8")).hexdigest()


def row_hash(version: str, prev: str, row: Row) -> str:
    """The hash ``row`` must carry after ``prev`` in a chain of ``version``."""
    if version == CHAIN_VERSION:
        return chain_hash_v3(prev, (*row.hashed(), row.eseq, row.n))
    return chain_hash(prev, *row.hashed())


# One encoder for every row (``json.dumps`` with options builds a new one per call).
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_sha256 = hashlib.sha256


@attrs.frozen
class VerifyReport:
    """The result of checking a journal's hash chain."""

    ok: bool
    rows: int
    first_bad: int | None = None
    reason: str = ""
    last_hash: str = ""
    events: int | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.rows} rows, hash chain intact"
        return f"BROKEN at row {self.first_bad}: {self.reason} ({self.rows} rows checked)"


def verify_rows(
    rows: Iterable[Row],
    prev: str = GENESIS,
    start: int = 0,
    *,
    version: str = "2",
    events: int | None = None,
) -> VerifyReport:
    """Walk the chain; report the first row whose sequence, hash or event number is wrong.

    ``events`` is the count of public events before ``start`` (known from row 0, or from a
    snapshot); without it numbering is checked only from the start of the journal."""
    expected = start + 1
    count = 0
    if events is None and start == 0:
        events = 0
    for row in rows:
        count += 1
        problem = check_row(row, expected, prev, version, events)
        if problem:
            return VerifyReport(False, count, row.seq if row.seq == expected else expected, problem)
        if events is not None:
            events += row.events
        prev = row.hash
        expected += 1
    return VerifyReport(True, count, last_hash=prev, events=events)


def check_row(row: Row, seq: int, prev: str, version: str, events: int | None) -> str | None:
    """Why ``row`` cannot be row ``seq`` after hash ``prev`` (``None``: it can)."""
    if row.seq != seq:
        return f"row {seq} is missing (found {row.seq} next)"
    if row_hash(version, prev, row) != row.hash:
        return "hash mismatch: the row was changed"
    if row.kind == "event":
        if events is not None and row.eseq != events + 1:
            return "event numbering is broken"
        if row.events < 1:
            return "an event row must stand for at least one event"
    elif row.eseq is not None or row.n not in (None, 0):
        return "event numbering is broken (a non-event row carries an event number)"
    return None


def campaign_genesis(meta: Mapping[str, str]) -> str:
    """The hash a campaign's chain starts from: it covers the stored template, its phase
    templates and the parameters, so changing any of them breaks the chain at row 1.

    Campaigns created before chain version 2 (zyw_flow 0.1.0) started from the template
    hash and parameters only; they keep their genesis. Version 2 also covers the stored
    phase templates, scoring schemes and the frozen working-day calendar.
    """
    body = meta["template_sha256"] + meta["params"]
    if meta.get("chain_version") == CHAIN_VERSION:
        body = json.dumps({k: meta.get(k, "") for k in sorted(GENESIS_FIELDS)}, sort_keys=True)
    elif meta.get("chain_version") == "2":
        body += meta.get("phase_texts", "") + meta.get("scheme_texts", "")
        body += meta.get("calendar_years", "")
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


#: The stored fields a chain-version-3 genesis covers (every field that changes meaning).
GENESIS_FIELDS = frozenset(
    {
        "campaign_id",
        "campaign_uid",
        "store_campaign",
        "template_text",
        "template_file",
        "template_sha256",
        "scheme_texts",
        "phase_texts",
        "params",
        "zyw_flow_version",
        "chain_version",
        "calendar_years",
    }
)


def meta_problem(meta: Mapping[str, str]) -> str | None:
    """Why the stored template is not to be trusted, or ``None``."""
    text = meta.get("template_text", "")
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != meta.get("template_sha256"):
        return "the stored template does not match its hash"
    return None


def public_url(url: str) -> str:
    """``url`` without a password (in its user part or a ``password=`` query), for
    messages and names that are printed or stored."""
    parts = urlsplit(url)
    if parts.password is not None:
        user, _, host = parts.netloc.rpartition("@")
        parts = parts._replace(netloc=f"{user.partition(':')[0]}@{host}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() == "password" for k, _ in query):
        hidden = [(k, "***" if k.lower() == "password" else v) for k, v in query]
        parts = parts._replace(query=urlencode(hidden, safe="*"))
    return urlunsplit(parts)


class Journal(ABC):
    """A campaign's durable journal. Writes happen inside :meth:`begin` … :meth:`commit`.

    Subclasses provide the connection; the SQL is shared and parameterised by
    :attr:`placeholder`.
    """

    placeholder = "?"
    blob_type = "BLOB"
    int_type = "INTEGER"
    #: Opened for reading only (an auditor's copy): nothing is ever written.
    read_only = False

    def __init__(self, url: str, campaign: str | None) -> None:
        self.url = url
        #: the store as messages name it (a URL without its password)
        self.where = public_url(url)
        self.campaign = campaign or "default"
        #: whether the caller named the campaign (else :meth:`choose_campaign` may pick it)
        self.named = campaign is not None
        self._in_tx = False
        # The chain as far as this connection has read or written it.
        self.chain_version = "2"
        self._pos: tuple[int, str, int] = (0, GENESIS, 0)  # (row, hash, events)
        self._mark = self._pos
        # Signed checkpoints: the policy (None: none by themselves), the Merkle tree's right
        # edge over the rows up to the position (None: rebuilt from the rows when needed),
        # and what this transaction appended (the first row, a finalisation).
        self._policy: CheckpointPolicy | None = None
        self._frontier: Frontier | None = None
        self._frontier_mark: Frontier | None = None
        self._tx_first: int | None = None
        self._tx_finalized = False
        self._campaign_id = ""
        #: The last checkpoint this connection signed (by itself or on request).
        self.last_checkpoint: Checkpoint | None = None

    # -- connection primitives (per backend) -----------------------------------------
    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _iter(self, sql: str, params: Sequence[Any] = ()) -> Iterator[tuple[Any, ...]]: ...

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    def _sql(self, text: str) -> str:
        return text.replace("?", self.placeholder)

    # -- waiting for other processes' commits ---------------------------------------------
    #: How often (seconds) :meth:`wait` looks for new rows on a store that cannot wake a
    #: waiting process by itself (SQLite); PostgreSQL wakes it with LISTEN/NOTIFY instead.
    poll_interval = 0.2

    def has_new_rows(self) -> bool:
        """Whether rows after this connection's position are committed."""
        found = self._execute(
            self._sql("SELECT MAX(seq) FROM zyw_journal WHERE campaign = ?"), [self.campaign]
        )
        return found[0][0] is not None and int(found[0][0]) > self._pos[0]

    def wait(self, timeout: float | None = None) -> bool:
        """Block until rows after the position are committed (by any process) or
        ``timeout`` seconds pass (``None``: no limit); whether there are such rows.

        This driver looks every :attr:`poll_interval` seconds."""
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        while True:
            if self.has_new_rows():
                return True
            left = self.poll_interval if deadline is None else deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.poll_interval, left))

    # -- schema ----------------------------------------------------------------------
    def check_schema(self) -> None:
        """What a read-only open checks instead of :meth:`ensure_schema` (which writes): the
        journal's schema is one this version reads as it is, without migrating it.

        Raises:
            StoreError: no journal here, or one that must be migrated first;
            SchemaVersionError: written by a newer zyw_flow.
        """
        if not self._has_table("zyw_schema"):
            raise StoreError(f"{self.where}: holds no zyw_flow journal")
        found = self._execute(
            self._sql("SELECT version FROM zyw_schema WHERE component = ?"), ["journal"]
        )
        version = self._version(found[0][0]) if found else 0
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(
                f"{self.where}: journal schema version {version} was written by a newer "
                f"zyw_flow (this one reads up to {SCHEMA_VERSION}); upgrade zyw_flow"
            )
        if version < 3:
            raise StoreError(
                f"{self.where}: journal schema version {version} must be migrated before it can "
                "be read read-only; open a writable copy once (it migrates), then verify"
            )

    def _version(self, value: object) -> int:
        """The journal's schema version as stored; anything but a whole number is a changed
        store.

        Raises:
            JournalCorrupted: ``zyw_schema`` holds something else.
        """
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise JournalCorrupted(
            f"{self.where}: table zyw_schema holds journal version {value!r}, not a number: "
            "the store was changed outside zyw_flow"
        )

    def ensure_schema(self) -> None:
        """Create the tables if missing; refuse a journal of a newer schema."""
        i, b = self.int_type, self.blob_type
        self._begin()
        try:
            self._execute(
                "CREATE TABLE IF NOT EXISTS zyw_schema (component TEXT PRIMARY KEY, version "
                f"{i} NOT NULL)"
            )
            found = self._execute(
                self._sql("SELECT version FROM zyw_schema WHERE component = ?"), ["journal"]
            )
            if found and self._version(found[0][0]) > SCHEMA_VERSION:
                raise SchemaVersionError(
                    f"{self.where}: journal schema version {found[0][0]} was written by a newer "
                    f"zyw_flow (this one reads up to {SCHEMA_VERSION}); upgrade zyw_flow"
                )
            self._execute(
                "CREATE TABLE IF NOT EXISTS zyw_meta (campaign TEXT NOT NULL, key TEXT NOT NULL, "
                "value TEXT NOT NULL, PRIMARY KEY (campaign, key))"
            )
            self._execute(
                "CREATE TABLE IF NOT EXISTS zyw_journal (campaign TEXT NOT NULL, "
                f"seq {i} NOT NULL, kind TEXT NOT NULL, type TEXT NOT NULL, at_us {i} NOT NULL, "
                "unit TEXT, step TEXT, actor TEXT, data TEXT, key TEXT, fingerprint TEXT, "
                f"hash TEXT NOT NULL, eseq {i}, n {i}, PRIMARY KEY (campaign, seq))"
            )

            self._execute(
                "CREATE TABLE IF NOT EXISTS zyw_snapshot (campaign TEXT NOT NULL, "
                f"seq {i} NOT NULL, state {b} NOT NULL, state_hash TEXT NOT NULL, "
                "PRIMARY KEY (campaign, seq))"
            )
            self._execute(
                "CREATE TABLE IF NOT EXISTS zyw_checkpoint (campaign TEXT NOT NULL, "
                f"tree_size {i} NOT NULL, receipt TEXT NOT NULL, PRIMARY KEY (campaign, tree_size))"
            )
            create_outbox_tables(self)
            if not found:
                self._migrate(0)
            elif self._version(found[0][0]) < SCHEMA_VERSION:
                self._migrate(self._version(found[0][0]))
            self._execute(
                "CREATE UNIQUE INDEX IF NOT EXISTS zyw_journal_eseq ON zyw_journal (campaign, eseq)"
            )
            self._commit()
        except BaseException:
            self._rollback()
            raise

    def _migrate(self, from_version: int) -> None:
        """Bring an older schema up to :data:`SCHEMA_VERSION`, one step per version.

        - 1 → 2: events get their own number (``eseq``), apart from actor and clock rows.
        - 2 → 3: a row may stand for several events (``n``: a batch over many units).
        - 3 → 4: signed checkpoints (the ``zyw_checkpoint`` table, created above).
        - 4 → 5: the transactional outbox and the relay's bookkeeping (``zyw_outbox``,
          ``zyw_relay``, ``zyw_dead``, created above; see :mod:`zyw_flow.store._outbox`).
          Rows written before the migration get no outbox entries: a relay started on a
          migrated store delivers what happens from then on, not the campaign's past.
        """
        if from_version == 0:
            self._execute(
                self._sql("INSERT INTO zyw_schema (component, version) VALUES (?, ?)"),
                ["journal", SCHEMA_VERSION],
            )
            return
        if from_version < 2:
            self._execute(f"ALTER TABLE zyw_journal ADD COLUMN eseq {self.int_type}")
            # Number the event rows in one pass (a window function: linear, not quadratic).
            self._execute(
                "UPDATE zyw_journal SET eseq = numbered.n FROM (SELECT campaign AS c, seq AS s, "
                "ROW_NUMBER() OVER (PARTITION BY campaign ORDER BY seq) AS n FROM zyw_journal "
                "WHERE kind = 'event') AS numbered WHERE zyw_journal.campaign = numbered.c "
                "AND zyw_journal.seq = numbered.s"
            )
        if from_version < 3:
            self._execute(f"ALTER TABLE zyw_journal ADD COLUMN n {self.int_type}")
            self._execute("UPDATE zyw_journal SET n = 1 WHERE kind = 'event'")
            # Snapshots of older schemas hold the state in another layout: drop them (the
            # journal still rebuilds everything; save a new snapshot when convenient).
            self._execute("DELETE FROM zyw_snapshot")
        self._execute(
            self._sql("UPDATE zyw_schema SET version = ? WHERE component = ?"),
            [SCHEMA_VERSION, "journal"],
        )

    # -- campaigns in one store ---------------------------------------------------------
    def campaigns(self) -> list[str]:
        """The ids of the campaigns this store holds, sorted."""
        rows = self._execute("SELECT DISTINCT campaign FROM zyw_meta ORDER BY campaign")
        return [str(r[0]) for r in rows]

    def retarget(self, campaign: str) -> None:
        """Work on another campaign of the same store (before any transaction)."""
        self.campaign = campaign
        self.named = True

    def choose_campaign(self) -> None:
        """With no campaign named: the store's only campaign (or ``default`` for an empty
        store); a store of several refuses, naming them.

        Raises:
            StoreError: the store holds more than one campaign.
        """
        if self.named:
            return
        held = self.campaigns()
        if len(held) == 1:
            self.retarget(held[0])
        elif len(held) > 1:
            raise StoreError(
                f"{self.where}: holds {len(held)} campaigns ({', '.join(held)}); say which "
                "(campaign_id=…, or PATH?campaign=ID / a PostgreSQL URL's ?campaign=ID)"
            )

    # -- meta ------------------------------------------------------------------------
    def read_meta(self) -> dict[str, str]:
        """The campaign's stored meta (template text, parameters …); empty if none."""
        rows = self._execute(
            self._sql("SELECT key, value FROM zyw_meta WHERE campaign = ?"), [self.campaign]
        )
        return {str(k): str(v) for k, v in rows}

    def write_meta(self, meta: Mapping[str, str]) -> None:
        """Store meta for a new campaign (inside a transaction)."""
        self._executemany(
            self._sql("INSERT INTO zyw_meta (campaign, key, value) VALUES (?, ?, ?)"),
            [(self.campaign, k, v) for k, v in meta.items()],
        )

    # -- transactions ----------------------------------------------------------------
    def begin(self) -> None:
        """Start a write transaction holding the campaign's write lock."""
        if self._in_tx:
            raise StoreError("a journal transaction is already open")
        if self.read_only:
            raise StoreError(f"{self.where}: opened read-only; nothing can be written")
        self._begin()
        self._in_tx = True
        self._mark = self._pos
        self._frontier_mark = None if self._frontier is None else self._frontier.copy()
        self._tx_first = None
        self._tx_finalized = False
        try:
            self._lock()
        except BaseException:
            self.rollback()
            raise

    def _lock(self) -> None:  # noqa: B027 - optional hook; SQLite's BEGIN IMMEDIATE locks
        """Take the campaign's write lock for this transaction (backend-specific)."""

    def commit(self) -> None:
        """Make the transaction durable (signing a checkpoint first if the policy says so)."""
        try:
            if self._policy is not None and self._due_checkpoint(self._policy):
                self._sign_and_store(self._policy.key, self._policy.clock())
            self._commit()
        finally:
            self._in_tx = False

    def rollback(self) -> None:
        """Abandon the transaction (the position goes back to where it began)."""
        try:
            self._rollback()
        finally:
            self._in_tx = False
            self._pos = self._mark
            mark = self._frontier_mark
            self._frontier = mark if mark is not None and mark.size == self._pos[0] else None

    # -- rows ------------------------------------------------------------------------
    def last(self) -> tuple[int, str]:
        """The last row's sequence number and hash (``0`` and the genesis hash if none)."""
        rows = self._execute(
            self._sql(
                "SELECT seq, hash FROM zyw_journal WHERE campaign = ? ORDER BY seq DESC LIMIT 1"
            ),
            [self.campaign],
        )
        if not rows:
            return 0, GENESIS
        return int(rows[0][0]), str(rows[0][1])

    def genesis(self) -> str:
        """The hash this campaign's chain starts from (see :func:`campaign_genesis`)."""
        meta = self.read_meta()
        return campaign_genesis(meta) if meta else GENESIS

    def hash_at(self, seq: int) -> str | None:
        """The hash of row ``seq`` (the genesis for ``0``)."""
        if seq == 0:
            return self.genesis()
        rows = self._execute(
            self._sql("SELECT hash FROM zyw_journal WHERE campaign = ? AND seq = ?"),
            [self.campaign, seq],
        )
        return str(rows[0][0]) if rows else None

    def rows(
        self,
        after: int = 0,
        *,
        kind: str | None = None,
        unit: str | None = None,
        upto: int | None = None,
    ) -> Iterator[Row]:
        """Rows after ``after`` (up to ``upto``) in order, optionally of one kind or unit."""
        sql = (
            "SELECT seq, kind, type, at_us, unit, step, actor, data, key, fingerprint, hash, eseq, "
            "n FROM zyw_journal WHERE campaign = ? AND seq > ?"
        )
        params: list[Any] = [self.campaign, after]
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        if unit is not None:
            sql += " AND unit = ?"
            params.append(unit)
        if upto is not None:
            sql += " AND seq <= ?"
            params.append(upto)
        sql += " ORDER BY seq"
        for r in self._iter(self._sql(sql), params):
            yield _row(r)

    def events_after(self, eseq: int, *, unit: str | None = None) -> Iterator[Row]:
        """Event rows holding an event numbered above ``eseq``, in order (with ``unit``:
        that unit's rows and the batch rows, which may hold it)."""
        sql = (
            "SELECT seq, kind, type, at_us, unit, step, actor, data, key, fingerprint, hash, eseq, "
            "n FROM zyw_journal WHERE campaign = ? AND eseq > ? AND eseq + COALESCE(n, 1) > ?"
        )
        params: list[Any] = [self.campaign, eseq - 2 * _MAX_BATCH, eseq + 1]
        if unit is not None:
            sql += " AND (unit = ? OR unit IS NULL)"
            params.append(unit)
        sql += " ORDER BY eseq"
        for r in self._iter(self._sql(sql), params):
            yield _row(r)

    def event_row(self, eseq: int) -> Row | None:
        """The row holding event number ``eseq``."""
        for r in self.events_after(eseq - 1):
            return r if r.eseq is not None and r.eseq <= eseq < r.eseq + r.events else None
        return None

    def row(self, seq: int) -> Row | None:
        """One row by sequence number."""
        for r in self.rows(seq - 1):
            return r if r.seq == seq else None
        return None

    def count(self) -> int:
        """How many rows the journal holds."""
        return int(
            self._execute(
                self._sql("SELECT COUNT(*) FROM zyw_journal WHERE campaign = ?"), [self.campaign]
            )[0][0]
        )

    # -- the chain, written and checked here only ---------------------------------------
    def start_chain(self, meta: Mapping[str, str]) -> None:
        """Position at the start of a campaign's chain (its genesis)."""
        self.chain_version = meta.get("chain_version", "1")
        self._pos = self._mark = (0, campaign_genesis(meta), 0)
        self._campaign_id = meta.get("campaign_id", "")
        self._frontier = Frontier() if self._policy is not None else None

    @property
    def position(self) -> tuple[int, str, int]:
        """``(row, hash, events)`` of the last row read or written by this connection."""
        return self._pos

    def seek(self, seq: int, *, verify: bool) -> None:
        """Position after row ``seq`` (a snapshot's row). With ``verify`` every row up to it
        is checked from the genesis; without, only that row's hash is read.

        Raises:
            JournalCorrupted: the chain is broken before ``seq``, or there is no such row.
        """
        self._frontier = None  # rebuilt from the rows if a checkpoint needs it
        if verify:
            report = verify_rows(self.rows(0, upto=seq), self._pos[1], version=self.chain_version)
            if not report.ok:
                raise JournalCorrupted(f"{self.where}: {report}")
            if report.rows != seq:
                raise JournalCorrupted(
                    f"{self.where}: the snapshot at row {seq} does not match the journal "
                    f"(it has {report.rows} rows)"
                )
            self._pos = (seq, report.last_hash, report.events or 0)
            return
        row = self.row(seq) if seq else None
        if seq and row is None:
            raise JournalCorrupted(
                f"{self.where}: the snapshot at row {seq} does not match the journal (no such row)"
            )
        if row is not None:
            events = self._execute(
                self._sql(
                    "SELECT COALESCE(MAX(eseq + COALESCE(n, 1) - 1), 0) FROM zyw_journal "
                    "WHERE campaign = ? AND seq <= ? AND kind = 'event'"
                ),
                [self.campaign, seq],
            )[0][0]
            self._pos = (seq, row.hash, int(events))

    def read_new(self) -> Iterator[Row]:
        """Rows after the position, each checked against the chain before it is yielded.

        Raises:
            JournalCorrupted: a row is missing, changed or misnumbered.
        """
        seq, prev, events = self._pos
        for row in self.rows(seq):
            problem = check_row(row, seq + 1, prev, self.chain_version, events)
            if problem:
                if problem.startswith("hash mismatch"):
                    problem = f"({row.type}) was changed: its hash does not match the chain"
                else:
                    problem = f": {problem}"
                raise JournalCorrupted(f"{self.where}: row {seq + 1} {problem}".replace(" :", ":"))
            seq, prev, events = row.seq, row.hash, events + row.events
            # rows others committed: a rollback of this connection's transaction keeps them
            self._pos = self._mark = (seq, prev, events)
            if self._frontier is not None:
                self._frontier.add(leaf_hash(prev))
            yield row

    def append(self, records: Sequence[Sequence[Any]]) -> list[Row]:
        """Append records ``(kind, type, at_us, unit, step, actor, data, key, fingerprint,
        n)`` (``data`` a mapping or ``None``) after the position, inside the current
        transaction: numbered, event-numbered and hashed here.

        Returns:
            The rows written.
        """
        if not self._in_tx:
            raise StoreError("append outside a transaction")
        seq, prev, events = self._pos
        out: list[Row] = []
        version = self.chain_version
        for kind, type_, at, unit, step, actor, data, key, fp, n in records:
            seq += 1
            eseq = events + 1 if kind == "event" else None
            text = canonical_data(data)
            row = Row(seq, kind, type_, at, unit, step, actor, text, key, fp, "", eseq,
                      n if kind == "event" else None)  # fmt: skip
            row = attrs.evolve(row, hash=row_hash(version, prev, row))
            prev = row.hash
            events += n
            out.append(row)
            if type_ == "evaluation_finalized":
                self._tx_finalized = True
        self._executemany(
            self._sql(
                "INSERT INTO zyw_journal (campaign, seq, kind, type, at_us, unit, step, actor, "
                "data, key, fingerprint, hash, eseq, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "?, ?, ?)"
            ),
            [(self.campaign, *r.fields()) for r in out],
        )
        entries = outbox_entries(self.campaign, out)
        if entries:  # the same transaction as the rows: committed (or lost) together
            self._executemany(self._sql(OUTBOX_INSERT), entries)
        if self._tx_first is None:
            self._tx_first = self._pos[0] + 1
        if self._frontier is not None:
            for r in out:
                self._frontier.add(leaf_hash(r.hash))
        self._pos = (seq, prev, events)
        return out

    def verify(self) -> VerifyReport:
        """Check the stored template and the whole hash chain of this campaign."""
        meta = self.read_meta()
        problem = meta_problem(meta) if meta else "no campaign is stored here"
        if problem:
            return VerifyReport(False, 0, 0, problem)
        return verify_rows(
            self.rows(0), campaign_genesis(meta), version=meta.get("chain_version", "1")
        )

    # -- signed checkpoints (RFC 6962 Merkle tree over the rows' hashes) ---------------
    def sign_checkpoints(
        self,
        key: str | Path | Ed25519PrivateKey | None,
        *,
        every: int | None = None,
        at_finalize: bool = True,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        """Sign checkpoints by itself from now on: in the commit of a call that reaches a
        multiple of ``every`` rows, and (``at_finalize``) of every ``finalize_evaluation``.
        ``key``: the private key (file) to sign with; ``None`` turns it off. ``clock``: the
        signing time (default: the system clock). The newest is :attr:`last_checkpoint`.

        Raises:
            SigningKeyError: the key file holds no Ed25519 private key.
            ValueError: ``every`` is not a positive row count.
        """
        if key is None:
            self._policy = None
            self._frontier = None
            return
        if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                                  or every < 1):  # fmt: skip
            raise ValueError(f"every must be a positive number of rows, not {every!r}")
        policy = CheckpointPolicy(load_private_key(key), every, at_finalize)
        self._policy = policy if clock is None else attrs.evolve(policy, clock=clock)

    def _due_checkpoint(self, policy: CheckpointPolicy) -> bool:
        first, end = self._tx_first, self._pos[0]
        if first is None:
            return False
        if policy.at_finalize and self._tx_finalized:
            return True
        return policy.every is not None and end // policy.every > (first - 1) // policy.every

    def _current_frontier(self) -> Frontier:
        """The Merkle tree's right edge over the rows up to the position (rebuilt from the
        rows, checking their chain, when it was not kept)."""
        if self._frontier is not None and self._frontier.size == self._pos[0]:
            return self._frontier
        frontier = Frontier()
        meta = self.read_meta()
        prev, events, expected = campaign_genesis(meta), 0, 1
        for row in self.rows(0, upto=self._pos[0]):
            problem = check_row(row, expected, prev, self.chain_version, events)
            if problem:
                raise JournalCorrupted(f"{self.where}: row {expected}: {problem}; not signing it")
            prev, events, expected = row.hash, events + row.events, expected + 1
            frontier.add(leaf_hash(row.hash))
        if frontier.size != self._pos[0]:
            raise JournalCorrupted(f"{self.where}: rows after {frontier.size} are missing")
        self._frontier = frontier
        return frontier

    def _sign_and_store(self, key: Ed25519PrivateKey, time: dt.datetime) -> Checkpoint:
        frontier = self._current_frontier()
        checkpoint = Checkpoint.sign(
            key,
            campaign_id=self._campaign_id,
            store_campaign=self.campaign,
            tree_size=frontier.size,
            root=frontier.root(),
            time=time,
        )
        self._execute(
            self._sql("DELETE FROM zyw_checkpoint WHERE campaign = ? AND tree_size = ?"),
            [self.campaign, checkpoint.tree_size],
        )
        self._execute(
            self._sql("INSERT INTO zyw_checkpoint (campaign, tree_size, receipt) VALUES (?, ?, ?)"),
            [self.campaign, checkpoint.tree_size, checkpoint.text()],
        )
        self.last_checkpoint = checkpoint
        return checkpoint

    def checkpoint(
        self, key: str | Path | Ed25519PrivateKey, *, time: dt.datetime | None = None
    ) -> Checkpoint:
        """Sign a checkpoint of every committed row, store it, and return it (the receipt).

        The whole chain is checked first: a broken journal is never signed. Runs in its own
        transaction, holding the write lock; the connection's position does not move.

        Raises:
            JournalCorrupted: the chain is broken; StoreError: no campaign, or a
            transaction is open; SigningKeyError: not an Ed25519 private key.
        """
        signing = load_private_key(key)
        meta = self.read_meta()
        if not meta:
            raise StoreError(f"{self.where}: holds no campaign")
        self.begin()
        try:
            report = self.verify()
            if not report.ok:
                raise JournalCorrupted(f"{self.where}: {report}; not signing it")
            frontier = Frontier()
            for (h,) in self._iter(
                self._sql("SELECT hash FROM zyw_journal WHERE campaign = ? ORDER BY seq"),
                [self.campaign],
            ):
                frontier.add(leaf_hash(str(h)))
            saved = (self._pos, self._frontier, self._campaign_id)
            self._pos = (frontier.size, report.last_hash, 0)
            self._frontier, self._campaign_id = frontier, meta.get("campaign_id", "")
            try:
                checkpoint = self._sign_and_store(signing, utc_now() if time is None else time)
            finally:
                self._pos, self._frontier, self._campaign_id = saved
            self.commit()
        except BaseException:
            self.rollback()
            raise
        return checkpoint

    def checkpoints(self) -> list[Checkpoint]:
        """The checkpoints stored in the journal, oldest first (not checked here)."""
        from zyw_flow.store._checkpoint import parse_receipt

        if not self._has_table("zyw_checkpoint"):
            return []
        found = self._execute(
            self._sql("SELECT receipt FROM zyw_checkpoint WHERE campaign = ? ORDER BY tree_size"),
            [self.campaign],
        )
        return [parse_receipt(str(r[0])) for r in found]

    def _has_table(self, name: str) -> bool:
        return True

    # -- snapshots -------------------------------------------------------------------
    def save_snapshot(self, seq: int, state: bytes) -> None:
        """Store a state snapshot taken after row ``seq`` (inside a transaction)."""
        digest = hashlib.sha256(state).hexdigest()
        self._execute(
            self._sql("DELETE FROM zyw_snapshot WHERE campaign = ? AND seq = ?"),
            [self.campaign, seq],
        )
        self._execute(
            self._sql(
                "INSERT INTO zyw_snapshot (campaign, seq, state, state_hash) VALUES (?, ?, ?, ?)"
            ),
            [self.campaign, seq, state, digest],
        )

    def latest_snapshot(self) -> tuple[int, bytes] | None:
        """The newest snapshot (sequence number and state), checked against its hash."""
        rows = self._execute(
            self._sql(
                "SELECT seq, state, state_hash FROM zyw_snapshot WHERE campaign = ? "
                "ORDER BY seq DESC LIMIT 1"
            ),
            [self.campaign],
        )
        if not rows:
            return None
        seq, state, digest = int(rows[0][0]), bytes(rows[0][1]), str(rows[0][2])
        if hashlib.sha256(state).hexdigest() != digest:
            raise JournalCorrupted(f"{self.where}: the snapshot at row {seq} was changed")
        return seq, state


def _row(r: Sequence[Any]) -> Row:
    return Row(
        int(r[0]),
        r[1],
        r[2],
        int(r[3]),
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        r[9],
        r[10],
        None if r[11] is None else int(r[11]),
        None if len(r) < 13 or r[12] is None else int(r[12]),
    )
