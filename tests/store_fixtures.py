"""Shared fixtures and helpers of the persistence tests (SQLite and PostgreSQL stores).

Test modules take the fixtures by assignment (``store = store_fixtures.store``), so pytest
finds them without a conftest change.

PostgreSQL: the server is ``$ZYW_FLOW_PG_URL`` (default
``postgresql://postgres@127.0.0.1:5432/test``); each test gets its own campaign inside that
shared database (``?campaign=zt_…``) and deletes its rows afterwards. Without a server the
PostgreSQL tests skip with the reason, unless ``ZYW_FLOW_REQUIRE_PG=1`` (CI), in which
case they fail.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import json
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import attrs
import pytest

from zyw_flow import Campaign, CompiledCampaign, compile_campaign, load_template, resolve
from zyw_flow.store import Row
from zyw_flow.template import CampaignTemplate

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = "zhiyong-2011"
PG_URL_ENV = "ZYW_FLOW_PG_URL"
REQUIRE_PG_ENV = "ZYW_FLOW_REQUIRE_PG"
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# -- PostgreSQL availability ------------------------------------------------------------
def pg_base_url() -> str:
    """The PostgreSQL server the tests use (``$ZYW_FLOW_PG_URL`` or the local default)."""
    return os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL


def postgres_unavailable(reason: str) -> NoReturn:
    """Skip the calling test with ``reason`` — or fail it when ``ZYW_FLOW_REQUIRE_PG=1``."""
    message = f"PostgreSQL is not available: {reason}"
    if os.environ.get(REQUIRE_PG_ENV) == "1":
        pytest.fail(f"{message} ({REQUIRE_PG_ENV}=1: failing instead of skipping)", pytrace=False)
    pytest.skip(f"{message} (set {PG_URL_ENV}; with {REQUIRE_PG_ENV}=1 this fails instead)")


def require_postgres(url: str) -> None:
    """Check that psycopg is installed and the server at ``url`` answers."""
    try:
        import psycopg
    except ImportError as exc:
        postgres_unavailable(f"psycopg is not installed ({exc})")
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        postgres_unavailable(f"cannot connect to {url}: {str(exc).strip()}")


def campaign_url(base: str, campaign: str) -> str:
    """``base`` with ``campaign=NAME`` in its query."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "campaign"]
    query.append(("campaign", campaign))
    return urlunsplit(parts._replace(query=urlencode(query)))


