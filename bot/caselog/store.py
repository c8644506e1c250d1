"""Reads of the case log (history, queue, restart recovery) and agent accounts.

Everything here is synchronous SQLAlchemy; the gateway calls it through ``asyncio.to_thread``
after flushing the writer, so reads see every record submitted before them.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, delete, func, insert, select

from bot.caselog.models import (
    Agent,
    AgentMessage,
    AgentToken,
    Conversation,
    EscalationEvent,
    Outcome,
    OwnershipEvent,
    Turn,
)
from bot.db.base import utcnow

_HASHER = PasswordHasher()


class CaseLogError(Exception):
    """Base of the case log's errors."""


class AgentExistsError(CaseLogError):
    """An agent with that user name already exists."""


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """What the gateway needs to resume a conversation after a restart."""

    conversation_id: str
    channel: str
    customer_id: int | None
    state: str
    priority: str | None
    handoff_reason: str | None
    agent_id: int | None
    next_seq: int
    #: ``(message_id, responses)`` of the latest turns that had a message id, oldest first
    #: (so a client's retry after a restart is answered again, not processed twice).
    answered: tuple[tuple[str, list[dict[str, Any]]], ...] = ()


#: How many recent answered message ids a resumed conversation brings back.
ANSWERED_ON_RESUME = 64


@dataclass(frozen=True, slots=True)
class AgentAccount:
    """An authenticated agent."""

    id: int
    username: str
    display_name: str


