"""Property tests of zyw_flow.evaluation (hypothesis).

* raising any input never lowers the total (every missing-input policy, both models);
* totals stay within [0, 100] (percent) and [0 − cap, total] (points with deductions);
* leaf contributions add up to the base total;
* a quota is never exceeded (unless ties are ``include``d);
* a downgrade or veto never raises a grade;
* band boundaries are exact for Decimals next to each band's minimum.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zyw_flow.evaluation import (
    CASE_KINDS,
    Case,
    Deduction,
    ScoreInput,
    ScoringScheme,
    apply_cases,
    load_scheme,
    load_scheme_text,
    quota_size,
    score_unit,
    score_units,
    select_advanced,
    select_excellent_people,
)

BUREAU = load_scheme("bureau-unit")
PERSON = load_scheme("bureau-individual")
BEIJING = load_scheme("beijing-sanxiao")

_SLOTS_TEMPLATE = """\
kind: scoring
id: slots
title: 槽
model: percent
missing: {missing}
indicators:
  - id: work
    title: 工作
    weight: 40
    periods: {{Q1: 25, Q2: 25, Q3: 25, Q4: 25}}
    children:
      - {{id: a, title: A, weight: 50}}
      - {{id: b, title: B, weight: 30}}
      - {{id: c, title: C, weight: 20}}
  - {{id: m, title: M, weight: 33.3}}
  - id: s
    title: S
    weight: 26.7
    raters:
      lead: {{title: L, weight: 40}}
      staff: {{title: S, weight: 60}}
quota:
  advanced: {{share: 30%, among: [excellent, good], ties: {ties}}}
