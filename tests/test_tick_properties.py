"""Properties of time: catch-up is exact, and status follows the deadlines."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given
from hypothesis import strategies as st

from zyw_flow import (
    Campaign,
    CompiledCampaign,
    ZywFlowError,
    compile_campaign,
    load_template,
    resolve,
)

COMPILED: CompiledCampaign = compile_campaign(resolve(load_template("zhiyong-2011")))
STEPS = [s.id for s in COMPILED.steps]
START = dt.datetime(2011, 8, 28, tzinfo=dt.timezone(dt.timedelta(hours=8)))
UNITS = ["a", "b", "c"]

action = st.tuples(
    st.integers(0, 24 * 130),  # hour offset from START
    st.sampled_from(["submit", "accept", "return", "waive", "finding", "sanction"]),
    st.sampled_from(UNITS),
    st.sampled_from(STEPS),
)


def fresh() -> Campaign:
    c = Campaign(COMPILED)
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    c.add_actor("rectify", roles=["accountability"])
    for u in UNITS:
        c.enroll(u)
        c.add_actor(f"m-{u}", roles=["member"], unit=u)
    return c


def act(c: Campaign, kind: str, unit: str, step: str, at: dt.datetime) -> str:
    """Apply one action; return the error class name if refused, else ''."""
    try:
        if kind == "submit":
            c.submit(unit, step, actor=f"m-{unit}", at=at)
        elif kind == "accept":
            c.accept(unit, step, actor="office", at=at)
        elif kind == "return":
            c.return_step(unit, step, actor="office", at=at, reason="r")
        elif kind == "waive":
            c.waive(unit, step, actor="office", at=at)
        elif kind == "finding":
            c.record_finding(unit, actor="inspector", at=at, days=2)
        else:
            c.issue_sanction(unit, "interview", actor="rectify", at=at)
    except ZywFlowError as exc:
        return type(exc).__name__
    return ""


def dump(c: Campaign) -> str:
    return json.dumps(c.report(), sort_keys=True, ensure_ascii=False)


@given(st.lists(action, max_size=25))
def test_daily_ticks_equal_one_catch_up(actions: list[tuple[int, str, str, str]]) -> None:
    """Ticking every day, or only when something is recorded, gives the same state and events."""
    actions.sort(key=lambda a: a[0])
    daily, lazy = fresh(), fresh()
    day = START
    for hours, kind, unit, step in actions:
        at = START + dt.timedelta(hours=hours)
        while day + dt.timedelta(days=1) <= at:
            day += dt.timedelta(days=1)
            daily.tick(day)
        assert act(daily, kind, unit, step, at) == act(lazy, kind, unit, step, at)
    end = START + dt.timedelta(days=140)
    while day + dt.timedelta(days=1) <= end:
        day += dt.timedelta(days=1)
        daily.tick(day)
    daily.tick(end)
    lazy.tick(end)
    assert dump(daily) == dump(lazy)


@given(st.lists(action, max_size=25), st.integers(0, 24 * 140))
def test_status_follows_deadlines(actions: list[tuple[int, str, str, str]], probe: int) -> None:
    """At any instant: overdue ⇔ open, unfinished, never submitted and past due; levels grow."""
    actions.sort(key=lambda a: a[0])
    c = fresh()
    levels: dict[tuple[str, str], int] = {}
    for hours, kind, unit, step in actions:
        at = START + dt.timedelta(hours=hours)
        act(c, kind, unit, step, at)
        for u in UNITS:
            for sid, s in c.unit_status(u).steps.items():
                before = levels.get((u, sid), 0)
                assert s.escalation >= before
                levels[(u, sid)] = s.escalation
    at = max(START + dt.timedelta(hours=probe), c.now or START)
    c.tick(at)
    for u in UNITS:
        for s in c.unit_status(u).steps.values():
            if s.status == "overdue":
                assert s.due is not None and s.due < at
            if s.status == "pending":
                assert s.due is None or s.due >= at
            if s.escalation:
                assert s.due is not None and s.due < at


def test_tick_events_are_in_time_order() -> None:
    """Regression: deadlines due at the end of a phase's last day come before the next
    phase's opening (its first instant), in the order a tick returns them."""
    c = Campaign(COMPILED)
    c.enroll("city", at="2011-08-30")
    events = c.tick("2011-09-21 09:00")
    stamps = [e.at_us for e in events]
    assert stamps == sorted(stamps)
    types = [e.type for e in events]
    assert types.index("phase_opened", 1) > max(
        i for i, e in enumerate(events) if e.type == "step_overdue" and e.at.day == 20
    )
