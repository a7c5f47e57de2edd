"""Where templates come from: bundled ids, file paths, and installed entry points.

A template's own references (``use:`` of a phase template, ``scoring:`` of a scheme) are
resolved only to bundled ids, installed plug-in ids and files inside the template's own
folder or a folder the caller passes explicitly (``search_path``); anything else — an
absolute path, ``../`` out of the folder, a symbolic link pointing outside it — is refused
before any file is opened (:func:`find_reference`).

Another installed package can ship templates by declaring an entry point in the group
``zyw_flow.templates`` whose object is a directory path (``str`` or ``Path``) or a
callable returning one. The directory holds ``<id>.yaml`` files and, optionally, a
``phases/`` folder of phase templates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Literal

import attrs

from zyw_flow._bundled import bundled_dir
from zyw_flow._errors import ReferenceRefused, TemplateNotFound

__all__ = [
    "ENTRY_POINT_GROUP",
    "ReferenceRefused",
    "TemplateSource",
    "bundled_dir",
    "find_phase_template",
    "find_reference",
    "find_template",
    "iter_template_sources",
]

ENTRY_POINT_GROUP = "zyw_flow.templates"


@attrs.frozen
class TemplateSource:
    """A template file found by the registry.

    Attributes:
        id: the id it is addressed by (the file name without ``.yaml``).
        path: the file.
        origin: ``bundled``, ``file`` or ``entry-point:<name>``.
    """

    id: str
    path: Path
    origin: str


def _entry_point_dirs() -> Iterator[tuple[str, Path]]:
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            value = obj() if callable(obj) else obj
            path = Path(value)
        except Exception:  # a broken plug-in must not break the registry
            continue
        if path.is_dir():
            yield ep.name, path


def _dirs() -> Iterator[tuple[str, Path]]:
    yield "bundled", bundled_dir()
    for name, path in _entry_point_dirs():
        yield f"entry-point:{name}", path


def iter_template_sources() -> Iterator[TemplateSource]:
    """Every campaign template the registry knows, bundled first."""
    seen: set[str] = set()
    for origin, folder in _dirs():
        for path in sorted(folder.glob("*.yaml")):
            if path.stem not in seen:
                seen.add(path.stem)
                yield TemplateSource(path.stem, path, origin)


def find_template(name: str | Path) -> TemplateSource:
    """Find a campaign template by bundled id, entry-point id or file path.

    Raises:
        TemplateNotFound: nothing by that name; the message lists the known ids.
    """
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        if path.is_file():
            return TemplateSource(path.stem, path, "file")
        raise TemplateNotFound(f"template file {str(name)!r} does not exist")
    for source in iter_template_sources():
        if source.id == str(name):
            return source
    known = ", ".join(s.id for s in iter_template_sources()) or "none"
    raise TemplateNotFound(f"no template {str(name)!r}; known: {known}")


_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_SUBDIRS = {"phase": "phases", "scoring": "scoring"}
_WHAT = {"phase": "phase template", "scoring": "scoring scheme"}


def _inside(path: Path, folder: Path) -> bool:
    """Whether ``path``, every link followed, lies inside ``folder`` (links followed too)."""
    try:
        return path.resolve().is_relative_to(folder.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def _own_folders(near: Path | None, search_path: Sequence[Path]) -> list[Path]:
    folders = [near.parent] if near is not None else []
    folders.extend(Path(p) for p in search_path)
    return folders


def _candidates(
    kind: Literal["phase", "scoring"], name: str, near: Path | None, search_path: Sequence[Path]
) -> Iterator[tuple[Path, Path]]:
    """(folder, file) pairs where a reference by id may be found, in priority order."""
    sub = _SUBDIRS[kind]
    for folder in _own_folders(near, search_path):
        yield folder / sub, folder / sub / f"{name}.yaml"
        if kind == "scoring":
            yield folder, folder / f"{name}.yaml"
    for _, folder in _dirs():
        yield folder / sub, folder / sub / f"{name}.yaml"


def find_reference(
    kind: Literal["phase", "scoring"],
    ref: str,
    near: Path | None = None,
    search_path: Sequence[Path] = (),
) -> Path:
    """The file a template's ``use:`` (``kind="phase"``) or ``scoring:`` reference names.

    An id (``mobilization``, ``bureau-unit``) is looked up in the template's folder
    (``phases/<id>.yaml``; ``scoring/<id>.yaml`` or ``<id>.yaml``), then in each folder of
    ``search_path`` the same way, then among the bundled and installed plug-in files. A
    scoring scheme may also be named by a relative path (``scoring/local.yaml``), which
    must stay inside the template's folder or a ``search_path`` folder. Links are followed
    before the check, so a link that points outside is refused too.

    Args:
        kind: ``phase`` or ``scoring``.
        ref: the reference as written.
        near: the template file (its folder is searched first), or ``None`` for text.
        search_path: further folders the caller allows.

    Raises:
        ReferenceRefused: the reference points outside the allowed folders (nothing opened).
        TemplateNotFound: nothing by that name; the message lists the known ids.
    """
    what = _WHAT[kind]
    if _ID_RE.match(ref):
        for folder, candidate in _candidates(kind, ref, near, search_path):
            if candidate.is_file() or candidate.is_symlink():
                if not _inside(candidate, folder):
                    raise ReferenceRefused(
                        f"{what} {ref!r}: {candidate} links outside its folder {folder}; refused"
                    )
                if candidate.is_file():
                    return candidate
        known = ", ".join(known_references(kind, near, search_path)) or "none"
        raise TemplateNotFound(f"unknown {what} {ref!r}; known: {known}")
    where = "the template's folder" + (" or the search path" if search_path else "")
    if kind == "phase":
        raise ReferenceRefused(
            f"{what} {ref!r} is not an id: `use:` names a phase template by id "
            "(letters, digits, '-' and '_'), never by path"
        )
    rel = Path(ref)
    if rel.is_absolute() or ref.startswith("~") or not ref.endswith((".yaml", ".yml")):
        raise ReferenceRefused(
            f"{what} {ref!r} is neither an id nor a relative .yaml path inside {where}; refused"
        )
    folders = _own_folders(near, search_path)
    if not folders:
        raise ReferenceRefused(
            f"{what} {ref!r}: a template read from text has no folder; name the scheme by id "
            "or pass the folder as search_path"
        )
    for folder in folders:
        candidate = folder / rel
        if not _inside(candidate, folder):
            continue
        if candidate.is_file():
            return candidate
    if any(not _inside(folder / rel, folder) for folder in folders):
        raise ReferenceRefused(f"{what} {ref!r} lies outside {where}; refused")
    raise TemplateNotFound(f"{what} file {ref!r} does not exist in {where}")


def known_references(
    kind: Literal["phase", "scoring"], near: Path | None = None, search_path: Sequence[Path] = ()
) -> list[str]:
    """Ids of every phase template or scoring scheme visible from ``near``."""
    sub = _SUBDIRS[kind]
    names: set[str] = set()
    folders = [f / sub for f in _own_folders(near, search_path)]
    folders.extend(folder / sub for _, folder in _dirs())
    for folder in folders:
        names.update(p.stem for p in folder.glob("*.yaml") if _inside(p, folder))
    return sorted(names)


def find_phase_template(
    name: str, near: Path | None = None, search_path: Sequence[Path] = ()
) -> Path | None:
    """The phase template file ``<name>.yaml``: beside the campaign first, then registered.

    ``None`` when there is none or the name is refused (see :func:`find_reference`).
    """
    try:
        return find_reference("phase", name, near, search_path)
    except TemplateNotFound:
        return None


def known_phase_templates(near: Path | None = None) -> list[str]:
    """Ids of every phase template visible from ``near``."""
    return known_references("phase", near)
