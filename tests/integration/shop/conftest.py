"""PostgreSQL fixtures: each test module works in its own schema, dropped afterwards.

Set ``CALMDESK_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run these tests; without it they are skipped.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, session_factory, upgrade_database
from bot.shop.models import SHOP_TABLES_CHILD_FIRST

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:  # lets plain `pytest` (not only `python -m pytest`) import `tests`
    sys.path.insert(0, REPO_ROOT)

from tests.unit.shop.shop_scenario import ShopScenario  # noqa: E402

POSTGRES_URL_VARIABLE = "CALMDESK_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The server to test against, or a skip saying how to provide one."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test); PostgreSQL tests skipped"
        )
    return url


@pytest.fixture(scope="module")
def new_schema_url(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes URLs of fresh, empty schemas (via ``search_path``); drops them all at the end."""
    admin = make_engine(postgres_url)
    schemas: list[str] = []

    def make() -> str:
        schema = f"calmdesk_test_{uuid.uuid4().hex[:12]}"
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        schemas.append(schema)
        url = make_url(postgres_url).update_query_dict({"options": f"-csearch_path={schema}"})
        return url.render_as_string(hide_password=False)

    yield make
    with admin.begin() as connection:
        for schema in schemas:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="module")
def migrated_postgres_url(new_schema_url: Callable[[], str]) -> str:
    """One schema migrated to head for the whole module."""
    url = new_schema_url()
    upgrade_database(url)
    return url


@pytest.fixture(scope="module")
def postgres_engine(migrated_postgres_url: str) -> Iterator[Engine]:
    """One engine on the module's schema."""
    engine = make_engine(migrated_postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def postgres_sessions(postgres_engine: Engine) -> sessionmaker[Session]:
    """Sessions on the module's schema, emptied of shop rows before the test."""
    with postgres_engine.begin() as connection:
        for table in SHOP_TABLES_CHILD_FIRST:
            connection.execute(delete(table))
    return session_factory(postgres_engine)


@pytest.fixture
def scenario(postgres_sessions: sessionmaker[Session]) -> ShopScenario:
    """The contract tests' scenario on PostgreSQL."""
    return ShopScenario(postgres_sessions)
