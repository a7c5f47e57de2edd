"""The command line after review: all-or-nothing lists, store targets, output files checked
before any is written, formats that agree with their suffix, and exit codes as documented."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from zyw_flow import Campaign
from zyw_flow.cli import main
from zyw_flow.store import open_journal

ROOT = Path(__file__).resolve().parent.parent
EVALUATION = str(ROOT / "tests" / "scenarios" / "zhiyong-2011-evaluation.yaml")
UNITS = [
    {"id": "city", "name": "市局"},
    {"id": "county-1", "name": "一分局", "parent": "city"},
]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """``zyw-flow ARGS`` in-process: exit status, stdout, stderr."""
    capsys.readouterr()
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def rows_of(db: str) -> int:
    """How many rows the store's journal holds."""
    journal = open_journal(db, create=False, read_only=True)
    try:
        return journal.verify().rows
    finally:
        journal.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[str]:
    """A stored 2011 campaign with an office and two units."""
    path = str(tmp_path / "c.db")
    c = Campaign.create_stored(path, "zhiyong-2011", {"year": "2011"})
    c.add_actor("office", ["office"])
    c.enroll_many(UNITS, at="2011-08-30")
    c.close()
    yield path


@pytest.fixture
def failing_scenario(tmp_path: Path) -> str:
    """A scenario whose one expectation fails (the step is submitted, not accepted)."""
    path = tmp_path / "fail.yaml"
    path.write_text(
        "template: zhiyong-2011\n"
        "units:\n  - {id: city, name: 市局}\n  - {id: county-1, name: 一分局, parent: city}\n"
        "actors:\n  clerk: {roles: [member], unit: county-1}\n"
        "script:\n"
        "  - {at: 2011-09-05, do: submit, unit: county-1, step: work_plan, actor: clerk}\n"
        "expect:\n  county-1: {steps: {work_plan: accepted}}\n",
        encoding="utf-8",
    )
    return str(path)


