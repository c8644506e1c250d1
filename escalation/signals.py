"""What the engine is told about one customer message: a frozen :class:`TurnSignal`.

The gateway builds one signal per customer message from the NLU result (intent, confidence,
entities, affect), the customer profile and, when known, the facts of the order in question.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from escalation.errors import InvalidSignalError


class AffectLabel(StrEnum):
    """The NLU's coarse anger label for one message."""

    CALM = "calm"
    ANNOYED = "annoyed"
    ANGRY = "angry"
    FURIOUS = "furious"


class CustomerTier(StrEnum):
    """How valued a customer is (same values as the shop's ``CustomerTier``)."""

    VIP = "vip"
    REGULAR = "regular"
    NEW = "new"


class Cue(StrEnum):
    """Affect cues the NLU may report; unknown cue strings are accepted and ignored by default."""

    CAPS = "caps"
    EXCLAMATIONS = "exclamations"
    PROFANITY = "profanity"
    THREAT_CHARGEBACK = "threat_chargeback"
    REPEAT_CONTACT = "repeat_contact"


def _check_range(name: str, value: float, low: float, high: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidSignalError(f"{name}: must be a number, got {value!r}")
    if math.isnan(value) or not low <= value <= high:
        raise InvalidSignalError(f"{name}: must be between {low:g} and {high:g}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Affect:
    """How the customer feels in one message.

    Attributes:
        anger: Anger intensity, 0 (none) to 1 (furious).
        sentiment: Polarity, -1 (very negative) to 1 (very positive).
        label: The NLU's coarse label.
        cues: Surface cues such as ``"caps"`` or ``"threat_chargeback"`` (see :class:`Cue`).
    """

    anger: float = 0.0
    sentiment: float = 0.0
    label: AffectLabel = AffectLabel.CALM
    cues: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_range("affect.anger", self.anger, 0.0, 1.0)
        _check_range("affect.sentiment", self.sentiment, -1.0, 1.0)
        object.__setattr__(self, "label", AffectLabel(self.label))
        object.__setattr__(self, "cues", tuple(str(cue) for cue in self.cues))


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """What the shop knows about the customer.

    Attributes:
        customer_id: The shop's customer id; ``None`` for an anonymous visitor.
        tier: ``vip``, ``regular`` or ``new``.
        complaint_risk: Estimated chance of a formal complaint, 0 to 1.
        prior_contacts_same_order: Earlier conversations about the order in question.
    """

    customer_id: str | None = None
    tier: CustomerTier = CustomerTier.REGULAR
    complaint_risk: float = 0.0
    prior_contacts_same_order: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "tier", CustomerTier(self.tier))
        _check_range("customer.complaint_risk", self.complaint_risk, 0.0, 1.0)
        if self.prior_contacts_same_order < 0:
            raise InvalidSignalError("customer.prior_contacts_same_order: must be ≥ 0")


@dataclass(frozen=True, slots=True)
class OrderFacts:
    """Facts about the order the message is about.

    Attributes:
        order_id: The order number as shown to the customer.
        status: The shop's order status (``shipped``, ``delayed``, ``delivered``, ...).
        delay_days: Days past the promised delivery date; 0 when on time.
        carrier: The parcel carrier, when shipped.
    """

    order_id: str
    status: str = "unknown"
    delay_days: int = 0
    carrier: str | None = None

    def __post_init__(self) -> None:
        if self.delay_days < 0:
            raise InvalidSignalError(f"order.delay_days: must be ≥ 0, got {self.delay_days!r}")


@dataclass(frozen=True, slots=True)
class TurnSignal:
    """Everything the escalation engine needs about one customer message.

    Attributes:
        conversation_id: The conversation (Rasa sender id).
        intent: The top intent name (``nlu_fallback`` when the NLU gave up).
        intent_confidence: Confidence of ``intent``, 0 to 1.
        affect: Anger, sentiment, label and cues of the message.
        timestamp: Seconds since the epoch; ``None`` lets the engine ask its clock.
        message_id: The channel's message id; makes :meth:`EscalationEngine.decide` idempotent.
        is_fallback: The NLU did not understand the message (fallback or out of scope).
        asked_for_human: The customer asked for a person (intent ``request_human``).
        entities: Entity values by name (``order_id``, ``carrier``, ``product``, ``region``).
        customer: The customer profile.
        order: Facts of the order in question, when known.
        text_length: Characters in the message (for statistics only).
    """

    conversation_id: str
    intent: str
    intent_confidence: float = 1.0
    affect: Affect = field(default_factory=Affect)
    timestamp: float | None = None
    message_id: str | None = None
    is_fallback: bool = False
    asked_for_human: bool = False
    entities: Mapping[str, str] = field(default_factory=dict)
    customer: CustomerProfile = field(default_factory=CustomerProfile)
    order: OrderFacts | None = None
    text_length: int = 0

    def __post_init__(self) -> None:
        if not self.conversation_id:
            raise InvalidSignalError("conversation_id: must not be empty")
        if not self.intent:
            raise InvalidSignalError("intent: must not be empty")
        _check_range("intent_confidence", self.intent_confidence, 0.0, 1.0)
        if self.timestamp is not None and not math.isfinite(self.timestamp):
            raise InvalidSignalError(f"timestamp: must be finite, got {self.timestamp!r}")
        entities = {str(key): str(value) for key, value in self.entities.items()}
        object.__setattr__(self, "entities", MappingProxyType(entities))

    @property
    def customer_id(self) -> str | None:
        """The customer's id, or ``None`` for an anonymous visitor."""
        return self.customer.customer_id

    @property
    def order_id(self) -> str | None:
        """The order in question: from the order facts, else from the entities."""
        if self.order is not None:
            return self.order.order_id
        return self.entities.get("order_id")

    @property
    def carrier(self) -> str | None:
        """The carrier in question: from the entities, else from the order facts."""
        carrier = self.entities.get("carrier")
        if carrier is None and self.order is not None:
            return self.order.carrier
        return carrier
