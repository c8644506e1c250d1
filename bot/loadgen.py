"""Load generation shared by the benchmarks: closed-loop senders, conversations, open loops.

Method (ARCHITECTURE.md): N concurrent senders on the same machine, one warm-up request,
then a fixed duration; report requests/s and p50/p95/p99 of the round trip, and errors.
:func:`conversation_loop` is the same closed loop for chat targets: each sender starts a new
conversation every ``turns_per_conversation`` messages (or never: one endless conversation),
and latencies are also kept per turn index, since a dialogue manager slows as a conversation
grows. :class:`RssSampler` records the resident memory of the processes under test.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

import psutil

from bot.nlu.metrics import percentile

Send = Callable[[int, int], Awaitable[bool]]  # (sender index, sequence number) -> ok


@dataclass(frozen=True)
class TurnContext:
    """Where one message of a conversation benchmark falls.

    Attributes:
        sender: Index of the concurrent sender (``-1`` for the warm-up message).
        conversation: How many conversations this sender had finished before this one.
        turn: 0-based index of the message within its conversation.
        conversation_id: Unique id for the conversation (the chat ``sender`` field).
    """

    sender: int
    conversation: int
    turn: int
    conversation_id: str


class TurnOutcome(enum.Enum):
    """What a conversation message's answer means for the sender."""

    OK = "ok"
    ERROR = "error"
    ENDED = "ended"  # a good answer, and the conversation is over (e.g. handed to a human)


#: Sends one message; ``True``/``False`` mean OK/ERROR.
SendTurn = Callable[[TurnContext], Awaitable[bool | TurnOutcome]]


@dataclass
class LoadResult:
    """Outcome of one load level."""

    label: str
    duration_s: float
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    by_turn_ms: dict[int, list[float]] = field(default_factory=dict)
    ended_early: int = 0  # conversations the target ended (conversation loops only)

    def turn_percentile(self, first: int, last: int, q: float = 50) -> float:
        """Percentile ``q`` of the latencies of turns ``first..last`` (0-based, inclusive)."""
        window = [ms for turn in range(first, last + 1) for ms in self.by_turn_ms.get(turn, [])]
        return percentile(window, q)

    def summary(self) -> dict[str, float | int | str]:
        """Throughput and latency percentiles."""
        return {
            "label": self.label,
            "requests": self.requests,
            "errors": self.errors,
            "per_second": round(self.requests / self.duration_s, 1) if self.duration_s else 0.0,
            "p50_ms": round(percentile(self.latencies_ms, 50), 2),
            "p95_ms": round(percentile(self.latencies_ms, 95), 2),
            "p99_ms": round(percentile(self.latencies_ms, 99), 2),
        }


async def _timed(send: Send, sender: int, seq: int, result: LoadResult) -> None:
    started = time.perf_counter()
    try:
        ok = await send(sender, seq)
    except Exception:
        ok = False
    result.latencies_ms.append((time.perf_counter() - started) * 1000.0)
    result.requests += 1
    if not ok:
        result.errors += 1


async def closed_loop(label: str, send: Send, senders: int, duration: float) -> LoadResult:
    """Each sender sends request after request until the duration is over."""
    await send(0, -1)  # warm-up
    result = LoadResult(label, duration)
    deadline = time.perf_counter() + duration

    async def worker(index: int) -> None:
        seq = 0
        while time.perf_counter() < deadline:
            await _timed(send, index, seq, result)
            seq += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(senders)))
    result.duration_s = time.perf_counter() - started
    return result


async def fixed_rate(label: str, send: Send, rate: float, duration: float) -> LoadResult:
    """Open loop: start a request every 1/rate seconds regardless of completions."""
    await send(0, -1)
    result = LoadResult(label, duration)
    tasks = []
    started = time.perf_counter()
    total = int(rate * duration)
    for seq in range(total):
        delay = started + seq / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_timed(send, seq, seq, result)))
    await asyncio.gather(*tasks)
    result.duration_s = time.perf_counter() - started
    return result


async def conversation_loop(
    label: str,
    send: SendTurn,
    senders: int,
    duration: float,
    *,
    turns_per_conversation: int | None = 10,
    run_id: str = "bench",
) -> LoadResult:
    """Closed loop of conversations: each sender sends message after message.

    One warm-up message (its own conversation) is sent first and not measured.

    Args:
        label: Name of the load level in the report.
        send: Sends one message and says whether the answer was good, or that the
            conversation ended (:attr:`TurnOutcome.ENDED`: the sender starts a new one).
        senders: Number of concurrent senders.
        duration: Seconds of measurement.
        turns_per_conversation: A sender starts a new conversation after this many
            messages; ``None``: one conversation per sender that never ends (unless the
            target ends it).
        run_id: Prefix of the conversation ids (unique per level and target).

    Returns:
        Requests, errors, all latencies, and latencies per turn index.
    """
    await send(TurnContext(-1, 0, 0, f"{run_id}-warmup"))
    result = LoadResult(label, duration)
    deadline = time.perf_counter() + duration

    async def worker(index: int) -> None:
        conversation, turn = 0, 0
        while time.perf_counter() < deadline:
            context = TurnContext(index, conversation, turn, f"{run_id}-s{index}-c{conversation}")
            started = time.perf_counter()
            try:
                outcome = await send(context)
            except Exception:
                outcome = TurnOutcome.ERROR
            if isinstance(outcome, bool):
                outcome = TurnOutcome.OK if outcome else TurnOutcome.ERROR
            elapsed = (time.perf_counter() - started) * 1000.0
            result.latencies_ms.append(elapsed)
            result.by_turn_ms.setdefault(turn, []).append(elapsed)
            result.requests += 1
            result.errors += outcome is TurnOutcome.ERROR
            turn += 1
            if outcome is TurnOutcome.ENDED:
                result.ended_early += 1
            if outcome is TurnOutcome.ENDED or turn == turns_per_conversation:
                conversation, turn = conversation + 1, 0

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(senders)))
    result.duration_s = time.perf_counter() - started
    return result