class TestActorList:
    """Finding 1: `campaign actors` records every row or none, naming the file and row."""

    def test_a_bad_row_records_nothing(
        self, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An unknown role on the file's 4th row: exit 2, one line naming file and row,
        and not one of the rows before it journaled."""
        csv = tmp_path / "actors.csv"
        csv.write_text(
            "id,roles\nzhang,inspector\nli,accountability\nbad,nosuchrole\n", encoding="utf-8"
        )
        before = rows_of(db)
        code, out, err = run(capsys, "campaign", "actors", db, str(csv))
        assert code == 2 and out == ""
        assert err.startswith(f"zyw-flow: {csv}: row 4: unknown role(s) nosuchrole")
        assert err.count("\n") == 1
        assert rows_of(db) == before
        c = Campaign.open(db)
        assert set(c.actors) == {"office"}
        c.close()

    def test_a_good_list(self, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A good list is registered in one go and counted."""
        csv = tmp_path / "actors.csv"
        csv.write_text("id,roles\nzhang,inspector;accountability\nli,inspector\n", "utf-8")
        code, out, _ = run(capsys, "campaign", "actors", db, str(csv))
        assert code == 0
        assert out == f"registered 2 actor(s) from {csv}; 3 in the campaign\n"


class TestEnrollList:
    """Finding 16: a failed unit list names its file and row, and says what was kept."""

    def test_duplicate_inside_the_file(
        self, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        csv = tmp_path / "units.csv"
        csv.write_text("id,name,parent\nc2,二,city\nc3,三,city\nc3,叁,city\n", "utf-8")
        code, _, err = run(capsys, "campaign", "enroll", db, "--csv", str(csv))
        assert code == 2
        assert err == (
            f"zyw-flow: {csv}: row 4: unit is already enrolled [event=enrolled, unit=c3] "
            "(nothing was enrolled)\n"
        )

    def test_batches_kept_before_the_failure(
        self, db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """With --batch 1 the rows before the bad one stay enrolled, and the message says
        how many."""
        csv = tmp_path / "units.csv"
        csv.write_text("id,name,parent\nc2,二,city\nc3,三,city\nc4,四,nosuch\n", "utf-8")
        code, _, err = run(capsys, "campaign", "enroll", db, "--csv", str(csv), "--batch", "1")
        assert code == 2
        assert f"{csv}: row 4: parent 'nosuch' is not enrolled" in err
        assert "2 unit(s) of earlier batches were enrolled: rows up to 3" in err
        c = Campaign.open(db)
        assert len(c) == 4
        c.close()

    def test_unknown_actor_points_at_the_cli_verb(
        self, db: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(
            capsys, "campaign", "submit", db, "county-1", "work_plan", "--actor", "ghost",
            "--at", "2011-09-05",
        )  # fmt: skip
        assert code == 2
        assert "actor 'ghost' is not registered (register it: zyw-flow campaign actor" in err
        assert "add_actor" not in err


class TestStoreTargets:
    """Finding 2: `evaluate` opens `PATH?campaign=ID` and .db paths as stores."""

    @pytest.mark.parametrize("verb", [("evaluate",), ("campaign", "evaluate")])
    def test_named_campaign(
        self, db: str, verb: tuple[str, ...], capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, err = run(capsys, *verb, f"{db}?campaign=default")
        assert code == 0, err
        assert "grade distribution" in out and "no scenario" not in err

    @pytest.mark.parametrize("verb", [("evaluate",), ("campaign", "evaluate")])
    def test_missing_database(
        self, tmp_path: Path, verb: tuple[str, ...], capsys: pytest.CaptureFixture[str]
    ) -> None:
        missing = str(tmp_path / "missing.db")
        code, _, err = run(capsys, *verb, missing)
        assert code == 2
        assert err == f"zyw-flow: {missing}: no such campaign database\n"
        assert not Path(missing).exists()

    def test_campaign_evaluate_never_plays_a_scenario(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`campaign evaluate` takes a store only: a bundled scenario id is a missing file."""
        monkeypatch.chdir(tmp_path)
        code, _, err = run(capsys, "campaign", "evaluate", "zhiyong-2011")
        assert code == 2 and "no such campaign database" in err


class TestDiagramPng:
    """Finding 3: a failing or missing Graphviz is one line, exit 2."""

    def fake_dot(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        bin_dir = tmp_path / "bin"
        bin_dir.mkdir()
        dot = bin_dir / "dot"
        dot.write_text('#!/bin/sh\necho "Error: Could not open it for writing" >&2\nexit 2\n')
        dot.chmod(dot.stat().st_mode | stat.S_IEXEC)
        monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def test_dot_fails(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        self.fake_dot(tmp_path, monkeypatch)
        png = tmp_path / "d.png"
        code, out, err = run(capsys, "diagram", "zhiyong-2011", "--png", str(png))
        assert code == 2 and out == ""
        assert err == (
            f"zyw-flow: --png: Graphviz could not write {png}: Error: Could not open it for "
            "writing\n"
        )

    def test_dot_vanishes(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`dot` found but not runnable (FileNotFoundError): the install hint, exit 2."""
        import shutil

        monkeypatch.setattr(shutil, "which", lambda name: str(tmp_path / "gone" / "dot"))
        code, _, err = run(capsys, "diagram", "zhiyong-2011", "--png", str(tmp_path / "d.png"))
        assert code == 2
        assert err.startswith("zyw-flow: --png needs Graphviz") and err.count("\n") == 1


class TestOutputsCheckedFirst:
    """Finding 9: every destination is checked before any file is written; finding 4: the
    path reported is the path written."""

    def test_show_writes_nothing_when_gantt_cannot(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        ics = tmp_path / "c.ics"
        code, _, err = run(
            capsys, "show", "zhiyong-2011", "--ics", str(ics), "--gantt", "/nonexistent/g.png"
        )
        assert code == 2
        assert err == (
            "zyw-flow: --gantt: /nonexistent/g.png: the folder /nonexistent does not exist\n"
        )
        assert not ics.exists()

    def test_evaluate_writes_nothing_when_plot_cannot(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        html = tmp_path / "e.html"
        code, _, err = run(
            capsys, "evaluate", EVALUATION, "--html", str(html), "--plot", "/nonexistent/p.png"
        )
        assert code == 2 and "--plot: /nonexistent/p.png" in err
        assert not html.exists()

    def test_a_folder_is_not_a_file(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "show", "zhiyong-2011", "--gantt", str(tmp_path))
        assert code == 2 and err == f"zyw-flow: --gantt: {tmp_path} is a folder, not a file\n"

    def test_png_suffix_added_and_reported(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """`--gantt out/noext` writes out/noext.png and says so, on stderr also with --json."""
        code, out, err = run(
            capsys, "show", "zhiyong-2011", "--json", "--gantt", str(tmp_path / "noext")
        )
        assert code == 0 and out.startswith("{")
        assert (tmp_path / "noext.png").is_file() and not (tmp_path / "noext").exists()
        assert err == f"Gantt chart written to {tmp_path / 'noext.png'}\n"

    def test_plot_suffix_added(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code, _, err = run(capsys, "evaluate", EVALUATION, "--plot", str(tmp_path / "dist"))
        assert code == 0
        assert (tmp_path / "dist.png").is_file()
        assert f"grade distribution written to {tmp_path / 'dist.png'}" in err

    def test_another_suffix_is_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "show", "zhiyong-2011", "--gantt", str(tmp_path / "g.pdf"))
        assert code == 2 and "--gantt writes a PNG: give FILE.png" in err
        assert list(tmp_path.iterdir()) == []


class TestExport:
    """Finding 5: the format and the suffix agree, --root only where it is used, and a
    written file is reported."""

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (("-o", "s.xlsx"), "--what state exports json or csv, not xlsx (-o "),
            (("--what", "board", "-o", "b.json"), "--what board exports csv or xlsx, not json"),
            (("-o", "s.csv", "--format", "json"), "the suffix says csv, --format says json"),
            (("--what", "board", "-o", "b.csv", "--format", "xlsx"), "suffix says csv"),
            (("--root", "city"), "--root goes with --what board"),
        ],
    )
    def test_refused(
        self,
        db: str,
        tmp_path: Path,
        args: tuple[str, ...],
        message: str,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        monkeypatch.chdir(tmp_path)
        before = sorted(p.name for p in tmp_path.iterdir())
        code, out, err = run(capsys, "campaign", "export", db, *args)
        assert code == 2 and out == ""
        assert message in err and err.count("\n") == 1
        assert sorted(p.name for p in tmp_path.iterdir()) == before

    @pytest.mark.parametrize(("name", "start"), [("s.json", "{"), ("s.csv", "unit,")])
    def test_state_to_a_file(
        self, db: str, tmp_path: Path, name: str, start: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        target = tmp_path / name
        code, out, _ = run(capsys, "campaign", "export", db, "-o", str(target))
        assert code == 0
        assert target.read_text(encoding="utf-8").startswith(start)
        fmt = name.rsplit(".", 1)[1].upper()
        assert out == f"state of 2 unit(s) ({fmt}) written to {target}\n"


class TestExitCodes:
    """Findings 6, 12, 13: exit codes and error lines as docs/cli.md says."""

    def test_replay_template_with_problems_is_1(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        template = tmp_path / "typo.yaml"
        text = (ROOT / "templates" / "zhiyong-2011.yaml").read_text(encoding="utf-8")
        template.write_text(text.replace("title:", "titel:", 2), encoding="utf-8")
        scenario = tmp_path / "s.yaml"
        scenario.write_text(f"template: {template}\nunits: []\nscript: []\n", "utf-8")
        code, _, err = run(capsys, "replay", str(scenario))
        assert code == 1, err
        assert "titel" in err

    def test_scenario_errors_have_the_prefix(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, _, err = run(capsys, "replay", str(tmp_path / "nosuch.yaml"))
        assert code == 2 and err.startswith("zyw-flow: ")

    def test_replay_title_before_the_clock_moves(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        scenario = tmp_path / "s.yaml"
        scenario.write_text("template: zhiyong-2011\nunits: []\nscript: []\n", "utf-8")
        code, out, _ = run(capsys, "replay", str(scenario))
        assert code == 0
        assert "at None" not in out and "zhiyong-2011 (not started)" in out

    def test_evaluate_failed_expectations(
        self, failing_scenario: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The evaluation is printed, then the failures under a heading; exit 1 (as replay)."""
        code, out, err = run(capsys, "evaluate", failing_scenario)
        assert code == 1
        assert "grade distribution" in out
        assert "1 failed expectation(s) or error(s):\n  - county-1.work_plan.status" in err

    def test_unknown_profile_is_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        out = tmp_path / "sim"
        code, _, err = run(
            capsys, "simulate", "zhiyong-2011", "--units", "5", "--out", str(out),
            "--profile", "nosuch",
        )  # fmt: skip
        assert code == 2 and err.startswith("zyw-flow: --profile: 'nosuch' is not a bundled")
        assert not out.exists()

    def test_validate_a_folder_is_2(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, out, err = run(capsys, "validate", str(tmp_path))
        assert code == 2 and out == ""
        assert err == f"{tmp_path}: is a folder, not a file (give its files: {tmp_path}/*.yaml)\n"

    @pytest.mark.parametrize("kind", ["missing", "file"])
    def test_bad_search_path(
        self, tmp_path: Path, kind: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Finding 14: a --search-path that is not a folder is refused."""
        folder = tmp_path / "lib"
        if kind == "file":
            folder.write_text("x")
        template = str(ROOT / "templates" / "zhiyong-2011.yaml")
        code, out, err = run(capsys, "validate", template, "--search-path", str(folder))
        assert code == 2 and out == ""
        what = "does not exist" if kind == "missing" else "is a file, not a folder"
        assert err == f"zyw-flow: --search-path: {folder} {what}\n"

    def test_unknown_option_shows_the_subcommand_usage(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Finding 11: the subcommand's usage, not the top-level one."""
        code, _, err = run(capsys, "show", "zhiyong-2011", "--bogus")
        assert code == 2
        assert err.startswith("usage: zyw-flow show ")
        assert "zyw-flow show: error: unrecognized arguments: --bogus" in err


class TestSimulate:
    """Finding 8: --units and --units-csv exclude each other; --no-report leaves no stale
    report beside a new summary."""

    def test_units_exclusive(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        units = tmp_path / "u.csv"
        units.write_text("id,name,parent\ncity,市局,\n", "utf-8")
        code, _, err = run(
            capsys, "simulate", "zhiyong-2011", "--units", "5", "--units-csv", str(units),
            "--out", str(tmp_path / "o"),
        )  # fmt: skip
        assert code == 2 and "not allowed with argument --units" in err
        assert not (tmp_path / "o").exists()

    def test_stale_report_removed(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        out = tmp_path / "o"
        out.mkdir()
        (out / "report.html").write_text("<html>an earlier run</html>")
        code, _, err = run(
            capsys, "simulate", "zhiyong-2011", "--units", "3", "--out", str(out), "--no-report",
            "--no-evaluation",
        )  # fmt: skip
        assert code == 0, err
        assert (out / "summary.json").is_file() and not (out / "report.html").exists()
        assert f"removed {out / 'report.html'}, left by an earlier run (--no-report)" in err
        assert f"summary.json, units.parquet, daily.parquet written to {out}\n" in err


class TestRelayDeadLetters:
    """Finding 7: `relay --once` lists only this run's dead letters."""

    def test_only_new_dead_letters(self, db: str, capsys: pytest.CaptureFixture[str]) -> None:
        hook = "http://127.0.0.1:9/hook"  # the discard port: nothing listens, refused at once
        relay = ("campaign", "relay", db, "--webhook", hook, "--once", "--max-attempts", "1")

        def dead(err: str) -> list[str]:
            return [line for line in err.splitlines() if line.startswith("dead letter ")]

        assert run(capsys, "campaign", "tick", db, "--until", "2011-09-02")[0] == 0
        code, _, err = run(capsys, *relay)
        assert code == 1
        first = dead(err)
        earlier = len(first)
        assert earlier >= 1 and "from earlier runs" not in err
        code, _, err = run(capsys, *relay)  # nothing new: none listed, the earlier counted
        assert dead(err) == [] and f"{earlier} dead letter(s) from earlier runs" in err
        assert run(capsys, "campaign", "tick", db, "--until", "2011-09-25")[0] == 0
        code, _, err = run(capsys, *relay)
        assert code == 1
        assert dead(err) and not set(dead(err)) & set(first)  # only the tick's events
        assert f"{earlier} dead letter(s) from earlier runs" in err


def test_campaign_list_names_each_campaigns_key_and_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "mc.db"
    assert main(["campaign", "init", str(db), "zhiyong-2011"]) == 0
    assert main(["campaign", "init", f"{db}?campaign=dq", "daqing-zuofeng-2011"]) == 0
    capsys.readouterr()
    assert main(["campaign", "list", str(db)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "default\tzhiyong-2011", "dq\tdaqing-zuofeng-2011"]  # fmt: skip
    before = db.read_bytes()
    assert main(["campaign", "list", str(tmp_path / "missing.db")]) == 2
    assert db.read_bytes() == before
