"""The SQL :class:`~escalation.ports.EventSink`: events, incidents and effects in the database.

Every event lands in ``breaker_events``; ``incident.opened`` / ``incident.closed`` also keep
``breaker_incidents`` current, ``escalation.effect.measured`` fills ``breaker_effects``, and
``escalation.remedy.issued`` stores the decision's reason on the remedy (the audit trail's
"why"). Delivery problems are logged (``breaker.event.failed``), never raised into the engine.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.ledger import parse_reservation_id
from bot.breaker.models import EffectRow, EventRow, IncidentRow, RemedyRow
from bot.breaker.write_behind import WriteBehind
from escalation.decision import Event, JsonValue
from escalation.effects import EFFECT_EVENT
from escalation.events import EVENT_REMEDY_ISSUED
from escalation.incidents import INCIDENT_CLOSED, INCIDENT_OPENED

log = logging.getLogger(__name__)

OUTCOME_EVENT = "escalation.conversation.outcome"


def _text(value: JsonValue) -> str:
    return "" if value is None else str(value)


def _number(value: JsonValue) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


class SqlEventSink:
    """Writes events to the app database and forwards them to ``listeners`` (console fan-out).

    Args:
        sessions: Sessions on the breaker's engine.
        listeners: Called with every event after it is stored (errors are logged).
        writer: Queue the rows here (committed in batches) instead of one transaction each.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        listeners: tuple[Callable[[Event], None], ...] = (),
        writer: WriteBehind | None = None,
    ) -> None:
        self._sessions = sessions
        self._listeners = list(listeners)
        self._writer = writer

    def add_listener(self, listener: Callable[[Event], None]) -> None:
        """Also send every later event to ``listener``."""
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        """Store one event (never raises)."""
        if self._writer is not None:
            self._writer.submit(lambda session: self._store(session, event))
        else:
            try:
                with self._sessions.begin() as session:
                    self._store(session, event)
            except SQLAlchemyError:
                log.exception("breaker.event.failed", extra={"event": event.name})
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:  # a console listener must not break the engine
                log.exception("breaker.event.listener_failed", extra={"event": event.name})

    def _store(self, session: Session, event: Event) -> None:
        payload = dict(event.payload)
        incident_id = payload.get("incident_id")
        session.add(
            EventRow(
                name=event.name,
                at=event.at,
                conversation_id=event.conversation_id,
                incident_id=None if incident_id is None else str(incident_id),
                payload=json.dumps(payload, default=str),
            )
        )
        if event.name == INCIDENT_OPENED:
            session.add(
                IncidentRow(
                    incident_id=_text(payload["incident_id"]),
                    cause_key=_text(payload["cause_key"]),
                    opened_at=event.at,
                    p_value=_number(payload.get("p_value")),
                    window_seconds=_number(payload.get("window_seconds")),
                    angry_conversations=int(_number(payload.get("angry_conversations"))),
                    conversations=int(_number(payload.get("conversations"))),
                    expected=_number(payload.get("expected")),
                    details=json.dumps(payload, default=str),
                )
            )
        elif event.name == INCIDENT_CLOSED:
            row = session.get(IncidentRow, _text(payload["incident_id"]))
            if row is not None:
                row.closed_at = event.at
                details = json.loads(row.details or "{}")
                details["closed"] = payload
                row.details = json.dumps(details, default=str)
        elif event.name == EFFECT_EVENT and event.conversation_id is not None:
            self._effect(session, event.conversation_id, event.at, payload)
        elif event.name == OUTCOME_EVENT and event.conversation_id is not None:
            outcome = _text(payload.get("outcome"))
            for effect in session.scalars(
                select(EffectRow).where(EffectRow.conversation_id == event.conversation_id)
            ):
                effect.outcome = outcome
        elif event.name == EVENT_REMEDY_ISSUED:
            row_id = parse_reservation_id(_text(payload.get("reservation_id")))
            remedy = session.get(RemedyRow, row_id) if row_id is not None else None
            if remedy is not None:
                remedy.reason = _text(payload.get("reason"))

    def _effect(
        self, session: Session, conversation_id: str, at: float, payload: dict[str, JsonValue]
    ) -> None:
        intervention_id = _text(payload["intervention_id"])
        row = session.get(EffectRow, intervention_id)
        if row is None:
            incident_id = session.scalar(
                select(EventRow.incident_id)
                .where(
                    EventRow.conversation_id == conversation_id,
                    EventRow.incident_id.is_not(None),
                )
                .limit(1)
            )
            outcome = session.scalar(
                select(EventRow.payload)
                .where(EventRow.conversation_id == conversation_id, EventRow.name == OUTCOME_EVENT)
                .order_by(EventRow.id.desc())
                .limit(1)
            )
            row = EffectRow(
                intervention_id=intervention_id,
                conversation_id=conversation_id,
                incident_id=incident_id,
                outcome=None if outcome is None else json.loads(outcome).get("outcome"),
            )
            session.add(row)
        change = payload.get("change")
        row.action = _text(payload.get("action"))
        remedy_kind = payload.get("remedy_kind")
        row.remedy_kind = None if remedy_kind is None else str(remedy_kind)
        row.at = at
        row.turn = int(_number(payload.get("turn")))
        row.anger_before = _number(payload.get("anger_before"))
        row.level_before = _number(payload.get("level_before"))
        row.anger_after = json.dumps(payload.get("anger_after") or [])
        row.change = None if change is None else _number(change)
        row.complete = bool(payload.get("complete"))
