"""Per-message decision rows and the proactive response to an incident."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.errors import LedgerError
from bot.breaker.models import DecisionRow
from bot.breaker.write_behind import Coalesced, WriteBehind
from bot.db.base import table_of
from escalation.budget import BudgetCaps, ReservationRequest
from escalation.causes import cause_keys
from escalation.decision import Decision, Event, JsonValue, RemedyKind
from escalation.incidents import INCIDENT_OPENED, IncidentDetector
from escalation.policy import IncidentPolicy
from escalation.ports import RemedyLedger
from escalation.signals import TurnSignal

log = logging.getLogger(__name__)

OUTREACH_RULE = "incident_outreach"


def primary_cause_key(
    signal: TurnSignal, policy: IncidentPolicy, topic: str | None = None
) -> str | None:
    """The first incident cause key of a message (``delivery|carrier=dhl``), or ``None``."""
    keys = cause_keys(signal, policy, topic)
    return keys[0] if keys else None


class DecisionRecorder:
    """Stores one ``breaker_decisions`` row per decided message (feeds attribution reports).

    Args:
        sessions: Sessions on the breaker's engine.
        policy: The ``incidents:`` policy (for cause keys).
        writer: Queue the rows here (committed in batches) instead of one transaction each.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        policy: IncidentPolicy,
        writer: WriteBehind | None = None,
    ) -> None:
        self._sessions = sessions
        self._policy = policy
        self._queued: Coalesced[list[dict[str, Any]]] | None = None
        if writer is not None:
            self._queued = Coalesced(writer, _insert_decisions, list)

    def record(self, signal: TurnSignal, decision: Decision, topic: str | None = None) -> None:
        """Store the decision for ``signal`` (logged, never raised, on database trouble)."""
        row = {
            "conversation_id": signal.conversation_id,
            "message_id": signal.message_id,
            "customer_id": signal.customer_id,
            "cause_key": primary_cause_key(signal, self._policy, topic),
            "order_id": signal.order_id,
            "at": decision.at,
            "anger": signal.affect.anger,
            "pressure": decision.pressure,
            "action": decision.action.value,
            "tier": int(decision.tier),
            "incident_id": decision.incident_id,
        }
        if self._queued is not None:
            self._queued.change(lambda batch: batch.append(row))
            return
        try:
            with self._sessions.begin() as session:
                _insert_decisions(session, [row])
        except SQLAlchemyError:
            log.exception("breaker.decision.record_failed")


def _insert_decisions(session: Session, rows: list[dict[str, Any]]) -> None:
    if rows:
        session.execute(insert(table_of(DecisionRow)), rows)


class IncidentResponder:
    """When an incident opens, queues a call-back for every conversation already affected.

    Each call-back is a zero-cost ``callback`` remedy reserved in the ledger under the key
    ``incident:<id>:<conversation>`` (so it is queued once, within the budget caps; a
    conversation that already received a remedy keeps that one). Conversations that write
    later about the cause get the engine's known-issue apology and lowered thresholds.

    Args:
        ledger: Where the call-backs are reserved.
        detector: The engine's incident detector (for the affected conversations).
        caps: The budget caps.
        customer_of: The customer of a conversation, when known.
        emit: Receives ``incident.outreach.queued`` events.
    """

    def __init__(
        self,
        ledger: RemedyLedger,
        detector: IncidentDetector,
        caps: BudgetCaps,
        customer_of: Callable[[str], str | None],
        emit: Callable[[Event], None] | None = None,
    ) -> None:
        self._ledger = ledger
        self._detector = detector
        self._caps = caps
        self._customer_of = customer_of
        self._emit = emit

    def __call__(self, event: Event) -> None:
        """An event listener: acts on ``incident.opened``."""
        if event.name != INCIDENT_OPENED:
            return
        incident_id = str(event.payload["incident_id"])
        incident = next(
            (i for i in self._detector.open_incidents() if i.incident_id == incident_id), None
        )
        if incident is None:
            return
        queued: list[str] = []
        for conversation_id in sorted(incident.affected_conversations):
            request = ReservationRequest(
                idempotency_key=f"incident:{incident_id}:{conversation_id}",
                conversation_id=conversation_id,
                customer_id=self._customer_of(conversation_id),
                incident_id=incident_id,
                kind=RemedyKind.CALLBACK,
                value=0,
                cost_cents=0,
                at=event.at,
                rule=OUTREACH_RULE,
            )
            try:
                if self._ledger.reserve(request, self._caps).confirmed:
                    queued.append(conversation_id)
            except LedgerError:
                log.exception("breaker.incident.outreach_failed")
        log.info(
            "breaker.incident.outreach",
            extra={"incident_id": incident_id, "callbacks": len(queued)},
        )
        if self._emit is not None:
            payload: dict[str, JsonValue] = {"incident_id": incident_id, "callbacks": len(queued)}
            self._emit(Event("incident.outreach.queued", event.at, None, payload))
