"""Load generation shared by the benchmarks: closed-loop senders and fixed-rate open loops.

Method (ARCHITECTURE.md): N concurrent senders on the same machine, one warm-up request,
then a fixed duration; report requests/s and p50/p95/p99 of the round trip, and errors.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.nlu.metrics import percentile

Send = Callable[[int, int], Awaitable[bool]]  # (sender index, sequence number) -> ok


@dataclass
class LoadResult:
    """Outcome of one load level."""

    label: str
    duration_s: float
    requests: int = 0
    errors: int = 0
    latencies_ms: list[float] = field(default_factory=list)

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
