"""Shared helpers of the outbox and relay tests: a real local HTTP server, campaigns."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from tests import store_fixtures
from zyw_flow import Campaign
from zyw_flow.store import QUIET_TYPES


@attrs.define
class Received:
    """One request the hook received."""

    headers: dict[str, str]
    body: bytes

    @property
    def id(self) -> str:
        return self.headers["X-Zyw-Delivery"]

    @property
    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = json.loads(self.body)
        return found


class Hook:
    """A real HTTP server on 127.0.0.1 (a thread) that records every POST.

    ``answer(received) -> status`` decides each answer (default 200); ``hold`` (when set)
    makes the handler block until the event is set (to kill a relay mid-delivery)."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.answer: Callable[[Received], int] = lambda r: 200
        self.holding = threading.Event()  # set when a request is being held
        self.hold_at: int | None = None  # hold the request numbered so (1-based)
        self.release = threading.Event()
        self._lock = threading.Lock()
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                r = Received(dict(self.headers.items()), self.rfile.read(length))
                with hook._lock:
                    hook.received.append(r)
                    number = len(hook.received)
                if hook.hold_at == number:
                    hook.holding.set()
                    hook.release.wait(30)
                status = hook.answer(r)
                with contextlib.suppress(OSError):  # the relay may be gone
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def ids(self) -> list[str]:
        with self._lock:
            return [r.id for r in self.received]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    """A real local webhook server."""
    h = Hook()
    yield h
    h.close()


class Clock:
    """A wall clock the test moves (seconds since the epoch)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


def busy_campaign(target: str, *, campaign_id: str | None = None) -> Campaign:
    """A stored campaign with actors, units and a month of deadlines and escalations."""
    c = Campaign.create_stored(target, store_fixtures.loaded_template(), campaign_id=campaign_id)
    store_fixtures.populate(c)
    c.tick("2011-09-25")
    return c


def outgoing(c: Campaign, since: int = 0) -> list[int]:
    """The event numbers the outbox must deliver, in order."""
    return [e.seq for e in c.events(since) if e.type not in QUIET_TYPES]


def uid_of(c: Campaign) -> str:
    journal = c.store
    assert journal is not None
    return journal.read_meta()["campaign_uid"]


def sqlite_path(tmp_path: Path, name: str = "c.db") -> str:
    return str(tmp_path / name)
