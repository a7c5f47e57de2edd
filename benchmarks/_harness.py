"""What every benchmark shares: spawned runs, machine facts, the campaign and its calendar,
formatting, and the one table of figures and bars.

Nothing here asserts: the benchmarks measure and print.
"""

from __future__ import annotations

import contextlib
import itertools
import multiprocessing as mp
import os
import platform
import re
import resource
import sqlite3
import subprocess
import sys
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, TypeVar

__all__ = [
    "TEMPLATE",
    "Bar",
    "Figure",
    "Schedule",
    "compiled",
    "fit",
    "fmt_bytes",
    "from_us",
    "load",
    "local_text",
    "machine_info",
    "n",
    "peak_rss",
    "print_markdown",
    "print_table",
    "rss",
    "schedule",
    "size",
    "spawned",
    "to_us",
    "unit_rows",
]

TEMPLATE = "zhiyong-2011"
NEVER = 1 << 62  # the compiler's "no deadline" marker (zyw_flow._time.NEVER)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)

T = TypeVar("T")


# -- running ------------------------------------------------------------------------------
def spawned(fn: Callable[..., T], *args: Any) -> T | None:
    """Run ``fn(*args)`` in a fresh interpreter (``multiprocessing`` *spawn*).

    A failure prints its traceback and returns ``None``, so that one broken measurement
    shows as "failed" in the table instead of hiding the others.
    """
    try:
        with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
            return pool.submit(fn, *args).result()
    except Exception:
        name = getattr(fn, "__name__", str(fn))
        print(f"!! {name}{args} failed:\n{traceback.format_exc()}", file=sys.stderr, flush=True)
        return None


def rss() -> int:
    """Resident set size of this process in bytes (Linux), or -1."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return -1


def peak_rss() -> int:
    """This process's peak resident set (``VmHWM``)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- machine facts --------------------------------------------------------------------------
def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def _memory() -> str:
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        return f"{kib / 2**20:.1f} GiB RAM"
    return "RAM unknown"


