"""Building the core's :class:`~escalation.signals.TurnSignal` from a gateway turn.

The NLU parse gives intent, confidence, entities and affect; the shop gives the customer's tier
and complaint history and the facts of the order in question; the breaker's own decision rows
give earlier contacts about the same order.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.models import DecisionRow
from bot.gateway.escalation_hook import CustomerTurn
from bot.shop.errors import ShopError
from bot.shop.store import ShopStore
from escalation.signals import (
    Affect,
    AffectLabel,
    Cue,
    CustomerProfile,
    CustomerTier,
    OrderFacts,
    TurnSignal,
)

log = logging.getLogger(__name__)

FALLBACK_INTENTS = frozenset({"nlu_fallback", "out_of_scope"})
HUMAN_INTENTS = frozenset({"request_human"})
REPEAT_WINDOW_SECONDS = 30 * 86_400
# The NLU's cue names (bot.nlu.affect) → the escalation policy's cue names.
CUE_NAMES: Mapping[str, str] = {
    "all_caps": Cue.CAPS,
    "caps_words": Cue.CAPS,
    "repeated_punctuation": Cue.EXCLAMATIONS,
    "threat": Cue.THREAT_CHARGEBACK,
    "profanity": Cue.PROFANITY,
    "insult": Cue.PROFANITY,
    "repeat_contact": Cue.REPEAT_CONTACT,
}
_ORDER_NUMBER = re.compile(r"\d{1,9}")


def complaint_risk(complaints: int) -> float:
    """Chance of a formal complaint from past complaints: 0 → 0, 1 → 0.39, 3 → 0.78."""
    return round(1.0 - math.exp(-0.5 * max(0, complaints)), 3)


def _number(value: Any, low: float, high: float, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        return default
    return min(high, max(low, float(value)))


def affect_of(parse: Mapping[str, Any]) -> Affect:
    """The parse's ``affect`` block as the core's :class:`Affect` (defaults when missing)."""
    raw = parse.get("affect")
    if not isinstance(raw, Mapping):
        return Affect()
    label = raw.get("label")
    cues = raw.get("cues") if isinstance(raw.get("cues"), list) else []
    mapped = dict.fromkeys(CUE_NAMES.get(str(cue), str(cue)) for cue in cues or [])
    return Affect(
        anger=_number(raw.get("anger"), 0.0, 1.0, 0.0),
        sentiment=_number(raw.get("sentiment"), -1.0, 1.0, 0.0),
        label=AffectLabel(label) if label in set(AffectLabel) else AffectLabel.CALM,
        cues=tuple(mapped),
    )


def entities_of(parse: Mapping[str, Any]) -> dict[str, str]:
    """First value of each entity in the parse (``{"order_id": "1042", "carrier": "DHL"}``)."""
    values: dict[str, str] = {}
    for entity in parse.get("entities") or []:
        if isinstance(entity, Mapping) and entity.get("entity") and entity.get("value"):
            values.setdefault(str(entity["entity"]), str(entity["value"]))
    return values


def intent_of(parse: Mapping[str, Any]) -> tuple[str, float]:
    """The top intent and its confidence (``nlu_fallback``, 0 when the parse has none)."""
    intent = parse.get("intent")
    if not isinstance(intent, Mapping) or not intent.get("name"):
        return "nlu_fallback", 0.0
    return str(intent["name"]), _number(intent.get("confidence"), 0.0, 1.0, 0.0)


class SignalBuilder:
    """Turns gateway turns into signals, asking the shop about customers and orders.

    Args:
        shop: The shop store (``None``: no profile or order facts).
        sessions: Sessions on the breaker's tables (earlier contacts about an order).
        today: Today's date (for days late); the UTC date when ``None``.
        remembered: Conversations whose last order number is kept in memory.
    """

    def __init__(
        self,
        shop: ShopStore | None,
        sessions: sessionmaker[Session] | None = None,
        *,
        today: date | None = None,
        remembered: int = 10_000,
    ) -> None:
        self._shop = shop
        self._sessions = sessions
        self._today = today
        self._orders: OrderedDict[str, str] = OrderedDict()
        self._remembered = remembered
        self._lock = threading.Lock()

    def build(self, turn: CustomerTurn) -> TurnSignal:
        """The signal for one customer message (shop trouble only drops the shop facts)."""
        intent, confidence = intent_of(turn.parse)
        entities = entities_of(turn.parse)
        order_id = self._order_id(turn.conversation_id, entities)
        if order_id is not None:
            entities.setdefault("order_id", order_id)
        order = self._order(order_id, turn.customer_id)
        if order is not None and order.carrier:
            entities.setdefault("carrier", order.carrier)
        return TurnSignal(
            conversation_id=turn.conversation_id,
            intent=intent,
            intent_confidence=confidence,
            affect=affect_of(turn.parse),
            timestamp=turn.received_at.timestamp(),
            message_id=f"{turn.conversation_id}:{turn.turn_index}",
            is_fallback=intent in FALLBACK_INTENTS or bool(turn.parse.get("out_of_scope")),
            asked_for_human=intent in HUMAN_INTENTS,
            entities=entities,
            customer=self._customer(turn, order_id),
            order=order,
            text_length=len(turn.text),
        )

    def _order_id(self, conversation_id: str, entities: Mapping[str, str]) -> str | None:
        raw = entities.get("order_id", "").lstrip("#")
        with self._lock:
            if _ORDER_NUMBER.fullmatch(raw):
                self._orders[conversation_id] = raw
                self._orders.move_to_end(conversation_id)
                while len(self._orders) > self._remembered:
                    self._orders.popitem(last=False)
                return raw
            return self._orders.get(conversation_id)

    def _order(self, order_id: str | None, customer_id: int | None) -> OrderFacts | None:
        if order_id is None or self._shop is None:
            return None
        if customer_id is None:
            # An unauthenticated visitor may type anyone's order number: its facts (status,
            # delay, carrier) would end up in an apology or a handoff reason. Only the number.
            return OrderFacts(order_id)
        try:
            info = self._shop.get_order(int(order_id), customer_id=customer_id)
        except ShopError as error:
            log.info(
                "breaker.signal.order_unknown", extra={"order_id": order_id, "error": str(error)}
            )
            return OrderFacts(order_id)
        shipment = info.shipment
        delay = 0
        if shipment is not None and shipment.delivered_at is None:
            today = self._today or datetime.now(UTC).date()
            delay = max(shipment.delay_days, (today - shipment.original_eta).days, 0)
        elif shipment is not None:
            delay = shipment.delay_days
        return OrderFacts(
            order_id=order_id,
            status=info.status.value,
            delay_days=delay,
            carrier=shipment.carrier.lower() if shipment is not None else None,
        )

    def _customer(self, turn: CustomerTurn, order_id: str | None) -> CustomerProfile:
        if turn.customer_id is None:
            return CustomerProfile()
        customer_id = str(turn.customer_id)
        prior = self._prior_contacts(turn, customer_id, order_id)
        if self._shop is None:
            return CustomerProfile(customer_id, prior_contacts_same_order=prior)
        try:
            info = self._shop.get_customer(turn.customer_id)
        except ShopError:
            return CustomerProfile(customer_id, prior_contacts_same_order=prior)
        return CustomerProfile(
            customer_id=customer_id,
            tier=CustomerTier(info.tier.value),
            complaint_risk=complaint_risk(info.complaint_count),
            prior_contacts_same_order=prior,
        )

    def _prior_contacts(self, turn: CustomerTurn, customer_id: str, order_id: str | None) -> int:
        if order_id is None or self._sessions is None:
            return 0
        since = turn.received_at.timestamp() - REPEAT_WINDOW_SECONDS
        try:
            with self._sessions.begin() as session:
                count = session.scalar(
                    select(func.count(func.distinct(DecisionRow.conversation_id))).where(
                        DecisionRow.customer_id == customer_id,
                        DecisionRow.order_id == order_id,
                        DecisionRow.conversation_id != turn.conversation_id,
                        DecisionRow.at >= since,
                    )
                )
        except SQLAlchemyError:
            log.exception("breaker.signal.prior_contacts_failed")
            return 0
        return int(count or 0)
