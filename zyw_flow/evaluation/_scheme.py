"""Scoring schemes (评分方案): the model, and the loader that validates a ``kind: scoring`` file.

A scheme is data: weights or points of an indicator tree, grade bands, the rules that lower a
grade, quotas and the ranking ladder. Every number is read as :class:`~decimal.Decimal` from
its YAML text (``33.3`` is ``Decimal("33.3")``, never a float), and every problem of a file is
reported at once, each with its file, line and path, as a
:class:`~zyw_flow._errors.TemplateError`.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

import attrs
import yaml

from zyw_flow._bundled import bundled_dir
from zyw_flow._errors import (
    DateExpressionError,
    Problem,
    ScoringError,
    TemplateError,
    TemplateNotFound,
)
from zyw_flow._fields import unknown_field_message
from zyw_flow._yaml import Document, join, read_yaml, read_yaml_file
from zyw_flow.dates import parse_duration
from zyw_flow.evaluation._decl import (
    ACTION_KINDS,
    Action,
    Category,
    Condition,
    Rule,
    Survey,
    SurveyBand,
    SurveyGroup,
)

__all__ = [
    "DEFAULT_BANDS",
    "DEFAULT_LADDER",
    "Band",
    "Consequences",
    "DeductionItem",
    "Deductions",
    "Downgrade",
    "Indicator",
    "LadderStep",
    "MissingPolicy",
    "Model",
    "Period",
    "Quota",
    "QuotaRounding",
    "Ranking",
    "RaterGroup",
    "Rounding",
    "RoundingMode",
    "ScoringError",
    "ScoringScheme",
    "TieRule",
    "Veto",
    "Window",
    "bundled_schemes",
    "extra_rules",
    "find_scheme",
    "load_scheme",
    "load_scheme_text",
    "parse_decimal",
    "scoring_dir",
]

Model = Literal["percent", "points"]
RoundingMode = Literal["half_up", "down", "half_even"]
MissingPolicy = Literal["zero", "reweight", "block"]
TieRule = Literal["exclude", "include", "id"]
QuotaRounding = Literal["down", "half_up", "up"]
Window = Literal["campaign", "year", "consecutive"]
Beyond = Literal["repeat_last", "stop"]

_MODELS = ("percent", "points")
_ROUNDING_MODES = ("half_up", "down", "half_even")
_MISSING = ("zero", "reweight", "block")
_TIES = ("exclude", "include", "id")
_QUOTA_ROUNDING = ("down", "half_up", "up")
_WINDOWS = ("campaign", "year", "consecutive")
_BEYOND = ("repeat_last", "stop")
_TARGETS = ("unit", "principal_leader", "leadership_team", "person")
_RULE_WORDS = ("one_band", "last_band", "none")
_HUNDRED = Decimal(100)


# -- the model ------------------------------------------------------------------------------


@attrs.frozen
class Rounding:
    """How a total is rounded: ``places`` decimal places (``None`` = exact) and a ``mode``.

    Rounding applies to the final total only, and grades are taken from the rounded total,
    so with ``places: 1`` a total of 89.95 is 90.0 (优秀) under ``half_up`` and 89.9 (良好)
    under ``down``. With ``places: None`` nothing is rounded: 89.999 stays 良好.
    """

    places: int | None = None
    mode: RoundingMode = "half_up"

    def apply(self, value: Fraction) -> Fraction:
        """``value`` rounded as declared (exactly: the rounding is done on the rational)."""
        if self.places is None:
            return value
        scale = Fraction(10) ** self.places
        scaled = value * scale
        sign = -1 if scaled < 0 else 1
        magnitude = abs(scaled)
        whole = magnitude.numerator // magnitude.denominator
        rest = magnitude - whole
        if self.mode == "down":
            n = whole
        elif self.mode == "half_up":
            n = whole + (1 if rest >= Fraction(1, 2) else 0)
        else:  # half_even
            if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
                n = whole + 1
            else:
                n = whole
        return Fraction(sign * n) / scale


@attrs.frozen
class Band:
    """A grade band (等次): totals at or above ``min`` and below the band above it.

    The last band has ``min = None``: it is the floor and takes every lower total.
    """

    id: str
    title: str
    min: Decimal | None


DEFAULT_BANDS: tuple[Band, ...] = (
    Band("excellent", "优秀", Decimal(90)),
    Band("good", "良好", Decimal(80)),
    Band("pass", "达标", Decimal(70)),
    Band("admonish", "诫勉", None),
)


@attrs.frozen
class Period:
    """A scoring period of an indicator (e.g. a quarter) and its weight in percent."""

    id: str
    weight: Decimal


@attrs.frozen
class RaterGroup:
    """A group of raters of a leaf indicator; their inputs are averaged, then weighted."""

    id: str
    title: str
    weight: Decimal


@attrs.frozen
class Indicator:
    """A node of the indicator tree (指标).

    Attributes:
        id: unique in the whole scheme; scores name leaves by it.
        title: the indicator's name.
        weight: percent of the parent (``percent`` model), else ``None``.
        points: points of the node (``points`` model), else ``None``.
        periods: the subtree is scored once per period and the periods weighted.
        raters: (leaves only) rater groups whose averages are weighted.
        scorers: role ids allowed to record scores for it (inherited; default ``office``).
        children: sub-indicators; a node without children is a leaf that takes scores.
        path: where it is written in the scheme file.
    """

    id: str
    title: str
    weight: Decimal | None = None
    points: Decimal | None = None
    periods: tuple[Period, ...] = ()
    raters: tuple[RaterGroup, ...] = ()
    scorers: tuple[str, ...] = ("office",)
    children: tuple[Indicator, ...] = ()
    description: str = ""
    path: str = ""

    @property
    def is_leaf(self) -> bool:
        """True when the indicator takes scores directly (no sub-indicators)."""
        return not self.children

    def walk(self) -> Iterator[Indicator]:
        """This node and every node below it, depth first, in file order."""
        yield self
        for child in self.children:
            yield from child.walk()


@attrs.frozen
class DeductionItem:
    """A deduction item (倒扣分项目)."""

    id: str
    title: str


@attrs.frozen
class Deductions:
    """Deductions: ``total = base − min(Σ deductions, cap)``; ``cap = None`` means no cap."""

    cap: Decimal | None = None
    items: tuple[DeductionItem, ...] = ()


@attrs.frozen
class Downgrade:
    """What a violation does to a grade.

    Each rule is ``one_band`` (one band down, the last band is the floor), ``last_band``,
    ``none``, or a band id (the grade becomes that band unless it is already lower).
    ``unit_violation`` applies to a unit's ``violation`` and ``accident`` cases, once however
    many there are; ``person_violation`` to a person's ``violation`` cases.
    """

    unit_violation: str = "one_band"
    person_violation: str = "last_band"


@attrs.frozen
class Veto:
    """A one-vote veto item (一票否决): a ``veto`` case naming it caps the grade at ``grade``."""

    id: str
    title: str
    grade: str


@attrs.frozen
class Quota:
    """A quota (名额): at most ``share`` percent of the graded units, or a fixed ``count``
    (双评: 4 最佳**厅 and 14 **明星), from the ``among`` bands.

    Attributes:
        name: its key under ``quota:`` (``advanced`` for 先进).
        share: the percentage, e.g. ``Decimal(30)`` for ``30%``; ``None`` with ``count``.
        among: band ids the chosen units must hold.
        rounding: how ``share × graded`` becomes a count (``down`` by default: a cap).
        ties: at the cut: ``exclude`` the tied units (never exceed; default), ``include``
            them all (may exceed), or break by ``id``.
        count: a fixed number of places instead of a share.
        exclude: names of input predicates (``open_case``) or rule actions
            (``award_ineligibility``) that make a unit ineligible.
    """

    name: str
    share: Decimal | None
    among: tuple[str, ...]
    rounding: QuotaRounding = "down"
    ties: TieRule = "exclude"
    count: int | None = None
    exclude: tuple[str, ...] = ()


@attrs.frozen
class LadderStep:
    """What the n-th occurrence in the bottom ranks triggers, and against whom."""

    id: str
    title: str
    target: str


DEFAULT_LADDER: tuple[LadderStep, ...] = (
    LadderStep("circulated_criticism", "通报批评", "unit"),
    LadderStep("admonition_talk", "诫勉谈话", "principal_leader"),
    LadderStep("team_reshuffle", "班子调整", "leadership_team"),
)
_KNOWN_STEPS = {s.id: s for s in DEFAULT_LADDER}


@attrs.frozen
class Ranking:
    """Ranking publicity and the repeat ladder for the bottom ranks (后五位).

    Attributes:
        top: how many top-ranked units are praised publicly (前8位).
        bottom: how many bottom-ranked units count as an occurrence on the ladder (后五位).
        exposed: how many bottom-ranked units are exposed publicly (后8位).
        ladder: the action of the 1st, 2nd, 3rd … occurrence.
        window: over which rounds occurrences are counted: the whole ``campaign``, each
            ``year``, or ``consecutive`` rounds only (a round outside the bottom resets).
        beyond: after the ladder's last step: ``repeat_last`` or ``stop``.
        ties: at the cut of a top or bottom list: ``include`` tied units (default),
            ``exclude`` them, or break by ``id``.
    """

    top: int = 8
    bottom: int = 5
    exposed: int = 8
    ladder: tuple[LadderStep, ...] = DEFAULT_LADDER
    window: Window = "campaign"
    beyond: Beyond = "repeat_last"
    ties: TieRule = "include"


@attrs.frozen
class Consequences:
    """What a grade of ``band`` (诫勉) brings: a written report (书面情况报告) to
    ``report_to`` within ``report_within`` (working) days, and an admonition talk by
    ``talk_by``; a unit also becomes a key rectification unit and its members lose their
    award eligibility (评优资格).
    """

    band: str
    report_within: int = 10
    report_unit: Literal["days", "working_days"] = "working_days"
    report_to: str = "局长办公会议"
    talk_by: str = "局领导"


@functools.lru_cache(maxsize=64)
def package_rules(c: Consequences) -> tuple[Rule, ...]:
    """The ``consequences:`` package as its two rules (cached: it is read for every card)."""
    source = "001 L94, L115, L116 (catalogue §3.1 E, §4.5)"
    return (
        Rule(
            "consequences",
            "被确定为“诫勉”的处室、单位和个人。要向局长办公会议提交书面情况报告,并由局领导对其进行诫勉谈话",
            Condition(bands=(c.band,)),
            (
                Action(
                    "written_report",
                    "书面情况报告",
                    "subject",
                    to=c.report_to,
                    within=c.report_within,
                    within_unit=c.report_unit,
                ),
                Action("admonition_talk", "诫勉谈话", "subject", to=c.talk_by),
            ),
            source,
        ),
        Rule(
            "consequences_unit",
            "诫勉等次的,直接列为重点整改单位;取消所属人员评优资格",
            Condition(bands=(c.band,), subject="units"),
            (
                Action("key_rectification", "重点整改单位", "unit"),
                Action("award_ineligibility", "取消所属人员评优资格", "members"),
            ),
            source,
        ),
    )


@attrs.frozen
class ScoringScheme:
    """A validated scoring scheme.

    Attributes:
        id: the scheme id (``bureau-unit``).
        title: its name.
        model: ``percent`` (weights of siblings sum to 100, scores 0–100) or ``points``
            (points of siblings sum to their parent's, roots to ``total``).
        total: the full score (100 in the percent model).
        subject: ``units`` or ``persons`` (persons take ``person_violation``).
        rounding: how the total is rounded.
        missing: policy for a missing input: ``zero``, ``reweight`` or ``block``.
        bands: grade bands, best first.
        indicators: the roots of the indicator tree.
        deductions: the deduction rule, or ``None``.
        downgrade: the violation rules.
        veto: one-vote veto items.
        quotas: named quotas (``advanced``).
        ranking: ranking rules, or ``None``.
        consequences: what the lowest grade brings, or ``None`` (sugar for a rule set: see
            :meth:`consequence_rules`).
        surveys: the surveys (测评, 群众评议) whose results the scheme reads.
        rules: declared consequence rules (condition → actions).
        file, text, sha256: where it came from and its exact text.
    """

    id: str
    title: str
    model: Model
    total: Decimal
    subject: Literal["units", "persons"]
    rounding: Rounding
    missing: MissingPolicy
    bands: tuple[Band, ...]
    indicators: tuple[Indicator, ...]
    deductions: Deductions | None = None
    downgrade: Downgrade = Downgrade()
    veto: tuple[Veto, ...] = ()
    quotas: tuple[Quota, ...] = ()
    ranking: Ranking | None = None
    consequences: Consequences | None = None
    surveys: tuple[Survey, ...] = ()
    rules: tuple[Rule, ...] = ()
    description: str = ""
    source: str = ""
    file: str = "<string>"
    text: str = attrs.field(default="", repr=False)
    sha256: str = ""
    _flat: tuple[Indicator, ...] = attrs.field(init=False, repr=False, eq=False)
    _by_id: dict[str, Indicator] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:  # the tree never changes: index it once
        flat = tuple(node for root in self.indicators for node in root.walk())
        object.__setattr__(self, "_flat", flat)
        object.__setattr__(self, "_by_id", {n.id: n for n in reversed(flat)})

    @property
    def band_ids(self) -> tuple[str, ...]:
        """Band ids, best first."""
        return tuple(b.id for b in self.bands)

    def band(self, band_id: str) -> Band:
        """The band with that id (KeyError if none)."""
        for b in self.bands:
            if b.id == band_id:
                return b
        raise KeyError(band_id)

    def band_index(self, band_id: str) -> int:
        """Position of a band, 0 = best (KeyError if none)."""
        ids = self.band_ids
        if band_id not in ids:
            raise KeyError(band_id)
        return ids.index(band_id)

    def band_for(self, total: Decimal | Fraction | int) -> Band:
        """The band a total falls in, compared exactly (90 → 优秀, 89.999 → 良好)."""
        if isinstance(total, float):  # pragma: no cover - guarded by typing too
            raise ScoringError("a total must be a Decimal, not a float")
        value = Fraction(total)
        for b in self.bands:
            if b.min is None or value >= Fraction(b.min):
                return b
        return self.bands[-1]  # pragma: no cover - the last band has no min

    def indicators_flat(self) -> tuple[Indicator, ...]:
        """Every indicator, depth first, in file order."""
        return self._flat

    def indicator(self, indicator_id: str) -> Indicator:
        """The indicator with that id (KeyError if none)."""
        return self._by_id[indicator_id]

    def leaves(self) -> tuple[Indicator, ...]:
        """The indicators that take scores, in file order."""
        return tuple(n for n in self.indicators_flat() if n.is_leaf)

    def scale(self, indicator: Indicator) -> Decimal:
        """The full score of an indicator on its own scale: 100, or its points."""
        if self.model == "percent":
            return _HUNDRED
        assert indicator.points is not None
        return indicator.points

    def quota(self, name: str = "advanced") -> Quota:
        """The named quota (KeyError if none)."""
        for q in self.quotas:
            if q.name == name:
                return q
        raise KeyError(name)

    def survey(self, survey_id: str) -> Survey:
        """The survey with that id (KeyError if none)."""
        for sv in self.surveys:
            if sv.id == survey_id:
                return sv
        raise KeyError(survey_id)

    def consequence_rules(self) -> tuple[Rule, ...]:
        """Every consequence rule: the ``consequences:`` package (001-E 诫勉) as rules,
        then the declared ``rules:``.

        The package is two rules on the declared band (诫勉): for units and persons, a
        written report (书面情况报告) and an admonition talk (诫勉谈话); for units only, a
        key rectification unit (重点整改单位) and the loss of the members' 评优资格.
        """
        if self.consequences is None:
            return self.rules
        return package_rules(self.consequences) + self.rules

    def veto_item(self, veto_id: str) -> Veto:
        """The veto item with that id (KeyError if none)."""
        for v in self.veto:
            if v.id == veto_id:
                return v
        raise KeyError(veto_id)


# -- finding and loading --------------------------------------------------------------------


def scoring_dir() -> Path:
    """The folder of bundled scoring schemes (``templates/scoring``)."""
    return bundled_dir() / "scoring"


def bundled_schemes() -> list[str]:
    """Ids of the bundled scoring schemes."""
    folder = scoring_dir()
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def find_scheme(source: str | Path) -> Path:
    """The file of a scoring scheme given by bundled id or by path.

    Raises:
        TemplateNotFound: no such id or file; the message lists the bundled ids.
    """
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if path.is_file():
            return path
        raise TemplateNotFound(f"scoring scheme file {str(source)!r} does not exist")
    candidate = scoring_dir() / f"{source}.yaml"
    if candidate.is_file():
        return candidate
    known = ", ".join(bundled_schemes()) or "none"
    raise TemplateNotFound(f"no scoring scheme {str(source)!r}; known: {known}")


def load_scheme(source: str | Path) -> ScoringScheme:
    """Load and validate a scoring scheme by bundled id (``bureau-unit``) or file path.

    Raises:
        TemplateNotFound: no such id or file.
        TemplateError: every problem in the file, each with file, line and path.
    """
    path = find_scheme(source)
    return _Builder(read_yaml_file(path)).build()


def load_scheme_text(text: str, *, file: str = "<string>") -> ScoringScheme:
    """Load and validate a scoring scheme from YAML text.

    Raises:
        TemplateError: every problem in the text, each with file, line and path.
    """
    return _Builder(read_yaml(text, file)).build()


def extra_rules(
    scheme: ScoringScheme, raw: Any, doc: Document, path: str
) -> tuple[tuple[Rule, ...], list[Problem]]:
    """Consequence rules declared outside a scheme (a campaign template's ``rules:``),
    written as a scheme's ``rules:`` and read against its bands and surveys: the rules,
    and the problems located at ``path`` of ``doc`` (an id the scheme already has is
    one)."""
    builder = _Builder(doc)
    taken = frozenset(r.id for r in scheme.rules)
    rules = builder.rules(raw, scheme.band_ids, scheme.surveys, scheme.quotas, base=path,
                          taken=taken)  # fmt: skip
    return rules, builder.problems


# -- reading numbers from their text --------------------------------------------------------

#: Most significant digits an accepted number may have.
MAX_DECIMAL_DIGITS = 40
#: Accepted numbers lie between 10**-MAX_DECIMAL_SCALE (the smallest step) and
#: 10**MAX_DECIMAL_MAGNITUDE; zero is always accepted.
MAX_DECIMAL_SCALE = 28
MAX_DECIMAL_MAGNITUDE = 15
_MAX_NUMBER_TEXT = 64


def parse_decimal(value: object, *, what: str = "a number") -> Decimal:
    """Read a score, points or a scheme number as an exact, bounded :class:`Decimal`.

    Accepts a ``Decimal``, an ``int`` or a string (``"88.5"``, ``"1e2"``, ``" 90 "``);
    refuses floats (their binary value is not the decimal written), booleans, NaN and
    infinities, and any number with more than ``MAX_DECIMAL_DIGITS`` significant digits,
    finer than ``10**-MAX_DECIMAL_SCALE`` or larger than ``10**MAX_DECIMAL_MAGNITUDE``:
    such numbers (``1e-999999``) would make exact arithmetic on them arbitrarily slow.
    The check looks only at the number's digits and exponent, so it is fast for any input.

    >>> parse_decimal("88.50", what="score")
    Decimal('88.50')
    >>> parse_decimal("1e-999999", what="score")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zyw_flow._errors.ScoringError: score 1E-999999 is finer than 1e-28; ...

    Args:
        value: the number.
        what: what it is, for the message (``score``, ``points``, ``weight`` …).

    Raises:
        ScoringError: not a number, or beyond the bounds.
    """
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, str)):
        kind = "a float" if isinstance(value, float) else f"a {type(value).__name__}"
        raise ScoringError(
            f"{what} must be a Decimal, an int or a string such as '88.5', not {kind}"
        )
    if isinstance(value, str):
        text = value.strip()
        if len(text) > _MAX_NUMBER_TEXT:
            raise ScoringError(f"{what} is {len(text)} characters long; not a plausible number")
        try:
            number = Decimal(text.replace("_", ""))
        except InvalidOperation:
            raise ScoringError(f"{what} must be a number, not {value!r}") from None
    elif isinstance(value, int):
        if value.bit_length() > 4 * MAX_DECIMAL_DIGITS:
            raise ScoringError(f"{what} has more than {MAX_DECIMAL_DIGITS} digits")
        number = Decimal(value)
    else:
        number = value
    if not number.is_finite():
        raise ScoringError(f"{what} must be a finite number, not {number}")
    if number.is_zero():
        return Decimal(0) if number.adjusted() < -MAX_DECIMAL_SCALE else number
    # adjusted() is the exponent of the leading digit: O(1) however the number is written.
    if number.adjusted() < -MAX_DECIMAL_SCALE:
        raise ScoringError(
            f"{what} {_short(number)} is finer than 1e-{MAX_DECIMAL_SCALE}; "
            f"give at most {MAX_DECIMAL_SCALE} decimal places"
        )
    if number.adjusted() >= MAX_DECIMAL_MAGNITUDE:
        raise ScoringError(f"{what} {_short(number)} is larger than 1e{MAX_DECIMAL_MAGNITUDE}")
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if len(digits) > MAX_DECIMAL_DIGITS or exponent < -MAX_DECIMAL_SCALE:
        # Trailing zeros do not count: 88.500000000000000 is 88.5.
        number = number.normalize()
        _, digits, exponent = number.as_tuple()
        assert isinstance(exponent, int)
        if len(digits) > MAX_DECIMAL_DIGITS or exponent < -MAX_DECIMAL_SCALE:
            raise ScoringError(
                f"{what} {_short(number)} has too many digits (at most "
                f"{MAX_DECIMAL_DIGITS} significant digits and {MAX_DECIMAL_SCALE} decimal places)"
            )
    return number


def _short(number: Decimal) -> str:
    text = str(number)
    return text if len(text) <= 24 else text[:20] + "…"


_INT = "tag:yaml.org,2002:int"
_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
yaml.constructor.SafeConstructor.__init__(_constructor)


def _decimal_of(tag: str, raw: str, what: str) -> Decimal:
    """The exact Decimal of a YAML int or float scalar's source text (bounded)."""
    text = raw.replace("_", "")
    if tag == _INT and len(text) <= _MAX_NUMBER_TEXT:
        try:
            Decimal(text)
        except InvalidOperation:  # 0x1f, 0o17, 0b101, 1:30 (sexagesimal)
            node = yaml.ScalarNode(_INT, raw)
            return parse_decimal(cast(int, _constructor.construct_object(node)), what=what)
    if text.lower().lstrip("+-") in (".inf", ".nan"):
        value = _constructor.construct_object(yaml.ScalarNode(tag, raw))
        raise ScoringError(f"{what} must be a finite number, not {value}")
    return parse_decimal(text, what=what)


# -- the builder ----------------------------------------------------------------------------

_TOP_KEYS = (
    "kind",
    "id",
    "title",
    "description",
    "source",
    "subject",
    "model",
    "total",
    "rounding",
    "missing",
    "bands",
    "indicators",
    "deductions",
    "downgrade",
    "veto",
    "quota",
    "ranking",
    "consequences",
    "surveys",
    "rules",
)
_INDICATOR_KEYS = (
    "id",
    "title",
    "description",
    "weight",
    "points",
    "periods",
    "raters",
    "scorers",
    "children",
)


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.problems: list[Problem] = []
        self.numbers = doc.numbers
        self.indicator_paths: dict[str, str] = {}

    # -- helpers ----------------------------------------------------------------------------
    def problem(self, path: str, message: str) -> None:
        self.problems.append(self.doc.problem(path, message))

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...], what: str) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"{what} must be a mapping, not {_kind(value)}")
            return {}
        for key in value:
            if key not in allowed:
                self.problem(join(path, key), unknown_field_message(key, allowed))
        return value

    def text(self, value: Any, path: str, *, required: bool = False, what: str = "") -> str:
        if value is None:
            if required:
                self.problem(path, f"missing {what or path.rsplit('.', 1)[-1]!s}")
            return ""
        if isinstance(value, (dict, list, bool)):
            self.problem(path, f"expected text, not {_kind(value)}")
            return ""
        text = str(value)
        if required and not text.strip():
            self.problem(path, f"{what or 'value'} must not be empty")
        return text

    def ident(self, value: Any, path: str, what: str) -> str | None:
        if value is None:
            self.problem(path, f"missing {what} id")
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
            self.problem(path, f"a {what} id must be non-empty text, not {value!r}")
            return None
        text = str(value)
        if any(ch.isspace() for ch in text):
            self.problem(path, f"a {what} id must not contain spaces: {text!r}")
            return None
        return text

    def number(self, value: Any, path: str, what: str) -> Decimal | None:
        try:
            if path in self.numbers:
                return _decimal_of(*self.numbers[path], what=what)
            if isinstance(value, str):
                return parse_decimal(value, what=what)
        except ScoringError as exc:
            self.problem(path, str(exc))
            return None
        self.problem(path, f"{what} must be a number, not {value!r}")
        return None

    def positive(self, value: Any, path: str, what: str) -> Decimal | None:
        parsed = self.number(value, path, what)
        if parsed is not None and parsed <= 0:
            self.problem(path, f"{what} must be greater than 0, not {_fmt(parsed)}")
            return None
        return parsed

    def count(self, value: Any, path: str, what: str, default: int) -> int:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.problem(path, f"{what} must be a whole number ≥ 0, not {value!r}")
            return default
        return value

    def choice(self, value: Any, path: str, options: tuple[str, ...], default: str) -> str:
        if value is None:
            return default
        if value not in options:
            self.problem(path, f"unknown value {value!r}; expected one of: {', '.join(options)}")
            return default
        return str(value)

    def sums_to(self, values: list[Decimal | None], target: Decimal, path: str, what: str) -> None:
        if any(v is None for v in values) or not values:
            return
        total = sum((v for v in values if v is not None), Decimal(0))
        if total != target:
            self.problem(path, f"{what} sum to {_fmt(total)}, not {_fmt(target)}")

    # -- sections ---------------------------------------------------------------------------
    def build(self) -> ScoringScheme:
        data = self.doc.data
        if not isinstance(data, dict):
            raise TemplateError([self.doc.problem("", "a scoring scheme must be a mapping")])
        self.mapping(data, "", _TOP_KEYS, "a scoring scheme")
        kind = data.get("kind")
        if kind != "scoring":
            self.problem(
                "kind",
                "a scoring scheme needs `kind: scoring`"
                + ("" if kind is None else f", not {kind!r}"),
            )
        scheme_id = self.ident(data.get("id"), "id", "scheme") or ""
        title = self.text(data.get("title"), "title", required=True, what="title")
        model = cast(Model, self.choice(data.get("model"), "model", _MODELS, "percent"))
        total = _HUNDRED
        if "total" in data:
            if model == "percent":
                self.problem("total", "`total` is for the points model; percent totals are 100")
            else:
                total = self.positive(data["total"], "total", "total") or _HUNDRED
        subject = self.choice(data.get("subject"), "subject", ("units", "persons"), "units")
        rounding = self.rounding(data.get("rounding"))
        missing = cast(
            MissingPolicy, self.choice(data.get("missing"), "missing", _MISSING, "block")
        )
        bands = self.bands(data.get("bands"))
        band_ids = tuple(b.id for b in bands)
        indicators = self.indicators(data.get("indicators"), model, total)
        deductions = self.deductions(data["deductions"]) if "deductions" in data else None
        downgrade = self.downgrade(data.get("downgrade"), band_ids)
        veto = self.vetoes(data.get("veto"), band_ids)
        quotas = self.quotas(data.get("quota"), band_ids)
        ranking = self.ranking(data["ranking"]) if "ranking" in data else None
        consequences = (
            self.consequences(data["consequences"], band_ids) if "consequences" in data else None
        )
        leaves = {n.id: n for root in indicators for n in root.walk() if n.is_leaf}
        surveys = self.surveys(data.get("surveys"), leaves)
        rules = self.rules(data.get("rules"), band_ids, surveys, quotas)
        if self.problems:
            raise TemplateError(sorted(self.problems, key=lambda p: (p.line is None, p.line or 0)))
        return ScoringScheme(
            id=scheme_id,
            title=title,
            model=model,
            total=total,
            subject=cast(Literal["units", "persons"], subject),
            rounding=rounding,
            missing=missing,
            bands=bands,
            indicators=indicators,
            deductions=deductions,
            downgrade=downgrade,
            veto=veto,
            quotas=quotas,
            ranking=ranking,
            consequences=consequences,
            surveys=surveys,
            rules=rules,
            description=self.text(data.get("description"), "description"),
            source=self.text(data.get("source"), "source"),
            file=self.doc.file,
            text=self.doc.text,
            sha256=hashlib.sha256(self.doc.text.encode("utf-8")).hexdigest(),
        )

    def rounding(self, raw: Any) -> Rounding:
        spec = self.mapping(raw, "rounding", ("places", "mode"), "`rounding`")
        places = spec.get("places")
        if places is not None and (
            isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 10
        ):
            self.problem(
                "rounding.places",
                f"places must be a whole number from 0 to 10, or null (exact), not {places!r}",
            )
            places = None
        mode = self.choice(spec.get("mode"), "rounding.mode", _ROUNDING_MODES, "half_up")
        return Rounding(places, cast(RoundingMode, mode))

    def bands(self, raw: Any) -> tuple[Band, ...]:
        if raw is None:
            return DEFAULT_BANDS
        if not isinstance(raw, list) or not raw:
            self.problem("bands", "`bands` must be a non-empty list of {id, title, min}")
            return DEFAULT_BANDS
        out: list[Band] = []
        seen: dict[str, str] = {}
        previous: Decimal | None = None
        for i, item in enumerate(raw):
            path = join("bands", i)
            spec = self.mapping(item, path, ("id", "title", "min"), "a band")
            if not isinstance(item, dict):
                continue
            band_id = self.ident(spec.get("id"), join(path, "id") if "id" in spec else path, "band")
            title = self.text(spec.get("title"), join(path, "title"), required=True, what="title")
            last = i == len(raw) - 1
            minimum: Decimal | None = None
            if spec.get("min") is not None:
                minimum = self.number(spec["min"], join(path, "min"), "a band's min")
                if last and minimum is not None:
                    self.problem(
                        join(path, "min"),
                        "the last band is the floor and takes every lower total; remove its min",
                    )
                    minimum = None
                elif minimum is not None and previous is not None and minimum >= previous:
                    self.problem(
                        join(path, "min"),
                        f"bands must be in descending order of min: {_fmt(minimum)} is not "
                        f"below the previous band's {_fmt(previous)}",
                    )
                if minimum is not None:
                    previous = minimum
            elif not last:
                self.problem(path, "every band but the last needs a `min`")
            if band_id is not None:
                if band_id in seen:
                    self.problem(
                        join(path, "id"), f"duplicate band id {band_id!r} (also at {seen[band_id]})"
                    )
                else:
                    seen[band_id] = path
                out.append(Band(band_id, title, minimum))
        return tuple(out) if out else DEFAULT_BANDS

    def indicators(self, raw: Any, model: Model, total: Decimal) -> tuple[Indicator, ...]:
        if raw is None:
            self.problem("", "missing `indicators` (a list of {id, title, weight|points})")
            return ()
        if not isinstance(raw, list) or not raw:
            self.problem("indicators", "`indicators` must be a non-empty list")
            return ()
        nodes = [
            self.indicator(item, join("indicators", i), model, ("office",), None)
            for i, item in enumerate(raw)
        ]
        self.check_siblings(nodes, "indicators", model, total, "the root indicators")
        return tuple(n for n in nodes if n is not None)

    def check_siblings(
        self,
        nodes: list[Indicator | None],
        path: str,
        model: Model,
        parent_points: Decimal | None,
        what: str,
    ) -> None:
        if any(n is None for n in nodes):
            return
        real = [n for n in nodes if n is not None]
        if model == "percent":
            self.sums_to([n.weight for n in real], _HUNDRED, path, f"the weights of {what}")
        elif parent_points is not None:
            self.sums_to(
                [n.points for n in real],
                parent_points,
                path,
                f"the points of {what}" + ("" if "root" in what else " (the parent's points)"),
            )

    def indicator(
        self,
        raw: Any,
        path: str,
        model: Model,
        inherited_scorers: tuple[str, ...],
        periods_owner: str | None,
    ) -> Indicator | None:
        if not isinstance(raw, dict):
            self.problem(path, f"an indicator must be a mapping, not {_kind(raw)}")
            return None
        spec = self.mapping(raw, path, _INDICATOR_KEYS, "an indicator")
        ok = True
        node_id = self.ident(
            spec.get("id"), join(path, "id") if "id" in spec else path, "indicator"
        )
        if node_id is None:
            ok = False
        elif node_id in self.indicator_paths:
            self.problem(
                join(path, "id"),
                f"duplicate indicator id {node_id!r} (also at {self.indicator_paths[node_id]})",
            )
        else:
            self.indicator_paths[node_id] = path
        title = self.text(spec.get("title"), join(path, "title"), required=True, what="title")
        weight = points = None
        if model == "percent":
            if "points" in spec:
                self.problem(join(path, "points"), "the percent model uses `weight`, not `points`")
            if "weight" not in spec:
                self.problem(path, "missing `weight` (percent of the parent)")
                ok = False
            else:
                weight = self.positive(spec["weight"], join(path, "weight"), "a weight")
                ok = ok and weight is not None
                if weight is not None and weight > _HUNDRED:
                    self.problem(join(path, "weight"), f"a weight cannot exceed 100: {weight}")
        else:
            if "weight" in spec:
                self.problem(join(path, "weight"), "the points model uses `points`, not `weight`")
            if "points" not in spec:
                self.problem(path, "missing `points`")
                ok = False
            else:
                points = self.positive(spec["points"], join(path, "points"), "points")
                ok = ok and points is not None
        periods: tuple[Period, ...] = ()
        if spec.get("periods") is not None:
            if periods_owner is not None:
                self.problem(
                    join(path, "periods"),
                    f"periods are already declared on {periods_owner!r} above; "
                    "periods cannot be nested",
                )
            else:
                periods = self.periods(spec["periods"], join(path, "periods"))
                if node_id is not None and periods:
                    periods_owner = node_id
        scorers = inherited_scorers
        if "scorers" in spec:
            scorers = self.scorers(spec["scorers"], join(path, "scorers")) or inherited_scorers
        children_raw = spec.get("children")
        children: list[Indicator | None] = []
        if children_raw is not None:
            if not isinstance(children_raw, list) or not children_raw:
                self.problem(
                    join(path, "children"), "`children` must be a non-empty list of indicators"
                )
            else:
                children = [
                    self.indicator(
                        item, join(join(path, "children"), i), model, scorers, periods_owner
                    )
                    for i, item in enumerate(children_raw)
                ]
                self.check_siblings(
                    children,
                    join(path, "children"),
                    model,
                    points,
                    f"the children of {node_id!r}" if node_id else "the children",
                )
        raters: tuple[RaterGroup, ...] = ()
        if spec.get("raters") is not None:
            if children_raw is not None:
                self.problem(
                    join(path, "raters"),
                    "only a leaf indicator (no children) can have raters",
                )
            raters = self.raters(spec["raters"], join(path, "raters"))
        if not ok or node_id is None:
            return None
        return Indicator(
            id=node_id,
            title=title,
            weight=weight,
            points=points,
            periods=periods,
            raters=raters,
            scorers=scorers,
            children=tuple(c for c in children if c is not None),
            description=self.text(spec.get("description"), join(path, "description")),
            path=path,
        )

    def periods(self, raw: Any, path: str) -> tuple[Period, ...]:
        if not isinstance(raw, dict) or not raw:
            self.problem(path, "`periods` must be a mapping of period id → weight, e.g. {Q1: 25}")
            return ()
        out: list[Period] = []
        weights: list[Decimal | None] = []
        for key, value in raw.items():
            pid = self.ident(key, join(path, key), "period")
            weight = self.positive(value, join(path, key), "a period weight")
            weights.append(weight)
            if pid is not None and weight is not None:
                out.append(Period(pid, weight))
        self.sums_to(weights, _HUNDRED, path, "the period weights")
        return tuple(out)

    def raters(self, raw: Any, path: str) -> tuple[RaterGroup, ...]:
        if not isinstance(raw, dict) or not raw:
            self.problem(path, "`raters` must be a mapping of group id → {title, weight}")
            return ()
        out: list[RaterGroup] = []
        weights: list[Decimal | None] = []
        for key, value in raw.items():
            gpath = join(path, key)
            gid = self.ident(key, gpath, "rater group")
            spec = self.mapping(value, gpath, ("title", "weight"), "a rater group")
            if not isinstance(value, dict):
                weights.append(None)
                continue
            title = self.text(spec.get("title"), join(gpath, "title"), required=True, what="title")
            if "weight" not in spec:
                self.problem(gpath, "missing `weight`")
                weights.append(None)
                continue
            weight = self.positive(spec["weight"], join(gpath, "weight"), "a rater weight")
            weights.append(weight)
            if gid is not None and weight is not None:
                out.append(RaterGroup(gid, title, weight))
        self.sums_to(weights, _HUNDRED, path, "the rater group weights")
        return tuple(out)

    def scorers(self, raw: Any, path: str) -> tuple[str, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(path, "`scorers` must be a non-empty list of role ids")
            return ()
        out: list[str] = []
        for i, role in enumerate(raw):
            rid = self.ident(role, join(path, i), "role")
            if rid is None:
                continue
            if rid in out:
                self.problem(join(path, i), f"role {rid!r} is listed twice")
            else:
                out.append(rid)
        return tuple(out)

    def deductions(self, raw: Any) -> Deductions:
        spec = self.mapping(raw, "deductions", ("cap", "items"), "`deductions`")
        cap: Decimal | None = None
        if spec.get("cap") is not None:
            cap = self.number(spec["cap"], "deductions.cap", "the deduction cap")
            if cap is not None and cap < 0:
                self.problem("deductions.cap", f"the deduction cap cannot be negative: {cap}")
                cap = None
        items: list[DeductionItem] = []
        seen: set[str] = set()
        raw_items = spec.get("items")
        if raw_items is not None and not isinstance(raw_items, list):
            self.problem("deductions.items", "`items` must be a list of {id, title}")
            raw_items = None
        for i, item in enumerate(raw_items or []):
            path = join("deductions.items", i)
            ispec = self.mapping(item, path, ("id", "title"), "a deduction item")
            if not isinstance(item, dict):
                continue
            iid = self.ident(ispec.get("id"), join(path, "id"), "deduction item")
            title = self.text(ispec.get("title"), join(path, "title"), required=True, what="title")
            if iid is None:
                continue
            if iid in seen:
                self.problem(join(path, "id"), f"duplicate deduction item {iid!r}")
                continue
            seen.add(iid)
            items.append(DeductionItem(iid, title))
        return Deductions(cap, tuple(items))

    def rule(self, value: Any, path: str, band_ids: tuple[str, ...], default: str) -> str:
        if value is None:
            return default
        if value in _RULE_WORDS or value in band_ids:
            return str(value)
        self.problem(
            path,
            f"unknown downgrade rule {value!r}; expected one of: {', '.join(_RULE_WORDS)}, "
            f"or a band id ({', '.join(dict.fromkeys(band_ids))})",
        )
        return default

    def downgrade(self, raw: Any, band_ids: tuple[str, ...]) -> Downgrade:
        spec = self.mapping(raw, "downgrade", ("unit_violation", "person_violation"), "`downgrade`")
        return Downgrade(
            self.rule(spec.get("unit_violation"), "downgrade.unit_violation", band_ids, "one_band"),
            self.rule(
                spec.get("person_violation"), "downgrade.person_violation", band_ids, "last_band"
            ),
        )

    def band_ref(self, value: Any, path: str, band_ids: tuple[str, ...]) -> str | None:
        if value not in band_ids:
            known = ", ".join(dict.fromkeys(band_ids))
            self.problem(path, f"unknown band {value!r}; bands: {known}")
            return None
        return str(value)

    def vetoes(self, raw: Any, band_ids: tuple[str, ...]) -> tuple[Veto, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem("veto", "`veto` must be a list of {id, title, grade}")
            return ()
        out: list[Veto] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            path = join("veto", i)
            spec = self.mapping(item, path, ("id", "title", "grade"), "a veto item")
            if not isinstance(item, dict):
                continue
            vid = self.ident(spec.get("id"), join(path, "id"), "veto item")
            title = self.text(spec.get("title"), join(path, "title"), required=True, what="title")
            grade = band_ids[-1] if "grade" not in spec else None
            if "grade" in spec:
                grade = self.band_ref(spec["grade"], join(path, "grade"), band_ids)
            if vid is None or grade is None:
                continue
            if vid in seen:
                self.problem(join(path, "id"), f"duplicate veto item {vid!r}")
                continue
            seen.add(vid)
            out.append(Veto(vid, title, grade))
        return tuple(out)

    def quotas(self, raw: Any, band_ids: tuple[str, ...]) -> tuple[Quota, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.problem("quota", "`quota` must be a mapping of quota name → {share, among …}")
            return ()
        out: list[Quota] = []
        for name, value in raw.items():
            path = join("quota", name)
            keys = ("share", "count", "among", "rounding", "ties", "exclude")
            spec = self.mapping(value, path, keys, "a quota")
            if not isinstance(value, dict):
                continue
            count: int | None = None
            share: Decimal | None = None
            if "count" in spec:
                if "share" in spec:
                    self.problem(path, "a quota takes `share` (a percentage) or `count`, not both")
                raw_count = spec["count"]
                if isinstance(raw_count, bool) or not isinstance(raw_count, int) or raw_count < 1:
                    self.problem(
                        join(path, "count"), f"count must be a whole number ≥ 1, not {raw_count!r}"
                    )
                else:
                    count = raw_count
            else:
                share = self.share(spec.get("share"), join(path, "share"))
            exclude: list[str] = []
            raw_exclude = spec.get("exclude", [])
            if not isinstance(raw_exclude, list):
                self.problem(join(path, "exclude"), "`exclude` must be a list of predicate names")
            else:
                for i, predicate in enumerate(raw_exclude):
                    pid = self.ident(predicate, join(join(path, "exclude"), i), "predicate")
                    if pid is not None:
                        exclude.append(pid)
            among: list[str] = []
            raw_among = spec.get("among", [band_ids[0]])
            if not isinstance(raw_among, list) or not raw_among:
                self.problem(join(path, "among"), "`among` must be a non-empty list of band ids")
            else:
                for i, b in enumerate(raw_among):
                    ref = self.band_ref(b, join(join(path, "among"), i), band_ids)
                    if ref is not None:
                        among.append(ref)
            rounding = self.choice(
                spec.get("rounding"), join(path, "rounding"), _QUOTA_ROUNDING, "down"
            )
            ties = self.choice(spec.get("ties"), join(path, "ties"), _TIES, "exclude")
            if (share is not None or count is not None) and among:
                out.append(
                    Quota(
                        str(name),
                        share,
                        tuple(among),
                        cast(QuotaRounding, rounding),
                        cast(TieRule, ties),
                        count,
                        tuple(exclude),
                    )
                )
        return tuple(out)

    def share(self, value: Any, path: str) -> Decimal | None:
        if value is None:
            self.problem(path.rsplit(".", 1)[0], "missing `share` (a percentage such as 30%)")
            return None
        text = str(value).strip() if isinstance(value, str) else None
        if text is None or not text.endswith("%"):
            self.problem(path, f'a share must be a percentage such as "30%", not {value!r}')
            return None
        try:
            share: Decimal | None = parse_decimal(text[:-1], what="a share")
        except ScoringError:
            share = None
        if share is None or not 0 < share <= _HUNDRED:
            self.problem(path, f"a share must be a percentage above 0% and at most 100%: {value!r}")
            return None
        return share

    def ranking(self, raw: Any) -> Ranking:
        keys = ("top", "bottom", "exposed", "ladder", "window", "beyond", "ties")
        spec = self.mapping(raw, "ranking", keys, "`ranking`")
        top = self.count(spec.get("top"), "ranking.top", "top", 8)
        bottom = self.count(spec.get("bottom"), "ranking.bottom", "bottom", 5)
        exposed = self.count(spec.get("exposed"), "ranking.exposed", "exposed", 8)
        ladder = DEFAULT_LADDER
        if "ladder" in spec:
            ladder = self.ladder(spec["ladder"])
        window = self.choice(spec.get("window"), "ranking.window", _WINDOWS, "campaign")
        beyond = self.choice(spec.get("beyond"), "ranking.beyond", _BEYOND, "repeat_last")
        ties = self.choice(spec.get("ties"), "ranking.ties", _TIES, "include")
        return Ranking(
            top=top,
            bottom=bottom,
            exposed=exposed,
            ladder=ladder,
            window=cast(Window, window),
            beyond=cast(Beyond, beyond),
            ties=cast(TieRule, ties),
        )

    def ladder(self, raw: Any) -> tuple[LadderStep, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem("ranking.ladder", "`ladder` must be a non-empty list of actions")
            return DEFAULT_LADDER
        out: list[LadderStep] = []
        for i, item in enumerate(raw):
            path = join("ranking.ladder", i)
            if isinstance(item, str):
                if item in _KNOWN_STEPS:
                    out.append(_KNOWN_STEPS[item])
                else:
                    self.problem(
                        path,
                        f"unknown action {item!r}; known: {', '.join(_KNOWN_STEPS)} "
                        "(or write {id, title, target})",
                    )
                continue
            spec = self.mapping(item, path, ("id", "title", "target"), "a ladder step")
            if not isinstance(item, dict):
                continue
            sid = self.ident(spec.get("id"), join(path, "id"), "action")
            known = _KNOWN_STEPS.get(sid or "")
            title = self.text(
                spec.get("title", known.title if known else None),
                join(path, "title"),
                required=True,
                what="title",
            )
            target = self.choice(
                spec.get("target", known.target if known else "unit"),
                join(path, "target"),
                _TARGETS,
                "unit",
            )
            if sid is not None:
                out.append(LadderStep(sid, title, target))
        return tuple(out) or DEFAULT_LADDER

    def consequences(self, raw: Any, band_ids: tuple[str, ...]) -> Consequences:
        keys = ("band", "report_within", "report_to", "talk_by")
        spec = self.mapping(raw, "consequences", keys, "`consequences`")
        band = band_ids[-1]
        if "band" in spec:
            band = self.band_ref(spec["band"], "consequences.band", band_ids) or band
        within, unit = 10, "working_days"
        if "report_within" in spec:
            parsed = _duration(spec["report_within"])
            if parsed is None:
                self.problem(
                    "consequences.report_within",
                    f"expected 'N working days' or 'N days' (N个工作日 / N天), "
                    f"not {spec['report_within']!r}",
                )
            else:
                within, unit = parsed
        return Consequences(
            band=band,
            report_within=within,
            report_unit=cast(Literal["days", "working_days"], unit),
            report_to=self.text(spec.get("report_to", "局长办公会议"), "consequences.report_to"),
            talk_by=self.text(spec.get("talk_by", "局领导"), "consequences.talk_by"),
        )

    # -- surveys ----------------------------------------------------------------------------
    def percent(self, value: Any, path: str, what: str) -> Decimal | None:
        """A percentage written ``30%`` (or a bare number), above 0 and at most 100."""
        text = value.strip() if isinstance(value, str) else None
        if text is not None and text.endswith("%"):
            try:
                parsed: Decimal | None = parse_decimal(text[:-1], what=what)
            except ScoringError as exc:
                self.problem(path, str(exc))
                return None
        else:
            parsed = self.number(value, path, what)
        if parsed is None:
            return None
        if not 0 <= parsed <= _HUNDRED:
            self.problem(path, f"{what} must be a percentage from 0% to 100%, not {value!r}")
            return None
        return parsed

    def surveys(self, raw: Any, leaves: dict[str, Indicator]) -> tuple[Survey, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, dict):
            self.problem("surveys", "`surveys` must be a mapping of survey id → {title, scale …}")
            return ()
        out: list[Survey] = []
        fed: dict[str, str] = {}
        for key, value in raw.items():
            path = join("surveys", key)
            sid = self.ident(key, path, "survey")
            keys = ("title", "scale", "raters", "sample", "feeds", "bands", "description", "source")
            spec = self.mapping(value, path, keys, "a survey")
            if not isinstance(value, dict):
                continue
            title = self.text(spec.get("title"), join(path, "title"), required=True, what="title")
            scale = self.survey_scale(spec.get("scale"), join(path, "scale"))
            sample: int | None = None
            if "sample" in spec:
                sample = self.count(spec["sample"], join(path, "sample"), "sample", 0) or None
            groups = self.survey_groups(spec.get("raters"), join(path, "raters"), sample)
            bands = self.survey_bands(spec.get("bands"), join(path, "bands"))
            feeds: str | None = None
            if spec.get("feeds") is not None:
                feeds = str(spec["feeds"])
                fpath = join(path, "feeds")
                leaf = leaves.get(feeds)
                if leaf is None:
                    known = ", ".join(leaves) or "none"
                    self.problem(
                        fpath,
                        f"survey feeds {feeds!r}, which is not a leaf indicator; leaves: {known}",
                    )
                    feeds = None
                elif feeds in fed:
                    self.problem(
                        fpath, f"indicator {feeds!r} is already fed by survey {fed[feeds]!r}"
                    )
                    feeds = None
                else:
                    fed[feeds] = str(key)
                    own = {g.id for g in groups}
                    if leaf.raters and {r.id for r in leaf.raters} != own:
                        self.problem(
                            fpath,
                            f"indicator {feeds!r} has rater groups "
                            f"{', '.join(r.id for r in leaf.raters)}; the survey's groups "
                            f"({', '.join(own) or 'none'}) must be the same to feed them",
                        )
                        feeds = None
            if sid is None or not scale or not groups:
                continue
            out.append(
                Survey(
                    id=sid,
                    title=title,
                    scale=scale,
                    groups=groups,
                    sample=sample,
                    feeds=feeds,
                    bands=bands,
                    source=self.text(spec.get("source"), join(path, "source")),
                    path=path,
                )
            )
        return tuple(out)

    def survey_scale(self, raw: Any, path: str) -> tuple[Category, ...]:
        if not isinstance(raw, list) or len(raw) < 2:
            self.problem(
                path, "`scale` must be a list of at least two {id, title, score}, best first"
            )
            return ()
        out: list[Category] = []
        seen: set[str] = set()
        previous: Decimal | None = None
        for i, item in enumerate(raw):
            ipath = join(path, i)
            spec = self.mapping(item, ipath, ("id", "title", "score"), "a scale category")
            if not isinstance(item, dict):
                continue
            cid = self.ident(spec.get("id"), join(ipath, "id"), "category")
            title = self.text(spec.get("title"), join(ipath, "title"), required=True, what="title")
            if "score" not in spec:
                self.problem(ipath, "missing `score` (0–100)")
                continue
            score = self.number(spec["score"], join(ipath, "score"), "a category score")
            if score is None:
                continue
            if not 0 <= score <= _HUNDRED:
                self.problem(join(ipath, "score"), f"a category score is 0–100, not {_fmt(score)}")
                continue
            if previous is not None and score > previous:
                self.problem(
                    join(ipath, "score"),
                    f"the scale is best first: {_fmt(score)} is above the previous "
                    f"category's {_fmt(previous)}",
                )
            previous = score
            if cid is None:
                continue
            if cid in seen:
                self.problem(join(ipath, "id"), f"duplicate category {cid!r}")
                continue
            seen.add(cid)
            out.append(Category(cid, title, score))
        return tuple(out)

    def survey_groups(self, raw: Any, path: str, sample: int | None) -> tuple[SurveyGroup, ...]:
        if not isinstance(raw, dict) or not raw:
            self.problem(path, "`raters` must be a mapping of group id → {title, weight …}")
            return ()
        out: list[SurveyGroup] = []
        weights: list[Decimal | None] = []
        shares: list[Decimal | None] = []
        samples: list[int] = []
        for key, value in raw.items():
            gpath = join(path, key)
            gid = self.ident(key, gpath, "rater group")
            spec = self.mapping(
                value, gpath, ("title", "weight", "sample", "share"), "a rater group"
            )
            if not isinstance(value, dict):
                continue
            title = self.text(spec.get("title"), join(gpath, "title"), required=True, what="title")
            weight = None
            if "weight" in spec:
                weight = self.positive(spec["weight"], join(gpath, "weight"), "a rater weight")
                if weight is None:
                    weights.append(None)
                    continue
            weights.append(weight)
            gsample: int | None = None
            share: Decimal | None = None
            if "sample" in spec and "share" in spec:
                self.problem(gpath, "a rater group takes `sample` (ballots) or `share`, not both")
            elif "sample" in spec:
                gsample = self.count(spec["sample"], join(gpath, "sample"), "sample", 0) or None
                if gsample is None:
                    self.problem(join(gpath, "sample"), "a group's sample must be at least 1")
                else:
                    samples.append(gsample)
            elif "share" in spec:
                share = self.percent(spec["share"], join(gpath, "share"), "a group's share")
                if share is not None and sample is None:
                    self.problem(
                        join(gpath, "share"),
                        "a group's share is a share of the survey's `sample`; declare it",
                    )
            shares.append(share)
            if gid is not None:
                out.append(SurveyGroup(gid, title, weight, gsample, share))
        given = [w for w in weights if w is not None]
        if given and len(given) != len(weights):
            self.problem(path, "give every rater group a weight, or none (every ballot alike)")
        elif given:
            self.sums_to(weights, _HUNDRED, path, "the rater group weights")
        declared = [x for x in shares if x is not None]
        if declared and len(declared) == len(shares):
            self.sums_to(shares, _HUNDRED, path, "the rater group shares")
        if sample is not None and samples and len(samples) == len(out) and sum(samples) != sample:
            self.problem(
                path, f"the groups' samples sum to {sum(samples)}, not the survey's {sample}"
            )
        return tuple(out)

    def survey_bands(self, raw: Any, path: str) -> tuple[SurveyBand, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list) or not raw:
            self.problem(path, "`bands` must be a non-empty list of {id, title, min}")
            return ()
        out: list[SurveyBand] = []
        previous: Decimal | None = None
        for i, item in enumerate(raw):
            ipath = join(path, i)
            spec = self.mapping(item, ipath, ("id", "title", "min"), "a survey band")
            if not isinstance(item, dict):
                continue
            bid = self.ident(spec.get("id"), join(ipath, "id"), "band")
            title = self.text(spec.get("title"), join(ipath, "title"), required=True, what="title")
            last = i == len(raw) - 1
            minimum = None
            if spec.get("min") is not None:
                minimum = self.number(spec["min"], join(ipath, "min"), "a band's min")
                if last:
                    self.problem(join(ipath, "min"), "the last band is the floor; remove its min")
                    minimum = None
                elif minimum is not None and previous is not None and minimum >= previous:
                    self.problem(join(ipath, "min"), "bands must be in descending order of min")
                if minimum is not None:
                    previous = minimum
            elif not last:
                self.problem(ipath, "every band but the last needs a `min`")
            if bid is not None:
                out.append(SurveyBand(bid, title, minimum))
        return tuple(out)

    # -- consequence rules ------------------------------------------------------------------
    def rules(
        self,
        raw: Any,
        band_ids: tuple[str, ...],
        surveys: tuple[Survey, ...],
        quotas: tuple[Quota, ...],
        *,
        base: str = "rules",
        taken: frozenset[str] = frozenset(),
    ) -> tuple[Rule, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, list):
            self.problem(base, f"`{base}` must be a list of {{id, title, when, then}}")
            return ()
        out: list[Rule] = []
        seen: set[str] = {"consequences", "consequences_unit", *taken}
        for i, item in enumerate(raw):
            path = join(base, i)
            keys = ("id", "title", "when", "then", "description", "source")
            spec = self.mapping(item, path, keys, "a rule")
            if not isinstance(item, dict):
                continue
            rid = self.ident(spec.get("id"), join(path, "id"), "rule")
            title = self.text(spec.get("title"), join(path, "title"), required=True, what="title")
            if "when" not in spec:
                self.problem(path, "missing `when` (the condition)")
            when = self.condition(spec.get("when"), join(path, "when"), band_ids, surveys)
            then = self.actions(spec.get("then"), join(path, "then"))
            if rid is not None and rid in seen:
                self.problem(join(path, "id"), f"duplicate rule id {rid!r}")
                continue
            if rid is not None:
                seen.add(rid)
            if rid is None or when is None or not then:
                continue
            out.append(
                Rule(
                    rid,
                    title,
                    when,
                    then,
                    self.text(spec.get("source"), join(path, "source")),
                    path,
                )
            )
        return tuple(out)

    def band_list(
        self, value: Any, path: str, known: tuple[str, ...], what: str
    ) -> tuple[str, ...]:
        items = value if isinstance(value, list) else [value]
        out: list[str] = []
        for item in items:
            if item not in known:
                self.problem(path, f"unknown {what} {item!r}; known: {', '.join(known) or 'none'}")
            else:
                out.append(str(item))
        return tuple(out)

    def condition(
        self, raw: Any, path: str, band_ids: tuple[str, ...], surveys: tuple[Survey, ...]
    ) -> Condition | None:
        keys = ("band", "subject", "rank", "survey", "predicate", "occurrence", "window")
        spec = self.mapping(raw, path, keys, "`when`")
        if raw is not None and not isinstance(raw, dict):
            return None
        if not spec:
            self.problem(path, "`when` needs at least one condition")
            return None
        before = len(self.problems)
        bands: tuple[str, ...] = ()
        if "band" in spec:
            bands = self.band_list(spec["band"], join(path, "band"), band_ids, "band")
        subject = None
        if "subject" in spec:
            subject = self.choice(
                spec["subject"], join(path, "subject"), ("units", "persons"), "units"
            )
        top = bottom = None
        if "rank" in spec:
            rspec = self.mapping(spec["rank"], join(path, "rank"), ("top", "bottom"), "`rank`")
            if len(rspec) != 1:
                self.problem(join(path, "rank"), "`rank` takes one of top: N or bottom: N")
            if "top" in rspec:
                top = self.count(rspec["top"], join(path, "rank.top"), "top", 0) or None
            if "bottom" in rspec:
                bottom = self.count(rspec["bottom"], join(path, "rank.bottom"), "bottom", 0) or None
        survey_id = None
        survey_bands: tuple[str, ...] = ()
        share_of: tuple[str, ...] = ()
        share_above = share_at_least = score_below = None
        if "survey" in spec:
            spath = join(path, "survey")
            sspec = self.mapping(
                spec["survey"], spath, ("id", "band", "share", "score_below"), "`survey`"
            )
            survey_id = str(sspec.get("id", ""))
            try:
                survey = next(sv for sv in surveys if sv.id == survey_id)
            except StopIteration:
                known = ", ".join(sv.id for sv in surveys) or "none"
                self.problem(join(spath, "id"), f"unknown survey {survey_id!r}; surveys: {known}")
                survey = None
            if len([k for k in ("band", "share", "score_below") if k in sspec]) != 1:
                self.problem(spath, "a survey condition tests one of band, share or score_below")
            if survey is not None and "band" in sspec:
                survey_bands = self.band_list(
                    sspec["band"],
                    join(spath, "band"),
                    tuple(b.id for b in survey.bands),
                    "survey band",
                )
            if survey is not None and "share" in sspec:
                shpath = join(spath, "share")
                shspec = self.mapping(
                    sspec["share"], shpath, ("of", "above", "at_least"), "`share`"
                )
                if "of" not in shspec:
                    self.problem(shpath, "missing `of` (the categories whose share is tested)")
                else:
                    share_of = self.band_list(
                        shspec["of"],
                        join(shpath, "of"),
                        tuple(c.id for c in survey.scale),
                        "category",
                    )
                if ("above" in shspec) == ("at_least" in shspec):
                    self.problem(shpath, "a share condition takes one of above or at_least")
                if "above" in shspec:
                    share_above = self.percent(shspec["above"], join(shpath, "above"), "a share")
                if "at_least" in shspec:
                    share_at_least = self.percent(
                        shspec["at_least"], join(shpath, "at_least"), "a share"
                    )
            if "score_below" in sspec:
                score_below = self.number(
                    sspec["score_below"], join(spath, "score_below"), "a score"
                )
        predicates: tuple[str, ...] = ()
        if "predicate" in spec:
            items = (
                spec["predicate"] if isinstance(spec["predicate"], list) else [spec["predicate"]]
            )
            predicates = tuple(
                p for p in (self.ident(x, join(path, "predicate"), "predicate") for x in items) if p
            )
        occurrence: int | None = None
        and_beyond = False
        if "occurrence" in spec:
            raw_occ = spec["occurrence"]
            text = (
                str(raw_occ).strip()
                if isinstance(raw_occ, (int, str)) and not isinstance(raw_occ, bool)
                else ""
            )
            and_beyond = text.endswith("+")
            digits = text[:-1] if and_beyond else text
            if not digits.isdigit() or int(digits) < 1:
                self.problem(
                    join(path, "occurrence"),
                    "occurrence must be a whole number ≥ 1, or N+ for N and beyond, "
                    f"not {raw_occ!r}",
                )
            else:
                occurrence = int(digits)
        window = self.choice(spec.get("window"), join(path, "window"), _WINDOWS, "campaign")
        if "window" in spec and occurrence is None:
            self.problem(join(path, "window"), "a window counts occurrences; give `occurrence`")
        if len(self.problems) != before:
            return None
        return Condition(
            bands=bands,
            subject=cast(Literal["units", "persons"] | None, subject),
            top=top,
            bottom=bottom,
            survey=survey_id,
            survey_bands=survey_bands,
            share_of=share_of,
            share_above=share_above,
            share_at_least=share_at_least,
            score_below=score_below,
            predicates=predicates,
            occurrence=occurrence,
            and_beyond=and_beyond,
            window=cast(Window, window),
        )

    def actions(self, raw: Any, path: str) -> tuple[Action, ...]:
        if not isinstance(raw, list) or not raw:
            self.problem(path, "`then` must be a non-empty list of actions")
            return ()
        out: list[Action] = []
        kinds = ", ".join(ACTION_KINDS)
        for i, item in enumerate(raw):
            apath = join(path, i)
            bare = isinstance(item, str)
            if bare:
                item = {"kind": item}
            keys = ("kind", "title", "target", "sanction", "to", "within")
            spec = self.mapping(item, apath, keys, "an action")
            if not isinstance(item, dict):
                continue
            kind = spec.get("kind")
            if kind not in ACTION_KINDS:
                self.problem(
                    apath if bare or "kind" not in spec else join(apath, "kind"),
                    f"unknown action {kind!r}; known: {kinds}",
                )
                continue
            default_title, default_target = ACTION_KINDS[str(kind)]
            sanction = None
            if kind == "sanction":
                if "sanction" not in spec:
                    self.problem(apath, "a sanction action names its `sanction` (a ladder step id)")
                    continue
                sanction = self.ident(spec["sanction"], join(apath, "sanction"), "sanction")
                known = _KNOWN_STEPS.get(sanction or "")
                if known is not None:
                    default_title, default_target = known.title, known.target
            elif "sanction" in spec:
                self.problem(join(apath, "sanction"), "`sanction` is only used with kind: sanction")
            targets = (*_TARGETS, "members", "subject")
            target = self.choice(spec.get("target"), join(apath, "target"), targets, default_target)
            within = within_unit = None
            if "within" in spec:
                parsed = _duration(spec["within"])
                if parsed is None:
                    self.problem(
                        join(apath, "within"),
                        "expected 'N working days' or 'N days' (N个工作日 / N天), "
                        f"not {spec['within']!r}",
                    )
                else:
                    within, within_unit = parsed
            out.append(
                Action(
                    kind=str(kind),
                    title=self.text(spec.get("title", default_title), join(apath, "title")),
                    target=target,
                    sanction=sanction,
                    to=self.text(spec["to"], join(apath, "to")) if "to" in spec else None,
                    within=within,
                    within_unit=within_unit,
                )
            )
        return tuple(out)


def _duration(value: Any) -> tuple[int, str] | None:
    try:
        return parse_duration(value)
    except DateExpressionError:
        return None


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return repr(value)
