"""Unit lists and actor lists from CSV (UTF-8, UTF-8 with a BOM, GBK/GB18030) and ``.xlsx``.

A list is a table with a header row. Columns are known by their English id or their Chinese
title (``id`` or ``编号`` …, see :data:`UNIT_COLUMNS` and :data:`ACTOR_COLUMNS`); blank rows
are skipped; a leading ``'`` that an export put before a formula-like cell is taken off.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

from zyw_flow._errors import EnrollmentError
from zyw_flow.exchange._errors import DataFileError
from zyw_flow.exchange._sheet import FORMULA_PREFIXES
from zyw_flow.runtime._csv import decode_bytes

__all__ = [
    "ACTOR_COLUMNS",
    "UNIT_COLUMNS",
    "ActorRow",
    "actor_rows",
    "decode",
    "read_table",
    "unit_rows",
]

#: Unit-list columns: id → the header titles that name it (the first is the canonical one).
UNIT_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "编号", "单位编号", "代码", "单位代码"),
    "name": ("name", "名称", "单位名称", "单位"),
    "parent": ("parent", "上级", "上级单位", "上级编号", "上级单位编号"),
    "kind": ("kind", "类型", "类别", "单位类型"),
}

#: Actor-list columns, likewise. ``roles`` holds one or more role ids separated by
#: ``;`` ``,`` ``、`` ``|`` (or their full-width forms) or spaces.
ACTOR_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "id": ("id", "编号", "账号", "人员编号"),
    "roles": ("roles", "role", "角色"),
    "unit": ("unit", "单位", "单位编号", "所在单位"),
    "name": ("name", "姓名", "名称"),
}

_ROLE_SPLIT = re.compile(r"[;,|、；，｜\s]+")
_MAX_ROWS = 1_000_000


@attrs.frozen
class ActorRow:
    """One actor of a list: id, role ids, the unit a member acts for, name."""

    id: str
    roles: tuple[str, ...]
    unit: str | None = None
    name: str | None = None


def decode(raw: bytes, encoding: str | None, where: str) -> str:
    """Text of a CSV file: ``encoding`` if given, else UTF-8 (a BOM is dropped), else
    GB18030 (a superset of GBK, as Chinese spreadsheets save CSV); the campaign's own
    detection (:meth:`~zyw_flow.Campaign.enroll_csv` reads lists the same way).

    Raises:
        DataFileError: not readable so, or an unknown encoding.
    """
    try:
        return decode_bytes(raw, encoding, where)
    except EnrollmentError as exc:
        raise DataFileError(str(exc).replace("(encoding=…)", "(--encoding)")) from None


def read_table(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and the non-blank rows (with their line or row number) of a CSV or
    ``.xlsx`` file (by suffix); cells as text, stripped.

    Raises:
        DataFileError: unreadable, empty, or not a CSV/workbook.
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataFileError(f"{p}: cannot read the file: {exc.strerror}") from None
    if p.suffix.lower() == ".xlsx" or raw.startswith(b"PK\x03\x04"):
        rows = _xlsx_rows(raw, str(p), sheet)
    else:
        rows = _csv_rows(decode(raw, encoding, str(p)), str(p))
    rows = [(n, cells) for n, cells in rows if any(cells)]
    if not rows:
        raise DataFileError(f"{p}: the file is empty (it needs a header row)")
    (_, header), *body = rows
    return header, body


def _csv_rows(text: str, where: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    out: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            out.append((reader.line_num, [c.strip() for c in cells]))
            if len(out) > _MAX_ROWS:
                raise DataFileError(f"{where}: more than {_MAX_ROWS} rows")
    except csv.Error as exc:
        raise DataFileError(f"{where}: line {reader.line_num}: not CSV: {exc}") from None
    return out


def _xlsx_rows(raw: bytes, where: str, sheet: str | None) -> list[tuple[int, list[str]]]:
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise DataFileError(f"{where}: not an .xlsx workbook: {exc}") from None
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise DataFileError(
                f"{where}: no sheet {sheet!r}; it has {', '.join(map(repr, book.sheetnames))}"
            )
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        out: list[tuple[int, list[str]]] = []
        for n, values in enumerate(ws.iter_rows(values_only=True), start=1):
            out.append((n, [_cell_text(v) for v in values]))
            if len(out) > _MAX_ROWS:
                raise DataFileError(f"{where}: more than {_MAX_ROWS} rows")
        return out
    finally:
        book.close()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an id typed as a number: 1101, not 1101.0
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return str(value).strip()


def _columns(
    header: Sequence[str], known: Mapping[str, tuple[str, ...]], where: str
) -> dict[str, int]:
    titles = {t.lower(): cid for cid, ts in known.items() for t in ts}
    found: dict[str, int] = {}
    unknown: list[str] = []
    for i, title in enumerate(header):
        cid = titles.get(title.strip().lower())
        if cid is None:
            if title.strip():
                unknown.append(title)
            continue
        if cid in found:
            raise DataFileError(f"{where}: two columns name {cid!r} ({title!r})")
        found[cid] = i
    if unknown:
        wanted = "; ".join(f"{cid} ({' / '.join(ts[1:3])})" for cid, ts in known.items())
        raise DataFileError(
            f"{where}: unknown column(s) {', '.join(map(repr, unknown))}; the header takes {wanted}"
        )
    if "id" not in found:
        raise DataFileError(f"{where}: the header needs an `id` column (id or 编号)")
    return found


def _unquote(text: str) -> str:
    """Take off the ``'`` an export put before a formula-like cell."""
    quoted = text.startswith("'") and text[1:].lstrip("'").startswith(FORMULA_PREFIXES)
    return text[1:] if quoted else text


