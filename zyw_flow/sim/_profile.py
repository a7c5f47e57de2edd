"""Behaviour profiles: how units act in a simulated campaign, as data files or objects.

A profile sorts units into behaviour classes (好 / 较好 / 一般 / 差, say) by ``share``; a
class says when a unit submits relative to each deadline, how often its submissions are
returned and how fast it reworks them, how it answers each escalation level, how many
findings an inspection makes and how fast they are rectified, and the scores it earns.
Profiles are YAML files (``kind: profile``), checked like templates: every problem at
once, each as ``file:line: path: message``.
"""

from __future__ import annotations

import contextlib
import json
import math
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, TypeGuard

import attrs

from zyw_flow._errors import Problem, TemplateError
from zyw_flow._yaml import Document, join, read_yaml, read_yaml_file
from zyw_flow.sim._errors import ProfileError
from zyw_flow.template._build import schema_problems

__all__ = [
    "Behaviour",
    "Profile",
    "bundled_profiles",
    "load_profile",
    "load_profile_text",
    "profile_document_problems",
]

DEFAULT_GROUP = "default"


@attrs.frozen
class Behaviour:
    """One behaviour class of a profile.

    Attributes:
        id: the class id (``good`` …); ``title`` its name (好 …).
        share: relative weight; a unit falls in the class with probability share / total.
        submit_days: ``(low, high)`` working days relative to the due day, drawn uniformly
            (0 = on the due day, negative = early, positive = late).
        never: chance that the unit does not submit a step of its own accord.
        return_chance: chance that the office returns a submission (at most twice).
        rework_days: working days to submit again after a return.
        escalation: level id → chance of submitting on the next working day once it fires.
        findings_mean: mean number of findings per inspection (Poisson, capped at 3).
        rectify_days: working days to hand in a finding's rectification.
        rectify_never: chance that a finding is never rectified.
        score_mean, score_sd: the scores earned, as a percentage of each indicator's range
            (``None``: the class records no scores); ``indicator_scores`` overrides them per
            indicator id.
    """

    id: str
    share: float
    title: str = ""
    submit_days: tuple[int, int] = (-2, 0)
    never: float = 0.0
    return_chance: float = 0.0
    rework_days: tuple[int, int] = (1, 2)
    escalation: Mapping[str, float] = attrs.field(factory=dict)
    findings_mean: float = 0.0
    rectify_days: tuple[int, int] = (3, 8)
    rectify_never: float = 0.0
    score_mean: float | None = None
    score_sd: float = 5.0
    indicator_scores: Mapping[str, tuple[float, float]] = attrs.field(factory=dict)

    def __attrs_post_init__(self) -> None:
        found = behaviour_problems(attrs.asdict(self, recurse=False))
        if found:
            raise ProfileError(
                Problem("<python>", None, _ATTR.get(path, path), f"class {self.id!r}: {message}")
                for path, message in found
            )

    def score_of(self, indicator: str) -> tuple[float, float] | None:
        """``(mean, sd)`` of an indicator's score (percent), or ``None`` for no score."""
        if indicator in self.indicator_scores:
            return self.indicator_scores[indicator]
        return None if self.score_mean is None else (self.score_mean, self.score_sd)


