"""Liveness checks: can every step of a resolved campaign actually be completed?

The loader and the resolver check that a template is well formed and that its dates can be
read. These checks look at the dates together, the way a unit will meet them:

* a step that can never be completed — it closes before it opens, or before the steps it
  depends on (``after:``) can be submitted at all;
* a step that can never be on time — its deadline falls before the earliest moment it can
  be submitted (its own opening, or the opening of a step it depends on);
* a step due before a step it depends on (a **warning**: it is on time only if the
  dependency is done early);
* a step that closes before it is due (a **warning**: the deadline is never reached);
* under ``advance: completion``, a phase whose gate can never be met: a gate step that
  can never be completed, or one that depends on a step of a later phase (which a unit
  cannot reach before it passes the gate);
* an escalation level whose instant falls after the campaign's end for every deadline (a
  **warning**: it can never fire while the campaign runs, only if the host keeps ticking
  after the end, which is seldom meant).

A recurring step with no instance in its window is refused by the resolver itself.
"""

from __future__ import annotations

import datetime as dt

import attrs

from zyw_flow._errors import CalendarError, Problem
from zyw_flow._yaml import join
from zyw_flow.resolve import ResolvedCampaign, ResolvedStep

__all__ = ["Liveness", "check_liveness"]


@attrs.frozen
class Liveness:
    """What :func:`check_liveness` found: ``errors`` (impossible) and ``warnings``."""

    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()


def _day(value: dt.datetime) -> str:
    return value.date().isoformat()


