"""The two surge tests of the incident detector: all anger, and anger about a verifiable problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from importlib import resources
from typing import Any

import pytest
import yaml

from escalation.decision import Event
from escalation.errors import PolicyError
from escalation.incidents import INCIDENT_OPENED, IncidentDetector
from escalation.policy import Policy
from escalation.policy_loader import parse_policy
from escalation.signals import OrderFacts, TurnSignal

SignalFactory = Callable[..., TurnSignal]
T0 = 1_700_000_000.0
DELAYED = OrderFacts("9", "delayed", 5, "dhl")
ON_TIME = OrderFacts("9", "shipped", 0, "dhl")


def traffic(
    detector: IncidentDetector,
    make_signal: SignalFactory,
    *,
    angry_order: OrderFacts,
    angry: int,
    at: float,
) -> list[Event]:
    """Four hours of calm DHL traffic (one conversation every 4 min), then ``angry`` customers
    with two angry messages each, 10 minutes apart, among calm ones."""
    events: list[Event] = []
    for index in range(60):
        signal = make_signal(0.1, conversation_id=f"calm-{index}", order=ON_TIME)
        events += detector.observe(signal, at + index * 240, "track_order").events
    start = at + 60 * 240
    for index in range(angry):
        for turn in range(2):
            signal = make_signal(0.8, conversation_id=f"angry-{index}", order=angry_order)
            events += detector.observe(
                signal, start + index * 600 + turn * 30, "track_order"
            ).events
        signal = make_signal(0.1, conversation_id=f"calm-late-{index}", order=ON_TIME)
        events += detector.observe(signal, start + index * 600 + 300, "track_order").events
    return events


def test_three_angry_customers_with_delayed_orders_open_an_objective_incident(
    policy: Policy, make_signal: SignalFactory
):
    detector = IncidentDetector(policy.incidents)
    events = traffic(detector, make_signal, angry_order=DELAYED, angry=3, at=T0)
    opened = [e for e in events if e.name == INCIDENT_OPENED]
    assert len(opened) == 1
    assert opened[0].payload["stream"] == "objective"
    assert opened[0].payload["angry_conversations"] == 3
    assert opened[0].payload["cause_key"] == "delivery|carrier=dhl"


def test_three_angry_customers_without_a_verifiable_problem_are_not_an_incident(
    policy: Policy, make_signal: SignalFactory
):
    detector = IncidentDetector(policy.incidents)
    events = traffic(detector, make_signal, angry_order=ON_TIME, angry=3, at=T0)
    assert [e for e in events if e.name == INCIDENT_OPENED] == []


def test_the_objective_stream_can_be_switched_off(policy: Policy, make_signal: SignalFactory):
    incidents = replace(
        policy.incidents, objective=replace(policy.incidents.objective, enabled=False)
    )
    detector = IncidentDetector(incidents)
    events = traffic(detector, make_signal, angry_order=DELAYED, angry=3, at=T0)
    assert [e for e in events if e.name == INCIDENT_OPENED] == []


def test_a_late_order_counts_as_verifiable_whatever_its_status(
    policy: Policy, make_signal: SignalFactory
):
    detector = IncidentDetector(policy.incidents)
    assert detector.has_verifiable_problem(make_signal(0.5, order=OrderFacts("1", "shipped", 2)))
    assert detector.has_verifiable_problem(make_signal(0.5, order=OrderFacts("1", "delayed", 0)))
    assert not detector.has_verifiable_problem(make_signal(0.5, order=ON_TIME))
    assert not detector.has_verifiable_problem(make_signal(0.5))


@pytest.fixture
def raw_policy() -> dict[str, Any]:
    text = resources.files("escalation").joinpath("default_policy.yml").read_text("utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def test_a_bad_objective_key_is_named(raw_policy: dict[str, Any]):
    raw_policy["incidents"]["objective"]["prior_share"] = 2
    raw_policy["incidents"]["objective"]["min_angry"] = 3
    with pytest.raises(PolicyError) as error:
        parse_policy(raw_policy)
    text = str(error.value)
    assert "incidents.objective.prior_share" in text
    assert "incidents.objective.min_angry: unknown key" in text
