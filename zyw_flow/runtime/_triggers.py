"""Deadlines relative to an event the host records (``due: {after: TRIGGER, within: N
days}``): 「行政执法依据发生变化,要在30日以内报同级人民政府法制办公室审查后对外公布」 (001-F
L127). Until the trigger is recorded for a unit, the steps due after it have no deadline
and never go overdue; recording it gives each of the unit's open steps due after it a
deadline of its own, with its escalation ladder and warning lights, through the per-cell
deadline machinery that extensions and ``set_deadline`` use (``State.deadlines``).

:func:`decide_trigger` validates and changes nothing; the events it returns carry the
computed deadline and instants, so replay never recomputes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any, cast

from zyw_flow._errors import TransitionRefused
from zyw_flow._time import At, format_us, to_us
from zyw_flow.compile._machine import FINAL, STATUS_NAMES
from zyw_flow.dates import end_of_day
from zyw_flow.runtime._decide import authorise
from zyw_flow.runtime._events import DomainEvent
from zyw_flow.runtime._proc_events import TriggerRecorded
from zyw_flow.runtime._reading import Reading
from zyw_flow.runtime._records import Event
from zyw_flow.runtime._state import UNOWED, State

__all__ = ["Triggers", "decide_trigger", "trigger_deadline"]


def trigger_deadline(state: State, s: int, at: int) -> tuple[int, int, str]:
    """The deadline step ``s`` gets from its trigger recorded at ``at``: the end of the day
    ``N`` days (or working days) after the local day of ``at``, moved by the step's
    non-working-day policy; with ``N`` and its unit."""
    c = state.compiled
    spec = c.step_triggers[s]
    assert spec is not None
    _, amount, unit, policy = spec
    day = dt.datetime.fromtimestamp(at / 1e6, dt.UTC).astimezone(c.zone).date()
    if unit == "working_days":
        last = c.calendar.add_workdays(day, amount) if amount else day
    else:
        last = day + dt.timedelta(days=amount)
    last = c.calendar.adjust(last, cast(Any, policy))
    return to_us(end_of_day(max(last, day), c.timezone)), amount, unit


def decide_trigger(
    state: State, u: int, at: int, actor: str, trigger: str, note: str | None,
    key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """record_trigger: ``trigger`` happened for unit ``u`` at ``at``; each step the unit
    owes that is due after it, and not accepted or waived, gets its deadline (one event per
    step, the first carrying the idempotency key).

    Raises:
        TransitionRefused: an unknown trigger; one recorded for the unit already; no step
            the unit owes is due after it, or every such step is done; empty ``note``.
        PermissionRefused: the actor may not (``permissions.trigger``, default the office).
    """
    event = "trigger"
    uid = state.ids[u]
    c = state.compiled
    declared = c.resolved.template.triggers
    if type(trigger) is not str or trigger not in declared:
        known = ", ".join(declared) or "none declared"
        raise TransitionRefused(f"unknown trigger {trigger!r}; the template's triggers: {known}",
                                unit=uid, event=event)  # fmt: skip
    principal = authorise(state, actor, c.permissions.get("trigger", ("office",)), u, event,
                          None, at)  # fmt: skip
    if note is not None and (type(note) is not str or not note.strip()):
        raise TransitionRefused(f"note must be non-empty text, not {note!r}", unit=uid,
                                event=event)  # fmt: skip
    earlier = state.triggers.get((u, trigger))
    if earlier is not None:
        raise TransitionRefused(
            f"trigger {trigger!r} was recorded for this unit already, at "
            f"{format_us(earlier, state.zone)}: its deadlines stand (set_deadline moves one)",
            unit=uid, event=event,
        )  # fmt: skip
    rows = [
        s
        for s, spec in enumerate(c.step_triggers)
        if spec is not None and spec[0] == trigger and not state.flags[s][u] & UNOWED
    ]
    if not rows:
        raise TransitionRefused(f"unit {uid!r} owes no step due after trigger {trigger!r}",
                                unit=uid, event=event)  # fmt: skip
    open_rows = [s for s in rows if state.status[s][u] not in FINAL]
    if not open_rows:
        done = ", ".join(f"{state.defs[s].id} ({STATUS_NAMES[state.status[s][u]]})" for s in rows)
        raise TransitionRefused(f"every step due after {trigger!r} is done already: {done}",
                                unit=uid, event=event)  # fmt: skip
    data: dict[str, Any] = {}
    if principal is not None:
        data["on_behalf_of"] = principal
    events: list[DomainEvent] = []
    for i, s in enumerate(open_rows):
        due, amount, unit = trigger_deadline(state, s, at)
        esc, lights = c.deadline_instants(s, due)
        events.append(
            TriggerRecorded(
                at, u, actor, trigger=trigger, step=state.defs[s].id, days=amount,
                day_unit=unit, due=due, escalations=esc, warnings=lights, note=note or "",
                key=key if i == 0 else None, fingerprint=fp if i == 0 else None,
            )
        )  # fmt: skip
    return events


class Triggers(Reading):
    """``record_trigger`` (mixed into ``Campaign``)."""

    _command: Callable[..., Event]

    def record_trigger(
        self, unit: str, trigger: str, *, actor: str, at: At | None = None,
        note: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record that ``trigger`` (one of the template's ``triggers:``) happened for
        ``unit`` at ``at``: each open step of the unit due after it (``due: {after:
        trigger, within: N days}``) gets its deadline, N days (or working days) after that
        day, and goes overdue, escalates and lights its warnings from then on by ``tick``.
        Roles: ``permissions.trigger`` (default the office).

        Returns:
            The first ``trigger_recorded`` event (one per step given a deadline).

        Raises:
            TransitionRefused: an unknown trigger, one already recorded for the unit, no
                open step due after it.
            PermissionRefused: the actor may not record it.
        """
        payload: Mapping[str, Any] = {"trigger": trigger}
        if note is not None:
            payload = {**payload, "note": note}
        return self._command(
            "trigger", unit, None, actor, at, key, payload, decide_trigger, trigger, note
        )
