"""What a message is about: the incident cause keys and the problem in plain words."""

from __future__ import annotations

from escalation.policy import IncidentPolicy
from escalation.signals import TurnSignal
from escalation.trajectory import TrajectoryState

_INTENT_TOPICS = {
    "track_order": "tracking",
    "order_status": "order status",
    "complain_delivery": "delivery",
    "delivery_delay": "delivery",
    "return_item": "return",
    "refund_status": "refund",
    "request_refund": "refund",
    "change_address": "address change",
    "cancel_order": "cancellation",
    "payment_issue": "payment",
    "report_damaged_item": "damaged item",
    "report_wrong_item": "wrong item",
    "report_missing_item": "missing item",
    "product_question": "product question",
}


def intent_topic(intent: str | None) -> str:
    """A short noun for an intent (``track_order`` → ``tracking``)."""
    if not intent:
        return "request"
    return _INTENT_TOPICS.get(intent, intent.replace("_", " "))


def cause_entity_values(signal: TurnSignal, names: tuple[str, ...]) -> dict[str, str]:
    """The cause entities present in a message, the carrier also from the order facts."""
    values: dict[str, str] = {}
    for name in names:
        value = signal.carrier if name == "carrier" else signal.entities.get(name)
        if value:
            values[name] = value.strip().lower()
    return values


def cause_keys(
    signal: TurnSignal, policy: IncidentPolicy, topic: str | None = None
) -> tuple[str, ...]:
    """The incident cause keys of a message.

    The conversation's topic (see :attr:`TrajectoryState.last_topic`; the message's own intent
    when no topic is given) is mapped to its group (``track_order`` → ``delivery``); each cause
    entity present gives one key (``delivery|carrier=dhl``, ``delivery|region=north``); a
    message with none gives the bare group key. Without a topic, a message the NLU did not
    understand has no cause.
    """
    if topic is None:
        if signal.is_fallback:
            return ()
        topic = signal.intent
    group = policy.intent_groups.get(topic, topic)
    values = cause_entity_values(signal, policy.cause_entities)
    if not values:
        return (group,)
    return tuple(f"{group}|{name}={value}" for name, value in values.items())


def describe_problem(signal: TurnSignal, trajectory: TrajectoryState) -> str:
    """The customer's problem in plain words, for apologies that name it.

    Examples: ``the delay on order 1042 (6 days late)``, ``having to contact us again about
    order 1042``, ``me not understanding you``, ``the trouble with your refund``.
    """
    order = signal.order
    order_id = signal.order_id
    if order is not None and order.delay_days > 0:
        days = "day" if order.delay_days == 1 else "days"
        return f"the delay on order {order.order_id} ({order.delay_days} {days} late)"
    if trajectory.repeat_contacts > 0 and order_id:
        return f"having to contact us again about order {order_id}"
    if trajectory.consecutive_failed >= 2:
        return "me not understanding you"
    if order is not None and order.status in {"lost", "damaged", "cancelled", "returned"}:
        return f"what happened with order {order.order_id}"
    topic = trajectory.last_topic
    if topic is None:
        return "the trouble you've had"
    return f"the trouble with your {intent_topic(topic)}"
