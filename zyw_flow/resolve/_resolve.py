"""Resolve a :class:`CampaignTemplate` into dated phases and steps.

Every window becomes ``[start of its first day, end of its last day]`` in the template's
time zone; every deadline becomes the end of its day (23:59:59.999999), moved by the
``on_non_workday`` policy; recurring steps become one step per instance
(``weekly_report@2011-03-07``). Problems are collected and raised together as a
:class:`TemplateError`, located like the loader's.
"""

from __future__ import annotations

import calendar as _stdcal
import datetime as dt
from collections.abc import Iterator
from typing import Any

import attrs
import pendulum

from zyw_flow._errors import (
    CalendarError,
    DateExpressionError,
    Problem,
    TemplateError,
)
from zyw_flow._yaml import join
from zyw_flow.dates import (
    AbsoluteDate,
    DateExpr,
    RelativeDate,
    WorkCalendar,
    end_of_day,
    parse_date,
    parse_recurrence,
    parse_window,
    start_of_day,
)
from zyw_flow.template._inherited import inherited_problem
from zyw_flow.template._model import (
    CalendarDef,
    CampaignTemplate,
    EscalationLevelDef,
    PhaseDef,
    StepDef,
)

__all__ = ["ResolvedCampaign", "ResolvedPhase", "ResolvedStep", "make_calendar", "resolve"]


@attrs.frozen
class ResolvedStep:
    """A step with its instants.

    Attributes:
        id: unique id; a recurring instance is ``<base>@<due date>``.
        base: the step id in the template.
        instance: the instance's due date for a recurring step, else ``None``.
        opens: not open before this instant.
        due: the deadline instant (end of day) or ``None`` for no deadline.
        nominal_due: the deadline's day before the non-working-day policy.
        moved: whether the policy moved the deadline.
        closes: submissions refused after this instant, or ``None``.
        blocks_next: under ``completion`` advance, needed to enter the next phase.
    """

    id: str
    base: str
    title: str
    kind: str
    phase: str
    phase_index: int
    submit: tuple[str, ...]
    review: tuple[str, ...]
    after: tuple[str, ...]
    opens: pendulum.DateTime
    due: pendulum.DateTime | None
    nominal_due: dt.date | None
    moved: bool
    closes: pendulum.DateTime | None
    blocks_next: bool
    instance: dt.date | None = None
    description: str = ""


@attrs.frozen
class ResolvedPhase:
    """A phase with its window: ``start`` (00:00 of the first day) … ``end`` (end of last)."""

    id: str
    title: str
    use: str | None
    index: int
    start: pendulum.DateTime
    end: pendulum.DateTime
    steps: tuple[ResolvedStep, ...]


@attrs.frozen
class ResolvedCampaign:
    """A template resolved for its parameters: every date an aware instant."""

    template: CampaignTemplate
    calendar: WorkCalendar
    timezone: str
    phases: tuple[ResolvedPhase, ...]

    @property
    def id(self) -> str:
        """The template id."""
        return self.template.id

    @property
    def title(self) -> str:
        """The template title."""
        return self.template.title

    @property
    def steps(self) -> tuple[ResolvedStep, ...]:
        """All steps in phase order (recurring instances expanded)."""
        return tuple(s for p in self.phases for s in p.steps)

    @property
    def escalation(self) -> tuple[EscalationLevelDef, ...]:
        """The escalation ladder for overdue steps."""
        return self.template.escalation

    @property
    def start(self) -> pendulum.DateTime:
        """The first phase's opening instant."""
        return self.phases[0].start

    @property
    def end(self) -> pendulum.DateTime:
        """The last phase's closing instant."""
        return self.phases[-1].end

    def phase(self, phase_id: str) -> ResolvedPhase:
        """The phase with that id (KeyError if none)."""
        for p in self.phases:
            if p.id == phase_id:
                return p
        raise KeyError(phase_id)

    def step(self, step_id: str) -> ResolvedStep:
        """The step (or recurring instance) with that id (KeyError if none)."""
        for s in self.steps:
            if s.id == step_id:
                return s
        raise KeyError(step_id)

    def to_json(self) -> dict[str, Any]:
        """The ``zyw-flow show --json`` document."""
        phases = []
        for p in self.phases:
            grouped: dict[str, list[ResolvedStep]] = {}
            for s in p.steps:
                grouped.setdefault(s.base, []).append(s)
            steps: list[dict[str, Any]] = []
            for base, group in grouped.items():
                first = group[0]
                due: Any
                if first.instance is not None:
                    due = [_iso(s.due) for s in group]
                else:
                    due = _iso(first.due)
                entry: dict[str, Any] = {"id": base, "title": first.title, "due": due}
                after = self.template.step(base).due_after
                if after is not None:  # no deadline until the host records the trigger
                    entry["due_after"] = {"trigger": after.trigger, "within": after.amount,
                                          "unit": after.unit}  # fmt: skip
                steps.append(entry)
            phases.append(
                {
                    "id": p.id,
                    "title": p.title,
                    "start": _iso(p.start),
                    "end": _iso(p.end),
                    "steps": steps,
                }
            )
        return {
            "id": self.id,
            "title": self.title,
            "timezone": self.timezone,
            "params": dict(self.template.params),
            "phases": phases,
        }


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def make_calendar(cdef: CalendarDef) -> WorkCalendar:
    """Build the :class:`WorkCalendar` a ``calendar:`` block describes."""

    def dates(texts: tuple[str, ...]) -> frozenset[dt.date]:
        return frozenset(dt.date.fromisoformat(t) for t in texts)

    return WorkCalendar(
        name=cdef.name,
        extra_holidays=dates(cdef.extra_holidays),
        extra_workdays=dates(cdef.extra_workdays),
        years={y: (dates(h), dates(w)) for y, (h, w) in cdef.years.items()},
        fallback=cdef.fallback,
    )


