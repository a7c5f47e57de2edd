"""The unit tree of a simulation: generated (city → county → section) or read from CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path

import attrs

from zyw_flow._errors import ZywFlowError
from zyw_flow.runtime._csv import decode_bytes
from zyw_flow.sim._errors import SimulationError

__all__ = ["MAX_UNITS", "UnitTree", "generate_units", "read_units_csv"]

#: The most units a simulation takes (a unit's number has 24 bits in the plan's keys).
MAX_UNITS = 2**24 - 1

#: The levels of a generated tree; they are also the units' profile groups.
LEVELS = ("city", "county", "section")


@attrs.frozen
class UnitTree:
    """Units in enrollment order (parents before children), each with its profile group.

    Attributes:
        ids, names, parents, kinds, groups: one entry per unit (``parents[i]`` is ``None``
            for a root; ``kinds`` are ``unit`` or ``person``).
    """

    ids: tuple[str, ...]
    names: tuple[str | None, ...]
    parents: tuple[str | None, ...]
    kinds: tuple[str, ...]
    groups: tuple[str, ...]

    def __attrs_post_init__(self) -> None:
        n = len(self.ids)
        if not n:
            raise SimulationError("a unit tree needs at least one unit")
        if n > MAX_UNITS:
            raise SimulationError(f"at most {MAX_UNITS} units, not {n}")
        if any(len(col) != n for col in (self.names, self.parents, self.kinds, self.groups)):
            raise SimulationError("ids, names, parents, kinds and groups must have one entry "
                                  "per unit")  # fmt: skip

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self) -> Iterator[tuple[str, str | None, str | None, str]]:
        """``(id, name, parent, kind)`` rows for :meth:`~zyw_flow.Campaign.enroll_many`."""
        return zip(self.ids, self.names, self.parents, self.kinds, strict=True)


def generate_units(n: int) -> UnitTree:
    """``n`` units shaped as one city bureau (市局), about √n county bureaus (县市区局) under
    it and the rest as sections (科室) spread evenly over the counties.

    Raises:
        SimulationError: ``n`` < 1.
    """
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_UNITS:
        raise SimulationError(
            f"the number of units must be a whole number from 1 to {MAX_UNITS}, not {n!r}"
        )
    counties = min(n - 1, max(1, math.isqrt(n)))
    sections = n - 1 - counties
    ids = ["city"]
    names: list[str | None] = ["市局"]
    parents: list[str | None] = [None]
    groups = ["city"]
    cw = len(str(counties))
    sw = len(str(sections))
    for i in range(1, counties + 1):
        ids.append(f"county-{i:0{cw}d}")
        names.append(f"县市区局{i}")
        parents.append("city")
        groups.append("county")
    for j in range(1, sections + 1):
        ids.append(f"section-{j:0{sw}d}")
        names.append(f"科室{j}")
        parents.append(ids[1 + (j - 1) % counties])
        groups.append("section")
    return UnitTree(tuple(ids), tuple(names), tuple(parents), ("unit",) * n, tuple(groups))


def read_units_csv(source: str | Path) -> UnitTree:
    """Units from a CSV file with the header ``id,name,parent`` and optional ``kind`` and
    ``group`` columns, decoded as the campaign's and the exchange's CSV readers decode
    (:func:`zyw_flow.runtime._csv.decode_bytes`: UTF-8 with or without a BOM, or GBK /
    GB18030, as Chinese spreadsheets save CSV). Blank rows (``,,,`` as Excel writes them)
    are skipped, as those readers skip them. A unit without a group is in the ``default``
    group.

    Raises:
        SimulationError: unreadable file, missing ``id`` column, empty or duplicate ids, a
            parent listed after its child or not at all — with the line.
    """
    path = Path(source)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SimulationError(f"{path}: cannot read the unit CSV: {exc}") from None
    try:
        text = decode_bytes(raw, None, str(path))
    except ZywFlowError as exc:
        said = str(exc)
        for tail in ("; give the file's encoding (encoding=…)", " (encoding=…)"):
            said = said.replace(tail, "")
        raise SimulationError(f"{said}; save the unit CSV as UTF-8 or GBK") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[str]]] = []
    try:
        for cells in reader:
            cells = [c.strip() for c in cells]
            if any(cells):
                rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise SimulationError(f"{path}:{reader.line_num}: not CSV: {exc}") from None
    if not rows:
        raise SimulationError(f"{path}: no units (the file is empty; it needs a header row "
                              "id,name,parent)")  # fmt: skip
    (head_line, fields), *body = rows
    if "id" not in fields:
        raise SimulationError(
            f"{path}:{head_line}: the header needs an `id` column (id,name,parent)"
        )
    known = ("id", "name", "parent", "kind", "group")
    col: dict[str, int] = {name: fields.index(name) for name in known if name in fields}
    ids: list[str] = []
    names: list[str | None] = []
    parents: list[str | None] = []
    kinds: list[str] = []
    groups: list[str] = []
    seen: set[str] = set()
    for line, cells in body:

        def cell(name: str, cells: list[str] = cells) -> str:
            k = col.get(name)
            return cells[k] if k is not None and k < len(cells) else ""

        uid = cell("id")
        if not uid:
            raise SimulationError(f"{path}:{line}: empty unit id")
        if uid in seen:
            raise SimulationError(f"{path}:{line}: duplicate unit id {uid!r}")
        parent = cell("parent") or None
        if parent is not None and parent not in seen:
            raise SimulationError(
                f"{path}:{line}: unit {uid!r} names parent {parent!r}, which is not listed above it"
            )
        kind = cell("kind") or "unit"
        if kind not in ("unit", "person"):
            raise SimulationError(f"{path}:{line}: kind must be unit or person, not {kind!r}")
        seen.add(uid)
        ids.append(uid)
        names.append(cell("name") or None)
        parents.append(parent)
        kinds.append(kind)
        groups.append(cell("group") or "default")
        if len(ids) > MAX_UNITS:
            raise SimulationError(f"{path}:{line}: more than {MAX_UNITS} units")
    if not ids:
        raise SimulationError(f"{path}: no units")
    return UnitTree(tuple(ids), tuple(names), tuple(parents), tuple(kinds), tuple(groups))
