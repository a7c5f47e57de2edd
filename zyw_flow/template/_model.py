"""Definitions a template is read into: frozen, with expressions kept as strings.

Nothing here evaluates a date; that is the resolver's job (``zyw_flow.resolve``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from zyw_flow.dates import DurationUnit
from zyw_flow.evaluation import Rule
from zyw_flow.template._inherited import InheritedStep
from zyw_flow.template._procedures import AccountabilityDef, ComplaintsDef

__all__ = [
    "DEFAULT_PERMISSIONS",
    "DEFAULT_ROLES",
    "DEFAULT_SANCTIONS",
    "STEP_KINDS",
    "CalendarDef",
    "CampaignTemplate",
    "DueAfter",
    "EscalationLevelDef",
    "ExtensionPolicy",
    "FindingsDef",
    "OwnerRule",
    "ParamDef",
    "PhaseDef",
    "SanctionDef",
    "StepDef",
    "WarningLevelDef",
]

STEP_KINDS = ("meeting", "document", "activity", "inspection", "report", "evaluation")

DEFAULT_ROLES: Mapping[str, str] = {
    "member": "单位工作人员",
    "office": "领导小组办公室",
    "inspector": "督查组",
    "accountability": "整改组",
    "leader": "领导小组",
}

DEFAULT_PERMISSIONS: Mapping[str, tuple[str, ...]] = {
    "accept": ("office",),
    "return": ("office",),
    "waive": ("office",),
    "finding": ("inspector",),
    "verify": ("inspector", "office"),
    "sanction": ("accountability",),
    "score": ("office",),
    "set_deadline": ("office",),
    "void": ("office",),
    "transfer": ("office",),
    "groups": ("office",),
}


@attrs.frozen
class SanctionDef:
    """One rung of the accountability ladder (问责), light to heavy."""

    id: str
    title: str
    description: str = ""


DEFAULT_SANCTIONS: tuple[SanctionDef, ...] = (
    SanctionDef("interview", "约谈"),
    SanctionDef("circulated_criticism", "通报批评"),
    SanctionDef("admonition_talk", "诫勉谈话"),
    SanctionDef("suspension_study", "待岗学习"),
    SanctionDef("transfer", "调离岗位"),
    SanctionDef("removal", "免职降职"),
    SanctionDef("discipline", "纪律追究"),
)


@attrs.frozen
class ParamDef:
    """A declared template parameter."""

    name: str
    type: Literal["int", "str", "bool", "date"] = "int"
    default: Any = None
    required: bool = True
    description: str = ""


@attrs.frozen
class CalendarDef:
    """The ``calendar:`` block: which working days, and the deadline policy."""

    name: str = "cn"
    on_non_workday: Literal["keep", "next_workday", "previous_workday"] = "keep"
    fallback: Literal["error", "weekends"] = "error"
    extra_holidays: tuple[str, ...] = ()
    extra_workdays: tuple[str, ...] = ()
    years: Mapping[int, tuple[tuple[str, ...], tuple[str, ...]]] = attrs.field(factory=dict)


@attrs.frozen
class EscalationLevelDef:
    """One level of an overdue step's escalation ladder (催办 / 黄牌 / 红牌)."""

    id: str
    title: str
    amount: int
    unit: DurationUnit
    sanction: str | None = None


WarningUnit = Literal["days", "working_days", "hours"]


@attrs.frozen
class WarningLevelDef:
    """One warning light before a deadline (预警 / 亮灯), e.g. 蓝灯 3 working days before."""

    id: str
    title: str
    amount: int
    unit: WarningUnit


@attrs.frozen
class OwnerRule:
    """Who owes a step (the conditions all hold; an empty one does not restrict).

    Attributes:
        kinds: unit kinds that owe it (``unit``, ``person``).
        level: ``any``, ``root`` (units without a parent), ``leaves`` (units without
            child units; persons under a unit do not count), ``branches`` (units with
            child units).
        depths: depths in the unit tree (a root is at depth 0).
        groups: the unit must be in one of these host-assigned groups (牵头单位 …).
        predicate: a predicate the host registers by name (``zyw_flow.register_owner``).
    """

    kinds: tuple[str, ...] = ("unit",)
    level: Literal["any", "root", "leaves", "branches"] = "any"
    depths: tuple[int, ...] = ()
    groups: tuple[str, ...] = ()
    predicate: str | None = None
    description: str = ""

    @property
    def everyone(self) -> bool:
        """Whether every unit of kind ``unit`` owes it (the default)."""
        return self == OwnerRule()


@attrs.frozen
class ExtensionPolicy:
    """Deadline extension requests (延期申请): who approves, in order, and the limits.

    Attributes:
        allowed: whether a unit may request an extension at all.
        approve: the roles that approve, in order (e.g. the unit's leader, then the office).
        max_times: approved extensions per step and unit.
        max_days: the most a request may add, counted in ``max_unit`` from the deadline
            (``None``: no limit).
        until: the latest new deadline: ``phase_end`` (the step's phase), ``campaign_end``
            or ``None``.
    """

    allowed: bool = True
    approve: tuple[str, ...] = ("office",)
    max_times: int = 1
    max_days: int | None = None
    max_unit: str = "working_days"
    until: Literal["phase_end", "campaign_end"] | None = "campaign_end"


