"""Signed checkpoints: the RFC 6962 Merkle tree, receipts, and what they detect."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests import store_fixtures
from tests.store_fixtures import SCRIPT, Store, create, run
from zyw_flow import Campaign, SigningKeyError, StoreError
from zyw_flow.cli import main
from zyw_flow.store import (
    SCHEMA_VERSION,
    Checkpoint,
    generate_keys,
    load_private_key,
    open_journal,
    parse_receipt,
    verify_receipt,
)
from zyw_flow.store._journal import campaign_genesis, row_hash
from zyw_flow.store._merkle import (
    EMPTY_ROOT,
    Frontier,
    Tree,
    consistency_proof,
    leaf_hash,
    node_hash,
    verify_consistency,
)

store = store_fixtures.store
sqlite_store = store_fixtures.sqlite_store
pg_store = store_fixtures.pg_store
postgres_server = store_fixtures.postgres_server

T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def mth(leaves: list[bytes]) -> bytes:
    """MTH of RFC 6962 §2.1, written as the RFC states it (the reference)."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def leaves_of(n: int, salt: int = 0) -> list[bytes]:
    return [leaf_hash(hashlib.sha256(f"{salt}:{i}".encode()).hexdigest()) for i in range(n)]


class TestMerkleTree:
    """The tree, its right edge and consistency proofs follow RFC 6962 / RFC 9162."""

    def test_leaf_and_node_prefixes(self) -> None:
        """A leaf is SHA-256(0x00 || row hash), a node SHA-256(0x01 || left || right)."""
        h = "ab" * 32
        assert leaf_hash(h) == hashlib.sha256(b"\x00" + bytes.fromhex(h)).digest()
        a, b = b"a" * 32, b"b" * 32
        assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
        assert Tree([]).root() == EMPTY_ROOT == hashlib.sha256(b"").digest()

    @given(st.integers(0, 140))
    def test_root_is_the_rfc_tree(self, n: int) -> None:
        """Tree and Frontier give MTH(D[n]) for any size (not only powers of two)."""
        leaves = leaves_of(n)
        frontier = Frontier()
        for leaf in leaves:
            frontier.add(leaf)
        assert Tree(leaves).root() == mth(leaves) == frontier.root()

    @given(st.integers(1, 90).flatmap(lambda n: st.tuples(st.integers(1, n), st.just(n))))
    def test_consistency_proof_verifies(self, mn: tuple[int, int]) -> None:
        """PROOF(m, D[n]) verifies against MTH(D[m]) and MTH(D[n])."""
        m, n = mn
        leaves = leaves_of(n)
        tree = Tree(leaves)
        proof = consistency_proof(tree, m)
        assert verify_consistency(m, n, mth(leaves[:m]), tree.root(), proof)

    @given(
        st.integers(2, 70).flatmap(
            lambda n: st.tuples(st.integers(1, n - 1), st.just(n), st.integers(0, n - 1))
        )
    )
    def test_a_changed_leaf_breaks_the_proof(self, mni: tuple[int, int, int]) -> None:
        """Changing any of the first m leaves makes the proof from the old root fail."""
        m, n, i = mni
        i %= m
        leaves = leaves_of(n)
        old = mth(leaves[:m])
        leaves[i] = leaf_hash("00" * 32)
        tree = Tree(leaves)
        assert not verify_consistency(m, n, old, tree.root(), consistency_proof(tree, m))

    def test_a_proof_for_another_size_fails(self) -> None:
        """A proof checked against the wrong sizes or an altered proof does not verify."""
        leaves = leaves_of(13)
        tree = Tree(leaves)
        proof = consistency_proof(tree, 6)
        old = mth(leaves[:6])
        assert verify_consistency(6, 13, old, tree.root(), proof)
        assert not verify_consistency(7, 13, old, tree.root(), proof)
        # (the root does not bind the size, RFC 9162 §2.1.4: the size is what a
        # checkpoint signs, and the journal's size is counted, not taken from a proof)
        assert not verify_consistency(6, 13, old, tree.root(), proof[:-1])
        assert not verify_consistency(14, 13, old, tree.root(), proof)


# -- stores -----------------------------------------------------------------------------
@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    return generate_keys(tmp_path / "signing.key")


@pytest.fixture
def campaign(store: Store) -> Iterator[Campaign]:
    c = create(store)
    run(c, SCRIPT)
    yield c
    c.close()


def checkpoint(store: Store, key: Path) -> Checkpoint:
    j = open_journal(store.target, create=False)
    try:
        return j.checkpoint(key, time=T0)
    finally:
        j.close()


