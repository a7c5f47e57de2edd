"""Many actions of one kind at one instant in one call (:meth:`Campaign.act_many`).

The units' actions are decided and applied one after another, exactly as the same calls
one by one at that instant would be — the same ``prepare``, the same decide function, the
same ``apply`` — but in one transaction: the instant is read once, the time-driven work
due by it is done once, what acting in the past reaches is decided once for all the units,
and the journal takes the whole batch in one commit. All or nothing: a refusal of any
unit's action leaves the campaign as it was and names the unit.

It is what importers of a day's paper records and simulations use for reviews, returns,
waivers, findings and their rectifications; ``submit_many`` stays the faster path for one
template step submitted by many units (its batch is one journal record).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from zyw_flow._errors import TransitionRefused
from zyw_flow._time import At
from zyw_flow.runtime._bulk import actors_of
from zyw_flow.runtime._codec import expand
from zyw_flow.runtime._core import LazyEvents
from zyw_flow.runtime._decide import (
    check_rectification,
    decide_finding,
    decide_gate,
    decide_step_action,
    prepare,
)
from zyw_flow.runtime._events import DomainEvent, FindingRecorded, StepAction
from zyw_flow.runtime._records import Event
from zyw_flow.runtime._state import State

if TYPE_CHECKING:  # pragma: no cover
    from zyw_flow.runtime._campaign import Campaign

__all__ = ["MANY_VERBS", "ActionEvents", "act_many"]

#: the verbs :meth:`Campaign.act_many` takes, with the optional fields of each
MANY_VERBS: Mapping[str, tuple[str, ...]] = {
    "submit": ("evidence",),
    "accept": ("note",),
    "verify": (),
    "return": ("reason",),
    "waive": ("reason",),
    "finding": ("source", "description", "days"),
}
_ACTION = {"verify": "accept"}


def _fields(verb: str, fields: Mapping[str, Any]) -> dict[str, Any]:
    allowed = MANY_VERBS.get(verb) if isinstance(verb, str) else None
    if allowed is None:
        raise TransitionRefused(
            f"act_many takes the verbs {', '.join(MANY_VERBS)}, not {verb!r}", event=str(verb)
        )
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise TransitionRefused(
            f"{verb} takes {', '.join(allowed) or 'no fields'}; not {', '.join(unknown)}",
            event=verb,
        )
    if verb == "return" and not fields.get("reason"):
        raise TransitionRefused("a return needs a reason", event=verb)
    return {k: v for k, v in fields.items() if v is not None}


def _per_unit(value: Any, units: list[str], name: str, verb: str) -> list[Any]:
    """One value for every unit, or a mapping unit → value covering them all."""
    if not isinstance(value, Mapping):
        return [value] * len(units)
    missing = [u for u in units if u not in value]
    if missing:
        raise TransitionRefused(
            f"the {name} mapping names no {name} for {', '.join(map(repr, missing[:3]))}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""),
            unit=str(missing[0]), event=verb,
        )  # fmt: skip
    return [value[u] for u in units]


def act_many(
    campaign: Campaign,
    verb: str,
    units: Iterable[str],
    step: str | Mapping[str, str] | None,
    actor: str | Mapping[str, str] | Sequence[str],
    at: At | None,
    fields: Mapping[str, Any],
) -> ActionEvents:
    """Implements :meth:`Campaign.act_many`."""
    payload = _fields(verb, fields)
    if isinstance(units, str):
        raise TransitionRefused(
            f"units must be a list of unit ids, not the text {units!r} (a list of one: "
            f"[{units!r}])", event=verb,
        )  # fmt: skip
    ids = list(units)
    if not ids:
        return ActionEvents(campaign._state, [])
    if verb == "finding":
        if step is not None:
            raise TransitionRefused("a finding opens its own step; give no step", event=verb)
        steps: list[Any] = [None] * len(ids)
    else:
        if step is None:
            raise TransitionRefused(f"{verb} needs the step (one id, or one per unit)", event=verb)
        steps = _per_unit(step, ids, "step", verb)
        if verb == "verify":
            for uid, sid in zip(ids, steps, strict=True):
                check_rectification(campaign._state, uid, sid, verb)
    if isinstance(actor, (Mapping, str)):
        actors = _per_unit(actor, ids, "actor", verb)
    else:
        actors = actors_of(ids, actor, verb)
    action = _ACTION.get(verb, verb)
    with campaign._bulk():
        first = campaign._begin()
        state = campaign._state
        try:
            at_us = campaign._at(at)
            decide = _decider(state, action, payload)
            heads: list[tuple[DomainEvent, int]] = []
            touched: list[int] = []
            earliest = at_us
            for uid, sid, who in zip(ids, steps, actors, strict=True):
                u, at_u, _dup, _fp = prepare(
                    state, action, uid, sid, who, at_us, at is not None, None, payload
                )
                if state.schedule and state.schedule[0][0] <= at_u:
                    campaign._advance(at_u)
                events = decide(u, at_u, who, sid)
                head = events[0]
                heads.append((head, state.eseq + 1))
                campaign._write_all(events)
                if isinstance(head, StepAction) and state.completion:
                    s = head.step
                    if state.status[s][state.slot(s, u)] >= 5:
                        campaign._write_all(decide_gate(state, u, s, at_u))
                touched.append(u)
                earliest = min(earliest, at_u)
            if state.schedule and state.schedule[0][0] <= state.now:
                campaign._advance(state.now)  # e.g. a finding due at once
            if earliest < state.now:  # acted in the past: what the units reached since
                campaign._replay_schedule(sorted(set(touched)), earliest)
        except BaseException:
            campaign._abort()
            raise
        campaign._commit(first)
    return ActionEvents(state, heads)


def _decider(
    state: State, action: str, payload: Mapping[str, Any]
) -> Callable[[int, int, str, str | None], list[DomainEvent]]:
    if action == "finding":
        source = payload.get("source", "inspection")
        description = payload.get("description", "")
        days = payload.get("days")

        def finding(u: int, at: int, actor: str, _step: str | None) -> list[DomainEvent]:
            return decide_finding(state, u, at, actor, source, description, days, None, None)

        return finding
    data = dict(payload) or None

    def step_action(u: int, at: int, actor: str, step: str | None) -> list[DomainEvent]:
        assert step is not None
        return decide_step_action(state, action, u, step, actor, at, data, None, None)

    return step_action


class ActionEvents(LazyEvents):
    """What :meth:`Campaign.act_many` returns: the batch's own events, one per unit in the
    order given, numbered as recorded and built only when read; :attr:`steps` gives each
    event's step without building the events (the new rectification steps of findings)."""

    def __init__(self, state: State, heads: list[tuple[DomainEvent, int]]) -> None:
        self._state = state
        self._heads = heads

    def _build(self) -> list[Event]:
        return [expand(self._state, e, seq)[0] for e, seq in self._heads]

    def __len__(self) -> int:
        return len(self._heads)

    @property
    def steps(self) -> list[str | None]:
        """The step of each unit's event (``None`` for an event without one)."""
        defs = self._state.defs
        out: list[str | None] = []
        for e, _seq in self._heads:
            if isinstance(e, FindingRecorded):
                out.append(e.finding)
            else:
                s = getattr(e, "step", None)
                out.append(None if s is None else defs[s].id)
        return out
