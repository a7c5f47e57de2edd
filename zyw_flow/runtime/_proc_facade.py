"""The campaign's complaint and case commands and queries (mixed into ``Campaign``).

Each command is one call of the campaign's unit of work (``Campaign._command``): checks,
decide, write, commit. See :mod:`._complaints` and :mod:`._cases` for the rules.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from zyw_flow._time import At
from zyw_flow.runtime import _cases, _complaints
from zyw_flow.runtime._cases import AccountabilityCase
from zyw_flow.runtime._complaints import Complaint, ComplaintStatistics
from zyw_flow.runtime._reading import Reading
from zyw_flow.runtime._records import Event

__all__ = ["Procedures"]


def _payload(**fields: Any) -> dict[str, Any]:
    """The fields given (for the idempotency fingerprint: text and numbers only)."""
    out: dict[str, Any] = {}
    for k, v in fields.items():
        if v is None:
            continue
        out[k] = int(v) if isinstance(v, bool) else v
    return out


class Procedures(Reading):
    """Complaints (效能投诉) and accountability cases (问责)."""

    _command: Callable[..., Event]

    # -- complaints ---------------------------------------------------------------------
    def register_complaint(
        self,
        unit: str,
        *,
        channel: str,
        actor: str,
        at: At | None = None,
        category: str | None = None,
        summary: str | None = None,
        complainant: str | None = None,
        key: str | None = None,
    ) -> Event:
        """Register a complaint (登记) against ``unit``, taken in through ``channel`` (one
        of the template's ``complaints.channels``: ``hotline`` 电话, ``letter`` 来信,
        ``online`` 网上, ``visit`` 来访, ``media`` 媒体 by default).

        ``complainant`` is kept in the journal but shown only by
        ``complaint(id, complainant=True)``: never in events, reports or statistics.
        Roles: ``complaint`` (default ``office``).

        Returns:
            The ``complaint_registered`` event; ``data["complaint"]`` is the new id
            (``complaint-1`` …).
        """
        payload = _payload(
            channel=channel, category=category, summary=summary, complainant=complainant
        )
        return self._command(
            "complaint",
            unit,
            None,
            actor,
            at,
            key,
            payload,
            _complaints.decide_register,
            channel,
            category,
            summary,
            complainant,
        )

    def assign_complaint(
        self,
        complaint: str,
        *,
        actor: str,
        to: str | None = None,
        mode: str = "transfer",
        days: int | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """Hand a complaint over (``transfer`` 转办, ``assign`` 交办, ``direct`` 直办) to unit
        ``to`` (default: the unit complained about) with a reply deadline (限时办结):
        ``days`` working days (default ``complaints.reply_days``), at the end of that day.

        The deadline is a step of the handling unit, id = the complaint's id: it goes
        overdue and climbs the escalation ladder (督办) like any step.
        """
        c = _complaints.complaint_of(self._state, complaint, "assign_complaint")
        handler = to if to is not None else self._state.ids[c.unit]
        payload = _payload(complaint=complaint, to=to, mode=mode, days=days)
        return self._command(
            "assign_complaint",
            handler,
            None,
            actor,
            at,
            key,
            payload,
            _complaints.decide_assign,
            complaint,
            mode,
            days,
        )

    def reply_complaint(
        self,
        complaint: str,
        *,
        actor: str,
        substantiated: bool,
        reply: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """The handling unit's reply (办理结果): ``substantiated`` whether the complaint was
        found true (查实). Late after the deadline. Roles: ``complaint_reply`` (default
        ``member`` of the handling unit, or ``office``)."""
        c = _complaints.complaint_of(self._state, complaint, "reply_complaint")
        handler = self._state.ids[_complaints.handler_of(self._state, c)]
        payload = _payload(complaint=complaint, substantiated=substantiated, reply=reply)
        return self._command(
            "reply_complaint",
            handler,
            None,
            actor,
            at,
            key,
            payload,
            _complaints.decide_reply,
            complaint,
            substantiated,
            reply,
        )

    def callback_complaint(
        self,
        complaint: str,
        *,
        actor: str,
        satisfaction: str,
        note: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """The callback (回访): the complainant's ``satisfaction``, an answer of the
        template's scale (``satisfied`` 满意, ``basically_satisfied`` 基本满意,
        ``dissatisfied`` 不满意 by default)."""
        c = _complaints.complaint_of(self._state, complaint, "callback_complaint")
        payload = _payload(complaint=complaint, satisfaction=satisfaction, note=note)
        return self._command(
            "callback_complaint",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            payload,
            _complaints.decide_callback,
            complaint,
            satisfaction,
            note,
        )

    def close_complaint(
        self,
        complaint: str,
        *,
        actor: str,
        note: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """Close a replied complaint (办结), called back or not."""
        c = _complaints.complaint_of(self._state, complaint, "close_complaint")
        payload = _payload(complaint=complaint, note=note)
        return self._command(
            "close_complaint",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            payload,
            _complaints.decide_close,
            complaint,
            note,
        )

    def act_on_complaint(
        self,
        complaint: str,
        *,
        actor: str,
        finding: bool = True,
        description: str | None = None,
        days: int | None = None,
        sanction: str | None = None,
        person: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """Follow up a substantiated complaint against the unit complained about: a finding
        (source ``complaint``, ``days`` working days or the template's rectification
        period; roles ``finding``) and/or a ``sanction`` from the ladder (roles
        ``sanction``).

        Returns:
            The ``complaint_actioned`` event (``data["finding"]``: the finding's id).
        """
        c = _complaints.complaint_of(self._state, complaint, "act_on_complaint")
        payload = _payload(
            complaint=complaint,
            finding=finding,
            description=description,
            days=days,
            sanction=sanction,
            person=person,
        )
        return self._command(
            "act_on_complaint",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            payload,
            _complaints.decide_action,
            complaint,
            finding,
            description,
            days,
            sanction,
            person,
        )

    def complaint(self, complaint: str, *, complainant: bool = False) -> Complaint:
        """A complaint as it stands; ``complainant=True`` also shows who complained.

        Raises:
            UnknownRecordError: no such complaint.
        """
        c = _complaints.complaint_of(self._state, complaint, "query")
        return _complaints.complaint_view(self._state, c, complainant=complainant)

    def complaints(self, unit: str | None = None) -> tuple[Complaint, ...]:
        """Every complaint (against ``unit``, or handled by it), in the order registered;
        complainants withheld."""
        state = self._state
        u = None if unit is None else self._unit_index(unit)
        return tuple(
            _complaints.complaint_view(state, c)
            for c in state.proc.complaints.values()
            if u is None or u in (c.unit, _complaints.handler_of(state, c))
        )

    def complaint_statistics(self, month: str | None = None) -> ComplaintStatistics:
        """按月通报: received, replied on time and late, overdue, substantiated, callbacks
        and the satisfaction rate, in total, per unit complained about and per channel, of
        the complaints registered in ``month`` (``"2026-03"``; ``None``: all), as of now."""
        return _complaints.statistics(self._state, month)

    # -- accountability cases ------------------------------------------------------------
    def open_case(
        self,
        unit: str,
        situation: str,
        *,
        actor: str,
        person: str | None = None,
        suspend: bool = False,
        description: str | None = None,
        complaint: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """立案: an accountability case against ``unit`` (and ``person``, an actor of the
        unit) for a 问责情形 of the template's catalogue, with an investigation deadline
        (``accountability.investigation_days``). ``suspend=True``: 先停职后调查 — the person
        may not act until the decision. The blame chain's rules name the unit's leaders.
        Roles: ``case`` (default ``accountability``).

        Returns:
            The ``case_opened`` event; ``data["case"]`` is the new id (``case-1`` …).
        """
        payload = _payload(
            situation=situation,
            person=person,
            suspend=suspend,
            description=description,
            complaint=complaint,
        )
        return self._command(
            "open_case",
            unit,
            None,
            actor,
            at,
            key,
            payload,
            _cases.decide_open,
            situation,
            person,
            suspend,
            description,
            complaint,
        )

    def notify_case(
        self,
        case: str,
        *,
        actor: str,
        facts: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """告知: tell the respondent the facts found; a statement is due within
        ``accountability.statement_days``."""
        c = _cases.case_of(self._state, case, "notify_case")
        return self._command(
            "notify_case",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            _payload(case=case, facts=facts),
            _cases.decide_notice,
            case,
            facts,
        )

    def record_statement(
        self,
        case: str,
        *,
        actor: str,
        statement: str,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """申辩: record the respondent's statement (within the statement period)."""
        c = _cases.case_of(self._state, case, "record_statement")
        return self._command(
            "record_statement",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            _payload(case=case, statement=statement),
            _cases.decide_statement,
            case,
            statement,
        )

    def decide_case(
        self,
        case: str,
        *,
        actor: str,
        sanction: str | None = None,
        chain_sanction: str | None = None,
        reason: str | None = None,
        grade_case: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """决定: a ``sanction`` from the ladder for the respondent (``None``: no
        accountability) and ``chain_sanction`` (default: the same) for each leader the
        chain names, issued as ``sanction_issued`` events; ``grade_case`` also records an
        evaluation case of that kind (``violation`` …, as ``record_case``). A suspension
        ends. Refused before the respondent was notified and could state."""
        c = _cases.case_of(self._state, case, "decide_case")
        payload = _payload(
            case=case,
            sanction=sanction,
            chain_sanction=chain_sanction,
            reason=reason,
            grade_case=grade_case,
        )
        return self._command(
            "decide_case",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            payload,
            _cases.decide_decision,
            case,
            sanction,
            chain_sanction,
            reason,
            grade_case,
        )

    def publish_case(
        self,
        case: str,
        *,
        actor: str,
        note: str | None = None,
        at: At | None = None,
        key: str | None = None,
    ) -> Event:
        """公开: make a decided case public (通报)."""
        c = _cases.case_of(self._state, case, "publish_case")
        return self._command(
            "publish_case",
            self._state.ids[c.unit],
            None,
            actor,
            at,
            key,
            _payload(case=case, note=note),
            _cases.decide_publication,
            case,
            note,
        )

    def case(self, case: str) -> AccountabilityCase:
        """An accountability case as it stands.

        Raises:
            UnknownRecordError: no such case.
        """
        return _cases.case_view(self._state, _cases.case_of(self._state, case, "query"))

    def cases(self, unit: str | None = None) -> tuple[AccountabilityCase, ...]:
        """Every accountability case (of ``unit``), in the order opened."""
        state = self._state
        u = None if unit is None else self._unit_index(unit)
        return tuple(
            _cases.case_view(state, c)
            for c in state.proc.cases.values()
            if u is None or c.unit == u
        )

    @property
    def suspended(self) -> Mapping[str, str]:
        """Actors suspended now (先停职后调查), each with the case that suspended them."""
        return dict(self._state.proc.suspended)

    def _unit_index(self, unit: str) -> int:
        return self._unit(unit)

    def report(self, *, events: bool = True) -> dict[str, Any]:
        """The JSON report (see ``Reading.report``), with ``complaints`` and ``cases`` when
        the campaign has any (complainants withheld)."""
        out = super().report(events=events)
        proc = self._state.proc
        if proc.complaints:
            out["complaints"] = [v.to_json() for v in self.complaints()]
        if proc.cases:
            out["cases"] = [v.to_json() for v in self.cases()]
        return out