def check(store: Store, receipt: Checkpoint | str, public: Path) -> tuple[bool, str, str]:
    j = open_journal(store.target, create=False, read_only=True)
    try:
        report = verify_receipt(j, receipt, public)
    finally:
        j.close()
    return report.ok, report.finding, str(report)


def rehash_from(store: Store, seq: int) -> None:
    """Recompute every hash from row ``seq`` on, as a determined editor would."""
    rows = store.rows()
    meta = {k: store.meta(k) for k in ("chain_version",)}
    prev = rows[seq - 2].hash if seq > 1 else genesis(store)
    for row in rows[seq - 1 :]:
        h = row_hash(meta["chain_version"], prev, row)
        store.sql(
            "UPDATE zyw_journal SET hash = ? WHERE campaign = ? AND seq = ?",
            [h, store.campaign, row.seq],
        )
        prev = h


def genesis(store: Store) -> str:
    found = store.sql("SELECT key, value FROM zyw_meta WHERE campaign = ?", [store.campaign])
    return campaign_genesis({str(k): str(v) for k, v in found})


class TestReceipts:
    """A receipt round trip, and each kind of tampering found and named."""

    def test_round_trip(self, store: Store, campaign: Campaign, keys: tuple[Path, Path]) -> None:
        """A receipt verifies now, and after the journal grew; it is small canonical JSON."""
        private, public = keys
        receipt = checkpoint(store, private)
        assert receipt.tree_size == store.count()
        assert receipt.store_campaign == store.campaign
        assert receipt.campaign_id == "zhiyong-2011"
        assert receipt.time == "2026-12-01T10:00:00Z"
        assert parse_receipt(receipt.text()) == receipt
        assert set(json.loads(receipt.text())) == {
            "format",
            "campaign_id",
            "store_campaign",
            "tree_size",
            "root_hash",
            "time",
            "key_id",
            "signature",
        }
        assert check(store, receipt, public)[:2] == (True, "ok")
        campaign.tick("2011-12-20")
        campaign.add_actor("late", roles=["office"])
        ok, finding, text = check(store, receipt.text(), public)
        assert (ok, finding) == (True, "ok")
        assert f"extend the receipt's {receipt.tree_size:,} rows" in text
        stored = open_journal(store.target, create=False)
        try:
            assert stored.checkpoints() == [receipt]
        finally:
            stored.close()

    def test_truncation_by_one_row(
        self, store: Store, campaign: Campaign, keys: tuple[Path, Path]
    ) -> None:
        """Deleting the last row (the chain is still intact) is found."""
        receipt = checkpoint(store, keys[0])
        n = store.count()
        store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq = ?", [store.campaign, n])
        assert campaign.verify_journal().ok  # the chain alone cannot tell
        ok, finding, text = check(store, receipt, keys[1])
        assert (ok, finding) == (False, "truncated")
        assert f"the receipt covers {n:,} rows, the journal holds {n - 1:,}" in text
        assert "(1 row removed from the end)" in text

    def test_truncation_by_1000_rows(self, store: Store, keys: tuple[Path, Path]) -> None:
        """Deleting the last 1,000 rows is found and counted."""
        c = create(store)
        try:
            for i in range(1_010):
                c.add_actor(f"a{i}", roles=["office"])
        finally:
            c.close()
        receipt = checkpoint(store, keys[0])
        store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq > 10", [store.campaign])
        ok, finding, text = check(store, receipt, keys[1])
        assert (ok, finding) == (False, "truncated")
        assert "(1,000 rows removed from the end)" in text

    def test_rewritten_and_rehashed_middle_row(
        self, store: Store, campaign: Campaign, keys: tuple[Path, Path]
    ) -> None:
        """A changed middle row with the chain re-hashed after it passes the chain, not the
        receipt."""
        receipt = checkpoint(store, keys[0])
        middle = store.count() // 2
        store.sql(
            "UPDATE zyw_journal SET at_us = at_us + 1 WHERE campaign = ? AND seq = ?",
            [store.campaign, middle],
        )
        rehash_from(store, middle)
        j = open_journal(store.target, create=False)
        try:
            assert j.verify().ok  # a determined editor fools the chain
        finally:
            j.close()
        ok, finding, text = check(store, receipt, keys[1])
        assert (ok, finding) == (False, "rewritten")
        assert f"one of rows 1–{receipt.tree_size} was rewritten and the chain after it" in text

    def test_a_stored_checkpoint_narrows_the_rewrite(
        self, sqlite_store: Store, keys: tuple[Path, Path]
    ) -> None:
        """An earlier signed checkpoint in the journal that still matches bounds the rewrite."""
        c = create(sqlite_store)
        run(c, SCRIPT)
        first = checkpoint(sqlite_store, keys[0])
        c.tick("2011-12-20")
        c.add_actor("x", roles=["office"])
        c.close()
        receipt = checkpoint(sqlite_store, keys[0])
        last = sqlite_store.count()
        sqlite_store.sql("UPDATE zyw_journal SET actor = 'y' WHERE seq = ?", [last])
        rehash_from(sqlite_store, last)
        ok, finding, text = check(sqlite_store, receipt, keys[1])
        assert (ok, finding) == (False, "rewritten")
        assert f"one of rows {first.tree_size + 1}–{last}" in text

    def test_rows_reordered(
        self, store: Store, campaign: Campaign, keys: tuple[Path, Path]
    ) -> None:
        """Two rows swapped (their hashes moved with them) are named as a reordering."""
        receipt = checkpoint(store, keys[0])
        k = store.count() // 2
        swap = (
            "UPDATE zyw_journal SET seq = CASE seq WHEN ? THEN ? WHEN ? THEN ? END "
            "WHERE campaign = ? AND seq IN (?, ?)"
        )
        store.sql("UPDATE zyw_journal SET seq = -seq WHERE campaign = ? AND seq IN (?, ?)",
                  [store.campaign, k, k + 1])  # fmt: skip
        store.sql(swap, [-k, k + 1, -(k + 1), k, store.campaign, -k, -(k + 1)])
        ok, finding, text = check(store, receipt, keys[1])
        assert (ok, finding) == (False, "reordered")
        assert f"row {k} holds what was chained as row {k + 1}" in text

    def test_a_changed_row_without_rehash(
        self, store: Store, campaign: Campaign, keys: tuple[Path, Path]
    ) -> None:
        """A row edited in place (its hash left) keeps the Merkle tree but not the chain."""
        receipt = checkpoint(store, keys[0])
        store.sql("UPDATE zyw_journal SET actor = 'office' WHERE campaign = ? AND seq = 5",
                  [store.campaign])  # fmt: skip
        ok, finding, text = check(store, receipt, keys[1])
        assert (ok, finding) == (False, "changed")
        assert text.startswith("CHANGED: row 5:")

    def test_rows_copied_from_another_campaign(
        self, pg_store: Store, postgres_server: str, keys: tuple[Path, Path]
    ) -> None:
        """Another campaign's rows (same template and parameters) put in place of this one's
        are found: they do not start from this campaign's genesis."""
        other = Store(
            "postgres",
            store_fixtures.campaign_url(postgres_server, pg_store.campaign + "_o"),
            pg_store.campaign + "_o",
        )
        try:
            for s in (pg_store, other):
                c = create(s)
                run(c, SCRIPT)
                c.close()
            receipt = checkpoint(pg_store, keys[0])
            pg_store.sql("DELETE FROM zyw_journal WHERE campaign = ?", [pg_store.campaign])
            pg_store.sql(
                "INSERT INTO zyw_journal SELECT ?, seq, kind, type, at_us, unit, step, actor, "
                "data, key, fingerprint, hash, eseq, n FROM zyw_journal WHERE campaign = ?",
                [pg_store.campaign, other.campaign],
            )
            ok, finding, text = check(pg_store, receipt, keys[1])
            assert (ok, finding) == (False, "foreign")
            assert "copied from another campaign" in text
            # and the other campaign's receipt does not vouch for this one
            theirs = checkpoint(other, keys[0])
            assert check(pg_store, theirs, keys[1])[1] == "other-campaign"
        finally:
            other.drop()

    def test_rows_copied_between_files(self, tmp_path: Path, keys: tuple[Path, Path]) -> None:
        """On SQLite (every file's store key is ``default``) rows copied from another file of
        the same template are found against the receipt."""
        a = Store("sqlite", str(tmp_path / "a.db"), "default")
        b = Store("sqlite", str(tmp_path / "b.db"), "default")
        for s, day in ((a, "2011-09-05 10:00"), (b, "2011-09-05 11:00")):
            c = create(s)
            store_fixtures.populate(c)
            c.submit("county-1", "work_plan", actor="clerk-1", at=day)
            c.close()
        receipt = checkpoint(b, keys[0])
        b.sql("DELETE FROM zyw_journal")
        with contextlib.closing(sqlite3.connect(b.target)) as db, db:
            db.execute(f"ATTACH DATABASE '{a.target}' AS other")
            db.execute("INSERT INTO zyw_journal SELECT * FROM other.zyw_journal")
        ok, finding, text = check(b, receipt, keys[1])
        assert not ok and finding in ("rewritten", "foreign")
        assert "another campaign" in text
        # each campaign's chain starts from its own genesis (campaign_uid): the hash chain
        # alone already refuses the copied rows, at the first of them
        from zyw_flow import Campaign, JournalCorrupted

        with pytest.raises(JournalCorrupted, match="row 1"):
            Campaign.open(b.target)

    def test_forged_receipt(
        self, store: Store, campaign: Campaign, keys: tuple[Path, Path], tmp_path: Path
    ) -> None:
        """A receipt whose content was changed, or signed by another key, is refused."""
        receipt = checkpoint(store, keys[0])
        data = receipt.to_json()
        store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq > 3", [store.campaign])
        data["tree_size"] = 3  # claim the journal was always this short
        ok, finding, text = check(store, json.dumps(data), keys[1])
        assert (ok, finding) == (False, "forged")
        assert "signature does not match" in text
        data = receipt.to_json()
        data["root_hash"] = "0" * 64
        assert check(store, json.dumps(data), keys[1])[1] == "forged"
        _, other_public = generate_keys(tmp_path / "other.key")
        ok, finding, text = check(store, receipt, other_public)
        assert (ok, finding) == (False, "wrong-key")
        # a receipt signed with another key for these very rows does not pass either
        mallory, _ = generate_keys(tmp_path / "mallory.key")
        forged = checkpoint(store, mallory)
        assert check(store, forged, keys[1])[1] == "wrong-key"

    def test_a_broken_chain_is_not_signed(
        self, store: Store, campaign: Campaign, keys: tuple[Path, Path]
    ) -> None:
        """Checkpointing a tampered journal is refused (nothing is stored)."""
        from zyw_flow import JournalCorrupted

        store.sql("UPDATE zyw_journal SET actor = 'x' WHERE campaign = ? AND seq = 4",
                  [store.campaign])  # fmt: skip
        with pytest.raises(JournalCorrupted, match="not signing it"):
            checkpoint(store, keys[0])
        assert store.sql("SELECT COUNT(*) FROM zyw_checkpoint WHERE campaign = ?",
                         [store.campaign])[0][0] == 0  # fmt: skip


