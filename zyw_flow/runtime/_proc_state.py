"""The state of complaints and accountability cases (written only by their apply functions).

Kept apart from :class:`~zyw_flow.runtime._state.State`'s columns: a campaign holds tens
or hundreds of complaints and cases, not millions, so plain records do. A complaint's reply
deadline is a row of the step table (owned by the handling unit), so that it goes overdue
and escalates through the schedule like every step; ``rows`` counts those rows so that
findings keep their own numbering.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["CaseRecord", "ComplaintRecord", "ProcState"]


@attrs.define
class ComplaintRecord:
    """One complaint as it stands."""

    id: str
    unit: int
    channel: str
    category: str
    summary: str
    complainant: str | None
    registered: int
    status: str = "registered"
    handler: int = -1
    mode: str | None = None
    row: int = -1
    due: int | None = None
    replied: int | None = None
    late: bool = False
    substantiated: bool | None = None
    reply: str = ""
    satisfaction: str | None = None
    called_back: int | None = None
    closed: int | None = None
    findings: list[str] = attrs.field(factory=list)
    sanctions: list[str] = attrs.field(factory=list)
    cases: list[str] = attrs.field(factory=list)
    #: where each of ``sanctions`` stands in the unit's sanctions (``State.sanctions``), so a
    #: voided one is left out of the view (a snapshot from before has none: all are shown)
    sanction_rows: list[int] = attrs.field(factory=list)


@attrs.define
class CaseRecord:
    """One accountability case as it stands."""

    id: str
    unit: int
    situation: str
    person: str | None
    suspend: bool
    opened: int
    due: int
    description: str
    complaint: str | None
    chain: list[list[str]]  # [actor, position, rule]
    status: str = "investigating"
    notified: int | None = None
    facts: str = ""
    statement_due: int | None = None
    statement: str | None = None
    stated: int | None = None
    decided: int | None = None
    sanction: str | None = None
    chain_sanction: str | None = None
    reason: str = ""
    published: int | None = None
    #: the investigation deadline's escalation and warning instants (scheduled at 立案)
    escalations: list[int] = attrs.field(factory=list)
    warnings: list[int] = attrs.field(factory=list)
    overdue: bool = False  # the deadline passed under investigation (调查逾期)
    escalation: int = 0  # the 督办 level reached (0: none)
    warning: int = 0  # the warning light reached (0: none)
    late: bool = False  # notified (the investigation ended) after the deadline


@attrs.define
class ProcState:
    """Complaints and cases by id (in the order recorded), and who is suspended."""

    complaints: dict[str, ComplaintRecord] = attrs.field(factory=dict)
    cases: dict[str, CaseRecord] = attrs.field(factory=dict)
    suspended: dict[str, str] = attrs.field(factory=dict)  # actor → case
    rows: int = 0  # step-table rows of complaint deadlines
    #: unit → its cases in the order opened (an index of ``cases``, rebuilt on load)
    unit_cases: dict[int, list[str]] = attrs.field(factory=dict)
    #: person → the cases that suspend them (an index of ``cases``, rebuilt on load)
    suspending: dict[str, list[str]] = attrs.field(factory=dict)

    def suspension_at(self, actor: str, at: int) -> str | None:
        """The case suspending ``actor`` at instant ``at`` (先停职后调查: from the case's
        opening until its decision), if any — as of that instant, not as of now, so that
        an action dated inside a suspension is refused after the case was decided too."""
        for cid in self.suspending.get(actor, ()):
            case = self.cases[cid]
            if case.opened <= at and (case.decided is None or at < case.decided):
                return cid
        return None

    def dump(self) -> dict[str, Any]:
        """A JSON-ready form (for snapshots)."""
        return {
            "complaints": [attrs.asdict(c) for c in self.complaints.values()],
            "cases": [attrs.asdict(c) for c in self.cases.values()],
            "suspended": sorted(self.suspended.items()),
            "rows": self.rows,
        }

    @classmethod
    def load(cls, data: Any) -> ProcState:
        """The inverse of :meth:`dump` (``None``: a snapshot from before complaints)."""
        if not data:
            return cls()
        out = cls(
            {c["id"]: ComplaintRecord(**c) for c in data["complaints"]},
            {c["id"]: CaseRecord(**c) for c in data["cases"]},
            {str(a): str(c) for a, c in data["suspended"]},
            int(data["rows"]),
        )
        for case in out.cases.values():
            out.unit_cases.setdefault(case.unit, []).append(case.id)
            if case.suspend and case.person is not None:
                out.suspending.setdefault(case.person, []).append(case.id)
        return out
