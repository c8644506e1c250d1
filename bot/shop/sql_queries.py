"""Queries shared by the SQL store's operations; each runs inside the caller's transaction."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.shop.domain import ReturnStatus, to_money
from bot.shop.errors import (
    CustomerNotFound,
    NotYourOrder,
    OrderNotFound,
    OutOfStock,
    ProductNotFound,
)
from bot.shop.models import Customer, Order, Product, Refund, ReturnRequest

RMA_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def new_rma_code(choose: Callable[[str], str] = secrets.choice) -> str:
    """Return a fresh RMA code such as ``RMA-7KQ2M9XA``.

    Args:
        choose: Picks one character of a string (``secrets.choice``, or a seeded
            ``random.Random().choice`` for reproducible data).
    """
    return "RMA-" + "".join(choose(RMA_ALPHABET) for _ in range(8))


def load_customer(session: Session, customer_id: int) -> Customer:
    """Return a customer row; raises ``CustomerNotFound``."""
    row = session.get(Customer, customer_id)
    if row is None:
        raise CustomerNotFound(customer_id)
    return row


def load_order(
    session: Session, order_id: int, customer_id: int | None, *, lock: bool = False
) -> Order:
    """Return an order row, checking its owner when ``customer_id`` is given.

    Args:
        session: The open session.
        order_id: The order number.
        customer_id: The customer acting, or ``None`` for staff.
        lock: Lock the row until the transaction ends (``SELECT ... FOR UPDATE``; a no-op on
            SQLite, whose writers are serialised anyway).

    Raises:
        OrderNotFound: No such order.
        NotYourOrder: The order belongs to another customer.
    """
    order = session.get(Order, order_id, with_for_update=True if lock else None)
    if order is None:
        raise OrderNotFound(order_id)
    if customer_id is not None and order.customer_id != customer_id:
        raise NotYourOrder(order_id, customer_id)
    return order


def refunded_total(session: Session, order_id: int) -> Decimal:
    """Return the sum of every refund of an order, whatever its status."""
    total = session.scalar(
        select(func.coalesce(func.sum(Refund.amount), 0)).where(Refund.order_id == order_id)
    )
    return to_money(total or 0)


def returned_quantity(session: Session, order_id: int, sku: str) -> int:
    """Return how many units of ``sku`` have open or completed returns on an order."""
    total = session.scalar(
        select(func.coalesce(func.sum(ReturnRequest.quantity), 0)).where(
            ReturnRequest.order_id == order_id,
            ReturnRequest.sku == sku,
            ReturnRequest.status != ReturnStatus.REJECTED,
        )
    )
    return int(total or 0)


def adjust_stock(session: Session, sku: str, delta: int) -> None:
    """Add ``delta`` units to a product's stock in one atomic UPDATE.

    Raises:
        OutOfStock: ``delta`` takes more units than are in stock.
        ProductNotFound: No such product.
    """
    if delta == 0:
        return
    statement = update(Product).where(Product.sku == sku)
    if delta < 0:
        statement = statement.where(Product.stock >= -delta)
    result = session.execute(statement.values(stock=Product.stock + delta))
    if getattr(result, "rowcount", 1) == 0:
        available = session.scalar(select(Product.stock).where(Product.sku == sku))
        if available is None:
            raise ProductNotFound(sku)
        raise OutOfStock(sku, -delta, available)


def unused_rma_code(session: Session) -> str:
    """Return an RMA code no return has yet."""
    while True:
        code = new_rma_code()
        taken = session.scalar(select(ReturnRequest.id).where(ReturnRequest.rma_code == code))
        if taken is None:
            return code