class TestAutomaticCheckpoints:
    """A journal with a signing key signs by itself every N rows and at finalisation."""

    def test_every_n_rows(self, store: Store, keys: tuple[Path, Path]) -> None:
        """A commit reaching a multiple of N rows stores a checkpoint of exactly its rows."""
        c = create(store)
        try:
            assert c.store is not None
            c.store.sign_checkpoints(keys[0], every=4, clock=lambda: T0)
            run(c, SCRIPT)
            sizes = [cp.tree_size for cp in c.store.checkpoints()]
            assert sizes and all(b > a for a, b in itertools.pairwise(sizes))
            assert c.store.last_checkpoint is not None
            assert c.store.last_checkpoint.tree_size == sizes[-1]
        finally:
            c.close()
        for cp in open_journal(store.target, create=False).checkpoints():
            assert check(store, cp, keys[1])[:2] == (True, "ok")
        # one row per call: a checkpoint exactly at each multiple
        c = Campaign.open(store.target)
        try:
            assert c.store is not None
            c.store.sign_checkpoints(keys[0], every=4, clock=lambda: T0)
            start = store.count()
            for i in range(9):
                c.add_actor(f"extra-{i}", roles=["office"])
            new = [cp.tree_size for cp in c.store.checkpoints() if cp.tree_size > start]
        finally:
            c.close()
        assert new == [k for k in range(start + 1, start + 10) if k % 4 == 0]

    def test_at_finalize_evaluation(self, store: Store, keys: tuple[Path, Path]) -> None:
        """finalize_evaluation's commit carries a checkpoint of the journal up to it."""
        c = create(store)
        try:
            assert c.store is not None
            c.store.sign_checkpoints(keys[0])  # no count: only at finalisation
            c.add_actor("office", ["office"])
            c.enroll("county-1", at="2011-09-01")
            c.record_score("county-1", "lawful", 90, actor="office", at="2011-12-10")
            assert c.store.checkpoints() == []
            c.finalize_evaluation(actor="office", at="2011-12-20")
            found = c.store.checkpoints()
            assert [cp.tree_size for cp in found] == [store.count()]
        finally:
            c.close()
        assert check(store, found[0], keys[1])[:2] == (True, "ok")

    def test_a_refused_call_signs_nothing(
        self, sqlite_store: Store, keys: tuple[Path, Path]
    ) -> None:
        """A refused call leaves no checkpoint, and later ones are still right."""
        from zyw_flow import TransitionRefused

        c = create(sqlite_store)
        try:
            assert c.store is not None
            c.store.sign_checkpoints(keys[0], every=1, clock=lambda: T0)
            store_fixtures.populate(c)
            before = c.store.checkpoints()
            with pytest.raises(TransitionRefused):
                c.accept("county-1", "work_plan", actor="office", at="2011-09-02")
            assert c.store.checkpoints() == before
            c.submit("county-1", "work_plan", actor="clerk-1", at="2011-09-05")
            last = c.store.checkpoints()[-1]
        finally:
            c.close()
        assert last.tree_size == sqlite_store.count()
        assert check(sqlite_store, last, keys[1])[:2] == (True, "ok")

    def test_bad_every(self, sqlite_store: Store, keys: tuple[Path, Path]) -> None:
        c = create(sqlite_store)
        try:
            assert c.store is not None
            for bad in (0, -1, 2.5, True):
                with pytest.raises(ValueError, match="every"):
                    c.store.sign_checkpoints(keys[0], every=bad)  # type: ignore[arg-type]
        finally:
            c.close()