def _get(cells: Sequence[str], cols: Mapping[str, int], name: str) -> str | None:
    i = cols.get(name)
    value = _unquote(cells[i]) if i is not None and i < len(cells) else ""
    return value or None


def unit_rows(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> list[tuple[str, str | None, str | None, str]]:
    """``(id, name, parent, kind)`` rows of a unit list (CSV or ``.xlsx``), ready for
    :meth:`~zyw_flow.Campaign.enroll_many`; ``kind`` defaults to ``unit``.

    Raises:
        DataFileError: unreadable, a bad header, a row without an id.
    """
    header, body = read_table(path, encoding=encoding, sheet=sheet)
    cols = _columns(header, UNIT_COLUMNS, str(path))
    out: list[tuple[str, str | None, str | None, str]] = []
    for n, cells in body:
        uid = _get(cells, cols, "id")
        if uid is None:
            raise DataFileError(f"{path}: row {n}: no unit id")
        out.append(
            (uid, _get(cells, cols, "name"), _get(cells, cols, "parent"),
             _get(cells, cols, "kind") or "unit")
        )  # fmt: skip
    return out


def actor_rows(
    path: str | Path, *, encoding: str | None = None, sheet: str | None = None
) -> list[ActorRow]:
    """The actors of an actor list (CSV or ``.xlsx``, header ``id,roles[,unit][,name]``),
    ready for :meth:`~zyw_flow.Campaign.add_actor`.

    Raises:
        DataFileError: unreadable, a bad header, a row without an id or a role, an actor
            listed twice.
    """
    header, body = read_table(path, encoding=encoding, sheet=sheet)
    cols = _columns(header, ACTOR_COLUMNS, str(path))
    if "roles" not in cols:
        raise DataFileError(f"{path}: the header needs a `roles` column (roles or 角色)")
    out: list[ActorRow] = []
    seen: dict[str, int] = {}
    for n, cells in body:
        aid = _get(cells, cols, "id")
        if aid is None:
            raise DataFileError(f"{path}: row {n}: no actor id")
        if aid in seen:  # a second row would replace the first actor, roles and all
            raise DataFileError(
                f"{path}: row {n}: actor {aid!r} is listed already (row {seen[aid]}); give "
                "all of its roles in one row (office;inspector)"
            )
        seen[aid] = n
        roles = tuple(r for r in _ROLE_SPLIT.split(_get(cells, cols, "roles") or "") if r)
        if not roles:
            raise DataFileError(f"{path}: row {n}: actor {aid!r} has no role")
        out.append(ActorRow(aid, roles, _get(cells, cols, "unit"), _get(cells, cols, "name")))
    return out
