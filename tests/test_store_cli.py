"""``zyw-flow campaign …`` against a SQLite file and a ``postgresql://`` URL."""

from __future__ import annotations

import collections
import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests import store_fixtures
from tests.store_fixtures import ROOT, Store, comparable, in_memory, state
from zyw_flow import Campaign
from zyw_flow.cli import main

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

UNITS_CSV = "id,name,parent\ncity,市局,\ncounty-1,一分局,city\ncounty-2,二分局,city\n"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``zyw-flow campaign ARGS`` in-process: exit status, stdout, stderr."""
    capsys.readouterr()
    code = main(["campaign", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def ok(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a command that must succeed; its stdout."""
    code, out, err = cli(capsys, *args)
    assert code == 0, f"{args}: exit {code}: {err}"
    return out


def twin() -> Campaign:
    """What the CLI run below does, on an in-memory campaign."""
    c = in_memory()
    c.add_actor("office", roles=["office"])
    c.add_actor("clerk-1", roles=["member"], unit="county-1")
    c.add_actor("clerk-2", roles=["member"], unit="county-2")
    c.enroll_many(
        [("city", "市局", None), ("county-1", "一分局", "city"), ("county-2", "二分局", "city")],
        at="2011-08-30",
    )
    c.submit(
        "county-1", "work_plan", actor="clerk-1", at="2011-09-05 10:00", key="k1", evidence="a.pdf"
    )
    c.accept("county-1", "work_plan", actor="office", at="2011-09-06")
    c.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-07")
    c.return_step("county-2", "work_plan", actor="office", at="2011-09-08", reason="补充")
    c.waive("city", "mobilization_meeting", actor="office", at="2011-09-09", reason="免报")
    return c


def seq_of(out: str) -> int:
    found = re.match(r"#(\d+) ", out)
    assert found, out
    return int(found.group(1))


