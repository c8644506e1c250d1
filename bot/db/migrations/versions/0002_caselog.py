"""Case log: conversations, turns, ownership and escalation events, agent messages, outcomes,
relabels, agents and their tokens.

Revision ID: 0002_caselog
Revises: 0001_shop
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_caselog"
down_revision: str | None = "0001_shop"
branch_labels: str | Sequence[str] | None = ("caselog",)
depends_on: str | Sequence[str] | None = None


def _at(name: str = "at") -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def _conversation_fk(table: str) -> list[sa.Column[object] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["case_conversations.id"],
            name=op.f(f"fk_{table}_conversation_id_case_conversations"),
            ondelete="CASCADE",
        ),
    ]


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def upgrade() -> None:
    """Create the case-log tables."""
    op.create_table(
        "case_conversations",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("handoff_reason", sa.String(length=120), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _pk("case_conversations"),
    )
    op.create_index(
        op.f("ix_case_conversations_state"), "case_conversations", ["state"], unique=False
    )
    op.create_table(
        "case_turns",
        _id(),
        *_conversation_fk("case_turns"),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("owner", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        _at("received_at"),
        sa.Column("intent", sa.String(length=64), nullable=True),
        sa.Column("confidence", sa.Float(), nullable=True),
        sa.Column("intent_ranking", sa.JSON(), nullable=True),
        sa.Column("entities", sa.JSON(), nullable=True),
        sa.Column("affect", sa.JSON(), nullable=True),
        sa.Column("anger", sa.Float(), nullable=True),
        sa.Column("responses", sa.JSON(), nullable=True),
        sa.Column("rasa_actions", sa.JSON(), nullable=True),
        sa.Column("rasa_policy", sa.String(length=120), nullable=True),
        sa.Column("escalation", sa.String(length=16), nullable=True),
        sa.Column("latencies_ms", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _pk("case_turns"),
        sa.UniqueConstraint(
            "conversation_id", "seq", name=op.f("uq_case_turns_conversation_id_seq")
        ),
        sa.UniqueConstraint(
            "conversation_id", "message_id", name=op.f("uq_case_turns_conversation_id_message_id")
        ),
    )
    op.create_table(
        "case_ownership_events",
        _id(),
        *_conversation_fk("case_ownership_events"),
        _at(),
        sa.Column("from_state", sa.String(length=16), nullable=False),
        sa.Column("to_state", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        _pk("case_ownership_events"),
    )
    op.create_table(
        "case_escalation_events",
        _id(),
        *_conversation_fk("case_escalation_events"),
        sa.Column("turn_seq", sa.Integer(), nullable=False),
        _at(),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=True),
        sa.Column("priority", sa.String(length=16), nullable=True),
        sa.Column("messages", sa.JSON(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        _pk("case_escalation_events"),
    )
    op.create_table(
        "case_agent_messages",
        _id(),
        *_conversation_fk("case_agent_messages"),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        _at(),
        sa.Column("text", sa.Text(), nullable=False),
        _pk("case_agent_messages"),
    )
    op.create_table(
        "case_outcomes",
        _id(),
        *_conversation_fk("case_outcomes"),
        _at(),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        _pk("case_outcomes"),
    )
    op.create_table(
        "case_relabels",
        _id(),
        *_conversation_fk("case_relabels"),
        sa.Column("turn_seq", sa.Integer(), nullable=False),
        _at(),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("old_intent", sa.String(length=64), nullable=True),
        sa.Column("new_intent", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _pk("case_relabels"),
    )
    for table in (
        "case_ownership_events",
        "case_escalation_events",
        "case_agent_messages",
        "case_outcomes",
        "case_relabels",
    ):
        op.create_index(op.f(f"ix_{table}_conversation_id"), table, ["conversation_id"])
    op.create_table(
        "case_agents",
        _id(),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        _at("created_at"),
        _pk("case_agents"),
        sa.UniqueConstraint("username", name=op.f("uq_case_agents_username")),
    )
    op.create_table(
        "case_agent_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["case_agents.id"],
            name=op.f("fk_case_agent_tokens_agent_id_case_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_case_agent_tokens")),
    )


def downgrade() -> None:
    """Drop the case-log tables."""
    for table in (
        "case_agent_tokens",
        "case_agents",
        "case_relabels",
        "case_outcomes",
        "case_agent_messages",
        "case_escalation_events",
        "case_ownership_events",
        "case_turns",
        "case_conversations",
    ):
        op.drop_table(table)
