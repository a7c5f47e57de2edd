"""The campaign runtime: units as compact records driven through the compiled tables.

A unit is a row in parallel arrays, not a ``transitions`` model: one byte of status, one
of escalation level and one of flags per step. Time-driven transitions sit in a heap
keyed by instant, so a tick costs in proportion to what falls due. Every call validates
first and changes state only once it is sure to succeed.
"""

from __future__ import annotations

import base64
import bisect
import contextlib
import csv
import difflib
import functools
import gc
import heapq
import json
import sys
import zlib
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO, TypeVar

import attrs

from zyw_flow._errors import (
    CalendarError,
    DuplicateEventError,
    EnrolmentError,
    JournalCorrupted,
    PermissionRefused,
    StoreError,
    TimeOrderError,
    TransitionRefused,
    UnknownActorError,
    UnknownStepError,
    UnknownUnitError,
)
from zyw_flow._time import NEVER, At, format_us, from_us, parse_at
from zyw_flow.compile import STEP_EVENTS, CompiledCampaign, compile_campaign
from zyw_flow.compile._machine import (
    ACCEPTED,
    FINAL,
    NOT_OPEN,
    OVERDUE,
    PENDING,
    RETURNED,
    STATUS_NAMES,
    SUBMITTED,
    WAIVED,
)
from zyw_flow.evaluation import Case, Deduction, ScoreInput
from zyw_flow.runtime import _evaluation
from zyw_flow.runtime._evaluation import Evaluation
from zyw_flow.runtime._records import (
    Actor,
    Board,
    Event,
    OverdueItem,
    StepStatus,
    UnitStatus,
)
from zyw_flow.store._journal import (
    GENESIS,
    Journal,
    Row,
    VerifyReport,
    campaign_genesis,
    canonical_data,
    chain_hash,
    meta_problem,
    verify_rows,
)

__all__ = ["SYSTEM_ACTOR", "Campaign"]

SYSTEM_ACTOR = "system"
_EV = {name: i for i, name in enumerate(STEP_EVENTS)}
_LATE = 1
_K_PHASE, _K_DUE, _K_ESC, _K_FDUE, _K_FESC = range(5)
_UNIT_SCOPED_ROLES = frozenset({"member"})
_KINDS = ("unit", "person")


@attrs.define(slots=True)
class _Finding:
    id: str
    unit: int
    source: str
    description: str
    recorded_us: int
    due_us: int
    esc_us: tuple[int, ...]
    status: int = PENDING
    esc: int = 0
    late: bool = False
    completed_us: int | None = None


_F = TypeVar("_F", bound=Callable[..., Any])


def _write(fn: _F) -> _F:
    """Run a mutating call as one unit: with a journal, inside one durable transaction.

    The outermost call takes the journal's write lock, first applies rows other processes
    appended, then runs, then appends its rows and commits. If the call is refused it
    wrote nothing; if the commit fails the in-memory state is rebuilt from the journal.
    """

    @functools.wraps(fn)
    def wrapper(self: Campaign, *args: Any, **kwargs: Any) -> Any:
        if self._depth:
            return fn(self, *args, **kwargs)
        self._recent = []
        journal = self._journal
        if journal is None:
            self._depth += 1
            try:
                result = fn(self, *args, **kwargs)
            finally:
                self._depth -= 1
            self._notify(self._recent)
            return result
        journal.begin()
        mark = (self._seq, self._jseq, self._now)
        try:
            self._catch_up_journal()
            mark = (self._seq, self._jseq, self._now)
            self._depth += 1
            try:
                result = fn(self, *args, **kwargs)
            finally:
                self._depth -= 1
            if self._pending:
                journal.append(self._pending)
            journal.commit()
        except BaseException:
            journal.rollback()
            if self._pending or mark != (self._seq, self._jseq, self._now):
                # Something changed in memory that the journal will not have: rebuild.
                self._pending = []
                self._reload()
            raise
        self._pending = []
        self._notify(self._recent)
        return result

    return wrapper  # type: ignore[return-value]


def _bulk(fn: _F) -> _F:
    """A :func:`_write` call that may create an event per unit: the cyclic garbage collector
    is paused meanwhile (the records form no cycles; measured 1.3-2x faster at 10^5-10^6)."""
    inner = _write(fn)

    @functools.wraps(fn)
    def wrapper(self: Campaign, *args: Any, **kwargs: Any) -> Any:
        collecting = gc.isenabled()
        gc.disable()
        try:
            return inner(self, *args, **kwargs)
        finally:
            if collecting:
                gc.enable()

    return wrapper  # type: ignore[return-value]


