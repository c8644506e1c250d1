"""Wiring the escalation engine to the SQL adapters (the one place they are put together)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.database import breaker_engine, breaker_sessions
from bot.breaker.events import SqlEventSink
from bot.breaker.ledger import SqlRemedyLedger
from bot.breaker.state_store import SqlStateStore
from escalation.decision import Event
from escalation.engine import EscalationEngine
from escalation.incidents import IncidentDetector
from escalation.memory import SystemClock
from escalation.policy import Policy
from escalation.policy_loader import default_policy
from escalation.ports import Clock


@dataclass(frozen=True, slots=True)
class SqlEscalation:
    """An engine on the SQL adapters, with its parts exposed (hook, simulate, reports, tests)."""

    engine: EscalationEngine
    store: SqlStateStore
    ledger: SqlRemedyLedger
    sink: SqlEventSink
    sessions: sessionmaker[Session]
    db: Engine
    detector: IncidentDetector | None

    def dispose(self) -> None:
        """Close the database connections."""
        self.db.dispose()


def sql_escalation(
    url: str,
    policy: Policy | None = None,
    *,
    clock: Clock | None = None,
    incidents: bool = True,
    listeners: tuple[Callable[[Event], None], ...] = (),
    actor: str = "circuit-breaker",
    **engine_kwargs: object,
) -> SqlEscalation:
    """Build an engine whose state, ledger and events live in the (migrated) database at ``url``.

    Args:
        url: SQLAlchemy URL of the app database, already migrated (``upgrade_database``).
        policy: The policy; the packaged default when ``None``.
        clock: The clock; the system clock when ``None``.
        incidents: Whether to attach an incident detector (in memory, process-wide).
        listeners: Extra receivers of every event (console fan-out).
        actor: Recorded in the remedy audit trail as the issuer.
        **engine_kwargs: Passed to :func:`bot.breaker.database.breaker_engine`.
    """
    policy = policy or default_policy()
    db = breaker_engine(url, **engine_kwargs)
    sessions = breaker_sessions(db)
    store, ledger = SqlStateStore(sessions), SqlRemedyLedger(sessions, actor=actor)
    sink = SqlEventSink(sessions, listeners)
    detector = IncidentDetector(policy.incidents) if incidents else None
    engine = EscalationEngine(
        policy,
        store=store,
        ledger=ledger,
        events=sink,
        clock=clock or SystemClock(),
        incidents=detector,
    )
    return SqlEscalation(engine, store, ledger, sink, sessions, db, detector)
