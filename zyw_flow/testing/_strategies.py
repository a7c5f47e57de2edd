"""Hypothesis strategies: templates (valid and invalid), units, actors, instants."""

from __future__ import annotations

import datetime as dt
from typing import Any

import chinese_calendar
from hypothesis import strategies as st

__all__ = [
    "actors",
    "awkward_instants",
    "invalid_templates",
    "template_texts",
    "unit_trees",
    "units",
]

_ROLES = ("member", "office", "inspector", "accountability", "leader")
_PHASES = ("mobilization", "self_check", "supervision", "summary")
_TZ = dt.timezone(dt.timedelta(hours=8))


def _special_days(year: int) -> list[dt.date]:
    days = [
        d
        for d in (*chinese_calendar.constants.holidays, *chinese_calendar.constants.workdays)
        if d.year == year
    ]
    return sorted(days) or [dt.date(year, 1, 1)]


@st.composite
def awkward_instants(draw: st.DrawFn, years: tuple[int, int] = (2011, 2025)) -> dt.datetime:
    """Instants that like to sit on holidays, 调休 make-up days, day ends and year ends."""
    year = draw(st.integers(*years))
    day = draw(
        st.one_of(
            st.sampled_from(_special_days(year)),
            st.sampled_from([dt.date(year, 12, 31), dt.date(year, 1, 1), dt.date(year, 10, 1)]),
            st.dates(dt.date(year, 1, 1), dt.date(year, 12, 31)),
        )
    )
    time = draw(
        st.one_of(
            st.sampled_from([dt.time(0, 0), dt.time(23, 59, 59, 999_999), dt.time(12, 0)]),
            st.times(),
        )
    )
    return dt.datetime.combine(day, time, tzinfo=_TZ)


@st.composite
def units(draw: st.DrawFn, max_size: int = 8) -> list[dict[str, Any]]:
    """Unit rows (``id``, ``name``, ``parent``, ``kind``) forming a tree, parents first."""
    n = draw(st.integers(1, max_size))
    rows: list[dict[str, Any]] = []
    for i in range(n):
        parent = draw(st.sampled_from([None, *[r["id"] for r in rows if r["kind"] == "unit"]]))
        kind = "person" if parent is not None and draw(st.booleans()) else "unit"
        rows.append({"id": f"u{i}", "name": f"单位{i}", "parent": parent, "kind": kind})
    return rows


unit_trees = units


@st.composite
def actors(draw: st.DrawFn, unit_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Actors with roles: one member per unit plus holders of the other roles."""
    out: dict[str, dict[str, Any]] = {
        f"member-{u}": {"roles": ["member"], "unit": u} for u in unit_ids
    }
    for role in _ROLES[1:]:
        out[f"{role}-actor"] = {"roles": [role]}
    if draw(st.booleans()):
        out["office-and-inspector"] = {"roles": ["office", "inspector"]}
    return out


def _fmt(d: dt.date, chinese: bool) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if chinese else d.isoformat()


@st.composite
def _template_parts(draw: st.DrawFn) -> dict[str, Any]:
    year = draw(st.integers(2011, 2024))
    n_phases = draw(st.integers(1, 4))
    start = dt.date(year, draw(st.integers(1, 9)), draw(st.integers(1, 28)))
    phases = []
    step_ids: list[str] = []
    for p in range(n_phases):
        length = draw(st.integers(3, 60))
        end = start + dt.timedelta(days=length - 1)
        steps = []
        for k in range(draw(st.integers(1, 4))):
            sid = f"p{p}s{k}"
            due_offset = draw(st.integers(0, length + 15))
            due = start + dt.timedelta(days=due_offset)
            deps = (
                draw(st.lists(st.sampled_from(step_ids), max_size=2, unique=True))
                if step_ids
                else []
            )
            steps.append(
                {
                    "id": sid,
                    "due": _fmt(due, draw(st.booleans())) + ("前" if draw(st.booleans()) else ""),
                    "after": deps,
                    "review": draw(st.sampled_from([["office"], []])),
                    "policy": draw(st.sampled_from(["keep", "next_workday", "previous_workday"])),
                }
            )
            step_ids.append(sid)
        phases.append({"use": _PHASES[min(p, 3)], "start": start, "end": end, "steps": steps})
        start = end + dt.timedelta(days=1)
    ladder = draw(st.lists(st.integers(1, 6), min_size=0, max_size=3, unique=True).map(sorted))
    return {
        "year": year,
        "phases": phases,
        "ladder": ladder,
        "advance": draw(st.sampled_from(["calendar", "completion"])),
    }


def _render(parts: dict[str, Any], mutate: str | None = None) -> str:
    lines = [
        "id: generated",
        "title: 生成的活动方案",
        f"params: {{year: {{type: int, default: {parts['year']}}}}}",
        f"advance: {parts['advance']}",
        "calendar: {name: cn, on_non_workday: keep}",
    ]
    if parts["ladder"]:
        lines.append("escalation:")
        for i, days in enumerate(parts["ladder"]):
            lines.append(
                f"  - {{id: level{i + 1}, title: 第{i + 1}级, after: {days} working days}}"
            )
    lines.append("phases:")
    seen_use: set[str] = set()
    for p, phase in enumerate(parts["phases"]):
        use = phase["use"]
        head = f"  - use: {use}" if use not in seen_use else f"  - id: phase{p}\n    title: 阶段{p}"
        seen_use.add(use)
        lines.append(head)
        window = f"{phase['start'].isoformat()}—{phase['end'].isoformat()}"
        if mutate == "window" and p == 0:
            window = f"{phase['end'].isoformat()}—{phase['start'].isoformat()}"
        lines.append(f"    window: {window}")
        if use and use == phase["use"] and not head.startswith("  - id"):
            lines.append("    drop: []")
        lines.append("    steps:")
        for k, step in enumerate(phase["steps"]):
            after = list(step["after"])
            submit = "[member]"
            due = step["due"]
            if mutate == "dependency" and p == 0 and k == 0:
                after = ["no_such_step"]
            if mutate == "role" and p == 0 and k == 0:
                submit = "[emperor]"
            if mutate == "date" and p == 0 and k == 0:
                due = "9月32日前"
            lines.append(
                f"      {step['id']}: {{title: 事项{step['id']}, kind: document, submit: {submit}, "
                f'review: [{", ".join(step["review"])}], due: "{due}", '
                f"on_non_workday: {step['policy']}, early: true, after: [{', '.join(after)}]}}"
            )
        if mutate == "duplicate" and p == 0:
            first = phase["steps"][0]["id"]
            lines.append(f"      {first}: {{title: 重复}}")
    return "\n".join(lines) + "\n"


@st.composite
def template_texts(draw: st.DrawFn) -> str:
    """YAML texts of valid campaign templates: 1–4 contiguous phases, steps with ISO or
    Chinese deadlines (some trailing their phase), dependencies on earlier steps, review or
    none, each non-working-day policy, an escalation ladder, either advance policy."""
    return _render(draw(_template_parts()))


_DEFECTS = {
    "window": "before it starts",
    "dependency": "unknown step 'no_such_step'",
    "role": "unknown role 'emperor'",
    "date": "day 32 does not exist",
}


@st.composite
def invalid_templates(draw: st.DrawFn) -> tuple[str, str]:
    """``(yaml_text, expected_message_fragment)``: a valid template with one planted defect
    (window backwards, unknown dependency, unknown role, impossible date)."""
    parts = draw(_template_parts())
    defect = draw(st.sampled_from(sorted(_DEFECTS)))
    return _render(parts, defect), _DEFECTS[defect]
