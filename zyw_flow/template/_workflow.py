"""The workflow blocks of a template: who owes a step, warning lights, extension requests.

Each reader takes the block as written (already checked against the JSON Schema) and a
``problem(path, message)`` callback, and returns the definition, so a bad value is reported
with its path and the rest of the template is still checked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from zyw_flow._errors import DateExpressionError
from zyw_flow._yaml import join
from zyw_flow.dates import parse_duration
from zyw_flow.template._model import ExtensionPolicy, OwnerRule, WarningLevelDef, WarningUnit

__all__ = [
    "check_owner",
    "parse_extensions",
    "parse_lead_time",
    "parse_owner",
    "parse_warnings",
]

Report = Callable[[str, str], None]

_HOURS_RE = re.compile(r"^\s*(\d+)\s*(?:h|hours?|小时|个小时)\s*$")


def _many(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(value)
    return (value,)


def parse_owner(raw: Any, path: str, problem: Report) -> OwnerRule | None:
    """An ``owed_by:`` block (``None`` when absent)."""
    if not isinstance(raw, Mapping):
        return None
    kinds = tuple(str(k) for k in _many(raw.get("kind"))) or ("unit",)
    depths = tuple(int(d) for d in _many(raw.get("depth")))
    level = str(raw.get("level", "any"))
    if level == "root" and depths and depths != (0,):
        problem(join(path, "depth"), "a root is at depth 0; `level: root` with another depth "
                "is owed by nobody")  # fmt: skip
    return OwnerRule(
        kinds=kinds,
        level=cast(Any, level),
        depths=depths,
        groups=tuple(str(g) for g in raw.get("groups", ()) or ()),
        predicate=None if raw.get("predicate") is None else str(raw["predicate"]),
        description=str(raw.get("description", "")),
    )


def check_owner(rule: OwnerRule | None, groups: Mapping[str, str], path: str,
                problem: Report) -> None:  # fmt: skip
    """The groups an ``owed_by:`` names must be declared in the template's ``groups:``."""
    if rule is None:
        return
    for i, group in enumerate(rule.groups):
        if group not in groups:
            known = ", ".join(groups) or "none declared"
            problem(join(join(path, "groups"), i),
                    f"unknown group {group!r}; the template's groups: {known}")  # fmt: skip


def parse_lead_time(value: Any) -> tuple[int, WarningUnit]:
    """``"3 working days"``, ``"2 days"``, ``"4 hours"`` (``4小时``) or ``2`` (days).

    Raises:
        DateExpressionError: anything else.
    """
    m = _HOURS_RE.match(str(value)) if isinstance(value, str) else None
    if m:
        return int(m.group(1)), "hours"
    amount, unit = parse_duration(value)
    return amount, unit


def parse_warnings(raw: Any, path: str, problem: Report) -> tuple[WarningLevelDef, ...] | None:
    """A ``warnings:`` ladder (``None`` when absent), earliest light first."""
    if not isinstance(raw, list):
        return None
    levels: list[WarningLevelDef] = []
    for i, level in enumerate(raw):
        if not isinstance(level, Mapping):
            continue
        lpath = join(path, i)
        try:
            amount, unit = parse_lead_time(level.get("before", ""))
        except DateExpressionError as exc:
            problem(join(lpath, "before"), f"bad lead time: {exc.reason} (or 'N hours')")
            continue
        if amount == 0:
            problem(join(lpath, "before"), "a warning comes before the deadline: give N > 0")
            continue
        levels.append(WarningLevelDef(str(level.get("id")), str(level.get("title")), amount, unit))
    ids = [lv.id for lv in levels]
    for i, lid in enumerate(ids):
        if lid in ids[:i]:
            problem(join(path, i), f"duplicate warning level {lid!r}")
    return tuple(levels)


def parse_extensions(
    raw: Any, path: str, problem: Report, roles: Sequence[str], base: ExtensionPolicy
) -> ExtensionPolicy | None:
    """An ``extensions:`` block over ``base`` (``None`` when absent)."""
    if not isinstance(raw, Mapping):
        return None
    approve = tuple(str(r) for r in raw.get("approve", base.approve))
    for i, role in enumerate(approve):
        if role not in roles:
            problem(join(join(path, "approve"), i),
                    f"unknown role {role!r}; declared roles: {', '.join(roles)}")  # fmt: skip
    max_days, max_unit = base.max_days, base.max_unit
    if "max_days" in raw:
        value = raw["max_days"]
        if isinstance(value, int) and not isinstance(value, bool):
            max_days, max_unit = value, "working_days"  # a bare number counts working days
        else:
            try:
                max_days, max_unit = parse_duration(value)
            except DateExpressionError as exc:
                problem(join(path, "max_days"), f"bad limit: {exc.reason}")
    return ExtensionPolicy(
        allowed=bool(raw.get("allowed", base.allowed)),
        approve=approve,
        max_times=int(raw.get("max_times", base.max_times)),
        max_days=max_days,
        max_unit=max_unit,
        until=raw.get("until", base.until),
    )