"""
POLICIES = ("zero", "reweight", "block")
SCHEMES = {
    (p, t): load_scheme_text(_SLOTS_TEMPLATE.format(missing=p, ties=t))
    for p in POLICIES
    for t in ("exclude", "id", "include")
}

#: Every input slot of the "slots" scheme: (indicator, period, rater group).
SLOTS: list[tuple[str, str | None, str | None]] = [
    (leaf, q, None) for q in ("Q1", "Q2", "Q3", "Q4") for leaf in ("a", "b", "c")
] + [("m", None, None), ("s", None, "lead"), ("s", None, "staff"), ("s", None, "staff")]

percent_values = st.decimals(min_value=0, max_value=100, places=3)


def make_inputs(unit: str, values: list[D | None]) -> list[ScoreInput]:
    return [
        ScoreInput(unit, ind, v, period=p, rater_group=g)
        for (ind, p, g), v in zip(SLOTS, values, strict=True)
        if v is not None
    ]


slot_values = st.lists(
    st.one_of(st.none(), percent_values), min_size=len(SLOTS), max_size=len(SLOTS)
)


@st.composite
def raised_slot(draw: st.DrawFn) -> tuple[list[D | None], int, D]:
    """Slot values, the index of one given slot, and a value at least as high as it.

    Built so that every draw is valid (no filtering): the raised slot always holds a
    value and ``raise_to`` is drawn from ``[old, 100]``.
    """
    values = draw(slot_values)
    index = draw(st.integers(0, len(SLOTS) - 1))
    old = draw(percent_values)
    values[index] = old
    raise_to = draw(st.decimals(min_value=old, max_value=100, places=3))
    return values, index, raise_to


@given(policy=st.sampled_from(POLICIES), case=raised_slot())
def test_raising_an_input_never_lowers_the_total(
    policy: str, case: tuple[list[D | None], int, D]
) -> None:
    scheme = SCHEMES[(policy, "exclude")]
    values, index, raise_to = case
    old = values[index]
    assert old is not None and raise_to >= old
    higher = list(values)
    higher[index] = raise_to
    before = score_unit(scheme, "u", make_inputs("u", values))
    after = score_unit(scheme, "u", make_inputs("u", higher))
    assert (before.total is None) == (after.total is None)
    if before.total is not None and after.total is not None:
        assert after.total >= before.total
        assert scheme.band_index(after.raw_band or "") <= scheme.band_index(before.raw_band or "")


@given(policy=st.sampled_from(POLICIES), values=slot_values)
def test_percent_totals_in_range_and_contributions_add_up(
    policy: str, values: list[D | None]
) -> None:
    scheme = SCHEMES[(policy, "exclude")]
    card = score_unit(scheme, "u", make_inputs("u", values))
    if card.total is None:
        assert policy != "zero"
        assert card.missing
        return
    assert 0 <= card.total <= 100
    if all(v is not None for v in values):
        assert not card.missing
    roots = [line for line in card.lines if line.depth == 0]
    root_sum = sum((line.contribution or D(0) for line in roots), D(0))
    # contributions are exact or floored at 28 significant digits
    assert abs(root_sum - card.total) < D("1e-24")


@st.composite
def beijing_inputs(draw: st.DrawFn) -> tuple[list[ScoreInput], list[Deduction]]:
    inputs = []
    for leaf in BEIJING.leaves():
        assert leaf.points is not None
        value = draw(st.decimals(min_value=0, max_value=leaf.points, places=2))
        inputs.append(ScoreInput("u", leaf.id, value))
    assert BEIJING.deductions is not None
    items = [i.id for i in BEIJING.deductions.items]
    deductions = draw(
        st.lists(
            st.builds(
                Deduction,
                st.just("u"),
                st.sampled_from(items),
                st.decimals(min_value=0, max_value=30, places=1),
            ),
            max_size=6,
        )
    )
    return inputs, deductions


@given(beijing_inputs(), st.integers(0, 7), st.decimals(min_value=0, max_value=1, places=2))
def test_points_totals_in_range_and_monotone(
    data: tuple[list[ScoreInput], list[Deduction]], index: int, fraction: D
) -> None:
    inputs, deductions = data
    card = score_unit(BEIJING, "u", inputs, deductions=deductions)
    assert card.total is not None and card.base is not None
    assert 0 <= card.base <= 100
    assert -20 <= card.total <= 100
    assert card.deducted == min(sum((d.points for d in deductions), D(0)), D(20))
    assert card.total == card.base - card.deducted
    # raise one leaf towards its full points
    leaf = BEIJING.leaves()[index]
    assert leaf.points is not None
    old = inputs[index].value
    raised = list(inputs)
    raised[index] = ScoreInput("u", leaf.id, old + (leaf.points - old) * fraction)
    after = score_unit(BEIJING, "u", raised, deductions=deductions)
    assert after.total is not None and after.total >= card.total


@given(
    ties=st.sampled_from(("exclude", "id")),
    totals=st.lists(st.integers(60, 100), min_size=0, max_size=40),
)
def test_quota_never_exceeded(ties: str, totals: list[int]) -> None:
    scheme = SCHEMES[("block", ties)]
    units = [f"u{i:02d}" for i in range(len(totals))]
    inputs = [
        i for u, t in zip(units, totals, strict=True) for i in make_inputs(u, [D(t)] * len(SLOTS))
    ]
    cards = score_units(scheme, units, inputs)
    chosen = select_advanced(scheme, cards)
    cap = quota_size(D("0.3"), len(cards))
    assert len(chosen) <= cap
    assert len(set(chosen)) == len(chosen)
    by_unit = {c.unit: c for c in cards}
    assert all(by_unit[u].band in ("excellent", "good") for u in chosen)
    # everyone chosen scores at least as well as everyone eligible left out
    left = [c for c in cards if c.unit not in chosen and c.band in ("excellent", "good")]
    if chosen and left:
        assert min(by_unit[u].total or 0 for u in chosen) >= max(c.total or 0 for c in left)
    people = select_excellent_people(cards, D("0.15"), ties=ties)  # type: ignore[arg-type]
    assert len(people) <= quota_size(D("0.15"), len(cards))


@given(
    scheme=st.sampled_from([BUREAU, PERSON]),
    band=st.sampled_from(["excellent", "good", "pass", "admonish"]),
    kinds=st.lists(st.sampled_from([k for k in CASE_KINDS if k != "veto"]), max_size=4),
    is_person=st.booleans(),
)
def test_a_downgrade_never_raises_a_grade(
    scheme: ScoringScheme, band: str, kinds: list[str], is_person: bool
) -> None:
    cases = [Case("u", k) for k in kinds]
    if is_person:
        cases = [c for c in cases if c.kind == "violation"]
    new, reasons = apply_cases(scheme, band, cases, is_person=is_person)
    assert scheme.band_index(new) >= scheme.band_index(band)
    assert bool(reasons) == bool(cases)
    if cases and not is_person:
        assert scheme.band_index(new) == min(scheme.band_index(band) + 1, 3)
    if cases and is_person:
        assert new == "admonish"


VETO = load_scheme_text(
    """\
