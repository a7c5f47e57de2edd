"""The campaign runtime: units, actions, ticks, queries."""

from __future__ import annotations

from zyw_flow.runtime._campaign import SYSTEM_ACTOR, Campaign
from zyw_flow.runtime._records import Actor, Board, Event, OverdueItem, StepStatus, UnitStatus

__all__ = [
    "SYSTEM_ACTOR",
    "Actor",
    "Board",
    "Campaign",
    "Event",
    "OverdueItem",
    "StepStatus",
    "UnitStatus",
]