@attrs.frozen
class Profile:
    """A behaviour profile: classes per unit group (``default`` for every other group).

    Build one in Python (``Profile("mine", "我的", {"default": (Behaviour(...),)})``) or
    load a file with :func:`load_profile`.
    """

    id: str
    title: str
    groups: Mapping[str, tuple[Behaviour, ...]]
    description: str = ""
    source: str = ""
    file: str = "<python>"
    lines: Mapping[str, int] = attrs.field(factory=dict, eq=False, repr=False)
    #: map the escalation levels a template lacks onto those it has (see
    #: :meth:`for_levels`; the bundled profiles do) instead of refusing them
    fit_levels: bool = False

    def __attrs_post_init__(self) -> None:
        problems: list[Problem] = []
        if not isinstance(self.groups, Mapping) or not self.groups:
            problems.append(self.problem(
                "groups", "a profile needs at least one group of classes "
                "({'default': (Behaviour(...), ...)})"))  # fmt: skip
        for g, classes in self.groups.items() if isinstance(self.groups, Mapping) else ():
            path = f"groups.{g}.classes"
            if not isinstance(classes, (tuple, list)) or not classes:
                problems.append(self.problem(path, f"group {g!r} needs a tuple of one or "
                                             f"more Behaviour, not {classes!r}"))  # fmt: skip
                continue
            seen: set[str] = set()
            for i, b in enumerate(classes):
                if not isinstance(b, Behaviour):
                    problems.append(self.problem(f"{path}[{i}]", f"not a Behaviour: {b!r}"))
                elif b.id in seen:
                    problems.append(self.problem(f"{path}[{i}].id", f"duplicate class id "
                                                 f"{b.id!r} in group {g!r}"))  # fmt: skip
                else:
                    seen.add(b.id)
        if problems:
            raise ProfileError(problems)

    def classes(self, group: str) -> tuple[Behaviour, ...]:
        """The classes of a unit group (the ``default`` ones when the group has none).

        Raises:
            ProfileError: neither the group nor ``default`` is in the profile.
        """
        found = self.groups.get(group) or self.groups.get(DEFAULT_GROUP)
        if found is None:
            raise ProfileError([self.problem("groups", f"no classes for unit group {group!r} "
                                              f"and no 'default' group; groups: "
                                              f"{', '.join(self.groups)}")])  # fmt: skip
        return found

    @property
    def scores(self) -> bool:
        """Whether any class records scores."""
        return any(
            b.score_mean is not None or b.indicator_scores
            for classes in self.groups.values()
            for b in classes
        )

    def problem(self, path: str, message: str) -> Problem:
        """A problem located at ``path`` of the profile's file (the line of ``path`` or of
        its nearest ancestor that has one)."""
        up = path
        while up and up not in self.lines:
            cut = max(up.rfind("."), up.rfind("["))
            up = up[:cut] if cut > 0 else ""
        return Problem(self.file, self.lines.get(up), path, message)

    def _path(self, group: str, i: int) -> str:
        base = "classes" if group == DEFAULT_GROUP and "classes" in self.lines \
            else f"groups.{group}.classes"  # fmt: skip
        return f"{base}[{i}]"

    def for_levels(self, levels: tuple[str, ...], template: str) -> Profile:
        """The profile as it acts on a template with these escalation levels: every class's
        ``escalation`` names exactly the template's levels.

        A level the class names keeps its chance. With ``fit_levels`` (the bundled
        profiles), a level the template lacks is not an error: a template level the class
        does not name takes the chance of the class's level at the same place in the
        class's order, if that level is one the template lacks (the seed-004 classes'
        ``yellow_card``, second, answers xingzheng-wenze's second level ``supervision``);
        any other template level the class does not name has chance 0, and a class level
        left over is not used (a template without levels: units submit as ``submit``
        says, or never). Without ``fit_levels`` (a profile file of one's own, a
        :class:`Profile` built in Python), a level the template lacks is refused: most
        likely a typo.

        Raises:
            ProfileError: without ``fit_levels``, one problem per level the template does
                not have, at its line in the profile.
        """
        problems = []
        groups: dict[str, tuple[Behaviour, ...]] = {}
        for group, classes in self.groups.items():
            fitted = []
            for i, b in enumerate(classes):
                lacking = [lv for lv in b.escalation if lv not in levels]
                if lacking and not self.fit_levels:
                    problems += [
                        self.problem(
                            f"{self._path(group, i)}.escalation.{lv}",
                            f"escalation level {lv!r} is not in template {template!r} "
                            f"(levels: {', '.join(levels) or 'none'}); a profile file "
                            "names only the template's levels",
                        )
                        for lv in lacking
                    ]
                    continue
                named = list(b.escalation)
                chances: dict[str, float] = {}
                for k, lv in enumerate(levels):
                    if lv in b.escalation:
                        chances[lv] = b.escalation[lv]
                    elif k < len(named) and named[k] not in levels:
                        chances[lv] = b.escalation[named[k]]
                    else:
                        chances[lv] = 0.0
                fitted.append(b if chances == dict(b.escalation)
                              else attrs.evolve(b, escalation=chances))  # fmt: skip
            groups[group] = tuple(fitted)
        if problems:
            raise ProfileError(problems)
        if all(groups[g] == tuple(c) for g, c in self.groups.items()):
            return self
        return attrs.evolve(self, groups=groups)

    def check_levels(self, levels: tuple[str, ...], template: str) -> None:
        """Refuse, unless ``fit_levels``, escalation levels the template does not have.

        Raises:
            ProfileError: one problem per unknown level, at its line in the profile.
        """
        self.for_levels(levels, template)


