"""The campaign's state: units as rows in compact arrays, one step table, a schedule.

Only :func:`zyw_flow.runtime._apply.apply` writes it. Everything else reads it.

The step table holds the template's steps and the rectification steps that findings and
sanctions open, with one definition each (:class:`StepDef`: deadline, escalation instants,
roles). Its cells are columns of bytes: ``status[s][j]``, ``esc[s][j]``, ``flags[s][j]``
where ``j`` is the unit's index for a template step (every unit has a cell) and ``0`` for a
rectification step (one unit has it, :attr:`StepDef.owner`).
"""

from __future__ import annotations

import heapq
from array import array
from typing import Any

import attrs

from zyw_flow._time import NEVER
from zyw_flow.compile import CompiledCampaign
from zyw_flow.compile._machine import ACCEPTED, NOT_OPEN, OVERDUE, PENDING, RETURNED
from zyw_flow.evaluation import Ballot, Case, Deduction, ScoreInput, SurveyCount
from zyw_flow.runtime._proc_state import ProcState
from zyw_flow.runtime._records import Actor

__all__ = [
    "KINDS",
    "K_CDUE",
    "K_CESC",
    "K_CWARN",
    "K_DUE",
    "K_ESC",
    "K_PHASE",
    "K_UDUE",
    "K_UESC",
    "K_UWARN",
    "K_WARN",
    "LATE",
    "REVIEWED",
    "SYSTEM_ACTOR",
    "UNOWED",
    "WARN_MASK",
    "WARN_SHIFT",
    "Deadline",
    "State",
    "StepDef",
]

SYSTEM_ACTOR = "system"
#: The ``source`` of a complaint's reply-deadline row in the step table (no rectification):
#: answered by ``reply_complaint`` only, never by the step verbs.
REPLY_SOURCE = "complaint_reply"
#: Who may ask to extend a complaint's reply deadline unless ``permissions.complaint_reply``
#: says otherwise: those who may answer it.
REPLY_ROLES = ("member", "office")
KINDS = ("unit", "person")
#: bits of a cell's ``flags`` byte: submitted late; not owed by the unit; passed the first
#: review tier (逐级审核); and, from bit 3, the warning light reached (0: none)
LATE, UNOWED, REVIEWED = 1, 2, 4
WARN_SHIFT = 3
WARN_MASK = 7 << WARN_SHIFT
#: scheduled item kinds: a phase opening; a step's deadline, escalation level and warning
#: for every unit; the same for one cell whose deadline was moved (``b`` = cell, or
#: ``cell * 64 + level``)
K_PHASE, K_DUE, K_ESC, K_WARN, K_UDUE, K_UESC, K_UWARN = range(7)
#: an accountability case's investigation deadline, escalation level and warning light
#: (``a`` = the case's number − 1, ``b`` = the level index)
K_CDUE, K_CESC, K_CWARN = range(7, 10)

#: a cell's own deadline: ``(due, escalation instants, warning instants)``
Deadline = tuple[int, tuple[int, ...], tuple[int, ...]]


@attrs.frozen(slots=True)
class StepDef:
    """One row of the step table: a template step, or a finding's rectification step."""

    id: str
    title: str
    opens: int
    due: int
    closes: int
    escalations: tuple[int, ...]
    submit: tuple[str, ...]
    review: tuple[str, ...]
    deps: tuple[int, ...] = ()
    phase: int = -1
    owner: int = -1  # the unit of a rectification step; -1: every unit
    source: str = ""
    description: str = ""
    warnings: tuple[int, ...] = ()


def template_defs(c: CompiledCampaign) -> list[StepDef]:
    """The step definitions of a compiled campaign's template steps."""
    return [
        StepDef(
            id=s.id,
            title=s.title,
            opens=c.opens_us[i],
            due=c.due_us[i],
            closes=c.closes_us[i],
            escalations=c.escalation_us[i],
            submit=s.submit,
            review=s.review,
            deps=c.deps[i],
            phase=c.step_phase[i],
            warnings=c.warning_us[i] if c.warning_us else (),
        )
        for i, s in enumerate(c.steps)
    ]


