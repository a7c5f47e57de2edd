"""The one codec between typed events, journal records and the public :class:`Event`.

A journal record is ``(kind, type, at_us, unit, step, actor, data, key, fingerprint, n)``
with ``data`` a JSON-ready mapping and ``n`` the number of public events it stands for.
A single-unit event is stored as its public form (unit and step ids, the public data), so a
row written by zyw_flow 0.1 decodes as it always did; a batch over many units stores the
unit indices as ranges (``[[first, stop), …]``) in ``data.units``, and is split into
records of at most :data:`CHUNK` units.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import attrs

from zyw_flow._errors import JournalCorrupted
from zyw_flow._time import format_us, to_us
from zyw_flow.runtime._events import (
    ActorAdded,
    ActorRevoked,
    CaseRecorded,
    ClockMoved,
    ConsequenceAction,
    DeadlineSet,
    DeductionRecorded,
    DelegationGranted,
    DomainEvent,
    EvaluationFinalized,
    EventVoided,
    ExtensionApproved,
    ExtensionRefused,
    ExtensionRequested,
    FindingRecorded,
    GroupAssigned,
    PhaseOpened,
    PhasesEntered,
    RankingAction,
    SanctionIssued,
    ScoreRecorded,
    StepAccepted,
    StepAction,
    StepReturned,
    StepReviewed,
    StepsEscalated,
    StepsOverdue,
    StepsSubmitted,
    StepSubmitted,
    StepsWarned,
    StepTransferred,
    StepWaived,
    SurveyRecorded,
    UnitsEnrolled,
)
from zyw_flow.runtime._proc_events import ProcEvent, decode_fields, encode_fields, is_proc_type
from zyw_flow.runtime._records import Event
from zyw_flow.runtime._state import SYSTEM_ACTOR, State
from zyw_flow.store._journal import Row
from zyw_flow.store._journal import canonical_data as canonical

__all__ = [
    "CHUNK",
    "Record",
    "canonical",
    "decode",
    "encode",
    "expand",
    "expand_unit",
    "ranges",
    "record_of",
    "unranges",
]

CHUNK = 10_000

Record = tuple[
    str,  # kind
    str,  # type
    int,  # at_us
    str | None,  # unit
    str | None,  # step
    str | None,  # actor
    Mapping[str, Any] | None,  # data
    str | None,  # key
    str | None,  # fingerprint
    int,  # n: public events
]


def record_of(row: Row) -> Record:
    """The record a journal row holds."""
    return (row.kind, row.type, row.at_us, row.unit, row.step, row.actor, row.loaded(), row.key,
            row.fingerprint, row.events)  # fmt: skip


def ranges(units: Sequence[int]) -> list[list[int]]:
    """Sorted unit indices as half-open runs: ``(1, 2, 3, 7)`` → ``[[1, 4], [7, 8]]``."""
    out: list[list[int]] = []
    for u in units:
        if out and out[-1][1] == u:
            out[-1][1] = u + 1
        else:
            out.append([u, u + 1])
    return out


def unranges(runs: Any) -> tuple[int, ...]:
    """The inverse of :func:`ranges` (checked: the journal is input)."""
    out: list[int] = []
    for run in runs:
        a, b = int(run[0]), int(run[1])
        if b <= a:
            raise JournalCorrupted(f"bad unit range {run!r} in the journal")
        out.extend(range(a, b))
    return tuple(out)


def _chunks(units: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    for i in range(0, len(units), CHUNK):
        yield units[i : i + CHUNK]


# -- public forms ---------------------------------------------------------------------------
def _action_data(e: StepAction) -> dict[str, Any] | None:
    data = dict(e.data) if e.data else {}
    if e.late:
        data["late"] = True
    return data or None


def _level_data(e: StepsEscalated) -> dict[str, Any]:
    return {"level": e.level, "id": e.level_id, "title": e.title}


def _light_data(e: StepsWarned) -> dict[str, Any]:
    return {"level": e.level_id, "index": e.level, "title": e.title}


def _flow_data(state: State, e: DomainEvent) -> dict[str, Any]:
    """The public data of a workflow command (instants as local ISO text)."""
    z = state.zone
    extra = dict(getattr(e, "data", None) or {})
    if isinstance(e, ExtensionRequested):
        return {"until": format_us(e.until, z), "reason": e.reason, **extra}
    if isinstance(e, ExtensionApproved):
        return {"until": format_us(e.until, z), "stage": e.stage, "final": e.final, **extra}
    if isinstance(e, ExtensionRefused):
        return {"reason": e.reason, **extra} if e.reason is not None else extra
    if isinstance(e, DeadlineSet):
        return {"until": format_us(e.until, z), "reason": e.reason, **extra}
    if isinstance(e, StepTransferred):
        out = {"to": state.ids[e.to], "reason": e.reason, **extra}
        if e.until is not None:
            out["until"] = format_us(e.until, z)
        return out
    if isinstance(e, StepReviewed):
        return {"tier": 1, **extra}
    if isinstance(e, EventVoided):
        return {"target": e.target, "target_type": e.target_type, "reason": e.reason, **extra}
    raise TypeError(type(e).__name__)  # pragma: no cover


def _flow_private(e: DomainEvent) -> dict[str, Any]:
    """What a workflow record keeps beyond its public data, so replay never recomputes."""
    out: dict[str, Any] = {}
    for name in ("escalations", "warnings"):
        value = getattr(e, name, None)
        if value:
            out[f"_{name}"] = list(value)
    if isinstance(e, EventVoided):
        if e.cell is not None:
            out["_cell"] = list(e.cell)
        if e.restore:
            out["_restore"] = dict(e.restore)
        out["_since"] = e.since
    return out


_FLOW = (
    ExtensionRequested,
    ExtensionApproved,
    ExtensionRefused,
    DeadlineSet,
    StepTransferred,
    StepReviewed,
)


def _sanction_data(
    sanction: str, title: str | None, level: int | None, person: str | None, reason: str | None
) -> dict[str, Any]:
    record = {"sanction": sanction, "title": title, "level": level, "person": person}
    record["reason"] = reason
    return {k: v for k, v in record.items() if v is not None}


def _finding_data(state: State, e: FindingRecorded) -> dict[str, Any]:
    data = {"source": e.source, "description": e.description, **(e.data or {})}
    data["days"] = e.days
    data["due"] = format_us(e.due, state.zone)
    if e.day_unit != "working_days":
        data["day_unit"] = e.day_unit
    return data


def expand_unit(state: State, e: DomainEvent, first: int, unit: str) -> list[Event]:
    """The public events of ``unit`` that ``e`` (numbered from ``first``) stands for,
    without building those of the batch's other units."""
    if isinstance(e, UnitsEnrolled):
        if unit not in e.ids:
            return []
        i = e.ids.index(unit)
        one = UnitsEnrolled(e.at, (unit,), (e.name_of(i),), (e.parent_of(i),), (e.kind_of(i),))
        return expand(state, one, first + i)
    if isinstance(e, GroupAssigned):  # one event naming several units
        return expand(state, e, first) if state.index.get(unit, -1) in e.units else []
    units = getattr(e, "units", None)
    if units is None:
        return [x for x in expand(state, e, first) if x.unit == unit]
    u = state.index.get(unit, -1)
    out: list[Event] = []
    per = e.count() // len(units) if units else 1
    for i in (i for i, v in enumerate(units) if v == u):
        if isinstance(e, StepsSubmitted):
            late = (0,) if i in e.late else ()
            part: DomainEvent = attrs.evolve(e, units=(u,), actors=(e.actor_of(i),), late=late)
        else:
            part = attrs.evolve(e, units=(u,))  # type: ignore[call-arg]
        out.extend(expand(state, part, first + i * per))
    return out


