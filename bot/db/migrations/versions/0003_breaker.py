"""Circuit breaker tables: conversation states, remedy ledger + audit, callbacks, incidents,
intervention effects and escalation events.

Revision ID: 0003_breaker
Revises: 0001_shop
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_breaker"
down_revision: str | None = "0001_shop"
branch_labels: str | Sequence[str] | None = ("breaker",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create the breaker tables."""
    op.create_table(
        "breaker_decisions",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("message_id", sa.String(length=128), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("cause_key", sa.String(length=200), nullable=True),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("anger", sa.Float(), nullable=False),
        sa.Column("pressure", sa.Float(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaker_decisions")),
    )
    with op.batch_alter_table("breaker_decisions", schema=None) as batch_op:
        batch_op.create_index("ix_breaker_decisions_cause_at", ["cause_key", "at"], unique=False)
        batch_op.create_index(
            "ix_breaker_decisions_customer_order", ["customer_id", "order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breaker_decisions_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breaker_decisions_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "breaker_callbacks",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("remedy_id", sa.Integer(), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('queued', 'done', 'cancelled')", name=op.f("ck_breaker_callbacks_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaker_callbacks")),
        sa.UniqueConstraint("remedy_id", name=op.f("uq_breaker_callbacks_remedy_id")),
    )
    with op.batch_alter_table("breaker_callbacks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaker_callbacks_conversation_id"), ["conversation_id"], unique=False
        )

    op.create_table(
        "breaker_conversation_states",
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("conversation_id", name=op.f("pk_breaker_conversation_states")),
    )
    op.create_table(
        "breaker_effects",
        sa.Column("intervention_id", sa.String(length=160), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("remedy_kind", sa.String(length=24), nullable=True),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("anger_before", sa.Float(), nullable=False),
        sa.Column("level_before", sa.Float(), nullable=False),
        sa.Column("anger_after", sa.Text(), nullable=False),
        sa.Column("change", sa.Float(), nullable=True),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("intervention_id", name=op.f("pk_breaker_effects")),
    )
    with op.batch_alter_table("breaker_effects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaker_effects_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breaker_effects_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "breaker_events",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=True),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaker_events")),
    )
    with op.batch_alter_table("breaker_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaker_events_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_breaker_events_incident_id"), ["incident_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_breaker_events_name"), ["name"], unique=False)

    op.create_table(
        "breaker_incidents",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("cause_key", sa.String(length=200), nullable=False),
        sa.Column("opened_at", sa.Float(), nullable=False),
        sa.Column("closed_at", sa.Float(), nullable=True),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("window_seconds", sa.Float(), nullable=False),
        sa.Column("angry_conversations", sa.Integer(), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_breaker_incidents")),
    )
    with op.batch_alter_table("breaker_incidents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaker_incidents_cause_key"), ["cause_key"], unique=False
        )

    op.create_table(
        "breaker_ledger_locks",
        sa.Column("scope", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_breaker_ledger_locks")),
    )
    op.create_table(
        "breaker_remedies",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("cost_cents", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("coupon_code", sa.String(length=32), nullable=True),
        sa.Column("order_id", sa.String(length=32), nullable=True),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('coupon_percent', 'coupon_amount', 'expedited_shipping', 'callback')",
            name=op.f("ck_breaker_remedies_kind"),
        ),
        sa.CheckConstraint("cost_cents >= 0", name=op.f("ck_breaker_remedies_cost_non_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaker_remedies")),
        sa.UniqueConstraint("coupon_code", name=op.f("uq_breaker_remedies_coupon_code")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_breaker_remedies_idempotency_key")),
    )
    with op.batch_alter_table("breaker_remedies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaker_remedies_conversation_id"), ["conversation_id"], unique=False
        )
        batch_op.create_index(
            "ix_breaker_remedies_customer_at", ["customer_id", "at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_breaker_remedies_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_breaker_remedies_incident_id"), ["incident_id"], unique=False
        )

    op.create_table(
        "breaker_remedy_audit",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("remedy_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("refused_cap", sa.String(length=64), nullable=True),
        sa.Column("conversation_id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("cost_cents", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('issued', 'replayed', 'refused')",
            name=op.f("ck_breaker_remedy_audit_outcome"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_breaker_remedy_audit")),
    )
    with op.batch_alter_table("breaker_remedy_audit", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_breaker_remedy_audit_idempotency_key"), ["idempotency_key"], unique=False
        )


def downgrade() -> None:
    """Drop the breaker tables."""
    with op.batch_alter_table("breaker_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_decisions_incident_id"))
        batch_op.drop_index(batch_op.f("ix_breaker_decisions_conversation_id"))
        batch_op.drop_index("ix_breaker_decisions_customer_order")
        batch_op.drop_index("ix_breaker_decisions_cause_at")
    op.drop_table("breaker_decisions")
    with op.batch_alter_table("breaker_remedy_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_remedy_audit_idempotency_key"))

    op.drop_table("breaker_remedy_audit")
    with op.batch_alter_table("breaker_remedies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_remedies_incident_id"))
        batch_op.drop_index(batch_op.f("ix_breaker_remedies_day"))
        batch_op.drop_index("ix_breaker_remedies_customer_at")
        batch_op.drop_index(batch_op.f("ix_breaker_remedies_conversation_id"))

    op.drop_table("breaker_remedies")
    op.drop_table("breaker_ledger_locks")
    with op.batch_alter_table("breaker_incidents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_incidents_cause_key"))

    op.drop_table("breaker_incidents")
    with op.batch_alter_table("breaker_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_events_name"))
        batch_op.drop_index(batch_op.f("ix_breaker_events_incident_id"))
        batch_op.drop_index(batch_op.f("ix_breaker_events_conversation_id"))

    op.drop_table("breaker_events")
    with op.batch_alter_table("breaker_effects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_effects_incident_id"))
        batch_op.drop_index(batch_op.f("ix_breaker_effects_conversation_id"))

    op.drop_table("breaker_effects")
    op.drop_table("breaker_conversation_states")
    with op.batch_alter_table("breaker_callbacks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_breaker_callbacks_conversation_id"))

    op.drop_table("breaker_callbacks")
