"""Where a campaign's inherited step fields are written.

A campaign phase with ``use: self_check`` takes the phase template's steps; a field the
campaign does not set itself (``steps.sweep.submit``) is written in the phase template's
file, so a problem with it is located there — file, line and path of that file — and says
which campaign phase uses it. A field the campaign sets (overrides) stays located in the
campaign. Both the loader and the date resolver locate problems this way, so one problem
found by both is reported once.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs

from zyw_flow._errors import Problem
from zyw_flow._yaml import Document

__all__ = ["InheritedStep", "inherited_problem"]


@attrs.frozen
class InheritedStep:
    """A step a campaign phase takes from a phase template.

    Attributes:
        doc: the phase template's document.
        path: the step's path in it (``steps.sweep``).
        own: the fields the campaign sets itself, or ``None`` when it does not name the step.
        used_by: where the campaign uses the phase template (``camp.yaml:9: phases[0].use``).
    """

    doc: Document = attrs.field(eq=False, repr=False)
    path: str
    own: frozenset[str] | None
    used_by: str


def inherited_problem(
    inherited: Mapping[str, InheritedStep], path: str, message: str
) -> Problem | None:
    """The problem at campaign ``path``, located in the phase template that writes the field;
    ``None`` when the campaign writes it (or ``path`` is no inherited step's)."""
    for spath, step in inherited.items():
        if path == spath:
            rest = ""
        elif path.startswith((spath + ".", spath + "[")):
            rest = path[len(spath) :]
        else:
            continue
        field = rest[1:].split(".", 1)[0].split("[", 1)[0]
        if step.own is not None and (not field or field in step.own):
            return None  # the campaign writes this field (or names the step) itself
        template = step.doc.data.get("id") if isinstance(step.doc.data, dict) else None
        return step.doc.problem(
            step.path + rest,
            f"{message} (in phase template {template!r}, used by {step.used_by})",
        )
    return None
