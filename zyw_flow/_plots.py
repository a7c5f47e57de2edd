"""Pictures: the campaign Gantt chart (matplotlib) and a Graphviz source of the machines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zyw_flow.compile import CompiledCampaign, derive_table
from zyw_flow.resolve import ResolvedCampaign

__all__ = ["cjk_font", "gantt", "graphviz_source"]

_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "AR PL UMing CN",
)


def cjk_font() -> str | None:
    """A font family installed here that has Chinese glyphs, or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in installed:
            return family
    return None


def gantt(resolved: ResolvedCampaign, path: Path) -> Path:
    """Draw phases as bars and deadlines as markers; write a PNG to ``path``.

    Chinese titles are used when a CJK font is installed (e.g. Debian's
    ``fonts-noto-cjk``); otherwise the English ids label the chart.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as _mdates
    import matplotlib.pyplot as plt

    mdates: Any = _mdates  # untyped functions (date2num, DateFormatter)

    font = cjk_font()
    rc: dict[str, Any] = {"font.family": [font, "DejaVu Sans"]} if font else {}
    rows: list[tuple[str, Any, Any, list[Any]]] = []
    for phase in resolved.phases:
        label = f"{phase.title} ({phase.id})" if font else phase.id
        dues = [s.due for s in phase.steps if s.due is not None]
        rows.append((label, phase.start, phase.end, dues))
    with plt.rc_context(rc):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(11, 1.2 + 0.7 * len(rows)))
        for y, (_label, start, end, dues) in enumerate(rows):
            s, e = mdates.date2num(start), mdates.date2num(end)
            ax.barh(y, e - s, left=s, height=0.5, color=f"C{y % 10}", alpha=0.6, edgecolor="black")
            if dues:
                ax.plot(
                    [mdates.date2num(d) for d in dues],
                    [y] * len(dues),
                    marker="v",
                    linestyle="none",
                    color="black",
                    markersize=6,
                )
        ax.set_yticks(range(len(rows)), [r[0] for r in rows])
        ax.invert_yaxis()
        ax.xaxis_date(tz=resolved.timezone)
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
        fig.autofmt_xdate()
        title = f"{resolved.title} — {resolved.id}" if font else resolved.id
        ax.set_title(f"{title} (▼ = deadline)" if font else f"{title} (v = deadline)")
        ax.grid(axis="x", alpha=0.3)
        fig.tight_layout()
        path = Path(path)
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return path


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
