"""Means and 95 % confidence intervals over replications, and paired arm differences."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["aggregate", "ci95", "compare", "flatten"]

# Student t, 97.5 % quantile, by degrees of freedom 1-30.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def _t975(df: int) -> float:
    if df <= len(_T975):
        return _T975[df - 1]
    z = 1.959963984540054  # Cornish-Fisher expansion of t about the normal quantile
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def ci95(values: Sequence[float]) -> dict[str, Any]:
    """``{"mean", "ci95": [lo, hi]}`` of replication values (Student t; one value: a point)."""
    n = len(values)
    if all(v == values[0] for v in values):  # exact: a constant is its own mean
        return {"mean": values[0], "ci95": [values[0], values[0]]}
    mean = math.fsum(values) / n
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    half = _t975(n - 1) * math.sqrt(var / n)
    return {"mean": mean, "ci95": [mean - half, mean + half]}


def flatten(metrics: Mapping[str, Any], prefix: str = "") -> dict[str, float]:
    """``{"escalations": {"red_card": 3}}`` → ``{"escalations.red_card": 3.0}``."""
    out: dict[str, float] = {}
    for k, v in metrics.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(flatten(v, key + "."))
        elif isinstance(v, bool) or not isinstance(v, int | float):
            continue
        else:
            out[key] = float(v)
    return out


def aggregate(reps: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The replications' metrics (nested the same way) as ``{"mean", "ci95"}`` leaves."""

    def walk(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        keys: list[str] = []
        for m in items:
            keys.extend(k for k in m if k not in keys)
        for k in keys:
            vals = [m.get(k) for m in items]
            if all(isinstance(v, Mapping) or v is None for v in vals):
                out[k] = walk([v or {} for v in vals])
            else:
                out[k] = ci95([float(v or 0) for v in vals])
        return out

    return walk(reps)


def compare(arms: Sequence[Sequence[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """Side by side: each metric's mean per arm, and each arm's paired difference from the
    first arm (replication by replication — with common random numbers the pairs share
    their draws, so the difference's interval is narrow)."""
    flat = [[flatten(m) for m in reps] for reps in arms]
    names: list[str] = []
    for reps in flat:
        for m in reps:
            names.extend(k for k in m if k not in names)
    rows = []
    for name in names:
        base = [m.get(name, 0.0) for m in flat[0]]
        row: dict[str, Any] = {"metric": name, "arms": [], "difference": []}
        for reps in flat:
            vals = [m.get(name, 0.0) for m in reps]
            row["arms"].append(ci95(vals))
            n = min(len(vals), len(base))
            row["difference"].append(ci95([vals[i] - base[i] for i in range(n)]))
        rows.append(row)
    return rows
