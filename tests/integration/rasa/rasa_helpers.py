"""Helpers shared by the Rasa integration tests: ports, the NLU process, a Rasa client, and
scripts run with the Rasa environment's Python."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot.process import ManagedProcess
from bot.rasa_runtime import RasaNotInstalledError, rasa_python
from bot.settings import Settings, get_settings

NLU_START_TIMEOUT = 300.0
RASA_START_TIMEOUT = 240.0


def free_port() -> int:
    """Return a TCP port that is free on loopback right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_dir(settings: Settings) -> Path:
    """Where processes started by tests write their logs (``<var_dir>/logs``)."""
    return settings.path(settings.var_dir) / "logs"


def nlu_process(settings: Settings, port: int, name: str) -> ManagedProcess:
    """The real NLU service, as the CLI starts it: ``python -m bot.cli serve nlu``."""
    return ManagedProcess(
        name,
        [sys.executable, "-m", "bot.cli", "serve", "nlu", "--port", str(port)],
        log_path=log_dir(settings) / f"{name}.log",
        health_url=f"http://127.0.0.1:{port}/health",
    )


@dataclass
class NluService:
    """The NLU service process; call :meth:`ready` before relying on it."""

    process: ManagedProcess
    url: str
    _ready: bool = False

    def ready(self) -> None:
        """Wait (once) until the service answers ``/health``."""
        if not self._ready:
            self.process.wait_healthy(timeout=NLU_START_TIMEOUT)
            self._ready = True


def domain_responses(settings: Settings) -> dict[str, list[str]]:
    """Map each response name of the assistant's domain to its text variations."""
    path = settings.path(settings.rasa_project_dir) / "domain.yml"
    domain = yaml.safe_load(path.read_text("utf-8"))
    return {
        name: [variation["text"] for variation in variations]
        for name, variations in domain["responses"].items()
    }


def new_sender() -> str:
    """Return a fresh conversation id."""
    return f"it-rasa-{uuid.uuid4().hex[:12]}"


class RasaClient:
    """The few calls of Rasa's REST channel and HTTP API the tests use."""

    def __init__(self, url: str) -> None:
        """Talk to the Rasa server at ``url`` (e.g. ``http://127.0.0.1:5005``)."""
        self.url = url.rstrip("/")

    def send(self, sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[str]:
        """Send a message through ``/webhooks/rest/webhook``; return the bot's texts."""
        body: dict[str, Any] = {"sender": sender, "message": text}
        if metadata is not None:
            body["metadata"] = metadata
        response = httpx.post(f"{self.url}/webhooks/rest/webhook", json=body, timeout=60.0)
        response.raise_for_status()
        return [message["text"] for message in response.json() if "text" in message]

    def tracker(self, sender: str) -> dict[str, Any]:
        """Return the conversation's tracker."""
        response = httpx.get(f"{self.url}/conversations/{sender}/tracker", timeout=30.0)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def last_user_event(self, sender: str) -> dict[str, Any]:
        """Return the latest ``user`` event of the conversation."""
        events = self.tracker(sender)["events"]
        users = [event for event in events if event["event"] == "user"]
        assert users, f"no user event in tracker: {events}"
        return users[-1]

    def parse(self, text: str) -> httpx.Response:
        """Call Rasa's ``/model/parse`` (which forwards to the NLU endpoint)."""
        return httpx.post(f"{self.url}/model/parse", json={"text": text}, timeout=30.0)


def run_in_rasa(script: str, *args: str) -> Any:
    """Run ``script`` with the Rasa environment's Python; its last stdout line, as JSON.

    Skips the test when the Rasa environment is missing.
    """
    try:
        python = rasa_python(get_settings())
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing: {exc}")
    done = subprocess.run(
        [str(python), "-c", script, *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])
