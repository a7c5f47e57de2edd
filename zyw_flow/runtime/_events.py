"""Typed domain events: what the runtime records, one frozen class per event type.

An event is a fact. It is produced by a decide function (:mod:`._decide`, :mod:`._time`,
:mod:`._scoring`), written by the one writer (:func:`zyw_flow.runtime._apply.apply`) and
kept in the journal. Units and steps are referred to by their indices in the campaign's
state (a unit's enrollment order; a step's place in the step table), so a time-driven batch
over 10^6 units is one compact record, not 10^6.

Each event has a journal ``kind``: ``event`` for the campaign's events (those a host sees
through ``Campaign.events``), ``actor`` for an actor registered and ``clock`` for the clock
moved with nothing due. A batch event stands for several public events (:func:`count`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal

import attrs

__all__ = [
    "EVENT_TYPES",
    "ActorAdded",
    "ActorRevoked",
    "CaseRecorded",
    "ClockMoved",
    "ConsequenceAction",
    "DeadlineSet",
    "DeductionRecorded",
    "DelegationGranted",
    "DomainEvent",
    "EvaluationFinalized",
    "EventType",
    "EventVoided",
    "ExtensionApproved",
    "ExtensionRefused",
    "ExtensionRequested",
    "FindingRecorded",
    "GroupAssigned",
    "PhaseOpened",
    "PhasesEntered",
    "RankingAction",
    "SanctionIssued",
    "ScoreRecorded",
    "StepAccepted",
    "StepAction",
    "StepReturned",
    "StepReviewed",
    "StepSubmitted",
    "StepTransferred",
    "StepWaived",
    "StepsEscalated",
    "StepsOverdue",
    "StepsSubmitted",
    "StepsWarned",
    "SurveyRecorded",
    "UnitCommand",
    "UnitsEnrolled",
    "count",
]

#: The public event types (``Event.type``), as a type: a typo is a type error.
EventType = Literal[
    "enrolled",
    "phase_opened",
    "phase_entered",
    "step_submitted",
    "step_accepted",
    "step_returned",
    "step_waived",
    "step_overdue",
    "step_escalated",
    "finding_recorded",
    "sanction_issued",
    "score_recorded",
    "deduction_recorded",
    "case_recorded",
    "evaluation_finalized",
    "ranking_action",
    "consequence_action",
    "step_warned",
    "step_reviewed",
    "extension_requested",
    "extension_approved",
    "extension_refused",
    "deadline_set",
    "event_voided",
    "step_transferred",
    "group_assigned",
    "survey_recorded",
]
JournalKind = Literal["event", "actor", "clock"]


@attrs.frozen(slots=True)
class DomainEvent:
    """Base of every event: the instant (µs since the epoch)."""

    at: int
    TYPE: ClassVar[str] = ""
    KIND: ClassVar[JournalKind] = "event"

    def count(self) -> int:
        """How many public events this stands for (0 for actor and clock records)."""
        return 1


# -- registration and time -------------------------------------------------------------
@attrs.frozen(slots=True)
class ActorAdded(DomainEvent):
    """An actor registered (or replaced) with roles, a unit for members, a name."""

    actor: str
    roles: tuple[str, ...]
    unit: str | None
    name: str | None
    scope: str | None = None
    TYPE: ClassVar[str] = "actor_added"
    KIND: ClassVar[JournalKind] = "actor"

    def count(self) -> int:
        return 0


@attrs.frozen(slots=True)
class ActorRevoked(DomainEvent):
    """An actor may no longer act from ``at`` on (what they did stays theirs)."""

    actor: str
    reason: str | None = None
    TYPE: ClassVar[str] = "actor_revoked"
    KIND: ClassVar[JournalKind] = "actor"

    def count(self) -> int:
        return 0


@attrs.frozen(slots=True)
class DelegationGranted(DomainEvent):
    """代办: ``delegate`` may act on behalf of ``principal`` in [``start``, ``end``)."""

    principal: str
    delegate: str
    start: int
    end: int
    TYPE: ClassVar[str] = "delegation_granted"
    KIND: ClassVar[JournalKind] = "actor"

    def count(self) -> int:
        return 0


@attrs.frozen(slots=True)
class ClockMoved(DomainEvent):
    """The campaign clock moved with nothing due (a quiet tick)."""

    TYPE: ClassVar[str] = "clock"
    KIND: ClassVar[JournalKind] = "clock"

    def count(self) -> int:
        return 0


@attrs.frozen(slots=True)
class UnitsEnrolled(DomainEvent):
    """Units (or persons) enrolled at one instant; parents are ids enrolled before.

    ``names``, ``parents`` and ``kinds`` are aligned with ``ids``, or empty when every unit
    has the default (no name, no parent, kind ``unit``): 10^6 units cost no column then.
    """

    ids: tuple[str, ...]
    names: tuple[str | None, ...] = ()
    parents: tuple[str | None, ...] = ()
    kinds: tuple[str, ...] = ()
    #: owner predicates that held, by name: positions in ``ids`` (decided at enrollment)
    predicates: Mapping[str, tuple[int, ...]] = attrs.field(factory=dict)
    TYPE: ClassVar[str] = "enrolled"

    def count(self) -> int:
        return len(self.ids)

    def name_of(self, i: int) -> str | None:
        """The name of the ``i``-th unit."""
        return self.names[i] if self.names else None

    def parent_of(self, i: int) -> str | None:
        """The parent of the ``i``-th unit."""
        return self.parents[i] if self.parents else None

    def kind_of(self, i: int) -> str:
        """The kind of the ``i``-th unit."""
        return self.kinds[i] if self.kinds else "unit"


@attrs.frozen(slots=True)
class PhaseOpened(DomainEvent):
    """A phase opened for the campaign (its start instant)."""

    phase: int
    TYPE: ClassVar[str] = "phase_opened"


@attrs.frozen(slots=True)
class PhasesEntered(DomainEvent):
    """Units entered a phase (completion advance)."""

    phase: int
    units: tuple[int, ...]
    TYPE: ClassVar[str] = "phase_entered"

    def count(self) -> int:
        return len(self.units)


# -- steps -----------------------------------------------------------------------------
@attrs.frozen(slots=True)
class StepAction(DomainEvent):
    """Base of the four actions on one step of one unit."""

    unit: int
    step: int
    actor: str
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    late: bool = False


@attrs.frozen(slots=True)
class StepSubmitted(StepAction):
    """A unit did or handed in a step (``late`` when after its deadline)."""

    TYPE: ClassVar[str] = "step_submitted"


@attrs.frozen(slots=True)
class StepAccepted(StepAction):
    """A reviewer accepted a submitted step (``data.auto`` when no review is needed)."""

    TYPE: ClassVar[str] = "step_accepted"


@attrs.frozen(slots=True)
class StepReturned(StepAction):
    """A reviewer sent a submitted step back."""

    TYPE: ClassVar[str] = "step_returned"


@attrs.frozen(slots=True)
class StepWaived(StepAction):
    """An authorised role waived a step for a unit."""

    TYPE: ClassVar[str] = "step_waived"


@attrs.frozen(slots=True)
class StepsSubmitted(DomainEvent):
    """The bulk path: units submitted one step at one instant (``actors``: one actor for
    all, or one per unit; ``late``: positions in ``units`` of late submissions; ``auto``:
    the step needs no review, so each submission is accepted at once)."""

    step: int
    units: tuple[int, ...]
    actors: tuple[str, ...]
    late: tuple[int, ...]
    auto: bool
    TYPE: ClassVar[str] = "step_submitted"

    def count(self) -> int:
        return len(self.units) * (2 if self.auto else 1)

    def actor_of(self, i: int) -> str:
        """The actor of the ``i``-th submission."""
        return self.actors[0] if len(self.actors) == 1 else self.actors[i]


@attrs.frozen(slots=True)
class StepsOverdue(DomainEvent):
    """A step went overdue for these units (at its due instant, or when sent back late)."""

    step: int
    units: tuple[int, ...]
    TYPE: ClassVar[str] = "step_overdue"

    def count(self) -> int:
        return len(self.units)


@attrs.frozen(slots=True)
class StepsEscalated(DomainEvent):
    """A step of these units climbed to escalation ``level`` (1-based); a level with a
    sanction issues it to each unit (recorded here, not re-derived on replay)."""

    step: int
    level: int
    level_id: str
    title: str
    sanction: str | None
    sanction_title: str | None
    sanction_level: int | None
    units: tuple[int, ...]
    TYPE: ClassVar[str] = "step_escalated"

    def count(self) -> int:
        return len(self.units) * (2 if self.sanction is not None else 1)


@attrs.frozen(slots=True)
class FindingRecorded(DomainEvent):
    """A finding against a unit, and the rectification step it opens (its own deadline
    and escalation instants, recorded so that replay never recomputes them)."""

    unit: int
    finding: str
    actor: str
    source: str
    description: str
    days: int
    day_unit: str
    due: int
    escalations: tuple[int, ...]
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    warnings: tuple[int, ...] = ()
    TYPE: ClassVar[str] = "finding_recorded"


@attrs.frozen(slots=True)
class SanctionIssued(DomainEvent):
    """An accountability action (问责) from the template's ladder."""

    unit: int
    sanction: str
    title: str | None
    level: int | None
    actor: str
    person: str | None = None
    reason: str | None = None
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "sanction_issued"


