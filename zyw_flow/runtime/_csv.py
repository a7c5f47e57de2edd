"""Unit lists from CSV, in the encodings Chinese offices save them in."""

from __future__ import annotations

import csv
import io
import re
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


_CELLS = re.compile(r"[,;\t\r\n]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")


def _looks_misread(cell: str) -> bool:
    """Whether a cell of a UTF-8 reading looks like GBK bytes read as UTF-8: non-ASCII
    without an ASCII letter beside it, and more than one Latin-1 sign (a lone ``·`` or
    ``é`` is taken as written)."""
    if cell.isascii() or _ASCII_LETTER.search(cell):
        return False
    wide = [ch for ch in cell if ord(ch) > 0x7F]
    return len(wide) > 1 or ord(wide[0]) > 0xFF


def _cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" or "\uff00" <= ch <= "\uffef"


def decode_bytes(raw: bytes, encoding: str | None, where: str) -> str:
    """The text of a CSV file's bytes: ``encoding`` if given; else UTF-8 (a BOM dropped)
    or GB18030 (a superset of GBK).

    Bytes that are valid as both are UTF-8 unless the UTF-8 reading has no Chinese at all,
    the GB18030 one is all Chinese and ASCII, and some cell of the UTF-8 reading is
    non-ASCII without a single ASCII letter (but for a lone Latin-1 sign such as ``·``): a
    GBK name often happens to be valid UTF-8 (鲁平 ``C2 B3 C6 BD`` reads as ``³ƽ``, 一
    ``D2 BB`` as Cyrillic ``һ``), while a Latin or pinyin name keeps its ASCII letters
    beside its accents (``José``, ``Wáng Fāng``). A one-character GBK name whose bytes read
    as one Latin-1 sign (路 ``C2 B7`` is ``·``) stays ambiguous: name the encoding.

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
    if raw.startswith(b"\xef\xbb\xbf") or text.isascii() or any(_cjk(ch) for ch in text):
        return text
    if not any(_looks_misread(cell) for cell in _CELLS.split(text)):
        return text
    try:
        gb = raw.decode("gb18030")
    except UnicodeDecodeError:
        return text
    if all(ord(ch) <= 0x7F or _cjk(ch) for ch in gb):
        return gb
    return text
