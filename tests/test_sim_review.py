"""zyw_flow.sim: the review's findings (resume fingerprint, aligned daily tables, bundled
profiles on every template, override values, day ranges, CLI numbers, Python-built profiles,
the unit CSV)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from zyw_flow._errors import TemplateError
from zyw_flow.cli import main
from zyw_flow.sim import (
    Behaviour,
    Profile,
    ProfileError,
    Simulation,
    SimulationError,
    bundled_profiles,
    compile_arm,
    load_profile,
    load_profile_text,
    read_units_csv,
    run_simulation,
)
from zyw_flow.sim._profile import MAX_DAYS
from zyw_flow.sim._report import render_report
from zyw_flow.template import find_template, iter_template_sources

T = "zhiyong-2011"
ROOT = Path(__file__).resolve().parent.parent


def _profile(body: str, file: str = "p.yaml") -> Profile:
    return load_profile_text(f"kind: profile\nid: p\ntitle: p\nclasses:\n{body}", file=file)


# -- 1. resume: the fingerprint is the template's content ----------------------------------
@pytest.fixture
def own_template(tmp_path: Path) -> Path:
    """A copy of zhiyong-2011 with the phase templates and scoring schemes it uses."""
    src = find_template(T).path
    folder = tmp_path / "tpl"
    folder.mkdir()
    shutil.copy(src, folder / "mine.yaml")
    for sub in ("phases", "scoring"):
        shutil.copytree(src.parent / sub, folder / sub)
    return folder / "mine.yaml"


class TestFingerprint:
    def test_an_edited_template_is_another_simulation(
        self, own_template: Path, tmp_path: Path
    ) -> None:
        """The same path with other content: resume is refused; the run in this process
        uses the edited file, not a cached compilation of the old one."""
        sim = Simulation(str(own_template), units=8, profile="punctual", runs=2, evaluate=False)
        out = tmp_path / "o"
        run_simulation(sim, out, report=False)
        before = sim.fingerprint()
        assert run_simulation(sim, out, resume=True, report=False)  # unchanged: resumes
        text = own_template.read_text("utf-8")
        assert "after: 5 working days" in text
        own_template.write_text(
            text.replace("after: 5 working days", "after: 6 working days"), "utf-8"
        )
        assert sim.fingerprint() != before
        assert compile_arm(sim, 0).escalation[2].amount == 6
        with pytest.raises(SimulationError, match="another simulation"):
            run_simulation(sim, out, resume=True, report=False)

    def test_an_edited_phase_template_counts(self, own_template: Path) -> None:
        """A phase template the campaign uses (`use: mobilization`) is part of its content."""
        sim = Simulation(str(own_template), units=3, profile="punctual", evaluate=False)
        before = sim.fingerprint()
        phase = own_template.parent / "phases" / "mobilization.yaml"
        phase.write_text(phase.read_text("utf-8") + "\n# edited\n", "utf-8")
        assert sim.fingerprint() != before

    def test_the_profile_content_counts(self) -> None:
        """Two profiles of one id and file name but other content differ."""
        a = Simulation(T, units=3, profile=_profile("  - id: a\n    share: 1\n"))
        b = Simulation(
            T, units=3, profile=_profile("  - id: a\n    share: 1\n    submit: {never: 0.5}\n")
        )
        assert a.fingerprint() != b.fingerprint()
        assert a.fingerprint() == Simulation(T, units=3, profile=a.profile).fingerprint()


# -- 2. every replication's daily table covers the same days -------------------------------
class TestDaily:
    def test_same_days_and_a_rising_cumulative_curve(self, tmp_path: Path) -> None:
        sim = Simulation(T, units=40, runs=4, seed=3, evaluate=False)
        result = run_simulation(sim, tmp_path, report=False)
        spans = {tuple(r.daily["day"]) for r in result.results}
        assert len(spans) == 1  # replications ended on different days before
        table = pq.read_table(tmp_path / "daily.parquet").to_pydict()
        spans_on_disk: dict[tuple[int, str], list[str]] = {}
        for rep, step, day in zip(table["replication"], table["step"], table["day"], strict=True):
            spans_on_disk.setdefault((rep, step), []).append(day)
        assert len({tuple(v) for v in spans_on_disk.values()}) == 1
        # carried forward: a replication's figures at the end are its own final ones
        for r in result.results:
            t = r.daily
            last = {s: i for i, s in enumerate(t["step"])}
            for s, i in last.items():
                first = t["step"].index(s)
                done = t["on_time_so_far"][first : i + 1]
                assert done == sorted(done)  # cumulative: never falls
        page = render_report(sim, result.summary, result.results)
        data = json.loads(re.search(r"const D = (\{.*?\});\n", page).group(1))  # type: ignore[union-attr]
        for series in data["ontime"]:
            values = series["data"]
            assert all(b >= a - 1e-12 for a, b in itertools.pairwise(values))
            assert values[-1] > 0.3  # it fell towards 0 at the end before


# -- 3. every bundled profile runs on every bundled template -------------------------------
_PARAMS = {"health-zhiyong": {"year": 2015}, "zaoyang-nengli": {"year": 2015}}
_TEMPLATES = [s.id for s in iter_template_sources()] + [
    str(ROOT / "tests" / "templates" / "workflow" / "county-supervision.yaml")
]


@pytest.mark.parametrize("template", _TEMPLATES)
def test_every_bundled_profile_on_every_template(template: str) -> None:
    for name in bundled_profiles():
        sim = Simulation(
            template, units=5, profile=name, params=_PARAMS.get(Path(template).stem, {})
        )
        result = run_simulation(sim)
        assert result.results[0].metrics["refused"] == 0, (template, name)


class TestLevels:
    def test_the_rule(self) -> None:
        """A level the template lacks answers the template's level at its place in the
        class's order; a level the template has keeps its chance; others get 0."""
        seed = load_profile("seed004")
        fair = seed.classes("default")[2]
        assert dict(fair.escalation) == {"reminder": 0.4, "yellow_card": 0.6, "red_card": 0.9}
        fitted = seed.for_levels(("reminder", "supervision"), "xingzheng-wenze")
        assert dict(fitted.classes("default")[2].escalation) == {
            "reminder": 0.4,
            "supervision": 0.6,
        }
        # a level the class names in place keeps the place: no second-guessing
        assert dict(
            seed.for_levels(("warning", "reminder"), "t").classes("default")[2].escalation
        ) == {"warning": 0.0, "reminder": 0.4}
        assert seed.for_levels((), "beijing").classes("default")[2].escalation == {}
        assert seed.for_levels(("reminder", "yellow_card", "red_card"), T) is seed

    def test_a_file_of_ones_own_is_strict(self, tmp_path: Path) -> None:
        """A copy of a bundled profile is a user file: a level the template lacks is a
        located error (most likely a typo); the bundled file itself fits its levels."""
        mine = tmp_path / "mine.yaml"
        shutil.copy(bundled_profiles()["villages"], mine)
        sim = Simulation("xingzheng-wenze", units=4, profile=str(mine))
        said = rf"{re.escape(str(mine))}:\d+: classes\[0\]\.escalation\.yellow_card: escalation"
        with pytest.raises(ProfileError, match=said + " level 'yellow_card' is not in template"):
            run_simulation(sim)
        assert load_profile(bundled_profiles()["villages"]).fit_levels

    def test_cli_default_profile_on_a_template_without_levels(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code = main(["simulate", "beijing-sanxiao-2011", "--units", "8", "--out",
                     str(tmp_path / "o"), "--no-report", "--json"])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        assert json.loads(capsys.readouterr().out)["profile"] == "seed004"


# -- 4. override values as the template loader reads them ----------------------------------
class TestOverrideValues:
    def test_an_iso_date(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """--set …due=2011-09-08 is taken as the template file would take it."""
        path = "phases[0].steps.work_plan.due"
        sim = Simulation(T, units=3, profile="punctual", overrides=[f"{path}=2011-09-08"])
        compiled = compile_arm(sim, 0)
        due = compiled.due_us[compiled.step_index["work_plan"]]
        assert due is not None
        at = dt.datetime.fromtimestamp(due / 1_000_000, tz=compiled.zone)
        assert at.date() <= dt.date(2011, 9, 8) < (at + dt.timedelta(seconds=1)).date()

    def test_an_iso_date_on_the_command_line(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code = main(["simulate", T, "--units", "4", "--profile", "punctual", "--no-report",
                     "--no-evaluation", "--json", "--out", str(tmp_path / "o"), "--sweep",
                     "phases[0].steps.work_plan.due=2011-09-08,2011-09-07"])  # fmt: skip
        assert code == 0, capsys.readouterr().err
        arms = json.loads(capsys.readouterr().out)["arms"]
        assert [a["overrides"] for a in arms] == [
            {"phases[0].steps.work_plan.due": "2011-09-08"},
            {"phases[0].steps.work_plan.due": "2011-09-07"},
        ]

    def test_a_sweep_is_named_as_a_sweep(self) -> None:
        sim = Simulation(T, units=3, sweep=[["escalation[2].after=1", "escalation[2].after=6"]])
        with pytest.raises(TemplateError) as info:
            run_simulation(sim)
        message = info.value.problems[0].message
        assert "(with --sweep escalation[2].after=1)" in message and "--set" not in message
        with pytest.raises(SimulationError, match=r"^--sweep escalation\[9\]\.after=1: "):
            run_simulation(Simulation(T, units=3, sweep=[["escalation[9].after=1"]]))
        both = Simulation(T, units=3, overrides=["findings.rectification_days=5"],
                          sweep=[["escalation[2].after=1"]])  # fmt: skip
        with pytest.raises(TemplateError, match=r"with --set findings\.rectification_days=5; "
                           r"--sweep escalation\[2\]\.after=1"):  # fmt: skip
            run_simulation(both)


# -- 5. day ranges -----------------------------------------------------------------------------
class TestDayRanges:
    @pytest.mark.parametrize(
        ("field", "message"),
        [
            ("findings: {rectify_days: [-5, -3]}", "findings.rectify_days: a finding cannot be "
             "rectified before it is recorded (rectify_days ≥ 0), not -5"),
            ("findings: {rectify_days: -1}", "findings.rectify_days: a finding cannot be"),
            ("findings: {rectify_days: [6, 2]}", "findings.rectify_days: range [6, 2] runs "
             "backwards; write [2, 6]"),
            ("returned: {rework_days: 0}", "returned.rework_days: a returned submission comes "
             "back a working day after the return at the earliest"),
            ("returned: {rework_days: [3, 1]}", "returned.rework_days: range [3, 1] runs"),
            (f"submit: {{days: [0, {MAX_DAYS + 1}]}}", f"submit.days: at most {MAX_DAYS} "
             "working days either way"),
            ("submit: {days: -3000}", "submit.days: at most"),
        ],
    )  # fmt: skip
    def test_refused_at_its_line(self, field: str, message: str) -> None:
        with pytest.raises(ProfileError) as info:
            _profile(f"  - id: a\n    share: 1\n    {field}\n")
        assert any(str(p).startswith(f"p.yaml:7: classes[0].{message}")
                   for p in info.value.problems), info.value  # fmt: skip

    def test_negative_submit_days_are_early(self) -> None:
        assert _profile("  - id: a\n    share: 1\n    submit: {days: [-4, -1]}\n")


# -- 6. whole numbers on the command line ------------------------------------------------------
class TestCliNumbers:
    @pytest.mark.parametrize(
        ("option", "value", "said"),
        [
            ("--units", "1e400", "expected a whole number from 1 to"),
            ("--runs", "1e400", "expected a whole number from 1 to"),
            ("--units", "1.99e1", "expected a whole number, not '1.99e1'"),
            ("--units", "1.5", "expected a whole number, not '1.5'"),
            ("--units", "nan", "expected a whole number, not 'nan'"),
            ("--units", "0", "expected a whole number from 1 to"),
            ("--seed", "-1", "expected a whole number from 0 to 2**128 - 1"),
            ("--units", "1e999999999", "expected a whole number from 1 to"),
            ("--workers", "1e6", "expected a whole number from 1 to 1024"),
        ],
    )
    def test_refused(
        self, option: str, value: str, said: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str],
    ) -> None:  # fmt: skip
        args = ["simulate", T, "--profile", "punctual", "--out", str(tmp_path / "o")]
        if option != "--units":
            args += ["--units", "3"]
        code = main([*args, option, value])
        err = capsys.readouterr().err
        assert code == 2
        assert f"argument {option}: {said}" in err and "Traceback" not in err
        assert not (tmp_path / "o").exists()

    def test_exactly_whole_exponent(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code = main(["simulate", T, "--units", "1.2e1", "--profile", "punctual", "--no-report",
                     "--json", "--out", str(tmp_path / "o")])  # fmt: skip
        assert code == 0
        assert json.loads(capsys.readouterr().out)["units"] == 12


# -- 7. a Python-built profile follows the file's rules ----------------------------------------
class TestPythonProfiles:
    @pytest.mark.parametrize(
        ("kwargs", "yaml", "path"),
        [
            ({"share": 0.0}, "share: 0", "share"),
            ({"share": -1.0}, "share: -1", "share"),
            ({"submit_days": (5, -5)}, "submit: {days: [5, -5]}", "submit_days"),
            ({"never": 2.0}, "submit: {never: 2}", "never"),
            ({"rectify_days": (-5, -3)}, "findings: {rectify_days: [-5, -3]}", "rectify_days"),
            ({"rework_days": (0, 1)}, "returned: {rework_days: [0, 1]}", "rework_days"),
            ({"findings_mean": 4.0}, "findings: {per_inspection: 4}", "findings_mean"),
            ({"escalation": {"reminder": 1.5}}, "escalation: {reminder: 1.5}",
             "escalation.reminder"),
            ({"score_mean": 120.0}, "scores: {mean: 120}", "score_mean"),
        ],
    )  # fmt: skip
    def test_same_rules_as_the_file(self, kwargs: dict[str, object], yaml: str, path: str) -> None:
        share = kwargs.pop("share", 1.0)
        with pytest.raises(ProfileError) as py:
            Behaviour("a", share, **kwargs)  # type: ignore[arg-type]
        with pytest.raises(ProfileError) as fy:
            body = f"  - id: a\n    share: 1\n    {yaml}\n"
            if yaml.startswith("share"):
                body = f"  - id: a\n    {yaml}\n"
            _profile(body)
        (p,) = py.value.problems
        (f,) = fy.value.problems
        assert p.path == path and p.file == "<python>"
        assert p.message == f"class 'a': {f.message}"

    def test_no_zero_division(self) -> None:
        with pytest.raises(ProfileError, match="a share must be positive, not 0"):
            Profile("p", "p", {"default": (Behaviour("a", 0.0),)})

    @pytest.mark.parametrize(
        ("groups", "said"),
        [
            ({}, "at least one group"),
            ({"default": ()}, "needs a tuple of one or more Behaviour"),
            ({"default": (Behaviour("a", 1.0), Behaviour("a", 2.0))}, "duplicate class id 'a'"),
            ({"default": ("a",)}, "not a Behaviour"),
        ],
    )
    def test_structure(self, groups: dict[str, object], said: str) -> None:
        with pytest.raises(ProfileError, match=said):
            Profile("p", "p", groups)  # type: ignore[arg-type]

    def test_evolve_is_checked(self) -> None:
        import attrs

        with pytest.raises(ProfileError, match="runs backwards"):
            attrs.evolve(Behaviour("a", 1.0), submit_days=(3, 1))


# -- 8. the unit CSV: GBK and blank rows -------------------------------------------------------
class TestUnitCsv:
    def test_gbk_and_blank_rows(self, tmp_path: Path) -> None:
        """一分局 in GBK is also valid UTF-8 (Cyrillic һ …): read as the exchange reads it;
        the blank rows Excel writes are skipped."""
        f = tmp_path / "u.csv"
        text = "id,name,parent,group\r\ncity,市局,,city\r\n,,,\r\nc1,一分局,city,county\r\n,,,\r\n"
        f.write_bytes(text.encode("gbk"))
        tree = read_units_csv(f)
        assert tree.ids == ("city", "c1")
        assert tree.names == ("市局", "一分局")
        assert tree.groups == ("city", "county")

    def test_lines_count_blank_rows(self, tmp_path: Path) -> None:
        f = tmp_path / "u.csv"
        f.write_text("id,name,parent\ncity,市局,\n,,\nc1,x,nowhere\n", "utf-8-sig")
        with pytest.raises(SimulationError, match=r"u\.csv:4: unit 'c1' names parent 'nowhere'"):
            read_units_csv(f)

    def test_undecodable(self, tmp_path: Path) -> None:
        f = tmp_path / "u.csv"
        f.write_bytes(b"id,name\n\xff\xfe\xfa,\x81\n")
        with pytest.raises(SimulationError, match=r"u\.csv"):
            read_units_csv(f)
