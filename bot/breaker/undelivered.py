"""Outcomes the gateway stopped waiting for, carried over to the conversation's next message.

The gateway gives the hook a short deadline and cancels its wait when it passes, but the
decision runs on in a worker thread and may still issue a coupon or decide a handoff. Such a
late outcome is kept here and merged into the next outcome of the same conversation, so the
customer is told about every remedy that was really issued, and a decided handoff happens.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import replace

from bot.gateway.escalation_hook import EscalationOutcome

_RANK = {"none": 0, "soothe": 1, "remedy": 2, "handoff": 3}


def merge_outcomes(earlier: EscalationOutcome, current: EscalationOutcome) -> EscalationOutcome:
    """Combine a late outcome with the current one: both messages, the stronger action."""
    stronger = earlier if _RANK[earlier.action] > _RANK[current.action] else current
    return replace(
        stronger,
        messages=(*earlier.messages, *current.messages),
        details={**current.details, "late_outcome": dict(earlier.details)},
    )


class UndeliveredOutcomes:
    """Per-conversation outcomes whose messages the customer has not seen yet; thread-safe."""

    def __init__(self) -> None:
        self._pending: dict[str, EscalationOutcome] = {}
        self._lock = threading.Lock()

    def keep_when_done(self, conversation_id: str, task: asyncio.Future[EscalationOutcome]) -> None:
        """Remember ``task``'s outcome (once it finishes) if it is more than ``none``."""

        def done(finished: asyncio.Future[EscalationOutcome]) -> None:
            if finished.cancelled() or finished.exception() is not None:
                return
            outcome = finished.result()
            if outcome.action == "none":
                return
            with self._lock:
                earlier = self._pending.get(conversation_id)
                self._pending[conversation_id] = (
                    merge_outcomes(earlier, outcome) if earlier else outcome
                )

        task.add_done_callback(done)

    def attach(self, conversation_id: str, outcome: EscalationOutcome) -> EscalationOutcome:
        """Return ``outcome`` with any undelivered earlier outcome merged in (and forget it)."""
        with self._lock:
            earlier = self._pending.pop(conversation_id, None)
        return merge_outcomes(earlier, outcome) if earlier else outcome

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
