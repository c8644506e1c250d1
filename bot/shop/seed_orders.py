"""Deterministic generation of the demo shop's orders, parcels, returns, refunds and complaints.

Every order's history is consistent with its status and with ``now``: parcels leave after the
order is placed, delivered parcels arrive before now, delayed parcels missed their original ETA,
returned orders have an RMA and a refund, and cancelled paid orders were refunded.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.shop import seed_data as data
from bot.shop.catalogue import Catalogue, CatalogueProduct
from bot.shop.domain import (
    OrderStatus,
    RefundStatus,
    ReturnStatus,
    to_money,
)
from bot.shop.models import FIRST_ORDER_ID
from bot.shop.seed_complaints import add_complaints
from bot.shop.seed_generate import (
    HISTORY_DAYS,
    OrderFacts,
    Person,
    Row,
    ShopGenerator,
    ShopRows,
    quotas,
)
from bot.shop.sql_queries import new_rma_code

STATUS_SHARES = {
    OrderStatus.PENDING: 0.06,
    OrderStatus.PAID: 0.07,
    OrderStatus.PACKED: 0.06,
    OrderStatus.SHIPPED: 0.10,
    OrderStatus.DELAYED: 0.08,
    OrderStatus.RETURNED: 0.09,
    OrderStatus.CANCELLED: 0.09,
}  # the rest (45 %) are delivered
STATUS_AGE_DAYS = {
    OrderStatus.PENDING: (0.02, 1.0),
    OrderStatus.PAID: (0.05, 2.5),
    OrderStatus.PACKED: (0.5, 3.5),
    OrderStatus.SHIPPED: (1.5, 6.0),
    OrderStatus.DELAYED: (6.0, 16.0),
    OrderStatus.DELIVERED: (7.0, float(HISTORY_DAYS)),
    OrderStatus.RETURNED: (14.0, float(HISTORY_DAYS)),
    OrderStatus.CANCELLED: (0.1, float(HISTORY_DAYS)),
}
LINE_COUNT_WEIGHTS = (55, 28, 12, 5)
QUANTITY_WEIGHTS = (80, 15, 5)
LATE_DELIVERY_SHARE = 0.12
OPEN_RETURN_SHARE = 0.08


class DemoShopGenerator(ShopGenerator):
    """Generates every shop table's rows for one seed."""

    def __init__(self, catalogue: Catalogue, rng: random.Random, now: datetime) -> None:
        super().__init__(catalogue, rng, now)
        self.facts: list[OrderFacts] = []

    def next_id(self, rows: list[Row]) -> int:
        return len(rows) + 1

    def orders(self, count: int) -> None:
        statuses = quotas(count, STATUS_SHARES, OrderStatus.DELIVERED)
        self.rng.shuffle(statuses)
        plans = sorted(
            (self.now - timedelta(days=self.rng.uniform(*STATUS_AGE_DAYS[status])), index, status)
            for index, status in enumerate(statuses)
        )
        for order_id, (created, _, status) in enumerate(plans, start=FIRST_ORDER_ID):
            self.order(order_id, created, status, self.pick_customer(created))

    def order(self, order_id: int, created: datetime, status: OrderStatus, person: Person) -> None:
        lines = self.lines(order_id)
        total = to_money(sum((line["unit_price"] * line["quantity"] for line in lines), Decimal()))
        address = person.home if self.rng.random() < 0.85 else self.address(person.country)
        carrier, original_eta = "", None
        if status is OrderStatus.PENDING:
            updated = created
        elif status is OrderStatus.PAID:
            updated = self.clamp(created + self.hours(0.02, 0.5), created)
        elif status is OrderStatus.PACKED:
            updated = self.clamp(created + self.hours(3, 30), created)
        elif status is OrderStatus.CANCELLED:
            updated = self.cancelled(order_id, created, total)
        else:
            updated, carrier, original_eta = self.dispatched(
                order_id, created, status, person, lines
            )
        self.rows.orders.append(
            {
                "id": order_id,
                "customer_id": person.id,
                "status": status.value,
                "created_at": created,
                "updated_at": updated,
                "currency": self.catalogue.currency,
                "total": total,
                "ship_line1": address.line1,
                "ship_city": address.city,
                "ship_postcode": address.postcode,
                "ship_country": address.country,
            }
        )
        product = self.catalogue.product(lines[0]["sku"])
        self.facts.append(
            OrderFacts(
                order_id,
                person.id,
                status,
                updated,
                product.name if product else lines[0]["sku"],
                carrier,
                original_eta,
            )
        )

    def lines(self, order_id: int) -> list[Row]:
        count = self.rng.choices((1, 2, 3, 4), weights=LINE_COUNT_WEIGHTS)[0]
        products: list[CatalogueProduct] = self.rng.sample(self.catalogue.products, count)
        lines = []
        for product in products:
            line = {
                "id": self.next_id(self.rows.order_items),
                "order_id": order_id,
                "sku": product.sku,
                "quantity": self.rng.choices((1, 2, 3), weights=QUANTITY_WEIGHTS)[0],
                "unit_price": product.price,
            }
            self.rows.order_items.append(line)
            lines.append(line)
        return lines

    def cancelled(self, order_id: int, created: datetime, total: Decimal) -> datetime:
        cancelled_at = self.clamp(created + self.hours(0.1, 30), created)
        if self.rng.random() < 0.6 and total > 0:  # it had been paid
            self.refund(
                order_id,
                total,
                created=cancelled_at,
                reason=f"order cancelled: {self.rng.choice(data.CANCEL_REASONS)}",
                paid=self.now - cancelled_at > timedelta(days=3),
            )
        return cancelled_at

    def dispatched(
        self,
        order_id: int,
        created: datetime,
        status: OrderStatus,
        person: Person,
        lines: list[Row],
    ) -> tuple[datetime, str, date | None]:
        carrier = self.rng.choice(person.country.carriers)
        shipped_at = self.clamp(created + self.hours(6, 40), created)
        transit = timedelta(days=self.rng.randint(*data.CARRIER_TRANSIT_DAYS[carrier]))
        original_eta = shipped_at.date() + transit
        today = self.now.date()
        delay, delivered_at, updated = 0, None, shipped_at
        if status is OrderStatus.SHIPPED:
            original_eta = max(original_eta, today + timedelta(days=self.rng.randint(0, 2)))
        elif status is OrderStatus.DELAYED:
            original_eta = min(original_eta, today - timedelta(days=1))
            delay = self.rng.randint(1, 10)
            updated = self.clamp(self.day_time(original_eta), shipped_at)
        else:
            if self.rng.random() < LATE_DELIVERY_SHARE:
                delay = self.rng.randint(1, 5)
            arrival = self.day_time(original_eta + timedelta(days=delay))
            delivered_at = self.clamp(arrival, shipped_at + timedelta(hours=4))
            updated = self.after_delivery(order_id, status, delivered_at, lines)
        self.rows.shipments.append(
            {
                "id": self.next_id(self.rows.shipments),
                "order_id": order_id,
                "carrier": carrier,
                "tracking_number": self.unique(
                    self.tracking_numbers, lambda: data.tracking_number(self.rng, carrier)
                ),
                "shipped_at": shipped_at,
                "eta": original_eta + timedelta(days=delay),
                "delivered_at": delivered_at,
                "delay_days": delay,
            }
        )
        return updated, carrier, original_eta

    def after_delivery(
        self, order_id: int, status: OrderStatus, delivered_at: datetime, lines: list[Row]
    ) -> datetime:
        """Add the returns of a delivered or returned order; return its last change."""
        if status is OrderStatus.DELIVERED:
            in_window = self.now - delivered_at < timedelta(days=25)
            if in_window and self.rng.random() < OPEN_RETURN_SHARE:
                opened = self.clamp(delivered_at + self.hours(6, 120), delivered_at)
                self.rma(order_id, self.rng.choice(lines), ReturnStatus.APPROVED, opened)
                return opened
            return delivered_at
        latest_start = min(delivered_at + timedelta(days=25), self.now - timedelta(hours=12))
        opened = delivered_at + (latest_start - delivered_at) * self.rng.uniform(0.05, 1.0)
        returned = lines if self.rng.random() < 0.25 else [self.rng.choice(lines)]
        updated = opened
        for line in returned:
            received = self.clamp(opened + self.hours(48, 200), opened)
            refunded = self.rng.random() < 0.6 and self.now - received > timedelta(days=1)
            status_of_rma = ReturnStatus.REFUNDED if refunded else ReturnStatus.RECEIVED
            rma = self.rma(order_id, line, status_of_rma, opened)
            updated = max(
                updated,
                self.refund(
                    order_id,
                    rma["refund_amount"],
                    created=received,
                    reason=f"return {rma['rma_code']}",
                    paid=refunded,
                    return_id=rma["id"],
                ),
            )
        return updated

    def rma(self, order_id: int, line: Row, status: ReturnStatus, created: datetime) -> Row:
        row = {
            "id": self.next_id(self.rows.returns),
            "rma_code": self.unique(self.rma_codes, lambda: new_rma_code(self.rng.choice)),
            "order_id": order_id,
            "sku": line["sku"],
            "quantity": line["quantity"],
            "reason": self.rng.choice(data.RETURN_REASONS),
            "status": status.value,
            "created_at": created,
            "refund_amount": to_money(line["unit_price"] * line["quantity"]),
        }
        self.rows.returns.append(row)
        return row

    def refund(
        self,
        order_id: int,
        amount: Decimal,
        *,
        created: datetime,
        reason: str,
        paid: bool,
        return_id: int | None = None,
    ) -> datetime:
        """Add a refund; return when it last changed."""
        paid_at = self.clamp(created + self.hours(24, 120), created) if paid else None
        status = (
            RefundStatus.PAID
            if paid
            else self.rng.choice((RefundStatus.PENDING, RefundStatus.PROCESSING))
        )
        self.rows.refunds.append(
            {
                "id": self.next_id(self.rows.refunds),
                "order_id": order_id,
                "return_id": return_id,
                "amount": amount,
                "status": status.value,
                "reason": reason,
                "created_at": created,
                "paid_at": paid_at,
            }
        )
        return paid_at or created


def generate_shop_rows(
    catalogue: Catalogue, *, seed: int, customers: int, orders: int, now: datetime
) -> ShopRows:
    """Generate every shop row for ``seed``; the same arguments always give the same rows.

    Args:
        catalogue: The products to sell.
        seed: Seed of the ``random.Random`` everything is drawn from.
        customers: How many customers (at least 1).
        orders: How many orders, placed over the 120 days before ``now``.
        now: The moment the data describes (aware datetime).

    Returns:
        The rows of every shop table, with explicit ids; order numbers start at 1001.
    """
    if customers < 1:
        raise ValueError("the demo shop needs at least one customer")
    if orders < 0:
        raise ValueError("the number of orders cannot be negative")
    generator = DemoShopGenerator(catalogue, random.Random(seed), now)
    generator.products()
    generator.customers(customers)
    generator.orders(orders)
    add_complaints(generator, generator.facts, orders // 30 + 3)
    return generator.rows
