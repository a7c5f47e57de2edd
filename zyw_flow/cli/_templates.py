"""``templates``, ``validate``, ``schema``, ``show`` and ``diagram``: look at templates (and
the other files zyw_flow reads) without running them."""

from __future__ import annotations

import argparse
import shutil
import subprocess
from pathlib import Path
from typing import Any

from rich.table import Table

from zyw_flow._errors import TemplateNotFound, ZywFlowError
from zyw_flow.cli._args import UsageError
from zyw_flow.cli._console import Ui
from zyw_flow.compile import compile_campaign, mermaid
from zyw_flow.resolve import ResolvedCampaign, load_template, resolve
from zyw_flow.template import iter_template_sources
from zyw_flow.validation import KINDS, locate, schema_text, validate_file

__all__ = ["add_template_commands"]

_WEEKDAYS = "一二三四五六日"


def _load(ref: str, params: dict[str, str]) -> ResolvedCampaign:
    return resolve(load_template(ref, params))


def cmd_templates(args: argparse.Namespace, ui: Ui) -> int:
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
        ui.json(rows)
        return 0
    for r in rows:
        table.add_row(str(r["id"]), str(r["title"]), str(r["phases"]), str(r["origin"]))
    ui.out.print(table)
    return 0


def cmd_validate(args: argparse.Namespace, ui: Ui) -> int:
    failed = missing = 0
    for ref in args.files:
        try:
            path = locate(ref)  # a file, or a bundled template, scheme or phase id
        except TemplateNotFound as exc:
            missing += 1
            ui.warn(f"{ref}: {exc}")
            continue
        if not path.exists():
            missing += 1
            ui.warn(f"{ref}: file does not exist")
            continue
        report = validate_file(
            path, kind=args.kind, params=args.param, search_path=args.search_path or ()
        )
        failed += not report.ok
        for line in report.lines():
            print(line)
    return 2 if missing else 1 if failed else 0


def cmd_schema(args: argparse.Namespace, ui: Ui) -> int:
    try:
        text = schema_text(args.kind)
    except LookupError as exc:
        raise UsageError(str(exc)) from None
    print(text, end="")
    return 0


def cmd_show(args: argparse.Namespace, ui: Ui) -> int:
    resolved = _load(args.template, args.param)
    if args.gantt:
        from zyw_flow._plots import gantt

        gantt(resolved, Path(args.gantt))
    if args.json:
        ui.json(resolved.to_json())
        return 0
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
    ui.out.print(table)
    if args.gantt:
        ui.out.print(f"Gantt chart written to {args.gantt}")
    return 0


def cmd_diagram(args: argparse.Namespace, ui: Ui) -> int:
    compiled = compile_campaign(_load(args.template, args.param))
    text = mermaid(compiled)
    if args.png:
        dot = shutil.which("dot")
        if dot is None:
            ui.warn("zyw-flow: --png needs Graphviz (`dot`); install it (apt-get install graphviz)")
            return 2
        from zyw_flow._plots import graphviz_source

        subprocess.run(
            [dot, "-Tpng", "-o", args.png], input=graphviz_source(compiled).encode(), check=True
        )
        ui.warn(f"diagram written to {args.png}")
    print(text, end="")
    return 0


def add_template_commands(sub: Any) -> None:
    """Add ``templates``, ``validate``, ``schema``, ``show`` and ``diagram`` to the parser."""
    p = sub.add_parser("templates", help="list bundled and installed templates")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser(
        "validate",
        help="check files of any kind (campaign, phase, scoring, scenario); print every problem",
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="a file, or a bundled template, scheme or phase id"
    )
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.add_argument("--kind", choices=KINDS, help="the kind of every FILE (default: recognised)")
    p.add_argument(
        "--search-path",
        action="append",
        metavar="DIR",
        help="a further folder templates may take phases/ and scoring/ files from (repeatable)",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("schema", help="print the JSON Schema of a kind of file (for editors)")
    p.add_argument("kind", choices=KINDS, metavar="KIND", help=", ".join(KINDS))
    p.set_defaults(func=cmd_schema)

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
