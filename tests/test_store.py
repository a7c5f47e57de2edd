"""Durable campaigns: the journal, reopening, idempotency, tamper evidence, schema version.

Every test that takes ``store`` runs on a SQLite file and on a PostgreSQL campaign.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests import store_fixtures
from tests.store_fixtures import (
    ROOT,
    SCRIPT,
    TEMPLATE,
    Store,
    comparable,
    conninfo_of,
    create,
    event_row,
    expected_cursor,
    in_memory,
    populate,
    require_postgres,
    run,
    semantic_replay,
    state,
)
from zyw_flow import Campaign, DuplicateEventError, TimeOrderError
from zyw_flow._errors import JournalCorrupted, SchemaVersionError, StoreError
from zyw_flow.cli import main
from zyw_flow.store import SCHEMA_VERSION, Row, chain_hash

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server


def finished(store: Store | str, steps: list[Any] = SCRIPT) -> tuple[str, int]:
    """Run ``steps`` on a new stored campaign, close it; its state and row count."""
    c = create(store)
    run(c, steps)
    live, cursor = state(c), c.cursor
    c.close()
    return live, cursor


@functools.cache
def pristine() -> str:
    """The whole script on an in-memory campaign of the bundled template (comparable form)."""
    return comparable(in_memory(SCRIPT))


# -- the journal ------------------------------------------------------------------------
class TestJournal:
    """Each accepted call is durable when it returns; reopening rebuilds the same state."""

    def test_every_call_is_committed_before_it_returns(self, store: Store) -> None:
        """After each call an independent connection sees exactly its rows, ticks included."""
        c = create(store)
        tick_events = 0
        for label, fn in SCRIPT:
            result = fn(c)
            rows = store.rows()
            assert [r.seq for r in rows] == list(range(1, len(rows) + 1)), label
            assert expected_cursor(rows) == c.cursor, label
            returned = list(result) if isinstance(result, Sequence) else [result]
            for ev in returned:
                if ev is None or isinstance(ev, int):
                    continue
                row = event_row(rows, ev.seq)
                assert (row.type, row.at_us, row.unit or ev.unit, row.step) == (
                    ev.type if ev.type != "sanction_issued" or row.n is None else row.type,
                    ev.at_us,
                    ev.unit,
                    ev.step if row.type == ev.type else row.step,
                ), label  # a batch row (unit empty) holds the event of each of its units
            if label.startswith("tick"):
                assert returned, f"{label} fired nothing"
                tick_events += len(returned)
        assert tick_events > 50
        assert c.verify_journal().ok
        c.close()

    def test_reopen_rebuilds_exactly_the_state(self, store: Store) -> None:
        """A reopened campaign reports the very same state, with or without snapshot use."""
        live, cursor = finished(store)
        for use_snapshot in (True, False):
            c = Campaign.open(store.target, use_snapshot=use_snapshot)
            assert c.cursor == cursor == expected_cursor(store.rows())
            assert state(c) == live
            assert c.verify_journal().ok
            c.close()

    def test_stored_campaign_behaves_like_in_memory(self, store: Store) -> None:
        """A stored campaign's report equals an in-memory run of the same calls."""
        c = create(store)
        run(c, SCRIPT)
        assert comparable(c) == pristine()
        assert comparable(semantic_replay(store.rows())) == comparable(c)
        c.close()

    def test_reopen_from_snapshot_then_tail(
        self, store: Store, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A snapshot plus the rows after it rebuild the same state as a full replay."""
        c = create(store)
        run(c, SCRIPT[:9])
        taken = c.save_snapshot()
        assert taken == store.count()
        run(c, SCRIPT[9:])
        live, cursor = state(c), c.cursor
        c.close()
        assert store.count() > taken
        stored = store.sql("SELECT seq FROM zyw_snapshot WHERE campaign = ?", [store.campaign])
        assert [int(s) for (s,) in stored] == [taken]

        loads: list[int] = []
        from zyw_flow.runtime import _snapshot

        real = _snapshot.load

        def spy(compiled: Any, blob: bytes) -> Any:
            loads.append(len(blob))
            return real(compiled, blob)

        monkeypatch.setattr(_snapshot, "load", spy)
        from_snapshot = Campaign.open(store.target)
        assert loads, "the snapshot was not used"
        assert state(from_snapshot) == live
        assert from_snapshot.cursor == cursor
        full = Campaign.open(store.target, use_snapshot=False)
        assert len(loads) == 1
        assert state(full) == live
        for d in (from_snapshot, full):
            d.close()

    def test_snapshot_of_the_last_row(self, store: Store) -> None:
        """A snapshot with no tail after it reopens to the same state."""
        c = create(store)
        run(c, SCRIPT)
        c.save_snapshot()
        live = state(c)
        c.close()
        d = Campaign.open(store.target)
        assert state(d) == live
        d.close()

    def test_reopened_campaign_continues(self, store: Store) -> None:
        """Closing half-way and reopening changes nothing about the rest of the run."""
        c = create(store)
        run(c, SCRIPT[:8])
        c.save_snapshot()
        run(c, SCRIPT[8:10])
        c.close()
        d = Campaign.open(store.target)
        run(d, SCRIPT[10:])
        assert comparable(d) == pristine()
        d.close()
        e = Campaign.open(store.target, use_snapshot=False)
        assert comparable(e) == pristine()
        assert e.verify_journal().ok
        e.close()

    def test_two_handles_catch_up_before_writing(self, store: Store) -> None:
        """A stale handle applies the other's rows first, then validates against them."""
        a = create(store)
        populate(a)
        b = Campaign.open(store.target)
        rows = store.count()
        a.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
        behind = store.count() - rows
        assert behind == 2  # the phase opening and the submission
        assert b.refresh() == behind
        assert b.refresh() == 0
        assert state(b) == state(a)
        a.tick("2011-09-15")
        rows = store.count()
        ev = b.accept("county-1", "work_plan", actor="office", at="2011-09-16")
        assert ev.seq == b.cursor == expected_cursor(store.rows())
        assert event_row(store.rows(), ev.seq).type == "step_accepted"
        behind = store.count() - rows
        assert behind >= 1
        assert a.refresh() == behind
        assert state(a) == state(b)
        a.tick("2011-10-01")
        before = store.count()
        with pytest.raises(TimeOrderError):
            b.submit("county-2", "work_plan", actor="clerk-2", at="2011-09-20")
        assert store.count() == before
        assert state(b) == state(a)
        a.close()
        b.close()

    def test_open_refuses_an_empty_store(self, store: Store, tmp_path: Path) -> None:
        """Opening where no campaign was created is a StoreError, and creates nothing."""
        with pytest.raises(StoreError, match="no"):
            Campaign.open(store.target)
        if store.kind == "sqlite":
            assert not Path(store.target).exists()

    def test_create_twice_is_refused(self, store: Store) -> None:
        """A store holds one campaign; creating a second is refused, the first intact."""
        live, _ = finished(store, SCRIPT[:3])
        with pytest.raises(StoreError, match="already holds a campaign"):
            Campaign.create_stored(store.target, TEMPLATE)
        c = Campaign.open(store.target)
        assert state(c) == live
        c.close()


# -- the template a campaign started with ------------------------------------------------
def copy_template(folder: Path) -> Path:
    """The bundled 2011 template and its phase templates, copied into ``folder``."""
    (folder / "phases").mkdir(parents=True)
    shutil.copy(ROOT / "templates" / "zhiyong-2011.yaml", folder / "campaign.yaml")
    for phase in (ROOT / "templates" / "phases").glob("*.yaml"):
        shutil.copy(phase, folder / "phases" / phase.name)
    return folder / "campaign.yaml"


def edit_template(path: Path) -> None:
    """Move the work-plan deadline and rename the step, in the copied files."""
    text = path.read_text(encoding="utf-8")
    assert "due: 9月10日前" in text
    path.write_text(text.replace("due: 9月10日前", "due: 9月15日前"), encoding="utf-8")
    phase = path.parent / "phases" / "mobilization.yaml"
    ptext = phase.read_text(encoding="utf-8")
    assert "制定工作方案" in ptext
    phase.write_text(ptext.replace("制定工作方案", "改过的标题"), encoding="utf-8")


class TestTemplatePinned:
    """A stored campaign keeps the very template text (and phase texts) it started with."""

    @pytest.mark.parametrize("change", ["edit", "delete"])
    def test_changing_the_template_file_changes_nothing(
        self, store: Store, tmp_path: Path, change: str
    ) -> None:
        """Editing or deleting the template files after creation leaves the campaign as is."""
        path = copy_template(tmp_path / "tpl")
        c = Campaign.create_stored(store.target, path)
        run(c, SCRIPT[:5])
        live = state(c)
        c.close()
        if change == "edit":
            edit_template(path)
            edited = Campaign.create(path)
            run(edited, SCRIPT)
            assert comparable(edited) != pristine(), "the edit has no effect"
            assert edited.unit_status("city").steps["work_plan"].title == "改过的标题"
        else:
            shutil.rmtree(path.parent)
        d = Campaign.open(store.target)
        assert state(d) == live
        run(d, SCRIPT[5:])
        assert comparable(d) == pristine()
        steps = d.unit_status("city").steps
        assert steps["work_plan"].title == "制定工作方案"
        assert steps["work_plan"].due is not None
        assert steps["work_plan"].due.isoformat() == "2011-09-10T23:59:59.999999+08:00"
        d.close()
        assert main(["campaign", "verify", store.target]) == 0


# -- idempotency ------------------------------------------------------------------------
SUBMIT: dict[str, Any] = {"actor": "clerk-1", "at": "2011-09-05 10:00", "evidence": "a.pdf"}


class TestIdempotency:
    """A repeated key with the same payload is a duplicate; with another payload, refused."""

    def start(self, store: Store) -> tuple[Campaign, Any]:
        c = create(store)
        populate(c)
        first = c.submit("county-1", "work_plan", key="k1", **SUBMIT)
        return c, first

    def check_duplicate(self, c: Campaign, store: Store, first: Any) -> None:
        before, rows = state(c), store.count()
        again = c.submit("county-1", "work_plan", key="k1", **SUBMIT)
        assert again.duplicate and not first.duplicate
        assert again.seq == first.seq
        assert again.same_as(first)
        assert store.count() == rows
        assert state(c) == before

    def check_refused(self, c: Campaign, store: Store) -> None:
        before, rows = state(c), store.count()
        other = [
            ("county-1", "work_plan", {**SUBMIT, "evidence": "b.pdf"}),
            ("county-1", "work_plan", {**SUBMIT, "at": "2011-09-05 11:00"}),
            ("county-1", "themed_study", SUBMIT),
        ]
        for unit, step, kwargs in other:
            with pytest.raises(DuplicateEventError, match="k1"):
                c.submit(unit, step, key="k1", **kwargs)
        assert store.count() == rows
        assert state(c) == before

    def test_duplicate_is_applied_once(self, store: Store) -> None:
        """The second identical call reports the first event and writes nothing."""
        c, first = self.start(store)
        self.check_duplicate(c, store, first)
        self.check_refused(c, store)
        c.close()

    @pytest.mark.parametrize("snapshot", [False, True])
    def test_key_survives_a_restart(self, store: Store, snapshot: bool) -> None:
        """After reopening (from the journal or a snapshot) the key is still known."""
        c, first = self.start(store)
        c.tick("2011-10-01")  # the clock is past the original call: still a duplicate
        if snapshot:
            c.save_snapshot()
        c.close()
        d = Campaign.open(store.target)
        self.check_duplicate(d, store, first)
        self.check_refused(d, store)
        d.close()

    def test_key_written_by_another_handle(self, store: Store) -> None:
        """A stale handle learns the key from the other's rows before deciding."""
        c = create(store)
        populate(c)
        stale = Campaign.open(store.target)
        first = c.submit("county-1", "work_plan", key="k1", **SUBMIT)
        rows = store.count()
        again = stale.submit("county-1", "work_plan", key="k1", **SUBMIT)
        assert (again.duplicate, again.seq) == (True, first.seq)
        assert store.count() == rows
        assert state(stale) == state(c)
        with pytest.raises(DuplicateEventError):
            stale.submit("county-1", "work_plan", key="k1", **{**SUBMIT, "evidence": "b"})
        assert store.count() == rows
        c.close()
        stale.close()

    def test_findings_and_sanctions_keep_their_keys(self, store: Store) -> None:
        """Keyed findings and sanctions are duplicates after reopening, not new records."""
        c = create(store)
        populate(c)
        f = c.record_finding("county-1", actor="inspector", at="2011-09-26", key="f", days=3)
        s = c.issue_sanction(
            "county-2", "interview", actor="rectify", at="2011-09-27", rectify_days=2, key="s"
        )
        c.close()
        d = Campaign.open(store.target)
        before, rows = state(d), store.count()
        f2 = d.record_finding("county-1", actor="inspector", at="2011-09-26", key="f", days=3)
        s2 = d.issue_sanction(
            "county-2", "interview", actor="rectify", at="2011-09-27", rectify_days=2, key="s"
        )
        assert (f2.duplicate, f2.seq, f2.step) == (True, f.seq, "finding-1")
        assert (s2.duplicate, s2.seq) == (True, s.seq)
        assert (store.count(), state(d)) == (rows, before)
        with pytest.raises(DuplicateEventError):
            d.record_finding("county-1", actor="inspector", at="2011-09-26", key="f", days=4)
        with pytest.raises(DuplicateEventError):
            d.issue_sanction(
                "county-2", "admonition_talk", actor="rectify", at="2011-09-27", key="s"
            )
        assert store.count() == rows
        d.close()


# -- tamper evidence --------------------------------------------------------------------
def row_of(store: Store, type_: str, unit: str | None = None) -> int:
    """The first row of a type (and unit)."""
    for r in store.rows():
        if r.type == type_ and (unit is None or r.unit == unit):
            return r.seq
    raise AssertionError(f"no {type_} row")


def tamper_data(store: Store) -> int:
    seq = row_of(store, "enrolled", "county-3")
    store.sql(
        "UPDATE zyw_journal SET data = ? WHERE campaign = ? AND seq = ?",
        ['{"kind":"unit","name":"假分局","parent":"city"}', store.campaign, seq],
    )
    return seq


def tamper_at(store: Store) -> int:
    seq = row_of(store, "step_submitted", "county-2")
    store.sql(
        "UPDATE zyw_journal SET at_us = at_us + 3600000000 WHERE campaign = ? AND seq = ?",
        [store.campaign, seq],
    )
    return seq


def tamper_unit(store: Store) -> int:
    seq = row_of(store, "step_accepted", "county-1")
    store.sql(
        "UPDATE zyw_journal SET unit = ? WHERE campaign = ? AND seq = ?",
        ["county-2", store.campaign, seq],
    )
    return seq


def tamper_delete(store: Store) -> int:
    seq = row_of(store, "step_returned")
    store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq = ?", [store.campaign, seq])
    return seq


SWAP_COLUMNS = ("kind", "type", "at_us", "unit", "step", "actor", "data", "key", "fingerprint")


def tamper_swap(store: Store) -> int:
    """Swap two neighbouring rows' content (hashes included): the order changes."""
    seq = row_of(store, "step_submitted", "county-2")
    cols = (*SWAP_COLUMNS, "hash")
    a, b = (
        store.sql(
            f"SELECT {', '.join(cols)} FROM zyw_journal WHERE campaign = ? AND seq = ?",
            [store.campaign, s],
        )[0]
        for s in (seq, seq + 1)
    )
    assert a != b
    sets = ", ".join(f"{c} = ?" for c in cols)
    for s, values in ((seq, b), (seq + 1, a)):
        store.sql(
            f"UPDATE zyw_journal SET {sets} WHERE campaign = ? AND seq = ?",
            [*values, store.campaign, s],
        )
    return seq


def tamper_hash(store: Store) -> int:
    seq = row_of(store, "step_waived")
    store.sql(
        "UPDATE zyw_journal SET hash = ? WHERE campaign = ? AND seq = ?",
        ["0" * 64, store.campaign, seq],
    )
    return seq


def tamper_event_number(store: Store) -> int:
    """Renumber an event (journals that number events apart from their rows)."""
    if "eseq" not in store.columns():
        pytest.skip("this journal layout has no separate event numbers")
    seq = row_of(store, "step_accepted", "county-1")
    store.sql(
        "UPDATE zyw_journal SET eseq = eseq + 1000 WHERE campaign = ? AND seq = ?",
        [store.campaign, seq],
    )
    return seq


TAMPERS: dict[str, Callable[[Store], int]] = {
    "eseq": tamper_event_number,
    "data": tamper_data,
    "at_us": tamper_at,
    "unit": tamper_unit,
    "delete": tamper_delete,
    "swap": tamper_swap,
    "hash": tamper_hash,
}


def verify_cli(target: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["campaign", "verify", target])
    out = capsys.readouterr()
    return code, out.out + out.err


class TestTamperEvidence:
    """A hand-edited journal is reported (first broken row) and refused on open."""

    @pytest.mark.parametrize("how", sorted(TAMPERS))
    def test_edited_row_is_named_and_refused(
        self, store: Store, how: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """verify exits 1 naming the row; open raises JournalCorrupted; a live handle sees it."""
        finished(store)
        watcher = Campaign.open(store.target)
        assert watcher.verify_journal().ok
        seq = TAMPERS[how](store)
        code, out = verify_cli(store.target, capsys)
        assert code == 1
        assert re.search(rf"BROKEN at row {seq}\b", out), out
        report = watcher.verify_journal()
        assert (report.ok, report.first_bad) == (False, seq)
        watcher.close()
        with pytest.raises(JournalCorrupted, match=rf"row {seq}\b"):
            Campaign.open(store.target)

    def test_stale_handle_refuses_to_build_on_a_tampered_row(self, store: Store) -> None:
        """A handle catching up on an edited row refuses the call and writes nothing."""
        c = create(store)
        run(c, SCRIPT[:3])
        stale = Campaign.open(store.target)
        run(c, SCRIPT[3:6])
        c.close()
        seq = tamper_at(store)
        rows = store.count()
        with pytest.raises(JournalCorrupted, match=rf"row {seq}\b"):
            stale.tick("2011-12-31")
        assert store.count() == rows
        stale.close()

    def test_changed_template_text_is_detected(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An edited stored template (hash left alone) fails verify and open."""
        finished(store, SCRIPT[:4])
        text = store.meta("template_text")
        store.set_meta("template_text", text.replace("9月10日前", "9月15日前"))
        code, out = verify_cli(store.target, capsys)
        assert code == 1
        assert "template" in out and "BROKEN" in out
        with pytest.raises(JournalCorrupted, match="template"):
            Campaign.open(store.target)

    def test_rehashed_template_breaks_the_chain(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Editing the template and its hash together still breaks row 1 (the genesis)."""
        finished(store, SCRIPT[:4])
        text = store.meta("template_text").replace("9月10日前", "9月15日前")
        store.set_meta("template_text", text)
        store.set_meta("template_sha256", hashlib.sha256(text.encode("utf-8")).hexdigest())
        code, out = verify_cli(store.target, capsys)
        assert code == 1
        assert re.search(r"BROKEN at row 1\b", out), out
        with pytest.raises(JournalCorrupted, match=r"row 1\b"):
            Campaign.open(store.target, use_snapshot=False)

    def test_changed_params_break_the_chain(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Another year in the stored parameters breaks row 1."""
        finished(store, SCRIPT[:4])
        assert json.loads(store.meta("params")) == {"year": 2011}
        store.set_meta("params", json.dumps({"year": 2012}))
        code, out = verify_cli(store.target, capsys)
        assert code == 1 and re.search(r"BROKEN at row 1\b", out), out
        with pytest.raises(JournalCorrupted):
            Campaign.open(store.target)

    def test_changed_phase_texts_are_detected(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """An edited stored phase template fails verify and open (it shapes every unit)."""
        finished(store, SCRIPT[:4])
        phases = json.loads(store.meta("phase_texts"))
        phases["mobilization"] = phases["mobilization"].replace("制定工作方案", "篡改的标题")
        store.set_meta("phase_texts", json.dumps(phases, ensure_ascii=False, sort_keys=True))
        code, out = verify_cli(store.target, capsys)
        assert code == 1 and "BROKEN" in out, out
        with pytest.raises(JournalCorrupted):
            Campaign.open(store.target)

    def test_truncated_tail_is_not_detectable(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Cutting whole calls off the end leaves a valid prefix: it verifies and reopens.

        A hash chain cannot tell a truncated journal from a shorter one. What the library
        guarantees is that the prefix is exactly the state after those calls, and that
        re-running the lost calls rebuilds the very same rows.
        """
        c = create(store)
        after: list[tuple[int, str]] = []
        for _, fn in SCRIPT:
            fn(c)
            after.append((store.count(), state(c)))
        original = [r.hash for r in store.rows()]
        c.close()
        k = 8  # after "tick 09-25"
        keep, expected = after[k]
        store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq > ?", [store.campaign, keep])
        code, out = verify_cli(store.target, capsys)
        assert code == 0
        assert f"ok: {keep} rows" in out
        d = Campaign.open(store.target)
        assert state(d) == expected
        assert d.cursor == expected_cursor(store.rows())
        run(d, SCRIPT[k + 1 :])
        assert state(d) == after[-1][1]
        assert [r.hash for r in store.rows()] == original
        d.close()

    def test_truncation_below_a_snapshot_is_refused(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A snapshot newer than the journal's end makes open refuse; the prefix verifies."""
        c = create(store)
        run(c, SCRIPT)
        snap = c.save_snapshot()
        c.close()
        store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq > ?", [store.campaign, 40])
        with pytest.raises(JournalCorrupted, match=f"snapshot at row {snap}"):
            Campaign.open(store.target)
        code, out = verify_cli(store.target, capsys)
        assert code == 0 and "ok: 40 rows" in out
        d = Campaign.open(store.target, use_snapshot=False)
        assert d.cursor == expected_cursor(store.rows())
        assert store.count() == 40
        d.close()

    def test_changed_snapshot_is_refused(self, store: Store) -> None:
        """A snapshot whose bytes changed is refused; a full replay still opens."""
        live, _ = finished(store, SCRIPT[:9])
        c = Campaign.open(store.target)
        c.save_snapshot()
        c.close()
        (blob,) = store.sql("SELECT state FROM zyw_snapshot WHERE campaign = ?", [store.campaign])[
            0
        ]
        changed = bytearray(bytes(blob))
        changed[len(changed) // 2] ^= 0x01
        store.sql(
            "UPDATE zyw_snapshot SET state = ? WHERE campaign = ?",
            [bytes(changed), store.campaign],
        )
        with pytest.raises(JournalCorrupted, match="snapshot"):
            Campaign.open(store.target)
        d = Campaign.open(store.target, use_snapshot=False)
        assert state(d) == live
        d.close()

    def test_snapshot_moved_to_another_row_is_refused(self, store: Store) -> None:
        """An old (self-consistent) snapshot relabelled as a newer one does not match the chain."""
        c = create(store)
        run(c, SCRIPT[:5])
        early = c.save_snapshot()
        run(c, SCRIPT[5:])
        late = store.count()
        c.close()
        store.sql(
            "UPDATE zyw_snapshot SET seq = ? WHERE campaign = ? AND seq = ?",
            [late, store.campaign, early],
        )
        with pytest.raises(JournalCorrupted, match=f"snapshot at row {late}"):
            Campaign.open(store.target)

    def test_edit_before_a_snapshot_is_refused(
        self, store: Store, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """Rows older than the snapshot are still checked: the default open refuses them."""
        c = create(store)
        run(c, SCRIPT)
        snap = c.save_snapshot()
        c.close()
        seq = tamper_swap(store)
        assert seq < snap
        with pytest.raises(JournalCorrupted, match=rf"row {seq}\b"):
            Campaign.open(store.target)
        code, out = verify_cli(store.target, capsys)
        assert code == 1 and re.search(rf"BROKEN at row {seq}\b", out), out

    def test_journal_verify_accepts_an_intact_journal(self, store: Store) -> None:
        """The store's own verify() agrees with Campaign.verify_journal() on an intact journal."""
        finished(store, SCRIPT[:3])
        c = Campaign.open(store.target)
        assert c.verify_journal().ok
        assert c.store is not None
        assert c.store.verify().ok
        c.close()


# -- schema version ---------------------------------------------------------------------
@pytest.fixture
def scratch_pg(postgres_server: str) -> Iterator[str]:
    """A PostgreSQL database of its own (the schema table is shared by all campaigns)."""
    import psycopg

    name = f"zt_schema_{uuid.uuid4().hex[:12]}"
    admin = conninfo_of(postgres_server)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = urlunsplit(urlsplit(admin)._replace(path=f"/{name}"))
    yield store_fixtures.campaign_url(base, "schema")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class TestSchemaVersion:
    """A journal of a newer schema is refused and left untouched; an older one migrates."""

    def check(self, target: str, sql: Callable[[str], list[Any]], capsys: Any) -> None:
        live, _ = finished(target, SCRIPT[:3])
        assert sql("SELECT version FROM zyw_schema WHERE component = 'journal'") == [
            (SCHEMA_VERSION,)
        ]
        sql("UPDATE zyw_schema SET version = 99")
        before = sql("SELECT COUNT(*) FROM zyw_journal")
        with pytest.raises(SchemaVersionError, match="99"):
            Campaign.open(target)
        with pytest.raises(SchemaVersionError):
            Campaign.create_stored(target, TEMPLATE)
        capsys.readouterr()
        assert main(["campaign", "verify", target]) == 2
        assert "newer" in capsys.readouterr().err
        assert sql("SELECT version FROM zyw_schema") == [(99,)]
        assert sql("SELECT COUNT(*) FROM zyw_journal") == before
        sql(f"UPDATE zyw_schema SET version = {SCHEMA_VERSION}")
        c = Campaign.open(target)
        assert state(c) == live
        c.close()

    def test_sqlite(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """SQLite: version 99 raises SchemaVersionError (a StoreError) on open and create."""
        assert issubclass(SchemaVersionError, StoreError)
        path = tmp_path / "c.db"

        def sql(text: str) -> list[Any]:
            with sqlite3.connect(path) as db:
                return db.execute(text).fetchall()

        self.check(str(path), sql, capsys)

    @pytest.mark.postgres
    def test_postgres(self, scratch_pg: str, capsys: pytest.CaptureFixture[str]) -> None:
        """PostgreSQL: the same, in a scratch database."""
        import psycopg

        def sql(text: str) -> list[Any]:
            with psycopg.connect(conninfo_of(scratch_pg), autocommit=True) as conn:
                cur = conn.execute(text)  # type: ignore[arg-type]
                return list(cur.fetchall()) if cur.description else []

        self.check(scratch_pg, sql, capsys)

    @pytest.mark.skipif(SCHEMA_VERSION < 2, reason="schema 1 is the current one")
    def test_schema_1_journal_is_migrated(self, tmp_path: Path) -> None:
        """A journal in the schema-1 layout (as zyw_flow 0.1.0 wrote it) opens unchanged."""
        current = Store("sqlite", str(tmp_path / "now.db"), "default")
        c = create(current)
        run(c, SCRIPT)
        live = state(c)
        legacy = list(legacy_rows(c, current.rows()))
        c.close()
        meta = {
            k: current.meta(k)
            for k in (
                "campaign_id",
                "template_text",
                "template_file",
                "template_sha256",
                "phase_texts",
                "params",
                "zyw_flow_version",
            )
        }
        old = tmp_path / "schema1.db"
        with sqlite3.connect(old) as db:
            db.executescript(SCHEMA_1)
            db.executemany("INSERT INTO zyw_meta VALUES ('default', ?, ?)", sorted(meta.items()))
            prev = hashlib.sha256((meta["template_sha256"] + meta["params"]).encode()).hexdigest()
            for seq, body in enumerate(legacy, start=1):
                prev = chain_hash(prev, seq, *body)
                db.execute(
                    "INSERT INTO zyw_journal VALUES ('default', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [seq, *body, prev],
                )
        d = Campaign.open(str(old))
        assert state(d) == live
        assert d.verify_journal().ok
        d.tick("2012-01-05")
        d.close()
        with sqlite3.connect(old) as db:
            assert db.execute("SELECT version FROM zyw_schema").fetchall() == [(SCHEMA_VERSION,)]


def legacy_rows(c: Campaign, rows: Sequence[Row]) -> Iterator[tuple[Any, ...]]:
    """The journal as zyw_flow 0.1.0 wrote it: one row per event, in the public form
    (kind, type, at_us, unit, step, actor, data, key, fingerprint)."""
    events = {e.seq: e for e in c.events(0)}
    fingerprints = {r.key: r.fingerprint for r in rows if r.key is not None}
    for r in rows:
        if r.kind != "event":
            yield (r.kind, r.type, r.at_us, r.unit, r.step, r.actor, r.data, r.key, r.fingerprint)
            continue
        assert r.eseq is not None
        for seq in range(r.eseq, r.eseq + (r.n or 1)):
            e = events[seq]
            data = dict(e.data) if e.data else None
            text = (
                None
                if not data
                else json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            )
            fp = fingerprints.get(e.key) if e.key is not None else None
            yield ("event", e.type, e.at_us, e.unit, e.step, e.actor, text, e.key, fp)


#: The tables as zyw_flow 0.1.0 (journal schema 1) created them.
SCHEMA_1 = """
CREATE TABLE zyw_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
INSERT INTO zyw_schema VALUES ('journal', 1);
CREATE TABLE zyw_meta (campaign TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (campaign, key));
CREATE TABLE zyw_journal (campaign TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
    type TEXT NOT NULL, at_us INTEGER NOT NULL, unit TEXT, step TEXT, actor TEXT, data TEXT,
    key TEXT, fingerprint TEXT, hash TEXT NOT NULL, PRIMARY KEY (campaign, seq));
CREATE TABLE zyw_snapshot (campaign TEXT NOT NULL, seq INTEGER NOT NULL, state BLOB NOT NULL,
    state_hash TEXT NOT NULL, PRIMARY KEY (campaign, seq));
"""


# -- the PostgreSQL gate ----------------------------------------------------------------
class TestPostgresGate:
    """Without a server the PostgreSQL tests skip — or fail when ZYW_FLOW_REQUIRE_PG=1."""

    NOWHERE = "postgresql://postgres@127.0.0.1:1/nothing"

    def test_skips_without_a_server(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No server and no requirement: a skip that says why."""
        monkeypatch.delenv(store_fixtures.REQUIRE_PG_ENV, raising=False)
        with pytest.raises(pytest.skip.Exception, match="cannot connect"):
            require_postgres(self.NOWHERE)

    def test_fails_when_required(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """ZYW_FLOW_REQUIRE_PG=1 turns the skip into a failure."""
        monkeypatch.setenv(store_fixtures.REQUIRE_PG_ENV, "1")
        with pytest.raises(pytest.fail.Exception, match="failing instead of skipping"):
            require_postgres(self.NOWHERE)

    @pytest.mark.postgres
    def test_the_local_server_answers(self, postgres_server: str) -> None:
        """The configured server is reachable (this fails under CI if it is not)."""
        require_postgres(postgres_server)
