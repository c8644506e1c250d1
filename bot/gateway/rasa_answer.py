"""Reading Rasa's REST answer: what the customer sees, and what is meant for the gateway.

Rasa's answer (on time or late) may carry two entries that are not for the customer: a dialogue
handoff (``custom.calmdesk_handoff``, from the actions) and the action trace
(``custom.calmdesk_trace``, from ``bot/rasa_runtime/rasa_boot_gateway.py``). Both the pipeline
and the late-answer path read answers through :func:`read_rasa_answer`, so they strip the same
things.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

HANDOFF_KEY = "calmdesk_handoff"
TRACE_KEY = "calmdesk_trace"


@dataclass(frozen=True, slots=True)
class Handoff:
    """A handoff the dialogue asked for."""

    reason: str
    priority: str


@dataclass(frozen=True, slots=True)
class RasaAnswer:
    """One Rasa answer, split.

    Attributes:
        messages: What the customer sees, without ``recipient_id``.
        handoff: The last handoff entry, if any.
        actions: Rasa's actions for the message (from the trace), if traced.
        policy: The first policy that chose one of them (the session start has none).
    """

    messages: list[dict[str, Any]] = field(default_factory=list)
    handoff: Handoff | None = None
    actions: list[str] | None = None
    policy: str | None = None


def read_rasa_answer(responses: Sequence[dict[str, Any]]) -> RasaAnswer:
    """Split Rasa's REST answer into the customer's messages and the gateway's entries."""
    messages: list[dict[str, Any]] = []
    handoff: Handoff | None = None
    actions: list[str] | None = None
    policy: str | None = None
    for response in responses:
        custom = response.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get(HANDOFF_KEY), dict):
            wanted = custom[HANDOFF_KEY]
            handoff = Handoff(
                str(wanted.get("reason") or "dialogue"), str(wanted.get("priority") or "normal")
            )
            continue
        if isinstance(custom, dict) and TRACE_KEY in custom:
            trace = custom[TRACE_KEY] if isinstance(custom[TRACE_KEY], dict) else {}
            actions = [a for a in trace.get("actions") or [] if isinstance(a, str)]
            policies = [p for p in trace.get("policies") or [] if isinstance(p, str)]
            policy = policies[0][:120] if policies else None
            continue
        messages.append({k: v for k, v in response.items() if k != "recipient_id"})
    return RasaAnswer(messages, handoff, actions, policy)
