"""The incident detector: a surge of angry messages about one cause, across conversations.

For every cause key (``delivery|carrier=dhl``, see :func:`escalation.causes.cause_keys`) it
keeps sliding time windows of messages. On each message of a cause, for each window::

    k = angry messages in the window (at most ``max_angry_per_conversation`` per conversation)
    n = messages in the window
    p0 = max(min_baseline_rate,
             (decayed angry + shop_rate * prior_weight) / (decayed messages + prior_weight))

where the decayed counts are the cause's own history that has left the longest window (half
life ``baseline_half_life_seconds``) and ``shop_rate`` is the same over all causes, itself
shrunk towards ``prior_angry_rate``. An incident opens when the one-sided Poisson tail
``P(X ≥ k | mean n * p0)`` is below ``alpha`` and at least ``min_angry_conversations``
distinct conversations are angry. It closes once every window's p-value has stayed at or
above ``close_p_value`` for ``close_after_seconds``. Messages around an incident never feed
the baseline, so a surge cannot teach the detector that surges are normal.
"""

from __future__ import annotations

import itertools
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from escalation.causes import cause_keys
from escalation.decision import Event
from escalation.policy import IncidentPolicy
from escalation.signals import AffectLabel, TurnSignal
from escalation.stats import poisson_sf

INCIDENT_OPENED = "incident.opened"
INCIDENT_CLOSED = "incident.closed"
_ANGRY_LABELS = frozenset({AffectLabel.ANGRY, AffectLabel.FURIOUS})


@dataclass(frozen=True, slots=True)
class Incident:
    """A detected surge for one cause.

    Attributes:
        incident_id: Stable id (also the per-incident budget scope).
        cause_key: The cause, e.g. ``delivery|carrier=dhl``.
        opened_at: When it was detected.
        p_value: The Poisson tail p-value that opened it.
        window_seconds: The window that crossed the threshold.
        angry_at_open: Angry messages in that window.
        messages_at_open: All messages in that window.
        expected_at_open: Angry messages expected there from the baseline.
        affected_conversations: Conversations with angry messages about the cause.
        angry_messages: Angry messages about the cause since (and in the window before) opening.
        closed_at: When it closed, or ``None`` while open.
    """

    incident_id: str
    cause_key: str
    opened_at: float
    p_value: float
    window_seconds: float
    angry_at_open: int
    messages_at_open: int
    expected_at_open: float
    affected_conversations: frozenset[str] = frozenset()
    angry_messages: int = 0
    closed_at: float | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """What one message did to the detector: events emitted and the incident it belongs to."""

    events: tuple[Event, ...] = ()
    incident: Incident | None = None


@dataclass(slots=True)
class _Entry:
    at: float
    conversation_id: str
    counted_angry: bool


@dataclass(slots=True)
class _Window:
    seconds: float
    entries: deque[_Entry] = field(default_factory=deque)
    angry: int = 0
    angry_by_conversation: Counter[str] = field(default_factory=Counter)
    by_conversation: Counter[str] = field(default_factory=Counter)

    def add(self, entry: _Entry) -> None:
        self.entries.append(entry)
        self.by_conversation[entry.conversation_id] += 1
        if entry.counted_angry:
            self.angry += 1
            self.angry_by_conversation[entry.conversation_id] += 1

    def evict(self, now: float) -> list[_Entry]:
        gone: list[_Entry] = []
        horizon = now - self.seconds
        while self.entries and self.entries[0].at <= horizon:
            entry = self.entries.popleft()
            gone.append(entry)
            _decrement(self.by_conversation, entry.conversation_id)
            if entry.counted_angry:
                self.angry -= 1
                _decrement(self.angry_by_conversation, entry.conversation_id)
        return gone

    def p_values(self, rate: float) -> tuple[float, float]:
        """Poisson tail p-values of the angry messages and of the angry conversations.

        The expected share of conversations with an angry message is taken as
        ``1 - (1 - rate) ** messages_per_conversation``, which assumes independent messages
        and so overestimates it when anger clusters in conversations (a conservative choice).
        """
        messages = len(self.entries)
        message_p = poisson_sf(self.angry, messages * rate)
        conversations = len(self.by_conversation)
        if not conversations:
            return message_p, 1.0
        share = 1.0 - (1.0 - rate) ** (messages / conversations)
        return message_p, poisson_sf(len(self.angry_by_conversation), conversations * share)


