"""Template loading: read YAML safely, validate, merge phase templates, bind parameters.

This layer checks everything but date *values* (window order, deadlines before a phase
opens, the calendar horizon), which the resolver checks. ``zyw_flow.load_template``
(:func:`zyw_flow.resolve.load_template`) reports both kinds of problem in one error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from zyw_flow._bundled import bundled_dir
from zyw_flow._yaml import Document, read_limited, read_yaml, read_yaml_file
from zyw_flow.dates import parse_duration
from zyw_flow.template._build import build_template, schema
from zyw_flow.template._model import (
    DEFAULT_PERMISSIONS,
    DEFAULT_ROLES,
    DEFAULT_SANCTIONS,
    CalendarDef,
    CampaignTemplate,
    EscalationLevelDef,
    ExtensionPolicy,
    FindingsDef,
    OwnerRule,
    ParamDef,
    PhaseDef,
    SanctionDef,
    StepDef,
    WarningLevelDef,
)
from zyw_flow.template._procedures import (
    AccountabilityDef,
    ChainRuleDef,
    ComplaintsDef,
    SituationDef,
)
from zyw_flow.template._registry import (
    ENTRY_POINT_GROUP,
    ReferenceRefused,
    TemplateSource,
    find_reference,
    find_template,
    iter_template_sources,
)

__all__ = [
    "DEFAULT_PERMISSIONS",
    "DEFAULT_ROLES",
    "DEFAULT_SANCTIONS",
    "ENTRY_POINT_GROUP",
    "AccountabilityDef",
    "CalendarDef",
    "CampaignTemplate",
    "ChainRuleDef",
    "ComplaintsDef",
    "Document",
    "EscalationLevelDef",
    "ExtensionPolicy",
    "FindingsDef",
    "OwnerRule",
    "ParamDef",
    "PhaseDef",
    "ReferenceRefused",
    "SanctionDef",
    "SituationDef",
    "StepDef",
    "TemplateSource",
    "WarningLevelDef",
    "build_template",
    "bundled_dir",
    "find_reference",
    "find_template",
    "iter_template_sources",
    "load_template",
    "load_template_text",
    "parse_duration",
    "read_limited",
    "read_yaml",
    "read_yaml_file",
    "schema",
]


def load_template(
    source: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    search_path: Sequence[str | Path] = (),
) -> CampaignTemplate:
    """Load a campaign template by bundled id or file path, validated, parameters bound.

    The template's ``use:`` and ``scoring:`` references resolve only to bundled and
    installed ids and to files in its own folder or in ``search_path`` (see
    :func:`find_reference`).

    Args:
        source: a bundled id (``zhiyong-2011``), an entry-point id, or a path to a YAML file.
        params: parameter values; declared defaults fill the rest.
        search_path: further folders the template may take phase templates and scoring
            schemes from (each laid out like a template folder: ``phases/``, ``scoring/``).

    Raises:
        TemplateNotFound: no such id or file.
        TemplateError: every problem the template layer finds, each with file, line and
            path (date values are checked by :func:`zyw_flow.resolve.resolve`).
    """
    found = find_template(source)
    return build_template(read_yaml_file(found.path), params, search_path=search_path)


def load_template_text(
    text: str,
    params: Mapping[str, Any] | None = None,
    *,
    file: str = "<string>",
    phase_texts: Mapping[str, str] | None = None,
    scheme_texts: Mapping[str, str] | None = None,
    search_path: Sequence[str | Path] = (),
) -> CampaignTemplate:
    """Load a campaign template from YAML text.

    Phase templates come from the registry (and ``search_path``), or from ``phase_texts``
    (id → YAML text) when given.
    """
    return build_template(
        read_yaml(text, file),
        params,
        phase_texts=phase_texts,
        scheme_texts=scheme_texts,
        search_path=search_path,
    )
