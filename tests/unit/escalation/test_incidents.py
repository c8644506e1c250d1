"""The incident detector: Poisson tail, cause keys, opening and closing, and the two figures.

The figures (on the deterministic synthetic generator, through the engine; run
``python -m escalation.evaluate --seeds 100`` for their spread over many seeds):
* an injected incident where 30% of one cause's conversations turn angry is detected within
  20 angry messages about that cause;
* a 10,000-message calm replay with realistic background anger opens no incident.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import pytest

from escalation.causes import cause_keys
from escalation.evaluate import detection_trial, false_incidents
from escalation.incidents import INCIDENT_CLOSED, INCIDENT_OPENED, IncidentDetector
from escalation.policy import Policy
from escalation.signals import AffectLabel, OrderFacts, TurnSignal
from escalation.stats import poisson_sf
from escalation.synthetic import InjectedIncident, SimulationConfig, generate

SignalFactory = Callable[..., TurnSignal]
DHL = "delivery|carrier=dhl"


def test_poisson_tail_matches_the_textbook_values():
    assert poisson_sf(0, 3.0) == 1.0
    assert poisson_sf(1, 2.0) == pytest.approx(1 - math.exp(-2.0))
    assert poisson_sf(3, 1.0) == pytest.approx(1 - math.exp(-1) * (1 + 1 + 0.5))
    assert poisson_sf(20, 1.0) == pytest.approx(4.1103e-19, rel=1e-3)  # no cancellation
    assert poisson_sf(2, 0.0) == 0.0


def test_cause_keys_use_the_intent_group_and_each_entity(
    policy: Policy, make_signal: SignalFactory
):
    signal = make_signal(
        0.5, intent="affirm", entities={"region": "North"}, order=OrderFacts("1", carrier="DHL")
    )
    assert cause_keys(signal, policy.incidents, topic="track_order") == (
        "delivery|carrier=dhl",
        "delivery|region=north",
    )
    assert cause_keys(make_signal(0.5, intent="cancel_order"), policy.incidents) == (
        "cancel_order",
    )
    fallback = make_signal(0.5, intent="nlu_fallback", is_fallback=True)
    assert cause_keys(fallback, policy.incidents) == ()


def surge(
    detector: IncidentDetector, make_signal: SignalFactory, start: int, count: int, at: float
):
    """``count`` DHL conversations, each with two angry messages a minute apart."""
    events = []
    for index in range(start, start + count):
        for turn in range(2):
            signal = make_signal(
                0.8, conversation_id=f"angry-{index}", order=OrderFacts("9", carrier="dhl")
            )
            events += detector.observe(signal, at + index * 60 + turn * 20, "track_order").events
    return events


def calm(detector: IncidentDetector, make_signal: SignalFactory, count: int, at: float, gap: float):
    events = []
    for index in range(count):
        signal = make_signal(0.1, conversation_id=f"calm-{at}-{index}", intent="track_order")
        signal = replace(signal, order=OrderFacts("9", carrier="dhl"))
        events += detector.observe(signal, at + index * gap, "track_order").events
    return events


def test_a_surge_opens_one_incident_and_quiet_closes_it(policy: Policy, make_signal: SignalFactory):
    detector = IncidentDetector(policy.incidents, make_id=lambda key, at: "inc-1")
    t0 = 1_700_000_000.0
    assert calm(detector, make_signal, 200, t0, 60) == []  # 200 minutes of calm DHL traffic
    opened = surge(detector, make_signal, 0, 8, t0 + 200 * 60)
    assert [e.name for e in opened] == [INCIDENT_OPENED]
    assert opened[0].payload["cause_key"] == DHL
    assert opened[0].payload["angry_conversations"] >= policy.incidents.min_angry_conversations
    incident = detector.open_incidents()[0]
    assert incident.incident_id == "inc-1"
    assert len(incident.affected_conversations) >= 4
    probe = make_signal(0.9, order=OrderFacts("9", carrier="dhl"))
    assert detector.incident_for(probe, "track_order") == incident
    still_open = surge(detector, make_signal, 8, 2, t0 + 220 * 60)
    assert still_open == []
    assert detector.open_incidents()[0].angry_messages >= 4
    last_angry = t0 + 230 * 60
    closed, now = [], last_angry
    while not closed and now < last_angry + 24 * 3600:
        now += 300  # a scheduler ticks every five minutes
        closed = detector.tick(now)
    assert [e.name for e in closed] == [INCIDENT_CLOSED]
    windows_empty = last_angry + max(policy.incidents.windows_seconds)
    assert now >= windows_empty  # not while angry conversations are still in a window
    assert now <= windows_empty + policy.incidents.close_after_seconds + 600
    assert closed[0].payload["incident_id"] == "inc-1"
    assert "angry-0" in closed[0].payload["affected_conversations"]  # type: ignore[operator]
    assert detector.open_incidents() == []


def test_angry_messages_from_one_conversation_do_not_make_a_surge(
    policy: Policy, make_signal: SignalFactory
):
    detector = IncidentDetector(policy.incidents)
    events = []
    for turn in range(30):
        signal = make_signal(0.95, turn=turn, order=OrderFacts("9", carrier="dhl"))
        events += detector.observe(signal, 1_700_000_000.0 + turn * 10, "track_order").events
    assert events == []


def test_a_disabled_detector_sees_nothing(policy: Policy, make_signal: SignalFactory):
    detector = IncidentDetector(replace(policy.incidents, enabled=False))
    assert surge(detector, make_signal, 0, 20, 1_700_000_000.0) == []


def test_a_calm_10000_message_replay_opens_no_incident():
    messages = generate(SimulationConfig(seed=0, messages=10_000))
    annoyed_or_angry = sum(m.signal.affect.label is not AffectLabel.CALM for m in messages)
    assert 0.03 <= annoyed_or_angry / len(messages) <= 0.08  # realistic background anger
    causes = {(m.cause.intent, tuple(m.cause.entities.items())) for m in messages}
    assert len(causes) >= 30  # spread across many causes
    assert false_incidents(seed=0, messages=10_000) == ()


def test_an_injected_incident_is_detected_within_20_angry_messages():
    incident = InjectedIncident(intent="track_order", entities={"carrier": "dhl"}, angry_share=0.3)
    trial = detection_trial(seed=0, incident=incident, messages=10_000)
    assert trial.cause_key == DHL
    assert trial.detected_after is not None
    assert 0 < trial.detected_after <= 20
    assert trial.other_incidents == ()
