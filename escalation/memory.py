"""In-memory implementations of the ports: for the embedded mode, simulations and tests.

All are thread-safe; :class:`InMemoryRemedyLedger` issues each idempotency key at most once and
never exceeds a cap, however many threads reserve at the same time.
"""

from __future__ import annotations

import itertools
import threading
import time

from escalation.budget import (
    BudgetCaps,
    Reservation,
    ReservationRequest,
    ReservationStatus,
    check_budget,
    usage_for,
)
from escalation.decision import Event
from escalation.state import ConversationState


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()


class ManualClock:
    """A clock that moves only when told to (simulations, tests)."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        """The current manual time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self._now += seconds

    def set(self, at: float) -> None:
        """Jump to ``at``."""
        self._now = at


class InMemoryStateStore:
    """Conversation states in a dict."""

    def __init__(self) -> None:
        self._states: dict[str, ConversationState] = {}
        self._lock = threading.Lock()

    def load(self, conversation_id: str) -> ConversationState | None:
        """The stored state, or ``None``."""
        with self._lock:
            return self._states.get(conversation_id)

    def save(self, state: ConversationState) -> None:
        """Store ``state``."""
        with self._lock:
            self._states[state.conversation_id] = state

    def delete(self, conversation_id: str) -> None:
        """Forget a conversation."""
        with self._lock:
            self._states.pop(conversation_id, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._states)


class InMemoryRemedyLedger:
    """Reservations in a list, guarded by one lock (check and record are one atomic step)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, Reservation] = {}
        self._issued: list[ReservationRequest] = []
        self._ids = itertools.count(1)

    def reserve(self, request: ReservationRequest, caps: BudgetCaps) -> Reservation:
        """Reserve, replay (same key) or refuse a remedy."""
        with self._lock:
            earlier = self._by_key.get(request.idempotency_key)
            if earlier is not None:
                return Reservation(
                    ReservationStatus.REPLAYED, earlier.request, earlier.reservation_id
                )
            refused = check_budget(request, usage_for(request, self._issued), caps)
            if refused is not None:
                return Reservation(ReservationStatus.REFUSED, request, refused_cap=refused)
            reservation = Reservation(ReservationStatus.ISSUED, request, f"rm-{next(self._ids)}")
            self._by_key[request.idempotency_key] = reservation
            self._issued.append(request)
            return reservation

    def issued(self) -> tuple[ReservationRequest, ...]:
        """Every issued reservation, in issue order."""
        with self._lock:
            return tuple(self._issued)


class CollectingEventSink:
    """Keeps every event in a list."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Event] = []

    def emit(self, event: Event) -> None:
        """Append ``event``."""
        with self._lock:
            self._events.append(event)

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event so far, in emission order."""
        with self._lock:
            return tuple(self._events)

    def named(self, name: str) -> list[Event]:
        """The events called ``name``."""
        return [event for event in self.events if event.name == name]


class NullEventSink:
    """Drops every event."""

    def emit(self, event: Event) -> None:
        """Do nothing."""
