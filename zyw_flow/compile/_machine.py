"""The step and phase state machines, defined with ``transitions``.

The machines are the specification. The runtime does not attach units to them (a
``transitions`` model costs hundreds of microseconds and kilobytes per unit); it runs a
transition table derived from each machine (:func:`derive_table`), which the test-suite
checks against the machine itself on random event sequences.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import pairwise
from typing import Any

from transitions import Machine

__all__ = [
    "ACCEPTED",
    "FINAL",
    "GUARDS",
    "NOT_OPEN",
    "OVERDUE",
    "PENDING",
    "RETURNED",
    "STATUS_NAMES",
    "STEP_EVENTS",
    "STEP_TRANSITIONS",
    "SUBMITTED",
    "WAIVED",
    "derive_table",
    "phase_machine",
    "step_machine",
]

NOT_OPEN, PENDING, OVERDUE, SUBMITTED, RETURNED, ACCEPTED, WAIVED = range(7)
STATUS_NAMES: tuple[str, ...] = (
    "not_open",
    "pending",
    "overdue",
    "submitted",
    "returned",
    "accepted",
    "waived",
)
FINAL = frozenset({ACCEPTED, WAIVED})

#: Conditions named on the machine's transitions. The runtime evaluates each of them.
GUARDS: Mapping[str, str] = {
    "is_open": "the step's opening instant has passed (and, under completion advance, "
    "the unit has entered the step's phase)",
    "is_not_closed": "the step's `closes` instant has not passed",
    "dependencies_met": "every step in `after` is accepted or waived",
    "is_past_due": "the step's due instant has passed (a submission at the due instant is on time)",
}

#: (event, sources, dest, conditions) — the step lifecycle.
STEP_TRANSITIONS: tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("open", ("not_open",), "pending", ("is_open",)),
    ("submit", ("pending", "returned"), "submitted", ("is_not_closed", "dependencies_met")),
    ("submit", ("overdue",), "submitted", ("is_not_closed", "dependencies_met")),
    ("accept", ("submitted",), "accepted", ()),
    ("return", ("submitted",), "returned", ()),
    ("overdue", ("pending", "returned"), "overdue", ("is_past_due",)),
    ("waive", ("not_open", "pending", "overdue", "submitted", "returned"), "waived", ()),
)
STEP_EVENTS: tuple[str, ...] = tuple(dict.fromkeys(t[0] for t in STEP_TRANSITIONS))


def step_machine(model: Any = None) -> Machine:
    """The step machine (工作事项): ``not_open → pending → submitted → accepted`` …

    Args:
        model: a model to attach (``None`` builds the definition only).
    """
    transitions = [
        {"trigger": event, "source": list(sources), "dest": dest, "conditions": list(conds)}
        for event, sources, dest, conds in STEP_TRANSITIONS
    ]
    return Machine(
        model=model,
        states=list(STATUS_NAMES),
        transitions=transitions,
        initial="not_open",
        auto_transitions=False,
        ignore_invalid_triggers=False,
        model_attribute="state",
    )


def phase_machine(phase_ids: tuple[str, ...], advance: str, model: Any = None) -> Machine:
    """The phase machine: ``before → phase 1 → … → phase n`` by ``advance`` events.

    Under ``calendar`` advance a unit moves when the next phase opens; under ``completion``
    it must also have the current phase's gate steps accepted or waived.
    """
    states = ["before", *phase_ids]
    conds = ["phase_opened"] + (["gate_met"] if advance == "completion" else [])
    transitions = [
        {"trigger": "advance", "source": src, "dest": dst, "conditions": list(conds)}
        for src, dst in pairwise(states)
    ]
    return Machine(
        model=model,
        states=states,
        transitions=transitions,
        initial="before",
        auto_transitions=False,
        ignore_invalid_triggers=False,
        model_attribute="state",
    )


def derive_table(machine: Machine) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
    """``(state, event) → (dest, conditions)`` read off a ``transitions`` machine."""
    table: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}
    for name, event in machine.events.items():
        for source, transitions in event.transitions.items():
            for tr in transitions:
                conds = tuple(str(c.func) for c in tr.conditions)
                table[(source, name)] = (str(tr.dest), conds)
    return table