def expand(state: State, e: DomainEvent, first: int) -> list[Event]:
    """The public events ``e`` stands for, numbered from ``first``."""
    if e.KIND != "event":
        return []
    z = state.zone
    ids = state.ids
    if isinstance(e, StepAction):
        return [
            Event(first, e.TYPE, e.at, ids[e.unit], state.defs[e.step].id, e.actor,
                  _action_data(e), e.key, z)
        ]  # fmt: skip
    if isinstance(e, StepsOverdue):
        step = state.defs[e.step].id
        return [Event(first + i, e.TYPE, e.at, ids[u], step, zone=z) for i, u in enumerate(e.units)]
    if isinstance(e, StepsWarned):
        step = state.defs[e.step].id
        light = _light_data(e)
        return [
            Event(first + i, e.TYPE, e.at, ids[u], step, None, light, zone=z)
            for i, u in enumerate(e.units)
        ]
    if isinstance(e, StepsSubmitted):
        step = state.defs[e.step].id
        late = set(e.late)
        done: list[Event] = []
        for i, u in enumerate(e.units):
            who = e.actor_of(i)
            data: dict[str, Any] | None = {"late": True} if i in late else None
            done.append(Event(first + len(done), e.TYPE, e.at, ids[u], step, who, data, zone=z))
            if e.auto:
                done.append(Event(first + len(done), "step_accepted", e.at, ids[u], step, who,
                                  {"auto": True}, zone=z))  # fmt: skip
        return done
    if isinstance(e, StepsEscalated):
        step = state.defs[e.step].id
        level = _level_data(e)
        out: list[Event] = []
        for u in e.units:
            out.append(Event(first + len(out), e.TYPE, e.at, ids[u], step, None, level, zone=z))
            if e.sanction is not None:
                data = _sanction_data(e.sanction, e.sanction_title, e.sanction_level, None, e.title)
                out.append(
                    Event(first + len(out), "sanction_issued", e.at, ids[u], None, SYSTEM_ACTOR,
                          data, zone=z)
                )  # fmt: skip
        return out
    if isinstance(e, UnitsEnrolled):
        return [
            Event(first + i, e.TYPE, e.at, uid, None, None,
                  {"name": e.name_of(i), "parent": e.parent_of(i), "kind": e.kind_of(i)}, zone=z)
            for i, uid in enumerate(e.ids)
        ]  # fmt: skip
    if isinstance(e, PhasesEntered):
        data = {"phase": state.compiled.phase_ids[e.phase]}
        return [
            Event(first + i, e.TYPE, e.at, ids[u], None, None, data, zone=z)
            for i, u in enumerate(e.units)
        ]
    one = _single(state, e)
    return [Event(first, e.TYPE, e.at, one[0], one[1], one[2], one[3], one[4], z)]


