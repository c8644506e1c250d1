"""The events a decision emits, with their stable names (the case log and console use them)."""

from __future__ import annotations

from escalation.decision import Action, Decision, Event, JsonValue, Tier
from escalation.remedies import RemedyAttempt
from escalation.scoring import Pressure

EVENT_SOOTHE = "escalation.soothe.proposed"
EVENT_REMEDY_ISSUED = "escalation.remedy.issued"
EVENT_REMEDY_REFUSED = "escalation.remedy.refused"
EVENT_HANDOFF = "escalation.handoff.requested"
EVENT_TIER_CHANGED = "escalation.tier.changed"


def decision_events(
    decision: Decision,
    previous_tier: Tier,
    attempt: RemedyAttempt | None,
    pressure: Pressure,
) -> list[Event]:
    """Build the events one decision emits.

    In order: tier changed, remedy refused, soothe proposed, remedy issued, handoff requested.

    Args:
        decision: The decision (without events yet).
        previous_tier: The conversation's tier before the message.
        attempt: The remedy attempt, if the remedy tier fired.
        pressure: The pressure with its parts (sent with a handoff for the agent).
    """
    base: dict[str, JsonValue] = {
        "tier": decision.tier.name.lower(),
        "pressure": round(decision.pressure, 4),
        "reason_codes": list(decision.reason_codes),
        "reason": decision.reason,
        "incident_id": decision.incident_id,
    }
    cid, at = decision.conversation_id, decision.at
    events: list[Event] = []
    if decision.tier is not previous_tier:
        change = {"from": previous_tier.name.lower(), "to": decision.tier.name.lower()}
        events.append(Event(EVENT_TIER_CHANGED, at, cid, {**base, **change}))
    if attempt is not None and attempt.offer is None:
        caps: list[JsonValue] = [cap.value for cap in attempt.refused_caps]
        refused: dict[str, JsonValue] = {"caps": caps, "rule": attempt.rule}
        events.append(Event(EVENT_REMEDY_REFUSED, at, cid, {**base, **refused}))
    if decision.soothe is not None and decision.action is Action.SOOTHE:
        soothe = {"variant": decision.soothe.variant, "problem": decision.soothe.problem}
        events.append(Event(EVENT_SOOTHE, at, cid, {**base, **soothe}))
    if decision.remedy is not None:
        offer = decision.remedy
        issued: dict[str, JsonValue] = {
            "reservation_id": offer.reservation_id,
            "kind": offer.kind.value,
            "value": offer.value,
            "cost_cents": offer.cost_cents,
            "currency": offer.currency,
            "rule": offer.rule,
        }
        events.append(Event(EVENT_REMEDY_ISSUED, at, cid, {**base, **issued}))
    if decision.action is Action.HANDOFF:
        handoff: dict[str, JsonValue] = {
            "priority": decision.priority.value,
            "queue": decision.queue,
            "anger_trend": [round(value, 3) for value in decision.anger_trend],
            "parts": {name: round(value, 4) for name, value in pressure.parts.items()},
        }
        events.append(Event(EVENT_HANDOFF, at, cid, {**base, **handoff}))
    return events
