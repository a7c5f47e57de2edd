"""The campaign façade: the documented commands, each a decide function run as one call."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TextIO

import attrs

from zyw_flow._errors import TransitionRefused
from zyw_flow._time import At
from zyw_flow.compile import CompiledCampaign, compile_source
from zyw_flow.runtime import _many
from zyw_flow.runtime._apply import apply
from zyw_flow.runtime._codec import expand
from zyw_flow.runtime._csv import unit_rows
from zyw_flow.runtime._decide import (
    check_rectification,
    decide_actor,
    decide_enrolment,
    decide_finding,
    decide_gate,
    decide_sanction,
    decide_step_action,
    prepare,
)
from zyw_flow.runtime._durable import Durable
from zyw_flow.runtime._events import DomainEvent, EventVoided, StepAction, UnitsEnrolled
from zyw_flow.runtime._proc_facade import Procedures
from zyw_flow.runtime._reading import Reading
from zyw_flow.runtime._records import Actor, Event
from zyw_flow.runtime._scoring import (
    decide_case,
    decide_deduction,
    decide_finalize,
    decide_score,
    number,
)
from zyw_flow.runtime._state import State
from zyw_flow.runtime._surveys import SurveyResult, counts_text, decide_survey, unit_survey
from zyw_flow.runtime._triggers import Triggers
from zyw_flow.runtime._workflow import (
    decide_approve_extension,
    decide_delegation,
    decide_group,
    decide_refuse_extension,
    decide_request_extension,
    decide_revoke,
    decide_set_deadline,
    decide_transfer,
    decide_void,
    trigger_group,
)

__all__ = ["Campaign"]

_NONE: Mapping[str, Any] = {}
_ACTOR_FIELDS = frozenset({"id", "roles", "unit", "name", "scope"})


def _decide_step(
    state: State, u: int, at: int, actor: str, action: str, step: str,
    data: Mapping[str, Any] | None, key: str | None, fp: str | None,
) -> list[DomainEvent]:  # fmt: skip
    return decide_step_action(state, action, u, step, actor, at, data, key, fp)


class Campaign(Procedures, Triggers, Reading, Durable):
    """A running campaign: enroll units, record what people do, let time pass.

    Create one with :meth:`create` (template id or path) or from a
    :class:`~zyw_flow.compile.CompiledCampaign`. The runtime never reads the wall clock:
    every call takes ``at=`` or uses the ``clock`` given at creation. Use it as a context
    manager to close a stored campaign's connection.

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

    @classmethod
    def create(
        cls,
        template: Any,
        params: Mapping[str, Any] | None = None,
        *,
        clock: Callable[[], datetime] | None = None,
        horizon: tuple[At, At] | None = None,
    ) -> Campaign:
        """A new campaign from a template id, a path, or a loaded/resolved/compiled template.

        ``horizon`` widens (or narrows) the instants the campaign accepts; by default from a
        year before its first phase to two years after its last deadline or escalation
        level — an instant beyond it is refused with ``InstantError``, since the journal
        could never take it back.

        Raises:
            TemplateNotFound: no such template.
            TemplateError: the template (with these parameters) has problems.
        """
        if not isinstance(template, CompiledCampaign):
            template = compile_source(template, params)
        return cls(template, clock=clock, horizon=horizon)

    # -- the shape of every recorded command ----------------------------------------------
    def _command(
        self,
        event: str,
        unit: str,
        step: str | None,
        actor: str,
        at: At | None,
        key: str | None,
        payload: Mapping[str, Any],
        decide: Callable[..., list[DomainEvent]],
        *args: Any,
    ) -> Event:
        """Prepare (the checks every command shares), decide, then write: the time-driven
        events due by the call's instant, the command's events, what follows from them."""
        first = self._begin()
        state = self._state
        try:
            at_us = self._at(at)
            u, at_us, dup, fp = prepare(
                state, event, unit, step, actor, at_us, at is not None, key, payload
            )
            if dup is not None:
                self._log.rollback()
                return attrs.evolve(self._log.event_at(state, dup), duplicate=True)
            events = decide(state, u, at_us, actor, *args, key, fp)
            heap = state.schedule
            if heap and heap[0][0] <= at_us:
                self._advance(at_us)
            mine = state.eseq + 1
            self._write_all(events)
            head = events[0]
            if isinstance(head, StepAction):
                s = head.step
                if state.completion and state.status[s][state.slot(s, u)] >= 5:
                    self._write_all(decide_gate(state, u, s, at_us))
            if heap and heap[0][0] <= state.now:
                self._advance(state.now)  # e.g. a finding due at once
            since = head.since if isinstance(head, EventVoided) else at_us
            if since < state.now:  # acted in the past: what the unit has reached since
                self._replay_schedule((u,), since)
        except BaseException:
            self._abort()
            raise
        self._commit(first)
        return expand(state, head, mine)[0]

    def _step(
        self, action: str, unit: str, step: str, actor: str, at: At | None, key: str | None,
        payload: Mapping[str, Any],
    ) -> Event:  # fmt: skip
        return self._command(
            action, unit, step, actor, at, key, payload, _decide_step, action, step,
            dict(payload) if payload else None,
        )  # fmt: skip

    # -- actors and enrollment -------------------------------------------------------------
    def add_actor(
        self, actor: str, roles: Iterable[str], unit: str | None = None, name: str | None = None,
        *, scope: str | None = None,
    ) -> Actor:  # fmt: skip
        """Register who may act: ``roles`` from the template; ``unit`` for a member's own unit.

        ``scope`` limits where the roles apply: ``"unit"`` (``unit`` only) or ``"subtree"``
        (``unit`` and every unit under it — a county office reviewing its own sections, a
        county clerk submitting for the county and its sections). Without it a member acts
        for its own unit and every other role campaign-wide.

        Raises:
            PermissionRefused: a role the template does not declare (or the reserved
                ``system``); re-registering a revoked actor.
            TransitionRefused: an id that is not text, an unknown scope, a scope without a
                unit.
        """
        first = self._begin()
        try:
            self._write(
                decide_actor(self._state, actor, roles, unit, name, max(self._state.now, 0), scope)
            )
        except BaseException:
            self._abort()
            raise
        self._commit(first)
        return self._state.actors[actor]

    def add_actors(self, actors: Iterable[Mapping[str, Any]]) -> int:
        """Register many actors in one call (a staff list): each row a mapping with the
        fields of :meth:`add_actor` — ``id``, ``roles``, and optionally ``unit``, ``name``,
        ``scope``. The same rules as one call per row, in order, in one transaction: all or
        nothing, and a refusal's message is noted with the row it came from.

        Returns:
            How many actors were registered.

        Example:
            >>> from zyw_flow import Campaign
            >>> c = Campaign.create("zhiyong-2011")
            >>> c.add_actors([{"id": "office", "roles": ["office"]},
            ...               {"id": "clerk-1", "roles": ["member"], "unit": "county-1"}])
            2
        """
        first = self._begin()
        state = self._state
        n = 0
        try:
            at = max(state.now, 0)
            for n, row in enumerate(actors, 1):
                if not isinstance(row, Mapping):
                    raise TransitionRefused(
                        f"actor row {n}: a mapping (id, roles, unit, name, scope), not "
                        f"{type(row).__name__}", event="actor",
                    )  # fmt: skip
                extra = sorted(set(row) - _ACTOR_FIELDS)
                if extra or "id" not in row or "roles" not in row:
                    what = f"unknown field(s) {', '.join(map(str, extra))}" if extra else (
                        "needs id and roles")  # fmt: skip
                    raise TransitionRefused(f"actor row {n}: {what}", event="actor")
                try:
                    event = decide_actor(state, row["id"], row["roles"], row.get("unit"),
                                         row.get("name"), at, row.get("scope"))  # fmt: skip
                except Exception as exc:
                    exc.add_note(f"(actor row {n}: {row.get('id')!r})")
                    raise
                self._write(event)
        except BaseException:
            self._abort()
            raise
        self._commit(first)
        return n

    @property
    def actors(self) -> Mapping[str, Actor]:
        """Registered actors by id."""
        return dict(self._state.actors)

    def enroll(
        self,
        unit: str,
        name: str | None = None,
        parent: str | None = None,
        kind: str = "unit",
        *,
        at: At | None = None,
    ) -> Event:
        """Enroll one unit (单位) or person (个人) under ``parent``.

        A unit enrolled after the campaign has started is caught up to the campaign's
        current time exactly as a unit enrolled at the start that did nothing: deadlines
        and escalation levels already passed fire for it in time order, each stamped at
        its scheduled instant.

        Raises:
            EnrollmentError: duplicate id, unknown parent, unknown kind.
            TimeOrderError: ``at`` earlier than the campaign clock.
        """
        event, first = self._enroll_rows([(unit, name, parent, kind)], at)
        return expand(self._state, event, first)[0]

    def enroll_many(self, units: Iterable[Any], *, at: At | None = None) -> int:
        """Enroll many units at once; each item is a mapping (``id``, ``name``, ``parent``,
        ``kind``) or a tuple ``(id, name, parent[, kind])``. All or nothing.

        Returns:
            How many were enrolled.
        """
        return len(self._enroll_rows(units, at)[0].ids)

    def _enroll_rows(self, rows: Iterable[Any], at: At | None) -> tuple[UnitsEnrolled, int]:
        """Enroll ``rows``: the event, and the number of its first public event."""
        with self._bulk():
            first = self._begin()
            state = self._state
            try:
                if at is None and self._clock is None:
                    at_us = state.now  # timeless: at the campaign clock, whatever it is
                else:
                    at_us = self._at(at)
                    self._not_before_clock(at_us, "enrolled", "enroll at")
                event = decide_enrolment(state, rows, at_us)
                self._advance(at_us)
                mine = state.eseq + 1
                start = len(state.ids)
                self._write(event)
                self._catch_up_units(range(start, len(state.ids)), at_us)
            except BaseException:
                self._abort()
                raise
            self._commit(first)
            return event, mine

    def enroll_csv(
        self, source: str | Path | TextIO, *, at: At | None = None, encoding: str | None = None
    ) -> int:
        """Enroll units from CSV with a header ``id,name,parent`` (optional ``kind``).

        A file is read as UTF-8 (with or without a BOM) or, failing that, GB18030 (which
        covers GBK, as Chinese spreadsheets save it); ``encoding`` names another.

        Raises:
            EnrollmentError: unreadable text, a bad header, a malformed or oversized field.
        """
        return self.enroll_many(unit_rows(source, encoding=encoding), at=at)

    # -- steps -----------------------------------------------------------------------------
    def submit(
        self, unit: str, step: str, *, actor: str, at: At | None = None,
        evidence: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record that ``unit`` did or handed in ``step`` (a late submission is marked late).

        Raises:
            UnknownUnitError, UnknownStepError, UnknownActorError, PermissionRefused,
            TransitionRefused, TimeOrderError, DuplicateEventError — with state unchanged.
        """
        payload = {"evidence": evidence} if evidence is not None else _NONE
        return self._step("submit", unit, step, actor, at, key, payload)

    def accept(
        self, unit: str, step: str, *, actor: str, at: At | None = None,
        note: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Accept a submitted step (the reviewer's 验收 / 审核通过)."""
        payload = {"note": note} if note is not None else _NONE
        return self._step("accept", unit, step, actor, at, key, payload)

    def return_step(
        self, unit: str, step: str, *, actor: str, reason: str, at: At | None = None,
        key: str | None = None,
    ) -> Event:  # fmt: skip
        """Send a submitted step back (退回) with a reason; the unit submits again."""
        return self._step("return", unit, step, actor, at, key, {"reason": reason})

    def waive(
        self, unit: str, step: str, *, actor: str, at: At | None = None,
        reason: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Waive a step for a unit (免报), by an authorised role."""
        payload = {"reason": reason} if reason is not None else _NONE
        return self._step("waive", unit, step, actor, at, key, payload)

    def act_many(
        self, verb: str, units: Iterable[str], *, actor: str | Mapping[str, str] | Sequence[str],
        at: At | None = None, step: str | Mapping[str, str] | None = None, **fields: Any,
    ) -> _many.ActionEvents:  # fmt: skip
        """Many actions of one kind at one instant, in one call: ``verb`` is ``submit``,
        ``accept``, ``verify``, ``return``, ``waive`` or ``finding``, with that method's
        fields (``reason=``, ``note=``, ``evidence=``; ``source=``, ``description=``,
        ``days=`` for findings). ``step`` and ``actor`` are one value for every unit or a
        mapping unit → value (each unit's own rectification step, say); ``actor`` may also
        be a list of the units' actors in order.

        Each unit's action is decided and applied by the same rules as the single call,
        one after another in the order given, in one transaction — all or nothing: a
        refusal names the unit and leaves the campaign unchanged. Idempotency keys are for
        single calls.

        Returns:
            The batch's own events, one per unit in the order given (for findings, each
            event's ``step`` is the new rectification step; ``.steps`` lists them without
            building the events).

        Example:
            >>> from zyw_flow import Campaign
            >>> c = Campaign.create("zhiyong-2011")
            >>> _ = c.add_actor("inspector", roles=["inspector"])
            >>> _ = c.enroll_many([{"id": "a"}, {"id": "b"}], at="2011-09-01")
            >>> for u in ("a", "b"):
            ...     _ = c.add_actor(f"clerk-{u}", roles=["member"], unit=u)
            >>> found = c.act_many("finding", ["a", "b"], actor="inspector",
            ...                    at="2011-10-17", description="台账不全")
            >>> [(e.unit, e.step) for e in found]
            [('a', 'finding-1'), ('b', 'finding-2')]
            >>> _ = c.act_many("submit", ["a", "b"], at="2011-10-20",
            ...                actor={"a": "clerk-a", "b": "clerk-b"},
            ...                step={e.unit: e.step for e in found})
            >>> len(c.act_many("verify", ["a", "b"], actor="inspector", at="2011-10-21",
            ...                step={"a": "finding-1", "b": "finding-2"}))
            2
        """
        return _many.act_many(self, verb, units, step, actor, at, fields)

    def submit_many(
        self, units: Iterable[str], step: str, *,
        actor: str | Mapping[str, str] | Sequence[str], at: At | None = None,
    ) -> int:  # fmt: skip
        """The bulk path: submit ``step`` for many units at one instant, by the same rules
        as :meth:`submit` (``actor``: one actor; a mapping unit → actor; or a list of the
        units' actors, in the units' order). All or nothing.

        Returns:
            How many submissions were recorded.
        """
        from zyw_flow.runtime._bulk import submit_many

        return submit_many(self, units, step, actor, at)

    # -- findings and sanctions --------------------------------------------------------------
    def record_finding(
        self, unit: str, *, actor: str, at: At | None = None, source: str = "inspection",
        description: str = "", days: int | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record a finding (问题) against a unit; it opens a rectification step (限期整改).

        The step's id is the finding's id (``finding-1`` …); it is due ``days`` working days
        later (the template's ``findings.rectification_days`` by default), at the end of
        that day. The unit submits it; the ``verify`` roles accept it.

        Raises:
            CalendarHorizonError: the deadline falls beyond the calendar data.

        Returns:
            The ``finding_recorded`` event; its ``step`` is the new step's id.
        """
        payload: dict[str, Any] = {"source": source, "description": description}
        if days is not None:
            payload["days"] = days

        return self._command(
            "finding", unit, None, actor, at, key, payload, decide_finding, source, description,
            days,
        )  # fmt: skip

    def verify_finding(
        self, unit: str, finding: str, *, actor: str, at: At | None = None, key: str | None = None
    ) -> Event:
        """Verify (accept) the rectification of a finding.

        Raises:
            TransitionRefused: ``finding`` is one of the template's steps (``accept`` it).
        """
        check_rectification(self._state, unit, finding, "verify")
        return self.accept(unit, finding, actor=actor, at=at, key=key)

    def issue_sanction(
        self, unit: str, sanction: str, *, actor: str, at: At | None = None,
        person: str | None = None, reason: str | None = None, rectify_days: int | None = None,
        key: str | None = None,
    ) -> Event:  # fmt: skip
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
        for name, value in (("person", person), ("reason", reason), ("rectify_days", rectify_days)):
            if value is not None:
                payload[name] = value

        return self._command(
            "sanction", unit, None, actor, at, key, payload, decide_sanction, sanction, person,
            reason, rectify_days,
        )  # fmt: skip

    # -- evaluation -----------------------------------------------------------------------------
    def record_score(
        self, unit: str, indicator: str, value: Decimal | int | str, *, actor: str,
        at: At | None = None, period: str | None = None, rater_group: str | None = None,
        rater: str | None = None, evidence: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record a score of a leaf indicator of the unit's scoring scheme (a later score for
        the same indicator, period, rater group and rater corrects it). The actor needs one
        of the indicator's scorer roles, and a member scores only for their own unit.

        Raises:
            TransitionRefused: no scheme, or the input does not fit it (unknown indicator,
                missing or wrong period or rater group, out of range, not a number).
            PermissionRefused: the actor may not score that indicator for that unit.
        """
        payload: dict[str, Any] = {
            "indicator": indicator,
            "value": number(value, "score", str(unit), indicator, "score"),
        }
        extra = (("period", period), ("rater_group", rater_group), ("rater", rater),
                 ("evidence", evidence))  # fmt: skip
        payload.update((k, v) for k, v in extra if v is not None)

        return self._command("score", unit, None, actor, at, key, payload, decide_score, payload)

    def record_deduction(
        self, unit: str, item: str, points: Decimal | int | str, *, actor: str,
        at: At | None = None, description: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record points deducted from a unit (倒扣分, schemes with ``deductions:``)."""
        payload: dict[str, Any] = {"item": item, "points": number(points, "points", str(unit),
                                                                  None, "deduction")}  # fmt: skip
        if description is not None:
            payload["description"] = description

        return self._command(
            "deduction", unit, None, actor, at, key, payload, decide_deduction, payload
        )

    def record_case(
        self, unit: str, kind: str, *, actor: str, at: At | None = None,
        item: str | None = None, person: str | None = None, description: str | None = None,
        key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record a case that lowers a grade: ``violation`` (违纪违法受到查处), ``accident``
        (重大事故) or ``veto`` (一票否决; ``item`` names it). Roles: ``sanction``."""
        payload: dict[str, Any] = {"kind": kind}
        for name, v in (("item", item), ("person", person), ("description", description)):
            if v is not None:
                payload[name] = v

        return self._command("case", unit, None, actor, at, key, payload, decide_case, payload)

    def record_survey(
        self, unit: str, survey: str, group: str, *, actor: str, at: At | None = None,
        counts: Mapping[str, int] | str | None = None, answer: str | None = None,
        rater: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Record a survey result for a unit (测评, 群众评议): a rater group's ``counts`` per
        category (``{"good": 28, "poor": 5}``) or one ballot's ``answer`` (``rater``
        optional, to refuse a second vote). The actor needs a scorer role of the indicator
        the survey feeds (the ``score`` permission otherwise). See docs/surveys.md.

        Raises:
            TransitionRefused: no such survey, group, category or answer; counts and answer
                both or neither; more ballots than a declared sample; a rater voting twice.
            PermissionRefused: the actor may not record it.
        """
        payload: dict[str, Any] = {"survey": survey, "group": group}
        if (counts is None) == (answer is None):
            raise TransitionRefused(
                "give counts (per category) or one answer", unit=str(unit), event="survey"
            )
        if counts is not None:
            payload["counts"] = counts_text(counts, str(unit))
        else:
            payload["answer"] = answer
            if rater is not None:
                payload["rater"] = rater
        return self._command("survey", unit, None, actor, at, key, payload, decide_survey, payload)

    def survey_result(self, unit: str, survey: str) -> SurveyResult:
        """A unit's result in a survey from every result recorded: weighted score, category
        shares, per group (see :func:`zyw_flow.evaluation.survey_result`)."""
        return unit_survey(self._state, unit, survey)

    def finalize_evaluation(
        self, *, actor: str, at: At | None = None, round: str | None = None,
        key: str | None = None,
    ) -> Event:  # fmt: skip
        """Make the grades final for a round and fire their consequences (诫勉: a written
        report due as a step, an admonition talk, 重点整改单位, members lose 评优资格; the
        bottom-N repeat ladder; the scheme's declared ``rules:`` over the recorded rounds,
        as ``consequence_action`` events — see docs/consequences.md). Roles: ``score``."""
        payload = {"round": round} if round is not None else _NONE
        if not self._state.ids:
            raise TransitionRefused("no unit is enrolled", event="finalize")

        root = self._state.ids[0]
        when = at if at is not None or self._clock is None else self._clock()
        if when is not None:  # a round is final for every unit: not before the clock
            self._not_before_clock(self._at(when), "finalize", "finalize an evaluation at")
        return self._command(
            "finalize", root, None, actor, at, key, payload, decide_finalize, round
        )

    # -- workflows (延期申请, 转办, 更正, groups, revocation, 代办) ------------------------------
    def request_extension(
        self, unit: str, step: str, *, until: At, reason: str, actor: str,
        at: At | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Ask for a later deadline (延期申请) before the current one passes. ``until`` is a
        date (the end of that day) or a date-time; the template's ``extensions:`` says who
        approves, in order, how many times and how far.

        Raises:
            TransitionRefused: after the deadline, a step already done, a pending request,
                over the template's limits, ``until`` not later than the deadline.
        """
        payload = {"until": _text_of(until), "reason": reason}
        return self._command(
            "request_extension", unit, step, actor, at, key, payload,
            _flow(decide_request_extension), step, until, reason,
        )  # fmt: skip

    def approve_extension(
        self, unit: str, step: str, *, actor: str, at: At | None = None,
        note: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Approve the pending extension request: the next approver of the template's chain;
        the last one moves the step's deadline with its whole escalation ladder and its
        warning lights (an overdue step whose new deadline is ahead is open again)."""
        payload = {"note": note} if note is not None else _NONE
        return self._command(
            "approve_extension", unit, step, actor, at, key, payload,
            _flow(decide_approve_extension), step, note,
        )  # fmt: skip

    def refuse_extension(
        self, unit: str, step: str, *, actor: str, at: At | None = None,
        reason: str | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Refuse the pending extension request; the deadline stays."""
        payload = {"reason": reason} if reason is not None else _NONE
        return self._command(
            "refuse_extension", unit, step, actor, at, key, payload,
            _flow(decide_refuse_extension), step, reason,
        )  # fmt: skip

    def set_deadline(
        self, unit: str, step: str, *, until: At, reason: str, actor: str,
        at: At | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Give one unit its own deadline for a step (a unit enrolled late, an emergency),
        with a reason; roles: ``permissions.set_deadline`` (the office)."""
        payload = {"until": _text_of(until), "reason": reason}
        return self._command(
            "set_deadline", unit, step, actor, at, key, payload, _flow(decide_set_deadline),
            step, until, reason,
        )  # fmt: skip

    def transfer(
        self, unit: str, step: str, *, to: str, reason: str, actor: str,
        until: At | None = None, at: At | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """转办: pass a step or a finding from ``unit`` to ``to`` with its history and its
        deadline (``until``: a new one). A template step moves only to a unit that does not
        owe it itself; roles: ``permissions.transfer``."""
        payload: dict[str, Any] = {"to": to, "reason": reason}
        if until is not None:
            payload["until"] = _text_of(until)
        return self._command(
            "transfer", unit, step, actor, at, key, payload, _flow(decide_transfer), step, to,
            until, reason,
        )  # fmt: skip

    def void(
        self, target_key: str | None = None, *, reason: str, actor: str, at: At | None = None,
        seq: int | None = None, key: str | None = None,
    ) -> Event:  # fmt: skip
        """Make a recorded action void (更正): the action with idempotency key
        ``target_key`` (or event number ``seq``). The void is itself an event; the state is
        as if the action had not been recorded (a voided submission leaves the step pending
        or overdue as of then, with the escalation it would have reached). Nothing is
        deleted from the journal. Roles: ``permissions.void``.

        Raises:
            TransitionRefused: no such action, not voidable, already void, or a later action
                on the same step stands on it (void that first).
        """
        state = self._state
        if target_key is not None and seq is not None:
            raise TransitionRefused("name the action to void once: target_key or seq, not both",
                                    event="void")  # fmt: skip
        if target_key is not None:
            seen = state.keys.get(target_key) if type(target_key) is str else None
            if seen is None:
                raise TransitionRefused(f"no recorded action has key {target_key!r}",
                                        event="void")  # fmt: skip
            target_seq = seen[1]
        elif isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= state.eseq:
            target_seq = seq
        elif seq is None:
            raise TransitionRefused("name the action to void: target_key, or seq", event="void")
        else:
            raise TransitionRefused(f"no event #{seq!r}: the events are numbered 1 to "
                                    f"{state.eseq}", event="void")  # fmt: skip
        log = self._log
        target = log.event_at(state, target_seq)
        unit = target.unit
        if unit is None:
            raise TransitionRefused(f"a {target.type} event cannot be made void", event="void")
        group = trigger_group(log, state, target) if target.type == "trigger_recorded" else ()
        if group:  # one record_trigger: every step it gave a deadline, from the first
            target, target_seq = group[0], group[0].seq

        def decide(state: State, u: int, at_us: int, actor: str, reason: str,
                   k: str | None, fp: str | None) -> list[DomainEvent]:  # fmt: skip
            history = State(self.compiled)
            log.history(history, apply, target_seq)
            return decide_void(state, u, at_us, actor, target, log.events(state, 0, state.ids[u]),
                               history, reason, k, fp, group)  # fmt: skip

        payload = {"target_key": target_key, "seq": target_seq, "reason": reason}
        return self._command("void", unit, target.step, actor, at, key, payload, decide,
                             reason)  # fmt: skip

    def assign_group(
        self, group: str, units: Iterable[str], *, actor: str, at: At | None = None,
        remove: bool = False,
    ) -> Event:  # fmt: skip
        """Put units into a group the template declares (牵头单位, 配合单位, 县市区局 …), or
        take them out (``remove``). Steps owed by the group follow at once: a unit that now
        owes a step whose deadline has passed is caught up as a unit enrolled late."""
        wanted = [units] if isinstance(units, str) else list(units)
        first = self._begin()
        state = self._state
        try:
            at_us = self._at(at) if at is not None or self._clock is not None else state.now
            self._not_before_clock(at_us, "assign_group", "assign groups at")
            if actor not in state.actors:
                self._unknown(actor)
            events = decide_group(state, 0, at_us, actor, group, wanted, remove, None, None)
            self._advance(at_us)
            mine = state.eseq + 1
            self._write_all(events)
            self._catch_up_units(events[0].units, at_us)  # type: ignore[attr-defined]
        except BaseException:
            self._abort()
            raise
        self._commit(first)
        return expand(state, events[0], mine)[0]

    def _unknown(self, actor: str) -> list[DomainEvent]:
        from zyw_flow._errors import UnknownActorError

        raise UnknownActorError(f"actor {actor!r} is not registered (add_actor)")

    def revoke_actor(
        self, actor_id: str, *, at: At | None = None, reason: str | None = None
    ) -> Actor:
        """Revoke an actor from ``at`` (default: the campaign clock) on: it may no longer
        act; the events it recorded stay its own. Register a successor under a new id."""
        first = self._begin()
        try:
            state = self._state
            at_us = max(state.now, 0) if at is None else self._at(at)
            self._not_before_clock(at_us, "revoke_actor", "revoke an actor at")
            self._write(decide_revoke(state, actor_id, at_us, reason))
        except BaseException:
            self._abort()
            raise
        self._commit(first)
        return self._state.actors[actor_id]

    def delegate(self, principal: str, delegate: str, *, start: At, end: At) -> None:
        """代办: ``delegate`` may act on behalf of ``principal`` from ``start`` until ``end``
        (exclusive), with the principal's roles and scope; each such action records both
        (``actor`` and ``data.on_behalf_of``)."""
        first = self._begin()
        try:
            self._write(
                decide_delegation(self._state, principal, delegate, self._at(start), self._at(end))
            )
        except BaseException:
            self._abort()
            raise
        self._commit(first)


def _text_of(value: Any) -> Any:
    """An instant in a fingerprint: as text (dates and date-times are not JSON)."""
    return value.isoformat() if isinstance(value, (date, datetime)) else value


def _flow(decide: Callable[..., list[DomainEvent]]) -> Callable[..., list[DomainEvent]]:
    """Adapt a workflow decide function to the shape ``_command`` calls."""

    def call(state: State, u: int, at: int, actor: str, *args: Any) -> list[DomainEvent]:
        return decide(state, u, at, actor, *args)

    return call
