"""The event-sourced engine: one authority path, per-unit time, catch-up in time order,
typed identifiers, isolated subscribers, and live = replayed = restored = bulk state."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import store_fixtures
from tests.conftest import ROOT
from tests.store_fixtures import Store
from zyw_flow import (
    Campaign,
    PermissionRefused,
    TimeOrderError,
    TransitionRefused,
    ZywFlowError,
    load_template,
)
from zyw_flow.compile import CompiledCampaign, compile_source
from zyw_flow.evaluation import load_scheme_text

TZ = dt.timezone(dt.timedelta(hours=8))


def report(c: Campaign) -> str:
    return json.dumps(c.report(), sort_keys=True, ensure_ascii=False)


@pytest.fixture(scope="module")
def zhiyong() -> CompiledCampaign:
    return compile_source("zhiyong-2011")


# -- one authority path --------------------------------------------------------------------
SELF_SCORED = """\
kind: scoring
id: self-scored
title: 自评
subject: units
model: points
total: 100
missing: block
indicators:
  - {id: self_review, title: 自评, points: 100, scorers: [member]}
"""


class TestAuthority:
    def test_a_member_scores_only_its_own_unit(self, zhiyong: CompiledCampaign) -> None:
        """A scheme that lets members score: a member of `a` may score `a`, never `b`."""
        scheme = load_scheme_text(SELF_SCORED)
        c = Campaign(attrs.evolve(zhiyong, schemes={"units": scheme}))
        c.add_actor("m-a", ["member"], unit="a")
        c.enroll_many(["a", "b"])
        c.record_score("a", "self_review", 90, actor="m-a", at="2011-12-01")
        before = report(c)
        with pytest.raises(PermissionRefused, match="acts only for unit 'a'"):
            c.record_score("b", "self_review", 100, actor="m-a", at="2011-12-01")
        assert report(c) == before
        assert c.grade("a")[0] == "90" and c.grade("b") == (None, None)

    @pytest.mark.parametrize("target", ["api", "actor"])
    def test_nobody_may_act_as_the_system(self, zhiyong: CompiledCampaign, target: str) -> None:
        """`system` is the library's own actor: a caller can neither use nor register it."""
        c = Campaign(zhiyong)
        c.enroll("a")
        before = report(c)
        with pytest.raises(PermissionRefused, match="system"):
            if target == "api":
                c.waive("a", "work_plan", actor="system", at="2011-09-05")
            else:
                c.add_actor("system", ["office"])
        assert report(c) == before

    @pytest.mark.parametrize(
        "call",
        [
            lambda c: c.submit("a", "work_plan", actor="m", at="2011-09-05", key=4711),
            lambda c: c.add_actor(7, ["office"]),
            lambda c: c.add_actor("z", ["member"], unit=5),
            lambda c: c.submit(5, "work_plan", actor="m", at="2011-09-05"),
            lambda c: c.enroll_many([("x", None, 3)]),
        ],
        ids=["key", "actor-id", "actor-unit", "unit", "parent"],
    )
    @pytest.mark.parametrize("stored", [False, True])
    def test_identifiers_must_be_text(self, call: Any, stored: bool, tmp_path: Path) -> None:
        """A number where an id belongs is refused with a typed error; nothing is written,
        and the campaign opens again unchanged."""
        db = tmp_path / "c.db"
        c = (
            Campaign.create_stored(db, "zhiyong-2011")
            if stored
            else Campaign.create("zhiyong-2011")
        )
        c.add_actor("m", ["member"], unit="a")
        c.enroll("a", at="2011-09-01")
        before, cursor = report(c), c.cursor
        with pytest.raises(ZywFlowError):
            call(c)
        assert (report(c), c.cursor) == (before, cursor)
        if stored:
            c.close()
            again = Campaign.open(db)
            assert report(again) == before
            assert again.verify_journal().ok
            again.close()


