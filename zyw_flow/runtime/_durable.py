"""Durable campaigns: created on a store, reopened from it, snapshotted, verified."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, TypeVar

from zyw_flow._errors import JournalCorrupted, StoreError, TransitionRefused
from zyw_flow._time import At
from zyw_flow.compile import compile_stored, stored_meta
from zyw_flow.runtime import _snapshot
from zyw_flow.runtime._apply import apply
from zyw_flow.runtime._core import Engine
from zyw_flow.runtime._journal import StoredLog
from zyw_flow.store import CHAIN_VERSION, Journal, VerifyReport, meta_problem, open_journal

__all__ = ["Durable"]

_C = TypeVar("_C", bound="Durable")


class Durable(Engine):
    """The stored side of a campaign (mixed into :class:`~zyw_flow.Campaign`)."""

    @classmethod
    def create_stored(
        cls: type[_C],
        store: str | Path | Journal,
        template: Any,
        params: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        horizon: tuple[At, At] | None = None,
        campaign_id: str | None = None,
    ) -> _C:
        """A new campaign kept in a journal (a SQLite path or a ``postgresql://`` URL).

        One store holds many campaigns: ``campaign_id`` names this one (a PostgreSQL URL may
        say ``?campaign=ID`` instead); without it an empty store's campaign is ``default``.

        The journal stores the exact template text (and its phase templates), its hash and
        the parameters, so later edits of the template file do not change this campaign.

        Raises:
            StoreError: the store already holds a campaign, or cannot be written.
        """
        compiled, meta = stored_meta(template, params, chain_version=CHAIN_VERSION)
        campaign = cls(compiled, clock=clock, horizon=horizon)
        journal = open_journal(store, campaign_id)
        try:
            if journal.read_meta():
                raise StoreError(
                    f"{journal.where}: already holds a campaign; open it (Campaign.open, or the "
                    "`zyw-flow campaign` commands) instead of creating one"
                )
            meta["store_campaign"] = journal.campaign
            journal.begin()
            try:
                journal.write_meta(meta)
                journal.commit()
            except BaseException:
                journal.rollback()
                raise
        except BaseException:
            journal.close()
            raise
        journal.start_chain(meta)
        campaign._log = StoredLog(journal)
        return campaign

    @classmethod
    def open(
        cls: type[_C],
        store: str | Path | Journal,
        *,
        clock: Callable[[], datetime] | None = None,
        horizon: tuple[At, At] | None = None,
        use_snapshot: bool = True,
        verify: Literal["full", "tail"] = "full",
        campaign_id: str | None = None,
    ) -> _C:
        """Reopen a stored campaign: rebuild exactly its state from the journal.

        ``campaign_id`` picks one of a store's campaigns (or ``?campaign=ID`` in a
        PostgreSQL URL); a store of several campaigns refuses to guess.

        The state comes from the newest snapshot (if any and ``use_snapshot``) plus the rows
        after it, or from every row. The hash chain is checked on the way: with
        ``verify="full"`` (the default) every row, so a changed, missing or reordered row
        anywhere refuses to open; with ``verify="tail"`` the snapshot's own hash, the row it
        stands for and every row after it — faster on a long journal, leaving the older
        history to ``verify()`` / ``zyw-flow campaign verify``.

        Raises:
            StoreError: no campaign there; JournalCorrupted: the journal was tampered with;
            SchemaVersionError: written by a newer zyw_flow; TransitionRefused: ``verify``
            neither ``"full"`` nor ``"tail"``.
        """
        if verify not in ("full", "tail"):
            raise TransitionRefused(f"verify must be 'full' or 'tail', not {verify!r}")
        journal = open_journal(store, campaign_id, create=False)
        try:
            meta = journal.read_meta()
            if not meta:
                held = journal.campaigns() if journal.named else []
                if held:
                    raise StoreError(f"{journal.where}: holds no campaign {journal.campaign!r}; "
                                     f"it holds {', '.join(held)}")  # fmt: skip
                raise StoreError(f"{journal.where}: holds no campaign (create one first)")
            problem = meta_problem(meta)
            if problem:
                raise JournalCorrupted(f"{journal.where}: {problem}")
            campaign = cls(compile_stored(meta), clock=clock, horizon=horizon)
            journal.start_chain(meta)
            campaign._log = StoredLog(journal)
            if use_snapshot:
                campaign._restore_snapshot(journal, full=verify == "full")
            with campaign._bulk():
                campaign._log.catch_up(campaign._state, apply)
            campaign._state.drop_past()
        except BaseException:
            journal.close()
            raise
        return campaign

    def _restore_snapshot(self, journal: Journal, *, full: bool) -> None:
        snap = journal.latest_snapshot()
        if snap is None:
            return
        seq, blob = snap
        loaded = _snapshot.load(self.compiled, blob)
        if loaded is None:  # an older format: replay instead
            return
        state, anchor = loaded
        # With ``full`` the history the snapshot stands for is still checked row by row, so
        # an edited past is refused as on a full replay.
        journal.seek(seq, verify=full)
        if anchor != (seq, journal.position[1]) or journal.position[2] != state.eseq:
            raise JournalCorrupted(
                f"{journal.where}: the snapshot at row {seq} does not match the journal"
            )
        self._state = state

    @property
    def store(self) -> Journal | None:
        """The journal this campaign is kept in, if any."""
        return self._log.store

    def _stored(self) -> Journal:
        journal = self._log.store
        if journal is None:
            raise StoreError("this campaign has no store")
        return journal

    def refresh(self) -> int:
        """Apply rows other processes appended to the journal (subscribers hear of their
        events); returns how many."""
        try:
            applied = self._catch_up()
        except BaseException:
            self._caught.clear()
            raise
        if applied:
            self._state.drop_past()
        self._notify_caught_up()
        return applied

    def wait_for_events(self, timeout: float | None = None) -> int:
        """Wait until another process commits rows to this campaign, then :meth:`refresh`
        (subscribers hear of the events); returns how many rows were applied (``0``: the
        ``timeout`` in seconds passed first; ``None`` waits without limit).

        On PostgreSQL the wait is LISTEN/NOTIFY: it wakes as the other process commits and
        sends no query meanwhile. On SQLite it looks every ``store.poll_interval`` seconds
        (0.2 by default).
        """
        import time

        journal = self._stored()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            if journal.wait(left):
                applied = self.refresh()
                if applied:
                    return applied
            if deadline is not None and time.monotonic() >= deadline:
                return 0

    def close(self) -> None:
        """Close the journal's connection (a stored campaign)."""
        self._log.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def save_snapshot(self) -> int:
        """Store a snapshot of the state so that reopening replays only the tail.

        Returns:
            The journal row the snapshot was taken after.
        """
        journal = self._stored()
        self._begin()
        try:
            seq, chain, _ = journal.position
            journal.save_snapshot(seq, _snapshot.dump(self._state, (seq, chain)))
            self._log.commit()
        except BaseException:
            self._abort()
            raise
        return seq

    def verify_journal(self) -> VerifyReport:
        """Check the stored template and the journal's whole hash chain."""
        return self._stored().verify()
