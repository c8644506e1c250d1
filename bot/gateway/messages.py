"""What flows through the pipeline: an inbound message, a turn's working data, the result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.db.base import utcnow
from bot.gateway.conversations import ConversationState, OutMessage
from bot.gateway.escalation_hook import NO_ESCALATION, EscalationOutcome


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A validated customer message from any channel."""

    conversation_id: str
    text: str
    channel: str
    message_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    customer_id: int | None = None
    received_at: datetime = field(default_factory=utcnow)


@dataclass(slots=True)
class PipelineResult:
    """What a channel sends back: the new outbox messages (not yet marked delivered)."""

    conversation: ConversationState
    messages: list[OutMessage]
    duplicate: bool = False
    replayed: list[dict[str, Any]] = field(default_factory=list)
    new_conversation: bool = False

    def payloads(self) -> list[dict[str, Any]]:
        """Rasa's REST format: ``recipient_id`` plus ``text``/``buttons``/``image``/``custom``."""
        if self.duplicate:
            return self.replayed
        return [m.payload for m in self.messages]


@dataclass(slots=True)
class TurnWork:
    """Working data of one turn (becomes a ``TurnRecord``)."""

    parse: dict[str, Any] | None = None
    responses: list[dict[str, Any]] = field(default_factory=list)
    escalation: EscalationOutcome = NO_ESCALATION
    latencies: dict[str, float] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    rasa_actions: list[str] | None = None
    rasa_policy: str | None = None
