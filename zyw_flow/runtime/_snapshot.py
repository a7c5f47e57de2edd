"""The snapshot codec: a campaign's state as versioned, compressed JSON (never pickle).

A snapshot is a cache of the journal up to one row: restoring it and applying the rows
after it gives the state a full replay gives. Each format version has a reader; an older
format is brought up to date by the migration table, or dropped (``None``) so that the
campaign replays from the journal instead.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import sys
import zlib
from array import array
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from zyw_flow._errors import JournalCorrupted
from zyw_flow.compile import CompiledCampaign
from zyw_flow.evaluation import Case, Deduction, ScoreInput
from zyw_flow.runtime._proc_state import ProcState
from zyw_flow.runtime._records import Actor
from zyw_flow.runtime._state import State, StepDef
from zyw_flow.runtime._surveys import survey_from_row, survey_row

__all__ = ["FORMAT", "MIGRATIONS", "dump", "load"]

FORMAT = 5


def _from_2(data: dict[str, Any]) -> dict[str, Any]:
    """Format 2 had no workflow state (deadlines of one's own, extensions, groups …)."""
    return {**data, "format": 3}


def _from_3(data: dict[str, Any]) -> dict[str, Any] | None:
    """Format 3 did not schedule a case's investigation deadline (warning lights, overdue,
    escalation): a snapshot holding a case still under investigation is replayed (the
    journal's ``case_opened`` rows schedule them); any other is the same in format 4."""
    cases = (data.get("procedures") or {}).get("cases", ())
    if any(c.get("status") == "investigating" for c in cases):
        return None
    return {**data, "format": 4}


def _from_4(data: dict[str, Any]) -> dict[str, Any] | None:
    """Format 4 did not keep where a complaint's follow-up sanctions stand among the unit's
    sanctions (to leave a voided one out): a snapshot holding such a sanction is replayed;
    any other is the same in format 5."""
    complaints = (data.get("procedures") or {}).get("complaints", ())
    if any(c.get("sanctions") for c in complaints):
        return None
    return {**data, "format": 5}


#: format → a function bringing a snapshot of that format to the next (or answering
#: ``None`` for one that must be replayed), or ``None``: that format cannot be migrated
#: (the campaign replays from the journal).
MIGRATIONS: Mapping[int, Callable[[dict[str, Any]], dict[str, Any] | None] | None] = {
    1: None,  # zyw_flow 0.1: another state layout, dropped by the journal's schema 3
    2: _from_2,
    3: _from_3,
    4: _from_4,
}

_ARRAYS = ("parent", "enrolled", "last", "uphase")
_BYTES = ("kind",)
_COLUMNS = ("status", "esc", "flags")
_PLAIN = ("ids", "names", "eseq", "phase", "now", "push_seq", "rounds")


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def dump(state: State, anchor: tuple[int, str]) -> bytes:
    """The state as compressed JSON, with the journal row and hash it stands for."""
    out: dict[str, Any] = {
        "format": FORMAT,
        "anchor": list(anchor),
        "byteorder": sys.byteorder,
        "template_sha256": state.compiled.resolved.template.sha256,
    }
    for name in _PLAIN:
        out[name] = getattr(state, name)
    for name in _ARRAYS:
        out[name] = _b64(getattr(state, name).tobytes())
    for name in _BYTES:
        out[name] = _b64(bytes(getattr(state, name)))
    for name in _COLUMNS:
        out[name] = [_b64(bytes(col)) for col in getattr(state, name)]
    out["completed"] = [sorted(d.items()) for d in state.completed]
    out["findings"] = [list(attrs.astuple(d, recurse=False)) for d in state.defs[state.n :]]
    out["sanctions"] = [[u, records] for u, records in state.sanctions.items()]
    out["actors"] = [
        [a.id, sorted(a.roles), a.unit, a.name, a.scope,
         None if a.revoked_at is None else a.revoked_at.isoformat()]
        for a in state.actors.values()
    ]  # fmt: skip
    out["deadlines"] = [
        [s, j, due, list(esc), list(warn)]
        for s, cells in enumerate(state.deadlines)
        for j, (due, esc, warn) in cells.items()
    ]
    out["extensions"] = [[s, j, requests] for (s, j), requests in state.extensions.items()]
    out["triggers"] = [[u, t, at] for (u, t), at in state.triggers.items()]
    out["groups"] = {g: sorted(units) for g, units in state.groups.items()}
    out["predicates"] = {p: sorted(units) for p, units in state.predicates.items()}
    out["children"] = _b64(state.children.tobytes())
    out["restricted"] = [s for s, r in enumerate(state.restricted) if r]
    out["voided"] = sorted(state.voided)
    out["void_deductions"] = sorted(state.void_deductions)
    out["void_cases"] = sorted(state.void_cases)
    out["delegations"] = [list(d) for d in state.delegations]
    out["keys"] = [[k, fp, seq] for k, (fp, seq) in state.keys.items()]
    out["schedule"] = [list(item) for item in state.schedule]
    out["scores"] = [
        [i.unit, i.indicator, str(i.value), i.period, i.rater_group, i.rater]
        for i in state.scores.values()
    ]
    out["deductions"] = [[d.unit, d.item, str(d.points), d.description] for d in state.deductions]
    out["cases"] = [[c.unit, c.kind, c.item, c.person, c.description] for c in state.cases]
    out["surveys"] = [survey_row(r) for rows in state.surveys.values() for r in rows]
    out["grades"] = [[u, s, g] for u, (s, g) in state.grades.items()]
    out["key_units"] = sorted(state.key_units)
    out["ineligible"] = sorted(state.ineligible)
    out["key_supervision"] = sorted(state.key_supervision)
    out["procedures"] = state.proc.dump()
    return zlib.compress(json.dumps(out, ensure_ascii=False).encode("utf-8"), 1)


def load(compiled: CompiledCampaign, blob: bytes) -> tuple[State, tuple[int, str]] | None:
    """The state a snapshot holds and its anchor (journal row and hash), or ``None`` for a
    format that must be replayed instead.

    Raises:
        JournalCorrupted: unreadable, of another template or byte order.
    """
    try:
        data = json.loads(zlib.decompress(blob))
    except (zlib.error, ValueError) as exc:
        raise JournalCorrupted(f"the snapshot cannot be read: {exc}") from None
    version = data.get("format")
    while version != FORMAT:
        step = MIGRATIONS.get(version) if isinstance(version, int) else None
        if step is None:
            if isinstance(version, int) and version in MIGRATIONS:
                return None
            raise JournalCorrupted(f"the snapshot has an unknown format {version!r}")
        migrated = step(data)
        if migrated is None:
            return None
        data = migrated
        version = data.get("format")
    if data.get("byteorder") != sys.byteorder:
        raise JournalCorrupted("the snapshot was written in another byte order")
    if data.get("template_sha256") != compiled.resolved.template.sha256:
        raise JournalCorrupted("the snapshot was taken of another template")
    try:
        return _restore(compiled, data), (int(data["anchor"][0]), str(data["anchor"][1]))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise JournalCorrupted(f"the snapshot cannot be read: {exc!r}") from None


def _restore(compiled: CompiledCampaign, data: Mapping[str, Any]) -> State:
    state = State(compiled)
    for name in _PLAIN:
        setattr(state, name, data[name])
    for name in _ARRAYS:
        arr = array(getattr(state, name).typecode)
        arr.frombytes(base64.b64decode(data[name]))
        setattr(state, name, arr)
    for name in _BYTES:
        setattr(state, name, bytearray(base64.b64decode(data[name])))
    for name in _COLUMNS:
        setattr(state, name, [bytearray(base64.b64decode(col)) for col in data[name]])
    state.index = {uid: i for i, uid in enumerate(state.ids)}
    state.completed = [{int(j): int(at) for j, at in items} for items in data["completed"]]
    for row in data["findings"]:
        d = StepDef(
            str(row[0]), str(row[1]), int(row[2]), int(row[3]), int(row[4]), tuple(row[5]),
            tuple(row[6]), tuple(row[7]), tuple(row[8]), int(row[9]), int(row[10]),
            str(row[11]), str(row[12]), tuple(row[13]) if len(row) > 13 else (),
        )  # fmt: skip
        state.step_index[d.id] = len(state.defs)
        state.unit_findings.setdefault(d.owner, []).append(len(state.defs))
        state.defs.append(d)
        state.deadlines.append({})
        state.restricted.append(False)
    state.sanctions = {int(u): list(records) for u, records in data["sanctions"]}
    state.actors = {
        a[0]: Actor(
            a[0], frozenset(a[1]), a[2], a[3], a[4] if len(a) > 4 else None,
            None if len(a) < 6 or a[5] is None else dt.datetime.fromisoformat(a[5]),
        )
        for a in data["actors"]
    }  # fmt: skip
    for s, j, due, esc, warn in data.get("deadlines", ()):
        state.deadlines[s][j] = (int(due), tuple(esc), tuple(warn))
        u = j if s < state.n else state.defs[s].owner
        state.unit_deadlines.setdefault(u, set()).add(s)
    state.extensions = {(int(s), int(j)): list(r) for s, j, r in data.get("extensions", ())}
    state.triggers = {(int(u), str(t)): int(at) for u, t, at in data.get("triggers", ())}
    state.groups = {g: set(units) for g, units in data.get("groups", {}).items()}
    state.predicates = {p: set(units) for p, units in data.get("predicates", {}).items()}
    if "children" in data:
        state.children = array("i")
        state.children.frombytes(base64.b64decode(data["children"]))
    for s in data.get("restricted", ()):
        state.restricted[s] = True
    state.voided = set(data.get("voided", ()))
    state.void_deductions = set(data.get("void_deductions", ()))
    state.void_cases = set(data.get("void_cases", ()))
    state.delegations = [(a, b, int(c), int(d)) for a, b, c, d in data.get("delegations", ())]
    state.keys = {k: (fp, int(seq)) for k, fp, seq in data["keys"]}
    state.schedule = [tuple(item) for item in data["schedule"]]
    state.scores = {
        (u, ind, period, group, rater): ScoreInput(u, ind, Decimal(v), period, group, rater)
        for u, ind, v, period, group, rater in data["scores"]
    }
    state.deductions = [Deduction(u, i, Decimal(p), d) for u, i, p, d in data["deductions"]]
    state.cases = [Case(u, k, i, p, d) for u, k, i, p, d in data["cases"]]
    for row in data.get("surveys", ()):
        entry = survey_from_row(row)
        state.surveys.setdefault(entry.unit, []).append(entry)
    state.grades = {u: (s, g) for u, s, g in data["grades"]}
    state.key_units = set(data["key_units"])
    state.ineligible = set(data["ineligible"])
    state.key_supervision = set(data.get("key_supervision", ()))
    state.proc = ProcState.load(data.get("procedures"))
    return state
