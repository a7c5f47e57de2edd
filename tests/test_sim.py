"""zyw_flow.sim: profiles, overrides, unit trees, seeds, sanity, sweeps, outputs, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow._errors import TemplateError
from zyw_flow._yaml import read_yaml_file
from zyw_flow.cli import main
from zyw_flow.sim import (
    ProfileError,
    Simulation,
    SimulationError,
    bundled_profiles,
    ci95,
    compile_arm,
    generate_units,
    load_profile,
    load_profile_text,
    parse_override,
    parse_sweep,
    read_units_csv,
    run_simulation,
)
from zyw_flow.sim._seeds import unit_words
from zyw_flow.template import find_template
from zyw_flow.validation import validate_file

T = "zhiyong-2011"


def metrics(result: object, arm: int = 0) -> dict[str, object]:
    return result.summary["arms"][arm]["metrics"]  # type: ignore[attr-defined,no-any-return]


class TestSeeds:
    """Each unit's draws are exactly its node of the SeedSequence tree."""

    @settings(max_examples=25, deadline=None)
    @given(
        seed=st.integers(0, 2**70),
        rep=st.integers(0, 2**33),
        start=st.integers(0, 10**6),
        n=st.integers(1, 40),
    )
    def test_words_are_seed_sequence_words(self, seed: int, rep: int, start: int, n: int) -> None:
        """unit_words(seed, rep) row i == SeedSequence(seed, spawn_key=(rep, start + i))."""
        words = unit_words(seed, rep, 3, n, start)
        for i in range(3):
            ss = np.random.SeedSequence(seed, spawn_key=(rep, start + i))
            assert (words[i] == ss.generate_state(n)).all()


class TestProfiles:
    """Bundled profiles load; bad ones are refused with every problem located."""

    def test_bundled(self) -> None:
        """punctual, absent and the seed-004 ones are bundled and valid."""
        names = set(bundled_profiles())
        assert {
            "punctual",
            "absent",
            "seed004",
            "district-organs",
            "townships",
            "villages",
        } <= names
        for path in bundled_profiles().values():
            assert validate_file(path).ok, path

    def test_seed004_shares_are_the_survey(self) -> None:
        """The calibrated shares are the Fuling survey's (seed 004 L22)."""
        survey = {
            "district-organs": [28, 40, 27, 5],
            "townships": [22, 37, 34, 7],
            "villages": [18, 37, 37, 8],
        }
        for pid, shares in survey.items():
            classes = load_profile(pid).classes("default")
            assert [round(c.share) for c in classes] == shares
            assert [c.title for c in classes] == ["好", "较好", "一般", "差"]
        grouped = load_profile("seed004")
        assert [c.share for c in grouped.classes("county")] == [22, 37, 34, 7]
        assert [c.share for c in grouped.classes("section")] == [18, 37, 37, 8]
        assert [c.share for c in grouped.classes("city")] == [28, 40, 27, 5]

    def test_every_problem_located(self, tmp_path: Path) -> None:
        """Schema and meaning problems come together, each as file:line: path: message."""
        f = tmp_path / "bad.yaml"
        f.write_text(
            "kind: profile\nid: bad\ntitle: 坏\nclasses:\n"
            "  - id: a\n    share: 0\n    submit: {days: [3, -1], never: 1.5}\n"
            "    escalaton: {reminder: 2}\n"
            "  - id: a\n    share: 1\n",
            encoding="utf-8",
        )
        with pytest.raises(ProfileError) as info:
            load_profile(f)
        lines = [str(p) for p in info.value.problems]
        assert f"{f}:6: classes[0].share: a share must be positive, not 0" in lines
        assert any(x.startswith(f"{f}:7: classes[0].submit.days: range [3, -1]") for x in lines)
        assert any(x.startswith(f"{f}:7: classes[0].submit.never: a chance") for x in lines)
        assert any(
            "classes[0].escalaton: unknown field" in x and "'escalation'" in x for x in lines
        )
        assert any(x.startswith(f"{f}:9: classes[1].id: duplicate class id 'a'") for x in lines)
        report = validate_file(f)  # zyw-flow validate says the same
        assert report.kind == "profile" and not report.ok
        assert sorted(str(p) for p in report.errors) == sorted(lines)

    def test_yaml_error_located(self) -> None:
        """A syntax error is a located ProfileError too."""
        with pytest.raises(ProfileError) as info:
            load_profile_text("kind: profile\nid: x\ntitle: [\n", file="p.yaml")
        assert info.value.problems[0].file == "p.yaml"

    def test_unknown_level_refused_at_its_line(self) -> None:
        """A level the template does not have is refused before anything runs."""
        p = load_profile_text(
            "kind: profile\nid: x\ntitle: x\nclasses:\n  - id: a\n    share: 1\n"
            "    escalation: {orange_card: 0.5}\n",
            file="p.yaml",
        )
        with pytest.raises(ProfileError, match=r"p.yaml:7: classes\[0\]\.escalation\.orange_card"):
            run_simulation(Simulation(T, units=3, profile=p))

    def test_unknown_profile(self) -> None:
        """No such profile: the bundled ones are named."""
        with pytest.raises(ProfileError, match="punctual"):
            load_profile("nonesuch")


