"""Templates read only what they may, and hostile input is refused fast (issue 15).

Each test class starts from the attack that was found: a template that opens any readable
file through ``use:`` or ``scoring:`` and echoes its content, YAML nested deep enough to
blow the recursion limit (or run for minutes), a file far over the size limit read whole
before it is refused, and a score of ``1e-999999`` that hangs grading.
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zyw_flow._errors import ScenarioError, TemplateError
from zyw_flow._yaml import MAX_BYTES, MAX_DEPTH
from zyw_flow.evaluation import (
    ScoreInput,
    ScoringError,
    load_scheme,
    load_scheme_text,
    parse_decimal,
    score_unit,
)
from zyw_flow.scenario import load_scenario
from zyw_flow.template import find_reference, load_template, read_limited, read_yaml

SECRET = "DB_PASSWORD=hunter2"

CAMPAIGN = textwrap.dedent(
    """\
    id: probe
    title: 探针
    params:
      year: {type: int, default: 2011}
    """
)

#: Paths opened since the audit hook was installed (only while a test records them).
_OPENED: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED is not None and event == "open" and isinstance(args[0], (str, bytes, Path)):
        _OPENED.append(os.fsdecode(args[0]))


sys.addaudithook(_audit)


@pytest.fixture
def opened() -> Iterator[list[str]]:
    """Every file path opened during the test."""
    global _OPENED
    _OPENED = []
    try:
        yield _OPENED
    finally:
        _OPENED = None


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A readable file outside the template's folder, shaped like a template."""
    folder = tmp_path / "elsewhere"
    (folder / "phases").mkdir(parents=True)
    path = folder / "secret.yaml"
    path.write_text(f"kind: phase\nid: {SECRET}\ntitle: x\nsteps: {{}}\n", "utf-8")
    (folder / "phases" / "secret.yaml").write_text(path.read_text("utf-8"), "utf-8")
    return path


