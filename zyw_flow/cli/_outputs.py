"""Output files of a command (``--ics``, ``--gantt``, ``--plot``, ``--html``, ``--png``, ``-o``):
checked all together before any is written, and reported in one way.

A command that writes several files checks every destination first (its folder exists, it
is not a folder itself, it is none of the files the command reads — a campaign store with
its ``-wal``/``-shm``/``-journal`` files, a scenario, a template), so that a bad ``--gantt``
does not leave the ``--ics`` written before it behind, and ``campaign export c.db -o c.db``
does not write over the journal. A PNG option takes ``FILE.png``: a name without a suffix
gets ``.png`` (as matplotlib would add it), and the path reported is the path written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from zyw_flow.cli._args import UsageError

__all__ = ["check_output", "png_path", "written"]


#: The files SQLite keeps beside a database (write-ahead log, shared memory, rollback).
_SIDE_FILES = ("-wal", "-shm", "-journal")


def check_output(
    option: str, target: str | Path | None, *, inputs: Iterable[str | Path | None] = ()
) -> Path | None:
    """``target`` as a path, after checking that a file can be created there and that it
    is none of ``inputs`` (the files the command reads; a store with its side files).

    ``None`` and ``-`` (stdout) are passed through as ``None``.

    Raises:
        UsageError: ``--OPTION: PATH is a folder, not a file``, ``--OPTION: PATH: no
            folder PARENT`` or ``--OPTION: PATH is the file … reads``.
    """
    if target is None or str(target) == "-":
        return None
    text = str(target)
    path = Path(text)
    if text.endswith(("/", "\\")) or path.is_dir():
        raise UsageError(f"{option}: {text} is a folder, not a file")
    read = _read_by_the_command(path, inputs)
    if read is not None:
        raise UsageError(f"{option}: {text} is {read}: write to another file")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise UsageError(f"{option}: {text}: the folder {parent} {what}")
    return path


def _read_by_the_command(path: Path, inputs: Iterable[str | Path | None]) -> str | None:
    """What ``path`` is among the existing files ``inputs`` name (with a store's side
    files), or ``None``."""
    try:
        here = path.resolve()
    except OSError:  # (a loop of symbolic links: the write fails by itself)
        return None
    for given in inputs:
        if given is None:
            continue
        source = Path(str(given))
        if not source.is_file():
            continue  # a bundled id, a URL, a file not there yet: nothing to write over
        base = source.resolve()
        if here == base:
            return "a file this command reads"
        for side in _SIDE_FILES:
            if here == base.with_name(base.name + side):
                return f"the {side[1:]} file of the store {given}, which this command reads"
    return None


def png_path(
    option: str, target: str | Path | None, *, inputs: Iterable[str | Path | None] = ()
) -> Path | None:
    """A PNG destination, checked (:func:`check_output`): ``.png`` added when the name has no
    suffix; another suffix is refused (the file would not be a PNG)."""
    inputs = tuple(inputs)
    path = check_output(option, target, inputs=inputs)
    if path is None:
        return None
    if not path.suffix:
        path = path.with_name(path.name + ".png")
        return check_output(option, path, inputs=inputs)
    if path.suffix.lower() != ".png":
        raise UsageError(f"{option} writes a PNG: give FILE.png, not {str(target)!r}")
    return path


def written(what: str, path: str | Path) -> str:
    """The one line a command says for a file it wrote: ``WHAT written to PATH``."""
    return f"{what} written to {path}"
