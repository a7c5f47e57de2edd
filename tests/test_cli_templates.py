"""Tests of the template commands of the ``zyw-flow`` CLI, run in-process."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from zyw_flow._errors import TemplateError
from zyw_flow.cli import main
from zyw_flow.resolve import resolve
from zyw_flow.template import bundled_dir, load_template

SEEDS = {
    "zhiyong-2011",
    "tianshui-xiaoneng-2012",
    "health-zhiyong",
    "zaoyang-nengli",
    "daqing-zuofeng-2011",
    "xingzheng-wenze",
    "fuling-changxiao",
    "beijing-sanxiao-2011",
    "zhifa-zerenzhi",
}
INVALID = Path(__file__).parent / "templates" / "invalid"
END = "T23:59:59.999999+08:00"
START = "T00:00:00+08:00"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run the CLI; its exit code, stdout and stderr."""
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def row(out: str, step_id: str) -> str:
    """The table line of a step."""
    lines = [ln for ln in out.splitlines() if f" {step_id} " in ln]
    assert len(lines) == 1, (step_id, lines)
    return lines[0]


class TestTemplatesCommand:
    """`zyw-flow templates` lists what the registry knows."""

    def test_table_lists_bundled_ids(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Each bundled id appears with its title, none marked invalid."""
        code, out, _ = run(capsys, "templates")
        assert code == 0
        for seed in SEEDS:
            assert seed in out
        assert "市局治庸问责工作实施方案" in out
        assert "invalid" not in out

    def test_json(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints one row per template with its phase count."""
        code, out, _ = run(capsys, "templates", "--json")
        assert code == 0
        rows = {r["id"]: r for r in json.loads(out)}
        assert set(rows) >= SEEDS
        assert rows["zhiyong-2011"]["phases"] == 4
        assert rows["daqing-zuofeng-2011"]["phases"] == 1
        assert rows["zhiyong-2011"]["origin"] == "bundled"


class TestValidateCommand:
    """`zyw-flow validate FILE...` checks files and prints every problem."""

    def test_bundled_files_ok(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Every bundled campaign file validates; exit 0 and one `ok` line each."""
        files = sorted(str(p) for p in bundled_dir().glob("*.yaml"))
        assert len(files) == len(SEEDS)
        code, out, _ = run(capsys, "validate", *files)
        assert code == 0
        assert out.splitlines() == [f"{f}: ok (campaign)" for f in files]

    @pytest.mark.parametrize(
        "name", ["unknown_role", "several_problems", "window_end_before_start"]
    )
    def test_invalid_fixture(self, capsys: pytest.CaptureFixture[str], name: str) -> None:
        """An invalid file exits 1 and prints one `file:line: path: message` per problem."""
        path = INVALID / f"{name}.yaml"
        with pytest.raises(TemplateError) as info:
            resolve(load_template(path))
        code, out, _ = run(capsys, "validate", str(path))
        assert code == 1
        lines = out.splitlines()
        assert lines == [str(p) for p in info.value.problems]
        for line in lines:
            assert re.fullmatch(re.escape(str(path)) + r":\d+: \S+: .+", line), line

    def test_unknown_role_line(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The printed line carries the file, line, path and message."""
        path = INVALID / "unknown_role.yaml"
        _, out, _ = run(capsys, "validate", str(path))
        assert out.startswith(f"{path}:13: phases[0].steps.report.submit[1]: unknown role 'clerk'")

    def test_mixed_files(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Good files still print `ok` when another file fails; the exit code is 1."""
        good = str(bundled_dir() / "zhiyong-2011.yaml")
        code, out, _ = run(capsys, "validate", good, str(INVALID / "unknown_calendar.yaml"))
        assert code == 1
        assert f"{good}: ok (campaign)" in out.splitlines()
        assert "unknown calendar 'hk'" in out

    def test_missing_file(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """A file that does not exist is unusable input (exit 2), named on stderr."""
        missing = tmp_path / "absent.yaml"
        code, _, err = run(capsys, "validate", str(missing))
        assert code == 2
        assert str(missing) in err and "does not exist" in err

    def test_param(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--param is applied to each file; an unknown one fails validation."""
        path = str(bundled_dir() / "health-zhiyong.yaml")
        assert run(capsys, "validate", path, "--param", "year=2015")[0] == 0
        code, out, _ = run(capsys, "validate", path, "--param", "yaer=2015")
        assert code == 1
        assert "unknown parameter 'yaer'" in out


class TestShowCommand:
    """`zyw-flow show TEMPLATE` prints the resolved calendar."""

    def test_json_tianshui(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--json prints the four Tianshui windows, the last crossing into 2013."""
        code, out, _ = run(capsys, "show", "tianshui-xiaoneng-2012", "--json")
        assert code == 0
        doc = json.loads(out)
        assert doc["id"] == "tianshui-xiaoneng-2012"
        assert [(p["start"], p["end"]) for p in doc["phases"]] == [
            ("2012-06-19" + START, "2012-06-25" + END),
            ("2012-06-26" + START, "2012-07-20" + END),
            ("2012-07-21" + START, "2012-12-09" + END),
            ("2012-12-10" + START, "2013-01-10" + END),
        ]
        summary = doc["phases"][3]["steps"]
        assert {
            "id": "self_evaluation",
            "title": "自我評價書面材料",
            "due": "2013-01-15" + END,
        } in summary

    def test_table_zhiyong(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The table shows titles, deadlines and weekday marks."""
        code, out, _ = run(capsys, "show", "zhiyong-2011")
        assert code == 0
        assert "市局治庸问责工作实施方案 (zhiyong-2011)" in out
        for title in ("宣传发动阶段", "制定工作方案", "正反典型材料", "形成整改报告", "上报总结"):
            assert title in out
        assert "due (2011)" in out  # one year: the year in the header, dates compact
        work_plan = row(out, "work_plan")
        assert "09-10 23:59 周六" in work_plan
        report = row(out, "rectification_report")
        assert "10-05 23:59 周三" in report
        assert "周六" in row(out, "summary_report")
        assert "—" in row(out, "covert_visits")

    def test_table_marks_moved_deadline(
        self, capsys: pytest.CaptureFixture[str], tmp_path: Path
    ) -> None:
        """A deadline moved off a day off shows its nominal day."""
        path = tmp_path / "moved.yaml"
        path.write_text(
            "id: moved\ntitle: 顺延\nparams:\n  year: {type: int, default: 2011}\n"
            "calendar: {on_non_workday: next_workday}\n"
            "phases:\n  - id: work\n    title: 工作\n    window: 9月—10月\n"
            "    steps:\n      report: {title: 报告, due: 10月5日}\n",
            "utf-8",
        )
        code, out, _ = run(capsys, "show", str(path))
        assert code == 0
        line = row(out, "report")
        assert "10-08 23:59 周六" in line and "← 10-05" in line

    def test_gantt_png(self, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
        """--gantt writes a PNG file and says so on stderr, as --ics does."""
        target = tmp_path / "tmp.png"
        code, out, err = run(capsys, "show", "zhiyong-2011", "--gantt", str(target))
        assert code == 0
        assert target.read_bytes().startswith(PNG_SIGNATURE)
        assert f"Gantt chart written to {target}" in err and str(target) not in out

    def test_param_moves_dates(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--param year=2015 moves health-zhiyong into 2015."""
        code, out, _ = run(capsys, "show", "health-zhiyong", "--param", "year=2015", "--json")
        assert code == 0
        doc = json.loads(out)
        assert doc["phases"][0]["start"] == "2015-03-01" + START
        steps = {s["id"]: s["due"] for p in doc["phases"] for s in p["steps"]}
        assert steps["work_plan"] == "2015-03-15" + END
        assert steps["analysis_report"] == "2015-05-20" + END

    def test_unknown_template(self, capsys: pytest.CaptureFixture[str]) -> None:
        """An unknown id exits 2 and lists the known ids."""
        code, out, err = run(capsys, "show", "zhiyong-2099")
        assert code == 2
        assert out == ""
        assert "zhiyong-2099" in err and "zhiyong-2011" in err

    def test_invalid_param_exits_1(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A template problem (unknown parameter) exits 1 with the problem on stderr."""
        code, _, err = run(capsys, "show", "zhiyong-2011", "--param", "yaer=2012")
        assert code == 1
        assert "params: unknown parameter 'yaer'" in err

    def test_param_without_value(self, capsys: pytest.CaptureFixture[str]) -> None:
        """--param without NAME=VALUE is refused with exit 2 and says what it expects."""
        assert main(["show", "zhiyong-2011", "--param", "year"]) == 2
        assert "NAME=VALUE" in capsys.readouterr().err


class TestDiagramCommand:
    """`zyw-flow diagram TEMPLATE` prints Mermaid."""

    def test_mermaid(self, capsys: pytest.CaptureFixture[str]) -> None:
        """The output is a Mermaid state diagram of the phases."""
        code, out, _ = run(capsys, "diagram", "zhiyong-2011")
        assert code == 0
        assert out.startswith("stateDiagram-v2")
        assert "mobilization --> self_check" in out
        assert "supervision --> summary" in out


def test_show_collapses_recurring_instances(capsys: pytest.CaptureFixture[str]) -> None:
    """`show` lists a recurring step once with its count; `--all-instances` lists each."""
    assert main(["show", "daqing-zuofeng-2011"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"weekly_report\s+│ 每周一报 \(46 instances\)\s+│ 02-11\s+│ 02-14—12-26", out)
    assert "weekly_report@2011-03-07" not in out
    assert main(["show", "daqing-zuofeng-2011", "--all-instances"]) == 0
    assert "weekly_report@2011-03-07" in capsys.readouterr().out
