"""The error hierarchy of zyw_flow.

Every error raised on purpose by the library derives from :class:`ZywFlowError` and, where
natural, from a builtin as well, so callers can catch either::

    ZywFlowError
    ├── TemplateError (ValueError)          every problem of a template, collected
    ├── TemplateNotFound (LookupError)      no bundled id, file or entry point by that name
    │   └── ReferenceRefused                a use:/scoring: reference outside the allowed folders
    ├── DateExpressionError (ValueError)    a date phrase that cannot be read
    ├── InstantError (ValueError)           an ``at``/``until`` value that is not an instant
    ├── NoClockError (TypeError)            no ``at`` given and no clock to read one from
    ├── CalendarError (LookupError)
    │   └── CalendarHorizonError            a date beyond the official data, no fallback
    ├── ParameterError (ValueError)         a template parameter missing or of the wrong type
    ├── ScoringError (ValueError)           bad input to a scoring call; nothing is scored
    ├── CampaignError                       refused runtime calls (state unchanged)
    │   ├── UnknownUnitError (KeyError)
    │   ├── UnknownStepError (KeyError)
    │   ├── UnknownActorError (KeyError)
    │   ├── UnknownRecordError (KeyError)   no complaint or accountability case by that id
    │   ├── EnrollmentError (ValueError)     duplicate unit, unknown or cyclic parent
    │   ├── TransitionRefused (ValueError)  event not allowed in the current state
    │   ├── PermissionRefused (PermissionError)
    │   │   └── ActorSuspended              the actor is suspended (先停职后调查)
    │   ├── TimeOrderError (ValueError)     time earlier than the unit's last event
    │   └── DuplicateEventError (ValueError) idempotency key reused with another payload
    ├── ScenarioError (ValueError)          a malformed scenario file
    ├── SigningKeyError (ValueError)        a key file that holds no Ed25519 key
    └── StoreError (OSError)                the journal cannot be read or written
        ├── JournalCorrupted
        ├── SchemaVersionError
        └── LockTimeout (TimeoutError)      another writer held the campaign's lock too long
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

__all__ = [
    "ActorSuspended",
    "CalendarError",
    "CalendarHorizonError",
    "CampaignError",
    "DateExpressionError",
    "DuplicateEventError",
    "EnrollmentError",
    "InstantError",
    "JournalCorrupted",
    "LockTimeout",
    "NoClockError",
    "ParameterError",
    "PermissionRefused",
    "Problem",
    "ReferenceRefused",
    "ScenarioError",
    "SchemaVersionError",
    "ScoringError",
    "SigningKeyError",
    "StoreError",
    "TemplateError",
    "TemplateNotFound",
    "TimeOrderError",
    "TransitionRefused",
    "UnknownActorError",
    "UnknownRecordError",
    "UnknownStepError",
    "UnknownUnitError",
    "ZywFlowError",
]


class ZywFlowError(Exception):
    """Root of every error zyw_flow raises on purpose."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else self.__class__.__name__


@attrs.frozen
class Problem:
    """One problem found in a template: where it is and what is wrong.

    Attributes:
        file: the template file (or ``<string>``).
        line: 1-based line in that file, or ``None`` when unknown.
        path: the path inside the document, e.g. ``phases[1].steps.work_plan.due``.
        message: a sentence a template author understands.
    """

    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.path or '<root>'}: {self.message}"