class TestOverrides:
    """--set paths name template fields as the template writes them."""

    def test_escalation_threshold(self) -> None:
        """A bare number keeps the template's unit; `levels[i]` reads as `[i]`."""
        for text in ("escalation[2].after=6", "escalation.levels[2].after=6"):
            sim = Simulation(T, units=2, profile="punctual", overrides=[text])
            level = compile_arm(sim, 0).escalation[2]
            assert (level.id, level.amount, level.unit) == ("red_card", 6, "working_days")

    def test_adds_a_key(self) -> None:
        """findings.rectification_days, unset in the template, can be set."""
        sim = Simulation(
            T, units=2, profile="punctual", overrides=["findings.rectification_days=5"]
        )
        assert compile_arm(sim, 0).resolved.template.findings.rectification_days == 5

    def test_unknown_path(self) -> None:
        """A path the template does not have names what is there."""
        sim = Simulation(T, units=2, profile="punctual", overrides=["escalaton[2].after=3"])
        with pytest.raises(SimulationError, match="no field 'escalaton' at the top"):
            compile_arm(sim, 0)
        sim = Simulation(T, units=2, profile="punctual", overrides=["escalation[7].after=3"])
        with pytest.raises(SimulationError, match=r"escalation has no item \[7\]"):
            compile_arm(sim, 0)

    def test_bad_value_located(self) -> None:
        """A value the template cannot take is reported at its line, naming the override."""
        sim = Simulation(T, units=2, profile="punctual", overrides=["escalation[2].after=2"])
        with pytest.raises(TemplateError) as info:
            run_simulation(sim)
        (problem,) = info.value.problems
        doc = read_yaml_file(find_template(T).path)
        assert problem.path == "escalation[2].after"
        assert problem.line == doc.line("escalation[2].after") is not None
        assert "with --set escalation[2].after=2" in problem.message

    def test_parse(self) -> None:
        """path=value and path=v1,v2 forms; malformed ones refused."""
        assert parse_override("a.b[1]=x").path == "a.b[1]"
        assert [o.value for o in parse_sweep("escalation[2].after=4,6")] == [4, 6]
        for bad in ("nothing", "=3", "a..b[=3"):
            with pytest.raises(SimulationError):
                parse_override(bad)


class TestUnits:
    """Generated trees and CSV trees."""

    @pytest.mark.parametrize("n", [1, 2, 5, 101])
    def test_generated_shape(self, n: int) -> None:
        """One city, about √n counties under it, sections under the counties."""
        tree = generate_units(n)
        assert len(tree) == n and tree.parents[0] is None and tree.groups[0] == "city"
        index = {u: i for i, u in enumerate(tree.ids)}
        for i, parent in enumerate(tree.parents[1:], start=1):
            assert parent is not None and index[parent] < i
            expected = "city" if tree.groups[i] == "county" else "county"
            assert tree.groups[index[parent]] == expected

    def test_csv(self, tmp_path: Path) -> None:
        """id,name,parent[,kind,group]; errors carry the line."""
        f = tmp_path / "u.csv"
        f.write_text("id,name,parent,group\nhq,总局,,county\nb1,一分局,hq,\n", encoding="utf-8")
        tree = read_units_csv(f)
        assert tree.ids == ("hq", "b1") and tree.groups == ("county", "default")
        f.write_text("id,name,parent\nb1,一分局,hq\n", encoding="utf-8")
        with pytest.raises(SimulationError, match=r"u.csv:2: .*'hq'"):
            read_units_csv(f)


