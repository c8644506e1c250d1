"""A restarted gateway resumes each conversation from the case log."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.db import make_engine
from bot.settings import Settings
from tests.unit.gateway.conftest import gateway_settings, start_gateway


@pytest.fixture
def restartable(tmp_path: Path, migrated_caselog_file: Path) -> Iterator[tuple[Settings, Engine]]:
    """Settings and an engine on a case log that outlives the gateways started on it."""
    shutil.copy(migrated_caselog_file, tmp_path / "calmdesk.db")
    settings = gateway_settings(tmp_path)
    engine = make_engine(settings.sqlalchemy_url)
    yield settings, engine
    engine.dispose()


async def test_state_and_turn_numbers_survive_a_restart(
    restartable: tuple[Settings, Engine],
) -> None:
    settings, engine = restartable
    first, stop = await start_gateway(settings, engine)
    await first.send("ann", "hello", message_id="a")
    await first.send("ann", "I want a human", message_id="b")  # dialogue handoff
    await first.send("bob", "hello")
    await stop()  # flushes the case log

    second, stop = await start_gateway(settings, engine)
    assert (await second.send("ann", "still there?")).json() == []  # still queued
    assert (await second.send("bob", "hello")).json()[0]["text"] == "Hi! How can I help?"
    history = await second.client.get(
        "/api/conversations/ann/history", headers={"X-Calmdesk-Backend-Key": "backend-secret"}
    )
    turns = history.json()["turns"]
    assert [(t["seq"], t["owner"]) for t in turns] == [(0, "bot"), (1, "bot"), (2, "queued")]
    await stop()


async def test_a_retry_after_a_restart_is_answered_again_not_processed_twice(
    restartable: tuple[Settings, Engine],
) -> None:
    settings, engine = restartable
    first, stop = await start_gateway(settings, engine)
    answer = (await first.send("cy", "hello", message_id="m-1")).json()
    await stop()

    second, stop = await start_gateway(settings, engine)
    retried = await second.send("cy", "hello", message_id="m-1")  # the client's retry
    assert retried.json() == answer
    assert second.rasa.received["cy"] == []  # Rasa did not get it a second time
    fresh = await second.send("cy", "hello", message_id="m-2")
    assert fresh.json()[0]["text"] == "Hi! How can I help?"
    history = await second.client.get(
        "/api/conversations/cy/history", headers={"X-Calmdesk-Backend-Key": "backend-secret"}
    )
    assert [t["message_id"] for t in history.json()["turns"]] == ["m-1", "m-2"]
    await stop()
