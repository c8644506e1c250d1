"""Rasa's REST channel (``POST /webhooks/rest/webhook``) and the conversation JSON API."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from bot.caselog import store
from bot.gateway.auth import TOKEN_HEADER, AgentAuth, is_backend
from bot.gateway.errors import (
    GatewayError,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
)
from bot.gateway.messages import InboundMessage
from bot.gateway.schemas import RestMessage, WidgetTokenRequest
from bot.gateway.security import LOOPBACK_HOSTS, client_ip, read_limited_body
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


def build_rest_router(services: GatewayServices, auth: AgentAuth) -> APIRouter:
    """Routes of the REST channel and of the conversation API."""
    router = APIRouter()
    settings = services.settings

    @router.get("/webhooks/rest/")
    async def rest_health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> JsonBytes:
        body = await read_limited_body(request, settings.gateway_max_body_bytes)
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
                f"message is over {settings.gateway_max_text_chars} characters",
                code="text_too_long",
            )
        check_rate(services, client_ip(request), payload.sender)
        metadata = payload.metadata or {}
        customer_id = metadata.get("customer_id")
        trusted = is_backend(request, services)
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
        return JsonBytes(result.payloads(), headers=headers)

    @router.get("/api/conversations/{conversation_id}")
    async def ownership(conversation_id: str, request: Request) -> dict[str, Any]:
        await auth.require_conversation(request, conversation_id)
        conversation = await services.conversation(conversation_id)
        return {
            "conversation_id": conversation_id,
            "state": conversation.state,
            "priority": conversation.priority,
            "handoff_reason": conversation.handoff_reason,
            "agent_id": conversation.agent_id,
            "turns": conversation.next_seq,
            "last_message_seq": conversation.out_seq,
        }

    @router.get("/api/conversations/{conversation_id}/history")
    async def history(conversation_id: str, request: Request) -> JsonBytes:
        await auth.require_conversation(request, conversation_id)
        await services.writer.flush()
        found = await asyncio.to_thread(
            store.conversation_history, services.engine, conversation_id
        )
        if found is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return JsonBytes(found)

    @router.get("/api/conversations/{conversation_id}/messages")
    async def messages(
        conversation_id: str, request: Request, after: int | None = None
    ) -> dict[str, Any]:
        """Messages the client has not seen: agent replies and anything not yet delivered.

        Without ``after``: every undelivered message, which is then marked delivered. With
        ``after=N``: every kept message numbered above ``N`` (idempotent polling).
        """
        await auth.require_conversation(request, conversation_id)
        conversation = await services.conversation(conversation_id)
        async with conversation.lock:
            found = (
                conversation.undelivered(mark=True) if after is None else conversation.after(after)
            )
        return {
            "conversation_id": conversation_id,
            "state": conversation.state,
            "messages": [m.as_json() for m in found],
            "last_seq": conversation.out_seq,
        }

    @router.post("/api/widget/token")
    async def widget_token(request: Request) -> dict[str, Any]:
        """A trusted backend gets a token (and a session id) for a visitor's widget."""
        if not is_backend(request, services):
            raise Unauthorized("the backend key is required")
        body = await read_limited_body(request, settings.gateway_max_body_bytes)
        try:
            wanted = WidgetTokenRequest.model_validate(decode_json(body) if body else {})
        except ValidationError as exc:
            raise InvalidRequest(validation_reason(exc)) from exc
        session_id = wanted.session_id or uuid.uuid4().hex
        return {
            "session_id": session_id,
            "token": services.tokens.issue(session_id, wanted.customer_id),
        }

    return router
