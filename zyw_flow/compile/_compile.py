"""Compile a resolved campaign once into an immutable, integer-indexed form.

The compiled campaign carries the ``transitions`` machines (the specification, for
diagrams and checks) and the tables derived from them that the runtime executes: steps are
numbered, instants are microseconds, dependencies and gates are tuples of step numbers.
The compiler never imports the runtime.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import attrs
from transitions import Machine

from zyw_flow._errors import ParameterError
from zyw_flow._time import NEVER, to_us
from zyw_flow.compile._machine import (
    STATUS_NAMES,
    STEP_EVENTS,
    derive_table,
    phase_machine,
    step_machine,
)
from zyw_flow.dates import DurationUnit, WorkCalendar, end_of_day
from zyw_flow.evaluation import Rule, ScoringScheme, load_scheme_text
from zyw_flow.resolve import ResolvedCampaign, ResolvedStep, load_template, resolve
from zyw_flow.template import (
    CampaignTemplate,
    EscalationLevelDef,
    ExtensionPolicy,
    OwnerRule,
    SanctionDef,
    WarningLevelDef,
)

__all__ = ["CompiledCampaign", "compile_campaign", "escalation_instants", "warning_instants"]


def escalation_instants(
    due: dt.datetime, ladder: tuple[EscalationLevelDef, ...], calendar: WorkCalendar, tz: str
) -> tuple[int, ...]:
    """The instant (µs) each escalation level is reached for a deadline ``due``.

    ``N working days`` keeps the deadline's time of day on the N-th working day after it
    (a deadline at the end of 2011-10-05, a holiday, reaches ``+1 working day`` at the end
    of 2011-10-08, a make-up working Saturday); ``N days`` adds calendar days.
    """
    out = []
    for level in ladder:
        day = calendar.shift(due.date(), level.amount, level.unit)
        local = due.astimezone(ZoneInfo(tz))
        at = dt.datetime.combine(day, local.timetz())
        out.append(to_us(at))
    return tuple(out)


def warning_instants(
    due: dt.datetime, ladder: tuple[WarningLevelDef, ...], calendar: WorkCalendar, tz: str
) -> tuple[int, ...]:
    """The instant (µs) each warning light comes on before a deadline ``due``.

    ``N working days`` before keeps the deadline's time of day on the N-th working day
    before it (a deadline at the end of a Monday warns 1 working day before at the end of
    the Friday before); ``N days`` subtracts calendar days; ``N hours`` subtracts hours.
    """
    out = []
    local = due.astimezone(ZoneInfo(tz))
    for level in ladder:
        if level.unit == "hours":
            out.append(to_us(due) - level.amount * 3_600_000_000)
            continue
        day = calendar.shift(local.date(), -level.amount, level.unit)
        out.append(to_us(dt.datetime.combine(day, local.timetz())))
    return tuple(out)


@attrs.frozen
class CompiledCampaign:
    """A campaign compiled for execution. Immutable; share it between campaigns.

    Attributes:
        resolved: the resolved campaign it was compiled from.
        step_machine: the ``transitions`` machine of the step lifecycle (definition only).
        phase_machine: the ``transitions`` machine of the phases (definition only).
        table: ``table[status][event]`` → next status, or ``-1`` if not allowed.
        steps: the steps in order; a step's number is its index.
    """

    resolved: ResolvedCampaign
    step_machine: Machine = attrs.field(eq=False, repr=False)
    phase_machine: Machine = attrs.field(eq=False, repr=False)
    table: tuple[tuple[int, ...], ...] = attrs.field(repr=False)
    steps: tuple[ResolvedStep, ...] = attrs.field(repr=False)
    step_index: Mapping[str, int] = attrs.field(repr=False)
    step_phase: tuple[int, ...] = attrs.field(repr=False)
    opens_us: tuple[int, ...] = attrs.field(repr=False)
    due_us: tuple[int, ...] = attrs.field(repr=False)
    closes_us: tuple[int, ...] = attrs.field(repr=False)
    deps: tuple[tuple[int, ...], ...] = attrs.field(repr=False)
    escalation_us: tuple[tuple[int, ...], ...] = attrs.field(repr=False)
    phase_ids: tuple[str, ...] = attrs.field(repr=False)
    phase_start_us: tuple[int, ...] = attrs.field(repr=False)
    phase_end_us: tuple[int, ...] = attrs.field(repr=False)
    phase_steps: tuple[tuple[int, ...], ...] = attrs.field(repr=False)
    gate_steps: tuple[tuple[int, ...], ...] = attrs.field(repr=False)
    zone: ZoneInfo = attrs.field(repr=False)
    schemes: Mapping[str, ScoringScheme] = attrs.field(factory=dict, repr=False)
    #: per step: its warning ladder, and the instants each light comes on (earliest first)
    step_warnings: tuple[tuple[WarningLevelDef, ...], ...] = attrs.field(default=(), repr=False)
    warning_us: tuple[tuple[int, ...], ...] = attrs.field(default=(), repr=False)
    #: per step: who owes it, its extension policy, and its review tiers (逐级审核)
    owners: tuple[OwnerRule, ...] = attrs.field(default=(), repr=False)
    extension_policies: tuple[ExtensionPolicy, ...] = attrs.field(default=(), repr=False)
    review_tiers: tuple[int, ...] = attrs.field(default=(), repr=False)
    #: per step: ``(trigger, amount, unit, non-working-day policy)`` of a deadline relative
    #: to a trigger the host records (``due: {after: …, within: …}``), or ``None``
    step_triggers: tuple[tuple[str, int, str, str] | None, ...] = attrs.field(
        default=(), repr=False
    )
    #: escalation and warning instants already worked out, by (step, deadline)
    _instants: dict[tuple[int, int], tuple[tuple[int, ...], tuple[int, ...]]] = attrs.field(
        factory=dict, eq=False, repr=False, alias="instants_cache"
    )
    #: finding deadlines already worked out, by (local day, delay, unit)
    _deadlines: dict[tuple[dt.date, int, str], tuple[int, tuple[int, ...]]] = attrs.field(
        factory=dict, eq=False, repr=False, alias="deadline_cache"
    )

    @property
    def id(self) -> str:
        """The template id."""
        return self.resolved.id

    @property
    def timezone(self) -> str:
        """The campaign's time zone name."""
        return self.resolved.timezone

    @property
    def calendar(self) -> WorkCalendar:
        """The working-day calendar."""
        return self.resolved.calendar

    @property
    def advance(self) -> str:
        """``calendar`` or ``completion``."""
        return self.resolved.template.advance

    @property
    def escalation(self) -> tuple[EscalationLevelDef, ...]:
        """The escalation ladder."""
        return self.resolved.template.escalation

    @property
    def warnings(self) -> tuple[WarningLevelDef, ...]:
        """The campaign's warning ladder (a step may declare its own: :attr:`step_warnings`)."""
        return self.resolved.template.warnings

    @property
    def groups(self) -> Mapping[str, str]:
        """Unit groups a host assigns units to (id → title), e.g. 牵头单位."""
        return self.resolved.template.groups

    def deadline_instants(
        self, s: int | None, due_us: int
    ) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Escalation and warning instants of a deadline ``due_us`` for step ``s`` (its own
        warning ladder; ``None``: the campaign's, for a rectification step)."""
        key = (-1 if s is None else s, due_us)
        found = self._instants.get(key)
        if found is None:
            due = (
                dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=due_us)
            ).astimezone(self.zone)  # working days count in the campaign's time zone
            ladder = self.warnings if s is None or not self.step_warnings else self.step_warnings[s]
            # A deadline the campaign sets while it runs may lie past the window that the
            # template's ladder was checked over; where mixed units (days, working days)
            # bring a level before the one under it, it is reached with that one: levels
            # are climbed in order, none is skipped (nor its sanction).
            levels = escalation_instants(due, self.escalation, self.calendar, self.timezone)
            found = (
                tuple(itertools.accumulate(levels, max)),
                warning_instants(due, ladder, self.calendar, self.timezone),
            )
            self._instants[key] = found
        return found

    @property
    def sanctions(self) -> tuple[SanctionDef, ...]:
        """The sanction ladder, light to heavy."""
        return self.resolved.template.sanctions

    @property
    def permissions(self) -> Mapping[str, tuple[str, ...]]:
        """Event → roles allowed."""
        return self.resolved.template.permissions

    @property
    def roles(self) -> Mapping[str, str]:
        """Role id → title."""
        return self.resolved.template.roles

    def finding_due(
        self, at_us: int, days: int, unit: DurationUnit = "working_days"
    ) -> tuple[int, tuple[int, ...]]:
        """Deadline and escalation instants of a finding recorded at ``at_us``.

        ``days`` counts working days, or calendar days when ``unit`` is ``"days"`` (pass
        the template's ``findings.rectification_unit`` with its ``rectification_days``).
        The deadline is the end of that day, local time; ``0`` means the same day.
        """
        local = (
            dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=at_us)
        ).astimezone(self.zone)
        key = (local.date(), days, unit)
        found = self._deadlines.get(key)
        if found is None:  # one calendar walk per day, delay and unit: the same every time
            if unit == "days":
                day = local.date() + dt.timedelta(days=days)
            else:
                day = self.calendar.add_workdays(local.date(), days) if days else local.date()
            due = end_of_day(day, self.timezone)
            found = (
                to_us(due),
                escalation_instants(due, self.escalation, self.calendar, self.timezone),
            )
            self._deadlines[key] = found
        return found


