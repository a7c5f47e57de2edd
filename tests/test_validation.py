"""`zyw-flow validate` of every kind of file, the shipped JSON Schemas, and liveness checks.

Fixtures: ``tests/validation/<kind>/<name>.yaml``, each paired with ``<name>.errors``: a
``# kind: KIND`` line (the kind the file must be recognised as, ``None`` for none), then
one expected problem per line, ``LINE PATH: MESSAGE-SUBSTRING`` for an error and
``LINE PATH: warning: MESSAGE-SUBSTRING`` for a warning (``-`` for no line, ``<root>`` for
the document itself). Every listed problem must be reported, and nothing else.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import attrs
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import ROOT
from zyw_flow._errors import Problem, TemplateError
from zyw_flow.cli import main
from zyw_flow.resolve import load_template, load_template_text, resolve
from zyw_flow.template import read_yaml_file
from zyw_flow.validation import (
    KINDS,
    check_liveness,
    detect_kind,
    schema,
    schema_text,
    validate_file,
)

FIXTURES = ROOT / "tests" / "validation"
BROKEN = sorted(FIXTURES.glob("*/*.yaml"))
TEMPLATES = ROOT / "templates"

BUNDLED: list[tuple[Path, str]] = [
    *((p, "campaign") for p in sorted(TEMPLATES.glob("*.yaml"))),
    *((p, "phase") for p in sorted((TEMPLATES / "phases").glob("*.yaml"))),
    *((p, "scoring") for p in sorted((TEMPLATES / "scoring").glob("*.yaml"))),
    *((p, "scenario") for p in sorted((TEMPLATES / "scenarios").glob("*.yaml"))),
    *((p, "scenario") for p in sorted((ROOT / "tests" / "scenarios").glob("*.yaml"))),
    *((p, "campaign") for p in sorted((ROOT / "tests" / "templates" / "valid").glob("*.yaml"))),
    *((p, "profile") for p in sorted((ROOT / "zyw_flow" / "sim" / "profiles").glob("*.yaml"))),
]

_LINE_RE = re.compile(r"^(?P<line>-|\d+) (?P<path>\S*): (?P<warning>warning: )?(?P<message>.+)$")


@attrs.frozen
class Expected:
    """One expected problem: exact line and path, a substring of the message."""

    line: int | None
    path: str
    message: str
    warning: bool

    def matches(self, problem: Problem) -> bool:
        return (
            problem.line == self.line
            and problem.path == self.path
            and self.message in problem.message
        )


def read_expected(path: Path) -> tuple[str | None, list[Expected]]:
    kind: str | None = None
    expected: list[Expected] = []
    for raw in path.read_text("utf-8").splitlines():
        if raw.startswith("# kind:"):
            value = raw.removeprefix("# kind:").strip()
            kind = None if value == "None" else value
            continue
        if not raw.strip() or raw.startswith("#"):
            continue
        m = _LINE_RE.match(raw)
        assert m is not None, f"{path.name}: cannot read {raw!r}"
        expected.append(
            Expected(
                None if m["line"] == "-" else int(m["line"]),
                "" if m["path"] == "<root>" else m["path"],
                m["message"],
                m["warning"] is not None,
            )
        )
    return kind, expected


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


class TestBundledFiles:
    """Every file the project ships validates `ok` as its own kind, without warnings."""

    def test_every_kind_is_covered(self) -> None:
        """The bundled files include each kind."""
        assert {kind for _, kind in BUNDLED} == set(KINDS)

    @pytest.mark.parametrize(
        ("path", "kind"), BUNDLED, ids=[f"{k}:{p.parent.name}/{p.stem}" for p, k in BUNDLED]
    )
    def test_validates_ok(self, path: Path, kind: str) -> None:
        """The file is recognised as its kind and has no errors and no warnings."""
        report = validate_file(path)
        assert report.kind == kind
        assert report.errors == ()
        assert report.warnings == ()
        assert report.lines() == [f"{path}: ok ({kind})"]

    @pytest.mark.parametrize(
        ("path", "kind"), BUNDLED, ids=[f"{k}:{p.parent.name}/{p.stem}" for p, k in BUNDLED]
    )
    def test_matches_its_json_schema(self, path: Path, kind: str) -> None:
        """The shipped JSON Schema accepts every bundled file of its kind (no drift)."""
        data = read_yaml_file(path).data
        errors = list(jsonschema.Draft202012Validator(schema(kind)).iter_errors(data))
        assert errors == []

    @pytest.mark.parametrize(
        ("path", "kind"), BUNDLED, ids=[f"{k}:{p.parent.name}/{p.stem}" for p, k in BUNDLED]
    )
    def test_kind_recognised_from_shape(self, path: Path, kind: str) -> None:
        """Without its `kind:` line, a file is still recognised by its shape."""
        data = dict(read_yaml_file(path).data)
        data.pop("kind", None)
        assert detect_kind(data) == kind


class TestBrokenFixtures:
    """Each broken fixture of each kind produces exactly its listed problems."""

    def test_every_kind_has_broken_fixtures(self) -> None:
        """There are broken fixtures for campaigns, phases, schemes and scenarios."""
        assert {p.parent.name for p in BROKEN} >= {"campaign", "phase", "scoring", "scenario"}

    def test_liveness_fixtures_present(self) -> None:
        """One fixture for each liveness check."""
        names = {p.stem for p in (FIXTURES / "campaign").glob("*.yaml")}
        assert {
            "closes_before_opens",
            "closes_before_dependency",
            "depends_on_later_step",
            "due_before_dependency",
            "completion_gate_never_met",
            "completion_gate_step_never_completed",
            "escalation_after_end",
            "recurrence_without_instance",
        } <= names

    @pytest.mark.parametrize("path", BROKEN, ids=[f"{p.parent.name}/{p.stem}" for p in BROKEN])
    def test_reports_listed_problems(self, path: Path) -> None:
        """Kind, errors and warnings are exactly those of the ``.errors`` file."""
        kind, expected = read_expected(path.with_suffix(".errors"))
        assert expected, "a fixture must list at least one problem"
        report = validate_file(path)
        assert report.kind == kind
        for want, got in ((False, report.errors), (True, report.warnings)):
            listing = "\n".join(f"  {p.line} {p.path or '<root>'}: {p.message}" for p in got)
            wanted = [e for e in expected if e.warning == want]
            for exp in wanted:
                assert any(exp.matches(p) for p in got), f"missing {exp}; got:\n{listing}"
            assert len(got) == len(wanted), f"expected {len(wanted)}; got:\n{listing}"

    @pytest.mark.parametrize("path", BROKEN, ids=[f"{p.parent.name}/{p.stem}" for p in BROKEN])
    def test_cli_prints_file_line_path_message(
        self, capsys: pytest.CaptureFixture[str], path: Path
    ) -> None:
        """`zyw-flow validate` prints every problem as `file:line: path: message`."""
        report = validate_file(path)
        code, out, _ = run(capsys, "validate", str(path))
        assert code == (0 if report.ok else 1)
        assert out.splitlines() == report.lines()
        for line in out.splitlines():
            if line == f"{path}: ok ({report.kind})":
                continue
            assert re.fullmatch(r"\S+?(:\d+)?: \S+: .+", line), line


INVALID_TEMPLATES = sorted((ROOT / "tests" / "templates" / "invalid").glob("*.yaml"))


@pytest.mark.parametrize("path", INVALID_TEMPLATES, ids=[p.stem for p in INVALID_TEMPLATES])
def test_validate_reports_what_loading_reports(path: Path) -> None:
    """For a campaign, validate reports exactly the loader's and resolver's problems."""
    with pytest.raises(TemplateError) as info:
        resolve(load_template(path))
    report = validate_file(path)
    assert report.kind in ("campaign", None)
    assert list(report.errors) == list(dict.fromkeys(info.value.problems))


class TestSchemaCommand:
    """`zyw-flow schema KIND` prints the shipped JSON Schema of a kind."""

    @pytest.mark.parametrize("kind", KINDS)
    def test_prints_a_valid_schema(self, capsys: pytest.CaptureFixture[str], kind: str) -> None:
        """The output is the kind's Draft 2020-12 schema, as JSON."""
        code, out, _ = run(capsys, "schema", kind)
        assert code == 0
        printed = json.loads(out)
        assert printed == schema(kind) and out == schema_text(kind)
        jsonschema.Draft202012Validator.check_schema(printed)
        assert kind in printed["$id"]

    def test_unknown_kind_is_a_usage_error(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A kind that does not exist is refused by the parser (exit 2)."""
        code, out, err = run(capsys, "schema", "banana")
        assert (code, out) == (2, "")
        assert "invalid choice: 'banana'" in err


class TestValidateCommand:
    """The command over several files and kinds."""

    def test_every_kind_at_once(self, capsys: pytest.CaptureFixture[str]) -> None:
        """One call validates a campaign, a phase template, a scheme and a scenario."""
        files = [
            TEMPLATES / "zhiyong-2011.yaml",
            TEMPLATES / "phases" / "mobilization.yaml",
            TEMPLATES / "scoring" / "feicheng.yaml",
            ROOT / "tests" / "scenarios" / "waive-by-office.yaml",
        ]
        code, out, _ = run(capsys, "validate", *map(str, files))
        assert code == 0
        kinds = ["campaign", "phase", "scoring", "scenario"]
        assert out.splitlines() == [f"{f}: ok ({k})" for f, k in zip(files, kinds, strict=True)]

    def test_warnings_do_not_fail(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A file with warnings only exits 0 and prints them before its `ok` line."""
        path = FIXTURES / "campaign" / "escalation_after_end.yaml"
        code, out, _ = run(capsys, "validate", str(path))
        lines = out.splitlines()
        assert code == 0
        assert lines[-1] == f"{path}: ok (campaign)"
        assert lines[0].startswith(f"{path}:9: escalation[1].after: warning: ")

    def test_forced_kind(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--kind checks a file as the given kind (here a scheme read as a campaign)."""
        path = TEMPLATES / "scoring" / "feicheng.yaml"
        code, out, _ = run(capsys, "validate", "--kind", "campaign", str(path))
        assert code == 1
        assert f"{path}:4: kind: 'campaign' was expected" in out

    @pytest.mark.parametrize(
        ("ref", "kind"),
        [("zhiyong-2011", "campaign"), ("bureau-unit", "scoring"), ("mobilization", "phase")],
    )
    def test_bundled_id(self, capsys: pytest.CaptureFixture[str], ref: str, kind: str) -> None:
        """A bundled template, scheme or phase template id is validated from its file."""
        code, out, _ = run(capsys, "validate", ref)
        assert code == 0 and out.endswith(f"/{ref}.yaml: ok ({kind})\n")

    def test_search_path(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """--search-path lets a template use a phase template from another folder."""
        shared = tmp_path / "shared" / "phases"
        shared.mkdir(parents=True)
        (shared / "vote.yaml").write_text(
            "kind: phase\nid: vote\ntitle: 投票\nsteps:\n  ballot: {title: 投票}\n", "utf-8"
        )
        path = tmp_path / "camp" / "c.yaml"
        path.parent.mkdir()
        path.write_text(
            "id: c\ntitle: 试\nparams:\n  year: {type: int, default: 2011}\n"
            "phases:\n  - use: vote\n    window: 9月\n",
            "utf-8",
        )
        code, out, _ = run(capsys, "validate", str(path))
        assert code == 1 and "unknown phase template 'vote'" in out
        code, out, _ = run(capsys, "validate", "--search-path", str(tmp_path / "shared"), str(path))
        assert (code, out) == (0, f"{path}: ok (campaign)\n")

    def test_unreadable_and_too_large(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A file over the size limit is one located problem; exit 1."""
        path = tmp_path / "big.yaml"
        path.write_bytes(b"#" * (1 << 20) + b"\n")
        code, out, _ = run(capsys, "validate", str(path))
        assert code == 1
        assert out == f"{path}: <root>: file is {(1 << 20) + 1} bytes; the limit is {1 << 20}\n"


def single_step(opens: int, closes: int, due: int) -> str:
    return textwrap.dedent(
        f"""\
        id: probe
        title: 探针
        params:
          year: {{type: int, default: 2011}}
        phases:
          - id: work
            title: 工作
            window: 9月
            steps:
              report: {{title: 报告, opens: 9月{opens}日, closes: 9月{closes}日, due: 9月{due}日前}}
        """
    )


@given(
    opens=st.integers(1, 30),
    closes=st.integers(1, 30),
    due=st.integers(1, 30),
)
def test_closing_before_opening_is_exactly_the_error(opens: int, closes: int, due: int) -> None:
    """A step is reported as never submittable exactly when it closes before it opens."""
    try:
        resolved = resolve(load_template_text(single_step(opens, closes, due)))
    except TemplateError:  # due before the step opens: the resolver's own error
        assert due < opens
        return
    found = check_liveness(resolved)
    never = [p for p in found.errors if "can never be submitted" in p.message]
    assert bool(never) == (closes < opens)
    closes_early = [p for p in found.warnings if "the deadline is never reached" in p.message]
    assert bool(closes_early) == (opens <= closes < due)
    assert all(p.path == "phases[0].steps.report.closes" for p in (*never, *closes_early))