# -- evaluation ------------------------------------------------------------------------
@attrs.frozen(slots=True)
class ScoreRecorded(DomainEvent):
    """A score of a leaf indicator (a later one for the same key corrects it)."""

    unit: int
    actor: str
    indicator: str
    value: str
    period: str | None
    rater_group: str | None
    rater: str | None
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "score_recorded"


@attrs.frozen(slots=True)
class DeductionRecorded(DomainEvent):
    """Points deducted from a unit."""

    unit: int
    actor: str
    item: str
    points: str
    description: str
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "deduction_recorded"


@attrs.frozen(slots=True)
class CaseRecorded(DomainEvent):
    """A case that lowers a grade (violation, accident, veto)."""

    unit: int
    actor: str
    case: str
    item: str | None
    person: str | None
    description: str
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "case_recorded"


@attrs.frozen(slots=True)
class EvaluationFinalized(DomainEvent):
    """A round made final: grades, ranking, selections and consequences as data."""

    actor: str
    data: Mapping[str, Any]
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "evaluation_finalized"


@attrs.frozen(slots=True)
class RankingAction(DomainEvent):
    """A bottom-N ladder action that is not a sanction (e.g. 通报)."""

    unit: int
    data: Mapping[str, Any]
    TYPE: ClassVar[str] = "ranking_action"


