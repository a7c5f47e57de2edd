"""The testing kit: strategies, the stateful machine, and each invariant catching a broken
engine double."""

from __future__ import annotations

import datetime as dt
import heapq
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.stateful import run_state_machine_as_test

from zyw_flow import Campaign, CompiledCampaign, TemplateError, load_template_text, resolve
from zyw_flow.compile import STATUS_NAMES, STEP_EVENTS
from zyw_flow.runtime._events import StepsEscalated, StepsOverdue
from zyw_flow.runtime._state import K_DUE, K_PHASE
from zyw_flow.runtime._timed import decide_item
from zyw_flow.testing import (
    InvariantViolation,
    StatusTracker,
    awkward_instants,
    campaign_machine,
    campaign_test,
    check_escalation_schedule,
    check_phase_entry,
    check_refusal_changed_nothing,
    check_reopen_matches,
    check_status_matches_deadlines,
    check_tick_equivalence,
    invalid_templates,
    observable_state,
    template_texts,
    units,
)

HUNT = settings(
    max_examples=150,
    stateful_step_count=30,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
    phases=[Phase.explicit, Phase.generate],  # detection is what counts here, not shrinking
)


def hunt(
    engine: type[Campaign], source: Any = "zhiyong-2011", examples: int | None = None,
    **options: Any,
) -> None:  # fmt: skip
    """Run the machine against ``engine``; several distinct failures count as one."""
    hunting = HUNT if examples is None else settings(HUNT, max_examples=examples)
    try:
        run_state_machine_as_test(
            campaign_machine(source, engine=engine, **options), settings=hunting
        )
    except ExceptionGroup as group:
        if all(isinstance(e, AssertionError) for e in group.exceptions):
            raise InvariantViolation(str(group.exceptions[0])) from group
        raise


# -- broken engine doubles --------------------------------------------------------------
# Each plants one bug in the event-sourced engine (zyw_flow.runtime): the state, the
# schedule, the one writer (`_write`) or the time-driven pass (`_advance`).
class EarlyForLateComers(Campaign):
    """Units enrolled after the start are shown in the next phase a day before it opens."""

    def unit_status(self, unit: str) -> Any:
        status = super().unit_status(unit)
        state = self._state
        u = state.index[unit]
        now = self.now
        starts = self.compiled.resolved.phases
        if now is not None and state.enrolled[u] > self.compiled.phase_start_us[0]:
            for p in starts:
                if p.start - dt.timedelta(days=1) <= now < p.start:
                    return attrs.evolve(status, phase=p.id)
        return status


class SkippingEscalation(Campaign):
    """The second escalation level is never announced (催办 → 红牌)."""

    def _write(self, event: Any) -> None:
        if isinstance(event, StepsEscalated) and event.level == 2:
            for u in event.units:
                self._state.esc[event.step][self._state.slot(event.step, u)] = 2
            return
        super()._write(event)


class OverdueADayEarly(Campaign):
    """Deadlines fire a day early (while the reported due dates stay right)."""

    def __init__(self, compiled: CompiledCampaign, **kw: Any) -> None:
        super().__init__(compiled, **kw)
        day = 86_400_000_000
        shifted = [
            (at - day if kind == K_DUE else at, o, seq, kind, a, b)
            for at, o, seq, kind, a, b in self._state.schedule
        ]
        heapq.heapify(shifted)
        self._state.schedule = shifted
        self._static = sorted(item for item in shifted if item[3] != K_PHASE)


class LeakyRefusal(Campaign):
    """A refused submission still moves the clock (fires due transitions)."""

    def submit(self, unit: str, step: str, **kw: Any) -> Any:
        self._advance(self._at(kw.get("at")))
        return super().submit(unit, step, **kw)


