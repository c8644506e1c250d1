"""What the engine answers: a frozen :class:`Decision`, plus the events and offers it carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from types import MappingProxyType

JsonScalar = str | int | float | bool | None
JsonValue = JsonScalar | list["JsonValue"] | dict[str, "JsonValue"]


class Tier(IntEnum):
    """Escalation tiers, in increasing order of intervention."""

    NONE = 0
    SOOTHE = 1
    REMEDY = 2
    HANDOFF = 3


class Action(StrEnum):
    """What the bot should do for this message."""

    NONE = "none"
    SOOTHE = "soothe"
    REMEDY = "remedy"
    HANDOFF = "handoff"

    @property
    def tier(self) -> Tier:
        """The tier this action belongs to."""
        return Tier[self.name]


class Priority(StrEnum):
    """Queue priority of a handoff."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for ``low`` up to 3 for ``urgent``."""
        return list(Priority).index(self)


def max_priority(*priorities: Priority) -> Priority:
    """Return the most urgent of ``priorities``."""
    return max(priorities, key=lambda priority: priority.rank)


class RemedyKind(StrEnum):
    """Kinds of compensation the engine can offer."""

    COUPON_PERCENT = "coupon_percent"
    COUPON_AMOUNT = "coupon_amount"
    EXPEDITED_SHIPPING = "expedited_shipping"
    CALLBACK = "callback"


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened, with a stable dotted name (``escalation.handoff.requested``).

    Attributes:
        name: Stable event name; consumers switch on it.
        at: Seconds since the epoch.
        conversation_id: The conversation concerned, if any (incident events have none).
        payload: JSON-serialisable details.
    """

    name: str
    at: float
    conversation_id: str | None = None
    payload: Mapping[str, JsonValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "payload", MappingProxyType(dict(self.payload)))

    def as_dict(self) -> dict[str, JsonValue]:
        """Return the event as a JSON-serialisable dict."""
        return {
            "name": self.name,
            "at": self.at,
            "conversation_id": self.conversation_id,
            "payload": dict(self.payload),
        }


@dataclass(frozen=True, slots=True)
class RemedyOffer:
    """A remedy the ledger has confirmed; only confirmed remedies appear in a decision.

    Attributes:
        kind: What is offered.
        value: Percent for ``coupon_percent``, minor units (cents) for ``coupon_amount``, else 0.
        currency: ISO currency of ``value`` and ``cost_cents``.
        cost_cents: What the remedy costs the budget, in minor units.
        reservation_id: The ledger's id of the reservation.
        idempotency_key: The key the reservation was made under.
        rule: Name of the policy rule (the cause) that chose it.
    """

    kind: RemedyKind
    value: int
    currency: str
    cost_cents: int
    reservation_id: str
    idempotency_key: str
    rule: str

    def describe(self) -> str:
        """Plain words for the offer, e.g. ``a 10% coupon`` or ``a 5.00 EUR coupon``."""
        if self.kind is RemedyKind.COUPON_PERCENT:
            return f"a {self.value}% coupon"
        if self.kind is RemedyKind.COUPON_AMOUNT:
            return f"a {self.value / 100:.2f} {self.currency} coupon"
        if self.kind is RemedyKind.EXPEDITED_SHIPPING:
            return "free expedited shipping"
        return "a callback from our team"


@dataclass(frozen=True, slots=True)
class SootheOffer:
    """An empathetic reply: a variant key, the problem it names and a ready-made text.

    Attributes:
        variant: Policy name of the variant (Rasa can map it to ``utter_soothe_<variant>``).
        problem: The problem in plain words (``the delay on order 1042``).
        text: The variant's template filled with ``problem``.
    """

    variant: str
    problem: str
    text: str


@dataclass(frozen=True, slots=True)
class Decision:
    """The engine's answer for one customer message.

    Attributes:
        conversation_id: The conversation.
        at: When the message was decided (seconds since the epoch).
        action: The intervention to perform now (``none`` when holding or calm).
        tier: The tier the conversation is in after this message (hysteresis state).
        pressure: The escalation score, 0 to 1, that was compared to the tier thresholds.
        reason_codes: Stable machine codes (``anger_rising``, ``order_delayed``, ...).
        reason: The same in plain words, for agents and the case log.
        priority: Queue priority; meaningful for handoffs.
        queue: Agent queue for a handoff (``general`` or ``dedicated``), else ``None``.
        remedy: The confirmed remedy, only when ``action`` is ``remedy``.
        soothe: The empathetic reply, when ``action`` is ``soothe`` or ``remedy``.
        anger_trend: Recent raw anger values of the conversation, oldest first.
        incident_id: The open incident for this message's cause, if any.
        events: The events this decision emitted (already sent to the event sink).
    """

    conversation_id: str
    at: float
    action: Action
    tier: Tier
    pressure: float
    reason_codes: tuple[str, ...]
    reason: str
    priority: Priority = Priority.NORMAL
    queue: str | None = None
    remedy: RemedyOffer | None = None
    soothe: SootheOffer | None = None
    anger_trend: tuple[float, ...] = ()
    incident_id: str | None = None
    events: tuple[Event, ...] = ()
