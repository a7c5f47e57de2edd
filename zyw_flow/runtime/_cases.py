"""Accountability cases (问责案件): 立案 → 调查 → 告知 → 申辩 → 决定 → 公开.

The procedure of 001-D and the seeds' accountability rules (catalogue §4.2):

* a case is opened (立案) against a unit, and optionally a person of it, for a 问责情形 of
  the template's catalogue (「4个方面、36种问责情形」, 001-D L50), with an investigation
  deadline;
* the investigation deadline is scheduled like a step's: the template's warning lights
  come on before it (预警), the case goes overdue past it (调查逾期) and climbs the
  template's escalation ladder (催办 → 督办) until the respondent is notified, each as a
  time-driven event of the case (``case_warned``, ``case_overdue``, ``case_escalated``);
  a notice after the deadline is ``late``. No sanction follows an escalation: the
  investigators are late, not the respondent;
* 先停职后调查 (C-HEALTH L217): ``suspend=True`` suspends the person until the decision;
  a suspended actor cannot act (:class:`~zyw_flow.ActorSuspended`);
* the respondent is notified (告知) of the facts found and may make a statement (申辩)
  within the template's ``statement_days``; the decision waits for the statement or for
  that period to end;
* the decision (决定) is a sanction from the ladder, or none; it issues the sanctions (to
  the respondent and to each leader the blame chain names) and may feed the evaluation as a
  grade-lowering case (``grade_case``: the ``record_case`` kinds ``violation`` …);
* the decision is made public (公开, 「处理结果要及时向社会公开」 001-D L63).

The blame chain (直接责任人 → 分管领导 → 主要领导, C-TAX L58): a unit's leaders are actors
holding the template's leader roles (``accountability.leaders``) on the unit. A situation
with ``joint:`` names them on every case (001-D (十四) 「一并实施问责」); a chain rule names
them once a unit has ``cases`` cases in a calendar year. The names are recorded at 立案,
never re-derived on replay.

States: ``investigating`` → ``notified`` → ``stated`` → ``decided`` → ``published``
(``notified`` → ``decided`` once the statement period is over). Anything else is refused
with :class:`~zyw_flow.TransitionRefused`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import attrs

from zyw_flow._errors import (
    ScoringError,
    TransitionRefused,
    UnknownActorError,
    UnknownRecordError,
)
from zyw_flow._time import format_us, from_us
from zyw_flow.runtime._decide import authorise, finding_deadline, sanction_event
from zyw_flow.runtime._events import DomainEvent
from zyw_flow.runtime._proc_events import (
    CaseDecided,
    CaseEscalated,
    CaseNotified,
    CaseOpened,
    CaseOverdue,
    CasePublished,
    CaseStatement,
    CaseWarned,
)
from zyw_flow.runtime._proc_state import CaseRecord
from zyw_flow.runtime._scoring import decide_case as record_case
from zyw_flow.runtime._state import K_CDUE, K_CESC, K_CWARN, State

__all__ = [
    "CASE_STATES",
    "AccountabilityCase",
    "case_of",
    "case_view",
    "decide_decision",
    "decide_notice",
    "decide_open",
    "decide_publication",
    "decide_statement",
]

#: The states of a case, in procedure order, with their Chinese names.
CASE_STATES: Mapping[str, str] = {
    "investigating": "立案调查",
    "notified": "已告知",
    "stated": "已申辩",
    "decided": "已决定",
    "published": "已公开",
}
_PERM = ("accountability",)


def _cfg(state: State) -> Any:
    return state.compiled.resolved.template.accountability


def _authorise(state: State, actor: str, u: int, event: str) -> None:
    allowed = tuple(state.compiled.permissions.get("case", _PERM))
    authorise(state, actor, allowed, u, event, None)


def case_of(state: State, cid: object, event: str) -> CaseRecord:
    """The case with that id.

    Raises:
        UnknownRecordError: none.
    """
    c = state.proc.cases.get(cid) if type(cid) is str else None
    if c is None:
        raise UnknownRecordError(f"no accountability case {cid!r} is open", event=event)
    return c


def _refuse(state: State, c: CaseRecord, event: str, why: str) -> TransitionRefused:
    return TransitionRefused(
        f"case {c.id} ({c.status}): {why}", unit=state.ids[c.unit], event=event
    )


def _text(state: State, u: int, value: object, name: str, event: str) -> str:
    if value is None:
        return ""
    if type(value) is not str:
        raise TransitionRefused(
            f"{name} must be text, not {value!r}", unit=state.ids[u], event=event
        )
    return value


def _year(state: State, us: int) -> int:
    return from_us(us, state.zone).year


def blame_chain(
    state: State, u: int, at: int, situation: str, person: str | None
) -> list[tuple[str, str, str]]:
    """``[(leader actor, position, rule)]`` a new case of ``situation`` against unit ``u``
    at ``at`` names: the situation's ``joint`` positions, then every chain rule whose count
    of the unit's cases in that calendar year (this one included) is reached."""
    cfg = _cfg(state)
    wanted: list[tuple[str, str]] = []  # (position, rule)
    sit = cfg.situation(situation)
    if sit is not None:
        wanted.extend((pos, f"situation:{situation}") for pos in sit.joint)
    year = _year(state, at)
    cases = state.proc.cases
    mine = [
        c
        for c in (cases[k] for k in state.proc.unit_cases.get(u, ()))
        if _year(state, c.opened) == year
    ]
    for rule in cfg.chain:
        n = 1 + sum(1 for c in mine if rule.situation in (None, c.situation))
        if rule.situation not in (None, situation):
            continue
        if n >= rule.cases:
            wanted.extend((pos, rule.id) for pos in rule.names)
    out: list[tuple[str, str, str]] = []
    if not wanted:
        return out
    uid = state.ids[u]
    when = from_us(at, state.zone)
    leaders = sorted(
        (
            a
            for a in state.actors.values()
            if a.unit == uid and (a.revoked_at is None or a.revoked_at > when)
        ),
        key=lambda a: a.id,
    )  # a revoked leader (no longer in post) is not named
    seen = {person}
    for position, rule in wanted:
        role = cfg.leaders.get(position)
        for a in leaders:
            if role in a.roles and a.id not in seen:
                seen.add(a.id)
                out.append((a.id, position, rule))
    return out


