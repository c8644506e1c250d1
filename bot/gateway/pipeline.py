"""One customer message, end to end: dedupe → serialize → ownership → NLU → escalation → Rasa.

Every step that waits on another process has a timeout, and the whole turn has a deadline
(``gateway_reply_deadline_s``): when the NLU, Rasa or the action server is down or slow the
customer gets an apology and the offer of a human instead, and the turn is logged with the error.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from bot.caselog.records import ConversationOpened, EscalationRecord, TurnRecord
from bot.caselog.writer import CaseLogWriter
from bot.db.base import utcnow
from bot.gateway.conversations import ConversationRegistry, ConversationState
from bot.gateway.escalation_hook import (
    CustomerTurn,
    EscalationHook,
    EscalationOutcome,
)
from bot.gateway.late import LateAnswers
from bot.gateway.messages import InboundMessage, PipelineResult, TurnWork
from bot.gateway.metrics import GatewayMetrics
from bot.gateway.parse_relay import ParseRelay
from bot.gateway.rasa_answer import TRACE_KEY, read_rasa_answer
from bot.gateway.upstream import UpstreamError, Upstreams
from bot.settings import Settings

log = logging.getLogger("calmdesk.gateway")

FALLBACK_TEXT = (
    "Sorry, I'm having trouble answering right now. Please try again in a moment, "
    'or write "human" and I\'ll pass you to a person.'
)
HANDOFF_TEXT = "I'm passing you to a member of our team. They'll reply here shortly."
PARSE_KEY = "calmdesk_parse"  # read by bot/rasa_runtime/rasa_boot_gateway.py (Rasa side)
HUMAN_WORDS = frozenset(
    {"human", "agent", "person", "a human", "an agent", "real person", "talk to a human"}
)
ESCALATION_HOOK_TIMEOUT_S = 0.5


class MessagePipeline:
    """Runs the per-message pipeline for every channel.

    Args:
        settings: Timeouts and limits.
        upstreams: NLU and Rasa clients.
        hook: The escalation hook.
        writer: The case-log writer.
        registry: In-memory conversations.
        relay: Where the parse waits for Rasa's NLU call.
        metrics: Prometheus metrics.
    """

    def __init__(
        self,
        settings: Settings,
        upstreams: Upstreams,
        hook: EscalationHook,
        writer: CaseLogWriter,
        registry: ConversationRegistry,
        relay: ParseRelay,
        metrics: GatewayMetrics,
    ) -> None:
        self.settings = settings
        self.upstreams = upstreams
        self.hook = hook
        self.writer = writer
        self.registry = registry
        self.relay = relay
        self.metrics = metrics
        self.late = LateAnswers(writer, metrics, self._handoff)

    async def handle(self, message: InboundMessage) -> PipelineResult:
        """Answer one customer message (see the module docstring)."""
        start = time.perf_counter()
        deadline = start + self.settings.gateway_reply_deadline_s
        try:
            conversation, new = await self.registry.get(
                message.conversation_id, message.channel, message.customer_id
            )
        except Exception as exc:  # the case log cannot be read: still answer the customer
            return self._unavailable(message, exc)
        async with conversation.lock:
            lock_wait = time.perf_counter() - start
            self.metrics.stage_seconds.labels("lock_wait").observe(lock_wait)
            if message.message_id is not None and message.message_id in conversation.answered:
                self.metrics.messages.labels(message.channel, "duplicate").inc()
                return PipelineResult(
                    conversation,
                    [],
                    duplicate=True,
                    replayed=conversation.answered[message.message_id],
                )
            if new:
                self.writer.submit(
                    ConversationOpened(
                        message.conversation_id,
                        message.channel,
                        message.customer_id,
                        message.received_at,
                    )
                )
            if message.customer_id is not None:
                conversation.customer_id = message.customer_id
            turn = TurnWork(latencies={"lock_wait": lock_wait * 1000})
            if conversation.state == "resolved":
                self.submit_transition(
                    conversation, "bot", "customer", reason="customer wrote again"
                )
            owner = conversation.state
            if owner == "bot":
                await self._bot_turn(conversation, message, turn, deadline)
            else:
                await self._parse(message, turn, deadline, required=False)
            outgoing = [
                conversation.push(
                    "bot", {"recipient_id": message.conversation_id, **r}, delivered=False
                )
                for r in turn.responses
            ]
            total = time.perf_counter() - start
            turn.latencies["total"] = total * 1000
            self.metrics.stage_seconds.labels("total").observe(total)
            self._record_turn(conversation, message, owner, turn)
            result = PipelineResult(conversation, outgoing, new_conversation=new)
            if message.message_id is not None:
                conversation.remember_answer(message.message_id, result.payloads())
            outcome = "answered" if owner == "bot" else "to_agent"
            self.metrics.messages.labels(message.channel, outcome).inc()
            return result

    def _unavailable(self, message: InboundMessage, exc: Exception) -> PipelineResult:
        self.metrics.errors.labels("caselog_read").inc()
        log.error(
            "gateway.caselog.unreadable",
            extra={"conversation_id": message.conversation_id, "error": repr(exc)[:300]},
        )
        stranger = ConversationState(message.conversation_id, message.channel, None)
        apology = stranger.push(
            "bot", {"recipient_id": message.conversation_id, "text": FALLBACK_TEXT}, delivered=False
        )
        return PipelineResult(stranger, [apology])

    async def _parse(
        self, message: InboundMessage, turn: TurnWork, deadline: float, *, required: bool
    ) -> None:
        started = time.perf_counter()
        timeout = min(self.settings.gateway_nlu_timeout_s, max(0.05, deadline - started))
        try:
            turn.parse = await self.upstreams.parse(message.text, timeout)
        except UpstreamError as exc:
            turn.errors.append(f"{exc.code}: {exc.reason}")
            self.metrics.errors.labels(exc.code).inc()
            if required:
                log.warning(
                    "gateway.nlu.failed",
                    extra={"conversation_id": message.conversation_id, "error": exc.code},
                )
        elapsed = time.perf_counter() - started
        turn.latencies["nlu"] = elapsed * 1000
        self.metrics.stage_seconds.labels("nlu").observe(elapsed)

    async def _escalate(
        self, conversation: ConversationState, message: InboundMessage, turn: TurnWork
    ) -> None:
        assert turn.parse is not None
        started = time.perf_counter()
        customer_turn = CustomerTurn(
            conversation_id=conversation.conversation_id,
            customer_id=conversation.customer_id,
            text=message.text,
            parse=turn.parse,
            turn_index=conversation.next_seq,
            received_at=message.received_at,
            channel=message.channel,
        )
        try:
            async with asyncio.timeout(ESCALATION_HOOK_TIMEOUT_S):
                turn.escalation = await self.hook.on_customer_message(customer_turn)
        except Exception as exc:  # the breaker must never cost the customer an answer
            turn.errors.append(f"escalation_failed: {type(exc).__name__}: {exc}")
            self.metrics.errors.labels("escalation_failed").inc()
            log.error(
                "gateway.escalation.failed",
                extra={"conversation_id": conversation.conversation_id, "error": repr(exc)},
            )
        elapsed = time.perf_counter() - started
        turn.latencies["escalation"] = elapsed * 1000
        self.metrics.stage_seconds.labels("escalation").observe(elapsed)

    async def _bot_turn(
        self,
        conversation: ConversationState,
        message: InboundMessage,
        turn: TurnWork,
        deadline: float,
    ) -> None:
        await self._parse(message, turn, deadline, required=True)
        if turn.parse is None:
            self._fallback(conversation, message, turn)
            return
        await self._escalate(conversation, message, turn)
        outcome = turn.escalation
        if outcome.action != "none":
            self.writer.submit(
                EscalationRecord(
                    conversation_id=conversation.conversation_id,
                    turn_seq=conversation.next_seq,
                    at=utcnow(),
                    action=outcome.action,
                    reason=outcome.handoff_reason,
                    priority=outcome.priority,
                    messages=list(outcome.messages),
                    details=dict(outcome.details),
                )
            )
            turn.responses.extend({"text": text} for text in outcome.messages)
        if outcome.action == "handoff":
            self._handoff(
                conversation, "escalation", outcome.handoff_reason or "escalation", outcome.priority
            )
            return
        metadata = self._rasa_metadata(conversation, message, outcome, turn.parse)
        self.relay.put(message.text, turn.parse)
        started = time.perf_counter()
        timeout = min(self.settings.gateway_rasa_timeout_s, max(0.05, deadline - started))
        try:
            responses = await self._call_rasa(conversation, message, metadata, timeout, started)
        except UpstreamError as exc:
            turn.errors.append(f"{exc.code}: {exc.reason}")
            self.metrics.errors.labels(exc.code).inc()
            log.warning(
                "gateway.rasa.failed",
                extra={"conversation_id": conversation.conversation_id, "error": exc.code},
            )
            self._fallback(conversation, message, turn)
            return
        finally:
            elapsed = time.perf_counter() - started
            turn.latencies["rasa"] = elapsed * 1000
            self.metrics.stage_seconds.labels("rasa").observe(elapsed)
        conversation.resumed = False
        self._take_rasa_responses(conversation, turn, responses)

    async def _call_rasa(
        self,
        conversation: ConversationState,
        message: InboundMessage,
        metadata: dict[str, Any],
        timeout: float,
        started: float,
    ) -> list[dict[str, Any]]:
        """Rasa's answer within ``timeout``; a slower answer is handed to :attr:`late`."""
        call = asyncio.ensure_future(
            self.upstreams.rasa_message(
                conversation.conversation_id,
                message.text,
                metadata,
                max(timeout, self.settings.gateway_rasa_late_timeout_s),
            )
        )
        call.add_done_callback(lambda done: done.cancelled() or done.exception())
        try:
            async with asyncio.timeout(timeout):
                return await asyncio.shield(call)
        except TimeoutError as exc:
            self.late.watch(conversation, conversation.next_seq, call, started)
            raise UpstreamError("Rasa timed out", code="rasa_timeout") from exc

    def _take_rasa_responses(
        self, conversation: ConversationState, turn: TurnWork, responses: list[dict[str, Any]]
    ) -> None:
        answer = read_rasa_answer(responses)
        turn.responses.extend(answer.messages)
        turn.rasa_actions, turn.rasa_policy = answer.actions, answer.policy
        if answer.handoff is not None:
            self._handoff(conversation, "dialogue", answer.handoff.reason, answer.handoff.priority)
        elif not answer.messages:
            # Rasa answers an empty list when a custom action failed (action server down).
            turn.errors.append("rasa_empty: Rasa sent no response (action server down?)")
            self.metrics.errors.labels("rasa_empty").inc()
            turn.responses.append({"text": FALLBACK_TEXT})

    def _fallback(
        self, conversation: ConversationState, message: InboundMessage, turn: TurnWork
    ) -> None:
        """The apology with the offer of a human; "human" hands off even without Rasa."""
        intent = (turn.parse or {}).get("intent") or {}
        asked = message.text.strip(" .!?").lower() in HUMAN_WORDS or (
            intent.get("name") == "request_human" and (intent.get("confidence") or 0) >= 0.7
        )
        if asked:
            turn.responses.append({"text": HANDOFF_TEXT})
            self._handoff(conversation, "customer", "customer_request", "normal")
        else:
            turn.responses.append({"text": FALLBACK_TEXT})

    def _handoff(
        self, conversation: ConversationState, actor: str, reason: str, priority: str | None
    ) -> None:
        if conversation.state not in ("bot", "resolved"):
            return
        self.submit_transition(
            conversation, "queued", actor, reason=reason, priority=priority or "normal"
        )
        self.metrics.handoffs.labels(actor).inc()

    def submit_transition(
        self,
        conversation: ConversationState,
        to: Any,
        actor: str,
        *,
        reason: str | None = None,
        priority: str | None = None,
        agent_id: int | None = None,
    ) -> None:
        """Change who owns ``conversation``; log, count and record the transition event."""
        record = conversation.transition(
            to, actor, reason=reason, priority=priority, agent_id=agent_id
        )
        self.writer.submit(record)
        self.metrics.transitions.labels(record.from_state, record.to_state).inc()
        log.info(
            "gateway.ownership.changed",
            extra={
                "conversation_id": conversation.conversation_id,
                "from": record.from_state,
                "to": record.to_state,
                "actor": actor,
                "reason": reason,
            },
        )

    def _rasa_metadata(
        self,
        conversation: ConversationState,
        message: InboundMessage,
        outcome: EscalationOutcome,
        parse: dict[str, Any],
    ) -> dict[str, Any]:
        metadata: dict[str, Any] = {"channel": message.channel}
        if self.settings.gateway_parse_in_metadata:
            metadata[PARSE_KEY] = parse
        if self.settings.gateway_rasa_trace:
            metadata[TRACE_KEY] = True
        if message.message_id is not None:
            metadata["message_id"] = message.message_id
        if conversation.customer_id is not None:
            metadata["customer_id"] = conversation.customer_id
        if outcome.action in ("soothe", "remedy"):
            metadata["calmdesk_escalation"] = {
                "action": outcome.action,
                "details": dict(outcome.details),
            }
        if conversation.resumed:
            metadata["calmdesk_resumed"] = True
        return metadata

    def _record_turn(
        self,
        conversation: ConversationState,
        message: InboundMessage,
        owner: str,
        turn: TurnWork,
    ) -> None:
        parse = turn.parse or {}
        intent = parse.get("intent") or {}
        affect = parse.get("affect") if isinstance(parse.get("affect"), dict) else None
        self.writer.submit(
            TurnRecord(
                conversation_id=conversation.conversation_id,
                seq=conversation.next_seq,
                message_id=message.message_id,
                channel=message.channel,
                owner=owner,
                text=message.text,
                received_at=message.received_at,
                intent=intent.get("name"),
                confidence=intent.get("confidence"),
                intent_ranking=parse.get("intent_ranking"),
                entities=parse.get("entities"),
                affect=affect,
                anger=affect.get("anger") if affect else None,
                responses=turn.responses,
                escalation=None if turn.escalation.action == "none" else turn.escalation.action,
                latencies_ms={k: round(v, 2) for k, v in turn.latencies.items()},
                rasa_actions=turn.rasa_actions,
                rasa_policy=turn.rasa_policy,
                error="; ".join(turn.errors) or None,
            )
        )
        conversation.next_seq += 1
        self.metrics.caselog_backlog.set(self.writer.backlog)