class TestSanity:
    """The bundled extremes give the figures they promise."""

    def test_punctual(self) -> None:
        """Everyone on time: on-time rate 1, nothing overdue, no escalation."""
        m = metrics(run_simulation(Simulation(T, units=30, profile="punctual", runs=2)))
        assert m["on_time_rate"]["mean"] == 1.0
        assert m["overdue_steps"]["mean"] == 0.0
        assert all(v["mean"] == 0.0 for v in m["escalations"].values())

    @pytest.mark.parametrize(
        ("template", "params"),
        [("daqing-zuofeng-2011", {}), ("health-zhiyong", {"year": 2015}),
         ("tianshui-xiaoneng-2012", {}), ("zaoyang-nengli", {"year": 2015})],
    )  # fmt: skip
    def test_every_bundled_template(self, template: str, params: dict[str, int]) -> None:
        """Each bundled campaign runs with nothing refused; punctual units are on time."""
        result = run_simulation(Simulation(template, units=8, profile="punctual", params=params))
        assert result.results[0].metrics["refused"] == 0
        assert metrics(result)["on_time_rate"]["mean"] == 1.0

    def test_owed_steps_from_the_engine(self) -> None:
        """What a unit owes is what the engine says: the 省局 report is owed by the city
        bureau (the root) alone, and only the city hands it in; nothing is refused."""
        result = run_simulation(Simulation(T, units=12, profile="punctual", runs=1))
        rep = result.results[0]
        assert rep.metrics["refused"] == 0
        steps, handed = rep.units["steps"], rep.units["handed_in"]
        assert steps[0] == steps[1] + 1 and len(set(steps[1:])) == 1
        member = [d for d in compile_arm(result.simulation, 0).steps if "member" in d.submit]
        assert handed[0] == len(member) and set(handed[1:]) == {len(member) - 1}

    def test_absent(self) -> None:
        """Nobody submits: every dated owed step reaches every level of the ladder."""
        result = run_simulation(Simulation(T, units=30, profile="absent", runs=1))
        m = metrics(result)
        owed = m["owed_steps"]["mean"]
        assert owed > 0 and m["on_time_rate"]["mean"] == 0.0
        assert m["overdue_steps"]["mean"] == owed
        assert [v["mean"] for v in m["escalations"].values()] == [owed] * 3
        units = result.results[0].units
        assert set(units["max_escalation"]) == {3}

    def test_evaluation_grades_every_unit(self) -> None:
        """With scores, every unit gets a band; 诫勉 units get their admonition talk."""
        m = metrics(run_simulation(Simulation(T, units=12, profile="seed004", seed=3)))
        assert sum(v["mean"] for v in m["grades"].values()) == 12
        assert m["sanctions"]["admonition_talk"]["mean"] == m["grades"]["admonish"]["mean"]


class TestDeterminism:
    """The same seed gives the same summary; another seed another."""

    def test_same_and_different_seed(self) -> None:
        """Run twice: equal to the last bit; a different seed differs."""
        sim = Simulation(T, units=25, profile="seed004", seed=11, runs=2, evaluate=False)
        a = run_simulation(sim).summary
        b = run_simulation(sim).summary
        assert json.dumps(a) == json.dumps(b)
        c = run_simulation(
            Simulation(T, units=25, profile="seed004", seed=12, runs=2, evaluate=False)
        ).summary
        assert c["arms"][0]["metrics"] != a["arms"][0]["metrics"]


