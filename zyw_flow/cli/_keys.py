"""``zyw-flow keygen``: an Ed25519 key pair for signing journal checkpoints."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from zyw_flow.cli._console import Ui
from zyw_flow.store import generate_keys, key_id, load_public_key

__all__ = ["add_key_commands"]


def cmd_keygen(args: argparse.Namespace, ui: Ui) -> int:
    private, public = generate_keys(args.keyfile)
    ident = key_id(load_public_key(public))
    print(f"wrote {private} (private, mode 0600) and {public} (public); key id {ident}")
    return 0


def add_key_commands(sub: Any) -> None:
    """Add ``keygen`` to the main parser."""
    q = sub.add_parser(
        "keygen",
        help="write an Ed25519 key pair (KEYFILE, private, mode 0600; KEYFILE.pub) that signs "
        "journal checkpoints",
    )
    q.add_argument("keyfile", metavar="KEYFILE", type=Path)
    q.set_defaults(func=cmd_keygen)
