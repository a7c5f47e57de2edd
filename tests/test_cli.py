"""The shared pieces of the ``zyw-flow`` CLI: values, exit codes, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from zyw_flow._errors import (
    Problem,
    ScenarioError,
    TemplateError,
    TransitionRefused,
    ZywFlowError,
)
from zyw_flow.cli import main
from zyw_flow.cli._app import EXIT_FAILED, EXIT_UNUSABLE, error_lines
from zyw_flow.cli._args import UsageError, parse_instant, parse_params


class TestValues:
    """`--param NAME=VALUE` and `--at`/`--until` are read in one place."""

    def test_params(self) -> None:
        """Pairs become a dict; spaces around names and values go."""
        assert parse_params(["year=2015", " unit = 市局 ", "empty="]) == {
            "year": "2015",
            "unit": "市局",
            "empty": "",
        }
        assert parse_params(None) == {}

    @pytest.mark.parametrize("pair", ["year", "=2015", " =x"])
    def test_bad_param(self, pair: str) -> None:
        """A pair without a name or `=` names itself and what is expected."""
        with pytest.raises(UsageError, match="NAME=VALUE") as info:
            parse_params([pair])
        assert repr(pair) in str(info.value)

    @pytest.mark.parametrize("text", ["2011-09-05", "2011-09-05 10:00", "2011-09-05T10:00+08:00"])
    def test_instants_kept_as_written(self, text: str) -> None:
        """A good instant is returned unchanged (the campaign reads it in its own zone)."""
        assert parse_instant(text, "at") == text
        assert parse_instant(None, "at") is None

    @pytest.mark.parametrize("text", ["next week", "2011-13-01", "09/05/2011", ""])
    def test_bad_instant(self, text: str) -> None:
        """A bad instant is one line naming the option and the value."""
        with pytest.raises(UsageError) as info:
            parse_instant(text, "until")
        message = str(info.value)
        assert message.startswith("--until: ") and repr(text) in message
        assert "\n" not in message


class TestExitPolicy:
    """One mapping from errors to exit codes and stderr lines."""

    def test_template_problems_are_a_checked_failure(self) -> None:
        """A TemplateError exits 1 with one line per problem."""
        problems = [Problem("t.yaml", 3, "id", "bad"), Problem("t.yaml", None, "", "worse")]
        assert error_lines(TemplateError(problems)) == (
            EXIT_FAILED,
            ["t.yaml:3: id: bad", "t.yaml: <root>: worse"],
        )

    def test_scenario_problems_are_unusable_input(self) -> None:
        """A ScenarioError exits 2 with one line per problem, each with the prefix."""
        assert error_lines(ScenarioError(["a", "b"])) == (
            EXIT_UNUSABLE,
            ["zyw-flow: a", "zyw-flow: b"],
        )

    @pytest.mark.parametrize(
        "exc",
        [
            TransitionRefused("not open", unit="u", step="s", event="submit"),
            ZywFlowError("plain"),
            UsageError("--at: nope"),
            FileNotFoundError("gone"),
        ],
    )
    def test_anything_else_is_one_line(self, exc: Exception) -> None:
        """Refusals, bad values and missing files exit 2 with `zyw-flow: …`."""
        code, lines = error_lines(exc)
        assert code == EXIT_UNUSABLE
        assert lines == [f"zyw-flow: {exc}"]

    def test_main_returns_instead_of_exiting(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`main` returns argparse's status for --help and for a usage error."""
        assert main(["--help"]) == 0
        assert "usage: zyw-flow" in capsys.readouterr().out
        assert main(["no-such-command"]) == 2
        assert "invalid choice" in capsys.readouterr().err

    def test_bad_instant_checked_before_the_store_opens(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A bad --at is refused on one line before anything is opened or created."""
        db = tmp_path / "absent.db"
        argv = ["campaign", "submit", str(db), "u", "s", "--actor", "a", "--at", "monday"]
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err == "zyw-flow: --at: not an ISO date or date-time: 'monday'\n"
        assert not db.exists()


@pytest.mark.parametrize("module", ["zyw_flow", "zyw_flow.cli"])
def test_python_dash_m(module: str) -> None:
    """`python -m zyw_flow` and `python -m zyw_flow.cli` run the command line."""
    done = subprocess.run(
        [sys.executable, "-m", module, "templates", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "zhiyong-2011" in {row["id"] for row in json.loads(done.stdout)}
