"""The REST channel: Rasa's contract, parse-once, dedupe, ordering, bad input, limits."""

from __future__ import annotations

from typing import Any

import pytest

from bot.gateway.pipeline import FALLBACK_TEXT
from tests.unit.gateway.conftest import Gateway


async def test_rest_channel_speaks_rasas_contract(gateway: Gateway) -> None:
    health = await gateway.client.get("/webhooks/rest/")
    assert health.json() == {"status": "ok"}
    response = await gateway.send("ann", "hello there")
    assert response.status_code == 200
    assert response.json() == [{"recipient_id": "ann", "text": "Hi! How can I help?"}]
    buttons = (await gateway.send("ann", "buttons please")).json()
    assert buttons == [
        {
            "recipient_id": "ann",
            "text": "Pick one",
            "buttons": [{"title": "Yes", "payload": "/affirm"}],
        }
    ]


async def test_each_message_is_parsed_once_and_rasa_gets_that_parse(gateway: Gateway) -> None:
    for text in ("hello", "where is my order", "hello"):
        await gateway.send("bob", text)
    assert gateway.nlu.parses == ["hello", "where is my order", "hello"]
    assert [a["intent"]["name"] for a in gateway.rasa.nlu_answers] == [
        "greet",
        "track_order",
        "greet",
    ]
    assert "affect" in gateway.rasa.nlu_answers[0]
    metrics = (await gateway.client.get("/metrics")).text
    assert 'calmdesk_gateway_parse_relay_total{result="hit"} 3.0' in metrics
    # The same parse also travels in the metadata (Rasa started through rasa_boot.py uses it
    # instead of calling the relay).
    sent = gateway.rasa.received["bob"][1][1]["calmdesk_parse"]
    assert sent["text"] == "where is my order" and sent["intent"]["name"] == "track_order"


async def test_the_parse_stays_out_of_the_metadata_when_switched_off(make_gateway: Any) -> None:
    gateway: Gateway = await make_gateway(gateway_parse_in_metadata=False)
    await gateway.send("bo", "hello")
    assert "calmdesk_parse" not in gateway.rasa.received["bo"][0][1]
    assert gateway.rasa.nlu_answers[0]["intent"]["name"] == "greet"  # through the relay


async def test_duplicate_message_id_gets_the_same_answer_and_one_turn(gateway: Gateway) -> None:
    first = await gateway.send("cy", "hello", message_id="m-1")
    again = await gateway.send("cy", "hello", message_id="m-1")
    assert first.json() == again.json()
    assert len(gateway.rasa.received["cy"]) == 1
    history = await gateway.client.get(
        "/api/conversations/cy/history", headers={"X-Calmdesk-Backend-Key": "backend-secret"}
    )
    assert [t["message_id"] for t in history.json()["turns"]] == ["m-1"]


async def test_history_has_intent_affect_and_redacted_text(gateway: Gateway) -> None:
    response = await gateway.send("dee", "hello, I am ann@example.com call +44 20 7946 0958")
    token = response.headers["x-calmdesk-token"]
    await gateway.send("dee", "I am angry about #1042")
    history = await gateway.client.get(
        "/api/conversations/dee/history", headers={"Authorization": f"Bearer {token}"}
    )
    turns = history.json()["turns"]
    assert turns[0]["text"] == "hello, I am [EMAIL] call [PHONE]"
    assert turns[0]["entities"][0]["value"] == "[EMAIL]"
    assert turns[1]["text"] == "I am angry about #1042"
    assert turns[1]["intent"] == "complaint" and turns[1]["affect"]["anger"] == 0.9
    assert set(turns[1]["latencies_ms"]) >= {"nlu", "rasa", "total", "escalation"}
    assert turns[1]["responses"] == [{"text": "echo: I am angry about #1042"}]


