"""Computing scorecards: weighted indicator trees, periods, rater groups, missing inputs,
deductions, rounding and grades.

Inputs, weights and results are :class:`~decimal.Decimal`; in between the arithmetic is
exact (rationals), so nothing is rounded unless the scheme says so and a band boundary is
never missed by a rounding error: ``0.4×90 + 0.3×90 + 0.1×90 + 0.2×90`` is exactly 90.
A result that has no finite decimal form (an average of three ratings, a reweighted total)
is shown with 28 significant digits, rounded towards −∞, which keeps it in the band its exact
value is in.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_FLOOR, Decimal, localcontext
from fractions import Fraction
from typing import Any

import attrs

from zyw_flow.evaluation._rules import Case, apply_cases
from zyw_flow.evaluation._scheme import (
    Indicator,
    ScoringError,
    ScoringScheme,
    parse_decimal,
)

__all__ = [
    "Deduction",
    "IndicatorScore",
    "MissingInput",
    "ScoreInput",
    "Scorecard",
    "check_score_inputs",
    "score_unit",
    "score_units",
    "to_decimal",
]

_ZERO = Fraction(0)


def _check_decimal(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        kind = "a float" if isinstance(value, float) else repr(value)
        raise ScoringError(f"{what} must be a Decimal (e.g. Decimal('88.5')), not {kind}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ScoringError(f"{what} must be a finite number, not {value}")
    parse_decimal(value, what=what)  # bounded digits and exponent (1e-999999 is refused)


@attrs.frozen
class ScoreInput:
    """One score given to a leaf indicator.

    Attributes:
        unit: the unit (or person) scored.
        indicator: the leaf indicator's id.
        value: 0–100 (percent model) or 0–the leaf's points (points model); a Decimal.
        period: the period (``Q1`` …) when the indicator is scored per period.
        rater_group: the rater group when the indicator has raters.
        rater: who rated, to catch the same rater scoring twice (optional).

    Raises:
        ScoringError: ``value`` is a float, a bool, NaN or infinite.
    """

    unit: str
    indicator: str
    value: Decimal
    period: str | None = None
    rater_group: str | None = None
    rater: str | None = None

    def __attrs_post_init__(self) -> None:
        _check_decimal(self.value, f"the score of {self.unit!r} on {self.indicator!r}")


@attrs.frozen
class Deduction:
    """Points deducted from a unit's total for a deduction item (倒扣分).

    Raises:
        ScoringError: ``points`` is not a Decimal, or is negative.
    """

    unit: str
    item: str
    points: Decimal
    description: str = ""

    def __attrs_post_init__(self) -> None:
        _check_decimal(self.points, f"the deduction of {self.unit!r} for {self.item!r}")
        if self.points < 0:
            raise ScoringError(
                f"a deduction is a positive number of points, not {self.points} "
                f"({self.unit!r}, {self.item!r})"
            )


@attrs.frozen
class MissingInput:
    """An input a scorecard lacks: a leaf (in a period, from a rater group)."""

    indicator: str
    period: str | None = None
    rater_group: str | None = None

    def __str__(self) -> str:
        parts = [self.indicator]
        if self.period is not None:
            parts.append(f"period {self.period}")
        if self.rater_group is not None:
            parts.append(f"raters {self.rater_group}")
        return ", ".join(parts)


@attrs.frozen
class IndicatorScore:
    """One line of a scorecard.

    Attributes:
        indicator: the indicator id.
        title: its title.
        depth: 0 for a root; a period line and a rater-group line sit one level below
            their indicator.
        period: set on the lines of one period of a per-period indicator.
        rater_group: set on the line of one rater group.
        weight: the declared weight (percent of the parent), the points (points model),
            the period's weight or the rater group's weight.
        value: the score on the indicator's own scale (0–100 or 0–points); ``None`` when
            missing (or incomplete under ``block``).
        contribution: the points it adds to the total (before deductions); 0 for a missing
            input under ``zero``, ``None`` when it counts for nothing.
        share: the percentage of the total it carries after any reweighting.
        leaf: True for a line that takes inputs directly.
    """

    indicator: str
    title: str
    depth: int
    period: str | None
    rater_group: str | None
    weight: Decimal
    value: Decimal | None
    contribution: Decimal | None
    share: Decimal | None
    leaf: bool


@attrs.frozen
class Scorecard:
    """A unit's (or person's) score under a scheme.

    Attributes:
        scheme: the scheme id.
        unit: the unit or person id.
        is_person: whether the person rules applied.
        lines: every indicator (and period and rater group), in the scheme's order.
        base: the weighted total before deductions, or ``None`` when blocked.
        deducted: the points deducted: ``min(Σ deductions, cap)``.
        deductions: the deductions given.
        total: ``base − deducted``, rounded as declared; ``None`` when blocked.
        raw_band: the band of ``total``.
        band: the grade after downgrades and vetoes (``None`` when blocked).
        reasons: why the grade differs from ``raw_band``, one sentence per rule applied.
        missing: inputs that were missing (whatever the policy).
        cases: the cases applied.
        bands: the scheme's band ids, best first.
    """

    scheme: str
    unit: str
    is_person: bool
    lines: tuple[IndicatorScore, ...]
    base: Decimal | None
    deducted: Decimal
    deductions: tuple[Deduction, ...]
    total: Decimal | None
    raw_band: str | None
    band: str | None
    reasons: tuple[str, ...]
    missing: tuple[MissingInput, ...]
    cases: tuple[Case, ...]
    bands: tuple[str, ...]

    @property
    def graded(self) -> bool:
        """True when the scorecard has a grade."""
        return self.band is not None

    @property
    def downgraded(self) -> bool:
        """True when a case lowered the grade."""
        return self.band != self.raw_band

    def line(
        self, indicator: str, period: str | None = None, rater_group: str | None = None
    ) -> IndicatorScore:
        """The line of an indicator (in a period, for a rater group); KeyError if none."""
        for line in self.lines:
            if (line.indicator, line.period, line.rater_group) == (indicator, period, rater_group):
                return line
        raise KeyError((indicator, period, rater_group))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; numbers are decimal strings."""

        def s(value: Decimal | None) -> str | None:
            return None if value is None else format(value, "f")

        return {
            "scheme": self.scheme,
            "unit": self.unit,
            "is_person": self.is_person,
            "base": s(self.base),
            "deducted": s(self.deducted),
            "total": s(self.total),
            "raw_band": self.raw_band,
            "band": self.band,
            "reasons": list(self.reasons),
            "missing": [attrs.asdict(m) for m in self.missing],
            "deductions": [
                {"item": d.item, "points": s(d.points), "description": d.description}
                for d in self.deductions
            ],
            "cases": [attrs.asdict(c) for c in self.cases],
            "lines": [
                {
                    "indicator": line.indicator,
                    "period": line.period,
                    "rater_group": line.rater_group,
                    "weight": s(line.weight),
                    "value": s(line.value),
                    "contribution": s(line.contribution),
                    "share": s(line.share),
                }
                for line in self.lines
            ],
        }


