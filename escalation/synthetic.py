"""Deterministic synthetic traffic: conversations with realistic anger, optional incidents.

Backs the unit tests of the incident detector, the benchmark, and ``calmdesk simulate``.
Everything is drawn from one ``random.Random(seed)``, so a config always yields the same
messages. The background is mostly calm: a share of conversations is mildly annoyed at times,
a few turn angry on their own (≈3-8% of messages are annoyed or angry overall). An injected
incident makes ``angry_share`` of the conversations about its cause, while it lasts, climb
into anger over several turns (with a delayed order behind them).
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from escalation.signals import (
    Affect,
    AffectLabel,
    Cue,
    CustomerProfile,
    CustomerTier,
    OrderFacts,
    TurnSignal,
)

_CARRIERS = {"dhl": 0.35, "dpd": 0.2, "ups": 0.15, "hermes": 0.15, "gls": 0.15}
_PRODUCTS = ("headphones", "sneakers", "coffee-maker", "backpack", "phone-case", "lamp")
_REGIONS = ("north", "south", "east", "west", "central")
_FOLLOW_UPS = ("inform", "affirm", "deny", "thank_you")


@dataclass(frozen=True, slots=True)
class Cause:
    """What a conversation is about.

    Attributes:
        intent: The conversation's main intent.
        entities: Entities its messages carry (``carrier``, ``product``, ``region``).
        weight: Relative share of conversations.
        anger_factor: Multiplies the background chance that such a conversation turns sour.
    """

    intent: str
    entities: Mapping[str, str]
    weight: float
    anger_factor: float = 1.0


def default_causes() -> tuple[Cause, ...]:
    """A shop's spread of causes: delivery by carrier, returns by product, refunds by region."""
    causes: list[Cause] = []
    for carrier, share in _CARRIERS.items():
        causes.append(Cause("track_order", {"carrier": carrier}, 30 * share, 1.2))
        causes.append(Cause("order_status", {"carrier": carrier}, 8 * share, 1.0))
    for product in _PRODUCTS:
        causes.append(Cause("return_item", {"product": product}, 2.0, 1.0))
        causes.append(Cause("product_question", {"product": product}, 2.5, 0.4))
        causes.append(Cause("report_damaged_item", {"product": product}, 0.8, 1.5))
    for region in _REGIONS:
        causes.append(Cause("refund_status", {"region": region}, 2.0, 1.4))
        causes.append(Cause("payment_issue", {"region": region}, 1.2, 1.2))
    causes.append(Cause("change_address", {}, 5.0, 0.6))
    causes.append(Cause("cancel_order", {}, 4.0, 0.8))
    return tuple(causes)


@dataclass(frozen=True, slots=True)
class InjectedIncident:
    """A surge for one cause: ``angry_share`` of its conversations turn angry while it lasts.

    Attributes:
        intent: The cause's intent.
        entities: The cause's entities (must equal a cause's entities to affect it).
        start_s: Seconds after the simulation start.
        duration_s: How long it lasts.
        angry_share: Share of the cause's conversations that turn angry.
        traffic_multiplier: More conversations about the cause while it lasts.
    """

    intent: str = "track_order"
    entities: Mapping[str, str] = field(default_factory=lambda: {"carrier": "dhl"})
    start_s: float = 6 * 3600.0
    duration_s: float = 6 * 3600.0
    angry_share: float = 0.3
    traffic_multiplier: float = 1.0

    def affects(self, cause: Cause, offset_s: float) -> bool:
        """Whether a conversation about ``cause`` starting at ``offset_s`` is in the incident."""
        in_time = self.start_s <= offset_s < self.start_s + self.duration_s
        return in_time and cause.intent == self.intent and dict(cause.entities) == self.entities


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """Knobs of the synthetic traffic (defaults: a mid-size shop, ~100 conversations an hour)."""

    seed: int = 0
    messages: int = 10_000
    start: float = 1_700_000_000.0
    conversations_per_hour: float = 100.0
    turns: tuple[int, int] = (2, 7)
    turn_gap_s: tuple[float, float] = (15.0, 120.0)
    annoyed_share: float = 0.06
    angry_share: float = 0.015
    vip_share: float = 0.05
    new_share: float = 0.2
    fallback_rate: float = 0.04
    customers: int = 5_000
    causes: tuple[Cause, ...] = field(default_factory=default_causes)
    incidents: tuple[InjectedIncident, ...] = ()


