"""Re-export of :mod:`zyw_flow._yaml` (safe YAML reading with line numbers).

The reader moved below the template layer so that scoring schemes (``zyw_flow.evaluation``)
can use it without importing the template loader.
"""

from __future__ import annotations

from zyw_flow._yaml import (
    MAX_ALIASES,
    MAX_BYTES,
    MAX_DEPTH,
    MAX_NODES,
    Document,
    join,
    read_limited,
    read_yaml,
    read_yaml_file,
)

__all__ = [
    "MAX_ALIASES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "Document",
    "join",
    "read_limited",
    "read_yaml",
    "read_yaml_file",
]