class TemplateError(ZywFlowError, ValueError):
    """A template has one or more problems; ``problems`` lists them all."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        head = f"{len(self.problems)} problem(s) in template"
        super().__init__(head + ":\n" + "\n".join(f"  {p}" for p in self.problems))


class TemplateNotFound(ZywFlowError, LookupError):
    """No template with that id or path."""


class ReferenceRefused(TemplateNotFound):
    """A template refers to a file it may not read (outside its folder); nothing was opened."""


class DateExpressionError(ZywFlowError, ValueError):
    """A date phrase that cannot be read; ``phrase`` is the text, ``reason`` why."""

    def __init__(self, phrase: str, reason: str) -> None:
        self.phrase = phrase
        self.reason = reason
        super().__init__(f"cannot read date {phrase!r}: {reason}")


class InstantError(ZywFlowError, ValueError):
    """A value given as an instant (``at=``, ``--until``) is not one.

    Attributes:
        value: the value as given.
        reason: what is wrong with it.
    """

    def __init__(self, value: object, reason: str = "not an ISO date or date-time") -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"{reason}: {value!r}")


class NoClockError(ZywFlowError, TypeError):
    """A call needs an instant: no ``at`` was given and the campaign has no clock.

    Attributes:
        event: the call that needed it (``submit``, ``tick`` …), if known.
    """

    def __init__(self, event: str | None = None) -> None:
        self.event = event
        what = f"{event}: " if event else ""
        super().__init__(
            f"{what}no `at` given and the campaign has no clock; pass at=… or give the "
            "campaign a clock"
        )


class CalendarError(ZywFlowError, LookupError):
    """A calendar problem: unknown calendar name or missing data."""


class CalendarHorizonError(CalendarError):
    """A date lies beyond the official working-day data and no fallback is declared."""


class ParameterError(ZywFlowError, ValueError):
    """A template parameter is missing, unknown or of the wrong type."""


class ScoringError(ZywFlowError, ValueError):
    """A scoring call was given bad input: an unknown indicator, a value out of range, a
    float instead of a Decimal, a duplicate score, an unknown case kind …; nothing is scored.
    """


class CampaignError(ZywFlowError):
    """A runtime call was refused; the campaign state is unchanged.

    Attributes:
        unit: the unit concerned, if any.
        step: the step concerned, if any.
        event: the event type that was refused, if any.
    """

    def __init__(
        self,
        message: str,
        *,
        unit: str | None = None,
        step: str | None = None,
        event: str | None = None,
    ) -> None:
        self.unit = unit
        self.step = step
        self.event = event
        where = ", ".join(
            f"{k}={v}" for k, v in (("event", event), ("unit", unit), ("step", step)) if v
        )
        super().__init__(f"{message} [{where}]" if where else message)


class UnknownUnitError(CampaignError, KeyError):
    """No unit with that id is enrolled."""


class UnknownStepError(CampaignError, KeyError):
    """The campaign has no step with that id (for that unit)."""


class UnknownActorError(CampaignError, KeyError):
    """No actor with that id is registered."""


class UnknownRecordError(CampaignError, KeyError):
    """No complaint (投诉) or accountability case (问责案件) with that id."""


class EnrollmentError(CampaignError, ValueError):
    """A unit cannot be enrolled: duplicate id, unknown or cyclic parent, bad kind."""


class TransitionRefused(CampaignError, ValueError):
    """The event is not allowed in the step's or unit's current state."""


class PermissionRefused(CampaignError, PermissionError):
    """The actor's roles do not allow this event on this unit."""


class ActorSuspended(PermissionRefused):
    """The actor is suspended from duty by an open accountability case (先停职后调查) and may
    not act until the case is decided."""


class TimeOrderError(CampaignError, ValueError):
    """The event's time is earlier than the unit's (or campaign's) last event."""


class DuplicateEventError(CampaignError, ValueError):
    """An idempotency key was reused with a different payload."""


class ScenarioError(ZywFlowError, ValueError):
    """A scenario file is malformed; ``problems`` lists what is wrong."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("scenario problems:\n" + "\n".join(f"  {p}" for p in self.problems))


class StoreError(ZywFlowError, OSError):
    """The journal cannot be opened, read or written."""


class JournalCorrupted(StoreError):
    """The journal's hash chain is broken or a row was changed."""


class SchemaVersionError(StoreError):
    """The journal was written by an incompatible (newer) version."""


class LockTimeout(StoreError, TimeoutError):
    """Another writer held the campaign's write lock longer than the store's lock timeout;
    nothing was written (retry the call)."""


class SigningKeyError(ZywFlowError, ValueError):
    """A key file that does not hold the Ed25519 key expected (checkpoint signing)."""
