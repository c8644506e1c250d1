"""The gateway's :class:`~bot.gateway.escalation_hook.EscalationHook`, backed by the breaker.

One customer message: build the :class:`~escalation.signals.TurnSignal` (NLU parse + shop),
let the engine decide on the SQL adapters (in a worker thread: the database work is
synchronous), record the decision, execute the confirmed remedy (coupon code from the ledger,
expedited shipping and call-backs recorded in the breaker's tables) and answer an
:class:`~bot.gateway.escalation_hook.EscalationOutcome` whose messages state exactly what was
issued. The bot never promises a remedy the ledger did not confirm.

How the bot's reply reflects the decision: the gateway sends ``messages`` before Rasa's
answer and passes ``details`` to Rasa in the message metadata (``calmdesk_escalation``), where
actions read it; on ``handoff`` Rasa is not called and the conversation is queued for an agent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

import anyio

from bot.breaker.events import OUTCOME_EVENT
from bot.breaker.ledger import IssuedRemedy
from bot.breaker.recorder import DecisionRecorder, IncidentResponder
from bot.breaker.signals import SignalBuilder
from bot.breaker.undelivered import UndeliveredOutcomes
from bot.breaker.wiring import SqlEscalation
from bot.gateway.escalation_hook import (
    NO_ESCALATION,
    CustomerTurn,
    EscalationOutcome,
    OwnershipState,
)
from escalation.decision import Action, Decision, Event, RemedyKind
from escalation.signals import TurnSignal

log = logging.getLogger(__name__)

TICK_SECONDS = 60.0
REMEMBERED_CONVERSATIONS = 10_000
HANDOFF_TEXT = (
    "I'm bringing in a member of our team now. They'll see everything you've told me, "
    "so you won't have to repeat yourself."
)


def remedy_sentence(issued: IssuedRemedy, order_id: str | None) -> str:
    """What the customer is told about a remedy that was issued (and only such a remedy)."""
    if issued.kind is RemedyKind.COUPON_PERCENT:
        return (
            f"As an apology, here is a {issued.value}% discount on your next order: "
            f"code {issued.coupon_code}."
        )
    if issued.kind is RemedyKind.COUPON_AMOUNT:
        amount = f"{issued.value / 100:.2f} {issued.currency}"
        return f"As an apology, here is a {amount} voucher: code {issued.coupon_code}."
    if issued.kind is RemedyKind.EXPEDITED_SHIPPING:
        target = f"order {order_id}" if order_id else "your order"
        return f"I've upgraded {target} to free expedited shipping."
    return "I've booked a call-back: a member of our team will phone you about this."


class BreakerHook:
    """The circuit breaker as the gateway's escalation hook.

    Args:
        system: The engine on the SQL adapters (:func:`bot.breaker.wiring.sql_escalation`).
        signals: Builds signals from turns (shop access included).
    """

    def __init__(self, system: SqlEscalation, signals: SignalBuilder) -> None:
        self.system = system
        self.signals = signals
        self.recorder = DecisionRecorder(
            system.sessions, system.engine.policy.incidents, system.writer
        )
        self._customers: OrderedDict[str, str | None] = OrderedDict()
        self._customers_lock = threading.Lock()
        self._last_tick = 0.0
        self.undelivered = UndeliveredOutcomes()
        if system.detector is not None:
            system.sink.add_listener(
                IncidentResponder(
                    system.ledger,
                    system.detector,
                    system.engine.policy.budgets,
                    self._customers.get,
                    system.sink.emit,
                )
            )

    async def on_customer_message(self, turn: CustomerTurn) -> EscalationOutcome:
        """Decide about one customer message (database work off the event loop).

        When the gateway stops waiting (its deadline), the decision still completes in its
        thread; a remedy or handoff it produced is delivered with the next message.
        """
        task = asyncio.ensure_future(anyio.to_thread.run_sync(self.decide, turn))
        try:
            outcome = await asyncio.shield(task)
        except asyncio.CancelledError:
            self.undelivered.keep_when_done(turn.conversation_id, task)
            raise
        return self.undelivered.attach(turn.conversation_id, outcome)

    async def on_ownership_change(
        self, conversation_id: str, state: OwnershipState, *, reason: str | None = None
    ) -> None:
        """Hand-back resumes deciding; resolve closes the conversation's effect records."""
        await anyio.to_thread.run_sync(self.ownership_changed, conversation_id, state, reason)

    async def close(self) -> None:
        """Commit the queued bookkeeping writes and release the database."""
        await anyio.to_thread.run_sync(self.system.dispose)

    def decide(self, turn: CustomerTurn) -> EscalationOutcome:
        """The synchronous decision (what :meth:`on_customer_message` runs in a thread)."""
        signal = self.signals.build(turn)
        self._remember_customer(signal.conversation_id, signal.customer_id)
        self._tick()
        decision = self.system.engine.decide(signal)
        self.recorder.record(signal, decision)
        outcome = self._outcome(decision, signal)
        if outcome.action != "none":
            log.info(
                "breaker.decision",
                extra={
                    "conversation_id": signal.conversation_id,
                    "action": outcome.action,
                    "reason": decision.reason,
                },
            )
        return outcome

    def ownership_changed(
        self, conversation_id: str, state: OwnershipState, reason: str | None = None
    ) -> None:
        """The synchronous part of :meth:`on_ownership_change`."""
        engine, now = self.system.engine, time.time()
        if state == "bot":
            engine.hand_back(conversation_id, now)
        elif state == "resolved":
            outcome = {"outcome": "resolved", "note": reason}
            self.system.sink.emit(Event(OUTCOME_EVENT, now, conversation_id, outcome))
            engine.close(conversation_id, now)
            with self._customers_lock:
                self._customers.pop(conversation_id, None)

    def _remember_customer(self, conversation_id: str, customer_id: str | None) -> None:
        with self._customers_lock:
            self._customers[conversation_id] = customer_id
            self._customers.move_to_end(conversation_id)
            while len(self._customers) > REMEMBERED_CONVERSATIONS:
                self._customers.popitem(last=False)

    def _tick(self) -> None:
        now = time.monotonic()
        if now - self._last_tick >= TICK_SECONDS:
            self._last_tick = now
            self.system.engine.tick()

    def _outcome(self, decision: Decision, signal: TurnSignal) -> EscalationOutcome:
        if decision.action is Action.NONE:
            return NO_ESCALATION
        messages: list[str] = []
        if decision.action is Action.HANDOFF:
            messages.append(HANDOFF_TEXT)
        elif decision.soothe is not None:
            messages.append(decision.soothe.text)
        details: dict[str, Any] = {
            "tier": decision.tier.name.lower(),
            "pressure": round(decision.pressure, 3),
            "reason_codes": list(decision.reason_codes),
            "reason": decision.reason,
            "anger_trend": [round(value, 3) for value in decision.anger_trend],
            "incident_id": decision.incident_id,
            "queue": decision.queue,
            "remedy": None,
        }
        if decision.remedy is not None:
            issued = self.system.ledger.remedy(decision.remedy.reservation_id)
            if issued is not None:
                order_id = signal.order_id
                self.system.ledger.annotate(
                    issued.reservation_id, reason=decision.reason, order_id=order_id
                )
                messages.append(remedy_sentence(issued, order_id))
                details["remedy"] = {
                    "reservation_id": issued.reservation_id,
                    "kind": issued.kind.value,
                    "value": issued.value,
                    "currency": issued.currency,
                    "coupon_code": issued.coupon_code,
                    "order_id": order_id,
                }
        return EscalationOutcome(
            action=decision.action.value,  # type: ignore[arg-type]
            messages=tuple(messages),
            handoff_reason=decision.reason if decision.action is Action.HANDOFF else None,
            priority=decision.priority.value if decision.action is Action.HANDOFF else None,
            details=details,
        )
