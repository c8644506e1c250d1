"""Conversation mechanics: what "yes" and "no" answer, and the fallback that asks once to
rephrase and then offers a person.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk.events import EventType, FollowupAction, SlotSet

from actions.context import (
    ShopAction,
    Turn,
    intents_of_recent_user_messages,
    user_events_since,
)
from actions.handoff import hand_over
from actions.order_changes import cancel_confirmed

logger = logging.getLogger("calmdesk.actions.conversation")

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
CLEAR_PENDING = SlotSet("pending_confirmation", None)


def pending_question(turn: Turn) -> str | None:
    """The yes/no question the bot asked just before this message, if any.

    A question counts only for the message right after it: "yes" three messages later
    does not cancel an order.
    """
    pending = turn.slot("pending_confirmation")
    if not pending:
        return None

    def asked(event: dict[str, Any]) -> bool:
        return bool(
            event.get("event") == "slot"
            and event.get("name") == "pending_confirmation"
            and event.get("value")
        )

    return str(pending) if user_events_since(turn.tracker, asked) == 1 else None


class ActionAffirm(ShopAction):
    """The customer said yes."""

    def name(self) -> str:
        """Action name."""
        return "action_affirm"

    async def act(self, turn: Turn) -> list[EventType]:
        """Do what the pending question offered."""
        pending = pending_question(turn)
        logger.info("actions.affirm", extra={"pending": pending})
        if pending == "cancel":
            return [CLEAR_PENDING, *cancel_confirmed(turn)]
        if pending == "handoff":
            return hand_over(turn, "the assistant did not understand the customer twice")
        if pending and pending.startswith("complaint_handoff"):
            case = pending.partition(":")[2]
            return hand_over(turn, f"angry customer wants to discuss complaint #{case}", "high")
        if pending == "start_return":
            return [CLEAR_PENDING, FollowupAction("return_form")]
        turn.say("utter_nothing_to_confirm")
        return [CLEAR_PENDING]


class ActionDeny(ShopAction):
    """The customer said no."""

    def name(self) -> str:
        """Action name."""
        return "action_deny"

    async def act(self, turn: Turn) -> list[EventType]:
        """Decline what the pending question offered."""
        pending = pending_question(turn)
        if pending == "cancel":
            turn.say("utter_cancel_kept", order_id=turn.slot("order_id"))
        elif pending and pending.startswith(("handoff", "complaint_handoff")):
            turn.say("utter_no_handoff")
        else:
            turn.say("utter_nothing_to_deny")
        return [CLEAR_PENDING]


class ActionFallback(ShopAction):
    """Not understood: ask to rephrase the first time, offer a person the second time."""

    def name(self) -> str:
        """Action name."""
        return "action_fallback"

    async def act(self, turn: Turn) -> list[EventType]:
        """Count the misunderstandings in a row and answer accordingly."""
        order_id = next(turn.tracker.get_latest_entity_values("order_id"), None)
        if order_id is not None and not turn.tracker.active_loop.get("name"):
            # "where is order 1850" / a bare "1850" the NLU did not place: look the order up.
            logger.info("actions.fallback.order_id", extra={"intent": turn.intent})
            return [FollowupAction("order_form")]
        in_a_row = 0
        for intent in intents_of_recent_user_messages(turn.tracker):
            if intent not in FALLBACK_INTENTS:
                break
            in_a_row += 1
        logger.info("actions.fallback", extra={"in_a_row": in_a_row, "intent": turn.intent})
        if in_a_row >= 2:
            turn.say("utter_offer_human")
            return [SlotSet("pending_confirmation", "handoff")]
        if turn.intent == "out_of_scope":
            turn.say("utter_out_of_scope")
        else:
            turn.say("utter_ask_rephrase")
        return [CLEAR_PENDING]
