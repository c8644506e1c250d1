"""A real SQLite app database with a tiny shop, and the breaker hook on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.breaker.hook import BreakerHook
from bot.breaker.signals import SignalBuilder
from bot.breaker.wiring import SqlEscalation, sql_escalation
from bot.db import make_engine, session_factory, upgrade_database
from bot.gateway.escalation_hook import CustomerTurn
from bot.shop.sql_store import SqlShopStore
from escalation.policy import Policy
from tests.unit.breaker.breaker_shop import NOW, TODAY, add_shop_rows


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated database with the test shop rows (:mod:`breaker_shop`), built once."""
    path = tmp_path_factory.mktemp("breaker-template") / "app.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    add_shop_rows(url)
    return path


@pytest.fixture
def database_url(template_db: Path, tmp_path: Path) -> str:
    """A private copy of the template database for one test."""
    copy = tmp_path / "app.db"
    copy.write_bytes(template_db.read_bytes())
    return f"sqlite:///{copy}"


@pytest.fixture(params=["sql", "write-behind"])
def make_hook(
    database_url: str, request: pytest.FixtureRequest
) -> Iterator[Callable[..., BreakerHook]]:
    """Builds hooks on the test database (optionally with another policy).

    Every hook test runs twice: with one transaction per write, and with the gateway's
    write-behind (states in memory, bookkeeping rows committed in batches).
    """
    systems: list[SqlEscalation] = []
    engine = make_engine(database_url)

    def make(policy: Policy | None = None) -> BreakerHook:
        system = sql_escalation(database_url, policy, write_behind=request.param == "write-behind")
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
