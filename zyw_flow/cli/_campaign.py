"""``zyw-flow campaign …``: operate a stored campaign (a SQLite file or a PostgreSQL URL)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.table import Table
from rich.tree import Tree

from zyw_flow.cli._args import UsageError
from zyw_flow.cli._board import add_html_options, write_board
from zyw_flow.cli._console import Ui
from zyw_flow.cli._tables import add_date_column, add_text_column, date_format
from zyw_flow.runtime import Board, Campaign, OverdueItem, UnitStatus, dispatch, unit_rows
from zyw_flow.store import (
    ReceiptReport,
    VerifyReport,
    list_campaigns,
    load_private_key,
    load_public_key,
    open_journal,
    parse_receipt,
    verify_receipt,
)

__all__ = ["add_campaign_commands", "board_tree", "overdue_table", "unit_status_table"]


@contextmanager
def _opened(db: str) -> Iterator[Campaign]:
    """The stored campaign at ``db``, closed afterwards (also when a call is refused)."""
    c = Campaign.open(db)
    try:
        yield c
    finally:
        c.close()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)  # the CLI is a host program: it may read the clock


def cmd_init(args: argparse.Namespace, ui: Ui) -> int:
    c = Campaign.create_stored(args.db, args.template, args.param)
    print(f"created campaign {c.id} in {args.db}")
    c.close()
    return 0


def cmd_actor(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        before = c.actors.get(args.actor)
        actor = c.add_actor(args.actor, args.role, unit=args.unit, name=args.name)
    print(
        f"actor {actor.id}: roles {', '.join(sorted(actor.roles))}"
        + (f", unit {actor.unit}" if actor.unit else "")
        + (
            f" (replaces roles {', '.join(sorted(before.roles))}"
            + (f", unit {before.unit}" if before.unit else "")
            + ")"
            if before is not None and before != actor
            else ""
        )
    )
    return 0


def cmd_enroll(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        rows = unit_rows(args.csv, encoding=args.encoding)  # UTF-8, GBK/GB18030 or --encoding
        batch = max(1, args.batch)
        with ui.progress() as progress:
            task = progress.add_task("enrolling", total=len(rows))
            for start in range(0, len(rows), batch):
                chunk = rows[start : start + batch]
                c.enroll_many(chunk, at=args.at)
                progress.advance(task, len(chunk))
        print(f"enrolled {len(rows)} unit(s); {len(c)} in the campaign")
    return 0


def cmd_action(args: argparse.Namespace, ui: Ui) -> int:
    verb = args.action
    fields = {
        "unit": args.unit,
        "step": args.step,
        "actor": args.actor,
        "at": args.at or _now(),
        "key": args.key,
        "evidence": getattr(args, "evidence", None),
        "reason": (args.reason or "") if verb == "return" else getattr(args, "reason", None),
    }
    with _opened(args.db) as c:
        ev = dispatch(c, verb, fields)  # the same command table as scenarios and the kit
    note = " (duplicate, already recorded)" if ev.duplicate else ""
    print(f"#{ev.seq} {ev.type} {ev.unit} {ev.step} at {ev.at.isoformat()}{note}")
    return 0


def cmd_tick(args: argparse.Namespace, ui: Ui) -> int:
    until = args.until or _now()
    with _opened(args.db) as c:
        with ui.err.status("ticking…"):
            events = c.tick(until)
        counts: dict[str, int] = {}
        for e in events:
            counts[e.type] = counts.get(e.type, 0) + 1
        summary = ", ".join(f"{n} {t}" for t, n in sorted(counts.items())) or "nothing due"
        print(f"ticked to {c.now.isoformat() if c.now else until}: {summary}")
    return 0


def cmd_status(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        if args.unit:
            _unit_status(c, args, ui)
            return 0
        snap = {
            "campaign": c.id,
            "at": c.now.isoformat() if c.now else None,
            "phase": c.phase,
            "units": len(c),
            "events": c.cursor,
        }
    if args.json:
        ui.json(snap)
        return 0
    labels = {"at": "not started (no tick or action yet)", "phase": "before the first phase"}
    for k, v in snap.items():
        ui.out.print(f"{k}: {labels.get(k, '—') if v is None else v}")
    return 0


def _unit_status(c: Campaign, args: argparse.Namespace, ui: Ui) -> None:
    st = c.unit_status(args.unit)
    if args.json:
        out = st.to_json()
        for sid, step in st.steps.items():
            out["steps"][sid]["escalation_title"] = step.escalation_title
        ui.json(out)
        return
    ui.out.print(unit_status_table(st))
    for sanction in st.sanctions:
        ui.out.print(f"sanction: {sanction['title']} ({sanction['sanction']}) at {sanction['at']}")
    for r in st.restrictions:
        ui.out.print(f"restriction: {r}")


def unit_status_table(st: UnitStatus) -> Table:
    """One unit's steps: id and title, status (and ``late``), due, escalation by title,
    completion; readable at 80 columns (docs/cli.md)."""
    steps = list(st.steps.values())
    fmt = date_format([*(s.due for s in steps), *(s.completed_at for s in steps)])
    table = Table(title=f"{st.unit} {st.name or ''} — phase {st.phase or '—'}")
    add_text_column(table, "step")
    add_text_column(table, "status")
    add_date_column(table, "due", fmt)
    table.add_column("escalation", no_wrap=True)
    add_date_column(table, "completed", fmt)
    for s in steps:
        table.add_row(
            f"{s.step}\n[dim]{s.title}[/dim]" if s.title else s.step,
            f"{s.status}\nlate" if s.late else s.status,
            fmt(s.due),
            s.escalation_title or "",
            fmt(s.completed_at, ""),
        )
    return table


def cmd_board(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        board = c.board(args.root)
        campaign_id = c.id
        written = write_board(c, args, root=args.root)
    if args.json:
        ui.json(board.to_json())
    elif written is None:
        ui.out.print(board_tree(board, campaign_id, args.depth))
    if written is not None:
        if args.json:
            ui.warn(f"board written to {written}")
        else:
            print(written)
    return 0


def board_tree(board: Board, campaign_id: str, depth: int = 3) -> Tree:
    """The rolled-up board as a tree of ``depth`` levels: units, phases, step statuses."""

    def label(b: Board) -> str:
        statuses = " ".join(f"{k}={v}" for k, v in b.statuses.items())
        phases = " ".join(f"{k}={v}" for k, v in b.phases.items())
        head = f"[bold]{b.unit or campaign_id}[/bold] {b.name or ''}"
        return f"{head} — {b.units} unit(s); {phases}; {statuses}"

    tree = Tree(label(board))

    def grow(node: Tree, b: Board, level: int) -> None:
        for child in b.children:
            if level < depth:
                grow(node.add(label(child)), child, level + 1)

    grow(tree, board, 1)
    return tree


def cmd_overdue(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        items = c.overdue()
        now = c.now
    if args.json:
        ui.json(
            [
                {
                    "unit": o.unit,
                    "step": o.step,
                    "due": o.due.isoformat(),
                    "escalation": o.escalation,
                    "escalation_title": o.escalation_title,
                }
                for o in items
            ]
        )
        return 0
    ui.out.print(overdue_table(items, now))
    return 0


def overdue_table(items: list[OverdueItem], now: dt.datetime | None) -> Table:
    """Every overdue step with its due date and escalation by title."""
    fmt = date_format(o.due for o in items)
    table = Table(title=f"{len(items)} overdue step(s) at {now.isoformat() if now else '—'}")
    add_text_column(table, "unit")
    add_text_column(table, "step")
    add_date_column(table, "due", fmt)
    table.add_column("escalation", no_wrap=True)
    for o in items:
        table.add_row(o.unit, o.step, fmt(o.due), o.escalation_title or "")
    return table


def cmd_export(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        if args.output in (None, "-"):
            _export(c, args.format, sys.stdout, ui)
        else:
            with open(args.output, "w", encoding="utf-8", newline="") as out:
                _export(c, args.format, out, ui)
    return 0


def _export(c: Campaign, fmt: str, out: Any, ui: Ui) -> None:
    if fmt == "json":
        json.dump(c.report(), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return
    writer = csv.writer(out)
    writer.writerow(
        [
            "unit",
            "phase",
            "step",
            "status",
            "due",
            "late",
            "completed_at",
            "escalation",
            "escalation_title",
        ]
    )
    with ui.progress() as progress:
        task = progress.add_task("exporting", total=len(c))
        for st in c.iter_units():
            for s in st.steps.values():
                writer.writerow(
                    [
                        st.unit,
                        st.phase or "",
                        s.step,
                        s.status,
                        s.due.isoformat() if s.due else "",
                        "true" if s.late else "false",
                        s.completed_at.isoformat() if s.completed_at else "",
                        s.escalation,
                        s.escalation_title or "",
                    ]
                )
            progress.advance(task)


def cmd_verify(args: argparse.Namespace, ui: Ui) -> int:
    if (args.receipt is None) != (args.public_key is None):
        raise UsageError("--receipt and --public-key go together")
    receipt = None if args.receipt is None else parse_receipt(args.receipt.read_bytes())
    public = None if args.public_key is None else load_public_key(args.public_key)
    journal = open_journal(args.db, create=False, read_only=True)
    try:
        if not journal.read_meta():
            ui.warn(f"{args.db}: holds no campaign")
            return 2
        report: VerifyReport | ReceiptReport
        if receipt is not None and public is not None:
            report = verify_receipt(journal, receipt, public)
        else:
            report = journal.verify()
    finally:
        journal.close()
    print(str(report))
    return 0 if report.ok else 1


def cmd_checkpoint(args: argparse.Namespace, ui: Ui) -> int:
    key = load_private_key(args.signing_key)
    journal = open_journal(args.db, create=False)
    try:
        receipt = journal.checkpoint(key)
    finally:
        journal.close()
    print(json.dumps(receipt.to_json(), ensure_ascii=False, indent=2))
    return 0


def cmd_snapshot(args: argparse.Namespace, ui: Ui) -> int:
    with _opened(args.db) as c:
        seq = c.save_snapshot()
    print(f"snapshot saved after row {seq}")
    return 0


def cmd_list(args: argparse.Namespace, ui: Ui) -> int:
    for cid in list_campaigns(args.db):
        print(cid)
    return 0


def add_campaign_commands(sub: Any) -> None:
    """Add ``campaign`` and its subcommands to the main parser."""
    p = sub.add_parser(
        "campaign", help="operate a stored campaign (SQLite path or postgresql:// URL)"
    )
    cs = p.add_subparsers(dest="campaign_command", required=True)

    q = cs.add_parser("init", help="create a campaign in DB from TEMPLATE")
    q.add_argument("db", metavar="DB")
    q.add_argument("template", metavar="TEMPLATE")
    q.add_argument("--param", action="append", metavar="NAME=VALUE")
    q.set_defaults(func=cmd_init)

    q = cs.add_parser("actor", help="register an actor and their roles")
    q.add_argument("db", metavar="DB")
    q.add_argument("actor", metavar="ACTOR")
    q.add_argument("--role", action="append", required=True, help="a role id (repeatable)")
    q.add_argument("--unit", help="the unit a member acts for")
    q.add_argument("--name")
    q.set_defaults(func=cmd_actor)

    q = cs.add_parser("list", help="the campaigns a store holds, one id a line")
    q.add_argument("db", metavar="DB")
    q.set_defaults(func=cmd_list)

    q = cs.add_parser("enroll", help="enroll units from CSV (header id,name,parent[,kind])")
    q.add_argument("db", metavar="DB")
    q.add_argument("--csv", required=True, type=Path)
    q.add_argument("--at", help="enrollment instant (ISO)")
    q.add_argument("--batch", type=int, default=10_000, help="units per transaction")
    q.add_argument("--encoding", help="the CSV's encoding (default: UTF-8, else GB18030/GBK)")
    q.set_defaults(func=cmd_enroll)

    for verb in ("submit", "accept", "return", "waive"):
        q = cs.add_parser(verb, help=f"{verb} a unit's step")
        q.add_argument("db", metavar="DB")
        q.add_argument("unit", metavar="UNIT")
        q.add_argument("step", metavar="STEP")
        q.add_argument("--actor", required=True)
        q.add_argument("--at", help="instant (ISO; default: now)")
        q.add_argument("--key", help="idempotency key")
        if verb == "submit":
            q.add_argument("--evidence")
        if verb in ("return", "waive"):
            q.add_argument("--reason", required=verb == "return")
        q.set_defaults(func=cmd_action, action=verb, evidence=None, reason=None)

    q = cs.add_parser("tick", help="fire time-driven transitions up to --until (default: now)")
    q.add_argument("db", metavar="DB")
    q.add_argument("--until")
    q.set_defaults(func=cmd_tick)

    q = cs.add_parser("status", help="the campaign, or one unit's steps")
    q.add_argument("db", metavar="DB")
    q.add_argument("unit", metavar="UNIT", nargs="?")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_status)

    q = cs.add_parser(
        "board", help="counts by phase and status, rolled up the unit tree; --html: the HTML board"
    )
    q.add_argument("db", metavar="DB")
    q.add_argument("--root", help="a unit id: only that unit and everything under it")
    q.add_argument("--depth", type=int, default=3)
    q.add_argument("--json", action="store_true")
    add_html_options(q)
    q.set_defaults(func=cmd_board)

    q = cs.add_parser("overdue", help="every overdue step")
    q.add_argument("db", metavar="DB")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_overdue)

    q = cs.add_parser("export", help="the state as JSON (the replay --json contract) or CSV")
    q.add_argument("db", metavar="DB")
    q.add_argument("--format", choices=("json", "csv"), default="json")
    q.add_argument("--output", "-o", help="file (default: stdout)")
    q.set_defaults(func=cmd_export)

    q = cs.add_parser(
        "verify",
        help="check the journal's hash chain (and with --receipt, that it extends the signed "
        "receipt); never writes",
    )
    q.add_argument("db", metavar="DB")
    q.add_argument("--receipt", type=Path, help="a receipt printed by `campaign checkpoint`")
    q.add_argument("--public-key", type=Path, help="the signer's public key (KEYFILE.pub)")
    q.set_defaults(func=cmd_verify)

    q = cs.add_parser(
        "checkpoint", help="sign a checkpoint of the journal, store it, print its receipt"
    )
    q.add_argument("db", metavar="DB")
    q.add_argument("--signing-key", type=Path, required=True, help="the private key (KEYFILE)")
    q.set_defaults(func=cmd_checkpoint)

    q = cs.add_parser("snapshot", help="store a snapshot so reopening replays only the tail")
    q.add_argument("db", metavar="DB")
    q.set_defaults(func=cmd_snapshot)
