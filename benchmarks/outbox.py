"""``python -m benchmarks.outbox``: what the transactional outbox costs, and the relay's pace.

Prints, each beside a baseline measured in the same run:

* durable calls on SQLite with their outbox entries vs the same calls with the outbox
  write switched off (the ratio is the outbox's cost per call);
* a tick over many units (batch rows) with and without the outbox;
* relay deliveries per second to a local HTTP server and to Redis streams;
* how soon a waiting connection (a thread of its own) hears another's commit:
  PostgreSQL (LISTEN/NOTIFY) vs SQLite (polling every 0.2 s).

``--quick`` runs small sizes. Nothing here asserts: it measures and prints.
"""

from __future__ import annotations

import argparse
import contextlib
import http.server
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from benchmarks._harness import machine_info

__all__ = ["main"]


@contextlib.contextmanager
def _no_outbox(off: bool) -> Iterator[None]:
    """Switch the outbox write off (the baseline) for the block."""
    from zyw_flow.store import _journal

    saved = _journal.outbox_entries
    if off:
        _journal.outbox_entries = lambda campaign, rows: []
    try:
        yield
    finally:
        _journal.outbox_entries = saved


def _campaign(path: str, units: int) -> Any:
    from zyw_flow import Campaign

    c = Campaign.create_stored(path, "zhiyong-2011")
    c.add_actor("office", roles=["office"])
    c.add_actor("inspector", roles=["inspector"])
    rows = [("city", "市局", None)] + [(f"u{i}", f"{i}分局", "city") for i in range(units)]
    c.enroll_many(rows, at="2011-08-30")
    for i in range(units):
        c.add_actor(f"clerk-{i}", roles=["member"], unit=f"u{i}")
    return c


def _calls(folder: Path, calls: int, off: bool) -> float:
    """Seconds for ``calls`` single durable submissions (one transaction each)."""
    path = str(folder / f"calls-{uuid.uuid4().hex}.db")
    c = _campaign(path, calls)
    with _no_outbox(off):
        start = time.perf_counter()
        for i in range(calls):
            c.submit(f"u{i}", "work_plan", actor=f"clerk-{i}", at="2011-09-05 10:00")
        took = time.perf_counter() - start
    c.close()
    return took


def _tick(folder: Path, units: int, off: bool) -> float:
    """Seconds for one tick that makes a step overdue and escalated for ``units`` units."""
    from zyw_flow import Campaign

    path = str(folder / f"tick-{uuid.uuid4().hex}.db")
    c = Campaign.create_stored(path, "zhiyong-2011")
    c.enroll_many([(f"u{i}", None, None) for i in range(units)], at="2011-08-30")
    with _no_outbox(off):
        start = time.perf_counter()
        c.tick("2011-10-12")
        took = time.perf_counter() - start
    c.close()
    return took


def _paired(run: Callable[[bool], float], rounds: int) -> tuple[float, float]:
    """Median seconds with the outbox and without (alternating, so drift hits both)."""
    on, off = [], []
    for _ in range(rounds):
        on.append(run(False))
        off.append(run(True))
    return statistics.median(on), statistics.median(off)


class _Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _relay_rate(folder: Path, units: int, target: Any) -> tuple[int, float]:
    from zyw_flow import Campaign
    from zyw_flow.relay import Relay

    path = str(folder / f"relay-{uuid.uuid4().hex}.db")
    c = Campaign.create_stored(path, "zhiyong-2011")
    c.enroll_many([(f"u{i}", None, None) for i in range(units)], at="2011-08-30")
    c.tick("2011-10-12")
    c.close()
    with Relay(path, [target]) as relay:
        start = time.perf_counter()
        report = relay.run_once()
        took = time.perf_counter() - start
    return report.delivered, took


