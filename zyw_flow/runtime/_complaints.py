"""Complaints (效能投诉): intake, hand-over with a reply deadline, reply, callback, closure.

The procedure the seeds describe (catalogue §2.1, §2.5, §5, §6.1; 001-D (七)(八)):
「发现一件、登记一件、转办一件,并督办落实」, 「直办、交办、转办、督办」, 「跟踪办理进度,回访办理
效果」, and the office's monthly report 「按月通报办理情况」.

States: ``registered`` → (``assign``) ``assigned`` → (``reply``) ``replied`` →
(``callback``) ``called_back`` → (``close``) ``closed``; a replied complaint may also be
closed without a callback (an anonymous complainant cannot be called back). Anything else
is refused with :class:`~zyw_flow.TransitionRefused`.

The hand-over opens a row of the step table owned by the handling unit, id = the
complaint's id, due after the template's ``complaints.reply_days``: it goes overdue and
climbs the escalation ladder (督办) through the schedule exactly like a step, and the reply
completes it (late if after the deadline). A substantiated (查实) complaint can open a
finding (source ``complaint``) and a sanction (:func:`decide_action`).

Decide functions validate and authorise (nothing written); ``apply_*`` functions are the
writers, called only by :func:`zyw_flow.runtime._apply.apply`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import attrs

from zyw_flow._errors import TimeOrderError, TransitionRefused, UnknownRecordError
from zyw_flow._time import format_us, from_us
from zyw_flow.compile._machine import ACCEPTED, OVERDUE
from zyw_flow.runtime._decide import (
    authorise,
    decide_finding,
    decide_sanction,
    finding_deadline,
)
from zyw_flow.runtime._events import DomainEvent, FindingRecorded
from zyw_flow.runtime._proc_events import (
    ComplaintActioned,
    ComplaintAssigned,
    ComplaintCalledBack,
    ComplaintClosed,
    ComplaintRegistered,
    ComplaintReplied,
)
from zyw_flow.runtime._proc_state import ComplaintRecord
from zyw_flow.runtime._state import LATE, REPLY_ROLES, REPLY_SOURCE, State, StepDef

__all__ = [
    "MODES",
    "Complaint",
    "ComplaintCounts",
    "ComplaintStatistics",
    "complaint_of",
    "complaint_view",
    "decide_action",
    "decide_assign",
    "decide_callback",
    "decide_close",
    "decide_register",
    "decide_reply",
    "handler_of",
    "statistics",
]

#: Hand-over modes: 转办 (to the competent unit), 交办 (ordered by the office), 直办 (the
#: office's own handling, with the unit complained about as the handling unit).
MODES: Mapping[str, str] = {"transfer": "转办", "assign": "交办", "direct": "直办"}

_OFFICE = ("office",)


def _cfg(state: State) -> Any:
    return state.compiled.resolved.template.complaints


def _perm(state: State, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(state.compiled.permissions.get(name, default))


def complaint_of(state: State, cid: object, event: str) -> ComplaintRecord:
    """The complaint with that id.

    Raises:
        UnknownRecordError: none.
    """
    c = state.proc.complaints.get(cid) if type(cid) is str else None
    if c is None:
        raise UnknownRecordError(f"no complaint {cid!r} is registered", event=event)
    return c


def handler_of(state: State, c: ComplaintRecord) -> int:
    """The unit handling a complaint now: the owner of its reply-deadline row (a step
    ``transfer`` hands it on), else the unit complained about."""
    return state.defs[c.row].owner if c.row >= 0 else c.unit


def _refuse(state: State, c: ComplaintRecord, event: str, why: str) -> TransitionRefused:
    return TransitionRefused(
        f"complaint {c.id} ({c.status}): {why}", unit=state.ids[c.unit], event=event
    )


def _not_before(
    state: State, c: ComplaintRecord, at: int, since: int | None, what: str, event: str
) -> None:
    """The complaint's steps are recorded on different units (the unit complained about,
    the handling unit), so each unit's own time order does not order them: a step may not
    be dated before the one it follows."""
    if since is not None and at < since:
        raise TimeOrderError(
            f"complaint {c.id}: its {what} is at {format_us(since, state.zone)}; cannot "
            f"record {event} at {format_us(at, state.zone)}",
            unit=state.ids[c.unit], event=event,
        )  # fmt: skip


def _text(value: object, name: str, uid: str, event: str) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise TransitionRefused(f"{name} must be text, not {value!r}", unit=uid, event=event)
    return value


# -- decide -------------------------------------------------------------------------------
def decide_register(
    state: State,
    u: int,
    at: int,
    actor: str,
    channel: object,
    category: object,
    summary: object,
    complainant: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """register_complaint: a complaint against unit ``u`` (登记)."""
    uid = state.ids[u]
    cfg = _cfg(state)
    if channel not in cfg.channels:
        raise TransitionRefused(
            f"unknown channel {channel!r}; the template takes {', '.join(cfg.channels)}",
            unit=uid,
            event="complaint",
        )
    cat = _text(category, "category", uid, "complaint")
    if cat and cfg.categories and cat not in cfg.categories:
        raise TransitionRefused(
            f"unknown category {cat!r}; the template takes {', '.join(cfg.categories)}",
            unit=uid,
            event="complaint",
        )
    text = _text(summary, "summary", uid, "complaint")
    who = _text(complainant, "complainant", uid, "complaint") or None
    authorise(state, actor, _perm(state, "complaint", _OFFICE), u, "complaint", None)
    cid = f"complaint-{len(state.proc.complaints) + 1}"
    return [
        ComplaintRegistered(
            at, u, actor, cid, str(channel), cat, text, who, key=key, fingerprint=fp
        )
    ]


def decide_assign(
    state: State,
    h: int,
    at: int,
    actor: str,
    cid: str,
    mode: object,
    days: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """assign_complaint: hand the complaint to unit ``h`` with a reply deadline."""
    c = complaint_of(state, cid, "assign_complaint")
    if c.status != "registered":
        raise _refuse(state, c, "assign_complaint", "it has already been handed over")
    if mode not in MODES:
        raise _refuse(
            state, c, "assign_complaint", f"unknown mode {mode!r}; one of {', '.join(MODES)}"
        )
    if at < c.registered:
        raise _refuse(state, c, "assign_complaint", "cannot hand it over before it came in")
    authorise(state, actor, _perm(state, "complaint", _OFFICE), h, "assign_complaint", None)
    cfg = _cfg(state)
    unit = cfg.reply_unit if days is None else "working_days"
    n, due, esc, lights = finding_deadline(
        state, cfg.reply_days if days is None else days, unit, at, state.ids[h], "assign_complaint"
    )
    return [
        ComplaintAssigned(
            at, h, actor, cid, str(mode), n, unit, due, esc, lights, key=key, fingerprint=fp
        )
    ]


def decide_reply(
    state: State,
    h: int,
    at: int,
    actor: str,
    cid: str,
    substantiated: object,
    reply: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """reply_complaint: the handling unit's reply (办理结果); late after the deadline."""
    c = complaint_of(state, cid, "reply_complaint")
    if c.status != "assigned":
        why = (
            "hand it over first (assign_complaint)"
            if c.status == "registered"
            else "it has already been replied to"
        )
        raise _refuse(state, c, "reply_complaint", why)
    if not isinstance(substantiated, bool):
        raise _refuse(state, c, "reply_complaint", "substantiated must be true or false")
    uid = state.ids[h]
    text = _text(reply, "reply", uid, "reply_complaint")
    authorise(
        state,
        actor,
        _perm(state, "complaint_reply", REPLY_ROLES),
        h,
        "reply_complaint",
        None,
    )
    late = state.status[c.row][0] == OVERDUE or at > state.due_of(c.row, 0)
    return [ComplaintReplied(at, h, actor, cid, substantiated, text, late, key=key, fingerprint=fp)]


