"""The case log on PostgreSQL (same checks as on SQLite)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.unit.caselog import caselog_contract as contract

pytestmark = pytest.mark.integration


async def test_writes_everything_in_order_redacted(postgres_engine: Engine) -> None:
    await contract.writes_everything_in_order_redacted(postgres_engine)


async def test_a_duplicate_is_rejected_alone(postgres_engine: Engine) -> None:
    await contract.a_duplicate_is_rejected_alone(postgres_engine)


async def test_survives_a_database_outage(postgres_engine: Engine) -> None:
    await contract.survives_a_database_outage(postgres_engine)


def test_agents_log_in_with_hashed_passwords(postgres_engine: Engine) -> None:
    contract.agents_log_in_with_hashed_passwords(postgres_engine)
