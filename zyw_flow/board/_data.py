"""The board's data: one JSON-ready dict built from a campaign's public API only.

Everything the HTML board shows comes from here (units, their statuses, the rolled-up
board, the overdue list, timelines, findings, sanctions, the calendar and, when the
campaign scores, scorecards, ranking and grade distribution), so the page and its tests
agree on what there is to see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from zyw_flow._errors import ZywFlowError
from zyw_flow._plots import escalation_caption, gantt_rows

if TYPE_CHECKING:
    from zyw_flow.runtime import Campaign, Event, UnitStatus

__all__ = ["STATUS_TITLES", "board_data"]

#: Step statuses, in the board's order, with their Chinese titles.
STATUS_TITLES: Mapping[str, str] = {
    "not_open": "未开始",
    "pending": "待办",
    "returned": "退回修改",
    "submitted": "已报送",
    "overdue": "逾期",
    "accepted": "已通过",
    "waived": "免于办理",
}

_DONE = ("accepted", "waived")
_SOURCES = {
    "inspection": "检查",
    "complaint": "投诉举报",
    "self_check": "自查",
    "covert_visit": "明察暗访",
}


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _num(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _plain(value: Any) -> Any:
    """JSON-ready copy of event data (decimals and instants as strings)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def _subtree(campaign: Campaign, root: str | None) -> list[str]:
    units = list(campaign.units)
    if root is None:
        return units
    campaign.unit_status(root)  # an unknown root raises UnknownUnitError
    parent = {u: campaign.unit_status(u).parent for u in units}
    keep = {root}
    for u in units:  # parents are enrolled before their children
        if parent[u] in keep:
            keep.add(u)
    return [u for u in units if u in keep]


def _unit(status: UnitStatus, depth: int, step_order: Mapping[str, int]) -> dict[str, Any]:
    steps = sorted(status.steps.values(), key=lambda s: (step_order.get(s.step, 1 << 30), s.step))
    done = sum(1 for s in steps if s.status in _DONE)
    opened = sum(1 for s in steps if s.status != "not_open")
    return {
        "id": status.unit,
        "name": status.name or status.unit,
        "kind": status.kind,
        "parent": status.parent,
        "depth": depth,
        "phase": status.phase,
        "done": done,
        "opened": opened,
        "total": len(steps),
        "overdue": sum(1 for s in steps if s.status == "overdue"),
        "steps": [
            {
                "step": s.step,
                "title": s.title,
                "status": s.status,
                "due": _iso(s.due),
                "late": s.late,
                "completed_at": _iso(s.completed_at),
                "escalation": s.escalation,
                "escalation_title": s.escalation_title,
                "warning": s.warning,
                "warning_title": s.warning_title,
            }
            for s in steps
        ],
        "sanctions": [_plain(s) for s in status.sanctions],
        "restrictions": list(status.restrictions),
        "score": status.score,
        "grade": status.grade,
    }


def _evaluation(campaign: Campaign, units: set[str]) -> dict[str, Any] | None:
    schemes = campaign.compiled.schemes
    if not schemes:
        return None
    bands: dict[str, str] = {}
    for scheme in schemes.values():
        for band in scheme.bands:
            bands.setdefault(band.id, band.title)
    try:
        ev = campaign.evaluate()
    except ZywFlowError as exc:
        return {"schemes": _schemes(schemes), "bands": bands, "error": str(exc), "cards": []}
    cards: list[dict[str, Any]] = [
        {
            "unit": card.unit,
            "scheme": card.scheme,
            "person": card.is_person,
            "total": _num(card.total),
            "base": _num(card.base),
            "deducted": _num(card.deducted),
            "raw_band": card.raw_band,
            "band": card.band,
            "reasons": list(card.reasons),
            "missing": [str(m) for m in card.missing],
            "lines": [
                {
                    "indicator": line.indicator,
                    "title": line.title,
                    "depth": line.depth,
                    "period": line.period,
                    "rater_group": line.rater_group,
                    "weight": _num(line.weight),
                    "value": _num(line.value),
                    "contribution": _num(line.contribution),
                }
                for line in card.lines
            ],
        }
        for card in ev.cards.values()
        if card.unit in units
    ]
    distribution: dict[str, int] = {}
    for card in cards:
        if not card["person"]:
            key = card["band"] or "ungraded"
            distribution[key] = distribution.get(key, 0) + 1
    order = [*bands, "ungraded"]
    return {
        "schemes": _schemes(schemes),
        "bands": bands,
        "cards": cards,
        "ranking": [
            {
                "position": r.position,
                "rank": r.rank,
                "unit": r.unit,
                "total": _num(r.total),
                "band": r.band,
                "tie": r.tie,
            }
            for r in ev.ranking
            if r.unit in units
        ],
        "distribution": [
            {"band": b, "count": distribution.get(b, 0)}
            for b in order
            if distribution and (b != "ungraded" or distribution.get(b))
        ],
        "advanced": [u for u in ev.advanced if u in units],
        "top": [u for u in ev.top if u in units],
        "bottom": [u for u in ev.bottom if u in units],
    }