def _wake(target: str, rounds: int) -> list[float]:
    """Seconds from another process's commit to a waiting process's callback."""
    from zyw_flow import Campaign

    with Campaign.create_stored(target, "zhiyong-2011") as writer:
        writer.add_actor("inspector", roles=["inspector"])
        writer.enroll("u", at="2011-08-30")
    heard: list[float] = []
    ready = threading.Event()
    done = threading.Event()

    def listen() -> None:
        with Campaign.open(target) as c:
            c.subscribe("finding_recorded", lambda e: heard.append(time.perf_counter()))
            ready.set()
            while not done.is_set():
                c.wait_for_events(timeout=0.5)

    thread = threading.Thread(target=listen)
    thread.start()
    ready.wait()
    gaps = []
    with Campaign.open(target) as writer:
        for i in range(rounds):
            time.sleep(0.3)
            before = len(heard)
            writer.record_finding("u", actor="inspector", at=f"2011-09-{2 + i:02d}",
                                  description="x")  # fmt: skip
            committed = time.perf_counter()
            deadline = committed + 5
            while len(heard) == before and time.perf_counter() < deadline:
                time.sleep(0.001)
            if len(heard) > before:
                gaps.append(heard[-1] - committed)
    done.set()
    thread.join()
    return gaps


def _drop_pg(url: str, campaign: str) -> None:
    import psycopg

    from zyw_flow.store._postgres import split_url

    with psycopg.connect(split_url(url)[0], autocommit=True) as conn:
        for table in ("zyw_journal", "zyw_meta", "zyw_snapshot", "zyw_outbox", "zyw_relay"):
            conn.execute(f"DELETE FROM {table} WHERE campaign = %s", [campaign])  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.outbox")
    parser.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = parser.parse_args(argv)
    calls, units, rounds = (50, 2_000, 1) if args.quick else (300, 20_000, 3)
    for line in machine_info():
        print(line)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        on, off = _paired(lambda o: _calls(folder, calls, o), rounds)
        print(f"{calls} durable submits (SQLite, synchronous=FULL): with outbox "
              f"{calls / on:,.0f} calls/s, without {calls / off:,.0f} calls/s, "
              f"ratio {on / off:.2f}")  # fmt: skip
        on, off = _paired(lambda o: _tick(folder, units, o), rounds)
        print(f"tick over {units:,} units (batch rows): with outbox {on * 1000:,.0f} ms, "
              f"without {off * 1000:,.0f} ms, ratio {on / off:.2f}")  # fmt: skip
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        from zyw_flow.relay import WebhookTarget

        hook = WebhookTarget(f"http://127.0.0.1:{server.server_address[1]}/", "k")
        relay_units = units // 10
        n, took = _relay_rate(folder, relay_units, hook)
        print(f"relay to a local webhook: {n:,} deliveries in {took:.2f} s, "
              f"{n / took:,.0f}/s (signed, one POST each, progress stored after each)")  # fmt: skip
        server.shutdown()
        try:
            import redis

            from zyw_flow.relay import RedisStreamTarget

            url = os.environ.get("ZYW_FLOW_REDIS_URL", "redis://127.0.0.1:6379/0")
            redis.Redis.from_url(url, socket_connect_timeout=1).ping()
            prefix = f"zb_{uuid.uuid4().hex[:8]}:"
            n, took = _relay_rate(folder, relay_units, RedisStreamTarget(url, prefix=prefix))
            print(f"relay to Redis streams: {n:,} deliveries in {took:.2f} s, {n / took:,.0f}/s")
            client = redis.Redis.from_url(url)
            for key in client.scan_iter(match=f"{prefix}*"):
                client.delete(key)
        except Exception as exc:  # no Redis here: say so
            print(f"relay to Redis streams: not measured ({exc})")
        wakes = 5 if args.quick else 15
        gaps = _wake(str(folder / "wake.db"), wakes)
        print(f"SQLite (polling every 0.2 s): commit → another connection's callback, median "
              f"{statistics.median(gaps) * 1000:.0f} ms, max {max(gaps) * 1000:.0f} ms "
              f"({len(gaps)} commits)")  # fmt: skip
        pg = os.environ.get("ZYW_FLOW_PG_URL")
        if pg:
            sep = "&" if "?" in pg else "?"
            name = f"zb_{uuid.uuid4().hex[:8]}"
            try:
                gaps = _wake(f"{pg}{sep}campaign={name}", wakes)
            finally:
                _drop_pg(pg, name)
            print(f"PostgreSQL (LISTEN/NOTIFY): commit → another connection's callback, median "
                  f"{statistics.median(gaps) * 1000:.1f} ms, max {max(gaps) * 1000:.1f} ms "
                  f"({len(gaps)} commits)")  # fmt: skip
        else:
            print("PostgreSQL (LISTEN/NOTIFY): not measured (set ZYW_FLOW_PG_URL)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
