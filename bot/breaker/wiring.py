"""Wiring the escalation engine to the SQL adapters (the one place they are put together)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.database import breaker_engine, breaker_sessions
from bot.breaker.events import SqlEventSink
from bot.breaker.ledger import SqlRemedyLedger
from bot.breaker.state_store import SqlStateStore
from bot.breaker.write_behind import CachedStateStore, WriteBehind
from bot.gateway.escalation_hook import EscalationHook, NoEscalation
from bot.settings import Settings
from escalation.decision import Event
from escalation.engine import EscalationEngine
from escalation.incidents import IncidentDetector
from escalation.memory import SystemClock
from escalation.policy import Policy
from escalation.policy_loader import default_policy, load_policy
from escalation.ports import Clock


@dataclass(frozen=True, slots=True)
class SqlEscalation:
    """An engine on the SQL adapters, with its parts exposed (hook, simulate, reports, tests)."""

    engine: EscalationEngine
    store: SqlStateStore | CachedStateStore
    ledger: SqlRemedyLedger
    sink: SqlEventSink
    sessions: sessionmaker[Session]
    db: Engine
    detector: IncidentDetector | None
    writer: WriteBehind | None = None

    def flush(self) -> None:
        """Wait until queued bookkeeping writes are committed (no-op without write-behind)."""
        if self.writer is not None:
            self.writer.flush()

    def dispose(self) -> None:
        """Commit queued writes, then close the database connections."""
        if self.writer is not None:
            self.writer.close()
        self.db.dispose()


def sql_escalation(
    url: str,
    policy: Policy | None = None,
    *,
    clock: Clock | None = None,
    incidents: bool = True,
    listeners: tuple[Callable[[Event], None], ...] = (),
    actor: str = "circuit-breaker",
    write_behind: bool = False,
    write_interval: float = 0.05,
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
        write_behind: Keep conversation states in memory and commit states, decision rows and
            events in batches from a background thread (:mod:`bot.breaker.write_behind`), as
            the gateway does; the ledger stays synchronous either way.
        write_interval: Seconds the write-behind gathers changes into one batch.
        **engine_kwargs: Passed to :func:`bot.breaker.database.breaker_engine`.
    """
    policy = policy or default_policy()
    db = breaker_engine(url, **engine_kwargs)
    sessions = breaker_sessions(db)
    sql_store, ledger = SqlStateStore(sessions), SqlRemedyLedger(sessions, actor=actor)
    writer = WriteBehind(sessions, interval=write_interval) if write_behind else None
    store = sql_store if writer is None else CachedStateStore(sql_store, writer)
    sink = SqlEventSink(sessions, listeners, writer)
    detector = IncidentDetector(policy.incidents) if incidents else None
    engine = EscalationEngine(
        policy,
        store=store,
        ledger=ledger,
        events=sink,
        clock=clock or SystemClock(),
        incidents=detector,
    )
    return SqlEscalation(engine, store, ledger, sink, sessions, db, detector, writer)


def build_breaker_hook(settings: Settings) -> EscalationHook:
    """The gateway's escalation hook from the settings: the breaker, or no escalation.

    The policy file is loaded and validated here, at start-up: a bad key stops the gateway
    with a :class:`~escalation.errors.PolicyError` naming its path.

    Args:
        settings: ``breaker_enabled``, ``breaker_policy`` and the database URL.
    """
    if not settings.breaker_enabled:
        return NoEscalation()
    from bot.breaker.hook import BreakerHook
    from bot.breaker.signals import SignalBuilder
    from bot.db import make_engine, session_factory
    from bot.shop.sql_store import SqlShopStore

    policy_path = settings.path(Path(settings.breaker_policy)) if settings.breaker_policy else None
    policy = load_policy(policy_path)
    url = settings.sqlalchemy_url
    system = sql_escalation(
        url, policy, write_behind=True, write_interval=settings.breaker_write_interval_s
    )
    shop = SqlShopStore(session_factory(make_engine(url)))
    return BreakerHook(system, SignalBuilder(shop, system.sessions))
