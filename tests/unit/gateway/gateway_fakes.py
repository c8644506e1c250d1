"""Fakes that speak the real protocols: an NLU service and a Rasa server behind httpx.

``FakeNlu`` answers ``POST /model/parse`` like the calmdesk NLU service (Rasa's parse format plus
``affect``) and counts its parses. ``FakeRasa`` answers ``POST /webhooks/rest/webhook`` like Rasa
3.6's REST channel and, like Rasa, asks its NLU endpoint (the gateway's loopback
``/model/parse``) for every message before it answers.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

NLU_HOST = "nlu.test"
RASA_HOST = "rasa.test"

KEYWORD_INTENTS = {
    "hello": "greet",
    "hi": "greet",
    "order": "track_order",
    "human": "request_human",
    "angry": "complaint",
    "buttons": "affirm",
    "empty": "cancel_order",
    "operator": "request_human",
}


def fake_parse(text: str) -> dict[str, Any]:
    """A deterministic parse: the intent of the first keyword found, else ``out_of_scope``."""
    intent = next(
        (name for word, name in KEYWORD_INTENTS.items() if word in text.lower().split()),
        "out_of_scope",
    )
    anger = 0.9 if "angry" in text.lower() else 0.1
    return {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "intent_ranking": [{"name": intent, "confidence": 0.95}],
        "entities": (
            [{"entity": "email", "value": "ann@example.com", "start": 0, "end": 15}]
            if "@" in text
            else []
        ),
        "affect": {"anger": anger, "sentiment": -anger, "label": "calm", "cues": []},
        "out_of_scope": intent == "out_of_scope",
    }


@dataclass
class FakeNlu:
    """The NLU service; ``down`` refuses connections, ``delay`` slows every parse."""

    parses: list[str] = field(default_factory=list)
    down: bool = False
    delay: float = 0.0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve ``/model/parse`` and ``/health``."""
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        if request.url.path == "/health":
            return httpx.Response(200, json={"status": "ok"})
        if self.delay:
            await asyncio.sleep(self.delay)
        text = json.loads(request.content)["text"]
        self.parses.append(text)
        return httpx.Response(200, json=fake_parse(text))


@dataclass
class FakeRasa:
    """Rasa's REST channel: asks the gateway's NLU relay, answers by intent.

    Attributes:
        gateway: Client that reaches the gateway app from loopback (for the NLU call).
        received: ``sender -> [(text, metadata)]`` in arrival order.
        events: Tracker events appended through the HTTP API.
    """

    gateway: httpx.AsyncClient | None = None
    received: dict[str, list[tuple[str, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    down: bool = False
    delay: float = 0.0
    nlu_answers: list[dict[str, Any]] = field(default_factory=list)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Serve the REST webhook, tracker events and ``/``."""
        if self.down:
            raise httpx.ConnectError("connection refused", request=request)
        path = request.url.path
        if path == "/":
            return httpx.Response(200, text="Hello from Rasa: 3.6.21")
        if path.endswith("/tracker/events"):
            self.events.append((path.split("/")[2], json.loads(request.content)))
            return httpx.Response(200, json={})
        body = json.loads(request.content)
        sender, text = body["sender"], body["message"]
        if self.delay:
            await asyncio.sleep(self.delay)
        assert self.gateway is not None
        parsed = await self.gateway.post("/model/parse", json={"text": text, "message_id": "x"})
        parse = parsed.json()
        self.nlu_answers.append(parse)
        metadata = body.get("metadata") or {}
        self.received[sender].append((text, metadata))
        answer = self.answer(sender, parse["intent"]["name"], text)
        if metadata.get("calmdesk_trace"):  # as Rasa started through rasa_boot.py answers
            actions = [f"utter_{parse['intent']['name']}"] if answer else ["action_failed"]
            trace = {"actions": actions, "policies": ["RulePolicy"] * len(actions)}
            answer.append({"recipient_id": sender, "custom": {"calmdesk_trace": trace}})
        return httpx.Response(200, json=answer)

    @staticmethod
    def answer(sender: str, intent: str, text: str) -> list[dict[str, Any]]:
        """Responses per intent, in Rasa's REST format."""
        if intent == "greet":
            return [{"recipient_id": sender, "text": "Hi! How can I help?"}]
        if intent == "request_human":
            return [
                {"recipient_id": sender, "text": "Let me get a colleague."},
                {
                    "recipient_id": sender,
                    "custom": {"calmdesk_handoff": {"reason": "asked", "priority": "high"}},
                },
            ]
        if intent == "affirm":
            return [
                {
                    "recipient_id": sender,
                    "text": "Pick one",
                    "buttons": [{"title": "Yes", "payload": "/affirm"}],
                }
            ]
        if intent == "cancel_order":
            return []  # what Rasa sends when the custom action failed
        return [{"recipient_id": sender, "text": f"echo: {text}"}]


def routing_transport(nlu: FakeNlu, rasa: FakeRasa) -> httpx.MockTransport:
    """One transport that sends ``nlu.test`` to the NLU fake and ``rasa.test`` to Rasa's."""

    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == NLU_HOST:
            return await nlu.handle(request)
        if request.url.host == RASA_HOST:
            return await rasa.handle(request)
        raise httpx.ConnectError("no such host", request=request)

    return httpx.MockTransport(handler)
