"""The transactional outbox: which events leave the process, and the relay's bookkeeping.

:meth:`Journal.append <zyw_flow.store.Journal.append>` writes one ``zyw_outbox`` entry for
each journal row holding events a host may act on, in the same transaction as the row, so a
crash never loses a notification nor invents one. An entry covers the event numbers of its
row (``eseq`` … ``eseq + n - 1``): a batch row (overdue, escalated, submitted for many units)
is one entry standing for one notification per unit, each with its own delivery id.

The relay (:mod:`zyw_flow.relay`) keeps, per campaign and target, the last event number it
has finished (delivered or dead-lettered), the failures of the next one, and a lease:
``zyw_relay``; dead letters go to ``zyw_dead``. Every change of that state is one statement
guarded by the lease holder, so two relays never both advance one target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import attrs

__all__ = [
    "QUIET_TYPES",
    "DeadLetter",
    "Outbox",
    "OutboxEntry",
    "RelayState",
    "create_outbox_tables",
    "outbox_entries",
]

#: Event types that do not go out: ``enrolled`` (the host enrolled the units itself) and
#: ``phase_entered`` (one per unit and phase, repeating the campaign-wide ``phase_opened``).
#: Every other event goes out: submissions, acceptances, returns, waivers, overdue steps,
#: escalation levels (催办, 黄牌, 红牌 …), findings, sanctions, scores, deductions, cases,
#: evaluation and ranking events.
QUIET_TYPES = frozenset({"enrolled", "phase_entered"})

#: The most events one journal row stands for (a batch of 10,000 units, two events each).
MAX_EVENTS_PER_ROW = 20_000

#: An entry is keyed by its first event number; a row written again over a journal cut
#: short from outside (tampering, or a restored backup) takes its entry over.
OUTBOX_INSERT = (
    "INSERT INTO zyw_outbox (campaign, eseq, n, seq, type, at_us) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (campaign, eseq) DO UPDATE SET n = excluded.n, seq = excluded.seq, "
    "type = excluded.type, at_us = excluded.at_us"
)


class _Db(Protocol):
    """What the outbox needs of a journal's connection."""

    url: str
    campaign: str
    int_type: str
    placeholder: str

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def _sql(self, text: str) -> str: ...

    def _begin(self) -> None: ...

    def _commit(self) -> None: ...

    def _rollback(self) -> None: ...

    def _has_table(self, name: str) -> bool: ...


