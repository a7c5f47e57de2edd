"""Checks of a scenario file, each located at its line: schema, actions, references.

The template is loaded (and its own problems reported in its own file); then every unit,
actor, role, step, sanction, indicator and instant the scenario names is checked against
it. A script line marked ``expect_error:`` is meant to be refused, so its references are
not checked.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zyw_flow._errors import Problem, TemplateError, TemplateNotFound
from zyw_flow._yaml import Document, join
from zyw_flow.template._build import schema_problems

if TYPE_CHECKING:
    from zyw_flow.resolve import ResolvedCampaign
    from zyw_flow.validation._kinds import Options

__all__ = ["check_scenario"]

#: Steps a finding spawns are named ``finding-1``, ``finding-2`` … at run time, and a
#: complaint's reply deadline ``complaint-1`` … (docs/complaints.md).
_FINDING = re.compile(r"^(finding|complaint)-\d+$")


def _unknown(what: str, value: object, known: Iterable[str]) -> str:
    names = sorted(set(known))
    close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listing = ", ".join(names[:12]) + (" …" if len(names) > 12 else "")
    return f"unknown {what} {value!r}{hint} (known: {listing or 'none'})"


class _ScenarioChecker:
    def __init__(self, doc: Document, options: Options, json_schema: Mapping[str, Any]) -> None:
        self.doc = doc
        self.options = options
        self.json_schema = json_schema
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        self.errors.append(self.doc.problem(path, message))

    def run(self) -> None:
        data = self.doc.data
        self.errors.extend(schema_problems(data, self.json_schema, self.doc))
        if not isinstance(data, dict):
            return
        self.actions(data.get("script"))
        resolved = self.template(data)
        if resolved is None:
            return
        units = self.units(data.get("units"))
        later = dict(units)
        script = data.get("script")
        for line in script if isinstance(script, list) else []:
            if isinstance(line, dict) and line.get("do") == "enroll" and "unit" in line:
                later.setdefault(str(line["unit"]), str(line.get("kind", "unit")))
        actors = self.actors(data.get("actors"), resolved, later)
        self.script(data.get("script"), resolved, units, actors)
        self.expect(data.get("expect"), resolved, units)

    def actions(self, script: Any) -> None:
        from zyw_flow.scenario import FIELDS

        if not isinstance(script, list):
            return
        for i, line in enumerate(script):
            path = join("script", i)
            if not isinstance(line, dict) or "tick" in line:
                continue
            verb = line.get("do")
            if not isinstance(verb, str) or verb not in FIELDS:
                continue  # the schema reports it
            required, optional = FIELDS[verb]
            for field in ("at", *required):
                if line.get(field) is None:
                    self.problem(path, f"`{verb}` needs `{field}`")
            allowed = {*required, *optional, "do", "at", "key", "expect_error"}
            for field in line:
                if field not in allowed:
                    close = difflib.get_close_matches(str(field), sorted(allowed), n=1)
                    hint = f"; did you mean {close[0]!r}?" if close else ""
                    self.problem(
                        join(path, str(field)),
                        f"`{verb}` does not take `{field}`{hint} "
                        f"(it takes {', '.join((*required, *optional))})",
                    )

    def template(self, data: dict[str, Any]) -> ResolvedCampaign | None:
        from zyw_flow.resolve import load_template, resolve

        ref = data.get("template")
        if not isinstance(ref, str):
            return None
        base = Path(self.doc.file).parent
        candidate = base / ref
        source: str | Path = (
            candidate if candidate.suffix in (".yaml", ".yml") or candidate.is_file() else ref
        )
        params = data.get("params") if isinstance(data.get("params"), dict) else None
        try:
            return resolve(load_template(source, params, search_path=self.options.search_path))
        except TemplateNotFound as exc:
            self.problem("template", str(exc))
        except TemplateError as exc:
            self.problem("template", f"the template has {len(exc.problems)} problem(s):")
            self.errors.extend(exc.problems)
        return None

    def units(self, raw: Any) -> dict[str, str]:
        """Unit id → kind, each unit checked for a duplicate id and a known parent."""
        units: dict[str, str] = {}
        if not isinstance(raw, list):
            return units
        for i, spec in enumerate(raw):
            if not isinstance(spec, dict) or "id" not in spec:
                continue
            uid = str(spec["id"])
            if uid in units:
                self.problem(join(join("units", i), "id"), f"duplicate unit id {uid!r}")
            parent = spec.get("parent")
            if (
                parent is not None
                and str(parent) not in units
                and not any(isinstance(s, dict) and str(s.get("id")) == str(parent) for s in raw)
            ):
                self.problem(
                    join(join("units", i), "parent"), _unknown("parent unit", parent, units)
                )
            units[uid] = str(spec.get("kind", "unit"))
        return units

    def actors(self, raw: Any, resolved: ResolvedCampaign, units: dict[str, str]) -> set[str]:
        roles = resolved.template.roles
        if not isinstance(raw, dict):
            return set()
        for actor, spec in raw.items():
            if not isinstance(spec, dict):
                continue
            apath = join("actors", str(actor))
            for i, role in enumerate(spec.get("roles") or ()):
                if role not in roles:
                    self.problem(join(join(apath, "roles"), i), _unknown("role", role, roles))
            unit = spec.get("unit")
            if unit is not None and str(unit) not in units:
                self.problem(join(apath, "unit"), _unknown("unit", unit, units))
        return {str(a) for a in raw}

    def script(
        self, raw: Any, resolved: ResolvedCampaign, units: dict[str, str], actors: set[str]
    ) -> None:
        from zyw_flow._time import parse_at

        if not isinstance(raw, list):
            return
        template = resolved.template
        steps = {s.id for s in resolved.steps} | {s.base for s in resolved.steps}
        sanctions = {s.id for s in template.sanctions}
        indicators = self.indicators(resolved)
        vetoes = self.vetoes(resolved)
        known_units = dict(units)
        for i, line in enumerate(raw):
            path = join("script", i)
            if not isinstance(line, dict):
                continue
            if line.get("expect_error"):
                continue  # meant to be refused: its references may be wrong on purpose
            for field in ("at", "tick"):
                value = line.get(field)
                if isinstance(value, str):
                    try:
                        parse_at(value, resolved.timezone)
                    except ValueError as exc:
                        self.problem(join(path, field), str(exc))
            verb = line.get("do")
            if verb == "enroll" and line.get("unit") is not None:
                parent = line.get("parent")
                if parent is not None and str(parent) not in known_units:
                    self.problem(join(path, "parent"), _unknown("parent unit", parent, known_units))
                known_units[str(line["unit"])] = str(line.get("kind", "unit"))
                continue
            unit = line.get("unit")
            if unit is not None and str(unit) not in known_units:
                self.problem(join(path, "unit"), _unknown("unit", unit, known_units))
            actor = line.get("actor")
            if actor is not None and str(actor) not in actors:
                self.problem(join(path, "actor"), _unknown("actor", actor, actors))
            step = line.get("step")
            if step is not None and str(step) not in steps and not _FINDING.match(str(step)):
                self.problem(join(path, "step"), _unknown("step", step, steps))
            sanction = line.get("sanction")
            if verb == "sanction" and sanction is not None and str(sanction) not in sanctions:
                self.problem(join(path, "sanction"), _unknown("sanction", sanction, sanctions))
            indicator = line.get("indicator")
            if (
                verb == "score"
                and indicator is not None
                and indicators is not None
                and str(indicator) not in indicators
            ):
                self.problem(join(path, "indicator"), _unknown("indicator", indicator, indicators))
            for field in ("value", "points"):
                if verb in ("score", "deduction") and line.get(field) is not None:
                    self.number(join(path, field), line[field])
            if verb == "case":
                self.case(path, line, vetoes)

    def number(self, path: str, value: Any) -> None:
        from zyw_flow.evaluation import ScoringError, parse_decimal

        raw = self.doc.numbers.get(path)
        try:
            parse_decimal(raw[1] if raw is not None else str(value), what=path.rsplit(".", 1)[-1])
        except ScoringError as exc:
            self.problem(path, str(exc))

    def case(self, path: str, line: dict[str, Any], vetoes: set[str] | None) -> None:
        """A ``case`` line's kind, and a veto's item, as the schemes know them."""
        from zyw_flow.evaluation._rules import CASE_KINDS

        kind = line.get("kind")
        if kind is not None and str(kind) not in CASE_KINDS:
            self.problem(join(path, "kind"), _unknown("case kind", kind, CASE_KINDS))
        elif kind == "veto":
            item = line.get("item")
            if item is None:
                self.problem(path, "a `veto` case names its veto item (`item`)")
            elif vetoes is not None and str(item) not in vetoes:
                self.problem(join(path, "item"), _unknown("veto item", item, vetoes))

    def vetoes(self, resolved: ResolvedCampaign) -> set[str] | None:
        """The veto items (一票否决) the template's schemes declare; ``None``: unknown."""
        from zyw_flow.evaluation import load_scheme_text

        found: set[str] = set()
        for text in resolved.template.scheme_texts.values():
            try:
                found.update(v.id for v in load_scheme_text(text).veto)
            except TemplateError:
                return None
        return found

    def indicators(self, resolved: ResolvedCampaign) -> set[str] | None:
        from zyw_flow.evaluation import load_scheme_text

        texts = resolved.template.scheme_texts
        if not texts:
            return None
        found: set[str] = set()
        for text in texts.values():
            try:
                found.update(i.id for i in load_scheme_text(text).indicators_flat())
            except TemplateError:
                return None
        return found

    def expect(self, raw: Any, resolved: ResolvedCampaign, units: dict[str, str]) -> None:
        if not isinstance(raw, dict):
            return
        phases = {p.id for p in resolved.phases}
        steps = {s.id for s in resolved.steps} | {s.base for s in resolved.steps}
        enrolled = set(units)
        script = self.doc.data.get("script") if isinstance(self.doc.data, dict) else None
        for line in script if isinstance(script, list) else ():
            if isinstance(line, dict) and line.get("do") == "enroll" and "unit" in line:
                enrolled.add(str(line["unit"]))
        for unit, want in raw.items():
            upath = join("expect", str(unit))
            if str(unit) not in enrolled:
                self.problem(upath, _unknown("unit", unit, enrolled))
            if not isinstance(want, dict):
                continue
            phase = want.get("phase")
            if phase is not None and phase not in phases:
                self.problem(join(upath, "phase"), _unknown("phase", phase, phases))
            for step in (want.get("steps") or {}) if isinstance(want.get("steps"), dict) else {}:
                if str(step) not in steps and not _FINDING.match(str(step)):
                    self.problem(
                        join(join(upath, "steps"), str(step)), _unknown("step", step, steps)
                    )


def check_scenario(
    doc: Document, options: Options, json_schema: Mapping[str, Any]
) -> tuple[list[Problem], list[Problem]]:
    """Errors and warnings of a scenario document (``json_schema``: the scenario schema)."""
    checker = _ScenarioChecker(doc, options, json_schema)
    checker.run()
    return checker.errors, checker.warnings
