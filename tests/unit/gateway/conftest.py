"""Fixtures for the gateway's unit tests: the app on a fresh SQLite case log, fake NLU and Rasa."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine

from bot.db import make_engine, upgrade_database
from bot.gateway.app import ENGINE_OPTIONS, create_app
from bot.gateway.escalation_hook import EscalationHook
from bot.gateway.services import GatewayServices
from bot.settings import Settings

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from tests.unit.gateway.gateway_fakes import (  # noqa: E402
    NLU_HOST,
    RASA_HOST,
    FakeNlu,
    FakeRasa,
    routing_transport,
)


@pytest.fixture(scope="session")
def migrated_caselog_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to every head once; tests copy it."""
    path = tmp_path_factory.mktemp("caselog-template") / "calmdesk.db"
    upgrade_database(f"sqlite:///{path}")
    return path


def gateway_settings(tmp_path: Path, **overrides: Any) -> Settings:
    """Settings for a gateway whose NLU and Rasa are the fakes."""
    values: dict[str, Any] = {
        "var_dir": tmp_path / "var",
        "database_url": f"sqlite:///{tmp_path / 'calmdesk.db'}",
        "nlu_url": f"http://{NLU_HOST}",
        "gateway_rasa_url": f"http://{RASA_HOST}",
        "gateway_write_interval_s": 0.0,
        "gateway_backend_key": "backend-secret",
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Gateway:
    """The app under test, its client (from loopback) and the fakes behind it."""

    app: FastAPI
    client: httpx.AsyncClient
    nlu: FakeNlu
    rasa: FakeRasa
    engine: Engine
    settings: Settings

    @property
    def services(self) -> GatewayServices:
        """The app's wired parts."""
        services: GatewayServices = self.app.state.services
        return services

    async def send(self, sender: str, text: str, **metadata: Any) -> httpx.Response:
        """POST to the REST channel."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        return await self.client.post("/webhooks/rest/webhook", json=body)


async def start_gateway(
    settings: Settings, engine: Engine, hook: EscalationHook | None = None
) -> tuple[Gateway, Callable[[], Awaitable[None]]]:
    """Start an app (lifespan included) on ``engine`` with fresh fakes; return it and a stopper."""
    nlu, rasa = FakeNlu(), FakeRasa()
    app = create_app(
        settings,
        escalation_hook=hook,
        engine=engine,
        migrate=False,
        transport=routing_transport(nlu, rasa),
    )
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("127.0.0.1", 40000)),
        base_url="http://gateway.test",
    )
    rasa.gateway = client

    async def stop() -> None:
        await client.aclose()
        await lifespan.__aexit__(None, None, None)

    return Gateway(app, client, nlu, rasa, engine, settings), stop


@pytest.fixture
async def make_gateway(
    tmp_path: Path, migrated_caselog_file: Path
) -> AsyncIterator[Callable[..., Any]]:
    """Build gateways: ``await make_gateway(hook=..., **settings_overrides)``."""
    stops: list[Callable[[], Awaitable[None]]] = []
    engines: list[Engine] = []

    async def make(hook: EscalationHook | None = None, **overrides: Any) -> Gateway:
        shutil.copy(migrated_caselog_file, tmp_path / "calmdesk.db")
        settings = gateway_settings(tmp_path, **overrides)
        engine = make_engine(settings.sqlalchemy_url, **ENGINE_OPTIONS)
        engines.append(engine)
        gateway, stop = await start_gateway(settings, engine, hook)
        stops.append(stop)
        return gateway

    yield make
    for stop in reversed(stops):
        await stop()
    for engine in engines:
        engine.dispose()


@pytest.fixture
async def gateway(make_gateway: Callable[..., Any]) -> Gateway:
    """A gateway with default test settings and no escalation."""
    built: Gateway = await make_gateway()
    return built
