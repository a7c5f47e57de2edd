"""Pictures: the campaign Gantt chart (matplotlib) and a Graphviz source of the machines.

This module sits above the compiler (it reads resolved and compiled campaigns); the
rows of the Gantt are plain data (:func:`gantt_rows`), which the HTML board reuses.
Chinese is drawn with the packaged font (:mod:`zyw_flow._fonts`).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs

from zyw_flow._files import replaced
from zyw_flow._fonts import cjk_font, cjk_rc
from zyw_flow.compile import CompiledCampaign, derive_table
from zyw_flow.resolve import ResolvedCampaign

__all__ = [
    "GanttRow",
    "cjk_font",
    "escalation_caption",
    "gantt",
    "gantt_figure",
    "gantt_rows",
    "graphviz_source",
]

_UNITS = {"days": "天", "working_days": "个工作日"}


@attrs.frozen
class GanttRow:
    """One row of the campaign calendar: a phase, or a step with its deadlines.

    Attributes:
        kind: ``phase`` or ``step``.
        id: the phase id, or the step's template id (its base, for a recurring step).
        title: the Chinese title.
        phase: the phase the row belongs to.
        start: the bar's start (a phase's opening, a step's ``opens``).
        end: the bar's end (a phase's end, a step's last deadline or closing).
        dues: every deadline of the row (one per instance of a recurring step).
        recurring: whether the step recurs (several instances).
    """

    kind: str
    id: str
    title: str
    phase: str
    start: dt.datetime
    end: dt.datetime
    dues: tuple[dt.datetime, ...] = ()
    recurring: bool = False


def gantt_rows(resolved: ResolvedCampaign) -> list[GanttRow]:
    """The campaign calendar as rows: each phase, then its steps by first deadline."""
    rows: list[GanttRow] = []
    for phase in resolved.phases:
        rows.append(GanttRow("phase", phase.id, phase.title, phase.id, phase.start, phase.end))
        grouped: dict[str, list[Any]] = {}
        for step in phase.steps:
            grouped.setdefault(step.base, []).append(step)
        step_rows: list[GanttRow] = []
        for base, group in grouped.items():
            dues = tuple(sorted(s.due for s in group if s.due is not None))
            start = min(s.opens for s in group)
            ends = [*dues, *(s.closes for s in group if s.closes is not None)]
            end = max(ends) if ends else phase.end
            recurring = group[0].instance is not None
            step_rows.append(
                GanttRow("step", base, group[0].title, phase.id, start, end, dues, recurring)
            )
        step_rows.sort(key=lambda r: (r.dues[0] if r.dues else r.end, r.id))
        rows.extend(step_rows)
    return rows


def escalation_caption(resolved: ResolvedCampaign) -> str:
    """The overdue ladder in words: ``逾期升级: 催办 (逾期 3 个工作日) → 黄牌 (…) → …``."""
    levels = [
        f"{level.title} (逾期 {level.amount} {_UNITS.get(level.unit, level.unit)})"
        for level in resolved.escalation
    ]
    return "逾期升级: " + " → ".join(levels) if levels else "逾期升级: 无"


def _md(value: dt.datetime) -> str:
    return f"{value.month:02d}-{value.day:02d}"


def gantt(resolved: ResolvedCampaign, path: Path | str) -> Path:
    """Draw the campaign calendar (:func:`gantt_figure`) and write a PNG to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with plt.rc_context(cjk_rc()):  # type: ignore[arg-type]
        fig = gantt_figure(resolved)
        path = Path(path)
        with replaced(path) as tmp:
            fig.savefig(tmp, dpi=120, bbox_inches="tight", pad_inches=0.15)
        plt.close(fig)
    return path


