"""Where a campaign's events go: the journal port, in memory or on a store.

The runtime talks to a :class:`EventLog`. :class:`MemoryLog` keeps the typed events in a
list (a campaign without a store). :class:`StoredLog` turns them into journal records with
the one codec and hands them to a :class:`zyw_flow.store.Journal` (SQLite or PostgreSQL),
which numbers, hashes and checks them.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from zyw_flow._errors import StoreError
from zyw_flow.runtime._codec import Record, decode, encode, expand, expand_unit, record_of
from zyw_flow.runtime._events import DomainEvent, count
from zyw_flow.runtime._records import Event
from zyw_flow.runtime._state import State
from zyw_flow.store._journal import Journal

__all__ = ["EventLog", "MemoryLog", "StoredLog"]


class EventLog(Protocol):
    """The journal port: transactions, appends, catching up, reading events back."""

    @property
    def store(self) -> Journal | None:
        """The store behind the log, if any."""

    @property
    def position(self) -> int:
        """The last journal row this log has read or written."""

    def begin(self) -> None:
        """Start a write transaction (on a store: take the campaign's write lock)."""

    def commit(self) -> None:
        """Make the transaction's appends durable."""

    def rollback(self) -> None:
        """Abandon the transaction's appends."""

    def append(self, state: State, events: Sequence[DomainEvent]) -> None:
        """Record events (already applied to ``state``) in the open transaction."""

    def catch_up(self, state: State, apply: Callable[[State, DomainEvent], None]) -> int:
        """Apply events other writers recorded since this log's position; how many."""

    def replay(self, state: State, apply: Callable[[State, DomainEvent], None]) -> None:
        """Apply every recorded event to a fresh ``state`` (to rebuild after a failure)."""

    def history(
        self, state: State, apply: Callable[[State, DomainEvent], None], before: int
    ) -> None:
        """Apply to a fresh ``state`` every event recorded before public event ``before``
        (the campaign as it was then: a correction puts back what an action changed)."""

    def events(self, state: State, since: int, unit: str | None) -> list[Event]:
        """Public events numbered above ``since`` (of one unit)."""

    def event_at(self, state: State, seq: int) -> Event:
        """The public event numbered ``seq``."""

    def close(self) -> None:
        """Release the store's connection."""


class MemoryLog:
    """Typed events in a list: the campaign's history without a store."""

    def __init__(self) -> None:
        self._events: list[DomainEvent] = []
        # the first public event number of each record (8 bytes each, not an int object)
        self._first = array("q")
        self._next = 1
        self._mark = 0

    @property
    def store(self) -> Journal | None:
        return None

    @property
    def position(self) -> int:
        return len(self._events)

    def begin(self) -> None:
        self._mark = len(self._events)

    def commit(self) -> None:
        pass

    def rollback(self) -> None:
        del self._events[self._mark :]
        del self._first[self._mark :]
        self._next = (self._first[-1] + count(self._events[-1])) if self._events else 1

    def append(self, state: State, events: Sequence[DomainEvent]) -> None:
        for e in events:  # those that stand for no public event too (actors, the clock):
            self._events.append(e)  # a rebuild after a failed call replays them
            self._first.append(self._next)
            self._next += e.count()

    def catch_up(self, state: State, apply: Callable[[State, DomainEvent], None]) -> int:
        return 0

    def records(self) -> Iterator[DomainEvent]:
        """Every recorded event, in order."""
        return iter(self._events)

    def replay(self, state: State, apply: Callable[[State, DomainEvent], None]) -> None:
        for e in self._events:
            apply(state, e)

    def history(
        self, state: State, apply: Callable[[State, DomainEvent], None], before: int
    ) -> None:
        for e, first in zip(self._events, self._first, strict=True):
            if first >= before:
                break
            apply(state, e)

    def events(self, state: State, since: int, unit: str | None) -> list[Event]:
        i = max(bisect.bisect_right(self._first, since) - 1, 0)
        out: list[Event] = []
        for e, first in zip(self._events[i:], self._first[i:], strict=True):
            found = expand(state, e, first) if unit is None else expand_unit(state, e, first, unit)
            out.extend(x for x in found if x.seq > since)
        return out

    def event_at(self, state: State, seq: int) -> Event:
        i = bisect.bisect_right(self._first, seq) - 1
        return expand(state, self._events[i], self._first[i])[seq - self._first[i]]

    def close(self) -> None:
        pass


class StoredLog:
    """The events of a stored campaign, through a store's hash-chained journal."""

    def __init__(self, journal: Journal) -> None:
        self._journal = journal
        self._closed = False

    @property
    def store(self) -> Journal | None:
        return self._journal

    @property
    def position(self) -> int:
        return self._journal.position[0]

    def begin(self) -> None:
        if self._closed:
            raise StoreError(
                "this campaign was closed (close(), or the end of its with block): open it "
                "again (Campaign.open) to record; nothing recorded is lost"
            )
        self._journal.begin()

    def commit(self) -> None:
        self._journal.commit()

    def rollback(self) -> None:
        self._journal.rollback()

    def append(self, state: State, events: Sequence[DomainEvent]) -> None:
        records: list[Record] = []
        for e in events:
            records.extend(encode(state, e))
        if records:
            self._journal.append(records)

    def catch_up(self, state: State, apply: Callable[[State, DomainEvent], None]) -> int:
        applied = 0
        url = self._journal.where
        for row in self._journal.read_new():
            event = decode(state, record_of(row), f"{url}: row {row.seq}")
            if count(event) != row.events:
                raise StoreError(f"{url}: row {row.seq} claims {row.events} events")
            apply(state, event)
            applied += 1
        return applied

    def replay(self, state: State, apply: Callable[[State, DomainEvent], None]) -> None:
        journal = self._journal
        journal.start_chain(journal.read_meta())
        self.catch_up(state, apply)

    def history(
        self, state: State, apply: Callable[[State, DomainEvent], None], before: int
    ) -> None:
        for row in self._journal.events_after(0):
            assert row.eseq is not None
            if row.eseq >= before:
                break
            apply(state, decode(state, record_of(row), f"row {row.seq}"))

    def events(self, state: State, since: int, unit: str | None) -> list[Event]:
        """The events after ``since`` that ``state`` has applied: rows other writers
        committed since the last catch-up are read once caught up (``refresh``), never
        decoded against a state that does not know their units yet."""
        out: list[Event] = []
        applied = self.position
        for row in self._journal.events_after(since, unit=unit):
            if row.seq > applied:
                break
            event = decode(state, record_of(row), f"row {row.seq}", check=False)
            assert row.eseq is not None
            found = (
                expand(state, event, row.eseq)
                if unit is None
                else expand_unit(state, event, row.eseq, unit)
            )
            out.extend(x for x in found if x.seq > since)
        return out

    def event_at(self, state: State, seq: int) -> Event:
        row = self._journal.event_row(seq)
        if row is None or row.eseq is None:  # pragma: no cover - the journal is verified
            raise StoreError(f"event {seq} is missing from the journal")
        if row.seq > self.position:  # pragma: no cover - callers ask for events applied
            raise StoreError(f"event {seq} was recorded since the last refresh(): refresh first")
        event = decode(state, record_of(row), f"row {row.seq}", check=False)
        return expand(state, event, row.eseq)[seq - row.eseq]

    def close(self) -> None:
        self._closed = True
        self._journal.close()
