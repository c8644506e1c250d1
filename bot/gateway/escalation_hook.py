"""The seam between the gateway and the emotional circuit breaker.

The gateway calls :meth:`EscalationHook.on_customer_message` once per customer message that the
bot owns, after the NLU parse and before Rasa. The hook answers an :class:`EscalationOutcome`:

* ``none``: carry on (Rasa answers alone);
* ``soothe`` / ``remedy``: the outcome's ``messages`` (an apology naming the problem, the remedy
  that was really issued) are sent to the customer *before* Rasa's responses, and the outcome is
  passed to Rasa in the message metadata under ``calmdesk_escalation`` so actions can adapt;
* ``handoff``: the gateway does not call Rasa; it sends ``messages`` and moves the conversation to
  ``queued`` with ``handoff_reason`` and ``priority``.

The gateway records every outcome other than ``none`` in the case log as an escalation event
(``details`` is stored as JSON). :class:`NoEscalation` is the default until the breaker is wired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

EscalationAction = Literal["none", "soothe", "remedy", "handoff"]
OwnershipState = Literal["bot", "queued", "agent", "resolved"]


@dataclass(frozen=True, slots=True)
class CustomerTurn:
    """One customer message as the gateway hands it to the escalation hook.

    Attributes:
        conversation_id: The gateway's conversation id (the Rasa sender id).
        customer_id: The shop customer, when the channel authenticated one.
        text: The message text (not redacted; the hook must not store it unredacted).
        parse: The NLU result: Rasa's parse format plus ``affect``.
        turn_index: 0 for the conversation's first customer message.
        received_at: When the gateway received the message (UTC).
        channel: ``"rest"`` or ``"socketio"``.
    """

    conversation_id: str
    customer_id: int | None
    text: str
    parse: Mapping[str, Any]
    turn_index: int
    received_at: datetime
    channel: str = "rest"


@dataclass(frozen=True, slots=True)
class EscalationOutcome:
    """What the circuit breaker decided for one customer message.

    Attributes:
        action: ``none``, ``soothe``, ``remedy`` or ``handoff``.
        messages: Bot texts the gateway sends to the customer for this decision.
        handoff_reason: Plain-words reason code for the agent (handoff only).
        priority: Queue priority (``low``/``normal``/``high``/``urgent``; handoff only).
        details: JSON-serialisable facts for the case log and for Rasa (tier, remedy, trend).
    """

    action: EscalationAction = "none"
    messages: tuple[str, ...] = ()
    handoff_reason: str | None = None
    priority: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


NO_ESCALATION = EscalationOutcome()


@runtime_checkable
class EscalationHook(Protocol):
    """What the gateway needs from the circuit breaker."""

    async def on_customer_message(self, turn: CustomerTurn) -> EscalationOutcome:
        """Decide what to do about one customer message (called before Rasa)."""
        ...

    async def on_ownership_change(
        self, conversation_id: str, state: OwnershipState, *, reason: str | None = None
    ) -> None:
        """Learn that a conversation changed hands (hand-back, resolve) to reset its state."""
        ...

    async def close(self) -> None:
        """Finish queued work (the gateway is shutting down)."""
        ...


class NoEscalation:
    """The hook that never intervenes: the default until the breaker is wired in."""

    async def on_customer_message(self, turn: CustomerTurn) -> EscalationOutcome:
        """Return :data:`NO_ESCALATION`."""
        return NO_ESCALATION

    async def on_ownership_change(
        self, conversation_id: str, state: OwnershipState, *, reason: str | None = None
    ) -> None:
        """Do nothing."""

    async def close(self) -> None:
        """Nothing to finish."""