class _Reported(DateExpressionError):
    """A date that depends on one whose problem is already reported."""

    def __init__(self) -> None:
        super().__init__("", "depends on a date already reported")


class _Resolver:
    def __init__(self, template: CampaignTemplate) -> None:
        self.t = template
        self.year = template.year
        self.tz = template.timezone
        self.problems: list[Problem] = []
        try:
            self.calendar = make_calendar(template.calendar)
        except (CalendarError, ValueError) as exc:  # the loader checks the block; a bare
            self.problem("calendar", str(exc))  # CalendarDef may still be wrong
            self.calendar = WorkCalendar(fallback=template.calendar.fallback
                                         if template.calendar.fallback in ("error", "weekends")
                                         else "error")  # fmt: skip
        self.windows: dict[str, tuple[dt.date, dt.date]] = {}
        self.step_defs: dict[str, StepDef] = {s.id: s for p in template.phases for s in p.steps}
        self.due_dates: dict[str, dt.date | None] = {}
        self._resolving: set[str] = set()
        self.failed: set[str] = set()  # steps whose deadline could not be read (reported)
        self.failed_windows: set[str] = set()  # phases whose window could not be (reported)

    def problem(self, path: str, message: str) -> None:
        moved = inherited_problem(self.t.inherited, path, message)
        if moved is not None:
            self.problems.append(moved)
            return
        line = None
        probe = path
        while True:
            if probe in self.t.lines:
                line = self.t.lines[probe]
                break
            if not probe:
                break
            cut = max(probe.rfind("."), probe.rfind("["))
            probe = probe[:cut] if cut > 0 else ""
        self.problems.append(Problem(self.t.file, line, path, message))

    # -- evaluation -----------------------------------------------------------------
    def anchor(self, anchor: str, phase: PhaseDef, path: str) -> dt.date:
        if anchor[:1].isdigit():  # an ISO date: `2015-02-28 - 2 working days`
            return dt.date.fromisoformat(anchor)
        parts = anchor.split(".")
        if parts[0] == "phase":
            if phase.id not in self.windows:  # in the phase's own window
                raise DateExpressionError(anchor, "a window cannot refer to its own phase")
            start, end = self.windows[phase.id]
            return start if parts[1] == "start" else end
        if parts[0] == "campaign":
            if parts[1] == "start":
                if not self.windows:
                    raise DateExpressionError(
                        anchor,
                        "the campaign starts with the first phase's window, which "
                        "cannot refer to it",
                    )
                return min(w[0] for w in self.windows.values())
            if self.failed_windows:
                raise _Reported
            if len(self.windows) < len(self.t.phases):
                raise DateExpressionError(anchor, "campaign.end is known only after every window")
            return max(w[1] for w in self.windows.values())
        if parts[0] == "phases":
            if parts[1] in self.failed_windows:
                raise _Reported
            if parts[1] not in self.windows:
                raise DateExpressionError(
                    anchor, f"phase {parts[1]!r} has no window yet (refer only to earlier phases)"
                )
            start, end = self.windows[parts[1]]
            return start if parts[2] == "start" else end
        if parts[0] == "quarters":
            q = int(parts[1][1])
            if not 1 <= self.year <= 9999:
                raise DateExpressionError(anchor, f"year {self.year} is out of range")
            if parts[2] == "start":
                return dt.date(self.year, 3 * q - 2, 1)
            return dt.date(self.year, 3 * q, _stdcal.monthrange(self.year, 3 * q)[1])
        if parts[0] == "steps":
            if parts[1] in self.failed:
                raise _Reported
            due = self.step_due(parts[1], path)
            if parts[1] in self.failed:
                raise _Reported
            if due is None:
                after = self.step_defs[parts[1]].due_after if parts[1] in self.step_defs else None
                why = (
                    ""
                    if after is None
                    else (f" of its own: it is due after trigger {after.trigger!r}, once per unit")
                )
                raise DateExpressionError(anchor, f"step {parts[1]!r} has no deadline{why}")
            return due
        raise DateExpressionError(anchor, "unknown anchor")  # pragma: no cover

    def evaluate(self, expr: DateExpr, phase: PhaseDef, path: str, last: bool) -> dt.date:
        if isinstance(expr, RelativeDate):
            return expr.apply(self.anchor(expr.anchor, phase, path), self.calendar)
        assert isinstance(expr, AbsoluteDate)
        span = expr.span(self.year)
        return span.last if last else span.first

    def date_of(self, text: str, phase: PhaseDef, path: str, last: bool) -> dt.date | None:
        try:
            return self.evaluate(parse_date(text), phase, path, last)
        except _Reported:
            pass
        except DateExpressionError as exc:
            self.problem(path, f"bad date {text!r}: {exc.reason}")
        except CalendarError as exc:
            self.problem(path, str(exc))
        return None

    def policy(self, step: StepDef) -> str:
        return step.on_non_workday or self.t.calendar.on_non_workday

    def adjust(self, day: dt.date, step: StepDef, path: str) -> dt.date:
        try:
            return self.calendar.adjust(day, self.policy(step))  # type: ignore[arg-type]
        except CalendarError as exc:
            self.problem(path, str(exc))
            return day

    def step_due(self, sid: str, path: str) -> dt.date | None:
        if sid in self.due_dates:
            return self.due_dates[sid]
        step = self.step_defs[sid]
        if step.repeat is not None:
            raise DateExpressionError(f"steps.{sid}.due", "a recurring step has many deadlines")
        if sid in self._resolving:
            raise DateExpressionError(
                f"steps.{sid}.due", "deadlines refer to each other in a cycle"
            )
        phase = next(p for p in self.t.phases if p.id == step.phase)
        if phase.id in self.failed_windows:
            raise _Reported
        if phase.id not in self.windows:
            raise DateExpressionError(
                f"steps.{sid}.due", f"step {sid!r} is in a later phase; refer only to earlier steps"
            )
        self._resolving.add(sid)
        try:
            due_path = join(step.path, "due")
            if step.due is None:
                due = None
            elif step.due == "":
                due = self.adjust(self.windows[phase.id][1], step, due_path)
            else:
                nominal = self.date_of(step.due, phase, due_path, last=True)
                if nominal is None:
                    self.failed.add(sid)
                due = None if nominal is None else self.adjust(nominal, step, due_path)
        finally:
            self._resolving.discard(sid)
        self.due_dates[sid] = due
        return due

    def nominal_due(self, step: StepDef, phase: PhaseDef) -> dt.date | None:
        if step.due is None:
            return None
        if step.due == "":
            return self.windows[phase.id][1]
        try:
            return self.evaluate(parse_date(step.due), phase, step.path, last=True)
        except (DateExpressionError, CalendarError):
            return None

    # -- phases and steps -----------------------------------------------------------
    def window(self, phase: PhaseDef) -> tuple[dt.date, dt.date] | None:
        path = join(phase.path, "window")
        try:
            start_expr, end_expr = parse_window(phase.window)
            start = self.evaluate(start_expr, phase, path, last=False)
            end = self.evaluate(end_expr, phase, path, last=True)
        except _Reported:
            return None
        except DateExpressionError as exc:
            self.problem(path, f"bad date window {phase.window!r}: {exc.reason}")
            return None
        except CalendarError as exc:
            self.problem(path, str(exc))
            return None
        if end < start:
            self.problem(path, f"window ends ({end}) before it starts ({start})")
            return None
        return start, end

    def steps_of(self, phase: PhaseDef, index: int) -> Iterator[ResolvedStep]:
        start, end = self.windows[phase.id]
        for step in phase.steps:
            opens = start
            if step.opens:
                got = self.date_of(step.opens, phase, join(step.path, "opens"), last=False)
                opens = got if got is not None else start
            closes = None
            if step.closes:
                got = self.date_of(step.closes, phase, join(step.path, "closes"), last=True)
                closes = end_of_day(got, self.tz) if got is not None else None
            if step.repeat is not None:
                yield from self.instances(step, phase, index, opens, closes)
                continue
            try:
                due = self.step_due(step.id, join(step.path, "due"))
            except _Reported:
                continue
            except DateExpressionError as exc:
                self.problem(join(step.path, "due"), f"bad date {step.due!r}: {exc.reason}")
                continue
            nominal = self.nominal_due(step, phase)
            if due is not None:
                self.check_due(step, phase, start, opens, due)
            yield ResolvedStep(
                id=step.id,
                base=step.id,
                title=step.title,
                kind=step.kind,
                phase=phase.id,
                phase_index=index,
                submit=step.submit,
                review=step.review,
                after=step.after,
                opens=start_of_day(opens, self.tz),
                due=None if due is None else end_of_day(due, self.tz),
                nominal_due=nominal,
                moved=due is not None and nominal is not None and due != nominal,
                closes=closes,
                blocks_next=step.blocks_next
                if step.blocks_next is not None
                else (due is not None and due <= end),
                description=step.description,
            )

    def check_due(
        self, step: StepDef, phase: PhaseDef, start: dt.date, opens: dt.date, due: dt.date
    ) -> None:
        if step.early:
            return
        path = join(step.path, "due")
        if due < start:
            self.problem(
                path,
                f"deadline {due} is before phase {phase.id!r} opens on {start}; "
                "mark the step `early: true` if that is intended",
            )
        elif due < opens:
            self.problem(path, f"deadline {due} is before the step opens on {opens}")

    def instances(
        self,
        step: StepDef,
        phase: PhaseDef,
        index: int,
        opens: dt.date,
        closes: pendulum.DateTime | None,
    ) -> Iterator[ResolvedStep]:
        assert step.repeat is not None
        spec = dict(step.repeat)
        rpath = join(step.path, "repeat")
        first, last = self.windows[phase.id]
        if "from" in spec:
            got = self.date_of(str(spec.pop("from")), phase, join(rpath, "from"), last=False)
            first = got or first
        if "until" in spec:
            got = self.date_of(str(spec.pop("until")), phase, join(rpath, "until"), last=True)
            last = got or last
        try:
            rec = parse_recurrence(spec)
            dues = rec.due_dates(first, last, self.calendar)
        except DateExpressionError as exc:
            self.problem(rpath, f"bad recurrence: {exc.reason}")
            return
        except CalendarError as exc:
            self.problem(rpath, str(exc))
            return
        if not dues:
            self.problem(rpath, f"the recurrence has no instance between {first} and {last}")
            return
        previous_due: dt.date | None = None
        phase_start = self.windows[phase.id][0]
        for nominal in dues:
            due = self.adjust(nominal, step, rpath)
            inst_opens = max(opens, previous_due + dt.timedelta(days=1)) if previous_due else opens
            inst_opens = min(inst_opens, due)
            previous_due = due
            yield ResolvedStep(
                id=f"{step.id}@{nominal.isoformat()}",
                base=step.id,
                title=step.title,
                kind=step.kind,
                phase=phase.id,
                phase_index=index,
                submit=step.submit,
                review=step.review,
                after=step.after,
                opens=start_of_day(
                    max(inst_opens, phase_start) if not step.early else inst_opens, self.tz
                ),
                due=end_of_day(due, self.tz),
                nominal_due=nominal,
                moved=due != nominal,
                closes=closes,
                blocks_next=step.blocks_next if step.blocks_next is not None else due <= last,
                instance=nominal,
                description=step.description,
            )

    def resolve(self) -> ResolvedCampaign:
        for phase in self.t.phases:
            got = self.window(phase)
            if got is not None:
                self.windows[phase.id] = got
            else:
                self.failed_windows.add(phase.id)
        if len({p.id for p in self.t.phases}) < len(self.t.phases):
            raise TemplateError(self.problems)  # duplicate phase ids (the loader reports them)
        self.check_order()
        phases: list[ResolvedPhase] = []
        for index, phase in enumerate(self.t.phases):
            if phase.id not in self.windows:
                continue  # reported; the other phases' dates are still checked
            start, end = self.windows[phase.id]
            steps = tuple(self.steps_of(phase, index))
            phases.append(
                ResolvedPhase(
                    id=phase.id,
                    title=phase.title,
                    use=phase.use,
                    index=index,
                    start=start_of_day(start, self.tz),
                    end=end_of_day(end, self.tz),
                    steps=steps,
                )
            )
        self.expand_dependencies(phases)
        self.check_horizon(phases)
        if self.problems:
            raise TemplateError(self.problems)
        return ResolvedCampaign(self.t, self.calendar, self.tz, tuple(phases))

    def expand_dependencies(self, phases: list[ResolvedPhase]) -> None:
        """Point ``after`` at instance ids when it names a recurring step."""
        by_base: dict[str, list[str]] = {}
        for p in phases:
            for s in p.steps:
                by_base.setdefault(s.base, []).append(s.id)
        for p_index, p in enumerate(phases):
            new_steps = []
            for s in p.steps:
                expanded = tuple(i for dep in s.after for i in by_base.get(dep, [dep]))
                new_steps.append(attrs.evolve(s, after=expanded) if expanded != s.after else s)
            phases[p_index] = attrs.evolve(p, steps=tuple(new_steps))

    def check_horizon(self, phases: list[ResolvedPhase]) -> None:
        """The calendar must cover the whole campaign, deadlines and escalation included."""
        if not phases:
            return
        first = phases[0].start.date()
        last = max(
            [p.end.date() for p in phases]
            + [s.due.date() for p in phases for s in p.steps if s.due is not None]
        )
        for day in (first, last):
            try:
                self.calendar.is_workday(day)
            except CalendarError as exc:
                self.problem("calendar", str(exc))
                return
        self.check_ladders(phases)

    def check_ladders(self, phases: list[ResolvedPhase]) -> None:
        """Every deadline's escalation levels and warning lights must be countable (within
        the calendar's data and the years 1-9999) and come in order.

        The runtime climbs the ladder one level at a time and lights the warnings one after
        the other: a level reached before the one above it is never reached, and its
        sanction never issued; a light due before the previous one never comes on. A ladder
        mixing days and working days can do that around a long holiday, so the order is
        checked for every step deadline of the campaign and for a deadline at the end of
        each day of its window (a finding's or a trigger's deadline may fall on any). Each
        problem is reported once, for the first deadline that shows it.
        """
        defs = {s.id: s for p in self.t.phases for s in p.steps}
        reported: set[tuple[str, int]] = set()
        deadlines: list[tuple[pendulum.DateTime, StepDef | None]] = [
            (step.due, defs.get(step.base)) for p in phases for step in p.steps if step.due
        ]
        first, last = phases[0].start.date(), phases[-1].end.date()
        days = (last - first).days
        deadlines += [
            (end_of_day(first + dt.timedelta(days=i), self.tz), None) for i in range(days + 1)
        ]
        for due, step in deadlines:
            self.check_escalation(due, step, reported)
            self.check_warnings(due, step, reported)

    def check_escalation(
        self, due: pendulum.DateTime, step: StepDef | None, reported: set[tuple[str, int]]
    ) -> None:
        day0 = due.date()
        reached: list[dt.date] = []
        for i, level in enumerate(self.t.escalation):
            try:
                day = self.calendar.shift(day0, level.amount, level.unit)
            except CalendarError as exc:
                if step is not None and ("horizon", -1) not in reported:
                    reported.add(("horizon", -1))
                    unit = "working days" if level.unit == "working_days" else "days"
                    self.problem(
                        join(step.path, "due"),
                        f"escalation level {level.id!r} ({level.title}) of step {step.id!r}, "
                        f"{level.amount} {unit} after {day0}, runs beyond the calendar: {exc}",
                    )
                return
            if reached and day < reached[-1] and ("escalation", i) not in reported:
                reported.add(("escalation", i))
                before = self.t.escalation[i - 1]
                whose = f"step {step.id!r} due {day0}" if step else f"a deadline on {day0}"
                self.problem(
                    join(join("escalation", i), "after"),
                    f"level {level.id!r} ({_after(level.amount, level.unit)}) is reached on "
                    f"{day}, before level {before.id!r} ({_after(before.amount, before.unit)}) "
                    f"on {reached[-1]}, for {whose}: the ladder is climbed in order, so it "
                    "would never be reached"
                    + (f" nor its sanction {level.sanction!r} issued" if level.sanction else "")
                    + "; make every level later than the one before for every deadline "
                    "(count them all in working days, or all in days)",
                )
            reached.append(max(day, reached[-1]) if reached else day)

    def check_warnings(
        self, due: pendulum.DateTime, step: StepDef | None, reported: set[tuple[str, int]]
    ) -> None:
        own = step is not None and step.warnings is not None
        ladder = step.warnings if step is not None and step.warnings is not None else None
        ladder = self.t.warnings if ladder is None else ladder
        base = join(step.path, "warnings") if own and step is not None else "warnings"
        day0 = due.date()
        lit: list[dt.datetime] = []
        for i, light in enumerate(ladder):
            try:
                if light.unit == "hours":
                    at: dt.datetime = due - dt.timedelta(hours=light.amount)
                else:
                    day = self.calendar.shift(day0, -light.amount, light.unit)
                    at = dt.datetime.combine(day, due.timetz())
            except (CalendarError, OverflowError) as exc:
                if step is not None and ("light-horizon", -1) not in reported:
                    reported.add(("light-horizon", -1))
                    self.problem(
                        join(step.path, "due"),
                        f"warning light {light.id!r} ({light.title}) of step {step.id!r}, "
                        f"{_after(light.amount, light.unit)} before {day0}, runs beyond the "
                        f"calendar: {exc}",
                    )
                return
            if lit and at < lit[-1] and (f"warnings:{base}", i) not in reported:
                reported.add((f"warnings:{base}", i))
                before = ladder[i - 1]
                whose = f"step {step.id!r} due {day0}" if step else f"a deadline on {day0}"
                self.problem(
                    join(join(base, i), "before"),
                    f"light {light.id!r} ({_after(light.amount, light.unit)} before) comes on "
                    f"{at:%Y-%m-%d %H:%M}, before light {before.id!r} "
                    f"({_after(before.amount, before.unit)} before) at {lit[-1]:%Y-%m-%d %H:%M}, "
                    f"for {whose}: the lights come on in order, so it would never come on; "
                    "list them earliest first, each earlier than the next for every deadline",
                )
            lit.append(max(at, lit[-1]) if lit else at)

    def check_order(self) -> None:
        """Phases must open in the order they are written."""
        previous: tuple[str, dt.date] | None = None
        for phase in self.t.phases:
            if phase.id not in self.windows:
                continue
            start = self.windows[phase.id][0]
            if previous is not None and start <= previous[1]:
                self.problem(
                    join(phase.path, "window"),
                    f"phase {phase.id!r} opens on {start}, not after phase {previous[0]!r} "
                    f"(which opens on {previous[1]}); list phases in the order they open",
                )
            previous = (phase.id, start)


def _after(amount: int, unit: str) -> str:
    """``3 working days``, ``1 day``, ``4 hours``: a delay as a template writes it."""
    word = {"working_days": "working day", "days": "day", "hours": "hour"}.get(unit, unit)
    return f"{amount} {word}{'' if amount == 1 else 's'}"


def resolve(template: CampaignTemplate) -> ResolvedCampaign:
    """Resolve every date of ``template`` for its bound parameters.

    Raises:
        TemplateError: bad dates, windows ending before they start, deadlines before their
            phase opens (unless the step is marked ``early``), dates beyond the calendar.
    """
    return _Resolver(template).resolve()