def _single(
    state: State, e: DomainEvent
) -> tuple[str | None, str | None, str | None, Mapping[str, Any] | None, str | None, str | None]:
    """unit, step, actor, public data, key, fingerprint of a one-event record."""
    ids = state.ids
    if isinstance(e, PhaseOpened):
        return None, None, None, {"phase": state.compiled.phase_ids[e.phase]}, None, None
    if isinstance(e, FindingRecorded):
        data = _finding_data(state, e)
        return ids[e.unit], e.finding, e.actor, data, e.key, e.fingerprint
    if isinstance(e, _FLOW):
        data = _flow_data(state, e)
        return ids[e.unit], state.defs[e.step].id, e.actor, data, e.key, e.fingerprint
    if isinstance(e, EventVoided):
        step = state.defs[e.step].id if e.step >= 0 else None
        return ids[e.unit], step, e.actor, _flow_data(state, e), e.key, e.fingerprint
    if isinstance(e, GroupAssigned):
        data = {"group": e.group, "units": [ids[u] for u in e.units]}
        if e.remove:
            data["remove"] = True
        return None, None, e.actor, data, None, None
    if isinstance(e, SanctionIssued):
        data = _sanction_data(e.sanction, e.title, e.level, e.person, e.reason)
        return ids[e.unit], None, e.actor, data, e.key, e.fingerprint
    if isinstance(e, (ScoreRecorded, DeductionRecorded, CaseRecorded, SurveyRecorded)):
        return ids[e.unit], None, e.actor, e.data, e.key, e.fingerprint
    if isinstance(e, EvaluationFinalized):
        return None, None, e.actor, e.data, e.key, e.fingerprint
    if isinstance(e, (RankingAction, ConsequenceAction)):
        return ids[e.unit], None, SYSTEM_ACTOR, e.data, None, None
    if isinstance(e, ProcEvent):  # complaints and accountability cases
        step, public = encode_fields(e, ids, state.zone, public=True)
        return ids[e.unit], step, e.actor, public or None, e.key, e.fingerprint
    raise TypeError(f"not a one-event record: {type(e).__name__}")  # pragma: no cover


