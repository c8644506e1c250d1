"""Ownership: handoff (customer, dialogue, escalation), agent API, hand-back, resolve."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from bot.caselog.store import create_agent
from bot.gateway.escalation_hook import CustomerTurn, EscalationOutcome, OwnershipState
from bot.gateway.pipeline import FALLBACK_TEXT, HANDOFF_TEXT
from tests.unit.gateway.conftest import Gateway

BACKEND = {"X-Calmdesk-Backend-Key": "backend-secret"}


async def login(gateway: Gateway, username: str = "alice") -> dict[str, str]:
    await asyncio.to_thread(create_agent, gateway.engine, username, "s3cret-pass", "Alice")
    response = await gateway.client.post(
        "/api/agent/login", json={"username": username, "password": "s3cret-pass"}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


async def history(gateway: Gateway, conversation_id: str) -> dict[str, Any]:
    response = await gateway.client.get(
        f"/api/conversations/{conversation_id}/history", headers=BACKEND
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_dialogue_handoff_agent_talks_hands_back_and_resolves(gateway: Gateway) -> None:
    agent = await login(gateway)
    reply = await gateway.send("ann", "I want a human")
    # the dialogue's custom handoff message is not forwarded; the others are
    assert reply.json() == [{"recipient_id": "ann", "text": "Let me get a colleague."}]
    state = await gateway.client.get("/api/conversations/ann", headers=BACKEND)
    assert state.json()["state"] == "queued" and state.json()["priority"] == "high"
    queue = (await gateway.client.get("/api/agent/queue", headers=agent)).json()
    assert [c["conversation_id"] for c in queue["conversations"]] == ["ann"]

    # queued: the bot is silent, the message is logged for the agent, Rasa never sees it
    assert (await gateway.send("ann", "hello?")).json() == []
    assert len(gateway.rasa.received["ann"]) == 1

    taken = await gateway.client.post("/api/agent/conversations/ann/take", headers=agent)
    assert taken.json()["state"] == "agent"
    sent = await gateway.client.post(
        "/api/agent/conversations/ann/messages", json={"text": "Hi Ann, Alice here."}, headers=agent
    )
    assert sent.status_code == 200 and sent.json()["source"] == "agent"
    assert (await gateway.send("ann", "thanks Alice")).json() == []

    unseen = await gateway.client.get("/api/conversations/ann/messages", headers=BACKEND)
    assert [m["text"] for m in unseen.json()["messages"]] == ["Hi Ann, Alice here."]
    again = await gateway.client.get("/api/conversations/ann/messages", headers=BACKEND)
    assert again.json()["messages"] == []
    everything = await gateway.client.get(
        "/api/conversations/ann/messages?after=0", headers=BACKEND
    )
    assert [m["source"] for m in everything.json()["messages"]] == ["bot", "agent"]

    back = await gateway.client.post(
        "/api/agent/conversations/ann/handback", json={"note": "sorted"}, headers=agent
    )
    assert back.status_code == 200
    assert (await gateway.send("ann", "hello")).json()[0]["text"] == "Hi! How can I help?"
    assert gateway.rasa.received["ann"][-1][1].get("calmdesk_resumed") is True
    await asyncio.sleep(0.05)
    assert [e["event"] for _, e in gateway.rasa.events] == ["pause", "resume"]

    await gateway.send("ann", "operator")
    await gateway.client.post("/api/agent/conversations/ann/take", headers=agent)
    done = await gateway.client.post(
        "/api/agent/conversations/ann/resolve", json={"note": "refund issued"}, headers=agent
    )
    assert done.json()["state"] == "resolved"
    # a new message reopens the conversation to the bot
    assert (await gateway.send("ann", "hello")).json()[0]["text"] == "Hi! How can I help?"

    log = await history(gateway, "ann")
    assert [(o["from"], o["to"], o["actor"]) for o in log["ownership"]] == [
        ("bot", "queued", "dialogue"),
        ("queued", "agent", "agent:1"),
        ("agent", "bot", "agent:1"),
        ("bot", "queued", "dialogue"),
        ("queued", "agent", "agent:1"),
        ("agent", "resolved", "agent:1"),
        ("resolved", "bot", "customer"),
    ]
    assert [t["owner"] for t in log["turns"]] == [
        "bot",
        "queued",
        "agent",
        "bot",
        "bot",
        "bot",
    ]
    assert log["agent_messages"][0]["text"] == "Hi Ann, Alice here."
    assert log["outcome"] is None  # reopened
    assert [(o["outcome"], o["note"]) for o in log["outcomes"]] == [("resolved", "refund issued")]


async def test_agent_api_needs_a_valid_token(gateway: Gateway) -> None:
    assert (await gateway.client.get("/api/agent/queue")).status_code == 401
    bad = await gateway.client.get("/api/agent/queue", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    await asyncio.to_thread(create_agent, gateway.engine, "bob", "right-password")
    wrong = await gateway.client.post(
        "/api/agent/login", json={"username": "bob", "password": "wrong"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "bad_credentials"
    malformed = await gateway.client.post("/api/agent/login", content=b"{")
    assert malformed.status_code == 400
    headers = await login(gateway, "carol")
    assert (await gateway.client.get("/api/agent/queue", headers=headers)).status_code == 200
    await gateway.client.post("/api/agent/logout", headers=headers)
    assert (await gateway.client.get("/api/agent/queue", headers=headers)).status_code == 401


async def test_invalid_transitions_are_409_and_unknown_conversations_404(gateway: Gateway) -> None:
    agent = await login(gateway)
    await gateway.send("dan", "hello")
    conflict = await gateway.client.post("/api/agent/conversations/dan/handback", headers=agent)
    assert conflict.status_code == 409 and conflict.json()["error"] == "ownership_conflict"
    take = await gateway.client.post("/api/agent/conversations/dan/take", headers=agent)
    assert take.status_code == 409
    missing = await gateway.client.post("/api/agent/conversations/zzz/take", headers=agent)
    assert missing.status_code == 404
    empty = await gateway.client.post(
        "/api/agent/conversations/dan/messages", json={"text": ""}, headers=agent
    )
    assert empty.status_code == 422


async def test_the_customer_can_ask_for_a_human_when_rasa_is_down(gateway: Gateway) -> None:
    gateway.rasa.down = True
    assert (await gateway.send("eve", "hello")).json()[0]["text"] == FALLBACK_TEXT
    assert (await gateway.send("eve", "human")).json()[0]["text"] == HANDOFF_TEXT
    log = await history(gateway, "eve")
    assert log["state"] == "queued"
    assert log["ownership"][0]["actor"] == "customer"


async def test_relabel_is_logged(gateway: Gateway) -> None:
    agent = await login(gateway)
    await gateway.send("fay", "hello")
    ok = await gateway.client.post(
        "/api/agent/conversations/fay/relabel",
        json={"turn_seq": 0, "intent": "thank"},
        headers=agent,
    )
    assert ok.status_code == 200
    missing = await gateway.client.post(
        "/api/agent/conversations/fay/relabel",
        json={"turn_seq": 9, "intent": "thank"},
        headers=agent,
    )
    assert missing.status_code == 404


@dataclass
class ScriptedHook:
    """An escalation hook that answers from a script and remembers what it saw."""

    script: dict[str, EscalationOutcome]
    turns: list[CustomerTurn] = field(default_factory=list)
    changes: list[tuple[str, str]] = field(default_factory=list)

    async def on_customer_message(self, turn: CustomerTurn) -> EscalationOutcome:
        self.turns.append(turn)
        return self.script.get(turn.text, EscalationOutcome())

    async def on_ownership_change(
        self, conversation_id: str, state: OwnershipState, *, reason: str | None = None
    ) -> None:
        self.changes.append((conversation_id, state))

    async def close(self) -> None:
        return None


async def test_escalation_soothe_and_handoff(make_gateway: Any) -> None:
    hook = ScriptedHook(
        {
            "I am angry": EscalationOutcome(
                action="soothe", messages=("I'm sorry about this.",), details={"tier": 1}
            ),
            "I am angry again": EscalationOutcome(
                action="handoff",
                messages=("A colleague will take over.",),
                handoff_reason="anger",
                priority="urgent",
                details={"tier": 3},
            ),
        }
    )
    gateway: Gateway = await make_gateway(hook=hook)
    soothed = await gateway.send("gil", "I am angry")
    assert [m["text"] for m in soothed.json()] == ["I'm sorry about this.", "echo: I am angry"]
    assert gateway.rasa.received["gil"][0][1]["calmdesk_escalation"] == {
        "action": "soothe",
        "details": {"tier": 1},
    }
    assert hook.turns[0].parse["affect"]["anger"] == 0.9 and hook.turns[0].turn_index == 0
    handed = await gateway.send("gil", "I am angry again")
    assert [m["text"] for m in handed.json()] == ["A colleague will take over."]
    assert len(gateway.rasa.received["gil"]) == 1  # no Rasa call on handoff
    log = await history(gateway, "gil")
    assert log["state"] == "queued" and log["priority"] == "urgent"
    assert [(e["action"], e["turn_seq"]) for e in log["escalations"]] == [
        ("soothe", 0),
        ("handoff", 1),
    ]
    assert log["ownership"][0]["actor"] == "escalation"
    agent = await login(gateway)
    await gateway.client.post("/api/agent/conversations/gil/take", headers=agent)
    await gateway.client.post("/api/agent/conversations/gil/resolve", headers=agent)
    assert hook.changes == [("gil", "resolved")]


class BrokenHook:
    """A hook that always fails: the customer must still get Rasa's answer."""

    async def on_customer_message(self, turn: CustomerTurn) -> EscalationOutcome:
        raise RuntimeError("breaker bug")

    async def on_ownership_change(
        self, conversation_id: str, state: OwnershipState, *, reason: str | None = None
    ) -> None:
        return None

    async def close(self) -> None:
        return None


async def test_a_failing_hook_never_costs_the_answer(make_gateway: Any) -> None:
    gateway: Gateway = await make_gateway(hook=BrokenHook())
    assert (await gateway.send("hal", "hello")).json()[0]["text"] == "Hi! How can I help?"
    log = await history(gateway, "hal")
    assert "escalation_failed" in log["turns"][0]["error"]