class TestSweep:
    """Arms that differ in one threshold differ only where they should (common numbers)."""

    def test_red_card_threshold(self) -> None:
        """A red card after 4 working days instead of 6: more red cards in every
        replication, and with common random numbers the other levels do not move at all."""
        sim = Simulation(T, units=40, profile="seed004", seed=5, runs=3, evaluate=False,
                         sweep=[["escalation[2].after=4", "escalation[2].after=6"]])  # fmt: skip
        result = run_simulation(sim)
        early, late = result.arm_results(0), result.arm_results(1)
        for a, b in zip(early, late, strict=True):
            assert a.metrics["escalations"]["red_card"] > b.metrics["escalations"]["red_card"]
            for level in ("reminder", "yellow_card"):
                assert a.metrics["escalations"][level] == b.metrics["escalations"][level]
        row = next(r for r in result.summary["comparison"] if r["metric"] == "escalations.red_card")
        diff = row["difference"][1]  # arm 2 − arm 1, paired by replication
        assert diff["mean"] < 0

        def width(c: dict[str, object]) -> float:
            lo, hi = c["ci95"]  # type: ignore[misc]
            return float(hi) - float(lo)

        assert all(width(diff) < width(arm) for arm in row["arms"])  # CRN: pairs share noise
        assert [arm["overrides"] for arm in result.summary["arms"]] == [
            {"escalation[2].after": 4}, {"escalation[2].after": 6}]  # fmt: skip


class TestStatistics:
    """Means and intervals."""

    @given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=30))
    def test_interval_holds_the_mean(self, values: list[float]) -> None:
        """lo ≤ mean ≤ hi; constant values give a point."""
        c = ci95(values)
        assert c["ci95"][0] <= c["mean"] + 1e-6 and c["mean"] - 1e-6 <= c["ci95"][1]
        assert ci95([values[0]] * 3)["ci95"] == [values[0], values[0]]


class TestOutputs:
    """summary.json, the Parquet tables, report.html and --resume."""

    def test_files_and_resume(self, tmp_path: Path) -> None:
        """Every file is written; resume runs only what is missing, with the same result;
        resuming another simulation is refused."""
        sim = Simulation(T, units=15, profile="seed004", seed=2, runs=3, evaluate=False)
        first = run_simulation(sim, tmp_path)
        summary = (tmp_path / "summary.json").read_text("utf-8")
        assert json.loads(summary) == json.loads(json.dumps(first.summary))
        units = pq.read_table(tmp_path / "units.parquet")
        assert units.num_rows == 3 * 15 and {"arm", "replication", "unit", "on_time"} <= set(
            units.column_names)  # fmt: skip
        daily = pq.read_table(tmp_path / "daily.parquet")
        assert {"day", "phase", "step", "overdue", "on_time_so_far"} <= set(daily.column_names)
        page = (tmp_path / "report.html").read_text("utf-8")
        assert "echarts" in page and "红牌" in page and "@font-face" in page
        assert "Content-Security-Policy" in page
        part = tmp_path / "parts" / "a000-r00001.json"
        part.unlink()  # as if interrupted before replication 2 finished
        seen: list[tuple[int, int]] = []
        again = run_simulation(
            sim, tmp_path, resume=True, report=False, progress=lambda d, t: seen.append((d, t))
        )
        assert seen[0] == (2, 3) and seen[-1] == (3, 3)
        assert json.dumps(again.summary) == json.dumps(first.summary)
        other = Simulation(T, units=15, profile="seed004", seed=3, runs=3, evaluate=False)
        with pytest.raises(SimulationError, match="another simulation"):
            run_simulation(other, tmp_path, resume=True)