class TestCampaignCommands:
    """Every ``campaign`` subcommand, run as an operator would, on both stores."""

    def test_a_whole_campaign(self, store: Store, tmp_path: Path, capsys: Any) -> None:
        """init, actor, enroll, submit/accept/return/waive, tick, then every query."""
        t = store.target
        assert "created campaign zhiyong-2011" in ok(
            capsys, "init", t, "zhiyong-2011", "--param", "year=2011"
        )
        assert ok(capsys, "actor", t, "office", "--role", "office").strip() == (
            "actor office: roles office"
        )
        for i in (1, 2):
            out = ok(capsys, "actor", t, f"clerk-{i}", "--role", "member", "--unit", f"county-{i}")
            assert out.strip() == f"actor clerk-{i}: roles member, unit county-{i}"
        units = tmp_path / "units.csv"
        units.write_text(UNITS_CSV, encoding="utf-8")
        out = ok(capsys, "enroll", t, "--csv", str(units), "--at", "2011-08-30")
        assert "enrolled 3 unit(s); 3 in the campaign" in out

        submit = ("submit", t, "county-1", "work_plan", "--actor", "clerk-1")
        keyed = (*submit, "--at", "2011-09-05 10:00", "--key", "k1", "--evidence", "a.pdf")
        out = ok(capsys, *keyed)
        assert re.fullmatch(
            r"#\d+ step_submitted county-1 work_plan at 2011-09-05T10:00:00\+08:00\n", out
        ), out
        again = ok(capsys, *keyed)
        assert seq_of(again) == seq_of(out)
        assert again.strip().endswith("(duplicate, already recorded)")
        code, _, err = cli(capsys, *submit, "--at", "2011-09-05 11:00", "--key", "k1")
        assert code == 2 and "idempotency key 'k1'" in err

        out = ok(
            capsys, "accept", t, "county-1", "work_plan", "--actor", "office", "--at", "2011-09-06"
        )
        assert "step_accepted county-1 work_plan at 2011-09-06T00:00:00+08:00" in out
        ok(capsys, "submit", t, "county-2", "work_plan", "--actor", "clerk-2", "--at", "2011-09-07")
        out = ok(
            capsys, "return", t, "county-2", "work_plan", "--actor", "office", "--at", "2011-09-08",
            "--reason", "补充",
        )  # fmt: skip
        assert "step_returned county-2 work_plan" in out
        out = ok(
            capsys, "waive", t, "city", "mobilization_meeting", "--actor", "office",
            "--at", "2011-09-09", "--reason", "免报",
        )  # fmt: skip
        assert "step_waived city mobilization_meeting" in out
        rows = store.count()
        code, _, err = cli(
            capsys,
            "submit",
            t,
            "county-2",
            "themed_study",
            "--actor",
            "clerk-1",
            "--at",
            "2011-09-10",
        )
        assert code == 2 and "acts only for unit" in err
        assert store.count() == rows

        expected = twin()
        fired = collections.Counter(e.type for e in expected.tick("2011-10-12"))
        summary = ", ".join(f"{n} {k}" for k, n in sorted(fired.items()))
        out = ok(capsys, "tick", t, "--until", "2011-10-12")
        assert out.strip() == f"ticked to 2011-10-12T00:00:00+08:00: {summary}"
        out = ok(capsys, "tick", t, "--until", "2011-10-12")
        assert out.strip() == "ticked to 2011-10-12T00:00:00+08:00: nothing due"

        c = Campaign.open(t)
        assert comparable(c) == comparable(expected)
        self.check_queries(c, t, store.count(), tmp_path, capsys)
        c.close()

    def check_queries(self, c: Campaign, t: str, rows: int, tmp_path: Path, capsys: Any) -> None:
        status = json.loads(ok(capsys, "status", t, "--json"))
        assert status == {
            "campaign": "zhiyong-2011",
            "at": "2011-10-12T00:00:00+08:00",
            "phase": "supervision",
            "units": 3,
            "events": c.cursor,
        }
        text = ok(capsys, "status", t)
        assert "phase: supervision" in text and f"events: {c.cursor}" in text
        unit_json = c.unit_status("county-2").to_json()
        for sid, step in c.unit_status("county-2").steps.items():  # the CLI adds the titles
            unit_json["steps"][sid]["escalation_title"] = step.escalation_title
        assert json.loads(ok(capsys, "status", t, "county-2", "--json")) == json.loads(
            json.dumps(unit_json)
        )
        table = ok(capsys, "status", t, "county-2")
        for step in c.unit_status("county-2").steps.values():
            assert re.search(rf"{step.step}\s.*\b{step.status}\b", table), (step, table)
        code, _, err = cli(capsys, "status", t, "county-9")
        assert code == 2 and "county-9" in err

        assert json.loads(ok(capsys, "board", t, "--json")) == json.loads(
            json.dumps(c.board().to_json())
        )
        tree = ok(capsys, "board", t)
        assert "county-1" in tree and "county-2" in tree

        overdue = json.loads(ok(capsys, "overdue", t, "--json"))
        assert overdue and overdue == [
            {
                "unit": o.unit,
                "step": o.step,
                "due": o.due.isoformat(),
                "escalation": o.escalation,
                "escalation_title": o.escalation_title,
            }
            for o in c.overdue()
        ]
        assert f"{len(overdue)} overdue step(s)" in ok(capsys, "overdue", t)

        exported = json.loads(ok(capsys, "export", t))
        assert list(exported) == ["campaign", "at", "units", "events"]
        assert exported == json.loads(json.dumps(c.report()))
        assert json.loads(ok(capsys, "export", t, "--format", "json")) == exported

        out_file = tmp_path / "state.csv"
        ok(capsys, "export", t, "--format", "csv", "-o", str(out_file))
        table_rows = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
        expected = [
            {
                "unit": u.unit,
                "phase": u.phase or "",
                "step": s.step,
                "status": s.status,
                "due": s.due.isoformat() if s.due else "",
                "late": "true" if s.late else "false",
                "completed_at": s.completed_at.isoformat() if s.completed_at else "",
                "escalation": str(s.escalation),
                "escalation_title": s.escalation_title or "",
            }
            for u in c.iter_units()
            for s in u.steps.values()
        ]
        assert table_rows == expected

        out = ok(capsys, "snapshot", t)
        assert out.strip() == f"snapshot saved after row {rows}"
        reopened = Campaign.open(t)
        assert state(reopened) == state(c)
        reopened.close()
        assert ok(capsys, "verify", t).strip() == f"ok: {rows} rows, hash chain intact"

    def test_init_twice_is_refused(self, store: Store, capsys: Any) -> None:
        """A second init on the same store exits 2 and leaves the first campaign."""
        ok(capsys, "init", store.target, "zhiyong-2011")
        ok(capsys, "actor", store.target, "office", "--role", "office")
        code, _, err = cli(capsys, "init", store.target, "zhiyong-2011")
        assert code == 2 and "already holds a campaign" in err
        assert store.count() == 1

    def test_enroll_needs_an_id_column(self, store: Store, tmp_path: Path, capsys: Any) -> None:
        """A CSV without an ``id`` header is refused with exit 2; nothing is enrolled."""
        ok(capsys, "init", store.target, "zhiyong-2011")
        bad = tmp_path / "bad.csv"
        bad.write_text("name,parent\n市局,\n", encoding="utf-8")
        code, _, err = cli(capsys, "enroll", store.target, "--csv", str(bad))
        assert code == 2 and "`id` column" in err
        assert store.count() == 0


