"""Showing results: rich tables, CSV rows and a grade-distribution chart (PNG).

Numbers are printed as plain decimal strings (``83.0``, never ``8.3E+1``); a missing value
prints as ``—`` in tables and as an empty cell in CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path

from rich.padding import Padding
from rich.table import Table

from zyw_flow._files import replaced
from zyw_flow.evaluation._rules import RankRow
from zyw_flow.evaluation._scheme import ScoringScheme
from zyw_flow.evaluation._score import Scorecard

__all__ = [
    "distribution_rows",
    "distribution_table",
    "plot_grade_distribution",
    "ranking_rows",
    "ranking_table",
    "scorecard_rows",
    "scorecard_table",
    "to_csv",
]


def _num(value: Decimal | None, empty: str = "—") -> str:
    return empty if value is None else format(value, "f")


def _band(band: str | None, scheme: ScoringScheme | None, empty: str = "—") -> str:
    if band is None:
        return empty
    if scheme is None:
        return band
    try:
        return f"{scheme.band(band).title} ({band})"
    except KeyError:
        return band


def scorecard_rows(card: Scorecard) -> list[dict[str, str]]:
    """One CSV row per scorecard line, then the summary rows (base, deducted, total, band)."""
    rows = [
        {
            "unit": card.unit,
            "indicator": line.indicator,
            "title": line.title,
            "period": line.period or "",
            "rater_group": line.rater_group or "",
            "weight": _num(line.weight, ""),
            "value": _num(line.value, ""),
            "contribution": _num(line.contribution, ""),
            "share": _num(line.share, ""),
        }
        for line in card.lines
    ]
    blank = dict.fromkeys(("period", "rater_group", "weight", "contribution", "share"), "")
    for key, value in (
        ("base", _num(card.base, "")),
        ("deducted", _num(card.deducted, "")),
        ("total", _num(card.total, "")),
        ("raw_band", card.raw_band or ""),
        ("band", card.band or ""),
    ):
        rows.append(
            {"unit": card.unit, "indicator": f"<{key}>", "title": "", **blank, "value": value}
        )
    return rows


def scorecard_table(card: Scorecard, scheme: ScoringScheme | None = None) -> Table:
    """A rich table of a scorecard: the indicator tree, then total, grade and reasons.

    Text folds and numbers never wrap, so the table stays whole at 80 columns (an indicator's
    id wraps under its title, indented at its depth in the tree)."""
    table = Table(title=f"{card.unit} — {card.scheme}", show_lines=False)
    table.add_column("indicator", overflow="fold")
    table.add_column("period / raters", overflow="fold")
    for name in ("weight", "value", "contribution"):
        table.add_column(name, justify="right", no_wrap=True)
    for line in card.lines:
        table.add_row(
            Padding(f"{line.title} [dim]{line.indicator}[/dim]", (0, 0, 0, 2 * line.depth)),
            " ".join(x for x in (line.period, line.rater_group) if x),
            _num(line.weight),
            _num(line.value),
            _num(line.contribution),
        )
    table.add_section()
    table.add_row("base", "", "", _num(card.base), "")
    if card.deductions or card.deducted:
        table.add_row("deducted", "", "", f"−{_num(card.deducted)}", "")
    table.add_row("[bold]total[/bold]", "", "", f"[bold]{_num(card.total)}[/bold]", "")
    grade = _band(card.band, scheme)
    if card.downgraded:
        grade = f"{_band(card.raw_band, scheme)} → {grade}"
    table.add_row("grade", grade, "", "", "")
    for reason in card.reasons:
        table.add_row("", f"[italic]{reason}[/italic]", "", "", "")
    if card.missing:
        table.add_row("missing", "; ".join(str(m) for m in card.missing), "", "", "")
    return table


def ranking_rows(rows: Iterable[RankRow]) -> list[dict[str, str]]:
    """CSV rows of a ranking."""
    return [
        {
            "position": str(r.position),
            "rank": str(r.rank),
            "unit": r.unit,
            "total": _num(r.total, ""),
            "band": r.band or "",
            "tie": "yes" if r.tie else "",
        }
        for r in rows
    ]


def ranking_table(rows: Iterable[RankRow], scheme: ScoringScheme | None = None) -> Table:
    """A rich table of a ranking (ties marked with ``=``)."""
    table = Table(title="ranking")
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("unit", overflow="fold")
    table.add_column("total", justify="right", no_wrap=True)
    table.add_column("grade", overflow="fold")
    for r in rows:
        table.add_row(
            f"{'=' if r.tie else ''}{r.rank}", r.unit, _num(r.total), _band(r.band, scheme)
        )
    return table


def distribution_rows(
    distribution: Mapping[str | None, int], scheme: ScoringScheme | None = None
) -> list[dict[str, str]]:
    """CSV rows of a grade distribution (band, title, count, percent of the total)."""
    whole = sum(distribution.values())
    out: list[dict[str, str]] = []
    for band, count in distribution.items():
        title = ""
        if band is not None and scheme is not None:
            try:
                title = scheme.band(band).title
            except KeyError:
                title = ""
        share = (Decimal(count) * 100 / whole).quantize(Decimal("0.1")) if whole else Decimal(0)
        out.append(
            {
                "band": band or "ungraded",
                "title": title,
                "count": str(count),
                "percent": format(share, "f"),
            }
        )
    return out


def distribution_table(
    distribution: Mapping[str | None, int], scheme: ScoringScheme | None = None
) -> Table:
    """A rich table of a grade distribution."""
    table = Table(title="grade distribution")
    table.add_column("grade", overflow="fold")
    for name in ("count", "%"):
        table.add_column(name, justify="right", no_wrap=True)
    for row in distribution_rows(distribution, scheme):
        label = f"{row['title']} ({row['band']})" if row["title"] else row["band"]
        table.add_row(label, row["count"], row["percent"])
    return table


def to_csv(rows: Sequence[Mapping[str, str]]) -> str:
    """CSV text of rows (the first row's keys are the header)."""
    if not rows:
        return ""
    buffer = io.StringIO()
    fields: list[str] = []
    for row in rows:
        fields.extend(k for k in row if k not in fields)
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def plot_grade_distribution(
    distribution: Mapping[str | None, int],
    path: str | Path,
    *,
    scheme: ScoringScheme | None = None,
    title: str | None = None,
) -> Path:
    """Draw the grade distribution as a bar chart and write a PNG to ``path``.

    Bars are labelled with the band's Chinese title and id (``优秀`` / ``excellent``) when
    a scheme is given, and with their count and share; Chinese is drawn with the packaged
    Noto Sans CJK font on any machine.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zyw_flow._fonts import cjk_rc

    rows = distribution_rows(distribution, scheme)
    labels: list[str] = []
    for band, row in zip(distribution, rows, strict=True):
        label = "未定等次\nungraded" if band is None else band
        if band is not None and row["title"]:
            label = f"{row['title']}\n{band}"
        labels.append(label)
    counts = list(distribution.values())
    with plt.rc_context(cjk_rc()):  # type: ignore[arg-type]
        fig, ax = plt.subplots(figsize=(1.6 + 1.2 * max(len(labels), 1), 4))
        bars = ax.bar(range(len(labels)), counts, color=[f"C{i % 10}" for i in range(len(labels))])
        ax.set_xticks(range(len(labels)), labels)
        ax.bar_label(bars, labels=[f"{r['count']} ({r['percent']}%)" for r in rows])
        ax.set_ylabel("单位数 (units)")
        heading = title or (f"{scheme.title} ({scheme.id})" if scheme else "等次分布")
        ax.set_title(f"{heading} — 等次分布")
        ax.set_ylim(0, max([*counts, 1]) * 1.18)
        fig.tight_layout()
        out = Path(path)
        with replaced(out) as tmp:
            fig.savefig(tmp, dpi=120)
        plt.close(fig)
    return out
