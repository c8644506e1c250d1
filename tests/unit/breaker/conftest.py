"""A real SQLite app database with a tiny shop, and the breaker hook on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.breaker.hook import BreakerHook
from bot.breaker.signals import SignalBuilder
from bot.breaker.wiring import SqlEscalation, sql_escalation
from bot.db import make_engine, session_factory, upgrade_database
from bot.gateway.escalation_hook import CustomerTurn
from bot.shop.models import Customer, Order, Shipment
from bot.shop.sql_store import SqlShopStore
from escalation.policy import Policy

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with two customers and a delayed DHL order (1042), built once."""
    path = tmp_path_factory.mktemp("breaker-template") / "app.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
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
    return path


@pytest.fixture
def database_url(template_db: Path, tmp_path: Path) -> str:
    """A private copy of the template database for one test."""
    copy = tmp_path / "app.db"
    copy.write_bytes(template_db.read_bytes())
    return f"sqlite:///{copy}"


@pytest.fixture
def make_hook(database_url: str) -> Iterator[Callable[..., BreakerHook]]:
    """Builds hooks on the test database (optionally with another policy)."""
    systems: list[SqlEscalation] = []
    engine = make_engine(database_url)

    def make(policy: Policy | None = None) -> BreakerHook:
        system = sql_escalation(database_url, policy)
        systems.append(system)
        shop = SqlShopStore(session_factory(engine), clock=lambda: NOW)
        return BreakerHook(system, SignalBuilder(shop, system.sessions, today=TODAY))

    yield make
    for system in systems:
        system.dispose()
    engine.dispose()


def turn(
    conversation: str,
    index: int,
    anger: float,
    *,
    text: str = "where is my order 1042",
    intent: str = "track_order",
    customer_id: int | None = 1,
    entities: list[dict[str, Any]] | None = None,
    cues: tuple[str, ...] = (),
) -> CustomerTurn:
    """A customer turn as the gateway builds it, with an NLU parse of the given anger."""
    label = (
        "calm"
        if anger < 0.3
        else "annoyed"
        if anger < 0.55
        else "angry"
        if anger < 0.78
        else "furious"
    )
    parse = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.95},
        "entities": [{"entity": "order_id", "value": "1042"}] if entities is None else entities,
        "affect": {"anger": anger, "sentiment": -anger, "label": label, "cues": list(cues)},
    }
    return CustomerTurn(
        conversation_id=conversation,
        customer_id=customer_id,
        text=text,
        parse=parse,
        turn_index=index,
        received_at=NOW + timedelta(minutes=index),
    )