async def test_widget_token_reads_only_its_own_conversation(gateway: Gateway) -> None:
    token = (await gateway.send("eve", "hello")).headers["x-calmdesk-token"]
    await gateway.send("fay", "hello")
    second = await gateway.send("eve", "hello")
    assert "x-calmdesk-token" not in second.headers  # issued on the first message only
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await gateway.client.get("/api/conversations/eve", headers=bearer)).status_code == 200
    other = await gateway.client.get("/api/conversations/fay/history", headers=bearer)
    assert other.status_code == 403 and other.json()["error"] == "forbidden"
    anonymous = await gateway.client.get("/api/conversations/fay/history")
    assert anonymous.status_code == 401
    forged = await gateway.client.get(
        "/api/conversations/fay", headers={"Authorization": f"Bearer {token[:-2]}xx"}
    )
    assert forged.status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"\xff\xfe", 400, "invalid_utf8"),
        (b"[]", 422, "invalid_request"),
        (b'{"sender": "a"}', 422, "invalid_request"),
        (b'{"sender": 5, "message": "hi"}', 422, "invalid_request"),
        (b'{"sender": "a", "message": 5}', 422, "invalid_request"),
        (b'{"sender": "a", "message": "   "}', 422, "empty_message"),
        (b'{"sender": "a b/c", "message": "hi"}', 422, "invalid_request"),
        (b'{"sender": "a", "message": "hi", "metadata": "x"}', 422, "invalid_request"),
        (b'{"sender": "a", "message": "' + b"x" * 6000 + b'"}', 413, "text_too_long"),
        (b'{"sender": "a", "message": "' + b"x" * 70000 + b'"}', 413, "payload_too_large"),
        (b"null", 422, "invalid_request"),
    ],
)
async def test_bad_input_gets_a_clear_4xx(
    gateway: Gateway, body: bytes, status: int, code: str
) -> None:
    response = await gateway.client.post(
        "/webhooks/rest/webhook", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    assert response.json()["reason"]


async def test_unknown_paths_and_methods_are_json(gateway: Gateway) -> None:
    missing = await gateway.client.get("/nope")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    wrong = await gateway.client.get("/webhooks/rest/webhook")
    assert wrong.status_code == 405


async def test_rate_limit_per_sender_answers_429_with_retry_after(make_gateway: Any) -> None:
    gateway: Gateway = await make_gateway(
        gateway_rate_sender_burst=3, gateway_rate_sender_per_s=0.5
    )
    codes = [(await gateway.send("gus", f"hello {i}")).status_code for i in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = await gateway.send("gus", "hello again")
    assert int(limited.headers["retry-after"]) >= 1
    assert (await gateway.send("other", "hello")).status_code == 200


async def test_rate_limit_per_ip(make_gateway: Any) -> None:
    gateway: Gateway = await make_gateway(
        gateway_rate_ip_burst=2, gateway_rate_ip_per_s=0.1, gateway_rate_exempt_loopback=False
    )
    codes = [(await gateway.send(f"s{i}", "hello")).status_code for i in range(3)]
    assert codes == [200, 200, 429]


async def test_customer_id_only_from_the_trusted_backend(gateway: Gateway) -> None:
    await gateway.send("hal", "hello", customer_id=7)
    assert "customer_id" not in gateway.rasa.received["hal"][0][1]
    await gateway.client.post(
        "/webhooks/rest/webhook",
        json={"sender": "ida", "message": "hello", "metadata": {"customer_id": 7}},
        headers={"X-Calmdesk-Backend-Key": "backend-secret"},
    )
    assert gateway.rasa.received["ida"][0][1]["customer_id"] == 7


async def test_rasa_down_gives_apology_fast_and_recovers(gateway: Gateway) -> None:
    gateway.rasa.down = True
    response = await gateway.send("jo", "hello")
    assert response.json() == [{"recipient_id": "jo", "text": FALLBACK_TEXT}]
    gateway.rasa.down = False
    assert (await gateway.send("jo", "hello")).json()[0]["text"] == "Hi! How can I help?"
    history = await gateway.client.get(
        "/api/conversations/jo/history", headers={"X-Calmdesk-Backend-Key": "backend-secret"}
    )
    turns = history.json()["turns"]
    assert "rasa_down" in turns[0]["error"] and turns[1]["error"] is None


async def test_slow_rasa_and_nlu_still_answer_within_the_deadline(make_gateway: Any) -> None:
    import time

    gateway: Gateway = await make_gateway(gateway_reply_deadline_s=0.6, gateway_rasa_timeout_s=0.4)
    gateway.rasa.delay = 5.0
    started = time.perf_counter()
    response = await gateway.send("kai", "hello")
    assert time.perf_counter() - started < 1.0
    assert response.json()[0]["text"] == FALLBACK_TEXT
    gateway.rasa.delay = 0.0
    gateway.nlu.delay = 5.0
    started = time.perf_counter()
    response = await gateway.send("kai", "hello")
    assert time.perf_counter() - started < 1.5
    assert response.json()[0]["text"] == FALLBACK_TEXT


async def test_empty_rasa_answer_action_server_down_is_an_apology(gateway: Gateway) -> None:
    response = await gateway.send("lu", "empty please")
    assert response.json() == [{"recipient_id": "lu", "text": FALLBACK_TEXT}]


async def test_health_and_metrics(gateway: Gateway) -> None:
    await gateway.send("mo", "hello")
    health = await gateway.client.get("/health")
    body: dict[str, Any] = health.json()
    assert health.status_code == 200
    assert body["dependencies"]["database"]["ok"] and body["dependencies"]["nlu"]["ok"]
    assert body["dependencies"]["actions"]["ok"] is False  # nothing on the actions port
    assert body["status"] == "degraded"
    metrics = (await gateway.client.get("/metrics")).text
    assert 'calmdesk_gateway_messages_total{channel="rest",result="answered"} 1.0' in metrics
    assert 'calmdesk_gateway_stage_seconds_count{stage="rasa"} 1.0' in metrics


async def test_a_late_rasa_answer_is_delivered_afterwards_not_lost(make_gateway: Any) -> None:
    import asyncio

    gateway: Gateway = await make_gateway(gateway_reply_deadline_s=0.4, gateway_rasa_timeout_s=0.3)
    gateway.rasa.delay = 0.8
    first = await gateway.send("late", "hello")
    assert first.json() == [{"recipient_id": "late", "text": FALLBACK_TEXT}]
    await asyncio.sleep(1.0)
    backend = {"X-Calmdesk-Backend-Key": "backend-secret"}
    unseen = await gateway.client.get("/api/conversations/late/messages", headers=backend)
    assert [m["text"] for m in unseen.json()["messages"]] == ["Hi! How can I help?"]
    history = await gateway.client.get("/api/conversations/late/history", headers=backend)
    turn = history.json()["turns"][0]
    assert turn["responses"] == [
        {"text": FALLBACK_TEXT},
        {"text": "Hi! How can I help?", "late": True},
    ]
    assert "rasa_timeout" in turn["error"] and "rasa_late" in turn["error"]


async def test_an_unreadable_case_log_still_gets_the_customer_an_answer(gateway: Gateway) -> None:
    from sqlalchemy import text

    with gateway.engine.begin() as connection:
        connection.execute(text("ALTER TABLE case_conversations RENAME TO case_conversations_away"))
    try:
        response = await gateway.send("nora", "hello")
        assert response.status_code == 200
        assert response.json() == [{"recipient_id": "nora", "text": FALLBACK_TEXT}]
    finally:
        with gateway.engine.begin() as connection:
            connection.execute(
                text("ALTER TABLE case_conversations_away RENAME TO case_conversations")
            )
    assert (await gateway.send("nora", "hello")).json()[0]["text"] == "Hi! How can I help?"


async def test_rasas_action_trace_is_logged_and_never_shown(gateway: Gateway) -> None:
    answer = (await gateway.send("tracy", "hello")).json()
    assert answer == [{"recipient_id": "tracy", "text": "Hi! How can I help?"}]
    failed = (await gateway.send("tracy", "empty please")).json()
    assert failed == [{"recipient_id": "tracy", "text": FALLBACK_TEXT}]  # trace alone = empty
    history = await gateway.client.get(
        "/api/conversations/tracy/history", headers={"X-Calmdesk-Backend-Key": "backend-secret"}
    )
    turns = history.json()["turns"]
    assert turns[0]["rasa_actions"] == ["utter_greet"]
    assert turns[0]["rasa_policy"] == "RulePolicy"
    assert "rasa_empty" in turns[1]["error"]


async def test_no_trace_is_asked_when_switched_off(make_gateway: Any) -> None:
    gateway: Gateway = await make_gateway(gateway_rasa_trace=False)
    await gateway.send("tom", "hello")
    assert "calmdesk_trace" not in gateway.rasa.received["tom"][0][1]
