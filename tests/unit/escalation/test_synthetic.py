"""The synthetic traffic generator: deterministic, realistic, incidents where asked."""

from __future__ import annotations

from collections import Counter

from escalation.signals import AffectLabel
from escalation.synthetic import InjectedIncident, SimulationConfig, Temper, generate, label_for


def test_the_same_seed_gives_the_same_messages():
    config = SimulationConfig(seed=3, messages=500)
    assert generate(config) == generate(config)
    assert generate(config) != generate(SimulationConfig(seed=4, messages=500))


def test_messages_are_ordered_in_time_and_exactly_as_many_as_asked():
    messages = generate(SimulationConfig(seed=1, messages=2_000))
    assert len(messages) == 2_000
    stamps = [m.signal.timestamp or 0.0 for m in messages]
    assert stamps == sorted(stamps)
    per_conversation = Counter(m.signal.conversation_id for m in messages)
    assert 2 <= sum(per_conversation.values()) / len(per_conversation) <= 7
    assert len({m.signal.message_id for m in messages}) == 2_000


def test_background_anger_is_mostly_calm_with_a_realistic_share_of_anger():
    messages = generate(SimulationConfig(seed=2, messages=5_000))
    labels = Counter(m.signal.affect.label for m in messages)
    share = 1 - labels[AffectLabel.CALM] / len(messages)
    assert 0.03 <= share <= 0.08
    assert labels[AffectLabel.ANGRY] + labels[AffectLabel.FURIOUS] > 0
    assert not any(m.incident for m in messages)


def test_an_injected_incident_turns_its_share_of_conversations_angry():
    incident = InjectedIncident(start_s=0, duration_s=10 * 3600, angry_share=0.3)
    messages = generate(SimulationConfig(seed=5, messages=6_000, incidents=(incident,)))
    in_incident = {m.signal.conversation_id: m.temper for m in messages if m.incident}
    assert in_incident
    angry = sum(temper is Temper.INCIDENT_ANGRY for temper in in_incident.values())
    assert 0.2 <= angry / len(in_incident) <= 0.4
    for message in messages:
        if message.incident:
            assert message.signal.carrier == "dhl"
            assert message.signal.order is not None and message.signal.order.delay_days >= 3


def test_labels_follow_the_nlu_cut_offs():
    assert [label_for(a) for a in (0.1, 0.3, 0.6, 0.85)] == list(AffectLabel)
