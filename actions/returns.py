"""Submit of the return form: open an RMA and say what will be refunded, per the policy."""

from __future__ import annotations

import logging

from rasa_sdk.events import EventType, SlotSet

from actions.context import ShopAction, Turn, money, order_values, reset_flow
from actions.forms_base import finish_early
from actions.parsing import parse_order_id
from actions.store import shop_store
from bot.shop.domain import ReturnPolicy
from bot.shop.errors import NotYourOrder, OrderNotFound, ReturnNotAllowed, ReturnRefusal

logger = logging.getLogger("calmdesk.actions.returns")


class ActionCreateReturn(ShopAction):
    """Open the RMA for the chosen item of a delivered order."""

    def name(self) -> str:
        """Action name."""
        return "action_create_return"

    async def act(self, turn: Turn) -> list[EventType]:
        """Create the return, or explain why the policy refuses it."""
        early = await finish_early(turn)
        if early is not None:
            return early
        order_id = parse_order_id(turn.slot("order_id"))
        sku = turn.slot("return_item")
        reason = str(turn.slot("return_reason") or "unspecified")
        if order_id is None or not sku:
            turn.say("utter_default")
            return reset_flow(turn.tracker)
        store = shop_store()
        try:
            order = store.get_order(order_id, customer_id=turn.customer_id)
            rma = store.create_return(
                order_id, str(sku), customer_id=turn.customer_id, reason=reason
            )
        except (OrderNotFound, NotYourOrder):
            turn.say("utter_order_not_found", order_id=order_id)
            return [*reset_flow(turn.tracker), SlotSet("order_id", None)]
        except ReturnNotAllowed as refusal:
            self._refused(turn, refusal, order_id, str(sku))
            return reset_flow(turn.tracker)
        line = order.line(rma.sku)
        logger.info("actions.return.created", extra={"order_id": order_id, "rma": rma.rma_code})
        turn.say(
            "utter_return_created",
            rma=rma.rma_code,
            quantity=rma.quantity,
            product=line.name if line else rma.sku,
            order_id=order_id,
            amount=money(rma.refund_amount, order.currency),
        )
        return reset_flow(turn.tracker)

    @staticmethod
    def _refused(turn: Turn, refusal: ReturnNotAllowed, order_id: int, sku: str) -> None:
        order = shop_store().get_order(order_id, customer_id=turn.customer_id)
        line = order.line(sku)
        values = {**order_values(order), "product": line.name if line else sku}
        logger.info("actions.return.refused", extra={"reason": str(refusal.reason)})
        if refusal.reason is ReturnRefusal.WINDOW_EXPIRED:
            window = getattr(shop_store(), "policy", ReturnPolicy()).window_days
            turn.say("utter_return_refused_window", window=window, **values)
        elif refusal.reason is ReturnRefusal.FINAL_SALE:
            turn.say("utter_return_refused_final_sale", **values)
        elif refusal.reason in {ReturnRefusal.ALREADY_RETURNED, ReturnRefusal.INVALID_QUANTITY}:
            turn.say("utter_return_refused_already", **values)
        elif refusal.reason is ReturnRefusal.NOT_DELIVERED:
            turn.say("utter_return_refused_not_delivered", hint="", **values)
        else:
            turn.say("utter_return_item_not_in_order", order_id=order_id, items=values["items"])
