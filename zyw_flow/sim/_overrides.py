"""Overrides of template values for a run: ``path=value``, the path as the template writes it.

``findings.rectification_days=5``, ``escalation[2].after=3`` (``escalation.levels[2]`` is
read the same), ``phases[0].steps.work_plan.due=9月8日前``. Every segment but the last must
exist in the template file; the last may add a key to a mapping. The value is read as a YAML
scalar; a bare number put where the template writes a duration (``5 working days``) keeps
the template's unit (``3`` → ``3 working days``). The template is then validated as usual,
so a value it cannot take is reported at its path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import attrs

from zyw_flow._errors import Problem, TemplateError
from zyw_flow._yaml import Document, read_yaml
from zyw_flow.sim._errors import SimulationError

__all__ = ["Override", "apply_overrides", "parse_override", "parse_path", "parse_sweep"]

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_DURATION = re.compile(r"^\s*(\d+)(\s*.*)$")


@attrs.frozen
class Override:
    """One ``path=value`` override: ``text`` as given, ``value`` read as YAML; ``option``
    the command-line option it came from (``--set`` or ``--sweep``), for messages."""

    path: str
    text: str
    option: str = "--set"

    @property
    def value(self) -> Any:
        """The text read as the template loader reads a YAML value: a date or a time stays
        text (``2011-09-08``), numbers and booleans are numbers and booleans; text that is
        not YAML is itself."""
        if not self.text.strip():
            return ""
        try:
            return read_yaml(self.text, f"{self.option} {self.path}").data
        except TemplateError:
            return self.text


def parse_path(path: str) -> list[str | int]:
    """``escalation[2].after`` → ``['escalation', 2, 'after']``.

    Raises:
        SimulationError: an empty or malformed path.
    """
    out: list[str | int] = []
    pos = 0
    text = path.strip()
    if not text:
        raise SimulationError("an override needs a path: --set path=value")
    while pos < len(text):
        if text[pos] == "." and out:
            pos += 1
        m = _SEGMENT.match(text, pos)
        if m is None:
            raise SimulationError(f"cannot read override path {path!r} at {text[pos:]!r}")
        out.append(int(m.group(2)) if m.group(2) is not None else m.group(1))
        pos = m.end()
    return out


def parse_override(assignment: str) -> Override:
    """``"path=value"`` → :class:`Override`.

    Raises:
        SimulationError: no ``=``, or a malformed path.
    """
    path, eq, text = assignment.partition("=")
    if not eq:
        raise SimulationError(f"an override is path=value, not {assignment!r}")
    parse_path(path)
    return Override(path.strip(), text.strip())


def parse_sweep(assignment: str) -> list[Override]:
    """``"path=v1,v2,v3"`` → one :class:`Override` per value.

    Raises:
        SimulationError: no ``=``, no values, or a malformed path.
    """
    path, eq, text = assignment.partition("=")
    values = [v.strip() for v in text.split(",")]
    if not eq or not any(values):
        raise SimulationError(f"a sweep is path=v1,v2,…, not {assignment!r}")
    parse_path(path)
    return [Override(path.strip(), v, "--sweep") for v in values]


def _fields(node: Any) -> str:
    if isinstance(node, dict):
        return f"fields there: {', '.join(map(str, node)) or 'none'}"
    if isinstance(node, list):
        return f"a list of {len(node)} (index 0-{len(node) - 1})" if node else "an empty list"
    return f"a value ({node!r})"


def _coerce(old: Any, new: Any) -> Any:
    """A bare number where the template writes a duration keeps the template's unit."""
    if isinstance(new, int) and not isinstance(new, bool) and isinstance(old, str):
        m = _DURATION.match(old)
        if m and m.group(2).strip():
            return f"{new}{m.group(2)}"
    return new


def _apply(data: Any, override: Override, template: str) -> str:
    segments = parse_path(override.path)
    node = data
    done: list[str | int] = []

    def where() -> str:
        return "".join(f"[{s}]" if isinstance(s, int) else f".{s}" for s in done).lstrip(".")

    def fail(message: str) -> SimulationError:
        return SimulationError(f"{override.option} {override.path}={override.text}: {message}")

    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == "levels" and isinstance(node, list) and not last:
            continue  # `escalation.levels[2]` names `escalation[2]`
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise fail(f"{where() or 'the template'} is not a list ({_fields(node)})")
            if seg >= len(node):
                raise fail(f"{where()} has no item [{seg}] ({_fields(node)})")
            if last:
                node[seg] = _coerce(node[seg], override.value)
                done.append(seg)
                return where()
            node = node[seg]
        else:
            if not isinstance(node, dict):
                raise fail(f"{where()} is not a mapping ({_fields(node)}); use [index]")
            if last:
                node[seg] = _coerce(node.get(seg), override.value)
                done.append(seg)
                return where()
            if seg not in node:
                at = f"at {where()}" if done else "at the top"
                raise fail(f"template {template!r} has no field {seg!r} {at}; {_fields(node)}")
            node = node[seg]
        done.append(seg)
    return where()  # pragma: no cover - the loop always returns at the last segment


def apply_overrides(doc: Document, overrides: Sequence[Override], template: str) -> Document:
    """A copy of ``doc`` with ``overrides`` applied (the lines kept for error messages).

    Raises:
        SimulationError: a path the template does not have.
    """
    if not overrides:
        return doc
    data = copy.deepcopy(doc.data)
    paths = [_apply(data, o, template) for o in overrides]

    def kept(key: str) -> bool:
        return not any(key == p or key.startswith((p + ".", p + "[")) for p in paths)

    numbers = {k: v for k, v in doc.numbers.items() if kept(k)}
    return attrs.evolve(doc, data=data, numbers=numbers)


def explain(exc: TemplateError, overrides: Sequence[Override]) -> TemplateError:
    """The template's problems, each saying which overrides the run applied."""
    if not overrides:
        return exc
    return TemplateError(
        Problem(p.file, p.line, p.path, f"{p.message} (with {said(overrides)})")
        for p in exc.problems
    )


def said(overrides: Sequence[Override]) -> str:
    """``--set a=1, b=2; --sweep c=3``: the overrides as the options that gave them."""
    parts: dict[str, list[str]] = {}
    for o in overrides:
        parts.setdefault(o.option, []).append(f"{o.path}={o.text}")
    return "; ".join(f"{opt} {', '.join(items)}" for opt, items in parts.items())


def overrides_json(overrides: Sequence[Override]) -> Mapping[str, Any]:
    """``{path: value}`` as the summary shows them."""
    return {o.path: o.value for o in overrides}
