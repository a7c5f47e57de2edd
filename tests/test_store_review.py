"""Stored campaigns and the relay after review: each test failed before its fix.

* a reader's ``events()`` never decodes rows another process committed after its last
  catch-up (it raised a false ``JournalCorrupted`` for units it did not know yet), so a
  relay beside a writer that enrolls units keeps delivering;
* a busy target's undelivered events are counted in ``pending``;
* no command writes its output over the file it reads (a store, its side files);
* ``Campaign.open(verify=…)`` takes only ``"full"`` or ``"tail"``; a schema version that
  is not a number is a changed store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests import relay_fixtures, store_fixtures
from tests.relay_fixtures import Hook
from tests.store_fixtures import Store
from zyw_flow import Campaign, JournalCorrupted, TransitionRefused
from zyw_flow.cli import main
from zyw_flow.relay import Relay, WebhookTarget

sqlite_store = store_fixtures.sqlite_store
postgres_server = store_fixtures.postgres_server
pg_store = store_fixtures.pg_store
store = store_fixtures.store
hook = relay_fixtures.hook


def founded(target: str) -> Campaign:
    c = Campaign.create_stored(target, "zhiyong-2011")
    c.add_actor("office", roles=["office"])
    c.enroll_many([("city", "市局", None)], at="2011-08-30")
    return c


def grow(c: Campaign, n: int) -> None:
    """What another process does meanwhile: new units, their members, their submissions."""
    for i in range(n):
        u = f"n{i}"
        c.enroll_many([(u, u, "city")], at="2011-09-05")
        c.add_actor(f"k{u}", roles=["member"], unit=u)
        c.submit(u, "work_plan", actor=f"k{u}", at="2011-09-05")
    c.tick("2011-09-15")


def test_a_reader_sees_what_it_caught_up_with(store: Store) -> None:
    writer = founded(store.target)
    reader = Campaign.open(store.target)
    seen = [e.seq for e in reader.events(since=0)]
    grow(writer, 3)
    assert [e.seq for e in reader.events(since=0)] == seen  # not yet caught up: as it was
    reader.refresh()
    assert [e.to_json() for e in reader.events(since=0)] == [
        e.to_json() for e in writer.events(since=0)
    ]
    writer.close()
    reader.close()


def test_the_relay_delivers_past_rows_committed_after_its_refresh(
    sqlite_store: Store, hook: Hook, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox holds rows committed between the relay's refresh and its read: the pass
    delivers what the campaign caught up with; the next pass the rest, in order."""
    writer = founded(sqlite_store.target)
    relay = Relay(sqlite_store.target, [WebhookTarget(hook.url, timeout=2)])
    real_refresh = relay.campaign.refresh
    monkeypatch.setattr(relay.campaign, "refresh", lambda: 0)  # the window: rows land now
    grow(writer, 3)
    first = relay.run_once()
    assert first.failed == 0 and first.pending > 0
    monkeypatch.setattr(relay.campaign, "refresh", real_refresh)
    second = relay.run_once()
    assert second.pending == 0
    delivered = [r.payload["event"]["seq"] for r in hook.received]
    assert delivered == relay_fixtures.outgoing(writer)
    relay.close()
    writer.close()


def test_a_busy_target_still_counts_what_it_has_to_deliver(tmp_path: Path) -> None:
    db = str(tmp_path / "busy.db")
    c = founded(db)
    c.tick("2011-09-10")
    url = "http://127.0.0.1:9/hook"  # nothing listens: the first relay keeps failing
    first = Relay(db, [WebhookTarget(url, timeout=1)])
    assert first.run_once().failed == 1
    c.tick("2011-09-15")
    second = Relay(db, [WebhookTarget(url, timeout=1)])
    report = second.run_once()
    assert len(report.busy) == 1  # leased to the first relay
    assert report.pending == len(relay_fixtures.outgoing(c))
    for r in (first, second):
        r.close()
    c.close()


@pytest.mark.parametrize(
    "args",
    [
        ("campaign", "export", "{db}", "-o", "{db}"),
        ("campaign", "export", "{db}", "--format", "csv", "-o", "{db}"),
        ("campaign", "export", "{db}", "--what", "board", "-o", "{db}"),
        ("campaign", "export", "{db}", "-o", "{db}-wal"),
        ("campaign", "ics", "{db}", "-o", "{db}"),
        ("campaign", "board", "{db}", "--html", "{db}"),
        ("evaluate", "{db}", "--html", "{db}"),
    ],
)
def test_no_command_writes_over_the_store_it_reads(
    tmp_path: Path, args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    db = str(tmp_path / "c.db")
    founded(db).close()
    before = Path(db).read_bytes()
    capsys.readouterr()
    code = main([a.format(db=db) for a in args])
    err = capsys.readouterr().err
    assert code == 2 and "this command reads" in err
    assert Path(db).read_bytes() == before
    again = Campaign.open(db)
    assert len(again) == 1
    again.close()


def test_a_scenario_is_not_written_over(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text("template: zhiyong-2011\nunits: [{id: city, name: 市局}]\n", "utf-8")
    code = main(["replay", str(scenario), "--html", str(scenario)])
    assert code == 2 and "a file this command reads" in capsys.readouterr().err
    assert scenario.read_text("utf-8").startswith("template:")


def test_verify_takes_full_or_tail(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    founded(db).close()
    for bad in ("Full", "strict", ""):
        with pytest.raises(TransitionRefused, match="verify must be 'full' or 'tail'"):
            Campaign.open(db, verify=bad)  # type: ignore[arg-type]


def test_a_schema_version_that_is_not_a_number_is_a_changed_store(tmp_path: Path) -> None:
    db = str(tmp_path / "c.db")
    founded(db).close()
    con = sqlite3.connect(db)
    con.execute("UPDATE zyw_schema SET version = 'abc'")
    con.commit()
    con.close()
    with pytest.raises(JournalCorrupted, match="zyw_schema holds journal version 'abc'"):
        Campaign.open(db)