# -- decide -------------------------------------------------------------------------------
def decide_open(
    state: State,
    u: int,
    at: int,
    actor: str,
    situation: object,
    person: object,
    suspend: object,
    description: object,
    complaint: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """open_case: 立案 against unit ``u`` (and ``person``) for a 问责情形."""
    uid = state.ids[u]
    cfg = _cfg(state)
    if type(situation) is not str or cfg.situation(situation) is None:
        known = ", ".join(s.id for s in cfg.situations)
        raise TransitionRefused(
            f"unknown 问责情形 {situation!r}; the catalogue has {known}",
            unit=uid,
            event="open_case",
        )
    if person is not None:
        who = state.actors.get(person) if type(person) is str else None
        if who is None:
            raise UnknownActorError(
                f"person {person!r} is not a registered actor", unit=uid, event="open_case"
            )
        if who.unit != uid:
            raise TransitionRefused(
                f"person {person!r} belongs to unit {who.unit!r}, not {uid!r}",
                unit=uid,
                event="open_case",
            )
    if not isinstance(suspend, bool):
        raise TransitionRefused("suspend must be true or false", unit=uid, event="open_case")
    if suspend and person is None:
        raise TransitionRefused(
            "先停职后调查 suspends a person: name the person", unit=uid, event="open_case"
        )
    if suspend and person in state.proc.suspended:
        raise TransitionRefused(
            f"{person!r} is already suspended by case {state.proc.suspended[str(person)]}",
            unit=uid,
            event="open_case",
        )
    if suspend and who is not None and who.revoked_at is not None:
        raise TransitionRefused(
            f"{person!r} was revoked at {who.revoked_at.isoformat()}: there is no one to "
            "suspend (open the case without suspend)",
            unit=uid,
            event="open_case",
        )
    if complaint is not None and complaint not in state.proc.complaints:
        raise UnknownRecordError(
            f"no complaint {complaint!r} is registered", unit=uid, event="open_case"
        )
    if complaint is not None and state.proc.complaints[complaint].unit != u:
        other = state.ids[state.proc.complaints[complaint].unit]
        raise TransitionRefused(
            f"complaint {complaint!r} is against unit {other!r}, not {uid!r}",
            unit=uid,
            event="open_case",
        )
    text = _text(state, u, description, "description", "open_case")
    _authorise(state, actor, u, "open_case")
    _, due, esc, _ = finding_deadline(
        state, cfg.investigation_days, cfg.investigation_unit, at, uid, "open_case"
    )
    # every light of the ladder, by level (those already past are not scheduled)
    lights = state.compiled.deadline_instants(None, due)[1] if state.compiled.warnings else ()
    chain = blame_chain(state, u, at, situation, person if isinstance(person, str) else None)
    cid = f"case-{len(state.proc.cases) + 1}"
    return [
        CaseOpened(
            at,
            u,
            actor,
            cid,
            situation,
            person if isinstance(person, str) else None,
            suspend,
            due,
            text,
            complaint if isinstance(complaint, str) else None,
            tuple(a for a, _, _ in chain),
            tuple(p for _, p, _ in chain),
            tuple(r for _, _, r in chain),
            esc,
            lights,
            key=key,
            fingerprint=fp,
        )
    ]


def decide_notice(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    facts: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """notify_case: 告知 the respondent of the facts found; a statement is due."""
    c = case_of(state, cid, "notify_case")
    if c.status != "investigating":
        raise _refuse(state, c, "notify_case", "the respondent has already been notified")
    text = _text(state, u, facts, "facts", "notify_case")
    _authorise(state, actor, u, "notify_case")
    cfg = _cfg(state)
    _, due, _, _ = finding_deadline(
        state, cfg.statement_days, cfg.statement_unit, at, state.ids[u], "notify_case"
    )
    late = True if at > c.due else None
    return [CaseNotified(at, u, actor, cid, text, due, late, key=key, fingerprint=fp)]


def decide_statement(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    statement: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """record_statement: the respondent's 申辩, within the statement period."""
    c = case_of(state, cid, "record_statement")
    if c.status != "notified":
        why = (
            "notify the respondent first (告知)"
            if c.status == "investigating"
            else "the statement is already recorded"
            if c.status == "stated"
            else "the case is decided"
        )
        raise _refuse(state, c, "record_statement", why)
    assert c.statement_due is not None
    if at > c.statement_due:
        raise _refuse(
            state,
            c,
            "record_statement",
            f"the statement period ended at {format_us(c.statement_due, state.zone)}",
        )
    text = _text(state, u, statement, "statement", "record_statement")
    if not text.strip():
        raise _refuse(state, c, "record_statement", "the statement (申辩) is empty")
    _authorise(state, actor, u, "record_statement")
    return [CaseStatement(at, u, actor, cid, text, key=key, fingerprint=fp)]


def _ladder(state: State, c: CaseRecord, value: object, name: str) -> str | None:
    if value is None:
        return None
    ladder = [x.id for x in state.compiled.sanctions]
    if value not in ladder:
        raise _refuse(
            state, c, "decide_case", f"unknown {name} {value!r}; the ladder is {' → '.join(ladder)}"
        )
    return str(value)


def decide_decision(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    sanction: object,
    chain_sanction: object,
    reason: object,
    grade_case: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """decide_case: 决定 — a sanction or none; the chain's sanctions; the evaluation case."""
    c = case_of(state, cid, "decide_case")
    if c.status == "investigating":
        raise _refuse(state, c, "decide_case", "notify the respondent first (告知)")
    if c.status in ("decided", "published"):
        raise _refuse(state, c, "decide_case", "the case is already decided")
    assert c.statement_due is not None
    if c.status == "notified" and at <= c.statement_due:
        raise _refuse(
            state,
            c,
            "decide_case",
            f"the respondent may state (申辩) until {format_us(c.statement_due, state.zone)}",
        )
    main = _ladder(state, c, sanction, "sanction")
    chained = _ladder(state, c, chain_sanction, "chain_sanction")
    if chained is None:
        chained = main
    elif not c.chain:
        raise _refuse(state, c, "decide_case", "chain_sanction given, but the case names no leader")
    text = _text(state, u, reason, "reason", "decide_case")
    kind = _text(state, u, grade_case, "grade_case", "decide_case") or None
    _authorise(state, actor, u, "decide_case")
    events: list[DomainEvent] = [
        CaseDecided(
            at,
            u,
            actor,
            cid,
            main,
            chained if c.chain else None,
            text,
            kind,
            key=key,
            fingerprint=fp,
        )
    ]
    why = f"{cid}: {text}" if text else cid
    if main is not None:
        events.append(sanction_event(state, u, main, at, actor, c.person, why))
    if chained is not None:
        for leader, position, rule in c.chain:
            events.append(
                sanction_event(state, u, chained, at, actor, leader, f"{cid} ({position}, {rule})")
            )
    if kind is not None:
        payload: dict[str, Any] = {"kind": kind, "description": why}
        if c.person is not None:
            payload["person"] = c.person
        try:
            events.extend(record_case(state, u, at, actor, payload, None, None))
        except ScoringError as exc:  # an unknown kind: the case is not decided
            raise _refuse(state, c, "decide_case", f"grade_case: {exc}") from None
        except TransitionRefused as exc:  # e.g. no scoring scheme: said as decide_case's
            reason = str(exc).rsplit(" [", 1)[0]
            raise _refuse(state, c, "decide_case", f"grade_case: {reason}") from None
    return events


def decide_publication(
    state: State,
    u: int,
    at: int,
    actor: str,
    cid: str,
    note: object,
    key: str | None,
    fp: str | None,
) -> list[DomainEvent]:
    """publish_case: 公开 the decision."""
    c = case_of(state, cid, "publish_case")
    if c.status != "decided":
        why = "it is already public" if c.status == "published" else "decide it first"
        raise _refuse(state, c, "publish_case", why)
    text = _text(state, u, note, "note", "publish_case")
    _authorise(state, actor, u, "publish_case")
    return [CasePublished(at, u, actor, cid, text, key=key, fingerprint=fp)]


# -- apply (the writers) ------------------------------------------------------------------------
def _touch(state: State, u: int, at: int) -> None:
    if at > state.last[u]:
        state.last[u] = at


def apply_opened(state: State, e: CaseOpened) -> None:
    chain = [[a, p, r] for a, p, r in zip(e.chain, e.chain_positions, e.chain_rules, strict=True)]
    state.proc.cases[e.case] = CaseRecord(
        e.case,
        e.unit,
        e.situation,
        e.person,
        e.suspend,
        e.at,
        e.due,
        e.description,
        e.complaint,
        chain,
        escalations=list(e.escalations),
        warnings=list(e.warnings),
    )
    n = len(state.proc.cases) - 1  # the case's number − 1: its scheduled items' ``a``
    state.push(e.due + 1, K_CDUE, n, 0)
    for k, at in enumerate(e.escalations):
        state.push(at, K_CESC, n, k)
    for k, at in enumerate(e.warnings):
        if at > e.at:  # a light already past when the case was opened never comes on
            state.push(at, K_CWARN, n, k)
    state.proc.unit_cases.setdefault(e.unit, []).append(e.case)
    if e.suspend and e.person is not None:
        state.proc.suspended[e.person] = e.case
        state.proc.suspending.setdefault(e.person, []).append(e.case)
    if e.complaint is not None:
        state.proc.complaints[e.complaint].cases.append(e.case)
    _touch(state, e.unit, e.at)


def apply_notified(state: State, e: CaseNotified) -> None:
    c = state.proc.cases[e.case]
    c.status, c.notified, c.facts, c.statement_due = "notified", e.at, e.facts, e.due
    c.late = bool(e.late)
    _touch(state, e.unit, e.at)


def apply_statement(state: State, e: CaseStatement) -> None:
    c = state.proc.cases[e.case]
    c.status, c.statement, c.stated = "stated", e.statement, e.at
    _touch(state, e.unit, e.at)


def apply_decided(state: State, e: CaseDecided) -> None:
    c = state.proc.cases[e.case]
    c.status, c.decided, c.reason = "decided", e.at, e.reason
    c.sanction, c.chain_sanction = e.sanction, e.chain_sanction
    for actor in [a for a, case in state.proc.suspended.items() if case == e.case]:
        del state.proc.suspended[actor]  # the suspension ends with the decision
    _touch(state, e.unit, e.at)


def apply_published(state: State, e: CasePublished) -> None:
    c = state.proc.cases[e.case]
    c.status, c.published = "published", e.at
    _touch(state, e.unit, e.at)


def apply_warned(state: State, e: CaseWarned) -> None:
    state.proc.cases[e.case].warning = e.level
    _touch(state, e.unit, e.at)


def apply_overdue(state: State, e: CaseOverdue) -> None:
    state.proc.cases[e.case].overdue = True
    _touch(state, e.unit, e.at)


def apply_escalated(state: State, e: CaseEscalated) -> None:
    state.proc.cases[e.case].escalation = e.level
    _touch(state, e.unit, e.at)


#: The writers of these events (merged into ``_apply``'s table).
APPLY: dict[type[DomainEvent], Callable[[State, Any], None]] = {
    CaseWarned: apply_warned,
    CaseOverdue: apply_overdue,
    CaseEscalated: apply_escalated,
    CaseOpened: apply_opened,
    CaseNotified: apply_notified,
    CaseStatement: apply_statement,
    CaseDecided: apply_decided,
    CasePublished: apply_published,
}


# -- reading ------------------------------------------------------------------------------------
@attrs.frozen
class AccountabilityCase:
    """A case as it stands.

    Attributes:
        status: one of :data:`CASE_STATES`.
        person: the person held to account (an actor id), if any; ``suspended`` whether
            they are suspended now (先停职后调查, until the decision).
        due: the investigation deadline; ``overdue``: still investigating past it.
        escalation: the 督办 level an overdue investigation reached (0: none), and its
            title (催办, 督办 …); ``warning`` the warning light reached before the
            deadline (0: none) and its title; ``late``: notified after the deadline.
        chain: ``(leader, position, rule)`` for each leader the blame chain names.
        sanction: the decision for the respondent (``None``: no accountability, or not yet
            decided); ``chain_sanction`` for the leaders named.
    """

    id: str
    unit: str
    situation: str
    situation_title: str
    person: str | None
    suspended: bool
    status: str
    opened: dt.datetime
    due: dt.datetime
    overdue: bool
    chain: tuple[tuple[str, str, str], ...]
    notified: dt.datetime | None
    facts: str
    statement_due: dt.datetime | None
    statement: str | None
    decided: dt.datetime | None
    sanction: str | None
    chain_sanction: str | None
    reason: str
    published: dt.datetime | None
    complaint: str | None
    description: str
    escalation: int = 0
    escalation_title: str | None = None
    warning: int = 0
    warning_title: str | None = None
    late: bool = False

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (instants as ISO text)."""
        out = attrs.asdict(self, recurse=False)
        for k, v in out.items():
            if isinstance(v, dt.datetime):
                out[k] = v.isoformat()
        out["chain"] = [list(x) for x in self.chain]
        return out


def case_view(state: State, c: CaseRecord) -> AccountabilityCase:
    """The public view of a case."""

    def when(us: int | None) -> dt.datetime | None:
        return None if us is None else from_us(us, state.zone)

    sit = _cfg(state).situation(c.situation)
    return AccountabilityCase(
        c.id,
        state.ids[c.unit],
        c.situation,
        sit.title if sit else c.situation,
        c.person,
        c.person is not None and state.proc.suspended.get(c.person) == c.id,
        c.status,
        from_us(c.opened, state.zone),
        from_us(c.due, state.zone),
        c.status == "investigating" and state.now > c.due,
        tuple((a, p, r) for a, p, r in c.chain),
        when(c.notified),
        c.facts,
        when(c.statement_due),
        c.statement,
        when(c.decided),
        c.sanction,
        c.chain_sanction,
        c.reason,
        when(c.published),
        c.complaint,
        c.description,
        c.escalation,
        state.compiled.escalation[c.escalation - 1].title if c.escalation else None,
        c.warning,
        state.compiled.warnings[c.warning - 1].title if c.warning else None,
        c.late,
    )