def _deps() -> str:
    """The installed versions of zyw_flow's own dependencies (and psycopg)."""
    from importlib import metadata

    names: list[str] = []
    for req in metadata.requires("zyw_flow") or []:
        if "extra ==" in req:
            continue
        names.append(re.split(r"[\s<>=!~;\[]", req, maxsplit=1)[0])
    names.append("psycopg")
    out = []
    for name in dict.fromkeys(names):
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def _commit() -> str:
    import zyw_flow

    where = Path(zyw_flow.__file__).resolve().parent.parent
    try:
        head = subprocess.run(
            ["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(where), "status", "--porcelain", "--", "zyw_flow"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return f"zyw_flow {zyw_flow.__version__} from {where}"
    extra = " + uncommitted changes" if dirty else ""
    return f"zyw_flow {zyw_flow.__version__} from {where}, commit {head}{extra}"


def load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


def machine_info() -> list[str]:
    """Lines that say what was measured where."""
    return [
        f"CPU: {_cpu_model()}, {os.cpu_count()} cores; {_memory()}; "
        f"{platform.system()} {platform.release()} {platform.machine()}",
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"SQLite {sqlite3.sqlite_version}",
        f"dependencies: {_deps()}",
        _commit(),
        f"load average: {load()} (other processes on the machine skew the times)",
    ]


# -- the campaign and its calendar -----------------------------------------------------------
def compiled() -> Any:
    from zyw_flow.compile import compile_source

    return compile_source(TEMPLATE)


def unit_rows(count: int) -> list[dict[str, str | None]]:
    """``count`` flat units ``u0`` … as ``enroll_many`` takes them."""
    return [{"id": f"u{i}", "name": None, "parent": None} for i in range(count)]


def from_us(us: int, zone: tzinfo) -> datetime:
    return (_EPOCH + us * _US).astimezone(zone)


def to_us(at: str | datetime, zone: tzinfo) -> int:
    """An instant in µs since the epoch (stdlib, as cheap as the runtime's own parsing)."""
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return (value - _EPOCH) // _US


def local_text(at: datetime) -> str:
    """``2011-09-01 00:00:01`` (naive local time, as a host would pass it)."""
    return at.replace(tzinfo=None).isoformat(sep=" ")


@dataclass(frozen=True)
class Schedule:
    """Where the benchmarks can act: a quiet period and the deadline that ends it."""

    quiet_start: datetime  # one second after the instant that opens the quiet period
    quiet_end: datetime  # the next scheduled instant (exclusive)
    deadline: datetime  # just after the first deadline at or after quiet_end
    deadline_steps: tuple[str, ...]
    escalation: datetime  # the first escalation level of those steps
    other_step: str  # another reviewed step open in the quiet period, due later


def schedule(c: Any) -> Schedule:
    """The first quiet period (≥ 1 day) after the campaign opens, from the compiled tables."""
    dues = [d for d in c.due_us if d < NEVER]
    instants = sorted({*c.phase_start_us, *dues, *(e for esc in c.escalation_us for e in esc)})
    first = c.phase_start_us[0]
    day = 86_400 * 1_000_000
    a, b = next((a, b) for a, b in itertools.pairwise(instants) if a >= first and b - a >= day)
    deadline = min(d for d in dues if d >= b)
    steps = tuple(s for s, d in enumerate(c.due_us) if d == deadline)
    escalation = min(e for s in steps for e in c.escalation_us[s])
    ids = tuple(c.steps[s].id for s in steps)
    other = next(
        s.id for k, s in enumerate(c.steps) if s.id not in ids and s.review and c.opens_us[k] <= a
    )
    return Schedule(
        quiet_start=from_us(a + 1_000_000, c.zone),
        quiet_end=from_us(b, c.zone),
        deadline=from_us(deadline + 1, c.zone),  # overdue once the due instant has passed
        deadline_steps=ids,
        escalation=from_us(escalation, c.zone),
        other_step=other,
    )


def fit(start: datetime, end: datetime, count: int, wanted: timedelta) -> timedelta:
    """A spacing ≤ ``wanted`` that fits ``count`` instants strictly inside (start, end)."""
    room = (end - start - _US) // max(count, 1)
    return max(min(wanted, room), _US)


# -- formatting -------------------------------------------------------------------------------
def n(value: float) -> str:
    return f"{value:,.0f}"


def size(count: int) -> str:
    exp = len(str(count)) - 1
    return f"10^{exp}" if count == 10**exp else f"{count:,}"


def fmt_bytes(count: float) -> str:
    x = float(count)
    for unit in ("B", "KiB", "MiB"):
        if abs(x) < 1024:
            return f"{x:,.0f} {unit}" if unit == "B" else f"{x:,.1f} {unit}"
        x /= 1024
    return f"{x:,.2f} GiB"


# -- the table -----------------------------------------------------------------------------------
@dataclass
class Figure:
    """A row of the table: a figure, with a bar and verdict if it is one of the bars."""

    name: str
    value: str
    bar: str = ""
    verdict: str = ""
    ratio: str = ""  # against the baseline measured in the same run


@dataclass(frozen=True)
class Bar:
    """One of the issue's bars: its name (printed verbatim) and what it requires."""

    name: str
    requirement: str

    def figure(self, value: str, ok: bool | None, *, ratio: str = "", quick: bool) -> Figure:
        if ok is None:
            verdict = "n/a"
        else:
            verdict = ("PASS" if ok else "FAIL") + (" (quick)" if quick else "")
        return Figure(f"BAR {self.name}", value, self.requirement, verdict, ratio)

    def failed(self, why: str = "failed") -> Figure:
        return Figure(f"BAR {self.name}", why, self.requirement, "FAIL")


def print_table(title: str, rows: list[Figure]) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("vs baseline (same run)")
    table.add_column("bar")
    table.add_column("result")
    for r in rows:
        style = "green" if r.verdict.startswith("PASS") else ""
        style = "bold red" if r.verdict.startswith("FAIL") else style
        verdict = f"[{style}]{r.verdict}[/]" if style else r.verdict
        name = f"[bold]{escape(r.name)}[/]" if r.name.startswith("BAR ") else escape(r.name)
        table.add_row(name, escape(r.value), escape(r.ratio), escape(r.bar), verdict)
    Console(width=200, highlight=False, soft_wrap=False).print(table)


def print_markdown(rows: list[Figure]) -> None:
    """The same table as Markdown (for docs/performance.md)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    print("| figure | value | vs baseline (same run) | bar | result |")
    print("| --- | --- | --- | --- | --- |")
    for r in rows:
        name = f"**{cell(r.name[4:])}**" if r.name.startswith("BAR ") else cell(r.name)
        verdict = f"**{r.verdict}**" if r.verdict.startswith(("PASS", "FAIL")) else r.verdict
        print(f"| {name} | {cell(r.value)} | {cell(r.ratio)} | {cell(r.bar)} | {verdict} |")
