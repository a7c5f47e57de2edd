"""The public API is pinned: adding or removing a name must be a deliberate change."""

from __future__ import annotations

import importlib
import pkgutil
import re
from types import ModuleType

import pytest

import zyw_flow
from tests.conftest import ROOT

PUBLIC = [
    "AccountabilityCase",
    "Actor",
    "ActorSuspended",
    "Board",
    "CalendarError",
    "CalendarHorizonError",
    "Campaign",
    "CampaignError",
    "CampaignTemplate",
    "CompiledCampaign",
    "Complaint",
    "ComplaintCounts",
    "ComplaintStatistics",
    "DateExpressionError",
    "DuplicateEventError",
    "EnrollmentError",
    "Evaluation",
    "Event",
    "InstantError",
    "JournalCorrupted",
    "LockTimeout",
    "NoClockError",
    "OverdueItem",
    "ParameterError",
    "PermissionRefused",
    "Problem",
    "ReferenceRefused",
    "ResolvedCampaign",
    "ScenarioError",
    "ScenarioResult",
    "SchemaVersionError",
    "ScoringError",
    "SigningKeyError",
    "StepStatus",
    "StoreError",
    "TemplateError",
    "TemplateNotFound",
    "TimeOrderError",
    "TransitionRefused",
    "UnitStatus",
    "UnknownActorError",
    "UnknownRecordError",
    "UnknownStepError",
    "UnknownUnitError",
    "VerifyReport",
    "WorkCalendar",
    "ZywFlowError",
    "__version__",
    "compile_campaign",
    "load_template",
    "load_template_text",
    "resolve",
    "run_scenario",
]

CAMPAIGN_METHODS = [
    "accept",
    "act_on_complaint",
    "actors",
    "act_many",
    "add_actor",
    "add_actors",
    "approve_extension",
    "assign_complaint",
    "assign_group",
    "board",
    "callback_complaint",
    "case",
    "cases",
    "close",
    "close_complaint",
    "complaint",
    "complaint_statistics",
    "complaints",
    "create",
    "create_stored",
    "cursor",
    "decide_case",
    "delegate",
    "due_soon",
    "enroll",
    "enroll_csv",
    "enroll_many",
    "evaluate",
    "events",
    "finalize_evaluation",
    "grade",
    "id",
    "issue_sanction",
    "iter_units",
    "key_supervision",
    "notify_case",
    "now",
    "open",
    "open_case",
    "overdue",
    "phase",
    "publish_case",
    "record_case",
    "record_deduction",
    "record_finding",
    "record_score",
    "record_statement",
    "record_survey",
    "record_trigger",
    "refresh",
    "refuse_extension",
    "register_complaint",
    "reply_complaint",
    "report",
    "request_extension",
    "restrictions",
    "return_step",
    "revoke_actor",
    "rounds",
    "save_snapshot",
    "set_deadline",
    "store",
    "status_table",
    "submit",
    "survey_result",
    "submit_many",
    "subscribe",
    "suspended",
    "tick",
    "timeline",
    "transfer",
    "under_rectification",
    "unit_status",
    "units",
    "verify_finding",
    "verify_journal",
    "void",
    "wait_for_events",
    "waive",
]


