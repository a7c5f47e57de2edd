"""Snapshots are data, reopen modes, and what a stored campaign freezes."""

from __future__ import annotations

import json
import pickle
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import ROOT
from zyw_flow import Campaign, JournalCorrupted


def stored(tmp_path: Path) -> tuple[Path, str]:
    db = tmp_path / "c.db"
    c = Campaign.create_stored(db, "zhiyong-2011")
    c.add_actor("office", ["office"])
    c.add_actor("m", ["member"], unit="u1")
    c.enroll_many([{"id": "city"}, {"id": "u1", "parent": "city"}], at="2011-08-31")
    c.submit("u1", "work_plan", actor="m", at="2011-09-05", key="k")
    c.tick("2011-09-30")
    c.save_snapshot()
    c.accept("u1", "work_plan", actor="office", at="2011-10-08")
    live = json.dumps(c.report(), sort_keys=True)
    c.close()
    return db, live


class TestReopenModes:
    @pytest.mark.parametrize("verify", ["full", "tail"])
    def test_both_modes_rebuild_the_state(self, tmp_path: Path, verify: str) -> None:
        """`verify="full"` and `verify="tail"` rebuild the same state."""
        db, live = stored(tmp_path)
        c = Campaign.open(db, verify=verify)  # type: ignore[arg-type]
        assert json.dumps(c.report(), sort_keys=True) == live
        c.close()

    def test_tail_mode_still_checks_the_tail(self, tmp_path: Path) -> None:
        """A row after the snapshot that was changed is refused in either mode."""
        db, _ = stored(tmp_path)
        with sqlite3.connect(db) as con:
            last = con.execute("SELECT MAX(seq) FROM zyw_journal").fetchone()[0]
            con.execute("UPDATE zyw_journal SET actor = 'intruder' WHERE seq = ?", (last,))
        for verify in ("full", "tail"):
            with pytest.raises(JournalCorrupted):
                Campaign.open(db, verify=verify)  # type: ignore[arg-type]

    def test_full_mode_checks_before_the_snapshot(self, tmp_path: Path) -> None:
        """An edit before the snapshot is refused by the default (full) open."""
        db, _ = stored(tmp_path)
        with sqlite3.connect(db) as con:
            con.execute("UPDATE zyw_journal SET at_us = at_us + 1 WHERE seq = 3")
        with pytest.raises(JournalCorrupted):
            Campaign.open(db)
        c = Campaign.open(db, verify="tail")  # documented: older history left to verify()
        assert not c.verify_journal().ok
        c.close()


class TestSnapshotsAreData:
    def test_a_pickle_is_not_loaded(self, tmp_path: Path) -> None:
        """A snapshot replaced by a pickle (even with a matching hash) is refused, not run."""
        import hashlib

        db, _ = stored(tmp_path)
        evil = pickle.dumps({"x": 1})
        with sqlite3.connect(db) as con:
            con.execute(
                "UPDATE zyw_snapshot SET state = ?, state_hash = ?",
                (evil, hashlib.sha256(evil).hexdigest()),
            )
        with pytest.raises(JournalCorrupted, match="snapshot"):
            Campaign.open(db)


class TestFrozenAtCreation:
    def test_scoring_schemes_are_stored(self, tmp_path: Path) -> None:
        """Editing the scoring scheme file later does not change a stored campaign."""
        folder = tmp_path / "tpl"
        shutil.copytree(ROOT / "templates", folder)
        db = tmp_path / "c.db"
        c = Campaign.create_stored(db, folder / "zhiyong-2011.yaml")
        c.close()
        scheme = folder / "scoring" / "bureau-unit.yaml"
        scheme.write_text("this: is not a scheme\n", encoding="utf-8")
        again = Campaign.open(db)
        assert again.compiled.schemes["units"].id == "bureau-unit"
        again.close()


class TestCalendarFrozen:
    def test_holiday_data_upgrade_does_not_move_deadlines(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The working days are stored at creation: a changed holiday table (a package
        upgrade) moves nothing in a running campaign, while a new campaign sees it."""
        import datetime as dt

        from chinese_calendar import constants

        from zyw_flow.dates import _calendar

        db = tmp_path / "c.db"
        c = Campaign.create_stored(db, "zhiyong-2011")
        before = c.compiled.escalation_us
        c.close()
        # "upgrade": the 调休 Saturday 2011-10-08 becomes a day off
        workdays = dict(constants.workdays)
        workdays.pop(dt.date(2011, 10, 8))
        monkeypatch.setattr(constants, "workdays", workdays)
        _calendar._cn_data.cache_clear()
        try:
            fresh = Campaign.create("zhiyong-2011")
            assert fresh.compiled.escalation_us != before  # the upgrade is real
            again = Campaign.open(db)
            assert again.compiled.escalation_us == before
            again.close()
        finally:
            monkeypatch.undo()
            _calendar._cn_data.cache_clear()