def _tree_sum(pid: int, measure: Callable[[psutil.Process], float]) -> float:
    """``measure`` summed over a process and its live descendants (0 when it is gone)."""
    total = 0.0
    try:
        proc = psutil.Process(pid)
        for item in [proc, *proc.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):
                total += measure(item)
    except psutil.Error:
        return 0.0
    return total


def process_rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (0 when it is gone)."""
    return int(_tree_sum(pid, lambda item: float(item.memory_info().rss)))


class RssSampler(threading.Thread):
    """Samples the resident memory of named processes (with their children) periodically."""

    def __init__(self, pids: Mapping[str, int], interval: float = 0.2) -> None:
        """Watch ``pids`` (name -> process id); call :meth:`start`, later :meth:`halt`.

        Args:
            pids: Processes to watch, by name.
            interval: Seconds between samples.
        """
        super().__init__(daemon=True)
        self.pids = dict(pids)
        self.interval = interval
        self.peak_mb: dict[str, float] = dict.fromkeys(self.pids, 0.0)
        self.last_mb: dict[str, float] = dict.fromkeys(self.pids, 0.0)
        self._halt = threading.Event()

    def sample(self) -> dict[str, float]:
        """Take one sample now, update the peaks and return the sample (MB by name)."""
        now = {name: process_rss_bytes(pid) / 2**20 for name, pid in self.pids.items()}
        for name, mb in now.items():
            self.peak_mb[name] = max(self.peak_mb[name], mb)
            self.last_mb[name] = mb
        return now

    def run(self) -> None:
        """Sample until :meth:`halt`."""
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def halt(self) -> None:
        """Stop sampling (and wait for the thread)."""
        self._halt.set()
        if self.is_alive():
            self.join(timeout=5)


def free_port() -> int:
    """Return a loopback TCP port that is free right now (for a service under test)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its live descendants."""

    def cpu(item: psutil.Process) -> float:
        times = item.cpu_times()
        return float(times.user + times.system)

    return _tree_sum(pid, cpu)


def _machine_busy_seconds() -> float:
    times = psutil.cpu_times()
    return float(sum(times)) - times.idle - getattr(times, "iowait", 0.0)


class CpuAccount:
    """Who used the CPU during a measurement: the processes under test, the load generator
    (this process), and everything else on the machine (other people's work).

    Call :meth:`start` before the measurement and :meth:`stop` after it.
    """

    def __init__(self, pids: Mapping[str, int]) -> None:
        """Account for ``pids`` (name -> process id, descendants included)."""
        self.pids = dict(pids)
        self._start: tuple[float, float, float] = (0.0, 0.0, 0.0)
        self._start_each: dict[str, float] = {}
        #: CPU seconds (user + system) each target process used between start and stop.
        self.process_seconds: dict[str, float] = {}

    def _sample(self) -> tuple[tuple[float, float, float], dict[str, float]]:
        """(wall, machine busy, this process) and the CPU seconds of each target so far."""
        each = {name: _tree_cpu_seconds(pid) for name, pid in self.pids.items()}
        mine = psutil.Process().cpu_times()
        return (time.perf_counter(), _machine_busy_seconds(), mine.user + mine.system), each

    def start(self) -> None:
        """Take the starting sample."""
        self._start, self._start_each = self._sample()

    def stop(self) -> dict[str, float]:
        """Percent of the whole machine (all cores = 100) used by each party since start.

        Also sets :attr:`process_seconds` (per target process, for CPU cost per message).
        """
        now, each = self._sample()
        wall, busy, mine = (b - a for a, b in zip(self._start, now, strict=True))
        targets = sum(each.values()) - sum(self._start_each.values())
        self.process_seconds = {
            name: max(0.0, each[name] - self._start_each.get(name, 0.0)) for name in self.pids
        }
        capacity = max(wall, 1e-9) * (psutil.cpu_count() or 1) / 100.0
        return {
            "machine": round(busy / capacity, 1),
            "targets": round(targets / capacity, 1),
            "load_generator": round(mine / capacity, 1),
            "others": round(max(0.0, busy - targets - mine) / capacity, 1),
        }
