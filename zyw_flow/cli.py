"""The ``zyw-flow`` command line.

Commands: ``templates``, ``validate``, ``show``, ``diagram``, ``replay``, ``evaluate``,
``campaign …``. Each prints to
stdout and exits 0 on success, 1 on a checked failure (invalid template, failed
expectation) and 2 on bad usage or input that cannot be read.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from zyw_flow._errors import ScenarioError, TemplateError, TemplateNotFound, ZywFlowError

__all__ = ["main"]

_WEEKDAYS = "一二三四五六日"


def _params(pairs: Sequence[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name:
            print(f"zyw-flow: --param expects NAME=VALUE, not {pair!r}", file=sys.stderr)
            raise SystemExit(2)
        out[name.strip()] = value.strip()
    return out


def _console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, 160))
    return console


def _load(ref: str, params: dict[str, str]) -> Any:
    from zyw_flow.resolve import load_template, resolve

    return resolve(load_template(ref, params))


def cmd_templates(args: argparse.Namespace) -> int:
    from zyw_flow.resolve import load_template
    from zyw_flow.template import iter_template_sources

    table = Table(title="Bundled and installed campaign templates")
    for col in ("id", "title", "phases", "origin"):
        table.add_column(col)
    rows: list[dict[str, Any]] = []
    for src in iter_template_sources():
        try:
            t = load_template(src.path)
            rows.append(
                {"id": src.id, "title": t.title, "phases": len(t.phases), "origin": src.origin}
            )
        except ZywFlowError as exc:
            rows.append(
                {"id": src.id, "title": f"(invalid: {exc})", "phases": 0, "origin": src.origin}
            )
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    for r in rows:
        table.add_row(str(r["id"]), str(r["title"]), str(r["phases"]), str(r["origin"]))
    _console().print(table)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from zyw_flow.resolve import load_template, resolve

    failed = missing = 0
    params = _params(args.param)
    for ref in args.files:
        try:
            resolve(load_template(ref, params))
        except TemplateError as exc:
            failed += 1
            for p in exc.problems:
                print(str(p))
        except TemplateNotFound as exc:
            missing += 1
            print(f"{ref}: {exc}", file=sys.stderr)
        else:
            print(f"{ref}: ok")
    return 2 if missing else 1 if failed else 0


def cmd_show(args: argparse.Namespace) -> int:
    resolved = _load(args.template, _params(args.param))
    if args.gantt:
        from zyw_flow._plots import gantt

        gantt(resolved, Path(args.gantt))
    if args.json:
        print(json.dumps(resolved.to_json(), ensure_ascii=False, indent=2))
        return 0
    console = _console()
    table = Table(title=f"{resolved.title} ({resolved.id}) — {resolved.timezone}")
    for col in ("phase", "step", "title", "opens", "due", "weekday", "moved"):
        table.add_column(col)
    for phase in resolved.phases:
        table.add_row(
            f"[bold]{phase.id}[/bold]",
            "",
            f"[bold]{phase.title}[/bold]",
            phase.start.date().isoformat(),
            phase.end.date().isoformat(),
            "",
            "",
        )
        shown: set[str] = set()
        for step in phase.steps:
            if step.instance is not None and not args.all_instances:
                if step.base in shown:
                    continue
                shown.add(step.base)
                group = [s for s in phase.steps if s.base == step.base]
                dues = [s.due for s in group if s.due is not None]
                moved_n = sum(1 for s in group if s.moved)
                table.add_row(
                    "",
                    f"{step.base}@…",
                    step.title,
                    step.opens.date().isoformat(),
                    f"{len(group)} instances: {dues[0]:%Y-%m-%d} … {dues[-1]:%Y-%m-%d}"
                    if dues
                    else "—",
                    "",
                    f"{moved_n} moved" if moved_n else "",
                )
                continue
            due = step.due
            moved = ""
            if step.moved and step.nominal_due is not None:
                moved = f"← {step.nominal_due.isoformat()} (non-working day)"
            table.add_row(
                "",
                step.id,
                step.title,
                step.opens.date().isoformat(),
                "—" if due is None else due.strftime("%Y-%m-%d %H:%M"),
                "" if due is None else "周" + _WEEKDAYS[due.weekday()],
                moved,
            )
    console.print(table)
    if args.gantt:
        console.print(f"Gantt chart written to {args.gantt}")
    return 0


def cmd_diagram(args: argparse.Namespace) -> int:
    from zyw_flow.compile import compile_campaign, mermaid

    compiled = compile_campaign(_load(args.template, _params(args.param)))
    text = mermaid(compiled)
    if args.png:
        dot = shutil.which("dot")
        if dot is None:
            print(
                "zyw-flow: --png needs Graphviz (`dot`); install it (apt-get install graphviz)",
                file=sys.stderr,
            )
            return 2
        from zyw_flow._plots import graphviz_source

        subprocess.run(
            [dot, "-Tpng", "-o", args.png], input=graphviz_source(compiled).encode(), check=True
        )
        print(f"diagram written to {args.png}", file=sys.stderr)
    print(text, end="")
    return 0


def cmd_replay(args: argparse.Namespace) -> int:
    from zyw_flow.scenario import run_scenario

    try:
        result = run_scenario(args.scenario)
    except (ScenarioError, TemplateError) as exc:  # unusable input: exit 2
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.report, ensure_ascii=False, indent=2))
    else:
        _print_report(result.report)
    if result.failures:
        print(f"{len(result.failures)} failed expectation(s) or error(s):", file=sys.stderr)
        for line in result.failures:
            print(f"  - {line}", file=sys.stderr)
        return 1
    if not args.json:
        print("all expectations met")
    return 0


def _campaign_of(target: str) -> Any:
    """A stored campaign (SQLite path or postgresql:// URL) or the result of a scenario."""
    from zyw_flow.runtime import Campaign
    from zyw_flow.scenario import find_scenario, run_scenario
    from zyw_flow.store import is_postgres_url

    if is_postgres_url(target):
        return Campaign.open(target)
    path = Path(target)
    if path.suffix in (".yaml", ".yml") or not path.exists():
        result = run_scenario(find_scenario(target))
        if result.failures:
            for line in result.failures:
                print(f"  - {line}", file=sys.stderr)
        return result.campaign
    return Campaign.open(path)


def cmd_evaluate(args: argparse.Namespace) -> int:
    from zyw_flow.evaluation import (
        distribution_table,
        plot_grade_distribution,
        ranking_table,
        scorecard_rows,
        scorecard_table,
        to_csv,
    )

    campaign = _campaign_of(args.target)
    try:
        evaluation = campaign.evaluate(args.unit or None)
        unit_scheme = campaign.compiled.schemes.get("units")
        if args.plot:
            title = f"{campaign.id}: grade distribution"
            plot_grade_distribution(
                evaluation.distribution, Path(args.plot), scheme=unit_scheme, title=title
            )
            print(f"grade distribution written to {args.plot}", file=sys.stderr)
        if args.json:
            print(json.dumps(evaluation.to_json(), ensure_ascii=False, indent=2))
            return 0
        if args.csv:
            rows: list[dict[str, str]] = []
            for uid, card in evaluation.cards.items():
                rows.extend({"unit": uid, **r} for r in scorecard_rows(card))
            print(to_csv(rows), end="")
            return 0
        console = _console()
        if not evaluation.cards:
            print(
                f"{campaign.id}: no scores recorded yet (record them with do: score in a "
                "scenario or Campaign.record_score)",
                file=sys.stderr,
            )
        for card in evaluation.cards.values():
            console.print(scorecard_table(card))
        if evaluation.ranking:
            console.print(ranking_table(evaluation.ranking, unit_scheme))
        console.print(distribution_table(evaluation.distribution, unit_scheme))
        if evaluation.advanced:
            console.print("先进 (advanced): " + ", ".join(evaluation.advanced))
        return 0
    finally:
        campaign.close()


def _print_report(report: dict[str, Any]) -> None:
    console = _console()
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
    console.print(table)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="zyw-flow",
        description="Run government work-style campaigns as state machines with dated gates.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("templates", help="list bundled and installed templates")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("validate", help="check template files; print every problem")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("show", help="print a template's resolved calendar")
    p.add_argument("template", metavar="TEMPLATE", help="bundled id or file path")
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--gantt", metavar="FILE.png", help="also draw a Gantt chart")
    p.add_argument(
        "--all-instances", action="store_true", help="list every instance of a recurring step"
    )
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("diagram", help="print the campaign's machines as Mermaid")
    p.add_argument("template", metavar="TEMPLATE")
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.add_argument("--png", metavar="FILE.png", help="also render with Graphviz")
    p.set_defaults(func=cmd_diagram)

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

    from zyw_flow.store._cli import add_campaign_commands

    add_campaign_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zyw-flow``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except TemplateError as exc:  # a template with problems: a checked failure
        for p in exc.problems:
            print(str(p), file=sys.stderr)
        return 1
    except ScenarioError as exc:  # a scenario that cannot be read: unusable input
        for line in exc.problems:
            print(str(line), file=sys.stderr)
        return 2
    except ZywFlowError as exc:
        print(f"zyw-flow: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError) as exc:  # e.g. --at that is not an ISO date
        print(f"zyw-flow: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return 0
    except OSError as exc:
        print(f"zyw-flow: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
