"""Rules on top of totals: grades and downgrades, quotas, rankings and the bottom-rank
ladder (the consequences of grades are in :mod:`zyw_flow.evaluation._consequence`).

Every function here is pure: it reads a scheme and scorecards and returns new values.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Literal

import attrs

from zyw_flow.evaluation._scheme import (
    QuotaRounding,
    ScoringError,
    ScoringScheme,
    TieRule,
)

if TYPE_CHECKING:
    from zyw_flow.evaluation._score import Scorecard

__all__ = [
    "CASE_KINDS",
    "BottomAction",
    "Case",
    "RankRow",
    "apply_cases",
    "bottom_actions",
    "bottom_units",
    "grade_distribution",
    "quota_size",
    "rank",
    "select_advanced",
    "select_excellent_people",
    "top_bottom_publicity",
]

CaseKind = Literal["violation", "accident", "veto"]
CASE_KINDS: tuple[str, ...] = ("violation", "accident", "veto")


@attrs.frozen
class Case:
    """Something that lowers a grade, whatever the score.

    Attributes:
        unit: the unit (or, for a person's scorecard, the person) it counts against.
        kind: ``violation`` (违纪违法受到查处), ``accident`` (重大事故造成严重影响) or
            ``veto`` (一票否决; ``item`` names the scheme's veto item).
        item: the veto item id (``veto`` cases only).
        person: the person involved, for the record.
        description: what happened.

    Raises:
        ScoringError: an unknown kind, or a veto without an item.
    """

    unit: str
    kind: str
    item: str | None = None
    person: str | None = None
    description: str = ""

    def __attrs_post_init__(self) -> None:
        if self.kind not in CASE_KINDS:
            raise ScoringError(
                f"unknown case kind {self.kind!r} for {self.unit!r}; "
                f"expected one of: {', '.join(CASE_KINDS)}"
            )
        if self.kind == "veto" and not self.item:
            raise ScoringError(f"a veto case for {self.unit!r} must name its veto item")


def _apply_rule(scheme: ScoringScheme, rule: str, index: int) -> int:
    last = len(scheme.bands) - 1
    if rule == "none":
        return index
    if rule == "one_band":
        return min(index + 1, last)
    if rule == "last_band":
        return last
    return max(index, scheme.band_index(rule))


def apply_cases(
    scheme: ScoringScheme, band: str, cases: Iterable[Case], *, is_person: bool
) -> tuple[str, tuple[str, ...]]:
    """Lower a grade for the given cases; the new band id and a reason per rule applied.

    A unit's ``violation`` and ``accident`` cases apply ``downgrade.unit_violation`` once,
    however many there are (one band down by default; the last band is the floor). A
    person's ``violation`` cases apply ``downgrade.person_violation`` (the last band, 诫勉,
    by default). Each ``veto`` case caps the grade at its item's grade. The downgrade is
    applied first, then the caps; no rule ever raises a grade.

    Raises:
        ScoringError: a veto case naming an item the scheme does not declare, or an
            ``accident`` case against a person (the person rule covers violations only).
    """
    cases = list(cases)
    index = scheme.band_index(band)
    reasons: list[str] = []
    titles = {b.id: b.title for b in scheme.bands}
    violations = [c for c in cases if c.kind in ("violation", "accident")]
    if violations:
        if is_person:
            accidents = [c for c in violations if c.kind == "accident"]
            if accidents:
                raise ScoringError(
                    f"an accident case was recorded against the person {accidents[0].unit!r}; "
                    "the individual rule covers violations (违纪违法) only"
                )
            rule = scheme.downgrade.person_violation
        else:
            rule = scheme.downgrade.unit_violation
        new = _apply_rule(scheme, rule, index)
        kinds = ", ".join(sorted({c.kind for c in violations}))
        before, after = scheme.bands[index].id, scheme.bands[new].id
        reasons.append(
            f"{len(violations)} {kinds} case(s) → {rule}: "
            f"{titles[before]} ({before}) → {titles[after]} ({after})"
        )
        index = new
    for case in cases:
        if case.kind != "veto":
            continue
        assert case.item is not None
        try:
            veto = scheme.veto_item(case.item)
        except KeyError:
            known = ", ".join(v.id for v in scheme.veto) or "none"
            raise ScoringError(
                f"unknown veto item {case.item!r} for {case.unit!r}; "
                f"scheme {scheme.id!r} declares: {known}"
            ) from None
        cap = scheme.band_index(veto.grade)
        before = scheme.bands[index].id
        index = max(index, cap)
        after = scheme.bands[index].id
        reasons.append(
            f"veto {veto.id} ({veto.title}) caps the grade at {titles[veto.grade]}: "
            f"{titles[before]} ({before}) → {titles[after]} ({after})"
        )
    return scheme.bands[index].id, tuple(reasons)


# -- rankings -------------------------------------------------------------------------------


@attrs.frozen
class RankRow:
    """One line of a ranking.

    Attributes:
        position: 1, 2, 3 … unique; tied totals are ordered by unit id.
        rank: competition rank (1, 2, 2, 4 …): equal totals share the best position.
        unit: the unit id.
        total: its total.
        band: its grade (band id), or ``None``.
        tie: True when another unit has the same total.
    """

    position: int
    rank: int
    unit: str
    total: Decimal
    band: str | None
    tie: bool


def rank(scorecards: Iterable[Scorecard]) -> list[RankRow]:
    """Rank scorecards by total, highest first; ties by unit id, marked as ties.

    Scorecards without a total (blocked by missing inputs) are not ranked.
    """
    cards = sorted(
        (c for c in scorecards if c.total is not None),
        key=lambda c: (-_total(c), c.unit),
    )
    counts: dict[Decimal, int] = {}
    for c in cards:
        counts[_total(c)] = counts.get(_total(c), 0) + 1
    rows: list[RankRow] = []
    first: dict[Decimal, int] = {}
    for position, c in enumerate(cards, start=1):
        total = _total(c)
        first.setdefault(total, position)
        rows.append(RankRow(position, first[total], c.unit, total, c.band, counts[total] > 1))
    return rows


def _total(card: Scorecard) -> Decimal:
    assert card.total is not None
    return card.total


def grade_distribution(scorecards: Iterable[Scorecard]) -> dict[str | None, int]:
    """How many scorecards hold each band, every band of their scheme listed (best first).

    Ungraded scorecards are counted under ``None`` (present only when there are some).
    """
    out: dict[str | None, int] = {}
    ungraded = 0
    for card in scorecards:
        for band in card.bands:
            out.setdefault(band, 0)
        if card.band is None:
            ungraded += 1
        else:
            out[card.band] = out.get(card.band, 0) + 1
    if ungraded:
        out[None] = ungraded
    return out


def quota_size(share: Decimal | Fraction, eligible: int, rounding: QuotaRounding = "down") -> int:
    """How many places ``share`` (a fraction: 0.3 for 30%) of ``eligible`` gives.

    >>> quota_size(Decimal("0.3"), 12)
    3
    >>> quota_size(Decimal("0.3"), 12, "half_up"), quota_size(Decimal("0.3"), 12, "up")
    (4, 4)
    """
    exact = Fraction(share) * eligible
    whole = exact.numerator // exact.denominator
    rest = exact - whole
    if rounding == "down":
        return whole
    if rounding == "up":
        return whole + (1 if rest else 0)
    return whole + (1 if rest >= Fraction(1, 2) else 0)


def _select(
    cards: Sequence[Scorecard],
    size: int,
    among: Collection[str],
    ties: TieRule,
    ineligible: Collection[str],
) -> list[str]:
    candidates = sorted(
        (c for c in cards if c.band in among and c.total is not None and c.unit not in ineligible),
        key=lambda c: (-_total(c), c.unit),
    )
    if len(candidates) <= size:
        return [c.unit for c in candidates]
    if size == 0:
        return []
    cut = _total(candidates[size - 1])
    if _total(candidates[size]) != cut or ties == "id":
        return [c.unit for c in candidates[:size]]
    if ties == "include":
        return [c.unit for c in candidates if _total(c) >= cut]
    return [c.unit for c in candidates if _total(c) > cut]


def select_advanced(
    scheme: ScoringScheme,
    scorecards: Iterable[Scorecard],
    *,
    quota: str = "advanced",
    predicates: Mapping[str, Collection[str]] | None = None,
) -> list[str]:
    """The units chosen under a quota (先进: 30% of the graded units, among 优秀).

    At most ``share × graded units`` places (rounded as declared, down by default) go to
    units holding one of the ``among`` bands, best total first. When the cut falls between
    equal totals the quota's ``ties`` rule decides: ``exclude`` (default) leaves the tied
    units out, ``id`` takes them by unit id, ``include`` takes them all (the only way the
    quota can be exceeded). Fewer candidates than places leave places empty. A quota with
    a fixed ``count`` (双评: 4 最佳**厅) has that many places, however many units are graded.

    ``predicates`` maps a predicate name to the units for which it holds; units named by
    any of the quota's ``exclude`` predicates (``open_case``: a unit with an open 问责 case
    cannot be 先进) are not eligible, but still count in the share's denominator. A
    predicate the caller does not supply holds for no unit.

    Raises:
        ScoringError: the scheme declares no such quota.
    """
    try:
        q = scheme.quota(quota)
    except KeyError:
        raise ScoringError(f"scheme {scheme.id!r} declares no quota {quota!r}") from None
    cards = list(scorecards)
    if q.count is not None:
        size = q.count
    else:
        assert q.share is not None
        eligible = sum(1 for c in cards if c.band is not None)
        size = quota_size(q.share / 100, eligible, q.rounding)
    given = predicates or {}
    excluded = {u for name in q.exclude for u in given.get(name, ())}
    return _select(cards, size, q.among, q.ties, excluded)


def select_excellent_people(
    scorecards: Iterable[Scorecard],
    ratio: Decimal,
    *,
    among: Collection[str] | None = None,
    rounding: QuotaRounding = "down",
    ties: TieRule = "exclude",
    ineligible: Collection[str] = (),
) -> list[str]:
    """The persons chosen as 优秀个人 under the ratio set by the city (市效能办).

    Args:
        scorecards: the persons' scorecards.
        ratio: a fraction of the graded persons, e.g. ``Decimal("0.15")``.
        among: bands a chosen person must hold (default: the best band).
        rounding: how ``ratio × graded`` becomes a count.
        ties: as for :func:`select_advanced`.
        ineligible: persons who lost their award eligibility (评优资格), e.g. the members
            of a unit graded 诫勉; they still count in the denominator.

    Raises:
        ScoringError: ``ratio`` is not a Decimal between 0 and 1.
    """
    if isinstance(ratio, (float, bool)) or not isinstance(ratio, (Decimal, int)):
        raise ScoringError(f"the ratio must be a Decimal such as Decimal('0.15'), not {ratio!r}")
    if not 0 <= ratio <= 1:
        raise ScoringError(f"the ratio is a fraction between 0 and 1, not {ratio}")
    cards = list(scorecards)
    if among is None:
        among = {c.bands[0] for c in cards if c.bands}
    eligible = sum(1 for c in cards if c.band is not None)
    size = quota_size(Decimal(ratio), eligible, rounding)
    return _select(cards, size, among, ties, ineligible)


def _cut(rows: Sequence[RankRow], n: int, ties: TieRule) -> list[RankRow]:
    """The first ``n`` rows (in the order given), with the tie rule at the cut."""
    if n <= 0:
        return []
    if len(rows) <= n:
        return list(rows)
    head = list(rows[:n])
    cut = head[-1].total
    if rows[n].total != cut or ties == "id":
        return head
    if ties == "include":
        return head + [r for r in rows[n:] if r.total == cut]
    return [r for r in head if r.total != cut]


def _require_ranking(scheme: ScoringScheme) -> None:
    if scheme.ranking is None:
        raise ScoringError(f"scheme {scheme.id!r} declares no `ranking:` rules")


def bottom_units(
    scheme: ScoringScheme, ranking: Sequence[RankRow], n: int | None = None
) -> list[str]:
    """The units in the bottom ``n`` ranks (default ``ranking.bottom``, 后五位), worst first.

    Raises:
        ScoringError: the scheme declares no ranking.
    """
    _require_ranking(scheme)
    assert scheme.ranking is not None
    count = scheme.ranking.bottom if n is None else n
    worst_first = sorted(ranking, key=lambda r: r.position, reverse=True)
    return [r.unit for r in _cut(worst_first, count, scheme.ranking.ties)]


def top_bottom_publicity(
    scheme: ScoringScheme, ranking: Sequence[RankRow]
) -> tuple[list[str], list[str]]:
    """Units praised (top ``ranking.top``) and exposed (bottom ``ranking.exposed``).

    Fuling: 「对排位在前后8位的单位,在媒体上公开表扬和曝光」. Ties at either cut follow
    ``ranking.ties``. A unit is never both praised and exposed: when the lists would
    overlap (a small ranking), the top list wins.

    Raises:
        ScoringError: the scheme declares no ranking.
    """
    _require_ranking(scheme)
    assert scheme.ranking is not None
    best_first = sorted(ranking, key=lambda r: r.position)
    top = [r.unit for r in _cut(best_first, scheme.ranking.top, scheme.ranking.ties)]
    bottom = [u for u in bottom_units(scheme, ranking, scheme.ranking.exposed) if u not in set(top)]
    return top, bottom


@attrs.frozen
class BottomAction:
    """An action the bottom-rank ladder triggers.

    Attributes:
        unit: the unit in the bottom ranks.
        round: index of the round in the list given (0 = first).
        occurrence: how many times (in the window) the unit has been in the bottom ranks.
        action: the ladder step id (``circulated_criticism`` …).
        target: whom it is aimed at: ``unit``, ``principal_leader`` (主要领导) or
            ``leadership_team`` (班子).
        title: the action's title (通报批评 …).
    """

    unit: str
    round: int
    occurrence: int
    action: str
    target: str
    title: str


def bottom_actions(
    scheme: ScoringScheme,
    rounds: Sequence[Sequence[RankRow]],
    *,
    years: Sequence[int | str] | None = None,
) -> list[BottomAction]:
    """Apply the repeat ladder (后五位: 通报批评 → 诫勉谈话 of the 主要领导 → 班子调整).

    Each round is a ranking (from :func:`rank`), oldest first. A unit in a round's bottom
    ``ranking.bottom`` ranks has one more occurrence; the n-th occurrence triggers the
    ladder's n-th step. Occurrences count over the ``window``: the whole ``campaign``, each
    ``year`` (``years`` gives each round's year), or ``consecutive`` rounds (a round in which
    the unit is ranked outside the bottom resets its count; a round in which it is not
    ranked at all neither counts nor resets). Beyond the ladder's end, ``repeat_last``
    repeats the last step and ``stop`` triggers nothing.

    Raises:
        ScoringError: no ranking rules, or ``years`` missing or of the wrong length for
            the ``year`` window.
    """
    _require_ranking(scheme)
    rules = scheme.ranking
    assert rules is not None
    if rules.window == "year" and years is None:
        raise ScoringError("the `year` window needs the year of each round (years=[...])")
    if years is not None and len(years) != len(rounds):
        raise ScoringError(f"{len(years)} years given for {len(rounds)} rounds")
    counts: dict[str, int] = {}
    year_of: dict[str, int | str] = {}
    out: list[BottomAction] = []
    for index, rows in enumerate(rounds):
        bottom = bottom_units(scheme, rows)
        if rules.window == "consecutive":
            ranked = {r.unit for r in rows}
            for unit in list(counts):
                if unit in ranked and unit not in bottom:
                    del counts[unit]
        for unit in sorted(bottom):
            if rules.window == "year":
                assert years is not None
                if year_of.get(unit) != years[index]:
                    counts[unit] = 0
                year_of[unit] = years[index]
            counts[unit] = counts.get(unit, 0) + 1
            n = counts[unit]
            if n <= len(rules.ladder):
                step = rules.ladder[n - 1]
            elif rules.beyond == "repeat_last":
                step = rules.ladder[-1]
            else:
                continue
            out.append(BottomAction(unit, index, n, step.id, step.target, step.title))
    return out
