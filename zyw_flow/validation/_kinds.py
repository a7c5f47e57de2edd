"""Validate any file zyw_flow reads: recognise its kind, check its schema and its meaning.

Kinds (:data:`KINDS`): ``campaign`` (实施方案), ``phase`` (a phase template), ``scoring``
(a scoring scheme) and ``scenario`` (a scripted run). A file says its kind with ``kind:``;
without it the kind is recognised from the file's shape (``phases:`` → campaign,
``steps:`` → phase, ``indicators:`` → scoring, ``template:`` and ``script:`` → scenario).

Adding a kind (simulation profiles, when ``zyw_flow.simulation`` defines them) takes one
:class:`Kind` entry in :data:`_REGISTRY`: a name, its JSON Schema, a shape test and a
check function. ``kind: profile`` is recognised already and reported as not checkable yet.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import attrs

from zyw_flow._errors import Problem, TemplateError, TemplateNotFound
from zyw_flow._yaml import Document, read_yaml_file
from zyw_flow.template._build import schema as template_schema
from zyw_flow.template._build import schema_problems

__all__ = [
    "KINDS",
    "FileReport",
    "Kind",
    "Options",
    "detect_kind",
    "locate",
    "schema",
    "schema_text",
    "validate_document",
    "validate_file",
]


@attrs.frozen
class Options:
    """What a validation may use besides the file.

    Attributes:
        params: template parameters (``year`` …) for campaigns.
        search_path: further folders a template may take phase templates and schemes from.
    """

    params: Mapping[str, Any] = attrs.field(factory=dict)
    search_path: tuple[Path, ...] = ()


@attrs.frozen
class FileReport:
    """The outcome of validating one file.

    Attributes:
        file: the file.
        kind: its kind, or ``None`` when it could not be recognised.
        errors: every problem that makes the file unusable (``file:line: path: message``).
        warnings: what is allowed but probably not meant.
    """

    file: str
    kind: str | None
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """No errors (warnings allowed)."""
        return not self.errors

    def lines(self) -> list[str]:
        """Errors then warnings, one line each; ``FILE: ok (KIND)`` when there are none."""
        out = [str(p) for p in self.errors]
        out += [_warning_line(p) for p in self.warnings]
        if not self.errors:
            out.append(f"{self.file}: ok ({self.kind})")
        return out


def _warning_line(problem: Problem) -> str:
    where = f"{problem.file}:{problem.line}" if problem.line is not None else problem.file
    return f"{where}: {problem.path or '<root>'}: warning: {problem.message}"


Checker = Callable[[Document, Options], tuple[list[Problem], list[Problem]]]


@attrs.frozen
class Kind:
    """One kind of file: its name, schema resource and checks."""

    name: str
    title: str
    schema_package: str
    schema_file: str
    looks_like: Callable[[Mapping[str, Any]], bool]
    check: Checker | None


# -- the checks of each kind ----------------------------------------------------------------


def _check_campaign(doc: Document, options: Options) -> tuple[list[Problem], list[Problem]]:
    from zyw_flow.resolve import resolve
    from zyw_flow.resolve._load import build_template
    from zyw_flow.validation._liveness import check_liveness

    try:
        template = build_template(doc, options.params, search_path=options.search_path)
        resolved = resolve(template)
    except TemplateError as exc:
        return list(exc.problems), []
    found = check_liveness(resolved)
    return list(found.errors), list(found.warnings)


def _check_phase(doc: Document, options: Options) -> tuple[list[Problem], list[Problem]]:
    from zyw_flow._errors import DateExpressionError
    from zyw_flow._yaml import join
    from zyw_flow.dates import RelativeDate, parse_date, parse_recurrence
    from zyw_flow.template._model import DEFAULT_ROLES

    errors = schema_problems(doc.data, template_schema("phase"), doc)
    warnings: list[Problem] = []
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("steps"), dict):
        return errors, warnings
    steps: dict[str, Any] = doc.data["steps"]
    for sid, spec in steps.items():
        spath = join("steps", str(sid))
        if not isinstance(spec, dict):
            continue
        for field in ("due", "opens", "closes"):
            text = spec.get(field)
            if not isinstance(text, str) or not text:
                continue
            if any(p.path == join(spath, field) for p in errors):
                continue  # already reported by the schema
            try:
                expr = parse_date(text)
            except DateExpressionError as exc:
                errors.append(doc.problem(join(spath, field), f"bad date phrase: {exc.reason}"))
                continue
            if isinstance(expr, RelativeDate):
                parts = expr.anchor.split(".")
                if parts[0] == "steps" and parts[1] not in steps:
                    warnings.append(
                        doc.problem(
                            join(spath, field),
                            f"{expr.anchor!r} is not a step of this phase template; the "
                            "campaign that uses it must have it",
                        )
                    )
        if isinstance(spec.get("repeat"), dict) and not any(
            p.path.startswith(join(spath, "repeat")) for p in errors
        ):
            rep = {k: v for k, v in spec["repeat"].items() if k not in ("from", "until")}
            try:
                parse_recurrence(rep)
            except DateExpressionError as exc:
                errors.append(doc.problem(join(spath, "repeat"), f"bad recurrence: {exc.reason}"))
        after = spec.get("after")
        for i, dep in enumerate(after if isinstance(after, list) else []):
            if dep not in steps:
                warnings.append(
                    doc.problem(
                        join(join(spath, "after"), i),
                        f"step {sid!r} depends on {dep!r}, which is not a step of this phase "
                        "template; the campaign that uses it must have it",
                    )
                )
        for field in ("submit", "review"):
            roles = spec.get(field)
            for i, role in enumerate(roles if isinstance(roles, list) else []):
                if role not in DEFAULT_ROLES:
                    warnings.append(
                        doc.problem(
                            join(join(spath, field), i),
                            f"role {role!r} is not one of the default roles "
                            f"({', '.join(DEFAULT_ROLES)}); the campaign must declare it",
                        )
                    )
    return _by_line(errors), _by_line(warnings)


def _by_line(problems: list[Problem]) -> list[Problem]:
    """Problems in the order of their lines (stable; problems without a line first)."""
    return sorted(problems, key=lambda p: p.line or 0)


def _check_scoring(doc: Document, options: Options) -> tuple[list[Problem], list[Problem]]:
    from zyw_flow.evaluation._scheme import _Builder

    try:
        _Builder(doc).build()
    except TemplateError as exc:
        return list(exc.problems), []
    return [], []


def _check_scenario(doc: Document, options: Options) -> tuple[list[Problem], list[Problem]]:
    from zyw_flow.validation._scenario import check_scenario

    errors, warnings = check_scenario(doc, options, schema("scenario"))
    own = [p for p in errors if p.file == doc.file]
    others = [p for p in errors if p.file != doc.file]  # the template's, in its order
    return [*_by_line(own), *others], _by_line(warnings)


def _check_profile(doc: Document, options: Options) -> tuple[list[Problem], list[Problem]]:
    from zyw_flow.sim._profile import profile_document_problems

    return profile_document_problems(doc), []


def _has(*keys: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda data: all(k in data for k in keys)


_REGISTRY: tuple[Kind, ...] = (
    Kind(
        "campaign",
        "campaign template (实施方案)",
        "zyw_flow.template",
        "campaign.schema.json",
        _has("phases"),
        _check_campaign,
    ),
    Kind(
        "phase",
        "phase template (阶段)",
        "zyw_flow.template",
        "phase.schema.json",
        lambda d: "steps" in d and "phases" not in d and "script" not in d,
        _check_phase,
    ),
    Kind(
        "scoring",
        "scoring scheme (评分方案)",
        "zyw_flow.validation",
        "scoring.schema.json",
        lambda d: "indicators" in d or "bands" in d,
        _check_scoring,
    ),
    Kind(
        "scenario",
        "scenario (a scripted run)",
        "zyw_flow.validation",
        "scenario.schema.json",
        _has("template", "script"),
        _check_scenario,
    ),
    # Simulation profiles (zyw_flow.sim): behaviour classes, alone or per unit group.
    Kind(
        "profile",
        "simulation profile",
        "zyw_flow.validation",
        "profile.schema.json",
        lambda d: (
            ("classes" in d or "groups" in d)
            and not any(k in d for k in ("phases", "steps", "indicators", "bands", "script"))
        ),
        _check_profile,
    ),
)
_BY_NAME = {k.name: k for k in _REGISTRY}

#: Every kind of file ``validate`` recognises.
KINDS: tuple[str, ...] = tuple(k.name for k in _REGISTRY)


def detect_kind(data: Any) -> str | None:
    """The kind of a document's data: its ``kind:`` if known, else what its shape says."""
    if not isinstance(data, dict):
        return None
    declared = data.get("kind")
    if isinstance(declared, str) and declared in _BY_NAME:
        return declared
    if declared is not None:
        return None
    for kind in _REGISTRY:
        if kind.looks_like(data):
            return kind.name
    return None


