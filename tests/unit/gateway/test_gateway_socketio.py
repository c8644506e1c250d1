"""The widget channel with a real python-socketio client against a real uvicorn server."""

from __future__ import annotations

import asyncio
import json
import queue
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio
import uvicorn

from bot.caselog.store import create_agent
from bot.db import make_engine
from bot.gateway.app import create_app
from tests.integration.rasa.rasa_helpers import free_port
from tests.unit.gateway.conftest import gateway_settings
from tests.unit.gateway.gateway_fakes import FakeNlu, FakeRasa, routing_transport

ORIGIN = "http://shop.example"


class Server:
    """The gateway served by uvicorn in a thread, with fake NLU and Rasa behind it."""

    def __init__(self, tmp: Path, template: Path, **overrides: Any) -> None:
        shutil.copy(template, tmp / "calmdesk.db")
        self.settings = gateway_settings(
            tmp, gateway_allowed_origins=ORIGIN, gateway_socket_ping_interval_s=0.5, **overrides
        )
        self.engine = make_engine(self.settings.sqlalchemy_url)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.nlu, self.rasa = FakeNlu(), FakeRasa()
        self.rasa.gateway = httpx.AsyncClient(base_url=self.url)
        app = create_app(
            self.settings,
            engine=self.engine,
            migrate=False,
            transport=routing_transport(self.nlu, self.rasa),
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Server:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)
        self.engine.dispose()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, migrated_caselog_file: Path
) -> Iterator[Server]:
    with Server(tmp_path_factory.mktemp("gateway-socket"), migrated_caselog_file) as running:
        yield running


@pytest.fixture(scope="module")
def agent_headers(server: Server) -> dict[str, str]:
    create_agent(server.engine, "sam", "agent-password")
    token = httpx.post(
        f"{server.url}/api/agent/login", json={"username": "sam", "password": "agent-password"}
    ).json()["token"]
    return {"Authorization": f"Bearer {token}"}


class Widget:
    """A web-chat widget as Rasa's socketio channel expects it (real python-socketio client)."""

    def __init__(
        self, url: str, *, origin: str = ORIGIN, auth: Any = None, wait_timeout: float = 10
    ) -> None:
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        for name in ("session_confirm", "bot_uttered", "calmdesk_token", "calmdesk_error"):
            self.client.on(name, self._recorder(name))
        self.client.connect(
            url,
            headers={"Origin": origin},
            transports=["polling"],
            auth=auth,
            wait_timeout=wait_timeout,
        )

    def _recorder(self, name: str) -> Any:
        def record(data: Any = None) -> None:
            self.events.put((name, data))

        return record

    def next(self, name: str, timeout: float = 5.0) -> Any:
        """Wait for the next event called ``name`` (others before it are skipped)."""
        deadline = time.monotonic() + timeout
        while True:
            event, data = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if event == name:
                return data

    def none(self, name: str, wait: float = 0.5) -> bool:
        """Whether no ``name`` event arrives within ``wait`` seconds."""
        try:
            self.next(name, wait)
        except queue.Empty:
            return True
        return False

    def session(self, session_id: str | None = None, **extra: Any) -> str:
        """``session_request`` → the confirmed session id."""
        self.client.emit("session_request", {"session_id": session_id, **extra})
        confirmed: str = self.next("session_confirm")
        return confirmed

    def say(self, session_id: str, text: str) -> None:
        """``user_uttered`` as the Rasa webchat widget sends it."""
        self.client.emit(
            "user_uttered", {"message": text, "session_id": session_id, "customData": {}}
        )

    def close(self) -> None:
        """Disconnect cleanly without waiting for the pending long-poll to time out."""
        threading.Thread(target=self.client.disconnect, daemon=True).start()
        time.sleep(0.3)  # let the server process the disconnect packets


def test_session_and_messages_follow_rasas_socketio_channel(server: Server) -> None:
    widget = Widget(server.url)
    try:
        session_id = widget.session()
        assert len(session_id) == 32
        token = widget.next("calmdesk_token")
        assert token["session_id"] == session_id and token["token"]
        widget.say(session_id, "hello")
        assert widget.next("bot_uttered") == {"text": "Hi! How can I help?"}
        widget.say(session_id, "buttons")
        assert widget.next("bot_uttered") == {
            "text": "Pick one",
            "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
        }
        for _ in range(2):  # a resent message id is answered once, logged once
            widget.client.emit(
                "user_uttered",
                {"message": "hello", "session_id": session_id, "metadata": {"message_id": "d"}},
            )
        assert widget.next("bot_uttered") == {"text": "Hi! How can I help?"}
        assert widget.none("bot_uttered", 0.3)
        widget.client.emit("user_uttered", {"message": "   ", "session_id": session_id})
        assert widget.next("calmdesk_error")["error"] == "empty_message"
        widget.client.emit("user_uttered", "not an object")
        assert widget.next("calmdesk_error")["error"] == "invalid_request"
        history = httpx.get(
            f"{server.url}/api/conversations/{session_id}/history",
            headers={"Authorization": f"Bearer {token['token']}"},
        ).json()
        assert [t["channel"] for t in history["turns"]] == ["socketio"] * 3
        assert history["turns"][2]["message_id"] == "d"
        assert all(len(t["message_id"]) == 32 for t in history["turns"][:2])
    finally:
        widget.close()


