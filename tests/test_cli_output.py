"""What the CLI shows: the HTML board from three commands, tables readable at 80 columns,
escalation by title everywhere, and ``evaluate``'s ranking or one unit's scorecard."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from rich.console import Console

import zyw_flow.cli._app as app
from zyw_flow import Campaign
from zyw_flow.cli import main
from zyw_flow.cli._console import Ui
from zyw_flow.cli._tables import date_format, ladder_title

ROOT = Path(__file__).resolve().parent.parent
EVALUATION = str(ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml")
LADDER = str(ROOT / "tests" / "scenarios" / "escalation-ladder.yaml")
TITLES = ("催办", "黄牌", "红牌")

UNITS = [
    {"id": "city", "name": "市局"},
    {"id": "county-1", "name": "一分局", "parent": "city"},
    {"id": "county-2", "name": "二分局", "parent": "city"},
    {"id": "county-3", "name": "三分局", "parent": "city"},
    {"id": "wang", "name": "王某", "parent": "county-3", "kind": "person"},
]


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    """A stored 2011 campaign at 2011-10-20: accepted, late and escalated steps."""
    path = str(tmp_path / "c.db")
    c = Campaign.create_stored(path, "zhiyong-2011", {"year": "2011"})
    c.add_actor("office", ["office"])
    c.add_actor("clerk-1", ["member"], unit="county-1")
    c.add_actor("clerk-3", ["member"], unit="county-3")
    c.enroll_many(UNITS, at="2011-08-30")
    c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-08 10:00")
    c.accept("county-1", "work_plan", actor="office", at="2011-09-09")
    c.tick("2011-10-20")
    c.submit("county-3", "work_plan", actor="clerk-3", at="2011-10-20 09:00")  # late, 红牌
    c.close()
    yield path


def board_json(path: Path) -> dict[str, Any]:
    """The data embedded in a written board."""
    html = path.read_text(encoding="utf-8")
    m = re.search(r'<script type="application/json" id="board-data">(.*?)</script>', html, re.S)
    assert m is not None, "no embedded board data"
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def unit_ids(path: Path) -> list[str]:
    return [u["id"] for u in board_json(path)["units"]]


class TestHtmlBoard:
    """``--html FILE`` writes the offline board from ``campaign board``, ``replay`` and
    ``evaluate``."""

    def test_campaign_board(self, db: str, tmp_path: Path, capsys: Any) -> None:
        """The board of the whole stored campaign is written and its path printed."""
        out = tmp_path / "board.html"
        assert main(["campaign", "board", db, "--html", str(out)]) == 0
        assert capsys.readouterr().out.strip() == str(out)
        data = board_json(out)
        assert unit_ids(out) == [u["id"] for u in UNITS]
        assert data["campaign"]["id"] == "zhiyong-2011"
        assert len(data["overdue"]) == len(Campaign.open(db).overdue())
        assert 'data-lang="zh"' in out.read_text(encoding="utf-8")

    def test_root_and_lang(self, db: str, tmp_path: Path, capsys: Any) -> None:
        """``--root`` keeps one subtree; ``--lang en`` opens the page with English ids."""
        out = tmp_path / "county-3.html"
        assert main(["campaign", "board", db, "--html", str(out), "--root", "county-3",
                     "--lang", "en"]) == 0  # fmt: skip
        assert unit_ids(out) == ["county-3", "wang"]
        assert 'data-lang="en"' in out.read_text(encoding="utf-8")
        # wang is a person: persons owe none of zhiyong-2011's unit steps
        assert {o["unit"] for o in board_json(out)["overdue"]} == {"county-3"}

    def test_unknown_root(self, db: str, tmp_path: Path, capsys: Any) -> None:
        """An unknown ``--root`` is unusable input: exit 2, one line, no file."""
        out = tmp_path / "b.html"
        assert main(["campaign", "board", db, "--html", str(out), "--root", "nowhere"]) == 2
        assert "nowhere" in capsys.readouterr().err
        assert not out.exists()

    def test_bad_lang(self, db: str, tmp_path: Path, capsys: Any) -> None:
        """``--lang`` takes zh or en only (a usage error)."""
        assert main(["campaign", "board", db, "--html", str(tmp_path / "b.html"),
                     "--lang", "fr"]) == 2  # fmt: skip
        assert "invalid choice: 'fr'" in capsys.readouterr().err

    def test_without_html_the_tree_stays(self, db: str, capsys: Any) -> None:
        """Without ``--html`` the terminal board is the tree it was, and no file is written."""
        assert main(["campaign", "board", db]) == 0
        tree = capsys.readouterr().out
        assert "county-3 三分局 — 2 unit(s)" in tree

    def test_board_json_and_html(self, db: str, tmp_path: Path, capsys: Any) -> None:
        """With ``--json`` too, stdout stays JSON and the path goes to stderr."""
        out = tmp_path / "b.html"
        assert main(["campaign", "board", db, "--json", "--html", str(out)]) == 0
        streams = capsys.readouterr()
        assert json.loads(streams.out)["units"] == len(UNITS)
        assert streams.err.strip() == f"board written to {out}"
        assert out.exists()

    def test_replay(self, tmp_path: Path, capsys: Any) -> None:
        """``replay SCENARIO --html`` writes the final state's board; the report is unchanged."""
        out = tmp_path / "replay.html"
        assert main(["replay", "zhiyong-2011", "--json", "--html", str(out)]) == 0
        streams = capsys.readouterr()
        report = json.loads(streams.out)
        assert unit_ids(out) == list(report["units"])
        assert f"board written to {out}" in streams.err
        assert board_json(out)["findings"][0]["unit"] == "county-2"

    def test_replay_with_failed_expectations(self, tmp_path: Path, capsys: Any) -> None:
        """A scenario whose expectations fail still writes its board; the exit stays 1."""
        scenario = tmp_path / "wrong.yaml"
        text = (ROOT / "tests" / "scenarios" / "zhiyong-2011-basic.yaml").read_text("utf-8")
        scenario.write_text(text.replace("rectification_report: overdue", "work_plan: overdue"))
        out = tmp_path / "wrong.html"
        assert main(["replay", str(scenario), "--html", str(out)]) == 1
        err = capsys.readouterr().err
        assert "1 failed expectation(s)" in err and f"board written to {out}" in err
        assert unit_ids(out) == ["city", "county-1"]

    def test_replay_that_cannot_run_writes_nothing(self, tmp_path: Path, capsys: Any) -> None:
        """A scenario that cannot run exits 2 and writes no board."""
        scenario = tmp_path / "broken.yaml"
        scenario.write_text("template: no-such-template\nunits: []\nscript: []\n")
        out = tmp_path / "broken.html"
        assert main(["replay", str(scenario), "--html", str(out)]) == 2
        assert not out.exists()

    def test_evaluate(self, tmp_path: Path, capsys: Any) -> None:
        """``evaluate TARGET --html`` writes a board that holds the evaluation."""
        out = tmp_path / "evaluation.html"
        assert main(["evaluate", EVALUATION, "--html", str(out)]) == 0
        assert f"board written to {out}" in capsys.readouterr().err
        data = board_json(out)
        assert "county-3" in unit_ids(out)
        assert "county-2" in json.dumps(data["evaluation"], ensure_ascii=False)


