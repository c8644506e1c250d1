"""The gateway app: ``create_app(settings)`` wires channels, pipeline, case log and APIs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import httpx
import orjson
import socketio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Engine, text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.caselog import store
from bot.caselog.writer import CaseLogWriter
from bot.db import make_engine, upgrade_database
from bot.gateway.agent_api import build_agent_router
from bot.gateway.auth import AgentAuth
from bot.gateway.conversations import ConversationRegistry
from bot.gateway.errors import GatewayError, InvalidRequest
from bot.gateway.escalation_hook import EscalationHook, NoEscalation
from bot.gateway.hot_paths import HotPathRouter, error_response, relay_parse
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.parse_relay import ParseRelay
from bot.gateway.pipeline import MessagePipeline
from bot.gateway.rest_channel import build_rest_router
from bot.gateway.security import (
    RateLimiter,
    WidgetTokens,
    client_ip,
    read_limited_body,
    resolve_secret_key,
)
from bot.gateway.services import GatewayServices
from bot.gateway.socket_channel import build_socket_server
from bot.gateway.upstream import Upstreams
from bot.gateway.wire import JsonBytes
from bot.settings import Settings

log = logging.getLogger("calmdesk.gateway")
SHUTDOWN_FLUSH_TIMEOUT_S = 10.0
#: JSON columns (parse, affect, responses) serialised by orjson: several times faster than json.
ENGINE_OPTIONS: dict[str, Any] = {"json_serializer": lambda value: orjson.dumps(value).decode()}


def _error(services: GatewayServices, exc: GatewayError) -> JSONResponse:
    answer = error_response(services, exc)
    return JSONResponse(answer.payload, answer.status, headers=answer.headers)


def build_services(
    settings: Settings,
    engine: Engine,
    hook: EscalationHook,
    transport: httpx.AsyncBaseTransport | None,
) -> GatewayServices:
    """Wire the gateway's parts (no I/O happens here)."""
    upstreams = Upstreams(
        settings.nlu_base_url,
        settings.gateway_rasa_base_url,
        settings.gateway_actions_base_url,
        nlu_token=settings.nlu_token,
        transport=transport,
    )
    writer = CaseLogWriter(engine, interval=settings.gateway_write_interval_s)

    async def load(conversation_id: str) -> store.StoredConversation | None:
        return await asyncio.to_thread(store.load_conversation, engine, conversation_id)

    registry = ConversationRegistry(load)
    relay = ParseRelay()
    metrics = GatewayMetrics()
    return GatewayServices(
        settings=settings,
        engine=engine,
        upstreams=upstreams,
        hook=hook,
        writer=writer,
        registry=registry,
        relay=relay,
        metrics=metrics,
        pipeline=MessagePipeline(settings, upstreams, hook, writer, registry, relay, metrics),
        tokens=WidgetTokens(resolve_secret_key(settings), settings.gateway_widget_token_ttl_s),
        sender_limiter=RateLimiter(
            settings.gateway_rate_sender_per_s, settings.gateway_rate_sender_burst
        ),
        ip_limiter=RateLimiter(settings.gateway_rate_ip_per_s, settings.gateway_rate_ip_burst),
    )


