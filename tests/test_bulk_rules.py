"""The bulk path's columnar check agrees with the unit-by-unit rules of a single ``submit``.

:func:`zyw_flow.runtime._decide.check_submissions` checks a batch by columns and answers
``None`` when it cannot plainly accept it; the unit-by-unit check (``prepare`` and
``check_step_action``, the single call's rules) is the authority. Whatever the cells,
clocks, actors and batch, the columnar check never accepts what the unit-by-unit check
refuses, and when it accepts it gives the same step, units and late submissions.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from zyw_flow import Campaign, DuplicateEventError, ZywFlowError, load_template_text
from zyw_flow._time import parse_at
from zyw_flow.runtime._decide import _submissions_one_by_one, check_submissions
from zyw_flow.runtime._state import LATE, REVIEWED, UNOWED, WARN_SHIFT

from .test_engine import PAST_COMPLETION

UNITS = ["a", "b", "c", "d", "e"]
ACTORS = ["m-a", "m-b", "m-c", "m-d", "m-e", "office", "both", "scoped", "gone", "nobody", ""]
TZ = dt.timezone(dt.timedelta(hours=8))


def _campaign(source: str) -> Campaign:
    template: Any = source if source != "completion" else load_template_text(PAST_COMPLETION)
    c = Campaign.create(template)
    c.add_actor("office", ["office"])
    c.add_actor("both", ["member", "office"], unit="a")
    c.add_actor("scoped", ["member"], unit="a", scope="subtree")
    c.add_actor("gone", ["member"], unit="b")
    for u in UNITS:
        c.add_actor(f"m-{u}", ["member"], unit=u)
    c.enroll_many([("a", None, None), ("b", None, "a"), "c", "d", "e"], at="2011-09-01")
    c.revoke_actor("gone", at="2011-09-02")
    c.tick("2011-09-03")
    return c


CAMPAIGNS = {source: _campaign(source) for source in ("zhiyong-2011", "completion")}

# weighted towards cells a submission may be made on, so both paths are exercised
cell = st.tuples(
    st.sampled_from([1, 1, 1, 1, 2, 4, 5, 6, 0, 3]),  # status (pending most often)
    st.sampled_from([0, 0, 0, 0, LATE, REVIEWED, 2 << WARN_SHIFT, UNOWED, UNOWED | LATE]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    source=st.sampled_from(sorted(CAMPAIGNS)),
    cells=st.lists(st.lists(cell, min_size=5, max_size=5), min_size=20, max_size=20),
    last_days=st.lists(st.sampled_from([0, 1, 2, 3, 20, 40]), min_size=5, max_size=5),
    uphase=st.lists(st.integers(-1, 3), min_size=5, max_size=5),
    own=st.lists(st.tuples(st.integers(0, 19), st.integers(0, 4), st.integers(0, 40)), max_size=3),
    batch=st.lists(
        st.tuples(st.sampled_from([*UNITS, *UNITS, "zz", 7]), st.sampled_from([*ACTORS, None])),
        min_size=1,
        max_size=6,
        unique_by=lambda x: x[0] if x[0] != "a" else None,  # duplicates of "a" only
    ),
    member_of_own=st.booleans(),
    step=st.integers(0, 21),
    day=st.sampled_from([3, 4, 5, 8, 12, 15, 20, 40, 0]),
    hour=st.integers(0, 23),
)
def test_the_columnar_check_agrees_with_the_unit_by_unit_rules(
    source: str, cells: list[list[tuple[int, int]]], last_days: list[int], uphase: list[int],
    own: list[tuple[int, int, int]], batch: list[tuple[Any, Any]], member_of_own: bool,
    step: int, day: int, hour: int,
) -> None:  # fmt: skip
    c = CAMPAIGNS[source]
    state = c._state
    saved = (
        [bytearray(x) for x in state.status],
        [bytearray(x) for x in state.flags],
        state.last[:],
        state.uphase[:],
        [dict(x) for x in state.deadlines],
    )
    base = parse_at("2011-09-01", state.zone)
    day_us = 86_400_000_000
    try:
        for s in range(state.n):
            for u in range(len(UNITS)):
                status, flags = cells[s % len(cells)][u]
                state.status[s][u] = status
                state.flags[s][u] = flags
        for u, d in enumerate(last_days):
            state.last[u] = base + d * day_us
            state.uphase[u] = min(uphase[u], len(state.compiled.phase_ids) - 1)
        for s, u, d in own:
            if s < state.n:
                due = base + d * day_us
                state.deadlines[s][u] = (due, (), ())
        steps = [*state.step_index, "no_such_step"]
        name = steps[step % len(steps)]
        units = [u for u, _ in batch]
        # mostly each unit's own member (the common case), else the drawn actor
        actors = [f"m-{u}" if member_of_own and a is not None else a for u, a in batch]
        at = base + day * day_us + hour * 3_600_000_000
        try:
            slow: Any = _submissions_one_by_one(state, units, name, actors, at, True)
        except ZywFlowError as exc:
            slow = type(exc)
        fast = check_submissions(state, units, name, actors, at)
        event("columnar" if fast is not None else "one by one")
        if fast is not None:
            assert fast == slow
    finally:
        state.status, state.flags, state.last, state.uphase, state.deadlines = saved


@pytest.mark.parametrize("source", sorted(CAMPAIGNS))
def test_a_plain_batch_takes_the_columnar_path(source: str) -> None:
    """Every unit by its own member, in time, on an open step: checked by columns, with the
    same answer as unit by unit (and late submissions found)."""
    c = _campaign(source)
    state = c._state
    at = parse_at("2011-09-04 10:00", state.zone)
    units, actors = ["a", "c", "d"], ["m-a", "m-c", "m-d"]
    state.status[state.step_index["work_plan"]][2] = 2  # overdue: a late submission
    fast = check_submissions(state, units, "work_plan", actors, at)
    assert fast is not None
    assert fast == _submissions_one_by_one(state, units, "work_plan", actors, at, True)
    assert fast[2] == [1]


def test_a_large_batch_is_the_same_as_one_call_each() -> None:
    """Past the sizes at which the bulk path counts and writes by whole columns: the same
    units, statuses, late marks and last instants as one ``submit`` per unit; a duplicate
    deep in the batch is refused and changes nothing."""
    from tests.test_engine import report

    n = 600
    units = [f"u{i}" for i in range(n)]

    def make() -> Campaign:
        c = Campaign.create("zhiyong-2011")
        c.enroll_many(units, at="2011-09-01")
        c.add_actors({"id": f"m-{u}", "roles": ["member"], "unit": u} for u in units)
        for u in units[:50]:  # some have acted later than the batch: one by one, refused
            c.submit(u, "work_plan", actor=f"m-{u}", at="2011-09-09 09:00")
        c.tick("2011-09-12")  # the rest of work_plan is overdue: late submissions
        return c

    bulk, single = make(), make()
    rest = units[50:]
    twice = [*rest, rest[400]]
    with pytest.raises(DuplicateEventError):
        bulk.submit_many(twice, "work_plan", actor=[f"m-{u}" for u in twice], at="2011-09-13")
    assert report(bulk) == report(single)
    at = parse_at("2011-09-13", bulk._state.zone)
    fast = check_submissions(bulk._state, rest, "work_plan", [f"m-{u}" for u in rest], at)
    assert fast is not None and fast[2] == list(range(len(rest)))  # by columns, all late
    assert bulk.submit_many(rest, "work_plan", actor={u: f"m-{u}" for u in rest},
                            at="2011-09-13") == len(rest)  # fmt: skip
    for u in rest:
        single.submit(u, "work_plan", actor=f"m-{u}", at="2011-09-13")
    assert report(bulk) == report(single)
    assert bulk._state.last == single._state.last
    assert all(bulk.unit_status(u).steps["work_plan"].late for u in rest)
