"""``report.html``: the simulation's figures as one offline page (Apache ECharts and a
subset of Noto Sans CJK inside, no network request), with Chinese labels."""

from __future__ import annotations

import base64
import html
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zyw_flow._files import write_text_whole
from zyw_flow.sim._runner import RepResult, align_daily
from zyw_flow.sim._spec import compile_arm

if TYPE_CHECKING:
    from zyw_flow.sim._spec import Simulation

__all__ = ["render_report", "write_report"]

_CSP = (
    "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
    "font-src data:; img-src data:"
)
_PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="@CSP@">
<title>@TITLE@</title>
<style>
@FONT@
body { font-family: 'ZywCJK', 'Noto Sans CJK SC', sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.chart { width: 100%; max-width: 1100px; height: 340px; }
table { border-collapse: collapse; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
.note { color: #666; font-size: 0.9em; }
</style>
</head>
<body data-ready="0">
<h1>@TITLE@</h1>
<p class="note">@SUBTITLE@</p>
<h2>各事项累计按时报送率 (cumulative on-time rate per step, arm 1)</h2>
<div class="chart" id="ontime" data-testid="ontime"></div>
<h2>逾期事项数 (overdue steps over time, per phase)</h2>
<div class="chart" id="overdue" data-testid="overdue"></div>
<h2>催办 / 黄牌 / 红牌 (escalations per level)</h2>
<div class="chart" id="escalations" data-testid="escalations"></div>
<h2>问责 (sanctions per type)</h2>
<div class="chart" id="sanctions" data-testid="sanctions"></div>
<h2>等次分布 (grade distribution)</h2>
<div class="chart" id="grades" data-testid="grades"></div>
<h2>方案对比 (arms side by side: mean [95% CI]; difference from arm 1, paired)</h2>
@TABLE@
<script>@ECHARTS@</script>
<script>
const D = @DATA@;
const font = {fontFamily: "ZywCJK, 'Noto Sans CJK SC', sans-serif"};
function chart(id, option) {
  const c = echarts.init(document.getElementById(id), null, {renderer: 'svg'});
  option.textStyle = font; option.animation = false;
  option.tooltip = option.tooltip || {trigger: 'axis'};
  option.legend = option.legend || {type: 'scroll', top: 0};
  option.grid = {top: 40, left: 60, right: 20, bottom: 40};
  c.setOption(option);
}
chart('ontime', {xAxis: {type: 'category', data: D.days}, yAxis: {type: 'value', max: 1},
  series: D.ontime.map(s => ({name: s.name, type: 'line', showSymbol: false, data: s.data}))});
chart('overdue', {xAxis: {type: 'category', data: D.days}, yAxis: {type: 'value'},
  series: D.overdue.map(s => ({name: s.name, type: 'line', showSymbol: false, data: s.data}))});
for (const key of ['escalations', 'sanctions', 'grades']) {
  const g = D[key];
  chart(key, {tooltip: {trigger: 'axis'}, xAxis: {type: 'category', data: g.labels},
    yAxis: {type: 'value'}, series: g.arms.map(a => ({name: a.name, type: 'bar', data: a.data}))});
}
document.body.dataset.ready = '1';
</script>
</body>
</html>
"""


def _asset(name: str) -> str:
    return resources.files("zyw_flow.board").joinpath("assets", name).read_text(encoding="utf-8")


def _font_face(text: str) -> str:
    return _face("".join(sorted(set(text))))


@lru_cache(maxsize=8)
def _face(chars: str) -> str:
    """The @font-face of a subset cut to ``chars`` (cached: subsetting takes seconds)."""
    from zyw_flow._fonts import subset_font

    data = base64.b64encode(subset_font(chars, flavor="woff")).decode("ascii")
    return (
        "@font-face { font-family: 'ZywCJK'; font-style: normal; font-weight: 400; "
        f"src: url(data:font/woff;base64,{data}) format('woff'); }}"
    )


def _arm_name(i: int, overrides: Mapping[str, Any]) -> str:
    said = ", ".join(f"{k}={v}" for k, v in overrides.items())
    return f"方案{i + 1}" + (f" ({said})" if said else "")


def _fmt(cell: Mapping[str, Any]) -> str:
    lo, hi = cell["ci95"]
    return f"{cell['mean']:.4g} [{lo:.4g}, {hi:.4g}]"


def _leaves(tree: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Mapping[str, Any]]]:
    out: list[tuple[str, Mapping[str, Any]]] = []
    for k, v in tree.items():
        if isinstance(v, Mapping) and "mean" in v and "ci95" in v:
            out.append((prefix + k, v))
        elif isinstance(v, Mapping):
            out.extend(_leaves(v, f"{prefix}{k}."))
    return out


def _table(summary: Mapping[str, Any], names: Sequence[str]) -> str:
    arms = summary["arms"]
    rows = summary.get("comparison")
    if rows is None:  # one arm: its figures alone
        rows = [
            {"metric": name, "arms": [cell], "difference": []}
            for name, cell in _leaves(arms[0]["metrics"])
        ]
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    diff = "".join(f"<th>差值 {i + 1}−1</th>" for i in range(1, len(names)))
    out = [f"<table data-testid='comparison'><tr><th>指标 metric</th>{head}{diff}</tr>"]
    for r in rows:
        cells = "".join(f"<td>{_fmt(c)}</td>" for c in r["arms"])
        cells += "".join(f"<td>{_fmt(c)}</td>" for c in r["difference"][1:])
        out.append(f"<tr><td>{html.escape(r['metric'])}</td>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def render_report(sim: Simulation, summary: Mapping[str, Any], results: Sequence[RepResult]) -> str:
    """The report page as HTML text (the per-day curves averaged over replications that
    cover the same days: see :func:`~zyw_flow.sim._runner.align_daily`)."""
    results = align_daily(results)
    compiled = compile_arm(sim, 0)
    steps = {d.id: d.title for d in compiled.steps}
    phases = {p.id: p.title for p in compiled.resolved.phases}
    names = [_arm_name(i, a["overrides"]) for i, a in enumerate(summary["arms"])]
    first = [r for r in results if r.arm == 0]
    days: list[str] = sorted({d for r in first for d in r.daily["day"]})
    pos = {d: i for i, d in enumerate(days)}
    n = max(len(first), 1)
    ontime: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    overdue: dict[str, list[float]] = defaultdict(lambda: [0.0] * len(days))
    for r in first:
        t = r.daily
        for day, phase, step, owed, over, done in zip(
            t["day"],
            t["phase"],
            t["step"],
            t["owed"],
            t["overdue"],
            t["on_time_so_far"],
            strict=True,
        ):
            i = pos[day]
            ontime[steps.get(step, step)][i] += (done / owed if owed else 1.0) / n
            overdue[phases.get(phase, phase)][i] += over / n

    def bars(key: str, titles: Mapping[str, str]) -> dict[str, Any]:
        ids = list(summary["arms"][0]["metrics"].get(key, {}))
        return {
            "labels": [titles.get(k, k) for k in ids],
            "arms": [
                {"name": names[a], "data": [arm["metrics"][key][k]["mean"] for k in ids]}
                for a, arm in enumerate(summary["arms"])
            ],
        }

    scheme = compiled.schemes.get("units")
    data = {
        "days": days,
        "ontime": [{"name": k, "data": v} for k, v in ontime.items()],
        "overdue": [{"name": k, "data": v} for k, v in overdue.items()],
        "escalations": bars("escalations", {lv.id: lv.title for lv in compiled.escalation}),
        "sanctions": bars("sanctions", {s.id: s.title for s in compiled.sanctions}),
        "grades": bars("grades", {b.id: b.title for b in scheme.bands} if scheme else {}),
    }
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")
    title = f"{compiled.resolved.title} — 模拟报告 (simulation)"
    subtitle = (
        f"{summary['units']} 个单位 units · {summary['runs']} 次重复 runs · seed "
        f"{summary['seed']} · 行为画像 profile {summary['profile']} · " + " / ".join(names)
    )
    table = _table(summary, names)
    page = _PAGE
    text = page + title + subtitle + payload + table
    parts = {
        "@CSP@": _CSP,
        "@TITLE@": html.escape(title),
        "@SUBTITLE@": html.escape(subtitle),
        "@FONT@": _font_face(text),
        "@TABLE@": table,
        "@DATA@": payload,
        "@ECHARTS@": _asset("echarts.common.min.js"),
    }
    out: list[str] = []
    rest = page
    while True:  # substitute in one pass, so no inserted text is scanned again
        hits = [(rest.find(k), k) for k in parts if rest.find(k) >= 0]
        if not hits:
            out.append(rest)
            break
        at, key = min(hits)
        out.append(rest[:at])
        out.append(parts[key])
        rest = rest[at + len(key) :]
    return "".join(out)


def write_report(
    path: Path, sim: Simulation, summary: Mapping[str, Any], results: Sequence[RepResult]
) -> Path:
    """Write ``report.html``; returns its path."""
    write_text_whole(path, render_report(sim, summary, results))
    return path