class AcceptFromPending(Campaign):
    """The office may accept a step nobody submitted (an edge the machine lacks)."""

    def __init__(self, compiled: CompiledCampaign, **kw: Any) -> None:
        table = [list(row) for row in compiled.table]
        table[STATUS_NAMES.index("pending")][STEP_EVENTS.index("accept")] = STATUS_NAMES.index(
            "accepted"
        )
        super().__init__(attrs.evolve(compiled, table=tuple(map(tuple, table))), **kw)


class StampedAtTickEnd(Campaign):
    """Time-driven events are stamped with the tick's end, not their scheduled instant."""

    def _advance(self, until: int, units: Any = None) -> None:
        state = self._state
        while state.schedule and state.schedule[0][0] <= until:
            item = heapq.heappop(state.schedule)
            for e in decide_item(state, item, units):
                late = isinstance(e, (StepsOverdue, StepsEscalated)) and e.at < until
                self._write(attrs.evolve(e, at=until) if late else e)


class TestInvariantsCatchBrokenEngines:
    def test_reference_engine_passes(self) -> None:
        """The library's own engine satisfies every invariant on random runs."""
        run_state_machine_as_test(
            campaign_machine("zhiyong-2011"), settings=settings(HUNT, max_examples=60)
        )

    @pytest.mark.parametrize(
        "engine",
        [
            EarlyForLateComers,
            SkippingEscalation,
            OverdueADayEarly,
            LeakyRefusal,
            AcceptFromPending,
            StampedAtTickEnd,
        ],
        ids=lambda e: e.__name__,
    )
    def test_broken_engine_is_caught(self, engine: type[Campaign]) -> None:
        """The stateful machine finds the planted bug and fails."""
        # a late-comer a day before a phase opens takes a longer search to meet
        examples = 600 if engine is EarlyForLateComers else None
        with pytest.raises((InvariantViolation, AssertionError)):
            hunt(engine, examples=examples)