def _decrement(counter: Counter[str], key: str) -> None:
    remaining = counter[key] - 1
    if remaining > 0:
        counter[key] = remaining
    else:
        del counter[key]


@dataclass(slots=True)
class _Baseline:
    """Exponentially decayed counts of messages that have left the longest window."""

    half_life: float
    messages: float = 0.0
    angry: float = 0.0
    at: float | None = None

    def decay_to(self, now: float) -> None:
        if self.at is not None and now > self.at:
            factor = 0.5 ** ((now - self.at) / self.half_life)
            self.messages *= factor
            self.angry *= factor
        self.at = now if self.at is None else max(self.at, now)

    def rate(self, prior_rate: float, prior_weight: float) -> float:
        return (self.angry + prior_rate * prior_weight) / (self.messages + prior_weight)


@dataclass(slots=True)
class _Cause:
    windows: list[_Window]
    baseline: _Baseline
    incident: Incident | None = None
    normal_since: float | None = None
    exclude_from: float | None = None
    exclude_until: float | None = None


class IncidentDetector:
    """Watches every conversation's messages for cause-level surges of anger (thread-safe).

    Args:
        policy: The ``incidents:`` section of the policy.
        make_id: Builds an incident id from the cause key and the opening time.
    """

    def __init__(
        self, policy: IncidentPolicy, make_id: Callable[[str, float], str] | None = None
    ) -> None:
        self.policy = policy
        self._causes: dict[str, _Cause] = {}
        self._shop = _Baseline(policy.baseline_half_life_seconds)
        self._lock = threading.Lock()
        sequence = itertools.count(1)
        self._make_id = make_id or (lambda cause, at: f"inc-{int(at)}-{next(sequence)}")

    def is_angry(self, signal: TurnSignal) -> bool:
        """Whether a message counts as angry for surge detection."""
        affect = signal.affect
        return affect.anger >= self.policy.angry_at or affect.label in _ANGRY_LABELS

    def observe(self, signal: TurnSignal, at: float, topic: str | None = None) -> Observation:
        """Count one message under each of its cause keys and test for a surge.

        Args:
            signal: The message.
            at: Its timestamp.
            topic: The conversation's topic intent (``TrajectoryState.last_topic``), so that
                follow-ups such as ``affirm`` count under the conversation's cause.

        Returns:
            The incident events this message caused and the open incident it belongs to.
        """
        if not self.policy.enabled:
            return Observation()
        angry = self.is_angry(signal)
        events: list[Event] = []
        incident: Incident | None = None
        with self._lock:
            for key in cause_keys(signal, self.policy, topic):
                cause = self._causes.get(key)
                if cause is None:
                    windows = [_Window(seconds) for seconds in self.policy.windows_seconds]
                    cause = _Cause(windows, _Baseline(self.policy.baseline_half_life_seconds))
                    self._causes[key] = cause
                self._evict(cause, at)
                longest = cause.windows[-1]
                cap = self.policy.max_angry_per_conversation
                counted = angry and longest.angry_by_conversation[signal.conversation_id] < cap
                entry = _Entry(at, signal.conversation_id, counted)
                for window in cause.windows:
                    window.add(entry)
                if cause.incident is not None and angry:
                    cause.incident = replace(
                        cause.incident,
                        affected_conversations=cause.incident.affected_conversations
                        | {signal.conversation_id},
                        angry_messages=cause.incident.angry_messages + 1,
                    )
                events.extend(self._evaluate(key, cause, at))
                if cause.incident is not None and incident is None:
                    incident = cause.incident
        return Observation(tuple(events), incident)

    def tick(self, now: float) -> list[Event]:
        """Let time pass without messages: closes incidents whose causes went quiet."""
        events: list[Event] = []
        with self._lock:
            for key, cause in self._causes.items():
                if cause.incident is not None:
                    self._evict(cause, now)
                    events.extend(self._evaluate(key, cause, now))
        return events

    def incident_for(self, signal: TurnSignal, topic: str | None = None) -> Incident | None:
        """The open incident of one of the message's causes, if any."""
        with self._lock:
            for key in cause_keys(signal, self.policy, topic):
                cause = self._causes.get(key)
                if cause is not None and cause.incident is not None:
                    return cause.incident
        return None

    def open_incidents(self) -> list[Incident]:
        """Every open incident."""
        with self._lock:
            return [c.incident for c in self._causes.values() if c.incident is not None]

    def _baseline_rate(self, cause: _Cause) -> float:
        """The expected angry share of a cause's messages.

        The cause's own history, shrunk towards the shop-wide rate (itself shrunk towards
        ``prior_angry_rate``), never below ``min_baseline_rate``.
        """
        policy = self.policy
        shop_rate = self._shop.rate(policy.prior_angry_rate, policy.prior_weight)
        rate = cause.baseline.rate(shop_rate, policy.prior_weight)
        return max(rate, policy.min_baseline_rate)

    def _evict(self, cause: _Cause, now: float) -> None:
        for window in cause.windows[:-1]:
            window.evict(now)
        gone = cause.windows[-1].evict(now)
        if not gone:
            return
        cause.baseline.decay_to(now)
        self._shop.decay_to(now)
        for entry in gone:
            if (
                cause.exclude_from is not None
                and entry.at >= cause.exclude_from
                and (cause.exclude_until is None or entry.at <= cause.exclude_until)
            ):
                continue
            for baseline in (cause.baseline, self._shop):
                baseline.messages += 1
                baseline.angry += entry.counted_angry

    def _evaluate(self, key: str, cause: _Cause, at: float) -> list[Event]:
        policy = self.policy
        rate = self._baseline_rate(cause)
        lowest = 1.0
        for window in cause.windows:
            message_p, conversation_p = window.p_values(rate)
            lowest = min(lowest, message_p)
            if (
                cause.incident is None
                and message_p < policy.alpha
                and conversation_p < policy.conversation_alpha
                and len(window.angry_by_conversation) >= policy.min_angry_conversations
            ):
                return [self._open(key, cause, window, message_p, rate, at)]
        if cause.incident is None:
            return []
        if lowest < policy.close_p_value:
            cause.normal_since = None
            return []
        if cause.normal_since is None:
            cause.normal_since = at
        if at - cause.normal_since < self.policy.close_after_seconds:
            return []
        return [self._close(cause, at)]

    def _open(
        self, key: str, cause: _Cause, window: _Window, p_value: float, rate: float, at: float
    ) -> Event:
        longest = cause.windows[-1]
        incident = Incident(
            incident_id=self._make_id(key, at),
            cause_key=key,
            opened_at=at,
            p_value=p_value,
            window_seconds=window.seconds,
            angry_at_open=window.angry,
            messages_at_open=len(window.entries),
            expected_at_open=len(window.entries) * rate,
            affected_conversations=frozenset(longest.angry_by_conversation),
            angry_messages=longest.angry,
        )
        cause.incident = incident
        cause.normal_since = None
        cause.exclude_from = at - longest.seconds
        cause.exclude_until = None
        return Event(
            INCIDENT_OPENED,
            at,
            payload={
                "incident_id": incident.incident_id,
                "cause_key": key,
                "p_value": p_value,
                "window_seconds": window.seconds,
                "angry": incident.angry_at_open,
                "messages": incident.messages_at_open,
                "expected": round(incident.expected_at_open, 3),
                "baseline_rate": round(rate, 5),
                "affected_conversations": len(incident.affected_conversations),
            },
        )

    def _close(self, cause: _Cause, at: float) -> Event:
        assert cause.incident is not None
        incident = replace(cause.incident, closed_at=at)
        cause.incident = None
        cause.normal_since = None
        cause.exclude_until = at
        return Event(
            INCIDENT_CLOSED,
            at,
            payload={
                "incident_id": incident.incident_id,
                "cause_key": incident.cause_key,
                "opened_at": incident.opened_at,
                "duration_seconds": at - incident.opened_at,
                "angry_messages": incident.angry_messages,
                "affected_conversations": list(sorted(incident.affected_conversations)),
            },
        )