class TestCli:
    """zyw-flow simulate: the contract."""

    def test_json_contract(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Exit 0; summary.json and stdout carry the contract's fields."""
        out = tmp_path / "o"
        code = main(["simulate", T, "--units", "20", "--runs", "2", "--seed", "7", "--profile",
                     "absent", "--out", str(out), "--json", "--no-report"])  # fmt: skip
        assert code == 0
        printed = json.loads(capsys.readouterr().out)
        written = json.loads((out / "summary.json").read_text("utf-8"))
        assert printed == written
        assert (written["template"], written["units"], written["runs"], written["seed"]) == (
            T, 20, 2, 7)  # fmt: skip
        (arm,) = written["arms"]
        assert arm["overrides"] == {}
        m = arm["metrics"]
        for key in ("on_time_rate", "overdue_steps"):
            assert set(m[key]) == {"mean", "ci95"}
        assert list(m["escalations"]) == ["reminder", "yellow_card", "red_card"]
        assert "admonition_talk" in m["sanctions"]
        assert list(m["grades"]) == ["excellent", "good", "pass", "admonish"]

    def test_bad_override_exit_2(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """A path the template lacks: one line on stderr, exit 2, nothing written."""
        code = main(["simulate", T, "--units", "5", "--set", "findings.nope.x=1",
                     "--out", str(tmp_path / "o")])  # fmt: skip
        assert code == 2
        assert "no field 'nope'" in capsys.readouterr().err
        assert not (tmp_path / "o").exists()

    def test_sweep_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """Without --json: a side-by-side table of the arms."""
        code = main(["simulate", T, "--units", "10", "--profile", "punctual", "--out",
                     str(tmp_path / "o"), "--sweep", "findings.rectification_days=5,10",
                     "--no-report"])  # fmt: skip
        assert code == 0
        text = capsys.readouterr().out
        assert "findings.rectification_days=5" in text and "on_time_rate" in text
        assert not (tmp_path / "o" / "report.html").exists()


# -- the chunked plan plans what the one-unit rules plan ---------------------------------------
@pytest.mark.parametrize(
    ("template", "profile", "units", "params"),
    [
        ("zhiyong-2011", "seed004", 400, {}),
        ("zhiyong-2011", "absent", 60, {}),
        ("zhiyong-2011", "punctual", 60, {}),
        ("daqing-zuofeng-2011", "seed004", 150, {}),
        ("tianshui-xiaoneng-2012", "seed004", 150, {}),
        ("health-zhiyong", "seed004", 120, {}),
    ],
)
def test_the_chunked_plan_equals_the_one_unit_rules(
    template: str, profile: str, units: int, params: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Every replication's figures, per-unit table and per-day table are the same whether
    the units' own steps are planned a chunk of units at a time or unit by unit."""
    from zyw_flow.sim import _runner
    from zyw_flow.sim._execute import run_task

    sim = Simulation(template, units=units, profile=profile, seed=11, runs=1, params=params)
    monkeypatch.setattr(_runner, "_CHUNKED", True)
    monkeypatch.setattr(_runner, "_CHUNK", 64)  # several chunks, a short last one
    chunked = run_task(sim, 0, 0)
    monkeypatch.setattr(_runner, "_CHUNKED", False)
    one_by_one = run_task(sim, 0, 0)
    assert chunked.metrics == one_by_one.metrics
    assert chunked.units == one_by_one.units
    assert chunked.daily == one_by_one.daily
    assert chunked.events == one_by_one.events


def test_the_summary_table_leaves_grades_out_without_the_evaluation() -> None:
    """`simulate --no-evaluation` prints no grade rows (they would read 0, which looks like
    a result) and says why; with the evaluation the template's bands are all there."""
    from rich.console import Console

    from zyw_flow.cli._simulate import summary_table

    res = run_simulation(Simulation("zhiyong-2011", units=20, profile="seed004", runs=2, seed=3))
    bands = set(res.summary["arms"][0]["metrics"]["grades"])
    assert bands  # zhiyong-2011 scores its units

    def text(evaluated: bool) -> str:
        console = Console(record=True, width=200)
        console.print(summary_table(res.summary, evaluated=evaluated))
        return console.export_text()

    shown, hidden = text(True), text(False)
    assert all(f"grades.{b}" in shown for b in bands) and "not evaluated" not in shown
    assert "grades." not in hidden and "not evaluated (--no-evaluation)" in hidden
    assert "escalations." in hidden and "on_time_rate" in hidden
