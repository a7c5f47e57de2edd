"""``replay`` and ``evaluate``: run a scenario file, score a stored or scripted campaign."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from zyw_flow._errors import ScenarioError
from zyw_flow.cli._board import add_html_options, write_board
from zyw_flow.cli._console import Ui
from zyw_flow.cli._outputs import check_output, png_path, written
from zyw_flow.cli._tables import add_date_column, add_text_column, date_format, ladder_title
from zyw_flow.runtime import Campaign
from zyw_flow.scenario import find_scenario, run_scenario
from zyw_flow.store import is_postgres_url

__all__ = ["add_replay_commands", "report_table"]


def cmd_replay(args: argparse.Namespace, ui: Ui) -> int:
    html = check_output("--html", args.html, inputs=[args.scenario])
    # a scenario that cannot be read exits 2, a template with problems 1 (docs/cli.md):
    # both are reported by the one exit-code policy (zyw_flow.cli._app)
    result = run_scenario(_checked(args.scenario))
    ladder: tuple[str, ...] = ()
    if result.campaign is not None:
        # the board is written even when expectations failed: it shows what went wrong
        if html is not None:
            ui.warn(written("board", write_board(result.campaign, args) or html))
        ladder = tuple(level.title for level in result.campaign.compiled.escalation)
    if args.json:
        ui.json(result.report)
    else:
        ui.out.print(report_table(result.report, ladder))
    if result.failures:
        return _failed(result.failures, ui)
    if not args.json:
        print("all expectations met")
    return 0


#: Suffixes of a SQLite store: a missing file so named is a missing database, not a
#: scenario id.
STORE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


def is_store_target(target: str) -> bool:
    """Whether ``target`` names a store rather than a scenario: a ``postgresql://`` URL,
    ``PATH?campaign=ID``, a file that is not YAML, or a ``.db``/``.sqlite`` path."""
    if is_postgres_url(target) or "?campaign=" in target:
        return True
    path = Path(target)
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return False
    return path.is_file() or suffix in STORE_SUFFIXES


def _checked(name: str) -> Path:
    """The scenario file ``name`` finds, after ``validate``'s checks: a scenario with
    problems is refused with every one of them at its line, as ``zyw-flow validate`` lists
    them (not only the first problem the run meets)."""
    from zyw_flow.validation import validate_file

    path = find_scenario(name)
    report = validate_file(path)
    # the scenario's own problems; its template's are the run's to report (exit 1)
    own = [
        p for p in report.errors if Path(p.file) == path and p.path != "template"
    ] if report.kind == "scenario" else []  # fmt: skip
    if own:
        raise ScenarioError([str(p) for p in own])
    return path


def _campaign_of(target: str, *, store_only: bool = False) -> tuple[Campaign, tuple[str, ...]]:
    """A stored campaign (SQLite path, ``PATH?campaign=ID`` or postgresql:// URL) or, unless
    ``store_only``, the campaign a scenario (a file or a bundled id) built, with the
    scenario's failed expectations (none for a store)."""
    if store_only or is_store_target(target):
        return Campaign.open(target), ()
    result = run_scenario(_checked(target))
    if result.campaign is None:  # pragma: no cover - a scenario always builds one
        raise ScenarioError([f"{target}: the scenario built no campaign"])
    return result.campaign, tuple(result.failures)


def _failed(failures: Sequence[str], ui: Ui) -> int:
    """List a scenario's failed expectations on stderr; the exit status (1 when any)."""
    if not failures:
        return 0
    ui.warn(f"{len(failures)} failed expectation(s) or error(s):")
    for line in failures:
        ui.warn(f"  - {line}")
    return 1


def cmd_evaluate(args: argparse.Namespace, ui: Ui) -> int:
    from zyw_flow.evaluation import (
        distribution_table,
        plot_grade_distribution,
        ranking_table,
        scorecard_rows,
        scorecard_table,
        to_csv,
    )

    # both checked before either is written
    html = check_output("--html", args.html, inputs=[args.target])
    plot = png_path("--plot", args.plot, inputs=[args.target])
    campaign, failures = _campaign_of(args.target, store_only=args.store_only)
    try:
        evaluation = campaign.evaluate(args.unit or None)
        unit_scheme = campaign.compiled.schemes.get("units")
        if html is not None:
            ui.warn(written("board", write_board(campaign, args) or html))
        if plot is not None:
            title = f"{campaign.id}: grade distribution"
            plot_grade_distribution(evaluation.distribution, plot, scheme=unit_scheme, title=title)
            ui.warn(written("grade distribution", plot))
        if args.json:
            ui.json(evaluation.to_json())
            return _failed(failures, ui)
        if args.csv:
            rows: list[dict[str, str]] = []
            for uid, card in evaluation.cards.items():
                rows.extend({"unit": uid, **r} for r in scorecard_rows(card))
            print(to_csv([{k: _cell(v) for k, v in row.items()} for row in rows]), end="")
            return _failed(failures, ui)
        if not evaluation.cards:
            ui.warn(
                f"{campaign.id}: no scores recorded yet (record them with do: score in a "
                "scenario or Campaign.record_score)"
            )
        if args.unit:  # one unit's scorecard (or each named unit's)
            for uid in args.unit:
                unit_card = evaluation.cards.get(uid)
                if unit_card is None:
                    ui.warn(f"{uid}: no scorecard")
                    continue
                subject = "persons" if unit_card.is_person else "units"
                ui.out.print(scorecard_table(unit_card, campaign.compiled.schemes.get(subject)))
            return _failed(failures, ui)
        if evaluation.ranking:
            ui.out.print(ranking_table(evaluation.ranking, unit_scheme))
        ui.out.print(distribution_table(evaluation.distribution, unit_scheme))
        if evaluation.advanced:
            ui.out.print("先进 (advanced): " + ", ".join(evaluation.advanced))
        return _failed(failures, ui)
    finally:
        campaign.close()


def _instant(text: str | None) -> dt.datetime | None:
    return None if text is None else dt.datetime.fromisoformat(text)


def report_table(report: dict[str, Any], ladder: Sequence[str] = ()) -> Table:
    """The JSON report of a run as a table (steps not yet open left out), escalation by
    its title on ``ladder`` (the campaign's escalation titles, lowest first)."""
    units: dict[str, Any] = report["units"]
    fmt = date_format(
        [
            *(_instant(st["due"]) for u in units.values() for st in u["steps"].values()),
            *(_instant(s["at"]) for u in units.values() for s in u["sanctions"]),
        ]
    )
    when = report["at"]
    table = Table(
        title=f"{report['campaign']} at {when}"
        if when is not None
        else f"{report['campaign']} (not started)"
    )
    add_text_column(table, "unit")
    add_text_column(table, "step")
    add_text_column(table, "status")
    add_date_column(table, "due", fmt)
    table.add_column("escalation", no_wrap=True)
    for uid, unit in units.items():
        first = True
        for sid, st in unit["steps"].items():
            if st["status"] == "not_open":
                continue
            table.add_row(
                f"{uid}\n[dim]{unit['phase'] or '—'}[/dim]" if first else "",
                sid,
                f"{st['status']}\nlate" if st["late"] else st["status"],
                fmt(_instant(st["due"])),
                ladder_title(ladder, int(st["escalation"] or 0)),
            )
            first = False
        for s in unit["sanctions"]:
            table.add_row(
                "" if not first else uid,
                f"sanction\n[dim]{s['sanction']}[/dim]",
                s["title"],
                fmt(_instant(s["at"])),
                "",
            )
            first = False
        if not first:
            table.add_section()
    return table


def add_replay_commands(sub: Any) -> None:
    """Add ``replay`` and ``evaluate`` to the main parser."""
    p = sub.add_parser("replay", help="run a scenario file and check its expectations")
    p.add_argument("scenario", metavar="SCENARIO")
    p.add_argument("--json", action="store_true", help="print the JSON report")
    add_html_options(p)
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("evaluate", help="scorecards, ranking and grade distribution of a campaign")
    p.add_argument("target", metavar="DB|SCENARIO", help="a stored campaign or a scenario")
    p.add_argument(
        "--unit", action="append", help="print this unit's scorecard instead (repeatable)"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON")
    group.add_argument("--csv", action="store_true", help="print every scorecard line as CSV")
    p.add_argument("--plot", metavar="FILE.png", help="draw the grade distribution")
    add_html_options(p)
    p.set_defaults(func=cmd_evaluate, store_only=False)


def _cell(value: str) -> str:
    """A CSV cell made safe for spreadsheets: text that starts like a formula is quoted
    (formula injection, docs/data-exchange.md); a number such as ``-2`` stays a number."""
    from decimal import Decimal, InvalidOperation

    from zyw_flow.exchange._sheet import neutralise

    if not isinstance(value, str):
        return value
    try:
        Decimal(value)
    except InvalidOperation:
        return neutralise(value)
    return value
