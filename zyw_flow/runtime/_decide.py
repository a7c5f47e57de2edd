"""Decide functions: validate and authorise a command against the state; return its events.

Nothing here writes state. Every command goes through :func:`prepare` (identifiers,
idempotency, the unit, the unit's own time order, the actor) and :func:`authorise` (the
actor's roles, and a member's unit scope), with the roles passed in as data.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from zyw_flow._errors import (
    ActorSuspended,
    CalendarHorizonError,
    DuplicateEventError,
    EnrollmentError,
    PermissionRefused,
    TimeOrderError,
    TransitionRefused,
    UnknownActorError,
    UnknownStepError,
    UnknownUnitError,
)
from zyw_flow._time import format_us, to_us
from zyw_flow.compile import STEP_EVENTS
from zyw_flow.compile._machine import FINAL, NOT_OPEN, OVERDUE, STATUS_NAMES
from zyw_flow.runtime._codec import canonical
from zyw_flow.runtime._columns import check_submissions
from zyw_flow.runtime._events import (
    ActorAdded,
    DomainEvent,
    FindingRecorded,
    SanctionIssued,
    StepAccepted,
    StepAction,
    StepReturned,
    StepReviewed,
    StepsSubmitted,
    StepSubmitted,
    StepWaived,
    UnitsEnrolled,
)
from zyw_flow.runtime._records import UNIT_SCOPED_ROLES
from zyw_flow.runtime._state import KINDS, REPLY_SOURCE, REVIEWED, SYSTEM_ACTOR, UNOWED, State
from zyw_flow.runtime._timed import enter_phases, overdue_from

__all__ = [
    "ACTIONS",
    "Prepared",
    "authorise",
    "check_rectification",
    "check_step_action",
    "check_submissions",
    "decide_actor",
    "decide_enrolment",
    "decide_finding",
    "decide_gate",
    "decide_sanction",
    "decide_step_action",
    "decide_submissions",
    "finding_deadline",
    "in_scope",
    "prepare",
    "register_owner",
    "step_of",
]

_EV = {name: i for i, name in enumerate(STEP_EVENTS)}

#: Step actions: the event class and the payload field each takes.
ACTIONS: Mapping[str, type[StepAction]] = {
    "submit": StepSubmitted,
    "accept": StepAccepted,
    "return": StepReturned,
    "waive": StepWaived,
}

#: ``(unit index, instant, duplicate event number or None, fingerprint)``
Prepared = tuple[int, int, int | None, str | None]


def _ident(value: object, name: str, event: str, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if type(value) is not str or not value:
        raise TransitionRefused(
            f"{name} must be a non-empty string, not {value!r} ({type(value).__name__})",
            event=event,
        )


def prepare(
    state: State,
    event: str,
    unit: str,
    step: str | None,
    actor: str,
    at: int,
    at_given: bool,
    key: str | None,
    payload: Mapping[str, Any],
) -> Prepared:
    """The checks every recorded command shares.

    Raises:
        TransitionRefused: an identifier or payload value of the wrong type.
        DuplicateEventError: the key was used for a different event.
        UnknownUnitError, TimeOrderError, UnknownActorError, PermissionRefused.
    """
    if type(unit) is not str:
        _ident(unit, "unit", event)
    if type(actor) is not str:
        _ident(actor, "actor", event)
    if step is not None and type(step) is not str:
        _ident(step, "step", event)
    if key is not None and (type(key) is not str or not key.strip()):
        raise TransitionRefused(
            f"key must be non-empty text, not {key!r} ({type(key).__name__})", event=event
        )
    for name, value in payload.items():
        if isinstance(value, bool) or not isinstance(value, (str, int, type(None))):
            raise TransitionRefused(
                f"{name} must be text or a number, not {type(value).__name__}",
                unit=str(unit),
                step=step,
                event=event,
            )
    fingerprint = None
    if key is not None:
        # A retry that takes its time from the injected clock is the same request.
        fingerprint = canonical(
            {
                "event": event,
                "at": at if at_given else None,
                "unit": unit,
                "step": step,
                "actor": actor,
                "payload": dict(payload),
            }
        )
        seen = state.keys.get(key)
        if seen is not None:
            if seen[0] == fingerprint:
                return state.index.get(unit, -1), at, seen[1], fingerprint
            raise DuplicateEventError(
                f"idempotency key {key!r} was used for a different event (#{seen[1]})",
                unit=unit,
                step=step,
                event=event,
            )
    u = state.index.get(unit)
    if u is None:
        raise UnknownUnitError("no such unit is enrolled", unit=unit, step=step, event=event)
    if at < state.last[u]:
        raise TimeOrderError(
            f"the unit's last event is at {format_us(state.last[u], state.zone)}; cannot "
            f"record an event at {format_us(at, state.zone)}",
            unit=unit,
            step=step,
            event=event,
        )
    who = state.actors.get(actor)
    if who is not None and who.revoked_at is not None and at >= to_us(who.revoked_at):
        raise PermissionRefused(
            f"actor {actor!r} was revoked at {who.revoked_at.isoformat()}",
            unit=unit, step=step, event=event,
        )  # fmt: skip
    if who is None:
        if actor == SYSTEM_ACTOR:
            raise PermissionRefused(
                f"{SYSTEM_ACTOR!r} is the library's own actor for time-driven events; "
                "register an actor with roles (add_actor) for automated callers",
                unit=unit,
                step=step,
                event=event,
            )
        raise UnknownActorError(
            f"actor {actor!r} is not registered (add_actor)", unit=unit, step=step, event=event
        )
    if state.proc.suspending and (case := state.proc.suspension_at(actor, at)) is not None:
        held = state.proc.cases[case]
        ends = "it is decided" if held.decided is None else format_us(held.decided, state.zone)
        raise ActorSuspended(
            f"actor {actor!r} is suspended by case {case} (先停职后调查) from "
            f"{format_us(held.opened, state.zone)} until {ends}",
            unit=unit,
            step=step,
            event=event,
        )
    return u, at, None, fingerprint


def authorise(
    state: State,
    actor: str,
    allowed: Sequence[str],
    u: int,
    event: str,
    step: str | None,
    at: int | None = None,
) -> str | None:
    """The actor must hold one of ``allowed`` where it acts: a member only for its own unit,
    an actor with a ``scope`` only in its unit (``unit``) or its unit's subtree
    (``subtree``). An actor who may not may still act on behalf of (代办) one who may, in
    a delegation's window.

    Returns:
        The principal acted for under a delegation, else ``None``.
    """
    refusal = _refusal(state, actor, allowed, u, event, step)
    if refusal is None:
        return None
    if at is not None:
        held: list[str] = []  # delegations a suspension holds up
        for principal, delegate, start, end in state.delegations:
            if delegate == actor and start <= at < end and principal in state.actors:
                boss = state.actors[principal]
                if boss.revoked_at is not None and at >= to_us(boss.revoked_at):
                    continue
                case = state.proc.suspension_at(principal, at) if state.proc.suspending else None
                if case is not None:  # 先停职后调查: no authority to lend
                    if _refusal(state, principal, allowed, u, event, step) is None:
                        held.append(f"{principal!r} (suspended by case {case})")
                    continue
                if _refusal(state, principal, allowed, u, event, step) is None:
                    return principal
        if held:
            raise PermissionRefused(
                f"actor {actor!r} may not {event} itself, and may not on behalf of "
                f"{', '.join(held)} at {format_us(at, state.zone)}: a suspended principal "
                "lends no authority (先停职后调查)",
                unit=state.ids[u], step=step, event=event,
            )  # fmt: skip
    raise refusal


def _refusal(
    state: State, actor: str, allowed: Sequence[str], u: int, event: str, step: str | None
) -> PermissionRefused | None:
    who = state.actors[actor]
    roles = who.roles
    usable = [r for r in allowed if r in roles]
    uid = state.ids[u]
    if not usable:
        return PermissionRefused(
            f"actor {actor!r} (roles: {', '.join(sorted(roles)) or 'none'}) may not "
            f"{event}; allowed roles: {', '.join(allowed) or 'none'}",
            unit=uid,
            step=step,
            event=event,
        )
    if who.scope is not None:
        if not in_scope(state, who.unit, who.scope, u):
            where = "in unit" if who.scope == "unit" else "in the subtree of unit"
            return PermissionRefused(
                f"actor {actor!r} acts only {where} {who.unit!r}", unit=uid, step=step,
                event=event,
            )  # fmt: skip
    elif who.unit != uid and UNIT_SCOPED_ROLES.issuperset(usable):
        return PermissionRefused(
            f"actor {actor!r} acts only for unit {who.unit!r}", unit=uid, step=step, event=event
        )
    return None


def in_scope(state: State, unit: str | None, scope: str, u: int) -> bool:
    """Whether unit ``u`` is ``unit`` (scope ``unit``) or in its subtree (``subtree``)."""
    home = state.index.get(unit) if unit is not None else None
    if home is None:
        return False
    if scope == "unit":
        return u == home
    while u >= 0:
        if u == home:
            return True
        u = state.parent[u]
    return False


def check_rectification(state: State, unit: str, step: object, event: str) -> None:
    """``verify``: the step must be a rectification (a finding's, a sanction's …), not one
    of the template's steps (those are accepted).

    Raises:
        TransitionRefused: a template step.
    """
    s = state.step_index.get(step) if type(step) is str else None
    if s is not None and s < state.n:
        raise TransitionRefused(
            f"{step!r} is a step of the template, not a rectification: accept it",
            unit=str(unit), step=str(step), event=event,
        )  # fmt: skip


def step_of(state: State, u: int, step: str, event: str) -> int:
    """The step table row of ``step`` for unit ``u`` (template step or its finding).

    Raises:
        UnknownStepError: no such step, or a finding of another unit.
        TransitionRefused: the unit does not owe the step.
    """
    s = state.step_index.get(step) if type(step) is str else None
    if s is not None and s < state.n and state.flags[s][u] & UNOWED:
        rule = state.compiled.owners[s]
        who = rule.description or _rule_text(rule)
        raise TransitionRefused(
            f"the unit does not owe this step (owed by {who})", unit=state.ids[u], step=step,
            event=event,
        )  # fmt: skip
    if s is not None and s >= state.n and state.defs[s].owner == u and state.flags[s][0] & UNOWED:
        raise TransitionRefused(
            "this rectification step was made void with the sanction that ordered it",
            unit=state.ids[u], step=step, event=event,
        )  # fmt: skip
    if s is not None and (s < state.n or state.defs[s].owner == u):
        return s
    known = [state.defs[k].id for k in state.unit_steps(u)]
    close = difflib.get_close_matches(str(step), known, n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise UnknownStepError(
        f"the campaign has no such step for this unit{hint}",
        unit=state.ids[u],
        step=str(step),
        event=event,
    )


def _rule_text(rule: Any) -> str:
    parts = [f"kind {'/'.join(rule.kinds)}"]
    if rule.level != "any":
        parts.append(f"level {rule.level}")
    if rule.depths:
        parts.append(f"depth {'/'.join(map(str, rule.depths))}")
    if rule.groups:
        parts.append(f"groups {'/'.join(rule.groups)}")
    if rule.predicate:
        parts.append(f"predicate {rule.predicate}")
    return ", ".join(parts)


def _refuse(state: State, u: int, step: str, event: str, status: int, why: str = "") -> Exception:
    return TransitionRefused(
        why or f"cannot {event} a step that is {STATUS_NAMES[status]}",
        unit=state.ids[u],
        step=step,
        event=event,
    )


def check_step_action(
    state: State, action: str, u: int, step: str, actor: str, at: int
) -> tuple[int, bool, str | None]:
    """The rules of submit / accept / return / waive for one step of one unit, written once
    for the single call and the bulk path.

    Returns:
        ``(step table row, late, the principal acted for under a delegation or None)``.

    Raises:
        UnknownStepError, PermissionRefused, TransitionRefused.
    """
    s = state.step_index.get(step) if type(step) is str else None  # the common case first
    if s is None or s >= state.n or state.flags[s][u] & UNOWED:
        s = step_of(state, u, step, action)
    d = state.defs[s]
    if d.source == REPLY_SOURCE:
        raise TransitionRefused(
            f"{step} is a complaint's reply deadline: it is answered by reply_complaint (the "
            f"handling unit's member or the office), not by {action}",
            unit=state.ids[u], step=step, event=action,
        )  # fmt: skip
    status = state.status_at(s, u, at)
    c = state.compiled
    due = state.due_of(s, state.slot(s, u)) if state.deadlines[s] else d.due
    if action == "submit":
        allowed = d.submit
    elif action == "waive":
        allowed = c.permissions.get("waive", ("office",))
    else:
        allowed = d.review
        if not allowed:
            raise _refuse(
                state, u, step, action, status,
                "this step needs no review: a submission is accepted at once",
            )  # fmt: skip
    principal = authorise(state, actor, allowed, u, action, step, at)
    if c.table[status][_EV[action]] < 0:
        if status == NOT_OPEN:
            opens = format_us(d.opens, state.zone)
            raise _refuse(state, u, step, action, status, f"the step is not open (opens {opens})")
        raise _refuse(state, u, step, action, status)
    if action != "submit":
        return s, False, principal
    if at > d.closes:
        closed = format_us(d.closes, state.zone)
        raise _refuse(state, u, step, action, status, f"the step closed at {closed}")
    st, flags = state.status, state.flags
    missing = [
        state.defs[x].id for x in d.deps if st[x][u] not in FINAL and not flags[x][u] & UNOWED
    ]
    if missing:
        needs = f"first needs {', '.join(missing)} accepted or waived"
        raise _refuse(state, u, step, action, status, needs)
    return s, status == OVERDUE or at > due, principal


def decide_step_action(
    state: State,
    action: str,
    u: int,
    step: str,
    actor: str,
    at: int,
    data: Mapping[str, Any] | None,
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """submit / accept / return / waive one step of one unit."""
    if action == "return":
        reason = (data or {}).get("reason")
        if type(reason) is not str or not reason.strip():
            raise TransitionRefused(f"a return needs a reason (退回理由), not {reason!r}",
                                    unit=state.ids[u], step=step, event=action)  # fmt: skip
    s, late, principal = check_step_action(state, action, u, step, actor, at)
    d = state.defs[s]
    if principal is not None:
        data = {**(data or {}), "on_behalf_of": principal}
    if action == "accept" and s < state.n and state.compiled.review_tiers[s] > 1:
        tiered = _tiered_review(state, u, s, step, actor, principal, at, data, key, fingerprint)
        if tiered is not None:
            return [tiered]
    events: list[DomainEvent] = [ACTIONS[action](at, u, s, actor, data, key, fingerprint, late)]
    if action == "submit" and not d.review:
        events.append(StepAccepted(at, u, s, actor, {"auto": True}))
    elif action == "return" and at > state.due_of(s, state.slot(s, u)):
        # sent back after its deadline: overdue at once, climbing to the level already due
        # (later instants, up to the clock, are decided again for the unit after the call)
        events.extend(overdue_from(state, s, (u,), at, at))
    return events


def _tiered_review(
    state: State, u: int, s: int, step: str, actor: str, principal: str | None, at: int,
    data: Mapping[str, Any] | None, key: str | None, fingerprint: str | None,
) -> StepReviewed | None:  # fmt: skip
    """逐级审核: the first acceptance comes from a reviewer scoped to the unit's part of the
    tree (its parent's office) and passes the step on; the last from a campaign-wide one."""
    who = state.actors[principal or actor]
    scoped = who.scope is not None
    if not state.flags[s][u] & REVIEWED:
        if not scoped:
            raise TransitionRefused(
                "this step is reviewed tier by tier (逐级审核): first by a reviewer of the "
                "unit's own part of the tree (an actor with a scope), then campaign-wide",
                unit=state.ids[u], step=step, event="accept",
            )  # fmt: skip
        return StepReviewed(at, u, s, actor, data, key, fingerprint)
    if scoped:
        raise TransitionRefused(
            "the first review tier has passed this step on; the final acceptance is a "
            "campaign-wide reviewer's",
            unit=state.ids[u], step=step, event="accept",
        )  # fmt: skip
    return None


def decide_submissions(
    state: State, units: Sequence[str], step: str, actors: Sequence[str], at: int, at_given: bool
) -> StepsSubmitted:
    """The bulk path: many units submit one step at one instant, each by the rules of
    :func:`check_step_action`; one batch event. All or nothing.

    The batch is first checked by columns (:func:`check_submissions`); a batch that does
    not plainly pass that way is checked unit by unit, which raises the first refusal."""
    fast = check_submissions(state, units, step, actors, at)
    if fast is not None:
        s, rows, lates = fast
    else:
        s, rows, lates = _submissions_one_by_one(state, units, step, actors, at, at_given)
    one = actors[0] if actors and actors.count(actors[0]) == len(actors) else None
    return StepsSubmitted(
        at, s, tuple(rows), (one,) if one is not None else tuple(actors), tuple(lates),
        not state.defs[s].review if s >= 0 else False,
    )  # fmt: skip


def _submissions_one_by_one(
    state: State, units: Sequence[str], step: str, actors: Sequence[str], at: int, at_given: bool
) -> tuple[int, list[int], list[int]]:
    rows: list[int] = []
    lates: list[int] = []
    seen: set[int] = set()
    s = -1
    for i, (uid, actor) in enumerate(zip(units, actors, strict=True)):
        u = prepare(state, "submit", uid, step, actor, at, at_given, None, _NO_PAYLOAD)[0]
        if u in seen:
            raise DuplicateEventError(
                "the unit appears twice in one bulk submission", unit=uid, step=step,
                event="submit",
            )  # fmt: skip
        seen.add(u)
        s, late, principal = check_step_action(state, "submit", u, step, actor, at)
        if principal is not None:
            raise PermissionRefused(
                f"actor {actor!r} would act on behalf of {principal!r}: delegated actions are "
                "recorded one by one (submit), not in bulk", unit=uid, step=step, event="submit",
            )  # fmt: skip
        rows.append(u)
        if late:
            lates.append(i)
    return s, rows, lates


_NO_PAYLOAD: Mapping[str, Any] = {}


def decide_gate(state: State, u: int, s: int, at: int) -> list[DomainEvent]:
    """Completion advance after a step of unit ``u`` became final: the next phase(s)."""
    if not state.completion or s >= state.n:
        return []
    p = state.uphase[u]
    starts = state.compiled.phase_start_us
    if p >= 0 and p + 1 < len(starts) and starts[p + 1] <= at and state.gate_met(u, p):
        opened = max(q for q in range(len(starts)) if starts[q] <= at)  # as of ``at``
        return enter_phases(state, (u,), p + 1, at, opened)
    return []


# -- findings and sanctions -------------------------------------------------------------------
def finding_deadline(
    state: State, days: object, day_unit: str, at: int, unit: str, event: str
) -> tuple[int, int, tuple[int, ...], tuple[int, ...]]:
    """``(days, due, escalation instants, warning instants)`` of a rectification ordered
    at ``at``.

    Raises:
        TransitionRefused: ``days`` is not a whole number ≥ 0.
        CalendarHorizonError: the deadline falls beyond the calendar data.
    """
    if isinstance(days, bool) or not isinstance(days, int) or days < 0:
        raise TransitionRefused(
            f"days must be a whole number of working days ≥ 0, not {days!r}",
            unit=unit,
            event=event,
        )
    try:
        due, esc = state.compiled.finding_due(
            at, days, "days" if day_unit == "days" else "working_days"
        )
        lights = state.compiled.deadline_instants(None, due)[1] if state.compiled.warnings else ()
    except CalendarHorizonError as exc:  # say which call ran past the data, and how far
        what = "working days" if day_unit != "days" else "days"
        raise CalendarHorizonError(
            f"{event} for unit {unit!r}: {days} {what} after {format_us(at, state.zone)} "
            f"run past the calendar: {exc}"
        ) from None
    return days, due, esc, tuple(lights)  # every light: an index is its ladder level


def new_finding(
    state: State,
    u: int,
    at: int,
    actor: str,
    source: str,
    description: str,
    deadline: tuple[int, int, tuple[int, ...], tuple[int, ...]],
    day_unit: str,
    *,
    offset: int = 0,
    key: str | None = None,
    fingerprint: str | None = None,
) -> FindingRecorded:
    """The event of a finding (``offset``: findings decided earlier in the same call)."""
    days, due, esc, lights = deadline
    fid = f"finding-{state.findings_count() + 1 + offset}"
    return FindingRecorded(
        at, u, fid, actor, source, description, days, day_unit, due, esc, None, key, fingerprint,
        lights,
    )  # fmt: skip


def _rectification(state: State) -> tuple[int, str]:
    findings = state.compiled.resolved.template.findings
    return findings.rectification_days, findings.rectification_unit


def decide_finding(
    state: State,
    u: int,
    at: int,
    actor: str,
    source: str,
    description: str,
    days: int | None,
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """record_finding: a finding and its rectification step."""
    uid = state.ids[u]
    sources = state.compiled.resolved.template.findings.sources
    if source not in sources:
        raise TransitionRefused(
            f"unknown finding source {source!r}; the template allows {', '.join(sources)}",
            unit=uid,
            event="finding",
        )
    for name, text in (("source", source), ("description", description)):
        if type(text) is not str:
            raise TransitionRefused(f"{name} must be text", unit=uid, event="finding")
    authorise(state, actor, state.compiled.permissions.get("finding", ("inspector",)), u,
              "finding", None)  # fmt: skip
    default_days, day_unit = _rectification(state)
    if days is not None:
        day_unit = "working_days"
    deadline = finding_deadline(
        state, default_days if days is None else days, day_unit, at, uid, "finding"
    )
    return [
        new_finding(state, u, at, actor, source, description, deadline, day_unit, key=key,
                    fingerprint=fingerprint)
    ]  # fmt: skip


def sanction_event(
    state: State,
    u: int,
    sanction: str,
    at: int,
    actor: str,
    person: str | None,
    reason: str | None,
    key: str | None = None,
    fingerprint: str | None = None,
) -> SanctionIssued:
    """The event of a sanction from the ladder (its title and level recorded)."""
    ladder = state.compiled.sanctions
    level = next(i for i, x in enumerate(ladder) if x.id == sanction)
    return SanctionIssued(
        at, u, sanction, ladder[level].title, level + 1, actor, person, reason, None, key,
        fingerprint,
    )  # fmt: skip


def decide_sanction(
    state: State,
    u: int,
    at: int,
    actor: str,
    sanction: str,
    person: str | None,
    reason: str | None,
    rectify_days: int | None,
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """issue_sanction: the sanction, and a rectification step if ordered."""
    uid = state.ids[u]
    ladder = [x.id for x in state.compiled.sanctions]
    if sanction not in ladder:
        raise TransitionRefused(
            f"unknown sanction {sanction!r}; the ladder is {' → '.join(ladder)}",
            unit=uid,
            event="sanction",
        )
    authorise(state, actor, state.compiled.permissions.get("sanction", ()), u, "sanction", None)
    for name, value in (("person", person), ("reason", reason)):
        if value is not None and (type(value) is not str or not value.strip()):
            raise TransitionRefused(f"{name} must be non-empty text, not {value!r}", unit=uid,
                                    event="sanction")  # fmt: skip
    who = state.actors.get(person) if person is not None else None
    if who is not None and who.unit is not None and who.unit != uid:
        raise TransitionRefused(f"person {person!r} belongs to unit {who.unit!r}, not {uid!r}",
                                unit=uid, event="sanction")  # fmt: skip
    deadline = (
        None
        if rectify_days is None
        else finding_deadline(state, rectify_days, "working_days", at, uid, "sanction")
    )
    events: list[DomainEvent] = [
        sanction_event(state, u, sanction, at, actor, person, reason, key, fingerprint)
    ]
    if deadline is not None:
        events.append(
            new_finding(state, u, at, actor, "sanction", reason or sanction, deadline,
                        "working_days")
        )  # fmt: skip
    return events


# -- enrollment and actors -----------------------------------------------------------------
def unit_row(item: Any, i: int) -> tuple[Any, Any, Any, Any]:
    """``(id, name, parent, kind)`` of one item given to ``enroll_many``."""
    if type(item) is dict:  # (the common cases first: no abstract-class check)
        if not _UNIT_FIELDS.issuperset(item):
            _unknown_fields(item, i)
        return item.get("id"), item.get("name"), item.get("parent"), item.get("kind") or "unit"
    if type(item) is str:
        return item, None, None, "unit"
    if isinstance(item, Mapping):
        if not _UNIT_FIELDS.issuperset(item):
            _unknown_fields(item, i)
        return item.get("id"), item.get("name"), item.get("parent"), item.get("kind") or "unit"
    if isinstance(item, (tuple, list)) and 1 <= len(item) <= 4:
        padded = [*item, None, None, None][:4]
        return padded[0], padded[1], padded[2], padded[3] or "unit"
    if isinstance(item, str):
        return item, None, None, "unit"
    raise EnrollmentError(
        f"item {i}: expected a mapping or (id, name, parent[, kind]), not {item!r}"
    )


_EMPTY = ""
_UNIT_FIELDS = frozenset({"id", "name", "parent", "kind"})
#: whitespace that breaks a line or a cell: never inside an id
_BREAKS = frozenset("\t\n\v\f\r\x1c\x1d\x1e\x1f\x85\u2028\u2029")
#: The longest unit id (a code or a name, not a document)
MAX_UNIT_ID = 200


def _unknown_fields(item: Mapping[Any, Any], i: int) -> None:
    extra = ", ".join(sorted(repr(k) for k in item if k not in _UNIT_FIELDS))
    raise EnrollmentError(f"item {i}: unknown field(s) {extra}; a unit has id, name, parent, kind")


def _check_ids(ids: Sequence[str]) -> None:
    """Unit ids are printable text without spaces at their ends, at most 200 characters."""
    for uid in ids:
        if uid.isprintable() and uid.strip() is uid and len(uid) <= MAX_UNIT_ID:
            continue
        if len(uid) > MAX_UNIT_ID:
            why = f"is {len(uid)} characters long (at most {MAX_UNIT_ID})"
        elif not uid.strip():
            why = "is only spaces"
        elif uid.strip() is not uid:
            why = "has spaces at its ends"
        elif all(ch.isprintable() or (ch.isspace() and ch not in _BREAKS) for ch in uid):
            continue  # a full-width or no-break space inside (市　局) is part of the id
        else:
            why = "holds a control character (a tab, a line break, NUL …)"
        raise EnrollmentError(f"unit id {uid[:60]!r} {why}", event="enrolled")


def decide_enrolment(state: State, items: Iterable[Any], at: int) -> UnitsEnrolled:
    """enroll / enroll_many: all or nothing. Columns are built as the items are read (no
    row objects kept); names, parents and kinds all at their defaults are left empty."""
    index = state.index
    batch: set[str] = set()
    ids: list[str] = []
    # the optional columns stay empty until a unit needs them (then filled in behind)
    names: list[str | None] = []
    parents: list[str | None] = []
    kinds: list[str] = []
    for i, item in enumerate(items):
        uid, name, parent, kind = unit_row(item, i)
        if type(uid) is not str or not uid:
            raise EnrollmentError(f"a unit id must be a non-empty string, not {uid!r}")
        if uid in index or uid in batch:
            raise EnrollmentError("unit is already enrolled", unit=uid, event="enrolled")
        if parent is not None:
            if type(parent) is not str:
                raise EnrollmentError(
                    f"parent must be a unit id (text), not {parent!r}", unit=uid, event="enrolled"
                )
            if parent == uid:
                raise EnrollmentError("a unit cannot be its own parent", unit=uid, event="enrolled")
            if parent not in index and parent not in batch:
                raise EnrollmentError(
                    f"parent {parent!r} is not enrolled (enroll parents first)",
                    unit=uid,
                    event="enrolled",
                )
        if name is not None and type(name) is not str:
            raise EnrollmentError(f"name must be text, not {name!r}", unit=uid, event="enrolled")
        if kind != "unit" and kind not in KINDS:
            raise EnrollmentError(
                f"kind must be one of {', '.join(KINDS)}, not {kind!r}", unit=uid, event="enrolled"
            )
        batch.add(uid)
        # keep a copy of the id, not the caller's string: the caller's strings lie among
        # its input rows in the allocator's arenas, and one kept string pins its arena
        # after the rows are freed (measured: 429 → 238 B/unit of RSS at 10^6 units)
        ids.append(_EMPTY.join((uid, _EMPTY)))
        if name is not None or names:
            _column(names, name, None, i)
        if parent is not None or parents:
            _column(parents, parent, None, i)
        if kind != "unit" or kinds:
            _column(kinds, kind, "unit", i)
    del batch
    _check_ids(ids)
    held: dict[str, tuple[int, ...]] = {}
    wanted = sorted({r.predicate for r in state.compiled.owners if r.predicate is not None})
    for name in wanted:
        test = OWNER_PREDICATES.get(name)
        if test is None:
            raise EnrollmentError(
                f"the template's owed_by names predicate {name!r}: register it first "
                f"(zyw_flow.runtime.register_owner({name!r}, function))"
            )
        held[name] = tuple(
            i
            for i, uid in enumerate(ids)
            if test(
                {
                    "id": uid,
                    "name": names[i] if names else None,
                    "parent": parents[i] if parents else None,
                    "kind": kinds[i] if kinds else "unit",
                }
            )
        )
    return UnitsEnrolled(at, tuple(ids), tuple(names), tuple(parents), tuple(kinds), held)


#: Owner predicates by name (``owed_by: {predicate: NAME}``), registered by the host.
OWNER_PREDICATES: dict[str, Callable[[Mapping[str, Any]], bool]] = {}


def register_owner(name: str, predicate: Callable[[Mapping[str, Any]], bool]) -> None:
    """Register an owner predicate: ``predicate(unit)`` gets the unit's ``id``, ``name``,
    ``parent`` and ``kind`` when it is enrolled and says whether it owes the steps whose
    ``owed_by`` names it. The answer is recorded with the enrollment (replay never asks
    again)."""
    if type(name) is not str or not name:
        raise TransitionRefused(f"a predicate name must be non-empty text, not {name!r}")
    OWNER_PREDICATES[name] = predicate


def _column(column: list[Any], value: Any, default: Any, i: int) -> None:
    """Append ``value`` to an optional column, which stays empty while all are default."""
    if column:
        column.append(value)
    elif value != default:
        column.extend([default] * i)
        column.append(value)


def decide_actor(
    state: State, actor: str, roles: Iterable[str], unit: str | None, name: str | None, at: int,
    scope: str | None = None,
) -> ActorAdded:  # fmt: skip
    """add_actor: roles the template declares; text identifiers."""
    _ident(actor, "actor id", "actor")
    _ident(unit, "unit", "actor", optional=True)
    if scope is not None:
        if scope not in ("unit", "subtree"):
            raise TransitionRefused(f"scope must be 'unit' or 'subtree', not {scope!r}",
                                    event="actor")  # fmt: skip
        if unit is None:
            raise TransitionRefused(f"a {scope!r} scope needs the unit it is of", event="actor")
    known = state.actors.get(actor) if type(actor) is str else None
    if known is not None and known.revoked_at is not None:
        raise PermissionRefused(
            f"actor {actor!r} was revoked at {known.revoked_at.isoformat()}: register the "
            "successor under a new id (history keeps who did what)"
        )
    if name is not None and type(name) is not str:
        raise TransitionRefused(f"name must be text, not {name!r}", event="actor")
    if actor == SYSTEM_ACTOR:
        raise PermissionRefused(f"{SYSTEM_ACTOR!r} is reserved for the library's own events")
    if isinstance(roles, str):
        raise TransitionRefused("roles must be a list of role ids, not a string", event="actor")
    given = set(roles)
    for r in given:
        if type(r) is not str:
            raise TransitionRefused(f"role ids must be text, not {r!r}", event="actor")
    roles = tuple(sorted(given))
    declared = state.compiled.roles
    unknown = sorted(r for r in given if r not in declared)
    if unknown:
        raise PermissionRefused(
            f"unknown role(s) {', '.join(unknown)}; the template declares "
            f"{', '.join(state.compiled.roles)}"
        )
    return ActorAdded(at, actor, roles, unit, name, scope)