def conninfo_of(url: str) -> str:
    """``url`` without its ``campaign=`` parameter (what psycopg accepts)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "campaign"]
    return urlunsplit(parts._replace(query=urlencode(query)))


# -- a store under test -----------------------------------------------------------------
@dataclasses.dataclass
class Store:
    """A campaign's place: a SQLite file or a campaign inside a PostgreSQL database.

    ``sql`` runs raw statements (``?`` placeholders) on a connection of its own, as a
    tamperer or an independent reader would.
    """

    kind: str
    target: str
    campaign: str

    def sql(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement in its own committed transaction; rows if it returns any."""
        if self.kind == "sqlite":
            with contextlib.closing(sqlite3.connect(self.target, timeout=30)) as db, db:
                return db.execute(text, list(params)).fetchall()
        import psycopg

        with psycopg.connect(conninfo_of(self.target), autocommit=True) as conn:
            cur = conn.execute(text.replace("?", "%s"), list(params))  # type: ignore[arg-type]
            return list(cur.fetchall()) if cur.description else []

    def columns(self) -> list[str]:
        """The journal table's columns."""
        if self.kind == "sqlite":
            return [str(r[1]) for r in self.sql("PRAGMA table_info(zyw_journal)")]
        found = self.sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'zyw_journal' "
            "AND table_schema = current_schema()"
        )
        return [str(r[0]) for r in found]

    def rows(self) -> list[Row]:
        """The journal rows, read independently of the library's connection."""
        stored = set(self.columns())
        names = [f.name for f in attrs.fields(Row) if f.name in stored]
        found = self.sql(
            f"SELECT {', '.join(names)} FROM zyw_journal WHERE campaign = ? ORDER BY seq",
            [self.campaign],
        )
        return [Row(**dict(zip(names, r, strict=True))) for r in found]

    def count(self) -> int:
        """How many journal rows are committed."""
        found = self.sql("SELECT COUNT(*) FROM zyw_journal WHERE campaign = ?", [self.campaign])
        return int(found[0][0])

    def meta(self, key: str) -> str:
        """One stored meta value."""
        found = self.sql(
            "SELECT value FROM zyw_meta WHERE campaign = ? AND key = ?", [self.campaign, key]
        )
        return str(found[0][0])

    def set_meta(self, key: str, value: str) -> None:
        """Overwrite one stored meta value (tampering)."""
        self.sql(
            "UPDATE zyw_meta SET value = ? WHERE campaign = ? AND key = ?",
            [value, self.campaign, key],
        )

    def drop(self) -> None:
        """Delete the campaign's rows (PostgreSQL clean-up)."""
        for table in (
            "zyw_journal",
            "zyw_snapshot",
            "zyw_meta",
            "zyw_outbox",
            "zyw_relay",
            "zyw_dead",
        ):
            with contextlib.suppress(Exception):
                self.sql(f"DELETE FROM {table} WHERE campaign = ?", [self.campaign])


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    """A fresh SQLite campaign file."""
    return Store("sqlite", str(tmp_path / "campaign.db"), "default")


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL server URL, checked once (skip, or fail under ZYW_FLOW_REQUIRE_PG=1)."""
    url = pg_base_url()
    require_postgres(url)
    return url


@pytest.fixture
def pg_store(postgres_server: str) -> Iterator[Store]:
    """A fresh campaign (unique name) in the shared PostgreSQL database; removed after."""
    name = f"zt_{uuid.uuid4().hex[:16]}"
    store = Store("postgres", campaign_url(postgres_server, name), name)
    yield store
    store.drop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest) -> Store:
    """The same test on a SQLite file and on a PostgreSQL campaign."""
    name = "sqlite_store" if request.param == "sqlite" else "pg_store"
    found: Store = request.getfixturevalue(name)
    return found


# -- journal rows and event numbers ----------------------------------------------------------
def event_number(row: Row) -> int | None:
    """The event number (``Event.seq``, the cursor) a row carries, if it is an event.

    Journals whose rows carry their own event number (``eseq``) number events apart from
    actor and clock rows; otherwise an event's number is its row's ``seq``.
    """
    if row.kind != "event":
        return None
    eseq = getattr(row, "eseq", None)
    return row.seq if eseq is None else int(eseq)


def events_in(row: Row) -> int:
    """How many events a row stands for (a batch row over many units holds several)."""
    if row.kind != "event":
        return 0
    n = getattr(row, "n", None)
    return 1 if n is None else int(n)


def expected_cursor(rows: Sequence[Row]) -> int:
    """The cursor a campaign holding exactly ``rows`` must report."""
    if any(getattr(r, "eseq", None) is not None for r in rows):
        return max((event_number(r) or 0) + events_in(r) - 1 for r in rows)
    return rows[-1].seq if rows else 0


def event_row(rows: Sequence[Row], seq: int) -> Row:
    """The row holding event number ``seq``."""
    for r in rows:
        first = event_number(r)
        if first is not None and first <= seq < first + events_in(r):
            return r
    raise AssertionError(f"no row holds event {seq}")


# -- campaigns --------------------------------------------------------------------------
@functools.cache
def loaded_template() -> CampaignTemplate:
    """The bundled 2011 template, read once (reading YAML is most of a campaign's start-up)."""
    return load_template(TEMPLATE)


@functools.cache
def compiled_template() -> CompiledCampaign:
    """The bundled 2011 template, compiled once."""
    return compile_campaign(resolve(loaded_template()))


def create(store: Store | str) -> Campaign:
    """A new stored campaign of the 2011 template (``create_stored`` with a loaded template)."""
    return Campaign.create_stored(
        store if isinstance(store, str) else store.target, loaded_template()
    )


def in_memory(steps: Sequence[Step] = ()) -> Campaign:
    """An in-memory campaign of the 2011 template after ``steps``."""
    c = Campaign.create(compiled_template())
    run(c, steps)
    return c


def state(c: Campaign) -> str:
    """Everything observable (the replay --json report), as canonical JSON."""
    return json.dumps(c.report(), sort_keys=True, ensure_ascii=False)


def comparable(c: Campaign) -> str:
    """The report without event sequence numbers.

    A stored campaign numbers its actor and clock rows too, an in-memory one only events.
    """
    snap = c.report()
    for e in snap["events"]:
        del e["seq"]
    return json.dumps(snap, sort_keys=True, ensure_ascii=False)


def populate(c: Campaign, counties: int = 2) -> None:
    """Offices, a city bureau and ``counties`` county bureaus with one clerk each."""
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    c.add_actor("rectify", roles=["accountability"])
    units: list[tuple[str, str | None, str | None]] = [("city", "市局", None)]
    units += [(f"county-{i}", f"{i}分局", "city") for i in range(1, counties + 1)]
    c.enroll_many(units, at="2011-08-30")
    for i in range(1, counties + 1):
        c.add_actor(f"clerk-{i}", roles=["member"], unit=f"county-{i}")


Step = tuple[str, Callable[[Campaign], Any]]

#: A campaign's life in calls: every kind of row a journal holds (actors, enrollments,
#: submissions with keys, returns, waivers, findings, sanctions with rectification,
#: ticks across deadlines, escalations and phases, a unit enrolled late).
SCRIPT: list[Step] = [
    ("populate", populate),
    (
        "submit c1 work_plan",
        lambda c: c.submit(
            "county-1",
            "work_plan",
            actor="clerk-1",
            at="2011-09-05 10:00",
            key="c1-wp",
            evidence="方案.pdf",
        ),
    ),
    (
        "accept c1 work_plan",
        lambda c: c.accept("county-1", "work_plan", actor="office", at="2011-09-06"),
    ),
    (
        "submit c2 work_plan",
        lambda c: c.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-07", key="c2-wp"),
    ),
    (
        "return c2 work_plan",
        lambda c: c.return_step(
            "county-2", "work_plan", actor="office", at="2011-09-08", reason="补充"
        ),
    ),
    ("tick 09-15", lambda c: c.tick("2011-09-15")),
    (
        "resubmit c2 work_plan",
        lambda c: c.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-16"),
    ),
    (
        "waive city meeting",
        lambda c: c.waive(
            "city", "mobilization_meeting", actor="office", at="2011-09-17", reason="免报"
        ),
    ),
    ("tick 09-25", lambda c: c.tick("2011-09-25")),
    (
        "finding c1",
        lambda c: c.record_finding(
            "county-1", actor="inspector", at="2011-09-26", description="台账不全", key="f1"
        ),
    ),
    (
        "submit finding",
        lambda c: c.submit("county-1", "finding-1", actor="clerk-1", at="2011-09-28"),
    ),
    (
        "verify finding",
        lambda c: c.verify_finding("county-1", "finding-1", actor="office", at="2011-09-29"),
    ),
    (
        "sanction c2",
        lambda c: c.issue_sanction(
            "county-2",
            "interview",
            actor="rectify",
            at="2011-09-30",
            reason="迟报",
            rectify_days=3,
            key="s1",
        ),
    ),
    ("tick 10-12", lambda c: c.tick("2011-10-12")),
    ("enroll late", lambda c: c.enroll("county-3", name="三分局", parent="city", at="2011-10-13")),
    ("tick 12-05", lambda c: c.tick("2011-12-05")),
]


def run(c: Campaign, steps: Sequence[Step]) -> None:
    """Apply ``steps`` in order."""
    for _, fn in steps:
        fn(c)


def at_of(us: int) -> dt.datetime:
    """The aware instant of a journal ``at_us``."""
    return EPOCH + dt.timedelta(microseconds=us)


def semantic_replay(rows: Sequence[Row]) -> Campaign:
    """A fresh in-memory campaign driven through the public API by the journal's calls.

    Rows a call caused (phases, overdue, escalations, automatic acceptances, system
    sanctions, a sanction's rectification finding) are not replayed: the runtime derives
    them again. The result is an oracle independent of the store's own replay code.
    """
    c = in_memory()
    by_seq = {r.seq: r for r in rows}
    for r in rows:
        data = r.loaded() or {}
        at = at_of(r.at_us)
        if r.kind == "actor":
            assert r.actor is not None
            c.add_actor(r.actor, roles=data.get("roles", ()), unit=r.unit, name=data.get("name"))
        elif r.kind == "clock":
            c.tick(at)
        elif r.type == "enrolled" and r.unit is None:  # a batch: enroll_many
            ids = data["ids"]
            k = len(ids)
            names = data.get("names", [None] * k)
            parents = data.get("parents", [None] * k)
            kinds = data.get("kinds", ["unit"] * k)
            c.enroll_many(list(zip(ids, names, parents, kinds, strict=True)), at=at)
        elif r.type == "enrolled":
            c.enroll(r.unit, data.get("name"), data.get("parent"), data.get("kind", "unit"), at=at)
        elif r.actor in (None, "system") or data.get("auto"):
            continue  # derived: phases, overdue, escalation, auto-accept, system sanction
        elif r.type == "step_submitted":
            assert r.unit is not None and r.step is not None
            c.submit(r.unit, r.step, actor=r.actor, at=at, evidence=data.get("evidence"), key=r.key)
        elif r.type == "step_accepted":
            assert r.unit is not None and r.step is not None
            c.accept(r.unit, r.step, actor=r.actor, at=at, note=data.get("note"), key=r.key)
        elif r.type == "step_returned":
            assert r.unit is not None and r.step is not None
            c.return_step(r.unit, r.step, actor=r.actor, at=at, reason=data["reason"], key=r.key)
        elif r.type == "step_waived":
            assert r.unit is not None and r.step is not None
            c.waive(r.unit, r.step, actor=r.actor, at=at, reason=data.get("reason"), key=r.key)
        elif r.type == "finding_recorded":
            if data.get("source", "sanction") in ("sanction", "evaluation"):
                continue  # the rectification a sanction (or a 诫勉 grade) ordered
            assert r.unit is not None
            c.record_finding(
                r.unit,
                actor=r.actor,
                at=at,
                source=data["source"],
                description=data.get("description", ""),
                days=data.get("days"),
                key=r.key,
            )
        elif r.type == "sanction_issued":
            assert r.unit is not None
            nxt = by_seq.get(r.seq + 1)
            rectify = None
            if nxt is not None and nxt.type == "finding_recorded" and nxt.unit == r.unit:
                follow = nxt.loaded() or {}
                if follow.get("source", "sanction") == "sanction":
                    rectify = int(follow["days"])
            c.issue_sanction(
                r.unit,
                data["sanction"],
                actor=r.actor,
                at=at,
                person=data.get("person"),
                reason=data.get("reason"),
                rectify_days=rectify,
                key=r.key,
            )
        else:  # pragma: no cover - a row type this oracle does not know
            raise AssertionError(f"semantic_replay: unknown row {r}")
    return c
