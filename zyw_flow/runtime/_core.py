"""The unit of work: one call is one transaction of decide → write → commit → notify.

:class:`Engine` holds the state, the event log and the subscribers. Every call that
records something runs :meth:`Engine._call`: the log's transaction begins (on a store: the
campaign's write lock, then the rows other processes appended are applied), the decide
function validates and returns events, time-driven events up to the call's instant are
written first, then the call's own, then what follows from them; the log commits, and
subscribers hear of the events. A refused call writes nothing. If the commit fails the
state is rebuilt from the log.
"""

from __future__ import annotations

import difflib
import functools
import gc
import heapq
import logging
import typing
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, overload

from zyw_flow._errors import InstantError, NoClockError, TimeOrderError, TransitionRefused
from zyw_flow._time import NEVER, At, format_us, parse_at
from zyw_flow.compile import CompiledCampaign
from zyw_flow.runtime._apply import apply
from zyw_flow.runtime._codec import expand
from zyw_flow.runtime._events import ClockMoved, DomainEvent, EventType
from zyw_flow.runtime._journal import EventLog, MemoryLog
from zyw_flow.runtime._records import Event
from zyw_flow.runtime._state import State
from zyw_flow.runtime._timed import decide_item, enter_phases

__all__ = ["Engine", "EventList", "LazyEvents"]

_log = logging.getLogger("zyw_flow")


class LazyEvents(Sequence[Event]):
    """Public events built only when read: a subclass gives :meth:`_build` and its length."""

    _cache: list[Event] | None = None

    def _build(self) -> list[Event]:
        raise NotImplementedError  # pragma: no cover

    def _all(self) -> list[Event]:
        if self._cache is None:
            self._cache = self._build()
        return self._cache

    @overload
    def __getitem__(self, i: int) -> Event: ...
    @overload
    def __getitem__(self, i: slice) -> list[Event]: ...
    def __getitem__(self, i: int | slice) -> Event | list[Event]:
        return self._all()[i]

    def __iter__(self) -> Iterator[Event]:
        return iter(self._all())

    def __repr__(self) -> str:
        return repr(self._all())


class EventList(LazyEvents):
    """The public events of one call, expanded from its typed events only when read."""

    def __init__(self, state: State, events: Sequence[DomainEvent], first: int) -> None:
        self._state = state
        self._events = events
        self._first = first
        self._len = sum(e.count() for e in events)

    def _build(self) -> list[Event]:
        out: list[Event] = []
        seq = self._first
        for e in self._events:
            out.extend(expand(self._state, e, seq))
            seq += e.count()
        return out

    def __len__(self) -> int:
        return self._len

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (list, tuple, EventList)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]


