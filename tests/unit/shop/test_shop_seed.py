"""The demo shop seed: volume, realism, consistency with ``now``, determinism, idempotency."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, session_factory, table_of
from bot.shop.addresses import normalise_address
from bot.shop.catalogue import load_catalogue
from bot.shop.domain import Address, OrderStatus
from bot.shop.models import (
    SHOP_TABLES_CHILD_FIRST,
    ComplaintCase,
    Customer,
    Order,
    OrderItem,
    Refund,
    ReturnRequest,
    Shipment,
)
from bot.shop.seed import SeedReport, seed_demo_shop
from bot.shop.seed_data import CARRIER_TRANSIT_DAYS
from tests.unit.shop.shop_scenario import MINI_CATALOGUE, NOW

CARRIERS = {"DHL", "UPS", "FedEx", "USPS", "Royal Mail", "DPD", "Evri", "GLS"}


def _rows(sessions: sessionmaker[Session], model: Any) -> list[dict[str, Any]]:
    table = table_of(model)
    with sessions() as session:
        return [dict(row) for row in session.execute(select(table)).mappings()]


def dump(sessions: sessionmaker[Session]) -> dict[str, list[tuple[Any, ...]]]:
    """Every shop row, sorted, for comparing two databases."""
    result = {}
    with sessions() as session:
        for table in SHOP_TABLES_CHILD_FIRST:
            rows = session.execute(select(table)).all()
            result[table.name] = sorted(tuple(row) for row in rows)
    return result


@dataclass(frozen=True)
class Seeded:
    path: Path
    report: SeedReport
    steps: list[tuple[str, int, int]]


@pytest.fixture(scope="module")
def seeded(migrated_sqlite_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    """A migrated SQLite file seeded once with the default volume and the real catalogue."""
    path = tmp_path_factory.mktemp("seeded") / "shop.db"
    shutil.copyfile(migrated_sqlite_file, path)
    engine = make_engine(f"sqlite:///{path}")
    steps: list[tuple[str, int, int]] = []
    report = seed_demo_shop(
        session_factory(engine),
        now=NOW,
        progress=lambda step, done, total: steps.append((step, done, total)),
    )
    engine.dispose()
    return Seeded(path, report, steps)


@pytest.fixture
def seeded_sessions(seeded: Seeded, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Sessions on a private copy of the seeded file."""
    path = tmp_path / "copy.db"
    shutil.copyfile(seeded.path, path)
    engine = make_engine(f"sqlite:///{path}")
    yield session_factory(engine)
    engine.dispose()


def test_volume_meets_the_demo_needs(seeded: Seeded) -> None:
    report = seeded.report
    assert report.customers >= 200 and report.orders >= 1000 and report.products >= 100
    assert report.shipments > 0 and report.returns > 0 and report.refunds > 0
    assert report.complaints >= 20 and not report.skipped
    assert set(report.status_counts) == {status.value for status in OrderStatus}
    for status, count in report.status_counts.items():
        assert count >= 0.05 * report.orders, status


def test_progress_reports_every_step(seeded: Seeded) -> None:
    finals = {step: (done, total) for step, done, total in seeded.steps}
    assert list(finals) == [
        "products",
        "customers",
        "orders",
        "order items",
        "shipments",
        "returns",
        "refunds",
        "complaints",
    ]
    assert all(done == total for done, total in finals.values())
    assert finals["orders"] == (1200, 1200)


def test_customers_look_real(seeded_sessions: sessionmaker[Session]) -> None:
    customers = _rows(seeded_sessions, Customer)
    tiers = Counter(row["tier"] for row in customers)
    assert tiers == {"vip": 22, "regular": 132, "new": 66}
    emails = [row["email"] for row in customers]
    assert len(set(emails)) == len(emails)
    assert all(re.fullmatch(r"[a-z0-9.]+@example\.(com|org|net)", email) for email in emails)
    assert len({row["country"] for row in customers}) >= 6
    assert all(row["phone"].startswith("+") for row in customers)
    complaints = Counter(row["customer_id"] for row in _rows(seeded_sessions, ComplaintCase))
    assert {row["id"]: row["complaint_count"] for row in customers if row["complaint_count"]} == (
        dict(complaints)
    )


