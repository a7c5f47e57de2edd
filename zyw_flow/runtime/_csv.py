"""Unit lists from CSV, in the encodings Chinese offices save them in."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TextIO

from zyw_flow._errors import EnrollmentError

__all__ = ["decode_bytes", "unit_rows"]

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
    return decode_bytes(raw, encoding, str(path))


def _cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def decode_bytes(raw: bytes, encoding: str | None, where: str) -> str:
    """The text of a CSV file's bytes: ``encoding`` if given; else UTF-8 (a BOM dropped)
    or GB18030 (a superset of GBK).

    Bytes that are valid as both are UTF-8 unless the UTF-8 reading has no Chinese at all
    but letters of IPA, Greek, Cyrillic, Hebrew, Arabic … (U+0250–U+07FF), where the
    GB18030 one is all Chinese and ASCII: a GBK list of short names (一, 十 …) can happen
    to be valid UTF-8 (一 is ``D2 BB``, Cyrillic һ). Latin letters and punctuation (``·``,
    pinyin ``ā``) keep a UTF-8 reading.

    Raises:
        EnrollmentError: not readable so, or an unknown encoding.
    """
    if encoding:
        try:
            return raw.decode(encoding).removeprefix("\ufeff")
        except UnicodeDecodeError:
            pass
        except LookupError:
            raise EnrollmentError(f"{where}: unknown encoding {encoding!r}") from None
        raise EnrollmentError(
            f"{where}: not readable as {encoding}; give the file's encoding (encoding=…)"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return raw.decode("gb18030")
        except UnicodeDecodeError:
            raise EnrollmentError(
                f"{where}: not readable as utf-8 or gb18030; give the file's encoding (encoding=…)"
            ) from None
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if (
        any(0x250 <= ord(ch) <= 0x7FF for ch in wide)
        and not raw.startswith(b"\xef\xbb\xbf")
        and not any(_cjk(ch) for ch in wide)
    ):
        try:
            gb = raw.decode("gb18030")
        except UnicodeDecodeError:
            return text
        if all(ord(ch) <= 0x7F or _cjk(ch) for ch in gb):
            return gb
    return text
