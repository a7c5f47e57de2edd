"""Value types the runtime hands out: events, actors, statuses, boards."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import attrs

from zyw_flow._time import NEVER, format_us, from_us

#: Roles that act for the actor's own unit only (a member submits its own unit's steps).
UNIT_SCOPED_ROLES = frozenset({"member"})

__all__ = [
    "UNIT_SCOPED_ROLES",
    "Actor",
    "Board",
    "DueItem",
    "Event",
    "OverdueItem",
    "StepStatus",
    "UnitStatus",
]

#: the instant of an enrollment recorded before the clock started
_BEFORE_ALL = dt.datetime.min.replace(tzinfo=dt.UTC)


@attrs.frozen(slots=True, eq=False)
class Event:
    """Something that happened in a campaign, recorded or time-driven.

    Attributes:
        seq: position in the campaign's event log (1-based); a cursor for ``events(since=)``.
        type: ``enrolled``, ``phase_opened``, ``phase_entered``, ``step_submitted``,
            ``step_accepted``, ``step_returned``, ``step_waived``, ``step_overdue``,
            ``step_escalated``, ``finding_recorded``, ``sanction_issued``.
        at_us: the instant, microseconds since the epoch (see :attr:`at`).
        unit: the unit concerned, or ``None`` for campaign-wide events.
        step: the step concerned, if any.
        actor: who did it (``None`` for time-driven events, ``system`` for rules).
        data: details (reason, evidence, level, sanction …).
        key: the caller's idempotency key, if any.
        duplicate: ``True`` on the copy returned for a repeated idempotency key.
    """

    seq: int
    type: str
    at_us: int
    unit: str | None = None
    step: str | None = None
    actor: str | None = None
    data: Mapping[str, Any] | None = None
    key: str | None = None
    zone: dt.tzinfo = attrs.field(default=dt.UTC, repr=False)
    duplicate: bool = False

    @property
    def at(self) -> dt.datetime:
        """The instant as an aware datetime in the campaign's time zone. A unit enrolled
        before the campaign's clock started (``enroll`` without ``at``) is enrolled before
        every instant: its event's ``at`` is ``datetime.min`` in UTC (and ``null`` in JSON).
        """
        if self.at_us <= -NEVER:
            return _BEFORE_ALL
        return from_us(self.at_us, self.zone)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: ``type``, ``unit``, ``step``, ``at`` and the rest when set."""
        out: dict[str, Any] = {
            "seq": self.seq,
            "type": self.type,
            "unit": self.unit,
            "step": self.step,
            "at": format_us(self.at_us, self.zone),
        }
        if self.actor is not None:
            out["actor"] = self.actor
        if self.data:
            out["data"] = dict(self.data)
        if self.key is not None:
            out["key"] = self.key
        return out

    def same_as(self, other: Event) -> bool:
        """Equal in everything but sequence number and the duplicate mark."""
        return (self.type, self.at_us, self.unit, self.step, self.actor, self.data, self.key) == (
            other.type,
            other.at_us,
            other.unit,
            other.step,
            other.actor,
            other.data,
            other.key,
        )


@attrs.frozen
class Actor:
    """Someone who performs events: roles decide what; ``unit`` limits a member to a unit."""

    id: str
    roles: frozenset[str]
    unit: str | None = None
    name: str | None = None
    #: where the roles apply: ``None`` (a member: its own unit; others: everywhere),
    #: ``"unit"`` (``unit`` only) or ``"subtree"`` (``unit`` and every unit under it)
    scope: str | None = None
    #: from when the actor may no longer act (revoked; what they did stays theirs)
    revoked_at: dt.datetime | None = None
    #: the unit of a plain member (only unit-scoped roles, no scope, not revoked), else
    #: ``None``: the bulk path checks a batch of such actors with one read each
    _member_unit: str | None = attrs.field(init=False, default=None, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        if (
            self.roles
            and self.roles <= UNIT_SCOPED_ROLES
            and self.scope is None
            and self.revoked_at is None
            and self.unit is not None
        ):
            object.__setattr__(self, "_member_unit", self.unit)


@attrs.frozen
class StepStatus:
    """A step of a unit at the campaign's current time."""

    step: str
    title: str
    status: str
    due: dt.datetime | None
    late: bool
    completed_at: dt.datetime | None
    escalation: int
    escalation_title: str | None = None
    #: the warning light on (a level id of the template's ``warnings:``), or ``None``
    warning: str | None = None
    warning_title: str | None = None
    #: extension requests, oldest first: ``{"requested_at", "until", "status"}``
    extensions: tuple[Mapping[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The contract form: status, due (the step's current deadline), late,
        completed_at, escalation, warning, extensions."""
        return {
            "status": self.status,
            "due": None if self.due is None else self.due.isoformat(),
            "late": self.late,
            "completed_at": None if self.completed_at is None else self.completed_at.isoformat(),
            "escalation": self.escalation,
            "warning": self.warning,
            "extensions": [dict(x) for x in self.extensions],
        }


@attrs.frozen
class UnitStatus:
    """A unit at the campaign's current time."""

    unit: str
    name: str | None
    kind: str
    parent: str | None
    phase: str | None
    steps: Mapping[str, StepStatus]
    sanctions: tuple[Mapping[str, Any], ...]
    restrictions: tuple[str, ...]
    score: str | None = None
    grade: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The contract form used by ``replay --json`` (``score`` is an exact decimal
        string; ``grade`` a band id of the unit's scoring scheme; both ``None`` unscored)."""
        return {
            "phase": self.phase,
            "steps": {k: v.to_json() for k, v in self.steps.items()},
            "sanctions": [dict(s) for s in self.sanctions],
            "score": self.score,
            "grade": self.grade,
        }


@attrs.frozen
class OverdueItem:
    """One overdue step of one unit."""

    unit: str
    step: str
    due: dt.datetime
    escalation: int
    escalation_title: str | None
    #: the last warning light the step reached before its deadline (or ``None``)
    warning: str | None = None


class DueItem(tuple[str, str, dt.datetime]):
    """An open step due soon: ``(unit, step, due)``, with the warning light on
    (:attr:`warning`, a level id or ``None``)."""

    warning: str | None

    def __new__(cls, unit: str, step: str, due: dt.datetime, warning: str | None = None) -> DueItem:
        item = super().__new__(cls, (unit, step, due))
        item.warning = warning
        return item

    @property
    def unit(self) -> str:
        """The unit."""
        return self[0]

    @property
    def step(self) -> str:
        """The step."""
        return self[1]

    @property
    def due(self) -> dt.datetime:
        """Its deadline."""
        return self[2]


@attrs.frozen
class Board:
    """Counts for a unit and everything under it (a node of the rolled-up board).

    Attributes:
        unit: the unit id (``None`` for the whole campaign).
        units: how many units the subtree holds.
        phases: units per current phase.
        statuses: steps per status, over every unit of the subtree.
        children: the boards of the direct children.
    """

    unit: str | None
    name: str | None
    units: int
    phases: Mapping[str, int]
    statuses: Mapping[str, int]
    children: tuple[Board, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A nested JSON-ready dict."""
        return {
            "unit": self.unit,
            "name": self.name,
            "units": self.units,
            "phases": dict(self.phases),
            "statuses": dict(self.statuses),
            "children": [c.to_json() for c in self.children],
        }
