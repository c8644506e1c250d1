"""What happens once the order form knows the order: tracking, cancelling (after a yes),
invoices and refund status; and the order questions that need no form (delivery time,
delivery options, payment problems).
"""

from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions.context import ShopAction, Turn, money, order_values, reset_flow
from actions.forms import can_start_return
from actions.forms_base import finish_early
from actions.parsing import parse_order_id
from actions.store import shop_store
from bot.shop.domain import CANCELLABLE_STATUSES, OrderInfo, OrderStatus
from bot.shop.errors import NotYourOrder, OrderNotFound
from bot.shop.service_info import describe_delivery_options, invoice_link

logger = logging.getLogger("calmdesk.actions.orders")

#: Orders on their way: "when will it arrive?" is about them.
IN_PROGRESS = frozenset(
    {
        OrderStatus.PENDING,
        OrderStatus.PAID,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
        OrderStatus.DELAYED,
    }
)

#: The intent that started the order form decides what the form was for.
ORDER_TASKS = {
    "track_order": "track",
    "cancel_order": "cancel",
    "invoice": "invoice",
    "track_refund": "track_refund",
}


def order_task(tracker: Tracker, form: str = "order_form") -> str:
    """Return the task of the latest ``form`` run: the intent of the message that started it."""
    started = False
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" and event.get("name") == form:
            started = True
        elif started and event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            return ORDER_TASKS.get(str(intent), "track")
    return "track"


def describe_status(turn: Turn, order: OrderInfo) -> None:
    """Say where an order is: status, carrier, tracking, ETA, how late."""
    values = order_values(order)
    status = order.status
    if status is OrderStatus.SHIPPED and order.shipment and order.shipment.delay_days > 0:
        status = OrderStatus.DELAYED
    turn.say(f"utter_order_status_{status.value}", **values)


def accessible_order(turn: Turn) -> OrderInfo | None:
    """The order in the ``order_id`` slot, if the customer is known and it is theirs."""
    order_id = parse_order_id(turn.slot("order_id"))
    if order_id is None or turn.customer_id is None:
        return None
    try:
        return shop_store().get_order(order_id, customer_id=turn.customer_id)
    except (OrderNotFound, NotYourOrder):
        return None


class ActionOrderTask(ShopAction):
    """Runs what the customer asked for once the order form has a verified order."""

    def name(self) -> str:
        """Action name."""
        return "action_order_task"

    async def act(self, turn: Turn) -> list[EventType]:
        """Track, offer to cancel, send the invoice, or report refunds."""
        early = await finish_early(turn)
        if early is not None:
            return early
        order = accessible_order(turn)
        if order is None:
            turn.say("utter_order_not_found", order_id=turn.slot("order_id"))
            return [*reset_flow(turn.tracker), SlotSet("order_id", None)]
        task = order_task(turn.tracker)
        logger.info("actions.order.task", extra={"task": task, "order_id": order.id})
        if task == "cancel":
            return self._offer_cancel(turn, order)
        if task == "invoice":
            link = invoice_link(order)
            if link is None:
                turn.say("utter_invoice_unavailable", **order_values(order))
            else:
                turn.say("utter_invoice_link", order_id=order.id, link=link)
        elif task == "track_refund":
            self._refunds(turn, order)
        else:
            describe_status(turn, order)
        return reset_flow(turn.tracker)

    @staticmethod
    def _offer_cancel(turn: Turn, order: OrderInfo) -> list[EventType]:
        values = order_values(order)
        if order.status in CANCELLABLE_STATUSES:
            turn.say("utter_confirm_cancel", **values)
            return [*reset_flow(turn.tracker), SlotSet("pending_confirmation", "cancel")]
        if order.status in {OrderStatus.SHIPPED, OrderStatus.DELAYED}:
            turn.say("utter_cancel_refused_shipped", **values)
            return reset_flow(turn.tracker)
        if order.status is OrderStatus.DELIVERED and can_start_return(order):
            turn.say("utter_cancel_refused_delivered", **values)
            return [*reset_flow(turn.tracker), SlotSet("pending_confirmation", "start_return")]
        turn.say("utter_cancel_refused_closed", **values)
        return reset_flow(turn.tracker)

    @staticmethod
    def _refunds(turn: Turn, order: OrderInfo) -> None:
        store = shop_store()
        refunds = store.get_refunds_for_order(order.id, customer_id=turn.customer_id)
        returns = store.get_returns_for_order(order.id, customer_id=turn.customer_id)
        parts = [
            f"{money(refund.amount, order.currency)} {refund.status.value}"
            + (f" (paid {refund.paid_at:%d %b})" if refund.paid_at else "")
            for refund in refunds
        ]
        parts += [
            f"return {rma.rma_code} ({rma.status.value}): {money(rma.refund_amount)} "
            "once the parcel is received"
            for rma in returns
            if rma.status.value in {"requested", "approved"}
        ]
        if parts:
            turn.say("utter_refund_status", order_id=order.id, refunds="; ".join(parts))
        else:
            hint = (
                "To get money back for an item, ask me to start a return."
                if order.status is OrderStatus.DELIVERED
                else "Refunds start when a return reaches us or an order is cancelled."
            )
            turn.say("utter_refund_none", order_id=order.id, hint=hint)