# -- loading ---------------------------------------------------------------------------------
@cache
def _schema() -> dict[str, Any]:
    text = resources.files("zyw_flow.validation").joinpath("profile.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


#: the longest a day range may reach, either way: about a working year
MAX_DAYS = 250

#: Behaviour attribute → where a profile file writes it
_YAML_PATH = {
    "id": "id", "share": "share", "title": "title", "submit_days": "submit.days",
    "never": "submit.never", "return_chance": "returned.chance",
    "rework_days": "returned.rework_days", "escalation": "escalation",
    "findings_mean": "findings.per_inspection", "rectify_days": "findings.rectify_days",
    "rectify_never": "findings.never", "score_mean": "scores.mean", "score_sd": "scores.sd",
    "indicator_scores": "scores.indicators",
}  # fmt: skip


_ATTR = {v: k for k, v in _YAML_PATH.items()}


def _shown(v: Any) -> str:
    return repr(int(v)) if isinstance(v, float) and v.is_integer() else repr(v)


def _is_number(v: Any) -> TypeGuard[float]:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def behaviour_problems(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The rules of a behaviour class, in one place: what :class:`Behaviour` refuses when
    built in Python and what a profile file is checked against. ``fields`` are Behaviour
    attributes (absent ones are not checked); the answer is ``(path, message)`` pairs,
    the path as a profile file writes it (``submit.days``)."""
    out: list[tuple[str, str]] = []

    def say(attr: str, message: str) -> None:
        out.append((_YAML_PATH.get(attr, attr), message))

    def chance(attr: str) -> None:
        v = fields.get(attr)
        if attr in fields and not (_is_number(v) and 0 <= v <= 1):
            say(attr, f"a chance must lie between 0 and 1, not {_shown(v)}")

    def days(attr: str, least: int | None, why: str = "") -> None:
        if attr not in fields:
            return
        v = fields[attr]
        ok = isinstance(v, (tuple, list)) and len(v) == 2 and all(
            isinstance(x, int) and not isinstance(x, bool) for x in v)  # fmt: skip
        if not ok:
            say(attr, f"a range of working days is a pair of whole numbers (low, high), "
                f"not {v!r}")  # fmt: skip
            return
        lo, hi = v
        if lo > hi:
            say(attr, f"range [{lo}, {hi}] runs backwards; write [{hi}, {lo}]")
        if least is not None and min(lo, hi) < least:
            say(attr, f"{why}, not {min(lo, hi)}")
        if max(abs(lo), abs(hi)) > MAX_DAYS:
            say(attr, f"at most {MAX_DAYS} working days either way (about a year), not "
                f"{max(lo, hi, key=abs)}")  # fmt: skip

    if "id" in fields and not (isinstance(fields["id"], str) and fields["id"].strip()):
        say("id", f"a class id is a non-empty text, not {fields['id']!r}")
    if "title" in fields and not isinstance(fields["title"], str):
        say("title", f"a title is a text, not {fields['title']!r}")
    if "share" in fields:
        v = fields["share"]
        if not _is_number(v):
            say("share", f"a share is a number, not {v!r}")
        elif v <= 0:
            say("share", f"a share must be positive, not {_shown(v)}")
    days("submit_days", None)
    chance("never")
    chance("return_chance")
    days("rework_days", 1, "a returned submission comes back a working day after the return "
         "at the earliest (rework_days ≥ 1)")  # fmt: skip
    esc = fields.get("escalation", {})
    if not isinstance(esc, Mapping):
        say("escalation", f"escalation maps level ids to chances, not {esc!r}")
    else:
        for level, v in esc.items():
            if not isinstance(level, str) or not level:
                out.append(("escalation", f"a level id is a non-empty text, not {level!r}"))
            elif not (_is_number(v) and 0 <= v <= 1):
                out.append((f"escalation.{level}", f"a chance must lie between 0 and 1, not "
                            f"{_shown(v)}"))  # fmt: skip
    if "findings_mean" in fields:
        v = fields["findings_mean"]
        if not (_is_number(v) and 0 <= v <= 3):
            say("findings_mean", f"the mean number of findings per inspection must lie "
                f"between 0 and 3, not {_shown(v)}")  # fmt: skip
    days("rectify_days", 0, "a finding cannot be rectified before it is recorded "
         "(rectify_days ≥ 0)")  # fmt: skip
    chance("rectify_never")

    def score(path: str, m: Any, sd: Any) -> None:
        if m is not None and not (_is_number(m) and 0 <= m <= 100):
            out.append((f"{path}.mean", f"a mean score is a percentage (0-100), not {_shown(m)}"))
        if not (_is_number(sd) and sd >= 0):
            out.append((f"{path}.sd", f"a standard deviation cannot be negative ({_shown(sd)})"
                        if _is_number(sd) else f"a standard deviation is a number, not "
                        f"{sd!r}"))  # fmt: skip

    if "score_mean" in fields or "score_sd" in fields:
        score("scores", fields.get("score_mean"), fields.get("score_sd", 5.0))
    ind = fields.get("indicator_scores", {})
    if not isinstance(ind, Mapping):
        say("indicator_scores", f"indicator scores map indicator ids to (mean, sd), not {ind!r}")
    else:
        for k, v in ind.items():
            if not (isinstance(v, (tuple, list)) and len(v) == 2):
                out.append((f"scores.indicators.{k}", f"(mean, sd), not {v!r}"))
            else:
                score(f"scores.indicators.{k}", v[0], v[1])
    return out


def _meaning(doc: Document) -> list[Problem]:
    """What the schema cannot say: one of classes and groups, unique class ids, and each
    class's rules (:func:`behaviour_problems`), located."""
    out: list[Problem] = []
    data = doc.data
    if "classes" in data and "groups" in data:
        out.append(doc.problem("groups", "give either `classes` or `groups`, not both"))
    if "classes" not in data and "groups" not in data:
        out.append(doc.problem("", "a profile needs `classes` (or `groups` of classes)"))
    lists: list[tuple[str, Any]] = []
    if isinstance(data.get("classes"), list):
        lists.append(("classes", data["classes"]))
    groups = data.get("groups")
    for g, spec in groups.items() if isinstance(groups, dict) else ():
        if isinstance(spec, dict):
            lists.append((join(join("groups", g), "classes"), spec.get("classes")))
    for base, classes in lists:
        seen: dict[str, str] = {}
        for i, c in enumerate(classes if isinstance(classes, list) else ()):
            if not isinstance(c, dict):
                continue  # the schema says where
            p = join(base, i)
            cid = c.get("id")
            if isinstance(cid, str):
                if cid in seen:
                    out.append(doc.problem(join(p, "id"), f"duplicate class id {cid!r} "
                                           f"(also at {seen[cid]})"))  # fmt: skip
                seen.setdefault(cid, p)
            for path, message in behaviour_problems(_fields_of(c)):
                out.append(doc.problem(f"{p}.{path}", message))
    return out


def profile_document_problems(doc: Document) -> list[Problem]:
    """Every problem of a profile document (schema first, then meaning), located."""
    if not isinstance(doc.data, dict):
        return [doc.problem("", "a profile is a mapping with kind: profile, id, title, classes")]
    problems = schema_problems(doc.data, _schema(), doc) + _meaning(doc)
    seen: set[Problem] = set()
    out = []
    for p in sorted(problems, key=lambda p: (p.line or 0, p.path)):
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


def _fields_of(c: Mapping[str, Any]) -> dict[str, Any]:
    """A class of a profile file as :class:`Behaviour` attributes; a field of the wrong
    shape (which the schema reports) is left out."""
    out: dict[str, Any] = {}

    def part(key: str) -> Mapping[str, Any]:
        v = c.get(key)
        return v if isinstance(v, dict) else {}

    def put(attr: str, read: Any, *args: Any) -> None:
        try:
            value = read(*args)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError):
            return
        if value is not _ABSENT:
            out[attr] = value

    def num(spec: Mapping[str, Any], key: str) -> Any:
        v = spec.get(key, _ABSENT)
        if v is _ABSENT or v is None:
            return _ABSENT
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise TypeError(key)
        return float(v)

    def rng(spec: Mapping[str, Any], key: str) -> Any:
        v = spec.get(key)
        if v is None:
            return _ABSENT
        if isinstance(v, bool):
            raise TypeError(key)
        if isinstance(v, int):
            return (v, v)
        if isinstance(v, list) and len(v) == 2 and all(
                isinstance(x, int) and not isinstance(x, bool) for x in v):  # fmt: skip
            return (v[0], v[1])
        raise TypeError(key)

    sub, ret, fnd, sc = part("submit"), part("returned"), part("findings"), part("scores")
    if isinstance(c.get("id"), str):
        out["id"] = c["id"]
    if isinstance(c.get("title"), str):
        out["title"] = c["title"]
    put("share", num, c, "share")
    put("submit_days", rng, sub, "days")
    put("never", num, sub, "never")
    put("return_chance", num, ret, "chance")
    put("rework_days", rng, ret, "rework_days")
    esc = c.get("escalation")
    if isinstance(esc, dict) and all(
            _is_number(v) for v in esc.values()):  # fmt: skip
        out["escalation"] = {str(k): float(v) for k, v in esc.items()}
    put("findings_mean", num, fnd, "per_inspection")
    put("rectify_days", rng, fnd, "rectify_days")
    put("rectify_never", num, fnd, "never")
    put("score_mean", num, sc, "mean")
    put("score_sd", num, sc, "sd")
    indicators = sc.get("indicators")
    if isinstance(indicators, dict):
        mean, sd = out.get("score_mean", 80.0), out.get("score_sd", 5.0)
        with contextlib.suppress(TypeError, ValueError, AttributeError):
            out["indicator_scores"] = {
                str(k): (float(v.get("mean", mean)), float(v.get("sd", sd)))
                for k, v in indicators.items()
            }
    return out


_ABSENT: Any = object()


def _behaviour(c: Mapping[str, Any]) -> Behaviour:
    return Behaviour(**_fields_of(c))


def profile_from_document(doc: Document, *, fit_levels: bool = False) -> Profile:
    """Build a :class:`Profile` from a parsed document (``fit_levels``: see
    :meth:`Profile.for_levels`).

    Raises:
        ProfileError: every problem, located.
    """
    problems = profile_document_problems(doc)
    if problems:
        raise ProfileError(problems)
    data = doc.data
    if "classes" in data:
        groups = {DEFAULT_GROUP: tuple(_behaviour(c) for c in data["classes"])}
    else:
        groups = {
            str(g): tuple(_behaviour(c) for c in spec["classes"])
            for g, spec in data["groups"].items()
        }
    return Profile(
        id=str(data["id"]),
        title=str(data["title"]),
        groups=groups,
        description=str(data.get("description", "")),
        source=str(data.get("source", "")),
        file=doc.file,
        lines=dict(doc.lines),
        fit_levels=fit_levels,
    )


def load_profile_text(text: str, *, file: str = "<string>") -> Profile:
    """A profile from YAML text.

    Raises:
        ProfileError: every problem, each with file, line and path.
    """
    try:
        doc = read_yaml(text, file)
    except TemplateError as exc:  # the YAML layer's: keep its located problems
        raise ProfileError(exc.problems) from None
    return profile_from_document(doc)


def _bundled_dir() -> Path:
    return Path(str(resources.files("zyw_flow.sim").joinpath("profiles")))


def bundled_profiles() -> dict[str, Path]:
    """Bundled profile ids and their files (``punctual``, ``absent``, the seed-004 ones)."""
    return {p.stem: p for p in sorted(_bundled_dir().glob("*.yaml"))}


def load_profile(source: str | Path | Profile) -> Profile:
    """A bundled profile by id (``punctual``, ``absent``, ``seed004`` …) or a profile file.

    A bundled profile fits its escalation levels to the template it runs on; a file of
    one's own names only the template's levels (:meth:`Profile.for_levels`).

    Raises:
        ProfileError: the file has problems (each located), or there is no such profile.
    """
    if isinstance(source, Profile):
        return source
    bundled = bundled_profiles()
    path = bundled.get(str(source)) if isinstance(source, str) else None
    if path is None:
        path = Path(source)
        if not path.is_file():
            raise ProfileError([Problem(str(source), None, "", f"no bundled profile or file "
                                f"by that name; bundled: {', '.join(bundled)}")])  # fmt: skip
    try:
        doc = read_yaml_file(path)
    except OSError as exc:
        raise ProfileError([Problem(str(path), None, "", f"cannot read: {exc}")]) from None
    except TemplateError as exc:
        raise ProfileError(exc.problems) from None
    ours = {p.resolve() for p in bundled.values()}
    return profile_from_document(doc, fit_levels=path.resolve() in ours)
