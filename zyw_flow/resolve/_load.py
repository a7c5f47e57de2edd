"""Load a template and report *every* problem at once, the resolver's date problems included.

The template layer (:mod:`zyw_flow.template`) checks what it can see without dates; the
resolver checks date values. This module sits above both, so that neither imports the
other's layer upwards: it loads with the template layer and, when that finds problems,
resolves the partial template to add the date problems in the same :class:`TemplateError`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from zyw_flow._errors import Problem, TemplateError
from zyw_flow._yaml import Document, read_yaml, read_yaml_file
from zyw_flow.resolve._resolve import resolve
from zyw_flow.template import CampaignTemplate, find_template
from zyw_flow.template._build import build_partial

__all__ = ["build_template", "load_template", "load_template_text"]


def build_template(
    doc: Document,
    params: Mapping[str, Any] | None = None,
    *,
    phase_texts: Mapping[str, str] | None = None,
    scheme_texts: Mapping[str, str] | None = None,
    search_path: Sequence[str | Path] = (),
) -> CampaignTemplate:
    """Validate a campaign document and bind ``params``; every problem in one error.

    Like :func:`zyw_flow.template.build_template`, but when the document has problems the
    resolver's date problems are reported with them (one problem per place: the resolver
    adds only what the loader could not see).

    Raises:
        TemplateError: with every problem found.
    """
    template, problems = build_partial(
        doc, params, phase_texts=phase_texts, scheme_texts=scheme_texts, search_path=search_path
    )
    if template is None:
        raise TemplateError(problems)
    if problems:
        raise TemplateError(_with_date_problems(template, problems))
    return template


def _with_date_problems(template: CampaignTemplate, problems: list[Problem]) -> list[Problem]:
    if any(p.path.startswith("params") for p in problems):
        return problems  # unbound parameters: dates cannot mean anything yet
    seen = {(p.file, p.path) for p in problems}
    out = list(problems)
    try:
        resolve(template)
    except TemplateError as exc:
        out.extend(p for p in dict.fromkeys(exc.problems) if (p.file, p.path) not in seen)
    except Exception:  # the template is too broken for dates to mean anything
        pass
    return out


def load_template(
    source: str | Path,
    params: Mapping[str, Any] | None = None,
    *,
    search_path: Sequence[str | Path] = (),
) -> CampaignTemplate:
    """Load a campaign template by bundled id or file path, validated, parameters bound.

    The template's ``use:`` and ``scoring:`` references resolve only to bundled and
    installed ids and to files in its own folder or in ``search_path`` (see
    :func:`zyw_flow.template.find_reference`).

    Args:
        source: a bundled id (``zhiyong-2011``), an entry-point id, or a path to a YAML file.
        params: parameter values; declared defaults fill the rest.
        search_path: further folders the template may take phase templates and scoring
            schemes from (each laid out like a template folder: ``phases/``, ``scoring/``).

    Raises:
        TemplateNotFound: no such id or file.
        TemplateError: every problem in the template, each with file, line and path.
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
    """Load a campaign template from YAML text; every problem in one error.

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
