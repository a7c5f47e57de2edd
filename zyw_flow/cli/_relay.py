"""``zyw-flow campaign relay``: deliver a stored campaign's outbox (docs/notifications.md)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from types import FrameType
from typing import Any

from zyw_flow.cli._args import UsageError
from zyw_flow.cli._console import Ui
from zyw_flow.relay import Relay, RelayReport, Target, WebhookTarget

__all__ = ["SECRET_ENV", "add_relay_command", "cmd_relay"]

#: The environment variable read for the webhook secret when ``--secret`` is not given (a
#: secret on the command line is visible to every user of the machine in ``ps``).
SECRET_ENV = "ZYW_FLOW_RELAY_SECRET"


def _targets(args: argparse.Namespace) -> list[Target]:
    secret = args.secret if args.secret is not None else os.environ.get(SECRET_ENV)
    targets: list[Target] = [
        WebhookTarget(url, secret, timeout=args.timeout) for url in args.webhook or ()
    ]
    if args.redis:
        from zyw_flow.relay import RedisStreamTarget

        targets += [
            RedisStreamTarget(url, prefix=args.redis_prefix, timeout=args.timeout)
            for url in args.redis
        ]
    if not targets:
        raise UsageError("campaign relay: give at least one --webhook URL or --redis URL")
    return targets


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def cmd_relay(args: argparse.Namespace, ui: Ui) -> int:
    """Deliver the outbox: what is pending (``--once``), or until stopped."""
    targets = _targets(args)
    relay = Relay(
        args.db,
        targets,
        max_attempts=args.max_attempts,
        backoff=args.backoff,
        lease=args.lease,
    )
    try:
        if args.once:
            earlier = {(d.target, d.delivery_id) for d in relay.dead_letters()}
            report = relay.run_once()
            print(f"{relay.store_campaign}: {report}")
            # only this run's dead letters: the earlier ones were listed by the run that made them
            for letter in relay.dead_letters():
                if (letter.target, letter.delivery_id) in earlier:
                    continue
                print(
                    f"dead letter {letter.delivery_id} ({letter.target}, {letter.attempts} "
                    f"attempts): {letter.error}",
                    file=sys.stderr,
                )
            if earlier:
                print(f"{len(earlier)} dead letter(s) from earlier runs", file=sys.stderr)
            return 1 if report.failed else 0

        def said(report: RelayReport) -> None:
            print(f"{relay.store_campaign}: {report}", flush=True)

        previous = signal.signal(signal.SIGTERM, _stop)
        try:
            relay.run(on_pass=said)
        except KeyboardInterrupt:
            pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        return 0
    finally:
        relay.close()


def add_relay_command(sub: Any) -> None:
    """Add ``relay`` to the ``campaign`` command (added first by ``add_campaign_commands``)."""
    campaign = sub.choices["campaign"]
    verbs = next(a for a in campaign._actions if isinstance(a, argparse._SubParsersAction))
    q = verbs.add_parser(
        "relay",
        help="deliver the campaign's outbox to webhooks / Redis streams (at least once, in "
        "order); --once: what is pending, then exit",
    )
    q.add_argument("db", metavar="STORE")
    q.add_argument("--webhook", action="append", metavar="URL", help="POST to URL (repeatable)")
    q.add_argument(
        "--secret", help=f"sign webhook bodies with this HMAC-SHA256 key (default: ${SECRET_ENV})"
    )
    q.add_argument("--redis", action="append", metavar="URL", help="XADD to a Redis stream")
    q.add_argument("--redis-prefix", default="zyw_flow:", help="stream name before the campaign id")
    q.add_argument("--once", action="store_true", help="deliver what is pending, then exit")
    q.add_argument("--max-attempts", type=int, default=8, help="failures before a dead letter")
    q.add_argument("--backoff", type=float, default=1.0, help="seconds before the first retry")
    q.add_argument("--lease", type=float, default=60.0, help="seconds a relay holds a target")
    q.add_argument("--timeout", type=float, default=10.0, help="seconds per delivery")
    q.set_defaults(func=cmd_relay)
