"""The breaker's write-behind: batched commits, retries, rejects, and the in-memory state store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.database import breaker_engine, breaker_sessions
from bot.breaker.models import ConversationStateRow, DecisionRow
from bot.breaker.state_store import SqlStateStore
from bot.breaker.write_behind import CachedStateStore, WriteBehind
from escalation.state import ConversationState


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = breaker_engine(database_url)
    yield breaker_sessions(engine)
    engine.dispose()


def decision_row(conversation: str, message: str) -> DecisionRow:
    return DecisionRow(
        conversation_id=conversation,
        message_id=message,
        customer_id=None,
        cause_key=None,
        order_id=None,
        at=1.0,
        anger=0.5,
        pressure=0.1,
        action="none",
        tier=0,
        incident_id=None,
    )


def count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions.begin() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def stored_state(sessions: sessionmaker[Session], conversation: str) -> ConversationState | None:
    return SqlStateStore(sessions).load(conversation)


def test_queued_writes_are_committed_in_one_batch_after_flush(
    sessions: sessionmaker[Session],
) -> None:
    writer = WriteBehind(sessions, interval=0.2)
    try:
        done: list[int] = []
        for i in range(20):
            row = decision_row("c1", f"c1:{i}")
            writer.submit(lambda session, row=row: session.add(row), lambda i=i: done.append(i))
        assert writer.backlog == 20
        assert count(sessions, DecisionRow) == 0  # nothing on the request path
        assert writer.flush(5)
        assert count(sessions, DecisionRow) == 20
        assert done == list(range(20)) and writer.backlog == 0
    finally:
        writer.close()


def test_a_failed_batch_is_retried_whole(sessions: sessionmaker[Session]) -> None:
    writer = WriteBehind(sessions, interval=0.0)
    attempts: list[int] = []

    def flaky(session: Session) -> None:
        attempts.append(1)
        session.add(decision_row("c2", "c2:0"))
        if len(attempts) == 1:
            raise OperationalError("INSERT", {}, Exception("database is down"))

    try:
        writer.submit(flaky)
        assert writer.flush(5)
        assert len(attempts) == 2 and writer.failures == 1
        assert count(sessions, DecisionRow) == 1  # retried, not doubled
    finally:
        writer.close()


def test_a_write_rejected_by_a_constraint_is_dropped_alone(
    sessions: sessionmaker[Session],
) -> None:
    writer = WriteBehind(sessions, interval=0.1)
    try:
        state = SqlStateStore.write
        writer.submit(lambda s: state(s, ConversationState("dup")))
        writer.submit(lambda s: s.add(ConversationStateRow(conversation_id="dup", state="{}")))
        writer.submit(lambda s: s.add(decision_row("c3", "c3:0")))
        assert writer.flush(5)
        assert writer.rejected == 1
        assert count(sessions, DecisionRow) == 1
        assert stored_state(sessions, "dup") == ConversationState("dup")
    finally:
        writer.close()


def test_close_commits_what_is_queued(sessions: sessionmaker[Session]) -> None:
    writer = WriteBehind(sessions, interval=0.3)
    writer.submit(lambda s: s.add(decision_row("c4", "c4:0")))
    writer.close()
    assert count(sessions, DecisionRow) == 1
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(lambda s: None)


def test_the_cached_store_answers_from_memory_and_saves_behind(
    sessions: sessionmaker[Session],
) -> None:
    sql = SqlStateStore(sessions)
    sql.save(ConversationState("old", soothe_count=4))
    writer = WriteBehind(sessions, interval=0.2)
    store = CachedStateStore(sql, writer)
    try:
        assert store.load("old") == ConversationState("old", soothe_count=4)  # cold: database
        assert store.load("new") is None
        store.save(ConversationState("new", soothe_count=1))
        assert store.load("new") == ConversationState("new", soothe_count=1)  # from memory
        assert stored_state(sessions, "new") is None  # not yet committed
        writer.flush(5)
        assert stored_state(sessions, "new") == ConversationState("new", soothe_count=1)
        store.delete("old")
        assert store.load("old") is None
        writer.flush(5)
        assert stored_state(sessions, "old") is None
    finally:
        writer.close()


def test_an_unsaved_state_is_never_evicted(sessions: sessionmaker[Session]) -> None:
    sql = SqlStateStore(sessions)
    writer = WriteBehind(sessions, interval=0.3)
    store = CachedStateStore(sql, writer, capacity=2)
    try:
        for n in range(4):
            store.save(ConversationState(f"c{n}", soothe_count=n))
        # All four saves are still queued: none may be dropped, or a load would read the
        # database's older (here: missing) row.
        assert [store.load(f"c{n}") for n in range(4)] == [
            ConversationState(f"c{n}", soothe_count=n) for n in range(4)
        ]
        writer.flush(5)
        store.save(ConversationState("c9", soothe_count=9))  # now the saved ones can go
        writer.flush(5)
        assert len(store) == 2
        assert store.load("c0") == ConversationState("c0", soothe_count=0)  # reread from disk
    finally:
        writer.close()


def test_saves_are_coalesced_and_none_is_lost_across_batches(
    sessions: sessionmaker[Session],
) -> None:
    sql = SqlStateStore(sessions)
    writer = WriteBehind(sessions, interval=0.05)
    store = CachedStateStore(sql, writer)
    try:
        for round_ in range(5):
            for n in range(10):
                store.save(ConversationState(f"c{n}", soothe_count=round_))
            if round_ == 2:
                writer.flush(5)
        store.delete("c3")
        writer.flush(5)
        assert writer.backlog == 0
        for n in range(10):
            expected = None if n == 3 else ConversationState(f"c{n}", soothe_count=4)
            assert stored_state(sessions, f"c{n}") == expected
        assert count(sessions, ConversationStateRow) == 9
    finally:
        writer.close()


def test_a_retried_batch_of_states_loses_no_later_save(sessions: sessionmaker[Session]) -> None:
    sql = SqlStateStore(sessions)
    failing = {"left": 1}
    real = sql.write_many

    def flaky(session: Session, states: dict[str, ConversationState | None]) -> None:
        if failing["left"]:
            failing["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("database is down"))
        real(session, states)

    sql.write_many = flaky  # type: ignore[method-assign]
    writer = WriteBehind(sessions, interval=0.1)
    store = CachedStateStore(sql, writer)
    try:
        store.save(ConversationState("a", soothe_count=1))
        writer.flush(0.05)  # let the first batch start (and fail)
        store.save(ConversationState("b", soothe_count=2))
        assert writer.flush(5)
        store.save(ConversationState("c", soothe_count=3))  # a later save is still scheduled
        assert writer.flush(5)
        assert writer.failures == 1
        assert [stored_state(sessions, x) for x in "abc"] == [
            ConversationState("a", soothe_count=1),
            ConversationState("b", soothe_count=2),
            ConversationState("c", soothe_count=3),
        ]
    finally:
        writer.close()
