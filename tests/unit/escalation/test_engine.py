"""End-to-end behaviour of EscalationEngine.decide on scripted conversations."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from escalation.bootstrap import InMemoryEscalation, in_memory_engine
from escalation.budget import BudgetCaps
from escalation.decision import Action, Decision, Priority, RemedyKind, Tier
from escalation.effects import EFFECT_EVENT
from escalation.errors import InvalidSignalError
from escalation.events import EVENT_HANDOFF, EVENT_REMEDY_ISSUED, EVENT_REMEDY_REFUSED
from escalation.policy import Policy
from escalation.signals import Affect, Cue, CustomerTier, OrderFacts, TurnSignal

Script = Callable[..., list[Decision]]
SignalFactory = Callable[..., TurnSignal]
CLIMB = [0.2, 0.45, 0.7, 0.9]
DELAYED = OrderFacts("1042", "delayed", 6, "dhl")


def first(decisions: list[Decision], action: Action) -> int | None:
    return next((i for i, d in enumerate(decisions) if d.action is action), None)


def test_anger_climbing_over_four_turns_ends_in_a_handoff_with_reasons(
    system: InMemoryEscalation, script: Script
):
    decisions = script(system, CLIMB, order=DELAYED)
    last = decisions[-1]
    assert last.action is Action.HANDOFF
    assert last.tier is Tier.HANDOFF
    assert {"anger_rising", "order_delayed"} <= set(last.reason_codes)
    assert "anger rose 0.20→0.90 over 4 turns" in last.reason
    assert "order 1042 delayed 6 days" in last.reason
    assert last.anger_trend == tuple(CLIMB)
    assert last.priority in (Priority.HIGH, Priority.URGENT)
    assert last.queue == "general"
    handoffs = system.sink.named(EVENT_HANDOFF)
    assert len(handoffs) == 1
    assert handoffs[0].payload["anger_trend"] == CLIMB


def test_the_same_turns_at_calm_intensity_do_not_escalate(
    system: InMemoryEscalation, script: Script
):
    decisions = script(system, [0.1, 0.15, 0.2, 0.2], order=DELAYED)
    assert all(d.action is Action.NONE and d.tier is Tier.NONE for d in decisions)
    assert not system.sink.events


def test_vip_customers_reach_a_human_sooner(policy: Policy, script: Script):
    angers = [0.2, 0.4, 0.55, 0.65, 0.7, 0.75]
    regular = script(in_memory_engine(policy), angers)
    vip = script(in_memory_engine(policy), angers, tier=CustomerTier.VIP)
    vip_turn, regular_turn = first(vip, Action.HANDOFF), first(regular, Action.HANDOFF)
    assert vip_turn is not None and regular_turn is not None
    assert vip_turn < regular_turn
    assert vip[vip_turn].queue == "dedicated"
    assert vip[vip_turn].priority in (Priority.HIGH, Priority.URGENT)
    assert "vip_customer" in vip[vip_turn].reason_codes


def test_high_complaint_risk_also_lowers_thresholds(policy: Policy, script: Script):
    angers = [0.2, 0.5, 0.6, 0.65, 0.7, 0.75]
    regular = script(in_memory_engine(policy), angers)
    risky = script(in_memory_engine(policy), angers, complaint_risk=0.9)
    risky_turn = first(risky, Action.HANDOFF)
    assert risky_turn is not None
    assert risky_turn < (first(regular, Action.HANDOFF) or len(angers))
    assert "high_complaint_risk" in risky[risky_turn].reason_codes


def test_asking_for_a_human_hands_off_even_when_calm(
    system: InMemoryEscalation, make_signal: SignalFactory
):
    decision = system.engine.decide(make_signal(0.1, intent="request_human", asked_for_human=True))
    assert decision.action is Action.HANDOFF
    assert "asked_for_human" in decision.reason_codes
    assert decision.priority is Priority.NORMAL


def test_repeated_failed_understanding_hands_off(
    system: InMemoryEscalation, make_signal: SignalFactory, policy: Policy
):
    limit = policy.triggers.handoff_after_failed_understanding
    signals = [make_signal(0.2, turn=0, intent="track_order")] + [
        make_signal(0.25, turn=t, intent="nlu_fallback", is_fallback=True, confidence=0.2)
        for t in range(1, limit + 1)
    ]
    decisions = [system.engine.decide(signal) for signal in signals]
    assert decisions[-1].action is Action.HANDOFF
    assert f"{limit} failed tracking attempts" in decisions[-1].reason


def test_chargeback_threats_make_a_handoff_urgent(system: InMemoryEscalation, script: Script):
    decisions = script(system, [0.3, 0.6, 0.8, 0.85], cues=[Cue.THREAT_CHARGEBACK])
    handoff = decisions[first(decisions, Action.HANDOFF) or -1]
    assert handoff.action is Action.HANDOFF
    assert handoff.priority is Priority.URGENT
    assert "chargeback_threat" in handoff.reason_codes


def test_a_remedy_is_offered_only_after_the_ledger_confirmed_it(
    system: InMemoryEscalation, script: Script
):
    decisions = script(system, [0.3, 0.55, 0.7], order=DELAYED)
    remedy = decisions[-1]
    assert remedy.action is Action.REMEDY
    assert remedy.remedy is not None
    assert remedy.remedy.kind is RemedyKind.COUPON_PERCENT and remedy.remedy.value == 10
    assert remedy.remedy.rule == "delayed_order"
    assert remedy.soothe is not None and "order 1042" in remedy.soothe.text
    issued = system.ledger.issued()
    assert [r.idempotency_key for r in issued] == [remedy.remedy.idempotency_key]
    assert system.sink.named(EVENT_REMEDY_ISSUED)[0].payload["reservation_id"] == (
        remedy.remedy.reservation_id
    )


def test_when_the_budget_refuses_the_engine_soothes_and_says_why(policy: Policy, script: Script):
    broke = BudgetCaps("EUR", 0, 0, 0, 0, 0, 0)
    system = in_memory_engine(replace(policy, budgets=broke))
    decision = script(system, [0.3, 0.55, 0.7], order=DELAYED)[-1]
    assert decision.action is Action.SOOTHE
    assert decision.remedy is None
    assert "remedy_not_issued" in decision.reason_codes
    assert "budget cap reached (budgets.per_conversation.max_count)" in decision.reason
    assert not system.ledger.issued()
    assert system.sink.named(EVENT_REMEDY_REFUSED)


def test_the_budget_fallback_can_be_a_handoff(policy: Policy, script: Script):
    broke = BudgetCaps("EUR", 0, 0, 0, 0, 0, 0)
    remedies = replace(policy.remedies, fallback=Action.HANDOFF)
    system = in_memory_engine(replace(policy, budgets=broke, remedies=remedies))
    decision = script(system, [0.3, 0.55, 0.7], order=DELAYED)[-1]
    assert decision.action is Action.HANDOFF
    assert decision.tier is Tier.HANDOFF
    assert "handoff instead" in decision.reason


def test_a_retried_message_gets_the_same_decision_and_no_second_remedy(
    system: InMemoryEscalation, make_signal: SignalFactory
):
    signals = [make_signal(a, turn=t, order=DELAYED) for t, a in enumerate([0.3, 0.55, 0.7])]
    decisions = [system.engine.decide(signal) for signal in signals]
    events_before = len(system.sink.events)
    retried = system.engine.decide(signals[-1])
    assert retried == decisions[-1]
    assert len(system.ledger.issued()) == 1
    assert len(system.sink.events) == events_before
    assert system.store.load("conv-1").trajectory.turns == 3  # type: ignore[union-attr]


def test_after_a_handoff_the_engine_holds_until_handed_back(
    system: InMemoryEscalation, script: Script, make_signal: SignalFactory, policy: Policy
):
    script(system, CLIMB)
    later = system.engine.decide(make_signal(0.95, turn=4))
    assert later.action is Action.NONE and later.tier is Tier.HANDOFF
    assert "already_handed_off" in later.reason_codes
    assert len(system.sink.named(EVENT_HANDOFF)) == 1
    system.engine.hand_back("conv-1", at=later.at + 10)
    calm_again = system.engine.decide(make_signal(0.5, turn=5, gap_s=30))
    assert calm_again.action is Action.NONE  # cool-down after the handoff
    assert calm_again.tier is not Tier.HANDOFF


def test_every_decision_event_reaches_the_sink_once(system: InMemoryEscalation, script: Script):
    decisions = script(system, CLIMB, order=DELAYED)
    from_decisions = [event for decision in decisions for event in decision.events]
    assert list(system.sink.events) == from_decisions


def test_effects_of_interventions_are_measured_on_the_next_turns(
    system: InMemoryEscalation, script: Script, policy: Policy
):
    angers = [0.3, 0.55, 0.7, 0.5, 0.4, 0.3]  # soothed at 0.55, compensated at 0.7
    decisions = script(system, angers, order=DELAYED)
    assert [d.action for d in decisions[1:3]] == [Action.SOOTHE, Action.REMEDY]
    measured = [e.payload for e in system.sink.named(EFFECT_EVENT)]
    assert [p["action"] for p in measured] == ["soothe", "remedy"]
    assert measured[0]["anger_after"] == [0.7, 0.5, 0.4]
    payload = measured[1]
    assert payload["action"] == "remedy"
    assert payload["anger_before"] == 0.7
    assert payload["anger_after"] == [0.5, 0.4, 0.3]
    assert payload["change"] == pytest.approx(0.4 - 0.7)
    assert policy.effects.followup_turns == 3


def test_closing_a_conversation_flushes_unfinished_effects(
    system: InMemoryEscalation, script: Script
):
    script(system, [0.3, 0.55, 0.7, 0.5], order=DELAYED)
    records = system.engine.close("conv-1", at=10.0)
    assert [r.action for r in records] == [Action.SOOTHE, Action.REMEDY]
    assert records[1].anger_after == (0.5,)
    assert system.store.load("conv-1") is None
    assert system.sink.named(EFFECT_EVENT)[-1].payload["complete"] is False


def test_signals_are_validated():
    with pytest.raises(InvalidSignalError, match=r"affect\.anger"):
        Affect(anger=1.5)
    with pytest.raises(InvalidSignalError, match="intent_confidence"):
        TurnSignal("c", "greet", intent_confidence=float("nan"))
    with pytest.raises(InvalidSignalError, match="conversation_id"):
        TurnSignal("", "greet")


def test_a_missing_timestamp_is_taken_from_the_clock(
    system: InMemoryEscalation, make_signal: SignalFactory
):
    system.clock.set(1234.0)
    assert system.engine.decide(make_signal(0.1, timestamp=None)).at == 1234.0


def test_a_customer_furious_from_the_start_gets_a_reason_that_names_the_anger(
    system: InMemoryEscalation, script: Script
):
    decisions = script(system, [0.95, 0.95, 0.95, 0.95])
    acted = [d for d in decisions if d.action is not Action.NONE]
    assert acted, [d.action for d in decisions]
    for decision in acted:
        assert decision.reason != "no escalation drivers"
    assert "anger_high" in acted[0].reason_codes
    assert "anger at 0.95 (furious)" in acted[0].reason
