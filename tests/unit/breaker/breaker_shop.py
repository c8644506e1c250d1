"""Shop rows the breaker tests need: customers 1 (regular), 2 (VIP), 3 (3 complaints), and
delayed DHL orders 1042, 1043, 1044 (6 days late), one each."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from bot.db import make_engine, session_factory
from bot.shop.models import Customer, Order, Shipment

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def add_shop_rows(url: str) -> None:
    """Insert the customers and orders into the migrated database at ``url``."""
    engine = make_engine(url)
    with session_factory(engine).begin() as session:
        for cid, tier, complaints in ((1, "regular", 0), (2, "vip", 0), (3, "regular", 3)):
            session.add(
                Customer(
                    id=cid,
                    name=f"Customer {cid}",
                    email=f"c{cid}@example.com",
                    phone="+4930000000",
                    tier=tier,
                    country="DE",
                    region="north",
                    created_at=NOW - timedelta(days=400),
                    complaint_count=complaints,
                )
            )
        for order_id, customer in ((1042, 1), (1043, 2), (1044, 3)):
            session.add(
                Order(
                    id=order_id,
                    customer_id=customer,
                    status="delayed",
                    created_at=NOW - timedelta(days=12),
                    updated_at=NOW - timedelta(days=2),
                    currency="EUR",
                    total=Decimal("59.90"),
                    ship_line1="Hauptstr. 1",
                    ship_city="Berlin",
                    ship_postcode="10115",
                    ship_country="DE",
                )
            )
            session.add(
                Shipment(
                    order_id=order_id,
                    carrier="DHL",
                    tracking_number=f"DHL{order_id}",
                    shipped_at=NOW - timedelta(days=10),
                    eta=TODAY + timedelta(days=1),
                    delivered_at=None,
                    delay_days=6,
                )
            )
    engine.dispose()
