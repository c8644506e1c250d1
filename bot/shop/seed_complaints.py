"""Deterministic complaint cases for the generated demo shop."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.shop import seed_data as data
from bot.shop.domain import ComplaintCategory, ComplaintStatus, OrderStatus
from bot.shop.seed_generate import OrderFacts, ShopGenerator

# (orders of this status, or None for complaints about no order; categories; weight)
COMPLAINT_POOLS: tuple[tuple[OrderStatus | None, tuple[ComplaintCategory, ...], int], ...] = (
    (OrderStatus.DELAYED, (ComplaintCategory.LATE_DELIVERY,), 40),
    (
        OrderStatus.DELIVERED,
        (
            ComplaintCategory.DAMAGED_ITEM,
            ComplaintCategory.WRONG_ITEM,
            ComplaintCategory.MISSING_ITEM,
        ),
        25,
    ),
    (OrderStatus.RETURNED, (ComplaintCategory.REFUND_DELAY,), 15),
    (OrderStatus.CANCELLED, (ComplaintCategory.BILLING,), 5),
    (None, (ComplaintCategory.SERVICE, ComplaintCategory.OTHER), 15),
)
GENERAL_CATEGORIES = COMPLAINT_POOLS[-1][1]


def _status(generator: ShopGenerator, created: datetime) -> ComplaintStatus:
    age = generator.now - created
    if age < timedelta(days=2):
        return ComplaintStatus.OPEN
    if age < timedelta(days=10):
        return generator.rng.choice((ComplaintStatus.OPEN, ComplaintStatus.IN_PROGRESS))
    if generator.rng.random() < 0.7:
        return ComplaintStatus.RESOLVED
    return ComplaintStatus.IN_PROGRESS


def add_complaints(generator: ShopGenerator, orders: list[OrderFacts], count: int) -> None:
    """Add ``count`` complaint cases, mostly about delayed, damaged or unrefunded orders (each
    order at most once), and count them on their customers.

    Args:
        generator: The generator whose customers are already made.
        orders: Facts about every generated order.
        count: How many complaints to add.
    """
    rng = generator.rng
    by_status: dict[OrderStatus, list[OrderFacts]] = {}
    for order in orders:
        by_status.setdefault(order.status, []).append(order)
    weights = [weight for _, _, weight in COMPLAINT_POOLS]
    customers = {row["id"]: row for row in generator.rows.customers}
    for complaint_id in range(1, count + 1):
        status, categories, _ = rng.choices(COMPLAINT_POOLS, weights=weights)[0]
        pool = by_status.get(status, []) if status is not None else []
        about = pool.pop(rng.randrange(len(pool))) if pool else None
        if about is not None:
            category = rng.choice(categories)
            created = generator.clamp(about.updated_at + generator.hours(1, 72), about.updated_at)
            customer_id = about.customer_id
        else:
            category = rng.choice(GENERAL_CATEGORIES)
            created = generator.now - timedelta(days=rng.uniform(0, 60))
            customer_id = rng.choice(generator.people).id
        text = rng.choice(data.COMPLAINT_TEMPLATES[category.value]).format(
            order=about.id if about else "",
            product=about.product if about else "",
            carrier=about.carrier if about else "",
            eta=about.original_eta.isoformat() if about and about.original_eta else "",
        )
        generator.rows.complaints.append(
            {
                "id": complaint_id,
                "customer_id": customer_id,
                "order_id": about.id if about else None,
                "category": category.value,
                "description": text,
                "status": _status(generator, created).value,
                "created_at": created,
            }
        )
        customers[customer_id]["complaint_count"] += 1
