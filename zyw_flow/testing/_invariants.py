"""Invariants of a running campaign, each usable on its own.

Every check raises :class:`InvariantViolation` (an ``AssertionError``) with a sentence that
names the unit, step and instants involved. They read a campaign only through its public
API and its compiled definition, so they hold for any engine that honours the contract.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from zyw_flow.compile import derive_table
from zyw_flow.runtime import Campaign, Event

__all__ = [
    "InvariantViolation",
    "StatusTracker",
    "check_escalation_schedule",
    "check_phase_entry",
    "check_refusal_changed_nothing",
    "check_reopen_matches",
    "check_status_matches_deadlines",
    "check_tick_equivalence",
    "observable_state",
]


class InvariantViolation(AssertionError):
    """A campaign broke one of its invariants."""


def observable_state(campaign: Campaign, *, events: bool = True) -> str:
    """Everything a host can observe as canonical text: the JSON report with its events, or
    (``events=False``, cheaper) the report without them plus the event cursor."""
    report = campaign.report(events=events)
    report["cursor"] = campaign.cursor
    return json.dumps(report, sort_keys=True, ensure_ascii=False)


def first_difference(a: str, b: str) -> str:
    """Where two observable states (from :func:`observable_state`) first differ."""
    import difflib

    left = json.dumps(json.loads(a), indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    right = json.dumps(json.loads(b), indent=1, sort_keys=True, ensure_ascii=False).splitlines()
    diff = [line for line in difflib.unified_diff(left, right, lineterm="", n=2)][2:14]
    return "\n".join(diff)


def check_phase_entry(campaign: Campaign) -> None:
    """No unit is in a phase before that phase opens; under ``completion`` advance, a unit
    is past a phase only with that phase's gate steps accepted or waived."""
    compiled = campaign.compiled
    now = campaign.now
    completion = compiled.advance == "completion"
    gates = {
        p: [compiled.steps[s].id for s in compiled.gate_steps[i]]
        for i, p in enumerate(compiled.phase_ids)
    }
    for status in campaign.iter_units():
        if status.phase is None:
            continue
        index = compiled.phase_ids.index(status.phase)
        opens = compiled.resolved.phases[index].start
        if now is None or opens > now:
            raise InvariantViolation(
                f"unit {status.unit} is in phase {status.phase!r} at {now}, before it opens at "
                f"{opens.isoformat()}"
            )
        if completion:
            for earlier in compiled.phase_ids[:index]:
                for step in gates[earlier]:
                    st = status.steps[step].status
                    if st not in ("accepted", "waived"):
                        raise InvariantViolation(
                            f"unit {status.unit} is in phase {status.phase!r} but gate step "
                            f"{step!r} of {earlier!r} is {st}"
                        )


def check_status_matches_deadlines(campaign: Campaign) -> None:
    """A step is ``overdue`` exactly when it is open, unfinished and its due instant has
    passed (a submission at the due instant itself is on time); ``pending`` only until then."""
    now = campaign.now
    if now is None:
        return
    for status in campaign.iter_units():
        for sid, s in status.steps.items():
            if s.status == "overdue" and (s.due is None or s.due >= now):
                raise InvariantViolation(
                    f"{status.unit}.{sid} is overdue at {now.isoformat()} but due {s.due}"
                )
            if s.status == "pending" and s.due is not None and s.due < now:
                raise InvariantViolation(
                    f"{status.unit}.{sid} is still pending at {now.isoformat()}, past its due "
                    f"{s.due.isoformat()}"
                )


class StatusTracker:
    """Follows events and checks that each step moves only along the machine's edges and
    that escalation never decreases until the step is resolved.

    Feed it every new event with :meth:`observe` (e.g. from ``campaign.subscribe("*", …)``
    or ``campaign.events(since=…)``).
    """

    _EVENT_TO_TRIGGER: Mapping[str, str] = {
        "step_overdue": "overdue",
        "step_submitted": "submit",
        "step_accepted": "accept",
        "step_returned": "return",
        "step_waived": "waive",
    }

    def __init__(self, campaign: Campaign) -> None:
        self.campaign = campaign
        table = derive_table(campaign.compiled.step_machine)
        # Opening a step is implicit (by time), so "pending" is where a step starts.
        self.table = {(src, ev): dest for (src, ev), (dest, _) in table.items()}
        self.state: dict[tuple[str, str], str] = {}
        self.level: dict[tuple[str, str], int] = {}

    def observe(self, event: Event) -> None:
        """Check one event against the machine (raises :class:`InvariantViolation`)."""
        if event.unit is None or event.step is None:
            return
        key = (event.unit, event.step)
        if event.type == "step_escalated":
            level = int((event.data or {}).get("level", 0))
            if level != self.level.get(key, 0) + 1:
                raise InvariantViolation(
                    f"{event.unit}.{event.step} escalated from level {self.level.get(key, 0)} "
                    f"to {level}: a level was skipped or repeated"
                )
            if self.state.get(key, "pending") != "overdue":
                raise InvariantViolation(
                    f"{event.unit}.{event.step} escalated while {self.state.get(key, 'pending')}"
                )
            self.level[key] = level
            return
        trigger = self._EVENT_TO_TRIGGER.get(event.type)
        if trigger is None:
            return
        current = self.state.get(key, "pending")
        if event.type == "step_accepted" and (event.data or {}).get("auto"):
            current = "submitted"  # review-free steps are accepted on submission
        dest = self.table.get((current, trigger))
        if dest is None:
            raise InvariantViolation(
                f"{event.unit}.{event.step}: event {event.type} is not an edge from {current}"
            )
        self.state[key] = dest

    def observe_all(self, events: Iterable[Event]) -> None:
        """Observe several events in order."""
        for event in events:
            self.observe(event)


