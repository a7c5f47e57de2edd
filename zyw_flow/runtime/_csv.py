"""Unit lists from CSV, in the encodings Chinese offices save them in."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TextIO

from zyw_flow._errors import EnrollmentError

__all__ = ["unit_rows"]

_COLUMNS = ("id", "name", "parent", "kind")


def unit_rows(
    source: str | Path | TextIO, *, encoding: str | None = None
) -> list[tuple[str, str | None, str | None, str]]:
    """``(id, name, parent, kind)`` rows of a CSV with a header ``id,name,parent[,kind]``.

    A file is read as UTF-8 (with or without a BOM) or, failing that, GB18030 (a superset
    of GBK); ``encoding`` names another.

    Raises:
        EnrollmentError: unreadable text, a bad header, a malformed or oversized field.
    """
    if isinstance(source, (str, Path)):
        source = io.StringIO(_decode(Path(source), encoding), newline="")
    reader = csv.DictReader(source)
    try:
        if reader.fieldnames is None or "id" not in reader.fieldnames:
            raise EnrollmentError("the CSV needs a header with at least an `id` column")
        unknown = [f for f in reader.fieldnames if f not in _COLUMNS]
        if unknown:
            raise EnrollmentError(
                f"unknown CSV column(s) {', '.join(map(repr, unknown))}; "
                "the header takes id, name, parent and kind"
            )
        return [
            (row["id"], row.get("name") or None, row.get("parent") or None,
             row.get("kind") or "unit")
            for row in reader
        ]  # fmt: skip
    except csv.Error as exc:
        raise EnrollmentError(f"the CSV cannot be read (line {reader.line_num}): {exc}") from None


def _decode(path: Path, encoding: str | None) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EnrollmentError(f"{path}: cannot read the file: {exc.strerror}") from None
    tried = [encoding] if encoding else ["utf-8-sig", "gb18030"]
    for name in tried:
        try:
            return raw.decode(name)
        except UnicodeDecodeError:
            continue
        except LookupError:
            raise EnrollmentError(f"unknown encoding {name!r}") from None
    raise EnrollmentError(
        f"{path}: not readable as {' or '.join(tried)}; give the file's encoding (encoding=…)"
    )