#: ``__all__`` of each public module but the root and ``zyw_flow.runtime`` (pinned above
#: and with the runtime). Sorted; a change here is a deliberate change of the public API.
MODULE_ALL: dict[str, list[str]] = {
    "zyw_flow.cli": [
        "build_parser",
        "main",
    ],
    "zyw_flow.board": [
        "ECHARTS_VERSION",
        "STATUS_TITLES",
        "board_data",
        "render_board_html",
        "write_board_html",
    ],
    "zyw_flow.exchange": [
        "ACTOR_COLUMNS",
        "ActorRow",
        "Cell",
        "DataFileError",
        "Deadline",
        "EXPORTS",
        "FORMULA_PREFIXES",
        "Sheet",
        "UNIT_COLUMNS",
        "actor_rows",
        "board_sheet",
        "calendar_bytes",
        "campaign_calendar",
        "csv_text",
        "neutralise",
        "overdue_sheet",
        "ranking_sheet",
        "read_table",
        "scorecards_sheet",
        "template_calendar",
        "unit_rows",
        "write_sheet",
        "write_workbook",
    ],
    "zyw_flow.compile": [
        "CompiledCampaign",
        "GUARDS",
        "STATUS_NAMES",
        "STEP_EVENTS",
        "STEP_TRANSITIONS",
        "compile_campaign",
        "compile_source",
        "compile_stored",
        "derive_table",
        "escalation_instants",
        "mermaid",
        "phase_machine",
        "step_machine",
        "stored_meta",
        "warning_instants",
    ],
    "zyw_flow.runtime": [
        "AccountabilityCase",
        "ActionEvents",
        "Actor",
        "Board",
        "COMMANDS",
        "Campaign",
        "Command",
        "Complaint",
        "ComplaintCounts",
        "ComplaintStatistics",
        "DueItem",
        "Evaluation",
        "Event",
        "EventList",
        "OverdueItem",
        "RectificationRows",
        "SYSTEM_ACTOR",
        "StatusTable",
        "StepColumn",
        "StepStatus",
        "UnitStatus",
        "dispatch",
        "register_owner",
        "unit_rows",
    ],
    "zyw_flow.dates": [
        "AbsoluteDate",
        "DateExpr",
        "DaySpan",
        "DurationUnit",
        "NonWorkdayPolicy",
        "Recurrence",
        "RelativeDate",
        "WeekdayMismatchError",
        "WorkCalendar",
        "end_of_day",
        "parse_date",
        "parse_duration",
        "parse_recurrence",
        "parse_window",
        "start_of_day",
    ],
    "zyw_flow.evaluation": [
        "ACTION_KINDS",
        "Action",
        "Ballot",
        "Band",
        "BottomAction",
        "CASE_KINDS",
        "Case",
        "Category",
        "Condition",
        "Consequence",
        "Consequences",
        "DEFAULT_BANDS",
        "DEFAULT_LADDER",
        "Deduction",
        "DeductionItem",
        "Deductions",
        "Downgrade",
        "GroupResult",
        "Indicator",
        "IndicatorScore",
        "LadderStep",
        "MissingInput",
        "Period",
        "Quota",
        "RankRow",
        "Ranking",
        "RaterGroup",
        "Round",
        "Rounding",
        "Rule",
        "RuleAction",
        "ScoreInput",
        "Scorecard",
        "ScoringError",
        "ScoringScheme",
        "Survey",
        "SurveyBand",
        "SurveyCount",
        "SurveyGroup",
        "SurveyResult",
        "Veto",
        "apply_cases",
        "apply_rules",
        "bottom_actions",
        "bottom_units",
        "bundled_schemes",
        "check_score_inputs",
        "consequences",
        "distribution_rows",
        "distribution_table",
        "extra_rules",
        "find_scheme",
        "grade_distribution",
        "load_scheme",
        "load_scheme_text",
        "parse_decimal",
        "plot_grade_distribution",
        "quota_size",
        "rank",
        "ranking_rows",
        "ranking_table",
        "rule_consequences",
        "score_unit",
        "score_units",
        "scorecard_rows",
        "scorecard_table",
        "scoring_dir",
        "select_advanced",
        "select_excellent_people",
        "survey_inputs",
        "survey_result",
        "survey_results",
        "to_csv",
        "to_decimal",
        "top_bottom_publicity",
    ],
    "zyw_flow.resolve": [
        "ResolvedCampaign",
        "ResolvedPhase",
        "ResolvedStep",
        "load_template",
        "load_template_text",
        "make_calendar",
        "resolve",
    ],
    "zyw_flow.scenario": [
        "ACTIONS",
        "FIELDS",
        "ScenarioResult",
        "bundled_scenarios",
        "find_scenario",
        "load_scenario",
        "run_scenario",
    ],
    "zyw_flow.relay": [
        "DELIVERY_HEADER",
        "Delivery",
        "DeliveryFailed",
        "EVENT_HEADER",
        "RedisStreamTarget",
        "Relay",
        "RelayError",
        "RelayReport",
        "SIGNATURE_HEADER",
        "Target",
        "WebhookTarget",
        "delivery_id",
        "sign",
        "verify_signature",
    ],
    "zyw_flow.sim": [
        "Behaviour",
        "Override",
        "Profile",
        "ProfileError",
        "RepResult",
        "SimResult",
        "Simulation",
        "SimulationError",
        "UnitTree",
        "aggregate",
        "bundled_profiles",
        "ci95",
        "compare",
        "compile_arm",
        "generate_units",
        "load_profile",
        "load_profile_text",
        "parse_override",
        "parse_sweep",
        "read_units_csv",
        "run_replication",
        "run_simulation",
    ],
    "zyw_flow.store": [
        "CHAIN_VERSION",
        "Checkpoint",
        "DeadLetter",
        "GENESIS",
        "Journal",
        "Outbox",
        "OutboxEntry",
        "QUIET_TYPES",
        "RECEIPT_FORMAT",
        "ReceiptReport",
        "RelayState",
        "Row",
        "SCHEMA_VERSION",
        "SQLiteJournal",
        "VerifyReport",
        "chain_hash",
        "generate_keys",
        "is_postgres_url",
        "key_id",
        "list_campaigns",
        "load_private_key",
        "load_public_key",
        "meta_problem",
        "open_journal",
        "parse_receipt",
        "verify_receipt",
        "verify_rows",
    ],
    "zyw_flow.template": [
        "AccountabilityDef",
        "CalendarDef",
        "CampaignTemplate",
        "ChainRuleDef",
        "ComplaintsDef",
        "DEFAULT_PERMISSIONS",
        "DEFAULT_ROLES",
        "DEFAULT_SANCTIONS",
        "Document",
        "ENTRY_POINT_GROUP",
        "EscalationLevelDef",
        "ExtensionPolicy",
        "FindingsDef",
        "OwnerRule",
        "ParamDef",
        "PhaseDef",
        "ReferenceRefused",
        "SanctionDef",
        "SituationDef",
        "StepDef",
        "TemplateSource",
        "WarningLevelDef",
        "build_template",
        "bundled_dir",
        "find_reference",
        "find_template",
        "iter_template_sources",
        "load_template",
        "load_template_text",
        "parse_duration",
        "read_limited",
        "read_yaml",
        "read_yaml_file",
        "schema",
    ],
    "zyw_flow.testing": [
        "InvariantViolation",
        "StatusTracker",
        "actors",
        "awkward_instants",
        "campaign_machine",
        "campaign_test",
        "check_escalation_schedule",
        "check_phase_entry",
        "check_refusal_changed_nothing",
        "check_reopen_matches",
        "check_status_matches_deadlines",
        "check_tick_equivalence",
        "compile_source",
        "invalid_templates",
        "observable_state",
        "template_texts",
        "unit_trees",
        "units",
    ],
    "zyw_flow.validation": [
        "FileReport",
        "KINDS",
        "Kind",
        "Liveness",
        "Options",
        "check_liveness",
        "detect_kind",
        "locate",
        "schema",
        "schema_text",
        "validate_document",
        "validate_file",
    ],
}


