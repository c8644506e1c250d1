"""The shop store over the app database (SQLite or PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from bot.db.base import utcnow
from bot.shop import order_changes, returns
from bot.shop import orm_records as records
from bot.shop.domain import (
    Address,
    ComplaintCategory,
    ComplaintInfo,
    ComplaintStatus,
    CustomerInfo,
    OrderInfo,
    ProductInfo,
    RefundInfo,
    ReturnInfo,
    ReturnPolicy,
)
from bot.shop.errors import InvalidComplaint, ProductNotFound
from bot.shop.models import (
    ComplaintCase,
    Customer,
    Order,
    OrderItem,
    Product,
    Refund,
    ReturnRequest,
)
from bot.shop.sql_queries import load_customer, load_order

MAX_COMPLAINT_CHARS = 4000
MAX_SEARCH_WORDS = 8


class SqlShopStore:
    """:class:`~bot.shop.store.ShopStore` over SQLAlchemy, one transaction per call.

    Args:
        sessions: The app database's session factory (:func:`bot.db.session_factory`).
        policy: The returns policy; 30 days and no final-sale categories by default.
        clock: Returns the current aware UTC time (tests pass a fixed clock).
        max_quantity: The most units of one product an order line may hold.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        policy: ReturnPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
        max_quantity: int = 10,
    ) -> None:
        self._sessions = sessions
        self._policy = policy or ReturnPolicy()
        self._clock = clock
        self._max_quantity = max_quantity

    @property
    def policy(self) -> ReturnPolicy:
        """The returns policy in force."""
        return self._policy

    def get_customer(self, customer_id: int) -> CustomerInfo:
        """Return a customer; raises ``CustomerNotFound``."""
        with self._sessions() as session:
            return records.customer_info(load_customer(session, customer_id))

    def find_customer_by_email(self, email: str) -> CustomerInfo | None:
        """Return the customer with this email (case-insensitive), or ``None``."""
        normalised = email.strip().lower()
        if not normalised:
            return None
        with self._sessions() as session:
            row = session.scalar(select(Customer).where(Customer.email == normalised))
            return records.customer_info(row) if row is not None else None

    def get_order(self, order_id: int, *, customer_id: int | None = None) -> OrderInfo:
        """Return an order with items and shipment; raises ``OrderNotFound``/``NotYourOrder``."""
        with self._sessions() as session:
            return records.order_info(load_order(session, order_id, customer_id))

    def list_orders_for_customer(self, customer_id: int, *, limit: int = 20) -> list[OrderInfo]:
        """Return a customer's orders, newest first; raises ``CustomerNotFound``."""
        with self._sessions() as session:
            load_customer(session, customer_id)
            rows = session.scalars(
                select(Order)
                .where(Order.customer_id == customer_id)
                .order_by(Order.created_at.desc(), Order.id.desc())
                .limit(max(limit, 0))
                .options(
                    selectinload(Order.items).joinedload(OrderItem.product),
                    selectinload(Order.shipment),
                )
            )
            return [records.order_info(row) for row in rows]

    def cancel_order(
        self, order_id: int, *, customer_id: int | None, reason: str = ""
    ) -> OrderInfo:
        """Cancel an undispatched order, restock it and refund what was paid."""
        with self._sessions.begin() as session:
            order = load_order(session, order_id, customer_id, lock=True)
            order_changes.cancel(session, order, reason=reason, now=self._clock())
            session.flush()
            return records.order_info(order)

    def change_shipping_address(
        self, order_id: int, address: Address, *, customer_id: int | None
    ) -> OrderInfo:
        """Change the address of an order that is still pending, paid or packed."""
        with self._sessions.begin() as session:
            order = load_order(session, order_id, customer_id, lock=True)
            order_changes.readdress(order, address, now=self._clock())
            session.flush()
            return records.order_info(order)

    def change_order_items(
        self, order_id: int, quantities: Mapping[str, int], *, customer_id: int | None
    ) -> OrderInfo:
        """Set product quantities on a pending or paid order and recompute its total."""
        wanted = order_changes.validate_quantities(quantities, self._max_quantity)
        with self._sessions.begin() as session:
            order = load_order(session, order_id, customer_id, lock=True)
            order_changes.set_quantities(session, order, wanted, now=self._clock())
            session.flush()
            return records.order_info(order)

    def create_return(
        self,
        order_id: int,
        sku: str,
        *,
        customer_id: int | None,
        reason: str,
        quantity: int = 1,
    ) -> ReturnInfo:
        """Open an approved RMA refunding the full item price, within the return window."""
        with self._sessions.begin() as session:
            order = load_order(session, order_id, customer_id, lock=True)
            rma = returns.add_return(
                session,
                order,
                sku.strip().upper(),
                quantity,
                reason=reason,
                policy=self._policy,
                now=self._clock(),
            )
            return records.return_info(rma)

    def get_returns_for_order(
        self, order_id: int, *, customer_id: int | None = None
    ) -> list[ReturnInfo]:
        """Return an order's RMAs, oldest first."""
        with self._sessions() as session:
            load_order(session, order_id, customer_id)
            rows = session.scalars(
                select(ReturnRequest)
                .where(ReturnRequest.order_id == order_id)
                .order_by(ReturnRequest.created_at, ReturnRequest.id)
            )
            return [records.return_info(row) for row in rows]

    def create_refund(
        self,
        order_id: int,
        amount: Decimal,
        *,
        customer_id: int | None,
        reason: str,
        return_id: int | None = None,
    ) -> RefundInfo:
        """Refund up to what remains refundable of a paid, not cancelled order."""
        with self._sessions.begin() as session:
            order = load_order(session, order_id, customer_id, lock=True)
            refund = returns.add_refund(
                session, order, amount, reason=reason, now=self._clock(), return_id=return_id
            )
            return records.refund_info(refund)

    def get_refunds_for_order(
        self, order_id: int, *, customer_id: int | None = None
    ) -> list[RefundInfo]:
        """Return an order's refunds, oldest first."""
        with self._sessions() as session:
            load_order(session, order_id, customer_id)
            rows = session.scalars(
                select(Refund)
                .where(Refund.order_id == order_id)
                .order_by(Refund.created_at, Refund.id)
            )
            return [records.refund_info(row) for row in rows]

    def open_complaint(
        self,
        customer_id: int,
        category: ComplaintCategory | str,
        description: str,
        *,
        order_id: int | None = None,
    ) -> ComplaintInfo:
        """Open a complaint case and add one to the customer's complaint count."""
        try:
            category = ComplaintCategory(category)
        except ValueError as error:
            raise InvalidComplaint(f"unknown complaint category {category!r}") from error
        text = " ".join(description.split())
        if not text:
            raise InvalidComplaint("a complaint needs a description")
        if len(text) > MAX_COMPLAINT_CHARS:
            raise InvalidComplaint(f"the description is over {MAX_COMPLAINT_CHARS} characters")
        with self._sessions.begin() as session:
            load_customer(session, customer_id)
            if order_id is not None:
                load_order(session, order_id, customer_id)
            complaint = ComplaintCase(
                customer_id=customer_id,
                order_id=order_id,
                category=category,
                description=text,
                status=ComplaintStatus.OPEN,
                created_at=self._clock(),
            )
            session.add(complaint)
            session.execute(
                update(Customer)
                .where(Customer.id == customer_id)
                .values(complaint_count=Customer.complaint_count + 1)
            )
            session.flush()
            return records.complaint_info(complaint)

    def search_products(self, query: str, *, limit: int = 10) -> list[ProductInfo]:
        """Find products matching every word of ``query`` in SKU, name, aliases or category.

        Words match as substrings, with a plural ``s`` dropped; exact SKU matches come first,
        then products whose names contain more of the words.
        """
        words = re.findall(r"[\w-]+", query.lower())[:MAX_SEARCH_WORDS]
        if not words or limit <= 0:
            return []
        stems = [word[:-1] if len(word) > 3 and word.endswith("s") else word for word in words]
        haystack = func.lower(
            Product.sku + " " + Product.name + " " + Product.category + " " + Product.aliases
        )
        statement = select(Product).where(
            *(haystack.contains(stem, autoescape=True) for stem in stems)
        )
        wanted_sku = query.strip().upper()

        def rank(row: Product) -> tuple[bool, int, str]:
            name = row.name.lower()
            return (row.sku != wanted_sku, -sum(stem in name for stem in stems), name)

        with self._sessions() as session:
            rows = sorted(session.scalars(statement), key=rank)[:limit]
            return [records.product_info(row) for row in rows]

    def get_product(self, sku: str) -> ProductInfo:
        """Return a product; raises ``ProductNotFound``."""
        with self._sessions() as session:
            row = session.get(Product, sku.strip().upper())
            if row is None:
                raise ProductNotFound(sku)
            return records.product_info(row)
