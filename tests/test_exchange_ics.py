"""Deadlines as iCalendar files, read back with icalendar's own parser."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from tests import store_fixtures
from tests.store_fixtures import Store
from zyw_flow import Campaign, UnknownUnitError
from zyw_flow.cli import main
from zyw_flow.compile import CompiledCampaign, compile_campaign
from zyw_flow.exchange import calendar_bytes, campaign_calendar, template_calendar
from zyw_flow.resolve import load_template, resolve

sqlite_store = store_fixtures.sqlite_store


def compiled(ref: str) -> CompiledCampaign:
    return compile_campaign(resolve(load_template(ref, {})))


def parse(data: bytes) -> Calendar:
    cal = Calendar.from_ical(data)
    assert isinstance(cal, Calendar)
    return cal


def events(cal: Calendar) -> dict[str, Any]:
    """VEVENTs by UID (each UID once)."""
    out: dict[str, Any] = {}
    for ev in cal.walk("VEVENT"):
        uid = str(ev["UID"])
        assert uid not in out, f"duplicate UID {uid}"
        out[uid] = ev
    return out


def second(at: dt.datetime) -> dt.datetime:
    return at.replace(microsecond=0)


class TestTemplateCalendar:
    @pytest.mark.parametrize("ref", ["zhiyong-2011", "daqing-zuofeng-2011"])
    def test_every_deadline_is_an_event_in_the_campaign_zone(self, ref: str) -> None:
        c = compiled(ref)
        cal = parse(calendar_bytes(template_calendar(c)))
        (tz,) = cal.walk("VTIMEZONE")
        assert str(tz["TZID"]) == c.timezone
        got = events(cal)
        steps = [s for s in c.steps if s.due is not None]
        assert len(got) == len(steps)
        for s in steps:
            ev = got[f"{c.id}.all.{s.id}@zyw-flow"]  # a stable UID per step (instance)
            start = ev.decoded("DTSTART")
            assert start == second(s.due)  # the same instant …
            assert ev["DTSTART"].params["TZID"] == c.timezone  # … written in the campaign's zone
            assert str(ev["SUMMARY"]) == f"{s.title}截止"
            assert ev.decoded("DTSTAMP").tzinfo is not None
        assert cal["X-WR-TIMEZONE"] == c.timezone

    def test_recurring_steps_are_their_instances(self) -> None:
        """daqing-zuofeng-2011's monthly visit: one event per instance, on each instance's
        due date, each saying which instance it is."""
        c = compiled("daqing-zuofeng-2011")
        instances = [s for s in c.steps if s.instance is not None and s.due is not None]
        assert len({s.base for s in instances}) >= 1 and len(instances) >= 2
        got = events(parse(calendar_bytes(template_calendar(c))))
        for s in instances:
            (ev,) = [e for e in got.values() if f"事项：{s.id}" in str(e["DESCRIPTION"])]
            assert ev.decoded("DTSTART") == second(s.due)
            assert s.instance.isoformat() in str(ev["DESCRIPTION"])

    def test_the_same_template_gives_the_same_file(self) -> None:
        c = compiled("zhiyong-2011")
        assert calendar_bytes(template_calendar(c)) == calendar_bytes(template_calendar(c))

    def test_show_writes_the_calendar(self, tmp_path: Path, capsys: Any) -> None:
        out = tmp_path / "zhiyong.ics"
        assert main(["show", "zhiyong-2011", "--ics", str(out)]) == 0
        cal = parse(out.read_bytes())
        assert len(events(cal)) == sum(1 for s in compiled("zhiyong-2011").steps if s.due)
        assert "deadline(s) written to" in capsys.readouterr().err


class TestCampaignCalendar:
    def campaign(self) -> Campaign:
        c = Campaign.create("zhiyong-2011")
        c.add_actor("office", roles=["office"])
        c.add_actor("inspector", roles=["inspector"])
        c.add_actor("clerk-1", roles=["member"], unit="county-1")
        c.enroll_many([("city", "市局", None), ("county-1", "一分局", "city")], at="2011-08-30")
        c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        c.accept("county-1", "work_plan", actor="office", at="2011-09-06")
        c.record_finding("county-1", actor="inspector", at="2011-09-10", days=5)
        return c

    def test_a_units_calendar_has_its_current_deadlines(self) -> None:
        """Its steps and its finding, each with its status."""
        c = self.campaign()
        st = c.unit_status("county-1")
        got = events(parse(calendar_bytes(campaign_calendar(c, "county-1"))))
        dues = {sid: s for sid, s in st.steps.items() if s.due is not None}
        assert "finding-1" in dues
        assert len(got) == len(dues)
        for sid, s in dues.items():
            ev = got[f"zhiyong-2011.county-1.{sid}@zyw-flow"]
            assert s.due is not None and ev.decoded("DTSTART") == second(s.due)
            assert f"({s.status})" in str(ev["DESCRIPTION"]) or f"（{s.status}）" in str(
                ev["DESCRIPTION"]
            )
            assert str(ev["SUMMARY"]).startswith("【一分局】")
        assert [
            str(x) for x in got["zhiyong-2011.county-1.finding-1@zyw-flow"]["CATEGORIES"].cats
        ] == ["整改"]
        assert "已通过" in str(got["zhiyong-2011.county-1.work_plan@zyw-flow"]["DESCRIPTION"])

    def test_a_units_recurring_instances_say_which_they_are(self) -> None:
        c = Campaign.create(compiled("daqing-zuofeng-2011"))
        c.enroll("u1", at="2011-01-01")
        unit = events(parse(calendar_bytes(campaign_calendar(c, "u1"))))
        instances = {uid: e for uid, e in unit.items() if uid.count("@") == 2}
        assert instances
        for uid, ev in instances.items():
            day = uid.split("@")[1]
            assert f"的一次（{day}）" in str(ev["DESCRIPTION"]), uid
        assert not [u for u, e in unit.items() if u.count("@") == 1 and "周期事项" in str(
            e["DESCRIPTION"])]  # fmt: skip

    def test_the_campaign_calendar_is_the_templates(self) -> None:
        c = self.campaign()
        stamp = dt.datetime(2011, 9, 1, tzinfo=dt.UTC)
        assert calendar_bytes(campaign_calendar(c, stamp=stamp)) == calendar_bytes(
            template_calendar(c.compiled, stamp=stamp)
        )

    def test_an_unknown_unit(self) -> None:
        with pytest.raises(UnknownUnitError):
            campaign_calendar(self.campaign(), "nowhere")

    def test_cli(self, sqlite_store: Store, tmp_path: Path, capsys: Any) -> None:
        t = sqlite_store.target
        units = tmp_path / "u.csv"
        units.write_text("id,name,parent\ncity,市局,\ncounty-1,一分局,city\n", encoding="utf-8")
        assert main(["campaign", "init", t, "zhiyong-2011"]) == 0
        assert main(["campaign", "enroll", t, "--csv", str(units), "--at", "2011-08-30"]) == 0
        out = tmp_path / "c1.ics"
        capsys.readouterr()
        assert main(["campaign", "ics", t, "--unit", "county-1", "-o", str(out)]) == 0
        assert "written to" in capsys.readouterr().out
        with Campaign.open(t) as c:
            n = sum(1 for s in c.unit_status("county-1").steps.values() if s.due is not None)
        assert len(events(parse(out.read_bytes()))) == n
        assert main(["campaign", "ics", t]) == 0
        whole = parse(capsys.readouterr().out.encode())
        assert len(events(whole)) == sum(1 for s in compiled("zhiyong-2011").steps if s.due)
        assert main(["campaign", "ics", t, "--unit", "nowhere", "-o", str(out)]) == 2
        assert "nowhere" in capsys.readouterr().err


WORKFLOW = Path(__file__).parent / "templates" / "workflow" / "county-supervision.yaml"


def alarms(ev: Any) -> list[tuple[dt.datetime, str]]:
    out = []
    for alarm in ev.walk("VALARM"):
        assert str(alarm["ACTION"]) == "DISPLAY"
        trigger = alarm["TRIGGER"]
        assert trigger.params.get("VALUE") == "DATE-TIME"  # an absolute instant, in UTC
        out.append((alarm.decoded("TRIGGER"), str(alarm["DESCRIPTION"])))
    return out


class TestWarningAlarms:
    """One VALARM per level of the warning ladder (蓝灯 3 working days, 黄灯 1 working day
    before), at the instant the light comes on."""

    def test_every_templated_deadline_has_its_ladder(self) -> None:
        c = compiled(str(WORKFLOW))
        assert [w.title for w in c.warnings] == ["蓝灯", "黄灯"]
        got = events(parse(calendar_bytes(template_calendar(c))))
        for i, s in enumerate(c.steps):
            if s.due is None:
                continue
            found = alarms(got[f"{c.id}.all.{s.id}@zyw-flow"])
            assert [a for a, _ in found] == [
                second(dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=us))
                for us in c.warning_us[i]
            ]
            assert [t.split("：")[0] for _, t in found] == ["蓝灯", "黄灯"]
            assert all(a < second(s.due) for a, _ in found)

    def test_working_days_before_skip_the_holiday(self) -> None:
        """plan is due Friday 2024-04-12: 蓝灯 on Tuesday the 9th, 黄灯 on Thursday the
        11th, each at the deadline's time of day."""
        c = compiled(str(WORKFLOW))
        got = events(parse(calendar_bytes(template_calendar(c))))
        zone = c.zone
        found = [a.astimezone(zone) for a, _ in alarms(got[f"{c.id}.all.plan@zyw-flow"])]
        assert found == [
            dt.datetime(2024, 4, 9, 23, 59, 59, tzinfo=zone),
            dt.datetime(2024, 4, 11, 23, 59, 59, tzinfo=zone),
        ]
        assert "3个工作日后截止" in alarms(got[f"{c.id}.all.plan@zyw-flow"])[0][1]

    def test_a_units_alarms_follow_its_own_deadline(self) -> None:
        """county-2's plan moved to Tuesday 2024-04-30: 蓝灯 comes on 3 working days before
        — Friday the 26th, as Sunday the 28th is a working day (五一调休); a step the unit
        has done has no alarm."""
        c = Campaign.create(compiled(str(WORKFLOW)))
        c.add_actor("office", roles=["office"])
        c.add_actor("c1-clerk", roles=["member"], unit="county-1")
        c.enroll_many(
            [
                ("city", "市局", None),
                ("county-1", "一县局", "city"),
                ("county-2", "二县局", "city"),
            ],
            at="2024-03-29",
        )
        c.set_deadline("county-2", "plan", until="2024-04-30", reason="新设机构", actor="office",
                       at="2024-04-02")  # fmt: skip
        c.submit("county-1", "plan", actor="c1-clerk", at="2024-04-03")
        c.accept("county-1", "plan", actor="office", at="2024-04-03")
        zone = c.compiled.zone
        moved = events(parse(calendar_bytes(campaign_calendar(c, "county-2"))))
        ev = moved["county-supervision.county-2.plan@zyw-flow"]
        assert ev.decoded("DTSTART") == dt.datetime(2024, 4, 30, 23, 59, 59, tzinfo=zone)
        assert [a.astimezone(zone) for a, _ in alarms(ev)] == [
            dt.datetime(2024, 4, 26, 23, 59, 59, tzinfo=zone),
            dt.datetime(2024, 4, 29, 23, 59, 59, tzinfo=zone),
        ]
        assert "原定 " in str(ev["DESCRIPTION"])  # the moved deadline says so
        assert "现为 2024-04-30T23:59:59.999999+08:00" in str(ev["DESCRIPTION"])
        done = events(parse(calendar_bytes(campaign_calendar(c, "county-1"))))
        assert "原定" not in str(done["county-supervision.county-1.plan@zyw-flow"]["DESCRIPTION"])
        assert alarms(done["county-supervision.county-1.plan@zyw-flow"]) == []
        assert "已通过" in str(done["county-supervision.county-1.plan@zyw-flow"]["DESCRIPTION"])
        owed = [e for uid, e in done.items() if not uid.endswith(".plan@zyw-flow")]
        assert owed and all(len(alarms(e)) == 2 for e in owed)

    def test_no_ladder_no_alarm(self) -> None:
        cal = parse(calendar_bytes(template_calendar(compiled("zhiyong-2011"))))
        assert cal.walk("VEVENT") and not cal.walk("VALARM")

    def test_show_writes_the_alarms(self, tmp_path: Path) -> None:
        out = tmp_path / "w.ics"
        assert main(["show", str(WORKFLOW), "--ics", str(out)]) == 0
        cal = parse(out.read_bytes())
        assert len(cal.walk("VALARM")) == 2 * len(cal.walk("VEVENT"))
