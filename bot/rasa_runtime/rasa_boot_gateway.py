"""What the calmdesk gateway asks of Rasa: its parse in the metadata, and a trace of the turn.

Loaded by ``rasa_boot.py`` in the Rasa environment (Python 3.10), never imported by calmdesk.

* :func:`install_parse_from_metadata` (rasa_boot's speed-up 4): Rasa takes the parse the gateway
  already made (``metadata.calmdesk_parse``) instead of a second HTTP call to the NLU endpoint
  (the gateway's relay).
* :func:`install_trace`: a message that asks (``metadata.calmdesk_trace``) gets the actions run
  and the policies that chose them, for the gateway's case log.

The gateway's side of both keys is ``bot/gateway/rasa_answer.py`` and its pipeline.
"""

from __future__ import annotations

from typing import Any

TRACE_KEY = "calmdesk_trace"


def install_trace() -> None:
    """Tell the caller which actions ran and which policy chose them, when it asks.

    A message whose metadata has ``calmdesk_trace: true`` (the gateway's) gets one more entry at
    the end of its REST answer: ``{"custom": {"calmdesk_trace": {"actions": [...],
    "policies": [...]}}}`` — the actions Rasa ran for it (``action_listen`` left out) and the
    policy that predicted each. The gateway strips it and stores it with the turn. Without the
    key nothing changes. It costs a list append per action.
    """
    from rasa.core.channels.channel import CollectingOutputChannel
    from rasa.core.processor import MessageProcessor

    run_action = MessageProcessor._run_action
    handle_message = MessageProcessor.handle_message

    async def traced_run_action(
        self: Any, action: Any, tracker: Any, output_channel: Any, nlg: Any, prediction: Any
    ) -> Any:
        steps = getattr(output_channel, "calmdesk_steps", None)
        if steps is not None and action.name() != "action_listen":
            steps.append((action.name(), prediction.policy_name))
        return await run_action(self, action, tracker, output_channel, nlg, prediction)

    async def traced_handle_message(self: Any, message: Any) -> Any:
        metadata = message.metadata if isinstance(message.metadata, dict) else {}
        channel = message.output_channel
        wanted = bool(metadata.pop(TRACE_KEY, False)) and isinstance(
            channel, CollectingOutputChannel
        )
        if wanted:
            channel.calmdesk_steps = []
        result = await handle_message(self, message)
        if wanted:
            steps = channel.calmdesk_steps
            trace = {"actions": [a for a, _ in steps], "policies": [p for _, p in steps]}
            channel.messages.append(
                {"recipient_id": message.sender_id, "custom": {TRACE_KEY: trace}}
            )
        return result

    MessageProcessor._run_action = traced_run_action
    MessageProcessor.handle_message = traced_handle_message


PARSE_KEY = "calmdesk_parse"


def install_parse_from_metadata() -> None:
    """Take the parse the calmdesk gateway sent in the message metadata instead of asking the
    NLU endpoint for it again.

    The key is removed from the metadata before Rasa stores the user event, so the tracker
    keeps the parse once (in ``parse_data``), as with the HTTP call. A message without it, or
    whose parse is for another text, goes to the NLU endpoint as before.
    """
    from rasa.core.http_interpreter import RasaNLUHttpInterpreter

    original = RasaNLUHttpInterpreter.parse

    async def parse(self: Any, message: Any) -> Any:
        metadata = message.metadata
        given = metadata.pop(PARSE_KEY, None) if isinstance(metadata, dict) else None
        if isinstance(given, dict) and given.get("text") == message.text:
            return given
        return await original(self, message)

    RasaNLUHttpInterpreter.parse = parse
