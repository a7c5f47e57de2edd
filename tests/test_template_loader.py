"""Tests of zyw_flow.template: safe YAML, parameters, phase merging, registry, schema."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pendulum
import pytest

from zyw_flow._errors import TemplateError, TemplateNotFound
from zyw_flow.resolve import resolve
from zyw_flow.template import (
    CampaignTemplate,
    bundled_dir,
    find_template,
    iter_template_sources,
    load_template,
    load_template_text,
    read_yaml,
    schema,
)
from zyw_flow.template._yaml import MAX_ALIASES, MAX_BYTES, MAX_DEPTH

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

HEAD = textwrap.dedent(
    """\
    id: probe
    title: 探针
    params:
      year: {type: int, default: 2011}
    """
)
ONE_PHASE = "phases:\n  - {id: work, title: 工作, window: 9月}\n"


def problems_of(
    text: str, params: dict[str, Any] | None = None
) -> list[tuple[int | None, str, str]]:
    """Load ``text`` expecting a TemplateError; its problems as (line, path, message)."""
    with pytest.raises(TemplateError) as info:
        load_template_text(text, params)
    return [(p.line, p.path, p.message) for p in info.value.problems]


def nested(levels: int) -> str:
    """A flow sequence nested ``levels`` deep around one scalar."""
    return "[" * levels + "1" + "]" * levels


class TestYamlLimits:
    """Hostile or oversized YAML is refused before it is expanded."""

    def test_file_over_one_mebibyte_refused(self) -> None:
        """A text one byte over 1 MiB is refused with its size."""
        text = "#" * MAX_BYTES + "\n"
        with pytest.raises(TemplateError) as info:
            read_yaml(text)
        (problem,) = info.value.problems
        assert f"{MAX_BYTES + 1} bytes" in problem.message
        assert str(MAX_BYTES) in problem.message

    def test_file_of_exactly_one_mebibyte_accepted(self) -> None:
        """A text of exactly 1 MiB is read."""
        text = "a: 1\n#" + "x" * (MAX_BYTES - 7) + "\n"
        assert len(text.encode()) == MAX_BYTES
        assert read_yaml(text).data == {"a": 1}

    def test_size_counted_in_bytes_not_characters(self) -> None:
        """Chinese text under 1 Mi characters but over 1 MiB of UTF-8 is refused."""
        text = "# " + "治" * (MAX_BYTES // 2)
        assert len(text) < MAX_BYTES < len(text.encode("utf-8"))
        with pytest.raises(TemplateError, match="the limit is"):
            read_yaml(text)

    def test_large_file_refused_by_load_template(self, tmp_path: Path) -> None:
        """load_template refuses an oversized file and names it."""
        path = tmp_path / "huge.yaml"
        path.write_text(HEAD + ONE_PHASE + "#" * MAX_BYTES + "\n", "utf-8")
        with pytest.raises(TemplateError) as info:
            load_template(path)
        (problem,) = info.value.problems
        assert problem.file == str(path)
        assert "limit" in problem.message

    def test_alias_limit_is_inclusive(self) -> None:
        """Exactly 100 aliases are read; 101 are refused."""

        def doc(n: int) -> str:
            return "a: &a 1\nb: [" + ", ".join(["*a"] * n) + "]\n"

        assert read_yaml(doc(MAX_ALIASES)).data["b"] == [1] * MAX_ALIASES
        with pytest.raises(TemplateError) as info:
            read_yaml(doc(MAX_ALIASES + 1))
        (problem,) = info.value.problems
        assert problem.message == f"{MAX_ALIASES + 1} aliases; the limit is {MAX_ALIASES}"

    def test_billion_laughs_under_alias_limit_refused(self) -> None:
        """90 aliases that would expand to 10⁹ nodes are refused by the node count."""
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
        with pytest.raises(TemplateError) as info:
            read_yaml("\n".join(lines))
        assert any(p.message == "document has too many nodes" for p in info.value.problems)

    def test_billion_laughs_reports_only_the_node_limit(self) -> None:
        """The node-limit problem is the only one reported."""
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
        with pytest.raises(TemplateError) as info:
            read_yaml("\n".join(lines))
        assert [p.message for p in info.value.problems] == ["document has too many nodes"]

    def test_depth_limit(self) -> None:
        """32 nested collections are read; 33 are refused at the too-deep node."""
        assert read_yaml(nested(MAX_DEPTH)).data is not None
        with pytest.raises(TemplateError) as info:
            read_yaml(nested(MAX_DEPTH + 1), "deep.yaml")
        (problem,) = info.value.problems
        assert problem.message == f"nested deeper than {MAX_DEPTH} levels"
        assert problem.path == "[0]" * (MAX_DEPTH + 1)
        assert (problem.file, problem.line) == ("deep.yaml", 1)

    def test_depth_reported_with_its_line(self) -> None:
        """A too-deep block sequence is located at the line of the offending node."""
        text = (
            "a: 1\nb:\n"
            + "".join("  " * i + "-\n" for i in range(MAX_DEPTH))
            + "  " * MAX_DEPTH
            + "- x\n"
        )
        with pytest.raises(TemplateError) as info:
            read_yaml(text)
        (problem,) = info.value.problems
        assert problem.message.startswith("nested deeper")
        assert problem.line == MAX_DEPTH + 3

    @pytest.mark.parametrize(
        ("value", "tag"),
        [
            ("!!python/object:os.system {}", "tag:yaml.org,2002:python/object:os.system"),
            (
                '!!python/object/apply:os.system ["id"]',
                "tag:yaml.org,2002:python/object/apply:os.system",
            ),
            ("!!python/name:os.system ''", "tag:yaml.org,2002:python/name:os.system"),
            ("!custom thing", "!custom"),
            ("!!binary aGVsbG8=", "tag:yaml.org,2002:binary"),
            ("!!set {a, b}", "tag:yaml.org,2002:set"),
        ],
    )
    def test_non_plain_tags_refused(self, value: str, tag: str) -> None:
        """Any tag beyond the plain YAML scalars, sequences and maps is a problem."""
        with pytest.raises(TemplateError) as info:
            read_yaml(f"id: x\ndescription: {value}\n")
        (problem,) = info.value.problems
        assert (problem.line, problem.path) == (2, "description")
        assert problem.message == f"tag {tag} is not allowed"

    def test_python_tag_in_template_never_runs(self, tmp_path: Path) -> None:
        """A !!python/object/apply tag is refused without being executed."""
        marker = tmp_path / "ran"
        text = (
            HEAD + f'description: !!python/object/apply:os.system ["touch {marker}"]\n' + ONE_PHASE
        )
        problems = problems_of(text)
        assert len(problems) == 1
        assert "is not allowed" in problems[0][2]
        assert not marker.exists()

    def test_plain_tags_allowed(self) -> None:
        """Explicit !!str, !!int, !!float, !!bool and !!null read as plain values."""
        doc = read_yaml("a: !!str 12\nb: !!int '7'\nc: !!float 1.5\nd: !!bool true\ne: !!null ''\n")
        assert doc.data == {"a": "12", "b": 7, "c": 1.5, "d": True, "e": None}

    def test_dates_stay_strings(self) -> None:
        """YAML timestamps are kept as the text written, not turned into dates."""
        assert read_yaml("d: 2011-09-10\n").data == {"d": "2011-09-10"}

    def test_duplicate_key_refused(self) -> None:
        """A repeated mapping key is a problem at its second occurrence."""
        problems = problems_of(HEAD + "title: 又一个\n" + ONE_PHASE)
        assert problems == [(5, "title", "duplicate key 'title'")]

    def test_nested_duplicate_key_refused(self) -> None:
        """A repeated key inside a step is located by its full path."""
        text = HEAD + "phases:\n  - id: work\n    title: 工作\n    window: 9月\n    window: 10月\n"
        assert problems_of(text) == [(9, "phases[0].window", "duplicate key 'window'")]

    def test_merge_key_refused(self) -> None:
        """``<<`` merge keys are not supported."""
        text = HEAD + "base: &b {title: 工作, window: 9月}\nphases:\n  - {<<: *b, id: work}\n"
        problems = problems_of(text)
        assert (7, "phases[0]", "merge keys (<<) are not supported") in problems

    def test_malformed_yaml_reports_line(self) -> None:
        """A syntax error names its line."""
        problems = problems_of(HEAD + "phases:\n  - id: work\n   title: bad indent\n")
        assert len(problems) == 1
        line, path, message = problems[0]
        assert (line, path) == (7, "")
        assert message.startswith("malformed YAML")

    def test_not_utf8_refused(self) -> None:
        """Bytes that are not UTF-8 are refused."""
        with pytest.raises(TemplateError, match="not UTF-8"):
            read_yaml(b"id: \xff\xfe\n")

    def test_lines_recorded_per_path(self) -> None:
        """The document records the line of every key and item."""
        doc = read_yaml(HEAD + ONE_PHASE)
        assert doc.lines["params.year"] == 4
        assert doc.lines["phases[0]"] == 6
        assert doc.line("phases[0].steps.nothing") == 6


class TestParameters:
    """Declared parameters, supplied values and ${name} interpolation."""

    def test_default_used(self) -> None:
        """Without supplied values, the declared default is bound."""
        assert load_template("zhiyong-2011").params == {"year": 2011}

    def test_string_value_coerced_to_int(self) -> None:
        """A supplied "2012" (as from the command line) becomes the int 2012."""
        template = load_template("zhiyong-2011", {"year": "2012"})
        assert template.params["year"] == 2012
        assert template.year == 2012
        assert resolve(template).phase("mobilization").start.year == 2012

    def test_bad_int_is_a_problem(self) -> None:
        """A value that is not an int is a problem at the parameter."""
        problems = problems_of(HEAD + ONE_PHASE, {"year": "twenty"})
        assert len(problems) == 1
        assert problems[0][:2] == (4, "params.year")
        assert "'twenty'" in problems[0][2]

    def test_bool_is_not_an_int(self) -> None:
        """True is not accepted as a year."""
        problems = problems_of(HEAD + ONE_PHASE, {"year": True})
        assert [p[1] for p in problems] == ["params.year"]

    def test_unknown_supplied_parameter(self) -> None:
        """A supplied parameter the template does not declare is a problem."""
        problems = problems_of(HEAD + ONE_PHASE, {"yaer": 2012})
        assert problems == [(3, "params", "unknown parameter 'yaer'; this template declares: year")]

    def test_year_always_exists(self) -> None:
        """A template that declares no parameters still takes `year`, and needs it."""
        text = "id: probe\ntitle: 探针\n" + ONE_PHASE
        problems = problems_of(text)
        assert len(problems) == 1
        assert problems[0][1] == "params"
        assert "missing parameter 'year'" in problems[0][2]
        assert load_template_text(text, {"year": 2013}).params == {"year": 2013}

    def test_required_parameter_without_default(self) -> None:
        """A declared parameter without a default must be supplied."""
        text = HEAD + "  grace: {type: int}\n" + ONE_PHASE
        problems = problems_of(text)
        assert problems == [
            (
                5,
                "params.grace",
                "missing parameter 'grace': give it (e.g. --param grace=...) or declare a default",
            )
        ]
        assert load_template_text(text, {"grace": "3"}).params == {"year": 2011, "grace": 3}

    def test_typed_parameters_coerced(self) -> None:
        """bool, str and date parameters are coerced from strings."""
        text = HEAD + "  strict: {type: bool, default: false}\n  unit: {type: str, default: 市局}\n"
        text += "  kickoff: {type: date, default: 2011-09-01}\n" + ONE_PHASE
        template = load_template_text(text, {"strict": "yes", "unit": 42})
        assert template.params == {
            "year": 2011,
            "strict": True,
            "unit": "42",
            "kickoff": "2011-09-01",
        }

    def test_interpolation_in_strings(self) -> None:
        """${year} is replaced inside titles and date expressions."""
        text = textwrap.dedent(
            """\
            id: camp-${year}
            title: "${year}年治庸问责"
            params:
              year: {type: int, default: 2011}
            phases:
              - id: work
                title: 工作
                window: "${year}-09-01—${year}-09-30"
                steps:
                  report: {title: "${year}年报告", due: "${year}-09-10"}
            """
        )
        resolved = resolve(load_template_text(text, {"year": 2015}))
        assert resolved.id == "camp-2015"
        assert resolved.title == "2015年治庸问责"
        assert resolved.step("report").title == "2015年报告"
        assert resolved.step("report").due.isoformat() == "2015-09-10T23:59:59.999999+08:00"
        assert resolved.phase("work").end.isoformat() == "2015-09-30T23:59:59.999999+08:00"

    def test_interpolation_before_schema(self) -> None:
        """A whole-value ${name} is put in before the schema checks the field."""
        text = HEAD + "  mode: {type: str, default: completion}\nadvance: ${mode}\n" + ONE_PHASE
        assert load_template_text(text).advance == "completion"
        problems = problems_of(text, {"mode": "sometimes"})
        assert problems == [(6, "advance", "'sometimes' is not one of: calendar, completion")]

    def test_unknown_interpolated_parameter(self) -> None:
        """${name} of an undeclared parameter is a problem at the string."""
        problems = problems_of(HEAD + 'description: "第${round}轮"\n' + ONE_PHASE)
        assert problems == [(5, "description", "unknown parameter 'round' in '第${round}轮'")]


class TestRectificationDays:
    """`findings.rectification_days` keeps its unit: working days or calendar days."""

    @pytest.mark.parametrize(
        ("written", "days", "unit"),
        [
            ("30 days", 30, "days"),
            ("30天", 30, "days"),
            ("10 working days", 10, "working_days"),
            ("10个工作日", 10, "working_days"),
            ("1 working day", 1, "working_days"),
            (12, 12, "working_days"),
            (0, 0, "working_days"),
        ],
    )
    def test_unit_kept(self, written: object, days: int, unit: str) -> None:
        """Calendar days stay calendar days; a bare number counts working days."""
        text = HEAD + f"findings:\n  rectification_days: {written}\n" + ONE_PHASE
        findings = load_template_text(text).findings
        assert (findings.rectification_days, findings.rectification_unit) == (days, unit)

    def test_default_is_ten_working_days(self) -> None:
        """Without a `findings` section the default is 10 working days."""
        findings = load_template_text(HEAD + ONE_PHASE).findings
        assert (findings.rectification_days, findings.rectification_unit) == (10, "working_days")

    @pytest.mark.parametrize("written", ["30 weeks", "thirty days", "-3", "-3 days", "3.5 days"])
    def test_invalid_unit_is_a_problem_at_its_path(self, written: str) -> None:
        """A delay that is not N (working) days is reported at findings.rectification_days."""
        text = HEAD + f'findings:\n  rectification_days: "{written}"\n' + ONE_PHASE
        problems = problems_of(text)
        assert len(problems) == 1
        line, path, message = problems[0]
        assert (line, path) == (6, "findings.rectification_days")
        assert message.startswith("bad delay:")

    def test_negative_number_is_a_problem(self) -> None:
        """A negative bare number is refused at its path."""
        text = HEAD + "findings:\n  rectification_days: -3\n" + ONE_PHASE
        assert [p[1] for p in problems_of(text)] == ["findings.rectification_days"]

    def test_compiled_deadline_counts_the_unit(self) -> None:
        """`finding_due` counts calendar days or working days as asked."""
        from zyw_flow import compile_campaign
        from zyw_flow._time import to_us

        compiled = compile_campaign(resolve(load_template("zhiyong-2011")))
        at = to_us(pendulum.datetime(2011, 9, 30, 10, tz="Asia/Shanghai"))  # a Friday
        calendar_due, _ = compiled.finding_due(at, 3, "days")
        working_due, _ = compiled.finding_due(at, 3)  # across the National Day holiday
        end_of = pendulum.datetime(2011, 10, 3, 23, 59, 59, 999999, tz="Asia/Shanghai")
        assert calendar_due == to_us(end_of)
        assert working_due == to_us(end_of.add(days=7))  # 10-08, 10-09 (调休), 10-10


class TestLayeredChecks:
    """The template layer checks what it can see; `zyw_flow.load_template` adds dates."""

    TEXT = HEAD + textwrap.dedent(
        """\
        phases:
          - id: work
            title: 工作
            window: 9月11日—9月20日
            steps:
              report: {title: 报告, submit: [clerk], due: 9月5日前}
        """
    )

    def test_template_layer_reports_its_own_problems(self) -> None:
        """`zyw_flow.template.load_template_text` reports the unknown role only."""
        assert [p[1] for p in problems_of(self.TEXT)] == ["phases[0].steps.report.submit[0]"]

    def test_full_loader_adds_the_date_problems(self) -> None:
        """`zyw_flow.load_template_text` reports the deadline before the phase as well."""
        from zyw_flow import load_template_text as load_all

        with pytest.raises(TemplateError) as info:
            load_all(self.TEXT)
        assert [p.path for p in info.value.problems] == [
            "phases[0].steps.report.submit[0]",
            "phases[0].steps.report.due",
        ]

    def test_full_loader_of_a_good_template(self) -> None:
        """Both loaders give the same template when there is no problem."""
        from zyw_flow import load_template as load_all

        assert load_all("zhiyong-2011") == load_template("zhiyong-2011")


class TestPhaseMerging:
    """`use:` merges a phase template; the campaign retitles, drops, overrides and adds."""

    TEXT = textwrap.dedent(
        """\
        id: merge
        title: 合并
        params:
          year: {type: int, default: 2011}
        phases:
          - use: mobilization
            title: 动员部署阶段
            window: 9月初—9月中旬
            drop: [themed_discussion]
            steps:
              work_plan: {due: 9月10日前}
              model_materials: {title: 正反典型材料, kind: document}
          - use: summary
            window: 12月
        """
    )

    @pytest.fixture
    def template(self) -> CampaignTemplate:
        """The merged template."""
        return load_template_text(self.TEXT)

    def test_phase_id_and_title(self, template: CampaignTemplate) -> None:
        """The phase id defaults to the template's; `title` retitles, else inherited."""
        first, second = template.phases
        assert (first.id, first.title, first.use) == (
            "mobilization",
            "动员部署阶段",
            "mobilization",
        )
        assert (second.id, second.title) == ("summary", "总结提高")
        assert "动员部署" in first.aliases

    def test_inherited_steps_in_order_with_drop_and_addition(
        self, template: CampaignTemplate
    ) -> None:
        """Inherited steps keep their order, dropped ones vanish, new ones come last."""
        ids = [s.id for s in template.phases[0].steps]
        assert ids == ["mobilization_meeting", "work_plan", "themed_study", "model_materials"]

    def test_override_keeps_inherited_fields(self, template: CampaignTemplate) -> None:
        """Overriding `due` keeps the inherited title and kind."""
        step = template.step("work_plan")
        assert (step.title, step.kind, step.due) == ("制定工作方案", "document", "9月10日前")
        assert step.path == "phases[0].steps.work_plan"

    def test_new_step(self, template: CampaignTemplate) -> None:
        """A new step takes its own title and kind, and the phase's default deadline."""
        step = template.step("model_materials")
        assert (step.title, step.kind, step.due, step.phase) == (
            "正反典型材料",
            "document",
            "",
            "mobilization",
        )

    def test_inherited_null_due(self, template: CampaignTemplate) -> None:
        """An inherited `due: null` stays "no deadline" through resolution."""
        assert template.step("commendation").due is None
        assert resolve(template).step("commendation").due is None

    def test_resolved_override(self, template: CampaignTemplate) -> None:
        """The overridden deadline resolves; the untouched one is the phase's last day."""
        resolved = resolve(template)
        assert resolved.step("work_plan").due.isoformat() == "2011-09-10T23:59:59.999999+08:00"
        assert resolved.step("themed_study").due.isoformat() == "2011-09-20T23:59:59.999999+08:00"

    def test_new_step_without_title(self) -> None:
        """A new step with no title is a problem naming the phase template."""
        text = self.TEXT.replace(
            "model_materials: {title: 正反典型材料, kind: document}",
            "press_release: {kind: document}",
        )
        problems = problems_of(text)
        assert problems == [
            (
                12,
                "phases[0].steps.press_release",
                "new step 'press_release' needs a title (phase template 'mobilization' has no "
                "step 'press_release')",
            )
        ]

    def test_drop_unknown_step(self) -> None:
        """Dropping a step the phase template lacks is a problem at that item."""
        problems = problems_of(
            self.TEXT.replace("[themed_discussion]", "[themed_discussion, gala]")
        )
        assert problems == [
            (
                9,
                "phases[0].drop[1]",
                "cannot drop 'gala': phase template 'mobilization' has no such step",
            )
        ]

    def test_phase_without_use_needs_id(self) -> None:
        """A phase without `use:` and without `id` is a problem."""
        problems = problems_of(HEAD + "phases:\n  - {title: 工作, window: 9月}\n")
        assert problems == [(6, "phases[0]", "a phase without `use:` needs an `id`")]

    def test_phase_template_beside_campaign_wins(self, tmp_path: Path) -> None:
        """A `phases/` folder next to the campaign file is searched before the bundled one."""
        (tmp_path / "phases").mkdir()
        (tmp_path / "phases" / "mobilization.yaml").write_text(
            "kind: phase\nid: mobilization\ntitle: 本地动员\nsteps:\n  rally: {title: 誓师大会}\n",
            "utf-8",
        )
        path = tmp_path / "local.yaml"
        path.write_text(HEAD + "phases:\n  - {use: mobilization, window: 9月}\n", "utf-8")
        template = load_template(path)
        assert template.phases[0].title == "本地动员"
        assert [s.id for s in template.phases[0].steps] == ["rally"]
        assert template.phase_texts["mobilization"].startswith("kind: phase")

    def test_phase_template_loaded_as_campaign(self) -> None:
        """Loading a phase template as a campaign says what it is."""
        with pytest.raises(TemplateError, match="this is a phase template"):
            load_template(bundled_dir() / "phases" / "mobilization.yaml")


