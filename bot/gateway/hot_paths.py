"""The two hot endpoints, served as plain ASGI for server-to-server calls.

``POST /webhooks/rest/webhook`` (every customer message) and ``POST /model/parse`` (Rasa's NLU
call) are answered here without FastAPI's routing and middleware when the request carries no
``Origin`` header (browsers always send one on cross-origin POSTs, and those go through FastAPI
and its CORS middleware). Both paths run the same functions, so they answer identically.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.gateway.errors import GatewayError, InvalidRequest, PayloadTooLarge, RateLimited
from bot.gateway.messages import InboundMessage
from bot.gateway.schemas import NluParseRequest, RestMessage
from bot.gateway.security import LOOPBACK_HOSTS
from bot.gateway.services import GatewayServices
from bot.gateway.upstream import UpstreamError
from bot.gateway.wire import (
    check_rate,
    decode_json,
    message_id_of,
    validation_reason,
)

log = logging.getLogger("calmdesk.gateway")
TOKEN_HEADER = "x-calmdesk-token"
WEBHOOK_PATH = "/webhooks/rest/webhook"
PARSE_PATH = "/model/parse"


@dataclass(frozen=True, slots=True)
class HotResponse:
    """A JSON answer: status, payload and extra headers."""

    status: int
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)


def backend_key_ok(services: GatewayServices, given: str) -> bool:
    """Whether ``given`` is the configured backend key."""
    key = services.settings.gateway_backend_key
    return bool(key) and hmac.compare_digest(key.encode(), given.encode())


async def rest_webhook(
    services: GatewayServices, body: bytes, ip: str, backend_key: str
) -> HotResponse:
    """Rasa's REST channel: validate, run the pipeline, answer Rasa's response format."""
    settings = services.settings
    data = decode_json(body)
    try:
        payload = RestMessage.model_validate(data)
    except ValidationError as exc:
        raise InvalidRequest(validation_reason(exc)) from exc
    text = payload.message.strip()
    if not text:
        raise InvalidRequest("message is empty", code="empty_message")
    if len(text) > settings.gateway_max_text_chars:
        raise PayloadTooLarge(
            f"message is over {settings.gateway_max_text_chars} characters", code="text_too_long"
        )
    check_rate(services, ip, payload.sender)
    metadata = payload.metadata or {}
    customer_id = metadata.get("customer_id")
    trusted = backend_key_ok(services, backend_key)
    inbound = InboundMessage(
        conversation_id=payload.sender,
        text=text,
        channel="rest",
        message_id=message_id_of(metadata),
        metadata=metadata,
        customer_id=customer_id if trusted and type(customer_id) is int else None,
    )
    result = await services.pipeline.handle(inbound)
    for message in result.messages:
        message.delivered = True
    headers = {}
    if result.new_conversation:
        headers[TOKEN_HEADER] = services.tokens.issue(payload.sender, inbound.customer_id)
    return HotResponse(200, result.payloads(), headers)


async def relay_parse(services: GatewayServices, body: bytes, ip: str) -> HotResponse:
    """Rasa's NLU call, answered from the gateway's parse of the same text (loopback only)."""
    settings = services.settings
    if ip not in LOOPBACK_HOSTS:
        raise GatewayError("only Rasa on loopback may call this", code="forbidden", status=403)
    try:
        wanted = NluParseRequest.model_validate(decode_json(body))
    except ValidationError as exc:
        raise InvalidRequest(validation_reason(exc)) from exc
    if settings.nlu_token and wanted.token != settings.nlu_token:
        raise GatewayError("missing or wrong token", code="unauthorized", status=401)
    parse = services.relay.get(wanted.text)
    if parse is not None:
        services.metrics.parse_relay.labels("hit").inc()
        return HotResponse(200, parse)
    services.metrics.parse_relay.labels("miss").inc()
    try:
        parse = await services.upstreams.parse(wanted.text, settings.gateway_nlu_timeout_s)
    except UpstreamError as exc:
        raise GatewayError(exc.reason, code=exc.code, status=503) from exc
    return HotResponse(200, parse)


def error_response(services: GatewayServices, exc: GatewayError) -> HotResponse:
    """The JSON error every endpoint answers (``Retry-After`` on 429)."""
    services.metrics.rejected.labels(exc.code).inc()
    headers = {}
    if isinstance(exc, RateLimited):
        headers["retry-after"] = str(max(1, int(exc.retry_after + 0.999)))
    return HotResponse(exc.status, {"error": exc.code, "reason": exc.reason}, headers)


Handler = Callable[[bytes, str, dict[bytes, bytes]], Awaitable[HotResponse]]


class HotPathRouter:
    """Pure ASGI front: socket.io, the two hot POSTs without ``Origin``, the rest to FastAPI."""

    def __init__(self, app: ASGIApp, sio_app: ASGIApp, services: GatewayServices) -> None:
        """Wrap ``app``."""
        self.app = app
        self.sio_app = sio_app
        self.services = services

        async def webhook(body: bytes, ip: str, headers: dict[bytes, bytes]) -> HotResponse:
            key = headers.get(b"x-calmdesk-backend-key", b"").decode("latin-1")
            return await rest_webhook(services, body, ip, key)

        async def parse(body: bytes, ip: str, headers: dict[bytes, bytes]) -> HotResponse:
            return await relay_parse(services, body, ip)

        self.handlers: dict[str, Handler] = {WEBHOOK_PATH: webhook, PARSE_PATH: parse}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch by path and method."""
        if scope["type"] in ("http", "websocket") and scope["path"].startswith("/socket.io"):
            await self.sio_app(scope, receive, send)
            return
        if scope["type"] == "http" and scope["method"] == "POST":
            handler = self.handlers.get(scope["path"])
            if handler is not None:
                headers = dict(scope["headers"])
                if b"origin" not in headers:
                    await self._serve(handler, scope, headers, receive, send)
                    return
        await self.app(scope, receive, send)

    async def _serve(
        self,
        handler: Handler,
        scope: Scope,
        headers: dict[bytes, bytes],
        receive: Receive,
        send: Send,
    ) -> None:
        limit = self.services.settings.gateway_max_body_bytes
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        try:
            body = await _read_body(receive, headers, limit)
            answer = await handler(body, ip, headers)
        except GatewayError as exc:
            answer = error_response(self.services, exc)
        except Exception:
            log.exception("gateway.request.failed", extra={"path": scope["path"]})
            self.services.metrics.errors.labels("internal").inc()
            answer = HotResponse(500, {"error": "internal", "reason": "unexpected error"})
        content = orjson.dumps(answer.payload)
        raw_headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(content)).encode("ascii")),
            *((k.encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()),
        ]
        await send({"type": "http.response.start", "status": answer.status, "headers": raw_headers})
        await send({"type": "http.response.body", "body": content})


async def _read_body(receive: Receive, headers: dict[bytes, bytes], limit: int) -> bytes:
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is over {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidRequest("the client went away", code="client_disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body is over {limit} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
