"""The ``zyw-flow`` command line.

Commands: ``templates``, ``validate``, ``schema``, ``show``, ``diagram``, ``replay``, ``evaluate``,
``campaign …`` (docs/cli.md). Each prints to stdout and exits 0 on success, 1 on a checked
failure (invalid template, failed expectation, broken journal) and 2 on bad usage or input
that cannot be used. ``zyw_flow.cli.main(argv)`` returns the exit status.

Layout: ``_app`` (parser, exit codes, error messages), ``_args`` (``--param`` and instants),
``_console`` (the rich consoles), ``_tables`` (columns readable at 80 columns), ``_board``
(``--html FILE``: the offline HTML board), and one module per group of commands.
"""

from __future__ import annotations

from zyw_flow.cli._app import build_parser, main

__all__ = ["build_parser", "main"]
