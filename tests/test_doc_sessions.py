"""The command-line sessions of the docs are run as written: every ``$ zyw-flow …`` line of
a session block (a ``text`` block of ``$`` lines with a ``$ zyw-flow campaign init``) is run in a
fresh folder, in-process, and its output compared with the lines that follow it. A
``$ cat FILE`` line writes FILE with the lines shown (the session's input file)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from zyw_flow.cli import main

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```text\n(\$ .*?)```", re.S)


def sessions() -> list[tuple[str, str]]:
    found = []
    for doc in sorted((ROOT / "docs").glob("*.md")):
        blocks = BLOCK.findall(doc.read_text(encoding="utf-8"))
        runnable = [b for b in blocks if re.search(r"^\$ zyw-flow campaign init ", b, re.M)]
        for k, block in enumerate(runnable):
            found.append((f"{doc.name}#{k + 1}", block))
    return found


def steps(block: str) -> list[tuple[str, list[str]]]:
    """``(command, expected output lines)`` in order."""
    out: list[tuple[str, list[str]]] = []
    for line in block.rstrip("\n").split("\n"):
        if line.startswith("$ "):
            out.append((line[2:], []))
        else:
            out[-1][1].append(line)
    return out


def test_the_docs_have_sessions() -> None:
    names = [name for name, _ in sessions()]
    assert any(n.startswith("persistence.md") for n in names)
    assert any(n.startswith("cli.md") for n in names)


@pytest.mark.parametrize(("name", "block"), sessions(), ids=[n for n, _ in sessions()])
def test_a_session_runs_as_written(
    name: str,
    block: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    for command, expected in steps(block):
        words = shlex.split(command, comments=True)
        if words[0] == "cat":
            Path(words[1]).write_text("\n".join(expected) + "\n", encoding="utf-8")
            continue
        assert words[0] == "zyw-flow", command
        capsys.readouterr()
        code = main(words[1:])
        got = capsys.readouterr()
        lines = (got.out + got.err).rstrip("\n").split("\n") if got.out + got.err else []
        assert (code, lines) == (0, expected), f"{name}: $ {command}"