def _with_rules(scheme: ScoringScheme, rules: tuple[Rule, ...]) -> ScoringScheme:
    """The scheme with the campaign's own consequence rules after its declared ones."""
    return attrs.evolve(scheme, rules=scheme.rules + rules) if rules else scheme


def compile_campaign(resolved: ResolvedCampaign) -> CompiledCampaign:
    """Compile a resolved campaign: build its machines and derive the tables to run."""
    template = resolved.template
    steps = resolved.steps
    index = {s.id: i for i, s in enumerate(steps)}
    smachine = step_machine()
    pmachine = phase_machine(tuple(p.id for p in resolved.phases), template.advance)
    derived = derive_table(smachine)
    table = tuple(
        tuple(
            STATUS_NAMES.index(derived[(state, event)][0]) if (state, event) in derived else -1
            for event in STEP_EVENTS
        )
        for state in STATUS_NAMES
    )
    ladder = template.escalation
    escalations = tuple(
        escalation_instants(s.due, ladder, resolved.calendar, resolved.timezone)
        if s.due is not None
        else ()
        for s in steps
    )
    phase_steps = tuple(tuple(index[s.id] for s in p.steps) for p in resolved.phases)
    defs = [template.step(s.base) for s in steps]
    ladders = tuple(template.warnings if d.warnings is None else d.warnings for d in defs)
    warnings = tuple(
        warning_instants(s.due, ladder, resolved.calendar, resolved.timezone)
        if s.due is not None
        else ()
        for s, ladder in zip(steps, ladders, strict=True)
    )
    return CompiledCampaign(
        resolved=resolved,
        step_machine=smachine,
        phase_machine=pmachine,
        table=table,
        steps=steps,
        step_index=index,
        step_phase=tuple(s.phase_index for s in steps),
        opens_us=tuple(to_us(s.opens) for s in steps),
        due_us=tuple(NEVER if s.due is None else to_us(s.due) for s in steps),
        closes_us=tuple(NEVER if s.closes is None else to_us(s.closes) for s in steps),
        deps=tuple(tuple(index[d] for d in s.after if d in index) for s in steps),
        escalation_us=escalations,
        phase_ids=tuple(p.id for p in resolved.phases),
        phase_start_us=tuple(to_us(p.start) for p in resolved.phases),
        phase_end_us=tuple(to_us(p.end) for p in resolved.phases),
        phase_steps=phase_steps,
        gate_steps=tuple(
            tuple(index[s.id] for s in p.steps if s.blocks_next) for p in resolved.phases
        ),
        zone=ZoneInfo(resolved.timezone),
        schemes={
            subject: _with_rules(
                load_scheme_text(text, file=f"<{subject} scheme {template.scoring[subject]}>"),
                template.rules.get(subject, ()),
            )
            for subject, text in template.scheme_texts.items()
        },
        step_warnings=ladders,
        warning_us=warnings,
        owners=tuple(template.owed_by if d.owed_by is None else d.owed_by for d in defs),
        extension_policies=tuple(
            template.extensions if d.extensions is None else d.extensions for d in defs
        ),
        review_tiers=tuple(d.review_tiers for d in defs),
        step_triggers=tuple(
            None
            if d.due_after is None
            else (
                d.due_after.trigger,
                d.due_after.amount,
                d.due_after.unit,
                d.on_non_workday or template.calendar.on_non_workday,
            )
            for d in defs
        ),
    )


def compile_source(
    source: str | Path | CampaignTemplate | ResolvedCampaign | CompiledCampaign,
    params: Mapping[str, Any] | None = None,
) -> CompiledCampaign:
    """Load, resolve and compile whatever stage of a template is given.

    A template id or path is loaded with ``params`` (every problem, date problems included,
    in one :class:`~zyw_flow.TemplateError`); a :class:`CampaignTemplate` is resolved; a
    :class:`ResolvedCampaign` is compiled; a :class:`CompiledCampaign` is returned as is.

    Raises:
        TemplateNotFound: no template by that id or path.
        TemplateError: the template (with these parameters) has problems.
        ParameterError: ``params`` given with a template whose parameters are already bound.
    """
    if isinstance(source, CompiledCampaign | ResolvedCampaign | CampaignTemplate):
        if params:
            raise ParameterError(
                f"params apply to a template id or path; this {type(source).__name__} has its "
                "parameters bound already (load it again with the new params)"
            )
        if isinstance(source, CompiledCampaign):
            return source
        if isinstance(source, ResolvedCampaign):
            return compile_campaign(source)
        return compile_campaign(resolve(source))
    return compile_campaign(resolve(load_template(source, params)))
