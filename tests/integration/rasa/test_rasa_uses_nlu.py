"""Rasa gets its NLU from calmdesk's own service, and our affect data reaches the tracker.

Starts the real NLU service (``python -m bot.cli serve nlu``) and a real Rasa server (model
from :func:`bot.rasa_runtime.train_core`, ``endpoints.yml`` pointing at that NLU), talks to
Rasa through its REST channel and reads the conversation back from Rasa's HTTP API.
Skipped, with the reason, only when the Rasa environment (``.venv-rasa``) is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from bot.process import ManagedProcess
from bot.rasa_runtime import rasa_process, rasa_url, train_core
from bot.settings import Settings
from tests.integration.rasa.rasa_helpers import (
    RASA_START_TIMEOUT,
    NluService,
    RasaClient,
    domain_responses,
    free_port,
    log_dir,
    new_sender,
)

pytestmark = pytest.mark.integration

CALM_TRACK = "where is my order 1042"
ANGRY_TRACK = "WHERE IS MY ORDER 1042??? I've waited two weeks, this is ridiculous. Answer me NOW!"


#: The responses an intent's first message may get (forms ask their first question; a person
#: is handed over to with the plain or the empathetic variant).
EXPECTED_RESPONSES = {
    "greet": ["utter_greet"],
    "thank": ["utter_thank"],
    "request_human": ["utter_handoff", "utter_handoff_empathetic"],
    "return_item": ["utter_ask_order_id"],
}


@dataclass
class RasaStack:
    """The running Rasa server (using the NLU service) and what the tests need."""

    nlu: NluService
    rasa: ManagedProcess
    client: RasaClient
    responses: dict[str, list[str]]
    rasa_ready_seconds: float


@pytest.fixture(scope="module")
def stack(
    rasa_settings: Settings, nlu_service: NluService, action_server_url: str
) -> Iterator[RasaStack]:
    """A Rasa server whose endpoints point at the real NLU service and action server."""
    model = train_core(rasa_settings)
    port = free_port()
    rasa = rasa_process(
        rasa_settings,
        model,
        port,
        nlu_service.url,
        log_path=log_dir(rasa_settings) / "test-rasa.log",
        name="test-rasa",
        environ={**os.environ, "CALMDESK_ACTIONS_URL": action_server_url},
    )
    with rasa:
        nlu_service.ready()  # both processes start in parallel
        ready = rasa.wait_healthy(timeout=RASA_START_TIMEOUT)
        yield RasaStack(
            nlu=nlu_service,
            rasa=rasa,
            client=RasaClient(rasa_url(port)),
            responses=domain_responses(rasa_settings),
            rasa_ready_seconds=ready,
        )


def test_track_order_is_understood_by_our_nlu(stack: RasaStack) -> None:
    """Intent, entity and affect from our NLU are what Rasa stores and answers with."""
    sender = new_sender()
    replies = stack.client.send(sender, CALM_TRACK)

    assert replies, "Rasa sent no reply"
    # Order 1042 exists; without an authenticated customer the order form asks for the email.
    assert set(replies) <= set(stack.responses["utter_ask_email"]), replies

    state = stack.client.tracker(sender)
    parse_data = stack.client.last_user_event(sender)["parse_data"]
    assert parse_data["intent"]["name"] == "track_order"
    assert any(
        entity["entity"] == "order_id" and str(entity["value"]) == "1042"
        for entity in parse_data["entities"]
    ), parse_data["entities"]
    affect = parse_data["affect"]
    assert isinstance(affect["anger"], float)
    assert 0.0 <= affect["anger"] <= 1.0
    assert {"anger", "sentiment", "label", "emotions", "cues"} <= set(affect)
    # Custom actions read tracker.latest_message["affect"]; the HTTP API shows the same view.
    assert state["latest_message"]["affect"] == affect
    assert state["latest_message"]["intent"]["name"] == "track_order"
    assert state["slots"]["order_id"] == "1042"


def test_nlu_answer_does_not_overwrite_rasa_message_fields(stack: RasaStack) -> None:
    """Rasa merges every key of the NLU answer into parse_data (``parse_data.update``).

    Rasa sends the *sender id* as ``message_id`` to /model/parse, so an NLU that echoes
    ``message_id`` (or returns ``metadata``) replaces Rasa's own values in parse_data and in
    ``tracker.latest_message``, which custom actions and the case log read.
    """
    sender = new_sender()
    metadata = {"channel": "integration-test", "gateway_message_id": "m-1"}
    stack.client.send(sender, CALM_TRACK, metadata=metadata)

    event = stack.client.last_user_event(sender)
    latest = stack.client.tracker(sender)["latest_message"]
    assert event["message_id"] and event["message_id"] != sender
    assert event["parse_data"]["message_id"] == event["message_id"], (
        "the NLU's message_id (Rasa sends the sender id) replaced Rasa's message id"
    )
    assert latest["message_id"] == event["message_id"]
    assert event["parse_data"]["metadata"] == metadata
    assert event["metadata"]["channel"] == "integration-test"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("hello there", "greet"),
        ("thank you so much", "thank"),
        ("I want to talk to a real person", "request_human"),
        ("I'd like to return the shoes I bought", "return_item"),
    ],
)
def test_reply_is_the_response_for_our_intent(stack: RasaStack, text: str, intent: str) -> None:
    """Each intent is answered with one of its own response variations."""
    sender = new_sender()
    replies = stack.client.send(sender, text)

    understood = stack.client.last_user_event(sender)["parse_data"]["intent"]["name"]
    assert understood == intent
    assert replies
    allowed = {text for name in EXPECTED_RESPONSES[intent] for text in stack.responses[name]}
    assert set(replies) <= allowed, replies


def test_angry_message_has_more_anger_in_the_tracker(stack: RasaStack) -> None:
    """The anger score Rasa keeps for an angry message beats the one for a calm message."""
    calm_sender, angry_sender = new_sender(), new_sender()
    stack.client.send(calm_sender, CALM_TRACK)
    stack.client.send(angry_sender, ANGRY_TRACK)

    calm = stack.client.last_user_event(calm_sender)["parse_data"]["affect"]["anger"]
    angry = stack.client.last_user_event(angry_sender)["parse_data"]["affect"]["anger"]
    assert angry > calm, (calm, angry)


def test_rasa_model_parse_is_our_parse(stack: RasaStack) -> None:
    """Rasa's own ``/model/parse`` is forwarded to our NLU, affect included."""
    import httpx

    ours = httpx.post(f"{stack.nlu.url}/model/parse", json={"text": CALM_TRACK}, timeout=30.0)
    via_rasa = stack.client.parse(CALM_TRACK)
    assert ours.status_code == via_rasa.status_code == 200
    assert via_rasa.json()["intent"]["name"] == ours.json()["intent"]["name"]
    assert via_rasa.json()["affect"]["anger"] == pytest.approx(ours.json()["affect"]["anger"])


def test_conversation_keeps_going(stack: RasaStack) -> None:
    """A multi-turn conversation stays in one tracker, one user event per turn, each answered."""
    sender = new_sender()
    texts = ["hello there", CALM_TRACK, "thank you so much", "bye"]
    for text in texts:
        assert stack.client.send(sender, text)
    events = stack.client.tracker(sender)["events"]
    assert [event["text"] for event in events if event["event"] == "user"] == texts


def test_report_rasa_resources(stack: RasaStack, record_property: Any) -> None:
    """Record Rasa's start time and memory (printed with ``-s``, kept in JUnit XML)."""
    rss_mb = stack.rasa.rss_bytes() / 2**20
    record_property("rasa_ready_seconds", round(stack.rasa_ready_seconds, 2))
    record_property("rasa_rss_mb", round(rss_mb, 1))
    print(f"\nrasa: ready {stack.rasa_ready_seconds:.1f}s after start, RSS {rss_mb:.0f} MiB")
    assert stack.rasa.is_running()
    assert rss_mb > 0
