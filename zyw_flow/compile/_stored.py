"""A campaign's template as a store keeps it: the meta written at creation, and the
compiled campaign rebuilt from it on reopening (never from the template file, which may
have changed since)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import attrs

from zyw_flow._bundled import installed_version
from zyw_flow._errors import CalendarError
from zyw_flow.compile._compile import CompiledCampaign, compile_campaign
from zyw_flow.resolve import ResolvedCampaign, resolve

__all__ = ["compile_stored", "stored_meta"]


def stored_meta(
    template: Any, params: Mapping[str, Any] | None, *, chain_version: str
) -> tuple[CompiledCampaign, dict[str, str]]:
    """Compile a template for a new stored campaign, with the meta the store keeps: the
    exact template text (and its phase templates and schemes), its hash, the parameters
    and the official working days of the campaign's years.

    Raises:
        TemplateNotFound, TemplateError: as :func:`zyw_flow.template.load_template`.
    """
    from zyw_flow.resolve import ResolvedCampaign, load_template
    from zyw_flow.template import CampaignTemplate

    if isinstance(template, CompiledCampaign):
        template = template.resolved
    if isinstance(template, ResolvedCampaign):
        template = template.template
    if not isinstance(template, CampaignTemplate):
        template = load_template(template, params)
    resolved = resolve(template)  # a template that cannot run creates no store
    meta = {
        "campaign_id": template.id,
        # unique to this campaign: two campaigns of one template and parameters start their
        # hash chains apart, so rows copied from one into the other are caught at once
        "campaign_uid": uuid.uuid4().hex,
        "template_text": template.text,
        "template_file": template.file,
        "template_sha256": template.sha256,
        "scheme_texts": json.dumps(dict(template.scheme_texts), ensure_ascii=False, sort_keys=True),
        "phase_texts": json.dumps(dict(template.phase_texts), ensure_ascii=False, sort_keys=True),
        "params": json.dumps(dict(template.params), ensure_ascii=False, sort_keys=True),
        "zyw_flow_version": installed_version(),
        "chain_version": chain_version,
        "calendar_years": json.dumps(frozen_calendar(resolved), sort_keys=True),
    }
    return compile_campaign(resolved), meta


def compile_stored(meta: Mapping[str, str]) -> CompiledCampaign:
    """The compiled campaign of a store's meta, with the working days frozen at creation."""
    from zyw_flow.resolve import load_template_text

    template = load_template_text(
        meta["template_text"],
        json.loads(meta["params"]),
        file=meta.get("template_file", "<stored>"),
        phase_texts=json.loads(meta["phase_texts"]),
        scheme_texts=json.loads(meta["scheme_texts"]) if "scheme_texts" in meta else None,
    )
    if "calendar_years" in meta:  # the working days as they were at creation
        frozen = {
            int(y): (tuple(days["holidays"]), tuple(days["workdays"]))
            for y, days in json.loads(meta["calendar_years"]).items()
        }
        years = {**template.calendar.years, **frozen}
        template = attrs.evolve(template, calendar=attrs.evolve(template.calendar, years=years))
    return compile_campaign(resolve(template))


def frozen_calendar(resolved: ResolvedCampaign) -> dict[str, dict[str, list[str]]]:
    """The official working days of the campaign's years (and the next, for escalations
    and findings), as ``{year: {"holidays": weekdays off, "workdays": weekend days on}}``,
    so a later upgrade of the holiday data cannot move a running campaign's deadlines."""
    calendar = resolved.calendar
    dues = [s.due for s in resolved.steps if s.due is not None]
    first = resolved.start.year
    last = max([resolved.end, *dues]).year + 1
    out: dict[str, dict[str, list[str]]] = {}
    for year in range(first, last + 1):
        day = date(year, 1, 1)
        holidays: list[str] = []
        workdays: list[str] = []
        try:
            while day.year == year:
                working = calendar.is_workday(day)
                if day.weekday() < 5 and not working:
                    holidays.append(day.isoformat())
                elif day.weekday() >= 5 and working:
                    workdays.append(day.isoformat())
                day += timedelta(days=1)
        except CalendarError:  # beyond the data: left to the calendar's own policy
            continue
        out[str(year)] = {"holidays": holidays, "workdays": workdays}
    return out