class TestInvariantsAlone:
    @pytest.fixture()
    def campaign(self, zhiyong: CompiledCampaign) -> Campaign:
        c = Campaign(zhiyong)
        c.add_actor("office", ["office"])
        c.add_actor("m", ["member"], unit="a")
        c.enroll("a")
        return c

    def test_phase_entry(self, campaign: Campaign) -> None:
        """check_phase_entry passes on the engine and fails on the early double."""
        campaign.tick("2011-09-25")
        check_phase_entry(campaign)
        early = EarlyForLateComers(campaign.compiled)
        early.enroll("x", at="2011-09-10")
        early.tick("2011-09-20 12:00")
        with pytest.raises(InvariantViolation, match="before it opens"):
            check_phase_entry(early)

    def test_status_matches_deadlines(self, campaign: Campaign) -> None:
        """check_status_matches_deadlines fails when a step goes overdue early."""
        campaign.tick("2011-09-11")
        check_status_matches_deadlines(campaign)
        early = OverdueADayEarly(campaign.compiled)
        early.enroll("a")
        early.tick("2011-09-10 12:00")
        with pytest.raises(InvariantViolation, match="overdue"):
            check_status_matches_deadlines(early)

    def test_tracker_and_schedule(self, campaign: Campaign) -> None:
        """The tracker and the schedule check accept the engine and reject skipped levels."""
        events = campaign.tick("2011-10-31")
        tracker = StatusTracker(campaign)
        tracker.observe_all(events)
        check_escalation_schedule(campaign, campaign.events())
        skipping = SkippingEscalation(campaign.compiled)
        skipping.enroll("a")
        with pytest.raises(InvariantViolation, match="skipped"):
            StatusTracker(skipping).observe_all(skipping.tick("2011-10-31"))
        stamped = StampedAtTickEnd(campaign.compiled)
        stamped.enroll("a")
        stamped.tick("2011-10-31")
        with pytest.raises(InvariantViolation, match="not at its due instant"):
            check_escalation_schedule(stamped, stamped.events())

    def test_tick_equivalence(self, zhiyong: CompiledCampaign) -> None:
        """check_tick_equivalence holds for the engine and fails for tick-end stamping."""

        def build(cls: type[Campaign]) -> Any:
            def make() -> Campaign:
                c = cls(zhiyong)
                c.add_actor("m", ["member"], unit="a")
                c.enroll("a")
                return c

            return make

        at = dt.datetime(2011, 9, 30, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
        script = [(at, lambda c: c.submit("a", "work_plan", actor="m", at=at))]
        day = dt.timedelta(days=1)
        check_tick_equivalence(build(Campaign), script, "2011-11-30", step=day)
        with pytest.raises(InvariantViolation):
            check_tick_equivalence(build(StampedAtTickEnd), script, "2011-11-30", step=day)

    def test_refusal(self, campaign: Campaign) -> None:
        """check_refusal_changed_nothing passes for the engine, fails for a leaky refusal."""
        before = observable_state(campaign, events=False)
        with pytest.raises(Exception) as info:
            campaign.submit("a", "work_plan", actor="office", at="2011-10-20")
        check_refusal_changed_nothing(before, campaign, info.value)
        leaky = LeakyRefusal(campaign.compiled)
        leaky.add_actor("office", ["office"])
        leaky.enroll("a")
        before = observable_state(leaky, events=False)
        with pytest.raises(Exception) as info:
            leaky.submit("a", "work_plan", actor="office", at="2011-10-20")
        with pytest.raises(InvariantViolation):
            check_refusal_changed_nothing(before, leaky, info.value)

    def test_reopen(self, tmp_path: Path) -> None:
        """check_reopen_matches passes for a stored campaign and fails if memory drifts."""
        c = Campaign.create_stored(tmp_path / "c.db", "zhiyong-2011")
        c.enroll("a", at="2011-09-01")
        c.tick("2011-09-30")
        check_reopen_matches(c)
        c._state.status[0][0] = 5  # memory no longer matches the journal
        with pytest.raises(InvariantViolation, match="reopening"):
            check_reopen_matches(c)
        c.close()


class TestStrategies:
    @given(template_texts())
    def test_generated_templates_are_valid(self, text: str) -> None:
        """Every generated template loads and resolves; windows are ordered."""
        resolved = resolve(load_template_text(text))
        for p in resolved.phases:
            assert p.start <= p.end

    @given(invalid_templates())
    def test_invalid_templates_raise_their_error(self, pair: tuple[str, str]) -> None:
        """Each planted defect is reported with its message."""
        text, fragment = pair
        with pytest.raises(TemplateError) as info:
            resolve(load_template_text(text))
        assert any(fragment in p.message for p in info.value.problems)

    @given(units())
    def test_unit_trees_enrol(self, rows: list[dict[str, Any]]) -> None:
        """Generated unit trees enroll as given (parents first, persons under units)."""
        c = Campaign.create("zhiyong-2011")
        assert c.enroll_many(rows) == len(rows)

    @given(awkward_instants())
    def test_awkward_instants_are_aware(self, at: dt.datetime) -> None:
        """Instants are aware and in +08:00."""
        assert at.utcoffset() == dt.timedelta(hours=8)

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.nested_given])
    @given(template_texts())
    def test_generated_templates_run_under_the_machine(self, text: str) -> None:
        """A generated template survives a short stateful run with every invariant."""
        compiled_text = load_template_text(text)
        run_state_machine_as_test(
            campaign_machine(compiled_text),
            settings=settings(max_examples=3, stateful_step_count=15, deadline=None, database=None),
        )


test_bundled_tianshui = campaign_test("tianshui-xiaoneng-2012")
test_bundled_health = campaign_test("health-zhiyong", params={"year": 2015})
test_bundled_daqing = campaign_test("daqing-zuofeng-2011", max_units=2)
test_stored_zhiyong = campaign_test(
    "zhiyong-2011", store=True, max_examples=5, stateful_step_count=12
)