class GatewayApp(FastAPI):
    """The FastAPI app behind a plain-ASGI front (:class:`HotPathRouter`).

    The front sees every request first: socket.io and the two hot POSTs never enter FastAPI's
    middleware stack (error, body-limit and telemetry wrappers, CORS); everything else does.
    """

    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Dispatch through the front when there is one."""
        if self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(
    settings: Settings,
    *,
    escalation_hook: EscalationHook | None = None,
    engine: Engine | None = None,
    migrate: bool = True,
    transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """Build the gateway.

    Args:
        settings: calmdesk settings (``gateway_*``, ``nlu_url``, ``rasa_port``, database).
        escalation_hook: The circuit breaker; :class:`NoEscalation` when ``None``.
        engine: The app database engine; one on ``settings.sqlalchemy_url`` when ``None``.
        migrate: Apply the migrations at start-up.
        transport: httpx transport for the NLU/Rasa calls (tests).

    Returns:
        The FastAPI app, socket.io included (``/socket.io/``).
    """
    own_engine = engine is None
    db = engine if engine is not None else make_engine(settings.sqlalchemy_url, **ENGINE_OPTIONS)
    services = build_services(settings, db, escalation_hook or NoEscalation(), transport)
    auth = AgentAuth(services)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await asyncio.to_thread(upgrade_database, str(db.url.render_as_string(False)))
        services.writer.start()
        log.info("gateway.started", extra={"rasa": settings.gateway_rasa_base_url})
        try:
            yield
        finally:
            await services.pipeline.late.drain()
            await services.hook.close()
            try:
                await asyncio.wait_for(services.writer.close(), SHUTDOWN_FLUSH_TIMEOUT_S)
            except TimeoutError:
                log.error("gateway.caselog.unflushed", extra={"backlog": services.writer.backlog})
            await services.upstreams.close()
            if own_engine:
                db.dispose()
            log.info("gateway.stopped")

    app = GatewayApp(title="calmdesk gateway", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.services = services

    @app.exception_handler(GatewayError)
    async def on_gateway_error(request: Request, exc: GatewayError) -> JSONResponse:
        return _error(services, exc)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _error(services, InvalidRequest(str(exc.errors())[:500]))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse({"error": code, "reason": str(exc.detail)}, exc.status_code)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("gateway.request.failed", extra={"path": request.url.path})
        services.metrics.errors.labels("internal").inc()
        return JSONResponse({"error": "internal", "reason": "unexpected error"}, 500)

    app.include_router(build_rest_router(services, auth))
    app.include_router(build_agent_router(services, auth))

    @app.post("/model/parse")
    async def relay(request: Request) -> Response:
        """Rasa's NLU call with an ``Origin`` header (else :class:`HotPathRouter` serves it)."""
        body = await read_limited_body(request, settings.gateway_max_body_bytes)
        answer = await relay_parse(services, body, client_ip(request))
        return JsonBytes(answer.payload, status_code=answer.status, headers=answer.headers)

    @app.get("/health")
    async def health() -> JSONResponse:
        """The gateway and its dependencies; 503 only when the case-log database is down."""

        def database() -> dict[str, Any]:
            try:
                with db.connect() as connection:
                    connection.execute(text("SELECT 1"))
                return {"ok": True}
            except Exception as exc:
                return {"ok": False, "error": type(exc).__name__}

        up = services.upstreams
        nlu, rasa, actions, database_state = await asyncio.gather(
            up.probe(f"{up.nlu_url}/health"),
            up.probe(f"{up.rasa_url}/"),
            up.probe(f"{up.actions_url}/health"),
            asyncio.to_thread(database),
        )
        dependencies = {"database": database_state, "nlu": nlu, "rasa": rasa, "actions": actions}
        healthy = all(d["ok"] for d in dependencies.values())
        body = {
            "status": "ok" if healthy else "degraded",
            "dependencies": dependencies,
            "caselog_backlog": services.writer.backlog,
        }
        return JSONResponse(body, 200 if database_state["ok"] else 503)

    @app.get("/metrics")
    async def metrics() -> Response:
        services.metrics.caselog_backlog.set(services.writer.backlog)
        return Response(services.metrics.render(), media_type="text/plain; version=0.0.4")

    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.gateway_origins,
        allow_methods=["GET", "POST"],
        allow_headers=["content-type", "authorization", "x-calmdesk-token"],
        expose_headers=["x-calmdesk-token"],
    )
    sio = build_socket_server(services)
    app.front = HotPathRouter(
        partial(FastAPI.__call__, app),
        sio_app=socketio.ASGIApp(sio, socketio_path="socket.io"),
        services=services,
    )
    app.state.sio = sio
    return app
