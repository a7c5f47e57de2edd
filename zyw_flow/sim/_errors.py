"""Errors of the simulation package (both rooted in :class:`~zyw_flow.ZywFlowError`)."""

from __future__ import annotations

from collections.abc import Iterable

from zyw_flow._errors import Problem, TemplateError, ZywFlowError

__all__ = ["ProfileError", "SimulationError"]


class SimulationError(ZywFlowError, ValueError):
    """A simulation was asked for something it cannot do: a bad override path or value, a
    unit tree it cannot read, an output folder holding another run; nothing was run."""


class ProfileError(TemplateError):
    """A behaviour profile has problems; ``problems`` lists them all, each located
    (``file:line: path: message``), as template problems are."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        super().__init__(problems)
        head = f"{len(self.problems)} problem(s) in profile"
        self.args = (head + ":\n" + "\n".join(f"  {p}" for p in self.problems),)
