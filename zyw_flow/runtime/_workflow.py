"""Decide functions of the host-system workflows: extension requests (延期申请), deadlines
set by the office, reassignment (转办), corrections (更正: voiding an action), unit groups,
revoking actors and delegation (代办).

Like every decide function these validate and authorise against the state, change
nothing, and return the events that the one writer applies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from zyw_flow._errors import (
    InstantError,
    PermissionRefused,
    TransitionRefused,
    UnknownActorError,
    UnknownUnitError,
)
from zyw_flow._time import NEVER, At, format_us, parse_at, to_us
from zyw_flow.compile._machine import (
    FINAL,
    NOT_OPEN,
    OVERDUE,
    PENDING,
    RETURNED,
    STATUS_NAMES,
)
from zyw_flow.dates import end_of_day
from zyw_flow.runtime._decide import authorise, step_of
from zyw_flow.runtime._events import (
    ActorRevoked,
    DeadlineSet,
    DelegationGranted,
    DomainEvent,
    EventVoided,
    ExtensionApproved,
    ExtensionRefused,
    ExtensionRequested,
    GroupAssigned,
    StepTransferred,
)
from zyw_flow.runtime._records import Event
from zyw_flow.runtime._state import REPLY_ROLES, REPLY_SOURCE, UNOWED, State

__all__ = [
    "VOIDABLE",
    "deadline_instant",
    "decide_approve_extension",
    "decide_delegation",
    "decide_group",
    "decide_refuse_extension",
    "decide_request_extension",
    "decide_revoke",
    "decide_set_deadline",
    "decide_transfer",
    "decide_void",
    "pending_request",
    "trigger_group",
]

#: The recorded actions that can be made void, by their event type.
VOIDABLE = (
    "step_submitted",
    "step_accepted",
    "step_returned",
    "step_waived",
    "step_reviewed",
    "trigger_recorded",
    "score_recorded",
    "deduction_recorded",
    "case_recorded",
    "sanction_issued",
)
_CELL_ACTIONS = ("step_submitted", "step_accepted", "step_returned", "step_waived",
                 "step_reviewed")  # fmt: skip


def _with(principal: str | None) -> Mapping[str, Any] | None:
    return None if principal is None else {"on_behalf_of": principal}


def deadline_instant(state: State, value: At, unit: str, step: str, event: str) -> int:
    """A new deadline: a date (``2011-10-20``) is the end of that day, local time; a
    date-time is that instant.

    Raises:
        InstantError: not an instant.
    """
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            day = dt.date.fromisoformat(value.strip())
        except ValueError:
            raise InstantError(value) from None
        return to_us(end_of_day(day, state.compiled.timezone))
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return to_us(end_of_day(value, state.compiled.timezone))
    if not isinstance(value, (str, dt.datetime)):
        raise TransitionRefused(
            f"until must be a date or date-time, not {type(value).__name__}",
            unit=unit, step=step, event=event,
        )  # fmt: skip
    return parse_at(value, state.zone)


def _text(value: object, name: str, unit: str, step: str | None, event: str) -> str:
    if type(value) is not str or not value.strip():
        raise TransitionRefused(f"{name} must be non-empty text, not {value!r}", unit=unit,
                                step=step, event=event)  # fmt: skip
    return value


def _policy(state: State, s: int) -> Any:
    """The step's extension policy (a template's ``ExtensionPolicy``, from the compiled
    tables: the engine imports no template code)."""
    c = state.compiled
    if s < state.n and c.extension_policies:
        return c.extension_policies[s]
    return c.resolved.template.extensions


def _requesters(state: State, s: int) -> tuple[str, ...]:
    """Who may ask to extend step ``s``: those who submit it; for a complaint's reply
    deadline, those who may answer it (``permissions.complaint_reply``)."""
    d = state.defs[s]
    if d.source == REPLY_SOURCE:
        return tuple(state.compiled.permissions.get("complaint_reply", REPLY_ROLES))
    return d.submit


def pending_request(state: State, s: int, u: int) -> dict[str, Any] | None:
    """The unit's pending extension request for step ``s``, if any."""
    requests = state.extensions.get((s, state.slot(s, u)), ())
    return requests[-1] if requests and requests[-1]["status"] == "pending" else None


def _fmt(state: State, us: int) -> str:
    return format_us(us, state.zone) or ""


