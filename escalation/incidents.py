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

Two *streams* are tested per cause, each with its own windows and baseline
(:mod:`escalation.incident_stream`): ``anger`` counts every angry conversation; ``objective``
counts angry conversations about an order with a verifiable problem (status in
``objective.order_statuses`` or ``objective.min_delay_days`` late). Anger alone has a base rate
of about 1.4 % of conversations, so a surge needs six or seven angry customers to stand out;
anger about a delayed parcel is rare in normal times, so a carrier delay stands out after three
or four. Either stream opens the incident; it closes when both look normal again.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from escalation.causes import cause_keys
from escalation.decision import Event
from escalation.incident_stream import Baseline, Stream, StreamParams, Window
from escalation.policy import IncidentPolicy
from escalation.signals import AffectLabel, TurnSignal

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
        stream: The test that opened it: ``anger`` or ``objective`` (see the module doc).
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
    stream: str = "anger"


@dataclass(frozen=True, slots=True)
class Observation:
    """What one message did to the detector: events emitted and the incident it belongs to."""

    events: tuple[Event, ...] = ()
    incident: Incident | None = None


@dataclass(slots=True)
class _Cause:
    streams: list[Stream]
    objective: set[str] = field(default_factory=set)
    tainted: set[str] = field(default_factory=set)
    incident: Incident | None = None
    normal_since: float | None = None

    @property
    def anger(self) -> Stream:
        return self.streams[0]


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
        half_life = policy.baseline_half_life_seconds
        self._streams = self._stream_params()
        self._shop = {params.name: Baseline(half_life) for params in self._streams}
        self._lock = threading.Lock()
        sequence = itertools.count(1)
        self._make_id = make_id or (lambda cause, at: f"inc-{int(at)}-{next(sequence)}")

    def is_angry(self, signal: TurnSignal) -> bool:
        """Whether a message counts as angry for surge detection."""
        affect = signal.affect
        return affect.anger >= self.policy.angry_at or affect.label in _ANGRY_LABELS

    def has_verifiable_problem(self, signal: TurnSignal) -> bool:
        """Whether the message is about an order with a problem the shop can verify (delayed)."""
        objective, order = self.policy.objective, signal.order
        if order is None:
            return False
        if order.status in objective.order_statuses:
            return True
        return objective.min_delay_days > 0 and order.delay_days >= objective.min_delay_days

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
        verifiable = self.has_verifiable_problem(signal)
        conversation_id = signal.conversation_id
        events: list[Event] = []
        incident: Incident | None = None
        with self._lock:
            for key in cause_keys(signal, self.policy, topic):
                cause = self._cause(key)
                self._evict(cause, at)
                if verifiable:
                    cause.objective.add(conversation_id)
                objective_angry = angry and conversation_id in cause.objective
                for stream in cause.streams:
                    stream.add(
                        at, conversation_id, angry if stream is cause.anger else objective_angry
                    )
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
            policy = self.policy
            needed, half_life = (
                policy.angry_messages_per_conversation,
                policy.baseline_half_life_seconds,
            )
            streams = [
                Stream.create(params, policy.windows_seconds, needed, half_life)
                for params in self._streams
            ]
            cause = _Cause(streams)
            self._causes[key] = cause
        return cause

    def _stream_params(self) -> list[StreamParams]:
        policy = self.policy
        streams = [
            StreamParams(
                "anger",
                policy.prior_angry_share,
                policy.min_baseline_share,
                policy.min_angry_conversations,
            )
        ]
        objective = policy.objective
        if objective.enabled:
            streams.append(
                StreamParams(
                    "objective",
                    objective.prior_share,
                    objective.min_baseline_share,
                    objective.min_angry_conversations,
                )
            )
        return streams

    def _baseline_share(self, stream: Stream) -> float:
        params, weight = stream.params, self.policy.prior_weight
        shop_share = self._shop[params.name].share(params.prior_share, weight)
        return max(stream.baseline.share(shop_share, weight), params.min_share)

    def _evict(self, cause: _Cause, now: float) -> None:
        departed: set[str] = set()
        for stream in cause.streams:
            for conversation_id, angry in stream.evict(now):
                departed.add(conversation_id)
                if conversation_id not in cause.tainted:
                    stream.baseline.add(angry, now)
                    self._shop[stream.params.name].add(angry, now)
        cause.tainted.difference_update(departed)
        cause.objective.difference_update(departed)

    def _evaluate(self, key: str, cause: _Cause, at: float) -> list[Event]:
        policy = self.policy
        lowest = 1.0
        for stream in cause.streams:
            share = self._baseline_share(stream)
            for window in stream.windows:
                p_value = window.p_value(share)
                lowest = min(lowest, p_value)
                if (
                    cause.incident is None
                    and p_value < policy.alpha
                    and window.angry_conversations >= stream.params.min_angry_conversations
                ):
                    return [self._open(key, cause, stream, window, p_value, share, at)]
        if lowest < policy.baseline_guard_p_value:
            cause.tainted.update(cause.anger.longest.messages)
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
        self,
        key: str,
        cause: _Cause,
        stream: Stream,
        window: Window,
        p_value: float,
        share: float,
        at: float,
    ) -> Event:
        longest = cause.anger.longest
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
            stream=stream.params.name,
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
                "stream": stream.params.name,
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
