"""Case-log tables (SQLAlchemy 2). Created by migration ``0002_caselog``.

Conversations are keyed by the gateway's conversation id (the Rasa sender id), so the hot path
never needs a generated key back from the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, table_of, utcnow

CONVERSATION_ID_LENGTH = 128


class Conversation(Base):
    """One conversation and who owns it now."""

    __tablename__ = "case_conversations"

    id: Mapped[str] = mapped_column(String(CONVERSATION_ID_LENGTH), primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    customer_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    state: Mapped[str] = mapped_column(String(16), default="bot", index=True)
    priority: Mapped[str | None] = mapped_column(String(16), nullable=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Turn(Base):
    """One customer message and everything the gateway learned while answering it."""

    __tablename__ = "case_turns"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("conversation_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("case_conversations.id", ondelete="CASCADE")
    )
    seq: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    channel: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    intent_ranking: Mapped[Any] = mapped_column(JSON, nullable=True)
    entities: Mapped[Any] = mapped_column(JSON, nullable=True)
    affect: Mapped[Any] = mapped_column(JSON, nullable=True)
    anger: Mapped[float | None] = mapped_column(Float, nullable=True)
    responses: Mapped[Any] = mapped_column(JSON, nullable=True)
    rasa_actions: Mapped[Any] = mapped_column(JSON, nullable=True)
    rasa_policy: Mapped[str | None] = mapped_column(String(120), nullable=True)
    escalation: Mapped[str | None] = mapped_column(String(16), nullable=True)
    latencies_ms: Mapped[Any] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class OwnershipEvent(Base):
    """A change of hands: bot → queued → agent → bot / resolved."""

    __tablename__ = "case_ownership_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("case_conversations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    priority: Mapped[str | None] = mapped_column(String(16), nullable=True)
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)


class EscalationEvent(Base):
    """A non-``none`` decision of the escalation hook for one turn."""

    __tablename__ = "case_escalation_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("case_conversations.id", ondelete="CASCADE"), index=True
    )
    turn_seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    priority: Mapped[str | None] = mapped_column(String(16), nullable=True)
    messages: Mapped[Any] = mapped_column(JSON, nullable=True)
    details: Mapped[Any] = mapped_column(JSON, nullable=True)


class AgentMessage(Base):
    """A message a human agent sent to the customer (redacted)."""

    __tablename__ = "case_agent_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("case_conversations.id", ondelete="CASCADE"), index=True
    )
    agent_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    text: Mapped[str] = mapped_column(Text)


class Outcome(Base):
    """How a conversation ended (``resolved`` by an agent, with an optional note)."""

    __tablename__ = "case_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("case_conversations.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Relabel(Base):
    """An agent's correction of a turn's intent (training data for the next NLU model)."""

    __tablename__ = "case_relabels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    conversation_id: Mapped[str] = mapped_column(
        ForeignKey("case_conversations.id", ondelete="CASCADE"), index=True
    )
    turn_seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    agent_id: Mapped[int] = mapped_column(Integer)
    old_intent: Mapped[str | None] = mapped_column(String(64), nullable=True)
    new_intent: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)


class Agent(Base):
    """A human agent; the password is stored as an argon2 hash only."""

    __tablename__ = "case_agents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AgentToken(Base):
    """A login token; only its SHA-256 is stored."""

    __tablename__ = "case_agent_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("case_agents.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


CASELOG_TABLES_CHILD_FIRST = [
    table_of(m)
    for m in (
        AgentToken,
        Relabel,
        Outcome,
        AgentMessage,
        EscalationEvent,
        OwnershipEvent,
        Turn,
        Conversation,
        Agent,
    )
]