def _schemes(schemes: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {subject: {"id": s.id, "title": s.title} for subject, s in schemes.items()}


def board_data(campaign: Campaign, *, root: str | None = None) -> dict[str, Any]:
    """Everything the HTML board shows, as one JSON-ready dict.

    Args:
        campaign: any campaign (in memory, or opened from a store).
        root: a unit id to show only its subtree; ``None`` for the whole campaign.

    Raises:
        UnknownUnitError: ``root`` is not enrolled.
    """
    resolved = campaign.compiled.resolved
    ids = _subtree(campaign, root)
    keep = set(ids)
    step_order = {s.id: i for i, s in enumerate(resolved.steps)}
    statuses = {u: campaign.unit_status(u) for u in ids}
    depth: dict[str, int] = {}
    for u in ids:
        p = statuses[u].parent
        depth[u] = depth[p] + 1 if p in depth else 0
    units = [_unit(statuses[u], depth[u], step_order) for u in ids]
    children: dict[str | None, list[str]] = {}
    for u in ids:
        p = statuses[u].parent
        children.setdefault(p if p in keep else None, []).append(u)
    titles = {s.id: s.title for s in resolved.steps}
    for unit in units:
        for s in unit["steps"]:
            titles.setdefault(s["step"], s["title"])
    overdue: list[dict[str, Any]] = [
        {
            "unit": item.unit,
            "step": item.step,
            "title": titles.get(item.step, item.step),
            "due": _iso(item.due),
            "escalation": item.escalation,
            "escalation_title": item.escalation_title,
            "warning": item.warning,
        }
        for item in campaign.overdue()
        if item.unit in keep
    ]
    overdue.sort(key=lambda o: (-o["escalation"], o["due"] or "", o["unit"], o["step"]))
    timelines: dict[str, list[dict[str, Any]]] = {}
    findings: list[dict[str, Any]] = []
    by_unit: dict[str, list[Event]] = {u: [] for u in ids}
    for event in campaign.events():  # one pass: the same as timeline(u) for every unit
        if event.unit in by_unit:
            by_unit[event.unit].append(event)
    for u in ids:
        events = by_unit[u]
        timelines[u] = [
            {
                "seq": e.seq,
                "type": e.type,
                "at": e.to_json()["at"],  # None for an enrollment before the campaign's clock
                "step": e.step,
                "actor": e.actor,
                "data": _plain(e.data) if e.data else None,
            }
            for e in events
        ]
        steps = {s.step: s for s in statuses[u].steps.values()}
        for e in events:
            if e.type != "finding_recorded" or e.step is None:
                continue
            data = dict(e.data or {})
            st = steps.get(e.step)
            source = str(data.get("source") or "")
            findings.append(
                {
                    "unit": u,
                    "id": e.step,
                    "at": e.to_json()["at"],
                    "actor": e.actor,
                    "source": source,
                    "source_title": _SOURCES.get(source, source),
                    "description": data.get("description") or "",
                    "due": data.get("due") or (None if st is None else _iso(st.due)),
                    "status": None if st is None else st.status,
                    "escalation_title": None if st is None else st.escalation_title,
                }
            )
    sanctions = [
        {"unit": u["id"], **s} for u in units for s in u["sanctions"] if isinstance(s, dict)
    ]
    sanctions.sort(key=lambda s: (str(s.get("at") or ""), s["unit"]))
    board = campaign.board(root).to_json()
    ladder = [
        {"level": i, "id": level.id, "title": level.title}
        for i, level in enumerate(resolved.escalation, start=1)
    ]
    phases = [
        {"id": p.id, "title": p.title, "start": _iso(p.start), "end": _iso(p.end)}
        for p in resolved.phases
    ]
    gantt = [
        {
            "kind": r.kind,
            "id": r.id,
            "title": r.title,
            "phase": r.phase,
            "start": _iso(r.start),
            "end": _iso(r.end),
            "dues": [_iso(d) for d in r.dues],
            "recurring": r.recurring,
        }
        for r in gantt_rows(resolved)
    ]
    now = campaign.now
    return {
        "campaign": {
            "id": campaign.id,
            "title": resolved.title,
            "at": _iso(now),
            "timezone": resolved.timezone,
            "phase": campaign.phase,
            "advance": campaign.compiled.advance,
            "root": root,
            "escalation_caption": escalation_caption(resolved),
        },
        "statuses": dict(STATUS_TITLES),
        "escalation": ladder,
        "phases": phases,
        "gantt": gantt,
        "units": units,
        "children": {("" if k is None else k): v for k, v in children.items()},
        "board": board,
        "overdue": overdue,
        "timelines": timelines,
        "findings": findings,
        "sanctions": sanctions,
        "evaluation": _evaluation(campaign, keep),
    }
