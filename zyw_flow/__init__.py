"""zyw_flow: government work-style campaigns as state machines with dated gates."""

from zyw_flow._errors import (
    CalendarError,
    CalendarHorizonError,
    CampaignError,
    DateExpressionError,
    DuplicateEventError,
    EnrolmentError,
    JournalCorrupted,
    ParameterError,
    PermissionRefused,
    Problem,
    ScenarioError,
    SchemaVersionError,
    StoreError,
    TemplateError,
    TemplateNotFound,
    TimeOrderError,
    TransitionRefused,
    UnknownActorError,
    UnknownStepError,
    UnknownUnitError,
    ZywFlowError,
)
from zyw_flow.compile import CompiledCampaign, compile_campaign
from zyw_flow.dates import WorkCalendar
from zyw_flow.resolve import ResolvedCampaign, load_template, load_template_text, resolve
from zyw_flow.runtime import (
    Actor,
    Board,
    Campaign,
    Event,
    OverdueItem,
    StepStatus,
    UnitStatus,
)
from zyw_flow.scenario import ScenarioResult, run_scenario
from zyw_flow.template import CampaignTemplate

__version__ = "0.1.0"

__all__ = [
    "Actor",
    "Board",
    "CalendarError",
    "CalendarHorizonError",
    "Campaign",
    "CampaignError",
    "CampaignTemplate",
    "CompiledCampaign",
    "DateExpressionError",
    "DuplicateEventError",
    "EnrolmentError",
    "Event",
    "JournalCorrupted",
    "OverdueItem",
    "ParameterError",
    "PermissionRefused",
    "Problem",
    "ResolvedCampaign",
    "ScenarioError",
    "ScenarioResult",
    "SchemaVersionError",
    "StepStatus",
    "StoreError",
    "TemplateError",
    "TemplateNotFound",
    "TimeOrderError",
    "TransitionRefused",
    "UnitStatus",
    "UnknownActorError",
    "UnknownStepError",
    "UnknownUnitError",
    "WorkCalendar",
    "ZywFlowError",
    "__version__",
    "compile_campaign",
    "load_template",
    "load_template_text",
    "resolve",
    "run_scenario",
]
