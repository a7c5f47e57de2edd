"""Tests of zyw_flow.resolve: the seed campaigns resolve as the catalogue says.

Expected dates come from shared/domain/seed-catalogue.md §1 and the gate table §1.10.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from typing import Any

import pytest

from zyw_flow._errors import TemplateError
from zyw_flow.resolve import ResolvedCampaign, resolve
from zyw_flow.template import load_template, load_template_text

START = "T00:00:00+08:00"
END = "T23:59:59.999999+08:00"


def load(template_id: str, params: dict[str, Any] | None = None) -> ResolvedCampaign:
    """Load a bundled template and resolve it."""
    return resolve(load_template(template_id, params))


def windows(resolved: ResolvedCampaign) -> list[tuple[str, str, str]]:
    """(phase id, start, end) of every phase, in ISO form."""
    return [(p.id, p.start.isoformat(), p.end.isoformat()) for p in resolved.phases]


def due(resolved: ResolvedCampaign, step_id: str) -> str | None:
    """The ISO deadline of a step."""
    got = resolved.step(step_id).due
    return None if got is None else got.isoformat()


class TestZhiyong2011:
    """C-TAX-2011 (catalogue §1.1)."""

    @pytest.fixture(scope="class")
    @classmethod
    def campaign(cls) -> ResolvedCampaign:
        """The resolved campaign with its default year."""
        return load("zhiyong-2011")

    def test_windows(self, campaign: ResolvedCampaign) -> None:
        """9月初—9月中旬, 9月下旬, 10月-11月 and 12月 of 2011."""
        assert windows(campaign) == [
            ("mobilization", "2011-09-01" + START, "2011-09-20" + END),
            ("self_check", "2011-09-21" + START, "2011-09-30" + END),
            ("supervision", "2011-10-01" + START, "2011-11-30" + END),
            ("summary", "2011-12-01" + START, "2011-12-31" + END),
        ]

    def test_titles(self, campaign: ResolvedCampaign) -> None:
        """The phase titles are the source's."""
        assert [p.title for p in campaign.phases] == [
            "宣传发动阶段",
            "自查整改阶段",
            "督查问责阶段",
            "总结提高阶段",
        ]

    def test_work_plan(self, campaign: ResolvedCampaign) -> None:
        """工作方案 9月10日前: end of 2011-09-10, kept although it is a holiday."""
        step = campaign.step("work_plan")
        assert due(campaign, "work_plan") == "2011-09-10" + END
        assert (step.nominal_due, step.moved, step.blocks_next) == (
            dt.date(2011, 9, 10),
            False,
            True,
        )

    def test_rectification_report_trails_its_phase(self, campaign: ResolvedCampaign) -> None:
        """整改报告 10月5日前 belongs to self_check, is due after it ends, and does not block."""
        step = campaign.step("rectification_report")
        assert due(campaign, "rectification_report") == "2011-10-05" + END
        assert step.phase == "self_check"
        assert step.due is not None and step.due > campaign.phase("self_check").end
        assert step.blocks_next is False
        assert step.moved is False

    def test_summary_report(self, campaign: ResolvedCampaign) -> None:
        """总结 12月3日前."""
        assert due(campaign, "summary_report") == "2011-12-03" + END

    def test_default_and_null_deadlines(self, campaign: ResolvedCampaign) -> None:
        """正反典型材料 (及时) is due at its phase's end; supervision steps have none."""
        assert due(campaign, "model_materials") == "2011-09-30" + END
        assert due(campaign, "covert_visits") is None
        assert due(campaign, "commendation") is None

    def test_steps_open_with_their_phase(self, campaign: ResolvedCampaign) -> None:
        """Without `opens`, a step opens at its phase's start."""
        for phase in campaign.phases:
            assert all(s.opens == phase.start for s in phase.steps)

    def test_campaign_span(self, campaign: ResolvedCampaign) -> None:
        """The campaign runs from the first phase's start to the last phase's end."""
        assert campaign.start.isoformat() == "2011-09-01" + START
        assert campaign.end.isoformat() == "2011-12-31" + END

    def test_year_parameter_moves_everything(self) -> None:
        """With year=2012 the same phrases resolve in 2012."""
        resolved = load("zhiyong-2011", {"year": 2012})
        assert resolved.phase("mobilization").start.isoformat() == "2012-09-01" + START
        assert due(resolved, "work_plan") == "2012-09-10" + END