def to_decimal(value: Fraction) -> Decimal:
    """An exact rational as a Decimal: exact when it terminates, otherwise 28 significant
    digits rounded towards −∞ (so it never crosses a boundary its exact value is below)."""
    num, den = value.numerator, value.denominator
    d = den
    twos = fives = 0
    while d % 2 == 0:
        d //= 2
        twos += 1
    while d % 5 == 0:
        d //= 5
        fives += 1
    with localcontext() as ctx:
        if d == 1:
            ctx.prec = len(str(abs(num))) + max(twos, fives) + 2
            return Decimal(num) / Decimal(den)
        ctx.prec = 28
        ctx.rounding = ROUND_FLOOR
        return Decimal(num) / Decimal(den)


class _Scorer:
    """Per-scheme tables, built once for many units."""

    def __init__(self, scheme: ScoringScheme) -> None:
        self.scheme = scheme
        self.nodes: dict[str, Indicator] = {n.id: n for n in scheme.indicators_flat()}
        self.share: dict[str, Fraction] = {}
        self.owner: dict[str, Indicator | None] = {}
        self.scale: dict[str, Fraction] = {
            n.id: Fraction(scheme.scale(n)) for n in self.nodes.values()
        }
        self.full = Fraction(scheme.total)
        for root in scheme.indicators:
            self._tables(root, self.full, None)

    def _tables(self, node: Indicator, parent_scale: Fraction, owner: Indicator | None) -> None:
        if self.scheme.model == "percent":
            assert node.weight is not None
            self.share[node.id] = Fraction(node.weight) / 100
        else:
            assert node.points is not None
            self.share[node.id] = Fraction(node.points) / parent_scale
        if node.periods:
            owner = node
        self.owner[node.id] = owner
        for child in node.children:
            self._tables(child, self.scale[node.id], owner)

    # -- inputs -----------------------------------------------------------------------------
    def index(
        self, inputs: Iterable[ScoreInput]
    ) -> tuple[
        dict[tuple[str, str | None], Fraction], dict[tuple[str, str | None, str], list[Fraction]]
    ]:
        plain: dict[tuple[str, str | None], Fraction] = {}
        rated: dict[tuple[str, str | None, str], list[Fraction]] = defaultdict(list)
        seen_raters: set[tuple[str, str | None, str, str]] = set()
        errors: list[str] = []
        for inp in inputs:
            where = f"{inp.unit!r} on {inp.indicator!r}"
            node = self.nodes.get(inp.indicator)
            if node is None:
                errors.append(
                    f"unknown indicator {inp.indicator!r} (scheme {self.scheme.id!r}; "
                    f"leaves: {', '.join(n.id for n in self.scheme.leaves())})"
                )
                continue
            if not node.is_leaf:
                errors.append(
                    f"{where}: {inp.indicator!r} has sub-indicators; score its leaves "
                    f"({', '.join(n.id for n in node.walk() if n.is_leaf)})"
                )
                continue
            owner = self.owner[node.id]
            if owner is None and inp.period is not None:
                errors.append(f"{where}: the indicator is not scored per period ({inp.period!r})")
                continue
            if owner is not None:
                names = [p.id for p in owner.periods]
                if inp.period not in names:
                    errors.append(
                        f"{where}: needs a period, one of {', '.join(names)}"
                        + ("" if inp.period is None else f"; not {inp.period!r}")
                    )
                    continue
            scale = self.scale[node.id]
            if not 0 <= Fraction(inp.value) <= scale:
                errors.append(f"{where}: {inp.value} is out of range 0–{to_decimal(scale)}")
                continue
            value = Fraction(inp.value)
            if node.raters:
                groups = [g.id for g in node.raters]
                if inp.rater_group not in groups:
                    errors.append(
                        f"{where}: needs a rater group, one of {', '.join(groups)}"
                        + ("" if inp.rater_group is None else f"; not {inp.rater_group!r}")
                    )
                    continue
                assert inp.rater_group is not None
                if inp.rater is not None:
                    key = (node.id, inp.period, inp.rater_group, inp.rater)
                    if key in seen_raters:
                        errors.append(
                            f"{where}: rater {inp.rater!r} of {inp.rater_group!r} scored twice"
                            + ("" if inp.period is None else f" in {inp.period}")
                        )
                        continue
                    seen_raters.add(key)
                rated[(node.id, inp.period, inp.rater_group)].append(value)
            else:
                if inp.rater_group is not None or inp.rater is not None:
                    errors.append(f"{where}: the indicator has no raters")
                    continue
                if (node.id, inp.period) in plain:
                    errors.append(
                        f"{where}: scored twice"
                        + ("" if inp.period is None else f" in {inp.period}")
                    )
                    continue
                plain[(node.id, inp.period)] = value
        if errors:
            raise ScoringError("bad score input(s):\n" + "\n".join(f"  {e}" for e in errors))
        return plain, dict(rated)

    # -- computing --------------------------------------------------------------------------
    def score(
        self,
        unit: str,
        inputs: Iterable[ScoreInput],
        deductions: Iterable[Deduction],
        cases: Iterable[Case],
        is_person: bool | None,
    ) -> Scorecard:
        scheme = self.scheme
        person = scheme.subject == "persons" if is_person is None else is_person
        plain, rated = self.index(inputs)
        run = _Run(self, plain, rated)
        root = run.combine([(self.share[n.id], run.value(n, None)) for n in scheme.indicators])
        lines: list[IndicatorScore] = []
        for n, eff in zip(scheme.indicators, run.effective(scheme.indicators, None), strict=True):
            run.emit(n, None, eff, 0, lines)
        deds = tuple(deductions)
        self.check_deductions(unit, deds)
        sum_ded = sum((Fraction(d.points) for d in deds), _ZERO)
        cap = scheme.deductions.cap if scheme.deductions is not None else None
        deducted = sum_ded if cap is None else min(sum_ded, Fraction(cap))
        case_list = tuple(cases)
        base = total = None
        raw_band = band = None
        reasons: tuple[str, ...] = ()
        if root is not None:
            base = root * self.full
            exact = scheme.rounding.apply(base - deducted)
            total = to_decimal(exact)
            if scheme.rounding.places is not None:  # show the declared places: 83.0
                total = total.quantize(Decimal(1).scaleb(-scheme.rounding.places))
            raw_band = scheme.band_for(exact).id
            band, reasons = apply_cases(scheme, raw_band, case_list, is_person=person)
        else:
            # still check the cases, so bad ones are reported whatever the inputs
            apply_cases(scheme, scheme.bands[0].id, case_list, is_person=person)
        return Scorecard(
            scheme=scheme.id,
            unit=unit,
            is_person=person,
            lines=tuple(lines),
            base=None if base is None else to_decimal(base),
            deducted=to_decimal(deducted),
            deductions=deds,
            total=total,
            raw_band=raw_band,
            band=band,
            reasons=reasons,
            missing=tuple(run.missing),
            cases=case_list,
            bands=scheme.band_ids,
        )

    def check_deductions(self, unit: str, deds: tuple[Deduction, ...]) -> None:
        if not deds:
            return
        rules = self.scheme.deductions
        if rules is None:
            raise ScoringError(
                f"scheme {self.scheme.id!r} declares no deductions; {unit!r} was given {len(deds)}"
            )
        items = {i.id for i in rules.items}
        if items:
            for d in deds:
                if d.item not in items:
                    raise ScoringError(
                        f"unknown deduction item {d.item!r} for {unit!r}; "
                        f"scheme {self.scheme.id!r} declares: {', '.join(sorted(items))}"
                    )


