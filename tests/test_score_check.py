"""`check_score_inputs` (what `record_score` runs) refuses exactly what `score_unit`
refuses, with the same message, for every bundled scheme."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zyw_flow.evaluation import (
    ScoreInput,
    ScoringError,
    bundled_schemes,
    check_score_inputs,
    find_scheme,
    load_scheme,
    score_unit,
)

SCHEMES = sorted(bundled_schemes())


def _outcome(fn: object, *args: object) -> str | None:
    try:
        fn(*args)  # type: ignore[operator]
    except ScoringError as exc:
        return str(exc)
    return None


@pytest.mark.parametrize("name", SCHEMES)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_check_refuses_what_scoring_refuses(name: str, data: st.DataObject) -> None:
    scheme = load_scheme(find_scheme(name))
    nodes = [n.id for n in scheme.indicators_flat()] + ["no-such-indicator"]
    periods = [*sorted({p.id for n in scheme.indicators_flat() for p in n.periods}), None, "Q9"]
    groups = [*sorted({g.id for n in scheme.indicators_flat() for g in n.raters}), None, "x"]
    entries = data.draw(
        st.lists(
            st.builds(
                ScoreInput,
                st.just("u"),
                st.sampled_from(nodes),
                st.decimals(min_value=-5, max_value=120, places=1, allow_nan=False),
                st.sampled_from(periods),
                st.sampled_from(groups),
                st.sampled_from([None, "r1"]),
            ),
            max_size=3,
        )
    )
    expected = _outcome(score_unit, scheme, "u", entries)
    assert _outcome(check_score_inputs, scheme, entries) == expected


def test_a_good_score_passes() -> None:
    scheme = load_scheme(find_scheme(SCHEMES[0]))
    leaf = scheme.leaves()[0]
    entry = ScoreInput("u", leaf.id, Decimal(0), None, None, None)
    assert _outcome(score_unit, scheme, "u", [entry]) == _outcome(
        check_score_inputs, scheme, [entry]
    )
