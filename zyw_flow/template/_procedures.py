"""The ``complaints:`` and ``accountability:`` blocks of a campaign template.

``complaints:`` declares how the office runs 效能投诉 (intake channels, categories, the
reply deadline of 限时办结 and the callback's satisfaction scale); ``accountability:``
declares the 问责 procedure: the catalogue of 问责情形, the investigation and statement
periods, which roles are a unit's leaders, and the blame-chain rules that name them.
Both are optional; a template without them takes the defaults below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import attrs

from zyw_flow._errors import DateExpressionError
from zyw_flow._yaml import join
from zyw_flow.dates import DurationUnit, parse_duration

__all__ = [
    "LEADER_POSITIONS",
    "AccountabilityDef",
    "ChainRuleDef",
    "ComplaintsDef",
    "SituationDef",
    "build_accountability",
    "build_complaints",
]

#: A unit's leaders (单位领导) by position: 主要领导 (principal) and 分管领导 (deputy).
LEADER_POSITIONS: Mapping[str, str] = {"principal": "主要领导", "deputy": "分管领导"}


@attrs.frozen
class ComplaintsDef:
    """How complaints (效能投诉) are taken and handled.

    Attributes:
        reply_days: the reply deadline of a complaint handed to a unit (限时办结), counted
            from the hand-over in ``reply_unit`` (working days by default).
        channels: the intake channels (来电, 来信, 网上, 来访, 媒体 …).
        categories: the complaint categories; empty: any text.
        satisfaction: the callback scale (回访), answer id → title, best first.
        satisfied: the answers that count as satisfied in the satisfaction rate.
    """

    reply_days: int = 5
    reply_unit: DurationUnit = "working_days"
    channels: tuple[str, ...] = ("hotline", "letter", "online", "visit", "media")
    categories: tuple[str, ...] = ()
    satisfaction: Mapping[str, str] = attrs.field(
        factory=lambda: {
            "satisfied": "满意",
            "basically_satisfied": "基本满意",
            "dissatisfied": "不满意",
        }
    )
    satisfied: tuple[str, ...] = ("satisfied", "basically_satisfied")


@attrs.frozen
class SituationDef:
    """One 问责情形 of the catalogue: what a case is opened for.

    ``joint`` lists leader positions held to account together with the respondent whenever
    a case of this situation is opened (001-D (十四): 「一并实施问责」).
    """

    id: str
    title: str
    aspect: str = ""
    joint: tuple[str, ...] = ()


@attrs.frozen
class ChainRuleDef:
    """A blame-chain rule: ``cases`` or more cases opened against one unit in one calendar
    year (of ``situation`` only, if given) also name the leaders at ``names``."""

    id: str
    title: str
    cases: int
    names: tuple[str, ...]
    situation: str | None = None


def _default_situations() -> tuple[SituationDef, ...]:
    # 001-D L46: 「要把解决不作为、乱作为、慢作为、假作为等问题作为首要任务」
    return (
        SituationDef("inaction", "不作为"),
        SituationDef("misconduct", "乱作为"),
        SituationDef("slowness", "慢作为"),
        SituationDef("falsehood", "假作为"),
    )


@attrs.frozen
class AccountabilityDef:
    """The 问责 procedure: 立案 → 调查 → 告知/申辩 → 决定 → 公开.

    Attributes:
        investigation_days: the investigation deadline, from 立案.
        statement_days: how long the respondent has for a statement (申辩) after notice.
        leaders: leader position (``principal``, ``deputy``) → the role id an actor holds
            on a unit (its ``unit``) to be that unit's leader.
        situations: the catalogue of 问责情形.
        chain: blame-chain rules.
    """

    investigation_days: int = 30
    investigation_unit: DurationUnit = "working_days"
    statement_days: int = 5
    statement_unit: DurationUnit = "working_days"
    leaders: Mapping[str, str] = attrs.field(
        factory=lambda: {"principal": "principal", "deputy": "deputy"}
    )
    situations: tuple[SituationDef, ...] = attrs.field(factory=_default_situations)
    chain: tuple[ChainRuleDef, ...] = ()

    def situation(self, sid: str) -> SituationDef | None:
        """The situation with that id, if declared."""
        return next((s for s in self.situations if s.id == sid), None)


Problem = Callable[[str, str], None]


def _days(
    raw: Mapping[str, Any],
    name: str,
    default: tuple[int, DurationUnit],
    path: str,
    problem: Problem,
) -> tuple[int, DurationUnit]:
    if name not in raw:
        return default
    value = raw[name]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value, "working_days"  # a bare number counts working days, as for findings
    try:
        return parse_duration(value)
    except DateExpressionError as exc:
        problem(join(path, name), f"bad delay: {exc.reason}")
        return default


def build_complaints(raw: Any, problem: Problem) -> ComplaintsDef:
    """The ``complaints:`` block (the schema checked its shape)."""
    base = ComplaintsDef()
    if not isinstance(raw, dict):
        return base
    days, unit = _days(raw, "reply_days", (base.reply_days, base.reply_unit), "complaints", problem)
    scale = raw.get("satisfaction")
    satisfaction = dict(base.satisfaction)
    if isinstance(scale, dict) and scale:
        satisfaction = {str(k): str(v) for k, v in scale.items()}
    satisfied = tuple(raw.get("satisfied", ())) or tuple(
        s for s in base.satisfied if s in satisfaction
    )
    for i, s in enumerate(satisfied):
        if s not in satisfaction:
            problem(
                join(join("complaints", "satisfied"), i),
                f"{s!r} is not on the satisfaction scale ({', '.join(satisfaction)})",
            )
    return ComplaintsDef(
        days,
        unit,
        tuple(raw.get("channels", base.channels)),
        tuple(raw.get("categories", ())),
        satisfaction,
        satisfied,
    )


def build_accountability(raw: Any, roles: Mapping[str, str], problem: Problem) -> AccountabilityDef:
    """The ``accountability:`` block: periods, leaders, the catalogue and chain rules."""
    base = AccountabilityDef()
    if not isinstance(raw, dict):
        return base
    inv = _days(
        raw,
        "investigation_days",
        (base.investigation_days, base.investigation_unit),
        "accountability",
        problem,
    )
    stm = _days(
        raw, "statement_days", (base.statement_days, base.statement_unit), "accountability", problem
    )
    leaders = dict(base.leaders)
    if isinstance(raw.get("leaders"), dict):
        leaders.update({str(k): str(v) for k, v in raw["leaders"].items()})
    used: set[str] = set()
    situations = base.situations
    if isinstance(raw.get("situations"), list):
        situations = tuple(
            SituationDef(
                str(s["id"]),
                str(s.get("title", s["id"])),
                str(s.get("aspect", "")),
                tuple(s.get("joint", ())),
            )
            for s in raw["situations"]
            if isinstance(s, dict) and "id" in s
        )
    seen: set[str] = set()
    for i, s in enumerate(situations):
        if s.id in seen:
            problem(
                join(join("accountability.situations", i), "id"), f"duplicate situation id {s.id!r}"
            )
        seen.add(s.id)
        used.update(s.joint)
    chain: list[ChainRuleDef] = []
    for i, r in enumerate(raw.get("chain") or ()):
        if not isinstance(r, dict):
            continue
        path = join("accountability.chain", i)
        rule = ChainRuleDef(
            str(r.get("id")),
            str(r.get("title", r.get("id"))),
            int(r.get("cases", 1)),
            tuple(r.get("names", ())),
            r.get("situation"),
        )
        if rule.situation is not None and rule.situation not in seen:
            problem(
                join(path, "situation"),
                f"unknown situation {rule.situation!r}; the catalogue has "
                f"{', '.join(sorted(seen))}",
            )
        used.update(rule.names)
        chain.append(rule)
    for position in sorted(used):
        if position not in leaders:
            problem(
                "accountability",
                f"unknown leader position {position!r}; positions: {', '.join(leaders)}",
            )
        elif leaders[position] not in roles:
            problem(
                join("accountability.leaders", position),
                f"leader role {leaders[position]!r} is not a declared role "
                f"({', '.join(roles)}); declare it under roles:",
            )
    return AccountabilityDef(inv[0], inv[1], stm[0], stm[1], leaders, situations, tuple(chain))