def _lines_of_width_80(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """Make the CLI's stdout console 80 columns wide, writing into the returned buffer."""
    buffer = io.StringIO()

    def ui() -> Ui:
        console = Console(width=80, file=buffer, highlight=False, color_system=None)
        return Ui(out=console)

    monkeypatch.setattr(app, "Ui", ui)
    return buffer


def rendered(argv: list[str], monkeypatch: pytest.MonkeyPatch, expect: int = 0) -> str:
    """What ``zyw-flow ARGV`` prints through its tables on an 80-column terminal."""
    buffer = _lines_of_width_80(monkeypatch)
    assert main(argv) == expect
    text = buffer.getvalue()
    assert text, "nothing printed"
    for line in text.splitlines():
        assert cell_len(line) <= 80, line
    assert "…" not in text, "a cell was cut"
    return text


def column(text: str, index: int) -> str:
    """The text of one table column, its folded pieces joined in order."""
    cells = [line.split("│")[index + 1].strip() for line in text.splitlines() if "│" in line]
    return "".join(cells)


def columns(text: str) -> list[str]:
    for line in text.splitlines():
        if line.startswith("┃"):
            return [c.strip() for c in line.strip("┃").split("┃")]
    raise AssertionError("no header")


class TestEightyColumns:
    """At 80 columns no due date is cut and no id loses its end to an ellipsis."""

    def test_unit_status(self, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """``campaign status DB UNIT``: every due and completion date whole, every id whole."""
        c = Campaign.open(db)
        for uid in ("county-1", "county-3"):
            text = rendered(["campaign", "status", db, uid], monkeypatch)
            assert "due (2011)" in text
            st = c.unit_status(uid)
            for s in st.steps.values():
                if s.due is not None:
                    assert s.due.strftime("%m-%d %H:%M") in text
                if s.completed_at is not None:
                    assert s.completed_at.strftime("%m-%d %H:%M") in text
                assert s.step in text, s.step  # whole, on one line
                assert s.title in text
            assert re.search(r"submitted\s.*\n.*\blate\b", text) or uid == "county-1"
        c.close()

    def test_overdue(self, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """``campaign overdue DB``: one row per overdue step, its due date whole."""
        c = Campaign.open(db)
        items = c.overdue()
        c.close()
        text = rendered(["campaign", "overdue", db], monkeypatch)
        rows = [line for line in text.splitlines() if line.startswith("│")]
        assert len(rows) == len(items)
        for row, o in zip(rows, items, strict=True):
            cells = [x.strip() for x in row.strip("│").split("│")]
            assert cells == [o.unit, o.step, o.due.strftime("%m-%d %H:%M"), o.escalation_title]

    def test_board(self, db: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """``campaign board DB``: every unit of the tree by id and name."""
        text = rendered(["campaign", "board", db, "--depth", "5"], monkeypatch)
        for u in UNITS:
            assert f"{u['id']} {u['name']}" in text

    def test_replay(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``replay``: every open step's due date whole; ids whole, sanctions by title."""
        text = rendered(["replay", "zhiyong-2011"], monkeypatch)
        assert columns(text) == ["unit", "step", "status", "due (2011)", "escalation"]
        from zyw_flow import run_scenario

        result = run_scenario("zhiyong-2011")
        assert result.campaign is not None
        for u in result.campaign.iter_units():
            if not u.steps:  # a person owes no unit step: no row
                continue
            assert u.unit in text and (u.phase or "—") in text
            for s in u.steps.values():
                if s.status == "not_open":
                    continue
                assert s.step in text
                if s.due is not None:
                    assert s.due.strftime("%m-%d %H:%M") in text
        assert "信访约谈" in text

    def test_long_ids_fold(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A recurring step's long id folds onto the next line, whole when read in order."""
        text = rendered(["replay", "daqing-zuofeng-2011"], monkeypatch)
        steps = column(text, 1)
        long = "monthly_covert_visit@2011-02-28"
        assert long in steps and long not in text  # folded, not cut

    def test_evaluate(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``evaluate``: ranking and distribution with every unit and grade title."""
        text = rendered(["evaluate", EVALUATION], monkeypatch)
        for uid in ("county-1", "county-2", "county-3"):
            assert uid in text
        for band in ("优秀 (excellent)", "良好 (good)", "达标 (pass)", "诫勉 (admonish)"):
            assert band in text

    def test_scorecard(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``evaluate --unit``: each indicator's title and id, each number whole."""
        text = rendered(["evaluate", EVALUATION, "--unit", "county-1"], monkeypatch)
        from zyw_flow import run_scenario

        result = run_scenario(EVALUATION)
        assert result.campaign is not None
        card = result.campaign.evaluate(["county-1"]).cards["county-1"]
        for line in card.lines:
            assert line.title in text and line.indicator in text
        assert re.search(r"│\s+base\s+│.*\b83\b", text)

    @pytest.mark.parametrize("template", ["zhiyong-2011", "daqing-zuofeng-2011"])
    def test_show(self, template: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """``show``: each phase's window and each step's due date and weekday, whole."""
        from zyw_flow.resolve import load_template, resolve

        text = rendered(["show", template], monkeypatch)
        assert "due (2011)" in text
        resolved = resolve(load_template(template))
        for phase in resolved.phases:
            assert phase.id in text and phase.end.strftime("%m-%d") in text
            for s in phase.steps:
                if s.instance is None and s.due is not None:
                    assert s.id in text
                    assert s.due.strftime("%m-%d %H:%M 周") in text

    def test_show_across_years(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A calendar spanning two years prints its dates in full."""
        text = rendered(["show", "tianshui-xiaoneng-2012"], monkeypatch)
        assert "2013-01-15 23:59 周二" in text and "2012-06-19" in text

    def test_templates(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``templates``: a long Chinese title folds instead of losing its end."""
        text = rendered(["templates"], monkeypatch)
        assert "daqing-zuofeng-2011" in text
        assert "(征求意见稿)" in column(text, 1)


class TestDates:
    """The compact date format is used only when the year goes in the header."""

    def test_one_year(self) -> None:
        fmt = date_format([dt.datetime(2011, 9, 10, 23, 59, 59), None])
        assert (fmt.year, fmt.header("due"), fmt(dt.datetime(2011, 9, 10, 23, 59))) == (
            2011,
            "due (2011)",
            "09-10 23:59",
        )
        assert fmt.header("completed") == "completed\n(2011)"
        assert fmt(None) == "—" and fmt(None, "") == ""

    def test_across_years(self) -> None:
        """A table spanning 2012-12 and 2013-01 prints every date in full."""
        fmt = date_format([dt.datetime(2012, 12, 10), dt.datetime(2013, 1, 10, 23, 59)])
        assert fmt.year is None and fmt.header("due") == "due"
        assert fmt(dt.datetime(2013, 1, 10, 23, 59)) == "2013-01-10 23:59"

    def test_no_dates(self) -> None:
        assert date_format([None]).header("due") == "due"


class TestEscalationTitles:
    """Escalation is shown by the ladder's titles, never by its number."""

    def test_replay_table(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The replay table names every level the ladder scenario reaches."""
        text = rendered(["replay", LADDER], monkeypatch)
        index = columns(text).index("escalation")
        cells = {line.split("│")[index + 1].strip() for line in text.splitlines() if "│" in line}
        assert set(TITLES) <= cells <= {"", *TITLES}

    def test_overdue_and_status_json(self, db: str, capsys: Any) -> None:
        """JSON from the CLI carries the title next to the level."""
        assert main(["campaign", "overdue", db, "--json"]) == 0
        items = json.loads(capsys.readouterr().out)
        assert items and all(
            i["escalation_title"] == ladder_title(TITLES, i["escalation"]) for i in items
        )
        assert main(["campaign", "status", db, "county-3", "--json"]) == 0
        steps = json.loads(capsys.readouterr().out)["steps"]
        assert steps["work_plan"]["escalation"] == 3
        assert steps["work_plan"]["escalation_title"] == "红牌"
        assert steps["summary_report"]["escalation_title"] is None

    def test_export_csv(self, db: str, capsys: Any) -> None:
        """The CSV export has an ``escalation_title`` column beside ``escalation``."""
        assert main(["campaign", "export", db, "--format", "csv"]) == 0
        rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
        assert {(r["escalation"], r["escalation_title"]) for r in rows} == {
            ("0", ""),
            ("3", "红牌"),
        }

    def test_ladder_title(self) -> None:
        assert [ladder_title(TITLES, k) for k in range(5)] == ["", *TITLES, "level 4"]


class TestEvaluate:
    """``evaluate`` prints the ranking and distribution; ``--unit`` one unit's scorecard."""

    def test_default(self, capsys: Any) -> None:
        """No scorecard by default: the ranking in order, then the distribution."""
        assert main(["evaluate", EVALUATION]) == 0
        out = capsys.readouterr().out
        assert "ranking" in out and "grade distribution" in out
        assert "indicator" not in out and "bureau-unit" not in out
        order = [out.index(u) for u in ("county-2", "county-1", "county-3")]
        assert order == sorted(order)
        assert re.search(r"诫勉 \(admonish\)\s*│\s*1\s*│\s*33\.3", out)

    def test_one_unit(self, capsys: Any) -> None:
        """``--unit county-1``: that scorecard only, with its downgrade."""
        assert main(["evaluate", EVALUATION, "--unit", "county-1"]) == 0
        out = capsys.readouterr().out
        assert "county-1 — bureau-unit" in out
        assert "良好 (good) → 达标 (pass)" in out
        assert "ranking" not in out and "grade distribution" not in out
        assert "county-2" not in out

    def test_unknown_unit(self, capsys: Any) -> None:
        """An unknown ``--unit`` is unusable input."""
        assert main(["evaluate", EVALUATION, "--unit", "nobody"]) == 2
        assert "nobody" in capsys.readouterr().err
