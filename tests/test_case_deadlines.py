"""A case's investigation deadline (立案 → 调查) is scheduled like a step's: warning lights
before it, overdue (调查逾期) past it, the template's escalation ladder (催办 → 督办) while
the investigation goes on; the notice (告知) ends it. Replayed and restored identically."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.test_cases import setup
from zyw_flow import Campaign, load_template

END = "T23:59:59.999999+08:00"
DUE = "2012-04-13" + END  # 2012-03-01 + 30 working days (清明 04-02…04-04 off)


def template(tmp_path: Path) -> Path:
    """001-D's template with warning lights, and a sanction on its 督办 level (which a
    case's escalation must not issue)."""
    text = (ROOT / "templates" / "xingzheng-wenze.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "\nescalation:\n",
        "\nwarnings:\n  - {id: blue, title: 蓝灯, before: 3 working days}\n"
        "  - {id: yellow, title: 黄灯, before: 1 working day}\nescalation:\n",
    )
    level = "{id: supervision, title: 督办, after: 3 working days}"
    assert level in text
    text = text.replace(
        level,
        "{id: supervision, title: 督办, after: 3 working days, sanction: circulated_criticism}",
    )
    path = tmp_path / "wenze.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def c() -> Campaign:
    return setup(Campaign.create("xingzheng-wenze"))


def open_case(c: Campaign, at: str = "2012-03-01") -> str:
    ev = c.open_case("dept-a", "slowness", actor="wenze", at=at)
    return str(ev.data["case"])  # type: ignore[index]


def timed(c: Campaign, since: int = 0) -> list[tuple[str, str, str | None]]:
    """``(type, at, title)`` of the time-driven case events."""
    return [
        (e.type, e.at.isoformat() if e.at else "", (e.data or {}).get("title"))
        for e in c.events(since)
        if e.type in ("case_warned", "case_overdue", "case_escalated")
    ]


