"""`Campaign.act_many`: many actions of one kind at one instant give the state, events and
journal of the same calls one by one — or, refused, leave the campaign as it was."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.test_engine import START, UNITS, _people
from zyw_flow import Campaign, TransitionRefused, ZywFlowError

VERBS = ["submit", "submit", "accept", "accept", "return", "waive", "verify", "finding"]
STEPS = ["work_plan", "mobilization_meeting", "finding"]
batch = st.tuples(
    st.sampled_from(VERBS),
    st.one_of(  # distinct units mostly; a unit twice in one batch sometimes
        st.lists(st.sampled_from(UNITS[:3]), min_size=1, max_size=3, unique=True),
        st.lists(st.sampled_from(UNITS[:2]), min_size=2, max_size=3),
    ),
    st.sampled_from(STEPS),
    st.integers(0, 40),  # hours later
    st.sampled_from([0, 0, 0, -2]),  # hours into the past (per-unit time order)
    st.booleans(),  # a review: first the same units submit the same step, an hour before
)


def _actor(verb: str, unit: str) -> str:
    by_verb = {"submit": f"m-{unit}", "finding": "inspector", "verify": "inspector"}
    return by_verb.get(verb, "office")


def _step(c: Campaign, unit: str, step: str) -> str:
    """``finding``: the unit's latest rectification step (else the template step)."""
    if step != "finding":
        return step
    own = [k for k in c.unit_status(unit).steps if k.startswith(unit) or "finding" in k]
    return own[-1] if own else "work_plan"


def _fields(verb: str) -> dict[str, Any]:
    return {"return": {"reason": "补充材料"}, "finding": {"days": 2}}.get(verb, {})


def _one(c: Campaign, verb: str, unit: str, step: str | None, at: dt.datetime) -> None:
    actor, f = _actor(verb, unit), _fields(verb)
    if verb == "finding":
        c.record_finding(unit, actor=actor, at=at, **f)
    elif verb == "submit":
        c.submit(unit, step or "", actor=actor, at=at)
    elif verb in ("accept", "verify"):
        c.accept(unit, step or "", actor=actor, at=at)
    elif verb == "return":
        c.return_step(unit, step or "", actor=actor, at=at, **f)
    else:
        c.waive(unit, step or "", actor=actor, at=at)


def _seen(c: Campaign) -> list[Any]:
    return [(e.seq, e.type, e.unit, e.step, e.actor, e.at_us, e.data) for e in c.events(0)]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(batch, min_size=1, max_size=16))
def test_a_batch_is_the_calls_one_by_one(batches: list[Any]) -> None:
    bulk = _people(Campaign.create("zhiyong-2011"))
    single = _people(Campaign.create("zhiyong-2011"))
    at = START
    plan: list[Any] = []
    for verb, units, step, hours, back, prep in batches:
        if prep and verb in ("accept", "return", "verify"):
            plan.append(("submit", sorted(set(units)), step, hours, 0))
            hours = 1
        plan.append((verb, units, step, hours, back))
    for verb, units, step, hours, back in plan:
        at += dt.timedelta(hours=hours)
        when = at + dt.timedelta(hours=back)
        steps = {u: _step(bulk, u, step) for u in units}
        before = bulk.report()
        try:
            got = bulk.act_many(
                verb, units, actor={u: _actor(verb, u) for u in units}, at=when,
                step=None if verb == "finding" else steps, **_fields(verb),
            )  # fmt: skip
        except ZywFlowError:
            assert bulk.report() == before  # refused: nothing changed
            event("refused")
            continue
        event(f"passed: {verb}")
        assert [e.unit for e in got] == units
        for u in units:  # the same calls one by one must all pass, and agree
            _one(single, verb, u, None if verb == "finding" else steps[u], when)
        assert _seen(bulk) == _seen(single)
        recorded = single.events(0)
        assert [recorded[e.seq - 1].to_json() for e in got] == [e.to_json() for e in got]
    assert bulk.report() == single.report()


def test_refusal_names_the_unit_and_changes_nothing() -> None:
    c = _people(Campaign.create("zhiyong-2011"))
    c.submit("a", "work_plan", actor="m-a", at="2011-09-05")
    before = c.report()
    with pytest.raises(TransitionRefused) as info:
        c.act_many("accept", ["a", "b"], actor="office", at="2011-09-06", step="work_plan")
    assert info.value.unit == "b" and c.report() == before


@pytest.mark.parametrize(
    ("verb", "kwargs", "message"),
    [
        ("sanction", {"step": "work_plan"}, "act_many takes the verbs"),
        ("return", {"step": "work_plan"}, "needs a reason"),
        ("accept", {"step": "work_plan", "reason": "x"}, "accept takes note; not reason"),
        ("accept", {}, "needs the step"),
        ("finding", {"step": "work_plan"}, "give no step"),
        ("accept", {"step": {"a": "work_plan"}}, "names no step for 'b'"),
    ],
)
def test_bad_calls_are_typed_errors(verb: str, kwargs: dict[str, Any], message: str) -> None:
    c = _people(Campaign.create("zhiyong-2011"))
    before = c.report()
    with pytest.raises(TransitionRefused, match=message):
        c.act_many(verb, ["a", "b"], actor="office", at="2011-09-06", **kwargs)
    assert c.report() == before


