"""The bulk path: many commands in one call, by the same decide and apply rules.

For importers and simulations. Each command is decided against the state as the ones
before it in the batch left it (so the batch means what the calls one by one would), but
the batch is one transaction, one pass of time-driven work and one commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from zyw_flow._time import At
from zyw_flow.runtime._decide import decide_gate, decide_step_action, prepare
from zyw_flow.runtime._events import StepAction

if TYPE_CHECKING:  # pragma: no cover
    from zyw_flow.runtime._campaign import Campaign

__all__ = ["submit_many"]


def submit_many(
    campaign: Campaign,
    units: Iterable[str],
    step: str,
    actor: str | Mapping[str, str],
    at: At | None,
) -> int:
    """Implements :meth:`Campaign.submit_many`."""
    ids = list(units)
    with campaign._bulk():
        campaign._begin()
        try:
            state = campaign._state
            at_us = campaign._at(at)
            given = at is not None
            decided = []
            for uid in ids:
                who = actor if isinstance(actor, str) else actor.get(uid, "")
                u, _, _, _ = prepare(state, "submit", uid, step, who, at_us, given, None, {})
                decided.append((u, decide_step_action(state, "submit", u, step, who, at_us,
                                                      None, None, None)))  # fmt: skip
            seen: set[int] = set()
            for u, _ in decided:
                if u in seen:
                    from zyw_flow._errors import DuplicateEventError

                    raise DuplicateEventError(
                        "a unit appears twice in one bulk submission", unit=state.ids[u],
                        step=step, event="submit",
                    )  # fmt: skip
                seen.add(u)
            campaign._advance(at_us)
            for u, events in decided:
                campaign._write_all(events)
                head = events[0]
                assert isinstance(head, StepAction)
                if state.status[head.step][state.slot(head.step, u)] >= 5:
                    campaign._write_all(decide_gate(state, u, head.step, at_us))
            campaign._advance(state.now)
        except BaseException:
            campaign._abort()
            raise
        campaign._commit(0)
    return len(ids)
