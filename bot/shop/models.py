"""ORM models of the demo shop (tables prefixed ``shop_``).

Statuses are strings guarded by CHECK constraints (no native enums, so migrations stay simple).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Identity,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.db.base import Base, UTCDateTime, table_of
from bot.shop.domain import (
    ComplaintStatus,
    CustomerTier,
    OrderStatus,
    RefundStatus,
    ReturnStatus,
)

Money = Numeric(10, 2)
FIRST_ORDER_ID = 1001


def _one_of(column: str, values: type[StrEnum]) -> CheckConstraint:
    allowed = ", ".join(f"'{value.value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)


class Customer(Base):
    """A shop customer."""

    __tablename__ = "shop_customers"
    __table_args__ = (
        _one_of("tier", CustomerTier),
        CheckConstraint("complaint_count >= 0", name="complaint_count_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str] = mapped_column(String(32))
    tier: Mapped[str] = mapped_column(String(16))
    country: Mapped[str] = mapped_column(String(2))
    region: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    complaint_count: Mapped[int] = mapped_column(Integer, default=0)


class Product(Base):
    """A catalogue product; ``aliases`` is a ``|``-separated lowercase list used by search."""

    __tablename__ = "shop_products"
    __table_args__ = (
        CheckConstraint("price >= 0", name="price_non_negative"),
        CheckConstraint("stock >= 0", name="stock_non_negative"),
    )

    sku: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(160))
    category: Mapped[str] = mapped_column(String(48), index=True)
    price: Mapped[Decimal] = mapped_column(Money)
    description: Mapped[str] = mapped_column(Text, default="")
    aliases: Mapped[str] = mapped_column(Text, default="")
    stock: Mapped[int] = mapped_column(Integer, default=0)


class Order(Base):
    """An order; numbers start at 1001."""

    __tablename__ = "shop_orders"
    __table_args__ = (
        _one_of("status", OrderStatus),
        CheckConstraint("total >= 0", name="total_non_negative"),
        Index("ix_shop_orders_customer_id_created_at", "customer_id", "created_at"),
        Index("ix_shop_orders_status_updated_at", "status", "updated_at"),
        {"sqlite_autoincrement": True},  # the migration starts SQLite's counter at 1001 too
    )

    id: Mapped[int] = mapped_column(Integer, Identity(start=FIRST_ORDER_ID), primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("shop_customers.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[Decimal] = mapped_column(Money)
    ship_line1: Mapped[str] = mapped_column(String(200))
    ship_city: Mapped[str] = mapped_column(String(100))
    ship_postcode: Mapped[str] = mapped_column(String(16))
    ship_country: Mapped[str] = mapped_column(String(2))

    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderItem.id"
    )
    shipment: Mapped[Shipment | None] = relationship(
        back_populates="order", cascade="all, delete-orphan"
    )


class OrderItem(Base):
    """One product line of an order, priced at the time of ordering."""

    __tablename__ = "shop_order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "sku"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_orders.id", ondelete="CASCADE"))
    sku: Mapped[str] = mapped_column(
        ForeignKey("shop_products.sku", ondelete="RESTRICT"), index=True
    )
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Money)

    order: Mapped[Order] = relationship(back_populates="items")
    product: Mapped[Product] = relationship(lazy="joined")


class Shipment(Base):
    """The parcel of an order; ``eta`` already includes ``delay_days``."""

    __tablename__ = "shop_shipments"
    __table_args__ = (CheckConstraint("delay_days >= 0", name="delay_days_non_negative"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_orders.id", ondelete="CASCADE"), unique=True
    )
    carrier: Mapped[str] = mapped_column(String(32), index=True)
    tracking_number: Mapped[str] = mapped_column(String(40), unique=True)
    shipped_at: Mapped[datetime] = mapped_column(UTCDateTime())
    eta: Mapped[date] = mapped_column(Date)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    delay_days: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="shipment")


class ReturnRequest(Base):
    """A return merchandise authorisation (RMA) for some units of one order line."""

    __tablename__ = "shop_returns"
    __table_args__ = (
        _one_of("status", ReturnStatus),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refund_amount >= 0", name="refund_amount_non_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rma_code: Mapped[str] = mapped_column(String(16), unique=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_orders.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(ForeignKey("shop_products.sku", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    refund_amount: Mapped[Decimal] = mapped_column(Money)


class Refund(Base):
    """Money paid back for an order, optionally for one return."""

    __tablename__ = "shop_refunds"
    __table_args__ = (
        _one_of("status", RefundStatus),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("shop_orders.id", ondelete="CASCADE"), index=True
    )
    return_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_returns.id", ondelete="SET NULL"), index=True, nullable=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ComplaintCase(Base):
    """A customer complaint, about one order or the shop in general."""

    __tablename__ = "shop_complaints"
    __table_args__ = (
        _one_of("status", ComplaintStatus),
        Index("ix_shop_complaints_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("shop_customers.id", ondelete="CASCADE"), index=True
    )
    order_id: Mapped[int | None] = mapped_column(
        ForeignKey("shop_orders.id", ondelete="SET NULL"), index=True, nullable=True
    )
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


SHOP_TABLES_CHILD_FIRST = tuple(
    table_of(model)
    for model in (
        ComplaintCase,
        Refund,
        ReturnRequest,
        Shipment,
        OrderItem,
        Order,
        Customer,
        Product,
    )
)