class TestInvestigationDeadline:
    def test_on_time_nothing_fires(self, c: Campaign) -> None:
        """Notified before the deadline: ticking far past it records nothing."""
        cid = open_case(c)
        ev = c.notify_case(cid, actor="wenze", at="2012-04-13T18:00:00")
        assert "late" not in (ev.data or {})
        c.tick(until="2012-06-30")
        assert timed(c) == []
        case = c.case(cid)
        assert (case.overdue, case.escalation, case.late) == (False, 0, False)

    def test_late_goes_overdue_and_climbs_the_ladder(self, c: Campaign) -> None:
        """Past the deadline: 调查逾期 stamped with it, then 催办 (1 working day) and 督办
        (3 working days); the case shows it; a late notice is marked late and ends it."""
        cid = open_case(c)
        c.tick(until="2012-04-13T23:00:00")
        assert timed(c) == [] and not c.case(cid).overdue
        c.tick(until="2012-04-16T12:00:00")
        assert timed(c) == [("case_overdue", DUE, None)]
        case = c.case(cid)
        assert (case.overdue, case.escalation, case.escalation_title) == (True, 0, None)
        c.tick(until="2012-04-30")
        assert timed(c) == [
            ("case_overdue", DUE, None),
            ("case_escalated", "2012-04-16" + END, "催办"),  # Mon: 1 working day after Fri
            ("case_escalated", "2012-04-18" + END, "督办"),
        ]
        case = c.case(cid)
        assert (case.escalation, case.escalation_title, case.status) == (2, "督办", "investigating")
        (shown,) = c.report()["cases"]
        assert (shown["overdue"], shown["escalation"], shown["escalation_title"]) == (
            True,
            2,
            "督办",
        )
        ev = c.notify_case(cid, actor="wenze", at="2012-05-02")
        assert (ev.data or {})["late"] is True
        case = c.case(cid)
        assert (case.late, case.overdue, case.escalation) == (True, False, 2)

    def test_a_notice_between_levels_stops_the_climb(self, c: Campaign) -> None:
        """Notified after 催办, before 督办: no 督办 follows."""
        cid = open_case(c)
        c.tick(until="2012-04-17")
        c.notify_case(cid, actor="wenze", at="2012-04-17T10:00:00")
        c.tick(until="2012-05-31")
        assert [t for _, _, t in timed(c)] == [None, "催办"]

    def test_acting_past_the_deadline_without_ticking_is_the_same_as_ticking(self) -> None:
        """A notice dated past the deadline, on a clock never ticked, records the overdue
        and levels first, in time order, exactly as ticking first does."""
        ticked = setup(Campaign.create("xingzheng-wenze"))
        cid = open_case(ticked)
        ticked.tick(until="2012-04-20")
        ticked.notify_case(cid, actor="wenze", at="2012-04-20")
        direct = setup(Campaign.create("xingzheng-wenze"))
        open_case(direct)
        direct.notify_case(cid, actor="wenze", at="2012-04-20")
        assert [e.to_json() for e in direct.events()] == [e.to_json() for e in ticked.events()]
        assert [t for _, _, t in timed(direct)] == [None, "催办", "督办"]

    def test_warning_lights_and_no_sanction_from_a_case_level(self, tmp_path: Path) -> None:
        """The template's lights come on before the deadline (蓝灯 3, 黄灯 1 working day);
        a 督办 level carrying a sanction issues none for a case (the investigators are late,
        not the respondent)."""
        c = setup(Campaign.create(load_template(template(tmp_path))))
        cid = open_case(c)
        c.tick(until="2012-04-11")
        assert timed(c) == [("case_warned", "2012-04-10" + END, "蓝灯")]
        assert (c.case(cid).warning, c.case(cid).warning_title) == (1, "蓝灯")
        c.tick(until="2012-04-30")
        assert [t for _, _, t in timed(c)] == ["蓝灯", "黄灯", None, "催办", "督办"]
        assert timed(c)[1][1] == "2012-04-12" + END
        assert c.unit_status("dept-a").sanctions == ()

    def test_a_light_already_past_at_opening_is_skipped_not_relabelled(
        self, tmp_path: Path
    ) -> None:
        """2 working days to investigate: 蓝灯 (3 before) would be before 立案, so only 黄灯
        comes on — as level 2, with its own title."""
        path = template(tmp_path)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("investigation_days: 30", "investigation_days: 2"), "utf-8")
        c = setup(Campaign.create(load_template(path)))
        cid = open_case(c)  # Thu 03-01; due Mon 03-05; 黄灯 at the end of Fri 03-02
        c.tick(until="2012-03-05T12:00:00")
        assert timed(c) == [("case_warned", "2012-03-02" + END, "黄灯")]
        assert (c.case(cid).warning, c.case(cid).warning_title) == (2, "黄灯")

    def test_a_notice_before_the_lights_stops_them(self, tmp_path: Path) -> None:
        c = setup(Campaign.create(load_template(template(tmp_path))))
        cid = open_case(c)
        c.notify_case(cid, actor="wenze", at="2012-04-01")
        c.tick(until="2012-05-31")
        assert timed(c) == []


@given(
    notice=st.integers(1, 75),
    ticks=st.lists(st.integers(1, 75), max_size=6),
    hour=st.integers(0, 23),
)
def test_ticking_often_or_once_records_the_same(notice: int, ticks: list[int], hour: int) -> None:
    """However the clock is ticked before the notice, the case's time-driven events are the
    same, each stamped at its own instant; overdue exactly when notified past the deadline."""
    import datetime as dt

    def day(n: int) -> str:
        return (dt.datetime(2012, 3, 1, hour) + dt.timedelta(days=n)).isoformat()

    runs = []
    for schedule in (sorted(t for t in ticks if t < notice), []):
        c = setup(Campaign.create("xingzheng-wenze"))
        cid = open_case(c)
        for t in schedule:
            c.tick(until=day(t))
        c.notify_case(cid, actor="wenze", at=day(notice))
        c.tick(until="2012-06-30")
        runs.append([e.to_json() for e in c.events()])
    assert runs[0] == runs[1]
    overdue = day(notice) > "2012-04-13T23:59:59.999999"
    assert any(e["type"] == "case_overdue" for e in runs[0]) == overdue


