"""In-memory conversation state: lock, ownership, turn counter, dedupe cache and outbox.

The case log is the durable record; this is the working copy of one gateway process. A
conversation unknown to the process is loaded from the case log (restart recovery).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from bot.caselog.records import OwnershipChanged
from bot.caselog.store import StoredConversation
from bot.db.base import utcnow
from bot.gateway.errors import OwnershipConflict

State = Literal["bot", "queued", "agent", "resolved"]

ALLOWED_TRANSITIONS: frozenset[tuple[str, str]] = frozenset(
    {
        ("bot", "queued"),
        ("queued", "agent"),
        ("queued", "bot"),
        ("queued", "resolved"),
        ("agent", "bot"),
        ("agent", "resolved"),
        ("resolved", "bot"),
        ("resolved", "queued"),
    }
)
DEDUPE_MEMORY = 64
OUTBOX_MEMORY = 200


@dataclass(slots=True)
class OutMessage:
    """One message to the customer, in Rasa's REST format, numbered per conversation."""

    seq: int
    source: str  # "bot", "agent" or "system"
    payload: dict[str, Any]
    at: datetime
    delivered: bool = False

    def as_json(self) -> dict[str, Any]:
        """The message for the JSON API: Rasa's fields plus ``seq``, ``source`` and ``at``."""
        return {**self.payload, "seq": self.seq, "source": self.source, "at": self.at.isoformat()}


@dataclass(slots=True)
class ConversationState:
    """The working state of one conversation."""

    conversation_id: str
    channel: str
    customer_id: int | None
    state: State = "bot"
    priority: str | None = None
    handoff_reason: str | None = None
    agent_id: int | None = None
    next_seq: int = 0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    answered: OrderedDict[str, list[dict[str, Any]]] = field(default_factory=OrderedDict)
    outbox: deque[OutMessage] = field(default_factory=lambda: deque(maxlen=OUTBOX_MEMORY))
    out_seq: int = 0
    last_used: float = field(default_factory=time.monotonic)
    resumed: bool = False  # handed back by an agent: tell Rasa on the next message

    def remember_answer(self, message_id: str, responses: list[dict[str, Any]]) -> None:
        """Keep the answer to a message id so a retry gets the same answer, not a second turn."""
        self.answered[message_id] = responses
        while len(self.answered) > DEDUPE_MEMORY:
            self.answered.popitem(last=False)

    def push(self, source: str, payload: dict[str, Any], *, delivered: bool) -> OutMessage:
        """Append a message to the outbox and return it."""
        self.out_seq += 1
        message = OutMessage(self.out_seq, source, payload, utcnow(), delivered)
        self.outbox.append(message)
        return message

    def undelivered(self, *, mark: bool) -> list[OutMessage]:
        """Messages no channel has delivered yet; ``mark`` flags them delivered."""
        pending = [m for m in self.outbox if not m.delivered]
        if mark:
            for message in pending:
                message.delivered = True
        return pending

    def after(self, seq: int) -> list[OutMessage]:
        """Messages numbered after ``seq`` (for clients that track what they have seen)."""
        return [m for m in self.outbox if m.seq > seq]

    def transition(
        self,
        to: State,
        actor: str,
        *,
        reason: str | None = None,
        priority: str | None = None,
        agent_id: int | None = None,
    ) -> OwnershipChanged:
        """Move to ``to`` and return the case-log record of the change.

        Raises:
            OwnershipConflict: the current state does not allow it.
        """
        if (self.state, to) not in ALLOWED_TRANSITIONS:
            raise OwnershipConflict(f"cannot go from {self.state!r} to {to!r}")
        record = OwnershipChanged(
            conversation_id=self.conversation_id,
            at=utcnow(),
            from_state=self.state,
            to_state=to,
            actor=actor,
            reason=reason,
            priority=priority,
            agent_id=agent_id,
        )
        self.state = to
        if to == "queued":
            self.priority, self.handoff_reason, self.agent_id = priority, reason, None
        elif to == "agent":
            self.agent_id = agent_id
        elif to == "bot":
            self.resumed = record.from_state == "agent"
            self.priority = self.handoff_reason = None
            self.agent_id = None
        return record


Loader = Callable[[str], Awaitable[StoredConversation | None]]


class ConversationRegistry:
    """Conversations of this process, loaded on first use, idle ones evicted.

    Args:
        loader: Reads a conversation from the case log (``None`` when new).
        max_idle: Conversations kept in memory before idle, unlocked ones are evicted.
    """

    def __init__(self, loader: Loader, max_idle: int = 20_000) -> None:
        self._loader = loader
        self._items: dict[str, ConversationState] = {}
        self._loading: dict[str, asyncio.Future[ConversationState]] = {}
        self.max_idle = max_idle

    def peek(self, conversation_id: str) -> ConversationState | None:
        """The conversation if this process has it in memory."""
        return self._items.get(conversation_id)

    async def get(
        self, conversation_id: str, channel: str, customer_id: int | None
    ) -> tuple[ConversationState, bool]:
        """Return the conversation and whether it is new (not in memory nor in the case log)."""
        found = self._items.get(conversation_id)
        if found is not None:
            found.last_used = time.monotonic()
            return found, False
        pending = self._loading.get(conversation_id)
        if pending is not None:
            return await asyncio.shield(pending), False
        future: asyncio.Future[ConversationState] = asyncio.get_running_loop().create_future()
        self._loading[conversation_id] = future
        try:
            stored = await self._loader(conversation_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning
            raise
        finally:
            self._loading.pop(conversation_id, None)
        if stored is None:
            conversation = ConversationState(conversation_id, channel, customer_id)
        else:
            conversation = ConversationState(
                conversation_id,
                stored.channel,
                stored.customer_id if customer_id is None else customer_id,
                state=stored.state,  # type: ignore[arg-type]
                priority=stored.priority,
                handoff_reason=stored.handoff_reason,
                agent_id=stored.agent_id,
                next_seq=stored.next_seq,
            )
            for message_id, responses in stored.answered:  # retries after a restart
                conversation.remember_answer(
                    message_id, [{"recipient_id": conversation_id, **r} for r in responses]
                )
        self._items[conversation_id] = conversation
        future.set_result(conversation)
        if len(self._items) > self.max_idle:
            self._evict()
        return conversation, stored is None

    def _evict(self) -> None:
        idle = sorted(
            (c for c in self._items.values() if not c.lock.locked() and c.state == "bot"),
            key=lambda c: c.last_used,
        )
        for conversation in idle[: len(self._items) - self.max_idle // 2]:
            del self._items[conversation.conversation_id]
