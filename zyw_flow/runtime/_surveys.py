"""Survey results in a running campaign (测评, 群众评议): deciding ``record_survey``, applying
its event, and the survey inputs the evaluation reads.

A result is a rater group's counts per category for a unit, or one ballot. It is recorded as
a :class:`~zyw_flow.runtime._events.SurveyRecorded` event (prepared, authorised, journaled,
replayed like a score); the unit's survey result is computed from every recorded result by
:func:`zyw_flow.evaluation.survey_result`, and a survey that ``feeds`` an indicator gives
that indicator its score in :func:`zyw_flow.runtime._scoring.evaluate`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from zyw_flow._errors import TransitionRefused
from zyw_flow.evaluation import (
    Ballot,
    ScoreInput,
    ScoringError,
    ScoringScheme,
    Survey,
    SurveyCount,
    SurveyResult,
    survey_inputs,
    survey_result,
)
from zyw_flow.runtime._decide import authorise
from zyw_flow.runtime._events import DomainEvent, SurveyRecorded
from zyw_flow.runtime._state import State

__all__ = [
    "SurveyResult",
    "apply_survey",
    "counts_text",
    "decide_survey",
    "parse_counts",
    "survey_entry",
    "survey_from_row",
    "survey_row",
    "survey_score_inputs",
    "unit_survey",
]

_EVENT = "survey"


def counts_text(counts: Mapping[str, Any] | str, unit: str) -> str:
    """Counts as canonical text, ``good=28;fair=40`` (in the order given).

    Raises:
        TransitionRefused: not a mapping of category → whole number ≥ 0 (or such text).
    """
    pairs = parse_counts(counts, unit) if isinstance(counts, str) else None
    if pairs is None:
        if not isinstance(counts, Mapping) or not counts:
            raise TransitionRefused(
                "counts must be a mapping of category → ballots, e.g. {good: 28, poor: 5}",
                unit=unit,
                event=_EVENT,
            )
        pairs = {}
        for category, n in counts.items():
            if (
                type(category) is not str
                or not category.strip()
                or category != category.strip()
                or any(ch in category for ch in "=;,:")
            ):
                raise TransitionRefused(
                    f"a category must be the scale's name of it (text without '=', ';', ',' "
                    f"or ':'), not {category!r}",
                    unit=unit,
                    event=_EVENT,
                )
            if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                raise TransitionRefused(
                    f"the count of {category!r} must be a whole number ≥ 0, not {n!r}",
                    unit=unit,
                    event=_EVENT,
                )
            pairs[str(category)] = n
    return ";".join(f"{c}={n}" for c, n in pairs.items())


def parse_counts(text: str, unit: str) -> dict[str, int]:
    """``good=28;fair=40`` (also ``,`` or ``:``) → ``{"good": 28, "fair": 40}``."""
    out: dict[str, int] = {}
    for part in text.replace(",", ";").split(";"):
        if not part.strip():
            continue
        category, sep, n = part.replace(":", "=").partition("=")
        if not sep or not n.strip().isdigit() or not category.strip():
            raise TransitionRefused(
                f"counts must read like 'good=28;poor=5', not {text!r}", unit=unit, event=_EVENT
            )
        out[category.strip()] = out.get(category.strip(), 0) + int(n)
    if not out:
        raise TransitionRefused("counts must not be empty", unit=unit, event=_EVENT)
    return out


def survey_entry(uid: str, payload: Mapping[str, Any]) -> SurveyCount | Ballot:
    """The evaluation value of a recorded payload."""
    survey, group = str(payload["survey"]), str(payload["group"])
    if "counts" in payload:
        return SurveyCount(uid, survey, group, parse_counts(str(payload["counts"]), uid))
    return Ballot(uid, survey, group, str(payload["answer"]), payload.get("rater"))


def _survey_of(state: State, u: int, survey_id: str) -> tuple[ScoringScheme, Survey]:
    is_person = state.kind[u] == 1
    scheme = state.compiled.schemes.get("persons" if is_person else "units")
    uid = state.ids[u]
    if scheme is None:
        raise TransitionRefused("the template names no scoring scheme", unit=uid, event=_EVENT)
    try:
        return scheme, scheme.survey(survey_id)
    except KeyError:
        known = ", ".join(sv.id for sv in scheme.surveys) or "none"
        raise TransitionRefused(
            f"scheme {scheme.id!r} declares no survey {survey_id!r}; surveys: {known}",
            unit=uid,
            event=_EVENT,
        ) from None


def decide_survey(
    state: State,
    u: int,
    at: int,
    actor: str,
    payload: dict[str, Any],
    key: str | None,
    fingerprint: str | None,
) -> list[DomainEvent]:
    """record_survey: the survey must exist; the actor needs one of the fed indicator's scorer
    roles (the ``score`` permission for a survey that feeds nothing); the result must fit
    with those recorded before (group, categories, samples, a rater voting once)."""
    uid = state.ids[u]
    scheme, survey = _survey_of(state, u, str(payload["survey"]))
    if survey.feeds is not None:
        allowed = tuple(scheme.indicator(survey.feeds).scorers)
    else:
        allowed = tuple(state.compiled.permissions.get("score", ("office",)))
    authorise(state, actor, allowed, u, _EVENT, survey.id)
    entry = survey_entry(uid, payload)
    try:
        survey_result(scheme, survey.id, uid, [*state.surveys.get(uid, ()), entry])
    except ScoringError as exc:
        raise TransitionRefused(str(exc), unit=uid, step=survey.id, event=_EVENT) from None
    return [SurveyRecorded(at, u, actor, payload, key, fingerprint)]


def apply_survey(state: State, e: SurveyRecorded) -> None:
    """Keep a recorded result (called by the one writer, :func:`._apply.apply`)."""
    uid = state.ids[e.unit]
    state.surveys.setdefault(uid, []).append(survey_entry(uid, e.data))
    if e.at > state.last[e.unit]:
        state.last[e.unit] = e.at


def unit_survey(state: State, unit: str, survey_id: str) -> SurveyResult:
    """A unit's result in a survey from every result recorded.

    Raises:
        UnknownUnitError-like TransitionRefused: no such survey.
    """
    u = state.index.get(unit)
    if u is None:
        raise TransitionRefused("no such unit is enrolled", unit=unit, event=_EVENT)
    scheme, survey = _survey_of(state, u, survey_id)
    return survey_result(scheme, survey.id, unit, state.surveys.get(unit, ()))


def survey_score_inputs(state: State, wanted: set[str]) -> list[ScoreInput]:
    """Score inputs of the indicators the surveys feed, for the wanted units."""
    out: list[ScoreInput] = []
    if not state.surveys:
        return out
    units = sorted(set(state.surveys) & wanted)
    for subject, scheme in state.compiled.schemes.items():
        kind = 1 if subject == "persons" else 0
        mine = [uid for uid in units if state.kind[state.index[uid]] == kind]
        for survey in scheme.surveys:
            if survey.feeds is None:
                continue
            results = [survey_result(scheme, survey.id, u, state.surveys[u]) for u in mine]
            out.extend(survey_inputs(scheme, results))
    return out


def survey_row(r: SurveyCount | Ballot) -> list[Any]:
    """A recorded result as a snapshot row."""
    if isinstance(r, SurveyCount):
        return ["counts", r.unit, r.survey, r.group, dict(r.counts)]
    return ["ballot", r.unit, r.survey, r.group, r.answer, r.rater]


def survey_from_row(row: list[Any]) -> SurveyCount | Ballot:
    """The result of a snapshot row."""
    if row[0] == "counts":
        return SurveyCount(row[1], row[2], row[3], {str(k): int(v) for k, v in row[4].items()})
    return Ballot(row[1], row[2], row[3], row[4], row[5])