@attrs.frozen(slots=True)
class ConsequenceAction(DomainEvent):
    """An action a declared consequence rule fired for a unit when a round was made final
    (``data``: rule, kind, title, target, round, occurrence …). A sanction or a
    rectification step it orders follows as an event of its own; 重点监督, 重点整改单位 and
    the loss of 评优资格 (``data["ineligible"]``) are written by this one."""

    unit: int
    data: Mapping[str, Any]
    TYPE: ClassVar[str] = "consequence_action"


# -- workflow ------------------------------------------------------------------------------
@attrs.frozen(slots=True)
class StepsWarned(DomainEvent):
    """A warning light (预警) came on for a step of these units before its deadline."""

    step: int
    level: int  # 1-based
    level_id: str
    title: str
    units: tuple[int, ...]
    TYPE: ClassVar[str] = "step_warned"

    def count(self) -> int:
        return len(self.units)


@attrs.frozen(slots=True)
class UnitCommand(DomainEvent):
    """Base of the workflow commands on one step (or record) of one unit."""

    unit: int
    step: int
    actor: str


@attrs.frozen(slots=True)
class StepReviewed(UnitCommand):
    """逐级审核: a first-tier reviewer passed a submission on to the next tier."""

    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "step_reviewed"


@attrs.frozen(slots=True)
class ExtensionRequested(UnitCommand):
    """延期申请: the unit asks for a later deadline."""

    until: int
    reason: str
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "extension_requested"


