"""Notifications that leave the process: the relay of a stored campaign's outbox.

Every event a host may act on is written to the store's outbox in the same transaction as
its journal row (:mod:`zyw_flow.store`); :class:`Relay` delivers it at least once, in order
per campaign, to HTTP webhooks and Redis streams, with retries, backoff, dead letters and
leases. See docs/notifications.md.
"""

from __future__ import annotations

from zyw_flow.relay._delivery import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    Delivery,
    DeliveryFailed,
    RelayError,
    delivery_id,
    sign,
    verify_signature,
)
from zyw_flow.relay._relay import Relay, RelayReport
from zyw_flow.relay._targets import RedisStreamTarget, Target, WebhookTarget

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "Delivery",
    "DeliveryFailed",
    "RedisStreamTarget",
    "Relay",
    "RelayError",
    "RelayReport",
    "Target",
    "WebhookTarget",
    "delivery_id",
    "sign",
    "verify_signature",
]