@attrs.frozen
class FindingsDef:
    """How findings (问题) spawn rectification steps."""

    rectification_days: int = 10
    sources: tuple[str, ...] = ("inspection", "complaint", "self_check", "covert_visit")
    #: What ``rectification_days`` counts: ``"working_days"`` (a bare number, ``"10 working
    #: days"``, ``"10个工作日"``) or calendar ``"days"`` (``"30 days"``, ``"30天"``).
    rectification_unit: DurationUnit = "working_days"


@attrs.frozen
class DueAfter:
    """A deadline relative to an event the host records for a unit (``due: {after:
    basis_changed, within: 30 days}``): ``amount`` days or working days after the day the
    trigger is recorded, moved by the step's non-working-day policy. Until then the step
    has no deadline."""

    trigger: str
    amount: int
    unit: DurationUnit


@attrs.frozen
class StepDef:
    """A step (工作事项) as written: dates are unevaluated expressions.

    ``due`` is ``None`` for "no deadline" and ``""`` for "the phase's last day"; a step due
    after a trigger has ``due`` ``None`` and its rule in ``due_after``.
    """

    id: str
    title: str
    phase: str
    kind: str = "activity"
    submit: tuple[str, ...] = ("member",)
    review: tuple[str, ...] = ("office",)
    due: str | None = ""
    opens: str = ""
    closes: str | None = None
    on_non_workday: str | None = None
    after: tuple[str, ...] = ()
    blocks_next: bool | None = None
    early: bool = False
    repeat: Mapping[str, Any] | None = None
    description: str = ""
    path: str = ""
    #: who owes the step (``None``: the campaign's ``owed_by``, by default every unit)
    owed_by: OwnerRule | None = None
    #: warning lights before the deadline (``None``: the campaign's ``warnings``)
    warnings: tuple[WarningLevelDef, ...] | None = None
    #: extension requests (``None``: the campaign's ``extensions``)
    extensions: ExtensionPolicy | None = None
    #: 逐级审核: acceptances needed, the first by a reviewer scoped to the unit's subtree
    review_tiers: int = 1
    #: a deadline relative to a trigger the host records for a unit (``None``: none)
    due_after: DueAfter | None = None


@attrs.frozen
class PhaseDef:
    """A phase (阶段) as written, with its steps merged from its phase template."""

    id: str
    title: str
    window: str
    use: str | None
    steps: tuple[StepDef, ...]
    aliases: tuple[str, ...] = ()
    description: str = ""
    path: str = ""


@attrs.frozen
class CampaignTemplate:
    """A validated campaign template (实施方案) with its parameters bound.

    Attributes:
        id: the template id, e.g. ``zhiyong-2011``.
        params: the parameter values in force (defaults filled in).
        file: the file it came from; ``lines`` maps document paths to lines in it.
        text: the source text, kept so a journal can store the exact template.
        sha256: hash of ``text``.
    """

    id: str
    title: str
    timezone: str
    params: Mapping[str, Any]
    param_defs: tuple[ParamDef, ...]
    calendar: CalendarDef
    advance: Literal["calendar", "completion"]
    roles: Mapping[str, str]
    permissions: Mapping[str, tuple[str, ...]]
    escalation: tuple[EscalationLevelDef, ...]
    sanctions: tuple[SanctionDef, ...]
    findings: FindingsDef
    phases: tuple[PhaseDef, ...]
    source: str = ""
    description: str = ""
    file: str = "<string>"
    text: str = ""
    sha256: str = ""
    lines: Mapping[str, int] = attrs.field(factory=dict, eq=False, repr=False)
    phase_texts: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)
    #: the steps phases take from phase templates (``use:``), by path: where their fields
    #: are written, to locate a problem there (:mod:`zyw_flow.template._inherited`)
    inherited: Mapping[str, InheritedStep] = attrs.field(factory=dict, eq=False, repr=False)
    scoring: Mapping[str, str] = attrs.field(factory=dict)
    scheme_texts: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)
    #: The campaign's own consequence rules (``rules:``), per scheme subject, validated
    #: against that scheme; they follow the scheme's rules (docs/consequences.md).
    rules: Mapping[str, tuple[Rule, ...]] = attrs.field(factory=dict)
    warnings: tuple[WarningLevelDef, ...] = ()
    groups: Mapping[str, str] = attrs.field(factory=dict)
    extensions: ExtensionPolicy = ExtensionPolicy()
    owed_by: OwnerRule = OwnerRule()
    #: The ``complaints:`` block (效能投诉) and the ``accountability:`` block (问责).
    complaints: ComplaintsDef = attrs.field(factory=ComplaintsDef)
    accountability: AccountabilityDef = attrs.field(factory=AccountabilityDef)
    #: events a host records for a unit (``record_trigger``), id → title
    triggers: Mapping[str, str] = attrs.field(factory=dict)

    @property
    def year(self) -> int:
        """The campaign year parameter."""
        return int(self.params["year"])

    def step(self, step_id: str) -> StepDef:
        """The step definition with that id (KeyError if none)."""
        for phase in self.phases:
            for step in phase.steps:
                if step.id == step_id:
                    return step
        raise KeyError(step_id)
