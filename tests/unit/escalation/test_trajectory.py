"""Trajectory math: EWMA level, the conversation's own baseline, spikes, streaks and counters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from escalation.policy import Policy, TrajectoryParams
from escalation.signals import Cue, TurnSignal
from escalation.trajectory import TrajectoryState, latest_rise, update_trajectory

SignalFactory = Callable[..., TurnSignal]


@pytest.fixture
def params(policy: Policy) -> TrajectoryParams:
    return replace(policy.trajectory, fast_alpha=0.5, baseline_alpha=0.1, baseline_turns=2)


def fold(
    params: TrajectoryParams, make_signal: SignalFactory, angers: list[float], **kw: object
) -> TrajectoryState:
    state = TrajectoryState()
    for turn, anger in enumerate(angers):
        state = update_trajectory(state, make_signal(anger, turn=turn, **kw), params, float(turn))
    return state


def test_first_turn_sets_level_and_baseline(params: TrajectoryParams, make_signal: SignalFactory):
    state = fold(params, make_signal, [0.3])
    assert state.turns == 1
    assert state.level == pytest.approx(0.3)
    assert state.baseline == pytest.approx(0.3)
    assert state.spike == 0.0


def test_level_is_an_ewma_and_baseline_averages_then_slowly_follows(
    params: TrajectoryParams, make_signal: SignalFactory
):
    state = fold(params, make_signal, [0.2, 0.4, 0.8])
    # level: 0.2 -> 0.2 + 0.5 * 0.2 = 0.3 -> 0.3 + 0.5 * 0.5 = 0.55
    assert state.level == pytest.approx(0.55)
    # baseline: mean of the first two turns (0.3), then 0.3 + 0.1 * (0.8 - 0.3) = 0.35
    assert state.baseline == pytest.approx(0.35)
    # spike is measured against the baseline held before the latest turn
    assert state.spike == pytest.approx(0.55 - 0.3)
    assert state.peak == pytest.approx(0.8)
    assert state.anger_history == (0.2, 0.4, 0.8)


def test_history_is_bounded(params: TrajectoryParams, make_signal: SignalFactory):
    short = replace(params, history_turns=3)
    state = fold(short, make_signal, [0.1, 0.2, 0.3, 0.4, 0.5])
    assert state.anger_history == (0.3, 0.4, 0.5)


def test_negative_streak_counts_consecutive_negative_turns(
    params: TrajectoryParams, make_signal: SignalFactory
):
    state = fold(params, make_signal, [0.5, 0.6, 0.1, 0.4, 0.7])
    assert state.consecutive_negative == 2


def test_very_negative_sentiment_alone_counts_as_negative(
    params: TrajectoryParams, make_signal: SignalFactory
):
    state = update_trajectory(TrajectoryState(), make_signal(0.1, sentiment=-0.9), params, 0.0)
    assert state.consecutive_negative == 1


def test_failed_understanding_counts_fallbacks_and_low_confidence(
    params: TrajectoryParams, make_signal: SignalFactory
):
    state = TrajectoryState()
    turns = [
        make_signal(0.2, turn=0, intent="track_order"),
        make_signal(0.3, turn=1, intent="nlu_fallback", is_fallback=True),
        make_signal(0.3, turn=2, intent="track_order", confidence=0.2),
    ]
    for turn, signal in enumerate(turns):
        state = update_trajectory(state, signal, params, float(turn))
    assert state.failed_understanding == 2
    assert state.consecutive_failed == 2
    assert state.last_topic == "track_order"


def test_generic_intents_keep_the_conversation_topic(
    params: TrajectoryParams, make_signal: SignalFactory
):
    state = TrajectoryState()
    for turn, intent in enumerate(["refund_status", "affirm", "request_human"]):
        state = update_trajectory(state, make_signal(0.2, turn=turn, intent=intent), params, 0.0)
    assert state.last_topic == "refund_status"


def test_human_requests_and_repeat_contacts(params: TrajectoryParams, make_signal: SignalFactory):
    state = TrajectoryState()
    state = update_trajectory(state, make_signal(0.2, asked_for_human=True), params, 0.0)
    state = update_trajectory(state, make_signal(0.2, prior_contacts=2), params, 1.0)
    assert state.human_requests == 1
    assert state.repeat_contacts == 2
    cue_only = update_trajectory(
        TrajectoryState(), make_signal(0.2, cues=[Cue.REPEAT_CONTACT]), params, 0.0
    )
    assert cue_only.repeat_contacts == 1


def test_latest_rise_is_the_strictly_rising_run(
    params: TrajectoryParams, make_signal: SignalFactory
):
    rise = latest_rise(fold(params, make_signal, [0.5, 0.1, 0.1, 0.3, 0.8]))
    assert rise is not None
    assert (rise.start, rise.end, rise.turns) == (0.1, 0.8, 3)
    assert latest_rise(fold(params, make_signal, [0.8, 0.3])) is None
