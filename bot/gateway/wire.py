"""Small wire helpers shared by the channels and APIs: JSON in and out, ids, rate checks."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi.responses import Response
from pydantic import ValidationError

from bot.gateway.errors import GatewayError
from bot.gateway.security import LOOPBACK_HOSTS
from bot.gateway.services import GatewayServices


class JsonBytes(Response):
    """A JSON response serialised with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        """Serialise ``content``."""
        return orjson.dumps(content)


def decode_json(body: bytes) -> Any:
    """Decode a JSON body or raise a 400 ``malformed_json``/``invalid_utf8``."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            raise GatewayError("the body is not valid UTF-8", code="invalid_utf8") from exc
        raise GatewayError(f"malformed JSON: {exc}", code="malformed_json") from exc


def validation_reason(exc: ValidationError) -> str:
    """One line naming each invalid field."""
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )


def check_rate(services: GatewayServices, ip: str, sender: str) -> None:
    """Apply the per-IP and per-sender token buckets (raises ``RateLimited``)."""
    settings = services.settings
    if not (settings.gateway_rate_exempt_loopback and ip in LOOPBACK_HOSTS):
        services.ip_limiter.check(ip, "IP address")
    services.sender_limiter.check(sender, "sender")


def message_id_of(metadata: dict[str, Any]) -> str | None:
    """The client's message id (``metadata.message_id``), if it sent one."""
    value = metadata.get("message_id")
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value):
        return str(value)[:128]
    return None