# -- time per unit ---------------------------------------------------------------------------
class TestTimePerUnit:
    def test_an_earlier_action_for_another_unit_is_accepted(
        self, zhiyong: CompiledCampaign
    ) -> None:
        """Yesterday's paper submission of one unit can be entered after today's of another;
        a unit's own history stays in order."""
        c = Campaign(zhiyong)
        c.add_actor("m-a", ["member"], unit="a")
        c.add_actor("m-b", ["member"], unit="b")
        c.enroll_many(["a", "b"], at="2011-09-01")
        c.submit("b", "work_plan", actor="m-b", at="2011-09-08 10:00")
        c.submit("a", "work_plan", actor="m-a", at="2011-09-07 16:00")  # earlier, other unit
        assert c.now == dt.datetime(2011, 9, 8, 10, tzinfo=TZ)  # the latest instant seen
        with pytest.raises(TimeOrderError, match="the unit's last event"):
            c.submit("b", "themed_study", actor="m-b", at="2011-09-08 09:00")
        a = c.unit_status("a").steps["work_plan"]
        assert (a.status, a.late) == ("submitted", False)

    def test_status_as_of_the_instant(self, zhiyong: CompiledCampaign) -> None:
        """A submission entered late for an instant before the deadline is on time; one for
        an instant after it is late, even when no tick has passed the deadline yet."""
        c = Campaign(zhiyong)
        c.add_actor("m-a", ["member"], unit="a")
        c.add_actor("m-b", ["member"], unit="b")
        c.enroll_many(["a", "b"], at="2011-09-01")
        c.submit("b", "themed_study", actor="m-b", at="2011-09-12")  # the clock passes 09-10
        assert c.unit_status("a").steps["work_plan"].status == "overdue"
        with pytest.raises(TimeOrderError):  # a went overdue at 09-10 23:59:59.999999
            c.submit("a", "work_plan", actor="m-a", at="2011-09-09")
        c.submit("a", "work_plan", actor="m-a", at="2011-09-11")
        assert c.unit_status("a").steps["work_plan"].late

    def test_two_clocks_apart_do_not_refuse_each_other(self, tmp_path: Path) -> None:
        """Two host processes whose clocks differ by 20 ms both write (one store)."""
        db = tmp_path / "c.db"
        one = Campaign.create_stored(db, "zhiyong-2011")
        one.add_actor("m-a", ["member"], unit="a")
        one.add_actor("m-b", ["member"], unit="b")
        one.enroll_many(["a", "b"], at="2011-09-01")
        two = Campaign.open(db)
        one.submit("a", "work_plan", actor="m-a", at="2011-09-05 10:00:00.020")
        two.submit("b", "work_plan", actor="m-b", at="2011-09-05 10:00:00.000")
        assert one.refresh() == 1
        assert report(one) == report(two)
        one.close()
        two.close()


# -- catch-up in time order ------------------------------------------------------------------
class TestLateEnrolment:
    def test_catch_up_is_in_time_order_as_for_a_unit_that_did_nothing(
        self, zhiyong: CompiledCampaign
    ) -> None:
        """A unit enrolled late gets the events a unit enrolled at the start that did nothing
        got, at the same instants and in time order (sanctions included)."""
        c = Campaign(zhiyong)
        c.enroll("early", at="2011-09-01")
        c.tick("2011-11-15")
        c.enroll("late", at="2011-11-15")

        def shape(unit: str) -> list[tuple[str, str | None, int, Any]]:
            return [
                (e.type, e.step, e.at_us, e.data) for e in c.timeline(unit) if e.type != "enrolled"
            ]

        late = c.timeline("late")[1:]  # after its enrollment, what it was caught up with
        assert [e.at_us for e in late] == sorted(e.at_us for e in late)
        escalations = [e for e in late if e.type == "step_escalated"]
        assert len({e.data["level"] for e in escalations if e.data}) >= 2  # climbed the ladder
        assert shape("late") == shape("early")
        assert c.unit_status("late").to_json() == c.unit_status("early").to_json()