class TestRegistry:
    """find_template and iter_template_sources."""

    def test_find_by_id(self) -> None:
        """A bundled id finds its file in the bundled folder."""
        source = find_template("zhiyong-2011")
        assert (source.id, source.origin) == ("zhiyong-2011", "bundled")
        assert source.path == bundled_dir() / "zhiyong-2011.yaml"

    @pytest.mark.parametrize("as_str", [True, False])
    def test_find_by_path(self, tmp_path: Path, as_str: bool) -> None:
        """A path (str or Path) to an existing file finds it, with the stem as id."""
        path = tmp_path / "my-campaign.yaml"
        path.write_text(HEAD + ONE_PHASE, "utf-8")
        source = find_template(str(path) if as_str else path)
        assert (source.id, source.path, source.origin) == ("my-campaign", path, "file")
        assert load_template(str(path)).id == "probe"

    def test_unknown_id_lists_known_ids(self) -> None:
        """An unknown id raises TemplateNotFound listing every known id."""
        with pytest.raises(TemplateNotFound) as info:
            find_template("zhiyong-2099")
        message = str(info.value)
        assert "'zhiyong-2099'" in message
        for seed in SEEDS:
            assert seed in message
        assert isinstance(info.value, LookupError)

    def test_missing_file(self, tmp_path: Path) -> None:
        """A .yaml path that does not exist raises TemplateNotFound."""
        with pytest.raises(TemplateNotFound, match="does not exist"):
            load_template(tmp_path / "absent.yaml")

    def test_bundled_sources(self) -> None:
        """The bundled seeds are listed, sorted, and each is a file."""
        bundled = [s for s in iter_template_sources() if s.origin == "bundled"]
        assert {s.id for s in bundled} == SEEDS
        assert [s.id for s in bundled] == sorted(s.id for s in bundled)
        assert all(s.path.is_file() and s.path.stem == s.id for s in bundled)

    def test_every_bundled_template_loads_and_resolves(self) -> None:
        """Each bundled seed loads under its own id and resolves."""
        for source in iter_template_sources():
            if source.origin == "bundled":
                resolved = resolve(load_template(source.id))
                assert resolved.id == source.id
                assert resolved.phases


