"""Rasa's REST channel (``POST /webhooks/rest/webhook``) and the conversation JSON API."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from bot.gateway.auth import AgentAuth, is_backend
from bot.gateway.errors import (
    InvalidRequest,
    Unauthorized,
)
from bot.gateway.hot_paths import rest_webhook
from bot.gateway.schemas import WidgetTokenRequest
from bot.gateway.security import client_ip, read_limited_body
from bot.gateway.services import GatewayServices
from bot.gateway.wire import JsonBytes, decode_json, validation_reason


def build_rest_router(services: GatewayServices, auth: AgentAuth) -> APIRouter:
    """Routes of the REST channel and of the conversation API."""
    router = APIRouter()
    settings = services.settings

    @router.get("/webhooks/rest/")
    async def rest_health() -> dict[str, str]:
        return {"status": "ok"}

    @router.post("/webhooks/rest/webhook")
    async def webhook(request: Request) -> Response:
        """Browsers' requests (with ``Origin``); the others take :class:`HotPathRouter`."""
        body = await read_limited_body(request, settings.gateway_max_body_bytes)
        key = request.headers.get("x-calmdesk-backend-key", "")
        answer = await rest_webhook(services, body, client_ip(request), key)
        return JsonBytes(answer.payload, status_code=answer.status, headers=answer.headers)

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
        return JsonBytes(await services.history(conversation_id))

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