kind: scoring
id: veto
title: 否决
indicators: [{id: all, title: 全部, weight: 100}]
veto:
  - {id: v1, title: V1, grade: excellent}
  - {id: v2, title: V2, grade: good}
  - {id: v3, title: V3, grade: pass}
  - {id: v4, title: V4, grade: admonish}
"""
)


@given(
    value=percent_values,
    vetoes=st.lists(st.sampled_from(["v1", "v2", "v3", "v4"]), max_size=3),
    violation=st.booleans(),
)
def test_a_veto_never_raises_a_grade(value: D, vetoes: list[str], violation: bool) -> None:
    cases = [Case("u", "veto", v) for v in vetoes]
    if violation:
        cases.append(Case("u", "violation"))
    card = score_unit(VETO, "u", [ScoreInput("u", "all", value)], cases=cases)
    assert card.band is not None and card.raw_band is not None
    assert VETO.band_index(card.band) >= VETO.band_index(card.raw_band)
    for v in vetoes:
        assert VETO.band_index(card.band) >= VETO.band_index(VETO.veto_item(v).grade)


ONE = load_scheme_text(
    """\
kind: scoring
id: one
title: 一
indicators: [{id: all, title: 全部, weight: 100}]
"""
)


@given(
    minimum=st.sampled_from([D(90), D(80), D(70)]),
    exponent=st.integers(1, 20),
    below=st.booleans(),
)
def test_boundaries_are_exact(minimum: D, exponent: int, below: bool) -> None:
    epsilon = D(1).scaleb(-exponent)
    value = minimum - epsilon if below else minimum
    card = score_unit(ONE, "u", [ScoreInput("u", "all", value)])
    expected = ONE.band_for(minimum)
    assert card.total == value
    if below:
        assert card.band != expected.id
        assert ONE.band_index(card.band or "") == ONE.band_index(expected.id) + 1
    else:
        assert card.band == expected.id


@pytest.mark.parametrize("minimum", [D(90), D(80), D(70)])
def test_weighted_boundary_is_exact(minimum: D) -> None:
    """Every bureau-unit input at a band minimum gives exactly that minimum (no float drift)."""
    inputs = [
        ScoreInput("u", leaf, minimum, period=q)
        for q in ("Q1", "Q2", "Q3", "Q4")
        for leaf in ("key_work", "routine_work", "other_work")
    ]
    inputs += [
        ScoreInput("u", leaf.id, minimum)
        for leaf in BUREAU.leaves()
        if leaf.id not in ("key_work", "routine_work", "other_work", "satisfaction")
    ]
    inputs += [
        ScoreInput("u", "satisfaction", minimum, rater_group=g) for g in ("leadership", "staff")
    ]
    card = score_unit(BUREAU, "u", inputs)
    assert card.total == minimum
    assert card.band == BUREAU.band_for(minimum).id


def test_float_never_accepted() -> None:
    with pytest.raises(ValueError):
        ScoreInput("u", "all", 90.0)  # type: ignore[arg-type]
