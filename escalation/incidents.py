"""The incident detector: a surge of angry conversations about one cause.

For every cause key (``delivery|carrier=dhl``, see :func:`escalation.causes.cause_keys`) it
keeps sliding time windows of messages. A conversation is *angry* in a window when it sent at
least ``angry_messages_per_conversation`` angry messages there (anger ≥ ``angry_at``). Angry
messages come in clusters (one upset customer writes several), so the conversation, not the
message, is the independent unit; counting messages would make chance clusters look like
surges. On each message of a cause, for each window::

    d  = angry conversations in the window,  n = conversations in the window
    q0 = max(min_baseline_share,
             (decayed angry conversations + shop_share * prior_weight)
             / (decayed conversations + prior_weight))

An incident opens when the one-sided Poisson tail ``P(X ≥ d | mean n * q0)`` is below
``alpha`` and ``d ≥ min_angry_conversations``. It closes once every window's p-value has stayed
at or above ``close_p_value`` for ``close_after_seconds``.

The decayed counts (half life ``baseline_half_life_seconds``) are the cause's conversations
that have left the longest window; ``shop_share`` is the same over all causes, shrunk towards
``prior_angry_share``. Conversations seen while the cause looked suspicious (p-value below
``baseline_guard_p_value``) or had an incident never feed the baseline, so a surge cannot
teach the detector that surges are normal.
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
        angry_at_open: Angry conversations in that window.
        conversations_at_open: All conversations in that window.
        expected_at_open: Angry conversations expected there from the baseline.
        affected_conversations: Conversations with angry messages about the cause.
        angry_messages: Angry messages about the cause since opening.
        closed_at: When it closed, or ``None`` while open.
    """

    incident_id: str
    cause_key: str
    opened_at: float
    p_value: float
    window_seconds: float
    angry_at_open: int
    conversations_at_open: int
    expected_at_open: float
    affected_conversations: frozenset[str] = frozenset()
    angry_messages: int = 0
    closed_at: float | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """What one message did to the detector: events emitted and the incident it belongs to."""

    events: tuple[Event, ...] = ()
    incident: Incident | None = None


def _decrement(counter: Counter[str], key: str) -> int:
    remaining = counter[key] - 1
    if remaining > 0:
        counter[key] = remaining
    else:
        del counter[key]
    return max(remaining, 0)


@dataclass(slots=True)
class _Window:
    """One cause's messages over the last ``seconds``, counted per conversation."""

    seconds: float
    needed: int
    entries: deque[tuple[float, str, bool]] = field(default_factory=deque)
    messages: Counter[str] = field(default_factory=Counter)
    angry: Counter[str] = field(default_factory=Counter)
    angry_conversations: int = 0

    def add(self, at: float, conversation_id: str, angry: bool) -> None:
        self.entries.append((at, conversation_id, angry))
        self.messages[conversation_id] += 1
        if angry:
            self.angry[conversation_id] += 1
            if self.angry[conversation_id] == self.needed:
                self.angry_conversations += 1

    def evict(self, now: float) -> list[str]:
        """Drop messages older than the window; return conversations that left it entirely."""
        departed: list[str] = []
        horizon = now - self.seconds
        while self.entries and self.entries[0][0] <= horizon:
            _, conversation_id, angry = self.entries.popleft()
            if angry and _decrement(self.angry, conversation_id) == self.needed - 1:
                self.angry_conversations -= 1
            if not _decrement(self.messages, conversation_id):
                departed.append(conversation_id)
        return departed

    def p_value(self, share: float) -> float:
        return poisson_sf(self.angry_conversations, len(self.messages) * share)


@dataclass(slots=True)
class _Baseline:
    """Exponentially decayed counts of conversations that have left the longest window."""

    half_life: float
    conversations: float = 0.0
    angry: float = 0.0
    at: float | None = None

    def add(self, angry: bool, now: float) -> None:
        if self.at is not None and now > self.at:
            factor = 0.5 ** ((now - self.at) / self.half_life)
            self.conversations *= factor
            self.angry *= factor
        self.at = now if self.at is None else max(self.at, now)
        self.conversations += 1
        self.angry += angry

    def share(self, prior_share: float, prior_weight: float) -> float:
        return (self.angry + prior_share * prior_weight) / (self.conversations + prior_weight)


