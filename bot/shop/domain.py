"""Typed values the shop store hands out: enums, frozen records and the returns policy.

These are what callers (actions, the console, the CLI) see; ORM objects never leave the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Return ``value`` as a Decimal rounded half-up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


class CustomerTier(StrEnum):
    """How valued a customer is; drives remedies and escalation thresholds."""

    VIP = "vip"
    REGULAR = "regular"
    NEW = "new"


class OrderStatus(StrEnum):
    """Where an order is in its life."""

    PENDING = "pending"
    PAID = "paid"
    PACKED = "packed"
    SHIPPED = "shipped"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    RETURNED = "returned"
    CANCELLED = "cancelled"


NOT_DISPATCHED = frozenset({OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.PACKED})
CANCELLABLE_STATUSES = NOT_DISPATCHED
ADDRESS_CHANGE_STATUSES = NOT_DISPATCHED
ITEM_CHANGE_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.PAID})
RETURNABLE_STATUSES = frozenset({OrderStatus.DELIVERED, OrderStatus.RETURNED})
REFUNDABLE_STATUSES = frozenset(set(OrderStatus) - {OrderStatus.PENDING})


class ReturnStatus(StrEnum):
    """State of a return (RMA): approved on creation, received at the warehouse, refunded."""

    REQUESTED = "requested"
    APPROVED = "approved"
    RECEIVED = "received"
    REFUNDED = "refunded"
    REJECTED = "rejected"


class RefundStatus(StrEnum):
    """State of a refund payment."""

    PENDING = "pending"
    PROCESSING = "processing"
    PAID = "paid"


class ComplaintCategory(StrEnum):
    """What a complaint is about."""

    LATE_DELIVERY = "late_delivery"
    DAMAGED_ITEM = "damaged_item"
    WRONG_ITEM = "wrong_item"
    MISSING_ITEM = "missing_item"
    REFUND_DELAY = "refund_delay"
    BILLING = "billing"
    SERVICE = "service"
    OTHER = "other"


class ComplaintStatus(StrEnum):
    """State of a complaint case."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class ReturnPolicy:
    """The rules :meth:`ShopStore.create_return` applies.

    Attributes:
        window_days: Days after delivery during which items can be returned for a full refund.
        final_sale_categories: Product categories that can never be returned.
    """

    window_days: int = 30
    final_sale_categories: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Address:
    """A shipping address."""

    line1: str
    city: str
    postcode: str
    country: str


@dataclass(frozen=True, slots=True)
class CustomerInfo:
    """A customer of the shop."""

    id: int
    name: str
    email: str
    phone: str
    tier: CustomerTier
    country: str
    region: str
    created_at: datetime
    complaint_count: int


@dataclass(frozen=True, slots=True)
class ProductInfo:
    """A product of the catalogue with its current stock."""

    sku: str
    name: str
    category: str
    price: Decimal
    description: str
    stock: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderLine:
    """One product line of an order."""

    sku: str
    name: str
    category: str
    quantity: int
    unit_price: Decimal

    @property
    def line_total(self) -> Decimal:
        """Quantity times unit price."""
        return to_money(self.unit_price * self.quantity)


@dataclass(frozen=True, slots=True)
class ShipmentInfo:
    """The parcel of an order: carrier, tracking and dates."""

    carrier: str
    tracking_number: str
    shipped_at: datetime
    eta: date
    delivered_at: datetime | None
    delay_days: int

    @property
    def original_eta(self) -> date:
        """The ETA promised before any delay."""
        return self.eta - timedelta(days=self.delay_days)


@dataclass(frozen=True, slots=True)
class OrderInfo:
    """An order with its lines and shipment."""

    id: int
    customer_id: int
    status: OrderStatus
    created_at: datetime
    updated_at: datetime
    currency: str
    total: Decimal
    shipping_address: Address
    items: tuple[OrderLine, ...]
    shipment: ShipmentInfo | None

    @property
    def is_dispatched(self) -> bool:
        """Whether the order has left the warehouse (or was cancelled)."""
        return self.status not in NOT_DISPATCHED

    def line(self, sku: str) -> OrderLine | None:
        """Return the line for ``sku``, or ``None`` when the order has none."""
        return next((line for line in self.items if line.sku == sku), None)


@dataclass(frozen=True, slots=True)
class ReturnInfo:
    """A return merchandise authorisation (RMA)."""

    id: int
    rma_code: str
    order_id: int
    sku: str
    quantity: int
    reason: str
    status: ReturnStatus
    created_at: datetime
    refund_amount: Decimal


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """A refund of (part of) an order."""

    id: int
    order_id: int
    amount: Decimal
    status: RefundStatus
    reason: str
    created_at: datetime
    paid_at: datetime | None
    return_id: int | None


@dataclass(frozen=True, slots=True)
class ComplaintInfo:
    """A complaint case."""

    id: int
    customer_id: int
    order_id: int | None
    category: ComplaintCategory
    description: str
    status: ComplaintStatus
    created_at: datetime
