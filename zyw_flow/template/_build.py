"""Turn a YAML document into a validated :class:`CampaignTemplate`, collecting every problem.

Order: bind parameters → put ``${name}`` values in → check against the JSON Schema →
merge phase templates (``use:``) → check meaning (ids, roles, dependencies, date phrases).
Date *values* (window order, deadlines before a phase opens, calendar horizon) are checked
by the resolver, which reports in the same form.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import attrs
import jsonschema
import pendulum

from zyw_flow._errors import (
    DateExpressionError,
    Problem,
    ReferenceRefused,
    TemplateError,
    TemplateNotFound,
)
from zyw_flow._fields import unknown_field_message
from zyw_flow._yaml import Document, join, read_limited, read_yaml
from zyw_flow.dates import RelativeDate, parse_date, parse_duration, parse_recurrence, parse_window
from zyw_flow.evaluation import Rule, extra_rules, load_scheme_text
from zyw_flow.template._inherited import InheritedStep, inherited_problem
from zyw_flow.template._model import (
    DEFAULT_PERMISSIONS,
    DEFAULT_ROLES,
    DEFAULT_SANCTIONS,
    CalendarDef,
    CampaignTemplate,
    DueAfter,
    EscalationLevelDef,
    ExtensionPolicy,
    FindingsDef,
    OwnerRule,
    ParamDef,
    PhaseDef,
    SanctionDef,
    StepDef,
)
from zyw_flow.template._procedures import build_accountability, build_complaints
from zyw_flow.template._registry import find_reference, known_references
from zyw_flow.template._workflow import (
    check_owner,
    parse_extensions,
    parse_owner,
    parse_warnings,
)

__all__ = [
    "build_template",
    "parse_duration",
    "schema",
    "schema_problems",
    "unknown_field_message",
]

_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_ISO_DAY_RE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _alias_key(text: str) -> str | None:
    """An alias as compared: NFKC, no whitespace, no trailing 阶段; ``None`` if it is not a
    Chinese name (it starts with ASCII or contains a path separator)."""
    key = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
    for suffix in ("阶段", "階段"):
        if key.endswith(suffix) and len(key) > len(suffix):
            key = key[: -len(suffix)]
    if not key or key[0].isascii() or "/" in key or "\\" in key:
        return None
    return key


_PARAM_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
KNOWN_CALENDARS = ("cn", "weekends")
#: Fields whose value stays text even when it is exactly ``${name}``.
_TEXT_FIELDS = frozenset(
    {
        "id",
        "title",
        "description",
        "source",
        "window",
        "due",
        "opens",
        "closes",
        "from",
        "until",
        "on",
    }
)


@cache
def schema(kind: str) -> dict[str, Any]:
    """The bundled JSON Schema for ``campaign`` or ``phase`` templates."""
    text = resources.files("zyw_flow.template").joinpath(f"{kind}.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class _AlreadyReported(Exception):
    """A value whose problem was reported at an earlier stage."""


def _path_str(parts: Any) -> str:
    path = ""
    for part in parts:
        path = join(path, part)
    return path


def _is_share(value: object) -> bool:
    """A decimal in (0, 1]: the ``excellent_ratio`` parameter's values."""
    if isinstance(value, bool):
        return False
    try:
        share = decimal.Decimal(str(value).strip())
    except decimal.InvalidOperation:
        return False
    return share.is_finite() and 0 < share <= 1


