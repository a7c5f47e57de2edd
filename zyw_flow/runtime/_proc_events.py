"""Typed events of complaints (效能投诉) and accountability cases (问责).

One frozen class per event, as in :mod:`._events`. Each is a single-unit event: ``unit``
is the unit whose timeline it belongs to (the unit complained about, the handling unit of
a hand-over and its reply, the case's unit), ``actor`` who recorded it. The journal codec
(:func:`encode_fields`, :func:`decode_fields`) stores every other field in the row's data:
unit indices named in :attr:`ProcEvent.UNITS` as unit ids, fields named in
:attr:`ProcEvent.PRIVATE` under a ``_`` key that the public :class:`Event` never shows
(the complainant's identity, escalation instants).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import attrs

from zyw_flow._time import format_us
from zyw_flow.runtime._events import DomainEvent

__all__ = [
    "PROC_EVENTS",
    "CaseDecided",
    "CaseEscalated",
    "CaseNotified",
    "CaseOpened",
    "CaseOverdue",
    "CasePublished",
    "CaseStatement",
    "CaseWarned",
    "ComplaintActioned",
    "ComplaintAssigned",
    "ComplaintCalledBack",
    "ComplaintClosed",
    "ComplaintRegistered",
    "ComplaintReplied",
    "ProcEvent",
    "TriggerRecorded",
]


@attrs.frozen(slots=True)
class ProcEvent(DomainEvent):
    """Base of the complaint and case events: a unit, an actor, an idempotency key."""

    unit: int
    actor: str
    key: str | None = attrs.field(default=None, kw_only=True)
    fingerprint: str | None = attrs.field(default=None, kw_only=True)
    #: fields holding unit indices (stored as unit ids)
    UNITS: ClassVar[tuple[str, ...]] = ()
    #: fields kept in the journal but never in the public event
    PRIVATE: ClassVar[tuple[str, ...]] = ()
    #: fields holding instants (shown as ISO text, stored as µs)
    INSTANTS: ClassVar[tuple[str, ...]] = ()
    #: the field whose value is the public event's ``step``, if any
    STEP: ClassVar[str | None] = None


# -- complaints --------------------------------------------------------------------------
@attrs.frozen(slots=True)
class ComplaintRegistered(ProcEvent):
    """A complaint taken in (登记) against ``unit``."""

    complaint: str = ""
    channel: str = ""
    category: str = ""
    summary: str = ""
    complainant: str | None = None
    TYPE: ClassVar[str] = "complaint_registered"
    PRIVATE: ClassVar[tuple[str, ...]] = ("complainant",)


@attrs.frozen(slots=True)
class ComplaintAssigned(ProcEvent):
    """A complaint handed to ``unit`` (转办/交办/直办) with a reply deadline (限时办结): it
    opens the step ``complaint`` of that unit, due at ``due``, escalating (督办) at
    ``escalations`` like any step."""

    complaint: str = ""
    mode: str = "transfer"
    days: int = 0
    day_unit: str = "working_days"
    due: int = 0
    escalations: tuple[int, ...] = ()
    warnings: tuple[int, ...] = ()
    TYPE: ClassVar[str] = "complaint_assigned"
    PRIVATE: ClassVar[tuple[str, ...]] = ("escalations", "warnings")
    INSTANTS: ClassVar[tuple[str, ...]] = ("due",)
    STEP: ClassVar[str | None] = "complaint"


@attrs.frozen(slots=True)
class ComplaintReplied(ProcEvent):
    """The handling unit's reply (办理结果), ``late`` after the deadline; ``substantiated``:
    the complaint was found true (查实)."""

    complaint: str = ""
    substantiated: bool = False
    reply: str = ""
    late: bool = False
    TYPE: ClassVar[str] = "complaint_replied"
    STEP: ClassVar[str | None] = "complaint"


@attrs.frozen(slots=True)
class ComplaintCalledBack(ProcEvent):
    """The callback (回访): the complainant's satisfaction with the handling."""

    complaint: str = ""
    satisfaction: str = ""
    note: str = ""
    TYPE: ClassVar[str] = "complaint_callback"