# -- journal records --------------------------------------------------------------------------
def encode(state: State, e: DomainEvent) -> list[Record]:
    """The journal records of an event (several for a batch over more than CHUNK units).

    ``state`` is the state the event applies to (before or after: ids never change)."""
    ids = state.ids
    if isinstance(e, ActorAdded):
        data = {"roles": list(e.roles), "name": e.name}
        if e.scope is not None:
            data["scope"] = e.scope
        return [("actor", e.TYPE, e.at, e.unit, None, e.actor, data, None, None, 0)]
    if isinstance(e, ActorRevoked):
        revoked = {"reason": e.reason} if e.reason is not None else None
        return [("actor", e.TYPE, e.at, None, None, e.actor, revoked, None, None, 0)]
    if isinstance(e, DelegationGranted):
        window = {"principal": e.principal, "start": e.start, "end": e.end}
        return [("actor", e.TYPE, e.at, None, None, e.delegate, window, None, None, 0)]
    if isinstance(e, ClockMoved):
        return [("clock", e.TYPE, e.at, None, None, None, None, None, None, 0)]
    if isinstance(e, StepAction):
        step = state.defs[e.step].id
        return [
            ("event", e.TYPE, e.at, ids[e.unit], step, e.actor, _action_data(e), e.key,
             e.fingerprint, 1)
        ]  # fmt: skip
    if isinstance(e, UnitsEnrolled):
        if len(e.ids) == 1:
            one: dict[str, Any] = {
                "name": e.name_of(0),
                "parent": e.parent_of(0),
                "kind": e.kind_of(0),
            }
            if e.predicates:
                one["predicates"] = sorted(k for k, v in e.predicates.items() if v)
            return [("event", e.TYPE, e.at, e.ids[0], None, None, one, None, None, 1)]
        out: list[Record] = []
        for i in range(0, len(e.ids), CHUNK):
            part = slice(i, i + CHUNK)
            batch: dict[str, Any] = {"ids": list(e.ids[part])}
            if any(e.names[part]):
                batch["names"] = list(e.names[part])
            if any(e.parents[part]):
                batch["parents"] = list(e.parents[part])
            if any(k != "unit" for k in e.kinds[part]):
                batch["kinds"] = list(e.kinds[part])  # (empty columns slice to nothing)
            held = {
                name: [p - i for p in positions if i <= p < i + CHUNK]
                for name, positions in e.predicates.items()
            }
            if any(held.values()):
                batch["predicates"] = {k: v for k, v in held.items() if v}
            out.append(("event", e.TYPE, e.at, None, None, None, batch, None, None,
                        len(batch["ids"])))  # fmt: skip
        return out
    if isinstance(e, StepsSubmitted):
        return _encode_submissions(state, e)
    if isinstance(e, (StepsOverdue, PhasesEntered, StepsEscalated, StepsWarned)):
        return _encode_batch(state, e)
    uid, sid, who, public, key, fp = _single(state, e)
    if isinstance(e, FindingRecorded):
        public = {**(public or {}), "_escalations": list(e.escalations)}
        if e.warnings:
            public["_warnings"] = list(e.warnings)
    elif isinstance(e, (*_FLOW, EventVoided)):
        public = {**(public or {}), **_flow_private(e)}
    elif isinstance(e, ProcEvent):  # the journal keeps private fields the public form omits
        public = encode_fields(e, ids, state.zone, public=False)[1] or None
    return [("event", e.TYPE, e.at, uid, sid, who, public, key, fp, 1)]


