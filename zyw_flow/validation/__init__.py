"""Validation of every kind of file zyw_flow reads, with the checks a template author needs.

>>> from zyw_flow.validation import validate_file, KINDS
>>> KINDS
('campaign', 'phase', 'scoring', 'scenario', 'profile')
>>> report = validate_file(ROOT / "templates" / "scoring" / "feicheng.yaml")
>>> report.kind, report.ok
('scoring', True)
"""

from zyw_flow.validation._kinds import (
    KINDS,
    FileReport,
    Kind,
    Options,
    detect_kind,
    locate,
    schema,
    schema_text,
    validate_document,
    validate_file,
)
from zyw_flow.validation._liveness import Liveness, check_liveness

__all__ = [
    "KINDS",
    "FileReport",
    "Kind",
    "Liveness",
    "Options",
    "check_liveness",
    "detect_kind",
    "locate",
    "schema",
    "schema_text",
    "validate_document",
    "validate_file",
]
