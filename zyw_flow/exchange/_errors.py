"""The error of a data file that cannot be read."""

from __future__ import annotations

from zyw_flow._errors import EnrollmentError

__all__ = ["DataFileError"]


class DataFileError(EnrollmentError):
    """A unit or actor list (CSV or ``.xlsx``) that cannot be read, or a table that cannot
    be written: the message says which file, row and column; nothing was changed."""
