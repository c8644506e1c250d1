"""Widget tokens, rate limits, the secret key and bounded request bodies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request

from bot.gateway.errors import GatewayConfigError, PayloadTooLarge, RateLimited
from bot.settings import Settings

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


def resolve_secret_key(settings: Settings) -> bytes:
    """Return the widget-token key: the setting, or (embedded mode) one generated and persisted.

    Raises:
        GatewayConfigError: production mode without ``CALMDESK_GATEWAY_SECRET_KEY``.
    """
    if settings.gateway_secret_key:
        return settings.gateway_secret_key.encode("utf-8")
    if settings.mode == "production":
        raise GatewayConfigError("CALMDESK_GATEWAY_SECRET_KEY must be set in production mode")
    path = settings.path(settings.var_dir) / "gateway_secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), "utf-8")
        path.chmod(0o600)
    return path.read_text("utf-8").strip().encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True, slots=True)
class WidgetClaims:
    """What a valid widget token says: its conversation and, optionally, the customer."""

    conversation_id: str
    customer_id: int | None
    expires_at: int


class WidgetTokens:
    """HMAC-SHA256 signed tokens that let a visitor read only its own conversation.

    Args:
        key: The secret key.
        ttl_s: Lifetime of new tokens in seconds.
    """

    def __init__(self, key: bytes, ttl_s: int) -> None:
        self._key = key
        self.ttl_s = ttl_s

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())

    def issue(self, conversation_id: str, customer_id: int | None = None) -> str:
        """Return a token for ``conversation_id`` (and the authenticated ``customer_id``)."""
        claims = {"sid": conversation_id, "exp": int(time.time()) + self.ttl_s}
        if customer_id is not None:
            claims["cid"] = customer_id
        body = _b64(json.dumps(claims, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(body)}"

    def verify(self, token: str) -> WidgetClaims | None:
        """Return the claims of a genuine, unexpired token, else ``None``."""
        body, _, signature = token.partition(".")
        if not body or not signature or not hmac.compare_digest(self._sign(body), signature):
            return None
        try:
            claims = json.loads(_unb64(body))
            sid, exp, cid = claims["sid"], int(claims["exp"]), claims.get("cid")
        except (ValueError, KeyError, TypeError):
            return None
        if not isinstance(sid, str) or exp < time.time():
            return None
        if cid is not None and not isinstance(cid, int):
            return None
        return WidgetClaims(conversation_id=sid, customer_id=cid, expires_at=exp)


class RateLimiter:
    """Token buckets keyed by sender or IP; :meth:`check` raises :class:`RateLimited`.

    Args:
        rate: Tokens added per second.
        burst: Bucket size.
        max_keys: Buckets kept; full (idle) buckets are dropped beyond it.
    """

    def __init__(self, rate: float, burst: int, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str, what: str) -> None:
        """Take one token for ``key`` or raise with the seconds until one is available."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            self._buckets[key] = (tokens, now)
            raise RateLimited(f"too many messages for this {what}", (1.0 - tokens) / self.rate)
        self._buckets[key] = (tokens - 1.0, now)
        if len(self._buckets) > self.max_keys:
            self._prune(now)

    def _prune(self, now: float) -> None:
        full_after = self.burst / self.rate
        for key, (_, last) in list(self._buckets.items()):
            if now - last >= full_after:
                del self._buckets[key]


def client_ip(request: Request) -> str:
    """The peer address of the request (no proxy headers are trusted)."""
    return request.client.host if request.client else "unknown"


async def read_limited_body(request: Request, limit: int) -> bytes:
    """Read the body, refusing more than ``limit`` bytes (declared or streamed).

    Raises:
        PayloadTooLarge: the body is larger than ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)
