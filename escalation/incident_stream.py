"""The counting parts of the incident detector: sliding windows, decayed baselines, streams.

A *stream* is one way of counting angry conversations about a cause: ``anger`` counts every
angry conversation; ``objective`` counts only angry conversations about an order with a
verifiable problem (delayed). Each stream has its own windows and its own learned baseline
share, because "angry about a delayed DHL parcel" is far rarer in normal times than "angry".
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field

from escalation.stats import poisson_sf


def _decrement(counter: Counter[str], key: str) -> int:
    remaining = counter[key] - 1
    if remaining > 0:
        counter[key] = remaining
    else:
        del counter[key]
    return max(remaining, 0)


@dataclass(slots=True)
class Window:
    """One cause's messages over the last ``seconds``, counted per conversation."""

    seconds: float
    needed: int
    entries: deque[tuple[float, str, bool]] = field(default_factory=deque)
    messages: Counter[str] = field(default_factory=Counter)
    angry: Counter[str] = field(default_factory=Counter)
    angry_conversations: int = 0

    def add(self, at: float, conversation_id: str, angry: bool) -> None:
        """Count one message (angry or not) of a conversation."""
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
        """Poisson tail of the window's angry conversations given the baseline share."""
        return poisson_sf(self.angry_conversations, len(self.messages) * share)


@dataclass(slots=True)
class Baseline:
    """Exponentially decayed counts of conversations that have left the longest window."""

    half_life: float
    conversations: float = 0.0
    angry: float = 0.0
    at: float | None = None

    def add(self, angry: bool, now: float) -> None:
        """Count one departed conversation."""
        if self.at is not None and now > self.at:
            factor = 0.5 ** ((now - self.at) / self.half_life)
            self.conversations *= factor
            self.angry *= factor
        self.at = now if self.at is None else max(self.at, now)
        self.conversations += 1
        self.angry += angry

    def share(self, prior_share: float, prior_weight: float) -> float:
        """The angry share, shrunk towards ``prior_share`` with ``prior_weight`` conversations."""
        return (self.angry + prior_share * prior_weight) / (self.conversations + prior_weight)


@dataclass(frozen=True, slots=True)
class StreamParams:
    """How one stream is tested.

    Attributes:
        name: ``anger`` or ``objective``.
        prior_share: Expected angry share before any history.
        min_share: The expected share never goes below this.
        min_angry_conversations: Angry conversations needed in a window to open an incident.
    """

    name: str
    prior_share: float
    min_share: float
    min_angry_conversations: int


@dataclass(slots=True)
class Stream:
    """Windows and baseline of one stream of one cause."""

    params: StreamParams
    windows: list[Window]
    baseline: Baseline
    peak_angry: Counter[str] = field(default_factory=Counter)

    @classmethod
    def create(
        cls, params: StreamParams, windows_seconds: tuple[float, ...], needed: int, half_life: float
    ) -> Stream:
        """A stream with empty windows (shortest first) and an empty baseline."""
        windows = [Window(seconds, needed) for seconds in windows_seconds]
        return cls(params, windows, Baseline(half_life))

    @property
    def longest(self) -> Window:
        """The longest window (its conversations feed the baseline when they leave it)."""
        return self.windows[-1]

    def add(self, at: float, conversation_id: str, angry: bool) -> None:
        """Count one message in every window."""
        for window in self.windows:
            window.add(at, conversation_id, angry)
        longest = self.longest.angry[conversation_id]
        self.peak_angry[conversation_id] = max(self.peak_angry[conversation_id], longest)

    def evict(self, now: float) -> list[tuple[str, bool]]:
        """Drop old messages; return ``(conversation, was angry)`` for those that left."""
        for window in self.windows[:-1]:
            window.evict(now)
        needed = self.longest.needed
        departed = self.longest.evict(now)
        return [(cid, self.peak_angry.pop(cid, 0) >= needed) for cid in departed]
