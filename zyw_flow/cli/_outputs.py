"""Output files of a command (``--ics``, ``--gantt``, ``--plot``, ``--html``, ``--png``, ``-o``):
checked all together before any is written, and reported in one way.

A command that writes several files checks every destination first (its folder exists, it
is not a folder itself), so that a bad ``--gantt`` does not leave the ``--ics`` written
before it behind. A PNG option takes ``FILE.png``: a name without a suffix gets ``.png``
(as matplotlib would add it), and the path reported is the path written.
"""

from __future__ import annotations

from pathlib import Path

from zyw_flow.cli._args import UsageError

__all__ = ["check_output", "png_path", "written"]


def check_output(option: str, target: str | Path | None) -> Path | None:
    """``target`` as a path, after checking that a file can be created there.

    ``None`` and ``-`` (stdout) are passed through as ``None``.

    Raises:
        UsageError: ``--OPTION: PATH is a folder, not a file`` or ``--OPTION: PATH: no
            folder PARENT``.
    """
    if target is None or str(target) == "-":
        return None
    text = str(target)
    path = Path(text)
    if text.endswith(("/", "\\")) or path.is_dir():
        raise UsageError(f"{option}: {text} is a folder, not a file")
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise UsageError(f"{option}: {text}: the folder {parent} {what}")
    return path


def png_path(option: str, target: str | Path | None) -> Path | None:
    """A PNG destination, checked (:func:`check_output`): ``.png`` added when the name has no
    suffix; another suffix is refused (the file would not be a PNG)."""
    path = check_output(option, target)
    if path is None:
        return None
    if not path.suffix:
        path = path.with_name(path.name + ".png")
        return check_output(option, path)
    if path.suffix.lower() != ".png":
        raise UsageError(f"{option} writes a PNG: give FILE.png, not {str(target)!r}")
    return path


def written(what: str, path: str | Path) -> str:
    """The one line a command says for a file it wrote: ``WHAT written to PATH``."""
    return f"{what} written to {path}"