class TestTianshui2012:
    """C-TIANSHUI-2012 (catalogue §1.2): Traditional text and a year-crossing phase."""

    @pytest.fixture(scope="class")
    @classmethod
    def campaign(cls) -> ResolvedCampaign:
        """The resolved campaign."""
        return load("tianshui-xiaoneng-2012")

    def test_windows(self, campaign: ResolvedCampaign) -> None:
        """Four contiguous windows, the last crossing into 2013."""
        assert windows(campaign) == [
            ("mobilization", "2012-06-19" + START, "2012-06-25" + END),
            ("self_check", "2012-06-26" + START, "2012-07-20" + END),
            ("supervision", "2012-07-21" + START, "2012-12-09" + END),
            ("summary", "2012-12-10" + START, "2013-01-10" + END),
        ]

    def test_deadlines(self, campaign: ResolvedCampaign) -> None:
        """实施方案 at phase-1 end, 整改方案 7月20日前, 自我评价 2013年1月15日前."""
        assert due(campaign, "work_plan") == "2012-06-25" + END
        assert due(campaign, "rectification_plan") == "2012-07-20" + END
        assert due(campaign, "self_evaluation") == "2013-01-15" + END

    def test_self_evaluation_trails(self, campaign: ResolvedCampaign) -> None:
        """The self-evaluation is due 5 days after the last phase and does not block."""
        step = campaign.step("self_evaluation")
        assert step.blocks_next is False
        assert step.phase == "summary"

    def test_dropped_steps_absent(self, campaign: ResolvedCampaign) -> None:
        """Steps the campaign drops from its phase templates are not resolved."""
        ids = {s.id for s in campaign.steps}
        assert "themed_study" not in ids
        assert "investigation" not in ids
        assert {"working_bodies", "rectification_implementation", "mass_appraisal"} <= ids


class TestHealthZhiyong:
    """C-HEALTH (catalogue §1.3): no year in the source, so `year` is a parameter."""

    def test_year_2015(self) -> None:
        """year=2015 puts the 3月15日 and 5月20日 deadlines in 2015."""
        resolved = load("health-zhiyong", {"year": 2015})
        assert due(resolved, "work_plan") == "2015-03-15" + END
        assert due(resolved, "member_list") == "2015-03-15" + END
        assert due(resolved, "analysis_report") == "2015-05-20" + END
        assert windows(resolved) == [
            ("mobilization", "2015-03-01" + START, "2015-03-31" + END),
            ("self_check", "2015-04-01" + START, "2015-04-30" + END),
            ("supervision", "2015-05-01" + START, "2015-12-31" + END),
        ]

    def test_analysis_report_trails_self_check(self) -> None:
        """综合分析检查报告 is a self-check step due after the phase ends."""
        step = load("health-zhiyong", {"year": 2015}).step("analysis_report")
        assert (step.phase, step.blocks_next) == ("self_check", False)

    def test_year_from_string(self) -> None:
        """The year given as a string (as from the CLI) resolves the same."""
        assert windows(load("health-zhiyong", {"year": "2015"})) == windows(
            load("health-zhiyong", {"year": 2015})
        )


class TestZaoyang:
    """C-ZAOYANG (catalogue §1.4): windows crossing into the next year."""

    @pytest.fixture(scope="class")
    @classmethod
    def campaign(cls) -> ResolvedCampaign:
        """The resolved campaign with its default year 2011."""
        return load("zaoyang-nengli")

    def test_windows(self, campaign: ResolvedCampaign) -> None:
        """7月下旬, 8月至次年3月, 次年4月至次年6月."""
        assert windows(campaign) == [
            ("mobilization", "2011-07-21" + START, "2011-07-31" + END),
            ("self_check", "2011-08-01" + START, "2012-03-31" + END),
            ("summary", "2012-04-01" + START, "2012-06-30" + END),
        ]

    def test_evaluation_from_may_2012(self, campaign: ResolvedCampaign) -> None:
        """从2012年5月开始: the evaluation opens 2012-05-01 and is due at the phase end."""
        step = campaign.step("evaluation")
        assert step.opens.isoformat() == "2012-05-01" + START
        assert due(campaign, "evaluation") == "2012-06-30" + END


