"""Declarations of a scoring scheme beyond its indicator tree: surveys (测评, 群众评议) and
consequence rules (condition → actions).

Pure data, built and validated by the scheme loader (:mod:`zyw_flow.evaluation._scheme`);
computed by :mod:`zyw_flow.evaluation._survey` and :mod:`zyw_flow.evaluation._consequence`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import attrs

__all__ = [
    "ACTION_KINDS",
    "Action",
    "Category",
    "Condition",
    "Rule",
    "Survey",
    "SurveyBand",
    "SurveyGroup",
]


@attrs.frozen
class Category:
    """One answer of a survey's categorical scale (好, 较好, 一般, 差 …) and its score 0–100."""

    id: str
    title: str
    score: Decimal


@attrs.frozen
class SurveyGroup:
    """A rater group of a survey (服务对象, 基层单位, 人大代表 …).

    Attributes:
        id: the group id results name.
        title: its name.
        weight: percent of the unit's score carried by the group, or ``None`` when the
            survey pools every ballot (no group weights).
        sample: how many ballots the group is to return (an upper bound), if declared.
        share: percent of the survey's ``sample`` drawn from the group, if declared.
    """

    id: str
    title: str
    weight: Decimal | None = None
    sample: int | None = None
    share: Decimal | None = None


@attrs.frozen
class SurveyBand:
    """A result band of a survey (a unit whose score is at least ``min`` is rated ``title``).

    The last band has ``min = None`` and takes every lower score.
    """

    id: str
    title: str
    min: Decimal | None


@attrs.frozen
class Survey:
    """A survey or mass appraisal (满意度测评, 万人评机关, 群众评议) declared in a scheme.

    Attributes:
        id: the survey id.
        title: its name.
        scale: the categories, best first, each with its score 0–100.
        groups: the rater groups; weighted when they carry weights, pooled otherwise.
        sample: the total number of ballots, if declared.
        feeds: the leaf indicator that takes the unit's score, if any; when the leaf has
            rater groups of the same ids, each group's score feeds its own group.
        bands: result bands over the score (a unit rated 差), if declared.
        source: where the rule comes from (catalogue section and quote).
        path: where it is written in the scheme file.
    """

    id: str
    title: str
    scale: tuple[Category, ...]
    groups: tuple[SurveyGroup, ...]
    sample: int | None = None
    feeds: str | None = None
    bands: tuple[SurveyBand, ...] = ()
    source: str = ""
    path: str = ""

    @property
    def weighted(self) -> bool:
        """True when the groups carry weights (else every ballot counts alike)."""
        return any(g.weight is not None for g in self.groups)

    def category(self, category_id: str) -> Category:
        """The category with that id (KeyError if none)."""
        for c in self.scale:
            if c.id == category_id:
                return c
        raise KeyError(category_id)

    def group(self, group_id: str) -> SurveyGroup:
        """The group with that id (KeyError if none)."""
        for g in self.groups:
            if g.id == group_id:
                return g
        raise KeyError(group_id)

    def group_sample(self, group_id: str) -> int | None:
        """The ballots a group is to return: its ``sample``, or ``share`` × the survey's."""
        g = self.group(group_id)
        if g.sample is not None:
            return g.sample
        if g.share is not None and self.sample is not None:
            return int(g.share * self.sample / 100)
        return None


ACTION_KINDS: dict[str, tuple[str, str]] = {
    # kind: (default title, default target)
    "sanction": ("处理", "unit"),
    "rectification": ("限时整改", "unit"),
    "key_supervision": ("重点监督", "unit"),
    "key_rectification": ("重点整改单位", "unit"),
    "award_ineligibility": ("取消评优资格", "unit"),
    "circulate": ("通报", "unit"),
    "written_report": ("书面情况报告", "unit"),
    "admonition_talk": ("诫勉谈话", "unit"),
    "commendation": ("表彰", "unit"),
}
"""Action kinds a rule may take, with their default titles and targets."""

ConditionWindow = Literal["campaign", "year", "consecutive"]


@attrs.frozen
class Condition:
    """When a rule applies to a unit in a round; every part given must hold.

    Attributes:
        bands: the unit's grade (after cases) is one of these band ids.
        subject: ``units`` or ``persons`` only (``None``: both).
        top: the unit ranks among the first ``top`` positions (ties at the cut included).
        bottom: the unit ranks among the last ``bottom`` positions (ties included).
        survey: a survey id whose result the next fields test.
        survey_bands: the unit's survey result band is one of these.
        share_of: survey categories whose combined share is tested.
        share_above: the combined share is above this percent (多数: above 50).
        share_at_least: the combined share is at least this percent.
        score_below: the survey score is below this.
        predicates: names of input predicates that must hold (``open_case``), supplied
            by the caller per unit.
        occurrence: the rule fires on the n-th round (in ``window``) in which the rest of
            the condition holds: exactly ``n``, or ``n`` and beyond with ``and_beyond``.
        window: over which rounds occurrences count.
    """

    bands: tuple[str, ...] = ()
    subject: Literal["units", "persons"] | None = None
    top: int | None = None
    bottom: int | None = None
    survey: str | None = None
    survey_bands: tuple[str, ...] = ()
    share_of: tuple[str, ...] = ()
    share_above: Decimal | None = None
    share_at_least: Decimal | None = None
    score_below: Decimal | None = None
    predicates: tuple[str, ...] = ()
    occurrence: int | None = None
    and_beyond: bool = False
    window: ConditionWindow = "campaign"


@attrs.frozen
class Action:
    """What a rule does to the unit.

    Attributes:
        kind: one of :data:`ACTION_KINDS`.
        title: its name (default from the kind).
        target: whom it is aimed at: ``unit``, ``person``, ``members`` (the unit's staff),
            ``principal_leader`` or ``leadership_team``; ``subject`` means the unit or
            the person scored.
        sanction: for ``sanction``, the ladder id (通报批评 ``circulated_criticism`` …).
        to: the body it goes to or comes from (局长办公会议, 局领导), if any.
        within: a deadline, counted from when the round is final, if any.
        within_unit: ``days`` or ``working_days``.
    """

    kind: str
    title: str
    target: str = "unit"
    sanction: str | None = None
    to: str | None = None
    within: int | None = None
    within_unit: str | None = None


@attrs.frozen
class Rule:
    """A consequence rule: when its condition holds for a unit, its actions apply.

    Attributes:
        id: the rule id.
        title: what it says.
        when: the condition.
        then: the actions, in order.
        source: where the rule comes from (catalogue section and quote).
        path: where it is written in the scheme file.
    """

    id: str
    title: str
    when: Condition
    then: tuple[Action, ...]
    source: str = ""
    path: str = ""
