"""Rasa's late answers: when Rasa misses the reply deadline the customer gets the apology, but
the call keeps running (up to ``gateway_rasa_late_timeout_s``); its answer is then delivered like
an agent message (socket.io push, the "not yet seen" API) and added to the turn in the case log.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.caselog.records import LateResponsesRecord
from bot.caselog.writer import CaseLogWriter
from bot.db.base import utcnow
from bot.gateway.conversations import ConversationState, OutMessage
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.rasa_answer import read_rasa_answer
from bot.gateway.upstream import UpstreamError

log = logging.getLogger("calmdesk.gateway")

Pusher = Callable[[ConversationState, list[OutMessage]], Awaitable[None]]
Handoff = Callable[[ConversationState, str, str, str | None], None]


class LateAnswers:
    """Watches Rasa calls that outlived the reply deadline.

    Args:
        writer: The case-log writer.
        metrics: Counts ``rasa_late`` errors.
        handoff: Performs a dialogue handoff found in a late answer.
    """

    def __init__(self, writer: CaseLogWriter, metrics: GatewayMetrics, handoff: Handoff) -> None:
        self.writer = writer
        self.metrics = metrics
        self.handoff = handoff
        self.push: Pusher | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def watch(
        self,
        conversation: ConversationState,
        seq: int,
        call: asyncio.Future[list[dict[str, Any]]],
        started: float,
    ) -> None:
        """Deliver ``call``'s responses when (if) they arrive."""
        task = asyncio.get_running_loop().create_task(
            self._deliver(conversation, seq, call, started)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(
        self,
        conversation: ConversationState,
        seq: int,
        call: asyncio.Future[list[dict[str, Any]]],
        started: float,
    ) -> None:
        try:
            responses = await call
        except UpstreamError as exc:
            log.warning(
                "gateway.rasa.late_failed",
                extra={"conversation_id": conversation.conversation_id, "error": exc.code},
            )
            return
        answer = read_rasa_answer(responses)
        if answer.handoff is not None:
            self.handoff(conversation, "dialogue", answer.handoff.reason, answer.handoff.priority)
        kept = answer.messages
        delay_ms = (time.perf_counter() - started) * 1000
        self.metrics.errors.labels("rasa_late").inc()
        log.info(
            "gateway.rasa.late_answer",
            extra={"conversation_id": conversation.conversation_id, "delay_ms": round(delay_ms)},
        )
        if not kept:
            return
        messages = [
            conversation.push(
                "bot", {"recipient_id": conversation.conversation_id, **r}, delivered=False
            )
            for r in kept
        ]
        self.writer.submit(
            LateResponsesRecord(conversation.conversation_id, seq, utcnow(), kept, delay_ms)
        )
        if self.push is not None:
            await self.push(conversation, messages)

    async def drain(self) -> None:
        """Cancel what is still waiting (shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
