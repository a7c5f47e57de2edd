"""Files written whole or not at all.

Every file the library writes (an export, a report, a chart, a calendar) is first written
beside its destination under a temporary name and then moved over it in one step
(:func:`os.replace`), so that a write that fails midway — a full disk, an interrupted
export, an error while rendering — leaves the destination as it was: absent, or the
previous complete file. Never a truncated one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["replaced", "write_bytes_whole", "write_text_whole"]


@contextmanager
def replaced(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path in ``path``'s folder to write to; moved onto ``path`` when the block
    ends without an error, removed when it raises.

    Example:
        >>> import pathlib, tempfile
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> with replaced(target) as tmp:
        ...     _ = tmp.write_text("whole")
        >>> target.read_text()
        'whole'
    """
    target = Path(path)
    # not created yet; the suffix kept, for writers that read the format from it (matplotlib)
    tmp = target.with_name(f".{target.stem}.{secrets.token_hex(6)}.part{target.suffix}")
    try:
        yield tmp
        if target.exists():  # a file written over keeps its mode, as an in-place write would
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_whole(path: str | os.PathLike[str], data: bytes) -> None:
    """``Path(path).write_bytes(data)``, whole or not at all."""
    with replaced(path) as tmp:
        tmp.write_bytes(data)


def write_text_whole(
    path: str | os.PathLike[str], text: str, encoding: str = "utf-8", newline: str | None = None
) -> None:
    """``Path(path).write_text(text)``, whole or not at all."""
    with replaced(path) as tmp, open(tmp, "w", encoding=encoding, newline=newline) as f:
        f.write(text)
