"""The relay against a real local HTTP server: order, signatures, retries, dead letters,
leases, and a relay process killed mid-delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import relay_fixtures, store_fixtures
from tests.relay_fixtures import Clock, Hook, busy_campaign, outgoing, uid_of
from tests.store_fixtures import Store
from zyw_flow import Campaign
from zyw_flow.cli import main
from zyw_flow.relay import (
    SIGNATURE_HEADER,
    Relay,
    RelayError,
    WebhookTarget,
    delivery_id,
    verify_signature,
)

sqlite_store = store_fixtures.sqlite_store
postgres_server = store_fixtures.postgres_server
pg_store = store_fixtures.pg_store
store = store_fixtures.store
hook = relay_fixtures.hook
ROOT = Path(__file__).resolve().parent.parent


def _relay(store: str, h: Hook, clock: Clock | None = None, **kw: object) -> Relay:
    target = WebhookTarget(h.url, kw.pop("secret", "s3cret"), timeout=1)  # type: ignore[arg-type]
    if clock is not None:
        kw["clock"] = clock
    return Relay(store, [target], **kw)  # type: ignore[arg-type]


def test_webhook_gets_every_event_in_order_signed(store: Store, hook: Hook) -> None:
    c = busy_campaign(store.target)
    expected = outgoing(c)
    assert expected, "the campaign has events to deliver"
    uid = uid_of(c)
    with _relay(store.target, hook) as relay:
        report = relay.run_once()
        assert report.delivered == len(expected) and report.failed == 0 and report.pending == 0
        assert hook.ids() == [delivery_id(uid, s) for s in expected]
        events = {e.seq: e for e in c.events(0)}
        for r in hook.received:
            payload = r.payload
            assert payload["delivery_id"] == r.id
            assert payload["campaign"] == store.campaign
            assert payload["event"] == events[payload["event"]["seq"]].to_json()
            assert r.headers["X-Zyw-Event"] == payload["event"]["type"]
            assert verify_signature("s3cret", r.body, r.headers[SIGNATURE_HEADER])
            assert not verify_signature("other", r.body, r.headers[SIGNATURE_HEADER])
        assert relay.run_once().delivered == 0  # nothing twice
        # what happens later goes out on the next pass, after what went before
        c.record_finding("county-1", actor="inspector", at="2011-09-26", description="台账不全")
        report = relay.run_once()
        assert report.delivered == 1
        assert hook.received[-1].payload["event"]["type"] == "finding_recorded"
    c.close()


def test_one_pass_delivers_every_entry_pending(tmp_path: Path, hook: Hook) -> None:
    """A pass reads the outbox `batch` entries at a time, and goes on until none is left."""
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    with _relay(db, hook) as relay:
        relay.batch = 2
        assert len(relay.outbox.entries(0)) > 3 * relay.batch
        assert relay.run_once().delivered == len(outgoing(c))
    assert hook.ids() == [delivery_id(uid_of(c), s) for s in outgoing(c)]
    c.close()


def test_batch_events_go_out_one_per_unit(tmp_path: Path, hook: Hook) -> None:
    """A batch row (an overdue step over every unit) is one delivery per unit."""
    c = busy_campaign(str(tmp_path / "c.db"))
    with _relay(str(tmp_path / "c.db"), hook) as relay:
        relay.run_once()
    overdue = [r.payload["event"] for r in hook.received if r.headers["X-Zyw-Event"] ==
               "step_overdue"]  # fmt: skip
    units = {(e["unit"], e["step"]) for e in overdue}
    assert len(units) == len(overdue) > 1
    assert {e["unit"] for e in overdue} == {"city", "county-1", "county-2"}
    levels = [r.payload["event"]["data"] for r in hook.received
              if r.headers["X-Zyw-Event"] == "step_escalated"]  # fmt: skip
    assert levels and all("level" in d for d in levels)
    c.close()


def test_500_then_200_is_retried_with_backoff(tmp_path: Path, hook: Hook) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    expected = outgoing(c)
    answers = iter([500])
    hook.answer = lambda r: next(answers, 200)
    clock = Clock()
    with _relay(db, hook, clock, backoff=2.0) as relay:
        first = relay.run_once()
        assert (first.delivered, first.failed, first.pending) == (0, 1, len(expected))
        assert first.retry_at == clock.now + 2.0
        assert relay.outbox.state(relay.targets[0].name).error == f"{hook.url} answered 500 " \
            "Internal Server Error"  # fmt: skip
        assert relay.run_once().delivered == 0  # the retry is not due yet
        assert len(hook.received) == 1
        clock.now += 2.0
        again = relay.run_once()
        assert again.delivered == len(expected) and again.failed == 0
    ids = hook.ids()
    assert ids[0] == ids[1]  # the same delivery again, with the same id
    assert ids[1:] == [delivery_id(uid_of(c), s) for s in expected]
    c.close()


def test_a_redirect_or_a_timeout_is_a_failure(tmp_path: Path, hook: Hook) -> None:
    """A 3xx is not followed (a redirected POST would arrive as a GET without its body)."""
    db = str(tmp_path / "c.db")
    busy_campaign(db).close()
    hook.answer = lambda r: 302
    clock = Clock()
    with _relay(db, hook, clock) as relay:
        report = relay.run_once()
        assert (report.delivered, report.failed) == (0, 1)
        assert "answered 302" in (relay.outbox.state(relay.targets[0].name).error or "")
        hook.answer = lambda r: 200
        hook.hold_at = 2  # the retry hangs past the 1 s timeout
        clock.now += 10
        report = relay.run_once()
        assert (report.delivered, report.failed) == (0, 1)
        assert "timed out" in (relay.outbox.state(relay.targets[0].name).error or "")
        hook.release.set()
        clock.now += 10
        assert relay.run_once().pending == 0
    assert len(set(hook.ids())) == len(hook.ids()) - 2  # the first event, three times


def test_a_running_relay_waits_out_its_backoff(tmp_path: Path, hook: Hook) -> None:
    """While a retry is not due, run() sleeps (it does not spin through passes)."""
    import threading

    db = str(tmp_path / "c.db")
    busy_campaign(db).close()
    hook.answer = lambda r: 500
    stop = threading.Event()
    passes = 0

    def relay() -> None:  # in its own thread, with its own connections
        nonlocal passes
        with _relay(db, hook, backoff=30.0) as r:
            once = r.run_once

            def counted() -> Any:
                nonlocal passes
                passes += 1
                return once()

            r.run_once = counted  # type: ignore[method-assign]
            r.run(stop)

    thread = threading.Thread(target=relay)
    thread.start()
    time.sleep(2.0)
    stop.set()
    thread.join(10)
    assert len(hook.received) == 1  # one attempt, then the 30 s backoff
    assert 1 <= passes <= 8  # a pass every 0.5 s at most (the stop event's own wake-ups)


def test_backoff_doubles_up_to_its_cap(tmp_path: Path, hook: Hook) -> None:
    db = str(tmp_path / "c.db")
    busy_campaign(db).close()
    hook.answer = lambda r: 503
    clock = Clock()
    with _relay(db, hook, clock, backoff=1.0, max_backoff=5.0, max_attempts=100) as relay:
        waits = []
        for _ in range(5):
            report = relay.run_once()
            assert report.retry_at is not None
            waits.append(report.retry_at - clock.now)
            clock.now = report.retry_at
        assert waits == [1.0, 2.0, 4.0, 5.0, 5.0]
    assert len(set(hook.ids())) == 1


def test_dead_letter_after_max_attempts(tmp_path: Path, hook: Hook) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    expected = outgoing(c)
    poison = delivery_id(uid_of(c), expected[1])
    hook.answer = lambda r: 500 if r.id == poison else 200
    clock = Clock()
    with _relay(db, hook, clock, backoff=1.0, max_attempts=3) as relay:
        dead = 0
        for _ in range(3):
            report = relay.run_once()
            dead += report.dead
            clock.now += 10
        assert dead == 1
        letters = relay.dead_letters()
        assert [(d.delivery_id, d.attempts) for d in letters] == [(poison, 3)]
        assert "answered 500" in letters[0].error
        assert relay.run_once().pending == 0
    ids = hook.ids()
    assert ids.count(poison) == 3
    delivered = [i for i in ids if i != poison]
    assert delivered == [delivery_id(uid_of(c), s) for s in expected if s != expected[1]]
    c.close()


def test_two_relays_never_both_deliver(tmp_path: Path, hook: Hook) -> None:
    """While one relay holds a target's lease another skips it; when the first stops (or
    its lease runs out) the second goes on where it stopped."""
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    clock = Clock()
    one = _relay(db, hook, clock, lease=30.0, owner="one")
    two = _relay(db, hook, clock, lease=30.0, owner="two")
    assert one.run_once().delivered == len(outgoing(c))
    c.tick("2011-10-12")
    skipped = two.run_once()
    assert skipped.delivered == 0 and skipped.busy == [two.targets[0].name]
    clock.now += 31  # "one" crashed: its lease runs out
    before = len(hook.received)
    taken = two.run_once()
    assert taken.delivered == len(outgoing(c)) - before > 0
    assert one.run_once().busy  # now "two" holds it
    two.close()  # gives the lease up
    before = len(outgoing(c))
    c.record_finding("county-2", actor="inspector", at="2011-10-13", description="未整改")
    assert one.run_once().delivered == len(outgoing(c)) - before > 0
    one.close()
    ids = hook.ids()
    assert len(ids) == len(set(ids)) == len(outgoing(c))
    c.close()


def test_two_relay_threads_deliver_each_event_once(tmp_path: Path, hook: Hook) -> None:
    import threading

    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    stop = threading.Event()
    passes: dict[str, int] = {}

    def relay(name: str) -> None:  # each thread its own relay (and connections)
        with _relay(db, hook, lease=5.0, owner=name) as r:
            r.run(stop, on_pass=lambda report: passes.update({name: report.delivered}))

    threads = [threading.Thread(target=relay, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    try:
        for day in ("2011-10-01", "2011-10-12", "2011-11-01", "2011-12-05"):
            c.tick(day)
        deadline = time.monotonic() + 30
        while len(hook.received) < len(outgoing(c)) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert passes  # a relay delivered (which one is the lease's choice)
    ids = hook.ids()
    assert ids == [delivery_id(uid_of(c), s) for s in outgoing(c)]  # once each, in order
    c.close()


def test_campaigns_never_see_each_others_outbox(tmp_path: Path, hook: Hook) -> None:
    db = str(tmp_path / "shared.db")
    a = busy_campaign(db, campaign_id="a")
    b = Campaign.create_stored(db, store_fixtures.loaded_template(), campaign_id="b")
    b.add_actor("inspector", roles=["inspector"])
    b.enroll("x", name="某局", at="2011-08-30")
    b.record_finding("x", actor="inspector", at="2011-09-02", description="b 的问题")
    with Relay(db, [WebhookTarget(hook.url)], campaign_id="b") as relay:
        assert relay.run_once().delivered == len(outgoing(b))
    assert {r.payload["campaign"] for r in hook.received} == {"b"}
    assert all(r.id.startswith(uid_of(b)) for r in hook.received)
    with Relay(db, [WebhookTarget(hook.url)], campaign_id="a") as relay:
        assert relay.run_once().delivered == len(outgoing(a))
    assert len(hook.received) == len(outgoing(a)) + len(outgoing(b))
    a.close()
    b.close()


def test_bad_settings_are_refused(tmp_path: Path, hook: Hook) -> None:
    db = str(tmp_path / "c.db")
    busy_campaign(db).close()
    with pytest.raises(RelayError, match="not an http"):
        WebhookTarget("ftp://example.org/x")
    with pytest.raises(RelayError, match="at least one target"):
        Relay(db, [])
    with pytest.raises(RelayError, match="max_attempts"):
        Relay(db, [WebhookTarget(hook.url)], max_attempts=0)
    with pytest.raises(RelayError, match="lease"):
        Relay(db, [WebhookTarget(hook.url, timeout=10)], lease=5)


# -- the command line -------------------------------------------------------------------------
def test_cli_relay_once(tmp_path: Path, hook: Hook, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    n = len(outgoing(c))
    assert main(["campaign", "relay", db, "--webhook", hook.url, "--secret", "k", "--once"]) == 0
    assert (
        capsys.readouterr().out == f"default: delivered {n}, failed 0, dead-lettered 0, pending 0\n"
    )
    assert len(hook.received) == n
    assert all(verify_signature("k", r.body, r.headers[SIGNATURE_HEADER]) for r in hook.received)
    hook.answer = lambda r: 500
    c.tick("2011-10-12")
    assert main(["campaign", "relay", db, "--webhook", hook.url, "--once"]) == 1
    assert "failed 1" in capsys.readouterr().out
    assert main(["campaign", "relay", db, "--once"]) == 2
    assert capsys.readouterr().err == (
        "zyw-flow: campaign relay: give at least one --webhook URL or --redis URL\n"
    )
    assert main(["campaign", "relay", db, "--webhook", "nope", "--once"]) == 2
    assert "not an http://" in capsys.readouterr().err
    c.close()


def _relay_process(db: str, url: str, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "zyw_flow", "campaign", "relay", db, "--webhook", url, *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_relay_killed_mid_delivery_loses_nothing(tmp_path: Path, hook: Hook) -> None:
    """SIGKILL the relay while the webhook holds a request: a new relay (once the lease ran
    out) delivers everything; only the delivery in flight comes again, with the same id."""
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    expected = [delivery_id(uid_of(c), s) for s in outgoing(c)]
    hook.hold_at = 5
    proc = _relay_process(db, hook.url, "--lease", "2", "--timeout", "1")
    try:
        assert hook.holding.wait(60), proc.stderr.read() if proc.poll() is not None else ""
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    hook.release.set()
    assert hook.ids() == expected[:5]
    time.sleep(2.1)  # the dead relay's lease runs out
    again = _relay_process(db, hook.url, "--once", "--lease", "2", "--timeout", "1")
    _, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    ids = hook.ids()
    assert set(ids) == set(expected)
    assert ids == [*expected[:5], *expected[4:]]  # the one in flight, again, then the rest
    bodies: dict[str, bytes] = {}
    for r in hook.received:
        assert bodies.setdefault(r.id, r.body) == r.body  # a duplicate is the same delivery
    c.close()


def test_relay_process_stops_on_sigterm(tmp_path: Path, hook: Hook) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    proc = _relay_process(db, hook.url)
    try:
        deadline = time.monotonic() + 60
        while len(hook.received) < len(outgoing(c)) and time.monotonic() < deadline:
            time.sleep(0.05)
        c.record_finding("county-1", actor="inspector", at="2011-09-26", description="新问题")
        deadline = time.monotonic() + 10
        while len(hook.received) < len(outgoing(c)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(hook.received) == len(outgoing(c))  # the running relay saw the new one
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "delivered" in out
    # the lease was given up: another relay takes over at once
    with _relay(db, hook) as relay:
        assert relay.run_once().busy == []
    assert json.loads(hook.received[-1].body)["event"]["type"] == "finding_recorded"
    c.close()


@pytest.mark.postgres
def test_relay_process_on_postgres_wakes_on_a_commit(pg_store: Store, hook: Hook) -> None:
    """A running relay sleeps on LISTEN/NOTIFY (its idle wait is lease/3 = 20 s): a commit
    in another process wakes it, and the new events arrive well before that."""
    c = busy_campaign(pg_store.target)
    proc = _relay_process(pg_store.target, hook.url)
    try:
        deadline = time.monotonic() + 60
        while len(hook.received) < len(outgoing(c)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(hook.received) == len(outgoing(c))
        time.sleep(0.5)  # the relay is asleep now
        c.record_finding("county-1", actor="inspector", at="2011-09-26", description="新问题")
        deadline = time.monotonic() + 8  # < 20 s: only a wake-up delivers in time
        while len(hook.received) < len(outgoing(c)) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert hook.ids() == [delivery_id(uid_of(c), s) for s in outgoing(c)]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        c.close()
