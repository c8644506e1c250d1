"""The gateway's write-behind on SQLite and PostgreSQL: batched upserts, deletes and rows."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.breaker.hook import BreakerHook
from bot.breaker.models import DecisionRow
from bot.breaker.signals import SignalBuilder
from bot.breaker.state_store import SqlStateStore
from bot.breaker.wiring import sql_escalation
from escalation.state import ConversationState
from tests.unit.breaker.conftest import turn


def test_states_are_upserted_and_deleted_in_batches(database_url: str) -> None:
    system = sql_escalation(database_url, write_behind=True)
    try:
        sql = SqlStateStore(system.sessions)
        sql.save(ConversationState("existing", soothe_count=1))
        for count in (2, 3):
            for name in ("existing", "fresh", "doomed"):
                system.store.save(ConversationState(name, soothe_count=count))
        system.store.delete("doomed")
        system.flush()
        assert sql.load("existing") == ConversationState("existing", soothe_count=3)
        assert sql.load("fresh") == ConversationState("fresh", soothe_count=3)
        assert sql.load("doomed") is None
    finally:
        system.dispose()


def test_decisions_of_the_engine_reach_the_database(database_url: str) -> None:
    system = sql_escalation(database_url, write_behind=True)
    try:
        hook = BreakerHook(system, SignalBuilder(None, system.sessions))
        for index, anger in enumerate((0.2, 0.5, 0.8)):
            hook.decide(turn("wb", index, anger))
        system.flush()
        with system.sessions.begin() as session:
            rows = session.scalar(
                select(func.count())
                .select_from(DecisionRow)
                .where(DecisionRow.conversation_id == "wb")
            )
        assert rows == 3
        state = SqlStateStore(system.sessions).load("wb")
        assert state is not None and state.last_message_id == "wb:2"
    finally:
        system.dispose()