class TestKeys:
    """Key files: written with the right modes, refused when they hold no Ed25519 key."""

    def test_keygen_modes_and_no_overwrite(self, tmp_path: Path) -> None:
        private, public = generate_keys(tmp_path / "k")
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
        assert public.name == "k.pub"
        assert b"PUBLIC KEY" in public.read_bytes()
        with pytest.raises(FileExistsError):
            generate_keys(tmp_path / "k")

    def test_not_a_key(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad"
        bad.write_text("hello")
        with pytest.raises(SigningKeyError, match="not an Ed25519 private key"):
            load_private_key(bad)
        _private, public = generate_keys(tmp_path / "k")
        with pytest.raises(SigningKeyError):
            load_private_key(public)

    def test_malformed_receipts(self) -> None:
        for bad in ("", "[]", '{"format": "x"}', '{"format": "zyw_flow.checkpoint/1"}'):
            with pytest.raises(ValueError, match="receipt"):
                parse_receipt(bad)


class TestCommandLine:
    """keygen, campaign checkpoint, campaign verify --receipt."""

    def test_session(
        self, store: Store, campaign: Campaign, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        key = tmp_path / "audit.key"
        assert main(["keygen", str(key)]) == 0
        assert "key id" in capsys.readouterr().out
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert main(["campaign", "checkpoint", store.target, "--signing-key", str(key)]) == 0
        out = capsys.readouterr().out
        receipt = parse_receipt(out)
        path = tmp_path / "receipt.json"
        path.write_text(out)
        pub = str(key) + ".pub"
        argv = ["campaign", "verify", store.target, "--receipt", str(path), "--public-key", pub]
        assert main(argv) == 0
        assert capsys.readouterr().out.startswith("ok: the journal's")
        store.sql("DELETE FROM zyw_journal WHERE campaign = ? AND seq = ?",
                  [store.campaign, receipt.tree_size])  # fmt: skip
        assert main(argv) == 1
        out = capsys.readouterr().out
        assert out.count("\n") == 1 and out.startswith("TRUNCATED: ")
        assert main([*argv[:3], "--public-key", pub]) == 2  # half of the pair
        assert "go together" in capsys.readouterr().err
        assert main(["keygen", str(key)]) == 2
        assert "already exists" in capsys.readouterr().err


def test_schema_3_is_migrated(tmp_path: Path) -> None:
    """A schema-3 journal gets the checkpoint table on opening and keeps its snapshots."""
    db = tmp_path / "c.db"
    c = create(str(db))
    store_fixtures.populate(c)
    c.save_snapshot()
    c.close()
    s = Store("sqlite", str(db), "default")
    s.sql("DROP TABLE zyw_checkpoint")
    s.sql("UPDATE zyw_schema SET version = 3")
    again = Campaign.open(str(db))
    again.close()
    assert s.sql("SELECT version FROM zyw_schema")[0][0] == SCHEMA_VERSION
    assert s.sql("SELECT COUNT(*) FROM zyw_snapshot")[0][0] == 1
    assert s.sql("SELECT COUNT(*) FROM zyw_checkpoint")[0][0] == 0


def test_read_only_store_refuses_writes(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    db = tmp_path / "c.db"
    c = create(str(db))
    c.close()
    j = open_journal(db, read_only=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            j.checkpoint(keys[0])
    finally:
        j.close()
