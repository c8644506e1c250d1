"""Handing a conversation to a person: the reply and the gateway's handoff request.

The contract with the gateway: the bot sends its text as usual and, as a separate message,
``json_message={"calmdesk_handoff": {"reason": ..., "priority": "normal" | "high"}}``. Rasa's
REST channel delivers it as ``{"custom": {"calmdesk_handoff": {...}}}``; the gateway changes the
conversation's owner and removes that message from what the customer sees.
"""

from __future__ import annotations

import logging
from typing import TypedDict

from rasa_sdk.events import EventType, SlotSet

from actions.context import Priority, ShopAction, Turn

logger = logging.getLogger("calmdesk.actions.handoff")

HANDOFF_KEY = "calmdesk_handoff"


class HandoffRequest(TypedDict):
    """What the gateway reads from the custom message."""

    reason: str
    priority: Priority


def hand_over(turn: Turn, reason: str, priority: Priority | None = None) -> list[EventType]:
    """Tell the customer a person takes over and ask the gateway for the handoff.

    Args:
        turn: The current turn.
        reason: Plain words for the agent ("customer asked for a person").
        priority: ``high`` or ``normal``; by default from the customer's anger.

    Returns:
        Events that clear any pending yes/no question.
    """
    request = HandoffRequest(reason=reason, priority=priority or turn.handoff_priority)
    turn.say("utter_handoff")
    turn.dispatcher.utter_message(json_message={HANDOFF_KEY: dict(request)})
    logger.info("actions.handoff.requested", extra=dict(request))
    return [SlotSet("pending_confirmation", None)]


class ActionHandoff(ShopAction):
    """The customer asked for a person."""

    def name(self) -> str:
        """Action name."""
        return "action_handoff"

    async def act(self, turn: Turn) -> list[EventType]:
        """Hand over, with high priority when the customer is angry."""
        return hand_over(turn, "customer asked for a person")
