"""Behaviour profiles: how units act in a simulated campaign, as data files or objects.

A profile sorts units into behaviour classes (好 / 较好 / 一般 / 差, say) by ``share``; a
class says when a unit submits relative to each deadline, how often its submissions are
returned and how fast it reworks them, how it answers each escalation level, how many
findings an inspection makes and how fast they are rectified, and the scores it earns.
Profiles are YAML files (``kind: profile``), checked like templates: every problem at
once, each as ``file:line: path: message``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

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

    def check_levels(self, levels: tuple[str, ...], template: str) -> None:
        """Refuse escalation level ids the template does not have.

        Raises:
            ProfileError: one problem per unknown level, at its line in the profile.
        """
        problems = []
        for group, classes in self.groups.items():
            for i, b in enumerate(classes):
                for level in b.escalation:
                    if level not in levels:
                        base = "classes" if group == DEFAULT_GROUP and "classes" in self.lines \
                            else f"groups.{group}.classes"  # fmt: skip
                        path = f"{base}[{i}].escalation.{level}"
                        problems.append(self.problem(path, f"escalation level {level!r} is not "
                                        f"in template {template!r} (levels: "
                                        f"{', '.join(levels) or 'none'})"))  # fmt: skip
        if problems:
            raise ProfileError(problems)


# -- loading ---------------------------------------------------------------------------------
@cache
def _schema() -> dict[str, Any]:
    text = resources.files("zyw_flow.validation").joinpath("profile.schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _range(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    if value is None:
        return default
    if isinstance(value, int):
        return (value, value)
    return (int(value[0]), int(value[1]))


def _meaning(doc: Document) -> list[Problem]:
    """What the schema cannot say: ordered ranges, chances in [0, 1], positive shares."""
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

    def chance(path: str, v: Any) -> None:
        if v is not None and not 0 <= v <= 1:
            out.append(doc.problem(path, f"a chance must lie between 0 and 1, not {v!r}"))

    def ordered(path: str, v: Any) -> None:
        if isinstance(v, list) and v[0] > v[1]:
            out.append(doc.problem(path, f"range [{v[0]}, {v[1]}] runs backwards; write "
                                   f"[{v[1]}, {v[0]}]"))  # fmt: skip

    for base, classes in lists:
        seen: dict[str, str] = {}
        for i, c in enumerate(classes if isinstance(classes, list) else ()):
            p = join(base, i)
            try:
                if c["id"] in seen:
                    out.append(doc.problem(join(p, "id"), f"duplicate class id {c['id']!r} "
                                           f"(also at {seen[c['id']]})"))  # fmt: skip
                seen[c["id"]] = p
                if c["share"] <= 0:
                    out.append(doc.problem(join(p, "share"), f"a share must be positive, not "
                                           f"{c['share']!r}"))  # fmt: skip
                sub = c.get("submit") or {}
                ordered(join(join(p, "submit"), "days"), sub.get("days"))
                chance(join(join(p, "submit"), "never"), sub.get("never"))
                ret = c.get("returned") or {}
                chance(join(join(p, "returned"), "chance"), ret.get("chance"))
                ordered(join(join(p, "returned"), "rework_days"), ret.get("rework_days"))
                rw = ret.get("rework_days")
                if rw is not None and min(rw if isinstance(rw, list) else [rw]) < 0:
                    out.append(doc.problem(join(join(p, "returned"), "rework_days"),
                                           "rework cannot take negative days"))  # fmt: skip
                for level, v in (c.get("escalation") or {}).items():
                    chance(join(join(p, "escalation"), level), v)
                fnd = c.get("findings") or {}
                mean = fnd.get("per_inspection")
                if mean is not None and not 0 <= mean <= 3:
                    out.append(doc.problem(join(join(p, "findings"), "per_inspection"),
                                           f"the mean number of findings per inspection must lie "
                                           f"between 0 and 3, not {mean!r}"))  # fmt: skip
                ordered(join(join(p, "findings"), "rectify_days"), fnd.get("rectify_days"))
                chance(join(join(p, "findings"), "never"), fnd.get("never"))
                sc = c.get("scores") or {}
                specs = [(join(p, "scores"), sc)] + [
                    (join(join(join(p, "scores"), "indicators"), k), v)
                    for k, v in (sc.get("indicators") or {}).items()
                ]
                for path, spec in specs:
                    m, sd = spec.get("mean"), spec.get("sd")
                    if m is not None and not 0 <= m <= 100:
                        out.append(doc.problem(join(path, "mean"), f"a mean score is a percentage "
                                               f"(0-100), not {m!r}"))  # fmt: skip
                    if sd is not None and sd < 0:
                        out.append(doc.problem(join(path, "sd"), f"a standard deviation cannot be "
                                               f"negative ({sd!r})"))  # fmt: skip
            except (TypeError, KeyError, IndexError, AttributeError):
                continue  # malformed: the schema has said where
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


def _behaviour(c: Mapping[str, Any]) -> Behaviour:
    sub = c.get("submit") or {}
    ret = c.get("returned") or {}
    fnd = c.get("findings") or {}
    sc = c.get("scores") or {}
    indicators = {
        k: (float(v.get("mean", sc.get("mean", 80.0))), float(v.get("sd", sc.get("sd", 5.0))))
        for k, v in (sc.get("indicators") or {}).items()
    }
    return Behaviour(
        id=str(c["id"]),
        title=str(c.get("title", "")),
        share=float(c["share"]),
        submit_days=_range(sub.get("days"), (-2, 0)),
        never=float(sub.get("never", 0.0)),
        return_chance=float(ret.get("chance", 0.0)),
        rework_days=_range(ret.get("rework_days"), (1, 2)),
        escalation={str(k): float(v) for k, v in (c.get("escalation") or {}).items()},
        findings_mean=float(fnd.get("per_inspection", 0.0)),
        rectify_days=_range(fnd.get("rectify_days"), (3, 8)),
        rectify_never=float(fnd.get("never", 0.0)),
        score_mean=None if sc.get("mean") is None else float(sc["mean"]),
        score_sd=float(sc.get("sd", 5.0)),
        indicator_scores=indicators,
    )


def profile_from_document(doc: Document) -> Profile:
    """Build a :class:`Profile` from a parsed document.

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
    return profile_from_document(doc)
