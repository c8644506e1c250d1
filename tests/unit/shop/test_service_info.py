"""Delivery options and invoice links (shop policy next to the store)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from bot.shop.domain import Address, OrderInfo, OrderStatus
from bot.shop.service_info import DELIVERY_OPTIONS, describe_delivery_options, invoice_link


def _order(status: OrderStatus, order_id: int = 1042, customer_id: int = 7) -> OrderInfo:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    address = Address("1 A St", "Leeds", "LS1 4AP", "GB")
    return OrderInfo(
        order_id, customer_id, status, now, now, "USD", Decimal("10.00"), address, (), None
    )


def test_delivery_options_list_every_option_with_price_and_time() -> None:
    text = describe_delivery_options()
    assert text.count("\n") == len(DELIVERY_OPTIONS) - 1
    assert "Express: $9.95, 1-2 business days" in text
    assert "Click & collect: free" in text


def test_invoice_links_exist_once_paid_and_are_signed_per_customer() -> None:
    assert invoice_link(_order(OrderStatus.PENDING)) is None
    assert invoice_link(_order(OrderStatus.CANCELLED)) is None
    link = invoice_link(_order(OrderStatus.DELIVERED))
    assert link is not None and link.startswith("https://") and "/1042.pdf?sig=" in link
    assert invoice_link(_order(OrderStatus.DELIVERED, customer_id=8)) != link
    assert invoice_link(_order(OrderStatus.DELIVERED), secret="other") != link
