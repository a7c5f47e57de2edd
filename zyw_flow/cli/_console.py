"""The CLI's output: one rich console for stdout, one for stderr (progress and status).

Tables, trees and lines of a report go through :attr:`Ui.out`; progress bars and spinners
through :attr:`Ui.err`, so that stdout stays clean when piped. JSON, CSV and one-line
messages are written with plain ``print`` so rich never wraps or styles them.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

__all__ = ["Ui"]

#: Width of tables when stdout is not a terminal (a file or a pipe).
PIPE_WIDTH = 160


def _stdout_console() -> Console:
    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(console.width, PIPE_WIDTH))
    return console


@attrs.define
class Ui:
    """What one run of the command line writes to."""

    out: Console = attrs.Factory(_stdout_console)
    err: Console = attrs.Factory(lambda: Console(stderr=True))

    def json(self, value: Any) -> None:
        """Print ``value`` as indented JSON (Chinese kept as is)."""
        print(json.dumps(value, ensure_ascii=False, indent=2))

    def warn(self, message: str) -> None:
        """One line on stderr."""
        print(message, file=sys.stderr)

    def progress(self) -> Progress:
        """A transient progress bar on stderr (none when stderr is not a terminal: a log
        keeps only the messages)."""
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=self.err,
            transient=True,
            disable=not self.err.is_terminal,
        )
