"""The whole stack as real processes for the gateway's integration tests.

NLU service (behind a counting proxy, so the tests can count parses and switch the NLU off at
the TCP level), action server, Rasa 3.6 whose NLU endpoint is the gateway, and the gateway itself
(``python -m bot.cli serve gateway``) on an SQLite case log. Started once per module.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

from bot.actions_server import actions_process  # noqa: E402
from bot.db import upgrade_database  # noqa: E402
from bot.process import ManagedProcess  # noqa: E402
from bot.rasa_runtime import RasaNotInstalledError, rasa_executable, rasa_process, train_core  # noqa: E402
from bot.settings import Settings, get_settings  # noqa: E402
from tests.integration.rasa.rasa_helpers import free_port, log_dir, nlu_process  # noqa: E402


class CountingProxy:
    """Forwards ``/model/parse`` and ``/health`` to the real NLU and counts the parses."""

    def __init__(self, target: str, port: int) -> None:
        self.target = target
        self.port = port
        self.parses: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        """Listen on the port (again)."""
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self, method: str) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else None
                if self.path.startswith("/model/parse") and body:
                    proxy.parses.append(httpx.Response(200, content=body).json()["text"])
                try:
                    answer = httpx.request(
                        method,
                        proxy.target + self.path,
                        content=body,
                        headers={"content-type": "application/json"},
                        timeout=30,
                    )
                except httpx.HTTPError:
                    self.send_error(502)
                    return
                self.send_response(answer.status_code)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_POST(self) -> None:
                self._forward("POST")

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Close the listening socket: connections are refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass
class Stack:
    """The running processes and their URLs."""

    settings: Settings
    gateway: ManagedProcess
    rasa: ManagedProcess
    actions: ManagedProcess
    nlu: ManagedProcess
    proxy: CountingProxy
    gateway_url: str
    rasa_url: str

    def send(self, sender: str, text: str, **metadata: object) -> httpx.Response:
        """POST to the gateway's REST channel."""
        body: dict[str, object] = {"sender": sender, "message": text}
        if metadata:
            body["metadata"] = metadata
        return httpx.post(f"{self.gateway_url}/webhooks/rest/webhook", json=body, timeout=30)

    def history(self, sender: str) -> dict[str, object]:
        """The case log's view of a conversation."""
        response = httpx.get(
            f"{self.gateway_url}/api/conversations/{sender}/history",
            headers={"X-Calmdesk-Backend-Key": "it-backend"},
            timeout=10,
        )
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """NLU (+ counting proxy), actions, Rasa (NLU = gateway) and the gateway."""
    base = get_settings()
    try:
        rasa_executable(base)
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing, gateway integration tests skipped: {exc}")
    work = tmp_path_factory.mktemp("gateway-stack")
    ports = {name: free_port() for name in ("nlu", "proxy", "actions", "rasa", "gateway")}
    settings = base.model_copy(update={"actions_port": ports["actions"]})
    database = f"sqlite:///{work / 'calmdesk.db'}"
    upgrade_database(database)
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    rasa_url = f"http://127.0.0.1:{ports['rasa']}"
    logs = log_dir(settings)
    nlu = nlu_process(settings, ports["nlu"], "it-gateway-nlu")
    proxy = CountingProxy(f"http://127.0.0.1:{ports['nlu']}", ports["proxy"])
    actions = actions_process(
        settings,
        ports["actions"],
        log_path=logs / "it-gateway-actions.log",
        extra_env={"CALMDESK_DATABASE_URL": database},
    )
    rasa = rasa_process(
        settings,
        train_core(settings),
        ports["rasa"],
        gateway_url,
        log_path=logs / "it-gateway-rasa.log",
        name="it-gateway-rasa",
    )
    gateway = ManagedProcess(
        "it-gateway",
        [sys.executable, "-m", "bot.cli", "serve", "gateway", "--port", str(ports["gateway"])],
        env={
            "CALMDESK_DATABASE_URL": database,
            "CALMDESK_VAR_DIR": str(work / "var"),
            "CALMDESK_NLU_URL": f"http://127.0.0.1:{ports['proxy']}",
            "CALMDESK_GATEWAY_RASA_URL": rasa_url,
            "CALMDESK_ACTIONS_PORT": str(ports["actions"]),
            "CALMDESK_GATEWAY_BACKEND_KEY": "it-backend",
            "CALMDESK_GATEWAY_WRITE_INTERVAL_S": "0.01",
            "CALMDESK_GATEWAY_RATE_SENDER_BURST": "1000",
            "CALMDESK_GATEWAY_ALLOWED_ORIGINS": "http://shop.example",
        },
        log_path=logs / "it-gateway.log",
        health_url=f"{gateway_url}/webhooks/rest/",
    )
    proxy.start()
    started: list[ManagedProcess] = []
    try:
        for process in (nlu, actions, rasa, gateway):
            process.start()
            started.append(process)
        for process in (gateway, actions, nlu, rasa):
            process.wait_healthy(timeout=300)
        yield Stack(settings, gateway, rasa, actions, nlu, proxy, gateway_url, rasa_url)
    finally:
        for process in reversed(started):
            process.stop()
        proxy.stop()