class TestPublicApi:
    def test_all_is_pinned(self) -> None:
        """`zyw_flow.__all__` is exactly the documented list."""
        assert sorted(zyw_flow.__all__) == sorted(PUBLIC)

    def test_every_name_exists(self) -> None:
        """Every name in `__all__` is importable from the package root."""
        for name in zyw_flow.__all__:
            assert hasattr(zyw_flow, name), name

    def test_campaign_surface(self) -> None:
        """The Campaign class's public methods and properties are pinned."""
        names = sorted(n for n in dir(zyw_flow.Campaign) if not n.startswith("_"))
        assert names == sorted(CAMPAIGN_METHODS)

    def test_documented_in_api_page(self) -> None:
        """docs/api.md mentions every public name and Campaign method."""
        text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
        for name in [*PUBLIC, *CAMPAIGN_METHODS]:
            if name == "__version__":
                continue
            assert re.search(rf"\b{re.escape(name)}\b", text), name

    def test_errors_share_a_root_and_builtins(self) -> None:
        """Every error derives from ZywFlowError; runtime refusals also from builtins."""
        for name in PUBLIC:
            obj = getattr(zyw_flow, name)
            if isinstance(obj, type) and issubclass(obj, Exception):
                assert issubclass(obj, zyw_flow.ZywFlowError), name
        assert issubclass(zyw_flow.UnknownUnitError, KeyError)
        assert issubclass(zyw_flow.PermissionRefused, PermissionError)
        assert issubclass(zyw_flow.TransitionRefused, ValueError)
        assert issubclass(zyw_flow.TemplateError, ValueError)

    def test_testing_kit_not_imported_by_root(self) -> None:
        """Importing zyw_flow does not import the testing kit (or hypothesis)."""
        import subprocess
        import sys

        code = "import sys, zyw_flow; print('zyw_flow.testing' in sys.modules)"
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        assert out.stdout.strip() == "False"


def _all_modules() -> list[str]:
    """Every module of the package (``__main__`` modules left out: they run the CLI)."""
    names = ["zyw_flow"]
    for info in pkgutil.walk_packages(zyw_flow.__path__, "zyw_flow."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return sorted(names)


def _is_public(name: str) -> bool:
    return not any(part.startswith("_") for part in name.split("."))


class TestModuleSurfaces:
    """Every public module declares and keeps its `__all__`."""

    def test_pins_are_sorted_literals(self) -> None:
        """Each pinned list is sorted and has no duplicates (so diffs stay readable)."""
        for module, names in MODULE_ALL.items():
            assert names == sorted(set(names)), module

    @pytest.mark.parametrize("module", sorted(MODULE_ALL))
    def test_all_is_pinned(self, module: str) -> None:
        """The module's `__all__` is exactly its pinned list."""
        mod = importlib.import_module(module)
        assert sorted(mod.__all__) == MODULE_ALL[module]
        assert len(set(mod.__all__)) == len(mod.__all__)

    def test_every_public_module_is_pinned_or_owned(self) -> None:
        """Each public module has a pin here (the root is pinned apart)."""
        public = {m for m in _all_modules() if _is_public(m)}
        assert public == {*MODULE_ALL, "zyw_flow"}

    def test_every_public_module_has_all(self) -> None:
        """Every public module declares `__all__`."""
        for name in _all_modules():
            if _is_public(name):
                mod: ModuleType = importlib.import_module(name)
                assert isinstance(getattr(mod, "__all__", None), list), name

    def test_every_name_in_every_all_exists(self) -> None:
        """Each name of each module's `__all__` (private modules too) is an attribute."""
        for name in _all_modules():
            mod = importlib.import_module(name)
            for attr in getattr(mod, "__all__", ()):
                assert hasattr(mod, attr), f"{name}.{attr}"