def gantt_figure(resolved: ResolvedCampaign) -> Any:
    """The campaign calendar as a matplotlib ``Figure``: phases and steps as bars, every
    deadline as a labelled ▼.

    A one-off deadline is labelled with its date and the step's title (``09-10 工作方案``);
    the deadlines of a recurring step carry their dates, the row its title. The caption
    names the escalation ladder by title (催办 / 黄牌 / 红牌). Chinese is drawn with the
    packaged Noto Sans CJK font on any machine.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as _mdates
    import matplotlib.pyplot as plt

    mdates: Any = _mdates  # untyped functions (date2num, DateFormatter)
    rows = gantt_rows(resolved)
    heights = [1.0 if r.kind == "phase" else (1.6 if r.recurring else 1.0) for r in rows]
    ys: list[float] = []
    y = 0.0
    for h in heights:
        ys.append(y + h / 2)
        y += h
    with plt.rc_context(cjk_rc()):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(13, 1.6 + 0.34 * y))
        fig.set_label(resolved.id)
        phase_colour: dict[str, str] = {}
        for row, yc in zip(rows, ys, strict=True):
            s, e = mdates.date2num(row.start), mdates.date2num(row.end)
            if row.kind == "phase":
                colour = f"C{len(phase_colour) % 10}"
                phase_colour[row.phase] = colour
                ax.barh(yc, e - s, left=s, height=0.7, color=colour, alpha=0.45, edgecolor="black")
                ax.text(
                    s,
                    yc,
                    f" {_md(row.start)} — {_md(row.end)}",
                    va="center",
                    ha="left",
                    fontsize=8,
                )
                continue
            colour = phase_colour.get(row.phase, "C0")
            ax.barh(yc, max(e - s, 0.5), left=s, height=0.3, color=colour, alpha=0.25)
            if not row.dues:
                continue
            xs = [mdates.date2num(d) for d in row.dues]
            ax.plot(xs, [yc] * len(xs), marker="v", linestyle="none", color="black", markersize=6)
            if row.recurring:
                for x, due in zip(xs, row.dues, strict=True):
                    ax.annotate(
                        _md(due),
                        (x, yc),
                        xytext=(0, -5),
                        textcoords="offset points",
                        rotation=90,
                        ha="center",
                        va="top",
                        fontsize=5.5,
                    )
            else:
                ax.annotate(
                    f"{_md(row.dues[0])} {row.title}",
                    (xs[0], yc),
                    xytext=(5, 0),
                    textcoords="offset points",
                    va="center",
                    ha="left",
                    fontsize=7.5,
                )
        labels = [
            f"{r.title} ({r.id})" if r.kind == "phase" else f"    {r.title} ({r.id})" for r in rows
        ]
        ax.set_yticks(ys, labels, fontsize=8)
        for tick, row in zip(ax.get_yticklabels(), rows, strict=True):
            if row.kind == "phase":  # the packaged font has one weight: phases stand out by size
                tick.set_fontsize(9.5)
        ax.set_ylim(y, 0)
        ax.xaxis_date(tz=resolved.timezone)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        left = mdates.date2num(resolved.start)
        right = mdates.date2num(max(resolved.end, *(r.end for r in rows)))
        ax.set_xlim(left - 2, right + (right - left) * 0.18)
        fig.autofmt_xdate()
        ax.set_title(f"{resolved.title} — {resolved.id}  (▼ = 截止日期)", fontsize=11)
        fig.text(0.01, 0.005, escalation_caption(resolved), fontsize=8, ha="left", va="bottom")
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout(rect=(0, 0.02, 1, 1))
    return fig


def graphviz_source(compiled: CompiledCampaign) -> str:
    """DOT text of the phase machine (with step deadlines) and the step machine."""
    r = compiled.resolved
    lines = ["digraph campaign {", "  rankdir=LR;", '  node [shape=box, fontname="sans"];']
    for (src, event), (dst, conds) in sorted(derive_table(compiled.phase_machine).items()):
        guard = f" [{' & '.join(conds)}]" if conds else ""
        lines.append(f'  "{src}" -> "{dst}" [label="{event}{guard}"];')
    for phase in r.phases:
        lines.append(
            f'  "{phase.id}" [label="{phase.id}\\n{phase.start.date()} … {phase.end.date()}"];'
        )
    lines.append("  subgraph cluster_step { label=step;")
    for (src, event), (dst, conds) in sorted(derive_table(compiled.step_machine).items()):
        guard = f" [{' & '.join(conds)}]" if conds else ""
        lines.append(f'    "s_{src}" -> "s_{dst}" [label="{event}{guard}"];')
    lines.append("  }")
    lines.append("}")
    return "\n".join(lines) + "\n"
