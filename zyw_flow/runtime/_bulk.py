"""The bulk path: many submissions in one call, by the same rules as one call each.

For importers and simulations. Every submission is checked by the same function as a
single ``submit`` (:func:`zyw_flow.runtime._decide.check_step_action`), against the state
as it is before the batch (the units are distinct, so one unit's submission cannot change
another's); the batch is one event, one transaction, one pass of time-driven work and one
commit; in the journal, one row per 10,000 units.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from typing import TYPE_CHECKING

from zyw_flow._errors import TransitionRefused
from zyw_flow._time import At
from zyw_flow.runtime._decide import decide_gate, decide_submissions

if TYPE_CHECKING:  # pragma: no cover
    from zyw_flow.runtime._campaign import Campaign

__all__ = ["actors_of", "submit_many"]


def actors_of(ids: list[str], actor: object, event: str) -> list[str]:
    """The actor of each unit: one for all, a mapping unit → actor (naming every unit), or
    a list in the units' order."""
    if isinstance(actor, str):
        return [actor] * len(ids)
    if isinstance(actor, Mapping):
        found = list(map(actor.get, ids, repeat("")))
        if "" in found:  # (one C-level scan; the unit is looked for only when one is missing)
            unit = ids[found.index("")]
            raise TransitionRefused(
                f"the actor mapping names no actor for unit {unit!r}", unit=unit, event=event
            )
        return found
    if isinstance(actor, Sequence):
        if len(actor) != len(ids):
            raise TransitionRefused(
                f"{len(actor)} actors for {len(ids)} units: give one actor, a mapping unit → "
                "actor, or one actor per unit in order",
                event=event,
            )
        return list(actor)
    raise TransitionRefused(
        f"actor must be an id, a mapping unit → actor or a list, not {type(actor).__name__}",
        event=event,
    )


def submit_many(
    campaign: Campaign,
    units: Iterable[str],
    step: str,
    actor: str | Mapping[str, str] | Sequence[str],
    at: At | None,
) -> int:
    """Implements :meth:`Campaign.submit_many`."""
    if isinstance(units, str):
        raise TransitionRefused(
            f"units must be a list of unit ids, not the text {units!r} (a list of one: "
            f"[{units!r}])", event="submit",
        )  # fmt: skip
    ids = list(units)
    if not ids:
        return 0
    actors = actors_of(ids, actor, "submit")
    with campaign._bulk():
        first = campaign._begin()
        state = campaign._state
        try:
            at_us = campaign._at(at)
            event = decide_submissions(state, ids, step, actors, at_us, at is not None)
            campaign._advance(at_us)
            campaign._write(event)
            if state.completion and event.auto:
                for u in event.units:
                    campaign._write_all(decide_gate(state, u, event.step, at_us))
            campaign._advance(state.now)
        except BaseException:
            campaign._abort()
            raise
        campaign._commit(first)
    return len(ids)