def test_orders_are_consistent_with_their_status(seeded_sessions: sessionmaker[Session]) -> None:
    orders = {row["id"]: row for row in _rows(seeded_sessions, Order)}
    customers = {row["id"]: row for row in _rows(seeded_sessions, Customer)}
    shipments = {row["order_id"]: row for row in _rows(seeded_sessions, Shipment)}
    items = Counter()
    totals: dict[int, Decimal] = {}
    for item in _rows(seeded_sessions, OrderItem):
        items[item["order_id"]] += 1
        totals[item["order_id"]] = totals.get(item["order_id"], Decimal()) + (
            item["unit_price"] * item["quantity"]
        )
    assert sorted(orders) == list(range(1001, 1001 + len(orders)))
    today = NOW.date()
    for order_id, order in orders.items():
        status = OrderStatus(order["status"])
        assert NOW - timedelta(days=120) <= order["created_at"] <= order["updated_at"] <= NOW
        assert customers[order["customer_id"]]["created_at"] <= order["created_at"]
        assert items[order_id] >= 1 and order["total"] == totals[order_id]
        normalise_address(
            Address(
                order["ship_line1"],
                order["ship_city"],
                order["ship_postcode"],
                order["ship_country"],
            )
        )
        shipment = shipments.get(order_id)
        dispatched = {"shipped", "delayed", "delivered", "returned"}
        assert (shipment is not None) == (status in dispatched), order_id
        if shipment is None:
            continue
        assert shipment["carrier"] in CARRIERS
        assert order["created_at"] <= shipment["shipped_at"] <= NOW
        original_eta = shipment["eta"] - timedelta(days=shipment["delay_days"])
        fastest, _ = CARRIER_TRANSIT_DAYS[shipment["carrier"]]
        assert original_eta >= shipment["shipped_at"].date() + timedelta(days=fastest)
        if status is OrderStatus.SHIPPED:
            assert shipment["delivered_at"] is None and shipment["eta"] >= today
        elif status is OrderStatus.DELAYED:
            assert shipment["delivered_at"] is None
            assert 1 <= shipment["delay_days"] <= 10 and original_eta < today
        else:
            assert shipment["shipped_at"] < shipment["delivered_at"] <= NOW
    tracking = [row["tracking_number"] for row in shipments.values()]
    assert len(set(tracking)) == len(tracking)
    assert {row["carrier"] for row in shipments.values()} == CARRIERS


def test_returns_and_refunds_match_their_orders(seeded_sessions: sessionmaker[Session]) -> None:
    orders = {row["id"]: row for row in _rows(seeded_sessions, Order)}
    returns = _rows(seeded_sessions, ReturnRequest)
    refunds = _rows(seeded_sessions, Refund)
    returned_orders = {row["id"] for row in orders.values() if row["status"] == "returned"}
    assert returned_orders <= {row["order_id"] for row in returns}
    assert len({row["rma_code"] for row in returns}) == len(returns)
    by_return = {row["return_id"]: row for row in refunds if row["return_id"] is not None}
    for rma in returns:
        assert re.fullmatch(r"RMA-[A-Z2-9]{8}", rma["rma_code"])
        status = orders[rma["order_id"]]["status"]
        if rma["status"] == "approved":
            assert status == "delivered" and rma["id"] not in by_return
        else:
            assert status == "returned"
            assert by_return[rma["id"]]["amount"] == rma["refund_amount"]
            assert (by_return[rma["id"]]["status"] == "paid") == (rma["status"] == "refunded")
    refunded: dict[int, Decimal] = {}
    for refund in refunds:
        assert orders[refund["order_id"]]["status"] in ("returned", "cancelled")
        assert refund["created_at"] <= (refund["paid_at"] or refund["created_at"]) <= NOW
        refunded[refund["order_id"]] = (
            refunded.get(refund["order_id"], Decimal()) + refund["amount"]
        )
    assert all(amount <= orders[order_id]["total"] for order_id, amount in refunded.items())


def test_same_seed_gives_the_same_shop(
    seeded_sessions: sessionmaker[Session], sqlite_sessions: sessionmaker[Session]
) -> None:
    seed_demo_shop(sqlite_sessions, now=NOW)
    assert dump(sqlite_sessions) == dump(seeded_sessions)


def test_another_seed_gives_another_shop(sqlite_sessions: sessionmaker[Session]) -> None:
    catalogue = load_catalogue(MINI_CATALOGUE)
    seed_demo_shop(sqlite_sessions, seed=1, customers=20, orders=60, catalogue=catalogue, now=NOW)
    first = dump(sqlite_sessions)
    seed_demo_shop(sqlite_sessions, seed=2, customers=20, orders=60, catalogue=catalogue, now=NOW)
    assert dump(sqlite_sessions) != first


def test_reseeding_replaces_instead_of_duplicating(
    seeded_sessions: sessionmaker[Session],
) -> None:
    before = dump(seeded_sessions)
    report = seed_demo_shop(seeded_sessions, now=NOW)
    assert report.orders == 1200 and report.customers == 220
    assert dump(seeded_sessions) == before


def test_seeding_can_skip_a_shop_that_has_data(seeded_sessions: sessionmaker[Session]) -> None:
    before = dump(seeded_sessions)
    report = seed_demo_shop(seeded_sessions, seed=7, replace=False, now=NOW)
    assert report.skipped and report.orders == 1200
    assert dump(seeded_sessions) == before


def test_seeding_takes_a_catalogue_path_and_small_volumes(
    sqlite_sessions: sessionmaker[Session],
) -> None:
    report = seed_demo_shop(sqlite_sessions, customers=1, orders=0, catalogue=MINI_CATALOGUE)
    assert (report.products, report.customers, report.orders) == (6, 1, 0)


def test_seeding_refuses_bad_arguments(sqlite_sessions: sessionmaker[Session]) -> None:
    with pytest.raises(ValueError):
        seed_demo_shop(sqlite_sessions, customers=0, catalogue=MINI_CATALOGUE)
    with pytest.raises(ValueError):
        seed_demo_shop(sqlite_sessions, now=NOW.replace(tzinfo=None))
