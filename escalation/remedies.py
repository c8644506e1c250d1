"""Choosing a remedy by cause and customer tier, and getting it confirmed by the ledger.

Only a remedy the ledger confirmed ever becomes a :class:`~escalation.decision.RemedyOffer`;
the bot must never promise what was not issued.
"""

from __future__ import annotations

from dataclasses import dataclass

from escalation.budget import BudgetCaps, Cap, ReservationRequest
from escalation.decision import RemedyOffer
from escalation.policy import CauseMatch, RemedyRule
from escalation.ports import RemedyLedger
from escalation.signals import TurnSignal


def rule_matches(when: CauseMatch, signal: TurnSignal) -> bool:
    """Whether a message's cause (intent, order facts, entities) matches a rule's ``when``."""
    if when.intents and signal.intent not in when.intents:
        return False
    order = signal.order
    if when.order_statuses and (order is None or order.status not in when.order_statuses):
        return False
    if when.min_delay_days and (order is None or order.delay_days < when.min_delay_days):
        return False
    return all(signal.entities.get(name) for name in when.entities)


def find_rule(rules: tuple[RemedyRule, ...], signal: TurnSignal) -> RemedyRule | None:
    """The first rule whose cause matches the message."""
    return next((rule for rule in rules if rule_matches(rule.when, signal)), None)


@dataclass(frozen=True, slots=True)
class RemedyAttempt:
    """The outcome of trying to issue a remedy.

    Attributes:
        offer: The confirmed offer, or ``None``.
        rule: The matching rule's name, if any.
        refused_caps: Caps that refused offers, in the order tried.
    """

    offer: RemedyOffer | None
    rule: str | None
    refused_caps: tuple[Cap, ...] = ()

    def refusal_words(self) -> str:
        """Why no remedy was issued, in plain words."""
        if self.rule is None:
            return "no remedy rule matches this cause"
        if not self.refused_caps:
            return f"rule {self.rule} has no offer for this customer"
        caps = ", ".join(dict.fromkeys(cap.value for cap in self.refused_caps))
        return f"budget cap reached ({caps})"


def issue_remedy(
    signal: TurnSignal,
    rules: tuple[RemedyRule, ...],
    ledger: RemedyLedger,
    caps: BudgetCaps,
    *,
    idempotency_key: str,
    incident_id: str | None,
    at: float,
) -> RemedyAttempt:
    """Try the matching rule's offers for the customer's tier until the ledger confirms one.

    All offers are tried under one idempotency key, so a retried message gets back the remedy
    issued the first time and never a second one.

    Args:
        signal: The message that reached the remedy tier.
        rules: The policy's remedy rules.
        ledger: Where reservations are made.
        caps: The budget caps.
        idempotency_key: Key for this message's remedy.
        incident_id: The open incident of the message's cause, for the per-incident cap.
        at: The message's timestamp.
    """
    rule = find_rule(rules, signal)
    if rule is None:
        return RemedyAttempt(None, None)
    refused: list[Cap] = []
    for option in rule.offers[signal.customer.tier]:
        request = ReservationRequest(
            idempotency_key=idempotency_key,
            conversation_id=signal.conversation_id,
            customer_id=signal.customer_id,
            incident_id=incident_id,
            kind=option.kind,
            value=option.value,
            cost_cents=option.cost_cents,
            at=at,
            rule=rule.name,
        )
        reservation = ledger.reserve(request, caps)
        if reservation.confirmed:
            issued = reservation.request
            offer = RemedyOffer(
                kind=issued.kind,
                value=issued.value,
                currency=caps.currency,
                cost_cents=issued.cost_cents,
                reservation_id=reservation.reservation_id,
                idempotency_key=issued.idempotency_key,
                rule=issued.rule,
            )
            return RemedyAttempt(offer, rule.name, tuple(refused))
        if reservation.refused_cap is not None:
            refused.append(reservation.refused_cap)
    return RemedyAttempt(None, rule.name, tuple(refused))
