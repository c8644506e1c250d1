"""Who may call what: agents (bearer tokens), visitors (widget tokens), the shop backend (key)."""

from __future__ import annotations

import asyncio
import hmac
import time

from starlette.requests import Request

from bot.caselog import store
from bot.caselog.store import AgentAccount
from bot.gateway.errors import Forbidden, Unauthorized
from bot.gateway.services import GatewayServices

BACKEND_KEY_HEADER = "x-calmdesk-backend-key"
TOKEN_HEADER = "x-calmdesk-token"
_AGENT_CACHE_S = 30.0


def bearer_token(request: Request) -> str | None:
    """The token of ``Authorization: Bearer``, ``X-Calmdesk-Token`` or ``?token=``."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return request.headers.get(TOKEN_HEADER) or request.query_params.get("token") or None


def is_backend(request: Request, services: GatewayServices) -> bool:
    """Whether the request carries the configured backend key."""
    key = services.settings.gateway_backend_key
    given = request.headers.get(BACKEND_KEY_HEADER, "")
    return bool(key) and hmac.compare_digest(key.encode(), given.encode())


class AgentAuth:
    """Resolves agent tokens, with a short in-memory cache in front of the database."""

    def __init__(self, services: GatewayServices) -> None:
        """Use the services' engine."""
        self.services = services
        self._cache: dict[str, tuple[AgentAccount, float]] = {}

    async def agent(self, token: str | None) -> AgentAccount | None:
        """The agent a token belongs to, or ``None``."""
        if not token:
            return None
        cached = self._cache.get(token)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        account = await asyncio.to_thread(store.agent_for_token, self.services.engine, token)
        if account is not None:
            self._cache[token] = (account, time.monotonic() + _AGENT_CACHE_S)
        return account

    def forget(self, token: str) -> None:
        """Drop a token from the cache (logout)."""
        self._cache.pop(token, None)

    async def require(self, request: Request) -> AgentAccount:
        """The calling agent.

        Raises:
            Unauthorized: no valid agent token.
        """
        account = await self.agent(bearer_token(request))
        if account is None:
            raise Unauthorized("an agent token is required (POST /api/agent/login)")
        return account

    async def require_conversation(self, request: Request, conversation_id: str) -> None:
        """Allow the backend, any agent, or a visitor holding this conversation's widget token.

        Raises:
            Unauthorized: no credentials.
            Forbidden: a widget token for another conversation.
        """
        if is_backend(request, self.services):
            return
        token = bearer_token(request)
        if token is None:
            raise Unauthorized("a widget token or agent token is required")
        claims = self.services.tokens.verify(token)
        if claims is not None:
            if claims.conversation_id != conversation_id:
                raise Forbidden("this token is for another conversation")
            return
        if await self.agent(token) is None:
            raise Unauthorized("invalid or expired token")