class TestExportMatchesReplay:
    """``campaign export`` is the ``replay --json`` contract."""

    def test_same_report_as_the_scenario(self, store: Store, tmp_path: Path, capsys: Any) -> None:
        """The DESIGN.md scenario run through the campaign commands exports the same JSON."""
        scenario = ROOT / "tests" / "scenarios" / "zhiyong-2011-basic.yaml"
        capsys.readouterr()
        assert main(["replay", str(scenario), "--json"]) == 0
        replayed = json.loads(capsys.readouterr().out)

        t = store.target
        ok(capsys, "init", t, "zhiyong-2011")
        ok(capsys, "actor", t, "office", "--role", "office")
        ok(capsys, "actor", t, "clerk-1", "--role", "member", "--unit", "county-1")
        units = tmp_path / "units.csv"
        units.write_text("id,name,parent\ncity,市局,\ncounty-1,一分局,city\n", encoding="utf-8")
        ok(capsys, "enroll", t, "--csv", str(units))
        ok(
            capsys, "submit", t, "county-1", "work_plan", "--actor", "clerk-1",
            "--at", "2011-09-08 10:00",
        )  # fmt: skip
        ok(capsys, "accept", t, "county-1", "work_plan", "--actor", "office", "--at", "2011-09-09")
        ok(capsys, "tick", t, "--until", "2011-10-12")
        exported = json.loads(ok(capsys, "export", t))

        assert list(exported) == list(replayed) == ["campaign", "at", "units", "events"]
        assert exported["campaign"] == replayed["campaign"] == "zhiyong-2011"
        assert exported["at"] == replayed["at"] == "2011-10-12T00:00:00+08:00"
        assert exported["units"] == replayed["units"]
        for e in (*exported["events"], *replayed["events"]):
            e.pop("seq")
        assert exported["events"] == replayed["events"]


class TestVerifyCommand:
    """``campaign verify`` as a separate process, as an operator or a cron job runs it."""

    def run_verify(self, target: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "zyw_flow.cli", "campaign", "verify", target],
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_intact_then_tampered(self, store: Store, capsys: Any) -> None:
        """Exit 0 on an intact journal; exit 1 naming the first edited row."""
        c = store_fixtures.create(store)
        store_fixtures.run(c, store_fixtures.SCRIPT[:6])
        rows = store.count()
        c.close()
        done = self.run_verify(store.target)
        assert (done.returncode, done.stdout.strip()) == (0, f"ok: {rows} rows, hash chain intact")
        store.sql(
            "UPDATE zyw_journal SET step = ? WHERE campaign = ? AND seq = ?",
            ["themed_study", store.campaign, 7],
        )
        done = self.run_verify(store.target)
        assert done.returncode == 1
        assert done.stdout.startswith("BROKEN at row 7: hash mismatch"), done.stdout

    def test_missing_database(self, tmp_path: Path, capsys: Any) -> None:
        """A path with no database: exit 2, and no file is created."""
        target = tmp_path / "none.db"
        code, _, err = cli(capsys, "verify", str(target))
        assert code == 2 and "no such campaign database" in err
        assert not target.exists()
        code, _, err = cli(capsys, "status", str(target))
        assert code == 2
        assert not target.exists()

    @pytest.mark.postgres
    def test_no_campaign_under_that_name(self, pg_store: Store, capsys: Any) -> None:
        """A PostgreSQL URL naming no campaign: exit 2 with a readable message."""
        code, _, err = cli(capsys, "verify", pg_store.target)
        assert code == 2 and "holds no campaign" in err
