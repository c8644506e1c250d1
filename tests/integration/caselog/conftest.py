"""PostgreSQL fixtures for the case log: one fresh schema per test, dropped afterwards.

Set ``CALMDESK_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run these tests; without it they are skipped.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bot.db import make_engine, upgrade_database

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

POSTGRES_URL_VARIABLE = "CALMDESK_TEST_POSTGRES_URL"


@pytest.fixture
def postgres_engine() -> Iterator[Engine]:
    """An engine on a fresh schema migrated to every head."""
    url = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not url:
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test); PostgreSQL tests skipped"
        )
    admin = make_engine(url)
    schema = f"calmdesk_caselog_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    schema_url = make_url(url).update_query_dict({"options": f"-csearch_path={schema}"})
    rendered = schema_url.render_as_string(hide_password=False)
    upgrade_database(rendered)
    engine = make_engine(rendered)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
