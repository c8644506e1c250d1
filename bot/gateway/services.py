"""The gateway's parts wired together, and the agent-side ownership operations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from bot.caselog import store
from bot.caselog.records import AgentMessageRecord, OutcomeRecord, RelabelRecord
from bot.caselog.writer import CaseLogWriter
from bot.db.base import utcnow
from bot.gateway.conversations import ConversationRegistry, ConversationState, OutMessage
from bot.gateway.errors import NotFound, OwnershipConflict
from bot.gateway.escalation_hook import EscalationHook
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.parse_relay import ParseRelay
from bot.gateway.pipeline import MessagePipeline
from bot.gateway.security import RateLimiter, WidgetTokens
from bot.gateway.upstream import UpstreamError, Upstreams
from bot.settings import Settings

log = logging.getLogger("calmdesk.gateway")

Pusher = Callable[[ConversationState, list[OutMessage]], Awaitable[None]]


@dataclass
class GatewayServices:
    """Everything the routes and channels share (one instance per app)."""

    settings: Settings
    engine: Engine
    upstreams: Upstreams
    hook: EscalationHook
    writer: CaseLogWriter
    registry: ConversationRegistry
    relay: ParseRelay
    metrics: GatewayMetrics
    pipeline: MessagePipeline
    tokens: WidgetTokens
    sender_limiter: RateLimiter
    ip_limiter: RateLimiter
    pushers: list[Pusher] = field(default_factory=list)
    background: set[asyncio.Task[Any]] = field(default_factory=set)

    def __post_init__(self) -> None:
        """Late Rasa answers are pushed like agent messages."""
        self.pipeline.late.push = self.push

    async def push(self, conversation: ConversationState, messages: list[OutMessage]) -> None:
        """Offer messages to the live channels (socket.io); REST clients fetch them later."""
        for pusher in self.pushers:
            await pusher(conversation, messages)

    async def conversation(self, conversation_id: str) -> ConversationState:
        """An existing conversation (memory or case log).

        Raises:
            NotFound: no such conversation.
        """
        found = self.registry.peek(conversation_id)
        if found is not None:
            return found
        await self.writer.flush()
        stored = await asyncio.to_thread(store.load_conversation, self.engine, conversation_id)
        if stored is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        conversation, _ = await self.registry.get(conversation_id, stored.channel, None)
        return conversation

    def _rasa_event_later(self, conversation_id: str, event: str) -> None:
        async def send() -> None:
            try:
                await self.upstreams.rasa_event(conversation_id, {"event": event})
            except UpstreamError as exc:
                log.warning(
                    "gateway.rasa.event_failed",
                    extra={"conversation_id": conversation_id, "event": event, "error": exc.code},
                )

        task = asyncio.get_running_loop().create_task(send())
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    def _transition(
        self,
        conversation: ConversationState,
        to: Any,
        actor: str,
        *,
        reason: str | None = None,
        agent_id: int | None = None,
        priority: str | None = None,
    ) -> None:
        self.pipeline.submit_transition(
            conversation, to, actor, reason=reason, priority=priority, agent_id=agent_id
        )

    async def take(self, conversation_id: str, agent_id: int) -> ConversationState:
        """An agent takes a queued conversation; Rasa is paused for it."""
        conversation = await self.conversation(conversation_id)
        async with conversation.lock:
            self._transition(conversation, "agent", f"agent:{agent_id}", agent_id=agent_id)
        self._rasa_event_later(conversation_id, "pause")
        return conversation

    def _require_owner(self, conversation: ConversationState, agent_id: int) -> None:
        if conversation.state != "agent" or conversation.agent_id != agent_id:
            raise OwnershipConflict("take the conversation first; another agent or the bot owns it")

    async def agent_message(self, conversation_id: str, agent_id: int, text: str) -> OutMessage:
        """Send an agent's message to the customer (pushed to sockets, kept for REST clients)."""
        conversation = await self.conversation(conversation_id)
        async with conversation.lock:
            self._require_owner(conversation, agent_id)
            message = conversation.push(
                "agent", {"recipient_id": conversation_id, "text": text}, delivered=False
            )
            self.writer.submit(AgentMessageRecord(conversation_id, agent_id, utcnow(), text))
        await self.push(conversation, [message])
        return message

    async def hand_back(self, conversation_id: str, agent_id: int, note: str | None) -> None:
        """The agent hands the conversation back to the bot; Rasa resumes with its context."""
        conversation = await self.conversation(conversation_id)
        async with conversation.lock:
            self._require_owner(conversation, agent_id)
            self._transition(conversation, "bot", f"agent:{agent_id}", reason=note or "hand_back")
        self._rasa_event_later(conversation_id, "resume")
        await self.hook.on_ownership_change(conversation_id, "bot", reason=note)

    async def resolve(
        self, conversation_id: str, agent_id: int, outcome: str, note: str | None
    ) -> None:
        """Close the conversation with an outcome (from ``agent`` or ``queued``)."""
        conversation = await self.conversation(conversation_id)
        async with conversation.lock:
            if conversation.state == "agent":
                self._require_owner(conversation, agent_id)
            self._transition(conversation, "resolved", f"agent:{agent_id}", reason=outcome)
            self.writer.submit(OutcomeRecord(conversation_id, utcnow(), outcome, agent_id, note))
        self._rasa_event_later(conversation_id, "resume")
        await self.hook.on_ownership_change(conversation_id, "resolved", reason=outcome)

    async def history(self, conversation_id: str) -> dict[str, Any]:
        """A conversation's full case-log history, pending records included.

        Raises:
            NotFound: no such conversation.
        """
        await self.writer.flush()
        found = await asyncio.to_thread(store.conversation_history, self.engine, conversation_id)
        if found is None:
            raise NotFound(f"no conversation {conversation_id!r}")
        return found

    async def relabel(
        self, conversation_id: str, agent_id: int, turn_seq: int, intent: str, note: str | None
    ) -> None:
        """Record an agent's intent correction for a turn."""
        history = await self.history(conversation_id)
        turns = {t["seq"]: t for t in history["turns"]}
        if turn_seq not in turns:
            raise NotFound(f"conversation {conversation_id!r} has no turn {turn_seq}")
        self.writer.submit(
            RelabelRecord(
                conversation_id,
                turn_seq,
                utcnow(),
                agent_id,
                turns[turn_seq]["intent"],
                intent,
                note,
            )
        )
