"""The forms' validation actions: order, address change, item change, return, complaint."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.context import Turn, day, order_values
from actions.forms_base import (
    DIGRESSION_INTENTS,
    ENDED,
    ShopFormValidation,
    latest_entity,
)
from actions.parsing import (
    AddressProblem,
    match_line,
    parse_address,
    parse_item_change,
    parse_order_id,
    words,
)
from actions.store import shop_store
from bot.db.base import utcnow
from bot.shop.addresses import normalise_address
from bot.shop.domain import (
    ADDRESS_CHANGE_STATUSES,
    ITEM_CHANGE_STATUSES,
    RETURNABLE_STATUSES,
    OrderInfo,
    OrderStatus,
    ProductInfo,
    ReturnPolicy,
)
from bot.shop.errors import InvalidAddress

ADDRESS_FIELDS = {"line1": "street", "city": "city", "postcode": "postcode", "country": "country"}


def _answer_to(tracker: Tracker, slot: str) -> str | None:
    """The latest message as the answer to ``slot``, unless it is a digression question."""
    if tracker.get_slot("requested_slot") != slot:
        return None
    intent = (tracker.latest_message.get("intent") or {}).get("name")
    if intent in DIGRESSION_INTENTS:
        return None
    text = str(tracker.latest_message.get("text") or "").strip()
    return text or None


def _order(tracker: Tracker, turn: Turn) -> OrderInfo | None:
    order_id = parse_order_id(tracker.get_slot("order_id"))
    if order_id is None:
        return None
    return shop_store().get_order(order_id, customer_id=turn.customer_id)


class ValidateOrderForm(ShopFormValidation):
    """Order number (+ email): tracking, cancelling, invoices, refund status."""

    def name(self) -> str:
        """Action name."""
        return "validate_order_form"


class ValidateAddressForm(ShopFormValidation):
    """Order number (+ email) and the new address, while the order is not dispatched."""

    extra_slots = ("new_address",)

    def name(self) -> str:
        """Action name."""
        return "validate_address_form"

    def check_order(self, turn: Turn, order: OrderInfo) -> dict[str, Any]:
        """Only orders still in the warehouse can change address."""
        if order.status in ADDRESS_CHANGE_STATUSES:
            return {}
        values = order_values(order)
        if order.status in {OrderStatus.SHIPPED, OrderStatus.DELAYED}:
            turn.say("utter_address_change_refused", **values)
        else:
            turn.say("utter_address_change_refused_closed", **values)
        return {"flow_status": ENDED}

    def extract_new_address(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "what's the new address?"."""
        text = _answer_to(tracker, "new_address")
        return {"new_address": text} if text else {}

    def validate_new_address(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A complete address in a country the shop ships to."""
        if isinstance(value, dict):
            return {"new_address": value}
        turn = Turn(dispatcher, tracker, domain)
        try:
            address = normalise_address(parse_address(str(value)))
        except AddressProblem as problem:
            turn.say("utter_invalid_address", problem=str(problem))
            return {"new_address": None}
        except InvalidAddress as error:
            field = ADDRESS_FIELDS.get(error.field, error.field)
            turn.say("utter_invalid_address", problem=f"the {field} {error.reason}")
            return {"new_address": None}
        return {"new_address": dataclasses.asdict(address)}


class ValidateItemsForm(ShopFormValidation):
    """Order number (+ email) and one item change, while the order is not packed."""

    extra_slots = ("item_change",)

    def name(self) -> str:
        """Action name."""
        return "validate_items_form"

    def check_order(self, turn: Turn, order: OrderInfo) -> dict[str, Any]:
        """Only pending and paid orders can change items."""
        if order.status in ITEM_CHANGE_STATUSES:
            return {}
        turn.say("utter_items_change_refused", **order_values(order))
        return {"flow_status": ENDED}

    def extract_item_change(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "what would you like to change?"."""
        text = _answer_to(tracker, "item_change")
        return {"item_change": text} if text else {}

    def validate_item_change(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A product of the order or the catalogue, and its new quantity."""
        if isinstance(value, dict):
            return {"item_change": value}
        turn = Turn(dispatcher, tracker, domain)
        order = _order(tracker, turn)
        if order is None:
            return {"item_change": None}

        def find_product(name: str) -> ProductInfo | None:
            found = shop_store().search_products(name, limit=3)
            exact = [product for product in found if product.name.lower() == name.lower()]
            candidates = exact or found
            return candidates[0] if candidates else None

        change = parse_item_change(
            str(value), order, latest_entity(tracker, "product"), find_product
        )
        if change is None:
            first = order.items[0].name if order.items else "item"
            turn.say(
                "utter_item_change_not_understood",
                order_id=order.id,
                items=", ".join(line.name for line in order.items),
                first_item=first,
            )
            return {"item_change": None}
        return {"item_change": dataclasses.asdict(change)}


class ValidateReturnForm(ShopFormValidation):
    """Order number (+ email), the item and the reason, for a delivered order."""

    extra_slots = ("return_item", "return_reason")

    def name(self) -> str:
        """Action name."""
        return "validate_return_form"

    def check_order(self, turn: Turn, order: OrderInfo) -> dict[str, Any]:
        """Delivered, within the return window; one-item orders need no item question."""
        values = order_values(order)
        if order.status not in RETURNABLE_STATUSES:
            turn.say(
                "utter_return_refused_not_delivered", hint=_not_delivered_hint(order), **values
            )
            return {"flow_status": ENDED}
        if not within_return_window(order):
            window = getattr(shop_store(), "policy", ReturnPolicy()).window_days
            turn.say("utter_return_refused_window", window=window, **values)
            return {"flow_status": ENDED}
        line = match_line(order, turn.text, latest_entity(turn.tracker, "product"))
        if line is None and len(order.items) == 1:
            line = order.items[0]
        if line is not None and _fully_returned(order, line.sku):
            turn.say("utter_return_refused_already", product=line.name, **values)
            return {"flow_status": ENDED}
        return {"return_item": line.sku} if line else {}

    def extract_return_item(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "which item?"."""
        text = _answer_to(tracker, "return_item")
        return {"return_item": text} if text else {}

    def validate_return_item(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """One of the order's lines, stored as its SKU."""
        turn = Turn(dispatcher, tracker, domain)
        order = _order(tracker, turn)
        if order is None:
            return {"return_item": None}
        line = order.line(str(value).upper()) or match_line(
            order, str(value), latest_entity(tracker, "product")
        )
        if line is None:
            turn.say("utter_return_item_not_in_order", order_id=order.id, items=_names(order))
            return {"return_item": None}
        if _fully_returned(order, line.sku):
            turn.say("utter_return_refused_already", product=line.name, **order_values(order))
            return {"return_item": None}
        return {"return_item": line.sku}

    def extract_return_reason(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """The answer to "why are you returning it?"."""
        text = _answer_to(tracker, "return_reason")
        return {"return_reason": text} if text else {}

    def validate_return_reason(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A few words of reason."""
        if len(str(value).strip()) < 3:
            dispatcher.utter_message(response="utter_return_reason_too_short")
            return {"return_reason": None}
        return {"return_reason": str(value).strip()[:500]}


class ValidateComplaintForm(ShopFormValidation):
    """Email (unless identified) and what happened; the order is optional."""

    needs_order = False
    extra_slots = ("complaint_details",)

    def name(self) -> str:
        """Action name."""
        return "validate_complaint_form"

    def extract_complaint_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """What happened: the answer to the question, or a detailed first message."""
        text = str(tracker.latest_message.get("text") or "").strip()
        requested = tracker.get_slot("requested_slot")
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if requested is None and tracker.get_slot("complaint_details") is None:
            return {"complaint_details": text} if len(words(text)) >= 10 else {}
        if requested != "complaint_details":
            return {}
        if intent in DIGRESSION_INTENTS and len(words(text)) < 6:
            return {}
        return {"complaint_details": text} if text else {}

    def validate_complaint_details(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """At least a short sentence."""
        if len(str(value).strip()) < 10:
            dispatcher.utter_message(response="utter_complaint_too_short")
            return {"complaint_details": None}
        return {"complaint_details": str(value).strip()[:4000]}


def within_return_window(order: OrderInfo) -> bool:
    """Whether a delivered order is still inside the shop's return window."""
    window = getattr(shop_store(), "policy", ReturnPolicy()).window_days
    delivered = order.shipment.delivered_at if order.shipment else None
    return delivered is None or utcnow() - delivered <= timedelta(days=window)


def can_start_return(order: OrderInfo) -> bool:
    """Whether a return form for this order could succeed (delivered, in time, not all back)."""
    return (
        order.status in RETURNABLE_STATUSES
        and within_return_window(order)
        and any(not _fully_returned(order, line.sku) for line in order.items)
    )


def _fully_returned(order: OrderInfo, sku: str) -> bool:
    """Whether every unit of ``sku`` in the order already has a return."""
    line = order.line(sku)
    returns = shop_store().get_returns_for_order(order.id, customer_id=order.customer_id)
    returned = sum(rma.quantity for rma in returns if rma.sku == sku and rma.status != "rejected")
    return line is not None and returned >= line.quantity


def _names(order: OrderInfo) -> str:
    return ", ".join(line.name for line in order.items)


def _not_delivered_hint(order: OrderInfo) -> str:
    if order.status in ADDRESS_CHANGE_STATUSES:
        return "It hasn't shipped yet, so you can still cancel it instead: just ask me to."
    if order.status is OrderStatus.CANCELLED:
        return "It was cancelled, and any payment was refunded in full."
    if order.shipment is not None:
        return f"It's expected on {day(order.shipment.eta)}; you can return it once it arrives."
    return "You can start a return once it arrives."
