"""Realistic customer conversations for the stack benchmark.

A conversation is a plausible sequence of intents (a greeting or not, one or more tasks with
their follow-ups, thanks and goodbye); each intent is voiced by an example drawn from
``nlu_data/intents`` (the same pool for every target, so every target hears the same
messages in the same order for a given seed).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from bot.nlu.data import NLUData

#: Task flows: what a customer of an online shop comes for, with the usual follow-ups.
TASK_FLOWS: tuple[tuple[str, ...], ...] = (
    ("track_order", "delivery_time"),
    ("track_order", "complaint", "request_human"),
    ("delivery_options", "delivery_time"),
    ("cancel_order", "affirm"),
    ("change_order", "deny"),
    ("change_shipping_address", "affirm"),
    ("return_item", "refund_policy"),
    ("return_item", "request_refund", "affirm"),
    ("request_refund", "track_refund"),
    ("track_refund", "complaint"),
    ("payment_issue", "payment_methods"),
    ("payment_issue", "request_human"),
    ("invoice", "affirm"),
    ("account_help", "deny"),
    ("product_question", "place_order"),
    ("place_order", "payment_methods"),
    ("complaint", "request_human"),
    ("feedback",),
    ("out_of_scope", "bot_challenge"),
)

#: The flows the benchmark's customers follow: no explicit request for a human, since a
#: handoff silences the bot in calmdesk (the agent answers) but not in stock Rasa, and the
#: targets must do the same work. (The stock bot's stories still include them.)
BENCH_FLOWS = tuple(flow for flow in TASK_FLOWS if "request_human" not in flow)

OPENINGS: tuple[str, ...] = ("greet",)
CLOSINGS: tuple[tuple[str, ...], ...] = (("thank", "goodbye"), ("thank",), ("goodbye",))


class ConversationError(ValueError):
    """The sampler cannot build conversations from the given data."""


@dataclass(frozen=True)
class Turn:
    """One customer message of a benchmark conversation."""

    intent: str
    text: str


def intent_plan(
    rng: random.Random, turns: int, flows: Sequence[tuple[str, ...]] = BENCH_FLOWS
) -> list[str]:
    """Draw a plausible sequence of exactly ``turns`` intents.

    Args:
        rng: Random source (seeded by the caller for repeatability).
        turns: Number of customer messages.
        flows: Task flows to chain.

    Returns:
        Intent names: an optional greeting, task flows, and a closing when it fits.
    """
    plan: list[str] = []
    if rng.random() < 0.6:
        plan.append(rng.choice(OPENINGS))
    while len(plan) < turns:
        plan.extend(rng.choice(flows))
        if rng.random() < 0.5:
            plan.extend(rng.choice(CLOSINGS))
    return plan[:turns]


class ConversationSampler:
    """Draws conversations whose messages are real examples from ``nlu_data``."""

    def __init__(self, data: NLUData, seed: int = 7) -> None:
        """Index the examples by intent.

        Args:
            data: The loaded ``nlu_data``.
            seed: Seed of the sampler's random source.

        Raises:
            ConversationError: An intent used by the flows has no example.
        """
        self.examples: dict[str, list[str]] = {}
        for example in data.examples:
            self.examples.setdefault(example.intent, []).append(example.text)
        used = {i for flow in TASK_FLOWS for i in flow} | set(OPENINGS)
        used |= {i for closing in CLOSINGS for i in closing}
        missing = sorted(used - set(self.examples))
        if missing:
            raise ConversationError(f"no nlu_data examples for intents: {', '.join(missing)}")
        self.rng = random.Random(seed)

    def conversation(self, turns: int) -> list[Turn]:
        """Draw one conversation of ``turns`` customer messages."""
        return [
            Turn(intent, self.rng.choice(self.examples[intent]))
            for intent in intent_plan(self.rng, turns)
        ]

    def script(self, conversations: int, turns: int) -> list[list[Turn]]:
        """Draw ``conversations`` conversations (a fixed script shared by every target)."""
        return [self.conversation(turns) for _ in range(conversations)]


def story_flows() -> Sequence[tuple[str, ...]]:
    """Intent sequences that the stock Rasa bot's stories are written from."""
    flows = [("greet", *flow, "thank", "goodbye") for flow in TASK_FLOWS]
    flows += [flow for flow in TASK_FLOWS if len(flow) > 1]
    return flows