class TestDaqing2011:
    """C-DAQING-2011 (catalogue §1.5): one year-long phase with recurring steps."""

    @pytest.fixture(scope="class")
    @classmethod
    def campaign(cls) -> ResolvedCampaign:
        """The resolved campaign."""
        return load("daqing-zuofeng-2011")

    def test_window(self, campaign: ResolvedCampaign) -> None:
        """From the 2月11日 launch rally to the year end."""
        assert windows(campaign) == [("whole_year", "2011-02-11" + START, "2011-12-31" + END)]

    def test_launch_and_onsite(self, campaign: ResolvedCampaign) -> None:
        """启动大会 2月11日; 现场会 7月份 is due by the end of July."""
        assert due(campaign, "launch_rally") == "2011-02-11" + END
        assert due(campaign, "onsite_meeting") == "2011-07-31" + END

    def test_weekly_instances(self, campaign: ResolvedCampaign) -> None:
        """每周一报 is one instance per Monday, ids suffixed with the date."""
        step = campaign.step("weekly_report@2011-03-07")
        assert (step.base, step.instance) == ("weekly_report", dt.date(2011, 3, 7))
        assert step.due is not None and step.due.isoformat() == "2011-03-07" + END
        weekly = [s for s in campaign.steps if s.base == "weekly_report"]
        assert weekly[0].id == "weekly_report@2011-02-14"
        assert weekly[-1].id == "weekly_report@2011-12-26"
        assert len(weekly) == 46
        assert all(s.instance is not None and s.instance.weekday() == 0 for s in weekly)

    def test_instances_open_after_the_previous_one(self, campaign: ResolvedCampaign) -> None:
        """Each weekly instance opens the day after the previous instance's due date."""
        step = campaign.step("weekly_report@2011-03-07")
        assert step.opens.isoformat() == "2011-03-01" + START

    def test_monthly_instances_at_month_end(self, campaign: ResolvedCampaign) -> None:
        """推进专报 falls on each month's last day, February to December."""
        monthly = [s.id for s in campaign.steps if s.base == "progress_report"]
        assert monthly[0] == "progress_report@2011-02-28"
        assert monthly[-1] == "progress_report@2011-12-31"
        assert len(monthly) == 11


POLICY = textwrap.dedent(
    """\
    id: policy
    title: 截止日期顺延
    params:
      year: {type: int, default: 2011}
    calendar:
      name: cn
      on_non_workday: %s
    phases:
      - id: work
        title: 工作
        window: 9月—10月
        steps:
          report: {title: 报告, due: 10月5日}
          plan: {title: 方案, due: 9月10日前, on_non_workday: keep}
    """
)


class TestDeadlinePolicy:
    """`on_non_workday` moves deadlines that fall on days off (2011-10-05: National Day)."""

    def test_next_workday(self) -> None:
        """next_workday moves 10-05 to the make-up working Saturday 10-08."""
        step = resolve(load_template_text(POLICY % "next_workday")).step("report")
        assert step.due is not None and step.due.isoformat() == "2011-10-08" + END
        assert step.due.weekday() == 5
        assert (step.nominal_due, step.moved) == (dt.date(2011, 10, 5), True)

    def test_previous_workday(self) -> None:
        """previous_workday moves 10-05 back to 09-30."""
        step = resolve(load_template_text(POLICY % "previous_workday")).step("report")
        assert step.due is not None and step.due.isoformat() == "2011-09-30" + END
        assert (step.nominal_due, step.moved) == (dt.date(2011, 10, 5), True)

    def test_keep(self) -> None:
        """keep leaves 10-05 where it is."""
        step = resolve(load_template_text(POLICY % "keep")).step("report")
        assert step.due is not None and step.due.isoformat() == "2011-10-05" + END
        assert (step.nominal_due, step.moved) == (dt.date(2011, 10, 5), False)

    def test_step_policy_overrides_calendar(self) -> None:
        """A step's own `on_non_workday: keep` wins over the calendar's policy."""
        step = resolve(load_template_text(POLICY % "next_workday")).step("plan")
        assert step.due is not None and step.due.isoformat() == "2011-09-10" + END
        assert step.moved is False

    def test_workday_deadline_never_moves(self) -> None:
        """A deadline on a working day is not moved by any policy."""
        text = (POLICY % "next_workday").replace("10月5日", "10月10日")
        step = resolve(load_template_text(text)).step("report")
        assert step.due is not None and step.due.isoformat() == "2011-10-10" + END
        assert step.moved is False

    def test_default_policy_is_keep(self) -> None:
        """Without a calendar block, deadlines stay put."""
        text = (POLICY % "keep").replace("calendar:\n  name: cn\n  on_non_workday: keep\n", "")
        assert "calendar" not in text
        step = resolve(load_template_text(text)).step("report")
        assert step.moved is False


