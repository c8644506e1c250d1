"""The gateway's case log on PostgreSQL: concurrent conversations, in order, once; restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from bot.caselog.models import Turn
from tests.integration.caselog.conftest import postgres_engine  # noqa: F401 (fixture)
from tests.unit.gateway.conftest import gateway_settings, start_gateway

pytestmark = pytest.mark.integration


async def test_concurrent_conversations_on_postgres(
    postgres_engine: Engine,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = gateway_settings(
        tmp_path,
        database_url=postgres_engine.url.render_as_string(hide_password=False),
        gateway_write_interval_s=0.02,
        gateway_reply_deadline_s=60,
        gateway_rasa_timeout_s=60,
        gateway_nlu_timeout_s=60,
    )
    gateway, stop = await start_gateway(settings, postgres_engine)

    async def conversation(index: int) -> None:
        for turn in range(10):
            response = await gateway.send(f"pg-{index}", f"hello {turn}", message_id=str(turn))
            assert response.status_code == 200

    await asyncio.gather(*(conversation(i) for i in range(50)))
    await gateway.send("pg-0", "I want a human")
    await stop()
    with postgres_engine.connect() as connection:
        rows = connection.execute(
            select(Turn.conversation_id, Turn.seq, Turn.text).order_by(Turn.id)
        ).all()
    assert len(rows) == 501
    for index in range(50):
        mine = [(seq, text) for cid, seq, text in rows if cid == f"pg-{index}"][:10]
        assert mine == [(t, f"hello {t}") for t in range(10)]

    restarted, stop = await start_gateway(settings, postgres_engine)
    assert (await restarted.send("pg-0", "anyone?")).json() == []  # still queued
    await stop()