def test_a_stored_batch_replays(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    c = _people(Campaign.create_stored(db, "zhiyong-2011"))
    found = c.act_many("finding", UNITS, actor="inspector", at="2011-10-17 09:00",
                       description="台账不全")  # fmt: skip
    steps = {e.unit: e.step for e in found}
    assert len(set(steps.values())) == len(UNITS)
    assert found.steps == [e.step for e in found]  # without building the events
    c.act_many("submit", UNITS, actor={u: f"m-{u}" for u in UNITS}, at="2011-10-18",
               step=steps)  # fmt: skip
    c.act_many("return", UNITS[:2], actor="inspector", at="2011-10-19", step=steps,
               reason="不彻底")  # fmt: skip
    verified = c.act_many("verify", UNITS[2:], actor="inspector", at="2011-10-19", step=steps)
    assert [e.type for e in verified] == ["step_accepted"] * len(UNITS[2:])
    c.tick("2011-11-30")
    expected = c.report()
    c.close()
    again = Campaign.open(db, use_snapshot=False)
    assert again.report() == expected and again.verify_journal().ok
    again.close()


def test_a_batch_refused_midway_keeps_the_actors() -> None:
    """A refusal after the first unit's action was applied rebuilds the state from the log;
    the in-memory log keeps the records that stand for no public event (actors), so the
    rebuilt campaign still knows who may act (it forgot them before)."""
    c = _people(Campaign.create("zhiyong-2011"))
    c.submit("a", "work_plan", actor="m-a", at="2011-09-05")
    actors = c.actors
    with pytest.raises(TransitionRefused):
        c.act_many("accept", ["a", "b"], actor="office", at="2011-09-06", step="work_plan")
    assert c.actors == actors
    c.accept("a", "work_plan", actor="office", at="2011-09-06")


def test_actors_as_a_list_in_the_units_order() -> None:
    c = _people(Campaign.create("zhiyong-2011"))
    units = ["a", "b"]
    assert c.submit_many(units, "work_plan", actor=["m-a", "m-b"], at="2011-09-05") == 2
    got = c.act_many("return", units, actor=["office", "office"], at="2011-09-06",
                     step="work_plan", reason="补充")  # fmt: skip
    assert [e.actor for e in got] == ["office", "office"]
    before = c.report()
    with pytest.raises(TransitionRefused, match="1 actors for 2 units"):
        c.submit_many(units, "work_plan", actor=["m-a"], at="2011-09-07")
    with pytest.raises(TransitionRefused, match="not int"):
        c.submit_many(units, "work_plan", actor=7, at="2011-09-07")  # type: ignore[arg-type]
    assert c.report() == before


def test_a_staff_list_is_the_calls_one_by_one(tmp_path: Path) -> None:
    rows = [
        {"id": "office", "roles": ["office"]},
        {"id": "m-a", "roles": ["member"], "unit": "a", "name": "张三"},
        {"id": "m-b", "roles": ["member"], "unit": "b", "scope": "unit"},
    ]
    many = Campaign.create_stored(tmp_path / "many.db", "zhiyong-2011")
    one = Campaign.create("zhiyong-2011")
    assert many.add_actors(rows) == 3
    for row in rows:
        one.add_actor(row["id"], row["roles"], row.get("unit"), row.get("name"),
                      scope=row.get("scope"))  # fmt: skip
    assert many.actors == one.actors
    many.close()
    again = Campaign.open(tmp_path / "many.db")
    assert again.actors == one.actors
    again.close()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"id": "x", "roles": ["office"]}, {"id": "y", "roles": ["nobody"]}], "unknown role"),
        ([{"id": "x", "roles": ["office"], "rank": 1}], "actor row 1: unknown field"),
        ([{"id": "x"}], "actor row 1: needs id and roles"),
        ([("x", ["office"])], "actor row 1: a mapping"),
    ],
)
def test_a_bad_staff_list_changes_nothing(rows: list[Any], message: str) -> None:
    c = Campaign.create("zhiyong-2011")
    with pytest.raises(ZywFlowError, match=message) as info:
        c.add_actors(rows)
    assert c.actors == {}
    if "unknown role" in message:
        assert "(actor row 2: 'y')" in info.value.__notes__


def test_a_finding_shows_the_lights_of_its_own_ladder_levels() -> None:
    """A finding due in 2 working days under a ladder of 3 and 1 working days before: the
    first light is already past when it is recorded and never shows; the second shows with
    its own id and title (it once took the first light's)."""
    from tests.test_workflows import _compiled, make

    c = make(_compiled())
    f = c.record_finding("sec-1a", actor="inspector", at="2024-04-08 09:00", days=2)
    events = c.tick("2024-04-11 12:00")
    lights = [(e.data["level"], e.data.get("title")) for e in events
              if e.type == "step_warned" and e.step == f.step]  # fmt: skip
    assert [lv for lv, _ in lights] == ["yellow"]
    status = c.unit_status("sec-1a").steps[f.step or ""]
    assert (status.warning, status.warning_title) == ("yellow", "黄灯")
