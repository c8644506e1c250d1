"""The load generator: conversations rotate, per-turn latencies, percentiles, RSS sampling."""

from __future__ import annotations

import asyncio
import os
import time

from bot.loadgen import (
    CpuAccount,
    LoadResult,
    RssSampler,
    TurnContext,
    TurnOutcome,
    conversation_loop,
    free_port,
)


def test_conversations_rotate_every_n_turns_and_ids_are_unique() -> None:
    seen: list[TurnContext] = []

    async def send(context: TurnContext) -> bool:
        seen.append(context)
        await asyncio.sleep(0.001)
        return context.turn != 3  # every 4th turn fails

    result = asyncio.run(conversation_loop("x", send, 3, 0.3, turns_per_conversation=5))
    warmup, measured = seen[0], seen[1:]
    assert warmup.sender == -1 and warmup.conversation_id.endswith("warmup")
    assert result.requests == len(measured) > 0
    assert result.errors == sum(1 for c in measured if c.turn == 3)
    for sender in range(3):
        mine = [c for c in measured if c.sender == sender]
        assert [c.turn for c in mine] == [n % 5 for n in range(len(mine))]
        assert [c.conversation for c in mine] == [n // 5 for n in range(len(mine))]
        ids = {c.conversation_id for c in mine}
        assert len(ids) == len({c.conversation for c in mine})
    assert sum(len(v) for v in result.by_turn_ms.values()) == result.requests
    assert set(result.by_turn_ms) <= set(range(5))


def test_endless_conversation_keeps_counting_turns() -> None:
    async def send(context: TurnContext) -> bool:
        return True

    result = asyncio.run(conversation_loop("x", send, 1, 0.05, turns_per_conversation=None))
    assert max(result.by_turn_ms) == result.requests - 1 > 10


def test_an_ended_conversation_is_replaced_by_a_new_one() -> None:
    seen: list[TurnContext] = []

    async def send(context: TurnContext) -> bool | TurnOutcome:
        seen.append(context)
        await asyncio.sleep(0.001)
        return TurnOutcome.ENDED if context.turn == 2 else True

    result = asyncio.run(conversation_loop("x", send, 1, 0.1, turns_per_conversation=None))
    measured = seen[1:]
    assert [c.turn for c in measured] == [n % 3 for n in range(len(measured))]
    assert result.ended_early == len(measured) // 3
    assert result.errors == 0
    assert len({c.conversation_id for c in measured}) == -(-len(measured) // 3)


def test_exceptions_count_as_errors() -> None:
    async def send(context: TurnContext) -> bool:
        if context.sender >= 0:
            raise ConnectionError("down")
        return True

    result = asyncio.run(conversation_loop("x", send, 2, 0.05))
    assert result.requests == result.errors > 0


def test_turn_window_percentile() -> None:
    result = LoadResult("x", 1.0, by_turn_ms={0: [10.0, 30.0], 1: [20.0], 50: [100.0]})
    assert result.turn_percentile(0, 1) == 20.0
    assert result.turn_percentile(45, 54) == 100.0
    assert result.turn_percentile(5, 9) != result.turn_percentile(5, 9)  # NaN: no data
    result.latencies_ms = [float(n) for n in range(1, 101)]
    result.requests = 100
    summary = result.summary()
    assert summary["p50_ms"] == 50.5 and summary["p99_ms"] == 99.01


def test_rss_sampler_sees_this_process() -> None:
    sampler = RssSampler({"me": os.getpid(), "gone": 2**22 + 12345})
    now = sampler.sample()
    assert now["me"] > 10 and now["gone"] == 0.0
    sampler.start()
    sampler.halt()
    assert sampler.peak_mb["me"] >= now["me"] * 0.5


def test_cpu_account_attributes_this_process_as_load_generator() -> None:
    account = CpuAccount({})
    account.start()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:
        sum(range(1000))
    shares = account.stop()
    assert set(shares) == {"machine", "targets", "load_generator", "others"}
    assert shares["targets"] == 0.0
    assert shares["load_generator"] > 10.0  # one busy thread on at most a few cores
    assert shares["machine"] >= shares["load_generator"] - 5.0


def test_free_port_is_bindable() -> None:
    port = free_port()
    assert 1024 <= port <= 65535


def test_cpu_account_gives_each_target_process_its_cpu_seconds() -> None:
    account = CpuAccount({"me": os.getpid()})
    account.start()
    deadline = time.perf_counter() + 0.3
    while time.perf_counter() < deadline:
        sum(range(1000))
    account.stop()
    assert set(account.process_seconds) == {"me"}
    assert 0.1 <= account.process_seconds["me"] <= 1.0