def _only_open_order(customer_id: int) -> OrderInfo | None:
    """The customer's one order on its way, if there is exactly one among the latest."""
    recent = shop_store().list_orders_for_customer(customer_id, limit=10)
    open_orders = [order for order in recent if order.status in IN_PROGRESS]
    return open_orders[0] if len(open_orders) == 1 else None


class ActionDeliveryTime(ShopAction):
    """When will it arrive: the order's ETA when known, else the usual delivery times."""

    def name(self) -> str:
        """Action name."""
        return "action_delivery_time"

    async def act(self, turn: Turn) -> list[EventType]:
        """Answer for the customer's order if possible."""
        order = accessible_order(turn)
        named = next(turn.tracker.get_latest_entity_values("order_id"), None) is not None
        if order is None and not named and turn.customer_id is not None:
            order = _only_open_order(turn.customer_id)
        if order is None or not (named or order.status in IN_PROGRESS):
            turn.say("utter_delivery_time_general")
            return []
        describe_status(turn, order)
        if order.status in CANCELLABLE_STATUSES:
            turn.say("utter_delivery_time_general")
        return []


class ActionDeliveryOptions(ShopAction):
    """The delivery options with prices and times."""

    def name(self) -> str:
        """Action name."""
        return "action_delivery_options"

    async def act(self, turn: Turn) -> list[EventType]:
        """List the options."""
        turn.say("utter_delivery_options", options=describe_delivery_options())
        return []


class ActionPaymentIssue(ShopAction):
    """A payment problem: the order's payment state when known, else what usually helps."""

    def name(self) -> str:
        """Action name."""
        return "action_payment_issue"

    async def act(self, turn: Turn) -> list[EventType]:
        """Check the order's payment, or explain the usual causes."""
        order = accessible_order(turn)
        if order is None:
            turn.say("utter_payment_issue")
            return []
        total = money(order.total, order.currency)
        if order.status is OrderStatus.PENDING:
            payment = (
                f"we haven't received the payment of {total} yet. If your bank shows a charge, "
                "it's a pre-authorisation that is released within 3-5 days; you can pay again "
                "from your account's order page."
            )
        elif order.status is OrderStatus.CANCELLED:
            payment = f"the order was cancelled and the {total} refunded to your payment method."
        else:
            refunds = shop_store().get_refunds_for_order(order.id, customer_id=turn.customer_id)
            refunded = sum((refund.amount for refund in refunds), start=order.total * 0)
            payment = f"your payment of {total} was received on {order.created_at:%d %b}."
            if refunded:
                payment += f" {money(refunded, order.currency)} has been refunded so far."
            payment += " If you were charged twice, the extra charge is released within 3-5 days."
        turn.say("utter_payment_status", order_id=order.id, payment=payment)
        return []