# -- extension requests -----------------------------------------------------------------
def decide_request_extension(
    state: State, u: int, at: int, actor: str, step: str, until: At, reason: str,
    key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """request_extension: before the deadline, within the template's limits."""
    event = "request_extension"
    uid = state.ids[u]
    s = step_of(state, u, step, event)
    d = state.defs[s]
    policy = _policy(state, s)
    if not policy.allowed:
        raise TransitionRefused("the template allows no extension of this step", unit=uid,
                                step=step, event=event)  # fmt: skip
    reason = _text(reason, "reason", uid, step, event)
    principal = authorise(state, actor, _requesters(state, s), u, event, step, at)
    due = state.due_of(s, state.slot(s, u))
    if due >= NEVER:
        raise TransitionRefused("the step has no deadline to extend", unit=uid, step=step,
                                event=event)  # fmt: skip
    status = state.status_at(s, u, at)
    if status == OVERDUE or at > due:
        raise TransitionRefused(
            f"the deadline passed at {_fmt(state, due)}: an extension is requested before it",
            unit=uid, step=step, event=event,
        )  # fmt: skip
    if status not in (PENDING, RETURNED, NOT_OPEN):
        raise TransitionRefused(
            f"the step is {STATUS_NAMES[status]}: there is nothing to extend", unit=uid,
            step=step, event=event,
        )  # fmt: skip
    if pending_request(state, s, u) is not None:
        raise TransitionRefused("an extension request of this step is pending already",
                                unit=uid, step=step, event=event)  # fmt: skip
    granted = sum(1 for r in state.extensions.get((s, state.slot(s, u)), ())
                  if r["status"] == "approved")  # fmt: skip
    if granted >= policy.max_times:
        raise TransitionRefused(
            f"the template allows {policy.max_times} extension(s) of this step; "
            f"{granted} granted", unit=uid, step=step, event=event,
        )  # fmt: skip
    new = deadline_instant(state, until, uid, step, event)
    if new <= due:
        raise TransitionRefused(
            f"until ({_fmt(state, new)}) must be later than the deadline ({_fmt(state, due)})",
            unit=uid, step=step, event=event,
        )  # fmt: skip
    _check_limit(state, s, d.phase, policy, due, new, uid, step, event)
    return [ExtensionRequested(at, u, s, actor, new, reason, _with(principal), key, fp)]


def _check_limit(
    state: State, s: int, phase: int, policy: Any, due: int, new: int, uid: str,
    step: str, event: str,
) -> None:  # fmt: skip
    c = state.compiled
    if policy.max_days is not None:
        local = dt.datetime.fromtimestamp(due / 1e6, dt.UTC).astimezone(c.zone).date()
        if policy.max_unit == "working_days":
            last = c.calendar.add_workdays(local, policy.max_days)
        else:
            last = local + dt.timedelta(days=policy.max_days)
        limit = to_us(end_of_day(last, c.timezone))
        if new > limit:
            words = "working days" if policy.max_unit == "working_days" else "days"
            raise TransitionRefused(
                f"an extension adds at most {policy.max_days} {words} (until "
                f"{_fmt(state, limit)})", unit=uid, step=step, event=event,
            )  # fmt: skip
    if policy.until == "phase_end" and phase >= 0:
        end = c.phase_end_us[phase]
        if new > end:
            raise TransitionRefused(
                f"an extension may not go past the end of the step's phase ({_fmt(state, end)})",
                unit=uid, step=step, event=event,
            )  # fmt: skip
    elif policy.until == "campaign_end":
        end = max(c.phase_end_us)
        if new > end:
            raise TransitionRefused(
                f"an extension may not go past the end of the campaign ({_fmt(state, end)})",
                unit=uid, step=step, event=event,
            )  # fmt: skip


def _instants(state: State, s: int, due: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    return state.compiled.deadline_instants(s if s < state.n else None, due)


def _next_approver(
    state: State, u: int, at: int, actor: str, step: str, event: str
) -> tuple[int, dict[str, Any], int, bool, str | None]:
    """The pending request of ``step`` and the next approver of its chain, whom ``actor``
    must be: ``(step row, request, stage, whether it is the last, principal)``."""
    s = step_of(state, u, step, event)
    request = pending_request(state, s, u)
    if request is None:
        raise TransitionRefused("no extension request of this step is pending",
                                unit=state.ids[u], step=step, event=event)  # fmt: skip
    chain = _policy(state, s).approve
    stage = len(request["approvals"])
    principal = authorise(state, actor, (chain[stage],), u, event, step, at)
    return s, request, stage, stage + 1 == len(chain), principal


def decide_approve_extension(
    state: State, u: int, at: int, actor: str, step: str, note: str | None, key: str | None,
    fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """approve_extension: the next approver of the chain; the last moves the deadline."""
    event = "approve_extension"
    uid = state.ids[u]
    s, request, stage, final, principal = _next_approver(state, u, at, actor, step, event)
    status = state.status_at(s, u, at)
    if status not in (PENDING, RETURNED, NOT_OPEN, OVERDUE):
        raise TransitionRefused(
            f"the step is {STATUS_NAMES[status]} since the request: there is nothing to "
            "extend (refuse the request to close it)", unit=uid, step=step, event=event,
        )  # fmt: skip
    until = to_us(dt.datetime.fromisoformat(request["until"]))
    if final and until < at:
        raise TransitionRefused(
            f"the requested deadline ({request['until']}) has passed: refuse the request, or "
            "set a deadline (set_deadline)", unit=uid, step=step, event=event,
        )  # fmt: skip
    esc, lights = _instants(state, s, until) if final else ((), ())
    data = dict(_with(principal) or {})
    if note is not None:
        data["note"] = _text(note, "note", uid, step, event)
    return [ExtensionApproved(at, u, s, actor, until, stage + 1, final, esc, lights,
                              data or None, key, fp)]  # fmt: skip


def decide_refuse_extension(
    state: State, u: int, at: int, actor: str, step: str, reason: str | None,
    key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """refuse_extension: the next approver of the chain says no; nothing else changes."""
    event = "refuse_extension"
    uid = state.ids[u]
    s, _, _, _, principal = _next_approver(state, u, at, actor, step, event)
    if reason is not None:
        reason = _text(reason, "reason", uid, step, event)
    return [ExtensionRefused(at, u, s, actor, reason, _with(principal), key, fp)]


def decide_set_deadline(
    state: State, u: int, at: int, actor: str, step: str, until: At, reason: str,
    key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """set_deadline: the office gives one unit its own deadline for a step."""
    event = "set_deadline"
    uid = state.ids[u]
    s = step_of(state, u, step, event)
    principal = authorise(state, actor, state.compiled.permissions.get("set_deadline", ("office",)),
                          u, event, step, at)  # fmt: skip
    reason = _text(reason, "reason", uid, step, event)
    status = state.status[s][state.slot(s, u)]
    if status in FINAL:
        raise TransitionRefused(f"the step is {STATUS_NAMES[status]} already", unit=uid,
                                step=step, event=event)  # fmt: skip
    new = deadline_instant(state, until, uid, step, event)
    if new <= at:
        raise TransitionRefused(
            f"until ({_fmt(state, new)}) must be later than the call ({_fmt(state, at)})",
            unit=uid, step=step, event=event,
        )  # fmt: skip
    esc, lights = _instants(state, s, new)
    return [DeadlineSet(at, u, s, actor, new, reason, esc, lights, _with(principal), key, fp)]


# -- reassignment --------------------------------------------------------------------------
def decide_transfer(
    state: State, u: int, at: int, actor: str, step: str, to: str, until: At | None,
    reason: str, key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """transfer: a step or a finding passes to another unit with its history and deadline."""
    event = "transfer"
    uid = state.ids[u]
    s = step_of(state, u, step, event)
    principal = authorise(state, actor, state.compiled.permissions.get("transfer", ("office",)),
                          u, event, step, at)  # fmt: skip
    reason = _text(reason, "reason", uid, step, event)
    v = state.index.get(to) if type(to) is str else None
    if v is None:
        raise UnknownUnitError(f"cannot transfer to {to!r}: no such unit is enrolled",
                               unit=uid, step=step, event=event)  # fmt: skip
    if v == u:
        raise TransitionRefused("a step is transferred to another unit", unit=uid, step=step,
                                event=event)  # fmt: skip
    if s < state.n and not state.flags[s][v] & UNOWED:
        raise TransitionRefused(
            f"unit {to!r} owes step {step!r} itself: a template step moves only to a unit "
            "that does not owe it", unit=uid, step=step, event=event,
        )  # fmt: skip
    if state.defs[s].source == REPLY_SOURCE and state.status[s][0] in FINAL:
        raise TransitionRefused(
            "the complaint has been replied to: there is nothing left to hand on", unit=uid,
            step=step, event=event,
        )  # fmt: skip
    if at < state.last[v]:
        raise TransitionRefused(
            f"unit {to!r}'s last event is at {_fmt(state, state.last[v])}", unit=uid,
            step=step, event=event,
        )  # fmt: skip
    new: int | None = None
    esc: tuple[int, ...] = ()
    lights: tuple[int, ...] = ()
    if until is not None:
        new = deadline_instant(state, until, uid, step, event)
        if new <= at:
            raise TransitionRefused("until must be later than the call", unit=uid, step=step,
                                    event=event)  # fmt: skip
        esc, lights = _instants(state, s, new)
    return [StepTransferred(at, u, s, actor, v, reason, new, esc, lights, _with(principal),
                            key, fp)]  # fmt: skip


# -- corrections ---------------------------------------------------------------------------
def decide_void(
    state: State,
    u: int,
    at: int,
    actor: str,
    target: Event,
    unit_events: Sequence[Event],
    history: State,
    reason: str,
    key: str | None,
    fp: str | None,
    group: Sequence[Event] = (),
) -> list[DomainEvent]:
    """void: an action is made void; the state is as if it had not been recorded.

    ``unit_events`` are every event of the unit, in order; ``history`` the campaign's state
    just before the target (the voided action's cell or entry is put back as it was).
    ``group`` is every event of a ``record_trigger`` (one per step given a deadline), the
    target first: the trigger is void on all of them.
    """
    event = "void"
    uid = state.ids[u]
    reason = _text(reason, "reason", uid, target.step, event)
    principal = authorise(state, actor, state.compiled.permissions.get("void", ("office",)),
                          u, event, target.step, at)  # fmt: skip
    if target.seq in state.voided:
        raise TransitionRefused(f"event #{target.seq} is void already", unit=uid,
                                step=target.step, event=event)  # fmt: skip
    if target.type not in VOIDABLE:
        raise TransitionRefused(
            f"a {target.type} event cannot be made void; voidable: {', '.join(VOIDABLE)}",
            unit=uid, step=target.step, event=event,
        )  # fmt: skip
    data = _with(principal)
    last = group[-1].seq if group else target.seq
    later = [e for e in unit_events if e.seq > last]
    if target.type in _CELL_ACTIONS:
        assert target.step is not None
        s = state.step_index[target.step]
        for e in later:
            auto = e.type == "step_accepted" and (e.data or {}).get("auto")
            acted = e.type in _CELL_ACTIONS or e.type in ("step_transferred", "complaint_replied")
            if (e.step == target.step and acted and not auto
                    and e.seq not in state.voided):  # fmt: skip
                raise TransitionRefused(
                    f"a later {e.type} (#{e.seq}) of this step stands on it: void that first",
                    unit=uid, step=target.step, event=event,
                )  # fmt: skip
        after = {state.defs[x].id for x in range(state.n) if s in state.defs[x].deps}
        for e in later:  # a step that needed this one done was acted on since
            if e.step in after and e.type in _CELL_ACTIONS and e.seq not in state.voided:
                raise TransitionRefused(
                    f"step {e.step} comes after this one, and its later {e.type} (#{e.seq}) "
                    "stands on it: void that first", unit=uid, step=target.step, event=event,
                )  # fmt: skip
        if state.completion and history.uphase[u] != state.uphase[u]:
            raise TransitionRefused(
                "the unit has entered another phase since: that cannot be undone", unit=uid,
                step=target.step, event=event,
            )  # fmt: skip
        cell = _cell_then(history, s, u)
        return [EventVoided(at, u, actor, target.seq, target.type, reason, s, cell, None, data,
                            key, fp, target.at_us)]  # fmt: skip
    if group:
        return [_void_trigger(state, u, at, actor, target, later, history, reason, key, fp,
                              group, data)]  # fmt: skip
    restore: dict[str, Any]
    tdata = dict(target.data or {})
    if target.type == "score_recorded":
        fields = ("indicator", "period", "rater_group", "rater")
        score_key = (uid, *(tdata.get(f) for f in fields))
        # the score stands as the last other record of it that is not void (a later
        # correction keeps its value; with none, the one before, or no score)
        value = None
        for e in unit_events:
            same = e.type == "score_recorded" and e.seq != target.seq
            if same and e.seq not in state.voided and all(
                    (e.data or {}).get(f) == tdata.get(f) for f in fields):  # fmt: skip
                value = str((e.data or {})["value"])
        restore = {"score": list(score_key), "value": value}
    elif target.type == "deduction_recorded":
        restore = {"deduction": len(history.deductions)}
    elif target.type == "case_recorded":
        restore = {"case": len(history.cases)}
    else:
        restore = {"sanction": len(history.sanctions.get(u, ()))}
        rect = _rectification_of(state, target, later)
        if rect is not None:  # ordered with the sanction (rectify_days): void with it
            restore["rectification"] = rect
    return [EventVoided(at, u, actor, target.seq, target.type, reason, -1, None, restore, data,
                        key, fp, target.at_us)]  # fmt: skip


def _rectification_of(state: State, target: Event, later: Sequence[Event]) -> int | None:
    """The rectification step a sanction ordered (``rectify_days``: recorded right after
    it), or ``None``; refused while a later action on that step stands on it."""
    ordered = next((e for e in later if e.seq == target.seq + 1), None)
    if ordered is None or ordered.type != "finding_recorded" or ordered.at_us != target.at_us:
        return None
    if (ordered.data or {}).get("source") != "sanction":
        return None
    for e in later:
        acted = e.type in _CELL_ACTIONS or e.type == "step_transferred"
        if e.step == ordered.step and acted and e.seq not in state.voided:
            what = "void that first" if e.type in VOIDABLE else "it cannot be undone"
            raise TransitionRefused(
                f"a later {e.type} (#{e.seq}) of its rectification step {e.step} stands on "
                f"the sanction: {what}", unit=e.unit, step=e.step, event="void",
            )  # fmt: skip
    s = state.step_index[str(ordered.step)]
    if state.defs[s].owner != target_unit(state, target):  # (passed on: belt and braces)
        raise TransitionRefused(
            f"its rectification step {ordered.step} was passed on to unit "
            f"{state.ids[state.defs[s].owner]!r}: it cannot be undone",
            unit=target.unit, step=ordered.step, event="void",
        )  # fmt: skip
    return s


def target_unit(state: State, target: Event) -> int:
    """The unit index of an event's unit."""
    return state.index[str(target.unit)]


def _cell_then(history: State, s: int, u: int) -> tuple[int, int, int, int]:
    """Unit ``u``'s cell of step ``s`` in ``history``: status, escalation level, flags and
    completion instant (-1: none) — what a void puts back."""
    j = history.slot(s, u)
    return (history.status[s][j], history.esc[s][j], history.flags[s][j],
            history.completed[s].get(j, -1))  # fmt: skip


def trigger_group(log: Any, state: State, target: Event) -> tuple[Event, ...]:
    """The events of the ``record_trigger`` that recorded ``target`` (one per step it gave
    a deadline, recorded one after another), in order. ``log`` is the campaign's journal."""

    trigger = (target.data or {}).get("trigger")

    def same(e: Event) -> bool:
        return (e.type == "trigger_recorded" and e.unit == target.unit
                and e.at_us == target.at_us and e.seq not in state.voided
                and (e.data or {}).get("trigger") == trigger)  # fmt: skip

    found = [target]
    seq = target.seq - 1
    while seq > 0 and same(e := log.event_at(state, seq)):
        found.insert(0, e)
        seq -= 1
    seq = target.seq + 1
    while seq <= state.eseq and same(e := log.event_at(state, seq)):
        found.append(e)
        seq += 1
    return tuple(found)


def _void_trigger(
    state: State, u: int, at: int, actor: str, target: Event, later: Sequence[Event],
    history: State, reason: str, key: str | None, fp: str | None, group: Sequence[Event],
    data: Mapping[str, Any] | None,
) -> EventVoided:  # fmt: skip
    """A trigger recorded by mistake is void: the unit's steps due after it have the
    deadline they had before (none, or one the office set), with the status, escalation
    and lights of then; the trigger may be recorded again."""
    uid = state.ids[u]
    steps = {str(e.step) for e in group}
    for e in later:
        moved = e.type in ("deadline_set", "extension_approved", "step_transferred")
        # a sanction a level of the trigger's deadline issued stays issued
        sanctioned = e.type == "step_escalated" and (
            state.compiled.escalation[int((e.data or {})["level"]) - 1].sanction is not None
        )
        stands = moved or sanctioned or e.type in _CELL_ACTIONS
        if e.step in steps and stands and e.seq not in state.voided:
            what = "void that first" if e.type in VOIDABLE else "it cannot be undone"
            raise TransitionRefused(
                f"a later {e.type} (#{e.seq}) of step {e.step} stands on the trigger: {what}",
                unit=uid, step=e.step, event="void",
            )  # fmt: skip
    for step in sorted(steps):  # asked for against the trigger's deadline
        if pending_request(state, state.step_index[step], u) is not None:
            raise TransitionRefused(
                f"an extension request of step {step} is pending against the trigger's "
                "deadline: approve or refuse it first", unit=uid, step=step, event="void",
            )  # fmt: skip
    cells: list[list[Any]] = []
    for e in group:
        s = state.step_index[str(e.step)]
        before = history.deadlines[s].get(history.slot(s, u))
        cells.append([
            s, *_cell_then(history, s, u),
            None if before is None else [before[0], list(before[1]), list(before[2])],
        ])  # fmt: skip
    restore = {"trigger": (target.data or {})["trigger"], "seqs": [e.seq for e in group],
               "cells": cells}  # fmt: skip
    return EventVoided(at, u, actor, target.seq, target.type, reason, -1, None, restore, data,
                       key, fp, target.at_us)  # fmt: skip


# -- groups and actors ---------------------------------------------------------------------
def decide_group(
    state: State, u: int, at: int, actor: str, group: str, units: Iterable[str], remove: bool,
    key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    """assign_group: units into (or out of) a group the template declares."""
    event = "assign_group"
    groups = state.compiled.groups
    if group not in groups:
        known = ", ".join(groups) or "none declared"
        raise TransitionRefused(f"unknown group {group!r}; the template's groups: {known}",
                                event=event)  # fmt: skip
    rows: list[int] = []
    for uid in units:
        v = state.index.get(uid) if type(uid) is str else None
        if v is None:
            raise UnknownUnitError("no such unit is enrolled", unit=str(uid), event=event)
        authorise(state, actor, state.compiled.permissions.get("groups", ("office",)), v, event,
                  None, at)  # fmt: skip
        if at < state.last[v]:
            raise TransitionRefused(
                f"the unit's last event is at {_fmt(state, state.last[v])}", unit=uid,
                event=event,
            )  # fmt: skip
        rows.append(v)
    if not rows:
        raise TransitionRefused("name at least one unit", event=event)
    return [GroupAssigned(at, group, tuple(sorted(set(rows))), actor, remove)]


def decide_revoke(state: State, actor: str, at: int, reason: str | None) -> ActorRevoked:
    """revoke_actor: from ``at`` on the actor may not act (history keeps them)."""
    who = state.actors.get(actor) if type(actor) is str else None
    if who is None:
        raise UnknownActorError(f"actor {actor!r} is not registered", event="revoke_actor")
    if who.revoked_at is not None:
        raise TransitionRefused(f"actor {actor!r} was revoked already", event="revoke_actor")
    return ActorRevoked(at, actor, reason)


def decide_delegation(
    state: State, principal: str, delegate: str, start: int, end: int
) -> DelegationGranted:
    """delegate: ``delegate`` acts on behalf of ``principal`` in [start, end)."""
    for name in (principal, delegate):
        if state.actors.get(name) is None:
            raise UnknownActorError(f"actor {name!r} is not registered", event="delegate")
    if principal == delegate:
        raise TransitionRefused("an actor does not delegate to itself", event="delegate")
    if end <= start:
        raise TransitionRefused("the delegation window must end after it starts",
                                event="delegate")  # fmt: skip
    revoked = state.actors[delegate].revoked_at
    if revoked is not None:
        raise PermissionRefused(f"actor {delegate!r} was revoked at {revoked.isoformat()}",
                                event="delegate")  # fmt: skip
    return DelegationGranted(max(state.now, 0), principal, delegate, start, end)
