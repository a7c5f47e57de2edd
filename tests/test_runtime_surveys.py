"""record_survey: survey results as events of a running campaign, replayed and audited."""

from __future__ import annotations

import json
from decimal import Decimal as D
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zyw_flow import Campaign, PermissionRefused, TransitionRefused, load_template
from zyw_flow.runtime import dispatch

SCHEME = """\
kind: scoring
id: survey-runtime
title: 测评
model: percent
missing: block
indicators:
  - {id: work, title: 工作, weight: 80}
  - {id: satisfaction, title: 群众满意度, weight: 20}
surveys:
  appraisal:
    title: 群众评议
    feeds: satisfaction
    scale:
      - {id: good, title: 好, score: 100}
      - {id: fair, title: 较好, score: 80}
      - {id: average, title: 一般, score: 60}
      - {id: poor, title: 差, score: 0}
    raters:
      clients: {title: 服务对象, weight: 50, sample: 100}
      grassroots: {title: 基层单位, weight: 30, sample: 100}
      deputies: {title: 人大代表, weight: 20, sample: 100}
"""

FULING = {
    "clients": {"good": 28, "fair": 40, "average": 27, "poor": 5},
    "grassroots": {"good": 22, "fair": 37, "average": 34, "poor": 7},
    "deputies": {"good": 18, "fair": 37, "average": 37, "poor": 8},
}


def template(tmp_path: Path):  # type: ignore[no-untyped-def]
    (tmp_path / "survey.yaml").write_text(SCHEME, encoding="utf-8")
    text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "scoring: {units: bureau-unit, persons: bureau-individual}", "scoring: {units: survey.yaml}"
    )
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return load_template(path)


def setup(c: Campaign) -> Campaign:
    c.add_actor("office", ["office"])
    c.add_actor("clerk", ["member"], unit="a")
    for uid in ("a", "b"):
        c.enroll(uid)
    return c


class TestRecordSurvey:
    def test_counts_feed_the_score(self, tmp_path: Path) -> None:
        """Counts of three groups → 73.66, feeding satisfaction: 0.8×90 + 0.2×73.66 = 86.732."""
        c = setup(Campaign.create(template(tmp_path)))
        for group, counts in FULING.items():
            event = c.record_survey("a", "appraisal", group, counts=counts, actor="office",
                                    at="2011-12-20")  # fmt: skip
        assert event.type == "survey_recorded"
        assert event.data == {
            "survey": "appraisal",
            "group": "deputies",
            "counts": "good=18;fair=37;average=37;poor=8",
        }
        c.record_score("a", "work", 90, actor="office", at="2011-12-20")
        result = c.survey_result("a", "appraisal")
        assert result.score == D("73.66") and result.shares is not None
        assert result.shares["good"] == D("24.2")
        card = c.evaluate().cards["a"]
        assert card.total == D("86.732")

    def test_ballots_and_refusals_change_nothing(self, tmp_path: Path) -> None:
        """Ballots add up; a double vote, an unknown answer, an overfull sample, a member of
        another role, counts with an answer: refused, no event."""
        c = setup(Campaign.create(template(tmp_path)))
        c.record_survey("a", "appraisal", "deputies", answer="good", rater="d1", actor="office",
                        at="2011-12-20")  # fmt: skip
        before = len(c.events())
        bad = [
            dict(answer="good", rater="d1"),
            dict(answer="meh"),
            dict(counts={"good": 100}),
            dict(counts={"good": 1}, answer="good"),
            dict(),
            dict(counts={"good": -1}),
            dict(counts="good=x"),
        ]
        for kwargs in bad:
            with pytest.raises(TransitionRefused):
                c.record_survey("a", "appraisal", "deputies", actor="office", at="2011-12-20",
                                **kwargs)  # type: ignore[arg-type]  # fmt: skip
        with pytest.raises(TransitionRefused, match="declares no survey"):
            c.record_survey("a", "nope", "deputies", answer="good", actor="office",
                            at="2011-12-20")  # fmt: skip
        with pytest.raises(PermissionRefused):
            c.record_survey("a", "appraisal", "deputies", answer="good", actor="clerk",
                            at="2011-12-20")  # fmt: skip
        assert len(c.events()) == before
        assert c.survey_result("a", "appraisal").responses == 1

    def test_replayed_from_the_journal_and_snapshot(self, tmp_path: Path) -> None:
        """A stored campaign rebuilds its survey results from the journal or a snapshot."""
        db = tmp_path / "s.db"
        c = setup(Campaign.create_stored(db, template(tmp_path)))
        for group, counts in FULING.items():
            c.record_survey("a", "appraisal", group, counts=counts, actor="office",
                            at="2011-12-20", key=f"k-{group}")  # fmt: skip
        c.record_survey("b", "appraisal", "clients", answer="poor", rater="x", actor="office",
                        at="2011-12-21")  # fmt: skip
        dup = c.record_survey("a", "appraisal", "clients", counts=FULING["clients"],
                              actor="office", at="2011-12-20", key="k-clients")  # fmt: skip
        assert dup.duplicate
        live = (
            c.survey_result("a", "appraisal").to_dict(),
            c.survey_result("b", "appraisal").to_dict(),
        )
        c.save_snapshot()
        c.close()
        for use_snapshot in (True, False):
            again = Campaign.open(db, use_snapshot=use_snapshot)
            got = (
                again.survey_result("a", "appraisal").to_dict(),
                again.survey_result("b", "appraisal").to_dict(),
            )
            assert json.dumps(got, sort_keys=True) == json.dumps(live, sort_keys=True)
            with pytest.raises(TransitionRefused, match="voted twice"):
                again.record_survey("b", "appraisal", "clients", answer="good", rater="x",
                                    actor="office", at="2011-12-22")  # fmt: skip
            again.close()

    def test_dispatch(self, tmp_path: Path) -> None:
        """The `survey` verb of scenarios and the command line."""
        c = setup(Campaign.create(template(tmp_path)))
        event = dispatch(
            c,
            "survey",
            {"unit": "a", "survey": "appraisal", "group": "clients", "actor": "office",
             "counts": {"good": 3, "poor": 1}, "at": "2011-12-20"},
        )  # fmt: skip
        assert event.data["counts"] == "good=3;poor=1"
        assert c.survey_result("a", "appraisal").groups[0].score == D(75)
