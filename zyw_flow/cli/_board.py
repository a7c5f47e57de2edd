"""``--html FILE [--lang zh|en]``: write the offline HTML board from any command that has a
campaign (``campaign board``, ``replay``, ``evaluate``); see docs/board.md."""

from __future__ import annotations

import argparse
from pathlib import Path

from zyw_flow.runtime import Campaign

__all__ = ["LANGS", "add_html_options", "write_board"]

#: The languages the board opens in (``write_board_html(lang=…)``).
LANGS = ("zh", "en")


def add_html_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--html FILE`` and ``--lang zh|en`` to a command's parser."""
    parser.add_argument(
        "--html", metavar="FILE", help="also write the campaign's offline HTML board to FILE"
    )
    parser.add_argument(
        "--lang",
        choices=LANGS,
        default="zh",
        help="language the HTML board opens in (Chinese titles or English ids; default zh)",
    )


def write_board(
    campaign: Campaign, args: argparse.Namespace, *, root: str | None = None
) -> Path | None:
    """Write the board when ``--html`` was given; the path written, or ``None``.

    Raises:
        UnknownUnitError: ``root`` is not enrolled.
        OSError: the file cannot be written.
    """
    if not args.html:
        return None
    from zyw_flow.board import write_board_html

    return write_board_html(campaign, args.html, root=root, lang=args.lang)