class TestSchema:
    """The bundled JSON Schemas are valid and the bundled templates satisfy them."""

    @pytest.mark.parametrize("kind", ["campaign", "phase"])
    def test_schema_is_valid(self, kind: str) -> None:
        """Each schema passes Draft 2020-12's metaschema."""
        jsonschema.Draft202012Validator.check_schema(schema(kind))

    def test_schema_files_are_json(self) -> None:
        """The schema files on disk are the ones `schema()` returns."""
        folder = Path(__file__).parent.parent / "zyw_flow" / "template"
        for kind in ("campaign", "phase"):
            on_disk = json.loads((folder / f"{kind}.schema.json").read_text("utf-8"))
            assert on_disk == schema(kind)

    @pytest.mark.parametrize("seed", sorted(SEEDS))
    def test_bundled_campaign_validates(self, seed: str) -> None:
        """Each bundled campaign, as written, has no schema errors."""
        data = read_yaml(find_template(seed).path.read_bytes()).data
        errors = list(jsonschema.Draft202012Validator(schema("campaign")).iter_errors(data))
        assert errors == []

    def test_bundled_phase_templates_validate(self) -> None:
        """Each bundled phase template has no schema errors."""
        paths = sorted((bundled_dir() / "phases").glob("*.yaml"))
        assert {p.stem for p in paths} == {"mobilization", "self_check", "supervision", "summary"}
        validator = jsonschema.Draft202012Validator(schema("phase"))
        for path in paths:
            assert list(validator.iter_errors(read_yaml(path.read_bytes()).data)) == [], path

    def test_schema_rejects_bad_documents(self) -> None:
        """The campaign schema does reject a document with an unknown field and no phases."""
        validator = jsonschema.Draft202012Validator(schema("campaign"))
        assert not validator.is_valid({"id": "x", "title": "x", "phases": []})
        assert not validator.is_valid(
            {"id": "x", "title": "x", "owner": "y", "phases": [{"window": "9月"}]}
        )
        assert validator.is_valid({"id": "x", "title": "x", "phases": [{"window": "9月"}]})

    def test_unknown_field_message_names_the_field(self) -> None:
        """An unknown step field is reported under its step, naming the field."""
        text = HEAD + "phases:\n  - id: work\n    title: 工作\n    window: 9月\n"
        text += "    steps:\n      report: {title: 报告, deadline: 9月10日前}\n"
        problems = problems_of(text)
        assert len(problems) == 1
        _, path, message = problems[0]
        assert path.startswith("phases[0].steps.report")
        assert "unknown field" in message and "'deadline'" in message
