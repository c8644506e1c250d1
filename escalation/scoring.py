"""The escalation pressure of a conversation and the reasons behind it, in codes and words.

``pressure = level + spike + streak + failures + repeat contact + cues``, clipped to 0..1,
where each term is weighted by the policy's ``pressure:`` section:

* spike: ``spike_weight * max(0, spike - spike_margin)``;
* streak: ``negative_streak_weight * min(consecutive_negative - 1, negative_streak_cap)``;
* failures: ``failed_understanding_weight * min(failed_understanding, cap)``;
* repeat contact: ``repeat_contact_weight * min(repeat_contacts, cap)``;
* cues: the sum of ``cue_weights`` of the latest message's cues.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from escalation.causes import intent_topic
from escalation.policy import PressureWeights
from escalation.signals import Cue, CustomerTier, TurnSignal
from escalation.trajectory import TrajectoryState, latest_rise

RISE_WORTH_NAMING = 0.15
SUSTAINED_TURNS = 3
HIGH_ANGER = 0.55  # the NLU's "angry" label starts here


@dataclass(frozen=True, slots=True)
class Pressure:
    """The escalation score with its parts (for the case log and tuning)."""

    score: float
    parts: Mapping[str, float] = field(default_factory=dict)


def compute_pressure(
    trajectory: TrajectoryState, signal: TurnSignal, weights: PressureWeights
) -> Pressure:
    """Compute the escalation pressure after ``signal`` was folded into ``trajectory``.

    Args:
        trajectory: The updated trajectory.
        signal: The latest message (its cues count).
        weights: The policy's pressure weights.
    """
    parts = {
        "level": trajectory.level,
        "spike": weights.spike_weight * max(0.0, trajectory.spike - weights.spike_margin),
        "streak": weights.negative_streak_weight
        * min(max(0, trajectory.consecutive_negative - 1), weights.negative_streak_cap),
        "failures": weights.failed_understanding_weight
        * min(trajectory.failed_understanding, weights.failed_understanding_cap),
        "repeat_contact": weights.repeat_contact_weight
        * min(trajectory.repeat_contacts, weights.repeat_contact_cap),
        "cues": sum(weights.cue_weights.get(cue, 0.0) for cue in set(signal.affect.cues)),
    }
    score = min(1.0, max(0.0, sum(parts.values())))
    return Pressure(score, parts)


@dataclass(frozen=True, slots=True)
class Reasons:
    """Why a conversation is where it is: stable codes and matching plain-words phrases."""

    codes: tuple[str, ...]
    phrases: tuple[str, ...]

    def text(self) -> str:
        """The phrases joined with ``; ``."""
        return "; ".join(self.phrases)


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        return f"{number}th"
    suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def explain(
    trajectory: TrajectoryState, signal: TurnSignal, high_risk_at: float | None = None
) -> Reasons:
    """Name the drivers of a conversation's pressure.

    Args:
        trajectory: The updated trajectory.
        signal: The latest message.
        high_risk_at: Complaint risk from which the customer counts as high risk.

    Returns:
        Codes such as ``anger_rising`` with phrases such as ``anger rose 0.20→0.90 over 4 turns``.
    """
    codes: list[str] = []
    phrases: list[str] = []

    def add(code: str, phrase: str) -> None:
        codes.append(code)
        phrases.append(phrase)

    rise = latest_rise(trajectory)
    if rise is not None and rise.amount >= RISE_WORTH_NAMING and rise.turns > 2:
        add("anger_rising", f"anger rose {rise.start:.2f}→{rise.end:.2f} over {rise.turns} turns")
    elif rise is not None and rise.amount >= RISE_WORTH_NAMING:
        add("anger_spike", f"anger jumped {rise.start:.2f}→{rise.end:.2f} in one turn")
    elif trajectory.current_anger >= HIGH_ANGER:
        add("anger_high", f"anger at {trajectory.current_anger:.2f} ({signal.affect.label})")
    if trajectory.consecutive_negative >= SUSTAINED_TURNS:
        add("sustained_negative", f"{trajectory.consecutive_negative} negative turns in a row")
    order = signal.order
    if order is not None and order.delay_days > 0:
        add("order_delayed", f"order {order.order_id} delayed {order.delay_days} days")
    if trajectory.failed_understanding > 0:
        count = trajectory.failed_understanding
        attempts = "attempt" if count == 1 else "attempts"
        add(
            "failed_understanding",
            f"{count} failed {intent_topic(trajectory.last_topic)} {attempts}",
        )
    if trajectory.repeat_contacts > 0:
        about = f"order {signal.order_id}" if signal.order_id else "the same issue"
        add("repeat_contact", f"{_ordinal(trajectory.repeat_contacts + 1)} contact about {about}")
    if trajectory.human_requests > 0:
        times = "" if trajectory.human_requests == 1 else f" ({trajectory.human_requests}×)"
        add("asked_for_human", f"customer asked for a human{times}")
    if Cue.THREAT_CHARGEBACK in signal.affect.cues:
        add("chargeback_threat", "customer threatened a chargeback")
    if signal.customer.tier is CustomerTier.VIP:
        add("vip_customer", "VIP customer")
    risk = signal.customer.complaint_risk
    if high_risk_at is not None and risk >= high_risk_at:
        add("high_complaint_risk", f"complaint risk {risk:.2f}")
    return Reasons(tuple(codes), tuple(phrases))
