"""The shop store, its migrations and the seed on PostgreSQL (skipped without a server)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import current_revisions, head_revisions, make_engine, session_factory, upgrade_database
from bot.db.models import metadata
from bot.shop.models import SHOP_TABLES_CHILD_FIRST, Customer, Order
from bot.shop.seed import seed_demo_shop
from tests.unit.shop.shop_contract import ShopStoreContract
from tests.unit.shop.shop_scenario import NOW

pytestmark = pytest.mark.integration


def _dump(sessions: sessionmaker[Session]) -> dict[str, list[tuple[object, ...]]]:
    with sessions() as session:
        return {
            table.name: sorted(tuple(row) for row in session.execute(select(table)).all())
            for table in SHOP_TABLES_CHILD_FIRST
        }


def _insert_customer_and_order(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Insert a customer and an order without ids; return the ids the database chose."""
    with sessions.begin() as session:
        customer_id = session.execute(
            insert(Customer).returning(Customer.id),
            {
                "name": "New Person",
                "email": "new.person@example.com",
                "phone": "+1 202 555 0100",
                "tier": "new",
                "country": "US",
                "region": "Texas",
                "created_at": NOW,
            },
        ).scalar_one()
        order_id = session.execute(
            insert(Order).returning(Order.id),
            {
                "customer_id": customer_id,
                "status": "pending",
                "created_at": NOW,
                "updated_at": NOW,
                "currency": "USD",
                "total": 0,
                "ship_line1": "1 Main St",
                "ship_city": "Austin",
                "ship_postcode": "78701",
                "ship_country": "US",
            },
        ).scalar_one()
    return customer_id, order_id


class TestPostgresShopStore(ShopStoreContract):
    """Runs every contract test against PostgreSQL."""


def test_upgrade_creates_every_table_and_is_idempotent(
    new_schema_url: Callable[[], str],
) -> None:
    url = new_schema_url()
    assert current_revisions(url) == frozenset()
    upgrade_database(url)
    upgrade_database(url)
    assert current_revisions(url) == head_revisions()
    engine = make_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert tables == set(metadata.tables) | {"alembic_version"}
        assert {table.name for table in SHOP_TABLES_CHILD_FIRST} < tables
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
        assert _insert_customer_and_order(session_factory(engine)) == (1, 1001)
    finally:
        engine.dispose()


def test_seed_matches_sqlite_and_leaves_sequences_usable(
    postgres_sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    report = seed_demo_shop(postgres_sessions, now=NOW)
    assert report.orders == 1200 and report.customers == 220
    assert seed_demo_shop(postgres_sessions, now=NOW) == report

    sqlite_url = f"sqlite:///{tmp_path / 'shop.db'}"
    upgrade_database(sqlite_url)
    sqlite_engine = make_engine(sqlite_url)
    try:
        sqlite_sessions = session_factory(sqlite_engine)
        seed_demo_shop(sqlite_sessions, now=NOW)
        assert _dump(postgres_sessions) == _dump(sqlite_sessions)
    finally:
        sqlite_engine.dispose()

    assert _insert_customer_and_order(postgres_sessions) == (221, 2201)


def test_timestamps_come_back_aware(postgres_sessions: sessionmaker[Session]) -> None:
    seed_demo_shop(postgres_sessions, customers=5, orders=20, now=NOW)
    with postgres_sessions() as session:
        created: datetime = session.scalars(select(Order.created_at)).first()  # type: ignore[assignment]
    assert created.utcoffset() is not None and created.utcoffset().total_seconds() == 0