@attrs.frozen(slots=True)
class ExtensionApproved(UnitCommand):
    """An approver agreed; the last of the chain moves the deadline (``final``) with its
    escalation ladder and warning lights (recorded, never recomputed on replay)."""

    until: int
    stage: int
    final: bool
    escalations: tuple[int, ...]
    warnings: tuple[int, ...]
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "extension_approved"


@attrs.frozen(slots=True)
class ExtensionRefused(UnitCommand):
    """An approver refused the pending request; nothing else changes."""

    reason: str | None
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "extension_refused"


@attrs.frozen(slots=True)
class DeadlineSet(UnitCommand):
    """The office set a unit's own deadline for a step (with its ladder and lights)."""

    until: int
    reason: str
    escalations: tuple[int, ...]
    warnings: tuple[int, ...]
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "deadline_set"


@attrs.frozen(slots=True)
class EventVoided(DomainEvent):
    """A recorded action made void (更正). ``cell`` is the step cell as it was before the
    action ``(status, escalation, flags, completed or -1)``; ``restore`` what else the
    action changed, as it was (a score's earlier value, a list entry's position)."""

    unit: int
    actor: str
    target: int  # the voided event's seq
    target_type: str
    reason: str
    step: int = -1
    cell: tuple[int, int, int, int] | None = None
    restore: Mapping[str, Any] | None = None
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    since: int = -1  # the voided action's instant: what it held back is decided from then
    TYPE: ClassVar[str] = "event_voided"


@attrs.frozen(slots=True)
class StepTransferred(UnitCommand):
    """转办: a step (or a finding's rectification) passes from ``unit`` to ``to``, with its
    history and deadline (``until``: a new one, with its ladder and lights)."""

    to: int
    reason: str
    until: int | None = None
    escalations: tuple[int, ...] = ()
    warnings: tuple[int, ...] = ()
    data: Mapping[str, Any] | None = None
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "step_transferred"


@attrs.frozen(slots=True)
class GroupAssigned(DomainEvent):
    """Units put into (or, with ``remove``, taken out of) a group the template declares."""

    group: str
    units: tuple[int, ...]
    actor: str
    remove: bool = False
    TYPE: ClassVar[str] = "group_assigned"


@attrs.frozen(slots=True)
class SurveyRecorded(DomainEvent):
    """A survey result for a unit: a rater group's counts, or one ballot (see ``_surveys``)."""

    unit: int
    actor: str
    data: Mapping[str, Any]
    key: str | None = None
    fingerprint: str | None = None
    TYPE: ClassVar[str] = "survey_recorded"


EVENT_TYPES: tuple[type[DomainEvent], ...] = (
    ActorAdded,
    ClockMoved,
    UnitsEnrolled,
    PhaseOpened,
    PhasesEntered,
    StepSubmitted,
    StepAccepted,
    StepReturned,
    StepWaived,
    StepsSubmitted,
    StepsOverdue,
    StepsEscalated,
    FindingRecorded,
    SanctionIssued,
    ScoreRecorded,
    DeductionRecorded,
    CaseRecorded,
    EvaluationFinalized,
    RankingAction,
    ConsequenceAction,
    ActorRevoked,
    DelegationGranted,
    StepsWarned,
    StepReviewed,
    ExtensionRequested,
    ExtensionApproved,
    ExtensionRefused,
    DeadlineSet,
    EventVoided,
    StepTransferred,
    GroupAssigned,
    SurveyRecorded,
)


def count(event: DomainEvent) -> int:
    """How many public events ``event`` stands for (0 for actor and clock records)."""
    return event.count()
