"""A hypothesis ``RuleBasedStateMachine`` generated from any compiled campaign."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from zyw_flow._errors import ZywFlowError
from zyw_flow._time import from_us
from zyw_flow.compile import CompiledCampaign, compile_campaign
from zyw_flow.resolve import load_template, resolve
from zyw_flow.runtime import Campaign, dispatch
from zyw_flow.template import CampaignTemplate
from zyw_flow.testing._invariants import (
    InvariantViolation,
    StatusTracker,
    check_escalation_schedule,
    check_phase_entry,
    check_refusal_changed_nothing,
    check_reopen_matches,
    check_status_matches_deadlines,
    first_difference,
    observable_state,
)

__all__ = ["campaign_machine", "campaign_test", "compile_source"]

_VERBS = ("submit", "accept", "return", "waive")


def compile_source(source: Any, params: Mapping[str, Any] | None = None) -> CompiledCampaign:
    """Compile a template id, path, :class:`CampaignTemplate` or compiled campaign."""
    if isinstance(source, CompiledCampaign):
        return source
    template = source if isinstance(source, CampaignTemplate) else load_template(source, params)
    return compile_campaign(resolve(template))


def campaign_machine(
    source: Any,
    params: Mapping[str, Any] | None = None,
    *,
    engine: Callable[[CompiledCampaign], Campaign] = Campaign,
    store: bool = False,
    max_units: int = 4,
    max_gap_hours: int = 24 * 12,
) -> type[RuleBasedStateMachine]:
    """A state machine that drives a campaign with random enrollments, actions and ticks.

    Rules: enroll units (a small tree), let time pass by random amounts, submit / accept /
    return / waive steps as their roles may, record findings and sanctions, and attempt
    refused actions (wrong role, wrong unit, unknown step, earlier time). After every rule
    the invariants of :mod:`zyw_flow.testing` are checked; at the end, a shadow campaign
    that ticked only when acting must equal the one that ticked in steps, the escalation
    schedule must hold, and (with ``store=True``) reopening the SQLite journal must rebuild
    the live state.

    Args:
        source: template id, path, loaded template or compiled campaign.
        params: template parameters.
        engine: builds the campaign under test from the compiled template (a subclass or
            double of :class:`Campaign`).
        store: keep the campaign under test in a temporary SQLite journal.
        max_units: how many units to enroll at most.
        max_gap_hours: the longest single tick.
    """
    compiled = compile_source(source, params)
    start = compiled.resolved.start - dt.timedelta(days=2)
    end = max(
        [compiled.resolved.end]
        + [s.due + dt.timedelta(days=20) for s in compiled.steps if s.due is not None]
    )
    roles = set(compiled.roles)
    boundaries = sorted(
        {p.start for p in compiled.resolved.phases}
        | {s.due for s in compiled.steps if s.due is not None}
        | {from_us(at, compiled.zone) for levels in compiled.escalation_us for at in levels}
    )
    finding_roles = compiled.permissions.get("finding", ())
    sanction_roles = compiled.permissions.get("sanction", ())

    class CampaignMachine(RuleBasedStateMachine):
        """Random runs of one compiled campaign, checked against every invariant."""

        def __init__(self) -> None:
            super().__init__()
            self._tmp: tempfile.TemporaryDirectory[str] | None = None
            if store:  # the stored engine is the library's own
                self._tmp = tempfile.TemporaryDirectory()
                db = Path(self._tmp.name) / "c.db"
                main = Campaign.create_stored(db, compiled.resolved.template)
            else:
                main = engine(compiled)
            self.campaign = main
            self.shadow = Campaign(compiled)
            self.clock: dt.datetime = start
            self.tracker = StatusTracker(self.campaign)
            self.cursor = 0
            self.units: list[str] = []
            for c in (self.campaign, self.shadow):
                for role in sorted(roles):
                    if role != "member":
                        c.add_actor(f"{role}-actor", [role])

        # -- helpers ----------------------------------------------------------------
        def both(self, fn: Callable[[Campaign], object]) -> None:
            outcomes = []
            for c in (self.campaign, self.shadow):
                before = observable_state(c, events=False) if c is self.campaign else ""
                try:
                    fn(c)
                    outcomes.append("ok")
                except ZywFlowError as exc:
                    outcomes.append(type(exc).__name__)
                    if c is self.campaign:
                        check_refusal_changed_nothing(before, c, exc)
            if outcomes[0] != outcomes[1]:
                raise InvariantViolation(
                    f"the engine under test said {outcomes[0]}, the reference {outcomes[1]}"
                )

        def later(self, hours: int) -> dt.datetime:
            self.clock = min(self.clock + dt.timedelta(hours=hours), end)
            return self.clock

        # -- rules ------------------------------------------------------------------
        @initialize(n=st.integers(1, 2))
        def enrol_first(self, n: int) -> None:
            for _ in range(n):
                self.enroll(parent=None)

        def enroll(self, parent: str | None) -> None:
            uid = f"u{len(self.units) + 1}"
            at = self.clock

            def go(c: Campaign) -> None:
                c.enroll(uid, name=f"单位{len(self.units) + 1}", parent=parent, at=at)
                if "member" in roles:
                    c.add_actor(f"member-{uid}", ["member"], unit=uid)

            self.both(go)
            self.units.append(uid)

        @rule(data=st.data(), hours=st.integers(0, 72))
        def enrol_late(self, data: st.DataObject, hours: int) -> None:
            if len(self.units) >= max_units:
                return
            parent = data.draw(st.sampled_from([None, *self.units]))
            self.later(hours)
            self.enroll(parent)

        @rule(hours=st.integers(1, max_gap_hours))
        def tick(self, hours: int) -> None:
            self.campaign.tick(self.later(hours))

        @rule(data=st.data(), nudge=st.sampled_from([-86_400_000_000, -1, 0, 1, 3_600_000_000]))
        def tick_to_boundary(self, data: st.DataObject, nudge: int) -> None:
            """Jump next to a scheduled instant (phase opening, deadline, escalation level)."""
            now = self.campaign.now or self.clock
            ahead = [b for b in boundaries if b > now]
            if not ahead:
                return
            target = data.draw(st.sampled_from(ahead[:12])) + dt.timedelta(microseconds=nudge)
            if target > self.clock:
                self.clock = min(target, end)
                self.campaign.tick(self.clock)

        @rule(data=st.data(), hours=st.integers(0, 96), verb=st.sampled_from(_VERBS))
        def act(self, data: st.DataObject, hours: int, verb: str) -> None:
            unit = data.draw(st.sampled_from(self.units))
            steps = list(self.campaign.unit_status(unit).steps.values())
            wanted = {
                "submit": ("pending", "overdue", "returned"),
                "accept": ("submitted",),
                "return": ("submitted",),
                "waive": ("pending", "overdue", "returned", "not_open"),
            }[verb]
            candidates = [s for s in steps if s.status in wanted] or steps
            step = data.draw(st.sampled_from(candidates)).step
            at = self.later(hours)
            spec = (
                compiled.steps[compiled.step_index[step]] if step in compiled.step_index else None
            )
            if verb == "submit":
                role = (spec.submit if spec else ("member",))[0]
                actor = f"member-{unit}" if role == "member" else f"{role}-actor"
            elif verb in ("accept", "return"):
                review = spec.review if spec else compiled.permissions.get("verify", ("office",))
                actor = f"{review[0]}-actor" if review else "office-actor"
            else:
                actor = f"{compiled.permissions.get('waive', ('office',))[0]}-actor"
            fields: dict[str, object] = {"unit": unit, "step": step, "actor": actor, "at": at}
            if verb == "return":
                fields["reason"] = "退回"
            # the same command table as scenario files and the command line
            self.both(lambda c: dispatch(c, verb, fields))

        @rule(data=st.data(), hours=st.integers(0, 48), days=st.integers(0, 8))
        def finding(self, data: st.DataObject, hours: int, days: int) -> None:
            if not finding_roles:
                return
            unit = data.draw(st.sampled_from(self.units))
            at = self.later(hours)
            self.both(
                lambda c: c.record_finding(
                    unit, actor=f"{finding_roles[0]}-actor", at=at, days=days
                )
            )

        @rule(data=st.data(), hours=st.integers(0, 48))
        def sanction(self, data: st.DataObject, hours: int) -> None:
            if not sanction_roles:
                return
            unit = data.draw(st.sampled_from(self.units))
            level = data.draw(st.sampled_from([s.id for s in compiled.sanctions]))
            at = self.later(hours)
            self.both(
                lambda c: c.issue_sanction(unit, level, actor=f"{sanction_roles[0]}-actor", at=at)
            )

        @rule(data=st.data(), kind=st.sampled_from(["role", "unit", "step", "time"]))
        def refused(self, data: st.DataObject, kind: str) -> None:
            unit = data.draw(st.sampled_from(self.units))
            step = compiled.steps[0].id
            before = observable_state(self.campaign, events=False)
            try:
                if kind == "role":
                    self.campaign.accept(unit, step, actor=f"member-{unit}", at=self.clock)
                elif kind == "unit":
                    other = next((u for u in self.units if u != unit), None)
                    if other is None:
                        return
                    self.campaign.submit(other, step, actor=f"member-{unit}", at=self.clock)
                elif kind == "step":
                    self.campaign.submit(
                        unit, "no-such-step", actor=f"member-{unit}", at=self.clock
                    )
                else:  # time is ordered per unit: before the unit's last event
                    timeline = self.campaign.timeline(unit)
                    if not timeline:
                        return
                    last = max(e.at for e in timeline)
                    self.campaign.submit(
                        unit, step, actor=f"member-{unit}", at=last - dt.timedelta(seconds=1)
                    )
            except ZywFlowError as exc:
                check_refusal_changed_nothing(before, self.campaign, exc)
            else:
                if kind in ("unit", "step", "time") or "member" not in compiled.steps[0].review:
                    raise InvariantViolation(f"a {kind} refusal was accepted")

        # -- invariants -------------------------------------------------------------
        @invariant()
        def phases_open_on_time(self) -> None:
            check_phase_entry(self.campaign)

        @invariant()
        def overdue_exactly_past_due(self) -> None:
            check_status_matches_deadlines(self.campaign)

        @invariant()
        def steps_follow_the_machine(self) -> None:
            new = self.campaign.events(self.cursor)
            self.tracker.observe_all(new)
            self.cursor = self.campaign.cursor

        def teardown(self) -> None:
            try:
                if self.campaign.now is not None:
                    self.shadow.tick(self.campaign.now)
                    ref, got = observable_state(self.shadow), observable_state(self.campaign)
                    if ref != got:
                        raise InvariantViolation(
                            "ticking in steps and ticking only when acting gave different "
                            f"states:\n{first_difference(ref, got)}"
                        )
                check_escalation_schedule(self.campaign, self.campaign.events(0))
                check_reopen_matches(self.campaign)
            finally:
                self.campaign.close()
                if self._tmp is not None:
                    self._tmp.cleanup()

    CampaignMachine.__name__ = f"CampaignMachine_{compiled.id.replace('-', '_')}"
    return CampaignMachine


def campaign_test(
    source: Any,
    params: Mapping[str, Any] | None = None,
    *,
    max_examples: int | None = None,
    stateful_step_count: int = 30,
    **options: Any,
) -> Callable[[], None]:
    """A pytest test function that checks a campaign template with every invariant.

    Example::

        from zyw_flow.testing import campaign_test
        test_my_campaign = campaign_test("templates/my.yaml", params={"year": 2026})

    ``options`` go to :func:`campaign_machine` (``engine=``, ``store=``, ``max_units=`` …).
    The hypothesis profile in force decides the number of examples unless
    ``max_examples`` is given.
    """
    machine = campaign_machine(source, params, **options)

    def test() -> None:
        base = settings()
        run_state_machine_as_test(
            machine,
            settings=settings(
                base,
                max_examples=max_examples or base.max_examples,
                stateful_step_count=stateful_step_count,
                deadline=None,
            ),
        )

    test.__name__ = f"test_{machine.__name__}"
    test.__doc__ = f"Every invariant holds on random runs of {machine.__name__}."
    return test
