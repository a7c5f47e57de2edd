"""Where templates come from: bundled ids, file paths, and installed entry points.

Another installed package can ship templates by declaring an entry point in the group
``zyw_flow.templates`` whose object is a directory path (``str`` or ``Path``) or a
callable returning one. The directory holds ``<id>.yaml`` files and, optionally, a
``phases/`` folder of phase templates.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import attrs

from zyw_flow._bundled import bundled_dir
from zyw_flow._errors import TemplateNotFound

__all__ = [
    "ENTRY_POINT_GROUP",
    "TemplateSource",
    "bundled_dir",
    "find_phase_template",
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


def find_phase_template(name: str, near: Path | None = None) -> Path | None:
    """The phase template file ``<name>.yaml``: beside the campaign first, then registered."""
    folders: list[Path] = []
    if near is not None:
        folders.append(near.parent / "phases")
    folders.extend(folder / "phases" for _, folder in _dirs())
    for folder in folders:
        candidate = folder / f"{name}.yaml"
        if candidate.is_file():
            return candidate
    return None


def known_phase_templates(near: Path | None = None) -> list[str]:
    """Ids of every phase template visible from ``near``."""
    names: set[str] = set()
    folders = [near.parent / "phases"] if near is not None else []
    folders.extend(folder / "phases" for _, folder in _dirs())
    for folder in folders:
        names.update(p.stem for p in folder.glob("*.yaml"))
    return sorted(names)
