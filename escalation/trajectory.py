"""Per-conversation anger trajectory: smoothed level, own baseline, spikes and streaks.

Pure functions over a frozen :class:`TrajectoryState`; the engine stores the state between
messages. The math, for raw anger ``x`` of turn ``n``:

* ``level = x`` on the first turn, then ``level += fast_alpha * (x - level)`` (EWMA);
* ``baseline`` is the mean of the first ``baseline_turns`` turns, then a slow EWMA with
  ``baseline_alpha``;
* ``spike = level - baseline_before_this_turn`` (0 on the first turn).
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation.policy import TrajectoryParams
from escalation.signals import Cue, TurnSignal


@dataclass(frozen=True, slots=True)
class TrajectoryState:
    """Where one conversation's anger stands after its latest message.

    Attributes:
        turns: Customer messages seen.
        level: EWMA-smoothed anger.
        baseline: The conversation's own baseline anger.
        spike: ``level`` above the baseline held before the latest turn.
        peak: Highest raw anger so far.
        anger_history: Recent raw anger values, oldest first.
        consecutive_negative: Negative turns in a row, ending with the latest.
        failed_understanding: Turns the NLU did not understand (fallback or low confidence).
        consecutive_failed: Of those, in a row, ending with the latest.
        human_requests: Times the customer asked for a person.
        repeat_contacts: Earlier contacts about the same order (profile or cue).
        last_topic: The last intent understood with confidence that is not a generic one
            (``affirm``, ``request_human``, ...): what the conversation is about.
        last_at: Timestamp of the latest turn.
    """

    turns: int = 0
    level: float = 0.0
    baseline: float = 0.0
    spike: float = 0.0
    peak: float = 0.0
    anger_history: tuple[float, ...] = ()
    consecutive_negative: int = 0
    failed_understanding: int = 0
    consecutive_failed: int = 0
    human_requests: int = 0
    repeat_contacts: int = 0
    last_topic: str | None = None
    last_at: float | None = None

    @property
    def current_anger(self) -> float:
        """Raw anger of the latest turn (0 before any turn)."""
        return self.anger_history[-1] if self.anger_history else 0.0


def is_negative_turn(signal: TurnSignal, params: TrajectoryParams) -> bool:
    """Whether a message counts towards the negative streak."""
    affect = signal.affect
    return affect.anger >= params.negative_anger or affect.sentiment <= params.negative_sentiment


def is_failed_understanding(signal: TurnSignal, params: TrajectoryParams) -> bool:
    """Whether the NLU failed to understand a message (fallback or low confidence)."""
    return signal.is_fallback or signal.intent_confidence < params.low_confidence


def update_trajectory(
    state: TrajectoryState, signal: TurnSignal, params: TrajectoryParams, at: float
) -> TrajectoryState:
    """Fold one customer message into the trajectory.

    Args:
        state: The trajectory before the message (``TrajectoryState()`` for a new one).
        signal: The message.
        params: Smoothing parameters from the policy.
        at: The message's timestamp.

    Returns:
        The new trajectory; ``state`` is not changed.
    """
    anger = signal.affect.anger
    turns = state.turns + 1
    if state.turns == 0:
        level = baseline = anger
        spike = 0.0
    else:
        level = state.level + params.fast_alpha * (anger - state.level)
        spike = level - state.baseline
        if turns <= params.baseline_turns:
            baseline = state.baseline + (anger - state.baseline) / turns
        else:
            baseline = state.baseline + params.baseline_alpha * (anger - state.baseline)
    failed = is_failed_understanding(signal, params)
    repeat = signal.customer.prior_contacts_same_order
    if Cue.REPEAT_CONTACT in signal.affect.cues:
        repeat = max(repeat, 1)
    return TrajectoryState(
        turns=turns,
        level=level,
        baseline=baseline,
        spike=spike,
        peak=max(state.peak, anger),
        anger_history=(*state.anger_history, anger)[-params.history_turns :],
        consecutive_negative=(
            state.consecutive_negative + 1 if is_negative_turn(signal, params) else 0
        ),
        failed_understanding=state.failed_understanding + failed,
        consecutive_failed=state.consecutive_failed + 1 if failed else 0,
        human_requests=state.human_requests + signal.asked_for_human,
        repeat_contacts=max(state.repeat_contacts, repeat),
        last_topic=(
            state.last_topic if failed or signal.intent in params.generic_intents else signal.intent
        ),
        last_at=at,
    )


@dataclass(frozen=True, slots=True)
class AngerRise:
    """The latest uninterrupted rise of raw anger: ``start``→``end`` over ``turns`` messages."""

    start: float
    end: float
    turns: int

    @property
    def amount(self) -> float:
        """How much anger rose."""
        return self.end - self.start


def latest_rise(state: TrajectoryState) -> AngerRise | None:
    """The strictly rising run of raw anger that ends at the latest turn, if there is one."""
    history = state.anger_history
    start = len(history) - 1
    while start > 0 and history[start - 1] < history[start]:
        start -= 1
    if start >= len(history) - 1:
        return None
    return AngerRise(history[start], history[-1], len(history) - start)
