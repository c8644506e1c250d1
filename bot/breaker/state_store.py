"""The SQL :class:`~escalation.ports.ConversationStateStore`: one JSON row per conversation."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.codec import decode_state, encode_state
from bot.breaker.models import ConversationStateRow
from bot.db.base import utcnow
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
