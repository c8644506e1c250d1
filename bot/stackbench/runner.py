"""Drive every target with the same conversation script and collect the figures.

Method (ARCHITECTURE.md, "Figures to beat"): closed loop, N concurrent senders, each sending
message after message and starting a new conversation every 10 messages, one warm-up message,
then a fixed duration; the load generator runs on the same machine. Levels: 1 and 8 senders,
and one sender in a conversation that never ends (latency of the first turns vs turn 50).
"""

from __future__ import annotations

import asyncio
import math
import os
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypedDict

import httpx

from bot.loadgen import (
    CpuAccount,
    LoadResult,
    RssSampler,
    TurnContext,
    TurnOutcome,
    conversation_loop,
)
from bot.stackbench.conversations import ConversationSampler, Turn
from bot.stackbench.gateway_metrics import snapshot, stage_breakdown
from bot.stackbench.targets import Target


@dataclass(frozen=True)
class Level:
    """One load level: how many senders, and how long their conversations are."""

    key: str
    label: str
    senders: int
    turns_per_conversation: int | None


LEVELS = (
    Level("c1", "1 sender, 10-turn conversations", 1, 10),
    Level("c8", "8 senders, 10-turn conversations", 8, 10),
    Level("long", "1 sender, one endless conversation", 1, None),
)

#: Turn windows (0-based, inclusive) compared in the long-conversation level.
EARLY_TURNS = (0, 4)
TURN_50 = (45, 54)


class RestMessage(TypedDict, total=False):
    """One element of the REST channel's answer (Rasa's contract)."""

    recipient_id: str
    text: str
    buttons: list[dict[str, Any]]
    image: str
    custom: dict[str, Any]


class Script:
    """The conversations every target hears, in the same order for the same sender."""

    def __init__(self, sampler: ConversationSampler, conversations: int = 400) -> None:
        """Draw the short conversations and one long one up front.

        Args:
            sampler: Source of realistic conversations.
            conversations: How many distinct 10-turn conversations to cycle through.
        """
        self.short = sampler.script(conversations, 10)
        self.long = sampler.conversation(5000)

    def turn(self, context: TurnContext, endless: bool) -> Turn:
        """The message for ``context`` (the warm-up gets the first greeting)."""
        if endless:
            return self.long[context.turn % len(self.long)]
        index = (max(context.sender, 0) * 997 + context.conversation) % len(self.short)
        return self.short[index][context.turn % 10]


def is_rest_answer(payload: Any) -> bool:
    """Whether ``payload`` is a well-formed REST channel answer (a list of messages)."""
    return isinstance(payload, list) and all(
        isinstance(item, dict) and "recipient_id" in item for item in payload
    )


class LevelFigures(TypedDict):
    """What one target reached at one level (the JSON report's rows)."""

    target: str
    level: str
    label: str
    senders: int
    requests: int
    errors: int
    msgs_per_s: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    empty_replies: int
    rss_mb: dict[str, float]
    cpu_percent: dict[str, float]
    cpu_ms_per_msg: dict[str, float]
    load_average: list[float]
    turns: dict[str, float | None]
    gateway: dict[str, object]


def _number(value: float) -> float | None:
    """Round a figure; ``None`` where there was nothing to measure (NaN)."""
    return None if math.isnan(value) else round(value, 2)


def cpu_per_message(process_seconds: dict[str, float], messages: int) -> dict[str, float]:
    """CPU milliseconds each process spent per answered message (and their ``total``)."""
    if messages <= 0:
        return {}
    costs = {name: round(s * 1000 / messages, 2) for name, s in process_seconds.items()}
    return {**costs, "total": round(sum(process_seconds.values()) * 1000 / messages, 2)}


def _figures(
    target: Target,
    level: Level,
    result: LoadResult,
    empty: int,
    rss: RssSampler,
    cpu: dict[str, float],
    process_seconds: dict[str, float],
    gateway: dict[str, object],
) -> LevelFigures:
    summary = result.summary()
    turns: dict[str, float | None] = {}
    if level.turns_per_conversation is None:
        turns = {
            "reached": float(max(result.by_turn_ms, default=-1) + 1),
            "p50_ms_turns_1_5": _number(result.turn_percentile(*EARLY_TURNS)),
            "p50_ms_turns_46_55": _number(result.turn_percentile(*TURN_50)),
        }
    return {
        "target": target.name,
        "level": level.key,
        "label": level.label,
        "senders": level.senders,
        "requests": int(summary["requests"]),
        "errors": int(summary["errors"]),
        "msgs_per_s": float(summary["per_second"]),
        "p50_ms": float(summary["p50_ms"]),
        "p95_ms": float(summary["p95_ms"]),
        "p99_ms": float(summary["p99_ms"]),
        "empty_replies": empty,
        "rss_mb": {name: round(mb, 1) for name, mb in rss.peak_mb.items()},
        "cpu_percent": cpu,
        "cpu_ms_per_msg": cpu_per_message(process_seconds, int(summary["requests"])),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "turns": turns,
        "gateway": gateway,
    }


async def _drive(
    target: Target, level: Level, script: Script, duration: float
) -> tuple[LoadResult, int]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    endless = level.turns_per_conversation is None
    empty = 0
    run_id = f"{target.name}-{level.key}-{random.randrange(16**6):06x}"
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:

        async def send(context: TurnContext) -> TurnOutcome:
            nonlocal empty
            turn = script.turn(context, endless)
            reply = await client.post(
                target.url, json={"sender": context.conversation_id, "message": turn.text}
            )
            if reply.status_code != 200:
                return TurnOutcome.ERROR
            payload = reply.json()
            if not is_rest_answer(payload):
                return TurnOutcome.ERROR
            if any(item.get("text") in target.fallback_texts for item in payload):
                return TurnOutcome.ERROR
            if not payload:
                # The bot stays silent when a human owns the conversation (calmdesk's circuit
                # breaker handed it off): that customer is done with the bot, start anew.
                empty += 1
                return TurnOutcome.ENDED
            return TurnOutcome.OK

        result = await conversation_loop(
            level.label,
            send,
            level.senders,
            duration,
            turns_per_conversation=level.turns_per_conversation,
            run_id=run_id,
        )
    return result, empty


def run_level(target: Target, level: Level, script: Script, duration: float) -> LevelFigures:
    """Drive ``target`` at ``level`` for ``duration`` seconds and return its figures."""
    sampler = RssSampler(target.pids)
    sampler.sample()
    sampler.start()
    before = snapshot(target.metrics_url) if target.metrics_url else None
    account = CpuAccount(target.pids)
    account.start()
    try:
        result, empty = asyncio.run(_drive(target, level, script, duration))
    finally:
        cpu = account.stop()
        sampler.halt()
    after = snapshot(target.metrics_url) if target.metrics_url else None
    gateway = stage_breakdown(before, after) if before and after else {}
    return _figures(target, level, result, empty, sampler, cpu, account.process_seconds, gateway)


def run_target(
    target: Target,
    script: Script,
    duration: float,
    levels: tuple[Level, ...] = LEVELS,
    progress: Callable[[str], None] = lambda line: None,
) -> list[LevelFigures]:
    """Run every level against one target, in order."""
    rows = []
    for level in levels:
        progress(f"{target.name}: {level.label} for {duration:.0f} s ...")
        row = run_level(target, level, script, duration)
        progress(
            f"  {row['msgs_per_s']} msgs/s, p50 {row['p50_ms']} ms, p95 {row['p95_ms']} ms, "
            f"errors {row['errors']}"
        )
        rows.append(row)
    return rows