class Engine:
    """State, log and subscribers, and the one path that changes them."""

    def __init__(
        self,
        compiled: CompiledCampaign,
        *,
        clock: Callable[[], datetime] | None = None,
        horizon: tuple[At, At] | None = None,
    ) -> None:
        self.compiled = compiled
        self._clock = clock
        self._horizon = _horizon(compiled) if horizon is None else _given_horizon(compiled, horizon)
        self._state = State(compiled)
        # the template's phase openings, deadlines and levels in time order: to bring one
        # unit up to the clock after it was enrolled late or acted in the past
        self._static = sorted(self._state.schedule)
        self._log: EventLog = MemoryLog()
        self._written: list[DomainEvent] = []
        self._subscribers: dict[str, list[Callable[[Event], None]]] = {}
        self._caught: list[EventList] = []  # others' events caught up, not yet announced
        self.on_subscriber_error: Callable[[Event, BaseException], None] | None = None

    # -- time ---------------------------------------------------------------------------
    def _at(self, at: At | None) -> int:
        """The instant of a call; refused beyond the campaign's plausible horizon."""
        if at is None:
            if self._clock is None:
                raise NoClockError()
            us = parse_at(self._clock(), self.compiled.zone)
        else:
            us = parse_at(at, self.compiled.zone)
        lo, hi = self._horizon
        now = self._state.now
        if now > hi:  # a clock moved past the horizon on purpose carries it along
            hi = now + _YEAR
        if not lo <= us <= hi:
            raise InstantError(
                at if isinstance(at, str) else self._fmt(us),
                f"implausibly far from the campaign (it accepts {self._fmt(lo)} … "
                f"{self._fmt(hi)}: give an instant within it, or pass horizon=(start, end) "
                "to widen it)",
            )
        return us

    def _fmt(self, us: int) -> str:
        return format_us(us, self.compiled.zone) or ""

    def _not_before_clock(self, at: int, event: str, what: str) -> None:
        now = self._state.now
        if at < now:
            raise TimeOrderError(
                f"the campaign clock is at {self._fmt(now)}; cannot {what} {self._fmt(at)}",
                event=event,
            )

    # -- the unit of work ------------------------------------------------------------------
    def _begin(self) -> int:
        """Start a call: the log's transaction, and what others wrote meanwhile."""
        self._written = []
        self._log.begin()
        try:
            if self._catch_up():
                self._state.drop_past()
        except BaseException:
            self._log.rollback()
            raise
        return self._state.eseq + 1

    def _write(self, event: DomainEvent) -> None:
        """The one writer of a call: apply, and keep for the log."""
        apply(self._state, event)
        self._written.append(event)

    def _write_all(self, events: Sequence[DomainEvent]) -> None:
        for e in events:
            apply(self._state, e)
        self._written.extend(events)

    def _advance(self, until: int, units: Sequence[int] | None = None) -> None:
        """Write every time-driven transition due by ``until``, in time order."""
        state = self._state
        heap = state.schedule
        while heap and heap[0][0] <= until:
            item = heapq.heappop(heap)
            for e in decide_item(state, item, units):
                self._write(e)

    def _catch_up_units(self, units: Sequence[int], at: int) -> None:
        """Bring units enrolled late to the campaign's time, exactly as units enrolled at
        the start that did nothing: every deadline and level passed, in time order."""
        state = self._state
        if state.completion:
            if state.phase >= 0:
                start = max(self.compiled.phase_start_us[0], at)
                self._write_all(enter_phases(state, units, 0, start, state.phase))
            return
        self._replay_schedule(units, -NEVER)

    def _replay_schedule(self, units: Sequence[int], after: int) -> None:
        """Decide again, for ``units`` only, the template's scheduled instants in
        (``after``, clock]: what a unit that acted in the past (or was enrolled late) has
        reached by now — a deadline passed, a level climbed, a phase entered."""
        state = self._state
        now = state.now
        items = [item for item in self._static if after < item[0] <= now]
        for u in units:  # the unit's own cells: rectification steps, deadlines of its own
            items.extend(state.cell_items(u, after, now))
        for item in sorted(items):
            for e in decide_item(state, item, units):
                self._write(e)

    def _commit(self, first: int) -> list[DomainEvent]:
        """Commit the call's events (numbered from ``first``); then tell subscribers."""
        written = self._written
        try:
            self._log.append(self._state, written)
            self._log.commit()
        except BaseException:
            self._abort()
            raise
        self._written = []
        self._notify_caught_up()
        if self._subscribers:
            self._notify(EventList(self._state, written, first))
        return written

    def _abort(self) -> None:
        """A call failed: nothing of it is kept; a state it already changed is rebuilt."""
        written, self._written = self._written, []
        self._log.rollback()
        if written:
            self._rebuild()
        self._notify_caught_up()  # what others committed stays committed

    def _rebuild(self) -> None:
        state = State(self.compiled)
        try:
            self._log.replay(state, apply)
        finally:
            state.drop_past()
            self._state = state

    def _bulk(self) -> _GCPause:
        return _GCPause()

    # -- subscribers ------------------------------------------------------------------------
    def _catch_up(self) -> int:
        """Apply the rows other processes committed since the log's position; with
        subscribers, keep their events for :meth:`_notify_caught_up`."""
        if not self._subscribers:
            return self._log.catch_up(self._state, apply)
        seen: list[DomainEvent] = []
        first = self._state.eseq + 1

        def keep(state: State, event: DomainEvent) -> None:
            apply(state, event)
            seen.append(event)

        applied = self._log.catch_up(self._state, keep)
        if seen:
            self._caught.append(EventList(self._state, seen, first))
        return applied

    def _notify_caught_up(self) -> None:
        """Tell subscribers of the events other processes committed, once caught up."""
        while self._caught:
            self._notify(self._caught.pop(0))

    def _notify(self, events: Sequence[Event]) -> None:
        """Tell subscribers, after the commit. A failing callback changes nothing of the
        call: its error is logged and given to :attr:`on_subscriber_error`; the others run."""
        subs = self._subscribers
        for event in events:
            for callback in (*subs.get(event.type, ()), *subs.get("*", ())):
                try:
                    callback(event)
                except Exception as exc:
                    _log.exception("subscriber %r failed on event %s", callback, event.seq)
                    hook = self.on_subscriber_error
                    if hook is not None:
                        try:
                            hook(event, exc)
                        except Exception:
                            _log.exception("on_subscriber_error failed")

    def subscribe(self, event_type: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for each new event of ``event_type`` (``"*"`` for all).

        A callback that raises does not make the call fail; its error is logged (logger
        ``zyw_flow``) and passed to ``on_subscriber_error`` if set.

        On a stored campaign, callbacks also hear of the events other processes committed,
        once this campaign catches up with them (at its next call, :meth:`refresh` or
        ``wait_for_events``), in journal order before the events of the call itself.

        Returns:
            A function that cancels the subscription.
        """
        if type(event_type) is not str or (event_type != "*" and event_type not in public_types()):
            close = difflib.get_close_matches(str(event_type), sorted(public_types()), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ' ("*" for all)'
            raise TransitionRefused(f"no event type {event_type!r}{hint}", event="subscribe")
        if not callable(callback):
            raise TransitionRefused(
                f"callback must be callable, not {type(callback).__name__}", event="subscribe"
            )
        self._subscribers.setdefault(event_type, []).append(callback)

        def cancel() -> None:
            callbacks = self._subscribers.get(event_type, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                self._subscribers.pop(event_type, None)

        return cancel

    # -- time passing -------------------------------------------------------------------------
    def tick(self, until: At | None = None) -> Sequence[Event]:
        """Fire every time-driven transition up to ``until`` (inclusive), in time order.

        Each event is stamped with its own scheduled instant. Ticking daily and ticking
        once to the same instant give the same state and the same events.

        Raises:
            TimeOrderError: ``until`` is earlier than the campaign clock.
        """
        until_us = self._at(until)
        with self._bulk():
            first = self._begin()
            try:
                self._not_before_clock(until_us, "tick", "tick back to")
                self._advance(until_us)
                if until_us > self._state.now:
                    self._write(ClockMoved(until_us))
            except BaseException:
                self._abort()
                raise
            return EventList(self._state, self._commit(first), first)

    @property
    def now(self) -> datetime | None:
        """The campaign clock: the latest instant seen (``None`` at first)."""
        from zyw_flow._time import from_us

        now = self._state.now
        return None if now == -NEVER else from_us(now, self.compiled.zone)


_YEAR = 366 * 86_400_000_000


def _given_horizon(compiled: CompiledCampaign, horizon: Any) -> tuple[int, int]:
    """``horizon=(start, end)``: two instants, the start before the end."""
    if isinstance(horizon, (str, bytes)) or not isinstance(horizon, Sequence) or len(horizon) != 2:
        raise InstantError(horizon, "horizon must be a pair (start, end) of instants")
    start, end = (parse_at(x, compiled.zone) for x in horizon)
    if start >= end:
        raise InstantError(horizon, "horizon's start must be before its end")
    return start, end


@functools.cache
def public_types() -> frozenset[str]:
    """Every ``Event.type`` a campaign can record (what ``subscribe`` may name)."""
    from zyw_flow.runtime._proc_events import PROC_EVENTS

    return frozenset(typing.get_args(EventType)) | {c.TYPE for c in PROC_EVENTS}


def _horizon(compiled: CompiledCampaign) -> tuple[int, int]:
    """The instants a campaign accepts by default: from a year before its first phase to
    two years after the last of its phase ends, deadlines and escalation levels."""
    ends = [*compiled.phase_end_us, *(d for d in compiled.due_us if d < NEVER)]
    ends.extend(at for levels in compiled.escalation_us for at in levels)
    return min(compiled.phase_start_us) - _YEAR, max(ends) + 2 * _YEAR


class _GCPause:
    """Pause the cyclic garbage collector during a bulk call (the records form no cycles;
    measured 1.3-2x faster at 10^5-10^6 events)."""

    def __enter__(self) -> None:
        self._was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc: Any) -> None:
        if self._was:
            gc.enable()
