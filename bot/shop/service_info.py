"""What the shop tells customers besides order data: delivery options and invoice links.

These are shop policy, not rows: a real commerce backend would answer them from its own
configuration, so they stay plain functions next to the :class:`~bot.shop.store.ShopStore`.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from decimal import Decimal

from bot.shop.domain import OrderInfo, OrderStatus

INVOICE_BASE_URL = "https://shop.example.com/account/invoices"
FREE_SHIPPING_THRESHOLD = Decimal("50.00")
INVOICE_STATUSES = frozenset(set(OrderStatus) - {OrderStatus.PENDING, OrderStatus.CANCELLED})


@dataclass(frozen=True, slots=True)
class DeliveryOption:
    """A shipping option offered at checkout."""

    name: str
    price: Decimal
    business_days: str
    note: str = ""


DELIVERY_OPTIONS: tuple[DeliveryOption, ...] = (
    DeliveryOption("Standard", Decimal("4.95"), "3-5", "free on orders over $50"),
    DeliveryOption("Express", Decimal("9.95"), "1-2"),
    DeliveryOption("Next-day", Decimal("14.95"), "1", "order before 2 pm on a business day"),
    DeliveryOption("Click & collect", Decimal("0.00"), "2-4", "pick up at a partner store"),
)

PAYMENT_METHODS: tuple[str, ...] = (
    "Visa, Mastercard and American Express",
    "PayPal",
    "Apple Pay and Google Pay",
    "Klarna (pay in 3 instalments)",
    "shop gift cards",
)


def describe_delivery_options() -> str:
    """Return the delivery options as one line each (name, price, time, note)."""
    lines = []
    for option in DELIVERY_OPTIONS:
        price = "free" if option.price == 0 else f"${option.price}"
        note = f" ({option.note})" if option.note else ""
        lines.append(f"- {option.name}: {price}, {option.business_days} business days{note}")
    return "\n".join(lines)


def invoice_link(order: OrderInfo, secret: str = "calmdesk-demo") -> str | None:
    """Return a signed download link for an order's invoice, or ``None`` before payment.

    Args:
        order: The order (pending and cancelled orders have no invoice).
        secret: Key of the link's signature, so links cannot be guessed from order numbers.

    Returns:
        The URL, or ``None`` when the order has no invoice.
    """
    if order.status not in INVOICE_STATUSES:
        return None
    message = f"{order.id}:{order.customer_id}".encode()
    signature = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:16]
    return f"{INVOICE_BASE_URL}/{order.id}.pdf?sig={signature}"
