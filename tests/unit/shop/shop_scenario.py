"""The world the shop contract tests run in: a fixed clock, two customers, the mini catalogue
and orders built on demand in any status."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, sessionmaker

from bot.shop.catalogue import load_catalogue
from bot.shop.domain import OrderStatus, ReturnPolicy
from bot.shop.models import Customer, Order, OrderItem, Product, Shipment
from bot.shop.orm_records import join_aliases
from bot.shop.sql_store import SqlShopStore

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MINI_CATALOGUE = Path(__file__).resolve().with_name("data") / "mini_catalogue.yml"
NOT_DISPATCHED = (OrderStatus.PENDING, OrderStatus.PAID, OrderStatus.PACKED)
DISPATCHED = (OrderStatus.SHIPPED, OrderStatus.DELAYED, OrderStatus.DELIVERED)


class FakeClock:
    """A clock the tests move by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class ShopScenario:
    """Two customers (Alice, Bob), the mini catalogue, and orders built on demand."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions
        self.clock = FakeClock(NOW)
        self.store = SqlShopStore(
            sessions,
            clock=self.clock,
            policy=ReturnPolicy(window_days=30, final_sale_categories=frozenset({"beauty"})),
        )
        self.catalogue = load_catalogue(MINI_CATALOGUE)
        self._next_order_id = 1001
        with sessions.begin() as session:
            session.execute(
                insert(Product),
                [
                    {
                        "sku": p.sku,
                        "name": p.name,
                        "category": p.category,
                        "price": p.price,
                        "description": p.description,
                        "aliases": join_aliases(p.aliases),
                        "stock": p.stock,
                    }
                    for p in self.catalogue.products
                ],
            )
            for customer_id, name, tier in ((1, "Alice Smith", "vip"), (2, "Bob Jones", "new")):
                session.add(
                    Customer(
                        id=customer_id,
                        name=name,
                        email=f"{name.split()[0].lower()}@example.com",
                        phone="+44 7700 900123",
                        tier=tier,
                        country="GB",
                        region="England",
                        created_at=NOW - timedelta(days=400),
                        complaint_count=0,
                    )
                )
        self.alice, self.bob = 1, 2

    def order(
        self,
        status: OrderStatus,
        *,
        customer_id: int = 1,
        items: Iterable[tuple[str, int]] = (("TEE-001", 2),),
        created_days_ago: float = 40.0,
        delivered_days_ago: float = 5.0,
    ) -> int:
        """Insert an order in ``status`` (with a parcel when dispatched); return its id."""
        order_id = self._next_order_id
        self._next_order_id += 1
        created = NOW - timedelta(days=created_days_ago)
        with self.sessions.begin() as session:
            prices = {p.sku: p.price for p in session.scalars(select(Product))}
            lines = [
                OrderItem(sku=sku, quantity=quantity, unit_price=prices[sku])
                for sku, quantity in items
            ]
            order = Order(
                id=order_id,
                customer_id=customer_id,
                status=status.value,
                created_at=created,
                updated_at=created,
                currency="USD",
                total=sum((line.unit_price * line.quantity for line in lines), Decimal()),
                ship_line1="1 Maple Street",
                ship_city="Leeds",
                ship_postcode="LS1 4AB",
                ship_country="GB",
                items=lines,
            )
            if status in (*DISPATCHED, OrderStatus.RETURNED):
                delivered = status in (OrderStatus.DELIVERED, OrderStatus.RETURNED)
                order.shipment = Shipment(
                    carrier="DPD",
                    tracking_number=f"TRK{order_id}",
                    shipped_at=created + timedelta(days=1),
                    eta=(created + timedelta(days=4)).date(),
                    delivered_at=NOW - timedelta(days=delivered_days_ago) if delivered else None,
                    delay_days=3 if status is OrderStatus.DELAYED else 0,
                )
            session.add(order)
        return order_id

    def stock(self, sku: str) -> int:
        with self.sessions() as session:
            product = session.get(Product, sku)
            assert product is not None
            return product.stock
