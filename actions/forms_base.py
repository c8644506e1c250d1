"""The shared validation of calmdesk's forms: which order, whose order, and early exits.

Every form that works on an order asks for the order number and, unless the channel
authenticated the customer, the email address on the account; both must belong to the same
customer before anything about the order is shown or changed. The verified customer is then
remembered in the ``customer_id`` slot.

Early exits: "never mind"/"stop" (or a short "no") and a request for a person end the form with
``flow_status`` set, and a failing order store ends it with ``unavailable``; the form's submit
action (see :func:`finish_early`) then reports it.
"""

from __future__ import annotations

import logging
import re
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from rasa_sdk.types import DomainDict

from actions.context import Turn, reset_flow
from actions.handoff import hand_over
from actions.parsing import looks_like_email, parse_order_id, wants_to_stop, words
from actions.store import shop_store
from bot.shop.domain import OrderInfo
from bot.shop.errors import NotYourOrder, OrderNotFound

logger = logging.getLogger("calmdesk.actions.forms")

#: Questions answered in the middle of a form (rules in data/forms.yml), never taken as an
#: answer to the form's question.
DIGRESSION_INTENTS = frozenset(
    {
        "payment_methods",
        "refund_policy",
        "delivery_options",
        "delivery_time",
        "product_question",
        "bot_challenge",
        "nlu_fallback",
    }
)

#: Intents whose mid-form handling is a rule (digressions, out of scope) or an exit above.
ANSWERED_BY_RULES = DIGRESSION_INTENTS | {"out_of_scope"}

_ORDER_ID_CANDIDATE = re.compile(r"#\s*\w+|\b\d{1,12}\b")

STOPPED = "stopped"
HANDOFF = "handoff"
UNAVAILABLE = "unavailable"
ENDED = "ended"  # the form explained why it cannot go on (e.g. order already shipped)


def latest_entity(tracker: Tracker, entity: str) -> str | None:
    """The first value of ``entity`` in the latest message, or ``None``."""
    return next(tracker.get_latest_entity_values(entity), None)