@dataclass(slots=True)
class _Cause:
    windows: list[_Window]
    baseline: _Baseline
    peak_angry: Counter[str] = field(default_factory=Counter)
    tainted: set[str] = field(default_factory=set)
    incident: Incident | None = None
    normal_since: float | None = None


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
        conversation_id = signal.conversation_id
        events: list[Event] = []
        incident: Incident | None = None
        with self._lock:
            for key in cause_keys(signal, self.policy, topic):
                cause = self._cause(key)
                self._evict(cause, at)
                for window in cause.windows:
                    window.add(at, conversation_id, angry)
                longest = cause.windows[-1].angry[conversation_id]
                cause.peak_angry[conversation_id] = max(cause.peak_angry[conversation_id], longest)
                if cause.incident is not None:
                    cause.tainted.add(conversation_id)
                    if angry:
                        cause.incident = replace(
                            cause.incident,
                            affected_conversations=cause.incident.affected_conversations
                            | {conversation_id},
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

    def _cause(self, key: str) -> _Cause:
        cause = self._causes.get(key)
        if cause is None:
            needed = self.policy.angry_messages_per_conversation
            windows = [_Window(seconds, needed) for seconds in self.policy.windows_seconds]
            cause = _Cause(windows, _Baseline(self.policy.baseline_half_life_seconds))
            self._causes[key] = cause
        return cause

    def _baseline_share(self, cause: _Cause) -> float:
        policy = self.policy
        shop_share = self._shop.share(policy.prior_angry_share, policy.prior_weight)
        share = cause.baseline.share(shop_share, policy.prior_weight)
        return max(share, policy.min_baseline_share)

    def _evict(self, cause: _Cause, now: float) -> None:
        for window in cause.windows[:-1]:
            window.evict(now)
        needed = self.policy.angry_messages_per_conversation
        for conversation_id in cause.windows[-1].evict(now):
            angry = cause.peak_angry.pop(conversation_id, 0) >= needed
            if conversation_id in cause.tainted:
                cause.tainted.discard(conversation_id)
                continue
            cause.baseline.add(angry, now)
            self._shop.add(angry, now)

    def _evaluate(self, key: str, cause: _Cause, at: float) -> list[Event]:
        policy = self.policy
        share = self._baseline_share(cause)
        lowest = 1.0
        for window in cause.windows:
            p_value = window.p_value(share)
            lowest = min(lowest, p_value)
            if (
                cause.incident is None
                and p_value < policy.alpha
                and window.angry_conversations >= policy.min_angry_conversations
            ):
                return [self._open(key, cause, window, p_value, share, at)]
        if lowest < policy.baseline_guard_p_value:
            cause.tainted.update(cause.windows[-1].messages)
        if cause.incident is None:
            return []
        if lowest < policy.close_p_value:
            cause.normal_since = None
            return []
        if cause.normal_since is None:
            cause.normal_since = at
        if at - cause.normal_since < policy.close_after_seconds:
            return []
        return [self._close(cause, at)]

    def _open(
        self, key: str, cause: _Cause, window: _Window, p_value: float, share: float, at: float
    ) -> Event:
        longest = cause.windows[-1]
        incident = Incident(
            incident_id=self._make_id(key, at),
            cause_key=key,
            opened_at=at,
            p_value=p_value,
            window_seconds=window.seconds,
            angry_at_open=window.angry_conversations,
            conversations_at_open=len(window.messages),
            expected_at_open=len(window.messages) * share,
            affected_conversations=frozenset(longest.angry),
        )
        cause.incident = incident
        cause.normal_since = None
        cause.tainted.update(longest.messages)
        return Event(
            INCIDENT_OPENED,
            at,
            payload={
                "incident_id": incident.incident_id,
                "cause_key": key,
                "p_value": p_value,
                "window_seconds": window.seconds,
                "angry_conversations": incident.angry_at_open,
                "conversations": incident.conversations_at_open,
                "expected": round(incident.expected_at_open, 3),
                "baseline_share": round(share, 5),
                "affected_conversations": len(incident.affected_conversations),
            },
        )

    def _close(self, cause: _Cause, at: float) -> Event:
        assert cause.incident is not None
        incident = replace(cause.incident, closed_at=at)
        cause.incident = None
        cause.normal_since = None
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
