"""The app database foundation: engines, sessions, timestamps and migrations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Column, Integer, MetaData, Table, insert, inspect, select, text

from bot.db import (
    UTCDateTime,
    alembic_config,
    current_revisions,
    head_revisions,
    make_engine,
    session_factory,
    sqlite_file_path,
    upgrade_database,
)
from bot.db.models import metadata

SHOP_TABLES = {
    "shop_customers",
    "shop_products",
    "shop_orders",
    "shop_order_items",
    "shop_shipments",
    "shop_returns",
    "shop_refunds",
    "shop_complaints",
}


def test_sqlite_file_path_recognises_files_only(tmp_path: Path) -> None:
    assert sqlite_file_path(f"sqlite:///{tmp_path}/a.db") == tmp_path / "a.db"
    assert sqlite_file_path("sqlite://") is None
    assert sqlite_file_path("sqlite:///:memory:") is None
    assert sqlite_file_path("postgresql+psycopg://u@h/db") is None


def test_sqlite_engine_creates_the_directory_and_enables_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "app.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert path.parent.is_dir()
    engine.dispose()


def test_foreign_keys_are_enforced_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as connection, pytest.raises(Exception, match="FOREIGN KEY"):
        connection.execute(
            text(
                "INSERT INTO shop_order_items (order_id, sku, quantity, unit_price) "
                "VALUES (424242, 'NOPE', 1, 1.00)"
            )
        )
    engine.dispose()


def test_session_factory_keeps_objects_readable_after_commit() -> None:
    engine = make_engine("sqlite://")
    sessions = session_factory(engine)
    assert sessions.kw["expire_on_commit"] is False
    engine.dispose()


def test_utc_datetime_round_trips_aware_values() -> None:
    engine = make_engine("sqlite://")
    table = Table(
        "stamps",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("at", UTCDateTime()),
    )
    table.metadata.create_all(engine)
    plus_two = datetime(2026, 1, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    with engine.begin() as connection:
        connection.execute(insert(table), [{"id": 1, "at": plus_two}])
        stored = connection.execute(select(table.c.at)).scalar_one()
    assert stored == datetime(2026, 1, 1, 12, 0, tzinfo=UTC) and stored.tzinfo is UTC
    with engine.begin() as connection, pytest.raises(Exception, match="naive"):
        connection.execute(insert(table), [{"id": 2, "at": datetime(2026, 1, 1)}])
    engine.dispose()


def test_constraints_are_named_by_convention() -> None:
    orders = metadata.tables["shop_orders"]
    names = {constraint.name for constraint in orders.constraints}
    assert {
        "pk_shop_orders",
        "ck_shop_orders_status",
        "fk_shop_orders_customer_id_shop_customers",
    } <= names


def test_models_register_every_shop_table() -> None:
    assert set(metadata.tables) >= SHOP_TABLES


def test_upgrade_creates_all_tables_and_is_idempotent(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh' / 'app.db'}"
    assert current_revisions(url) == frozenset()
    upgrade_database(url)
    upgrade_database(url)
    assert current_revisions(url) == head_revisions()
    assert "0001_shop" not in head_revisions()  # every feature branch starts from it
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == set(metadata.tables) | {"alembic_version"}
    assert set(metadata.tables) > SHOP_TABLES
    engine.dispose()


def test_migrations_match_the_models(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []
    engine.dispose()


def test_downgrade_to_base_removes_the_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_database(url)
    command.downgrade(alembic_config(url), "base")
    engine = make_engine(url)
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    engine.dispose()
    upgrade_database(url)
    assert current_revisions(url) == head_revisions()


def test_order_numbers_start_at_1001(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO shop_customers (id, name, email, phone, tier, country, region, "
                "created_at, complaint_count) VALUES (1, 'A', 'a@example.com', '+1', 'new', "
                "'US', 'Texas', '2026-01-01 00:00:00', 0)"
            )
        )
        order_id = connection.execute(
            text(
                "INSERT INTO shop_orders (customer_id, status, created_at, updated_at, currency, "
                "total, ship_line1, ship_city, ship_postcode, ship_country) VALUES (1, 'pending', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 'USD', 0, '1 Main St', 'Austin', "
                "'78701', 'US') RETURNING id"
            )
        ).scalar_one()
    assert order_id == 1001
    engine.dispose()
