"""Terminal tables that stay readable at 80 columns.

Rich shrinks a table that is wider than the terminal by cutting cells with an ellipsis
(``2011-09-…``, ``mobiliza…``). The tables of the CLI avoid both cuts:

- an instant is never wrapped nor cut: its column is ``no_wrap``, and when every instant of
  a table falls in one year it is printed as ``09-10 23:59`` with the year in the column
  header (``due (2011)``);
- an id or a title folds onto the next line (``overflow="fold"``) instead of losing its end;
- an escalation level is shown by its title (催办 / 黄牌 / 红牌), never by its number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import attrs
from rich.table import Table

__all__ = ["DateFormat", "add_date_column", "add_text_column", "date_format", "ladder_title"]


@attrs.frozen
class DateFormat:
    """How a table prints its instants: compact within one year, in full across years.

    Attributes:
        year: the one year every instant of the table falls in (printed in the column
            header), or ``None`` when they span several years or there are none.
    """

    year: int | None

    def header(self, name: str) -> str:
        """A column header: ``due (2011)`` when the year is left out of the cells (on a
        second line when the header would be wider than the cells: ``completed⏎(2011)``)."""
        if self.year is None:
            return name
        one_line = f"{name} ({self.year})"
        return one_line if len(one_line) <= len("09-10 23:59") else f"{name}\n({self.year})"

    def __call__(self, at: dt.datetime | None, empty: str = "—") -> str:
        """``09-10 23:59`` (one year) or ``2011-09-10 23:59``; ``empty`` for ``None``."""
        if at is None:
            return empty
        return at.strftime("%Y-%m-%d %H:%M" if self.year is None else "%m-%d %H:%M")

    def day(self, at: dt.date | None, empty: str = "—") -> str:
        """``09-10`` (one year) or ``2011-09-10``; ``empty`` for ``None``."""
        if at is None:
            return empty
        return at.strftime("%Y-%m-%d" if self.year is None else "%m-%d")


def date_format(instants: Iterable[dt.date | None]) -> DateFormat:
    """The format for a table holding ``instants`` (``None`` values are ignored)."""
    years = {at.year for at in instants if at is not None}
    return DateFormat(years.pop() if len(years) == 1 else None)


def add_date_column(table: Table, name: str, fmt: DateFormat) -> None:
    """A column of instants: never wrapped, never cut."""
    table.add_column(fmt.header(name), no_wrap=True)


def add_text_column(
    table: Table, name: str, *, justify: str = "left", max_width: int | None = None
) -> None:
    """A column of ids or titles: a long value folds onto the next line, never an ellipsis
    (``max_width`` keeps a column of Chinese titles narrow so that ids keep their room)."""
    table.add_column(
        name,
        overflow="fold",
        justify=justify,  # type: ignore[arg-type]
        max_width=max_width,
    )


def ladder_title(titles: Sequence[str], level: int) -> str:
    """The title of escalation ``level`` (1-based) on a ladder; ``""`` for level 0."""
    if level <= 0:
        return ""
    return titles[level - 1] if level <= len(titles) else f"level {level}"