def _encode_batch(
    state: State, e: StepsOverdue | PhasesEntered | StepsEscalated | StepsWarned
) -> list[Record]:
    base: dict[str, Any]
    step: str | None
    if isinstance(e, PhasesEntered):
        base, step = {"phase": state.compiled.phase_ids[e.phase]}, None
    else:
        step = state.defs[e.step].id
        base = {}
        if isinstance(e, StepsWarned):
            base = _light_data(e)
        if isinstance(e, StepsEscalated):
            base = _level_data(e)
            if e.sanction is not None:
                base["sanction"] = {
                    "id": e.sanction,
                    "title": e.sanction_title,
                    "level": e.sanction_level,
                }
    per = 2 if isinstance(e, StepsEscalated) and e.sanction is not None else 1
    out: list[Record] = []
    for part in _chunks(e.units):
        if len(part) == 1:
            out.append(
                ("event", e.TYPE, e.at, state.ids[part[0]], step, None, base or None, None, None,
                 per)
            )  # fmt: skip
        else:
            data = {**base, "units": ranges(part)}
            out.append(("event", e.TYPE, e.at, None, step, None, data, None, None,
                        per * len(part)))  # fmt: skip
    return out


def _encode_submissions(state: State, e: StepsSubmitted) -> list[Record]:
    """A bulk submission: the unit indices as ranges, one actor or one per unit, the
    positions of late ones; always a batch row (``unit`` empty), chunked."""
    step = state.defs[e.step].id
    per = 2 if e.auto else 1
    out: list[Record] = []
    late = set(e.late)
    for start in range(0, len(e.units), CHUNK):
        part = e.units[start : start + CHUNK]
        data: dict[str, Any] = {"units": ranges(part)}
        if len(e.actors) == 1:
            data["actor"] = e.actors[0]
        else:
            data["actors"] = list(e.actors[start : start + CHUNK])
        lates = [i - start for i in range(start, start + len(part)) if i in late]
        if lates:
            data["late"] = lates
        if e.auto:
            data["auto"] = True
        out.append(("event", e.TYPE, e.at, None, step, None, data, None, None, per * len(part)))
    return out


def _unit(state: State, uid: str | None, where: str) -> int:
    try:
        return state.index[uid]  # type: ignore[index]
    except KeyError:
        raise JournalCorrupted(f"{where}: unknown unit {uid!r}") from None


def _step(state: State, sid: str | None, where: str) -> int:
    try:
        return state.step_index[sid]  # type: ignore[index]
    except KeyError:
        raise JournalCorrupted(f"{where}: unknown step {sid!r}") from None


def _units(state: State, unit: str | None, data: Mapping[str, Any], where: str) -> tuple[int, ...]:
    if unit is not None:
        return (_unit(state, unit, where),)
    units = unranges(data.get("units", ()))
    if units and (units[0] < 0 or units[-1] >= len(state.ids)):
        raise JournalCorrupted(f"{where}: unit index out of range")
    return units


_ACTIONS: dict[str, type[StepAction]] = {
    c.TYPE: c for c in (StepSubmitted, StepAccepted, StepReturned, StepWaived)
}


def decode(
    state: State, record: Record, where: str = "journal", *, check: bool = True
) -> DomainEvent:
    """The typed event of a journal record. With ``check`` (replay) the record must apply
    next to ``state``; without (reading history back) it may be any earlier record.

    Raises:
        JournalCorrupted: the record does not make sense in this campaign.
    """
    kind, type_, at, unit, step, actor, data_or_none, key, fp, _ = record
    data: Mapping[str, Any] = data_or_none or {}
    try:
        return _decode(state, kind, type_, at, unit, step, actor, data, key, fp, where, check)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise JournalCorrupted(f"{where}: cannot read a {type_!r} record: {exc}") from None


