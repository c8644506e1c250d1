"""Breaker databases: a migrated SQLite file, and a migrated PostgreSQL schema per module.

Set ``CALMDESK_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run the PostgreSQL variants; without it they are skipped with that message.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url

from bot.breaker.models import BREAKER_TABLES
from bot.breaker.wiring import SqlEscalation, sql_escalation
from bot.db import make_engine, upgrade_database

POSTGRES_URL_VARIABLE = "CALMDESK_TEST_POSTGRES_URL"


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file for the module."""
    path: Path = tmp_path_factory.mktemp("breaker") / "breaker.db"
    url = f"sqlite:///{path}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A migrated PostgreSQL schema for the module (dropped afterwards), or a skip."""
    server = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not server:
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test); PostgreSQL tests skipped"
        )
    admin = make_engine(server)
    schema = f"calmdesk_breaker_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(server).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = url.render_as_string(hide_password=False)
    upgrade_database(rendered)
    yield rendered
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test runs on SQLite and on PostgreSQL, starting from empty breaker tables."""
    url = str(
        request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
    )
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(BREAKER_TABLES):
            connection.execute(delete(table))
    engine.dispose()
    return url


@pytest.fixture
def breaker(database_url: str) -> Iterator[SqlEscalation]:
    """An engine on the SQL adapters (default policy, incident detector on)."""
    system = sql_escalation(database_url, pool_size=20, max_overflow=90)
    yield system
    system.dispose()
