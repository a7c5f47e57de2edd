"""The public API is pinned: adding or removing a name must be a deliberate change."""

from __future__ import annotations

import re

import zyw_flow
from tests.conftest import ROOT

PUBLIC = [
    "Actor",
    "Board",
    "CalendarError",
    "CalendarHorizonError",
    "Campaign",
    "CampaignError",
    "CampaignTemplate",
    "CompiledCampaign",
    "DateExpressionError",
    "DuplicateEventError",
    "EnrolmentError",
    "Event",
    "InstantError",
    "JournalCorrupted",
    "NoClockError",
    "OverdueItem",
    "ParameterError",
    "PermissionRefused",
    "Problem",
    "ResolvedCampaign",
    "ScenarioError",
    "ScenarioResult",
    "SchemaVersionError",
    "ScoringError",
    "StepStatus",
    "StoreError",
    "TemplateError",
    "TemplateNotFound",
    "TimeOrderError",
    "TransitionRefused",
    "UnitStatus",
    "UnknownActorError",
    "UnknownStepError",
    "UnknownUnitError",
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
    "actors",
    "add_actor",
    "board",
    "close",
    "create",
    "create_stored",
    "cursor",
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
    "now",
    "open",
    "overdue",
    "phase",
    "record_case",
    "record_deduction",
    "record_finding",
    "record_score",
    "refresh",
    "restrictions",
    "return_step",
    "rounds",
    "save_snapshot",
    "snapshot",
    "store",
    "submit",
    "subscribe",
    "tick",
    "timeline",
    "under_rectification",
    "unit_status",
    "units",
    "verify",
    "verify_finding",
    "waive",
]


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