def _decode(
    state: State,
    kind: str,
    type_: str,
    at: int,
    unit: str | None,
    step: str | None,
    actor: str | None,
    data: Mapping[str, Any],
    key: str | None,
    fp: str | None,
    where: str,
    check: bool,
) -> DomainEvent:
    if kind == "actor":
        assert actor is not None
        if type_ == "actor_revoked":
            return ActorRevoked(at, actor, data.get("reason"))
        if type_ == "delegation_granted":
            return DelegationGranted(
                at, str(data["principal"]), actor, int(data["start"]), int(data["end"])
            )
        return ActorAdded(
            at, actor, tuple(data.get("roles", ())), unit, data.get("name"), data.get("scope")
        )
    if kind == "clock":
        return ClockMoved(at)
    if type_ == "step_submitted" and unit is None:  # the bulk path's batch
        units = _units(state, None, data, where)
        actors = (str(data["actor"]),) if "actor" in data else tuple(map(str, data["actors"]))
        if len(actors) not in (1, len(units)):
            raise JournalCorrupted(f"{where}: {len(actors)} actors for {len(units)} units")
        late = tuple(int(i) for i in data.get("late", ()))
        return StepsSubmitted(
            at, _step(state, step, where), units, actors, late, bool(data.get("auto"))
        )
    if type_ in _ACTIONS:
        payload = {k: v for k, v in data.items() if k != "late"}
        return _ACTIONS[type_](
            at, _unit(state, unit, where), _step(state, step, where), str(actor),
            payload or None, key, fp, bool(data.get("late")),
        )  # fmt: skip
    if type_ == "enrolled":
        if unit is not None:
            held = {str(name): (0,) for name in data.get("predicates", ())}
            return UnitsEnrolled(
                at, (unit,), (data.get("name"),), (data.get("parent"),),
                (data.get("kind", "unit"),), held,
            )  # fmt: skip
        ids = tuple(str(i) for i in data["ids"])
        columns = [tuple(data.get(name, ())) for name in ("names", "parents", "kinds")]
        if any(col and len(col) != len(ids) for col in columns):
            raise JournalCorrupted(f"{where}: enrolment columns of different lengths")
        preds = {
            str(k): tuple(int(p) for p in v) for k, v in (data.get("predicates") or {}).items()
        }
        return UnitsEnrolled(at, ids, columns[0], columns[1], columns[2], preds)
    if type_ == "phase_opened":
        return PhaseOpened(at, state.compiled.phase_ids.index(data["phase"]))
    if type_ == "phase_entered":
        phase = state.compiled.phase_ids.index(data["phase"])
        return PhasesEntered(at, phase, _units(state, unit, data, where))
    if type_ == "step_overdue":
        return StepsOverdue(at, _step(state, step, where), _units(state, unit, data, where))
    if type_ == "step_warned":
        return StepsWarned(
            at, _step(state, step, where), int(data["index"]), str(data["level"]),
            str(data["title"]), _units(state, unit, data, where),
        )  # fmt: skip
    if type_ in _FLOW_TYPES or type_ == "event_voided":
        return _decode_flow(state, type_, at, unit, step, actor, data, key, fp, where)
    if type_ == "group_assigned":
        return GroupAssigned(
            at, str(data["group"]), tuple(_unit(state, x, where) for x in data["units"]),
            str(actor), bool(data.get("remove")),
        )  # fmt: skip
    if type_ == "step_escalated":
        sanction = data.get("sanction")
        return StepsEscalated(
            at,
            _step(state, step, where),
            int(data["level"]),
            str(data["id"]),
            str(data["title"]),
            None if sanction is None else str(sanction["id"]),
            None if sanction is None else sanction.get("title"),
            None if sanction is None else sanction.get("level"),
            _units(state, unit, data, where),
        )
    if type_ == "finding_recorded":
        return _decode_finding(state, at, unit, step, actor, data, key, fp, where, check)
    if type_ == "sanction_issued":
        return SanctionIssued(
            at, _unit(state, unit, where), str(data["sanction"]), data.get("title"),
            data.get("level"), str(actor), data.get("person"), data.get("reason"), None, key, fp,
        )  # fmt: skip
    if type_ == "score_recorded":
        return ScoreRecorded(
            at, _unit(state, unit, where), str(actor), str(data["indicator"]),
            str(data["value"]), data.get("period"), data.get("rater_group"), data.get("rater"),
            dict(data), key, fp,
        )  # fmt: skip
    if type_ == "deduction_recorded":
        return DeductionRecorded(
            at, _unit(state, unit, where), str(actor), str(data["item"]), str(data["points"]),
            str(data.get("description", "")), dict(data), key, fp,
        )  # fmt: skip
    if type_ == "case_recorded":
        return CaseRecorded(
            at, _unit(state, unit, where), str(actor), str(data["kind"]), data.get("item"),
            data.get("person"), str(data.get("description", "")), dict(data), key, fp,
        )  # fmt: skip
    if type_ == "evaluation_finalized":
        return EvaluationFinalized(at, str(actor), dict(data), key, fp)
    if type_ == "ranking_action":
        return RankingAction(at, _unit(state, unit, where), dict(data))
    if type_ == "consequence_action":
        return ConsequenceAction(at, _unit(state, unit, where), dict(data))
    if is_proc_type(type_):
        return decode_fields(
            type_, at, _unit(state, unit, where), str(actor), data, key, fp, state.index
        )
    if type_ == "survey_recorded":
        return SurveyRecorded(at, _unit(state, unit, where), str(actor), dict(data), key, fp)
    raise JournalCorrupted(f"{where}: unknown event type {type_!r}")