@attrs.frozen(slots=True)
class ComplaintClosed(ProcEvent):
    """The complaint closed (办结归档)."""

    complaint: str = ""
    note: str = ""
    TYPE: ClassVar[str] = "complaint_closed"


@attrs.frozen(slots=True)
class ComplaintActioned(ProcEvent):
    """A substantiated complaint followed up: the finding and/or sanction it opened."""

    complaint: str = ""
    finding: str | None = None
    sanction: str | None = None
    TYPE: ClassVar[str] = "complaint_actioned"


# -- accountability cases -------------------------------------------------------------------
@attrs.frozen(slots=True)
class CaseOpened(ProcEvent):
    """立案: a case against ``unit`` (and ``person``) for a 问责情形, its investigation due
    at ``due`` (a scheduled item: overdue past it, then the template's escalation levels at
    ``escalations``, its warning lights before it at ``warnings``); ``suspend``: 先停职后
    调查; ``chain``: the leaders the rules name, with the position and the rule that named
    each."""

    case: str = ""
    situation: str = ""
    person: str | None = None
    suspend: bool = False
    due: int = 0
    description: str = ""
    complaint: str | None = None
    chain: tuple[str, ...] = ()
    chain_positions: tuple[str, ...] = ()
    chain_rules: tuple[str, ...] = ()
    escalations: tuple[int, ...] = ()
    warnings: tuple[int, ...] = ()
    TYPE: ClassVar[str] = "case_opened"
    PRIVATE: ClassVar[tuple[str, ...]] = ("escalations", "warnings")
    INSTANTS: ClassVar[tuple[str, ...]] = ("due",)


@attrs.frozen(slots=True)
class CaseNotified(ProcEvent):
    """告知: the respondent is told the facts found (the investigation ends, ``late`` when
    past its deadline); a statement is due at ``due``."""

    case: str = ""
    facts: str = ""
    due: int = 0
    late: bool | None = None  # True: notified after the investigation deadline
    TYPE: ClassVar[str] = "case_notified"
    INSTANTS: ClassVar[tuple[str, ...]] = ("due",)


@attrs.frozen(slots=True)
class CaseWarned(ProcEvent):
    """预警: a warning light of the template's ladder came on before the investigation
    deadline of a case still under investigation (time-driven; ``actor`` is ``system``)."""

    case: str = ""
    level: int = 0  # 1-based
    level_id: str = ""
    title: str = ""
    TYPE: ClassVar[str] = "case_warned"


@attrs.frozen(slots=True)
class CaseOverdue(ProcEvent):
    """调查逾期: the investigation deadline passed with the case still under investigation
    (time-driven, stamped with the deadline; ``actor`` is ``system``)."""

    case: str = ""
    TYPE: ClassVar[str] = "case_overdue"


@attrs.frozen(slots=True)
class CaseEscalated(ProcEvent):
    """督办: an overdue investigation reached a level of the template's escalation ladder
    (催办, 督办 …; time-driven). No sanction follows: the respondent is not the one late."""

    case: str = ""
    level: int = 0  # 1-based
    level_id: str = ""
    title: str = ""
    TYPE: ClassVar[str] = "case_escalated"


@attrs.frozen(slots=True)
class CaseStatement(ProcEvent):
    """申辩: the respondent's statement, as recorded."""

    case: str = ""
    statement: str = ""
    TYPE: ClassVar[str] = "case_statement"


@attrs.frozen(slots=True)
class CaseDecided(ProcEvent):
    """决定: a sanction from the ladder (or ``None``: no accountability) for the respondent,
    and ``chain_sanction`` for each leader the chain names; a suspension ends."""

    case: str = ""
    sanction: str | None = None
    chain_sanction: str | None = None
    reason: str = ""
    grade_case: str | None = None
    TYPE: ClassVar[str] = "case_decided"


