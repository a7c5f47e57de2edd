"""One notification as it leaves: its stable delivery id, its JSON body, its signature."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

import attrs

from zyw_flow._errors import ZywFlowError

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "SIGNATURE_HEADER",
    "Delivery",
    "DeliveryFailed",
    "RelayError",
    "delivery_id",
    "sign",
    "verify_signature",
]

#: The header carrying the delivery id (the same on every retry: de-duplicate on it).
DELIVERY_HEADER = "X-Zyw-Delivery"
#: The header carrying the event type (``step_overdue``, ``step_escalated`` …).
EVENT_HEADER = "X-Zyw-Event"
#: The header carrying ``sha256=`` and the hex HMAC-SHA256 of the body under the secret.
SIGNATURE_HEADER = "X-Zyw-Signature"


class RelayError(ZywFlowError, ValueError):
    """A relay that cannot run as asked (a bad target URL, no outbox in the store …)."""


class DeliveryFailed(ZywFlowError):
    """A target did not take a delivery (it will be retried, then dead-lettered)."""


def delivery_id(campaign_uid: str, seq: int) -> str:
    """The stable id of the notification of event ``seq``: the campaign's unique id (made
    when it was created) and the event number, so no two notifications share one."""
    return f"{campaign_uid}:{seq}"


@attrs.frozen
class Delivery:
    """One notification: the event, its delivery id and the body every target sends."""

    id: str
    seq: int
    type: str
    campaign: str
    body: bytes

    @classmethod
    def of(
        cls, campaign: str, campaign_id: str, campaign_uid: str, event: Mapping[str, Any]
    ) -> Delivery:
        """The delivery of one event (``Event.to_json()``) of a stored campaign."""
        seq = int(event["seq"])
        ident = delivery_id(campaign_uid, seq)
        payload = {
            "delivery_id": ident,
            "campaign": campaign,
            "campaign_id": campaign_id,
            "event": dict(event),
        }
        body = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return cls(ident, seq, str(event["type"]), campaign, body.encode("utf-8"))

    def headers(self, secret: bytes | None) -> dict[str, str]:
        """The HTTP headers of the delivery (the signature only with a secret)."""
        out = {
            "Content-Type": "application/json; charset=utf-8",
            DELIVERY_HEADER: self.id,
            EVENT_HEADER: self.type,
        }
        if secret is not None:
            out[SIGNATURE_HEADER] = sign(secret, self.body)
        return out


def sign(secret: bytes | str, body: bytes) -> str:
    """The signature header value of ``body``: ``sha256=`` and the hex HMAC-SHA256."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def verify_signature(secret: bytes | str, body: bytes, header: str | None) -> bool:
    """Whether ``header`` is the signature of ``body`` under ``secret`` (constant time)."""
    return header is not None and hmac.compare_digest(sign(secret, body), header)
