"""What every action shares: the turn (tracker, dispatcher, domain), who the customer is, how
they feel, replies that pick empathetic variants, formatting, and never-crash error handling.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.shop.domain import OrderInfo
from bot.shop.errors import ShopError

logger = logging.getLogger("calmdesk.actions")

UPSET_LABELS = frozenset({"annoyed", "angry", "furious"})
HIGH_PRIORITY_LABELS = frozenset({"angry", "furious"})
EMPATHETIC_SUFFIX = "_empathetic"

Priority = Literal["normal", "high"]

#: Slots that belong to one flow and are cleared when it ends (order_id, email and the
#: verified customer stay for the rest of the conversation).
FLOW_SLOTS = (
    "new_address",
    "item_change",
    "return_item",
    "return_reason",
    "complaint_details",
    "flow_status",
)


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
        return number if number > 0 else None
    return None


def message_metadata(tracker: Tracker) -> dict[str, Any]:
    """Return the channel metadata of the latest user message (``{}`` when none).

    Rasa 3.6 copies the REST channel's ``metadata`` into the message's parse data; the
    latest ``user`` event carries it too, which is the fallback.
    """
    metadata = tracker.latest_message.get("metadata")
    if not isinstance(metadata, dict) or not metadata:
        event: dict[str, Any] = next(
            (e for e in reversed(tracker.events) if e.get("event") == "user"), {}
        )
        metadata = event.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


@dataclass
class Turn:
    """One action call: the tracker, where replies go, and the domain."""

    dispatcher: CollectingDispatcher
    tracker: Tracker
    domain: DomainDict

    @property
    def intent(self) -> str:
        """The intent of the latest user message ('' when none)."""
        intent = self.tracker.latest_message.get("intent") or {}
        return str(intent.get("name") or "")

    @property
    def text(self) -> str:
        """The text of the latest user message."""
        return str(self.tracker.latest_message.get("text") or "")

    def slot(self, name: str) -> Any:
        """Return a slot's value."""
        return self.tracker.get_slot(name)

    @property
    def metadata_customer_id(self) -> int | None:
        """The customer the channel authenticated for this message, if any."""
        return _positive_int(message_metadata(self.tracker).get("customer_id"))

    @property
    def customer_id(self) -> int | None:
        """The channel's customer, else the one verified earlier by email + order id."""
        return self.metadata_customer_id or _positive_int(self.slot("customer_id"))

    @property
    def mood(self) -> str:
        """The affect label of the latest message (calm, annoyed, angry, furious)."""
        affect = self.tracker.latest_message.get("affect")
        label = affect.get("label") if isinstance(affect, dict) else None
        return str(label) if label else "calm"

    @property
    def escalated(self) -> bool:
        """Whether the gateway's circuit breaker already apologised for this message."""
        return bool(message_metadata(self.tracker).get("calmdesk_escalation"))

    @property
    def empathetic(self) -> bool:
        """Whether replies should acknowledge the customer's frustration."""
        return self.mood in UPSET_LABELS and not self.escalated

    @property
    def handoff_priority(self) -> Priority:
        """``high`` for angry or furious customers, else ``normal``."""
        return "high" if self.mood in HIGH_PRIORITY_LABELS else "normal"

    def say(self, response: str, **values: Any) -> None:
        """Send ``response``, or its ``_empathetic`` variant when the customer is upset.

        Args:
            response: A response name of the domain.
            **values: Values for the response's ``{placeholders}``.
        """
        empathetic = f"{response}{EMPATHETIC_SUFFIX}"
        if self.empathetic and empathetic in self.domain.get("responses", {}):
            response = empathetic
        self.dispatcher.utter_message(response=response, **values)

    def customer_events(self) -> list[EventType]:
        """Remember the channel's customer in the ``customer_id`` slot when it changed."""
        from_channel = self.metadata_customer_id
        if from_channel is not None and _positive_int(self.slot("customer_id")) != from_channel:
            return [SlotSet("customer_id", from_channel)]
        return []


def reset_flow(tracker: Tracker) -> list[EventType]:
    """Events that clear the slots of the flow that just ended (only those that are set:
    every event makes the tracker, and Rasa's work on each later message, bigger)."""
    return [SlotSet(name, None) for name in FLOW_SLOTS if tracker.get_slot(name) is not None]


def money(amount: Decimal, currency: str = "USD") -> str:
    """Format an amount for customers: ``$84.00`` for USD, ``84.00 EUR`` otherwise."""
    return f"${amount:.2f}" if currency == "USD" else f"{amount:.2f} {currency}"


def day(value: date | datetime | None) -> str:
    """Format a date for customers, e.g. ``Tue 14 May``."""
    if value is None:
        return "an unknown date"
    return value.strftime("%a %d %b").replace(" 0", " ")


def item_list(order: OrderInfo) -> str:
    """Describe an order's lines, e.g. ``2 x Everyday Organic Cotton Tee, 1 x ...``."""
    return ", ".join(f"{line.quantity} x {line.name}" for line in order.items) or "no items"


def order_values(order: OrderInfo) -> dict[str, Any]:
    """The placeholders order responses use."""
    shipment = order.shipment
    return {
        "order_id": order.id,
        "status": order.status.value,
        "total": money(order.total, order.currency),
        "placed": day(order.created_at),
        "items": item_list(order),
        "carrier": shipment.carrier if shipment else "the carrier",
        "tracking": shipment.tracking_number if shipment else "not yet assigned",
        "shipped": day(shipment.shipped_at) if shipment else "",
        "eta": day(shipment.eta) if shipment else "",
        "original_eta": day(shipment.original_eta) if shipment else "",
        "delay_days": shipment.delay_days if shipment else 0,
        "delivered": day(shipment.delivered_at) if shipment and shipment.delivered_at else "",
    }


class ShopAction(Action, ABC):
    """A custom action that never crashes the conversation.

    Subclasses implement :meth:`act`. A :class:`ShopError` nobody handled gets the core
    fallback's reply; any other failure (database down, backend unreachable) gets
    ``utter_store_unavailable``. Both end the current flow and are logged.
    """

    @abstractmethod
    def name(self) -> str:
        """The action's name in the domain."""

    @abstractmethod
    async def act(self, turn: Turn) -> list[EventType]:
        """Do the action's work and return its events."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Run :meth:`act`, turning every failure into a polite reply."""
        turn = Turn(dispatcher, tracker, domain)
        try:
            return turn.customer_events() + await self.act(turn)
        except ShopError as error:
            logger.warning(
                "actions.shop_error",
                extra={"action": self.name(), "code": error.code, "error": error.message},
            )
            dispatcher.utter_message(response="utter_default")
        except Exception:
            logger.exception("actions.failed", extra={"action": self.name()})
            dispatcher.utter_message(response="utter_store_unavailable")
        return reset_flow(tracker) + (
            [SlotSet("pending_confirmation", None)]
            if tracker.get_slot("pending_confirmation")
            else []
        )


def user_events_since(tracker: Tracker, predicate: Any) -> int | None:
    """Count user messages after the latest event matching ``predicate`` (``None``: no match)."""
    count = 0
    for event in reversed(tracker.events):
        if predicate(event):
            return count
        if event.get("event") == "user":
            count += 1
    return None


def intents_of_recent_user_messages(tracker: Tracker) -> Iterable[str]:
    """Yield the intents of the user messages, newest first."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            yield str(((event.get("parse_data") or {}).get("intent") or {}).get("name") or "")
