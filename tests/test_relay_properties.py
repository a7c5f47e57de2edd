"""The relay's rules under any pattern of failures (hypothesis), against a real local HTTP
server: every event is delivered or dead-lettered, in order, retries of one event come
together with its one delivery id, and an event is dead-lettered exactly when it failed
``max_attempts`` times in a row."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Iterator
from itertools import groupby
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.relay_fixtures import Clock, Hook, Received, busy_campaign, outgoing, uid_of
from zyw_flow.relay import Relay, WebhookTarget, delivery_id


@functools.cache
def _pristine() -> tuple[Path, list[str]]:
    """A campaign file with deliveries pending (built once), and their ids in order."""
    folder = Path(tempfile.mkdtemp(prefix="zt_relay_props_"))
    path = folder / "pristine.db"
    c = busy_campaign(str(path))
    ids = [delivery_id(uid_of(c), s) for s in outgoing(c)]
    c.close()
    return path, ids


@pytest.fixture(scope="module")
def server() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


# an answer per request, in order: 200 delivers, 500 / 503 / 404 fail (then 200s)
ANSWERS = st.lists(st.sampled_from([200, 200, 500, 503, 404]), max_size=60)


@settings(max_examples=25)
@given(answers=ANSWERS, max_attempts=st.integers(1, 4))
def test_any_failures_keep_order_and_lose_nothing(
    server: Hook, tmp_path_factory: pytest.TempPathFactory, answers: list[int], max_attempts: int
) -> None:
    pristine, expected = _pristine()
    db = tmp_path_factory.mktemp("relay") / "c.db"
    shutil.copy(pristine, db)
    server.received.clear()
    script = iter(answers)
    statuses: dict[int, int] = {}

    def answer(r: Received) -> int:
        status = next(script, 200)
        statuses[id(r)] = status
        return status

    server.answer = answer
    clock = Clock()
    relay = Relay(str(db), [WebhookTarget(server.url, timeout=2)], clock=clock,
                  max_attempts=max_attempts, backoff=1.0, max_backoff=4.0)  # fmt: skip
    try:
        for _ in range(len(answers) + len(expected) + 2):
            report = relay.run_once()
            if report.pending == 0:
                break
            clock.now += 10  # every retry is due
        assert relay.run_once().pending == 0
        dead = {d.delivery_id for d in relay.dead_letters()}
    finally:
        relay.close()
    runs = [(k, [statuses[id(r)] for r in group]) for k, group in
            groupby(server.received, key=lambda r: r.id)]  # fmt: skip
    # in order, each event's attempts together, nothing skipped
    assert [k for k, _ in runs] == expected
    for ident, got in runs:
        failures = [s for s in got if s != 200]
        assert len(got) <= max_attempts
        if ident in dead:  # dead-lettered exactly after max_attempts failures in a row
            assert got == failures and len(got) == max_attempts
        else:  # delivered once, after its failures
            assert got[-1] == 200 and len(failures) == len(got) - 1 < max_attempts
