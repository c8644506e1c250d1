"""The case log on SQLite."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.unit.caselog import caselog_contract as contract


async def test_writes_everything_in_order_redacted(sqlite_engine: Engine) -> None:
    await contract.writes_everything_in_order_redacted(sqlite_engine)


async def test_a_duplicate_is_rejected_alone(sqlite_engine: Engine) -> None:
    await contract.a_duplicate_is_rejected_alone(sqlite_engine)


async def test_survives_a_database_outage(sqlite_engine: Engine) -> None:
    await contract.survives_a_database_outage(sqlite_engine)


def test_agents_log_in_with_hashed_passwords(sqlite_engine: Engine) -> None:
    contract.agents_log_in_with_hashed_passwords(sqlite_engine)
