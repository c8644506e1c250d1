"""Benchmark of the dialogue stack (NLU + actions + Rasa 3.6 with our policies), by the method
of ARCHITECTURE.md: closed loop, N senders, a new conversation every 10 messages (or never,
to see the cost of a long conversation), 20 s after one warm-up message.

Run: ``python -m tests.e2e.bench_dialogue`` (writes ``reports/bench-dialogue.json``).
The messages mix single-turn answers, forms and custom actions on the order store; the NLU
answers repeated texts from its cache, as it does for texts the gateway already parsed.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

from bot.loadgen import LoadResult, TurnContext, conversation_loop
from bot.settings import get_settings
from bot.shop.domain import OrderStatus
from tests.e2e.dialogue_stack import DialogueStack, dialogue_stack

DURATION_S = 20.0


def script(order_id: int) -> list[str]:
    """Ten customer messages: small talk, two order forms, questions, goodbye."""
    return [
        "hi",
        f"where is my order {order_id}?",
        "what payment methods do you accept?",
        "what delivery options are there?",
        "thanks",
        f"can I get the invoice for order {order_id}?",
        "are you a bot?",
        "what is your refund policy?",
        f"where is my order {order_id}?",
        "bye",
    ]


async def _level(
    stack: DialogueStack,
    label: str,
    senders: int,
    turns: int | None,
    customer_id: int,
    messages: list[str],
) -> LoadResult:
    async with httpx.AsyncClient(timeout=30.0) as client:

        async def send(context: TurnContext) -> bool:
            body: dict[str, Any] = {
                "sender": context.conversation_id,
                "message": messages[context.turn % len(messages)],
                "metadata": {"customer_id": customer_id},
            }
            response = await client.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body)
            return response.status_code == 200 and bool(response.json())

        return await conversation_loop(
            label, send, senders, DURATION_S, turns_per_conversation=turns, run_id=label
        )


async def _run(stack: DialogueStack) -> dict[str, Any]:
    order = next(
        stack.store.get_order(order_id)
        for order_id in range(2200, 1000, -1)
        if stack.store.get_order(order_id).status is OrderStatus.SHIPPED
    )
    messages = script(order.id)
    report: dict[str, Any] = {"levels": []}
    for label, senders, turns in (
        ("1 sender, 10-turn conversations", 1, 10),
        ("8 senders, 10-turn conversations", 8, 10),
        ("1 sender, one endless conversation", 1, None),
    ):
        result = await _level(stack, label, senders, turns, order.customer_id, messages)
        summary: dict[str, Any] = dict(result.summary())
        if turns is None:
            summary["p50_ms_turns_1_10"] = round(result.turn_percentile(0, 9), 2)
            summary["p50_ms_turns_41_60"] = round(result.turn_percentile(40, 59), 2)
            summary["turns_reached"] = max(result.by_turn_ms) + 1
        report["levels"].append(summary)
        print(json.dumps(summary))
    return report


def main() -> None:
    """Start the stack, run the levels, write the report.

    Rasa starts as the product starts it, with its action-response schema compiled once
    (``bot/rasa_runtime/rasa_boot.py``); ``--stock-rasa`` runs plain ``rasa`` for comparison.
    """
    settings = get_settings()
    fast = "--stock-rasa" not in sys.argv[1:]
    with (
        tempfile.TemporaryDirectory() as tmp,
        dialogue_stack(settings, Path(tmp), speedups=fast) as stack,
    ):
        report = asyncio.run(_run(stack))
    report["rasa"] = "precompiled action-response validator" if fast else "stock"
    name = "bench-dialogue.json" if fast else "bench-dialogue-stock.json"
    out = settings.path(settings.reports_dir) / name
    out.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