class TestDurable:
    def start(self, c: Campaign) -> tuple[str, str]:
        late, on_time = open_case(c), open_case(c, at="2012-03-05")
        c.tick(until="2012-04-11")  # the first light only
        return late, on_time

    def finish(self, c: Campaign, late: str, on_time: str) -> str:
        c.notify_case(on_time, actor="wenze", at="2012-04-13T09:00:00")
        c.tick(until="2012-05-31")
        assert c.case(late).escalation == 2 and not c.case(on_time).overdue
        assert c.case(on_time).warning == 1  # notified before the second light
        return json.dumps(c.report(), sort_keys=True)

    def test_scheduled_deadlines_replay_and_survive_a_snapshot(self, tmp_path: Path) -> None:
        """A snapshot taken before the deadlines pass: the restored campaign and a replayed
        one fire them exactly as a campaign that never stopped."""
        path = template(tmp_path)
        memory = setup(Campaign.create(load_template(path)))
        expected = self.finish(memory, *self.start(memory))
        db = tmp_path / "cases.db"
        stored = setup(Campaign.create_stored(db, load_template(path)))
        late, on_time = self.start(stored)
        stored.save_snapshot()
        stored.close()
        for use_snapshot in (True, False):
            copy = tmp_path / f"copy-{use_snapshot}.db"
            shutil.copy(db, copy)
            c = Campaign.open(copy, use_snapshot=use_snapshot)
            assert self.finish(c, late, on_time) == expected
            c.close()


def test_a_format_3_snapshot_of_a_case_under_investigation_is_replayed(tmp_path: Path) -> None:
    """Format 3 did not schedule a case's deadline: a snapshot of that format holding a case
    still under investigation is not trusted (the campaign replays, and the case still goes
    overdue); one whose cases are all past the notice is read as it is."""
    import hashlib
    import sqlite3
    import zlib

    from zyw_flow.runtime import _snapshot
    from zyw_flow.runtime._state import K_CDUE

    db = tmp_path / "wenze.db"
    c = setup(Campaign.create_stored(db, "xingzheng-wenze"))
    cid = open_case(c)
    c.save_snapshot()
    c.close()

    def as_format_3() -> bytes:  # what zyw_flow wrote before cases had deadlines
        with sqlite3.connect(db) as raw:
            seq, blob = raw.execute(
                "SELECT seq, state FROM zyw_snapshot ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            data = json.loads(zlib.decompress(blob))
            data["format"] = 3
            data["schedule"] = [i for i in data["schedule"] if i[3] < K_CDUE]
            old = zlib.compress(json.dumps(data, ensure_ascii=False).encode("utf-8"))
            raw.execute(
                "UPDATE zyw_snapshot SET state = ?, state_hash = ? WHERE seq = ?",
                (old, hashlib.sha256(old).hexdigest(), seq),
            )
        return old

    assert _snapshot.load(c.compiled, as_format_3()) is None
    again = Campaign.open(db)
    again.tick(until="2012-04-20")
    assert [t for _, _, t in timed(again)] == [None, "催办", "督办"]
    assert again.case(cid).overdue
    again.notify_case(cid, actor="wenze", at="2012-04-20T10:00:00")
    again.save_snapshot()
    again.close()
    assert _snapshot.load(c.compiled, as_format_3()) is not None
    notified = Campaign.open(db)  # nothing of a deadline left to schedule: read as it is
    assert notified.case(cid).status == "notified"
    assert [t for _, _, t in timed(notified)] == [None, "催办", "督办"]
    notified.close()
