"""``templates``, ``validate``, ``schema``, ``show`` and ``diagram``: look at templates (and
the other files zyw_flow reads) without running them."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import subprocess
from pathlib import Path
from typing import Any

from rich.table import Table

from zyw_flow._errors import TemplateNotFound, ZywFlowError
from zyw_flow._files import write_bytes_whole
from zyw_flow.cli._args import UsageError
from zyw_flow.cli._console import Ui
from zyw_flow.cli._outputs import check_output, png_path, written
from zyw_flow.cli._tables import add_date_column, add_text_column, date_format
from zyw_flow.compile import CompiledCampaign, compile_campaign, mermaid
from zyw_flow.resolve import ResolvedCampaign, load_template, resolve
from zyw_flow.template import iter_template_sources
from zyw_flow.validation import KINDS, locate, schema_text, validate_file

__all__ = ["add_template_commands", "calendar_table"]

_WEEKDAYS = "一二三四五六日"


def _load(ref: str, params: dict[str, str]) -> ResolvedCampaign:
    return resolve(load_template(ref, params))


def cmd_templates(args: argparse.Namespace, ui: Ui) -> int:
    table = Table(title="Bundled and installed campaign templates")
    for col in ("id", "title", "phases", "origin"):
        add_text_column(table, col)
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


def _search_path(folders: list[str] | None) -> tuple[Path, ...]:
    """The ``--search-path`` folders, each checked to be one.

    Raises:
        UsageError: ``--search-path: DIR does not exist`` (or is not a folder).
    """
    out = []
    for folder in folders or ():
        path = Path(folder)
        if not path.is_dir():
            what = "is a file, not a folder" if path.exists() else "does not exist"
            raise UsageError(f"--search-path: {folder} {what}")
        out.append(path)
    return tuple(out)


def cmd_validate(args: argparse.Namespace, ui: Ui) -> int:
    search_path = _search_path(args.search_path)
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
        if path.is_dir():  # not a file to check: unusable input, as a missing one
            missing += 1
            ui.warn(f"{ref}: is a folder, not a file (give its files: {ref}/*.yaml)")
            continue
        report = validate_file(path, kind=args.kind, params=args.param, search_path=search_path)
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
    # every destination is checked before anything is written: no half-done outputs
    ics = check_output("--ics", args.ics, inputs=[args.template])
    gantt_to = png_path("--gantt", args.gantt, inputs=[args.template])
    resolved = _load(args.template, args.param)
    if ics is not None:
        from zyw_flow.exchange import calendar_bytes, template_calendar

        cal = template_calendar(compile_campaign(resolved))
        write_bytes_whole(ics, calendar_bytes(cal))
        ui.warn(written(f"{len(cal.walk('VEVENT'))} deadline(s)", ics))
    if gantt_to is not None:
        from zyw_flow._plots import gantt

        gantt(resolved, gantt_to)
        ui.warn(written("Gantt chart", gantt_to))
    if args.json:
        ui.json(resolved.to_json())
        return 0
    ui.out.print(calendar_table(resolved, all_instances=args.all_instances, width=ui.out.width))
    return 0


def calendar_table(
    resolved: ResolvedCampaign, *, all_instances: bool = False, width: int = 80
) -> Table:
    """The resolved calendar: each phase's window, then its steps with their opening, due
    date and weekday (``09-10 23:59 周六``) and where the working-day policy moved a date
    (``← 10-05``); a recurring step on one line with its count unless ``all_instances``.
    Readable at 80 columns (``width``, the console's): dates never wrap, ids and titles
    fold."""
    fmt = date_format(
        [
            *(d for p in resolved.phases for d in (p.start, p.end)),
            *(d for p in resolved.phases for s in p.steps for d in (s.opens, s.due)),
        ]
    )
    table = Table(title=f"{resolved.title} ({resolved.id}) — {resolved.timezone}")
    add_text_column(table, "phase / step")
    # on a narrow terminal Chinese titles wrap (6 characters a line) so that ids keep room
    add_text_column(table, "title", max_width=None if width >= 100 else 14)
    add_date_column(table, "opens", fmt)
    add_date_column(table, "due", fmt)
    add_text_column(table, "moved")

    def due(at: dt.datetime | None) -> str:
        return "—" if at is None else f"{fmt(at)} 周{_WEEKDAYS[at.weekday()]}"

    for phase in resolved.phases:
        table.add_row(
            f"[bold]{phase.id}[/bold]",
            f"[bold]{phase.title}[/bold]",
            fmt.day(phase.start),
            fmt.day(phase.end),
            "",
        )
        shown: set[str] = set()
        for step in phase.steps:
            if step.instance is not None and not all_instances:
                if step.base in shown:
                    continue
                shown.add(step.base)
                group = [s for s in phase.steps if s.base == step.base]
                dues = [s.due for s in group if s.due is not None]
                moved_n = sum(1 for s in group if s.moved)
                table.add_row(
                    step.base,
                    f"{step.title} ({len(group)} instances)",
                    fmt.day(step.opens),
                    f"{fmt.day(dues[0])}—{fmt.day(dues[-1])}" if dues else "—",
                    f"{moved_n} moved" if moved_n else "",
                )
                continue
            moved = ""
            if step.moved and step.nominal_due is not None:
                moved = f"← {fmt.day(step.nominal_due)} (non-working day)"
            after = resolved.template.step(step.base).due_after
            if after is not None:  # no deadline until the host records the trigger
                words = "working days" if after.unit == "working_days" else "days"
                moved = f"{after.amount} {words} after {after.trigger}"
            table.add_row(step.id, step.title, fmt.day(step.opens), due(step.due), moved)
        table.add_section()
    return table


def cmd_diagram(args: argparse.Namespace, ui: Ui) -> int:
    png = png_path("--png", args.png, inputs=[args.template])
    compiled = compile_campaign(_load(args.template, args.param))
    text = mermaid(compiled)
    if png is not None:
        _render_png(compiled, png)
        ui.warn(written("diagram", png))
    print(text, end="")
    return 0


_NO_DOT = "--png needs Graphviz (`dot`); install it (apt-get install graphviz)"


def _render_png(compiled: CompiledCampaign, png: Path) -> None:
    """Render the machines with Graphviz ``dot`` into ``png``.

    Raises:
        UsageError: ``dot`` is not installed, or failed (its first line of error).
    """
    dot = shutil.which("dot")
    if dot is None:
        raise UsageError(_NO_DOT)
    from zyw_flow._plots import graphviz_source

    try:
        subprocess.run(
            [dot, "-Tpng", "-o", str(png)],
            input=graphviz_source(compiled).encode(),
            check=True,
            capture_output=True,
        )
    except FileNotFoundError:
        raise UsageError(_NO_DOT) from None
    except subprocess.CalledProcessError as exc:
        said = (exc.stderr or b"").decode(errors="replace").strip().splitlines()
        why = said[0] if said else f"exit status {exc.returncode}"
        raise UsageError(f"--png: Graphviz could not write {png}: {why}") from None


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
        "--ics", metavar="FILE.ics", help="also write the deadlines as an iCalendar file"
    )
    p.add_argument(
        "--all-instances", action="store_true", help="list every instance of a recurring step"
    )
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("diagram", help="print the campaign's machines as Mermaid")
    p.add_argument("template", metavar="TEMPLATE")
    p.add_argument("--param", action="append", metavar="NAME=VALUE")
    p.add_argument("--png", metavar="FILE.png", help="also render with Graphviz")
    p.set_defaults(func=cmd_diagram)