# -- the other defects of the first engine ------------------------------------------------------
class TestDefects:
    def test_rectification_days_in_calendar_days(self, tmp_path: Path) -> None:
        """`findings.rectification_days: "30 days"` is 30 calendar days, not working days."""
        text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
        text = text.replace("findings:\n", 'findings:\n  rectification_days: "30 days"\n', 1)
        path = tmp_path / "t.yaml"
        path.write_text(text, encoding="utf-8")
        c = Campaign.create(load_template(path))
        c.add_actor("inspector", ["inspector"])
        c.enroll("a", at="2011-09-01")
        ev = c.record_finding("a", actor="inspector", at="2011-09-26 10:00")
        due = c.unit_status("a").steps[ev.step or ""].due
        assert due == dt.datetime(2011, 10, 26, 23, 59, 59, 999999, tzinfo=TZ)
        # replay reads the recorded deadline: reopening a stored copy agrees
        db = tmp_path / "c.db"
        s = Campaign.create_stored(db, load_template(path))
        s.add_actor("inspector", ["inspector"])
        s.enroll("a", at="2011-09-01")
        s.record_finding("a", actor="inspector", at="2011-09-26 10:00")
        s.close()
        again = Campaign.open(db)
        assert again.unit_status("a").steps["finding-1"].due == due
        again.close()

    def test_excellent_people_never_from_an_admonished_unit(self, tmp_path: Path) -> None:
        """Before any round is final, a member of a unit whose grade is 诫勉 is not chosen
        as an excellent individual, however high their own score."""
        text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
        text = text.replace(
            "params:\n", "params:\n  excellent_ratio: {type: str, default: '1'}\n", 1
        )
        path = tmp_path / "t.yaml"
        path.write_text(text, encoding="utf-8")
        c = Campaign.create(load_template(path))
        c.add_actor("office", ["office"])
        c.add_actor("inspector", ["inspector"])
        c.enroll_many(["weak", "strong"])
        at = "2011-12-10"
        for unit, v in (("weak", 50), ("strong", 95)):
            for leaf in ("key_work", "routine_work", "other_work"):
                for q in ("Q1", "Q2", "Q3", "Q4"):
                    c.record_score(unit, leaf, v, period=q, actor="office", at=at)
            for leaf in ("lawful", "efficient", "clean", "other_management", "innovation_results",
                         "improvement"):  # fmt: skip
                c.record_score(unit, leaf, v, actor="office", at=at)
            for g in ("leadership", "staff"):
                c.record_score(unit, "satisfaction", v, rater_group=g, actor="office", at=at)
            pid = f"{unit}-star"
            c.enroll(pid, parent=unit, kind="person")
            for q in ("Q1", "Q2", "Q3", "Q4"):
                c.record_score(pid, "work_tasks", 99, period=q, actor="office", at=at)
            c.record_score(pid, "internal_management", 99, actor="inspector", at=at)
            for g in ("leadership", "staff"):
                c.record_score(pid, "satisfaction", 99, rater_group=g, actor="office", at=at)
        result = c.evaluate()
        assert result.cards["weak"].band == "admonish"
        assert result.excellent_people == ("strong-star",)


# -- subscribers -------------------------------------------------------------------------------
def test_a_failing_subscriber_changes_nothing(zhiyong: CompiledCampaign) -> None:
    """A callback that raises neither fails the call nor stops the others; the error goes
    to the host's hook."""
    c = Campaign(zhiyong)
    seen: list[int] = []
    errors: list[tuple[int, str]] = []

    def boom(event: Any) -> None:
        raise RuntimeError("host bug")

    c.subscribe("enrolled", boom)
    c.subscribe("*", lambda e: seen.append(e.seq))
    c.on_subscriber_error = lambda e, exc: errors.append((e.seq, str(exc)))
    ev = c.enroll("a", at="2011-09-01")
    assert "a" in c and ev.seq in seen and errors == [(ev.seq, "host bug")]


# -- live = replayed = restored = bulk ----------------------------------------------------------
UNITS = ["a", "b", "c", "d"]
STEPS = ["work_plan", "mobilization_meeting", "themed_study"]
command = st.tuples(
    st.sampled_from(["submit", "accept", "return", "waive", "tick", "finding"]),
    st.lists(st.sampled_from(UNITS), min_size=1, max_size=4, unique=True),
    st.sampled_from(STEPS),
    st.integers(1, 30),  # hours later
)


START = dt.datetime(2011, 9, 1, 8, tzinfo=TZ)


