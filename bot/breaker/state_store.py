"""The SQL :class:`~escalation.ports.ConversationStateStore`: one JSON row per conversation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.codec import decode_state, encode_state
from bot.breaker.models import ConversationStateRow
from bot.db.base import table_of, utcnow
from escalation.state import ConversationState


class SqlStateStore:
    """Conversation states in ``breaker_conversation_states``.

    Args:
        sessions: Sessions on the breaker's engine.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def load(self, conversation_id: str) -> ConversationState | None:
        """The stored state, or ``None`` for a conversation not seen before."""
        with self._sessions.begin() as session:
            row = session.get(ConversationStateRow, conversation_id)
            return None if row is None else decode_state(row.state)

    def save(self, state: ConversationState) -> None:
        """Store ``state``, replacing the previous one."""
        with self._sessions.begin() as session:
            self.write(session, state)

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation (no error if unknown)."""
        with self._sessions.begin() as session:
            self.remove(session, conversation_id)

    @staticmethod
    def write(session: Session, state: ConversationState) -> None:
        """Insert or replace ``state``'s row inside ``session``'s transaction."""
        text = encode_state(state)
        row = session.get(ConversationStateRow, state.conversation_id)
        if row is None:
            session.add(ConversationStateRow(conversation_id=state.conversation_id, state=text))
        else:
            row.state = text
            row.updated_at = utcnow()

    @staticmethod
    def remove(session: Session, conversation_id: str) -> None:
        """Delete the conversation's row inside ``session``'s transaction."""
        session.execute(
            delete(ConversationStateRow).where(
                ConversationStateRow.conversation_id == conversation_id
            )
        )

    @staticmethod
    def write_many(session: Session, states: Mapping[str, ConversationState | None]) -> None:
        """Upsert every state and delete every ``None`` in two statements (batched writes)."""
        gone = [cid for cid, state in states.items() if state is None]
        now = utcnow()
        rows = [
            {"conversation_id": cid, "state": encode_state(state), "updated_at": now}
            for cid, state in states.items()
            if state is not None
        ]
        table = table_of(ConversationStateRow)
        if gone:
            session.execute(delete(table).where(table.c.conversation_id.in_(gone)))
        if not rows:
            return
        dialect = session.get_bind().dialect.name
        if dialect not in ("sqlite", "postgresql"):  # pragma: no cover - SQLite and PostgreSQL
            for state in states.values():
                if state is not None:
                    SqlStateStore.write(session, state)
            return
        insert: Any = (sqlite if dialect == "sqlite" else postgresql).insert(table)
        upsert = insert.on_conflict_do_update(
            index_elements=["conversation_id"],
            set_={"state": insert.excluded.state, "updated_at": insert.excluded.updated_at},
        )
        session.execute(upsert, rows)