def write_campaign(folder: Path, body: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "campaign.yaml"
    path.write_text(CAMPAIGN + textwrap.dedent(body), "utf-8")
    return path


def problems(path: Path, **kwargs: Any) -> list[tuple[int | None, str, str]]:
    with pytest.raises(TemplateError) as info:
        load_template(path, **kwargs)
    return [(p.line, p.path, p.message) for p in info.value.problems]


class TestReferences:
    """`use:` and scheme references resolve only inside the allowed folders."""

    def test_the_audit_hook_sees_opens(self, tmp_path: Path, opened: list[str]) -> None:
        """Sanity: loading a template records its own file and its phase templates."""
        path = write_campaign(
            tmp_path / "camp", "phases:\n  - use: mobilization\n    window: 9月\n"
        )
        load_template(path)
        assert str(path) in opened
        assert any(p.endswith("mobilization.yaml") for p in opened)

    def test_use_with_a_path_is_refused_before_opening(
        self, tmp_path: Path, secret: Path, opened: list[str]
    ) -> None:
        """`use: ../../x/secret` is refused, the file is never opened nor echoed."""
        rel = os.path.relpath(secret.with_suffix(""), tmp_path / "camp" / "phases")
        path = write_campaign(tmp_path / "camp", f"phases:\n  - use: {rel}\n    window: 9月\n")
        got = problems(path)
        assert got == [
            (6, "phases[0].use", f"{rel!r} is not a valid id (letters, digits, '-' and '_')")
        ]
        assert str(secret) not in opened and not any("secret" in p for p in opened)
        assert SECRET not in str(got)

    def test_absolute_scheme_path_is_refused_before_opening(
        self, tmp_path: Path, secret: Path, opened: list[str]
    ) -> None:
        """`scoring: {units: /abs/path}` is refused with a located error."""
        path = write_campaign(
            tmp_path / "camp",
            f"phases:\n  - {{id: w, title: 工作, window: 9月}}\nscoring:\n  units: {secret}\n",
        )
        ((line, where, message),) = problems(path)
        assert (line, where) == (8, "scoring.units")
        assert "refused" in message and SECRET not in message
        assert str(secret) not in opened

    def test_relative_scheme_path_out_of_the_folder_is_refused(
        self, tmp_path: Path, secret: Path, opened: list[str]
    ) -> None:
        """`../elsewhere/secret.yaml` leaves the template's folder: refused."""
        path = write_campaign(
            tmp_path / "camp",
            "phases:\n  - {id: w, title: 工作, window: 9月}\n"
            "scoring:\n  units: ../elsewhere/secret.yaml\n",
        )
        ((line, where, message),) = problems(path)
        assert (line, where) == (8, "scoring.units")
        assert "outside the template's folder" in message
        assert str(secret) not in opened

    @pytest.mark.parametrize("kind", ["phase", "scoring"])
    def test_symlink_escaping_the_folder_is_refused(
        self, tmp_path: Path, secret: Path, opened: list[str], kind: str
    ) -> None:
        """A link inside the folder that points outside is refused; the target never opens."""
        sub = "phases" if kind == "phase" else "scoring"
        (tmp_path / "camp" / sub).mkdir(parents=True)
        (tmp_path / "camp" / sub / "evil.yaml").symlink_to(secret)
        body = (
            "phases:\n  - use: evil\n    window: 9月\n"
            if kind == "phase"
            else "phases:\n  - {id: w, title: 工作, window: 9月}\nscoring:\n  units: evil\n"
        )
        path = write_campaign(tmp_path / "camp", body)
        got = problems(path)
        assert len(got) == 1 and "links outside its folder" in got[0][2]
        assert got[0][1] == ("phases[0].use" if kind == "phase" else "scoring.units")
        assert SECRET not in str(got)
        assert str(secret) not in opened

    def test_a_non_template_in_the_folder_is_not_echoed(self, tmp_path: Path) -> None:
        """A file in the folder that is not a scheme is named, its content never shown."""
        (tmp_path / "camp").mkdir()
        (tmp_path / "camp" / "notes.yaml").write_text(f"id: {SECRET}\n", "utf-8")
        path = write_campaign(
            tmp_path / "camp",
            "phases:\n  - {id: w, title: 工作, window: 9月}\nscoring:\n  units: notes.yaml\n",
        )
        ((line, where, message),) = problems(path)
        assert (line, where) == (8, "scoring.units")
        assert "is not a scoring scheme" in message and SECRET not in message

    def test_a_folder_passed_explicitly_is_allowed(self, tmp_path: Path) -> None:
        """`search_path` lets a template use phase templates and schemes from that folder."""
        shared = tmp_path / "shared"
        (shared / "phases").mkdir(parents=True)
        (shared / "phases" / "review.yaml").write_text(
            "kind: phase\nid: review\ntitle: 评议\nsteps:\n  vote: {title: 投票}\n", "utf-8"
        )
        path = write_campaign(tmp_path / "camp", "phases:\n  - use: review\n    window: 9月\n")
        assert "unknown phase template 'review'" in problems(path)[0][2]
        template = load_template(path, search_path=[shared])
        assert [s.id for s in template.phases[0].steps] == ["vote"]

    def test_scheme_beside_the_template_by_relative_path(self, tmp_path: Path) -> None:
        """A relative path inside the template's folder still works."""
        (tmp_path / "camp" / "local").mkdir(parents=True)
        text = (load_scheme("bureau-unit").text).replace("id: bureau-unit", "id: local-unit")
        (tmp_path / "camp" / "local" / "mine.yaml").write_text(text, "utf-8")
        path = write_campaign(
            tmp_path / "camp",
            "phases:\n  - {id: w, title: 工作, window: 9月}\nscoring:\n  units: local/mine.yaml\n",
        )
        assert load_template(path).scoring == {"units": "local/mine.yaml"}

    def test_bundled_ids_still_resolve(self) -> None:
        """Bundled phase templates and schemes are found by id from anywhere."""
        assert find_reference("phase", "mobilization").name == "mobilization.yaml"
        assert find_reference("scoring", "bureau-unit").name == "bureau-unit.yaml"
        assert load_template("zhiyong-2011").scoring == {
            "units": "bureau-unit",
            "persons": "bureau-individual",
        }


_SEGMENTS = st.sampled_from(["..", ".", "scoring", "local", "x.yaml", "mine.yaml", "~", "/"])


@given(parts=st.lists(_SEGMENTS, min_size=1, max_size=6))
def test_references_never_leave_the_folder(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    """Whatever relative path a scheme reference spells, it resolves inside the folder or
    is refused; nothing outside is ever returned."""
    from zyw_flow._errors import TemplateNotFound
    from zyw_flow.template import ReferenceRefused

    root = tmp_path_factory.mktemp("refs")
    folder = root / "camp"
    (folder / "local").mkdir(parents=True)
    (folder / "local" / "mine.yaml").write_text("kind: scoring\n", "utf-8")
    (folder / "scoring").mkdir()
    (root / "x.yaml").write_text("kind: scoring\n", "utf-8")
    (root / "mine.yaml").write_text("kind: scoring\n", "utf-8")
    ref = "/".join(parts)
    try:
        found = find_reference("scoring", ref, folder / "campaign.yaml")
    except (ReferenceRefused, TemplateNotFound):
        return
    assert found.resolve().is_relative_to(folder.resolve()) or found.resolve().is_relative_to(
        Path(__file__).resolve().parent.parent
    )


def deep(levels: int) -> str:
    return "[" * levels + "1" + "]" * levels


class TestDeepNesting:
    """Nesting beyond the limit is refused with a location, for every kind of file."""

    @pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 500, 100_000, (MAX_BYTES - 100) // 2])
    def test_campaign_template(self, tmp_path: Path, levels: int) -> None:
        """A campaign with `description: [[[[…` is refused at its line, no RecursionError."""
        path = tmp_path / "deep.yaml"
        path.write_text(CAMPAIGN + f"description: {deep(levels)}\n", "utf-8")
        with pytest.raises(TemplateError) as info:
            load_template(path)
        ((problem),) = info.value.problems
        assert (problem.file, problem.line) == (str(path), 5)
        assert problem.message == f"nested deeper than {MAX_DEPTH} levels"

    def test_phase_template_used_by_a_campaign(self, tmp_path: Path) -> None:
        """A deep phase template is refused at its own file and line."""
        (tmp_path / "phases").mkdir()
        phase = tmp_path / "phases" / "deep.yaml"
        phase.write_text(f"kind: phase\nid: deep\ntitle: 深\nsteps: {deep(100_000)}\n", "utf-8")
        path = write_campaign(tmp_path, "phases:\n  - use: deep\n    window: 9月\n")
        with pytest.raises(TemplateError) as info:
            load_template(path)
        assert [(p.file, p.line, p.message) for p in info.value.problems] == [
            (str(phase), 4, f"nested deeper than {MAX_DEPTH} levels")
        ]

    @pytest.mark.parametrize("text", [deep(100_000), "- " * 100_000 + "x", "{a: " * 50_000])
    def test_pure_python_parser_too(self, monkeypatch: pytest.MonkeyPatch, text: str) -> None:
        """Without libyaml, the pure-Python parser's events are scanned the same way."""
        import yaml

        import zyw_flow._yaml as reader

        monkeypatch.setattr(reader, "_Loader", yaml.SafeLoader)
        with pytest.raises(TemplateError) as info:
            read_yaml(text)
        assert [(p.line, p.message) for p in info.value.problems] == [
            (1, f"nested deeper than {MAX_DEPTH} levels")
        ]

    def test_block_nesting(self) -> None:
        """Block sequences `- - - …` nested past the limit are refused too."""
        with pytest.raises(TemplateError, match="nested deeper"):
            read_yaml("- " * 100_000 + "x\n")

    def test_scoring_scheme(self, tmp_path: Path) -> None:
        """A deep scheme is refused by load_scheme with its location."""
        path = tmp_path / "deep-scheme.yaml"
        path.write_text(f"kind: scoring\nid: d\ntitle: 深\nindicators: {deep(100_000)}\n")
        with pytest.raises(TemplateError) as info:
            load_scheme(path)
        assert [(p.line, p.message) for p in info.value.problems] == [
            (4, f"nested deeper than {MAX_DEPTH} levels")
        ]

    def test_scenario(self, tmp_path: Path) -> None:
        """A deep scenario is refused as a ScenarioError naming file and line."""
        path = tmp_path / "deep-scenario.yaml"
        path.write_text(f"template: zhiyong-2011\nscript: {deep(100_000)}\n")
        with pytest.raises(ScenarioError) as info:
            load_scenario(path)
        ((problem),) = info.value.problems
        assert problem.startswith(f"{path}:2: ")
        assert problem.endswith(f": nested deeper than {MAX_DEPTH} levels")

    def test_aliases_cannot_nest_past_the_limit(self) -> None:
        """Aliases of shallow collections that nest deep when expanded are refused."""
        text = "a: &a [[[[[[[[[[1]]]]]]]]]]\nb: &b [[[[[[[[[[*a]]]]]]]]]]\n"
        text += "c: &c [[[[[[[[[[*b]]]]]]]]]]\nd: [[[[[[[[[[*c]]]]]]]]]]\n"
        with pytest.raises(TemplateError, match="nested deeper"):
            read_yaml(text)

    def test_huge_integer_is_a_problem_not_a_crash(self) -> None:
        """An integer of 5,000 digits is a located problem, not a raw ValueError."""
        with pytest.raises(TemplateError) as info:
            read_yaml("a: 1\nb: " + "7" * 5000 + "\n")
        assert [(p.line, p.path) for p in info.value.problems] == [(2, "b")]


class TestSizeFirst:
    """The size is checked before reading, and at most limit + 1 bytes are read."""

    def test_oversized_file_refused_with_its_size(self, tmp_path: Path) -> None:
        """A file one byte over the limit is refused from its size."""
        path = tmp_path / "big.yaml"
        path.write_bytes(b"#" * (MAX_BYTES + 1))
        with pytest.raises(TemplateError) as info:
            read_limited(path)
        assert info.value.problems[0].message == (
            f"file is {MAX_BYTES + 1} bytes; the limit is {MAX_BYTES}"
        )

    def test_one_gibibyte_template_refused_from_its_size(self, tmp_path: Path) -> None:
        """The attack: a 1 GiB template (sparse here) is refused without being read."""
        path = tmp_path / "huge.yaml"
        with path.open("wb") as fh:
            fh.truncate(1 << 30)
        with pytest.raises(TemplateError) as info:
            load_template(path)
        assert [(p.file, p.message) for p in info.value.problems] == [
            (str(path), f"file is {1 << 30} bytes; the limit is {MAX_BYTES}")
        ]

    @pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
    def test_endless_input_is_read_only_up_to_the_limit(self) -> None:
        """/dev/zero has no size and no end: reading stops after limit + 1 bytes."""
        with pytest.raises(TemplateError, match=f"more than {MAX_BYTES} bytes"):
            read_limited("/dev/zero")

    def test_limit_is_inclusive(self, tmp_path: Path) -> None:
        """A file of exactly the limit is read whole."""
        path = tmp_path / "exact.yaml"
        path.write_bytes(b"a: 1\n" + b"#" * (MAX_BYTES - 6) + b"\n")
        assert len(read_limited(path)) == MAX_BYTES

    def test_scenario_and_scheme_loaders_check_size_first(self, tmp_path: Path) -> None:
        """Scenario and scheme files over the limit are refused without being parsed."""
        path = tmp_path / "big.yaml"
        path.write_bytes(b"kind: scoring\n" + b"#" * MAX_BYTES)
        with pytest.raises(TemplateError, match="the limit is"):
            load_scheme(path)
        with pytest.raises(ScenarioError, match="the limit is"):
            load_scenario(path)


ONE = load_scheme_text(
    "kind: scoring\nid: one\ntitle: 一\nindicators: [{id: all, title: 全部, weight: 100}]\n"
)


class TestTinyDecimals:
    """Scores, points and scheme numbers have bounded exponent and precision."""

    @pytest.mark.parametrize(
        "value", ["1e-999999", "1e-20000", Decimal("1e-999999"), "1e999999", "0." + "0" * 40 + "1"]
    )
    def test_extreme_exponents_refused(self, value: object) -> None:
        """Numbers whose exact arithmetic would be slow are a ScoringError."""
        with pytest.raises(ScoringError):
            parse_decimal(value, what="score")

    def test_score_unit_refuses_a_tiny_score(self) -> None:
        """score_unit refuses 1e-999999 at once instead of grading for minutes."""
        with pytest.raises(ScoringError, match="finer than 1e-28"):
            score_unit(ONE, "u", [ScoreInput("u", "all", Decimal("1e-999999"))])

    def test_scheme_weight_refused_with_its_location(self) -> None:
        """A scheme number beyond the bounds is a located problem."""
        with pytest.raises(TemplateError) as info:
            load_scheme_text(
                "kind: scoring\nid: t\ntitle: 一\n"
                "indicators: [{id: a, title: A, weight: 1e-999999}]\n"
            )
        assert [(p.line, p.path) for p in info.value.problems] == [(4, "indicators[0].weight")]
        assert "finer than" in info.value.problems[0].message

    @pytest.mark.parametrize("value", [88.5, True, None, [1], "eighty", "nan", "-inf"])
    def test_non_numbers_refused(self, value: object) -> None:
        """Floats, booleans and text that is not a finite number are refused."""
        with pytest.raises(ScoringError):
            parse_decimal(value, what="score")

    @given(
        st.decimals(
            allow_nan=False, allow_infinity=False, places=6, min_value=-(10**9), max_value=10**9
        )
    )
    def test_plausible_numbers_round_trip(self, value: Decimal) -> None:
        """Any plausible score, as a Decimal or as its text, reads back equal."""
        assert parse_decimal(value, what="score") == value
        assert parse_decimal(str(value), what="score") == value

    def test_trailing_zeros_do_not_count(self) -> None:
        """88.5 written with forty zeros is 88.5, not too many digits."""
        assert parse_decimal("88.5" + "0" * 40, what="score") == Decimal("88.5")


@pytest.mark.parametrize("pure", [False, True])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\ufffe"])
def test_a_character_yaml_refuses_is_a_problem_at_its_line(
    char: str, pure: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At its line, with libyaml (which counts bytes) or the pure-Python reader."""
    import yaml

    import zyw_flow._yaml as reader
    from zyw_flow import load_template_text

    if pure:
        monkeypatch.setattr(reader, "_Loader", yaml.SafeLoader)
    text = f"id: x\ntitle: 探针\ndescription: a{char}b\n"
    with pytest.raises(TemplateError) as info:
        load_template_text(text)
    (problem,) = info.value.problems
    assert problem.line == 3 and "a character YAML cannot hold" in problem.message
