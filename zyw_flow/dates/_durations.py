"""Durations as templates write them: ``"3 working days"``, ``"10 days"``, ``"5个工作日"``."""

from __future__ import annotations

import re
from typing import Literal

from zyw_flow._errors import DateExpressionError

__all__ = ["DurationUnit", "parse_duration"]

#: What a duration counts: calendar ``days`` or official ``working_days``.
DurationUnit = Literal["days", "working_days"]

_DURATION_RE = re.compile(
    r"^\s*(\d+)\s*(working\s+days?|workdays?|days?|个工作日|個工作日|工作日|天|日)?\s*$"
)


def parse_duration(value: object) -> tuple[int, DurationUnit]:
    """Read ``"3 working days"``, ``"10 days"``, ``"5个工作日"`` or ``7`` (days).

    >>> parse_duration("3 working days"), parse_duration("30天"), parse_duration(7)
    ((3, 'working_days'), (30, 'days'), (7, 'days'))

    Raises:
        DateExpressionError: anything else.
    """
    if isinstance(value, bool):
        raise DateExpressionError(str(value), "expected a number of days")
    if isinstance(value, int):
        if value < 0:
            raise DateExpressionError(str(value), "a duration cannot be negative")
        return value, "days"
    m = _DURATION_RE.match(str(value))
    if not m:
        raise DateExpressionError(
            str(value), "expected 'N days' or 'N working days' (N个工作日 / N天)"
        )
    word = m.group(2) or "days"
    if "work" in word or "工作" in word:
        return int(m.group(1)), "working_days"
    return int(m.group(1)), "days"
