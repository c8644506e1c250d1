"""``calmdesk seed``: fill the app database with the demo shop.

Seeding **replaces** the shop: in one transaction every shop table is emptied and refilled from
the generator, so reseeding never duplicates anything and the same seed (and ``now``) always
gives the same rows. Pass ``replace=False`` to leave a shop that already has customers alone.
Run the migrations first (:func:`bot.db.upgrade_database`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.db.base import table_of, utcnow
from bot.shop.catalogue import Catalogue, load_catalogue
from bot.shop.models import (
    FIRST_ORDER_ID,
    SHOP_TABLES_CHILD_FIRST,
    ComplaintCase,
    Customer,
    Order,
    OrderItem,
    Product,
    Refund,
    ReturnRequest,
    Shipment,
)
from bot.shop.seed_orders import generate_shop_rows

ProgressCallback = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` while a step inserts its rows."""

CHUNK_ROWS = 1000
FIRST_IDS = {table_of(Order).name: FIRST_ORDER_ID}


@dataclass(frozen=True, slots=True)
class SeedReport:
    """How many rows each shop table holds after seeding."""

    products: int
    customers: int
    orders: int
    order_items: int
    shipments: int
    returns: int
    refunds: int
    complaints: int
    status_counts: dict[str, int]
    skipped: bool = False


def seed_demo_shop(
    session_factory: sessionmaker[Session],
    *,
    seed: int = 42,
    customers: int = 220,
    orders: int = 1200,
    catalogue: Catalogue | Path | None = None,
    now: datetime | None = None,
    replace: bool = True,
    progress: ProgressCallback | None = None,
) -> SeedReport:
    """Fill the shop tables with deterministic demo data.

    Args:
        session_factory: Sessions on a database migrated to head.
        seed: Seed of the random generator; the same seed gives the same shop.
        customers: How many customers to create.
        orders: How many orders to create, spread over the 120 days before ``now`` and over
            every status.
        catalogue: The catalogue or the path of its YAML; the package's ``catalogue.yml`` when
            omitted.
        now: The moment the data is generated for (aware); the current time when omitted.
        replace: Empty the shop tables first (default). When false and the shop already has
            customers, nothing is written and the report has ``skipped=True``.
        progress: Optional callback ``(step, done, total)``, e.g. to drive a progress bar.

    Returns:
        The row counts after seeding.

    Raises:
        CatalogueError: The catalogue file is missing or invalid.
        ValueError: ``customers`` is below 1, ``orders`` is negative or ``now`` is naive.
    """
    if now is not None and now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    with session_factory.begin() as session:
        if not replace and session.scalar(select(func.count()).select_from(Customer)):
            return _report(session, skipped=True)
    if not isinstance(catalogue, Catalogue):
        catalogue = load_catalogue(catalogue)
    rows = generate_shop_rows(
        catalogue, seed=seed, customers=customers, orders=orders, now=now or utcnow()
    )
    steps: Sequence[tuple[str, Table, list[dict[str, Any]]]] = (
        ("products", table_of(Product), rows.products),
        ("customers", table_of(Customer), rows.customers),
        ("orders", table_of(Order), rows.orders),
        ("order items", table_of(OrderItem), rows.order_items),
        ("shipments", table_of(Shipment), rows.shipments),
        ("returns", table_of(ReturnRequest), rows.returns),
        ("refunds", table_of(Refund), rows.refunds),
        ("complaints", table_of(ComplaintCase), rows.complaints),
    )
    with session_factory.begin() as session:
        clear_shop(session)
        for step, table, step_rows in steps:
            _insert(session, step, table, step_rows, progress)
        _sync_id_sequences(session)
        return _report(session)


def clear_shop(session: Session) -> None:
    """Delete every row of every shop table (children first), inside the caller's transaction."""
    for table in SHOP_TABLES_CHILD_FIRST:
        session.execute(delete(table))


def _insert(
    session: Session,
    step: str,
    table: Table,
    rows: list[dict[str, Any]],
    progress: ProgressCallback | None,
) -> None:
    if progress:
        progress(step, 0, len(rows))
    for start in range(0, len(rows), CHUNK_ROWS):
        chunk = rows[start : start + CHUNK_ROWS]
        session.execute(insert(table), chunk)
        if progress:
            progress(step, start + len(chunk), len(rows))


def _sync_id_sequences(session: Session) -> None:
    """Move PostgreSQL's id sequences past the explicit ids the seed inserted."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in SHOP_TABLES_CHILD_FIRST:
        if "id" not in table.c:
            continue
        first = FIRST_IDS.get(table.name, 1)
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE(MAX(id) + 1, {first}), false) FROM {table.name}"
            )
        )


def _count(session: Session, table: Table) -> int:
    return session.scalar(select(func.count()).select_from(table)) or 0


def _report(session: Session, *, skipped: bool = False) -> SeedReport:
    statuses = session.execute(select(Order.status, func.count()).group_by(Order.status))
    return SeedReport(
        products=_count(session, table_of(Product)),
        customers=_count(session, table_of(Customer)),
        orders=_count(session, table_of(Order)),
        order_items=_count(session, table_of(OrderItem)),
        shipments=_count(session, table_of(Shipment)),
        returns=_count(session, table_of(ReturnRequest)),
        refunds=_count(session, table_of(Refund)),
        complaints=_count(session, table_of(ComplaintCase)),
        status_counts={status: count for status, count in statuses},
        skipped=skipped,
    )