_FLOW_TYPES = {c.TYPE for c in _FLOW}
_FLOW_KEYS = {"until", "reason", "stage", "final", "to", "tier", "target", "target_type"}


def _decode_flow(
    state: State,
    type_: str,
    at: int,
    unit: str | None,
    step: str | None,
    actor: str | None,
    data: Mapping[str, Any],
    key: str | None,
    fp: str | None,
    where: str,
) -> DomainEvent:
    u = _unit(state, unit, where)
    who = str(actor)
    extra = {k: v for k, v in data.items() if k not in _FLOW_KEYS and not k.startswith("_")}
    payload = extra or None
    esc = tuple(int(x) for x in data.get("_escalations", ()))
    warn = tuple(int(x) for x in data.get("_warnings", ()))

    def instant(name: str) -> int:
        return to_us(dt.datetime.fromisoformat(str(data[name])))

    if type_ == "event_voided":
        s = -1 if step is None else _step(state, step, where)
        cell = data.get("_cell")
        return EventVoided(
            at, u, who, int(data["target"]), str(data["target_type"]), str(data["reason"]), s,
            None if cell is None else (int(cell[0]), int(cell[1]), int(cell[2]), int(cell[3])),
            data.get("_restore"), payload, key, fp, int(data.get("_since", -1)),
        )  # fmt: skip
    s = _step(state, step, where)
    if type_ == "extension_requested":
        return ExtensionRequested(at, u, s, who, instant("until"), str(data["reason"]),
                                  payload, key, fp)  # fmt: skip
    if type_ == "extension_approved":
        return ExtensionApproved(
            at, u, s, who, instant("until"), int(data["stage"]), bool(data["final"]), esc, warn,
            payload, key, fp,
        )  # fmt: skip
    if type_ == "extension_refused":
        return ExtensionRefused(at, u, s, who, data.get("reason"), payload, key, fp)
    if type_ == "deadline_set":
        return DeadlineSet(at, u, s, who, instant("until"), str(data["reason"]), esc, warn,
                           payload, key, fp)  # fmt: skip
    if type_ == "step_transferred":
        until = instant("until") if "until" in data else None
        return StepTransferred(
            at, u, s, who, _unit(state, data["to"], where), str(data["reason"]), until, esc,
            warn, payload, key, fp,
        )  # fmt: skip
    assert type_ == "step_reviewed"
    return StepReviewed(at, u, s, who, payload, key, fp)


def _decode_finding(
    state: State,
    at: int,
    unit: str | None,
    step: str | None,
    actor: str | None,
    data: Mapping[str, Any],
    key: str | None,
    fp: str | None,
    where: str,
    check: bool,
) -> FindingRecorded:
    u = _unit(state, unit, where)
    days = int(data["days"])
    day_unit = str(data.get("day_unit", "working_days"))
    warnings = tuple(int(x) for x in data.get("_warnings", ()))
    if "_escalations" in data:
        due = to_us(dt.datetime.fromisoformat(str(data["due"])))
        escalations = tuple(int(x) for x in data["_escalations"])
    else:  # written by zyw_flow 0.1: the deadline is worked out once, as it was then
        due, escalations = state.compiled.finding_due(at, days)
    payload = {
        k: v
        for k, v in data.items()
        if k
        not in ("source", "description", "days", "due", "day_unit", "_escalations", "_warnings")
    }
    expected = f"finding-{state.findings_count() + 1}"
    if check and step != expected:
        raise JournalCorrupted(f"{where}: finding {step!r} out of order (expected {expected})")
    return FindingRecorded(
        at, u, str(step), str(actor), str(data.get("source", "")),
        str(data.get("description", "")), days, day_unit, due, escalations,
        payload or None, key, fp, warnings,
    )  # fmt: skip