def _run(c: Campaign, commands: list[Any], *, bulk: bool, at: dt.datetime = START) -> dt.datetime:
    """Run ``commands`` from ``at``; the instant reached."""
    for verb, units, step, hours in commands:
        at += dt.timedelta(hours=hours)
        if verb == "tick":
            c.tick(at)
            continue
        if verb == "submit" and bulk:
            try:
                c.submit_many(units, step, actor={u: f"m-{u}" for u in units}, at=at)
                continue
            except ZywFlowError:
                pass  # the batch is all or nothing: fall back to one by one
        for u in units:
            try:
                if verb == "submit":
                    c.submit(u, step, actor=f"m-{u}", at=at)
                elif verb == "accept":
                    c.accept(u, step, actor="office", at=at)
                elif verb == "return":
                    c.return_step(u, step, actor="office", reason="重做", at=at)
                elif verb == "waive":
                    c.waive(u, step, actor="office", at=at)
                else:
                    c.record_finding(u, actor="inspector", at=at, days=2)
            except (TransitionRefused, PermissionRefused, TimeOrderError):
                pass
    return at


def _people(c: Campaign) -> Campaign:
    c.add_actor("office", ["office"])
    c.add_actor("inspector", ["inspector"])
    for u in UNITS:
        c.add_actor(f"m-{u}", ["member"], unit=u)
    c.enroll_many(UNITS, at="2011-09-01")
    return c


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(command, min_size=1, max_size=14))
def test_live_equals_replayed_equals_restored_equals_bulk(
    tmp_path_factory: pytest.TempPathFactory, commands: list[Any]
) -> None:
    """Random command sequences: the live state, a full replay, a snapshot restore and the
    bulk path's state are one and the same."""
    db = tmp_path_factory.mktemp("live") / "c.db"
    live = _people(Campaign.create_stored(db, "zhiyong-2011"))
    half = len(commands) // 2
    reached = _run(live, commands[:half], bulk=False)
    live.save_snapshot()
    _run(live, commands[half:], bulk=False, at=reached)
    expected = report(live)
    live.close()
    replayed = Campaign.open(db, use_snapshot=False)
    restored = Campaign.open(db, verify="tail")
    bulk = _people(Campaign.create("zhiyong-2011"))
    _run(bulk, commands, bulk=True)
    assert report(replayed) == expected
    assert report(restored) == expected
    assert report(bulk) == expected
    replayed.close()
    restored.close()


@pytest.mark.parametrize("value", ["1e-999999", "1e-20000", "1e999999", "NaN", "abc"])
def test_scores_beyond_the_bounds_are_refused_fast(value: str) -> None:
    """A tiny or huge decimal is refused before it reaches the arithmetic (it would make
    every later grade slow); nothing is recorded."""
    c = Campaign.create("zhiyong-2011")
    c.add_actor("office", ["office"])
    c.enroll("u")
    before = report(c)
    with pytest.raises(TransitionRefused):
        c.record_score("u", "lawful", value, actor="office", at="2011-12-01")
    assert report(c) == before


def test_batches_are_compact_records(tmp_path: Path) -> None:
    """An enrollment, a bulk submission and a deadline over many units are each one journal
    row (unit indices as ranges), and read back as one public event per unit."""
    import sqlite3

    db = tmp_path / "zhiyong-2011.db"
    c = Campaign.create_stored(db, "zhiyong-2011")
    units = [f"u{i}" for i in range(50)]
    c.enroll_many(units, at="2011-09-01")
    for u in units:
        c.add_actor(f"m-{u}", ["member"], unit=u)
    c.submit_many(units[:30], "work_plan", actor={u: f"m-{u}" for u in units}, at="2011-09-05")
    c.tick("2011-09-11")
    with sqlite3.connect(db) as raw:
        rows = raw.execute(
            "SELECT type, unit, n FROM zyw_journal WHERE kind = 'event' ORDER BY seq"
        ).fetchall()
    assert ("enrolled", None, 50) in rows
    assert ("step_submitted", None, 30) in rows
    assert ("step_overdue", None, 20) in rows  # work_plan, for the 20 that did not submit
    overdue = [e for e in c.events() if e.type == "step_overdue" and e.step == "work_plan"]
    assert [e.unit for e in overdue] == units[30:]
    live = report(c)
    c.close()
    again = Campaign.open(db)
    assert report(again) == live
    again.close()


