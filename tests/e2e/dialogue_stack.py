"""The dialogue stack as real processes, for end-to-end tests: NLU service, action server and
Rasa 3.6 on free loopback ports, over a freshly seeded SQLite shop.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from bot.actions_server import actions_process
from bot.db import make_engine, session_factory
from bot.rasa_runtime import rasa_process, train_core
from bot.settings import Settings
from bot.shop.sql_store import SqlShopStore
from tests.integration.rasa.rasa_helpers import (
    NLU_START_TIMEOUT,
    RASA_START_TIMEOUT,
    domain_responses,
    free_port,
    log_dir,
    nlu_process,
)
from tests.support.action_server import seeded_shop


@dataclass
class Reply:
    """What the bot answered to one message through the REST webhook."""

    texts: list[str]
    custom: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """All texts joined, for assertions."""
        return "\n".join(self.texts)


@dataclass
class DialogueStack:
    """The running stack and the shop it works on."""

    rasa_url: str
    store: SqlShopStore
    sessions: sessionmaker[Session]
    responses: dict[str, list[str]] = field(default_factory=dict)

    def said(self, reply: Reply, response: str) -> bool:
        """Whether every text of ``reply`` is a variation of the domain's ``response``."""
        return bool(reply.texts) and set(reply.texts) <= set(self.responses[response])

    def conversation(self, customer_id: int | None = None) -> Conversation:
        """A new conversation, authenticated as ``customer_id`` when given."""
        return Conversation(self, f"e2e-{uuid.uuid4().hex[:10]}", customer_id)


@dataclass
class Conversation:
    """One customer talking to Rasa's REST webhook."""

    stack: DialogueStack
    sender: str
    customer_id: int | None
    transcript: list[tuple[str, Reply]] = field(default_factory=list)

    def say(self, text: str) -> Reply:
        """Send ``text`` and return the bot's reply (texts and custom messages)."""
        body: dict[str, Any] = {"sender": self.sender, "message": text}
        if self.customer_id is not None:
            body["metadata"] = {"customer_id": self.customer_id}
        response = httpx.post(
            f"{self.stack.rasa_url}/webhooks/rest/webhook", json=body, timeout=60.0
        )
        response.raise_for_status()
        messages = response.json()
        reply = Reply(
            texts=[m["text"] for m in messages if "text" in m],
            custom=[m["custom"] for m in messages if "custom" in m],
        )
        assert reply.texts, f"silence after {text!r}: {messages}"
        self.transcript.append((text, reply))
        return reply

    def render(self) -> str:
        """The conversation as text (for failure messages and the README)."""
        lines = []
        for text, reply in self.transcript:
            lines.append(f"customer: {text}")
            lines += [f"bot: {line}" for line in reply.texts]
            lines += [f"(custom: {custom})" for custom in reply.custom]
        return "\n".join(lines)


@contextlib.contextmanager
def dialogue_stack(
    settings: Settings, tmp: Path, *, speedups: bool = True
) -> Iterator[DialogueStack]:
    """Seed a shop in ``tmp`` and run NLU, actions and Rasa until the block ends.

    Args:
        settings: calmdesk settings.
        tmp: Folder for the shop database.
        speedups: Start Rasa through ``bot/rasa_runtime/rasa_boot.py`` (the
            product's default); ``False`` runs stock ``rasa`` for comparison.
    """
    settings = settings.model_copy(update={"rasa_speedups": speedups})
    database_url = seeded_shop(tmp)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    store = SqlShopStore(sessions)

    nlu_port, actions_port, rasa_port = free_port(), free_port(), free_port()
    nlu_url = f"http://127.0.0.1:{nlu_port}"
    logs = log_dir(settings)
    model = train_core(settings)
    nlu = nlu_process(settings, nlu_port, "e2e-dialogue-nlu")
    actions = actions_process(
        settings,
        actions_port,
        log_path=logs / "e2e-dialogue-actions.log",
        extra_env={"CALMDESK_DATABASE_URL": database_url, "CALMDESK_NLU_URL": nlu_url},
    )
    environ = {
        **os.environ,
        "CALMDESK_ACTIONS_URL": f"http://127.0.0.1:{actions_port}/webhook",
    }
    rasa = rasa_process(
        settings,
        model,
        rasa_port,
        nlu_url,
        log_path=logs / "e2e-dialogue-rasa.log",
        environ=environ,
    )
    try:
        with nlu, actions, rasa:
            actions.wait_healthy(timeout=60)
            nlu.wait_healthy(timeout=NLU_START_TIMEOUT)
            rasa.wait_healthy(timeout=RASA_START_TIMEOUT)
            yield DialogueStack(
                f"http://127.0.0.1:{rasa_port}", store, sessions, domain_responses(settings)
            )
    finally:
        engine.dispose()