class _Run:
    """One unit's evaluation: values bottom-up (memoised), then lines top-down."""

    def __init__(
        self,
        scorer: _Scorer,
        plain: dict[tuple[str, str | None], Fraction],
        rated: dict[tuple[str, str | None, str], list[Fraction]],
    ) -> None:
        self.s = scorer
        self.policy = scorer.scheme.missing
        self.plain = plain
        self.rated = rated
        self.memo: dict[tuple[str, str | None, bool], Fraction | None] = {}
        self.group_memo: dict[tuple[str, str | None, str], Fraction | None] = {}
        self.missing: list[MissingInput] = []

    def combine(self, items: list[tuple[Fraction, Fraction | None]]) -> Fraction | None:
        """Weighted sum of normalised values (0–1) under the missing-input policy."""
        if self.policy == "zero":
            return sum((s * (v or _ZERO) for s, v in items), _ZERO)
        if self.policy == "block":
            if any(v is None for _, v in items):
                return None
            return sum((s * v for s, v in items if v is not None), _ZERO)
        present = [(s, v) for s, v in items if v is not None]
        weight = sum((s for s, _ in present), _ZERO)
        if not present or weight == 0:
            return None
        return sum((s * v for s, v in present), _ZERO) / weight

    def effective_of(self, items: list[tuple[Fraction, Fraction | None]]) -> list[Fraction]:
        """The share each item actually carries (reweighted among the present ones)."""
        if self.policy != "reweight":
            return [s for s, _ in items]
        weight = sum((s for s, v in items if v is not None), _ZERO)
        return [s / weight if v is not None and weight else _ZERO for s, v in items]

    def effective(self, nodes: Iterable[Indicator], period: str | None) -> list[Fraction]:
        nodes = list(nodes)
        return self.effective_of([(self.s.share[n.id], self.value(n, period)) for n in nodes])

    def group(self, node: Indicator, period: str | None, gid: str) -> Fraction | None:
        key = (node.id, period, gid)
        if key not in self.group_memo:
            values = self.rated.get(key)
            if not values:
                self.missing.append(MissingInput(node.id, period, gid))
                self.group_memo[key] = None
            else:
                mean = sum(values, _ZERO) / len(values)
                self.group_memo[key] = mean / self.s.scale[node.id]
        return self.group_memo[key]

    def value(self, node: Indicator, period: str | None, whole: bool = True) -> Fraction | None:
        """Normalised score (0–1) of ``node``; for a per-period node with ``period=None``
        and ``whole``, the weighted periods; with a period, that period's subtree."""
        key = (node.id, period, whole)
        if key in self.memo:
            return self.memo[key]
        result: Fraction | None
        if node.periods and period is None and whole:
            result = self.combine(
                [(Fraction(p.weight) / 100, self.value(node, p.id, False)) for p in node.periods]
            )
        elif node.is_leaf:
            if node.raters:
                result = self.combine(
                    [
                        (Fraction(g.weight) / 100, self.group(node, period, g.id))
                        for g in node.raters
                    ]
                )
            else:
                raw = self.plain.get((node.id, period))
                if raw is None:
                    self.missing.append(MissingInput(node.id, period))
                    result = None
                else:
                    result = raw / self.s.scale[node.id]
        else:
            result = self.combine(
                [(self.s.share[c.id], self.value(c, period)) for c in node.children]
            )
        self.memo[key] = result
        return result

    def line(
        self,
        node: Indicator,
        depth: int,
        period: str | None,
        group: str | None,
        weight: Decimal,
        value: Fraction | None,
        scale: Fraction,
        share: Fraction,
        leaf: bool,
    ) -> IndicatorScore:
        full = self.s.full
        if value is not None:
            contribution: Fraction | None = share * full * value
        elif self.policy == "zero":
            contribution = _ZERO
        else:
            contribution = None
        return IndicatorScore(
            indicator=node.id,
            title=node.title,
            depth=depth,
            period=period,
            rater_group=group,
            weight=weight,
            value=None if value is None else to_decimal(value * scale),
            contribution=None if contribution is None else to_decimal(contribution),
            share=None
            if contribution is None and self.policy != "zero"
            else to_decimal(share * 100),
            leaf=leaf,
        )

    def emit(
        self,
        node: Indicator,
        period: str | None,
        share: Fraction,
        depth: int,
        out: list[IndicatorScore],
    ) -> None:
        scheme = self.s.scheme
        declared = node.weight if scheme.model == "percent" else node.points
        assert declared is not None
        scale = self.s.scale[node.id]
        value = self.value(node, period)
        out.append(
            self.line(node, depth, period, None, declared, value, scale, share, node.is_leaf)
        )
        if node.periods and period is None:
            items = [
                (Fraction(p.weight) / 100, self.value(node, p.id, False)) for p in node.periods
            ]
            for p, eff, (_, pv) in zip(node.periods, self.effective_of(items), items, strict=True):
                p_share = share * eff
                out.append(
                    self.line(
                        node, depth + 1, p.id, None, p.weight, pv, scale, p_share, node.is_leaf
                    )
                )
                self.below(node, p.id, p_share, depth + 2, out)
            return
        self.below(node, period, share, depth + 1, out)

    def below(
        self,
        node: Indicator,
        period: str | None,
        share: Fraction,
        depth: int,
        out: list[IndicatorScore],
    ) -> None:
        """Lines under a node in one period: its rater groups, or its children."""
        if node.raters:
            items = [
                (Fraction(g.weight) / 100, self.group(node, period, g.id)) for g in node.raters
            ]
            for g, eff, (_, gv) in zip(node.raters, self.effective_of(items), items, strict=True):
                out.append(
                    self.line(
                        node,
                        depth,
                        period,
                        g.id,
                        g.weight,
                        gv,
                        self.s.scale[node.id],
                        share * eff,
                        True,
                    )
                )
            return
        for child, eff in zip(node.children, self.effective(node.children, period), strict=True):
            self.emit(child, period, share * eff, depth, out)