class _RowLike(Protocol):
    @property
    def kind(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def eseq(self) -> int | None: ...
    @property
    def at_us(self) -> int: ...
    @property
    def events(self) -> int: ...


def create_outbox_tables(db: _Db) -> None:
    """Create the outbox tables if missing (schema 5; inside the schema transaction)."""
    i = db.int_type
    db._execute(
        "CREATE TABLE IF NOT EXISTS zyw_outbox (campaign TEXT NOT NULL, "
        f"eseq {i} NOT NULL, n {i} NOT NULL, seq {i} NOT NULL, type TEXT NOT NULL, "
        f"at_us {i} NOT NULL, PRIMARY KEY (campaign, eseq))"
    )
    db._execute(
        "CREATE TABLE IF NOT EXISTS zyw_relay (campaign TEXT NOT NULL, target TEXT NOT NULL, "
        f"done {i} NOT NULL, attempts {i} NOT NULL, next_us {i} NOT NULL, lease_owner TEXT, "
        f"lease_until_us {i} NOT NULL, error TEXT, PRIMARY KEY (campaign, target))"
    )
    db._execute(
        "CREATE TABLE IF NOT EXISTS zyw_dead (campaign TEXT NOT NULL, target TEXT NOT NULL, "
        f"eseq {i} NOT NULL, delivery_id TEXT NOT NULL, attempts {i} NOT NULL, "
        f"error TEXT NOT NULL, at_us {i} NOT NULL, PRIMARY KEY (campaign, target, eseq))"
    )


def outbox_entries(campaign: str, rows: Iterable[_RowLike]) -> list[tuple[Any, ...]]:
    """The ``zyw_outbox`` rows for journal rows just appended (those that go out)."""
    return [
        (campaign, r.eseq, r.events, r.seq, r.type, r.at_us)
        for r in rows
        if r.kind == "event" and r.eseq is not None and r.type not in QUIET_TYPES
    ]


@attrs.frozen
class OutboxEntry:
    """One outbox entry: the events numbered ``eseq`` … ``eseq + n - 1`` of one row."""

    eseq: int
    n: int
    seq: int
    type: str
    at_us: int

    @property
    def last(self) -> int:
        """The last event number the entry covers."""
        return self.eseq + self.n - 1


@attrs.frozen
class RelayState:
    """A relay target's progress in one campaign.

    Attributes:
        target: the target's name (e.g. ``webhook:https://…``).
        done: the last event number finished (delivered, or dead-lettered).
        attempts: failed attempts at the next event so far.
        next_us: when (µs since the epoch, wall clock) the next attempt is due.
        lease_owner: the relay holding the lease, if any.
        lease_until_us: when that lease ends.
        error: the last failure, if any.
    """

    target: str
    done: int
    attempts: int
    next_us: int
    lease_owner: str | None
    lease_until_us: int
    error: str | None


@attrs.frozen
class DeadLetter:
    """An event a target refused ``attempts`` times; the relay went on past it."""

    target: str
    eseq: int
    delivery_id: str
    attempts: int
    error: str
    at_us: int


_STATE = "target, done, attempts, next_us, lease_owner, lease_until_us, error"


class Outbox:
    """A campaign's outbox and its relay state, on a journal's connection (use one of its
    own: these statements commit by themselves, outside the campaign's transactions)."""

    def __init__(self, db: _Db) -> None:
        self._db = db

    def relax_durability(self) -> None:
        """Let this connection's commits return before they reach the disk (SQLite
        ``synchronous=NORMAL`` in WAL mode, PostgreSQL ``synchronous_commit = off``).

        For the relay's progress only (never on a campaign's own connection): a crash of
        the process loses nothing, a crash of the machine may lose the last progress
        records, and those events are then delivered again, with the same delivery ids.
        """
        if self._db.placeholder == "?":
            self._db._execute("PRAGMA synchronous=NORMAL")
        else:
            self._db._execute("SET synchronous_commit = off")

    @property
    def available(self) -> bool:
        """Whether the store has an outbox (schema 5; a read-only older store has none)."""
        return self._db._has_table("zyw_outbox")

    def entries(self, after: int, limit: int = 1000) -> list[OutboxEntry]:
        """Entries holding an event numbered above ``after``, in order."""
        db = self._db
        rows = db._execute(
            db._sql(
                "SELECT eseq, n, seq, type, at_us FROM zyw_outbox WHERE campaign = ? AND "
                "eseq > ? AND eseq + n - 1 > ? ORDER BY eseq LIMIT ?"
            ),
            [db.campaign, after - MAX_EVENTS_PER_ROW, after, limit],
        )
        return [OutboxEntry(int(e), int(n), int(q), str(t), int(at)) for e, n, q, t, at in rows]

    def pending(self, after: int) -> int:
        """How many outgoing events are numbered above ``after``."""
        db = self._db
        found = db._execute(
            db._sql(
                "SELECT COALESCE(SUM(CASE WHEN eseq > ? THEN n ELSE eseq + n - 1 - ? END), 0) "
                "FROM zyw_outbox WHERE campaign = ? AND eseq > ? AND eseq + n - 1 > ?"
            ),
            [after, after, db.campaign, after - MAX_EVENTS_PER_ROW, after],
        )
        return int(found[0][0])

    def state(self, target: str) -> RelayState:
        """The target's progress (a target never relayed: nothing done)."""
        db = self._db
        found = db._execute(
            db._sql(f"SELECT {_STATE} FROM zyw_relay WHERE campaign = ? AND target = ?"),
            [db.campaign, target],
        )
        if not found:
            return RelayState(target, 0, 0, 0, None, 0, None)
        return _state(found[0])

    def states(self) -> list[RelayState]:
        """Every target's progress in this campaign."""
        db = self._db
        found = db._execute(
            db._sql(f"SELECT {_STATE} FROM zyw_relay WHERE campaign = ? ORDER BY target"),
            [db.campaign],
        )
        return [_state(r) for r in found]

    def acquire(self, target: str, owner: str, now_us: int, lease_us: int) -> RelayState | None:
        """Take (or renew) the target's lease until ``now_us + lease_us``; ``None`` while
        another relay's lease runs."""
        db = self._db
        db._execute(
            db._sql(
                "INSERT INTO zyw_relay (campaign, target, done, attempts, next_us, lease_owner, "
                "lease_until_us, error) VALUES (?, ?, 0, 0, 0, NULL, 0, NULL) "
                "ON CONFLICT (campaign, target) DO NOTHING"
            ),
            [db.campaign, target],
        )
        found = db._execute(
            db._sql(
                "UPDATE zyw_relay SET lease_owner = ?, lease_until_us = ? WHERE campaign = ? "
                "AND target = ? AND (lease_owner IS NULL OR lease_owner = ? OR "
                f"lease_until_us < ?) RETURNING {_STATE}"
            ),
            [owner, now_us + lease_us, db.campaign, target, owner, now_us],
        )
        return _state(found[0]) if found else None

    def advance(self, target: str, owner: str, done: int, lease_until_us: int) -> bool:
        """Mark every event up to ``done`` finished (and extend the lease); ``False`` if the
        lease was lost to another relay (nothing changed)."""
        db = self._db
        found = db._execute(
            db._sql(
                "UPDATE zyw_relay SET done = ?, attempts = 0, next_us = 0, error = NULL, "
                "lease_until_us = ? WHERE campaign = ? AND target = ? AND lease_owner = ? "
                "RETURNING done"
            ),
            [done, lease_until_us, db.campaign, target, owner],
        )
        return bool(found)

    def failed(self, target: str, owner: str, attempts: int, next_us: int, error: str) -> bool:
        """Record a failed attempt at the next event; ``False`` if the lease was lost."""
        db = self._db
        found = db._execute(
            db._sql(
                "UPDATE zyw_relay SET attempts = ?, next_us = ?, error = ? WHERE campaign = ? "
                "AND target = ? AND lease_owner = ? RETURNING done"
            ),
            [attempts, next_us, error[:2000], db.campaign, target, owner],
        )
        return bool(found)

    def bury(self, target: str, owner: str, letter: DeadLetter, lease_until_us: int) -> bool:
        """Dead-letter one event and go on past it (one transaction); ``False`` if the
        lease was lost (nothing changed)."""
        db = self._db
        db._begin()
        try:
            moved = self.advance(target, owner, letter.eseq, lease_until_us)
            if moved:
                db._execute(
                    db._sql(
                        "INSERT INTO zyw_dead (campaign, target, eseq, delivery_id, attempts, "
                        "error, at_us) VALUES (?, ?, ?, ?, ?, ?, ?)"
                    ),
                    [db.campaign, target, letter.eseq, letter.delivery_id, letter.attempts,
                     letter.error[:2000], letter.at_us],
                )  # fmt: skip
            db._commit()
        except BaseException:
            db._rollback()
            raise
        return moved

    def release(self, target: str, owner: str) -> None:
        """Give the lease up (a relay that stops)."""
        db = self._db
        db._execute(
            db._sql(
                "UPDATE zyw_relay SET lease_owner = NULL, lease_until_us = 0 WHERE campaign = ? "
                "AND target = ? AND lease_owner = ?"
            ),
            [db.campaign, target, owner],
        )

    def dead_letters(self, target: str | None = None) -> list[DeadLetter]:
        """The dead letters of this campaign (of one target), oldest event first."""
        db = self._db
        sql = (
            "SELECT target, eseq, delivery_id, attempts, error, at_us FROM zyw_dead "
            "WHERE campaign = ?"
        )
        params: list[Any] = [db.campaign]
        if target is not None:
            sql += " AND target = ?"
            params.append(target)
        found = db._execute(db._sql(sql + " ORDER BY target, eseq"), params)
        return [
            DeadLetter(str(t), int(e), str(d), int(a), str(err), int(at))
            for t, e, d, a, err, at in found
        ]


def _state(r: Sequence[Any]) -> RelayState:
    return RelayState(
        str(r[0]),
        int(r[1]),
        int(r[2]),
        int(r[3]),
        None if r[4] is None else str(r[4]),
        int(r[5]),
        None if r[6] is None else str(r[6]),
    )
