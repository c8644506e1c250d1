"""ORM models of the circuit breaker (tables prefixed ``breaker_``).

Times the core computes with are stored as epoch seconds (``at``, float) next to a UTC
timestamp for people; money is integer minor units (cents), as in :mod:`escalation.budget`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    Identity,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.base import Base, UTCDateTime, table_of, utcnow

REMEDY_KINDS = ("coupon_percent", "coupon_amount", "expedited_shipping", "callback")
AUDIT_OUTCOMES = ("issued", "replayed", "refused")


def _one_of(column: str, values: tuple[str, ...]) -> CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class ConversationStateRow(Base):
    """One conversation's :class:`~escalation.state.ConversationState`, as JSON."""

    __tablename__ = "breaker_conversation_states"

    conversation_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerLock(Base):
    """A row every reservation locks (``SELECT … FOR UPDATE``), so budget checks serialise."""

    __tablename__ = "breaker_ledger_locks"

    scope: Mapped[str] = mapped_column(String(32), primary_key=True)


class RemedyRow(Base):
    """An issued remedy: the reservation, its coupon code or order, and why it was issued."""

    __tablename__ = "breaker_remedies"
    __table_args__ = (
        _one_of("kind", REMEDY_KINDS),
        CheckConstraint("cost_cents >= 0", name="cost_non_negative"),
        Index("ix_breaker_remedies_customer_at", "customer_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    value: Mapped[int] = mapped_column(Integer)
    cost_cents: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    rule: Mapped[str] = mapped_column(String(64))
    at: Mapped[float] = mapped_column(Float)
    day: Mapped[int] = mapped_column(Integer, index=True)
    coupon_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    order_id: Mapped[str | None] = mapped_column(String(32))
    issued_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def reservation_id(self) -> str:
        """The id the core sees (``rm-<id>``)."""
        return f"rm-{self.id}"


class RemedyAuditRow(Base):
    """Every reservation attempt: issued, replayed (same key) or refused (with the cap)."""

    __tablename__ = "breaker_remedy_audit"
    __table_args__ = (_one_of("outcome", AUDIT_OUTCOMES),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), index=True)
    remedy_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    refused_cap: Mapped[str | None] = mapped_column(String(64))
    conversation_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(24))
    cost_cents: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CallbackRow(Base):
    """A queued call-back to a customer (a ``callback`` remedy, or an incident's outreach)."""

    __tablename__ = "breaker_callbacks"
    __table_args__ = (_one_of("status", ("queued", "done", "cancelled")),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    remedy_id: Mapped[int | None] = mapped_column(Integer, unique=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    customer_id: Mapped[str | None] = mapped_column(String(64))
    incident_id: Mapped[str | None] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class IncidentRow(Base):
    """An aggregate surge: when it opened and closed, and the test that opened it."""

    __tablename__ = "breaker_incidents"

    incident_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    cause_key: Mapped[str] = mapped_column(String(200), index=True)
    opened_at: Mapped[float] = mapped_column(Float)
    closed_at: Mapped[float | None] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    window_seconds: Mapped[float] = mapped_column(Float)
    angry_conversations: Mapped[int] = mapped_column(Integer)
    conversations: Mapped[int] = mapped_column(Integer)
    expected: Mapped[float] = mapped_column(Float)
    details: Mapped[str] = mapped_column(Text, default="{}")


class EffectRow(Base):
    """Anger before and after one intervention, and how the conversation ended."""

    __tablename__ = "breaker_effects"

    intervention_id: Mapped[str] = mapped_column(String(160), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    action: Mapped[str] = mapped_column(String(16))
    remedy_kind: Mapped[str | None] = mapped_column(String(24))
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)
    at: Mapped[float] = mapped_column(Float)
    turn: Mapped[int] = mapped_column(Integer)
    anger_before: Mapped[float] = mapped_column(Float)
    level_before: Mapped[float] = mapped_column(Float)
    anger_after: Mapped[str] = mapped_column(Text, default="[]")
    change: Mapped[float | None] = mapped_column(Float)
    complete: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(32))


class DecisionRow(Base):
    """One decided customer message: its anger, the action taken, and its incident (if any)."""

    __tablename__ = "breaker_decisions"
    __table_args__ = (
        Index("ix_breaker_decisions_cause_at", "cause_key", "at"),
        Index("ix_breaker_decisions_customer_order", "customer_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    message_id: Mapped[str | None] = mapped_column(String(128))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    cause_key: Mapped[str | None] = mapped_column(String(200))
    order_id: Mapped[str | None] = mapped_column(String(32))
    at: Mapped[float] = mapped_column(Float)
    anger: Mapped[float] = mapped_column(Float)
    pressure: Mapped[float] = mapped_column(Float)
    action: Mapped[str] = mapped_column(String(16))
    tier: Mapped[int] = mapped_column(Integer)
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)


class EventRow(Base):
    """Every escalation and incident event, in emission order (stable dotted names)."""

    __tablename__ = "breaker_events"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[float] = mapped_column(Float)
    conversation_id: Mapped[str | None] = mapped_column(String(128), index=True)
    incident_id: Mapped[str | None] = mapped_column(String(64), index=True)
    payload: Mapped[str] = mapped_column(Text)


BREAKER_TABLES = tuple(
    table_of(model)
    for model in (
        ConversationStateRow,
        LedgerLock,
        RemedyRow,
        RemedyAuditRow,
        CallbackRow,
        IncidentRow,
        EffectRow,
        DecisionRow,
        EventRow,
    )
)
