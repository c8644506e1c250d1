"""Changes to undispatched orders (cancel, re-address, change items) inside a transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.shop.addresses import normalise_address
from bot.shop.domain import (
    ADDRESS_CHANGE_STATUSES,
    CANCELLABLE_STATUSES,
    ITEM_CHANGE_STATUSES,
    Address,
    OrderStatus,
    RefundStatus,
    to_money,
)
from bot.shop.errors import (
    AddressChangeNotAllowed,
    InvalidOrderItems,
    OrderItemsChangeNotAllowed,
    OrderNotCancellable,
    ProductNotFound,
)
from bot.shop.models import Order, OrderItem, Product, Refund
from bot.shop.sql_queries import adjust_stock, refunded_total


def validate_quantities(quantities: Mapping[str, int], max_quantity: int) -> dict[str, int]:
    """Check requested quantities before any row is touched.

    Returns:
        The quantities keyed by normalised (stripped, upper-case) SKU.

    Raises:
        InvalidOrderItems: No changes, a SKU given twice, or a quantity that is not a whole
            number in range.
    """
    if not quantities:
        raise InvalidOrderItems("no item changes given")
    normalised = {sku.strip().upper(): quantity for sku, quantity in quantities.items()}
    if len(normalised) != len(quantities):
        raise InvalidOrderItems("a product is listed twice")
    for sku, quantity in normalised.items():
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise InvalidOrderItems(f"{sku}: the quantity must be a whole number")
        if not 0 <= quantity <= max_quantity:
            raise InvalidOrderItems(f"{sku}: the quantity must be 0 to {max_quantity}")
    return normalised


def cancel(session: Session, order: Order, *, reason: str, now: datetime) -> None:
    """Cancel an order, put its units back in stock and refund what was paid.

    Raises:
        OrderNotCancellable: The order is shipped, delayed, delivered, returned or cancelled.
    """
    status = OrderStatus(order.status)
    if status not in CANCELLABLE_STATUSES:
        raise OrderNotCancellable(order.id, status)
    if status is not OrderStatus.PENDING:
        remaining = to_money(order.total) - refunded_total(session, order.id)
        if remaining > 0:
            note = " ".join(reason.split())
            session.add(
                Refund(
                    order_id=order.id,
                    amount=remaining,
                    status=RefundStatus.PENDING,
                    reason=f"order cancelled: {note}" if note else "order cancelled",
                    created_at=now,
                )
            )
    for item in order.items:
        adjust_stock(session, item.sku, item.quantity)
    order.status = OrderStatus.CANCELLED
    order.updated_at = now


def readdress(order: Order, address: Address, *, now: datetime) -> None:
    """Send an undispatched order to a new, validated address.

    Raises:
        AddressChangeNotAllowed: The order has left the warehouse.
        InvalidAddress: A field of the address is invalid.
    """
    if order.status not in ADDRESS_CHANGE_STATUSES:
        raise AddressChangeNotAllowed(order.id, order.status)
    clean = normalise_address(address)
    order.ship_line1 = clean.line1
    order.ship_city = clean.city
    order.ship_postcode = clean.postcode
    order.ship_country = clean.country
    order.updated_at = now


def set_quantities(
    session: Session, order: Order, quantities: Mapping[str, int], *, now: datetime
) -> None:
    """Set product quantities on a pending or paid order and recompute its total.

    New products are priced as they are now. A paid order that gets cheaper gets a pending
    refund of the difference; one that gets dearer is charged by the payment provider.

    Raises:
        OrderItemsChangeNotAllowed: The order is packed or further along.
        InvalidOrderItems: The change would leave the order empty.
        ProductNotFound: A new SKU is not in the catalogue.
        OutOfStock: Not enough units for an increase.
    """
    if order.status not in ITEM_CHANGE_STATUSES:
        raise OrderItemsChangeNotAllowed(order.id, order.status)
    lines = {item.sku: item for item in order.items}
    resulting = {sku: line.quantity for sku, line in lines.items()} | dict(quantities)
    if not any(resulting.values()):
        raise InvalidOrderItems("an order needs at least one item; cancel it instead")
    old_total = to_money(order.total)
    for sku, quantity in sorted(quantities.items()):
        line = lines.get(sku)
        if line is None and quantity > 0:
            product = session.get(Product, sku)
            if product is None:
                raise ProductNotFound(sku)
            adjust_stock(session, sku, -quantity)
            order.items.append(
                OrderItem(product=product, quantity=quantity, unit_price=product.price)
            )
        elif line is not None:
            adjust_stock(session, sku, line.quantity - quantity)
            if quantity == 0:
                order.items.remove(line)
            else:
                line.quantity = quantity
    session.flush()
    order.total = to_money(sum((i.unit_price * i.quantity for i in order.items), Decimal()))
    if order.status == OrderStatus.PAID and order.total < old_total:
        session.add(
            Refund(
                order_id=order.id,
                amount=old_total - order.total,
                status=RefundStatus.PENDING,
                reason="items removed from order",
                created_at=now,
            )
        )
    order.updated_at = now
