"""Data-driven template fixtures: tests/templates/{valid,invalid}/*.yaml.

Each ``invalid/<name>.yaml`` is paired with ``<name>.errors``, one expected problem per
line in the form ``LINE PATH: MESSAGE-SUBSTRING``. ``LINE`` is ``-`` when the problem has
no line and ``PATH`` is ``<root>`` for the document itself. Lines starting with ``#`` are
comments; ``# xfail: REASON`` marks a fixture whose expectation the library does not meet
yet (a known bug, run as a strict xfail).

Each ``valid/<name>.yaml`` is paired with ``<name>.expect``, one resolved value per line:
``phase ID FIELD VALUE`` or ``step ID FIELD VALUE`` (instants in ISO form, ``true`` /
``false``, ``null``, or plain text such as a title).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import attrs
import pytest

from zyw_flow import load_template
from zyw_flow._errors import Problem, TemplateError
from zyw_flow.resolve import ResolvedCampaign, resolve

FIXTURES = Path(__file__).parent / "templates"
INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = sorted((FIXTURES / "valid").glob("*.yaml"))

_LINE_RE = re.compile(r"^(?P<line>-|\d+) (?P<path>\S*): (?P<message>.+)$")


@attrs.frozen
class Expected:
    """One expected problem: exact line and path, a substring of the message."""

    line: int | None
    path: str
    message: str

    def matches(self, problem: Problem) -> bool:
        """Whether ``problem`` is this expected problem."""
        return (
            problem.line == self.line
            and problem.path == self.path
            and self.message in problem.message
        )

    def __str__(self) -> str:
        return f"{'-' if self.line is None else self.line} {self.path or '<root>'}: {self.message}"


def read_errors(path: Path) -> tuple[list[Expected], str | None]:
    """The expected problems of an ``.errors`` file and its xfail reason, if any."""
    expected: list[Expected] = []
    xfail: str | None = None
    for raw in path.read_text("utf-8").splitlines():
        if not raw.strip():
            continue
        if raw.startswith("#"):
            if raw.startswith("# xfail:"):
                xfail = raw.removeprefix("# xfail:").strip()
            continue
        m = _LINE_RE.match(raw)
        assert m is not None, f"{path.name}: cannot read expectation {raw!r}"
        line = None if m["line"] == "-" else int(m["line"])
        where = "" if m["path"] == "<root>" else m["path"]
        expected.append(Expected(line, where, m["message"]))
    return expected, xfail


def invalid_params() -> list[Any]:
    """One pytest param per invalid fixture, strict-xfail where the file says so."""
    out = []
    for path in INVALID:
        _, xfail = read_errors(path.with_suffix(".errors"))
        marks = [pytest.mark.xfail(strict=True, reason=xfail)] if xfail else []
        out.append(pytest.param(path, id=path.stem, marks=marks))
    return out


def load_and_resolve(path: Path) -> ResolvedCampaign:
    """Load a fixture by path and resolve its dates."""
    return resolve(load_template(path))


def render(value: Any) -> str:
    """A resolved value in the ``.expect`` notation."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):  # datetimes too
        return value.isoformat()
    return str(value)


class TestFixtureFiles:
    """The fixture folders are complete and well-formed."""

    def test_required_problem_classes_present(self) -> None:
        """Every problem class the loader must report has an invalid fixture."""
        names = {p.stem for p in INVALID}
        required = {
            "malformed_yaml",
            "unknown_phase_template",
            "duplicate_step_ids",
            "duplicate_phase_ids",
            "window_end_before_start",
            "unknown_dependency",
            "dependency_cycle",
            "deadline_before_phase",
            "unknown_role",
            "unknown_calendar",
            "bad_date_phrase",
            "missing_parameter",
            "unknown_field",
            "several_problems",
            "alias_bomb",
            "too_deep",
            "python_object_tag",
            "unknown_param_interpolation",
            "beyond_calendar_horizon",
        }
        assert required <= names, required - names

    def test_valid_counterparts_present(self) -> None:
        """The `early: true` and `fallback: weekends` counterparts exist under valid/."""
        assert {"early_deadline", "beyond_calendar_horizon_weekends"} <= {p.stem for p in VALID}

    @pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
    def test_every_invalid_fixture_has_expectations(self, path: Path) -> None:
        """Each invalid fixture has a non-empty, readable ``.errors`` file."""
        expected, _ = read_errors(path.with_suffix(".errors"))
        assert expected

    @pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
    def test_every_valid_fixture_has_expectations(self, path: Path) -> None:
        """Each valid fixture has a non-empty ``.expect`` file."""
        assert path.with_suffix(".expect").read_text("utf-8").strip()


class TestInvalidFixtures:
    """Each invalid fixture produces exactly the problems its ``.errors`` file lists."""

    @pytest.mark.parametrize("path", invalid_params())
    def test_reports_expected_problems(self, path: Path) -> None:
        """Every expected line/path/message is reported, and nothing else."""
        expected, _ = read_errors(path.with_suffix(".errors"))
        with pytest.raises(TemplateError) as info:
            load_and_resolve(path)
        problems = info.value.problems
        listing = "\n".join(f"  {p.line} {p.path or '<root>'}: {p.message}" for p in problems)
        for exp in expected:
            assert any(exp.matches(p) for p in problems), f"missing {exp}; got:\n{listing}"
        assert len(problems) == len(expected), f"expected {len(expected)} problems; got:\n{listing}"

    @pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
    def test_problems_name_the_file(self, path: Path) -> None:
        """Every problem names the fixture file it was found in."""
        with pytest.raises(TemplateError) as info:
            load_and_resolve(path)
        assert info.value.problems
        assert all(Path(p.file) == path for p in info.value.problems)

    @pytest.mark.parametrize("path", INVALID, ids=[p.stem for p in INVALID])
    def test_message_lists_every_problem(self, path: Path) -> None:
        """The error's text carries every problem as ``file:line: path: message``."""
        with pytest.raises(TemplateError) as info:
            load_and_resolve(path)
        text = str(info.value)
        assert text.startswith(f"{len(info.value.problems)} problem(s) in template")
        for problem in info.value.problems:
            assert str(problem) in text


class TestValidFixtures:
    """Each valid fixture loads, resolves, and has the instants its ``.expect`` lists."""

    @pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
    def test_resolves_to_expected_values(self, path: Path) -> None:
        """Every ``phase``/``step`` line of the ``.expect`` file holds."""
        resolved = load_and_resolve(path)
        lines = path.with_suffix(".expect").read_text("utf-8").splitlines()
        for line in filter(None, (ln.strip() for ln in lines)):
            kind, ident, field, want = line.split(" ", 3)
            assert kind in ("phase", "step"), line
            obj = resolved.phase(ident) if kind == "phase" else resolved.step(ident)
            assert render(getattr(obj, field)) == want, line

    @pytest.mark.parametrize("path", VALID, ids=[p.stem for p in VALID])
    def test_instants_are_aware_and_ordered(self, path: Path) -> None:
        """Windows are aware, start before they end, and follow each other in order."""
        resolved = load_and_resolve(path)
        for phase in resolved.phases:
            assert phase.start.utcoffset() is not None
            assert phase.start < phase.end
        starts = [p.start for p in resolved.phases]
        assert starts == sorted(starts)
