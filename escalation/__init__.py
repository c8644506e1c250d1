"""The emotional circuit breaker: a pure core of dataclasses, Protocols and functions.

No web, database or Rasa imports here; adapters implement :mod:`escalation.ports`.
"""

from escalation.budget import BudgetCaps, Reservation, ReservationRequest, ReservationStatus
from escalation.decision import (
    Action,
    Decision,
    Event,
    Priority,
    RemedyKind,
    RemedyOffer,
    SootheOffer,
    Tier,
)
from escalation.engine import EscalationEngine
from escalation.errors import EscalationError, InvalidSignalError, PolicyError
from escalation.incidents import Incident, IncidentDetector
from escalation.policy import Policy
from escalation.policy_loader import default_policy, load_policy, parse_policy
from escalation.ports import Clock, ConversationStateStore, EventSink, RemedyLedger
from escalation.signals import (
    Affect,
    AffectLabel,
    CustomerProfile,
    CustomerTier,
    OrderFacts,
    TurnSignal,
)
from escalation.state import ConversationState

__all__ = [
    "Action",
    "Affect",
    "AffectLabel",
    "BudgetCaps",
    "Clock",
    "ConversationState",
    "ConversationStateStore",
    "CustomerProfile",
    "CustomerTier",
    "Decision",
    "EscalationEngine",
    "EscalationError",
    "Event",
    "EventSink",
    "Incident",
    "IncidentDetector",
    "InvalidSignalError",
    "OrderFacts",
    "Policy",
    "PolicyError",
    "Priority",
    "RemedyKind",
    "RemedyLedger",
    "RemedyOffer",
    "Reservation",
    "ReservationRequest",
    "ReservationStatus",
    "SootheOffer",
    "Tier",
    "TurnSignal",
    "default_policy",
    "load_policy",
    "parse_policy",
]
