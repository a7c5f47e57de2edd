"""Definitions a template is read into: frozen, with expressions kept as strings.

Nothing here evaluates a date; that is the resolver's job (``zyw_flow.resolve``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import attrs

from zyw_flow.dates import DurationUnit

__all__ = [
    "DEFAULT_PERMISSIONS",
    "DEFAULT_ROLES",
    "DEFAULT_SANCTIONS",
    "STEP_KINDS",
    "CalendarDef",
    "CampaignTemplate",
    "EscalationLevelDef",
    "FindingsDef",
    "ParamDef",
    "PhaseDef",
    "SanctionDef",
    "StepDef",
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


@attrs.frozen
class FindingsDef:
    """How findings (问题) spawn rectification steps."""

    rectification_days: int = 10
    sources: tuple[str, ...] = ("inspection", "complaint", "self_check", "covert_visit")
    #: What ``rectification_days`` counts: ``"working_days"`` (a bare number, ``"10 working
    #: days"``, ``"10个工作日"``) or calendar ``"days"`` (``"30 days"``, ``"30天"``).
    rectification_unit: DurationUnit = "working_days"


@attrs.frozen
class StepDef:
    """A step (工作事项) as written: dates are unevaluated expressions.

    ``due`` is ``None`` for "no deadline" and ``""`` for "the phase's last day".
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
    scoring: Mapping[str, str] = attrs.field(factory=dict)
    scheme_texts: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)

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
