"""``python -m benchmarks.procedures``: complaints and accountability cases, beside a baseline.

Measures, in one interpreter, on the bundled ``xingzheng-wenze`` template:

* the complaint lifecycle (register → hand over → reply → callback → close) per call,
  against the baseline of the generic command path measured in the same run (a finding
  recorded, submitted and verified: three calls of the same unit of work);
* a tick that takes every open reply deadline overdue and up the 督办 ladder;
* ``complaint_statistics`` over all complaints;
* the case procedure (立案 → 告知 → 申辩 → 决定 → 公开) per call, with the blame chain;
* reopening the SQLite journal of the complaints by replay.

It prints figures and ratios; it asserts nothing. ``--quick`` runs small sizes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from zyw_flow import Campaign

TEMPLATE = "xingzheng-wenze"


def _campaign(units: int, store: Path | None = None) -> Campaign:
    c = Campaign.create(TEMPLATE) if store is None else Campaign.create_stored(str(store), TEMPLATE)
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    c.add_actor("wenze", roles=["accountability"])
    c.enroll_many([(f"u{i}", None, None) for i in range(units)], at="2012-01-02")
    for i in range(units):
        c.add_actor(f"m{i}", roles=["member"], unit=f"u{i}")
        c.add_actor(f"d{i}", roles=["deputy"], unit=f"u{i}")
    return c


def _rate(calls: int, seconds: float) -> str:
    return f"{calls / seconds:,.0f} calls/s ({calls:,} calls, {seconds:.2f} s)"


def baseline(units: int) -> float:
    """Calls/s of record_finding + submit + verify, one unit each."""
    c = _campaign(units)
    t = time.perf_counter()
    for i in range(units):
        f = c.record_finding(f"u{i}", actor="inspector", at="2012-03-01 09:00").step
        assert f is not None
        c.submit(f"u{i}", f, actor=f"m{i}", at="2012-03-02 09:00")
        c.verify_finding(f"u{i}", f, actor="inspector", at="2012-03-03 09:00")
    return 3 * units / (time.perf_counter() - t)


def complaints(units: int, per_unit: int, store: Path | None = None) -> dict[str, float]:
    """The lifecycle of ``units * per_unit`` complaints; half unanswered into 督办."""
    c = _campaign(units, store)
    out: dict[str, float] = {}
    t = time.perf_counter()
    calls = 0
    for k in range(per_unit):
        for i in range(units):
            at = f"2012-03-{1 + k:02d} 09:00"
            cid = str(
                c.register_complaint(f"u{i}", channel="hotline", actor="office", at=at).data[
                    "complaint"
                ]
            )  # type: ignore[index]
            c.assign_complaint(cid, actor="office", at=at.replace("09:", "10:"))
            calls += 2
            if i % 2 == 0:
                c.reply_complaint(
                    cid, substantiated=False, actor=f"m{i}", at=at.replace("09:", "11:")
                )
                c.callback_complaint(
                    cid, satisfaction="satisfied", actor="office", at=at.replace("09:", "12:")
                )
                c.close_complaint(cid, actor="office", at=at.replace("09:", "13:"))
                calls += 3
    out["lifecycle_s"] = time.perf_counter() - t
    out["lifecycle_calls"] = calls
    t = time.perf_counter()
    events = len(c.tick("2012-04-30"))
    out["tick_s"] = time.perf_counter() - t
    out["tick_events"] = events
    t = time.perf_counter()
    stats = c.complaint_statistics("2012-03")
    out["stats_s"] = time.perf_counter() - t
    assert stats.total.received == units * per_unit
    c.close()
    return out


def cases(units: int) -> tuple[int, float]:
    """Two cases per unit through every state (the 2nd names the deputy)."""
    c = _campaign(units)
    t = time.perf_counter()
    calls = 0
    for round_ in (0, 1):
        for i in range(units):
            day = 1 + 20 * round_
            ev = c.open_case(f"u{i}", "slowness", actor="wenze", at=f"2012-03-{day:02d}")
            cid = str(ev.data["case"])  # type: ignore[index]
            c.notify_case(cid, actor="wenze", at=f"2012-03-{day + 1:02d}")
            c.record_statement(cid, statement="无", actor="wenze", at=f"2012-03-{day + 2:02d}")
            c.decide_case(cid, sanction="interview", actor="wenze", at=f"2012-03-{day + 3:02d}")
            c.publish_case(cid, actor="wenze", at=f"2012-03-{day + 4:02d}")
            calls += 5
    return calls, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.procedures")
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = p.parse_args(argv)
    units, per_unit = (50, 2) if args.quick else (1000, 5)
    base = baseline(units)
    print(f"baseline (record_finding + submit + verify): {base:,.0f} calls/s ({units} units)")
    mem = complaints(units, per_unit)
    rate = mem["lifecycle_calls"] / mem["lifecycle_s"]
    print(
        f"complaint lifecycle in memory: {_rate(int(mem['lifecycle_calls']), mem['lifecycle_s'])}"
        f" — {rate / base:.2f}× baseline"
    )
    print(
        f"tick taking {units * per_unit // 2:,} open deadlines overdue and up the ladder: "
        f"{mem['tick_s']:.3f} s, {int(mem['tick_events']):,} events"
    )
    print(
        f"complaint_statistics over {units * per_unit:,} complaints: {mem['stats_s'] * 1e3:.1f} ms"
    )
    calls, seconds = cases(units)
    print(
        f"case procedure in memory: {_rate(calls, seconds)} — {calls / seconds / base:.2f}× "
        "baseline"
    )
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "c.db"
        stored = complaints(units, per_unit, db)
        srate = stored["lifecycle_calls"] / stored["lifecycle_s"]
        calls_s = _rate(int(stored["lifecycle_calls"]), stored["lifecycle_s"])
        print(f"complaint lifecycle on SQLite: {calls_s}")
        t = time.perf_counter()
        again = Campaign.open(str(db), use_snapshot=False)
        replay = time.perf_counter() - t
        print(
            f"reopen by replay: {replay:.2f} s ({again.cursor:,} events; "
            f"{again.cursor / replay:,.0f} events/s); SQLite/memory {srate / rate:.2f}×"
        )
        again.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