def test_reconnect_with_the_same_session_replays_missed_messages(
    server: Server, agent_headers: dict[str, str]
) -> None:
    widget = Widget(server.url)
    session_id = widget.session()
    widget.say(session_id, "operator")  # the dialogue hands off
    assert widget.next("bot_uttered")["text"] == "Let me get a colleague."
    widget.close()
    api = f"{server.url}/api/agent/conversations/{session_id}"
    assert httpx.post(f"{api}/take", headers=agent_headers).status_code == 200
    for text in ("Hello, Sam here.", "Are you still there?"):
        sent = httpx.post(f"{api}/messages", json={"text": text}, headers=agent_headers)
        assert sent.status_code == 200
    back = Widget(server.url)
    try:
        assert back.session(session_id) == session_id
        assert back.next("bot_uttered") == {"text": "Hello, Sam here."}
        assert back.next("bot_uttered") == {"text": "Are you still there?"}
        httpx.post(f"{api}/messages", json={"text": "live now"}, headers=agent_headers)
        assert back.next("bot_uttered") == {"text": "live now"}
        back.say(session_id, "thanks")  # the agent owns it: the bot stays silent
        assert back.none("bot_uttered")
    finally:
        back.close()
    again = Widget(server.url)
    try:
        again.session(session_id)
        assert again.none("bot_uttered", 0.3)  # everything was delivered already
        again.session(session_id, last_seq=1)
        assert again.next("bot_uttered") == {"text": "Hello, Sam here."}
    finally:
        again.close()


def test_foreign_origins_and_forged_tokens_are_refused(server: Server) -> None:
    """Spoken at the Engine.IO/Socket.IO protocol level, so a refusal costs no client timeout."""
    polling = f"{server.url}/socket.io/?EIO=4&transport=polling"
    assert httpx.get(polling, headers={"Origin": "http://evil.example"}).status_code == 400
    handshake = httpx.get(polling, headers={"Origin": ORIGIN})
    assert handshake.status_code == 200
    sid = json.loads(handshake.text[1:])["sid"]
    session = f"{polling}&sid={sid}"
    httpx.post(session, content='40{"token": "forged.token"}', headers={"Origin": ORIGIN})
    answer = httpx.get(session, headers={"Origin": ORIGIN}, timeout=5).text
    assert answer.startswith("44"), answer  # CONNECT_ERROR: the namespace refused the token


def test_a_widget_token_binds_the_socket_to_its_session(server: Server) -> None:
    minted = httpx.post(
        f"{server.url}/api/widget/token",
        json={"customer_id": 42},
        headers={"X-Calmdesk-Backend-Key": "backend-secret"},
    ).json()
    widget = Widget(server.url, auth={"token": minted["token"]})
    try:
        widget.client.emit("session_request", {"session_id": "someone-else"})
        assert widget.next("calmdesk_error")["error"] == "forbidden"
        assert widget.session(minted["session_id"]) == minted["session_id"]
        widget.say(minted["session_id"], "hello")
        widget.next("bot_uttered")
        metadata = server.rasa.received[minted["session_id"]][0][1]
        assert metadata["customer_id"] == 42 and metadata["channel"] == "socketio"
    finally:
        widget.close()
    assert asyncio.iscoroutinefunction(server.rasa.handle)


def test_required_widget_tokens(
    tmp_path_factory: pytest.TempPathFactory, migrated_caselog_file: Path
) -> None:
    tmp = tmp_path_factory.mktemp("gateway-socket-strict")
    with Server(tmp, migrated_caselog_file, gateway_require_widget_token=True) as strict:
        polling = f"{strict.url}/socket.io/?EIO=4&transport=polling"
        sid = json.loads(httpx.get(polling, headers={"Origin": ORIGIN}).text[1:])["sid"]
        session = f"{polling}&sid={sid}"
        httpx.post(session, content="40", headers={"Origin": ORIGIN})
        assert httpx.get(session, headers={"Origin": ORIGIN}, timeout=5).text.startswith("44")
        minted = httpx.post(
            f"{strict.url}/api/widget/token",
            json={},
            headers={"X-Calmdesk-Backend-Key": "backend-secret"},
        ).json()
        widget = Widget(strict.url, auth={"token": minted["token"]})
        try:
            assert widget.session() == minted["session_id"]  # the token decides the session
            widget.say(minted["session_id"], "hello")
            assert widget.next("bot_uttered") == {"text": "Hi! How can I help?"}
        finally:
            widget.close()