class TestInstants:
    @pytest.mark.parametrize(
        "at", ["9999-12-31T23:59:59-12:00", "0001-01-01", "2020-01-01", "2009-01-01"]
    )
    def test_instants_beyond_the_horizon_are_refused(self, at: str) -> None:
        """An instant the library cannot represent, or implausibly far from the campaign,
        is refused (typed, a ValueError) and moves nothing: a wrong tick could never be
        taken back from the journal."""
        from zyw_flow import InstantError

        c = Campaign.create("zhiyong-2011")
        c.add_actor("office", ["office"])
        c.enroll("a", at="2011-09-01")
        before = report(c)
        with pytest.raises(InstantError):
            c.tick(at)
        with pytest.raises(ValueError):
            c.waive("a", "work_plan", actor="office", at=at)
        assert report(c) == before
        assert c.now is not None and c.now.year == 2011

    def test_the_horizon_can_be_widened(self) -> None:
        """A host that runs a campaign longer passes its own horizon."""
        c = Campaign.create("zhiyong-2011", horizon=("2011-01-01", "2030-12-31"))
        c.enroll("a", at="2011-09-01")
        c.add_actor("office", ["office"])
        c.waive("a", "work_plan", actor="office", at="2020-01-01")
        assert c.unit_status("a").steps["work_plan"].status == "waived"


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)),
    st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
)
def test_a_local_time_string_is_read_as_the_zone_says(value: dt.datetime, zone: str) -> None:
    """The fast path for local-time strings (a cached offset per hour) agrees with the
    zone's own conversion, daylight-saving folds and gaps included, on first and later
    reads."""
    from zoneinfo import ZoneInfo

    from zyw_flow._time import parse_at, to_us

    z = ZoneInfo(zone)
    value = value.replace(fold=0)  # a string cannot say fold=1: read as the earlier offset
    text = value.isoformat(sep=" ")
    expected = to_us(value.replace(tzinfo=z))
    assert parse_at(text, z) == expected
    assert parse_at(text, z) == expected


class TestCsv:
    @pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
    def test_unit_lists_in_the_encodings_offices_use(self, tmp_path: Path, encoding: str) -> None:
        """UTF-8 with or without BOM, GBK and GB18030 are read without being named."""
        path = tmp_path / "units.csv"
        path.write_bytes("id,name,parent\ncity,市局,\ncounty-1,一分局,city\n".encode(encoding))
        c = Campaign.create("zhiyong-2011")
        assert c.enroll_csv(path) == 2
        assert c.unit_status("county-1").name == "一分局"

    def test_unreadable_text_and_huge_fields_are_typed_errors(self, tmp_path: Path) -> None:
        """Bytes no encoding reads, or a field over the csv module's limit: one typed error,
        nothing enrolled."""
        from zyw_flow import EnrollmentError

        c = Campaign.create("zhiyong-2011")
        bad = tmp_path / "bad.csv"
        bad.write_bytes(b"id,name\n\xff\xfe\xfa,x\n")
        with pytest.raises(EnrollmentError, match="encoding"):
            c.enroll_csv(bad, encoding="ascii")
        huge = tmp_path / "huge.csv"
        huge.write_text("id,name\na," + "x" * 200_000 + "\n", encoding="utf-8")
        with pytest.raises(EnrollmentError, match="cannot be read"):
            c.enroll_csv(huge)
        assert len(c) == 0


# -- one call must never ruin a campaign (issue 15's attacks, on every store) --------------------
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

