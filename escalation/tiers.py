"""Tier hysteresis and cool-down: when an intervention fires, and when a tier is left.

* A tier is **entered** when the pressure reaches its ``enter`` threshold and the negative
  streak is at least its ``min_negative_turns`` (one rude word cannot reach remedy or handoff).
* It is **left** only when the pressure falls below its lower ``exit`` threshold, so a
  pressure hovering around ``enter`` does not flap.
* An intervention fires on entering a tier, never while holding one.
* After an intervention at tier *T*, no tier ≤ *T* fires again until both ``cooldown_seconds``
  and ``cooldown_turns`` have passed: a customer who calmed down and grumbles once more is not
  soothed or compensated again. Higher tiers, and forced handoffs, are never held back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from escalation.decision import Tier
from escalation.policy import TierPolicy

_TIERS_HIGH_TO_LOW = (Tier.HANDOFF, Tier.REMEDY, Tier.SOOTHE)


@dataclass(frozen=True, slots=True)
class TierState:
    """A conversation's tier and its latest intervention.

    Attributes:
        active: The tier the conversation is in.
        last_intervention: Tier of the latest intervention (``NONE`` if none yet).
        last_intervention_at: Its timestamp.
        last_intervention_turn: The turn number it fired on.
    """

    active: Tier = Tier.NONE
    last_intervention: Tier = Tier.NONE
    last_intervention_at: float | None = None
    last_intervention_turn: int = 0


@dataclass(frozen=True, slots=True)
class TierStep:
    """The outcome of one message.

    Attributes:
        state: The new tier state.
        fire: The tier whose intervention fires now (``NONE``: none fires).
        held: A tier that would have fired but the cool-down held it (``NONE`` otherwise).
    """

    state: TierState
    fire: Tier = Tier.NONE
    held: Tier = Tier.NONE


def shift_tiers(tiers: TierPolicy, offset: float) -> TierPolicy:
    """Move every threshold by ``offset`` (negative: escalate sooner)."""
    if offset == 0:
        return tiers
    return replace(
        tiers,
        soothe=tiers.soothe.shifted(offset),
        remedy=tiers.remedy.shifted(offset),
        handoff=tiers.handoff.shifted(offset),
    )


def in_cooldown(state: TierState, tier: Tier, at: float, turn: int, tiers: TierPolicy) -> bool:
    """Whether the latest intervention still holds back ``tier``."""
    if state.last_intervention_at is None or tier > state.last_intervention:
        return False
    too_soon = at - state.last_intervention_at < tiers.cooldown_seconds
    too_few_turns = turn - state.last_intervention_turn < tiers.cooldown_turns
    return too_soon or too_few_turns


def target_tier(pressure: float, negative_streak: int, tiers: TierPolicy) -> Tier:
    """The highest tier whose entry conditions ``pressure`` and ``negative_streak`` meet."""
    for tier in _TIERS_HIGH_TO_LOW:
        threshold = tiers.threshold(tier)
        if pressure >= threshold.enter and negative_streak >= threshold.min_negative_turns:
            return tier
    return Tier.NONE


def step_tiers(
    state: TierState,
    *,
    pressure: float,
    negative_streak: int,
    tiers: TierPolicy,
    at: float,
    turn: int,
    forced: Tier = Tier.NONE,
) -> TierStep:
    """Apply one message's pressure to the tier state.

    Args:
        state: The tier state before the message.
        pressure: The message's escalation pressure.
        negative_streak: Negative turns in a row, ending with this one.
        tiers: Thresholds (already shifted for the customer) and cool-down.
        at: The message's timestamp.
        turn: The message's turn number.
        forced: A tier a hard trigger demands (e.g. ``HANDOFF`` on a request for a human);
            it fires regardless of thresholds and cool-down.

    Returns:
        The new state and the tier that fires, if any.
    """
    active = state.active
    while active > Tier.NONE and pressure < tiers.threshold(active).exit:
        active = Tier(active - 1)
    target = max(target_tier(pressure, negative_streak, tiers), forced)
    if target <= active:
        return TierStep(replace(state, active=active))
    if target > forced and in_cooldown(state, target, at, turn, tiers):
        return TierStep(replace(state, active=active), held=target)
    return TierStep(record_intervention(state, target, at, turn), fire=target)


def record_intervention(state: TierState, tier: Tier, at: float, turn: int) -> TierState:
    """Return ``state`` after an intervention at ``tier`` (which becomes the active tier)."""
    return replace(
        state,
        active=tier,
        last_intervention=tier,
        last_intervention_at=at,
        last_intervention_turn=turn,
    )
