"""``calmdesk serve all`` / ``make run``: start every process on embedded defaults."""

from __future__ import annotations

import signal
import sys
import time
from types import FrameType

from rich.console import Console
from rich.table import Table

from bot.process import ManagedProcess, ProcessError
from bot.settings import Settings


def build_processes(settings: Settings) -> list[ManagedProcess]:
    """The processes of the current topology, in start order (NLU first: Rasa calls it)."""
    from bot.rasa_runtime import rasa_process, train_core

    nlu_url = f"http://{settings.host}:{settings.nlu_port}"
    nlu = ManagedProcess(
        "nlu",
        [sys.executable, "-m", "bot.cli", "serve", "nlu", "--port", str(settings.nlu_port)],
        health_url=f"{nlu_url}/health",
    )
    from bot.actions_server import actions_process

    actions = actions_process(settings, settings.actions_port)
    # Rasa asks the gateway's loopback /model/parse, which answers from the gateway's own parse
    # of the same message (parse once); the gateway starts last.
    gateway_url = f"http://127.0.0.1:{settings.gateway_port}"
    rasa = rasa_process(settings, train_core(settings), settings.rasa_port, gateway_url)
    gateway = ManagedProcess(
        "gateway",
        [sys.executable, "-m", "bot.cli", "serve", "gateway", "--port", str(settings.gateway_port)],
        health_url=f"{gateway_url}/webhooks/rest/",
    )
    return [nlu, actions, rasa, gateway]


def _urls(settings: Settings) -> Table:
    table = Table(title="calmdesk is running (Ctrl-C stops everything)")
    table.add_column("process")
    table.add_column("URL")
    host = settings.host
    table.add_row("NLU  POST /model/parse", f"http://{host}:{settings.nlu_port}/model/parse")
    table.add_row("NLU  health / version", f"http://{host}:{settings.nlu_port}/health")
    table.add_row(
        "Rasa REST webhook", f"http://{host}:{settings.rasa_port}/webhooks/rest/webhook"
    )
    table.add_row("Rasa status", f"http://{host}:{settings.rasa_port}/status")
    table.add_row("Action server health", f"http://{host}:{settings.actions_port}/health")
    gateway = f"http://{host}:{settings.gateway_port}"
    table.add_row("Gateway REST webhook (public)", f"{gateway}/webhooks/rest/webhook")
    table.add_row("Gateway socket.io, health, metrics", f"{gateway}/socket.io/ /health /metrics")
    return table


def run_all(settings: Settings, console: Console) -> None:
    """Start the processes, print their URLs, watch them; stop all on Ctrl-C or a crash."""
    processes = build_processes(settings)
    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        for proc in processes:
            console.print(f"starting {proc.name} (log: {proc.log_path})")
            proc.start()
            proc.wait_healthy(timeout=240)
        console.print(_urls(settings))
        while not stopping:
            for proc in processes:
                if not proc.is_running():
                    raise ProcessError(f"{proc.name} exited:\n{proc.log_tail(30)}")
            time.sleep(1)
    except ProcessError as exc:
        console.print(f"[red]{exc}[/red]")
        raise SystemExit(1) from exc
    finally:
        for proc in reversed(processes):
            proc.stop()
        console.print("stopped.")
