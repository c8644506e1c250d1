"""Tier hysteresis and cool-down, first on the pure state machine, then through the engine."""

from __future__ import annotations

from collections.abc import Callable

from escalation.bootstrap import InMemoryEscalation
from escalation.decision import Action, Decision, Tier
from escalation.policy import Policy, TierPolicy, TierThreshold
from escalation.signals import Cue, TurnSignal
from escalation.tiers import TierState, TierStep, shift_tiers, step_tiers

Script = Callable[..., list[Decision]]

TIERS = TierPolicy(
    soothe=TierThreshold(0.4, 0.3, 1),
    remedy=TierThreshold(0.6, 0.45, 2),
    handoff=TierThreshold(0.8, 0.65, 2),
    cooldown_seconds=300,
    cooldown_turns=3,
)


def step(
    state: TierState, pressure: float, streak: int = 3, at: float = 0.0, turn: int = 1
) -> TierStep:
    return step_tiers(
        state, pressure=pressure, negative_streak=streak, tiers=TIERS, at=at, turn=turn
    )


def test_entering_a_tier_fires_once_and_holding_it_does_not():
    first = step(TierState(), 0.45)
    assert first.fire is Tier.SOOTHE
    second = step(first.state, 0.5, at=10, turn=2)
    assert second.fire is Tier.NONE
    assert second.state.active is Tier.SOOTHE


def test_a_tier_is_left_only_below_its_exit_threshold():
    state = step(TierState(), 0.45).state
    assert step(state, 0.35, at=10, turn=2).state.active is Tier.SOOTHE  # between exit and enter
    assert step(state, 0.25, at=10, turn=2).state.active is Tier.NONE


def test_higher_tiers_need_a_negative_streak():
    assert step(TierState(), 0.9, streak=1).fire is Tier.SOOTHE
    assert step(TierState(), 0.9, streak=2).fire is Tier.HANDOFF


def test_cooldown_holds_back_the_same_tier_until_seconds_and_turns_have_passed():
    soothed = step(TierState(), 0.45, at=0, turn=1).state
    calmed = step(soothed, 0.1, at=30, turn=2).state
    assert calmed.active is Tier.NONE
    held = step(calmed, 0.45, at=60, turn=3)
    assert held.fire is Tier.NONE and held.held is Tier.SOOTHE
    too_few_turns = step(calmed, 0.45, at=400, turn=3)
    assert too_few_turns.fire is Tier.NONE
    after = step(calmed, 0.45, at=400, turn=4)
    assert after.fire is Tier.SOOTHE


def test_cooldown_never_holds_back_a_higher_tier_or_a_forced_handoff():
    soothed = step(TierState(), 0.45, at=0, turn=1).state
    assert step(soothed, 0.65, at=30, turn=2).fire is Tier.REMEDY
    handed = step(TierState(), 0.1, at=0, turn=1)
    forced = step_tiers(
        handed.state,
        pressure=0.1,
        negative_streak=0,
        tiers=TIERS,
        at=1,
        turn=2,
        forced=Tier.HANDOFF,
    )
    assert forced.fire is Tier.HANDOFF


def test_shift_moves_enter_and_exit_and_keeps_them_in_range():
    shifted = shift_tiers(TIERS, -0.15)
    assert shifted.handoff.enter == 0.8 - 0.15
    assert shifted.soothe.exit == 0.3 - 0.15
    assert shift_tiers(TIERS, -0.9).soothe.enter == 0.05
    assert shift_tiers(TIERS, 0) is TIERS


def test_one_rude_word_in_a_calm_conversation_does_not_escalate(
    system: InMemoryEscalation, make_signal: Callable[..., TurnSignal]
):
    angers = [0.1, 0.1, 0.9, 0.1, 0.15, 0.1, 0.1]
    decisions = [
        system.engine.decide(
            make_signal(anger, turn=turn, cues=[Cue.PROFANITY, Cue.CAPS] if anger > 0.5 else [])
        )
        for turn, anger in enumerate(angers)
    ]
    actions = [d.action for d in decisions]
    assert Action.REMEDY not in actions and Action.HANDOFF not in actions
    assert actions.count(Action.SOOTHE) <= 1
    assert decisions[-1].tier is Tier.NONE


def test_a_calmed_customer_is_not_escalated_again_within_the_cooldown(
    system: InMemoryEscalation, script: Script, policy: Policy
):
    angers = [0.2, 0.6, 0.1, 0.1, 0.75]  # soothed at turn 1, calms, grumbles again at turn 4
    decisions = script(system, angers, gap_s=20)
    assert decisions[1].action is Action.SOOTHE
    assert decisions[3].tier is Tier.NONE
    assert decisions[4].action is Action.NONE
    assert "cooldown" in decisions[4].reason_codes
    assert policy.tiers.cooldown_seconds > 4 * 20


def test_after_the_cooldown_the_same_tier_can_fire_again(
    system: InMemoryEscalation, script: Script, policy: Policy
):
    gap = policy.tiers.cooldown_seconds  # every turn is a full cool-down apart
    angers = [0.2, 0.6, 0.1, 0.1, 0.1, 0.75]
    decisions = script(system, angers, gap_s=gap)
    assert [d.action for d in decisions].count(Action.SOOTHE) == 2
