"""Deadlines as an iCalendar file (RFC 5545, written with the ``icalendar`` package).

Every step with a deadline is one ``VEVENT`` at its due instant, in the campaign's time
zone (``DTSTART;TZID=Asia/Shanghai:…`` with the zone's ``VTIMEZONE``); a recurring step
is one event per instance; each level of the step's warning ladder (``warnings:``) is one
``VALARM`` at the instant its light comes on. The events of a unit's calendar carry its
current deadlines (findings and moved deadlines included) and its step statuses, with
alarms only for the steps it still owes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING

import attrs
from icalendar import Alarm, Calendar, Event, Timezone

from zyw_flow._bundled import installed_version
from zyw_flow._time import from_us, to_us
from zyw_flow.board import STATUS_TITLES

if TYPE_CHECKING:
    from zyw_flow.compile import CompiledCampaign
    from zyw_flow.runtime import Campaign
    from zyw_flow.template import WarningLevelDef

__all__ = ["Deadline", "calendar_bytes", "campaign_calendar", "template_calendar"]

#: Statuses in which a unit still owes a step (its calendar reminds it of those only).
_OWED = frozenset({"not_open", "pending", "returned", "overdue"})

_UNITS = {"working_days": "个工作日", "days": "天", "hours": "小时"}


@attrs.frozen
class Deadline:
    """One event of a calendar.

    Attributes:
        uid: a stable id (the same step of the same campaign keeps it across exports).
        summary: the event's title.
        due: the deadline, an aware instant.
        description: lines shown in the event's notes.
        category: the phase's title (or 整改 for a finding).
        alarms: ``(instant, text)`` reminders (one ``VALARM`` each).
    """

    uid: str
    summary: str
    due: dt.datetime
    description: tuple[str, ...] = ()
    category: str | None = None
    alarms: tuple[tuple[dt.datetime, str], ...] = ()


def _uid(campaign: str, unit: str | None, step: str) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in step)
    return f"{campaign}.{unit or 'all'}.{safe}@zyw-flow"


def _ladder(compiled: CompiledCampaign, s: int | None) -> tuple[WarningLevelDef, ...]:
    """The warning ladder of step ``s`` (its own, else the campaign's; ``None``: a finding)."""
    if s is None or not compiled.step_warnings:
        return compiled.warnings
    return compiled.step_warnings[s]


def _alarms(
    compiled: CompiledCampaign, s: int | None, instants: Sequence[int], summary: str
) -> tuple[tuple[dt.datetime, str], ...]:
    """One reminder per warning level: when its light comes on, and what it says."""
    out = []
    for level, at in zip(_ladder(compiled, s), instants, strict=False):
        when = f"{level.amount}{_UNITS.get(level.unit, level.unit)}后截止"
        out.append((from_us(at, compiled.zone), f"{level.title}：{summary}（{when}）"))
    return tuple(out)


def template_deadlines(compiled: CompiledCampaign) -> list[Deadline]:
    """The template's deadlines, every recurring instance on its own, each with one alarm
    per level of its warning ladder."""
    phases = {p.id: p.title for p in compiled.resolved.phases}
    out: list[Deadline] = []
    for i, step in enumerate(compiled.steps):
        if step.due is None:
            continue
        lines = [f"阶段：{phases.get(step.phase, step.phase)}", f"事项：{step.id}"]
        if step.instance is not None:
            lines.append(f"周期事项 {step.base} 的一次（{step.instance.isoformat()}）")
        if step.moved and step.nominal_due is not None:
            lines.append(f"原定 {step.nominal_due.isoformat()}，因非工作日调整")
        if step.description:
            lines.append(step.description)
        instants = compiled.warning_us[i] if compiled.warning_us else ()
        out.append(
            Deadline(
                _uid(compiled.id, None, step.id),
                f"{step.title}截止",
                _aware(step.due, compiled),
                tuple(lines),
                phases.get(step.phase),
                _alarms(compiled, i, instants, step.title),
            )
        )
    return out


def unit_deadlines(campaign: Campaign, unit: str) -> list[Deadline]:
    """One unit's current deadlines (findings and moved deadlines included) with their
    statuses; a step it still owes has one alarm per warning level before its deadline."""
    compiled = campaign.compiled
    phases = {p.id: p.title for p in compiled.resolved.phases}
    steps = {s.id: s for s in compiled.steps}
    index = {s.id: i for i, s in enumerate(compiled.steps)}
    st = campaign.unit_status(unit)
    who = f"{st.name}（{unit}）" if st.name else unit
    out: list[Deadline] = []
    for sid, s in st.steps.items():
        if s.due is None:
            continue
        step = steps.get(sid)
        phase = phases.get(step.phase, step.phase) if step is not None else "整改"
        lines = [
            f"单位：{who}",
            f"阶段：{phase}",
            f"事项：{sid}",
            f"状态：{STATUS_TITLES.get(s.status, s.status)}（{s.status}）",
        ]
        if step is not None and step.instance is not None:
            lines.append(f"周期事项 {step.base} 的一次（{step.instance.isoformat()}）")
        if step is not None and step.due is not None and step.due.timestamp() != s.due.timestamp():
            planned = _aware(step.due, compiled).isoformat()
            lines.append(f"原定 {planned}，现为 {s.due.astimezone(compiled.zone).isoformat()}")
        if s.late:
            lines.append("逾期")
        if s.escalation_title:
            lines.append(f"督办：{s.escalation_title}")
        if s.warning_title:
            lines.append(f"预警：{s.warning_title}")
        if s.completed_at is not None:
            lines.append(f"完成于 {s.completed_at.astimezone(compiled.zone).isoformat()}")
        alarms: tuple[tuple[dt.datetime, str], ...] = ()
        if s.status in _OWED:  # the warning instants of the unit's own current deadline
            i = index.get(sid)
            instants = compiled.deadline_instants(i, to_us(s.due))[1]
            alarms = _alarms(compiled, i, instants, s.title or sid)
        out.append(
            Deadline(
                _uid(compiled.id, unit, sid),
                f"【{st.name or unit}】{s.title or sid}截止",
                s.due.astimezone(compiled.zone),
                tuple(lines),
                phase,
                alarms,
            )
        )
    return out


def _aware(at: dt.datetime, compiled: CompiledCampaign) -> dt.datetime:
    return dt.datetime.fromtimestamp(at.timestamp(), compiled.zone)


def _calendar(
    name: str, zone: str, tzinfo: dt.tzinfo, deadlines: Sequence[Deadline], stamp: dt.datetime
) -> Calendar:
    cal = Calendar()
    cal.add("prodid", f"-//zyw_flow//zyw-flow {installed_version()}//ZH")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", zone)
    if deadlines:
        first = min(d.due for d in deadlines).date() - dt.timedelta(days=1)
        last = max(d.due for d in deadlines).date() + dt.timedelta(days=1)
        cal.add_component(Timezone.from_tzinfo(tzinfo, zone, first, last))
    utc_stamp = stamp.astimezone(dt.UTC).replace(microsecond=0)
    for d in deadlines:
        ev = Event()
        ev.add("uid", d.uid)
        ev.add("dtstamp", utc_stamp)
        ev.add("summary", d.summary)
        ev.add("dtstart", d.due.astimezone(tzinfo).replace(microsecond=0))
        ev.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
        if d.description:
            ev.add("description", "\n".join(d.description))
        if d.category:
            ev.add("categories", [d.category])
        for at, text in d.alarms:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", text)
            # an absolute trigger: in UTC, and it must say VALUE=DATE-TIME (RFC 5545 3.8.6.3)
            alarm.add(
                "trigger",
                at.astimezone(dt.UTC).replace(microsecond=0),
                parameters={"VALUE": "DATE-TIME"},
            )
            ev.add_component(alarm)
        cal.add_component(ev)
    return cal


def template_calendar(compiled: CompiledCampaign, *, stamp: dt.datetime | None = None) -> Calendar:
    """A template's deadlines as a calendar; ``stamp`` (``DTSTAMP``) defaults to its first
    phase's start, so the same template gives the same file."""
    first = _aware(compiled.resolved.phases[0].start, compiled)
    return _calendar(
        f"{compiled.resolved.title}（{compiled.id}）",
        compiled.timezone,
        compiled.zone,
        template_deadlines(compiled),
        stamp or first,
    )


def campaign_calendar(
    campaign: Campaign, unit: str | None = None, *, stamp: dt.datetime | None = None
) -> Calendar:
    """A campaign's deadlines (its template's), or with ``unit`` that unit's current ones.
    ``stamp`` (``DTSTAMP``) defaults to the campaign's clock, else its first phase's start.

    Raises:
        UnknownUnitError: ``unit`` is not enrolled.
    """
    compiled = campaign.compiled
    when = stamp or campaign.now or _aware(compiled.resolved.phases[0].start, compiled)
    if unit is None:
        return _calendar(
            f"{compiled.resolved.title}（{compiled.id}）",
            compiled.timezone,
            compiled.zone,
            template_deadlines(compiled),
            when,
        )
    st = campaign.unit_status(unit)
    return _calendar(
        f"{compiled.resolved.title} — {st.name or unit}",
        compiled.timezone,
        compiled.zone,
        unit_deadlines(campaign, unit),
        when,
    )


def calendar_bytes(cal: Calendar) -> bytes:
    """The calendar as an ``.ics`` file's bytes (CRLF lines, folded at 75 octets)."""
    data: bytes = cal.to_ical()
    return data
