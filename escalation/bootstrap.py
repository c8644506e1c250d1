"""Wiring the engine to in-memory adapters (embedded mode, simulations, tests).

Production wiring (SQL stores, the gateway's event sink) lives with the adapters; this is the
one place the in-memory parts are put together.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation.engine import EscalationEngine
from escalation.incidents import IncidentDetector
from escalation.memory import (
    CollectingEventSink,
    InMemoryRemedyLedger,
    InMemoryStateStore,
    ManualClock,
)
from escalation.policy import Policy
from escalation.policy_loader import default_policy


@dataclass(frozen=True, slots=True)
class InMemoryEscalation:
    """An engine with its in-memory parts exposed for inspection."""

    engine: EscalationEngine
    store: InMemoryStateStore
    ledger: InMemoryRemedyLedger
    sink: CollectingEventSink
    clock: ManualClock
    detector: IncidentDetector | None


def in_memory_engine(
    policy: Policy | None = None, *, clock: ManualClock | None = None, incidents: bool = True
) -> InMemoryEscalation:
    """Build an engine on in-memory stores, a collecting event sink and a manual clock.

    Args:
        policy: The policy; the packaged default when ``None``.
        clock: The clock; a new :class:`ManualClock` when ``None``.
        incidents: Whether to attach an incident detector.
    """
    policy = policy or default_policy()
    store, ledger, sink = InMemoryStateStore(), InMemoryRemedyLedger(), CollectingEventSink()
    clock = clock or ManualClock()
    detector = IncidentDetector(policy.incidents) if incidents else None
    engine = EscalationEngine(
        policy, store=store, ledger=ledger, events=sink, clock=clock, incidents=detector
    )
    return InMemoryEscalation(engine, store, ledger, sink, clock, detector)
