"""Reading command-line values: ``--param NAME=VALUE`` and the instants ``--at``/``--until``.

Every bad value becomes a :class:`UsageError` whose message is one line naming the option
and the value; :func:`zyw_flow.cli.main` prints it and exits 2 (unusable input).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from zyw_flow._time import parse_at

__all__ = ["INSTANT_OPTIONS", "NOW", "UsageError", "normalise", "parse_instant", "parse_params"]

#: Options holding an instant (an ISO date or date-time, checked before anything runs).
INSTANT_OPTIONS = ("at", "until")

#: The value of an instant option that asks for the wall clock explicitly (``--at now``).
NOW = "now"


class UsageError(Exception):
    """A command-line value that cannot be used; the message is one line."""


def parse_params(pairs: Sequence[str] | None) -> dict[str, str]:
    """``["year=2015", …]`` → ``{"year": "2015", …}`` (values stay text for the template).

    Raises:
        UsageError: a pair without ``=`` or without a name.
    """
    out: dict[str, str] = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param expects NAME=VALUE, not {pair!r}")
        out[name.strip()] = value.strip()
    return out


def parse_instant(text: str | None, option: str) -> str | None:
    """Check that ``text`` is an ISO date or date-time, or :data:`NOW`; return it unchanged
    (or ``None``).

    The campaign reads it in its own time zone; this only refuses what it could never read,
    before a store is opened.

    Raises:
        UsageError: ``--OPTION: not an ISO date or date-time: 'VALUE'``.
    """
    if text is None or text == NOW:
        return text
    try:
        parse_at(text, "UTC")
    except ValueError as exc:
        raise UsageError(f"--{option}: {exc}") from None
    return text


def normalise(args: argparse.Namespace) -> None:
    """Read ``param`` into a dict and check every instant option, in place."""
    if hasattr(args, "param"):
        args.param = parse_params(args.param)
    for option in INSTANT_OPTIONS:
        if hasattr(args, option):
            setattr(args, option, parse_instant(getattr(args, option), option))
