"""Verifying a journal against a receipt, and naming what was found when it fails."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from zyw_flow.store._checkpoint import Checkpoint, load_public_key, parse_receipt
from zyw_flow.store._journal import _ENCODE, CHAIN_VERSION, campaign_genesis
from zyw_flow.store._merkle import Tree, consistency_proof, verify_consistency

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from zyw_flow.store._journal import Journal, Row

__all__ = ["FINDINGS", "ReceiptReport", "verify_receipt"]

_sha256 = hashlib.sha256

#: What a check against a receipt can find (``ReceiptReport.finding``).
FINDINGS = (
    "ok",
    "forged",  # the signature does not match the receipt's content
    "wrong-key",  # signed by another key than the one given
    "other-campaign",  # the receipt is for another campaign or store key
    "truncated",  # fewer rows than the receipt covered
    "gap",  # a row number is missing
    "reordered",  # rows are in another order than they were chained in
    "changed",  # a row's content does not match its hash
    "foreign",  # the rows do not start from this campaign's genesis (copied in)
    "rewritten",  # the chain is intact but differs from the signed one (re-hashed)
)

#: How far a moved row is looked for when naming a reordering.
_REORDER_WINDOW = 64


@attrs.frozen
class ReceiptReport:
    """The result of checking a journal against a receipt.

    ``finding`` is one of :data:`FINDINGS`; ``message`` says what was found in one line;
    ``row`` is the first row concerned, when known.
    """

    ok: bool
    finding: str
    message: str
    receipt_rows: int
    rows: int
    row: int | None = None

    def __str__(self) -> str:
        return self.message if self.ok else f"{self.finding.upper()}: {self.message}"


def _fail(
    finding: str, message: str, receipt: Checkpoint, rows: int, row: int | None = None
) -> ReceiptReport:
    return ReceiptReport(False, finding, message, receipt.tree_size, rows, row)


def verify_receipt(
    journal: Journal,
    receipt: Checkpoint | str | Mapping[str, Any],
    public_key: str | Path | Ed25519PublicKey,
    *,
    chain: bool = True,
) -> ReceiptReport:
    """Check ``journal`` against a receipt: its signature, its campaign, and a consistency
    proof from the receipt's tree to the journal's tree today (so every row the receipt
    covered is still there, unchanged and in order). With ``chain`` (the default) the hash
    chain is checked in the same pass (each row's content is the one its hash stands for).
    Never writes; the journal may be opened read-only.

    Raises:
        ValueError: not a receipt; SigningKeyError: not an Ed25519 public key.
    """
    if not isinstance(receipt, Checkpoint):
        receipt = parse_receipt(receipt)
    public = load_public_key(public_key)
    problem = receipt.signature_problem(public)
    if problem:
        return _fail("forged" if problem.startswith("forged") else "wrong-key", problem, receipt, 0)
    meta = journal.read_meta()
    if not meta:
        return _fail("other-campaign", f"{journal.where} holds no campaign", receipt, 0)
    here = (meta.get("campaign_id", ""), journal.campaign)
    if (receipt.campaign_id, receipt.store_campaign) != here:
        return _fail(
            "other-campaign",
            f"the receipt is for campaign {receipt.campaign_id!r} (store key "
            f"{receipt.store_campaign!r}); {journal.where} holds {here[0]!r} (store key "
            f"{here[1]!r})",
            receipt,
            0,
        )
    hashes: list[str] = []
    fast = chain and meta.get("chain_version") == CHAIN_VERSION
    intact = True  # the fast pass found no break (the slow one names it, if any)
    prev, events = campaign_genesis(meta), 0
    columns = "seq, kind, type, at_us, unit, step, actor, data, key, fingerprint, eseq, n, hash"
    select = f"SELECT {columns if fast else 'seq, hash'} FROM zyw_journal WHERE campaign = ? "
    for r in journal._iter(journal._sql(select + "ORDER BY seq"), [journal.campaign]):
        seq, h = int(r[0]), str(r[-1])
        if seq != len(hashes) + 1:
            n = len(hashes) + 1
            gap = f"row {n} is missing (row {seq} follows row {n - 1})"
            return _fail("gap", gap, receipt, n, n)
        hashes.append(h)
        if fast and intact:
            # the chain-version-3 hash of the row's stored columns, without building rows
            if _sha256((prev + _ENCODE(list(r[:12]))).encode("utf-8")).hexdigest() != h:
                intact = False
            elif r[1] == "event":
                count = 1 if r[11] is None else int(r[11])
                intact = r[10] == events + 1 and count >= 1
                events += count
            else:
                intact = r[10] is None and r[11] in (None, 0)
            prev = h
    n, m = len(hashes), receipt.tree_size
    if n < m:
        lost = m - n
        return _fail(
            "truncated",
            f"the journal was truncated: the receipt covers {m:,} rows, the journal holds "
            f"{n:,} ({lost:,} row{'s' if lost != 1 else ''} removed from the end)",
            receipt,
            n,
            n + 1,
        )
    tree = Tree.of_row_hashes(hashes)
    old_root = bytes.fromhex(receipt.root_hash)
    proof = consistency_proof(tree, m) if m else []
    consistent = verify_consistency(m, n, old_root, tree.root(), proof)
    if consistent and not chain:
        return _ok(receipt, n)
    broken = None if fast and intact else _chain_finding(journal, meta, receipt, n)
    if broken is not None:
        return broken
    if not consistent:
        first = _first_unsigned(journal, public, tree, m)
        span = f"row {m:,}" if first == m else f"one of rows {first:,}–{m:,}"
        return _fail(
            "rewritten",
            f"the journal's first {m:,} rows are not the ones the receipt signed: {span} was "
            "rewritten and the chain after it re-hashed, or the rows were replaced by another "
            "campaign's",
            receipt,
            n,
            first,
        )
    return _ok(receipt, n)


def _ok(receipt: Checkpoint, n: int) -> ReceiptReport:
    m = receipt.tree_size
    return ReceiptReport(
        True,
        "ok",
        f"ok: the journal's {n:,} rows extend the receipt's {m:,} rows consistently "
        f"(signed {receipt.time})",
        m,
        n,
    )


def _chain_finding(
    journal: Journal, meta: Mapping[str, str], receipt: Checkpoint, n: int
) -> ReceiptReport | None:
    """What a break in the hash chain means (``None``: the chain is intact)."""
    from zyw_flow.store._journal import check_row

    prev, events, expected = campaign_genesis(meta), 0, 1
    version = meta.get("chain_version", "1")
    rows: list[Row] = []
    for row in journal.rows(0):
        problem = check_row(row, expected, prev, version, events)
        if problem:
            rows.append(row)
            rows.extend(journal.rows(row.seq, upto=row.seq + _REORDER_WINDOW))
            moved = _moved(rows, prev, expected, version)
            if moved is not None:
                return _fail(
                    "reordered",
                    f"rows were reordered: row {expected} holds what was chained as row {moved}",
                    receipt,
                    n,
                    expected,
                )
            if expected == 1 and problem.startswith("hash mismatch"):
                return _fail(
                    "foreign",
                    "row 1 does not follow from this campaign's genesis: the rows were copied "
                    "from another campaign (or row 1 was changed)",
                    receipt,
                    n,
                    1,
                )
            if problem.startswith("hash mismatch"):
                problem = "its content does not match its hash (the row was changed)"
            return _fail("changed", f"row {expected}: {problem}", receipt, n, expected)
        prev, events, expected = row.hash, events + row.events, expected + 1
    return None


def _moved(rows: list[Row], prev: str, seq: int, version: str) -> int | None:
    """The row number the first of ``rows`` (found as row ``seq``, after hash ``prev``) was
    chained as, when it is a row of the window moved here; ``None`` otherwise."""
    from zyw_flow.store._journal import row_hash

    first = rows[0]
    befores = {prev, *(r.hash for r in rows)}
    for other in range(max(1, seq - _REORDER_WINDOW), seq + _REORDER_WINDOW + 1):
        if other == seq:
            continue
        candidate = attrs.evolve(first, seq=other)
        if any(row_hash(version, before, candidate) == first.hash for before in befores):
            return other
    return None


def _first_unsigned(journal: Journal, public: Ed25519PublicKey, tree: Tree, m: int) -> int:
    """The first row that may have been rewritten: after the largest checkpoint stored in
    the journal, signed by ``public``, that today's tree still agrees with (1 if none)."""
    best = 0
    try:
        stored = journal.checkpoints()
    except ValueError:
        return 1
    for cp in stored:
        size = cp.tree_size
        if 0 < size <= min(m, tree.size) and cp.signature_problem(public) is None:
            best = max(best, size) if tree.root(0, size).hex() == cp.root_hash else best
    return best + 1
