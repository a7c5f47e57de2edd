"""Surveys and consequence rules: what they cost beside what they replace.

Run it as ``python -m benchmarks.rules [--units 100000]``. In one process it times:

* ``consequences(scheme, card)`` — the 001-E package read as rules — over ``--units``
  scorecards, 70 % of them graded 诫勉, against the fixed package it replaces (written out
  here as it was, the baseline);
* ``apply_rules`` over four rounds of ``--units`` units with the 后五位 ladder written as
  three rules (``occurrence: 1``, ``2``, ``3+``), against ``rank`` + ``bottom_actions`` on the
  same rounds (the fixed ladder it can replace), then with every rule (the package, the
  ladder and a survey rule, 差 → 重点监督);
* ``survey_result`` for ``--units`` units, each with three rater groups' counts.

It never asserts: it measures and prints figures and ratios.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from zyw_flow.evaluation import (
    Consequence,
    Round,
    Scorecard,
    ScoreInput,
    ScoringScheme,
    SurveyCount,
    apply_rules,
    bottom_actions,
    consequences,
    load_scheme_text,
    rank,
    score_units,
    survey_result,
)

SCHEME = """\
kind: scoring
id: bench
title: 基准
indicators: [{id: all, title: 综合, weight: 100}]
consequences: {}
ranking: {bottom: 5}
surveys:
  wanren:
    title: 万人评议
    scale:
      - {id: good, title: 好, score: 100}
      - {id: fair, title: 较好, score: 80}
      - {id: average, title: 一般, score: 60}
      - {id: poor, title: 差, score: 0}
    raters:
      clients: {title: 服务对象, weight: 50}
      grassroots: {title: 基层单位, weight: 30}
      deputies: {title: 人大代表, weight: 20}
    bands:
      - {id: good, title: 好, min: 85}
      - {id: poor, title: 差}
rules:
  - id: b1
    title: 第一次
    when: {rank: {bottom: 5}, occurrence: 1}
    then: [{kind: sanction, sanction: circulated_criticism}]
  - id: b2
    title: 第二次
    when: {rank: {bottom: 5}, occurrence: 2}
    then: [{kind: sanction, sanction: admonition_talk}]
  - id: b3
    title: 第三次
    when: {rank: {bottom: 5}, occurrence: 3+}
    then: [{kind: sanction, sanction: team_reshuffle}]
  - id: poor
    title: 差 → 重点监督
    when: {survey: {id: wanren, band: poor}}
    then: [key_supervision]
"""


def fixed_package(scheme: ScoringScheme, card: Scorecard) -> list[Consequence]:
    """The fixed 001-E package as it was written before rules (the baseline)."""
    rules = scheme.consequences
    if rules is None or card.band != rules.band:
        return []
    who = "person" if card.is_person else "unit"
    out = [
        Consequence(card.unit, "written_report", "书面情况报告", who, rules.report_to,
                    rules.report_within, rules.report_unit),
        Consequence(card.unit, "admonition_talk", "诫勉谈话", who, rules.talk_by),
    ]  # fmt: skip
    if not card.is_person:
        out.append(Consequence(card.unit, "key_rectification", "重点整改单位", "unit"))
        out.append(Consequence(card.unit, "award_ineligibility", "取消所属人员评优资格", "members"))
    return out


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds of one call, and its result."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rules")
    parser.add_argument("--units", type=int, default=100_000)
    args = parser.parse_args(argv)
    n = int(args.units)
    scheme = load_scheme_text(SCHEME)
    units = [f"u{i:07d}" for i in range(n)]

    def round_cards(shift: int) -> list[Scorecard]:
        # distinct totals (no ties at the cut): a permutation of 0 … n−1, scaled into 0–100
        values = [
            ScoreInput(u, "all", Decimal((i * 7919 + shift * 104729) % n) * 100 / n)
            for i, u in enumerate(units)
        ]
        return score_units(scheme, units, values)

    cards = round_cards(0)
    graded = sum(1 for c in cards if c.band == "admonish")
    t_rules, fired = timed(lambda: sum(len(consequences(scheme, c)) for c in cards))
    t_fixed, fixed = timed(lambda: sum(len(fixed_package(scheme, c)) for c in cards))
    assert fired == fixed  # the same results, or the comparison means nothing
    print(f"consequences() on {n} cards ({graded} 诫勉): rules {t_rules:.3f} s, "
          f"fixed package {t_fixed:.3f} s, ratio {t_rules / t_fixed:.2f}")  # fmt: skip

    rounds_cards = [round_cards(shift) for shift in (0, 3, 6, 9)]
    results = [
        survey_result(scheme, "wanren", u, [
            SurveyCount(u, "wanren", "clients", {"good": i % 50, "poor": 10}),
            SurveyCount(u, "wanren", "grassroots", {"fair": 20, "poor": i % 7}),
            SurveyCount(u, "wanren", "deputies", {"average": 5}),
        ])
        for i, u in enumerate(units)
    ]  # fmt: skip
    t_survey, _ = timed(
        lambda: [
            survey_result(scheme, "wanren", u, [
                SurveyCount(u, "wanren", "clients", {"good": i % 50, "poor": 10}),
                SurveyCount(u, "wanren", "grassroots", {"fair": 20, "poor": i % 7}),
                SurveyCount(u, "wanren", "deputies", {"average": 5}),
            ])
            for i, u in enumerate(units)
        ]
    )  # fmt: skip
    print(f"survey_result for {n} units (3 groups each): {t_survey:.3f} s "
          f"({t_survey / n * 1e6:.1f} µs per unit)")  # fmt: skip
    rounds = [Round(c, surveys=results if k == 3 else ()) for k, c in enumerate(rounds_cards)]
    # the baseline a caller runs from the scorecards: rank each round, then the ladder
    t_ladder, ladder = timed(lambda: bottom_actions(scheme, [rank(c) for c in rounds_cards]))
    t_rules3, rules3 = timed(lambda: apply_rules(scheme, rounds, rules=["b1", "b2", "b3"]))
    assert sorted((a.unit, a.round, a.sanction) for a in rules3) == sorted(
        (a.unit, a.round, a.action) for a in ladder
    )
    print(f"后五位 ladder, 4 rounds × {n} units: as three rules {t_rules3:.3f} s, "
          f"rank + bottom_actions {t_ladder:.3f} s, ratio "
          f"{t_rules3 / t_ladder:.1f} ({len(ladder)} actions)")  # fmt: skip
    t_apply, actions = timed(lambda: apply_rules(scheme, rounds))
    print(f"apply_rules, 4 rounds × {n} units, all {len(scheme.consequence_rules())} rules "
          f"(package, ladder, 差 → 重点监督): {t_apply:.3f} s, {len(actions)} actions")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