class TestResolveProblems:
    """Date problems found at resolution are TemplateErrors located like the loader's."""

    def test_deadline_before_phase(self) -> None:
        """A deadline before the phase opens needs `early: true`."""
        text = (POLICY % "keep").replace("window: 9月—10月", "window: 9月11日—10月31日")
        with pytest.raises(TemplateError) as info:
            resolve(load_template_text(text))
        (problem,) = info.value.problems
        assert problem.path == "phases[0].steps.plan.due"
        assert problem.line == 14
        assert "before phase 'work' opens on 2011-09-11" in problem.message
        early = text.replace("on_non_workday: keep}", "on_non_workday: keep, early: true}")
        assert resolve(load_template_text(early)).step("plan").due is not None

    def test_horizon(self) -> None:
        """A year without official data is refused by default, named in the message."""
        with pytest.raises(TemplateError) as info:
            load("zhiyong-2011", {"year": 2031})
        (problem,) = info.value.problems
        assert problem.path == "calendar"
        assert "2031" in problem.message and "fallback" in problem.message


class TestToJson:
    """ResolvedCampaign.to_json is the `show --json` document."""

    def test_shape(self) -> None:
        """Top-level, phase and step keys, with ISO instants."""
        doc = load("zhiyong-2011").to_json()
        assert {"id", "title", "timezone", "phases"} <= set(doc)
        assert (doc["id"], doc["title"], doc["timezone"]) == (
            "zhiyong-2011",
            "市局治庸问责工作实施方案",
            "Asia/Shanghai",
        )
        for phase in doc["phases"]:
            assert set(phase) == {"id", "title", "start", "end", "steps"}
            for step in phase["steps"]:
                assert set(step) == {"id", "title", "due"}
        first = doc["phases"][0]
        assert (first["id"], first["start"], first["end"]) == (
            "mobilization",
            "2011-09-01" + START,
            "2011-09-20" + END,
        )
        work_plan = next(s for s in first["steps"] if s["id"] == "work_plan")
        assert work_plan == {"id": "work_plan", "title": "制定工作方案", "due": "2011-09-10" + END}
        supervision = doc["phases"][2]["steps"]
        assert all(s["due"] is None for s in supervision)

    def test_recurring_steps_have_a_list_of_dues(self) -> None:
        """A recurring step appears once, its `due` the list of instance deadlines."""
        doc = load("daqing-zuofeng-2011").to_json()
        steps = doc["phases"][0]["steps"]
        weekly = [s for s in steps if s["id"] == "weekly_report"]
        assert len(weekly) == 1
        dues = weekly[0]["due"]
        assert isinstance(dues, list) and len(dues) == 46
        assert "2011-03-07" + END in dues
        launch = next(s for s in steps if s["id"] == "launch_rally")
        assert launch["due"] == "2011-02-11" + END

    def test_json_serialisable(self) -> None:
        """The document round-trips through json."""
        doc = load("tianshui-xiaoneng-2012").to_json()
        assert json.loads(json.dumps(doc, ensure_ascii=False)) == doc


class TestQuarterAnchors:
    def test_quarter_end_anchors(self) -> None:
        """`quarters.Qn.end + N days`: within N days after a quarter ends; Q4 → next January."""
        text = (
            "id: quarterly\ntitle: 季度\nparams: {year: {type: int, default: 2011}}\n"
            "phases:\n  - id: year\n    title: 全年\n    window: 1月1日—12月31日\n"
            "    steps:\n"
            "      q3_report: {title: 三季度报告, due: quarters.Q3.end + 10 days}\n"
            "      q4_report: {title: 四季度报告, due: quarters.Q4.end + 10 days}\n"
            "      q2_start: {title: 二季度开始, due: quarters.Q2.start + 5 working days}\n"
        )
        resolved = resolve(load_template_text(text))
        assert resolved.step("q3_report").due.date().isoformat() == "2011-10-10"
        assert resolved.step("q4_report").due.date().isoformat() == "2012-01-10"
        # from Friday 2011-04-01: 04-02 (调休 Saturday) works, 04-03..05 are 清明 days off,
        # then 04-06, 04-07, 04-08 and, after the weekend, 04-11 is the 5th working day
        assert resolved.step("q2_start").due.date().isoformat() == "2011-04-11"
