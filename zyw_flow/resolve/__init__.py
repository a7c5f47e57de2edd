"""Date resolution: a validated template → exact, time-zone-aware instants on a calendar.

:func:`load_template` and :func:`load_template_text` (also ``zyw_flow.load_template``) load
a template and report the template's problems and the resolver's date problems together.
"""

from __future__ import annotations

from zyw_flow.resolve._load import load_template, load_template_text
from zyw_flow.resolve._resolve import (
    ResolvedCampaign,
    ResolvedPhase,
    ResolvedStep,
    make_calendar,
    resolve,
)

__all__ = [
    "ResolvedCampaign",
    "ResolvedPhase",
    "ResolvedStep",
    "load_template",
    "load_template_text",
    "make_calendar",
    "resolve",
]
