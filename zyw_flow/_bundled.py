"""Where the bundled data files are: templates, phase templates, scoring schemes, scenarios.

A base-layer module (no zyw_flow imports), so that every layer can find bundled files.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_dir", "installed_version"]


def bundled_dir() -> Path:
    """The folder of bundled templates (installed copy first, then the checkout's)."""
    here = Path(__file__).resolve().parent
    installed = here / "_bundled_templates"
    if installed.is_dir():
        return installed
    return here.parent / "templates"


def installed_version() -> str:
    """The installed distribution's version (``unknown`` when run from a bare checkout)."""
    from importlib import metadata

    try:
        return metadata.version("zyw_flow")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a checkout
        return "unknown"
