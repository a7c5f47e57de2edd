"""The seed campaigns bundled for issue 13: 涪陵's long-term mechanism (seed 004), the
三效一创 Beijing scheme with its public survey (seed 001-C) and 001-F's 行政执法责任制."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

from zyw_flow import Campaign, load_template, run_scenario
from zyw_flow.evaluation import load_scheme
from zyw_flow.resolve import resolve


class TestFuling:
    """「对68个重点单位和26个乡镇街道实行发展环境季度考核,对排位在前后8位的单位,在媒体上公开表扬和曝光」
    and 「对考核排序后五位的,第一次通报批评,第二次对主要领导诫勉谈话,第三次对班子进行调整」."""

    def test_recurrences(self) -> None:
        """Weekly 接访 on Mondays, 16 quarters, 8 half-years, 万人评机关 in 2012 and 2015."""
        campaign = resolve(load_template("fuling-changxiao"))
        dues = {}
        for s in campaign.steps:
            dues.setdefault(s.base, []).append(s.nominal_due)
        assert len(dues["quarterly_assessment"]) == 16
        assert dues["half_year_appraisal"][:2] == [date(2012, 6, 30), date(2012, 12, 31)]
        assert dues["wanren_appraisal"] == [date(2012, 12, 31), date(2015, 12, 31)]
        weekly = dues["weekly_reception"]
        assert weekly[0] == date(2012, 1, 2) and all(d.weekday() == 0 for d in weekly)
        assert len(weekly) == 209  # Mondays from 2012-01-02 to 2015-12-28

    def test_94_units_three_quarters(self) -> None:
        """94 units, three quarterly rounds: top and bottom 8 each round, the ladder in order."""
        c = Campaign.create("fuling-changxiao")
        c.add_actor("office", ["office"])
        key_units = [f"dept-{k:02d}" for k in range(68)]
        towns = [f"town-{k:02d}" for k in range(26)]
        units = key_units + towns
        c.enroll_many([{"id": u} for u in units])
        bottoms = [
            ["town-25", "town-24", "dept-67", "dept-66", "dept-65"],
            ["town-25", "town-24", "dept-10", "dept-11", "dept-12"],
            ["town-25", "dept-10", "dept-20", "dept-21", "dept-22"],
        ]
        for q, (day, bottom) in enumerate(
            zip(("2012-03-31", "2012-06-30", "2012-09-30"), bottoms, strict=True)
        ):
            others = [u for u in units if u not in bottom]
            for rank, u in enumerate(others):
                c.record_score(u, "environment", D(99) - D(rank) / 10, actor="office", at=day)
            for rank, u in enumerate(bottom):  # worst first
                c.record_score(u, "environment", D(60) + rank, actor="office", at=day)
            c.finalize_evaluation(actor="office", at=day, round=f"Q{q + 1}")
            final = c.rounds[-1]
            assert final["top"] == others[:8]
            assert final["bottom"][:5] == bottom
            assert final["bottom"][5:] == others[-3:][::-1]
            assert len(final["ranking"]) == 94
        sanctions = {u: [s["sanction"] for s in c.unit_status(u).sanctions] for u in units}
        assert sanctions["town-25"] == ["circulated_criticism", "admonition_talk", "team_reshuffle"]
        assert sanctions["town-24"] == ["circulated_criticism", "admonition_talk"]
        assert sanctions["dept-10"] == ["circulated_criticism", "admonition_talk"]
        assert sanctions["dept-67"] == ["circulated_criticism"]
        punished = {u for u, s in sanctions.items() if s}
        assert punished == {u for b in bottoms for u in b}

    def test_scenario(self) -> None:
        """The bundled scenario meets its expectations; 万人评机关 shares are exact."""
        result = run_scenario("fuling-changxiao")
        assert result.ok, result.failures
        wanren = result.campaign.survey_result("jiwei", "wanren")
        assert wanren.shares == {"good": D(28), "fair": D(40), "average": D(27), "poor": D(5)}
        assert wanren.score == D("76.2")  # 28 + 0.4×80 + 0.27×60


class TestBeijing:
    """三效一创: 公众评价 (20 points) fed by the third party's survey."""

    def test_scheme_survey(self) -> None:
        """Two rater groups with the source's samples, feeding 公众评价."""
        scheme = load_scheme("beijing-sanxiao")
        survey = scheme.survey("public_evaluation")
        assert survey.feeds == "public_evaluation" and not survey.weighted
        assert [(g.title, g.sample) for g in survey.groups] == [
            ("普通居民", 3500),
            ("服务对象", 23000),
        ]
        assert scheme.indicator("public_evaluation").scorers == ("third_party", "office")

    def test_scenario(self) -> None:
        """85.7 → 17.14 points; totals 88.14, 80 (deductions capped), 65 (诫勉)."""
        result = run_scenario("beijing-sanxiao-2011")
        assert result.ok, result.failures
        c = result.campaign
        assert c.survey_result("jingxin", "public_evaluation").score == D("85.7")
        assert c.survey_result("guihua", "public_evaluation").score == D(65)
        assert c.grade("jingxin") == ("88.14", "good")
        assert c.grade("fagai") == ("80", "good")
        assert c.grade("guihua") == ("65", "admonish")
        card = c.evaluate().cards["jingxin"]
        assert card.line("public_evaluation").value == D("17.14")


class TestZhifa:
    """001-F: 「确保年5月底以前完成」 (L119), 「务必于年5月底以前完成,并报市政府法制办公室备案」
    (L123) and 「行政执法依据发生变化,要在30日以内报同级人民政府法制办公室审查后对外公布」
    (L127)."""

    def test_the_blank_year_is_a_parameter(self) -> None:
        """Both 5月底 deadlines fall on 05-31 of the year given; the basis-change steps wait
        for their trigger."""
        for year in (2010, 2013):
            campaign = resolve(load_template("zhifa-zerenzhi", {"year": year}))
            dues = {s.id: s.nominal_due for s in campaign.steps}
            assert dues["three_item_cleanup"] == dues["duty_allocation"] == date(year, 5, 31)
            assert dues["basis_report"] is None and dues["basis_publication"] is None
        template = load_template("zhifa-zerenzhi")
        assert template.params["year"] == 2010
        for step in ("basis_report", "basis_publication"):
            after = template.step(step).due_after
            assert after is not None
            assert (after.trigger, after.amount, after.unit) == ("basis_changed", 30, "days")
        assert template.step("basis_publication").after == ("basis_report",)

    def test_a_change_gives_30_calendar_days(self) -> None:
        """Recorded 2013-06-03 (Mon): 30 days later is 2013-07-03, for both steps."""
        c = Campaign.create("zhifa-zerenzhi", {"year": 2013})
        c.add_actor("office", ["office"])
        c.enroll("dept", at="2013-01-01")
        c.record_trigger("dept", "basis_changed", actor="office", at="2013-06-03 09:00")
        steps = c.unit_status("dept").steps
        for step in ("basis_report", "basis_publication"):
            due = steps[step].due
            assert due is not None and due.date() == date(2013, 7, 3)
