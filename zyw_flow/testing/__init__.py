"""Property-testing kit for campaign templates and engines (optional: ``zyw_flow[testing]``).

Imports hypothesis; the package root never imports this module.

- strategies: :func:`template_texts`, :func:`invalid_templates`, :func:`units`,
  :func:`actors`, :func:`awkward_instants`;
- a stateful machine: :func:`campaign_machine`, and :func:`campaign_test` for a one-line
  pytest test of a template;
- invariants, each usable alone: :func:`check_phase_entry`,
  :func:`check_status_matches_deadlines`, :class:`StatusTracker`,
  :func:`check_escalation_schedule`, :func:`check_tick_equivalence`,
  :func:`check_refusal_changed_nothing`, :func:`check_reopen_matches`.
"""

from __future__ import annotations

from zyw_flow.testing._invariants import (
    InvariantViolation,
    StatusTracker,
    check_escalation_schedule,
    check_phase_entry,
    check_refusal_changed_nothing,
    check_reopen_matches,
    check_status_matches_deadlines,
    check_tick_equivalence,
    observable_state,
)
from zyw_flow.testing._stateful import campaign_machine, campaign_test, compile_source
from zyw_flow.testing._strategies import (
    actors,
    awkward_instants,
    invalid_templates,
    template_texts,
    unit_trees,
    units,
)

__all__ = [
    "InvariantViolation",
    "StatusTracker",
    "actors",
    "awkward_instants",
    "campaign_machine",
    "campaign_test",
    "check_escalation_schedule",
    "check_phase_entry",
    "check_refusal_changed_nothing",
    "check_reopen_matches",
    "check_status_matches_deadlines",
    "check_tick_equivalence",
    "compile_source",
    "invalid_templates",
    "observable_state",
    "template_texts",
    "unit_trees",
    "units",
]