@cache
def schema(kind: str) -> dict[str, Any]:
    """The JSON Schema shipped for ``kind`` (for editors and for the structural checks).

    Raises:
        LookupError: no such kind, or no schema for it yet.
    """
    spec = _BY_NAME.get(kind)
    if spec is None:
        raise LookupError(f"unknown kind {kind!r}; known: {', '.join(KINDS)}")
    resource = resources.files(spec.schema_package).joinpath(spec.schema_file)
    if not resource.is_file():
        raise LookupError(f"there is no schema for {spec.title}s yet")
    loaded: dict[str, Any] = json.loads(resource.read_text("utf-8"))
    if kind == "scenario":
        _scenario_verbs(loaded)
    return loaded


def _scenario_verbs(loaded: dict[str, Any]) -> None:
    """The scenario schema's verbs and fields are the command table's (one list of verbs,
    in ``zyw_flow.runtime.COMMANDS``): a verb added there is a verb of scenarios."""
    from zyw_flow.runtime._commands import COMMANDS

    line = loaded["properties"]["script"]["items"]
    props = line["properties"]
    props["do"]["enum"] = list(COMMANDS)
    for command in COMMANDS.values():
        for field in (*command.required, *command.optional):
            props.setdefault(field, {"type": ["string", "integer", "boolean", "array", "null"]})