def decide_callback(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    satisfaction: object,
    note: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """callback_complaint: the complainant's satisfaction (回访)."""
    c = complaint_of(state, cid, "callback_complaint")
    if c.status != "replied":
        why = (
            "it has no reply yet"
            if c.status in ("registered", "assigned")
            else f"it is already {c.status.replace('_', ' ')}"
        )
        raise _refuse(state, c, "callback_complaint", why)
    _not_before(state, c, at, c.replied, "reply", "callback_complaint")
    scale = _cfg(state).satisfaction
    if satisfaction not in scale:
        raise _refuse(
            state,
            c,
            "callback_complaint",
            f"unknown satisfaction {satisfaction!r}; the scale is {', '.join(scale)}",
        )
    text = _text(note, "note", state.ids[u], "callback_complaint")
    authorise(state, actor, _perm(state, "complaint", _OFFICE), u, "callback_complaint", None)
    return [
        ComplaintCalledBack(at, u, actor, cid, str(satisfaction), text, key=key, fingerprint=fp)
    ]


def decide_close(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    note: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """close_complaint: 办结 (after the reply, with or without a callback)."""
    c = complaint_of(state, cid, "close_complaint")
    if c.status not in ("replied", "called_back"):
        why = "it is already closed" if c.status == "closed" else "it has no reply yet"
        raise _refuse(state, c, "close_complaint", why)
    _not_before(state, c, at, c.replied, "reply", "close_complaint")
    text = _text(note, "note", state.ids[u], "close_complaint")
    authorise(state, actor, _perm(state, "complaint", _OFFICE), u, "close_complaint", None)
    return [ComplaintClosed(at, u, actor, cid, text, key=key, fingerprint=fp)]


def decide_action(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    finding: object,
    description: object,
    days: int | None,
    sanction: str | None,
    person: str | None,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """act_on_complaint: a substantiated complaint opens a finding (source ``complaint``,
    the template's rectification period or ``days``) and/or a sanction from the ladder."""
    c = complaint_of(state, cid, "act_on_complaint")
    if not c.substantiated:
        why = (
            "it was not substantiated (查实)" if c.substantiated is False else "it has no reply yet"
        )
        raise _refuse(state, c, "act_on_complaint", why)
    if c.status == "closed":
        raise _refuse(
            state, c, "act_on_complaint",
            "it is closed (办结): follow a substantiated complaint up before closing it",
        )  # fmt: skip
    if c.findings or c.sanctions:
        done = ", ".join([*c.findings, *c.sanctions])
        raise _refuse(
            state, c, "act_on_complaint",
            f"it was followed up already ({done}); a further sanction is issue_sanction's",
        )  # fmt: skip
    _not_before(state, c, at, c.replied, "reply", "act_on_complaint")
    if not isinstance(finding, bool):
        raise _refuse(state, c, "act_on_complaint", "finding must be true or false")
    if not finding and sanction is None:
        raise _refuse(state, c, "act_on_complaint", "order a finding, a sanction or both")
    text = _text(description, "description", state.ids[u], "act_on_complaint") or (
        c.summary or f"{c.id} 查实"
    )
    events: list[DomainEvent] = []
    fid: str | None = None
    if finding:
        (rec,) = decide_finding(state, u, at, actor, "complaint", text, days, None, None)
        assert isinstance(rec, FindingRecorded)
        fid = rec.finding
        events.append(attrs.evolve(rec, data={"complaint": cid}))
    if sanction is not None:
        reason = f"{cid}: {text}"
        events.extend(
            decide_sanction(state, u, at, actor, sanction, person, reason, None, None, None)
        )
    head = ComplaintActioned(at, u, actor, cid, fid, sanction, key=key, fingerprint=fp)
    return [head, *events]


# -- apply (the writers) ------------------------------------------------------------------------
def _touch(state: State, u: int, at: int) -> None:
    if at > state.last[u]:
        state.last[u] = at


def apply_registered(state: State, e: ComplaintRegistered) -> None:
    state.proc.complaints[e.complaint] = ComplaintRecord(
        e.complaint, e.unit, e.channel, e.category, e.summary, e.complainant, e.at
    )
    _touch(state, e.unit, e.at)


def apply_assigned(state: State, e: ComplaintAssigned) -> None:
    c = state.proc.complaints[e.complaint]
    s = len(state.defs)
    d = StepDef(
        id=e.complaint,
        title=f"限时办结: {c.summary or c.category or c.id}",
        opens=e.at,
        due=e.due,
        closes=1 << 62,
        escalations=e.escalations,
        warnings=e.warnings,
        submit=(),  # answered by reply_complaint, not by submit/accept
        review=(),
        owner=e.unit,
        source=REPLY_SOURCE,
        description=c.summary,
    )
    state.defs.append(d)
    state.step_index[e.complaint] = s
    state.status.append(bytearray(b"\x01"))
    state.esc.append(bytearray(1))
    state.flags.append(bytearray(1))
    state.completed.append({})
    state.deadlines.append({})  # the row's columns, as for a finding's row (_apply._finding)
    state.restricted.append(False)
    state.unit_findings.setdefault(e.unit, []).append(s)
    state.proc.rows += 1
    state.push_step(s, d)
    c.status, c.handler, c.mode, c.row, c.due = "assigned", e.unit, e.mode, s, e.due
    _touch(state, e.unit, e.at)


def apply_replied(state: State, e: ComplaintReplied) -> None:
    c = state.proc.complaints[e.complaint]
    s = c.row
    state.status[s][0] = ACCEPTED
    state.completed[s][0] = e.at
    if e.late:
        state.flags[s][0] |= LATE
    c.status, c.replied, c.late = "replied", e.at, e.late
    c.substantiated, c.reply = e.substantiated, e.reply
    _touch(state, e.unit, e.at)


def apply_called_back(state: State, e: ComplaintCalledBack) -> None:
    c = state.proc.complaints[e.complaint]
    c.status, c.satisfaction, c.called_back = "called_back", e.satisfaction, e.at
    _touch(state, e.unit, e.at)


def apply_closed(state: State, e: ComplaintClosed) -> None:
    c = state.proc.complaints[e.complaint]
    c.status, c.closed = "closed", e.at
    _touch(state, e.unit, e.at)


def apply_actioned(state: State, e: ComplaintActioned) -> None:
    c = state.proc.complaints[e.complaint]
    if e.finding is not None:
        c.findings.append(e.finding)
    if e.sanction is not None:  # the sanction_issued that follows lands at the next row
        c.sanctions.append(e.sanction)
        c.sanction_rows.append(len(state.sanctions.get(e.unit, ())))
    _touch(state, e.unit, e.at)


#: The writers of these events (merged into ``_apply``'s table).
APPLY: dict[type[DomainEvent], Callable[[State, Any], None]] = {
    ComplaintRegistered: apply_registered,
    ComplaintAssigned: apply_assigned,
    ComplaintReplied: apply_replied,
    ComplaintCalledBack: apply_called_back,
    ComplaintClosed: apply_closed,
    ComplaintActioned: apply_actioned,
}


# -- reading ------------------------------------------------------------------------------------
def _when(state: State, us: int | None) -> dt.datetime | None:
    return None if us is None else from_us(us, state.zone)


@attrs.frozen
class Complaint:
    """A complaint as it stands (``complainant`` is ``None`` unless asked for).

    Attributes:
        status: ``registered``, ``assigned``, ``replied``, ``called_back`` or ``closed``.
        handler: the unit it was handed to; ``mode`` how (transfer 转办, assign 交办, direct
            直办); ``due`` its reply deadline; ``overdue`` whether that passed unanswered.
        late: replied after the deadline; ``on_time``: replied by it.
        substantiated: found true (查实) by the reply; ``None`` before it.
        satisfaction: the callback's answer (回访), if any.
        findings, sanctions, cases: what it led to.
    """

    id: str
    unit: str
    channel: str
    category: str
    summary: str
    registered: dt.datetime
    status: str
    handler: str | None
    mode: str | None
    due: dt.datetime | None
    replied: dt.datetime | None
    late: bool
    overdue: bool
    escalation: int
    substantiated: bool | None
    reply: str
    satisfaction: str | None
    closed: dt.datetime | None
    findings: tuple[str, ...]
    sanctions: tuple[str, ...]
    cases: tuple[str, ...]
    complainant: str | None = None

    @property
    def on_time(self) -> bool:
        """Replied by its deadline (按时办结)."""
        return self.replied is not None and not self.late

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (instants as ISO text; ``complainant`` only if shown)."""
        out = attrs.asdict(self, recurse=False)
        for k, v in out.items():
            if isinstance(v, dt.datetime):
                out[k] = v.isoformat()
            elif isinstance(v, tuple):
                out[k] = list(v)
        if self.complainant is None:
            del out["complainant"]
        return out


def complaint_view(state: State, c: ComplaintRecord, *, complainant: bool = False) -> Complaint:
    """The public view of a complaint."""
    ids = state.ids
    overdue = c.row >= 0 and state.status[c.row][0] == OVERDUE
    return Complaint(
        c.id,
        ids[c.unit],
        c.channel,
        c.category,
        c.summary,
        from_us(c.registered, state.zone),
        c.status,
        ids[handler_of(state, c)] if c.row >= 0 else None,
        c.mode,
        _when(state, state.due_of(c.row, 0) if c.row >= 0 else None),
        _when(state, c.replied),
        c.late,
        overdue,
        state.esc[c.row][0] if c.row >= 0 else 0,
        c.substantiated,
        c.reply,
        c.satisfaction,
        _when(state, c.closed),
        tuple(c.findings),
        _standing_sanctions(state, c),
        tuple(c.cases),
        c.complainant if complainant else None,
    )


def _standing_sanctions(state: State, c: ComplaintRecord) -> tuple[str, ...]:
    """The complaint's sanctions that are not void (a voided one is left out)."""
    if len(c.sanction_rows) != len(c.sanctions):  # kept before their rows were: all of them
        return tuple(c.sanctions)
    issued = state.sanctions.get(c.unit, [])
    return tuple(
        s
        for s, row in zip(c.sanctions, c.sanction_rows, strict=True)
        if not (row < len(issued) and issued[row].get("voided"))
    )


@attrs.frozen
class ComplaintCounts:
    """The figures of 按月通报 for one group of complaints.

    Attributes:
        received: complaints registered.
        replied: of them, replied to; ``on_time`` by the deadline, ``late`` after it.
        overdue: handed over, unanswered and past the deadline (still open, late).
        substantiated: found true (查实).
        callbacks: called back (回访); ``satisfied``: answers counted as satisfied.
        satisfaction_rate: ``satisfied / callbacks`` as an exact ``Decimal`` rounded half
            up to 4 places (``None`` without callbacks); ``on_time_rate`` likewise
            ``on_time / replied``.
    """

    received: int = 0
    replied: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    substantiated: int = 0
    callbacks: int = 0
    satisfied: int = 0

    @property
    def satisfaction_rate(self) -> Decimal | None:
        """Share of satisfied callbacks (满意率)."""
        return _rate(self.satisfied, self.callbacks)

    @property
    def on_time_rate(self) -> Decimal | None:
        """Share of replies on time (按时办结率)."""
        return _rate(self.on_time, self.replied)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; rates as decimal strings (or ``None``)."""
        out: dict[str, Any] = attrs.asdict(self)
        for name in ("satisfaction_rate", "on_time_rate"):
            rate = getattr(self, name)
            out[name] = None if rate is None else str(rate)
        return out


def _rate(n: int, d: int) -> Decimal | None:
    if not d:
        return None
    return (Decimal(n) / Decimal(d)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@attrs.frozen
class ComplaintStatistics:
    """Complaint figures for a month (or all time): in total, per unit, per channel."""

    month: str | None
    total: ComplaintCounts
    by_unit: Mapping[str, ComplaintCounts]
    by_channel: Mapping[str, ComplaintCounts]

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {
            "month": self.month,
            "total": self.total.to_json(),
            "by_unit": {k: v.to_json() for k, v in self.by_unit.items()},
            "by_channel": {k: v.to_json() for k, v in self.by_channel.items()},
        }


def _counts(state: State, group: Iterable[ComplaintRecord]) -> ComplaintCounts:
    satisfied = set(_cfg(state).satisfied)
    n = replied = on_time = late = overdue = subst = calls = happy = 0
    for c in group:
        n += 1
        if c.replied is not None:
            replied += 1
            late += c.late
            on_time += not c.late
        elif c.row >= 0 and state.status[c.row][0] == OVERDUE:
            overdue += 1
        subst += bool(c.substantiated)
        if c.satisfaction is not None:
            calls += 1
            happy += c.satisfaction in satisfied
    return ComplaintCounts(n, replied, on_time, late, overdue, subst, calls, happy)


def month_of(state: State, us: int) -> str:
    """``YYYY-MM`` of an instant in the campaign's time zone."""
    return from_us(us, state.zone).strftime("%Y-%m")


def statistics(state: State, month: str | None) -> ComplaintStatistics:
    """按月通报: the complaints registered in ``month`` (``YYYY-MM``; ``None``: all), as of
    the campaign clock; per unit complained about and per channel (template order)."""
    if month is not None:
        try:
            if type(month) is not str or not re.fullmatch(r"\d{4}-\d{2}", month):
                raise ValueError(month)
            dt.datetime.strptime(month, "%Y-%m")
        except ValueError:
            raise TransitionRefused(
                f"month must be YYYY-MM, not {month!r}", event="complaint_statistics"
            ) from None
    chosen = [
        c
        for c in state.proc.complaints.values()
        if month is None or month_of(state, c.registered) == month
    ]
    by_unit: dict[str, list[ComplaintRecord]] = {}
    for c in chosen:
        by_unit.setdefault(state.ids[c.unit], []).append(c)
    channels = _cfg(state).channels
    return ComplaintStatistics(
        month,
        _counts(state, chosen),
        {uid: _counts(state, group) for uid, group in by_unit.items()},
        {ch: _counts(state, (c for c in chosen if c.channel == ch)) for ch in channels},
    )
