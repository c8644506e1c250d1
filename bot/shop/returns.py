"""The returns and refunds policy applied to order rows inside a transaction."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from bot.shop.domain import (
    RETURNABLE_STATUSES,
    OrderStatus,
    RefundStatus,
    ReturnPolicy,
    ReturnStatus,
    to_money,
)
from bot.shop.errors import RefundNotAllowed, ReturnNotAllowed, ReturnRefusal
from bot.shop.models import Order, OrderItem, Refund, ReturnRequest
from bot.shop.sql_queries import refunded_total, returned_quantity, unused_rma_code

NOT_REFUNDABLE_STATUSES = frozenset({OrderStatus.PENDING, OrderStatus.CANCELLED})


def returnable_line(
    session: Session,
    order: Order,
    sku: str,
    quantity: int,
    *,
    policy: ReturnPolicy,
    now: datetime,
) -> OrderItem:
    """Return the order line ``quantity`` units of ``sku`` may be returned from.

    Raises:
        ReturnNotAllowed: Not delivered, outside the window, not in the order, final sale,
            already returned, or more units than remain.
    """
    delivered_at = order.shipment.delivered_at if order.shipment is not None else None
    if order.status not in RETURNABLE_STATUSES or delivered_at is None:
        raise ReturnNotAllowed(order.id, ReturnRefusal.NOT_DELIVERED, order.status)
    if now - delivered_at > timedelta(days=policy.window_days):
        detail = f"delivered {delivered_at.date().isoformat()}"
        raise ReturnNotAllowed(order.id, ReturnRefusal.WINDOW_EXPIRED, detail)
    line = next((item for item in order.items if item.sku == sku), None)
    if line is None:
        raise ReturnNotAllowed(order.id, ReturnRefusal.ITEM_NOT_IN_ORDER, sku)
    if line.product.category in policy.final_sale_categories:
        raise ReturnNotAllowed(order.id, ReturnRefusal.FINAL_SALE, line.product.category)
    if quantity < 1:
        raise ReturnNotAllowed(order.id, ReturnRefusal.INVALID_QUANTITY, str(quantity))
    already = returned_quantity(session, order.id, sku)
    if already >= line.quantity:
        raise ReturnNotAllowed(order.id, ReturnRefusal.ALREADY_RETURNED, sku)
    if already + quantity > line.quantity:
        detail = f"only {line.quantity - already} of {sku} can still be returned"
        raise ReturnNotAllowed(order.id, ReturnRefusal.INVALID_QUANTITY, detail)
    return line


def add_return(
    session: Session,
    order: Order,
    sku: str,
    quantity: int,
    *,
    reason: str,
    policy: ReturnPolicy,
    now: datetime,
) -> ReturnRequest:
    """Add an approved RMA refunding the full price of the returned units (see
    :func:`returnable_line` for when it is refused). The order keeps its status until the
    parcel is received."""
    line = returnable_line(session, order, sku, quantity, policy=policy, now=now)
    rma = ReturnRequest(
        rma_code=unused_rma_code(session),
        order_id=order.id,
        sku=sku,
        quantity=quantity,
        reason=" ".join(reason.split()) or "unspecified",
        status=ReturnStatus.APPROVED,
        created_at=now,
        refund_amount=to_money(line.unit_price * quantity),
    )
    session.add(rma)
    order.updated_at = now
    session.flush()
    return rma


def add_refund(
    session: Session,
    order: Order,
    amount: Decimal,
    *,
    reason: str,
    now: datetime,
    return_id: int | None = None,
) -> Refund:
    """Add a pending refund of ``amount`` (rounded to cents) to a paid order.

    Raises:
        RefundNotAllowed: The amount is not positive, the order was never paid or is cancelled
            (cancelling refunds it already), the return is another order's, or the amount is
            more than what remains refundable.
    """
    amount = to_money(amount)
    if amount <= 0:
        raise RefundNotAllowed(order.id, "the amount must be positive")
    if order.status in NOT_REFUNDABLE_STATUSES:
        raise RefundNotAllowed(order.id, f"the order is {order.status}")
    if return_id is not None:
        rma = session.get(ReturnRequest, return_id)
        if rma is None or rma.order_id != order.id:
            raise RefundNotAllowed(order.id, f"return {return_id} is not for this order")
    remaining = to_money(order.total) - refunded_total(session, order.id)
    if amount > remaining:
        raise RefundNotAllowed(order.id, f"only {remaining} {order.currency} remains refundable")
    refund = Refund(
        order_id=order.id,
        return_id=return_id,
        amount=amount,
        status=RefundStatus.PENDING,
        reason=" ".join(reason.split()),
        created_at=now,
    )
    session.add(refund)
    session.flush()
    return refund