_SCORERS: dict[int, tuple[ScoringScheme, _Scorer]] = {}


def _scorer(scheme: ScoringScheme) -> _Scorer:
    """The tables of a scheme, built once per scheme object (schemes are immutable)."""
    held = _SCORERS.get(id(scheme))
    if held is None or held[0] is not scheme:
        if len(_SCORERS) > 64:  # schemes come from templates: a handful per process
            _SCORERS.clear()
        held = _SCORERS[id(scheme)] = (scheme, _Scorer(scheme))
    return held[1]


def check_score_inputs(scheme: ScoringScheme, inputs: Iterable[ScoreInput]) -> None:
    """Check scores without scoring: the same rules and messages as :func:`score_unit`
    (indicator, leaf, period, rater group, range, duplicates), at the cost of a lookup.

    Raises:
        ScoringError: the bad inputs, all at once.
    """
    _scorer(scheme).index(inputs)


def score_unit(
    scheme: ScoringScheme,
    unit: str,
    inputs: Iterable[ScoreInput],
    *,
    deductions: Iterable[Deduction] = (),
    cases: Iterable[Case] = (),
    is_person: bool | None = None,
) -> Scorecard:
    """Score one unit (or person) under a scheme.

    Inputs, deductions and cases naming other units are ignored, so one list can serve
    every unit (:func:`score_units` does that faster for many units).

    Args:
        scheme: the scoring scheme.
        unit: the unit or person id.
        inputs: scores of leaf indicators.
        deductions: points deducted (schemes with ``deductions:``).
        cases: violations, accidents and vetoes that lower the grade.
        is_person: apply the person rules; default: the scheme's ``subject``.

    Raises:
        ScoringError: an input names an unknown or non-leaf indicator, lacks or has a
            wrong period or rater group, is out of range or duplicated; a deduction or
            veto names an undeclared item. All bad inputs are listed at once.
    """
    return _scorer(scheme).score(
        unit,
        (i for i in inputs if i.unit == unit),
        (d for d in deductions if d.unit == unit),
        (c for c in cases if c.unit == unit),
        is_person,
    )


def score_units(
    scheme: ScoringScheme,
    units: Iterable[str],
    inputs: Iterable[ScoreInput],
    *,
    deductions: Iterable[Deduction] = (),
    cases: Iterable[Case] = (),
    is_person: bool | None = None,
) -> list[Scorecard]:
    """Score many units at once (inputs grouped once); one scorecard per unit, in order.

    Raises:
        ScoringError: as :func:`score_unit`.
    """
    scorer = _scorer(scheme)
    by_unit: dict[str, list[ScoreInput]] = defaultdict(list)
    for i in inputs:
        by_unit[i.unit].append(i)
    ded: dict[str, list[Deduction]] = defaultdict(list)
    for d in deductions:
        ded[d.unit].append(d)
    by_case: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_case[c.unit].append(c)
    return [
        scorer.score(u, by_unit.get(u, []), ded.get(u, []), by_case.get(u, []), is_person)
        for u in units
    ]