def schema_text(kind: str) -> str:
    """The JSON Schema of ``kind`` as indented JSON text (``zyw-flow schema KIND``)."""
    return json.dumps(schema(kind), ensure_ascii=False, indent=2) + "\n"


def validate_document(
    doc: Document, kind: str | None = None, options: Options | None = None
) -> FileReport:
    """Validate a parsed document as ``kind`` (recognised from the document when ``None``)."""
    options = options or Options()
    kind = kind or detect_kind(doc.data)
    if kind is None:
        declared = doc.data.get("kind") if isinstance(doc.data, dict) else None
        message = (
            f"unknown kind {declared!r}; known: {', '.join(KINDS)}"
            if declared is not None
            else f"cannot tell what kind of file this is: give `kind:` ({', '.join(KINDS)})"
        )
        path = "kind" if declared is not None else ""
        return FileReport(doc.file, None, (doc.problem(path, message),))
    spec = _BY_NAME[kind]
    if spec.check is None:
        return FileReport(
            doc.file, kind, (doc.problem("kind", f"{spec.title}s cannot be validated yet"),)
        )
    errors, warnings = spec.check(doc, options)
    return FileReport(doc.file, kind, tuple(_dedupe(errors)), tuple(_dedupe(warnings)))


def locate(ref: str | Path) -> Path:
    """The file of ``ref``: a path, else a bundled or installed campaign template id, else a
    scoring scheme id, else a phase template id.

    Raises:
        TemplateNotFound: none of these; the message lists the campaign template ids.
    """
    from zyw_flow.template import find_reference, find_template

    path = Path(ref)
    if path.exists() or path.suffix in (".yaml", ".yml"):
        return path
    try:
        return find_template(str(ref)).path
    except TemplateNotFound as exc:
        for kind in ("scoring", "phase"):
            try:
                return find_reference(kind, str(ref))
            except TemplateNotFound:
                pass
        raise exc from None


def validate_file(
    path: str | Path,
    *,
    kind: str | None = None,
    params: Mapping[str, Any] | None = None,
    search_path: Sequence[str | Path] = (),
) -> FileReport:
    """Validate one file of any kind; every problem is reported, none is raised.

    Args:
        path: the file.
        kind: force a kind instead of recognising it.
        params: template parameters (for campaigns).
        search_path: further folders a template may take phase templates and schemes from.

    Returns:
        A :class:`FileReport` whose ``errors`` and ``warnings`` say ``file:line: path:
        message``; ``ok`` is true when there are no errors.
    """
    file = str(path)
    try:
        doc = read_yaml_file(path)
    except TemplateError as exc:
        return FileReport(file, kind, exc.problems)
    except (OSError, TemplateNotFound) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return FileReport(file, kind, (Problem(file, None, "", f"cannot read: {reason}"),))
    options = Options(dict(params or {}), tuple(Path(p) for p in search_path))
    return validate_document(doc, kind, options)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
