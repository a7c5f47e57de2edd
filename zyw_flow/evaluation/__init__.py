"""Evaluation (绩效评估): scoring schemes, scorecards, grades, quotas and rankings.

A pure module: it computes from a scheme and the inputs it is given and keeps no state.

>>> from decimal import Decimal as D
>>> from zyw_flow.evaluation import load_scheme, score_unit, ScoreInput, Case
>>> scheme = load_scheme("bureau-individual")
>>> inputs = [ScoreInput("li", "work_tasks", D(88), period=q) for q in ("Q1", "Q2", "Q3", "Q4")]
>>> inputs += [ScoreInput("li", "internal_management", D(90)),
...            ScoreInput("li", "satisfaction", D(95), rater_group="leadership"),
...            ScoreInput("li", "satisfaction", D(85), rater_group="staff")]
>>> card = score_unit(scheme, "li", inputs)
>>> card.total, card.band
(Decimal('88.6'), 'good')
>>> score_unit(scheme, "li", inputs, cases=[Case("li", "violation")]).band
'admonish'
"""

from zyw_flow.evaluation._report import (
    distribution_rows,
    distribution_table,
    plot_grade_distribution,
    ranking_rows,
    ranking_table,
    scorecard_rows,
    scorecard_table,
    to_csv,
)
from zyw_flow.evaluation._rules import (
    CASE_KINDS,
    BottomAction,
    Case,
    Consequence,
    RankRow,
    apply_cases,
    bottom_actions,
    bottom_units,
    consequences,
    grade_distribution,
    quota_size,
    rank,
    select_advanced,
    select_excellent_people,
    top_bottom_publicity,
)
from zyw_flow.evaluation._scheme import (
    DEFAULT_BANDS,
    DEFAULT_LADDER,
    Band,
    Consequences,
    DeductionItem,
    Deductions,
    Downgrade,
    Indicator,
    LadderStep,
    Period,
    Quota,
    Ranking,
    RaterGroup,
    Rounding,
    ScoringError,
    ScoringScheme,
    Veto,
    bundled_schemes,
    find_scheme,
    load_scheme,
    load_scheme_text,
    parse_decimal,
    scoring_dir,
)
from zyw_flow.evaluation._score import (
    Deduction,
    IndicatorScore,
    MissingInput,
    Scorecard,
    ScoreInput,
    score_unit,
    score_units,
    to_decimal,
)

__all__ = [
    "CASE_KINDS",
    "DEFAULT_BANDS",
    "DEFAULT_LADDER",
    "Band",
    "BottomAction",
    "Case",
    "Consequence",
    "Consequences",
    "Deduction",
    "DeductionItem",
    "Deductions",
    "Downgrade",
    "Indicator",
    "IndicatorScore",
    "LadderStep",
    "MissingInput",
    "Period",
    "Quota",
    "RankRow",
    "Ranking",
    "RaterGroup",
    "Rounding",
    "ScoreInput",
    "Scorecard",
    "ScoringError",
    "ScoringScheme",
    "Veto",
    "apply_cases",
    "bottom_actions",
    "bottom_units",
    "bundled_schemes",
    "consequences",
    "distribution_rows",
    "distribution_table",
    "find_scheme",
    "grade_distribution",
    "load_scheme",
    "load_scheme_text",
    "parse_decimal",
    "plot_grade_distribution",
    "quota_size",
    "rank",
    "ranking_rows",
    "ranking_table",
    "score_unit",
    "score_units",
    "scorecard_rows",
    "scorecard_table",
    "scoring_dir",
    "select_advanced",
    "select_excellent_people",
    "to_csv",
    "to_decimal",
    "top_bottom_publicity",
]
