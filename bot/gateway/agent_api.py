"""The agent side: login, queue, take, send, hand back, resolve, relabel (bearer tokens)."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from pydantic import BaseModel, ValidationError

from bot.caselog import store
from bot.gateway.auth import AgentAuth, bearer_token
from bot.gateway.errors import InvalidRequest, Unauthorized
from bot.gateway.schemas import AgentText, HandBack, LoginRequest, RelabelRequest, Resolve
from bot.gateway.security import read_limited_body
from bot.gateway.services import GatewayServices
from bot.gateway.wire import JsonBytes, decode_json, validation_reason

Model = TypeVar("Model", bound=BaseModel)


async def read_model(request: Request, model: type[Model], limit: int) -> Model:
    """Read and validate a JSON body (an empty body counts as ``{}``)."""
    body = await read_limited_body(request, limit)
    try:
        return model.model_validate(decode_json(body) if body.strip() else {})
    except ValidationError as exc:
        raise InvalidRequest(validation_reason(exc)) from exc


def build_agent_router(services: GatewayServices, auth: AgentAuth) -> APIRouter:
    """Routes under ``/api/agent``."""
    router = APIRouter(prefix="/api/agent")
    limit = services.settings.gateway_max_body_bytes

    @router.post("/login")
    async def login(request: Request) -> dict[str, Any]:
        wanted = await read_model(request, LoginRequest, limit)
        services.ip_limiter.check(f"login:{request.client.host if request.client else ''}", "IP")
        token = await asyncio.to_thread(
            store.login,
            services.engine,
            wanted.username,
            wanted.password,
            services.settings.gateway_agent_token_ttl_s,
        )
        if token is None:
            raise Unauthorized("wrong user name or password", code="bad_credentials")
        return {"token": token, "expires_in": services.settings.gateway_agent_token_ttl_s}

    @router.post("/logout")
    async def logout(request: Request) -> dict[str, Any]:
        await auth.require(request)
        token = bearer_token(request) or ""
        auth.forget(token)
        await asyncio.to_thread(store.logout, services.engine, token)
        return {"ok": True}

    @router.get("/queue")
    async def queue(request: Request) -> dict[str, Any]:
        await auth.require(request)
        await services.writer.flush()
        items = await asyncio.to_thread(store.queued_conversations, services.engine)
        return {"conversations": items}

    @router.get("/conversations/{conversation_id}")
    async def conversation(conversation_id: str, request: Request) -> JsonBytes:
        await auth.require(request)
        return JsonBytes(await services.history(conversation_id))

    @router.post("/conversations/{conversation_id}/take")
    async def take(conversation_id: str, request: Request) -> dict[str, Any]:
        agent = await auth.require(request)
        taken = await services.take(conversation_id, agent.id)
        return {"conversation_id": conversation_id, "state": taken.state, "agent_id": agent.id}

    @router.post("/conversations/{conversation_id}/messages")
    async def send(conversation_id: str, request: Request) -> dict[str, Any]:
        agent = await auth.require(request)
        wanted = await read_model(request, AgentText, limit)
        message = await services.agent_message(conversation_id, agent.id, wanted.text)
        return message.as_json()

    @router.post("/conversations/{conversation_id}/handback")
    async def hand_back(conversation_id: str, request: Request) -> dict[str, Any]:
        agent = await auth.require(request)
        wanted = await read_model(request, HandBack, limit)
        await services.hand_back(conversation_id, agent.id, wanted.note)
        return {"conversation_id": conversation_id, "state": "bot"}

    @router.post("/conversations/{conversation_id}/resolve")
    async def resolve(conversation_id: str, request: Request) -> dict[str, Any]:
        agent = await auth.require(request)
        wanted = await read_model(request, Resolve, limit)
        await services.resolve(conversation_id, agent.id, wanted.outcome, wanted.note)
        return {"conversation_id": conversation_id, "state": "resolved"}

    @router.post("/conversations/{conversation_id}/relabel")
    async def relabel(conversation_id: str, request: Request) -> dict[str, Any]:
        agent = await auth.require(request)
        wanted = await read_model(request, RelabelRequest, limit)
        await services.relabel(
            conversation_id, agent.id, wanted.turn_seq, wanted.intent, wanted.note
        )
        return {"conversation_id": conversation_id, "turn_seq": wanted.turn_seq}

    return router
