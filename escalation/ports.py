"""The interfaces the escalation core depends on; adapters (SQL, Redis, console) implement them.

In-memory implementations live in :mod:`escalation.memory`.
"""

from __future__ import annotations

from typing import Protocol

from escalation.budget import BudgetCaps, Reservation, ReservationRequest
from escalation.decision import Event
from escalation.state import ConversationState


class Clock(Protocol):
    """Tells the time in seconds since the epoch."""

    def now(self) -> float:
        """The current time."""
        ...


class ConversationStateStore(Protocol):
    """Keeps each conversation's :class:`ConversationState` between messages.

    The gateway decides one message at a time per conversation, so a load-decide-save cycle
    never races with itself for one conversation; stores need no locking beyond that.
    """

    def load(self, conversation_id: str) -> ConversationState | None:
        """The stored state, or ``None`` for a conversation not seen before."""
        ...

    def save(self, state: ConversationState) -> None:
        """Store ``state``, replacing the previous one."""
        ...

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation (no error if unknown)."""
        ...


class RemedyLedger(Protocol):
    """Issues remedies exactly once per idempotency key, within the budget caps.

    ``reserve`` must be atomic: compute the usage of the request's scopes
    (:func:`escalation.budget.usage_for` or SQL sums), run
    :func:`escalation.budget.check_budget`, and record the reservation in one transaction.
    """

    def reserve(self, request: ReservationRequest, caps: BudgetCaps) -> Reservation:
        """Reserve a remedy, replay an earlier one with the same key, or refuse it."""
        ...


class EventSink(Protocol):
    """Receives events (case log, console fan-out); must not raise for delivery problems."""

    def emit(self, event: Event) -> None:
        """Deliver one event."""
        ...
