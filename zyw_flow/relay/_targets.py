"""Where the relay delivers: HTTP webhooks and Redis streams."""

from __future__ import annotations

import urllib.error
import urllib.request
from typing import Any, Protocol
from urllib.parse import urlsplit

from zyw_flow.relay._delivery import Delivery, DeliveryFailed, RelayError
from zyw_flow.store._journal import public_url

__all__ = ["RedisStreamTarget", "Target", "WebhookTarget"]


class Target(Protocol):
    """A destination of notifications.

    ``name`` identifies the target in the store (its progress and lease are kept under
    it): the same name in another relay process continues where this one stopped.
    """

    @property
    def name(self) -> str:
        """The target's stable name."""

    @property
    def timeout(self) -> float:
        """The longest one delivery may take (seconds): the relay renews its lease first."""

    def deliver(self, delivery: Delivery) -> None:
        """Hand over one delivery; return once the target has taken it.

        Raises:
            DeliveryFailed: the target did not take it (it is retried later).
        """

    def close(self) -> None:
        """Release connections."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Follow no redirect: urllib would turn a redirected POST into a GET without the body,
    and its 200 would pass for a delivery. A 3xx answer is a failure instead."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


class WebhookTarget:
    """POST each delivery's JSON body to ``url``; any 2xx answer is taken as delivered (a
    redirect is not followed: it is a failure, as every other answer is).

    Headers: ``X-Zyw-Delivery`` (the delivery id), ``X-Zyw-Event`` (the event type) and,
    with a ``secret``, ``X-Zyw-Signature: sha256=<hex HMAC-SHA256 of the body>``.

    Raises:
        RelayError: ``url`` is not an ``http://`` or ``https://`` URL.
    """

    def __init__(self, url: str, secret: str | bytes | None = None, *, timeout: float = 10.0):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise RelayError(f"--webhook {url!r}: not an http:// or https:// URL")
        if not timeout > 0:
            raise RelayError(f"webhook timeout must be a number of seconds > 0, not {timeout!r}")
        self.url = url
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else secret
        self._timeout = float(timeout)

    @property
    def name(self) -> str:
        return f"webhook:{public_url(self.url)}"

    @property
    def timeout(self) -> float:
        return self._timeout

    def deliver(self, delivery: Delivery) -> None:
        request = urllib.request.Request(
            self.url, data=delivery.body, headers=delivery.headers(self._secret), method="POST"
        )
        try:
            with _OPENER.open(request, timeout=self._timeout) as answer:
                status = int(answer.status)
                answer.read()
        except urllib.error.HTTPError as exc:
            where = public_url(self.url)
            raise DeliveryFailed(f"{where} answered {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DeliveryFailed(f"{public_url(self.url)}: {reason}") from exc
        if not 200 <= status < 300:
            raise DeliveryFailed(f"{public_url(self.url)} answered {status}")

    def close(self) -> None:
        pass


class RedisStreamTarget:
    """XADD each delivery to a Redis stream, one stream per campaign.

    The stream is ``<prefix><campaign>`` (``zyw_flow:<campaign>`` by default). Each entry's id is
    ``<event number>-0`` and its fields are ``delivery_id``, ``type``, ``campaign`` and
    ``body`` (the webhook's JSON body): Redis refuses an id not above the stream's last,
    so a delivery repeated after a relay crash is taken as already there (once the entry of
    that id is seen to carry the same delivery id), not added twice. Give each store its own
    ``prefix`` when several stores share one Redis.

    Raises:
        RelayError: the ``redis`` package is missing, or ``url`` is not a Redis URL.
    """

    def __init__(self, url: str, *, prefix: str = "zyw_flow:", timeout: float = 10.0) -> None:
        try:
            import redis
        except ImportError:
            raise RelayError(
                "the Redis target needs the redis package; install it with "
                "pip install 'zyw_flow[redis]'"
            ) from None
        if urlsplit(url).scheme not in ("redis", "rediss", "unix"):
            raise RelayError(f"--redis {url!r}: not a redis:// URL")
        self.url = url
        self.prefix = prefix
        self._timeout = float(timeout)
        self._redis = redis
        self._client: Any = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout
        )

    @property
    def name(self) -> str:
        return f"redis:{public_url(self.url)}#{self.prefix}"

    @property
    def timeout(self) -> float:
        return self._timeout

    def key(self, campaign: str) -> str:
        """The stream a campaign's deliveries go to."""
        return f"{self.prefix}{campaign}"

    def deliver(self, delivery: Delivery) -> None:
        fields = {
            "delivery_id": delivery.id,
            "type": delivery.type,
            "campaign": delivery.campaign,
            "body": delivery.body,
        }
        try:
            self._client.xadd(self.key(delivery.campaign), fields, id=f"{delivery.seq}-0")
        except self._redis.ResponseError as exc:
            if "equal or smaller" in str(exc) and self._holds(delivery):
                return  # already in the stream: delivered before the relay stopped
            raise DeliveryFailed(f"{public_url(self.url)}: {exc}") from exc
        except self._redis.RedisError as exc:
            raise DeliveryFailed(f"{public_url(self.url)}: {exc}") from exc

    def _holds(self, delivery: Delivery) -> bool:
        """Whether the stream's entry of this event number is this delivery (not an entry
        another writer put there: that is refused, never taken as delivered)."""
        ident = f"{delivery.seq}-0"
        try:
            found = self._client.xrange(self.key(delivery.campaign), ident, ident)
        except self._redis.RedisError as exc:
            raise DeliveryFailed(f"{public_url(self.url)}: {exc}") from exc
        return bool(found) and found[0][1].get(b"delivery_id") == delivery.id.encode("utf-8")

    def close(self) -> None:
        self._client.close()