class State:
    """Everything a campaign knows, in compact columns. Written only by ``apply``."""

    def __init__(self, compiled: CompiledCampaign) -> None:
        self.compiled = compiled
        self.zone = compiled.zone
        self.completion = compiled.advance == "completion"
        self.n = len(compiled.steps)
        # units
        self.ids: list[str] = []
        self.index: dict[str, int] = {}
        self.names: list[str | None] = []
        self.parent = array("i")
        self.kind = bytearray()
        self.enrolled = array("q")
        self.last = array("q")
        self.uphase = array("b")
        # the step table
        self.defs: list[StepDef] = template_defs(compiled)
        self.step_index: dict[str, int] = dict(compiled.step_index)
        self.status: list[bytearray] = [bytearray() for _ in range(self.n)]
        self.esc: list[bytearray] = [bytearray() for _ in range(self.n)]
        self.flags: list[bytearray] = [bytearray() for _ in range(self.n)]
        self.completed: list[dict[int, int]] = [{} for _ in range(self.n)]
        self.unit_findings: dict[int, list[int]] = {}
        self.sanctions: dict[int, list[dict[str, Any]]] = {}
        # workflow: cells with a deadline of their own, extension requests, unit groups,
        # owner predicates recorded at enrollment, steps some unit does not owe
        self.deadlines: list[dict[int, Deadline]] = [{} for _ in range(self.n)]
        self.unit_deadlines: dict[int, set[int]] = {}
        self.extensions: dict[tuple[int, int], list[dict[str, Any]]] = {}
        self.triggers: dict[tuple[int, str], int] = {}  # (unit, trigger) → when recorded
        self.groups: dict[str, set[int]] = {}
        self.predicates: dict[str, set[int]] = {}
        self.children = array("i")  # kept only when a step is owed by leaves or branches
        self.track_children = any(r.level in ("leaves", "branches") for r in compiled.owners)
        self.restricted = [False] * self.n
        #: who verifies a rectification (the template's ``verify`` permission)
        self.verify_roles: tuple[str, ...] = tuple(compiled.permissions.get("verify", ("office",)))
        self.rule_steps: tuple[int, ...] = tuple(
            s for s, rule in enumerate(compiled.owners) if not rule.everyone
        )
        self.voided: set[int] = set()
        self.void_deductions: set[int] = set()
        self.void_cases: set[int] = set()
        self.delegations: list[tuple[str, str, int, int]] = []
        # evaluation
        self.scores: dict[tuple[str, str, str | None, str | None, str | None], ScoreInput] = {}
        self.deductions: list[Deduction] = []
        self.cases: list[Case] = []
        # recorded survey results per unit (runtime/_surveys.py)
        self.surveys: dict[str, list[SurveyCount | Ballot]] = {}
        self.rounds: list[dict[str, Any]] = []
        self._score_index: tuple[tuple[int, int], dict[str, list[ScoreInput]]] | None = None
        self.grades: dict[str, tuple[str | None, str | None]] = {}
        self.key_units: set[str] = set()
        self.ineligible: set[str] = set()
        self.key_supervision: set[str] = set()  # 重点监督, by a consequence rule
        # complaints (效能投诉) and accountability cases (问责)
        self.proc = ProcState()
        # who, idempotency, time
        self.actors: dict[str, Actor] = {}
        self.keys: dict[str, tuple[str, int]] = {}
        self.eseq = 0  # the last public event's number
        self.phase = -1
        self.now = -NEVER
        self.schedule: list[tuple[int, int, int, int, int, int]] = []
        self.push_seq = 0
        for p, start in enumerate(compiled.phase_start_us):
            self.push(start, K_PHASE, p, 0)
        for s, d in enumerate(self.defs):
            self.push_step(s, d)

    # -- the schedule (an index of what falls due, kept in step with the state) ----------
    def push(self, at: int, kind: int, a: int, b: int) -> None:
        """Schedule a time-driven transition. At one instant deadlines (stamped a
        microsecond earlier) come first, then the rest in the order scheduled."""
        self.push_seq += 1
        heapq.heappush(self.schedule, (at, 0 if kind == K_DUE else 1, self.push_seq, kind, a, b))

    def push_step(self, s: int, d: StepDef) -> None:
        """Schedule a step's deadline (overdue once it has passed), escalation levels and
        warning lights."""
        if d.due < NEVER:
            self.push(d.due + 1, K_DUE, s, 0)
            for k, at in enumerate(d.escalations):
                self.push(at, K_ESC, s, k)
            for k, at in enumerate(d.warnings):
                self.push(at, K_WARN, s, k)

    def push_cell(self, s: int, j: int, deadline: Deadline) -> None:
        """Schedule one cell's own deadline, levels and lights (those still to come)."""
        due, levels, lights = deadline
        now = self.now
        if due + 1 > now:
            self.push(due + 1, K_UDUE, s, j)
        for k, at in enumerate(levels):
            if at > now:
                self.push(at, K_UESC, s, j * 64 + k)
        for k, at in enumerate(lights):
            if at > now:
                self.push(at, K_UWARN, s, j * 64 + k)

    def cell_items(
        self, u: int, after: int, until: int
    ) -> list[tuple[int, int, int, int, int, int]]:
        """The scheduled items in (``after``, ``until``] of unit ``u``'s own cells: its
        rectification steps and the cells whose deadline was moved."""
        items: list[tuple[int, int, int, int, int, int]] = []
        for s in self.unit_findings.get(u, ()):
            if 0 in self.deadlines[s]:
                continue
            d = self.defs[s]
            if after < d.due + 1 <= until:
                items.append((d.due + 1, 0, 0, K_DUE, s, 0))
            items.extend(
                (at, 1, 0, K_ESC, s, k) for k, at in enumerate(d.escalations) if after < at <= until
            )
            items.extend(
                (at, 1, 0, K_WARN, s, k) for k, at in enumerate(d.warnings) if after < at <= until
            )
        for s in self.unit_deadlines.get(u, ()):
            j = self.slot(s, u)
            due, levels, lights = self.deadlines[s][j]
            if after < due + 1 <= until:
                items.append((due + 1, 0, 0, K_UDUE, s, j))
            items.extend(
                (at, 1, 0, K_UESC, s, j * 64 + k)
                for k, at in enumerate(levels)
                if after < at <= until
            )
            items.extend(
                (at, 1, 0, K_UWARN, s, j * 64 + k)
                for k, at in enumerate(lights)
                if after < at <= until
            )
        return items

    # -- a cell's deadline, and whether the unit owes the step ----------------------------
    def due_of(self, s: int, j: int) -> int:
        """The deadline of cell ``j`` of step ``s`` (its own, if it was moved)."""
        own = self.deadlines[s].get(j) if self.deadlines[s] else None
        return self.defs[s].due if own is None else own[0]

    def escalations_of(self, s: int, j: int) -> tuple[int, ...]:
        """The escalation instants of cell ``j`` of step ``s``."""
        own = self.deadlines[s].get(j) if self.deadlines[s] else None
        return self.defs[s].escalations if own is None else own[1]

    def warnings_of(self, s: int, j: int) -> tuple[int, ...]:
        """The warning instants of cell ``j`` of step ``s``."""
        own = self.deadlines[s].get(j) if self.deadlines[s] else None
        return self.defs[s].warnings if own is None else own[2]

    def owes(self, s: int, u: int) -> bool:
        """Whether unit ``u`` owes step ``s`` now."""
        return not self.flags[s][self.slot(s, u)] & UNOWED

    def rule_owes(self, s: int, u: int) -> bool:
        """Whether the template's ``owed_by`` rule of step ``s`` holds for unit ``u``."""
        rule = self.compiled.owners[s]
        if KINDS[self.kind[u]] not in rule.kinds:
            return False
        if rule.level == "root" and self.parent[u] >= 0:
            return False
        if rule.level == "leaves" and self.children[u] > 0:
            return False
        if rule.level == "branches" and self.children[u] == 0:
            return False
        if rule.depths:
            depth, p = 0, self.parent[u]
            while p >= 0:
                depth, p = depth + 1, self.parent[p]
            if depth not in rule.depths:
                return False
        if rule.groups and not any(u in self.groups.get(g, ()) for g in rule.groups):
            return False
        return rule.predicate is None or u in self.predicates.get(rule.predicate, ())

    def drop_past(self) -> None:
        """Forget scheduled transitions at or before the clock (they have been applied)."""
        heap = self.schedule
        while heap and heap[0][0] <= self.now:
            heapq.heappop(heap)

    # -- cells ----------------------------------------------------------------------------
    def slot(self, s: int, u: int) -> int:
        """The cell of unit ``u`` in step ``s``'s columns."""
        return u if s < self.n else 0

    def unit_steps(self, u: int) -> list[int]:
        """The steps unit ``u`` owes: the template's, then its rectification steps."""
        flags = self.flags
        return [
            s
            for s in (*range(self.n), *self.unit_findings.get(u, ()))
            if not flags[s][u if s < self.n else 0] & UNOWED
        ]

    def unit_of(self, s: int, j: int) -> int:
        """The unit of cell ``j`` of step ``s``."""
        owner = self.defs[s].owner
        return j if owner < 0 else owner

    # -- prospective reads (no mutation) ----------------------------------------------------
    def gate_met(self, u: int, p: int) -> bool:
        """Whether unit ``u`` has every gate step of phase ``p`` accepted or waived."""
        if p < 0:
            return True
        status, flags = self.status, self.flags
        return all(
            status[s][u] >= ACCEPTED or flags[s][u] & UNOWED  # or waived, or not owed
            for s in self.compiled.gate_steps[p]
        )

    def phase_at(self, u: int, at: int) -> int:
        """The phase unit ``u`` would be in at ``at`` (given no further actions)."""
        starts = self.compiled.phase_start_us
        if not self.completion:
            p = self.phase
            while p + 1 < len(starts) and starts[p + 1] <= at:
                p += 1
            while p >= 0 and starts[p] > at:
                p -= 1
            return p
        p = self.uphase[u]
        if p < 0:
            return 0 if starts[0] <= at else -1
        while p + 1 < len(starts) and starts[p + 1] <= at and self.gate_met(u, p):
            p += 1
        return p

    def status_at(self, s: int, u: int, at: int) -> int:
        """The status of unit ``u``'s step ``s`` as of ``at``."""
        d = self.defs[s]
        j = u if s < self.n else 0
        st = self.status[s][j]
        if st == PENDING:
            if d.opens > at:
                return NOT_OPEN
            if self.completion and d.phase >= 0 and self.phase_at(u, at) < d.phase:
                return NOT_OPEN
            if (self.due_of(s, j) if self.deadlines[s] else d.due) < at:
                return OVERDUE
        elif st == RETURNED and (self.due_of(s, j) if self.deadlines[s] else d.due) < at:
            return OVERDUE
        return st

    def effective(self, s: int, u: int, j: int) -> int:
        """The status shown now: a pending step not yet open is ``not_open``."""
        st = self.status[s][j]
        if st == PENDING:
            d = self.defs[s]
            if d.opens > self.now:
                return NOT_OPEN
            if self.completion and d.phase >= 0 and self.uphase[u] < d.phase:
                return NOT_OPEN
        return st

    def findings_count(self) -> int:
        """How many rectification steps exist (complaint deadlines are not findings)."""
        return len(self.defs) - self.n - self.proc.rows

    def score_inputs(self) -> list[ScoreInput]:
        """Every score recorded (the latest per key)."""
        return list(self.scores.values())

    def scores_of(self) -> dict[str, list[ScoreInput]]:
        """The scores recorded, by unit: an index kept for reading (one unit's grade
        reads its own scores, not everyone's), rebuilt after any new public event."""
        key = (self.eseq, len(self.scores))
        held = self._score_index
        if held is None or held[0] != key:
            by: dict[str, list[ScoreInput]] = {}
            for k, v in self.scores.items():
                by.setdefault(k[0], []).append(v)
            held = self._score_index = (key, by)
        return held[1]
