"""The widget channel: socket.io, compatible with Rasa 3.6's ``socketio`` channel.

Events as in ``rasa/core/channels/socketio.py``: ``session_request`` → ``session_confirm``
(session persistence always on: the session id is the conversation id), ``user_uttered``
``{message, session_id, metadata|customData}`` → ``bot_uttered`` (``text``, ``quick_replies``,
``attachment``, custom keys). Extras that stock widgets ignore: ``calmdesk_token`` (the signed
widget token of a new session) and ``calmdesk_error``. A session request with a known session id
replays the messages its previous sockets missed (or every message after ``last_seq``).
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import socketio

from bot.gateway.conversations import ConversationState, OutMessage
from bot.gateway.errors import GatewayError, NotFound, RateLimited
from bot.gateway.messages import InboundMessage
from bot.gateway.schemas import CONVERSATION_ID_PATTERN
from bot.gateway.services import GatewayServices
from bot.gateway.wire import check_rate, message_id_of

log = logging.getLogger("calmdesk.gateway")
BOT_EVENT = "bot_uttered"
NAMESPACE = "/"


def socket_payload(message: dict[str, Any]) -> dict[str, Any]:
    """Turn one Rasa REST response into the socketio channel's ``bot_uttered`` payload."""
    out: dict[str, Any] = {}
    if "text" in message:
        out["text"] = message["text"]
    if message.get("buttons"):
        out["quick_replies"] = [
            {"content_type": "text", "title": b.get("title"), "payload": b.get("payload")}
            for b in message["buttons"]
            if isinstance(b, dict)
        ]
    if "image" in message:
        out["attachment"] = {"type": "image", "payload": {"src": message["image"]}}
    if "attachment" in message:
        out["attachment"] = message["attachment"]
    if isinstance(message.get("custom"), dict):
        out.update(message["custom"])
    return out


def _valid_session_id(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(CONVERSATION_ID_PATTERN, value) is not None


def build_socket_server(services: GatewayServices) -> socketio.AsyncServer:
    """The socket.io server; mount it with :class:`socketio.ASGIApp`."""
    settings = services.settings
    origins = settings.gateway_origins
    sio = socketio.AsyncServer(
        async_mode="asgi",
        cors_allowed_origins="*" if "*" in origins else origins,
        max_http_buffer_size=settings.gateway_max_body_bytes,
        ping_interval=settings.gateway_socket_ping_interval_s,
        logger=False,
        engineio_logger=False,
    )

    def has_listener(room: str) -> bool:
        return any(True for _ in sio.manager.get_participants(NAMESPACE, room))

    async def emit_messages(room: str, messages: list[OutMessage]) -> None:
        if not messages or not has_listener(room):
            return
        for message in messages:
            await sio.emit(BOT_EVENT, socket_payload(message.payload), room=room)
            message.delivered = True

    async def pusher(conversation: ConversationState, messages: list[OutMessage]) -> None:
        await emit_messages(conversation.conversation_id, messages)

    services.pushers.append(pusher)

    async def error(sid: str, code: str, reason: str) -> None:
        await sio.emit("calmdesk_error", {"error": code, "reason": reason}, to=sid)

    @sio.event
    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
        token = auth.get("token") if isinstance(auth, dict) else None
        claims = services.tokens.verify(token) if isinstance(token, str) else None
        if token and claims is None:
            return False
        if settings.gateway_require_widget_token and claims is None:
            return False
        ip = str((environ.get("asgi.scope") or {}).get("client", ("unknown",))[0])
        await sio.save_session(sid, {"claims": claims, "ip": ip, "session_id": None})
        return True

    @sio.on("session_request")
    async def session_request(sid: str, data: Any = None) -> None:
        data = data if isinstance(data, dict) else {}
        session = await sio.get_session(sid)
        claims = session["claims"]
        wanted = data.get("session_id")
        if claims is not None:
            if wanted and wanted != claims.conversation_id:
                await error(sid, "forbidden", "the widget token is for another session")
                return
            wanted = claims.conversation_id
        new = not wanted
        if new:
            wanted = uuid.uuid4().hex
        elif not _valid_session_id(wanted):
            await error(sid, "invalid_request", "session_id must be 1-128 of [A-Za-z0-9_.:@-]")
            return
        session["session_id"] = wanted
        await sio.save_session(sid, session)
        await sio.enter_room(sid, wanted)
        await sio.emit("session_confirm", wanted, to=sid)
        if new:
            await sio.emit(
                "calmdesk_token",
                {"session_id": wanted, "token": services.tokens.issue(wanted)},
                to=sid,
            )
            return
        try:
            conversation = await services.conversation(wanted)
        except NotFound:
            return
        last_seq = data.get("last_seq")
        async with conversation.lock:
            missed = (
                conversation.after(last_seq)
                if isinstance(last_seq, int) and not isinstance(last_seq, bool)
                else conversation.undelivered(mark=False)
            )
        for message in missed:
            await sio.emit(BOT_EVENT, socket_payload(message.payload), to=sid)
            message.delivered = True
        if missed:
            log.info("gateway.socket.replayed", extra={"session_id": wanted, "count": len(missed)})

    @sio.on("user_uttered")
    async def user_uttered(sid: str, data: Any = None) -> None:
        if not isinstance(data, dict):
            await error(sid, "invalid_request", "user_uttered expects an object")
            return
        session = await sio.get_session(sid)
        session_id = session.get("session_id")
        given = data.get("session_id")
        if session_id is None or (given and given != session_id):
            await error(sid, "no_session", "send session_request first (and use its session_id)")
            return
        text = data.get("message")
        if not isinstance(text, str) or not text.strip():
            await error(sid, "empty_message", "message must be a non-empty string")
            return
        if len(text) > settings.gateway_max_text_chars:
            await error(sid, "text_too_long", f"over {settings.gateway_max_text_chars} chars")
            return
        metadata = data.get("metadata") or data.get("customData") or {}
        metadata = metadata if isinstance(metadata, dict) else {}
        claims = session["claims"]
        try:
            check_rate(services, session["ip"], session_id)
            result = await services.pipeline.handle(
                InboundMessage(
                    conversation_id=session_id,
                    text=text.strip(),
                    channel="socketio",
                    message_id=message_id_of(metadata) or message_id_of(data) or uuid.uuid4().hex,
                    metadata=metadata,
                    customer_id=claims.customer_id if claims is not None else None,
                )
            )
        except RateLimited as exc:
            await error(sid, exc.code, f"{exc.reason}; retry after {exc.retry_after:.1f}s")
            return
        except GatewayError as exc:
            await error(sid, exc.code, exc.reason)
            return
        await emit_messages(session_id, result.messages)

    return sio