def check_escalation_schedule(campaign: Campaign, events: Iterable[Event]) -> None:
    """Time-driven events happen at their scheduled instants: a template step goes overdue
    at its due instant (or later: when the unit enters the phase late under ``completion``
    advance, or when the step is sent back after its deadline), and each escalation level
    is reached at its scheduled instant, or at the instant the step went overdue if that
    came later."""
    compiled = campaign.compiled
    completion = compiled.advance == "completion"
    overdue_at: dict[tuple[str, str], int] = {}
    returned_at: dict[tuple[str, str], int] = {}
    for e in events:
        if e.unit is None or e.step is None:
            continue
        if e.type == "step_returned":
            returned_at[(e.unit, e.step)] = e.at_us
        if e.type == "step_overdue":
            overdue_at[(e.unit, e.step)] = e.at_us
            if e.step in compiled.step_index:
                due = compiled.due_us[compiled.step_index[e.step]]
                late_return = returned_at.get((e.unit, e.step)) == e.at_us
                if e.at_us < due or (e.at_us != due and not completion and not late_return):
                    raise InvariantViolation(
                        f"{e.unit}.{e.step} went overdue at {e.at.isoformat()}, not at its "
                        f"due instant"
                    )
        elif e.type == "step_escalated" and e.step in compiled.step_index:
            s = compiled.step_index[e.step]
            level = int((e.data or {})["level"])
            scheduled = compiled.escalation_us[s][level - 1]
            expected = max(scheduled, overdue_at.get((e.unit, e.step), scheduled))
            if e.at_us != expected:
                raise InvariantViolation(
                    f"{e.unit}.{e.step} reached level {level} at {e.at.isoformat()}, "
                    f"scheduled for instant {expected} (µs)"
                )


def check_tick_equivalence(
    build: Callable[[], Campaign],
    script: Iterable[tuple[Any, Callable[[Campaign], object]]],
    until: Any,
    *,
    step: Any,
) -> None:
    """Ticking in steps of ``step`` and ticking only when acting give the same state and
    events. ``script`` is ``(at, action)`` pairs in time order; ``action(campaign)`` records
    something at ``at`` (refusals are allowed and must agree)."""
    stepping, lazy = build(), build()
    clock = None
    script = list(script)
    for at, action in script:
        if clock is None:
            clock = at
        while clock + step <= at:
            clock = clock + step
            stepping.tick(clock)
        outcomes = []
        for c in (stepping, lazy):
            try:
                action(c)
                outcomes.append("ok")
            except Exception as exc:
                outcomes.append(type(exc).__name__)
        if outcomes[0] != outcomes[1]:
            raise InvariantViolation(
                f"the same action at {at} gave {outcomes[0]} and {outcomes[1]}"
            )
    end = stepping.now or clock
    while end is not None and clock is not None and clock + step <= _as_instant(until, end):
        clock = clock + step
        stepping.tick(clock)
    stepping.tick(until)
    lazy.tick(until)
    if observable_state(stepping) != observable_state(lazy):
        raise InvariantViolation(
            "ticking in steps and ticking once gave different states or events"
        )


def check_refusal_changed_nothing(before: str, campaign: Campaign, error: BaseException) -> None:
    """After a refused call (``error``), the observable state equals ``before`` (taken with
    :func:`observable_state` with ``events=False``)."""
    if observable_state(campaign, events=False) != before:
        raise InvariantViolation(
            f"a refused call ({type(error).__name__}: {error}) changed the state"
        )


def check_reopen_matches(campaign: Campaign) -> None:
    """Reopening a stored campaign from its journal (with and without snapshot) rebuilds
    exactly the live state."""
    store = campaign.store
    if store is None:
        return
    live = observable_state(campaign)
    for use_snapshot in (False, True):
        reopened = Campaign.open(store.url, use_snapshot=use_snapshot)
        try:
            if observable_state(reopened) != live:
                raise InvariantViolation(
                    f"reopening the journal (use_snapshot={use_snapshot}) gave a different state"
                )
        finally:
            reopened.close()


def _as_instant(value: Any, like: Any) -> Any:
    """``value`` as an aware datetime comparable with ``like``."""
    import datetime as dt

    from zyw_flow._time import from_us, parse_at

    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    return from_us(parse_at(value, like.tzinfo), like.tzinfo)
