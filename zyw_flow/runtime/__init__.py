"""The campaign runtime: an event-sourced engine (typed events, decide then apply)."""

from __future__ import annotations

from zyw_flow.runtime._campaign import Campaign
from zyw_flow.runtime._cases import AccountabilityCase
from zyw_flow.runtime._commands import COMMANDS, Command, dispatch
from zyw_flow.runtime._complaints import Complaint, ComplaintCounts, ComplaintStatistics
from zyw_flow.runtime._core import EventList
from zyw_flow.runtime._csv import unit_rows
from zyw_flow.runtime._decide import register_owner
from zyw_flow.runtime._many import ActionEvents
from zyw_flow.runtime._records import (
    Actor,
    Board,
    DueItem,
    Event,
    OverdueItem,
    StepStatus,
    UnitStatus,
)
from zyw_flow.runtime._scoring import Evaluation
from zyw_flow.runtime._state import SYSTEM_ACTOR
from zyw_flow.runtime._table import RectificationRows, StatusTable, StepColumn

__all__ = [
    "COMMANDS",
    "SYSTEM_ACTOR",
    "AccountabilityCase",
    "ActionEvents",
    "Actor",
    "Board",
    "Campaign",
    "Command",
    "Complaint",
    "ComplaintCounts",
    "ComplaintStatistics",
    "DueItem",
    "Evaluation",
    "Event",
    "EventList",
    "OverdueItem",
    "RectificationRows",
    "StatusTable",
    "StepColumn",
    "StepStatus",
    "UnitStatus",
    "dispatch",
    "register_owner",
    "unit_rows",
]
