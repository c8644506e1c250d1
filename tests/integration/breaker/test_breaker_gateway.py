"""The breaker through the real gateway process (``calmdesk serve gateway``) over real HTTP.

The NLU and Rasa are small HTTP servers on loopback that speak their real protocols (the NLU
answers a fixed parse per text, so the anger of each turn is known); the gateway, the breaker
and the SQLite database are the real ones.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from bot.breaker.hook import HANDOFF_TEXT  # noqa: E402
from bot.breaker.models import RemedyRow  # noqa: E402
from bot.db import make_engine, session_factory, upgrade_database  # noqa: E402
from bot.process import ManagedProcess  # noqa: E402
from tests.integration.rasa.rasa_helpers import free_port  # noqa: E402
from tests.unit.breaker.breaker_shop import add_shop_rows  # noqa: E402

BACKEND_KEY = "it-breaker-backend"
CLIMB = {
    "where is my order 1042": 0.3,
    "it was due days ago, where is it": 0.5,
    "this is the third time I ask, where is my order": 0.7,
    "WHERE IS MY ORDER?!! I want my money back NOW": 0.9,
    "where is my order 1042, please": 0.12,
    "it was due days ago, where is it?": 0.15,
    "this is the third time I ask, where is my order?": 0.1,
    "WHERE IS MY ORDER? thanks": 0.18,
}


def parse_for(text: str) -> dict[str, Any]:
    anger = CLIMB.get(text, 0.1)
    label = "calm" if anger < 0.3 else "annoyed" if anger < 0.55 else "angry"
    entities = [{"entity": "order_id", "value": "1042", "start": 18, "end": 22}]
    return {
        "text": text,
        "intent": {"name": "track_order", "confidence": 0.97},
        "intent_ranking": [{"name": "track_order", "confidence": 0.97}],
        "entities": entities if "1042" in text else [],
        "affect": {"anger": anger, "sentiment": -anger, "label": label, "cues": []},
        "out_of_scope": False,
    }


@dataclass
class Fakes:
    """What the fake Rasa received (sender → metadata of each message)."""

    rasa_metadata: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def serve(handler: type[BaseHTTPRequestHandler]) -> tuple[ThreadingHTTPServer, int]:
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, port


def fake_servers(fakes: Fakes) -> tuple[list[ThreadingHTTPServer], int, int]:
    class Base(BaseHTTPRequestHandler):
        def reply(self, payload: Any, status: int = 200) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def body(self) -> dict[str, Any]:
            length = int(self.headers.get("content-length") or 0)
            data: dict[str, Any] = json.loads(self.rfile.read(length) or b"{}")
            return data

        def log_message(self, *args: object) -> None:
            return None

    class Nlu(Base):
        def do_GET(self) -> None:
            self.reply({"status": "ok"})

        def do_POST(self) -> None:
            self.reply(parse_for(self.body()["text"]))

    class Rasa(Base):
        def do_GET(self) -> None:
            self.reply("Hello from Rasa: 3.6.21")

        def do_POST(self) -> None:
            body = self.body()
            if "sender" not in body:
                self.reply({})
                return
            fakes.rasa_metadata.setdefault(body["sender"], []).append(body.get("metadata") or {})
            self.reply([{"recipient_id": body["sender"], "text": "Let me check that for you."}])

    nlu, nlu_port = serve(Nlu)
    rasa, rasa_port = serve(Rasa)
    return [nlu, rasa], nlu_port, rasa_port


@dataclass
class Running:
    url: str
    database: str
    fakes: Fakes

    def send(self, sender: str, text: str) -> list[dict[str, Any]]:
        response = httpx.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text, "metadata": {"customer_id": 1}},
            headers={"X-Calmdesk-Backend-Key": BACKEND_KEY},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        answer: list[dict[str, Any]] = response.json()
        return answer

    def conversation(self, sender: str) -> dict[str, Any]:
        response = httpx.get(
            f"{self.url}/api/conversations/{sender}",
            headers={"X-Calmdesk-Backend-Key": BACKEND_KEY},
            timeout=10,
        )
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """The real gateway process with the breaker wired in by default."""
    work = tmp_path_factory.mktemp("breaker-gateway")
    database = f"sqlite:///{work / 'calmdesk.db'}"
    upgrade_database(database)
    add_shop_rows(database)
    fakes = Fakes()
    servers, nlu_port, rasa_port = fake_servers(fakes)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = ManagedProcess(
        "it-breaker-gateway",
        [sys.executable, "-m", "bot.cli", "serve", "gateway", "--port", str(port)],
        env={
            "CALMDESK_DATABASE_URL": database,
            "CALMDESK_VAR_DIR": str(work / "var"),
            "CALMDESK_NLU_URL": f"http://127.0.0.1:{nlu_port}",
            "CALMDESK_GATEWAY_RASA_URL": f"http://127.0.0.1:{rasa_port}",
            "CALMDESK_GATEWAY_BACKEND_KEY": BACKEND_KEY,
            "CALMDESK_GATEWAY_WRITE_INTERVAL_S": "0.01",
        },
        log_path=work / "gateway.log",
        health_url=f"{url}/webhooks/rest/",
    )
    process.start()
    try:
        process.wait_healthy(timeout=120)
        yield Running(url, database, fakes)
    finally:
        process.stop()
        for server in servers:
            server.shutdown()
            server.server_close()


def texts(answer: list[dict[str, Any]]) -> list[str]:
    return [item["text"] for item in answer if "text" in item]


def test_climbing_anger_is_compensated_once_then_handed_off_with_the_reason(gateway: Running):
    answers = [gateway.send("ann", text) for text in list(CLIMB)[:4]]
    assert texts(answers[0]) == ["Let me check that for you."]
    assert "order 1042" in texts(answers[1])[0]  # the apology names the problem
    coupon = [t for t in texts(answers[2]) if "code CALM-" in t]
    assert len(coupon) == 1
    code = coupon[0].rsplit("code ", 1)[1].rstrip(".")
    assert HANDOFF_TEXT in texts(answers[3])
    assert "Let me check that for you." not in texts(answers[3])  # Rasa was not asked

    state = gateway.conversation("ann")
    assert state["state"] == "queued"
    assert "anger rose 0.30→0.90 over 4 turns" in state["handoff_reason"]
    assert "order 1042 delayed" in state["handoff_reason"]
    assert state["priority"] in {"high", "urgent"}

    remedy_meta = gateway.fakes.rasa_metadata["ann"][2]["calmdesk_escalation"]
    assert remedy_meta["action"] == "remedy"
    assert remedy_meta["details"]["remedy"]["coupon_code"] == code

    gateway.send("ann", "WHERE IS MY ORDER?!! I want my money back NOW")  # queued: bot silent
    engine = make_engine(gateway.database)
    with session_factory(engine).begin() as session:
        rows = list(session.scalars(select(RemedyRow).where(RemedyRow.conversation_id == "ann")))
    engine.dispose()
    assert [row.coupon_code for row in rows] == [code]  # issued exactly once


def test_the_same_words_at_calm_intensity_stay_with_the_bot(gateway: Running):
    answers = [gateway.send("bob", text) for text in list(CLIMB)[4:]]
    assert all(texts(answer) == ["Let me check that for you."] for answer in answers)
    assert gateway.conversation("bob")["state"] == "bot"