@attrs.frozen(slots=True)
class CasePublished(ProcEvent):
    """公开: the decision made public (通报)."""

    case: str = ""
    note: str = ""
    TYPE: ClassVar[str] = "case_published"


# -- triggers (deadlines relative to an event the host records, runtime/_triggers.py) -----
@attrs.frozen(slots=True)
class TriggerRecorded(ProcEvent):
    """A trigger the template declares happened for ``unit`` (e.g. 执法依据发生变化), and the
    deadline it gives one step due after it: ``days`` (``day_unit``) from the day it was
    recorded, with its escalation and warning instants (recorded, never recomputed)."""

    trigger: str = ""
    step: str = ""
    days: int = 0
    day_unit: str = "days"
    due: int = 0
    escalations: tuple[int, ...] = ()
    warnings: tuple[int, ...] = ()
    note: str = ""
    TYPE: ClassVar[str] = "trigger_recorded"
    PRIVATE: ClassVar[tuple[str, ...]] = ("escalations", "warnings")
    INSTANTS: ClassVar[tuple[str, ...]] = ("due",)
    STEP: ClassVar[str | None] = "step"


PROC_EVENTS: tuple[type[ProcEvent], ...] = (
    ComplaintRegistered,
    ComplaintAssigned,
    ComplaintReplied,
    ComplaintCalledBack,
    ComplaintClosed,
    ComplaintActioned,
    CaseOpened,
    CaseNotified,
    CaseStatement,
    CaseDecided,
    CasePublished,
    CaseWarned,
    CaseOverdue,
    CaseEscalated,
    TriggerRecorded,
)
_BY_TYPE = {c.TYPE: c for c in PROC_EVENTS}
_BASE = ("at", "unit", "actor", "key", "fingerprint")


def encode_fields(
    e: ProcEvent, ids: list[str], zone: Any, *, public: bool
) -> tuple[str | None, Mapping[str, Any]]:
    """``(step, data)`` of an event: the public form, or (``public=False``) the journal's,
    which adds the private fields under ``_name`` and instants as µs."""
    data: dict[str, Any] = {}
    for f in attrs.fields(type(e)):
        name = f.name
        if name in _BASE:
            continue
        value = getattr(e, name)
        if name in e.PRIVATE:
            if not public and value is not None:
                data["_" + name] = list(value) if isinstance(value, tuple) else value
            continue
        if name in e.UNITS:
            value = ids[value]
        elif name in e.INSTANTS:
            if not public:
                data["_" + name] = value
            value = format_us(value, zone)
        elif isinstance(value, tuple):
            value = list(value)
        if value is None or value == []:
            continue
        data[name] = value
    step = getattr(e, e.STEP) if e.STEP else None
    return step, data


def is_proc_type(type_: str) -> bool:
    """Whether a journal type is one of these events."""
    return type_ in _BY_TYPE


def decode_fields(
    type_: str,
    at: int,
    u: int,
    actor: str,
    data: Mapping[str, Any],
    key: str | None,
    fp: str | None,
    index: Mapping[str, int],
) -> ProcEvent:
    """The typed event of a journal record (raises ``KeyError``/``TypeError``/``ValueError``
    on a record that does not fit, which the codec reports as a corrupted journal)."""
    cls = _BY_TYPE[type_]
    kwargs: dict[str, Any] = {}
    for f in attrs.fields(cls):
        name = f.name
        if name in _BASE:
            continue
        if name in cls.PRIVATE or name in cls.INSTANTS:
            raw = data.get("_" + name)
        else:
            raw = data.get(name)
        if raw is None:
            continue
        if name in cls.UNITS:
            raw = index[str(raw)]
        elif name in cls.INSTANTS:
            raw = int(raw)
        elif isinstance(raw, list):
            raw = tuple(int(x) if name in ("escalations", "warnings") else str(x) for x in raw)
        kwargs[name] = raw
    return cls(at, u, actor, key=key, fingerprint=fp, **kwargs)
