"""The read side of a campaign (mixed into :class:`~zyw_flow.Campaign`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from typing import Any

from zyw_flow._errors import TransitionRefused, UnknownUnitError
from zyw_flow._time import NEVER, At, format_us
from zyw_flow.runtime import _queries, _scoring, _table
from zyw_flow.runtime._core import Engine
from zyw_flow.runtime._records import Board, DueItem, Event, OverdueItem, UnitStatus
from zyw_flow.runtime._scoring import Evaluation
from zyw_flow.runtime._table import StatusTable

__all__ = ["Reading"]


class Reading(Engine):
    """Queries: never change anything."""

    @property
    def id(self) -> str:
        """The template id."""
        return self.compiled.id

    @property
    def phase(self) -> str | None:
        """The campaign's current (latest opened) phase, or ``None`` before the first."""
        p = self._state.phase
        return None if p < 0 else self.compiled.phase_ids[p]

    def __len__(self) -> int:
        return len(self._state.ids)

    def __contains__(self, unit: object) -> bool:
        return unit in self._state.index

    @property
    def units(self) -> tuple[str, ...]:
        """Ids of the enrolled units, in enrollment order."""
        return tuple(self._state.ids)

    def _unit(self, unit: str, event: str = "query") -> int:
        u = self._state.index.get(unit) if isinstance(unit, str) else None
        if u is None:
            raise UnknownUnitError("no such unit is enrolled", unit=str(unit), event=event)
        return u

    # -- events -----------------------------------------------------------------------
    def events(self, since: int = 0, *, unit: str | None = None) -> list[Event]:
        """Events after the cursor ``since`` (an event's ``seq``), optionally for one unit."""
        if type(since) is not int or since < 0:
            raise TransitionRefused(
                f"since must be an event number (a whole number ≥ 0), not {since!r}",
                event="events",
            )
        if unit is not None:
            self._unit(unit)
        return self._log.events(self._state, since, unit)

    @property
    def cursor(self) -> int:
        """The ``seq`` of the latest event (pass it to :meth:`events` later)."""
        return self._state.eseq

    def timeline(self, unit: str) -> list[Event]:
        """Every event of one unit, in the order recorded."""
        self._unit(unit)
        return self.events(0, unit=unit)

    # -- statuses ---------------------------------------------------------------------
    def unit_status(self, unit: str) -> UnitStatus:
        """The unit's phase, every step's status, its sanctions, restrictions and grade."""
        return _queries.unit_status(self._state, self._unit(unit))

    def status_table(self) -> StatusTable:
        """Every unit's status now, by columns: one :class:`StepColumn` per template step
        (status, late, escalation, warning per unit), the rectification steps one row each,
        each unit's sanctions, score and grade. The same facts as :meth:`unit_status` for
        every unit, read in one pass over the state (for dashboards, exports and
        simulations; ``to_arrow()`` gives a ``pyarrow.Table``).

        Example:
            >>> from zyw_flow import Campaign
            >>> c = Campaign.create("zhiyong-2011")
            >>> _ = c.add_actor("clerk-a", roles=["member"], unit="a")
            >>> _ = c.enroll_many([{"id": "a"}, {"id": "b"}], at="2011-09-01")
            >>> _ = c.submit("a", "work_plan", actor="clerk-a", at="2011-09-08")
            >>> _ = c.tick("2011-09-12")
            >>> t = c.status_table()
            >>> t.steps["work_plan"].status
            ('submitted', 'overdue')
            >>> t.steps["work_plan"].counts()
            {'submitted': 1, 'overdue': 1}
        """
        return _table.status_table(self._state)

    def iter_units(self) -> Iterator[UnitStatus]:
        """Every unit's status, in enrollment order."""
        for uid in self._state.ids:
            yield self.unit_status(uid)

    def restrictions(self, unit: str) -> tuple[str, ...]:
        """Restrictions in force for a unit: while any rectification (finding) is open, or
        once graded 诫勉, ``no_transfer_or_promotion_of_principal`` (整改期间单位主要负责人不得
        调动或提拔); ``key_rectification_unit`` (重点整改单位) after a 诫勉 grade; and
        ``no_award_eligibility`` (取消评优资格) for a 诫勉 unit's members; ``key_supervision``
        (重点监督) once a consequence rule puts the unit under it."""
        return _queries.restrictions(self._state, self._unit(unit))

    def under_rectification(self, unit: str) -> bool:
        """Whether the unit has an open rectification (finding not yet verified)."""
        return bool(self.restrictions(unit))

    def overdue(self) -> list[OverdueItem]:
        """Every overdue step of every unit (template steps and findings)."""
        return _queries.overdue(self._state)

    def due_soon(self, within: timedelta, *, at: At | None = None) -> list[DueItem]:
        """Open steps (pending or returned) due within ``within`` of ``at`` (default: now):
        ``(unit, step, due)`` tuples, each with the ``warning`` light it shows."""
        ref = self._state.now if at is None else self._at(at)
        return _queries.due_soon(self._state, ref, within)

    def board(self, root: str | None = None) -> Board:
        """Counts by phase and step status, rolled up the unit tree.

        Args:
            root: a unit id for its subtree; ``None`` for the whole campaign, whose
                children are the top-level units.
        """
        return _queries.board(self._state, None if root is None else self._unit(root))

    def report(self, *, events: bool = True) -> dict[str, Any]:
        """The JSON report (the ``replay --json`` contract): campaign, at, units, events."""
        now = self._state.now
        return {
            "campaign": self.id,
            "at": format_us(now, self.compiled.zone) if now > -NEVER else None,
            "units": {s.unit: s.to_json() for s in self.iter_units()},
            "events": [e.to_json() for e in self.events(0)] if events else [],
        }

    # -- evaluation -------------------------------------------------------------------
    def evaluate(self, units: Iterable[str] | None = None) -> Evaluation:
        """Scorecards of every unit and person with scores (or of ``units``), the ranking,
        the grade distribution, the advanced within the quota, top and bottom lists."""
        wanted = None if units is None else list(units)
        for uid in wanted or ():
            self._unit(uid, "evaluate")
        return _scoring.evaluate(self._state, wanted)

    def grade(self, unit: str) -> tuple[str | None, str | None]:
        """``(score, band)`` of a unit: its last final round's, else its current one's."""
        self._unit(unit)
        return _scoring.grade(self._state, unit)

    @property
    def rounds(self) -> tuple[Mapping[str, Any], ...]:
        """The finalised evaluation rounds, oldest first."""
        return tuple(self._state.rounds)

    @property
    def key_supervision(self) -> tuple[str, ...]:
        """Units placed under 重点监督 by a consequence rule of a final round, sorted."""
        return tuple(sorted(self._state.key_supervision))