def load_conversation(engine: Engine, conversation_id: str) -> StoredConversation | None:
    """Return a conversation's stored state and its next turn number, or ``None``."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Conversation.__table__).where(Conversation.id == conversation_id)
        ).first()
        if row is None:
            return None
        last = connection.execute(
            select(func.max(Turn.seq)).where(Turn.conversation_id == conversation_id)
        ).scalar()
        recent = connection.execute(
            select(Turn.message_id, Turn.responses)
            .where(Turn.conversation_id == conversation_id, Turn.message_id.is_not(None))
            .order_by(Turn.seq.desc())
            .limit(ANSWERED_ON_RESUME)
        ).all()
    return StoredConversation(
        conversation_id=row.id,
        channel=row.channel,
        customer_id=row.customer_id,
        state=row.state,
        priority=row.priority,
        handoff_reason=row.handoff_reason,
        agent_id=row.agent_id,
        next_seq=0 if last is None else int(last) + 1,
        answered=tuple((str(r.message_id), list(r.responses or [])) for r in reversed(recent)),
    )


def _iso(value: datetime) -> str:
    return value.isoformat()


def conversation_history(engine: Engine, conversation_id: str) -> dict[str, Any] | None:
    """Return a conversation with its turns, ownership changes, escalations and agent messages.

    Returns:
        A JSON-ready dict, or ``None`` when the conversation is unknown.
    """
    with engine.connect() as connection:
        row = connection.execute(
            select(Conversation.__table__).where(Conversation.id == conversation_id)
        ).first()
        if row is None:
            return None
        turns = connection.execute(
            select(Turn.__table__).where(Turn.conversation_id == conversation_id).order_by(Turn.seq)
        ).all()
        owners, escalations, outcomes, agent_messages = (
            connection.execute(
                select(model.__table__)
                .where(model.conversation_id == conversation_id)
                .order_by(model.id)
            ).all()
            for model in (OwnershipEvent, EscalationEvent, Outcome, AgentMessage)
        )
    return {
        "conversation_id": row.id,
        "channel": row.channel,
        "state": row.state,
        "priority": row.priority,
        "handoff_reason": row.handoff_reason,
        "agent_id": row.agent_id,
        "outcome": row.outcome,
        "created_at": _iso(row.created_at),
        "turns": [
            {
                "seq": t.seq,
                "message_id": t.message_id,
                "channel": t.channel,
                "owner": t.owner,
                "text": t.text,
                "received_at": _iso(t.received_at),
                "intent": t.intent,
                "confidence": t.confidence,
                "entities": t.entities or [],
                "affect": t.affect,
                "responses": t.responses or [],
                "escalation": t.escalation,
                "rasa_actions": t.rasa_actions,
                "rasa_policy": t.rasa_policy,
                "latencies_ms": t.latencies_ms or {},
                "error": t.error,
            }
            for t in turns
        ],
        "ownership": [
            {
                "at": _iso(o.at),
                "from": o.from_state,
                "to": o.to_state,
                "actor": o.actor,
                "reason": o.reason,
                "priority": o.priority,
                "agent_id": o.agent_id,
            }
            for o in owners
        ],
        "escalations": [
            {
                "turn_seq": e.turn_seq,
                "at": _iso(e.at),
                "action": e.action,
                "reason": e.reason,
                "priority": e.priority,
                "details": e.details,
            }
            for e in escalations
        ],
        "outcomes": [
            {"at": _iso(o.at), "outcome": o.outcome, "agent_id": o.agent_id, "note": o.note}
            for o in outcomes
        ],
        "agent_messages": [
            {"at": _iso(m.at), "agent_id": m.agent_id, "text": m.text} for m in agent_messages
        ],
    }


def create_agent(engine: Engine, username: str, password: str, display_name: str = "") -> int:
    """Create an agent account (argon2 password hash); return its id.

    Raises:
        AgentExistsError: The user name is taken.
    """
    with engine.begin() as connection:
        taken = connection.execute(select(Agent.id).where(Agent.username == username)).first()
        if taken is not None:
            raise AgentExistsError(f"agent {username!r} already exists")
        result = connection.execute(
            insert(Agent).values(
                username=username,
                display_name=display_name or username,
                password_hash=_HASHER.hash(password),
                created_at=utcnow(),
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        return int(key[0])


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def login(engine: Engine, username: str, password: str, ttl_s: int) -> str | None:
    """Check a password and issue a bearer token (only its hash is stored).

    Returns:
        The token, or ``None`` when the user name or password is wrong.
    """
    with engine.connect() as connection:
        row = connection.execute(
            select(Agent.id, Agent.password_hash).where(Agent.username == username)
        ).first()
    if row is None:
        _HASHER.hash(password)  # same cost whether or not the user exists
        return None
    try:
        _HASHER.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    token = secrets.token_urlsafe(32)
    now = utcnow()
    with engine.begin() as connection:
        connection.execute(delete(AgentToken).where(AgentToken.expires_at < now))
        connection.execute(
            insert(AgentToken).values(
                token_hash=_token_hash(token),
                agent_id=row.id,
                created_at=now,
                expires_at=now + timedelta(seconds=ttl_s),
            )
        )
    return token


def agent_for_token(engine: Engine, token: str) -> AgentAccount | None:
    """Return the agent a valid, unexpired token belongs to."""
    with engine.connect() as connection:
        row = connection.execute(
            select(Agent.id, Agent.username, Agent.display_name)
            .join(AgentToken, AgentToken.agent_id == Agent.id)
            .where(AgentToken.token_hash == _token_hash(token), AgentToken.expires_at > utcnow())
        ).first()
    if row is None:
        return None
    return AgentAccount(id=row.id, username=row.username, display_name=row.display_name)


def logout(engine: Engine, token: str) -> None:
    """Revoke a token."""
    with engine.begin() as connection:
        connection.execute(delete(AgentToken).where(AgentToken.token_hash == _token_hash(token)))


def queued_conversations(engine: Engine) -> list[dict[str, Any]]:
    """Conversations waiting for or owned by an agent, most urgent first, then oldest."""
    rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    with engine.connect() as connection:
        rows = connection.execute(
            select(Conversation.__table__).where(Conversation.state.in_(("queued", "agent")))
        ).all()
    items = [
        {
            "conversation_id": r.id,
            "state": r.state,
            "priority": r.priority or "normal",
            "handoff_reason": r.handoff_reason,
            "agent_id": r.agent_id,
            "customer_id": r.customer_id,
            "updated_at": _iso(r.updated_at),
        }
        for r in rows
    ]
    items.sort(key=lambda i: (i["state"] != "queued", rank.get(i["priority"], 2), i["updated_at"]))
    return items