ATTACKS = {
    "key=4711": lambda c: c.submit("a", "work_plan", actor="m", at="2011-09-05", key=4711),
    "add_actor(7)": lambda c: c.add_actor(7, ["office"]),
    "actor unit=5": lambda c: c.add_actor("z", ["member"], unit=5),
    "unit=5": lambda c: c.submit(5, "work_plan", actor="m", at="2011-09-05"),
    "step=5": lambda c: c.submit("a", 5, actor="m", at="2011-09-05"),
    "parent=3": lambda c: c.enroll_many([("x", None, 3)]),
    "actor=system": lambda c: c.waive("a", "work_plan", actor="system", at="2011-09-05"),
    "tick 9999": lambda c: c.tick("9999-12-31T23:59:59-12:00"),
    "at 0001": lambda c: c.submit("a", "work_plan", actor="m", at="0001-01-01"),
    "score 1e-999999": lambda c: c.record_score(
        "a", "lawful", "1e-999999", actor="office", at="2011-12-01"
    ),
}


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def where(request: pytest.FixtureRequest) -> Store | None:
    if request.param == "memory":
        return None
    name = "sqlite_store" if request.param == "sqlite" else "pg_store"
    found: Store = request.getfixturevalue(name)
    return found


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_one_call_never_ruins_a_campaign(where: Store | None, attack: str) -> None:
    """Each attack gets a typed error; the report and (stored) the journal stay
    byte-identical, and the campaign opens again and verifies."""
    c = (
        Campaign.create("zhiyong-2011")
        if where is None
        else Campaign.create_stored(where.target, "zhiyong-2011")
    )
    c.add_actor("m", ["member"], unit="a")
    c.add_actor("office", ["office"])
    c.enroll("a", at="2011-09-01")
    before = report(c)
    rows = where.rows() if where is not None else None
    with pytest.raises(ZywFlowError):
        ATTACKS[attack](c)
    assert report(c) == before
    if where is not None:
        assert where.rows() == rows
        c.close()
        again = Campaign.open(where.target)
        assert report(again) == before and again.verify_journal().ok
        again.close()


# -- acting in the past: the unit reaches what it would have reached by the clock ---------------
PAST_COMPLETION = """
id: completion-demo
title: 完成推进示例
params: {year: {type: int, default: 2011}}
advance: completion
escalation:
  - {id: reminder, title: 催办, after: 1 working day}
phases:
  - use: mobilization
    window: 9月1日—9月10日
    drop: [themed_study, themed_discussion, mobilization_meeting]
    steps:
      work_plan: {due: 9月5日}
  - use: self_check
    window: 9月11日—9月20日
    drop: [problem_sweep, democratic_life_meeting, public_pledge, model_materials]
    steps:
      rectification_report: {due: 9月15日}
"""


def _shape(c: Campaign, unit: str) -> list[tuple[str, str | None, int]]:
    return sorted((e.type, e.step, e.at_us) for e in c.timeline(unit))


@pytest.mark.parametrize("source", ["zhiyong-2011", "completion"])
def test_an_action_in_the_past_gives_the_state_of_acting_in_time(source: str) -> None:
    """Entered after the clock passed later deadlines, an earlier return (or a gate
    acceptance under completion advance) gives the same state and events as the same
    calls made in time order: the deadline passed since, the levels climbed, the phase
    entered at its opening — never before it."""
    from zyw_flow import load_template_text

    template: Any = source if source != "completion" else load_template_text(PAST_COMPLETION)

    def make() -> Campaign:
        c = Campaign.create(template)
        c.add_actor("office", ["office"])
        c.add_actor("clerk", ["member"], unit="u")
        c.enroll("u", at="2011-09-01")
        return c

    def acts(c: Campaign) -> None:
        if source == "completion":
            c.submit("u", "work_plan", actor="clerk", at="2011-09-08")
            c.accept("u", "work_plan", actor="office", at="2011-09-08")
        else:  # returned before its deadline, the return entered after it
            c.return_step("u", "work_plan", actor="office", reason="重写", at="2011-09-09")

    late, in_time = make(), make()
    until = "2011-09-25" if source == "completion" else "2011-09-15"
    if source != "completion":
        for c in (late, in_time):
            c.submit("u", "work_plan", actor="clerk", at="2011-09-08")
    late.tick(until)
    acts(late)
    acts(in_time)
    in_time.tick(until)
    assert late.unit_status("u").to_json() == in_time.unit_status("u").to_json()
    assert _shape(late, "u") == _shape(in_time, "u")
    if source == "completion":
        entered = [e for e in late.timeline("u") if e.type == "phase_entered"][-1]
        assert entered.at == dt.datetime(2011, 9, 11, tzinfo=TZ)


