"""Drive the trained dialogue in-process, with or without rasa_boot's speed-ups (``.venv-rasa``).

``python boot_check.py MODEL stock|boot CONVERSATIONS`` loads the Rasa model, plays
``CONVERSATIONS`` scripted conversations (Rasa ``/intent`` messages, so no NLU is needed;
custom actions point at a closed port and fail the same way in both modes), and prints one JSON
line: a digest of every bot text and every tracker event, and the CPU milliseconds per message.
Random choices (response variants) are seeded, so both modes must print the same digest: the
speed-ups may change the cost, never the conversation.

Executed by the Rasa environment's Python, never imported by calmdesk (like ``rasa_boot.py``).
Used by a test (same digest) and by ``calmdesk bench rasa-boot`` (the CPU cost of each mode).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
import resource
import runpy
import sys
import time
from pathlib import Path
from typing import Any

SCRIPT = [
    "/greet",
    "/track_order",
    "/thank",
    "/bot_challenge",
    "/delivery_options",
    "/refund_policy",
    "/payment_methods",
    "/out_of_scope",
    "/goodbye",
    "/greet",
    "/thank",
    "/request_human",
]
WARM_UP_CONVERSATIONS = 3


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _play(model: str, conversations: int) -> dict[str, Any]:
    import numpy
    from rasa.core.agent import Agent
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
    from rasa.shared.core.trackers import EventVerbosity
    from rasa.utils.endpoints import EndpointConfig
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    logging.getLogger().setLevel(logging.ERROR)
    random.seed(0)
    numpy.random.seed(0)
    agent = Agent.load(model, action_endpoint=EndpointConfig("http://127.0.0.1:9/webhook"))
    trace: list[Any] = []
    measured: dict[str, float] = {}
    for label, count in (("warm", WARM_UP_CONVERSATIONS), ("run", conversations)):
        cpu, wall = _cpu_seconds(), time.perf_counter()
        for number in range(count):
            sender = f"{label}-{number}"
            for text in SCRIPT:
                out = CollectingOutputChannel()
                await agent.handle_message(UserMessage(text, out, sender_id=sender))
                trace.append([sender, text, [m.get("text") for m in out.messages]])
            tracker = await agent.tracker_store.retrieve(sender)
            events = tracker.current_state(EventVerbosity.ALL)["events"] if tracker else []
            trace.append(
                [[e.get("event"), e.get("name"), e.get("text"), e.get("value")] for e in events]
            )
        messages = max(count * len(SCRIPT), 1)
        measured = {
            "cpu_ms_per_msg": round((_cpu_seconds() - cpu) * 1000 / messages, 3),
            "wall_ms_per_msg": round((time.perf_counter() - wall) * 1000 / messages, 3),
            "messages": float(messages),
        }
    text = json.dumps(trace, default=str, sort_keys=True)
    return {
        "digest": hashlib.sha256(text.encode()).hexdigest(),
        "bot_texts": sum(len(step[2]) for step in trace if len(step) == 3),
        **measured,
    }


def main() -> None:
    """``boot_check.py MODEL MODE CONVERSATIONS``: print the JSON result line."""
    model, mode, conversations = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "boot":
        boot = Path(__file__).resolve().with_name("rasa_boot.py")
        runpy.run_path(str(boot), run_name="calmdesk_boot")["install"]()
    elif mode != "stock":
        raise SystemExit(f"mode must be stock or boot, not {mode!r}")
    result = asyncio.run(_play(model, conversations))
    print(json.dumps({"mode": mode, **result}))


if __name__ == "__main__":
    main()
