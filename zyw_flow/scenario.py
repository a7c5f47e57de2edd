"""Scripted campaign runs: the scenario file and its JSON report.

A scenario names a template, its parameters, units, actors, a script of dated actions and
ticks, and an ``expect:`` block. :func:`run_scenario` plays it and returns the final
report (the ``replay --json`` contract) with every failed expectation.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from zyw_flow._errors import ScenarioError, TemplateError, TemplateNotFound, ZywFlowError
from zyw_flow.runtime import COMMANDS, Campaign, dispatch
from zyw_flow.template import read_yaml_file

__all__ = [
    "ACTIONS",
    "FIELDS",
    "ScenarioResult",
    "bundled_scenarios",
    "find_scenario",
    "load_scenario",
    "run_scenario",
]

#: ``do:`` verbs a script line may use.
ACTIONS = tuple(COMMANDS)


@attrs.frozen
class ScenarioResult:
    """The outcome of a scenario run.

    Attributes:
        campaign: the campaign after the script.
        report: the JSON report (``campaign``, ``at``, ``units``, ``events``).
        failures: readable lines, one per failed expectation or unexpected error.
    """

    campaign: Campaign | None
    report: dict[str, Any]
    failures: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """No failed expectation and no error."""
        return not self.failures


def bundled_scenarios() -> list[Path]:
    """The scenario files shipped with the package (``templates/scenarios/``)."""
    from zyw_flow.template import bundled_dir

    return sorted((bundled_dir() / "scenarios").glob("*.yaml"))


def find_scenario(name: str | Path) -> Path:
    """A scenario file by path, or a bundled scenario by id (``zhiyong-2011``).

    Raises:
        ScenarioError: neither exists.
    """
    path = Path(name)
    if path.is_file():
        return path
    for candidate in bundled_scenarios():
        if candidate.stem == str(name):
            return candidate
    known = ", ".join(p.stem for p in bundled_scenarios()) or "none"
    raise ScenarioError(
        [f"no scenario file {str(name)!r} and no bundled scenario by that id (bundled: {known})"]
    )


def load_scenario(path: str | Path) -> dict[str, Any]:
    """Read a scenario file safely (same limits as templates).

    Raises:
        ScenarioError: not a mapping, or required keys missing.
    """
    path = Path(path)
    try:
        doc = read_yaml_file(path)
    except TemplateError as exc:
        raise ScenarioError([str(p) for p in exc.problems]) from None
    data = doc.data
    problems = []
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: a scenario must be a mapping"])
    for key in ("template", "script"):
        if key not in data:
            problems.append(f"{path}: missing required key {key!r}")
    unknown = set(data) - {
        "template",
        "params",
        "units",
        "actors",
        "script",
        "expect",
        "description",
    }
    if unknown:
        problems.append(f"{path}: unknown key(s): {', '.join(sorted(map(str, unknown)))}")
    if "script" in data and not isinstance(data["script"], list):
        problems.append(f"{path}: script must be a list")
    script = data.get("script") if isinstance(data.get("script"), list) else []
    for i, line in enumerate(script or []):
        if not isinstance(line, dict):
            problems.append(f"{path}: script[{i}]: must be a mapping")
            continue
        problems.extend(f"{path}: script[{i}]: {p}" for p in _check_line(line))
    expect = data.get("expect") or {}
    if not isinstance(expect, dict):
        problems.append(f"{path}: expect: must map unit ids to expectations")
        expect = {}
    actors = data.get("actors") or {}
    if not isinstance(actors, dict):
        problems.append(f"{path}: actors: must map actor ids to {{roles: [...], unit: ...}}")
    else:
        for actor, spec in actors.items():
            if spec is not None and (
                not isinstance(spec, dict) or not isinstance(spec.get("roles", []), list)
            ):
                problems.append(f"{path}: actors.{actor}: must be {{roles: [...], unit: ...}}")
    if not isinstance(data.get("units") or [], list):
        problems.append(f"{path}: units: must be a list of {{id, name, parent, kind}}")
    for unit, want in expect.items():
        if not isinstance(want, dict):
            problems.append(f"{path}: expect.{unit}: must be a mapping")
            continue
        if not isinstance(want.get("steps") or {}, dict):
            problems.append(f"{path}: expect.{unit}.steps: must map step ids to statuses")
            continue
        extra = set(want) - set(_EXPECT_KEYS)
        if extra:
            problems.append(
                f"{path}: expect.{unit}: unknown key(s) {', '.join(sorted(map(str, extra)))}; "
                f"use {', '.join(_EXPECT_KEYS)}"
            )
        for step, swant in (want.get("steps") or {}).items():
            if isinstance(swant, dict) and set(swant) - set(_STEP_FIELDS):
                bad = ", ".join(sorted(map(str, set(swant) - set(_STEP_FIELDS))))
                problems.append(
                    f"{path}: expect.{unit}.steps.{step}: unknown field(s) {bad}; "
                    f"use {', '.join(_STEP_FIELDS)}"
                )
    if problems:
        raise ScenarioError(problems)
    return data


def _template_ref(name: str, base: Path) -> str | Path:
    candidate = base / name
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file():
        return candidate
    return name


#: Fields each action may carry (besides ``do``, ``at``, ``key`` and ``expect_error``).
#: verb: (required, optional) fields, from the command table.
FIELDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    verb: (c.required, c.optional) for verb, c in COMMANDS.items()
}
_COMMON = ("do", "at", "key", "expect_error")
_EXPECT_KEYS = ("phase", "steps", "sanctions", "grade", "score", "restrictions")
_STEP_FIELDS = ("status", "due", "late", "completed_at", "escalation", "warning")


def _check_line(line: Mapping[str, Any]) -> list[str]:
    """Problems of one script line: unknown verb, missing or unknown fields."""
    if "tick" in line:
        extra = set(line) - {"tick", "expect_error"}
        if extra:
            return [f"unknown field(s) on a tick line: {', '.join(sorted(map(str, extra)))}"]
        return []
    verb = str(line.get("do"))
    if verb not in FIELDS:
        return [f"unknown action {line.get('do')!r}; use one of {', '.join(ACTIONS)}"]
    required, optional = FIELDS[verb]
    problems = [f"`{verb}` needs `{f}`" for f in ("at", *required) if line.get(f) is None]
    extra = set(line) - set(_COMMON) - set(required) - set(optional)
    if extra:
        allowed = ", ".join((*required, *optional, "key", "expect_error"))
        names = ", ".join(sorted(map(str, extra)))
        problems.append(f"unknown field(s) {names}; `{verb}` takes {allowed}")
    return problems


_TOO_WIDE = frozenset({"BaseException", "Exception", "object"})


def _error_names(exc: BaseException) -> set[str]:
    """What ``expect_error:`` may name for ``exc``: its class, or a builtin it also is.

    ``ValueError`` matches :class:`~zyw_flow.InstantError`; a zyw_flow base class such as
    ``ZywFlowError`` or ``CampaignError`` does not match (name the exact refusal).
    """
    builtin = {
        c.__name__
        for c in type(exc).__mro__
        if c.__module__ == "builtins" and c.__name__ not in _TOO_WIDE
    }
    return {type(exc).__name__, *builtin}


def _do(campaign: Campaign, line: Mapping[str, Any]) -> None:
    dispatch(campaign, str(line.get("do")), line)


def _check(
    report: Mapping[str, Any],
    expect: Any,
    campaign_restrictions: Mapping[str, tuple[str, ...]] | None = None,
) -> list[str]:
    failures: list[str] = []
    if not isinstance(expect, dict):
        return ["expect: must map unit ids to expectations"] if expect else []
    units = report["units"]
    campaign_restrictions = campaign_restrictions or {}
    for unit, want in expect.items():
        if unit not in units:
            failures.append(f"{unit}: no such unit in the campaign")
            continue
        got = units[unit]
        want = want or {}
        if "phase" in want and got["phase"] != want["phase"]:
            failures.append(f"{unit}: phase is {got['phase']!r}, expected {want['phase']!r}")
        for step, swant in (want.get("steps") or {}).items():
            if swant == "not_owed":
                if step in got["steps"]:
                    failures.append(f"{unit}.{step}: owed, expected not owed")
                continue
            if step not in got["steps"]:
                failures.append(f"{unit}.{step}: no such step (or not owed by the unit)")
                continue
            sgot = got["steps"][step]
            fields = swant if isinstance(swant, dict) else {"status": swant}
            for field, value in fields.items():
                if sgot.get(field) != value:
                    failures.append(
                        f"{unit}.{step}.{field}: is {sgot.get(field)!r}, expected {value!r}"
                    )
        for field in ("grade", "score"):
            if field in want and got.get(field) != (
                None if want[field] is None else str(want[field])
            ):
                failures.append(f"{unit}: {field} is {got.get(field)!r}, expected {want[field]!r}")
        if "restrictions" in want:
            have_r = list(campaign_restrictions.get(unit, ()))
            if sorted(have_r) != sorted(want["restrictions"]):
                failures.append(
                    f"{unit}: restrictions are {have_r}, expected {list(want['restrictions'])}"
                )
        if "sanctions" in want:
            have = [s["sanction"] for s in got["sanctions"]]
            wanted = want["sanctions"]
            if isinstance(wanted, int):
                if len(have) != wanted:
                    failures.append(f"{unit}: {len(have)} sanction(s), expected {wanted}")
            elif have != list(wanted):
                failures.append(f"{unit}: sanctions are {have}, expected {list(wanted)}")
    return failures


def run_scenario(path: str | Path) -> ScenarioResult:
    """Play a scenario file and check its ``expect:`` block.

    Errors inside the script (a refused action that the line did not expect with
    ``expect_error:``) stop the run and are reported as failures, as are failed
    expectations. A malformed scenario or template raises.

    Raises:
        ScenarioError: the scenario file is malformed.
        TemplateError, TemplateNotFound: its template cannot be used.
    """
    path = find_scenario(path)
    data = load_scenario(path)
    template = _template_ref(str(data["template"]), path.parent)
    try:
        campaign = Campaign.create(template, data.get("params"))
    except TemplateNotFound as exc:
        raise ScenarioError([f"{path}: template: {exc}"]) from None
    failures: list[str] = []
    try:
        for actor_id, spec in (data.get("actors") or {}).items():
            spec = spec or {}
            campaign.add_actor(
                str(actor_id), spec.get("roles", []), spec.get("unit"), spec.get("name"),
                scope=spec.get("scope"),
            )  # fmt: skip
        units = data.get("units") or []
        campaign.enroll_many(units)
    except ZywFlowError as exc:
        raise ScenarioError([f"{path}: units/actors: {exc}"]) from None
    for i, line in enumerate(data["script"]):
        where = f"script[{i}]"
        if not isinstance(line, dict):
            raise ScenarioError([f"{path}: {where}: must be a mapping"])
        expected_error = line.get("expect_error")
        try:
            if "tick" in line:
                campaign.tick(line["tick"])
            else:
                _do(campaign, line)
        except ScenarioError as exc:
            raise ScenarioError([f"{path}: {where}: {p}" for p in exc.problems]) from None
        except (ZywFlowError, ValueError, TypeError) as exc:
            name = type(exc).__name__
            if expected_error is True or expected_error in _error_names(exc):
                continue
            failures.append(f"{where} ({line.get('do', 'tick')}): {name}: {exc}")
            break
        else:
            if expected_error:
                failures.append(
                    f"{where} ({line.get('do')}): expected {expected_error}, but it was accepted"
                )
    report = campaign.report()
    if not failures:
        restrictions = {u: campaign.restrictions(u) for u in campaign.units}
        failures.extend(_check(report, data.get("expect"), restrictions))
    return ScenarioResult(campaign, report, tuple(failures))
