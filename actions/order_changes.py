"""Changing an order: cancelling (after the customer said yes), its address, its items."""

from __future__ import annotations

import logging

from rasa_sdk.events import EventType, SlotSet

from actions.context import ShopAction, Turn, money, order_values, reset_flow
from actions.forms_base import finish_early
from actions.parsing import format_address, parse_order_id
from actions.store import shop_store
from bot.shop.domain import Address, OrderStatus
from bot.shop.errors import (
    AddressChangeNotAllowed,
    InvalidAddress,
    InvalidOrderItems,
    NotYourOrder,
    OrderItemsChangeNotAllowed,
    OrderNotCancellable,
    OrderNotFound,
    OutOfStock,
    ProductNotFound,
)

logger = logging.getLogger("calmdesk.actions.order_changes")


def cancel_confirmed(turn: Turn) -> list[EventType]:
    """Cancel the order in the ``order_id`` slot; the customer has just said yes.

    Returns:
        Events for the tracker.
    """
    order_id = parse_order_id(turn.slot("order_id"))
    if order_id is None or turn.customer_id is None:
        turn.say("utter_nothing_to_confirm")
        return []
    store = shop_store()
    try:
        before = store.get_order(order_id, customer_id=turn.customer_id)
        order = store.cancel_order(
            order_id, customer_id=turn.customer_id, reason="customer request via chat"
        )
    except (OrderNotFound, NotYourOrder):
        turn.say("utter_order_not_found", order_id=order_id)
        return []
    except OrderNotCancellable:
        order = store.get_order(order_id, customer_id=turn.customer_id)
        turn.say("utter_cancel_refused_closed", **order_values(order))
        return []
    if before.status is OrderStatus.PENDING:
        note = "You haven't been charged."
    else:
        note = (
            f"The full {money(order.total, order.currency)} will be refunded to your original "
            "payment method within 5 business days."
        )
    logger.info("actions.order.cancelled", extra={"order_id": order_id})
    turn.say("utter_order_cancelled", order_id=order_id, refund_note=note)
    return []


class ActionChangeAddress(ShopAction):
    """Submit of the address form: change where the order goes."""

    def name(self) -> str:
        """Action name."""
        return "action_change_address"

    async def act(self, turn: Turn) -> list[EventType]:
        """Apply the validated address."""
        early = await finish_early(turn)
        if early is not None:
            return early
        order_id = parse_order_id(turn.slot("order_id"))
        raw = turn.slot("new_address")
        if order_id is None or not isinstance(raw, dict):
            turn.say("utter_default")
            return reset_flow(turn.tracker)
        address = Address(**{key: str(raw.get(key, "")) for key in Address.__slots__})
        try:
            order = shop_store().change_shipping_address(
                order_id, address, customer_id=turn.customer_id
            )
        except (OrderNotFound, NotYourOrder):
            turn.say("utter_order_not_found", order_id=order_id)
            return [*reset_flow(turn.tracker), SlotSet("order_id", None)]
        except AddressChangeNotAllowed:
            order = shop_store().get_order(order_id, customer_id=turn.customer_id)
            turn.say("utter_address_change_refused_closed", **order_values(order))
            return reset_flow(turn.tracker)
        except InvalidAddress as error:
            turn.say("utter_invalid_address", problem=f"the {error.field} {error.reason}")
            return reset_flow(turn.tracker)
        logger.info("actions.order.address_changed", extra={"order_id": order_id})
        turn.say(
            "utter_address_changed",
            order_id=order.id,
            address=format_address(order.shipping_address),
        )
        return reset_flow(turn.tracker)


class ActionChangeItems(ShopAction):
    """Submit of the items form: set one product's quantity."""

    def name(self) -> str:
        """Action name."""
        return "action_change_items"

    async def act(self, turn: Turn) -> list[EventType]:
        """Apply the validated change and report the new contents and total."""
        early = await finish_early(turn)
        if early is not None:
            return early
        order_id = parse_order_id(turn.slot("order_id"))
        change = turn.slot("item_change")
        if order_id is None or not isinstance(change, dict):
            turn.say("utter_default")
            return reset_flow(turn.tracker)
        sku, quantity = str(change.get("sku")), int(change.get("quantity", 0))
        try:
            order = shop_store().change_order_items(
                order_id, {sku: quantity}, customer_id=turn.customer_id
            )
        except (OrderNotFound, NotYourOrder):
            turn.say("utter_order_not_found", order_id=order_id)
            return [*reset_flow(turn.tracker), SlotSet("order_id", None)]
        except OrderItemsChangeNotAllowed:
            order = shop_store().get_order(order_id, customer_id=turn.customer_id)
            turn.say("utter_items_change_refused", **order_values(order))
            return reset_flow(turn.tracker)
        except OutOfStock as error:
            turn.say(
                "utter_item_out_of_stock",
                available=error.available,
                product=change.get("name") or sku,
                requested=error.requested,
            )
            return reset_flow(turn.tracker)
        except (InvalidOrderItems, ProductNotFound) as error:
            turn.say("utter_item_change_invalid", problem=error.message)
            return reset_flow(turn.tracker)
        logger.info("actions.order.items_changed", extra={"order_id": order_id})
        turn.say("utter_items_changed", **order_values(order))
        return reset_flow(turn.tracker)
