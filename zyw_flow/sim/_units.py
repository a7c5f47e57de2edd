"""The unit tree of a simulation: generated (city → county → section) or read from CSV."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator
from pathlib import Path

import attrs

from zyw_flow.sim._errors import SimulationError

__all__ = ["UnitTree", "generate_units", "read_units_csv"]

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
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SimulationError(f"the number of units must be a whole number ≥ 1, not {n!r}")
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
    ``group`` columns (UTF-8, with or without a BOM, or GB18030). A unit without a group is
    in the ``default`` group.

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
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = raw.decode("gb18030")
        except UnicodeDecodeError:
            raise SimulationError(f"{path}: neither UTF-8 nor GB18030 text") from None
    reader = csv.DictReader(io.StringIO(text))
    fields = [f.strip() for f in reader.fieldnames or ()]
    if "id" not in fields:
        raise SimulationError(f"{path}:1: the header needs an `id` column (id,name,parent)")
    reader.fieldnames = fields
    ids: list[str] = []
    names: list[str | None] = []
    parents: list[str | None] = []
    kinds: list[str] = []
    groups: list[str] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        uid = (row.get("id") or "").strip()
        if not uid:
            raise SimulationError(f"{path}:{line}: empty unit id")
        if uid in seen:
            raise SimulationError(f"{path}:{line}: duplicate unit id {uid!r}")
        parent = (row.get("parent") or "").strip() or None
        if parent is not None and parent not in seen:
            raise SimulationError(
                f"{path}:{line}: unit {uid!r} names parent {parent!r}, which is not listed above it"
            )
        kind = (row.get("kind") or "").strip() or "unit"
        if kind not in ("unit", "person"):
            raise SimulationError(f"{path}:{line}: kind must be unit or person, not {kind!r}")
        seen.add(uid)
        ids.append(uid)
        names.append((row.get("name") or "").strip() or None)
        parents.append(parent)
        kinds.append(kind)
        groups.append((row.get("group") or "").strip() or "default")
    if not ids:
        raise SimulationError(f"{path}: no units")
    return UnitTree(tuple(ids), tuple(names), tuple(parents), tuple(kinds), tuple(groups))
