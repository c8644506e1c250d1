"""Demo shop tables: customers, products, orders and their items, shipments, returns, refunds,
complaints.

Revision ID: 0001_shop
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_shop"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _money(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Numeric(precision=10, scale=2), nullable=False)


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Integer(), nullable=False)


def _status_check(table: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    allowed = ", ".join(f"'{value}'" for value in values)
    return sa.CheckConstraint(f"{column} IN ({allowed})", name=op.f(f"ck_{table}_{column}"))


def _check(table: str, name: str, condition: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    target_table = target.split(".")[0]
    return sa.ForeignKeyConstraint(
        [column],
        [target],
        name=op.f(f"fk_{table}_{column}_{target_table}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    """Create the shop tables."""
    op.create_table(
        "shop_customers",
        _id(),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("tier", sa.String(length=16), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=64), nullable=False),
        _timestamp("created_at"),
        sa.Column("complaint_count", sa.Integer(), nullable=False),
        _status_check("shop_customers", "tier", ["vip", "regular", "new"]),
        _check("shop_customers", "complaint_count_non_negative", "complaint_count >= 0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_customers")),
        sa.UniqueConstraint("email", name=op.f("uq_shop_customers_email")),
    )
    op.create_table(
        "shop_products",
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("category", sa.String(length=48), nullable=False),
        _money("price"),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("aliases", sa.Text(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=False),
        _check("shop_products", "price_non_negative", "price >= 0"),
        _check("shop_products", "stock_non_negative", "stock >= 0"),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_shop_products")),
    )
    op.create_index(op.f("ix_shop_products_category"), "shop_products", ["category"])

    op.create_table(
        "shop_orders",
        sa.Column("id", sa.Integer(), sa.Identity(always=False, start=1001), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("created_at"),
        _timestamp("updated_at"),
        sa.Column("currency", sa.String(length=3), nullable=False),
        _money("total"),
        sa.Column("ship_line1", sa.String(length=200), nullable=False),
        sa.Column("ship_city", sa.String(length=100), nullable=False),
        sa.Column("ship_postcode", sa.String(length=16), nullable=False),
        sa.Column("ship_country", sa.String(length=2), nullable=False),
        _status_check(
            "shop_orders",
            "status",
            [
                "pending",
                "paid",
                "packed",
                "shipped",
                "delayed",
                "delivered",
                "returned",
                "cancelled",
            ],
        ),
        _check("shop_orders", "total_non_negative", "total >= 0"),
        _fk("shop_orders", "customer_id", "shop_customers.id", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_orders")),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":  # PostgreSQL's identity starts at 1001 itself
        op.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('shop_orders', 1000)")
    op.create_index(
        "ix_shop_orders_customer_id_created_at", "shop_orders", ["customer_id", "created_at"]
    )
    op.create_index("ix_shop_orders_status_updated_at", "shop_orders", ["status", "updated_at"])

    op.create_table(
        "shop_complaints",
        _id(),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("created_at"),
        _status_check("shop_complaints", "status", ["open", "in_progress", "resolved"]),
        _fk("shop_complaints", "customer_id", "shop_customers.id", "CASCADE"),
        _fk("shop_complaints", "order_id", "shop_orders.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_complaints")),
    )
    op.create_index(op.f("ix_shop_complaints_customer_id"), "shop_complaints", ["customer_id"])
    op.create_index(op.f("ix_shop_complaints_order_id"), "shop_complaints", ["order_id"])
    op.create_index(
        "ix_shop_complaints_status_created_at", "shop_complaints", ["status", "created_at"]
    )

    op.create_table(
        "shop_order_items",
        _id(),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _money("unit_price"),
        _check("shop_order_items", "quantity_positive", "quantity > 0"),
        _check("shop_order_items", "unit_price_non_negative", "unit_price >= 0"),
        _fk("shop_order_items", "order_id", "shop_orders.id", "CASCADE"),
        _fk("shop_order_items", "sku", "shop_products.sku", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_order_items")),
        sa.UniqueConstraint("order_id", "sku", name=op.f("uq_shop_order_items_order_id_sku")),
    )
    op.create_index(op.f("ix_shop_order_items_sku"), "shop_order_items", ["sku"])

    op.create_table(
        "shop_returns",
        _id(),
        sa.Column("rma_code", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _timestamp("created_at"),
        _money("refund_amount"),
        _status_check(
            "shop_returns", "status", ["requested", "approved", "received", "refunded", "rejected"]
        ),
        _check("shop_returns", "quantity_positive", "quantity > 0"),
        _check("shop_returns", "refund_amount_non_negative", "refund_amount >= 0"),
        _fk("shop_returns", "order_id", "shop_orders.id", "CASCADE"),
        _fk("shop_returns", "sku", "shop_products.sku", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_returns")),
        sa.UniqueConstraint("rma_code", name=op.f("uq_shop_returns_rma_code")),
    )
    op.create_index(op.f("ix_shop_returns_order_id"), "shop_returns", ["order_id"])

    op.create_table(
        "shop_shipments",
        _id(),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("carrier", sa.String(length=32), nullable=False),
        sa.Column("tracking_number", sa.String(length=40), nullable=False),
        _timestamp("shipped_at"),
        sa.Column("eta", sa.Date(), nullable=False),
        _timestamp("delivered_at", nullable=True),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        _check("shop_shipments", "delay_days_non_negative", "delay_days >= 0"),
        _fk("shop_shipments", "order_id", "shop_orders.id", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_shipments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_shop_shipments_order_id")),
        sa.UniqueConstraint("tracking_number", name=op.f("uq_shop_shipments_tracking_number")),
    )
    op.create_index(op.f("ix_shop_shipments_carrier"), "shop_shipments", ["carrier"])

    op.create_table(
        "shop_refunds",
        _id(),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.Integer(), nullable=True),
        _money("amount"),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        _timestamp("created_at"),
        _timestamp("paid_at", nullable=True),
        _status_check("shop_refunds", "status", ["pending", "processing", "paid"]),
        _check("shop_refunds", "amount_positive", "amount > 0"),
        _fk("shop_refunds", "order_id", "shop_orders.id", "CASCADE"),
        _fk("shop_refunds", "return_id", "shop_returns.id", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_refunds")),
    )
    op.create_index(op.f("ix_shop_refunds_order_id"), "shop_refunds", ["order_id"])
    op.create_index(op.f("ix_shop_refunds_return_id"), "shop_refunds", ["return_id"])


def downgrade() -> None:
    """Drop the shop tables (their indexes go with them)."""
    for table in (
        "shop_refunds",
        "shop_shipments",
        "shop_returns",
        "shop_order_items",
        "shop_complaints",
        "shop_orders",
        "shop_products",
        "shop_customers",
    ):
        op.drop_table(table)
