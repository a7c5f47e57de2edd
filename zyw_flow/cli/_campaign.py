"""``zyw-flow campaign …``: operate a stored campaign (a SQLite file or a PostgreSQL URL)."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import inspect
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from rich.table import Table
from rich.tree import Tree

from zyw_flow._errors import InstantError, UnknownActorError, ZywFlowError
from zyw_flow._files import replaced, write_bytes_whole
from zyw_flow.cli._args import NOW, UsageError
from zyw_flow.cli._board import add_html_options, write_board
from zyw_flow.cli._console import Ui
from zyw_flow.cli._outputs import check_output, written
from zyw_flow.cli._replay import cmd_evaluate
from zyw_flow.cli._tables import add_date_column, add_text_column, date_format
from zyw_flow.exchange import (
    EXPORTS,
    actor_rows,
    board_sheet,
    calendar_bytes,
    campaign_calendar,
    csv_text,
    neutralise,
    unit_rows,
    write_sheet,
)
from zyw_flow.runtime import (
    COMMANDS,
    Actor,
    Board,
    Campaign,
    OverdueItem,
    UnitStatus,
    dispatch,
)
from zyw_flow.store import (
    ReceiptReport,
    VerifyReport,
    load_private_key,
    load_public_key,
    open_journal,
    parse_receipt,
    verify_receipt,
)
from zyw_flow.store._journal import public_url

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


_DAY = dt.timedelta(days=1)


def cmd_init(args: argparse.Namespace, ui: Ui) -> int:
    c = Campaign.create_stored(args.db, args.template, args.param)
    print(f"created campaign {c.id} in {public_url(str(args.db))}")
    c.close()
    return 0


def _file_rows(path: Path, encoding: str | None, sheet: str | None) -> list[int]:
    """The row number in ``path`` (its line, or its row in the sheet) of each record the list
    readers return, in order: how a message names the row a spreadsheet user sees."""
    from zyw_flow.exchange._read import read_table

    return [n for n, _ in read_table(path, encoding=encoding, sheet=sheet)[1]]


class _Rows:
    """The rows of a list, handed to a bulk call one by one, remembering which one is being
    read: a call that fails while reading a row (before asking for the next) failed on it."""

    def __init__(self, items: Sequence[Any], numbers: Sequence[int]) -> None:
        self.items = items
        self.numbers = numbers
        self.current: int | None = None
        self.done = False

    def __iter__(self) -> Iterator[Any]:
        for i, item in enumerate(self.items):
            self.current = i
            yield item
        self.done = True

    def failed_row(self) -> int | None:
        """The file's row number of the row the call failed on, or ``None`` (it failed
        after reading them all: not because of one row)."""
        if self.done or self.current is None:
            return None
        i = self.current
        return self.numbers[i] if i < len(self.numbers) else i + 1


def cmd_actors(args: argparse.Namespace, ui: Ui) -> int:
    rows = actor_rows(args.file, encoding=args.encoding, sheet=args.sheet)
    numbers = _file_rows(args.file, args.encoding, args.sheet)
    with _opened(args.db) as c:
        before = {row.id: c.actors.get(row.id) for row in rows}
        fields = _Rows(
            [{"id": r.id, "roles": r.roles, "unit": r.unit, "name": r.name} for r in rows], numbers
        )
        try:  # each row is checked as by `campaign actor`; all of them or none are recorded
            c.add_actors(fields)
        except ZywFlowError as exc:
            row = fields.failed_row()
            if row is None:
                raise
            raise UsageError(f"{args.file}: row {row}: {_cli_words(str(exc))}") from None
        after = c.actors
        total = len(after)
    changed = sum(1 for aid, was in before.items() if was is not None and was != after[aid])
    replaced = f" ({changed} with other roles or unit than before)" if changed else ""
    print(f"registered {len(rows)} actor(s) from {args.file}{replaced}; {total} in the campaign")
    return 0


def _cli_words(message: str) -> str:
    """A runtime message in the command line's words: the API method it names becomes the
    ``campaign`` verb that does the same."""
    return message.replace(
        "is not registered (add_actor)",
        "is not registered (register it: zyw-flow campaign actor DB ACTOR --role ROLE)",
    )


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
    source = args.csv or args.xlsx
    with _opened_at(args.db, args.at, default_now=False) as (c, at):
        # CSV in UTF-8, GBK/GB18030 or --encoding, or a workbook; English or Chinese headers
        rows = unit_rows(source, encoding=args.encoding, sheet=args.sheet)
        numbers = _file_rows(source, args.encoding, args.sheet)
        batch = max(1, args.batch)
        done = 0
        with ui.progress() as progress:
            task = progress.add_task("enrolling", total=len(rows))
            for start in range(0, len(rows), batch):
                chunk = _Rows(rows[start : start + batch], numbers[start : start + batch])
                try:
                    c.enroll_many(chunk, at=at)
                except ZywFlowError as exc:
                    row = chunk.failed_row()
                    if row is None and not done:
                        raise
                    where = f"{source}: row {row}: " if row is not None else f"{source}: "
                    kept = (
                        f" ({done} unit(s) of earlier batches were enrolled: rows up to "
                        f"{numbers[start - 1]}; nothing from row {numbers[start]} on)"
                        if done
                        else " (nothing was enrolled)"
                    )
                    raise UsageError(f"{where}{exc}{kept}") from None
                done += len(chunk.items)
                progress.advance(task, len(chunk.items))
        print(f"enrolled {len(rows)} unit(s); {len(c)} in the campaign")
    return 0


#: How the command table's verbs are said on the command line, where not as themselves
#: (``set_deadline`` → ``set-deadline``): a finding is recorded and verified as a group
#: (``campaign verify`` checks the journal).
_CLI_WORDS: Mapping[str, tuple[str, ...]] = {
    "finding": ("finding", "record"),
    "verify": ("finding", "verify"),
}

#: What each verb does, for ``--help`` (the table's Chinese title is added).
_HELP: Mapping[str, str] = {
    "submit": "submit a unit's step",
    "accept": "accept a submitted step",
    "return": "send a submitted step back with a reason",
    "waive": "waive a step for a unit",
    "finding": "record a finding; it opens a rectification step",
    "verify": "verify the rectification of a finding",
    "sanction": "issue a sanction from the template's ladder",
    "score": "record a score of an indicator",
    "deduction": "record points deducted from a unit",
    "case": "record a violation, accident or veto case",
    "finalize": "make a round's grades final and fire their consequences",
    "request_extension": "ask for a later deadline",
    "approve_extension": "approve a pending extension request (each approver in turn)",
    "refuse_extension": "refuse a pending extension request",
    "set_deadline": "set a unit's deadline for a step",
    "record_trigger": "record a trigger for a unit: the steps due after it get their deadline",
    "void": "void a recorded action, by its idempotency key or --seq",
    "transfer": "hand a unit's step over to another unit",
    "assign_group": "put units in a group, or take them out (--remove)",
    "revoke_actor": "revoke an actor: they may no longer act",
    "complaint": "register a complaint against a unit",
    "assign_complaint": "hand a complaint over with a reply deadline",
    "reply_complaint": "reply to a complaint (--substantiated or --no-substantiated)",
    "callback": "record the complainant's satisfaction on callback",
    "close_complaint": "close a complaint",
    "act_on_complaint": "follow a substantiated complaint up with a finding or a sanction",
    "open_case": "open an accountability case",
    "notify_case": "notify the unit or person of a case's facts",
    "statement": "record the statement of the unit or person in a case",
    "decide_case": "decide a case (its sanctions)",
    "publish_case": "publish a decided case",
    "survey": "record a rater group's survey result for a unit (--counts good=28;poor=5, or "
    "one --answer)",
}


def _action_verbs() -> tuple[tuple[tuple[str, ...], str, str], ...]:
    out = []
    for verb, command in COMMANDS.items():
        if verb == "enroll":  # enrolment has its list verb, `campaign enroll --csv|--xlsx`
            continue
        words = _CLI_WORDS.get(verb, (verb.replace("_", "-"),))
        what = _HELP.get(verb, command.method.replace("_", " "))
        out.append((words, verb, f"{what} ({command.title})" if command.title else what))
    return tuple(out)


#: The ``campaign`` verbs that record an action: CLI words → the command table's verb, one
#: for every verb of the table (the API, scenarios and the testing kit use the same one; no
#: dispatcher of their own), with its fields read off the table.
ACTION_VERBS: tuple[tuple[tuple[str, ...], str, str], ...] = _action_verbs()

#: How a field is read from the command line, by the annotation of the method's parameter:
#: whole numbers, several values (``assign-group DB GROUP UNIT…``), yes/no
#: (``--substantiated`` / ``--no-substantiated``), else text (scores and points stay text:
#: exact decimals, read by the campaign).
FieldKind = Literal["bool", "int", "list", "text"]


def _field_kind(method: Any, name: str) -> FieldKind:
    parameter = inspect.signature(method).parameters.get(name)
    note = "" if parameter is None else str(parameter.annotation)
    if note.startswith("bool"):
        return "bool"
    if note.startswith("int"):
        return "int"
    if note.startswith(("Iterable[", "Sequence[", "list[")):
        return "list"
    return "text"


#: How a positional field is shown in usage lines, per command-table verb.
_METAVARS = {
    ("verify", "step"): "FINDING",
    ("void", "target_key"): "KEY",
    ("revoke_actor", "actor_id"): "ACTOR",
}

_FIELD_HELP = {
    "actor": "the actor recording it",
    "evidence": "what was handed in (a file name, a link …)",
    "reason": "why",
    "source": "where the finding came from (default: inspection)",
    "days": "working days to rectify (default: the template's)",
    "person": "the person concerned",
    "rectify_days": "also order rectification within this many working days",
    "period": "the scoring period",
    "rater_group": "the rater group",
    "rater": "the rater",
    "round": "the evaluation round",
    "note": "a note",
    "until": "the new deadline (ISO date: the end of that day; or a date-time)",
    "to": "the unit it goes to",
    "seq": "the event number of the action to void (instead of its KEY)",
    "remove": "take the units out of the group",
    "substantiated": "whether the complaint was found true",
    "suspend": "suspend the person while the case runs",
    "finding": "also record a finding (default: yes)",
}


@contextmanager
def _opened_at(
    db: str, at: str | None, option: str = "at", *, default_now: bool = True
) -> Iterator[tuple[Campaign, str | dt.datetime | None]]:
    """The campaign at ``db`` and the instant to act at (``--at`` or ``--until``).

    An ISO instant is passed on as given (the campaign reads it in its time zone). Without
    the option the wall clock is used (``default_now``; else ``None``), and the campaign
    refuses it beyond its accepted range of instants (a 2011 campaign is never moved to
    today by accident). ``now`` is the wall clock on purpose: the campaign is opened with
    its range around it, so the clock may move there.
    """
    if at == NOW:
        now = _now()
        c = Campaign.open(db, horizon=(now - _DAY, now + _DAY))
        instant: str | dt.datetime | None = now
    else:
        c = Campaign.open(db)
        instant = at if at is not None else _now() if default_now else None
    try:
        yield c, instant
    except InstantError as exc:
        if at is None:  # the wall clock by default: say how to give another instant
            raise UsageError(
                f"{exc}; give --{option} ISO-INSTANT, or --{option} now to move the campaign's "
                "clock to the wall clock anyway"
            ) from None
        raise
    finally:
        c.close()


def cmd_action(args: argparse.Namespace, ui: Ui) -> int:
    command = COMMANDS[args.action]
    fields: dict[str, Any] = {
        name: getattr(args, name, None) for name in (*command.required, *command.optional)
    }
    fields["key"] = args.key
    with _opened_at(args.db, args.at) as (c, at):
        fields["at"] = at
        try:  # the same command table as scenarios and the kit
            ev = dispatch(c, args.action, fields)
        except UnknownActorError as exc:  # said in the command line's words
            raise UsageError(_cli_words(str(exc))) from None
    if isinstance(ev, Actor):  # revoke_actor answers with the actor
        print(f"actor {ev.id} revoked")
        return 0
    note = " (duplicate, already recorded)" if ev.duplicate else ""
    what = " ".join(x for x in (ev.unit, ev.step) if x)
    print(f"#{ev.seq} {ev.type} {what} at {ev.at.isoformat()}{note}")
    return 0


def _add_action(parent: Any, words: tuple[str, ...], verb: str, help_text: str) -> None:
    """A parser for one recorded action, its arguments read off the command table (and how
    each is read off the method's signature)."""
    command = COMMANDS[verb]
    method = getattr(Campaign, command.method)
    q = parent.add_parser(words[-1], help=help_text, description=f"{help_text}.")
    q.add_argument("db", metavar="DB")
    for name in command.positional:
        kind = _field_kind(method, name)
        q.add_argument(
            name,
            metavar=_METAVARS.get((verb, name), name.upper()),
            type=int if kind == "int" else str,
            nargs="+" if kind == "list" else "?" if name in command.optional else None,
        )
    for name in (*command.required, *command.optional):
        if name in command.positional:
            continue
        option = f"--{name.replace('_', '-')}"
        kind = _field_kind(method, name)
        if kind == "bool":  # --x / --no-x; neither: the method's default
            q.add_argument(
                option,
                dest=name,
                action=argparse.BooleanOptionalAction,
                default=None,
                required=name in command.required,
                help=_FIELD_HELP.get(name),
            )
            continue
        q.add_argument(
            option,
            dest=name,
            required=name in command.required,
            type=int if kind == "int" else str,
            nargs="+" if kind == "list" else None,
            help=_FIELD_HELP.get(name),
        )
    q.add_argument(
        "--at",
        help="instant (ISO, read in the campaign's time zone; `now`: the wall clock, even past "
        "the campaign's end; default: the wall clock within the campaign's range)",
    )
    if "key" in inspect.signature(method).parameters:
        q.add_argument("--key", help="idempotency key (the same key again records nothing new)")
    q.set_defaults(func=cmd_action, action=verb, key=None)


def add_action_commands(cs: Any) -> None:
    """Add every :data:`ACTION_VERBS` verb (``finding record|verify`` as a group)."""
    groups: dict[str, Any] = {}
    for words, verb, help_text in ACTION_VERBS:
        parent = cs
        if len(words) > 1:
            if words[0] not in groups:
                subs = " or ".join(w[-1] for w, *_ in ACTION_VERBS if w[0] == words[0])
                g = cs.add_parser(words[0], help=f"{subs} a {words[0]}")
                groups[words[0]] = g.add_subparsers(dest=f"{words[0]}_command", required=True)
            parent = groups[words[0]]
        _add_action(parent, words, verb, help_text)


def cmd_tick(args: argparse.Namespace, ui: Ui) -> int:
    with _opened_at(args.db, args.until, "until") as (c, until):
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
    check_output("--html", args.html, inputs=[args.db])
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


#: The format a suffix of ``-o FILE`` says.
_SUFFIX_FORMATS: Mapping[str, str] = {".json": "json", ".csv": "csv", ".xlsx": "xlsx"}


def _export_format(
    output: Path | None, given: str | None, allowed: Sequence[str], what: str
) -> str:
    """The format of an export: ``--format``, else ``-o``'s suffix, else the first allowed;
    a ``--format`` the suffix contradicts, or a format ``--what`` cannot be, is refused."""
    by_suffix = None if output is None else _SUFFIX_FORMATS.get(output.suffix.lower())
    fmt = given or by_suffix or allowed[0]
    if by_suffix is not None and by_suffix != fmt:
        raise UsageError(
            f"-o {output}: the suffix says {by_suffix}, --format says {fmt}; make them agree"
        )
    if fmt not in allowed:
        said = f" (-o {output})" if output is not None and given is None else ""
        also = "; the tables (--what board …) also xlsx" if what == "state" else ""
        raise UsageError(f"--what {what} exports {' or '.join(allowed)}, not {fmt}{said}{also}")
    return fmt


def cmd_export(args: argparse.Namespace, ui: Ui) -> int:
    output = check_output("-o", args.output, inputs=[args.db])
    if args.what != "state":
        return _export_sheet(args, output, ui)
    if args.root is not None:
        raise UsageError("--root goes with --what board (the state export is the whole campaign)")
    fmt = _export_format(output, args.format, ("json", "csv"), "state")
    with _opened(args.db) as c:
        if output is None:
            _export(c, fmt, sys.stdout, ui)
            return 0
        with replaced(output) as tmp, open(tmp, "w", encoding="utf-8", newline="") as out:
            _export(c, fmt, out, ui)
        n = len(c)
    print(written(f"state of {n} unit(s) ({fmt.upper()})", output))
    return 0


def _export_sheet(args: argparse.Namespace, output: Path | None, ui: Ui) -> int:
    """``--what board|overdue|scorecards|ranking``: a table with Chinese headers, as CSV
    (UTF-8 with a BOM; stdout without ``-o``) or ``.xlsx``; formula-like text neutralised."""
    fmt = _export_format(output, args.format, ("csv", "xlsx"), args.what)
    if fmt == "xlsx" and output is None:
        raise UsageError("an .xlsx export needs a file: -o FILE.xlsx")
    if args.root is not None and args.what != "board":
        raise UsageError("--root goes with --what board")
    with _opened(args.db) as c:
        sheet = board_sheet(c, args.root) if args.what == "board" else EXPORTS[args.what](c)
    if output is None:
        sys.stdout.write(csv_text(sheet))
        return 0
    path = write_sheet(sheet, output, fmt)
    print(written(f"{len(sheet.rows)} row(s) of {sheet.name}", path))
    return 0


def cmd_ics(args: argparse.Namespace, ui: Ui) -> int:
    target = check_output("-o", args.output, inputs=[args.db])
    with _opened(args.db) as c:
        cal = campaign_calendar(c, args.unit)
    data = calendar_bytes(cal)
    if target is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    write_bytes_whole(target, data)
    print(written(f"{len(cal.walk('VEVENT'))} deadline(s)", target))
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
                        neutralise(st.unit),  # ids come from the host: never a formula
                        st.phase or "",
                        neutralise(s.step),
                        s.status,
                        s.due.isoformat() if s.due else "",
                        "true" if s.late else "false",
                        s.completed_at.isoformat() if s.completed_at else "",
                        s.escalation,
                        neutralise(s.escalation_title or ""),
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
            ui.warn(f"{public_url(str(args.db))}: holds no campaign")
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
    """One line per campaign: the store's key (what ``?campaign=`` names), a tab, and the
    campaign's own id (its template's)."""
    journal = open_journal(args.db, create=False, read_only=True, choose=False)
    try:
        for key in journal.campaigns():
            journal.retarget(key)
            print(f"{key}\t{journal.read_meta().get('campaign_id', '')}")
    finally:
        journal.close()
    return 0


def _add_list_options(q: Any) -> None:
    q.add_argument(
        "--encoding", help="a CSV's encoding (default: UTF-8 with or without BOM, else GB18030/GBK)"
    )
    q.add_argument("--sheet", help="a workbook's sheet (default: the first)")


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

    q = cs.add_parser(
        "actors",
        help="register the actors of a list (CSV or .xlsx; header id,roles[,unit][,name] or "
        "编号,角色,单位,姓名)",
    )
    q.add_argument("db", metavar="DB")
    q.add_argument("file", metavar="FILE", type=Path, help="FILE.csv or FILE.xlsx")
    _add_list_options(q)
    q.set_defaults(func=cmd_actors)

    q = cs.add_parser(
        "enroll",
        help="enroll units from CSV or .xlsx (header id,name,parent[,kind] or 编号,名称,上级,类型)",
    )
    q.add_argument("db", metavar="DB")
    source = q.add_mutually_exclusive_group(required=True)
    source.add_argument("--csv", type=Path, metavar="FILE.csv")
    source.add_argument("--xlsx", type=Path, metavar="FILE.xlsx")
    q.add_argument("--at", help="enrollment instant (ISO, or `now`; default: the campaign clock)")
    q.add_argument("--batch", type=int, default=10_000, help="units per transaction")
    _add_list_options(q)
    q.set_defaults(func=cmd_enroll)

    add_action_commands(cs)

    q = cs.add_parser(
        "evaluate",
        help="scorecards, ranking and grade distribution (as `zyw-flow evaluate DB`); "
        "`campaign finalize` makes them final",
    )
    q.add_argument("target", metavar="DB")
    q.add_argument("--unit", action="append", help="print this unit's scorecard (repeatable)")
    group = q.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON")
    group.add_argument("--csv", action="store_true", help="print every scorecard line as CSV")
    q.add_argument("--plot", metavar="FILE.png", help="draw the grade distribution")
    add_html_options(q)
    q.set_defaults(func=cmd_evaluate, store_only=True)

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

    q = cs.add_parser(
        "export",
        help="the state as JSON (the replay --json contract) or CSV; with --what, the board, "
        "the overdue list, the scorecards or the ranking as CSV or .xlsx (Chinese headers)",
    )
    q.add_argument("db", metavar="DB")
    q.add_argument(
        "--what",
        choices=("state", *EXPORTS),
        default="state",
        help="what to export (default: state)",
    )
    q.add_argument(
        "--format",
        choices=("json", "csv", "xlsx"),
        help="default: from -o's suffix; else JSON for the state, CSV for a table",
    )
    q.add_argument("--output", "-o", help="file (default: stdout)")
    q.add_argument("--root", help="--what board: only this unit and everything under it")
    q.set_defaults(func=cmd_export)

    q = cs.add_parser(
        "ics",
        help="deadlines as an iCalendar file: the campaign's, or with --unit that unit's "
        "current ones",
    )
    q.add_argument("db", metavar="DB")
    q.add_argument("--unit", help="one unit's deadlines and statuses")
    q.add_argument("--output", "-o", metavar="FILE.ics", help="file (default: stdout)")
    q.set_defaults(func=cmd_ics)

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
