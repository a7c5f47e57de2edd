"""``replay`` and ``evaluate``: run a scenario file, score a stored or scripted campaign."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.table import Table

from zyw_flow._errors import ScenarioError, TemplateError
from zyw_flow.cli._console import Ui
from zyw_flow.runtime import Campaign
from zyw_flow.scenario import find_scenario, run_scenario
from zyw_flow.store import is_postgres_url

__all__ = ["add_replay_commands"]


def cmd_replay(args: argparse.Namespace, ui: Ui) -> int:
    try:
        result = run_scenario(args.scenario)
    except (ScenarioError, TemplateError) as exc:  # a scenario that cannot run: unusable input
        for p in exc.problems:
            ui.warn(str(p))
        return 2
    if args.json:
        ui.json(result.report)
    else:
        _print_report(result.report, ui)
    if result.failures:
        ui.warn(f"{len(result.failures)} failed expectation(s) or error(s):")
        for line in result.failures:
            ui.warn(f"  - {line}")
        return 1
    if not args.json:
        print("all expectations met")
    return 0


def _campaign_of(target: str, ui: Ui) -> Campaign:
    """A stored campaign (SQLite path or postgresql:// URL) or the result of a scenario."""
    if is_postgres_url(target):
        return Campaign.open(target)
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or not path.exists():
        result = run_scenario(find_scenario(target))
        for line in result.failures:
            ui.warn(f"  - {line}")
        if result.campaign is None:  # pragma: no cover - a scenario always builds one
            raise ScenarioError([f"{target}: the scenario built no campaign"])
        return result.campaign
    return Campaign.open(path)


def cmd_evaluate(args: argparse.Namespace, ui: Ui) -> int:
    from zyw_flow.evaluation import (
        distribution_table,
        plot_grade_distribution,
        ranking_table,
        scorecard_rows,
        scorecard_table,
        to_csv,
    )

    campaign = _campaign_of(args.target, ui)
    try:
        evaluation = campaign.evaluate(args.unit or None)
        unit_scheme = campaign.compiled.schemes.get("units")
        if args.plot:
            title = f"{campaign.id}: grade distribution"
            plot_grade_distribution(
                evaluation.distribution, Path(args.plot), scheme=unit_scheme, title=title
            )
            ui.warn(f"grade distribution written to {args.plot}")
        if args.json:
            ui.json(evaluation.to_json())
            return 0
        if args.csv:
            rows: list[dict[str, str]] = []
            for uid, card in evaluation.cards.items():
                rows.extend({"unit": uid, **r} for r in scorecard_rows(card))
            print(to_csv(rows), end="")
            return 0
        if not evaluation.cards:
            ui.warn(
                f"{campaign.id}: no scores recorded yet (record them with do: score in a "
                "scenario or Campaign.record_score)"
            )
        for card in evaluation.cards.values():
            ui.out.print(scorecard_table(card))
        if evaluation.ranking:
            ui.out.print(ranking_table(evaluation.ranking, unit_scheme))
        ui.out.print(distribution_table(evaluation.distribution, unit_scheme))
        if evaluation.advanced:
            ui.out.print("先进 (advanced): " + ", ".join(evaluation.advanced))
        return 0
    finally:
        campaign.close()


def _print_report(report: dict[str, Any], ui: Ui) -> None:
    table = Table(title=f"{report['campaign']} at {report['at']}")
    for col in ("unit", "phase", "step", "status", "due", "late", "escalation"):
        table.add_column(col)
    for uid, unit in report["units"].items():
        first = True
        for sid, st in unit["steps"].items():
            if st["status"] == "not_open":
                continue
            table.add_row(
                uid if first else "",
                (unit["phase"] or "—") if first else "",
                sid,
                st["status"],
                (st["due"] or "—")[:16],
                "late" if st["late"] else "",
                str(st["escalation"] or ""),
            )
            first = False
        for s in unit["sanctions"]:
            table.add_row(
                "", "", "sanction", f"{s['title']} ({s['sanction']})", s["at"][:16], "", ""
            )
    ui.out.print(table)


def add_replay_commands(sub: Any) -> None:
    """Add ``replay`` and ``evaluate`` to the main parser."""
    p = sub.add_parser("replay", help="run a scenario file and check its expectations")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--json", action="store_true", help="print the JSON report")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("evaluate", help="scorecards, ranking and grade distribution of a campaign")
    p.add_argument("target", metavar="DB|SCENARIO", help="a stored campaign or a scenario")
    p.add_argument("--unit", action="append", help="only these units (repeatable)")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON")
    group.add_argument("--csv", action="store_true", help="print every scorecard line as CSV")
    p.add_argument("--plot", metavar="FILE.png", help="draw the grade distribution")
    p.set_defaults(func=cmd_evaluate)