class _Checker:
    def __init__(self, resolved: ResolvedCampaign) -> None:
        self.r = resolved
        self.t = resolved.template
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.steps: dict[str, ResolvedStep] = {s.id: s for s in resolved.steps}
        self.paths = {s.id: s.path for p in self.t.phases for s in p.steps}
        self.earliest_cache: dict[str, tuple[dt.datetime, str | None]] = {}
        self.reported: set[tuple[str, str]] = set()

    def where(self, step: ResolvedStep, field: str | None = None) -> str:
        path = self.paths.get(step.base, "")
        return join(path, field) if field else path

    def add(self, kind: str, step: ResolvedStep, field: str | None, message: str) -> None:
        """One problem per step base and field (recurring instances report once)."""
        key = (step.base, f"{kind}:{field}")
        if key in self.reported:
            return
        self.reported.add(key)
        problem = Problem(
            self.t.file, self._line(self.where(step, field)), self.where(step, field), message
        )
        (self.errors if kind == "error" else self.warnings).append(problem)

    def _line(self, path: str) -> int | None:
        lines = self.t.lines
        while True:
            if path in lines:
                return lines[path]
            if not path:
                return None
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""

    def earliest(
        self, sid: str, stack: frozenset[str] = frozenset()
    ) -> tuple[dt.datetime, str | None]:
        """The earliest instant ``sid`` can be submitted, and the dependency that sets it."""
        if sid in self.earliest_cache:
            return self.earliest_cache[sid]
        step = self.steps[sid]
        best: dt.datetime = step.opens
        if self.t.advance == "completion":  # not open before the unit enters its phase
            best = max(best, self.r.phases[step.phase_index].start)
        because: str | None = None
        for dep in step.after:
            if dep not in self.steps or dep in stack:  # unknown or cyclic: reported elsewhere
                continue
            when, _ = self.earliest(dep, stack | {sid})
            if when > best:
                best, because = when, dep
        self.earliest_cache[sid] = (best, because)
        return best, because

    def never(self, sid: str) -> bool:
        """True when ``sid`` (or a step it depends on) can never be completed."""
        step = self.steps[sid]
        when, _ = self.earliest(sid)
        if step.closes is not None and when > step.closes:
            return True
        return any(self.never(d) for d in step.after if d in self.steps and d != sid)

    # -- the checks -------------------------------------------------------------------
    def steps_complete(self) -> None:
        for step in self.r.steps:
            when, because = self.earliest(step.id)
            if step.closes is not None and step.closes < step.opens:
                self.add(
                    "error",
                    step,
                    "closes",
                    f"step {step.base!r} closes on {_day(step.closes)}, before it opens on "
                    f"{_day(step.opens)}: it can never be submitted",
                )
                continue
            if step.closes is not None and when > step.closes and because is not None:
                self.add(
                    "error",
                    step,
                    "after",
                    f"step {step.base!r} closes on {_day(step.closes)}, but it depends on "
                    f"{self.steps[because].base!r}, which cannot be submitted before "
                    f"{_day(when)}: it can never be completed",
                )
                continue
            if step.due is not None and because is not None and when > step.due:
                self.add(
                    "error",
                    step,
                    "after",
                    f"step {step.base!r} is due {_day(step.due)}, but it depends on "
                    f"{self.steps[because].base!r}, which cannot be submitted before "
                    f"{_day(when)}: it can never be on time",
                )
                continue
            for dep_id in step.after:
                dep = self.steps.get(dep_id)
                if dep is None or dep.due is None or step.due is None:
                    continue
                if dep.due > step.due:
                    self.add(
                        "warning",
                        step,
                        "after",
                        f"step {step.base!r} is due {_day(step.due)}, before {dep.base!r} "
                        f"(due {_day(dep.due)}) that it depends on: it is on time only if "
                        f"{dep.base!r} is done early",
                    )
                    break
            if step.closes is not None and step.due is not None and step.closes < step.due:
                self.add(
                    "warning",
                    step,
                    "closes",
                    f"step {step.base!r} closes on {_day(step.closes)}, before it is due on "
                    f"{_day(step.due)}: the deadline is never reached",
                )

    def gates(self) -> None:
        if self.t.advance != "completion":
            return
        for index, phase in enumerate(self.r.phases[:-1]):
            path = self.t.phases[index].path
            line = self._line(path)
            for step in phase.steps:
                if not step.blocks_next:
                    continue
                if self.never(step.id):
                    self.errors.append(
                        Problem(
                            self.t.file,
                            line,
                            path,
                            f"the gate of phase {phase.id!r} can never be met under "
                            f"`advance: completion`: its step {step.base!r} can never be "
                            "completed (only waiving it lets units go on)",
                        )
                    )
                    break
                later = self.later_dependency(step.id, index)
                if later is not None:
                    self.errors.append(
                        Problem(
                            self.t.file,
                            line,
                            path,
                            f"the gate of phase {phase.id!r} can never be met under "
                            f"`advance: completion`: its step {step.base!r} depends on "
                            f"{self.steps[later].base!r} of the later phase "
                            f"{self.steps[later].phase!r}, which a unit reaches only after "
                            "the gate",
                        )
                    )
                    break

    def later_dependency(
        self, sid: str, index: int, seen: frozenset[str] = frozenset()
    ) -> str | None:
        for dep in self.steps[sid].after:
            if dep not in self.steps or dep in seen:
                continue
            if self.steps[dep].phase_index > index:
                return dep
            found = self.later_dependency(dep, index, seen | {sid})
            if found is not None:
                return found
        return None

    def escalation(self) -> None:
        """A level that falls after the campaign's end for every deadline never fires in it.

        A level falling after the end for the last deliverables only is normal (a summary
        due on the last day can only escalate afterwards) and is not reported.
        """
        if not self.r.phases:
            return
        end = self.r.end
        dated = [s for s in self.r.steps if s.due is not None]
        if not dated:
            return
        for i, level in enumerate(self.t.escalation):
            earliest: tuple[dt.datetime, ResolvedStep] | None = None
            for step in dated:
                assert step.due is not None
                fires: dt.datetime
                try:
                    if level.unit == "working_days":
                        day = self.r.calendar.add_workdays(step.due.date(), level.amount)
                        fires = step.due + dt.timedelta(days=(day - step.due.date()).days)
                    else:
                        fires = step.due + dt.timedelta(days=level.amount)
                except CalendarError:
                    continue  # beyond the calendar: the resolver reports it
                if earliest is None or fires < earliest[0]:
                    earliest = (fires, step)
            if earliest is not None and earliest[0] > end:
                fires, step = earliest
                path = join(join("escalation", i), "after")
                self.warnings.append(
                    Problem(
                        self.t.file,
                        self._line(path),
                        path,
                        f"escalation level {level.id!r} ({level.title}) can never fire during "
                        f"the campaign: even for the earliest deadline ({step.id!r}, due "
                        f"{_day(step.due or fires)}) it falls on {_day(fires)}, after the "
                        f"campaign ends on {_day(end)}",
                    )
                )


def check_liveness(resolved: ResolvedCampaign) -> Liveness:
    """Every liveness problem of a resolved campaign (see the module's documentation).

    >>> from zyw_flow.resolve import resolve
    >>> from zyw_flow.template import load_template
    >>> check_liveness(resolve(load_template("zhiyong-2011"))).errors
    ()
    """
    checker = _Checker(resolved)
    checker.steps_complete()
    checker.gates()
    checker.escalation()
    return Liveness(tuple(checker.errors), tuple(checker.warnings))
