"""Messages about the fields of a document: an unknown field, with the closest known one.

Shared by every loader (campaign and phase templates, scoring schemes, scenarios), so it
sits in the base layer: it imports nothing of zyw_flow.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["unknown_field_message"]


#: Words authors reach for that the template language spells otherwise.
_SYNONYMS = {
    "deadline": "due",
    "due_date": "due",
    "start": "opens",
    "open": "opens",
    "end": "closes",
    "close": "closes",
    "depends": "after",
    "depends_on": "after",
    "requires": "after",
    "name": "title",
    "type": "kind",
    "recurrence": "repeat",
    "every": "repeat",
    "dates": "window",
    "period": "window",
}


def unknown_field_message(field: object, known: Iterable[str]) -> str:
    """``unknown field 'titel'; did you mean 'title'? allowed here: …`` (closest by difflib).

    ``known`` is listed in the order given.
    """
    names = list(known)
    synonym = _SYNONYMS.get(str(field).lower())
    close = (
        [synonym]
        if synonym in names
        else difflib.get_close_matches(str(field), names, n=1, cutoff=0.6)
    )
    hint = f"; did you mean {close[0]!r}?" if close else ";"
    return f"unknown field {field!r}{hint} allowed here: {', '.join(names)}"
