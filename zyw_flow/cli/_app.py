"""The parser, and the one exit-code policy of the ``zyw-flow`` command line.

Exit status (docs/cli.md): ``0`` success; ``1`` a checked failure (a template with problems,
a failed expectation, a broken hash chain); ``2`` unusable input (bad usage, an unknown
template, file or scenario, a malformed scenario, a bad instant, a refused operation).
Every error the library raises on purpose (:class:`~zyw_flow.ZywFlowError`) is turned into
stderr lines here, and nowhere else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from zyw_flow._bundled import installed_version
from zyw_flow._errors import ScenarioError, TemplateError, ZywFlowError
from zyw_flow.cli._args import UsageError, normalise
from zyw_flow.cli._campaign import add_campaign_commands
from zyw_flow.cli._console import Ui
from zyw_flow.cli._keys import add_key_commands
from zyw_flow.cli._relay import add_relay_command
from zyw_flow.cli._replay import add_replay_commands
from zyw_flow.cli._simulate import add_simulate_command
from zyw_flow.cli._templates import add_template_commands

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_UNUSABLE", "build_parser", "error_lines", "main"]

EXIT_OK = 0
#: A checked failure: a template with problems, a failed expectation, a broken journal.
EXIT_FAILED = 1
#: Unusable input: bad usage or values, nothing to work on, a refused operation.
EXIT_UNUSABLE = 2

#: What an error line starts with (a template's problems are ``file:line: path: message``
#: lines, as ``validate`` prints them).
PREFIX = "zyw-flow: "

Command = Callable[[argparse.Namespace, Ui], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="zyw-flow",
        description="Run government work-style campaigns as state machines with dated gates.",
    )
    parser.add_argument("--version", action="version", version=f"zyw-flow {installed_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    add_template_commands(sub)
    add_replay_commands(sub)
    add_campaign_commands(sub)
    add_relay_command(sub)  # `campaign relay`
    add_key_commands(sub)
    add_simulate_command(sub)
    return parser


def error_lines(exc: BaseException) -> tuple[int, list[str]]:
    """The exit status and the stderr lines for an error that ended a command."""
    if isinstance(exc, TemplateError):  # a template with problems: a checked failure
        return EXIT_FAILED, [str(p) for p in exc.problems]
    if isinstance(exc, ScenarioError):  # a scenario that cannot be read: unusable input
        return EXIT_UNUSABLE, [f"{PREFIX}{p}" for p in exc.problems]
    # anything else is one line: a refusal, a bad value, a missing file …
    return EXIT_UNUSABLE, [f"{PREFIX}{exc}"]


def _chosen(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the (sub)command ``args`` were read for (``campaign finding record``)."""
    while True:
        verbs = next(
            (a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None
        )
        name = None if verbs is None else getattr(args, verbs.dest, None)
        if verbs is None or name not in verbs.choices:
            return parser
        parser = verbs.choices[name]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``zyw-flow``; returns the exit status (it never raises SystemExit)."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # said by the subcommand's parser: its usage, not the top-level one
            _chosen(parser, args).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse printed usage, or --help
        return exc.code if isinstance(exc.code, int) else EXIT_UNUSABLE
    command: Command = args.func
    try:
        normalise(args)
        return command(args, Ui())
    except BrokenPipeError:  # e.g. piped into `head`
        sys.stderr.close()
        return EXIT_OK
    except (UsageError, ZywFlowError, ValueError, TypeError, OSError) as exc:
        code, lines = error_lines(exc)
        for line in lines:
            print(line, file=sys.stderr)
        return code