def test_an_instant_of_the_wrong_type_is_a_typed_error() -> None:
    """`at=12` is refused with InstantError (a ZywFlowError), not a raw TypeError."""
    from zyw_flow import InstantError

    c = Campaign.create("zhiyong-2011")
    c.add_actor("office", ["office"])
    c.enroll("u", at="2011-09-01")
    with pytest.raises(InstantError, match="int"):
        c.waive("u", "work_plan", actor="office", at=12)  # type: ignore[arg-type]


@pytest.mark.parametrize("stored", [False, True])
def test_a_timeline_is_the_units_share_of_the_events(tmp_path: Path, stored: bool) -> None:
    """`timeline(unit)` reads only that unit's part of each batch, and it is exactly the
    unit's events of `events()` (same numbers, same data)."""
    db = tmp_path / "zhiyong-2011.db"
    c = Campaign.create_stored(db, db.stem) if stored else Campaign.create(db.stem)
    c.add_actor("office", ["office"])
    units = [f"u{i}" for i in range(40)]
    c.enroll_many([(u, f"单位{u}", None) for u in units], at="2011-09-01")
    for u in units[:10]:
        c.add_actor(f"m-{u}", ["member"], unit=u)
    c.submit_many(units[:10], "work_plan", actor={u: f"m-{u}" for u in units}, at="2011-09-05")
    c.tick("2011-10-12")
    everything = c.events()
    for u in ("u0", "u7", "u39"):
        mine = [e.to_json() for e in everything if e.unit == u]
        assert [e.to_json() for e in c.timeline(u)] == mine and mine


def test_version_and_a_missing_driver_are_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`zyw-flow --version` prints the version; a PostgreSQL URL without psycopg installed
    is a one-line error naming the extra to install (exit 2)."""
    import sys

    from zyw_flow.cli import main

    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("zyw-flow ")
    monkeypatch.setitem(sys.modules, "psycopg", None)
    assert main(["campaign", "status", "postgresql://postgres@127.0.0.1:5432/test"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'zyw_flow[postgres]'" in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_many_campaigns_in_one_store(
    tmp_path: Path, kind: str, request: pytest.FixtureRequest
) -> None:
    """A store holds many campaigns, each by its id, apart from each other; a call that
    does not say which, where there are several, is refused naming them."""
    import uuid

    import psycopg

    admin = name = ""
    if kind == "sqlite":
        target = str(tmp_path / "many.db")
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"zm_{uuid.uuid4().hex[:12]}"
        admin = store_fixtures.campaign_url(server, "x").split("?")[0]
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        target = admin.rsplit("/", 1)[0] + f"/{name}"
    try:
        _many_campaigns(target)
    finally:
        if kind == "postgres":
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _many_campaigns(target: str) -> None:
    import uuid

    from zyw_flow import StoreError
    from zyw_flow.cli import main
    from zyw_flow.store import list_campaigns

    ids = [f"wuhan-{uuid.uuid4().hex[:6]}", f"tianshui-{uuid.uuid4().hex[:6]}"]
    for i, cid in enumerate(ids):
        c = Campaign.create_stored(target, "zhiyong-2011", campaign_id=cid)
        c.add_actor("office", ["office"])
        c.enroll(f"unit-{i}", at="2011-09-01")
        c.close()
    assert list_campaigns(target) == sorted(ids)
    assert main(["campaign", "list", target]) == 0
    with pytest.raises(StoreError, match="holds 2 campaigns"):
        Campaign.open(target)
    with pytest.raises(StoreError, match="already holds a campaign"):
        Campaign.create_stored(target, "zhiyong-2011", campaign_id=ids[0])
    for i, cid in enumerate(ids):
        with Campaign.open(target, campaign_id=cid) as c:
            assert c.units == (f"unit-{i}",) and c.verify_journal().ok
        # the command line names it like a PostgreSQL URL does, on SQLite too
        sep = "&" if "?" in target else "?"
        assert main(["campaign", "status", f"{target}{sep}campaign={cid}", f"unit-{i}"]) == 0
