"""Remedy budgets: the caps, the reservation records, and the pure check a ledger runs.

A ledger (in memory, or SQL in production) computes :class:`BudgetUsage` for the scopes of a
request inside its own lock or transaction, calls :func:`check_budget`, and records the
reservation only when no cap would be exceeded. Amounts are integer minor units (cents).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from escalation.decision import RemedyKind

SECONDS_PER_DAY = 86_400
CUSTOMER_WINDOW_DAYS = 30


@dataclass(frozen=True, slots=True)
class BudgetCaps:
    """Spending caps; a value of 0 forbids any remedy in that scope.

    Attributes:
        currency: ISO currency of every amount.
        per_conversation_count: Remedies per conversation.
        per_conversation_cents: Cost per conversation.
        per_customer_30d_count: Remedies per customer over a rolling 30 days.
        per_customer_30d_cents: Cost per customer over a rolling 30 days.
        per_incident_cents: Cost per incident (aggregate surge).
        per_day_cents: Cost per UTC calendar day across the shop.
    """

    currency: str
    per_conversation_count: int
    per_conversation_cents: int
    per_customer_30d_count: int
    per_customer_30d_cents: int
    per_incident_cents: int
    per_day_cents: int


class Cap(StrEnum):
    """Names of the caps, as policy key paths, used in refusal reasons."""

    PER_CONVERSATION_COUNT = "budgets.per_conversation.max_count"
    PER_CONVERSATION_AMOUNT = "budgets.per_conversation.max_amount"
    PER_CUSTOMER_COUNT = "budgets.per_customer_30d.max_count"
    PER_CUSTOMER_AMOUNT = "budgets.per_customer_30d.max_amount"
    PER_INCIDENT_AMOUNT = "budgets.per_incident.max_amount"
    PER_DAY_AMOUNT = "budgets.per_day.max_amount"


@dataclass(frozen=True, slots=True)
class ReservationRequest:
    """A remedy the engine wants to issue.

    Attributes:
        idempotency_key: Same key, same reservation: a retry never issues twice.
        conversation_id: The conversation it is for.
        customer_id: The customer, or ``None`` (then the per-customer cap does not apply).
        incident_id: The open incident it is part of, or ``None``.
        kind: Kind of remedy.
        value: Percent or minor units, see :class:`~escalation.decision.RemedyOffer`.
        cost_cents: What it costs the budget.
        at: Seconds since the epoch.
        rule: Policy rule that chose it.
    """

    idempotency_key: str
    conversation_id: str
    customer_id: str | None
    incident_id: str | None
    kind: RemedyKind
    value: int
    cost_cents: int
    at: float
    rule: str = ""


class ReservationStatus(StrEnum):
    """Outcome of a reservation attempt."""

    ISSUED = "issued"
    REPLAYED = "replayed"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Reservation:
    """A ledger's answer. For ``replayed``, ``request`` is the originally issued one.

    Attributes:
        status: ``issued``, ``replayed`` (key seen before) or ``refused``.
        request: The reservation as recorded (or as refused).
        reservation_id: The ledger's id; empty when refused.
        refused_cap: The cap that refused it, when refused.
    """

    status: ReservationStatus
    request: ReservationRequest
    reservation_id: str = ""
    refused_cap: Cap | None = None

    @property
    def confirmed(self) -> bool:
        """True when the remedy may be promised to the customer."""
        return self.status is not ReservationStatus.REFUSED


@dataclass(frozen=True, slots=True)
class BudgetUsage:
    """What has already been reserved in each scope of a request."""

    conversation_count: int = 0
    conversation_cents: int = 0
    customer_30d_count: int = 0
    customer_30d_cents: int = 0
    incident_cents: int = 0
    day_cents: int = 0


def utc_day(at: float) -> int:
    """Return the UTC calendar day number of ``at`` (days since the epoch)."""
    return int(at // SECONDS_PER_DAY)


def usage_for(request: ReservationRequest, issued: Iterable[ReservationRequest]) -> BudgetUsage:
    """Sum the issued reservations that share a scope with ``request``.

    Args:
        request: The reservation being considered.
        issued: Every reservation issued so far (any order).

    Returns:
        The usage per scope as of ``request.at``.
    """
    conv_count = conv_cents = cust_count = cust_cents = incident_cents = day_cents = 0
    window_start = request.at - CUSTOMER_WINDOW_DAYS * SECONDS_PER_DAY
    day = utc_day(request.at)
    for entry in issued:
        if entry.conversation_id == request.conversation_id:
            conv_count += 1
            conv_cents += entry.cost_cents
        if (
            request.customer_id is not None
            and entry.customer_id == request.customer_id
            and entry.at > window_start
        ):
            cust_count += 1
            cust_cents += entry.cost_cents
        if request.incident_id is not None and entry.incident_id == request.incident_id:
            incident_cents += entry.cost_cents
        if utc_day(entry.at) == day:
            day_cents += entry.cost_cents
    return BudgetUsage(conv_count, conv_cents, cust_count, cust_cents, incident_cents, day_cents)


def check_budget(request: ReservationRequest, usage: BudgetUsage, caps: BudgetCaps) -> Cap | None:
    """Return the first cap ``request`` would exceed on top of ``usage``, or ``None`` if it fits.

    Args:
        request: The reservation being considered.
        usage: What is already reserved in its scopes.
        caps: The policy's caps.
    """
    cost = request.cost_cents
    if usage.conversation_count + 1 > caps.per_conversation_count:
        return Cap.PER_CONVERSATION_COUNT
    if usage.conversation_cents + cost > caps.per_conversation_cents:
        return Cap.PER_CONVERSATION_AMOUNT
    if request.customer_id is not None:
        if usage.customer_30d_count + 1 > caps.per_customer_30d_count:
            return Cap.PER_CUSTOMER_COUNT
        if usage.customer_30d_cents + cost > caps.per_customer_30d_cents:
            return Cap.PER_CUSTOMER_AMOUNT
    if request.incident_id is not None and usage.incident_cents + cost > caps.per_incident_cents:
        return Cap.PER_INCIDENT_AMOUNT
    if usage.day_cents + cost > caps.per_day_cents:
        return Cap.PER_DAY_AMOUNT
    return None
