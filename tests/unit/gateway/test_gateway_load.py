"""200 concurrent conversations x 10 turns through the gateway: all logged, in order, once."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from sqlalchemy import func, select

from bot.caselog.models import Turn
from tests.unit.gateway.conftest import Gateway

CONVERSATIONS = 200
TURNS = 10


async def test_concurrent_conversations_are_logged_in_order_without_duplicates(
    make_gateway: Any,
) -> None:
    # Generous timeouts: this test is about the log (order, no loss, no duplicates), and 2,000
    # in-process requests on two shared cores would otherwise hit the 3-second fallback.
    gateway: Gateway = await make_gateway(
        gateway_write_interval_s=0.02,
        gateway_reply_deadline_s=120,
        gateway_rasa_timeout_s=120,
        gateway_nlu_timeout_s=120,
    )
    gateway.nlu.delay = 0.001
    rng = random.Random(7)

    async def conversation(index: int) -> None:
        sender = f"load-{index}"
        for turn in range(TURNS):
            message_id = f"{sender}-{turn}"
            response = await gateway.send(sender, f"hello {turn}", message_id=message_id)
            assert response.status_code == 200
            if rng.random() < 0.1:  # a client retry: must not become a second turn
                again = await gateway.send(sender, f"hello {turn}", message_id=message_id)
                assert again.json() == response.json()

    await asyncio.gather(*(conversation(i) for i in range(CONVERSATIONS)))
    await gateway.services.writer.flush()
    with gateway.engine.connect() as connection:
        rows = connection.execute(
            select(Turn.conversation_id, Turn.seq, Turn.message_id, Turn.text).order_by(Turn.id)
        ).all()
        assert connection.execute(select(func.count()).select_from(Turn)).scalar() == 2000
    by_conversation: dict[str, list[tuple[int, str, str]]] = {}
    for conversation_id, seq, message_id, text in rows:
        by_conversation.setdefault(conversation_id, []).append((seq, message_id, text))
    assert len(by_conversation) == CONVERSATIONS
    for conversation_id, turns in by_conversation.items():
        assert [seq for seq, _, _ in turns] == list(range(TURNS))
        assert [m for _, m, _ in turns] == [f"{conversation_id}-{t}" for t in range(TURNS)]
        assert [t for _, _, t in turns] == [f"hello {t}" for t in range(TURNS)]
    for sender, received in gateway.rasa.received.items():
        assert [text for text, _ in received] == [f"hello {t}" for t in range(TURNS)], sender
