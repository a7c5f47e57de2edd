"""The relay against real Redis servers: the machine's (127.0.0.1:6379) and a private one this
test stops and starts again.

Without a Redis server the tests skip, unless ``ZYW_FLOW_REQUIRE_REDIS=1`` (CI), in which
case they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.relay_fixtures import Clock, busy_campaign, outgoing, uid_of
from zyw_flow.cli import main
from zyw_flow.relay import RedisStreamTarget, Relay, RelayError, delivery_id

redis = pytest.importorskip("redis")

REDIS_URL_ENV = "ZYW_FLOW_REDIS_URL"
REQUIRE_ENV = "ZYW_FLOW_REQUIRE_REDIS"


def _unavailable(reason: str) -> None:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"Redis is not available: {reason} ({REQUIRE_ENV}=1)", pytrace=False)
    pytest.skip(f"Redis is not available: {reason}")


@pytest.fixture(scope="module")
def redis_url() -> str:
    """The machine's Redis server (``$ZYW_FLOW_REDIS_URL``, default 127.0.0.1:6379)."""
    url = os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        _unavailable(f"{url}: {exc}")
    return url


@pytest.fixture
def prefix(redis_url: str) -> Iterator[str]:
    """A stream prefix of this test's own (its streams are deleted afterwards)."""
    p = f"zt_{uuid.uuid4().hex[:12]}:"
    yield p
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{p}*"):
        client.delete(key)
    client.close()


def _stream(url: str, key: str) -> list[tuple[str, dict[bytes, bytes]]]:
    client = redis.Redis.from_url(url)
    try:
        return [(i.decode(), f) for i, f in client.xrange(key)]
    finally:
        client.close()


def test_events_go_to_a_stream_in_order(tmp_path: Path, redis_url: str, prefix: str) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    expected = outgoing(c)
    uid = uid_of(c)
    with Relay(db, [RedisStreamTarget(redis_url, prefix=prefix)]) as relay:
        assert relay.run_once().delivered == len(expected)
    entries = _stream(redis_url, f"{prefix}default")
    assert [i for i, _ in entries] == [f"{s}-0" for s in expected]
    assert [f[b"delivery_id"].decode() for _, f in entries] == [
        delivery_id(uid, s) for s in expected
    ]
    events = {e.seq: e.to_json() for e in c.events(0)}
    for _, fields in entries:
        body = json.loads(fields[b"body"])
        assert body["event"] == events[body["event"]["seq"]]
        assert fields[b"type"].decode() == body["event"]["type"]
    c.close()


def test_a_repeated_delivery_is_not_added_twice(
    tmp_path: Path, redis_url: str, prefix: str
) -> None:
    """A relay that crashed after XADD but before it recorded the delivery sends it again:
    Redis refuses the entry id, which holds the same delivery: taken as delivered."""
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    target = RedisStreamTarget(redis_url, prefix=prefix)
    with Relay(db, [target]) as relay:
        relay.run_once()
        relay.outbox._db._execute("UPDATE zyw_relay SET done = 0")  # forget the progress
        again = relay.run_once()
    assert again.delivered == len(outgoing(c)) and again.failed == 0
    assert len(_stream(redis_url, f"{prefix}default")) == len(outgoing(c))
    c.close()


def test_a_foreign_entry_is_never_taken_as_delivered(
    tmp_path: Path, redis_url: str, prefix: str
) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    client = redis.Redis.from_url(redis_url)
    client.xadd(f"{prefix}default", {"other": "writer"}, id="999999-0")
    client.close()
    with Relay(db, [RedisStreamTarget(redis_url, prefix=prefix)], max_attempts=2) as relay:
        report = relay.run_once()
    assert report.delivered == 0 and report.failed == 1
    c.close()


def test_cli_relay_to_redis(tmp_path: Path, redis_url: str, prefix: str, capsys: Any) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    argv = ["campaign", "relay", db, "--redis", redis_url, "--redis-prefix", prefix, "--once"]
    assert main(argv) == 0
    assert f"delivered {len(outgoing(c))}," in capsys.readouterr().out
    assert len(_stream(redis_url, f"{prefix}default")) == len(outgoing(c))
    with pytest.raises(RelayError, match="not a redis://"):
        RedisStreamTarget("http://127.0.0.1:6379")
    c.close()


# -- a private server, stopped and started again --------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateRedis:
    """A redis-server of this test's own on a free port, persisting to an append-only file
    in ``folder`` (so what it took survives a restart)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        exe = shutil.which("redis-server")
        if exe is None:
            _unavailable("redis-server is not installed")
        assert exe is not None
        self.proc = subprocess.Popen(
            [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


def test_broker_stopped_and_started_again(tmp_path: Path, private_redis: PrivateRedis) -> None:
    db = str(tmp_path / "c.db")
    c = busy_campaign(db)
    clock = Clock()
    target = RedisStreamTarget(private_redis.url, timeout=1)
    with Relay(db, [target], clock=clock, backoff=1.0, lease=5.0) as relay:
        assert relay.run_once().delivered == len(outgoing(c))
        private_redis.stop()
        c.tick("2011-10-12")
        down = relay.run_once()
        assert down.delivered == 0 and down.failed == 1
        error = relay.outbox.state(target.name).error or ""
        assert error.endswith("Connection refused.")
        private_redis.start()
        clock.now += 1.0
        up = relay.run_once()
        assert up.failed == 0 and up.pending == 0
    entries = _stream(private_redis.url, "zyw_flow:default")
    assert [i for i, _ in entries] == [f"{s}-0" for s in outgoing(c)]  # nothing lost, once each
    c.close()
