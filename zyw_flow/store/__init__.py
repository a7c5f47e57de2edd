"""Durable campaigns: an append-only, hash-chained event journal on SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from zyw_flow.store._checkpoint import (
    RECEIPT_FORMAT,
    Checkpoint,
    generate_keys,
    key_id,
    load_private_key,
    load_public_key,
    parse_receipt,
)
from zyw_flow.store._journal import (
    CHAIN_VERSION,
    GENESIS,
    SCHEMA_VERSION,
    Journal,
    Row,
    VerifyReport,
    chain_hash,
    meta_problem,
    verify_rows,
)
from zyw_flow.store._outbox import (
    QUIET_TYPES,
    DeadLetter,
    Outbox,
    OutboxEntry,
    RelayState,
)
from zyw_flow.store._receipts import ReceiptReport, verify_receipt
from zyw_flow.store._sqlite import DEFAULT_LOCK_TIMEOUT, SQLiteJournal

__all__ = [
    "CHAIN_VERSION",
    "GENESIS",
    "QUIET_TYPES",
    "RECEIPT_FORMAT",
    "SCHEMA_VERSION",
    "Checkpoint",
    "DeadLetter",
    "Journal",
    "Outbox",
    "OutboxEntry",
    "ReceiptReport",
    "RelayState",
    "Row",
    "SQLiteJournal",
    "VerifyReport",
    "chain_hash",
    "generate_keys",
    "is_postgres_url",
    "key_id",
    "list_campaigns",
    "load_private_key",
    "load_public_key",
    "meta_problem",
    "open_journal",
    "parse_receipt",
    "verify_receipt",
    "verify_rows",
]


def is_postgres_url(target: str | Path) -> bool:
    """Whether ``target`` is a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


def open_journal(
    target: str | Path | Journal,
    campaign: str | None = None,
    *,
    create: bool = True,
    read_only: bool = False,
    lock_timeout: float | None = None,
    choose: bool = True,
) -> Journal:
    """Open (or create) the journal at a SQLite path or a ``postgresql://`` URL.

    Args:
        target: a file path (SQLite), a PostgreSQL URL, or an open :class:`Journal`;
            ``?campaign=ID`` after either selects the campaign when several share a store.
        campaign: the campaign id inside a shared database.
        create: create a missing SQLite file (``False`` to refuse).
        read_only: open for reading only (an auditor's copy, a read-only file or mount):
            nothing is written, not even the schema; ``begin`` is refused.
        lock_timeout: how many seconds a writer waits for another's campaign lock before
            :class:`~zyw_flow.LockTimeout` (default 60; on PostgreSQL also
            ``?lock_timeout=SECONDS`` in the URL).
        choose: with no campaign named, take the store's only one (several: refused).

    Raises:
        StoreError: the store cannot be opened, or holds several campaigns and none was
            named.
    """
    if isinstance(target, Journal):
        return target
    journal: Journal
    if is_postgres_url(target):
        from zyw_flow.store._postgres import PostgresJournal

        journal = PostgresJournal(
            str(target), campaign, read_only=read_only, lock_timeout=lock_timeout
        )
    else:
        path, named = _sqlite_target(target)
        journal = SQLiteJournal(
            path,
            campaign or named,
            create=create,
            read_only=read_only,
            lock_timeout=DEFAULT_LOCK_TIMEOUT if lock_timeout is None else lock_timeout,
        )
    try:
        if choose:
            journal.choose_campaign()
    except BaseException:
        journal.close()
        raise
    return journal


def _sqlite_target(target: str | Path) -> tuple[str | Path, str | None]:
    """A SQLite path, and the campaign a ``PATH?campaign=ID`` names (as a PostgreSQL URL)."""
    if isinstance(target, str) and "?campaign=" in target:
        path, _, query = target.partition("?")
        from urllib.parse import parse_qs

        found = parse_qs(query).get("campaign")
        return path, found[0] if found else None
    return target, None


def list_campaigns(target: str | Path) -> list[str]:
    """The ids of the campaigns a store (SQLite file or PostgreSQL database) holds.

    Raises:
        StoreError: the store cannot be read.
    """
    journal = open_journal(target, create=False, read_only=True, choose=False)
    try:
        return journal.campaigns()
    finally:
        journal.close()
