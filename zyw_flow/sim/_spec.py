"""What a simulation is: template, units, profile, seed, runs, overrides and sweeps."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from functools import lru_cache
from importlib import metadata
from typing import Any

import attrs

from zyw_flow._errors import TemplateError
from zyw_flow._yaml import read_yaml_file
from zyw_flow.compile import CompiledCampaign, compile_campaign
from zyw_flow.resolve import resolve
from zyw_flow.resolve._load import build_template
from zyw_flow.sim._errors import SimulationError
from zyw_flow.sim._overrides import Override, apply_overrides, explain, parse_override
from zyw_flow.sim._profile import Profile, load_profile
from zyw_flow.sim._units import UnitTree, generate_units
from zyw_flow.template import CampaignTemplate, find_template

__all__ = ["Simulation", "compile_arm", "template_content"]


def _as_override(o: Override | str) -> Override:
    return o if isinstance(o, Override) else parse_override(o)


def _as_units(value: UnitTree | int) -> UnitTree:
    return generate_units(value) if isinstance(value, int) else value


def _as_overrides(values: Iterable[Override | str]) -> tuple[Override, ...]:
    return tuple(_as_override(o) for o in values)


def _as_sweep(values: Iterable[Iterable[Override | str]]) -> tuple[tuple[Override, ...], ...]:
    return tuple(tuple(attrs.evolve(o, option="--sweep") for o in _as_overrides(v)) for v in values)


_DEFAULT_PROFILE: Any = "seed004"


def _version() -> str:
    """The installed package's version (the top-level package is not imported below it)."""
    try:
        return metadata.version("zyw_flow")
    except metadata.PackageNotFoundError:  # pragma: no cover - run from a source tree
        return ""


@attrs.frozen
class Simulation:
    """What to simulate.

    Attributes:
        template: a bundled template id or a path.
        units: the unit tree (:func:`generate_units`, :func:`read_units_csv`) or a count.
        profile: a :class:`Profile`, a bundled profile id or a profile file.
        seed: the root of every random draw.
        runs: replications per arm.
        params: template parameters.
        overrides: template values set for every arm (:class:`Override` or ``"path=value"``).
        sweep: one list of values per swept path; the arms are their combinations, in order
            (``[["escalation[2].after=3", "escalation[2].after=5"]]``: two arms).
        evaluate: record scores and finalise the evaluation (when the template scores and
            the profile has scores).
        accept: ``needed`` or ``all`` (see :func:`zyw_flow.sim.run_replication`).
    """

    template: str
    units: UnitTree = attrs.field(converter=_as_units)
    profile: Profile = attrs.field(converter=load_profile, default=_DEFAULT_PROFILE)
    seed: int = 0
    runs: int = 1
    params: Mapping[str, Any] = attrs.field(factory=dict, converter=dict)
    overrides: tuple[Override, ...] = attrs.field(default=(), converter=_as_overrides)
    sweep: tuple[tuple[Override, ...], ...] = attrs.field(default=(), converter=_as_sweep)
    evaluate: bool = True
    accept: str = "needed"

    def __attrs_post_init__(self) -> None:
        if isinstance(self.runs, bool) or not isinstance(self.runs, int) or self.runs < 1:
            raise SimulationError(f"runs must be a whole number ≥ 1, not {self.runs!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise SimulationError(f"the seed must be a whole number ≥ 0, not {self.seed!r}")
        if self.accept not in ("needed", "all"):
            raise SimulationError(f"accept must be 'needed' or 'all', not {self.accept!r}")

    @property
    def arms(self) -> tuple[tuple[Override, ...], ...]:
        """Each arm's overrides: the common ones, then one value of each swept path."""
        arms: list[tuple[Override, ...]] = [()]
        for values in self.sweep:
            arms = [(*a, v) for a in arms for v in values]
        return tuple(self.overrides + a for a in arms)

    def arm_overrides(self, arm: int) -> tuple[Override, ...]:
        return self.arms[arm]

    def fingerprint(self) -> str:
        """A digest of everything that decides the results (for ``resume``): the template's
        content (its text and the phase templates and scoring schemes it uses, not just its
        id or path), the parameters, units, profile (its content), seed, runs, arms and
        options, and the package version.

        Raises:
            SimulationError, TemplateError: the template cannot be read or built.
        """
        prof = attrs.evolve(self.profile, file="", lines={})
        content = template_content(_build_arm(self, 0))
        blob = json.dumps(
            [_version(), self.template, content, sorted(self.params.items()),
             list(self.units.ids),
             list(self.units.parents), list(self.units.groups), list(self.units.kinds),
             repr(prof), self.seed, self.runs,
             [[(o.path, o.text) for o in a] for a in self.arms], self.evaluate, self.accept],
            ensure_ascii=False, default=str,
        )  # fmt: skip
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def template_content(template: CampaignTemplate) -> str:
    """A digest of what a built template was made of: its file's text and the texts of the
    phase templates and scoring schemes it uses (so an edited file, or a bundled one an
    upgrade changed, is another simulation)."""
    h = hashlib.sha256()
    parts = [("template", "", template.text)]
    parts += [("phase", k, v) for k, v in sorted(template.phase_texts.items())]
    parts += [("scheme", k, v) for k, v in sorted(template.scheme_texts.items())]
    for kind, key, text in parts:
        for piece in (kind, key, text):
            data = piece.encode("utf-8")
            h.update(len(data).to_bytes(8, "big") + data)
    return h.hexdigest()


def _params_key(sim: Simulation) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((str(k), v) for k, v in sim.params.items()))


def _build(template: str, params: tuple[tuple[str, Any], ...],
           overrides: tuple[Override, ...]) -> CampaignTemplate:  # fmt: skip
    """The template as its files read now (not cached: a file edited between two runs of
    one process is read again)."""
    found = find_template(template)
    doc = apply_overrides(read_yaml_file(found.path), overrides, template)
    try:
        return build_template(doc, dict(params))
    except TemplateError as exc:
        raise explain(exc, overrides) from None


def _build_arm(sim: Simulation, arm: int) -> CampaignTemplate:
    return _build(sim.template, _params_key(sim), sim.arm_overrides(arm))


@lru_cache(maxsize=32)
def _compile(template: str, params: tuple[tuple[str, Any], ...],
             overrides: tuple[Override, ...], content: str) -> CompiledCampaign:  # fmt: skip
    """Compiled once per process and content (``content``: :func:`template_content`)."""
    built = _build(template, params, overrides)
    try:
        return compile_campaign(resolve(built))
    except TemplateError as exc:
        raise explain(exc, overrides) from None


def compile_arm(sim: Simulation, arm: int) -> CompiledCampaign:
    """The campaign of one arm, compiled once per process.

    Raises:
        SimulationError: an override names a path the template does not have.
        TemplateError: the template, with the overrides, has problems (each located, the
            message naming the overrides).
    """
    params, overrides = _params_key(sim), sim.arm_overrides(arm)
    content = template_content(_build(sim.template, params, overrides))
    return _compile(sim.template, params, overrides, content)