class ShopFormValidation(FormValidationAction, ABC):
    """Validation of a form that identifies the customer (and usually an order)."""

    needs_order: ClassVar[bool] = True
    extra_slots: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def name(self) -> str:
        """``validate_<form name>``."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[EventType]:
        """Handle early exits, then extract and validate the slots."""
        turn = Turn(dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        # An answer the NLU recognised (an email, an order number) is never an exit, whatever
        # intent the message got.
        if requested and latest_entity(tracker, requested) is None:
            short = len(words(turn.text)) <= 4
            if (short and turn.intent in {"deny", "goodbye"}) or wants_to_stop(turn.text):
                return [SlotSet("flow_status", STOPPED), SlotSet("requested_slot", None)]
            if turn.intent == "request_human":
                return [SlotSet("flow_status", HANDOFF), SlotSet("requested_slot", None)]
        try:
            events = await super().run(dispatcher, tracker, domain)
        except Exception:
            logger.exception("actions.form.store_failed", extra={"form": self.form_name()})
            dispatcher.utter_message(response="utter_store_unavailable")
            return [SlotSet("flow_status", UNAVAILABLE), SlotSet("requested_slot", None)]
        validated = any(e.get("name") != "requested_slot" for e in events)
        activating = not tracker.get_slot("requested_slot")
        if not (validated or activating or turn.intent in ANSWERED_BY_RULES):
            # Nothing usable and no digression rule: without a slot event Rasa would reject the
            # form and fall back. Bring the customer back; the form asks its question again.
            turn.say("utter_form_keep_going")
            nudges = float(tracker.get_slot("form_nudges") or 0) + 1
            return [*events, SlotSet("form_nudges", nudges)]
        return (turn.customer_events() if validated or activating else []) + events

    async def required_slots(
        self,
        domain_slots: list[str],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> list[str]:
        """Order number (if the form needs one), email (unless identified), then the rest."""
        if tracker.get_slot("flow_status"):
            return []
        turn = Turn(dispatcher, tracker, domain)
        slots = ["order_id"] if self.needs_order else []
        if turn.customer_id is None:
            slots.append("email")
        return slots + list(self.extra_slots)

    def check_order(self, turn: Turn, order: OrderInfo) -> dict[str, Any]:
        """Decide whether this form can go on with ``order``; say why not when it cannot.

        Returns:
            Slots to set: ``{}`` to go on, ``{"order_id": None}`` to ask for another order, or
            ``{"flow_status": "ended"}`` to stop the form.
        """
        return {}

    def _checked(self, turn: Turn, order: OrderInfo) -> dict[str, Any]:
        checked = {"order_id": str(order.id), **self.check_order(turn, order)}
        if checked.get("flow_status") == ENDED and latest_entity(turn.tracker, "order_id") is None:
            # An order remembered from earlier in the conversation may not be the one meant
            # now: having said why it does not fit, ask which order instead of giving up.
            return {"order_id": None}
        return checked

    def _verify(self, turn: Turn, order_id: int, email: str) -> dict[str, Any]:
        store = shop_store()
        customer = store.find_customer_by_email(email)
        order = None
        if customer is not None:
            try:
                order = store.get_order(order_id, customer_id=customer.id)
            except (OrderNotFound, NotYourOrder):
                order = None
        if customer is None or order is None:
            logger.info("actions.verification.failed", extra={"order_id": order_id})
            turn.say("utter_verification_failed", order_id=order_id, email=email)
            return {"order_id": None, "email": None}
        logger.info("actions.verification.passed", extra={"customer_id": customer.id})
        return {"customer_id": customer.id, "email": email, **self._checked(turn, order)}

    def extract_order_id(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A number the NLU did not take for an order id ("#12"), so that it gets a reply."""
        if tracker.get_slot("requested_slot") != "order_id":
            return {}
        if latest_entity(tracker, "order_id") is not None:
            return {}
        found = _ORDER_ID_CANDIDATE.search(str(tracker.latest_message.get("text") or ""))
        return {"order_id": found.group(0)} if found else {}

    def validate_order_id(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """A well-formed order number of this customer (checked with the email if needed)."""
        turn = Turn(dispatcher, tracker, domain)
        order_id = parse_order_id(value)
        if order_id is None:
            turn.say("utter_invalid_order_id", value=value)
            return {"order_id": None}
        customer_id = turn.customer_id
        if customer_id is None:
            email = tracker.get_slot("email")
            if looks_like_email(email):
                return self._verify(turn, order_id, str(email).strip())
            return {"order_id": str(order_id)}
        try:
            order = shop_store().get_order(order_id, customer_id=customer_id)
        except (OrderNotFound, NotYourOrder) as error:
            logger.info("actions.order.not_found", extra={"code": error.code})
            turn.say("utter_order_not_found", order_id=order_id)
            return {"order_id": None}
        return self._checked(turn, order)

    def validate_email(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> dict[str, Any]:
        """An email address; with an order number, the two must belong to one customer."""
        turn = Turn(dispatcher, tracker, domain)
        if not looks_like_email(value):
            turn.say("utter_invalid_email", value=value)
            return {"email": None}
        email = str(value).strip()
        if not self.needs_order:
            if shop_store().find_customer_by_email(email) is None:
                turn.say("utter_email_unknown", email=email)
                return {"email": None}
            return {"email": email}
        order_id = parse_order_id(tracker.get_slot("order_id"))
        if turn.customer_id is None and order_id is not None:
            return self._verify(turn, order_id, email)
        return {"email": email}


async def finish_early(turn: Turn) -> list[EventType] | None:
    """Report a form that ended early (``flow_status``); ``None`` when it completed.

    Args:
        turn: The submit action's turn.

    Returns:
        The events that close the flow, or ``None`` to let the submit action do its work.
    """
    status = turn.slot("flow_status")
    if not status:
        return None
    if status == STOPPED:
        turn.say("utter_flow_stopped")
    elif status == HANDOFF:
        return [
            *reset_flow(turn.tracker),
            *hand_over(turn, "customer asked for a person during a request"),
        ]
    return reset_flow(turn.tracker)
