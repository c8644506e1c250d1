"""Shared builders for the escalation unit tests (fakes are the real in-memory adapters)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

import pytest

from escalation.bootstrap import InMemoryEscalation, in_memory_engine
from escalation.decision import Decision
from escalation.policy import Policy
from escalation.policy_loader import default_policy
from escalation.signals import (
    Affect,
    AffectLabel,
    CustomerProfile,
    CustomerTier,
    OrderFacts,
    TurnSignal,
)
from escalation.synthetic import label_for

T0 = 1_700_000_000.0
SignalFactory = Callable[..., TurnSignal]


@pytest.fixture
def policy() -> Policy:
    return default_policy()


@pytest.fixture
def system(policy: Policy) -> InMemoryEscalation:
    return in_memory_engine(policy)


def build_signal(
    anger: float,
    *,
    turn: int = 0,
    conversation_id: str = "conv-1",
    intent: str = "track_order",
    confidence: float = 0.9,
    cues: Iterable[str] = (),
    tier: CustomerTier = CustomerTier.REGULAR,
    customer_id: str | None = "cust-1",
    complaint_risk: float = 0.1,
    prior_contacts: int = 0,
    order: OrderFacts | None = None,
    gap_s: float = 30.0,
    sentiment: float | None = None,
    label: AffectLabel | None = None,
    **overrides: Any,
) -> TurnSignal:
    """One customer message of a scripted conversation (turn ``turn``, ``gap_s`` apart)."""
    signal = TurnSignal(
        conversation_id=conversation_id,
        intent=intent,
        intent_confidence=confidence,
        affect=Affect(
            anger=anger,
            sentiment=-anger if sentiment is None else sentiment,
            label=label or label_for(anger),
            cues=tuple(cues),
        ),
        timestamp=T0 + turn * gap_s,
        message_id=f"{conversation_id}-m{turn}",
        customer=CustomerProfile(customer_id, tier, complaint_risk, prior_contacts),
        order=order,
    )
    return replace(signal, **overrides) if overrides else signal


@pytest.fixture
def make_signal() -> SignalFactory:
    return build_signal


def run_script(
    system: InMemoryEscalation, angers: Iterable[float], **kwargs: Any
) -> list[Decision]:
    """Decide each anger value as consecutive turns of one conversation."""
    return [
        system.engine.decide(build_signal(anger, turn=turn, **kwargs))
        for turn, anger in enumerate(angers)
    ]


@pytest.fixture
def script() -> Callable[..., list[Decision]]:
    return run_script