class _Builder:
    def __init__(
        self,
        doc: Document,
        params: Mapping[str, Any] | None,
        phase_texts: Mapping[str, str] | None = None,
        scheme_texts: Mapping[str, str] | None = None,
        search_path: Sequence[Path] = (),
    ) -> None:
        self.doc = doc
        self.search_path = tuple(Path(p) for p in search_path)
        self.stored_schemes = dict(scheme_texts) if scheme_texts is not None else None
        self.stored_phases = dict(phase_texts) if phase_texts is not None else None
        self.bad_paths: set[str] = set()  # values already reported (e.g. unknown ${param})
        #: fields of the wrong shape, reported by the schema and left out of the document
        self.shape_paths: set[str] = set()
        self.triggers: dict[str, str] = {}  # the `triggers:` block, read before the phases
        self.partial = False
        self.given = dict(params or {})
        self.problems: list[Problem] = []
        self.phase_texts: dict[str, str] = {}
        self._phase_cache: dict[str, tuple[Document, dict[str, Any]] | None] = {}
        self._phase_shapes: dict[str, tuple[str, ...]] = {}
        #: the steps campaign phases inherit (``use:``), by their path in the campaign
        self._inherited: dict[str, InheritedStep] = {}
        near = Path(doc.file)
        self.near = near if near.is_file() else None

    def problem(self, path: str, message: str, doc: Document | None = None) -> None:
        if doc is None and self._under_shape_error(path):
            return  # the schema reported this field's shape; it was left out
        if doc is None and self._inherited:
            moved = inherited_problem(self._inherited, path, message)
            if moved is not None:
                self.problems.append(moved)
                return
        self.problems.append((doc or self.doc).problem(path, message))

    def _where(self, path: str) -> str:
        """``FILE:LINE: PATH`` of a path in the campaign document."""
        line = self.doc.line(path)
        return f"{self.doc.file}:{line}: {path}" if line is not None else f"{self.doc.file}: {path}"

    def _under_shape_error(self, path: str) -> bool:
        return any(
            path == bad or path.startswith((bad + ".", bad + "[")) for bad in self.shape_paths
        )

    # -- parameters -----------------------------------------------------------------
    def bind_params(self, raw: Any) -> tuple[tuple[ParamDef, ...], dict[str, Any]]:
        defs: dict[str, ParamDef] = {}
        if isinstance(raw, dict):
            for name, spec in raw.items():
                spec = spec if isinstance(spec, dict) else {}
                ptype = spec.get("type", "int")
                if ptype not in ("int", "str", "bool", "date"):
                    ptype = "str"  # the schema reports it
                has_default = "default" in spec
                defs[str(name)] = ParamDef(
                    name=str(name),
                    type=ptype,
                    default=spec.get("default"),
                    required=not has_default,
                    description=str(spec.get("description", "")),
                )
        if "year" not in defs:
            defs["year"] = ParamDef("year", "int", None, True, "campaign year")
        elif defs["year"].type != "int":  # every date of the campaign counts from it
            self.problem(
                "params.year.type",
                f"the year parameter must be of type int, not {defs['year'].type!r}",
            )
            defs["year"] = attrs.evolve(defs["year"], type="int")
        values: dict[str, Any] = {}
        for name, value in self.given.items():
            if name not in defs:
                self.problem(
                    "params",
                    f"unknown parameter {name!r}; this template declares: "
                    + ", ".join(sorted(defs)),
                )
                continue
            values[name] = self._coerce(defs[name], value, f"params.{name}")
        for name, pdef in defs.items():
            if name in values:
                continue
            if pdef.required:
                self.problem(
                    join("params", name) if isinstance(raw, dict) and name in raw else "params",
                    f"missing parameter {name!r}: give it (e.g. --param {name}=...) "
                    "or declare a default",
                )
            else:
                values[name] = self._coerce(pdef, pdef.default, f"params.{name}.default")
        year = values.get("year")
        if isinstance(year, int) and not isinstance(year, bool) and not 1 <= year <= 9999:
            where = "params.year" if "year" in self.given else "params.year.default"
            self.problem(where, f"year {year} is out of range (1-9999)")
        ratio = values.get("excellent_ratio")
        if ratio not in (None, "") and not _is_share(ratio):
            given = "excellent_ratio" in self.given
            where = "params.excellent_ratio" + ("" if given else ".default")
            self.problem(
                where,
                f"excellent_ratio {ratio!r} must be a share of the people, a decimal above 0 "
                "and at most 1 (0.15 for 15 %)",
            )
        return tuple(defs.values()), values

    def _coerce(self, pdef: ParamDef, value: Any, path: str) -> Any:
        try:
            if pdef.type == "int":
                if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                    raise ValueError
                return int(value)
            if pdef.type == "bool":
                if isinstance(value, bool):
                    return value
                if str(value).lower() in ("true", "yes", "1"):
                    return True
                if str(value).lower() in ("false", "no", "0"):
                    return False
                raise ValueError
            if pdef.type == "date":
                return pendulum.Date.fromisoformat(str(value)).isoformat()
            return str(value)
        except (TypeError, ValueError):
            article = "an" if pdef.type == "int" else "a"
            self.problem(
                path, f"parameter {pdef.name!r} must be {article} {pdef.type}, not {value!r}"
            )
            return value

    def interpolate(self, value: Any, path: str, values: Mapping[str, Any]) -> Any:
        if isinstance(value, dict):
            return {k: self.interpolate(v, join(path, k), values) for k, v in value.items()}
        if isinstance(value, list):
            return [self.interpolate(v, join(path, i), values) for i, v in enumerate(value)]
        if not isinstance(value, str) or "${" not in value:
            return value
        whole = _PARAM_RE.fullmatch(value)
        field = path.rsplit(".", 1)[-1]
        if whole and field not in _TEXT_FIELDS:
            name = whole.group(1)
            if name in values:
                return values[name]
            self.problem(path, f"unknown parameter {name!r} in {value!r}")
            self.bad_paths.add(path)
            return value

        def sub(m: re.Match[str]) -> str:
            name = m.group(1)
            if name not in values:
                self.problem(path, f"unknown parameter {name!r} in {value!r}")
                self.bad_paths.add(path)
                return m.group(0)
            return str(values[name])

        return _PARAM_RE.sub(sub, value)

    # -- schema ---------------------------------------------------------------------
    def check_schema(self, data: Any, kind: str, doc: Document, prefix: str = "") -> Any:
        """Report how ``data`` breaks the ``kind`` schema; return ``data`` without the fields
        of the wrong shape (their paths, under ``prefix``, go to :attr:`shape_paths`)."""
        problems, prune = _schema_check(data, schema(kind), doc)
        self.problems.extend(problems)
        for parts in prune:
            self.shape_paths.add(join(prefix, _path_str(parts)) if prefix else _path_str(parts))
        return _prune(data, prune)

    # -- phases ---------------------------------------------------------------------
    def phase_template(self, name: str, path: str) -> tuple[Document, dict[str, Any]] | None:
        """The phase template ``name`` (document and data), or ``None`` with a problem."""
        if name in self._phase_cache:
            return self._phase_cache[name]
        result: tuple[Document, dict[str, Any]] | None = None
        pdoc: Document | None = None
        try:
            if self.stored_phases is not None:
                if name not in self.stored_phases:
                    known = ", ".join(sorted(self.stored_phases)) or "none"
                    raise TemplateNotFound(f"unknown phase template {name!r}; known: {known}")
                pdoc = read_yaml(self.stored_phases[name], f"<stored>/phases/{name}.yaml")
            else:
                found = find_reference("phase", name, self.near, self.search_path)
                pdoc = read_yaml(read_limited(found), str(found))
        except TemplateNotFound as exc:
            self.problem(path, str(exc))
        except TemplateError as exc:
            self.problems.extend(exc.problems)
        except OSError as exc:
            self.problem(path, f"phase template {name!r} cannot be read: {exc.strerror}")
        if pdoc is not None:
            if not _is_kind(pdoc.data, "phase"):
                # Never echo the content of a file that is not a phase template.
                self.problem(
                    path, f"{pdoc.file} is not a phase template (a mapping with `kind: phase`)"
                )
            else:
                # A phase template of the wrong shape in places is still used without those
                # fields, so that the campaign's own problems are reported with its own.
                problems, prune = _schema_check(pdoc.data, schema("phase"), pdoc)
                self.problems.extend(problems)
                self._phase_shapes[name] = tuple(_path_str(parts) for parts in prune)
                result = (pdoc, _prune(pdoc.data, prune))
                if not problems:
                    self.phase_texts[name] = pdoc.text
        self._phase_cache[name] = result
        return result

    def phase_alias(self, alias: str, path: str) -> str | None:
        """The id of the phase template declaring ``alias`` (动员部署, 動員部署) in its
        ``aliases:``; a trailing 阶段 is ignored. Phase templates are only read, by id, from
        the places ``use:`` looks in; the alias itself never names a file."""
        if _alias_key(alias) is None:
            return None  # not an alias either: the schema reports it
        if self.stored_phases is not None:
            texts = {n: (t, f"<stored>/phases/{n}.yaml") for n, t in self.stored_phases.items()}
        else:
            texts = {}
            for name in known_references("phase", self.near, self.search_path):
                try:
                    found = find_reference("phase", name, self.near, self.search_path)
                    texts[name] = (read_limited(found).decode("utf-8"), str(found))
                except (TemplateNotFound, ReferenceRefused, OSError, UnicodeDecodeError):
                    continue
        matches: list[str] = []
        for name, (text, file) in sorted(texts.items()):
            try:
                data = read_yaml(text, file).data
            except TemplateError:
                continue
            if not isinstance(data, dict) or not isinstance(data.get("aliases"), list):
                continue
            keys = {_alias_key(str(a)) for a in data["aliases"]}
            keys.add(_alias_key(str(data.get("title", ""))))
            if _alias_key(alias) in keys:
                matches.append(name)
        if len(matches) == 1:
            return matches[0]
        if matches:
            self.problem(
                path, f"{alias!r} is an alias of several phase templates: {', '.join(matches)}"
            )
        else:
            self.problem(
                path,
                f"unknown phase template {alias!r}: no phase template declares it among its "
                f"aliases; known: {', '.join(sorted(texts)) or 'none'}",
            )
        return None

    def build_phase(
        self, raw: dict[str, Any], path: str, roles: Mapping[str, str], review: tuple[str, ...]
    ) -> PhaseDef | None:
        use = raw.get("use")
        pdoc: Document | None = None
        inherited: dict[str, dict[str, Any]] = {}
        base_title = ""
        aliases: tuple[str, ...] = ()
        if isinstance(use, str):
            if not _ID_RE.match(use):
                use = self.phase_alias(use, join(path, "use"))
                if use is None:
                    return None  # reported (or the schema reports it); a path is never opened
            found = self.phase_template(use, join(path, "use"))
            if found is None:
                return None
            pdoc, pdata = found
            for rel in self._phase_shapes.get(use, ()):
                if rel.startswith("steps."):  # an inherited step's field of the wrong shape
                    self.shape_paths.add(join(path, rel))
            base_title = str(pdata.get("title", ""))
            aliases = tuple(str(a) for a in pdata.get("aliases", []) or [])
            steps_in = pdata.get("steps")
            inherited = {
                str(k): dict(v)
                for k, v in (steps_in.items() if isinstance(steps_in, dict) else ())
                if isinstance(v, dict)
            }
        phase_id = raw.get("id", use)
        title = raw.get("title", base_title)
        if phase_id is None and join(path, "id") in self.shape_paths:
            phase_id = path  # reported by the schema; its steps are still checked
        if not isinstance(phase_id, str):
            self.problem(path, "a phase without `use:` needs an `id`")
            return None
        if not title and join(path, "title") not in self.shape_paths:
            self.problem(path, "a phase without `use:` needs a `title`")
        for i, drop in enumerate(raw.get("drop", []) or []):
            if drop not in inherited:
                self.problem(
                    join(join(path, "drop"), i),
                    f"cannot drop {drop!r}: phase template {use!r} has no such step"
                    if use
                    else f"cannot drop {drop!r}: only inherited steps can be dropped",
                )
            inherited.pop(drop, None)
        steps_raw = raw.get("steps") or {}
        merged: dict[str, tuple[dict[str, Any], str]] = {
            k: (v, join(join(path, "steps"), k)) for k, v in inherited.items()
        }
        if inherited and pdoc is not None:
            for k in inherited:
                over = steps_raw.get(k) if isinstance(steps_raw, dict) else None
                own = None if over is None else frozenset(over if isinstance(over, dict) else ())
                self._inherited[join(join(path, "steps"), k)] = InheritedStep(
                    pdoc, join("steps", k), own, self._where(join(path, "use"))
                )
        if isinstance(steps_raw, dict):
            for sid, over in steps_raw.items():
                spath = join(join(path, "steps"), sid)
                over = over if isinstance(over, dict) else {}
                if sid in merged:
                    merged[sid] = ({**merged[sid][0], **over}, spath)
                else:
                    if "title" not in over:
                        self.problem(
                            spath,
                            f"new step {sid!r} needs a title"
                            + (f" (phase template {use!r} has no step {sid!r})" if use else ""),
                        )
                    merged[sid] = (over, spath)
        built: list[StepDef] = []
        for sid, (spec, spath) in merged.items():
            built.append(self.build_step(sid, spec, spath, phase_id, review))
            coop = spec.get("cooperation")
            if isinstance(coop, dict):  # 牵头/配合: each cooperating unit's contribution
                built.append(self.contribution(sid, spec, coop, spath, phase_id, review))
        steps = tuple(built)
        return PhaseDef(
            id=phase_id,
            title=str(title),
            window=str(raw.get("window", "")),
            use=use if isinstance(use, str) else None,
            steps=steps,
            aliases=aliases,
            description=str(raw.get("description", "")),
            path=path,
        )

    def build_step(
        self, sid: str, spec: dict[str, Any], path: str, phase: str, review: tuple[str, ...]
    ) -> StepDef:
        due: str | None = spec.get("due", "")
        due_after: DueAfter | None = None
        if isinstance(due, Mapping):  # a deadline relative to a trigger the host records
            due_after = self.due_after(due, spec, join(path, "due"))
            due = None
        base = getattr(self, "extension_base", ExtensionPolicy())
        roles = getattr(self, "declared_roles", ())
        tiers = spec.get("review_tiers", 1)
        return StepDef(
            id=sid,
            title=str(spec.get("title", sid)),
            phase=phase,
            kind=str(spec.get("kind", "activity")),
            submit=tuple(spec.get("submit", ("member",))),
            review=tuple(spec.get("review", review)),
            due=None if due is None else str(due),
            opens=str(spec.get("opens", "")),
            closes=None if spec.get("closes") is None else str(spec["closes"]),
            on_non_workday=spec.get("on_non_workday"),
            after=tuple(spec.get("after", ())),
            blocks_next=spec.get("blocks_next"),
            early=bool(spec.get("early", False)),
            repeat=spec.get("repeat"),
            description=str(spec.get("description", "")),
            path=path,
            owed_by=parse_owner(spec.get("owed_by"), join(path, "owed_by"), self.problem),
            warnings=parse_warnings(spec.get("warnings"), join(path, "warnings"), self.problem),
            extensions=parse_extensions(
                spec.get("extensions"), join(path, "extensions"), self.problem, roles, base
            ),
            review_tiers=tiers if isinstance(tiers, int) and not isinstance(tiers, bool) else 1,
            due_after=due_after,
        )

    def due_after(self, raw: Mapping[str, Any], spec: Mapping[str, Any], path: str
                  ) -> DueAfter | None:  # fmt: skip
        """``due: {after: TRIGGER, within: N days}``: the trigger must be declared under
        ``triggers:``; the step cannot repeat (one deadline per unit and trigger)."""
        trigger, within = raw.get("after"), raw.get("within")
        if not isinstance(trigger, str) or not isinstance(within, str):
            return None  # the schema reports it
        ok = True
        if trigger not in self.triggers:
            known = ", ".join(self.triggers) or "none declared"
            message = f"unknown trigger {trigger!r}; the template's triggers: {known}"
            self.problem(join(path, "after"), message)
            ok = False
        try:
            amount, unit = parse_duration(within)
        except DateExpressionError as exc:
            self.problem(join(path, "within"), f"bad delay: {exc.reason}")
            ok = False
        if spec.get("repeat") is not None:
            self.problem(path, "a step due after a trigger cannot repeat (`repeat:`): it has "
                         "one deadline per unit, from the trigger's record")  # fmt: skip
            ok = False
        return DueAfter(trigger, amount, unit) if ok else None

    def contribution(
        self, sid: str, spec: dict[str, Any], coop: dict[str, Any], path: str, phase: str,
        review: tuple[str, ...],
    ) -> StepDef:  # fmt: skip
        """The step ``<sid>-contribution`` a ``cooperation:`` block adds: owed by the
        cooperating groups (配合单位), due with the lead's deliverable unless it says."""
        own = ("cooperation", "owed_by", "title", "description", "repeat")
        cspec = {k: v for k, v in spec.items() if k not in own}
        cspec["title"] = str(coop.get("title", f"{spec.get('title', sid)}（配合）"))
        if "due" in coop:
            cspec["due"] = coop["due"]
        cspec["owed_by"] = {"groups": coop.get("groups", []),
                            "description": coop.get("description", "配合单位")}  # fmt: skip
        cspec["description"] = f"配合 {sid}: " + str(coop.get("description", ""))
        return self.build_step(f"{sid}-contribution", cspec, join(path, "cooperation"), phase,
                               review)  # fmt: skip

    # -- checks ---------------------------------------------------------------------
    def check_roles(self, roles: Mapping[str, str], names: Any, path: str) -> None:
        for i, role in enumerate(names):
            if role not in roles:
                self.problem(
                    join(path, i), f"unknown role {role!r}; declared roles: {', '.join(roles)}"
                )

    def check_date(self, text: str, path: str, phases: set[str], steps: set[str]) -> None:
        if path in self.bad_paths:
            return
        try:
            expr = parse_date(text)
        except DateExpressionError as exc:
            self.problem(path, f"bad date phrase: {exc.reason}")
            return
        if isinstance(expr, RelativeDate):
            self.check_anchor(expr.anchor, path, phases, steps)

    def check_anchor(self, anchor: str, path: str, phases: set[str], steps: set[str]) -> None:
        parts = anchor.split(".")
        if parts[0] == "phases" and parts[1] not in phases:
            self.problem(path, f"{anchor!r} refers to an unknown phase {parts[1]!r}")
        if parts[0] == "steps" and parts[1] not in steps:
            self.problem(path, f"{anchor!r} refers to an unknown step {parts[1]!r}")

    def check_window_anchor(
        self,
        anchor: str,
        path: str,
        index: int,
        phases: list[PhaseDef],
        step_phase: Mapping[str, int],
    ) -> None:
        """A window is resolved in phase order: it may refer only to what is known before
        it (earlier phases and their steps, ``campaign.start`` after the first phase)."""
        parts = anchor.split(".")
        later = {p.id: i for i, p in enumerate(phases) if i >= index}
        why = None
        if parts[0] == "phase":
            why = "a window cannot refer to its own phase; give a date or an earlier phase"
        elif anchor == "campaign.end":
            why = "the campaign ends with the last window, so no window can refer to it"
        elif anchor == "campaign.start" and index == 0:
            why = "the campaign starts with the first phase's window, which cannot refer to it"
        elif parts[0] == "phases" and parts[1] in later:
            why = f"phase {parts[1]!r} is this or a later phase; refer only to earlier phases"
        elif parts[0] == "steps" and step_phase.get(parts[1], -1) >= index:
            why = (
                f"step {parts[1]!r} is in this or a later phase; a window may refer only to "
                "steps of earlier phases"
            )
        if why is not None:
            self.problem(path, f"{anchor!r}: {why}")

    def check_steps(self, phases: list[PhaseDef], roles: Mapping[str, str]) -> None:
        phase_ids = {p.id for p in phases}
        seen: dict[str, str] = {}
        for phase in phases:
            for step in phase.steps:
                if step.id in seen:
                    self.problem(
                        step.path, f"duplicate step id {step.id!r} (also at {seen[step.id]})"
                    )
                else:
                    seen[step.id] = step.path
        step_ids = set(seen)
        step_phase = {s.id: i for i, p in enumerate(phases) for s in p.steps}
        for index, phase in enumerate(phases):
            try:
                if join(phase.path, "window") in self.bad_paths:
                    raise _AlreadyReported
                start, end = parse_window(phase.window)
                anchors = dict.fromkeys(
                    e.anchor for e in (start, end) if isinstance(e, RelativeDate)
                )
                for anchor in anchors:
                    wpath = join(phase.path, "window")
                    self.check_anchor(anchor, wpath, phase_ids, step_ids)
                    self.check_window_anchor(anchor, wpath, index, phases, step_phase)
            except _AlreadyReported:
                pass
            except DateExpressionError as exc:
                self.problem(join(phase.path, "window"), f"bad date window: {exc.reason}")
            for step in phase.steps:
                self.check_roles(roles, step.submit, join(step.path, "submit"))
                self.check_roles(roles, step.review, join(step.path, "review"))
                for field in ("due", "opens", "closes"):
                    value = getattr(step, field)
                    if value:
                        self.check_date(value, join(step.path, field), phase_ids, step_ids)
                for i, dep in enumerate(step.after):
                    if dep not in step_ids:
                        self.problem(
                            join(join(step.path, "after"), i),
                            f"step {step.id!r} depends on an unknown step {dep!r}",
                        )
                if step.repeat is not None:
                    rep = dict(step.repeat)
                    bounds = {k: rep.pop(k) for k in ("from", "until") if k in rep}
                    try:
                        parse_recurrence(rep)
                    except DateExpressionError as exc:
                        self.problem(join(step.path, "repeat"), f"bad recurrence: {exc.reason}")
                    for key, text in bounds.items():
                        self.check_date(
                            str(text), join(join(step.path, "repeat"), key), phase_ids, step_ids
                        )
        self.check_cycles(phases)

    def check_cycles(self, phases: list[PhaseDef]) -> None:
        graph = {s.id: s for p in phases for s in p.steps}
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(sid: str, stack: list[str]) -> None:
            state[sid] = 1
            stack.append(sid)
            for dep in graph[sid].after:
                if dep not in graph:
                    continue
                if state.get(dep) == 1:
                    cycle = [*stack[stack.index(dep) :], dep]
                    key = frozenset(cycle)
                    if key not in reported:
                        reported.add(key)
                        self.problem(
                            join(graph[sid].path, "after"),
                            "steps depend on each other in a cycle: " + " → ".join(cycle),
                        )
                elif dep not in state:
                    visit(dep, stack)
            stack.pop()
            state[sid] = 2

        for sid in graph:
            if sid not in state:
                visit(sid, [])

    def build(self) -> CampaignTemplate:
        data = self.doc.data
        if not isinstance(data, dict):
            raise TemplateError([self.doc.problem("", "a campaign template must be a mapping")])
        if data.get("kind") == "phase":
            raise TemplateError(
                [
                    self.doc.problem(
                        "kind", "this is a phase template; use it from a campaign with `use:`"
                    )
                ]
            )
        param_defs, values = self.bind_params(data.get("params"))
        body = {k: v for k, v in data.items() if k != "params"}
        body = self.interpolate(body, "", values)
        if "params" in data:
            body["params"] = data["params"]
        body = self.check_schema(body, "campaign", self.doc)

        roles_raw = body.get("roles")
        roles = dict(roles_raw) if isinstance(roles_raw, dict) else dict(DEFAULT_ROLES)
        perms = dict(DEFAULT_PERMISSIONS)
        if isinstance(body.get("permissions"), dict):
            for event, names in body["permissions"].items():
                if isinstance(names, list):
                    perms[event] = tuple(names)
                    self.check_roles(roles, names, join("permissions", event))
        else:
            for event, names in DEFAULT_PERMISSIONS.items():
                for role in names:
                    if role not in roles:
                        self.problem(
                            "roles",
                            f"default permission {event!r} needs role {role!r}; declare it or set "
                            f"permissions.{event}",
                        )

        cal_raw = body.get("calendar") if isinstance(body.get("calendar"), dict) else {}
        assert isinstance(cal_raw, dict)
        cal_name = str(cal_raw.get("name", "cn"))
        if cal_name not in KNOWN_CALENDARS:
            self.problem(
                "calendar.name",
                f"unknown calendar {cal_name!r}; known: {', '.join(KNOWN_CALENDARS)}",
            )
        calendar = self.calendar_def(cal_raw, cal_name if cal_name in KNOWN_CALENDARS else "cn")
        timezone = str(body.get("timezone", "Asia/Shanghai"))
        try:
            pendulum.timezone(timezone)
        except Exception:
            self.problem("timezone", f"unknown time zone {timezone!r} (e.g. Asia/Shanghai)")

        sanctions = DEFAULT_SANCTIONS
        if isinstance(body.get("sanctions"), list):
            sanctions = tuple(
                SanctionDef(str(s.get("id")), str(s.get("title")), str(s.get("description", "")))
                for s in body["sanctions"]
                if isinstance(s, dict)
            )
            self.check_unique([s.id for s in sanctions], "sanctions", "sanction")
        sanction_ids = {s.id for s in sanctions}

        levels: list[EscalationLevelDef] = []
        for i, lvl in enumerate(body.get("escalation") or []):
            if not isinstance(lvl, dict):
                continue
            lpath = join("escalation", i)
            try:
                amount, unit = parse_duration(lvl.get("after", ""))
            except DateExpressionError as exc:
                self.problem(join(lpath, "after"), f"bad delay: {exc.reason}")
                amount, unit = 0, "days"
            sanction = lvl.get("sanction")
            if sanction is not None and sanction not in sanction_ids:
                self.problem(
                    join(lpath, "sanction"),
                    f"unknown sanction {sanction!r}; the ladder has: "
                    + ", ".join(sorted(sanction_ids)),
                )
            levels.append(
                EscalationLevelDef(
                    str(lvl.get("id")), str(lvl.get("title")), amount, unit, sanction
                )
            )
        self.check_unique([lv.id for lv in levels], "escalation", "escalation level")
        for i in range(1, len(levels)):
            if (levels[i].amount, levels[i].unit) <= (
                levels[i - 1].amount,
                levels[i - 1].unit,
            ) and (levels[i].unit == levels[i - 1].unit):
                self.problem(
                    join(join("escalation", i), "after"),
                    f"level {levels[i].id!r} must come later than {levels[i - 1].id!r}",
                )

        findings = FindingsDef()
        if isinstance(body.get("findings"), dict):
            fraw = body["findings"]
            days, days_unit = findings.rectification_days, findings.rectification_unit
            raw_days = fraw.get("rectification_days")
            if isinstance(raw_days, int) and not isinstance(raw_days, bool) and raw_days >= 0:
                days = raw_days  # a bare number counts working days (the documented default)
            elif "rectification_days" in fraw:
                try:
                    days, days_unit = parse_duration(raw_days)
                except DateExpressionError as exc:
                    self.problem("findings.rectification_days", f"bad delay: {exc.reason}")
            findings = FindingsDef(days, tuple(fraw.get("sources", findings.sources)), days_unit)

        groups_raw = body.get("groups")
        groups = {str(k): str(v) for k, v in groups_raw.items()} if isinstance(
            groups_raw, dict) else {}  # fmt: skip
        warnings = parse_warnings(body.get("warnings"), "warnings", self.problem) or ()
        self.declared_roles = tuple(roles)
        extensions = (
            parse_extensions(
                body.get("extensions"), "extensions", self.problem, tuple(roles), ExtensionPolicy()
            )
            or ExtensionPolicy()
        )
        self.extension_base = extensions
        owed_by = parse_owner(body.get("owed_by"), "owed_by", self.problem) or OwnerRule()
        check_owner(owed_by, groups, "owed_by", self.problem)
        triggers_raw = body.get("triggers")
        self.triggers = {str(k): str(v) for k, v in triggers_raw.items()} if isinstance(
            triggers_raw, dict) else {}  # fmt: skip

        phases: list[PhaseDef] = []
        default_review = perms.get("accept", ("office",))
        phase_list = body.get("phases") if isinstance(body.get("phases"), list) else []
        assert isinstance(phase_list, list)
        for i, raw in enumerate(phase_list):
            if isinstance(raw, dict):
                built = self.build_phase(raw, join("phases", i), roles, default_review)
                if built is not None:
                    phases.append(built)
        self.check_unique_phases(phases)
        self.check_steps(phases, roles)
        for phase in phases:
            for step in phase.steps:
                check_owner(step.owed_by, groups, join(step.path, "owed_by"), self.problem)
        ladder = tuple(x.id for x in sanctions)
        scoring, scheme_texts, rules = self.scoring(
            body.get("scoring"), roles, ladder, body.get("rules")
        )
        complaints = build_complaints(body.get("complaints"), self.problem)
        accountability = build_accountability(body.get("accountability"), roles, self.problem)

        if self.problems and not self.partial:
            raise TemplateError(_dedupe(self.problems))
        text = self.doc.text
        return CampaignTemplate(
            id=str(body["id"]),
            title=str(body["title"]),
            timezone=timezone,
            params=values,
            param_defs=param_defs,
            calendar=calendar,
            advance=body.get("advance", "calendar"),
            roles=roles,
            permissions=perms,
            escalation=tuple(levels),
            sanctions=sanctions,
            findings=findings,
            phases=tuple(phases),
            source=str(body.get("source", "")),
            description=str(body.get("description", "")),
            file=self.doc.file,
            text=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            lines=self.doc.lines,
            phase_texts=self.phase_texts,
            inherited=self._inherited,
            scoring=scoring,
            scheme_texts=scheme_texts,
            rules=rules,
            warnings=warnings,
            groups=groups,
            extensions=extensions,
            owed_by=owed_by,
            complaints=complaints,
            accountability=accountability,
            triggers=self.triggers,
        )

    def scoring(
        self,
        raw: Any,
        roles: Mapping[str, str],
        ladder: tuple[str, ...] = (),
        own_rules: Any = None,
    ) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[Rule, ...]]]:
        """The scoring schemes named by ``scoring:`` (ids) and their texts, and the
        campaign's own consequence rules (``rules:``) per subject, checked: the roles the
        schemes let score, the campaign's rules against the scheme of their subject, and
        the sanctions every rule issues (steps of the template's ladder)."""
        ids: dict[str, str] = {}
        texts: dict[str, str] = {}
        extra: dict[str, tuple[Rule, ...]] = {}
        wanted = own_rules if isinstance(own_rules, dict) else {}
        named = raw if isinstance(raw, dict) else {}
        for subject in wanted:
            if subject not in named:
                self.problem(
                    join("rules", subject),
                    f"rules for {subject} need a scoring scheme for them (scoring.{subject})",
                )
        if not isinstance(raw, dict):
            return ids, texts, extra
        for subject, ref in raw.items():
            path = join("scoring", subject)
            if not isinstance(ref, str):
                continue  # the schema reports it
            try:
                if self.stored_schemes is not None:
                    text = self.stored_schemes[subject]
                    file = f"<stored>/scoring/{ref}.yaml"
                else:
                    found = find_reference("scoring", ref, self.near, self.search_path)
                    text, file = read_limited(found).decode("utf-8"), str(found)
                sdoc = read_yaml(text, file)
                if not _is_kind(sdoc.data, "scoring"):
                    # Never echo the content of a file that is not a scoring scheme.
                    self.problem(
                        path, f"{file} is not a scoring scheme (a mapping with `kind: scoring`)"
                    )
                    continue
                scheme = load_scheme_text(text, file=file)
            except TemplateNotFound as exc:
                self.problem(path, str(exc))
                continue
            except TemplateError as exc:
                self.problems.extend(exc.problems)
                continue
            except UnicodeDecodeError:
                self.problem(path, f"scoring scheme {ref!r} is not UTF-8 text")
                continue
            except (LookupError, OSError) as exc:
                self.problem(path, f"scoring scheme {ref!r}: {exc}")
                continue
            for ind in scheme.indicators_flat():
                for i, role in enumerate(ind.scorers):
                    if role not in roles:
                        self.problem(
                            path,
                            f"scheme {scheme.id!r} lets role {role!r} score {ind.id!r}, but "
                            f"this template declares no such role",
                        )
                        break
                    del i
            mine: tuple[Rule, ...] = ()
            if subject in wanted:
                mine, problems = extra_rules(
                    scheme, wanted[subject], self.doc, join("rules", subject)
                )
                self.problems.extend(problems)
                if mine:
                    extra[str(subject)] = mine
            for rule in (*scheme.rules, *mine):
                for action in rule.then:
                    if action.kind == "sanction" and action.sanction not in ladder:
                        self.problem(
                            rule.path if rule in mine else path,
                            f"scheme {scheme.id!r} rule {rule.id!r} issues sanction "
                            f"{action.sanction!r}, but this template's sanction ladder is "
                            f"{' → '.join(ladder) or 'empty'}",
                        )
            ids[str(subject)] = str(ref)
            texts[str(subject)] = text
        return ids, texts, extra

    def iso_days(self, raw: Any, path: str) -> list[tuple[int, dt.date]]:
        """The days of a list of ISO dates (``[2011-09-13]``), each bad one a problem."""
        days: list[tuple[int, dt.date]] = []
        for i, text in enumerate(raw if isinstance(raw, list) else ()):
            day = None
            if isinstance(text, str) and _ISO_DAY_RE.fullmatch(text.strip()):
                with contextlib.suppress(ValueError):
                    day = dt.date.fromisoformat(text.strip())
            if day is None:
                self.problem(join(path, i), f"{text!r} is not an ISO date (YYYY-MM-DD)")
            else:
                days.append((i, day))
        return days

    def calendar_def(self, raw: Mapping[str, Any], name: str) -> CalendarDef:
        """The ``calendar:`` block, every date checked here (a bad one is left out): ISO
        days, each declared year's days within that year, no day both off and working."""
        years: dict[int, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        years_raw = raw.get("years")
        for year, spec in years_raw.items() if isinstance(years_raw, dict) else ():
            ypath = join("calendar.years", year)
            try:
                y = int(year)
            except ValueError:
                y = 0
            if isinstance(year, bool) or not 1 <= y <= 9999:
                self.problem(ypath, f"{year!r} is not a year")
                continue
            spec = spec if isinstance(spec, dict) else {}
            found: dict[str, dict[dt.date, str]] = {}
            for key in ("holidays", "workdays"):
                found[key] = {}
                for i, day in self.iso_days(spec.get(key), join(ypath, key)):
                    if day.year != y:
                        self.problem(join(join(ypath, key), i), f"{day.isoformat()} is not in {y}")
                    else:
                        found[key].setdefault(day, join(join(ypath, key), i))
            for day in sorted(set(found["holidays"]) & set(found["workdays"])):
                self.problem(
                    found["workdays"][day],
                    f"{day.isoformat()} is both a holiday and a workday of {y}",
                )
                del found["holidays"][day], found["workdays"][day]
            years[y] = (
                tuple(d.isoformat() for d in found["holidays"]),
                tuple(d.isoformat() for d in found["workdays"]),
            )
        extra: dict[str, dict[dt.date, str]] = {}
        for key in ("extra_holidays", "extra_workdays"):
            path = join("calendar", key)
            extra[key] = {d: join(path, i) for i, d in reversed(self.iso_days(raw.get(key), path))}
        for day in sorted(set(extra["extra_holidays"]) & set(extra["extra_workdays"])):
            self.problem(
                extra["extra_workdays"][day],
                f"{day.isoformat()} is both an extra holiday and an extra workday",
            )
            del extra["extra_holidays"][day], extra["extra_workdays"][day]
        return CalendarDef(
            name=name,
            on_non_workday=raw.get("on_non_workday", "keep"),
            fallback=raw.get("fallback", "error"),
            extra_holidays=tuple(sorted(d.isoformat() for d in extra["extra_holidays"])),
            extra_workdays=tuple(sorted(d.isoformat() for d in extra["extra_workdays"])),
            years=years,
        )

    def check_unique(self, ids: list[str], path: str, what: str) -> None:
        seen: set[str] = set()
        for i, ident in enumerate(ids):
            if ident in seen:
                self.problem(join(join(path, i), "id"), f"duplicate {what} id {ident!r}")
            seen.add(ident)

    def check_unique_phases(self, phases: list[PhaseDef]) -> None:
        seen: dict[str, str] = {}
        for phase in phases:
            if phase.id in seen:
                self.problem(
                    phase.path, f"duplicate phase id {phase.id!r} (also at {seen[phase.id]})"
                )
            seen[phase.id] = phase.path


def schema_problems(data: Any, json_schema: Mapping[str, Any], doc: Document) -> list[Problem]:
    """Every way ``data`` breaks ``json_schema``, as problems located in ``doc``.

    Unknown fields are reported one by one at their own path, with the closest known
    field suggested; other errors get a sentence instead of jsonschema's wording.
    """
    return _schema_check(data, json_schema, doc)[0]


#: Schema keywords whose failure means the value has the wrong shape (or a value the
#: builder cannot use): such a field is left out before the template is assembled.
_SHAPE_KEYWORDS = frozenset(
    {"type", "enum", "const", "oneOf", "anyOf", "minimum", "maximum", "propertyNames"}
)


def _schema_check(
    data: Any, json_schema: Mapping[str, Any], doc: Document
) -> tuple[list[Problem], list[tuple[Any, ...]]]:
    """:func:`schema_problems`, and the fields to leave out because of their shape.

    A field of the wrong type (``escalation: 5``, ``submit: member``, ``submit: null``) is
    reported here once; the builder then works on the document without it (the default
    applies), so that it neither crashes nor reads a string character by character, and
    goes on to report every other problem. An item of a list of scalars that has the
    wrong shape leaves the whole list out; an item of a list of mappings is skipped by
    the builder itself.
    """
    problems: list[Problem] = []
    prune: list[tuple[Any, ...]] = []
    validator = jsonschema.Draft202012Validator(json_schema)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        path = _path_str(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = sorted(error.schema.get("properties", {}))
            for extra in error.instance:
                if extra not in known:
                    problems.append(
                        doc.problem(join(path, str(extra)), unknown_field_message(extra, known))
                    )
            continue
        problems.append(doc.problem(path, _schema_message(error)))
        target = _prune_target(error)
        if target is not None:
            prune.append(target)
    return problems, prune


def _prune_target(error: jsonschema.ValidationError) -> tuple[Any, ...] | None:
    """The document path (parts) to leave out for a shape error, or ``None``."""
    if error.validator not in _SHAPE_KEYWORDS:
        return None
    parts = tuple(error.absolute_path)
    where = list(error.absolute_schema_path)
    if error.validator == "propertyNames":
        return None  # a bad key of a map: the builder reads keys as text
    if not parts or len(where) < 2:
        return None
    if where[-2] == "items":  # an item of a list
        item = error.schema
        if isinstance(item, Mapping) and item.get("type") == "object":
            return None  # the builder skips an item that is not a mapping
        if len(where) >= 4 and where[-4] == "properties" and len(parts) >= 2:
            return parts[:-1]  # a list of scalars: leave the whole list out
        return None
    if len(where) >= 3 and where[-3] == "properties":
        return parts
    return None


def _prune(data: Any, targets: Sequence[tuple[Any, ...]]) -> Any:
    """A copy of ``data`` without the fields at ``targets`` (each a path of keys/indexes)."""
    if not targets:
        return data
    out = _copy(data)
    for parts in sorted(set(targets), key=len, reverse=True):
        cur = out
        for part in parts[:-1]:
            found = isinstance(cur, dict) and part in cur
            found = found or (isinstance(cur, list) and isinstance(part, int) and part < len(cur))
            cur = cur[part] if found else None
            if cur is None:
                break
        if isinstance(cur, dict):
            cur.pop(parts[-1], None)
    return out


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def _is_kind(data: Any, kind: str) -> bool:
    return isinstance(data, dict) and data.get("kind") == kind


def _schema_message(error: jsonschema.ValidationError) -> str:
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required field {missing!r}"
    if validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if validator == "enum":
        allowed = ", ".join(str(v) for v in cast("list[Any]", error.validator_value))
        return f"{error.instance!r} is not one of: {allowed}"
    if validator == "type":
        got = type(error.instance).__name__
        hint = ""
        if error.validator_value == "array" and isinstance(error.instance, str | int):
            hint = f" (a list: write [{error.instance}])"
        return f"expected {error.validator_value}, got {got} {error.instance!r}{hint}"
    if validator == "pattern":
        if "A-Z" in str(error.validator_value):
            return f"{error.instance!r} is not a valid id (letters, digits, '-' and '_')"
        return f"{error.instance!r} is not a valid id (lower-case letters, digits, '-' and '_')"
    if validator == "oneOf" and error.path and isinstance(error.instance, dict):
        best = jsonschema.exceptions.best_match(error.context or [])
        return best.message if best is not None else error.message
    return error.message


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def build_template(
    doc: Document,
    params: Mapping[str, Any] | None = None,
    *,
    phase_texts: Mapping[str, str] | None = None,
    scheme_texts: Mapping[str, str] | None = None,
    search_path: Sequence[str | Path] = (),
) -> CampaignTemplate:
    """Validate a campaign document and bind ``params``.

    This checks everything the template layer can see: YAML, schema, parameters, phase
    merging, ids, roles, dependencies and date *phrases*. Date *values* (window order,
    deadlines before a phase opens, the calendar horizon) are checked by the resolver;
    :func:`zyw_flow.load_template` reports both kinds in one :class:`TemplateError`.

    Args:
        doc: the campaign document.
        params: parameter values.
        phase_texts: phase templates by id, used instead of the registry (a stored
            campaign is rebuilt from the exact texts it started with).
        scheme_texts: scoring scheme texts by subject, used instead of the registry.
        search_path: folders, besides the template's own, whose ``phases/`` and
            ``scoring/`` files (and relative scheme paths) the template may use.

    Raises:
        TemplateError: with every problem found.
    """
    template, problems = build_partial(
        doc, params, phase_texts=phase_texts, scheme_texts=scheme_texts, search_path=search_path
    )
    if problems or template is None:
        raise TemplateError(problems)
    return template


def build_partial(
    doc: Document,
    params: Mapping[str, Any] | None = None,
    *,
    phase_texts: Mapping[str, str] | None = None,
    scheme_texts: Mapping[str, str] | None = None,
    search_path: Sequence[str | Path] = (),
) -> tuple[CampaignTemplate | None, list[Problem]]:
    """The template as far as it can be assembled, and every problem found (no duplicates).

    A layer above (which knows the resolver) uses the partial template to report date
    problems in the same breath. The template is ``None`` when the document is too broken
    to assemble.

    Raises:
        TemplateError: the document cannot be read at all (YAML, schema, parameters).
    """
    builder = _Builder(doc, params, phase_texts, scheme_texts, [Path(p) for p in search_path])
    builder.partial = True
    try:
        template = builder.build()
    except TemplateError:
        raise
    except Exception:  # a shape too broken to assemble: report what was found
        if builder.problems:
            return None, _dedupe(builder.problems)
        raise
    return template, _dedupe(builder.problems)
