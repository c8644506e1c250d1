"""Case-log writer and store checks shared by the SQLite and PostgreSQL tests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import Engine, select, text

from bot.caselog import store
from bot.caselog.models import Conversation, Turn
from bot.caselog.records import (
    AgentMessageRecord,
    ConversationOpened,
    EscalationRecord,
    OutcomeRecord,
    OwnershipChanged,
    TurnRecord,
)
from bot.caselog.writer import CaseLogWriter
from bot.db.base import utcnow


def turn(conversation_id: str, seq: int, text_: str, message_id: str | None = None) -> TurnRecord:
    """A turn record with a parse."""
    return TurnRecord(
        conversation_id=conversation_id,
        seq=seq,
        message_id=message_id,
        channel="rest",
        owner="bot",
        text=text_,
        received_at=utcnow(),
        intent="track_order",
        confidence=0.9,
        intent_ranking=[{"name": "track_order", "confidence": 0.9}],
        entities=[{"entity": "email", "value": "ann@example.com"}],
        affect={"anger": 0.7, "label": "angry"},
        anger=0.7,
        responses=[{"text": "I will mail ann@example.com"}],
        latencies_ms={"nlu": 12.5, "rasa": 30.1, "total": 45.0},
    )


async def writes_everything_in_order_redacted(engine: Engine) -> None:
    """Conversations, turns, ownership, escalations, agent messages and outcomes round-trip."""
    writer = CaseLogWriter(engine, interval=0.01)
    writer.start()
    now = utcnow()
    writer.submit(ConversationOpened("c1", "rest", 7, now))
    writer.submit(ConversationOpened("c1", "rest", 7, now))  # a repeat is ignored
    for seq in range(5):
        writer.submit(turn("c1", seq, f"msg {seq} from ann@example.com", f"m{seq}"))
    writer.submit(
        EscalationRecord("c1", 4, now, "handoff", "anger", "urgent", ["sorry"], {"tier": 3})
    )
    writer.submit(OwnershipChanged("c1", now, "bot", "queued", "escalation", "anger", "urgent"))
    writer.submit(OwnershipChanged("c1", now, "queued", "agent", "agent:1", agent_id=1))
    writer.submit(AgentMessageRecord("c1", 1, now, "call me on +44 20 7946 0958"))
    writer.submit(OwnershipChanged("c1", now, "agent", "resolved", "agent:1", "resolved"))
    writer.submit(OutcomeRecord("c1", now + timedelta(seconds=1), "resolved", 1, "ok"))
    await writer.close()
    history = store.conversation_history(engine, "c1")
    assert history is not None
    assert [t["seq"] for t in history["turns"]] == [0, 1, 2, 3, 4]
    assert history["turns"][0]["text"] == "msg 0 from [EMAIL]"
    assert history["turns"][0]["entities"] == [{"entity": "email", "value": "[EMAIL]"}]
    assert history["turns"][0]["responses"] == [{"text": "I will mail [EMAIL]"}]
    assert history["turns"][0]["affect"] == {"anger": 0.7, "label": "angry"}
    assert history["turns"][0]["latencies_ms"]["rasa"] == 30.1
    assert [o["to"] for o in history["ownership"]] == ["queued", "agent", "resolved"]
    assert history["escalations"][0]["details"] == {"tier": 3}
    assert history["agent_messages"][0]["text"] == "call me on [PHONE]"
    assert history["state"] == "resolved" and history["outcome"] == "resolved"
    stored = store.load_conversation(engine, "c1")
    assert stored is not None and stored.next_seq == 5 and stored.customer_id == 7


async def a_duplicate_is_rejected_alone(engine: Engine) -> None:
    """A record that breaks a constraint is dropped; the rest of its batch is kept."""
    writer = CaseLogWriter(engine, interval=0.0)
    writer.start()
    writer.submit(ConversationOpened("c2", "rest", None, utcnow()))
    writer.submit(turn("c2", 0, "first", "same-id"))
    await writer.flush()
    writer.submit(turn("c2", 1, "duplicate message id", "same-id"))
    writer.submit(turn("c2", 2, "after it", "other-id"))
    await writer.close()
    assert writer.rejected == 1
    with engine.connect() as connection:
        rows = connection.execute(
            select(Turn.seq, Turn.text).where(Turn.conversation_id == "c2").order_by(Turn.seq)
        ).all()
    assert [tuple(r) for r in rows] == [(0, "first"), (2, "after it")]


async def survives_a_database_outage(engine: Engine) -> None:
    """While the table is unusable the writer keeps and retries; afterwards all is there, once."""
    writer = CaseLogWriter(engine, interval=0.0)
    writer.start()
    writer.submit(ConversationOpened("c3", "rest", None, utcnow()))
    await writer.flush()
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE case_turns RENAME TO case_turns_away"))
    try:
        for seq in range(3):
            writer.submit(turn("c3", seq, f"during outage {seq}"))
        for _ in range(100):
            if writer.failures >= 2:
                break
            await asyncio.sleep(0.05)
        assert writer.failures >= 2 and writer.backlog == 3
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE case_turns_away RENAME TO case_turns"))
    await asyncio.wait_for(writer.close(), 15)
    with engine.connect() as connection:
        seqs = connection.execute(
            select(Turn.seq).where(Turn.conversation_id == "c3").order_by(Turn.id)
        ).scalars()
        assert list(seqs) == [0, 1, 2]
        assert (
            connection.execute(select(Conversation.state).where(Conversation.id == "c3")).scalar()
            == "bot"
        )


def agents_log_in_with_hashed_passwords(engine: Engine) -> None:
    """argon2 hashes, tokens stored as SHA-256, wrong passwords refused."""
    agent_id = store.create_agent(engine, "alice", "correct horse")
    try:
        store.create_agent(engine, "alice", "again")
    except store.AgentExistsError:
        pass
    else:  # pragma: no cover
        raise AssertionError("duplicate agent accepted")
    with engine.connect() as connection:
        stored_hash = connection.execute(text("SELECT password_hash FROM case_agents")).scalar()
    assert str(stored_hash).startswith("$argon2") and "correct horse" not in str(stored_hash)
    assert store.login(engine, "alice", "wrong", 60) is None
    assert store.login(engine, "nobody", "x", 60) is None
    token = store.login(engine, "alice", "correct horse", 60)
    assert token is not None
    account = store.agent_for_token(engine, token)
    assert account is not None and account.id == agent_id
    with engine.connect() as connection:
        hashes = connection.execute(text("SELECT token_hash FROM case_agent_tokens")).scalars()
        assert token not in list(hashes)
    store.logout(engine, token)
    assert store.agent_for_token(engine, token) is None
