"""The relay: delivers a campaign's outbox to its targets, at least once and in order.

Per target, the store keeps the last event number finished and a lease (see
:class:`zyw_flow.store.Outbox`). A pass takes the lease, then delivers the outbox's events
after that number one by one, advancing the number after each target's acknowledgement.
A failure stops the target's pass and schedules a retry with exponential backoff; the
``max_attempts``-th failure dead-letters the event and the relay goes on past it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import attrs

from zyw_flow._errors import JournalCorrupted, StoreError
from zyw_flow.relay._delivery import Delivery, DeliveryFailed, RelayError
from zyw_flow.relay._targets import Target
from zyw_flow.runtime import Campaign, Event
from zyw_flow.store import QUIET_TYPES, DeadLetter, Journal, Outbox, OutboxEntry, open_journal

__all__ = ["Relay", "RelayReport"]

_US = 1_000_000
_log = logging.getLogger("zyw_flow.relay")


@attrs.define
class RelayReport:
    """What one pass did.

    Attributes:
        delivered: deliveries the targets took.
        failed: failed attempts (each to be retried, or dead-lettered).
        dead: events dead-lettered in this pass.
        busy: targets whose lease another relay holds (skipped).
        pending: events still to deliver, summed over the targets.
        retry_at: the earliest instant (seconds since the epoch) a retry is due, if any.
    """

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    busy: list[str] = attrs.field(factory=list)
    pending: int = 0
    retry_at: float | None = None

    def __str__(self) -> str:
        text = (
            f"delivered {self.delivered}, failed {self.failed}, dead-lettered {self.dead}, "
            f"pending {self.pending}"
        )
        if self.busy:
            text += f"; leased to another relay: {', '.join(self.busy)}"
        return text


class Relay:
    """Deliver a stored campaign's outbox to ``targets``.

    Args:
        store: the campaign's SQLite path or PostgreSQL URL (or ``?campaign=ID``).
        targets: where to deliver (:class:`WebhookTarget`, :class:`RedisStreamTarget`).
        campaign_id: which campaign of a store of several.
        max_attempts: failures of one event before it is dead-lettered (≥ 1).
        backoff: seconds before the first retry; doubled after each failure …
        max_backoff: … up to this.
        lease: seconds a relay holds a target after it last renewed (another relay takes
            over a target whose lease ran out: a crashed relay's work resumes).
        owner: this relay's name in the leases (default: host, process id and a random
            part).
        clock: the wall clock in seconds (for tests).

    Raises:
        RelayError: bad settings, or a store without an outbox (open it writable once).
        StoreError: the store cannot be opened; JournalCorrupted: the journal was
            tampered with (nothing is delivered from a broken chain).
    """

    #: How many outbox entries one step of a pass reads (a pass takes as many as needed).
    batch = 10_000

    def __init__(
        self,
        store: str | Path,
        targets: Sequence[Target],
        *,
        campaign_id: str | None = None,
        max_attempts: int = 8,
        backoff: float = 1.0,
        max_backoff: float = 300.0,
        lease: float = 60.0,
        owner: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not targets:
            raise RelayError("a relay needs at least one target (--webhook or --redis)")
        names = [t.name for t in targets]
        if len(set(names)) != len(names):
            raise RelayError(f"the same target twice: {', '.join(names)}")
        if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
            raise RelayError(f"max_attempts must be a whole number ≥ 1, not {max_attempts!r}")
        for label, value in (("backoff", backoff), ("max_backoff", max_backoff)):
            if not value >= 0:
                raise RelayError(f"{label} must be a number of seconds ≥ 0, not {value!r}")
        slowest = max(t.timeout for t in targets)
        if not lease > slowest:
            raise RelayError(
                f"lease ({lease!r} s) must be longer than the slowest target's timeout "
                f"({slowest:g} s), or another relay could take over mid-delivery"
            )
        self.targets = list(targets)
        self.max_attempts = max_attempts
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.lease = float(lease)
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self.campaign = Campaign.open(store, campaign_id=campaign_id)
        try:
            journal = self._journal()
            self._db = open_journal(str(store) if isinstance(store, Path) else store,
                                    journal.campaign, create=False)  # fmt: skip
        except BaseException:
            self.campaign.close()
            raise
        self.outbox = Outbox(self._db)
        # progress lost to a power cut only means those events go out again (same ids)
        self.outbox.relax_durability()
        if not self.outbox.available:  # pragma: no cover - a writable open migrates
            self.close()
            raise RelayError(f"{journal.where}: has no outbox (schema 5); open it writable once")
        meta = journal.read_meta()
        self.store_campaign = journal.campaign
        self.uid = meta.get("campaign_uid") or journal.genesis()[:32]

    def _journal(self) -> Journal:
        journal = self.campaign.store
        assert journal is not None
        return journal

    def _now_us(self) -> int:
        return int(self._clock() * _US)

    def delay(self, attempts: int) -> float:
        """Seconds before the retry after ``attempts`` failures."""
        return min(self.max_backoff, self.backoff * float(2 ** max(attempts - 1, 0)))

    # -- passes --------------------------------------------------------------------------
    def run_once(self) -> RelayReport:
        """Deliver every event due now to every target (a target leased to another relay
        is skipped; one whose retry is not due yet waits)."""
        report = RelayReport()
        self.campaign.refresh()
        for target in self.targets:
            self._pump(target, report)
        return report

    def run(
        self,
        stop: threading.Event | None = None,
        on_pass: Callable[[RelayReport], None] | None = None,
    ) -> None:
        """Deliver until ``stop`` is set: a pass, then wait for new events (PostgreSQL:
        LISTEN/NOTIFY; SQLite: polling), a due retry, or the lease's renewal. ``on_pass``
        hears of every pass that delivered or failed something."""
        # with a stop event, wake at least twice a second to see it
        cap = self.lease if stop is None else 0.5
        stop = stop or threading.Event()
        while not stop.is_set():
            try:
                report = self.run_once()
            except JournalCorrupted:
                raise  # never deliver from a changed journal
            except StoreError as exc:  # the store went away: try again, as a retry would
                _log.warning("relay: %s; trying again in %g s", exc, min(cap, 5.0))
                stop.wait(min(cap, 5.0))
                continue
            if on_pass is not None and (report.delivered or report.failed):
                on_pass(report)
            wait = self.lease / 3
            if report.retry_at is not None:
                wait = min(wait, max(report.retry_at - self._clock(), 0.0))
            if report.busy:
                wait = min(wait, 1.0)
            if report.pending and report.delivered and report.retry_at is None:
                continue  # delivering, and more came meanwhile: go on at once
            try:
                self.campaign.wait_for_events(timeout=min(wait, cap))
            except JournalCorrupted:
                raise
            except StoreError as exc:
                _log.warning("relay: %s", exc)

    def _pump(self, target: Target, report: RelayReport) -> None:
        outbox, name = self.outbox, target.name
        now = self._now_us()
        state = outbox.acquire(name, self.owner, now, int(self.lease * _US))
        if state is None:  # another relay delivers it: what it still has to, all the same
            report.busy.append(name)
            report.pending += outbox.pending(outbox.state(name).done)
            return
        lease_until = now + int(self.lease * _US)
        done, attempts = state.done, state.attempts
        if state.next_us > now:
            report.retry_at = _earliest(report.retry_at, state.next_us / _US)
            report.pending += outbox.pending(done)
            return
        failing = False
        while not failing and (batch := self._due(done)):  # ≤ self.batch entries at a time
            for event in batch:
                now = self._now_us()
                if lease_until - now < int(target.timeout * _US) + _US:  # renew before sending
                    if outbox.acquire(name, self.owner, now, int(self.lease * _US)) is None:
                        report.busy.append(name)
                        return
                    lease_until = now + int(self.lease * _US)
                delivery = Delivery.of(self.store_campaign, self.campaign.id, self.uid,
                                       event.to_json())  # fmt: skip
                try:
                    target.deliver(delivery)
                except Exception as exc:  # a target's own bug counts as a failure too
                    error = str(exc) if isinstance(exc, DeliveryFailed) else repr(exc)
                    attempts += 1
                    report.failed += 1
                    now = self._now_us()
                    if attempts >= self.max_attempts:
                        letter = DeadLetter(name, event.seq, delivery.id, attempts, error, now)
                        if not outbox.bury(name, self.owner, letter, lease_until):
                            report.busy.append(name)
                            return
                        report.dead += 1
                        done, attempts = event.seq, 0
                        continue
                    retry = now + int(self.delay(attempts) * _US)
                    if not outbox.failed(name, self.owner, attempts, retry, error):
                        report.busy.append(name)
                        return
                    report.retry_at = _earliest(report.retry_at, retry / _US)
                    failing = True
                    break
                if not outbox.advance(name, self.owner, event.seq, lease_until):
                    report.busy.append(name)  # the lease went to another relay: stop here
                    return
                done, attempts = event.seq, 0
                report.delivered += 1
        report.pending += outbox.pending(done)

    def _due(self, done: int) -> list[Event]:
        """The outbox's events after ``done`` that this campaign has caught up with."""
        entries = self.outbox.entries(done, limit=self.batch)
        if not entries:
            return []
        last = entries[-1].last
        out: list[Event] = []
        it = iter(entries)
        entry: OutboxEntry | None = next(it)
        for event in self.campaign.events(since=done):
            if event.seq > last:
                break
            while entry is not None and entry.last < event.seq:
                entry = next(it, None)
            if entry is None:
                break
            if entry.eseq <= event.seq and event.type not in QUIET_TYPES:
                out.append(event)
        return out

    def dead_letters(self) -> list[DeadLetter]:
        """This campaign's dead letters (every target)."""
        return self.outbox.dead_letters()

    def close(self) -> None:
        """Give up the leases and close the connections and targets."""
        for target in self.targets:
            with contextlib.suppress(Exception):  # closing anyway
                self.outbox.release(target.name, self.owner)
            target.close()
        self._db.close()
        self.campaign.close()

    def __enter__(self) -> Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _earliest(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)
