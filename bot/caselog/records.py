"""What the gateway hands the case-log writer: one frozen record per row (already redacted)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class ConversationOpened:
    """A conversation seen for the first time (inserted once; repeats are ignored)."""

    conversation_id: str
    channel: str
    customer_id: int | None
    at: datetime


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """One customer message and its handling; ``text`` is already redacted."""

    conversation_id: str
    seq: int
    message_id: str | None
    channel: str
    owner: str
    text: str
    received_at: datetime
    intent: str | None = None
    confidence: float | None = None
    intent_ranking: list[dict[str, Any]] | None = None
    entities: list[dict[str, Any]] | None = None
    affect: dict[str, Any] | None = None
    anger: float | None = None
    responses: list[dict[str, Any]] = field(default_factory=list)
    rasa_actions: list[str] | None = None
    rasa_policy: str | None = None
    escalation: str | None = None
    latencies_ms: dict[str, float] = field(default_factory=dict)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class OwnershipChanged:
    """A change of hands; also updates the conversation row."""

    conversation_id: str
    at: datetime
    from_state: str
    to_state: str
    actor: str
    reason: str | None = None
    priority: str | None = None
    agent_id: int | None = None


@dataclass(frozen=True, slots=True)
class EscalationRecord:
    """A non-``none`` escalation outcome."""

    conversation_id: str
    turn_seq: int
    at: datetime
    action: str
    reason: str | None
    priority: str | None
    messages: list[str]
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AgentMessageRecord:
    """A message from an agent (``text`` already redacted)."""

    conversation_id: str
    agent_id: int
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """How a conversation ended; also sets the conversation's ``outcome``."""

    conversation_id: str
    at: datetime
    outcome: str
    agent_id: int | None
    note: str | None


@dataclass(frozen=True, slots=True)
class RelabelRecord:
    """An agent's intent correction for one turn."""

    conversation_id: str
    turn_seq: int
    at: datetime
    agent_id: int
    old_intent: str | None
    new_intent: str
    note: str | None


@dataclass(frozen=True, slots=True)
class LateResponsesRecord:
    """Rasa's answer to a turn that arrived after the customer got the apology."""

    conversation_id: str
    seq: int
    at: datetime
    responses: list[dict[str, Any]]
    delay_ms: float


CaseRecord = (
    ConversationOpened
    | TurnRecord
    | OwnershipChanged
    | EscalationRecord
    | AgentMessageRecord
    | OutcomeRecord
    | RelabelRecord
    | LateResponsesRecord
)
