"""Checkpoint benchmark: verify a journal of 10^6 rows against a signed receipt.

Run it as ``python -m benchmarks.checkpoint [--rows 1000000] [--dir DIR]``. It builds a
SQLite campaign of ``--rows`` journal rows (clock rows appended through the library's own
``Journal.append``, 100,000 per transaction, so every row is numbered and hash-chained as
in a real campaign), signs a checkpoint 1,000 rows before the end, appends the last 1,000
rows, and then times, each with a fresh connection:

* ``verify_receipt(..., chain=False)``: the signature, the campaign, every row's number
  and hash read, the RFC 6962 tree over all of them, and the consistency proof from the
  receipt's tree to today's — the check the bar is about (≤ 3 s for 10^6 rows);
* ``verify_receipt(...)`` with the hash chain as well (what ``zyw-flow campaign verify
  --receipt`` runs: it also proves each row's content matches its hash);
* ``Journal.checkpoint``: signing a new checkpoint (the chain is checked before signing).

It never asserts: it measures, and prints PASS or FAIL against the bar.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from zyw_flow import Campaign
from zyw_flow.store import generate_keys, open_journal, verify_receipt

BAR_SECONDS = 3.0
BATCH = 100_000
_DAY_US = 86_400_000_000
_START_US = 1_314_806_400_000_000  # 2011-09-01 00:00 +08:00


def clock_rows(start_us: int, n: int) -> list[tuple[object, ...]]:
    """``n`` journal records of the clock moving, a millisecond apart from ``start_us``."""
    return [("clock", "clock", start_us + i * 1_000, *([None] * 6), 0) for i in range(n)]


def build(db: Path, rows: int) -> None:
    """A campaign of ``rows`` journal rows (clock rows after creation)."""
    c = Campaign.create_stored(str(db), "zhiyong-2011", {"year": 2011})
    c.close()
    journal = open_journal(db)
    try:
        journal.start_chain(journal.read_meta())
        written = 0
        while written < rows:
            n = min(BATCH, rows - written)
            journal.begin()
            journal.append(clock_rows(_START_US + written * 1_000, n))
            journal.commit()
            written += n
    finally:
        journal.close()


def timed(label: str, fn: object) -> tuple[float, object]:
    start = time.perf_counter()
    result = fn()  # type: ignore[operator]
    seconds = time.perf_counter() - start
    print(f"{label:<58} {seconds:7.2f} s")
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    folder = Path(args.dir or tempfile.mkdtemp(prefix="zyw-checkpoint-"))
    db = folder / "campaign.db"
    key, public = generate_keys(folder / "bench.key")
    tail = min(1_000, args.rows // 2)
    timed(f"build {args.rows - tail:,} rows", lambda: build(db, args.rows - tail))
    journal = open_journal(db, create=False)
    _, receipt = timed("sign a checkpoint (chain checked first)", lambda: journal.checkpoint(key))
    journal.close()
    journal = open_journal(db)
    journal.start_chain(journal.read_meta())
    journal.seek(args.rows - tail, verify=False)
    journal.begin()
    journal.append(clock_rows(_START_US + 365 * _DAY_US, tail))
    journal.commit()
    journal.close()
    print(f"journal: {args.rows:,} rows; the receipt covers {receipt.tree_size:,}")  # type: ignore[attr-defined]

    def check(chain: bool) -> object:
        j = open_journal(db, create=False, read_only=True)
        try:
            return verify_receipt(j, receipt, public, chain=chain)  # type: ignore[arg-type]
        finally:
            j.close()

    proof_s, report = timed(
        "verify against the receipt (signature + consistency)", lambda: check(False)
    )
    print(f"  {report}")
    full_s, report = timed(
        "  … and the whole hash chain too (campaign verify --receipt)", lambda: check(True)
    )
    print(f"  {report}")
    verdict = "PASS" if proof_s <= BAR_SECONDS else "FAIL"
    print(
        f"\nbar: verify {args.rows:,} rows against a receipt ≤ {BAR_SECONDS:g} s: "
        f"{proof_s:.2f} s {verdict} (with the hash chain: {full_s:.2f} s)"
    )


if __name__ == "__main__":
    main()