class Campaign:
    """A running campaign: enrol units, record what people do, let time pass.

    Create one with :meth:`create` (template id or path) or from a
    :class:`~zyw_flow.compile.CompiledCampaign`. The runtime never reads the wall clock:
    every call takes ``at=`` or uses the ``clock`` given at creation.

    Example:
        >>> from zyw_flow import Campaign
        >>> c = Campaign.create("zhiyong-2011")
        >>> _ = c.add_actor("office", roles=["office"])
        >>> _ = c.add_actor("clerk-1", roles=["member"], unit="county-1")
        >>> _ = c.enroll("city", name="市局")
        >>> _ = c.enroll("county-1", name="一分局", parent="city")
        >>> _ = c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-08 10:00")
        >>> _ = c.accept("county-1", "work_plan", actor="office", at="2011-09-09")
        >>> c.unit_status("county-1").steps["work_plan"].status
        'accepted'
    """

    def __init__(
        self,
        compiled: CompiledCampaign,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.compiled = compiled
        self._clock = clock
        self._zone = compiled.zone
        self._nsteps = len(compiled.steps)
        self._ids: list[str] = []
        self._index: dict[str, int] = {}
        self._names: list[str | None] = []
        self._parent = array("i")
        self._kind = bytearray()
        self._enrolled = array("q")
        self._last = array("q")
        self._uphase = array("b")
        self._status = bytearray()
        self._esc = bytearray()
        self._flags = bytearray()
        self._completed: dict[int, int] = {}
        self._findings: list[_Finding] = []
        self._finding_index: dict[str, _Finding] = {}
        self._unit_findings: dict[int, list[_Finding]] = {}
        self._sanctions: dict[int, list[dict[str, Any]]] = {}
        # evaluation (zyw_flow.runtime._evaluation)
        self._scores: dict[tuple[str, str, str | None, str | None, str | None], ScoreInput] = {}
        self._deductions: list[Deduction] = []
        self._cases: list[Case] = []
        self._rounds: list[dict[str, Any]] = []
        self._grades: dict[str, tuple[str | None, str | None]] = {}
        self._key_units: set[str] = set()
        self._ineligible: set[str] = set()
        self._actors: dict[str, Actor] = {}
        self._log: list[Event] = []  # in memory only without a journal
        self._recent: list[Event] = []  # events of the current call
        self._seq = 0  # last event sequence number (the cursor)
        self._jseq = 0  # last journal row (events, actor registrations, clock moves)
        self._keys: dict[str, tuple[str, int]] = {}  # idempotency key -> (fingerprint, seq)
        self._journal: Journal | None = None
        self._pending: list[Row] = []
        self._chain = GENESIS
        self._depth = 0
        self._subscribers: dict[str, list[Callable[[Event], None]]] = {}
        self._heap: list[tuple[int, int, int, int, int, int]] = []
        self._push_seq = 0
        self._phase = -1
        self._now = -NEVER
        self._completion = compiled.advance == "completion"
        for p, start in enumerate(compiled.phase_start_us):
            self._push(start, _K_PHASE, p, 0)
        for s, due in enumerate(compiled.due_us):
            if due < NEVER:
                self._push(due + 1, _K_DUE, s, 0)  # overdue once the due instant has passed
                for k, at in enumerate(compiled.escalation_us[s]):
                    self._push(at, _K_ESC, s, k)

    # -- construction ---------------------------------------------------------------
    @classmethod
    def create(
        cls,
        template: Any,
        params: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> Campaign:
        """A new campaign from a template id, a path, or a loaded/resolved/compiled template.

        Raises:
            TemplateNotFound: no such template.
            TemplateError: the template (with these parameters) has problems.
        """
        from zyw_flow.resolve import ResolvedCampaign, resolve
        from zyw_flow.template import CampaignTemplate, load_template

        if isinstance(template, CompiledCampaign):
            return cls(template, clock=clock)
        if isinstance(template, ResolvedCampaign):
            return cls(compile_campaign(template), clock=clock)
        if not isinstance(template, CampaignTemplate):
            template = load_template(template, params)
        return cls(compile_campaign(resolve(template)), clock=clock)

    # -- durable campaigns -----------------------------------------------------------
    @classmethod
    def create_stored(
        cls,
        store: str | Path | Journal,
        template: Any,
        params: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
    ) -> Campaign:
        """A new campaign kept in a journal (a SQLite path or a ``postgresql://`` URL).

        The journal stores the exact template text (and its phase templates), its hash and
        the parameters, so later edits of the template file do not change this campaign.

        Raises:
            StoreError: the store already holds a campaign, or cannot be written.
        """
        from zyw_flow.resolve import resolve
        from zyw_flow.store import open_journal
        from zyw_flow.template import CampaignTemplate, load_template

        if not isinstance(template, CampaignTemplate):
            template = load_template(template, params)
        resolved = resolve(template)  # a template that cannot run creates no store
        campaign = cls(compile_campaign(resolved), clock=clock)
        journal = open_journal(store)
        if journal.read_meta():
            journal.close()
            raise StoreError(
                f"{journal.url}: already holds a campaign; open it (Campaign.open, or the "
                "`zyw-flow campaign` commands) instead of creating one"
            )
        meta = {
            "campaign_id": template.id,
            "template_text": template.text,
            "template_file": template.file,
            "template_sha256": template.sha256,
            "scheme_texts": json.dumps(
                dict(template.scheme_texts), ensure_ascii=False, sort_keys=True
            ),
            "phase_texts": json.dumps(
                dict(template.phase_texts), ensure_ascii=False, sort_keys=True
            ),
            "params": json.dumps(dict(template.params), ensure_ascii=False, sort_keys=True),
            "zyw_flow_version": _version(),
            "chain_version": "2",
            "calendar_years": json.dumps(_frozen_calendar(resolved), sort_keys=True),
        }
        journal.begin()
        try:
            journal.write_meta(meta)
            journal.commit()
        except BaseException:
            journal.rollback()
            journal.close()
            raise
        campaign._attach(journal, meta)
        return campaign

    @classmethod
    def open(
        cls,
        store: str | Path | Journal,
        *,
        clock: Callable[[], datetime] | None = None,
        use_snapshot: bool = True,
        verify: Literal["full", "tail"] = "full",
    ) -> Campaign:
        """Reopen a stored campaign: rebuild exactly its state from the journal.

        The state comes from the newest snapshot (if any and ``use_snapshot``) plus the rows
        after it, or from every row. The hash chain is checked on the way: with
        ``verify="full"`` (the default) every row, so a changed, missing or reordered row
        anywhere refuses to open; with ``verify="tail"`` the snapshot's own hash, the row it
        stands for and every row after it — faster on a long journal, leaving the older
        history to ``verify()`` / ``zyw-flow campaign verify``.

        Raises:
            StoreError: no campaign there; JournalCorrupted: the journal was tampered with;
            SchemaVersionError: written by a newer zyw_flow.
        """
        from zyw_flow.resolve import resolve
        from zyw_flow.store import open_journal
        from zyw_flow.template import load_template_text

        journal = open_journal(store, create=False)
        try:
            meta = journal.read_meta()
            if not meta:
                raise StoreError(f"{journal.url}: holds no campaign (create one first)")
            problem = meta_problem(meta)
            if problem:
                raise JournalCorrupted(f"{journal.url}: {problem}")
            template = load_template_text(
                meta["template_text"],
                json.loads(meta["params"]),
                file=meta.get("template_file", "<stored>"),
                phase_texts=json.loads(meta["phase_texts"]),
                scheme_texts=json.loads(meta["scheme_texts"]) if "scheme_texts" in meta else None,
            )
            if "calendar_years" in meta:  # the working days as they were at creation
                frozen = {
                    int(y): (tuple(days["holidays"]), tuple(days["workdays"]))
                    for y, days in json.loads(meta["calendar_years"]).items()
                }
                years = {**template.calendar.years, **frozen}
                template = attrs.evolve(
                    template, calendar=attrs.evolve(template.calendar, years=years)
                )
            campaign = cls(compile_campaign(resolve(template)), clock=clock)
            campaign._attach(
                journal, meta, load=True, use_snapshot=use_snapshot, full=verify == "full"
            )
        except BaseException:
            journal.close()
            raise
        return campaign

    def _attach(
        self,
        journal: Journal,
        meta: Mapping[str, str],
        *,
        load: bool = False,
        use_snapshot: bool = True,
        full: bool = True,
    ) -> None:
        self._journal = journal
        self._genesis = campaign_genesis(meta)
        self._chain = self._genesis
        if load:
            snap = journal.latest_snapshot() if use_snapshot else None
            if snap is not None:
                self._load_state(snap[1])
                if full:
                    # The history the snapshot stands for is still checked row by row, so an
                    # edited past is refused as on a full replay.
                    prefix = verify_rows(journal.rows(0, upto=snap[0]), self._genesis)
                    if not prefix.ok:
                        raise JournalCorrupted(f"{journal.url}: {prefix}")
                    anchored = prefix.rows == snap[0] and prefix.last_hash == self._chain
                else:
                    anchored = journal.hash_at(snap[0]) == self._chain
                if not anchored:
                    raise JournalCorrupted(
                        f"{journal.url}: the snapshot at row {snap[0]} does not match the journal"
                    )
            self._catch_up_journal()

    @property
    def store(self) -> Journal | None:
        """The journal this campaign is kept in, if any."""
        return self._journal

    def refresh(self) -> int:
        """Apply rows other processes appended to the journal; returns how many."""
        if self._journal is None:
            return 0
        return self._catch_up_journal()

    def close(self) -> None:
        """Close the journal's connection (a stored campaign)."""
        if self._journal is not None:
            self._journal.close()

    def save_snapshot(self) -> int:
        """Store a snapshot of the state so that reopening replays only the tail.

        Returns:
            The journal row the snapshot was taken after.
        """
        if self._journal is None:
            raise StoreError("this campaign has no store")
        journal = self._journal
        journal.begin()
        try:
            self._catch_up_journal()
            journal.save_snapshot(self._jseq, self._dump_state())
            journal.commit()
        except BaseException:
            journal.rollback()
            raise
        return self._jseq

    def verify(self) -> VerifyReport:
        """Check the stored template and the journal's whole hash chain."""
        if self._journal is None:
            raise StoreError("this campaign has no store")
        return self._journal.verify()

    def _catch_up_journal(self) -> int:
        assert self._journal is not None
        applied = 0
        for row in self._journal.rows(self._jseq):
            self._apply_row(row)
            applied += 1
        if applied:
            self._drop_past_schedule()
        return applied

    def _reload(self) -> None:
        """Rebuild the in-memory state from the journal (after a failed commit)."""
        journal, meta_genesis = self._journal, self._genesis
        subscribers = self._subscribers
        fresh = Campaign(self.compiled, clock=self._clock)
        self.__dict__.update(fresh.__dict__)
        self._journal, self._genesis, self._chain = journal, meta_genesis, meta_genesis
        self._subscribers = subscribers
        if journal is not None:
            # the store is unreadable: keep the empty state; later calls fail on the store
            with contextlib.suppress(StoreError):
                self._catch_up_journal()

    def _apply_row(self, row: Row) -> None:
        """Apply one journal row to the state (replay; no validation, no events emitted)."""
        if row.seq != self._jseq + 1:
            raise JournalCorrupted(
                f"{self._journal.url if self._journal else ''}: row {self._jseq + 1} is missing "
                f"(found {row.seq})"
            )
        expected = chain_hash(self._chain, *row.hashed())
        if expected != row.hash:
            raise JournalCorrupted(
                f"{self._journal.url if self._journal else ''}: row {row.seq} ({row.type}) was "
                "changed: its hash does not match the chain"
            )
        self._chain = row.hash
        self._jseq = row.seq
        if row.kind == "event":
            self._seq += 1
            if row.eseq != self._seq:
                raise JournalCorrupted(
                    f"row {row.seq} claims event number {row.eseq}, but it is event {self._seq}"
                )
        at = row.at_us
        if row.kind == "actor":
            data = row.loaded() or {}
            assert row.actor is not None
            self._actors[row.actor] = Actor(
                row.actor, frozenset(data.get("roles", ())), row.unit, data.get("name")
            )
            return
        self._now = max(self._now, at)
        if row.kind == "clock":
            return
        if row.key is not None and row.fingerprint is not None:
            self._keys[row.key] = (row.fingerprint, self._seq)
        t = row.type
        data = row.loaded() or {}
        if t == "phase_opened":
            self._phase = self.compiled.phase_ids.index(data["phase"])
            return
        if t == "evaluation_finalized":
            _evaluation.apply_final(self, data, at)
            return
        assert row.unit is not None
        if t == "enrolled":
            self._add_unit(
                row.unit, data.get("name"), data.get("parent"), data.get("kind", "unit"), at
            )
            return
        u = self._index[row.unit]
        if t == "phase_entered":
            self._uphase[u] = self.compiled.phase_ids.index(data["phase"])
        elif t == "finding_recorded":
            days = data.get("days", self.compiled.resolved.template.findings.rectification_days)
            due, esc = self.compiled.finding_due(at, days)
            self._add_finding(u, at, data.get("source", ""), data.get("description", ""), due, esc)
            self._last[u] = max(self._last[u], at)
        elif t == "score_recorded":
            entry = ScoreInput(
                row.unit,
                data["indicator"],
                Decimal(data["value"]),
                data.get("period"),
                data.get("rater_group"),
                data.get("rater"),
            )
            self._scores[
                (row.unit, entry.indicator, entry.period, entry.rater_group, entry.rater)
            ] = entry
            self._last[u] = max(self._last[u], at)
        elif t == "deduction_recorded":
            self._deductions.append(
                Deduction(
                    row.unit, data["item"], Decimal(data["points"]), data.get("description", "")
                )
            )
            self._last[u] = max(self._last[u], at)
        elif t == "case_recorded":
            self._cases.append(
                Case(
                    row.unit,
                    data["kind"],
                    data.get("item"),
                    data.get("person"),
                    data.get("description", ""),
                )
            )
            self._last[u] = max(self._last[u], at)
        elif t == "ranking_action":
            pass
        elif t == "sanction_issued":
            record = {
                "sanction": data["sanction"],
                "title": data.get("title"),
                "level": data.get("level"),
                "at": format_us(at, self._zone),
                "actor": row.actor,
                "person": data.get("person"),
                "reason": data.get("reason"),
            }
            self._sanctions.setdefault(u, []).append(record)
            if row.actor != SYSTEM_ACTOR:
                self._last[u] = max(self._last[u], at)
        else:
            assert row.step is not None
            ref = self._step_ref(u, row.step, t)
            if t == "step_overdue":
                self._set(u, ref, OVERDUE, False, None)
            elif t == "step_escalated":
                if isinstance(ref, _Finding):
                    ref.esc = int(data["level"])
                else:
                    self._esc[u * self._nsteps + ref] = int(data["level"])
            else:
                status = {
                    "step_submitted": SUBMITTED,
                    "step_accepted": ACCEPTED,
                    "step_returned": RETURNED,
                    "step_waived": WAIVED,
                }[t]
                self._set(u, ref, status, bool(data.get("late")), at if status in FINAL else None)
                self._last[u] = at

    def _drop_past_schedule(self) -> None:
        """Forget scheduled transitions at or before the clock: replay applied them."""
        heap = self._heap
        while heap and heap[0][0] <= self._now:
            heapq.heappop(heap)

    _ARRAYS = ("_parent", "_enrolled", "_last", "_uphase")
    _BYTES = ("_kind", "_status", "_esc", "_flags")
    _PLAIN = ("_ids", "_names", "_rounds", "_push_seq", "_phase", "_now", "_seq", "_jseq", "_chain")

    def _dump_state(self) -> bytes:
        """The state as compressed JSON (no pickle: a snapshot is data, never code)."""
        state: dict[str, Any] = {
            "format": 1,
            "byteorder": sys.byteorder,
            "template_sha256": self.compiled.resolved.template.sha256,
        }
        for name in self._PLAIN:
            state[name] = getattr(self, name)
        for name in (*self._ARRAYS, *self._BYTES):
            raw = getattr(self, name)
            state[name] = base64.b64encode(
                bytes(raw) if isinstance(raw, bytearray) else raw.tobytes()
            ).decode()
        state["_completed"] = list(self._completed.items())
        state["_findings"] = [list(attrs.astuple(f)) for f in self._findings]
        state["_sanctions"] = [[u, records] for u, records in self._sanctions.items()]
        state["_actors"] = [[a.id, sorted(a.roles), a.unit, a.name] for a in self._actors.values()]
        state["_keys"] = [[k, fp, seq] for k, (fp, seq) in self._keys.items()]
        state["_heap"] = [list(item) for item in self._heap]
        state["_scores"] = [
            [i.unit, i.indicator, str(i.value), i.period, i.rater_group, i.rater]
            for i in self._scores.values()
        ]
        state["_deductions"] = [
            [d.unit, d.item, str(d.points), d.description] for d in self._deductions
        ]
        state["_cases"] = [[c.unit, c.kind, c.item, c.person, c.description] for c in self._cases]
        state["_grades"] = [[u, s, g] for u, (s, g) in self._grades.items()]
        state["_key_units"] = sorted(self._key_units)
        state["_ineligible"] = sorted(self._ineligible)
        return zlib.compress(json.dumps(state, ensure_ascii=False).encode("utf-8"), 1)

    def _load_state(self, blob: bytes) -> None:
        try:
            state = json.loads(zlib.decompress(blob))
        except (zlib.error, ValueError) as exc:
            raise JournalCorrupted(f"the snapshot cannot be read: {exc}") from None
        if state.get("format") != 1 or state.get("byteorder") != sys.byteorder:
            raise JournalCorrupted("the snapshot was written in another format or byte order")
        if state["template_sha256"] != self.compiled.resolved.template.sha256:
            raise JournalCorrupted("the snapshot was taken of another template")
        for name in self._PLAIN:
            setattr(self, name, state[name])
        for name in self._ARRAYS:
            arr = array(getattr(self, name).typecode)
            arr.frombytes(base64.b64decode(state[name]))
            setattr(self, name, arr)
        for name in self._BYTES:
            setattr(self, name, bytearray(base64.b64decode(state[name])))
        self._index = {uid: i for i, uid in enumerate(self._ids)}
        self._completed = {int(i): int(us) for i, us in state["_completed"]}
        findings = [
            _Finding(f[0], f[1], f[2], f[3], f[4], f[5], tuple(f[6]), *f[7:])
            for f in state["_findings"]
        ]
        self._findings = findings
        self._finding_index = {f.id: f for f in findings}
        self._unit_findings = {}
        for f in findings:
            self._unit_findings.setdefault(f.unit, []).append(f)
        self._sanctions = {int(u): list(records) for u, records in state["_sanctions"]}
        self._actors = {a[0]: Actor(a[0], frozenset(a[1]), a[2], a[3]) for a in state["_actors"]}
        self._keys = {k: (fp, int(seq)) for k, fp, seq in state["_keys"]}
        self._heap = [tuple(item) for item in state["_heap"]]
        heapq.heapify(self._heap)
        self._scores = {}
        for unit, ind, value, period, group, rater in state["_scores"]:
            entry = ScoreInput(unit, ind, Decimal(value), period, group, rater)
            self._scores[(unit, ind, period, group, rater)] = entry
        self._deductions = [Deduction(u, i, Decimal(p), d) for u, i, p, d in state["_deductions"]]
        self._cases = [Case(u, k, i, p, d) for u, k, i, p, d in state["_cases"]]
        self._grades = {u: (sc, g) for u, sc, g in state["_grades"]}
        self._key_units = set(state["_key_units"])
        self._ineligible = set(state["_ineligible"])

    # -- basic properties -----------------------------------------------------------
    @property
    def id(self) -> str:
        """The template id."""
        return self.compiled.id

    @property
    def now(self) -> datetime | None:
        """The campaign clock: the latest instant ticked to or acted at (``None`` at first)."""
        return None if self._now == -NEVER else from_us(self._now, self._zone)

    @property
    def phase(self) -> str | None:
        """The campaign's current (latest opened) phase, or ``None`` before the first."""
        return None if self._phase < 0 else self.compiled.phase_ids[self._phase]

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, unit: object) -> bool:
        return unit in self._index

    @property
    def units(self) -> tuple[str, ...]:
        """Ids of the enrolled units, in enrolment order."""
        return tuple(self._ids)

    def _at(self, at: At | None) -> int:
        if at is None:
            if self._clock is None:
                raise TypeError("no `at` given and the campaign has no clock")
            return parse_at(self._clock(), self._zone)
        return parse_at(at, self._zone)

    def _push(self, at: int, kind: int, a: int, b: int) -> None:
        self._push_seq += 1
        # At one instant, deadlines (stamped a microsecond earlier) come before the rest.
        first = 0 if kind in (_K_DUE, _K_FDUE) else 1
        heapq.heappush(self._heap, (at, first, self._push_seq, kind, a, b))

    def _fmt(self, us: int | None) -> datetime | None:
        return None if us is None or us >= NEVER else from_us(us, self._zone)

    # -- actors ---------------------------------------------------------------------
    @_write
    def add_actor(
        self, actor: str, roles: Iterable[str], unit: str | None = None, name: str | None = None
    ) -> Actor:
        """Register who may act: ``roles`` from the template; ``unit`` for a member's own unit.

        Raises:
            PermissionRefused: a role the template does not declare.
        """
        roles = frozenset(roles)
        unknown = sorted(roles - set(self.compiled.roles))
        if unknown:
            raise PermissionRefused(
                f"unknown role(s) {', '.join(unknown)}; the template declares "
                f"{', '.join(self.compiled.roles)}"
            )
        made = Actor(actor, roles, unit, name)
        self._actors[actor] = made
        if self._journal is not None:
            data = {"roles": sorted(roles), "name": name}
            self._row(
                "actor",
                "actor_added",
                max(self._now, 0),
                unit,
                None,
                actor,
                data,
                None,
                None,
            )
        return made

    @property
    def actors(self) -> Mapping[str, Actor]:
        """Registered actors by id."""
        return dict(self._actors)

    # -- events ---------------------------------------------------------------------
    def _emit(
        self,
        type_: str,
        at: int,
        unit: str | None = None,
        step: str | None = None,
        actor: str | None = None,
        data: Mapping[str, Any] | None = None,
        key: str | None = None,
        fingerprint: str | None = None,
    ) -> Event:
        self._seq += 1
        seq = self._seq
        event = Event(seq, type_, at, unit, step, actor, data, key, self._zone)
        self._recent.append(event)
        if key is not None and fingerprint is not None:
            self._keys[key] = (fingerprint, seq)
        if self._journal is None:
            self._log.append(event)
        else:
            self._row("event", type_, at, unit, step, actor, data, key, fingerprint)
        return event

    def _notify(self, events: list[Event]) -> None:
        """Tell subscribers about events once they are recorded (after the commit)."""
        if not self._subscribers:
            return
        for event in events:
            for callback in (
                *self._subscribers.get(event.type, ()),
                *self._subscribers.get("*", ()),
            ):
                callback(event)

    def subscribe(self, event_type: str, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call ``callback(event)`` for each new event of ``event_type`` (``"*"`` for all).

        Returns:
            A function that cancels the subscription.
        """
        self._subscribers.setdefault(event_type, []).append(callback)

        def cancel() -> None:
            callbacks = self._subscribers.get(event_type, [])
            if callback in callbacks:
                callbacks.remove(callback)
            if not callbacks:
                self._subscribers.pop(event_type, None)

        return cancel

    def events(self, since: int = 0, *, unit: str | None = None) -> list[Event]:
        """Events after the cursor ``since`` (an event's ``seq``), optionally for one unit."""
        if self._journal is not None:
            return [self._event_of(r) for r in self._journal.events_after(since, unit=unit)]
        tail = self._log[bisect.bisect_right(self._log, since, key=lambda e: e.seq) :]
        return tail if unit is None else [e for e in tail if e.unit == unit]

    @property
    def cursor(self) -> int:
        """The ``seq`` of the latest event (pass it to :meth:`events` later)."""
        return self._seq

    def _event_of(self, row: Row) -> Event:
        assert row.eseq is not None
        return Event(
            row.eseq,
            row.type,
            row.at_us,
            row.unit,
            row.step,
            row.actor,
            row.loaded(),
            row.key,
            self._zone,
        )

    def _event_at(self, seq: int) -> Event:
        if self._journal is not None:
            row = self._journal.event_row(seq)
            if row is None:  # pragma: no cover - the journal is verified on open
                raise StoreError(f"journal row {seq} is missing")
            return self._event_of(row)
        i = bisect.bisect_left(self._log, seq, key=lambda e: e.seq)
        return self._log[i]

    # -- the journal ----------------------------------------------------------------
    def _row(
        self,
        kind: str,
        type_: str,
        at: int,
        unit: str | None,
        step: str | None,
        actor: str | None,
        data: Mapping[str, Any] | None,
        key: str | None,
        fingerprint: str | None,
    ) -> None:
        self._jseq += 1
        seq = self._jseq
        text = canonical_data(data)
        h = chain_hash(self._chain, seq, kind, type_, at, unit, step, actor, text, key, fingerprint)
        self._chain = h
        eseq = self._seq if kind == "event" else None
        self._pending.append(
            Row(seq, kind, type_, at, unit, step, actor, text, key, fingerprint, h, eseq)
        )

    # -- enrolment ------------------------------------------------------------------
    @_write
    def enroll(
        self,
        unit: str,
        name: str | None = None,
        parent: str | None = None,
        kind: str = "unit",
        *,
        at: At | None = None,
    ) -> Event:
        """Enrol one unit (单位) or person (个人) under ``parent``.

        A unit enrolled after the campaign has started is caught up to the campaign's
        current time: deadlines already passed make its steps overdue, stamped at their
        scheduled instants.

        Raises:
            EnrolmentError: duplicate id, unknown parent, unknown kind.
            TimeOrderError: ``at`` earlier than the campaign clock.
        """
        at_us = self._enrol_time(at)
        self._check_enrolment(unit, parent, kind, set())
        return self._enroll(unit, name, parent, kind, at_us)

    @_bulk
    def enroll_many(self, units: Iterable[Any], *, at: At | None = None) -> int:
        """Enrol many units at once; each item is a mapping (``id``, ``name``, ``parent``,
        ``kind``) or a tuple ``(id, name, parent[, kind])``. All or nothing.

        Returns:
            How many were enrolled.
        """
        at_us = self._enrol_time(at)
        rows = [_unit_row(item, i) for i, item in enumerate(units)]
        batch: set[str] = set()
        for uid, _, parent, kind in rows:
            self._check_enrolment(uid, parent, kind, batch)
            batch.add(uid)
        for uid, name, parent, kind in rows:
            self._enroll(uid, name, parent, kind, at_us)
        return len(rows)

    def enroll_csv(self, source: str | Path | TextIO, *, at: At | None = None) -> int:
        """Enrol units from CSV with a header ``id,name,parent`` (optional ``kind``)."""
        if isinstance(source, (str, Path)):
            with open(source, encoding="utf-8-sig", newline="") as fh:
                return self.enroll_csv(fh, at=at)
        reader = csv.DictReader(source)
        if reader.fieldnames is None or "id" not in reader.fieldnames:
            raise EnrolmentError("the CSV needs a header with at least an `id` column")
        unknown = [f for f in reader.fieldnames if f not in ("id", "name", "parent", "kind")]
        if unknown:
            raise EnrolmentError(
                f"unknown CSV column(s) {', '.join(map(repr, unknown))}; "
                "the header takes id, name, parent and kind"
            )
        return self.enroll_many(
            (
                {
                    "id": row["id"],
                    "name": row.get("name") or None,
                    "parent": row.get("parent") or None,
                    "kind": row.get("kind") or "unit",
                }
                for row in reader
            ),
            at=at,
        )

    def _enrol_time(self, at: At | None) -> int:
        if at is None and self._clock is None:
            return self._now  # timeless: at the campaign clock, whatever it is
        at_us = self._at(at)
        if at_us < self._now:
            raise TimeOrderError(
                f"the campaign clock is at {format_us(self._now, self._zone)}; cannot enrol at "
                f"{format_us(at_us, self._zone)}",
                event="enrolled",
            )
        return at_us

    def _check_enrolment(self, unit: str, parent: str | None, kind: str, batch: set[str]) -> None:
        if not isinstance(unit, str) or not unit:
            raise EnrolmentError(f"a unit id must be a non-empty string, not {unit!r}")
        if unit in self._index or unit in batch:
            raise EnrolmentError("unit is already enrolled", unit=unit, event="enrolled")
        if parent is not None and parent not in self._index and parent not in batch:
            raise EnrolmentError(
                f"parent {parent!r} is not enrolled (enrol parents first)",
                unit=unit,
                event="enrolled",
            )
        if parent == unit:
            raise EnrolmentError("a unit cannot be its own parent", unit=unit, event="enrolled")
        if kind not in _KINDS:
            raise EnrolmentError(
                f"kind must be one of {', '.join(_KINDS)}, not {kind!r}",
                unit=unit,
                event="enrolled",
            )

    def _enroll(self, unit: str, name: str | None, parent: str | None, kind: str, at: int) -> Event:
        self._advance(at)
        u = self._add_unit(unit, name, parent, kind, at)
        event = self._emit(
            "enrolled", at, unit, data={"name": name, "parent": parent, "kind": kind}
        )
        self._catch_up(u)
        return event

    def _add_unit(self, unit: str, name: str | None, parent: str | None, kind: str, at: int) -> int:
        u = len(self._ids)
        self._ids.append(unit)
        self._index[unit] = u
        self._names.append(name)
        self._parent.append(-1 if parent is None else self._index[parent])
        self._kind.append(_KINDS.index(kind))
        self._enrolled.append(at)
        self._last.append(at)
        self._uphase.append(-1)
        n = self._nsteps
        self._status.extend(b"\x01" * n)
        self._esc.extend(bytes(n))
        self._flags.extend(bytes(n))
        return u

    def _catch_up(self, u: int) -> None:
        """Bring a unit enrolled late to the campaign's current time."""
        if self._completion:
            if self._phase >= 0:
                self._enter_phase(u, 0, max(self.compiled.phase_start_us[0], self._enrolled[u]))
            return
        now = self._now
        c = self.compiled
        base = u * self._nsteps
        for s in range(self._nsteps):
            if c.due_us[s] < now:
                self._make_overdue(u, s, base + s, c.due_us[s], now)

    def _make_overdue(self, u: int, s: int, i: int, at: int, now: int) -> None:
        """Mark step ``s`` of unit ``u`` overdue at ``at``, with levels reached by ``now``."""
        self._status[i] = OVERDUE
        unit = self._ids[u]
        step = self.compiled.steps[s].id
        self._emit("step_overdue", at, unit, step)
        for k, level_at in enumerate(self.compiled.escalation_us[s]):
            if level_at <= now:
                self._escalate(u, s, i, k, max(level_at, at))

    # -- time -----------------------------------------------------------------------
    @_bulk
    def tick(self, until: At | None = None) -> list[Event]:
        """Fire every time-driven transition up to ``until`` (inclusive), in time order.

        Each event is stamped with its own scheduled instant. Ticking daily and ticking
        once to the same instant give the same state and the same events.

        Raises:
            TimeOrderError: ``until`` is earlier than the campaign clock.
        """
        until_us = self._at(until)
        if until_us < self._now:
            raise TimeOrderError(
                f"the campaign clock is at {format_us(self._now, self._zone)}; cannot tick back "
                f"to {format_us(until_us, self._zone)}",
                event="tick",
            )
        start = len(self._recent)
        moved = until_us > self._now
        self._advance(until_us)
        if moved and self._journal is not None:
            self._row("clock", "clock", until_us, None, None, None, None, None, None)
        return self._recent[start:]

    def _advance(self, until: int) -> None:
        heap = self._heap
        while heap and heap[0][0] <= until:
            at, _, _, kind, a, b = heapq.heappop(heap)
            self._now = max(self._now, at)
            if kind == _K_PHASE:
                self._open_phase(a, at)
            elif kind == _K_DUE:
                self._due(a, at)
            elif kind == _K_ESC:
                self._level(a, b, at)
            elif kind == _K_FDUE:
                f = self._findings[a]
                if f.status in (PENDING, RETURNED):
                    f.status = OVERDUE
                    self._emit("step_overdue", at - 1, self._ids[f.unit], f.id)
            elif kind == _K_FESC:
                f = self._findings[a]
                if f.status == OVERDUE and f.esc == b:
                    self._escalate_finding(f, b, at)
        self._now = max(self._now, until)

    def _open_phase(self, p: int, at: int) -> None:
        self._phase = p
        self._emit("phase_opened", at, data={"phase": self.compiled.phase_ids[p]})
        if not self._completion:
            return
        for u in range(len(self._ids)):
            if self._uphase[u] == p - 1 and self._enrolled[u] <= at and self._gate_met(u, p - 1):
                self._enter_phase(u, p, at)

    def _gate_met(self, u: int, p: int) -> bool:
        if p < 0:
            return True
        base = u * self._nsteps
        status = self._status
        return all(status[base + s] in FINAL for s in self.compiled.gate_steps[p])

    def _enter_phase(self, u: int, p: int, at: int) -> None:
        """Completion advance: unit ``u`` enters phase ``p`` (and further if it can)."""
        c = self.compiled
        while True:
            self._uphase[u] = p
            self._emit("phase_entered", at, self._ids[u], data={"phase": c.phase_ids[p]})
            base = u * self._nsteps
            for s in c.phase_steps[p]:
                if self._status[base + s] == PENDING and c.due_us[s] < at:
                    self._make_overdue(u, s, base + s, at, at)
            nxt = p + 1
            if nxt > self._phase or not self._gate_met(u, p):
                return
            p = nxt

    def _due(self, s: int, at: int) -> None:
        c = self.compiled
        n = self._nsteps
        status = self._status
        ids = self._ids
        step = c.steps[s].id
        phase = c.step_phase[s]
        uphase = self._uphase
        completion = self._completion
        emit = self._emit
        at -= 1  # scheduled just after the due instant; stamped with the due instant
        for u, st in enumerate(status[s::n]):
            if (st == PENDING and (not completion or uphase[u] >= phase)) or st == RETURNED:
                status[u * n + s] = OVERDUE
                emit("step_overdue", at, ids[u], step)

    def _level(self, s: int, k: int, at: int) -> None:
        n = self._nsteps
        esc = self._esc
        status = self._status
        for u, st in enumerate(status[s::n]):
            if st == OVERDUE and esc[u * n + s] == k:
                self._escalate(u, s, u * n + s, k, at)

    def _escalate(self, u: int, s: int, i: int, k: int, at: int) -> None:
        level = self.compiled.escalation[k]
        self._esc[i] = k + 1
        unit = self._ids[u]
        self._emit(
            "step_escalated",
            at,
            unit,
            self.compiled.steps[s].id,
            data={"level": k + 1, "id": level.id, "title": level.title},
        )
        if level.sanction is not None:
            self._record_sanction(u, level.sanction, at, SYSTEM_ACTOR, None, f"{level.title}", None)

    def _escalate_finding(self, f: _Finding, k: int, at: int) -> None:
        level = self.compiled.escalation[k]
        f.esc = k + 1
        self._emit(
            "step_escalated",
            at,
            self._ids[f.unit],
            f.id,
            data={"level": k + 1, "id": level.id, "title": level.title},
        )
        if level.sanction is not None:
            self._record_sanction(f.unit, level.sanction, at, SYSTEM_ACTOR, None, level.title, None)

    # -- prospective state (no mutation) -----------------------------------------------
    def _unit(self, unit: str, event: str, step: str | None = None) -> int:
        try:
            return self._index[unit]
        except KeyError:
            raise UnknownUnitError(
                "no such unit is enrolled", unit=unit, step=step, event=event
            ) from None

    def _step_ref(self, u: int, step: str, event: str) -> int | _Finding:
        s = self.compiled.step_index.get(step)
        if s is not None:
            return s
        f = self._finding_index.get(step)
        if f is not None and f.unit == u:
            return f
        known = [*self.compiled.step_index, *(f.id for f in self._unit_findings.get(u, ()))]
        close = difflib.get_close_matches(str(step), known, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise UnknownStepError(
            f"the campaign has no such step for this unit{hint}",
            unit=self._ids[u],
            step=step,
            event=event,
        )

    def _phase_at(self, u: int, at: int) -> int:
        """The phase unit ``u`` would be in at ``at`` (given no further actions)."""
        starts = self.compiled.phase_start_us
        if not self._completion:
            p = self._phase
            while p + 1 < len(starts) and starts[p + 1] <= at:
                p += 1
            return p
        p = self._uphase[u]
        if p < 0:
            return 0 if starts[0] <= at else -1
        while p + 1 < len(starts) and starts[p + 1] <= at and self._gate_met(u, p):
            p += 1
        return p

    def _status_at(self, u: int, ref: int | _Finding, at: int) -> int:
        if isinstance(ref, _Finding):
            if ref.status in (PENDING, RETURNED) and ref.due_us < at:
                return OVERDUE
            return ref.status
        c = self.compiled
        st = self._status[u * self._nsteps + ref]
        if st == PENDING:
            if c.opens_us[ref] > at:
                return NOT_OPEN
            if self._completion and self._phase_at(u, at) < c.step_phase[ref]:
                return NOT_OPEN
            if c.due_us[ref] < at:
                return OVERDUE
        elif st == RETURNED and c.due_us[ref] < at:
            return OVERDUE
        return st

    def _effective(self, u: int, s: int, i: int) -> int:
        st = self._status[i]
        if st == PENDING:
            c = self.compiled
            if c.opens_us[s] > self._now:
                return NOT_OPEN
            if self._completion and self._uphase[u] < c.step_phase[s]:
                return NOT_OPEN
        return st

    # -- recording actions ----------------------------------------------------------
    def _prepare(
        self,
        event: str,
        unit: str,
        step: str | None,
        actor: str,
        at: At | None,
        key: str | None,
        payload: Mapping[str, Any],
    ) -> tuple[int, int, Event | None, str | None]:
        """Common checks: idempotency, unit, time order, actor.

        Returns:
            (unit index, instant, the original event if this is a duplicate, fingerprint)
        """
        for name, value in payload.items():
            if isinstance(value, bool) or not isinstance(value, (str, int, type(None))):
                raise TransitionRefused(
                    f"{name} must be text or a number, not {type(value).__name__}",
                    unit=str(unit),
                    step=step,
                    event=event,
                )
        at_us = self._at(at)
        fingerprint = None
        if key is not None:
            # A retry that takes its time from the injected clock is the same request.
            fingerprint = canonical_data(
                {
                    "event": event,
                    "at": None if at is None else at_us,
                    "unit": unit,
                    "step": step,
                    "actor": actor,
                    "payload": dict(payload),
                }
            )
        if key is not None and key in self._keys:
            seen_fp, seen_seq = self._keys[key]
            if seen_fp == fingerprint:
                original = self._event_at(seen_seq)
                return self._index[unit], at_us, attrs.evolve(original, duplicate=True), fingerprint
            raise DuplicateEventError(
                f"idempotency key {key!r} was used for a different event (#{seen_seq})",
                unit=unit,
                step=step,
                event=event,
            )
        u = self._unit(unit, event, step)
        if at_us < self._now:
            raise TimeOrderError(
                f"the campaign clock is at {format_us(self._now, self._zone)}; cannot record an "
                f"event at {format_us(at_us, self._zone)}",
                unit=unit,
                step=step,
                event=event,
            )
        if at_us < self._last[u]:
            raise TimeOrderError(
                f"the unit's last event is at {format_us(self._last[u], self._zone)}; cannot "
                f"record an event at {format_us(at_us, self._zone)}",
                unit=unit,
                step=step,
                event=event,
            )
        if actor != SYSTEM_ACTOR and actor not in self._actors:
            raise UnknownActorError(
                f"actor {actor!r} is not registered (add_actor)", unit=unit, step=step, event=event
            )
        return u, at_us, None, fingerprint

    def _authorise(
        self, actor: str, allowed: Iterable[str], u: int, event: str, step: str | None
    ) -> None:
        if actor == SYSTEM_ACTOR:
            return
        who = self._actors[actor]
        usable = who.roles & set(allowed)
        unit = self._ids[u]
        if not usable:
            raise PermissionRefused(
                f"actor {actor!r} (roles: {', '.join(sorted(who.roles)) or 'none'}) may not "
                f"{event}; allowed roles: {', '.join(allowed) or 'none'}",
                unit=unit,
                step=step,
                event=event,
            )
        if usable <= _UNIT_SCOPED_ROLES and who.unit != unit:
            raise PermissionRefused(
                f"actor {actor!r} acts only for unit {who.unit!r}",
                unit=unit,
                step=step,
                event=event,
            )

    def _refuse(
        self, u: int, step: str, event: str, status: int, why: str = ""
    ) -> TransitionRefused:
        return TransitionRefused(
            why or f"cannot {event} a step that is {STATUS_NAMES[status]}",
            unit=self._ids[u],
            step=step,
            event=event,
        )

    def _step_action(
        self,
        event: str,
        unit: str,
        step: str,
        actor: str,
        at: At | None,
        key: str | None,
        payload: Mapping[str, Any],
    ) -> Event:
        u, at_us, dup, fp = self._prepare(event, unit, step, actor, at, key, payload)
        if dup is not None:
            return dup
        ref = self._step_ref(u, step, event)
        c = self.compiled
        status = self._status_at(u, ref, at_us)
        if isinstance(ref, _Finding):
            submit_roles: tuple[str, ...] = ("member",)
            review_roles = c.permissions.get("verify", ("office",))
        else:
            submit_roles = c.steps[ref].submit
            review_roles = c.steps[ref].review
        allowed = {
            "submit": submit_roles,
            "accept": review_roles,
            "return": review_roles,
            "waive": c.permissions.get("waive", ("office",)),
        }[event]
        if event in ("accept", "return") and not review_roles:
            raise self._refuse(
                u,
                step,
                event,
                status,
                "this step needs no review: a submission is accepted at once",
            )
        self._authorise(actor, allowed, u, event, step)
        dest = c.table[status][_EV[event]]
        if dest < 0:
            if status == NOT_OPEN and not isinstance(ref, _Finding):
                opens = format_us(c.opens_us[ref], self._zone)
                raise self._refuse(u, step, event, status, f"the step is not open (opens {opens})")
            raise self._refuse(u, step, event, status)
        if event == "submit" and not isinstance(ref, _Finding):
            if at_us > c.closes_us[ref]:
                raise self._refuse(
                    u,
                    step,
                    event,
                    status,
                    f"the step closed at {format_us(c.closes_us[ref], self._zone)}",
                )
            base = u * self._nsteps
            missing = [c.steps[d].id for d in c.deps[ref] if self._status[base + d] not in FINAL]
            if missing:
                raise self._refuse(
                    u, step, event, status, f"first needs {', '.join(missing)} accepted or waived"
                )
        # -- from here on the call succeeds --------------------------------------------
        self._advance(at_us)
        status = self._status_at(u, ref, at_us)
        dest = c.table[status][_EV[event]]
        late = event == "submit" and (status == OVERDUE or at_us > _due_of(c, ref))
        auto_accept = event == "submit" and not review_roles
        final = ACCEPTED if auto_accept else dest
        self._set(u, ref, final, late, at_us if final in FINAL else None)
        self._last[u] = at_us
        data = dict(payload) or None
        if late:
            data = {**(data or {}), "late": True}
        ev = self._emit(f"step_{_PAST[event]}", at_us, unit, step, actor, data, key, fp)
        if auto_accept:
            self._emit("step_accepted", at_us, unit, step, actor, {"auto": True})
        if final == RETURNED and at_us > _due_of(c, ref):
            self._overdue_now(u, ref, at_us)  # sent back after its deadline: overdue at once
        if self._completion and final in FINAL and not isinstance(ref, _Finding):
            p = self._uphase[u]
            if p >= 0 and p + 1 <= self._phase and self._gate_met(u, p):
                self._enter_phase(u, p + 1, at_us)
        return ev

    def _overdue_now(self, u: int, ref: int | _Finding, at: int) -> None:
        """A step sent back after its due instant is overdue from that moment, and climbs at
        once to the escalation level already due (from the level it had reached)."""
        if isinstance(ref, _Finding):
            ref.status = OVERDUE
            self._emit("step_overdue", at, self._ids[u], ref.id)
            for k, level_at in enumerate(ref.esc_us):
                if k >= ref.esc and level_at <= at:
                    self._escalate_finding(ref, k, at)
            return
        i = u * self._nsteps + ref
        self._status[i] = OVERDUE
        self._emit("step_overdue", at, self._ids[u], self.compiled.steps[ref].id)
        for k, level_at in enumerate(self.compiled.escalation_us[ref]):
            if k >= self._esc[i] and level_at <= at:
                self._escalate(u, ref, i, k, at)

    def _set(self, u: int, ref: int | _Finding, status: int, late: bool, done: int | None) -> None:
        if isinstance(ref, _Finding):
            ref.status = status
            ref.late = ref.late or late
            if done is not None:
                ref.completed_us = done
            return
        i = u * self._nsteps + ref
        self._status[i] = status
        if late:
            self._flags[i] |= _LATE
        if done is not None:
            self._completed[i] = done

    @_write
    def submit(
        self,
        unit: str,
        step: str,
        *,
        actor: str,
        at: At | None = None,
        evidence: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Record that ``unit`` did or handed in ``step`` (a late submission is marked late).

        Raises:
            UnknownUnitError, UnknownStepError, UnknownActorError, PermissionRefused,
            TransitionRefused, TimeOrderError, DuplicateEventError — with state unchanged.
        """
        payload = {"evidence": evidence} if evidence is not None else {}
        return self._step_action("submit", unit, step, actor, at, key, payload)

    @_write
    def accept(
        self,
        unit: str,
        step: str,
        *,
        actor: str,
        at: At | None = None,
        note: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Accept a submitted step (the reviewer's 验收 / 审核通过)."""
        payload = {"note": note} if note is not None else {}
        return self._step_action("accept", unit, step, actor, at, key, payload)

    @_write
    def return_step(
        self,
        unit: str,
        step: str,
        *,
        actor: str,
        reason: str,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """Send a submitted step back (退回) with a reason; the unit submits again."""
        return self._step_action("return", unit, step, actor, at, key, {"reason": reason})

    @_write
    def waive(
        self,
        unit: str,
        step: str,
        *,
        actor: str,
        at: At | None = None,
        reason: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Waive a step for a unit (免报), by an authorised role."""
        payload = {"reason": reason} if reason is not None else {}
        return self._step_action("waive", unit, step, actor, at, key, payload)

    @_write
    def record_finding(
        self,
        unit: str,
        *,
        actor: str,
        at: At | None = None,
        source: str = "inspection",
        description: str = "",
        days: int | None = None,
        key: str | None = None,
    ) -> Event:
        """Record a finding (问题) against a unit; it spawns a rectification step (限期整改).

        The step's id is the finding's id (``finding-1`` …); it is due ``days`` working days
        later (the template's ``findings.rectification_days`` by default), at the end of
        that day. The unit submits it; the ``verify`` roles accept it.

        Returns:
            The ``finding_recorded`` event; its ``step`` is the new step's id.
        """
        payload: dict[str, Any] = {"source": source, "description": description}
        if days is not None:
            payload["days"] = days
        u, at_us, dup, fp = self._prepare("finding", unit, None, actor, at, key, payload)
        if dup is not None:
            return dup
        c = self.compiled
        sources = c.resolved.template.findings.sources
        if source not in sources:
            raise TransitionRefused(
                f"unknown finding source {source!r}; the template allows {', '.join(sources)}",
                unit=unit,
                event="finding",
            )
        self._authorise(actor, c.permissions.get("finding", ("inspector",)), u, "finding", None)
        n_days = c.resolved.template.findings.rectification_days if days is None else days
        deadline = self._finding_deadline(n_days, at_us, unit, "finding")
        self._advance(at_us)
        return self._new_finding(u, at_us, actor, source, description, deadline, key, payload, fp)

    def _finding_deadline(
        self, days: object, at_us: int, unit: str, event: str
    ) -> tuple[int, int, tuple[int, ...]]:
        """Check ``days`` and work out the deadline before anything changes."""
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise TransitionRefused(
                f"days must be a whole number of working days ≥ 0, not {days!r}",
                unit=unit,
                event=event,
            )
        try:
            due, esc = self.compiled.finding_due(at_us, days)
        except CalendarError as exc:
            raise TransitionRefused(str(exc), unit=unit, event=event) from None
        return days, due, esc

    def _new_finding(
        self,
        u: int,
        at_us: int,
        actor: str,
        source: str,
        description: str,
        deadline: tuple[int, int, tuple[int, ...]],
        key: str | None,
        payload: Mapping[str, Any],
        fingerprint: str | None = None,
    ) -> Event:
        days, due, esc = deadline
        fid = self._add_finding(u, at_us, source, description, due, esc)
        self._last[u] = max(self._last[u], at_us)
        data = {
            "source": source,
            "description": description,
            **payload,
            "days": days,
            "due": format_us(due, self._zone),
        }
        event = self._emit(
            "finding_recorded", at_us, self._ids[u], fid, actor, data, key, fingerprint
        )
        self._advance(at_us)  # a finding due at once (days=0 at the end of a day) is overdue now
        return event

    def _add_finding(
        self, u: int, at_us: int, source: str, description: str, due: int, esc: tuple[int, ...]
    ) -> str:
        fid = f"finding-{len(self._findings) + 1}"
        f = _Finding(fid, u, source, description, at_us, due, esc)
        self._findings.append(f)
        self._finding_index[fid] = f
        self._unit_findings.setdefault(u, []).append(f)
        self._push(due + 1, _K_FDUE, len(self._findings) - 1, 0)
        for k, level_at in enumerate(esc):
            self._push(level_at, _K_FESC, len(self._findings) - 1, k)
        return fid

    @_write
    def verify_finding(
        self, unit: str, finding: str, *, actor: str, at: At | None = None, key: str | None = None
    ) -> Event:
        """Verify (accept) the rectification of a finding."""
        return self.accept(unit, finding, actor=actor, at=at, key=key)

    @_write
    def issue_sanction(
        self,
        unit: str,
        sanction: str,
        *,
        actor: str,
        at: At | None = None,
        person: str | None = None,
        reason: str | None = None,
        rectify_days: int | None = None,
        key: str | None = None,
    ) -> Event:
        """Issue an accountability action (问责) from the template's ladder.

        Args:
            unit: the unit held to account (for a person, their unit or the person's own
                enrolled id).
            sanction: a ladder id, e.g. ``interview`` (约谈) … ``discipline`` (纪律追究).
            person: the person concerned, if the sanction targets one.
            rectify_days: also order rectification (责令整改): a finding with this many
                working days; while it is open the unit is under rectification.
        """
        payload: dict[str, Any] = {"sanction": sanction}
        if person is not None:
            payload["person"] = person
        if reason is not None:
            payload["reason"] = reason
        if rectify_days is not None:
            payload["rectify_days"] = rectify_days
        u, at_us, dup, fp = self._prepare("sanction", unit, None, actor, at, key, payload)
        if dup is not None:
            return dup
        ladder = [s.id for s in self.compiled.sanctions]
        if sanction not in ladder:
            raise TransitionRefused(
                f"unknown sanction {sanction!r}; the ladder is {' → '.join(ladder)}",
                unit=unit,
                event="sanction",
            )
        self._authorise(actor, self.compiled.permissions.get("sanction", ()), u, "sanction", None)
        deadline = (
            None
            if rectify_days is None
            else self._finding_deadline(rectify_days, at_us, unit, "sanction")
        )
        self._advance(at_us)
        ev = self._record_sanction(u, sanction, at_us, actor, person, reason, key, fp)
        self._last[u] = max(self._last[u], at_us)
        if deadline is not None:
            self._new_finding(u, at_us, actor, "sanction", reason or sanction, deadline, None, {})
        return ev

    def _record_sanction(
        self,
        u: int,
        sanction: str,
        at: int,
        actor: str,
        person: str | None,
        reason: str | None,
        key: str | None,
        fingerprint: str | None = None,
    ) -> Event:
        ladder = self.compiled.sanctions
        level = next(i for i, s in enumerate(ladder) if s.id == sanction)
        record = {
            "sanction": sanction,
            "title": ladder[level].title,
            "level": level + 1,
            "at": format_us(at, self._zone),
            "actor": actor,
            "person": person,
            "reason": reason,
        }
        self._sanctions.setdefault(u, []).append(record)
        data = {k: v for k, v in record.items() if k not in ("at", "actor") and v is not None}
        return self._emit("sanction_issued", at, self._ids[u], None, actor, data, key, fingerprint)

    # -- evaluation (scores, cases, grades: zyw_flow.runtime._evaluation) -------------
    @_write
    def record_score(
        self,
        unit: str,
        indicator: str,
        value: Decimal | int | str,
        *,
        actor: str,
        at: At | None = None,
        period: str | None = None,
        rater_group: str | None = None,
        rater: str | None = None,
        evidence: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Record a score of a leaf indicator of the unit's scoring scheme (a later score for
        the same indicator, period, rater group and rater corrects it).

        Raises:
            TransitionRefused: no scheme, or the input does not fit it (unknown indicator,
                missing or wrong period or rater group, out of range).
            PermissionRefused: the actor's roles may not score that indicator.
        """
        return _evaluation.record_score(
            self, unit, indicator, value, actor, at, period, rater_group, rater, evidence, key
        )

    @_write
    def record_deduction(
        self,
        unit: str,
        item: str,
        points: Decimal | int | str,
        *,
        actor: str,
        at: At | None = None,
        description: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Record points deducted from a unit (倒扣分, schemes with ``deductions:``)."""
        return _evaluation.record_deduction(
            self, unit, item, points, actor=actor, at=at, description=description, key=key
        )

    @_write
    def record_case(
        self,
        unit: str,
        kind: str,
        *,
        actor: str,
        at: At | None = None,
        item: str | None = None,
        person: str | None = None,
        description: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Record a case that lowers a grade: ``violation`` (违纪违法受到查处), ``accident``
        (重大事故) or ``veto`` (一票否决; ``item`` names it). Roles: ``sanction``."""
        return _evaluation.record_case(
            self,
            unit,
            kind,
            actor=actor,
            at=at,
            item=item,
            person=person,
            description=description,
            key=key,
        )

    def evaluate(self, units: Iterable[str] | None = None) -> Evaluation:
        """Scorecards of every unit and person with scores (or of ``units``), the ranking,
        the grade distribution, the advanced within the quota, top and bottom lists."""
        return _evaluation.evaluate(self, units)

    @_write
    def finalize_evaluation(
        self, *, actor: str, at: At | None = None, round: str | None = None, key: str | None = None
    ) -> Event:
        """Make the grades final for a round and fire their consequences (诫勉: a written
        report due as a step, an admonition talk, 重点整改单位, members lose 评优资格; the
        bottom-N repeat ladder). Roles: ``score``."""
        return _evaluation.finalize_evaluation(self, actor=actor, at=at, round=round, key=key)

    def grade(self, unit: str) -> tuple[str | None, str | None]:
        """``(score, band)`` of a unit: its last final round's, else its current one's."""
        return _evaluation.grade(self, unit)

    @property
    def rounds(self) -> tuple[Mapping[str, Any], ...]:
        """The finalised evaluation rounds, oldest first."""
        return _evaluation.rounds(self)

    # -- queries --------------------------------------------------------------------
    def restrictions(self, unit: str) -> tuple[str, ...]:
        """Restrictions in force for a unit: while any rectification (finding) is open, or
        once graded 诫勉, ``no_transfer_or_promotion_of_principal`` (整改期间单位主要负责人不得
        调动或提拔); ``key_rectification_unit`` (重点整改单位) after a 诫勉 grade; and
        ``no_award_eligibility`` (取消评优资格) for a 诫勉 unit's members."""
        u = self._unit(unit, "query")
        open_findings = [f for f in self._unit_findings.get(u, ()) if f.status not in FINAL]
        out: list[str] = []
        if open_findings or unit in self._key_units:
            out.append("no_transfer_or_promotion_of_principal")
        if unit in self._key_units:
            out.append("key_rectification_unit")
        if unit in self._ineligible:
            out.append("no_award_eligibility")
        return tuple(out)

    def under_rectification(self, unit: str) -> bool:
        """Whether the unit has an open rectification (finding not yet verified)."""
        return bool(self.restrictions(unit))

    def _step_status(self, u: int, s: int) -> StepStatus:
        c = self.compiled
        i = u * self._nsteps + s
        k = self._esc[i]
        return StepStatus(
            step=c.steps[s].id,
            title=c.steps[s].title,
            status=STATUS_NAMES[self._effective(u, s, i)],
            due=self._fmt(c.due_us[s]),
            late=bool(self._flags[i] & _LATE),
            completed_at=self._fmt(self._completed.get(i)),
            escalation=k,
            escalation_title=c.escalation[k - 1].title if k else None,
        )

    def _finding_status(self, f: _Finding) -> StepStatus:
        k = f.esc
        return StepStatus(
            step=f.id,
            title=f"整改: {f.description}" if f.description else "限期整改",
            status=STATUS_NAMES[f.status],
            due=self._fmt(f.due_us),
            late=f.late,
            completed_at=self._fmt(f.completed_us),
            escalation=k,
            escalation_title=self.compiled.escalation[k - 1].title if k else None,
        )

    def _unit_phase(self, u: int) -> str | None:
        p = self._uphase[u] if self._completion else self._phase
        return None if p < 0 else self.compiled.phase_ids[p]

    def unit_status(self, unit: str) -> UnitStatus:
        """The unit's phase, every step's status, its sanctions, restrictions and grade."""
        u = self._unit(unit, "query")
        score, grade = self.grade(unit)
        steps = {self.compiled.steps[s].id: self._step_status(u, s) for s in range(self._nsteps)}
        for f in self._unit_findings.get(u, ()):
            steps[f.id] = self._finding_status(f)
        parent = self._parent[u]
        return UnitStatus(
            unit=unit,
            name=self._names[u],
            kind=_KINDS[self._kind[u]],
            parent=None if parent < 0 else self._ids[parent],
            phase=self._unit_phase(u),
            steps=steps,
            sanctions=tuple(self._sanctions.get(u, ())),
            restrictions=self.restrictions(unit),
            score=score,
            grade=grade,
        )

    def timeline(self, unit: str) -> list[Event]:
        """Every event of one unit, in the order recorded."""
        self._unit(unit, "query")
        return self.events(0, unit=unit)

    def overdue(self) -> list[OverdueItem]:
        """Every overdue step of every unit (template steps and findings)."""
        c = self.compiled
        n = self._nsteps
        out = []
        for s in range(n):
            for u, st in enumerate(self._status[s::n]):
                if st == OVERDUE:
                    k = self._esc[u * n + s]
                    out.append(
                        OverdueItem(
                            self._ids[u],
                            c.steps[s].id,
                            from_us(c.due_us[s], self._zone),
                            k,
                            c.escalation[k - 1].title if k else None,
                        )
                    )
        for f in self._findings:
            if f.status == OVERDUE:
                out.append(
                    OverdueItem(
                        self._ids[f.unit],
                        f.id,
                        from_us(f.due_us, self._zone),
                        f.esc,
                        c.escalation[f.esc - 1].title if f.esc else None,
                    )
                )
        return out

    def due_soon(
        self, within: timedelta, *, at: At | None = None
    ) -> list[tuple[str, str, datetime]]:
        """Open steps (pending or returned) due within ``within`` of ``at`` (default: now)."""
        ref = self._now if at is None else self._at(at)
        horizon = ref + within // timedelta(microseconds=1)
        c = self.compiled
        n = self._nsteps
        out = []
        for s in range(n):
            due = c.due_us[s]
            if not ref <= due <= horizon:
                continue
            for u in range(len(self._ids)):
                i = u * n + s
                if self._effective(u, s, i) in (PENDING, RETURNED):
                    out.append((self._ids[u], c.steps[s].id, from_us(due, self._zone)))
        for f in self._findings:
            if f.status in (PENDING, RETURNED) and ref <= f.due_us <= horizon:
                out.append((self._ids[f.unit], f.id, from_us(f.due_us, self._zone)))
        return out

    def board(self, root: str | None = None) -> Board:
        """Counts by phase and step status, rolled up the unit tree.

        Args:
            root: a unit id for its subtree; ``None`` for the whole campaign, whose
                children are the top-level units.
        """
        n_units = len(self._ids)
        n = self._nsteps
        statuses: list[dict[str, int]] = [{} for _ in range(n_units)]
        phases: list[dict[str, int]] = [{} for _ in range(n_units)]
        sizes = [1] * n_units
        children: list[list[int]] = [[] for _ in range(n_units)]
        for u in range(n_units):
            counts = statuses[u]
            base = u * n
            for s in range(n):
                name = STATUS_NAMES[self._effective(u, s, base + s)]
                counts[name] = counts.get(name, 0) + 1
            for f in self._unit_findings.get(u, ()):
                name = STATUS_NAMES[f.status]
                counts[name] = counts.get(name, 0) + 1
            phase = self._unit_phase(u) or "before"
            phases[u][phase] = 1
            if self._parent[u] >= 0:
                children[self._parent[u]].append(u)
        for u in range(n_units - 1, -1, -1):  # parents are enrolled before children
            p = self._parent[u]
            if p >= 0:
                sizes[p] += sizes[u]
                for src, dst in ((statuses[u], statuses[p]), (phases[u], phases[p])):
                    for k, v in src.items():
                        dst[k] = dst.get(k, 0) + v

        def node(u: int) -> Board:
            return Board(
                self._ids[u],
                self._names[u],
                sizes[u],
                dict(sorted(phases[u].items())),
                _ordered(statuses[u]),
                tuple(node(ch) for ch in children[u]),
            )

        if root is not None:
            return node(self._unit(root, "query"))
        tops = [u for u in range(n_units) if self._parent[u] < 0]
        total_s: dict[str, int] = {}
        total_p: dict[str, int] = {}
        for u in tops:
            for k, v in statuses[u].items():
                total_s[k] = total_s.get(k, 0) + v
            for k, v in phases[u].items():
                total_p[k] = total_p.get(k, 0) + v
        return Board(
            None,
            self.compiled.resolved.title,
            n_units,
            dict(sorted(total_p.items())),
            _ordered(total_s),
            tuple(node(u) for u in tops),
        )

    def snapshot(self, *, events: bool = True) -> dict[str, Any]:
        """The JSON report (the ``replay --json`` contract): campaign, at, units, events."""
        return {
            "campaign": self.id,
            "at": format_us(self._now, self._zone) if self._now > -NEVER else None,
            "units": {uid: self.unit_status(uid).to_json() for uid in self._ids},
            "events": [e.to_json() for e in self.events(0)] if events else [],
        }

    def iter_units(self) -> Iterator[UnitStatus]:
        """Every unit's status, in enrolment order."""
        for uid in self._ids:
            yield self.unit_status(uid)


_PAST = {"submit": "submitted", "accept": "accepted", "return": "returned", "waive": "waived"}


def _due_of(c: CompiledCampaign, ref: int | _Finding) -> int:
    return ref.due_us if isinstance(ref, _Finding) else c.due_us[ref]


def _ordered(counts: Mapping[str, int]) -> dict[str, int]:
    return {name: counts[name] for name in STATUS_NAMES if name in counts}


def _unit_row(item: Any, i: int) -> tuple[str, str | None, str | None, str]:
    if isinstance(item, Mapping):
        return (
            item.get("id"),  # type: ignore[return-value]
            item.get("name"),
            item.get("parent"),
            item.get("kind", "unit") or "unit",
        )
    if isinstance(item, (tuple, list)) and 1 <= len(item) <= 4:
        padded = [*item, None, None, None][:4]
        return padded[0], padded[1], padded[2], padded[3] or "unit"
    if isinstance(item, str):
        return item, None, None, "unit"
    raise EnrolmentError(
        f"item {i}: expected a mapping or (id, name, parent[, kind]), not {item!r}"
    )


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("zyw_flow")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"


def _frozen_calendar(resolved: Any) -> dict[str, dict[str, list[str]]]:
    """The official working days of the campaign's years (and the next, for escalations
    and findings), as ``{year: {"holidays": weekdays off, "workdays": weekend days on}}``,
    so a later upgrade of the holiday data cannot move a running campaign's deadlines."""
    from zyw_flow._errors import CalendarError

    calendar = resolved.calendar
    dues = [s.due for s in resolved.steps if s.due is not None]
    first = resolved.start.year
    last = max([resolved.end, *dues]).year + 1
    out: dict[str, dict[str, list[str]]] = {}
    for year in range(first, last + 1):
        day = date(year, 1, 1)
        holidays: list[str] = []
        workdays: list[str] = []
        try:
            while day.year == year:
                working = calendar.is_workday(day)
                if day.weekday() < 5 and not working:
                    holidays.append(day.isoformat())
                elif day.weekday() >= 5 and working:
                    workdays.append(day.isoformat())
                day += timedelta(days=1)
        except CalendarError:  # beyond the data: left to the calendar's own policy
            continue
        out[str(year)] = {"holidays": holidays, "workdays": workdays}
    return out
