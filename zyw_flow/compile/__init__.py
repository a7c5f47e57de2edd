"""Compilation: a resolved campaign → machines and the tables derived from them."""

from __future__ import annotations

from zyw_flow.compile._compile import (
    CompiledCampaign,
    compile_campaign,
    compile_source,
    escalation_instants,
    warning_instants,
)
from zyw_flow.compile._diagram import mermaid
from zyw_flow.compile._machine import (
    GUARDS,
    STATUS_NAMES,
    STEP_EVENTS,
    STEP_TRANSITIONS,
    derive_table,
    phase_machine,
    step_machine,
)
from zyw_flow.compile._stored import compile_stored, stored_meta

__all__ = [
    "GUARDS",
    "STATUS_NAMES",
    "STEP_EVENTS",
    "STEP_TRANSITIONS",
    "CompiledCampaign",
    "compile_campaign",
    "compile_source",
    "compile_stored",
    "derive_table",
    "escalation_instants",
    "mermaid",
    "phase_machine",
    "step_machine",
    "stored_meta",
    "warning_instants",
]