class Temper(StrEnum):
    """How a synthetic conversation goes."""

    CALM = "calm"
    ANNOYED = "annoyed"
    ANGRY = "angry"
    INCIDENT_ANGRY = "incident_angry"


@dataclass(frozen=True, slots=True)
class SyntheticMessage:
    """One generated message with the ground truth behind it."""

    signal: TurnSignal
    cause: Cause
    temper: Temper
    incident: InjectedIncident | None = None


def label_for(anger: float) -> AffectLabel:
    """The coarse label of an anger value (the NLU's cut-offs)."""
    if anger < 0.3:
        return AffectLabel.CALM
    if anger < 0.55:
        return AffectLabel.ANNOYED
    if anger < 0.8:
        return AffectLabel.ANGRY
    return AffectLabel.FURIOUS


class _Generator:
    def __init__(self, config: SimulationConfig) -> None:
        self.config = config
        self.rng = random.Random(config.seed)
        self.weights = [cause.weight for cause in config.causes]
        self.count = 0

    def pick_cause(self, offset_s: float) -> Cause:
        weights = list(self.weights)
        for incident in self.config.incidents:
            if incident.start_s <= offset_s < incident.start_s + incident.duration_s:
                for index, cause in enumerate(self.config.causes):
                    if incident.affects(cause, offset_s):
                        weights[index] *= incident.traffic_multiplier
        return self.rng.choices(self.config.causes, weights)[0]

    def temper(self, cause: Cause, incident: InjectedIncident | None) -> Temper:
        rng, config = self.rng, self.config
        if incident is not None and rng.random() < incident.angry_share:
            return Temper.INCIDENT_ANGRY
        roll = rng.random()
        if roll < config.angry_share * cause.anger_factor:
            return Temper.ANGRY
        if roll < (config.angry_share + config.annoyed_share) * cause.anger_factor:
            return Temper.ANNOYED
        return Temper.CALM

    def angers(self, temper: Temper, turns: int) -> list[float]:
        rng = self.rng
        values: list[float] = []
        if temper in (Temper.ANGRY, Temper.INCIDENT_ANGRY):
            low = 0.3 if temper is Temper.INCIDENT_ANGRY else 0.2
            anger = rng.uniform(low, low + 0.2)
            for _ in range(turns):
                values.append(anger)
                anger = min(0.97, anger + rng.uniform(0.08, 0.25))
            return values
        for _ in range(turns):
            if temper is Temper.ANNOYED and rng.random() < 0.5:
                anger = rng.uniform(0.3, 0.53) if rng.random() < 0.9 else rng.uniform(0.55, 0.68)
            elif rng.random() < 0.015:
                anger = rng.uniform(0.3, 0.5)
            else:
                anger = rng.gauss(0.12, 0.06)
            values.append(min(0.99, max(0.01, anger)))
        return values

    def conversation(self, offset_s: float) -> list[SyntheticMessage]:
        rng, config = self.rng, self.config
        self.count += 1
        cause = self.pick_cause(offset_s)
        incident = next((i for i in config.incidents if i.affects(cause, offset_s)), None)
        temper = self.temper(cause, incident)
        low, high = config.turns
        turns = (
            rng.randint(max(low, 3), high) if temper is not Temper.CALM else rng.randint(low, high)
        )
        conversation_id = f"sim-{config.seed}-{self.count}"
        roll = rng.random()
        tier = (
            CustomerTier.VIP
            if roll < config.vip_share
            else CustomerTier.NEW
            if roll < config.vip_share + config.new_share
            else CustomerTier.REGULAR
        )
        prior = rng.choice((1, 2)) if incident and rng.random() < 0.4 else int(rng.random() < 0.08)
        customer = CustomerProfile(
            customer_id=f"cust-{rng.randrange(config.customers)}",
            tier=tier,
            complaint_risk=round(rng.betavariate(2, 8), 3),
            prior_contacts_same_order=prior,
        )
        order = self.order(cause, incident)
        messages: list[SyntheticMessage] = []
        at = config.start + offset_s
        for turn, anger in enumerate(self.angers(temper, turns)):
            signal = self.signal(conversation_id, turn, cause, anger, temper, at, customer, order)
            messages.append(SyntheticMessage(signal, cause, temper, incident))
            at += rng.uniform(*config.turn_gap_s)
        return messages

    def order(self, cause: Cause, incident: InjectedIncident | None) -> OrderFacts | None:
        rng = self.rng
        carrier = cause.entities.get("carrier")
        if carrier is None:
            return None
        order_id = str(rng.randint(1001, 99_999))
        if incident is not None:
            return OrderFacts(order_id, "delayed", rng.randint(3, 8), carrier)
        roll = rng.random()
        if roll < 0.08:
            return OrderFacts(order_id, "delayed", rng.randint(1, 4), carrier)
        return OrderFacts(order_id, "shipped" if roll < 0.7 else "delivered", 0, carrier)

    def signal(
        self,
        conversation_id: str,
        turn: int,
        cause: Cause,
        anger: float,
        temper: Temper,
        at: float,
        customer: CustomerProfile,
        order: OrderFacts | None,
    ) -> TurnSignal:
        rng = self.rng
        intent, confidence, fallback = cause.intent, rng.uniform(0.7, 0.99), False
        if turn > 0 and rng.random() < 0.3:
            intent = rng.choice(_FOLLOW_UPS)
        if rng.random() < self.config.fallback_rate:
            intent, confidence, fallback = "nlu_fallback", rng.uniform(0.1, 0.4), True
        asked = temper is not Temper.CALM and anger >= 0.7 and rng.random() < 0.1
        if asked:
            intent = "request_human"
        cues: list[str] = []
        if anger >= 0.7:
            cues += [cue for cue in (Cue.CAPS, Cue.EXCLAMATIONS) if rng.random() < 0.3]
            cues += [Cue.PROFANITY] if rng.random() < 0.1 else []
            cues += [Cue.THREAT_CHARGEBACK] if rng.random() < 0.03 else []
        if customer.prior_contacts_same_order and rng.random() < 0.3:
            cues.append(Cue.REPEAT_CONTACT)
        sentiment = min(1.0, max(-1.0, 0.3 - 1.2 * anger + rng.gauss(0, 0.1)))
        return TurnSignal(
            conversation_id=conversation_id,
            intent=intent,
            intent_confidence=round(confidence, 3),
            affect=Affect(round(anger, 3), round(sentiment, 3), label_for(anger), tuple(cues)),
            timestamp=at,
            message_id=f"{conversation_id}-{turn}",
            is_fallback=fallback,
            asked_for_human=asked,
            entities=MappingProxyType(dict(cause.entities)),
            customer=customer,
            order=order,
            text_length=rng.randint(8, 240),
        )


def generate(config: SimulationConfig) -> list[SyntheticMessage]:
    """Generate ``config.messages`` messages, interleaved across conversations by time.

    Args:
        config: The traffic to simulate.

    Returns:
        Messages sorted by timestamp.
    """
    generator = _Generator(config)
    messages: list[SyntheticMessage] = []
    offset = 0.0
    mean_gap = 3600.0 / config.conversations_per_hour
    target = config.messages + max(100, config.messages // 20)
    while len(messages) < target:
        offset += generator.rng.expovariate(1.0 / mean_gap)
        messages.extend(generator.conversation(offset))
    messages.sort(key=lambda message: message.signal.timestamp or 0.0)
    return messages[: config.messages]
