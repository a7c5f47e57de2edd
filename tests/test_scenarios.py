"""Every scenario file (tests/scenarios and the bundled ones) replays and meets its expectations."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zyw_flow import ScenarioError, run_scenario
from zyw_flow.cli import main
from zyw_flow.scenario import bundled_scenarios

FILES = sorted((ROOT / "tests" / "scenarios").glob("*.yaml")) + bundled_scenarios()


@pytest.mark.parametrize("path", FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_scenario_passes(path: Path) -> None:
    """The scenario's expect: block holds."""
    result = run_scenario(path)
    assert result.ok, "\n".join(result.failures)


def test_every_seed_has_a_bundled_scenario() -> None:
    """Each bundled seed campaign ships a scenario of the same id."""
    from zyw_flow.template import iter_template_sources

    seeds = {s.id for s in iter_template_sources() if s.origin == "bundled"}
    assert seeds <= {p.stem for p in bundled_scenarios()}


class TestReplayCommand:
    def test_json_contract(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`replay --json` prints one JSON object with the contract's keys and exits 0."""
        code = main(
            ["replay", str(ROOT / "tests" / "scenarios" / "zhiyong-2011-basic.yaml"), "--json"]
        )
        out = capsys.readouterr().out
        report = json.loads(out)
        assert code == 0
        assert set(report) >= {"campaign", "at", "units", "events"}
        step = report["units"]["county-1"]["steps"]["rectification_report"]
        assert step == {
            "status": "overdue",
            "due": "2011-10-05T23:59:59.999999+08:00",
            "late": False,
            "completed_at": None,
            "escalation": 2,
            "warning": None,
            "extensions": [],
        }

    def test_failed_expectation_exits_nonzero(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A wrong expectation is listed readably and the exit status is 1."""
        src = (ROOT / "tests" / "scenarios" / "zhiyong-2011-basic.yaml").read_text(encoding="utf-8")
        bad = tmp_path / "bad.yaml"
        bad.write_text(
            src.replace("rectification_report: overdue", "rectification_report: accepted")
        )
        code = main(["replay", str(bad)])
        err = capsys.readouterr().err
        assert code == 1
        assert "county-1.rectification_report.status: is 'overdue', expected 'accepted'" in err

    def test_unexpected_refusal_is_reported(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An action refused without `expect_error` stops the run with a readable error."""
        bad = tmp_path / "refused.yaml"
        bad.write_text(
            "template: zhiyong-2011\n"
            "units: [{id: a}, {id: b}]\n"
            "actors: {clerk: {roles: [member], unit: a}}\n"
            "script:\n"
            '  - {at: "2011-09-05", do: submit, unit: b, step: work_plan, actor: clerk}\n',
            encoding="utf-8",
        )
        assert main(["replay", str(bad)]) == 1
        assert "PermissionRefused" in capsys.readouterr().err

    @pytest.mark.parametrize(
        ("expected", "ok"),
        [
            ("InstantError", True),
            ("ValueError", True),  # the builtin it also is (scenarios written before it)
            ("ZywFlowError", False),  # a zyw_flow base class is too wide
            ("TransitionRefused", False),
        ],
    )
    def test_expect_error_names(self, tmp_path: Path, expected: str, ok: bool) -> None:
        """`expect_error:` names the exact class or a builtin it also is."""
        path = tmp_path / "bad-instant.yaml"
        path.write_text(
            "template: zhiyong-2011\n"
            "units: [{id: a}]\n"
            "actors: {clerk: {roles: [member], unit: a}}\n"
            "script:\n"
            '  - {at: "2011-09-31", do: submit, unit: a, step: work_plan, actor: clerk, '
            f"expect_error: {expected}}}\n",
            encoding="utf-8",
        )
        result = run_scenario(path)
        assert result.ok is ok
        if not ok:
            assert "InstantError: not an ISO date or date-time: '2011-09-31'" in result.failures[0]

    def test_malformed_scenario(self, tmp_path: Path) -> None:
        """A scenario without a script is refused with a ScenarioError."""
        bad = tmp_path / "empty.yaml"
        bad.write_text("template: zhiyong-2011\n", encoding="utf-8")
        with pytest.raises(ScenarioError, match="script"):
            run_scenario(bad)


class TestStrictScenarios:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ("expect: {a: {stpes: {work_plan: pending}}}\n", "unknown key(s) stpes"),
            ("expect: {a: {steps: {work_plan: {stauts: pending}}}}\n", "unknown field(s) stauts"),
            (
                "script:\n  - {at: '2011-09-05', do: submit, unit: a, step: work_plan, "
                "actor: m, evidense: x}\n",
                "unknown field(s) evidense",
            ),
            (
                "script:\n  - {at: '2011-09-05', do: submit, step: work_plan, actor: m}\n",
                "`submit` needs `unit`",
            ),
            (
                "script:\n  - {do: submit, unit: a, step: work_plan, actor: m}\n",
                "`submit` needs `at`",
            ),
            ("script:\n  - {at: '2011-09-05', do: dance, unit: a}\n", "unknown action 'dance'"),
        ],
    )
    def test_typos_are_refused(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, message: str
    ) -> None:
        """A typo in a script line or an expectation is an error, not a silent pass (exit 2)."""
        head = "template: zhiyong-2011\nunits: [{id: a}]\nactors: {m: {roles: [member], unit: a}}\n"
        if not body.startswith("script"):
            body = "script: []\n" + body
        path = tmp_path / "typo.yaml"
        path.write_text(head + body, encoding="utf-8")
        with pytest.raises(ScenarioError, match=re.escape(message)):
            run_scenario(path)
        assert main(["replay", str(path)]) == 2  # refused as `validate` locates it
        err = capsys.readouterr().err
        assert f"{path}:" in err and message.split()[-1].strip("'") in err
