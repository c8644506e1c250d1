"""The benchmark's conversation sampler: plausible, repeatable, drawn from nlu_data."""

from __future__ import annotations

import random

import pytest

from bot.nlu.data import IntentExample, NLUData
from bot.stackbench.conversations import (
    CLOSINGS,
    TASK_FLOWS,
    ConversationError,
    ConversationSampler,
    intent_plan,
    story_flows,
)

ALL_INTENTS = sorted(
    {i for flow in TASK_FLOWS for i in flow} | {"greet"} | {i for c in CLOSINGS for i in c}
)


def data(intents: list[str] = ALL_INTENTS) -> NLUData:
    """Two examples per intent."""
    return NLUData(
        examples=[IntentExample(f"{intent} text {n}", intent) for intent in intents for n in (1, 2)]
    )


def test_plan_has_the_asked_length_and_only_known_intents() -> None:
    rng = random.Random(1)
    for turns in (1, 10, 57):
        plan = intent_plan(rng, turns)
        assert len(plan) == turns
        assert set(plan) <= set(ALL_INTENTS)


def test_plans_start_with_a_greeting_or_a_task_and_follow_the_flows() -> None:
    rng = random.Random(2)
    firsts = {intent_plan(rng, 10)[0] for _ in range(200)}
    assert "greet" in firsts
    assert firsts - {"greet"} <= {flow[0] for flow in TASK_FLOWS}
    # follow-ups never open a conversation
    assert "affirm" not in firsts and "goodbye" not in firsts


def test_benchmark_customers_never_ask_for_a_human() -> None:
    rng = random.Random(4)
    assert all("request_human" not in intent_plan(rng, 50) for _ in range(50))
    assert "request_human" in intent_plan(rng, 400, TASK_FLOWS)


def test_messages_are_examples_of_their_intent() -> None:
    sampler = ConversationSampler(data(), seed=3)
    for turn in sampler.conversation(30):
        assert turn.text.startswith(f"{turn.intent} text ")


def test_same_seed_same_script() -> None:
    first = ConversationSampler(data(), seed=9).script(5, 10)
    again = ConversationSampler(data(), seed=9).script(5, 10)
    other = ConversationSampler(data(), seed=10).script(5, 10)
    assert first == again
    assert first != other
    assert all(len(conversation) == 10 for conversation in first)


def test_missing_intent_is_reported_by_name() -> None:
    with pytest.raises(ConversationError, match="track_order"):
        ConversationSampler(data([i for i in ALL_INTENTS if i != "track_order"]))


def test_story_flows_cover_every_task_flow() -> None:
    flows = story_flows()
    for flow in TASK_FLOWS:
        assert ("greet", *flow, "thank", "goodbye") in flows
