"""The board, the overdue list, the scorecards and the ranking as :class:`Sheet` tables with
Chinese headers, read through a campaign's public read API only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from zyw_flow.board import STATUS_TITLES
from zyw_flow.exchange._sheet import Cell, Sheet

if TYPE_CHECKING:
    from zyw_flow.evaluation import ScoringScheme
    from zyw_flow.runtime import Board, Campaign

__all__ = [
    "EXPORTS",
    "board_sheet",
    "overdue_sheet",
    "ranking_sheet",
    "scorecards_sheet",
]

_BEFORE = "尚未开始"


def _local(campaign: Campaign, at: dt.datetime | None) -> dt.datetime | None:
    return None if at is None else at.astimezone(campaign.compiled.zone)


def _names(campaign: Campaign) -> dict[str, str]:
    return {st.unit: st.name or "" for st in campaign.iter_units()}


def board_sheet(campaign: Campaign, root: str | None = None) -> Sheet:
    """The board (统计看板): one row per unit, depth-first down the unit tree (the campaign
    total first), with its number of units, how many are in each phase and how many steps
    are in each status."""
    board = campaign.board(root)
    titles = {p.id: p.title for p in campaign.compiled.resolved.phases}
    phases = [p for p in (*titles, "before") if p in board.phases]
    statuses = list(STATUS_TITLES)
    header = (
        "层级",
        "单位编号",
        "单位名称",
        "单位数",
        *(f"阶段：{titles.get(p, _BEFORE)}" for p in phases),
        *(f"事项：{STATUS_TITLES[s]}" for s in statuses),
    )
    rows: list[tuple[Cell, ...]] = []

    def walk(b: Board, depth: int) -> None:
        rows.append(
            (
                depth,
                b.unit or "（全部）",
                b.name or "",
                b.units,
                *(b.phases.get(p, 0) for p in phases),
                *(b.statuses.get(s, 0) for s in statuses),
            )
        )
        for child in b.children:
            walk(child, depth + 1)

    walk(board, 0 if root is None else 1)
    return Sheet("统计看板", header, tuple(rows))


def overdue_sheet(campaign: Campaign) -> Sheet:
    """Every overdue step (逾期事项) with its unit, title, due time, the last warning light
    it reached and its escalation."""
    names = _names(campaign)
    compiled = campaign.compiled
    steps = {step.id: step.title for step in compiled.steps}
    lights = {w.id: w.title for ladder in (compiled.warnings, *compiled.step_warnings)
              for w in ladder}  # fmt: skip
    found: dict[tuple[str, str], str] = {}  # a finding's title: from its unit's status
    rows: list[tuple[Cell, ...]] = []
    for item in campaign.overdue():
        title = steps.get(item.step)
        if title is None:
            if (item.unit, item.step) not in found:
                for sid, step in campaign.unit_status(item.unit).steps.items():
                    found[(item.unit, sid)] = step.title
            title = found.get((item.unit, item.step), "")
        rows.append(
            (
                item.unit,
                names.get(item.unit, ""),
                item.step,
                title,
                _local(campaign, item.due),
                lights.get(item.warning, item.warning) if item.warning else "",
                item.escalation,
                item.escalation_title or "",
            )
        )
    zone = campaign.compiled.timezone
    header = ("单位编号", "单位名称", "事项编号", "事项名称", f"截止时间（{zone}）",
              "预警", "督办级别", "督办措施")  # fmt: skip
    return Sheet("逾期事项", header, tuple(rows))


def _band(scheme: ScoringScheme | None, band: str | None) -> str:
    if band is None:
        return ""
    if scheme is not None:
        try:
            return scheme.band(band).title
        except KeyError:
            pass
    return band


def scorecards_sheet(campaign: Campaign) -> Sheet:
    """Every scorecard (考核评分表), one row a unit or person: each leaf indicator's score
    (a column per indicator, period and rater group), base, deductions, total and grade."""
    evaluation = campaign.evaluate()
    names = _names(campaign)
    schemes = campaign.compiled.schemes
    columns: dict[tuple[str, str | None, str | None], str] = {}
    for card in evaluation.cards.values():
        for line in card.lines:
            if line.leaf:
                label = " · ".join(x for x in (line.title, line.period, line.rater_group) if x)
                columns.setdefault((line.indicator, line.period, line.rater_group), label)
    rows: list[tuple[Cell, ...]] = []
    for uid, card in evaluation.cards.items():
        scheme = schemes.get("persons" if card.is_person else "units")
        values: dict[tuple[str, str | None, str | None], Decimal | None] = {
            (line.indicator, line.period, line.rater_group): line.value
            for line in card.lines
            if line.leaf
        }
        rows.append(
            (
                uid,
                names.get(uid, ""),
                "个人" if card.is_person else "单位",
                *(values.get(key) for key in columns),
                card.base,
                card.deducted,
                card.total,
                _band(scheme, card.raw_band),
                _band(scheme, card.band),
                "；".join(card.reasons),
                len(card.missing),
            )
        )
    header = ("编号", "名称", "对象", *columns.values(), "基础分", "扣分", "总分",
              "初定等次", "等次", "等次说明", "缺项数")  # fmt: skip
    return Sheet("考核评分", header, tuple(rows))


def ranking_sheet(campaign: Campaign) -> Sheet:
    """The ranking of units by total (考核排名): position, rank (ties share it), unit,
    total and grade."""
    evaluation = campaign.evaluate()
    names = _names(campaign)
    scheme = campaign.compiled.schemes.get("units")
    rows: tuple[tuple[Cell, ...], ...] = tuple(
        (
            r.position,
            r.rank,
            "是" if r.tie else "",
            r.unit,
            names.get(r.unit, ""),
            r.total,
            _band(scheme, r.band),
        )
        for r in evaluation.ranking
    )
    header = ("序号", "名次", "并列", "单位编号", "单位名称", "总分", "等次")
    return Sheet("考核排名", header, rows)


#: Export name → the function that builds its sheet.
EXPORTS: Mapping[str, Callable[[Campaign], Sheet]] = {
    "board": board_sheet,
    "overdue": overdue_sheet,
    "scorecards": scorecards_sheet,
    "ranking": ranking_sheet,
}
