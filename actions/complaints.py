"""Submit of the complaint form: open a case, and offer a person when the customer is angry."""

from __future__ import annotations

import logging
import re

from rasa_sdk.events import EventType, SlotSet

from actions.context import HIGH_PRIORITY_LABELS, ShopAction, Turn, reset_flow
from actions.forms_base import finish_early
from actions.parsing import parse_order_id
from actions.store import shop_store
from bot.shop.domain import ComplaintCategory
from bot.shop.errors import NotYourOrder, OrderNotFound

logger = logging.getLogger("calmdesk.actions.complaints")

# The case's category, for routing in the console; the first pattern that matches wins.
_CATEGORY_PATTERNS: tuple[tuple[ComplaintCategory, re.Pattern[str]], ...] = tuple(
    (category, re.compile(pattern, re.IGNORECASE))
    for category, pattern in (
        (ComplaintCategory.DAMAGED_ITEM, r"\b(broken|damaged|smashed|cracked|torn|faulty)\b"),
        (ComplaintCategory.WRONG_ITEM, r"\b(wrong (item|size|colou?r|product)|not what i ordered)"),
        (
            ComplaintCategory.MISSING_ITEM,
            r"\b(missing|never (arrived|came)|not in the (box|parcel))",
        ),
        (ComplaintCategory.REFUND_DELAY, r"\brefund"),
        (ComplaintCategory.LATE_DELIVERY, r"\b(late|delay|delayed|still waiting|weeks?)\b"),
        (ComplaintCategory.BILLING, r"\b(charged|charge|billing|invoice|payment)\b"),
        (ComplaintCategory.SERVICE, r"\b(rude|support|service|nobody|no one|ignored)\b"),
    )
)


def complaint_category(text: str) -> ComplaintCategory:
    """The category a complaint's text suggests (``other`` when none)."""
    return next(
        (category for category, pattern in _CATEGORY_PATTERNS if pattern.search(text)),
        ComplaintCategory.OTHER,
    )


class ActionOpenComplaint(ShopAction):
    """Open the complaint case."""

    def name(self) -> str:
        """Action name."""
        return "action_open_complaint"

    async def act(self, turn: Turn) -> list[EventType]:
        """Open the case (on the order when one of theirs was mentioned) and report it."""
        early = await finish_early(turn)
        if early is not None:
            return early
        store = shop_store()
        customer_id = turn.customer_id
        if customer_id is None:
            customer = store.find_customer_by_email(str(turn.slot("email") or ""))
            if customer is None:
                turn.say("utter_default")
                return reset_flow(turn.tracker)
            customer_id = customer.id
        details = str(turn.slot("complaint_details") or "")
        category = complaint_category(details)
        order_id = parse_order_id(turn.slot("order_id"))
        try:
            case = store.open_complaint(customer_id, category, details, order_id=order_id)
        except (OrderNotFound, NotYourOrder):
            case = store.open_complaint(customer_id, category, details)
        email = store.get_customer(customer_id).email
        logger.info("actions.complaint.opened", extra={"case_id": case.id})
        order_note = f" about order {case.order_id}" if case.order_id else ""
        turn.say(
            "utter_complaint_opened",
            case_id=case.id,
            category=category.value.replace("_", " "),
            order_note=order_note,
            email=email,
        )
        if turn.mood in HIGH_PRIORITY_LABELS:
            turn.say("utter_offer_complaint_handoff")
            return [
                *reset_flow(turn.tracker),
                SlotSet("pending_confirmation", f"complaint_handoff:{case.id}"),
            ]
        return reset_flow(turn.tracker)
