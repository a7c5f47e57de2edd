"""Date resolution: a validated template → exact, time-zone-aware instants on a calendar."""

from __future__ import annotations

from zyw_flow.resolve._resolve import (
    ResolvedCampaign,
    ResolvedPhase,
    ResolvedStep,
    make_calendar,
    resolve,
)

__all__ = ["ResolvedCampaign", "ResolvedPhase", "ResolvedStep", "make_calendar", "resolve"]
