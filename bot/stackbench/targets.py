"""The systems under test, started as real processes on free loopback ports.

* ``stock-rasa``: stock Rasa 3.6 (``rasa run`` of the cached stock model, its own DIET NLU,
  in-memory stores), driven through its REST channel.
* ``calmdesk-rasa``: our Rasa + our NLU service (+ the action server when ``calmdesk serve
  actions`` exists), driven through Rasa's REST channel: the dialogue path without the gateway.
* ``calmdesk-gateway``: the whole stack through the gateway's Rasa-compatible REST channel
  (when ``calmdesk serve gateway`` exists): NLU once, escalation hook, Rasa, case log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bot.loadgen import free_port
from bot.process import ManagedProcess
from bot.rasa_runtime import rasa_process, train_core
from bot.settings import Settings
from bot.stackbench.errors import StackBenchError
from bot.stackbench.stock_rasa import stock_rasa_process

WEBHOOK = "/webhooks/rest/webhook"
START_TIMEOUT_S = 300.0

#: Settings for the processes of the calmdesk stack during the benchmark. The NLU parse
#: cache is kept small: large enough for Rasa's second request for the text the gateway just
#: parsed (the design), too small to remember the benchmark's repeated example texts.
STACK_ENV = {
    "CALMDESK_LOG_LEVEL": "WARNING",
    "CALMDESK_MODE": "embedded",
    "CALMDESK_NLU_CACHE_SIZE": "64",
    # One client IP and conversations of up to hundreds of messages: the abuse limits would
    # otherwise answer 429 to the load generator itself.
    "CALMDESK_GATEWAY_RATE_SENDER_PER_S": "100000",
    "CALMDESK_GATEWAY_RATE_SENDER_BURST": "100000",
    "CALMDESK_GATEWAY_RATE_IP_PER_S": "100000",
    "CALMDESK_GATEWAY_RATE_IP_BURST": "100000",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}


@dataclass
class Target:
    """One system under test: where to send messages and which processes it consists of.

    ``fallback_texts`` are replies that mean the system could not really answer (the
    gateway's apology when Rasa or the NLU failed or was too slow): counted as errors.
    """

    name: str
    description: str
    url: str
    processes: dict[str, ManagedProcess] = field(default_factory=dict)
    fallback_texts: frozenset[str] = frozenset()
    metrics_url: str = ""

    @property
    def pids(self) -> dict[str, int]:
        """Process ids of the running processes, by name."""
        return {name: p.pid for name, p in self.processes.items() if p.pid is not None}


def cli_serves(command: str) -> bool:
    """Whether ``calmdesk serve <command>`` exists in this checkout."""
    from bot.cli import serve_app

    for info in serve_app.registered_commands:
        name = info.name or (info.callback.__name__ if info.callback else "")
        if name == command:
            return True
    return False


def _serve(name: str, port: int, log_dir: Path, env: dict[str, str], health: str) -> ManagedProcess:
    return ManagedProcess(
        name,
        [sys.executable, "-m", "bot.cli", "serve", name, "--port", str(port)],
        env=env,
        log_path=log_dir / f"{name}.log",
        health_url=f"http://127.0.0.1:{port}{health}",
    )


def _start_all(processes: list[ManagedProcess]) -> None:
    """Start every process, then wait for each to be healthy (they load in parallel)."""
    for proc in processes:
        proc.start()
    for proc in processes:
        proc.wait_healthy(timeout=START_TIMEOUT_S)


@contextmanager
def stock_target(settings: Settings, model: Path, log_dir: Path) -> Iterator[Target]:
    """Run stock Rasa on a free port for the duration of the ``with`` block."""
    port = free_port()
    proc = stock_rasa_process(settings, model, port, log_dir / "stock-rasa.log")
    with proc:
        proc.wait_healthy(timeout=START_TIMEOUT_S)
        yield Target(
            "stock-rasa",
            "stock Rasa 3.6.21: default pipeline (DIET) + default policies, in-memory stores",
            f"http://127.0.0.1:{port}{WEBHOOK}",
            {"rasa": proc},
        )


def _seed(database_url: str, env: dict[str, str], log_dir: Path) -> None:
    """Create and seed a fresh app database for the stack (the actions read the demo shop)."""
    with (log_dir / "seed.log").open("wb") as log:
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "seed"],
            env={**os.environ, **env, "CALMDESK_DATABASE_URL": database_url},
            stdout=log,
            stderr=subprocess.STDOUT,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        raise StackBenchError(f"seeding the bench database failed; see {log_dir / 'seed.log'}")


def _gateway_fallback_texts() -> frozenset[str]:
    """The gateway's apology texts (a reply that means Rasa or the NLU failed or timed out)."""
    try:
        from bot.gateway import pipeline
    except ImportError:
        return frozenset()
    return frozenset(
        str(getattr(pipeline, name)) for name in ("FALLBACK_TEXT",) if hasattr(pipeline, name)
    )


@contextmanager
def calmdesk_stack(settings: Settings, work_dir: Path, gateway: bool) -> Iterator[Target]:
    """Run the calmdesk stack and yield it as a target.

    Without the gateway, messages go to Rasa's REST channel and Rasa asks the NLU service.
    With it, messages go to the gateway, which parses each once and answers Rasa's NLU call
    from that parse (Rasa's NLU URL is the gateway), as in production.

    Args:
        settings: calmdesk settings.
        work_dir: Directory for logs and the bench's SQLite app database (reset here).
        gateway: Run and drive the gateway.

    Yields:
        ``calmdesk-gateway`` or ``calmdesk-rasa``.
    """
    name = "calmdesk-gateway" if gateway else "calmdesk-rasa"
    log_dir = work_dir / name
    log_dir.mkdir(parents=True, exist_ok=True)
    ports = {part: free_port() for part in ("nlu", "rasa", "actions", "gateway")}
    nlu_url = f"http://127.0.0.1:{ports['nlu']}"
    rasa_url = f"http://127.0.0.1:{ports['rasa']}"
    gateway_url = f"http://127.0.0.1:{ports['gateway']}"
    database = log_dir / "calmdesk.db"
    database.unlink(missing_ok=True)
    env = {
        **STACK_ENV,
        "CALMDESK_DATABASE_URL": f"sqlite:///{database}",
        "CALMDESK_NLU_URL": nlu_url,
        "CALMDESK_ACTIONS_PORT": str(ports["actions"]),
        "CALMDESK_RASA_PORT": str(ports["rasa"]),
        "CALMDESK_GATEWAY_RASA_URL": rasa_url,
        "CALMDESK_VAR_DIR": str(log_dir / "var"),
    }
    with_actions = cli_serves("actions")
    if with_actions or gateway:
        _seed(env["CALMDESK_DATABASE_URL"], env, log_dir)
    processes = {"nlu": _serve("nlu", ports["nlu"], log_dir, env, "/health")}
    if with_actions:
        processes["actions"] = _serve("actions", ports["actions"], log_dir, env, "/health")
    if gateway:
        processes["gateway"] = _serve("gateway", ports["gateway"], log_dir, env, "/health")
    rasa_environ = {
        **os.environ,
        **env,
        "CALMDESK_ACTIONS_URL": f"http://127.0.0.1:{ports['actions']}/webhook",
    }
    processes["rasa"] = rasa_process(
        settings,
        train_core(settings),
        ports["rasa"],
        gateway_url if gateway else nlu_url,
        log_path=log_dir / "rasa.log",
        environ=rasa_environ,
    )
    parts = " + ".join(processes)
    if gateway:
        description = f"whole calmdesk stack ({parts}) through the gateway's REST channel"
        url, fallbacks = f"{gateway_url}{WEBHOOK}", _gateway_fallback_texts()
    else:
        description = f"calmdesk {parts} through Rasa's REST channel (no gateway)"
        url, fallbacks = f"{rasa_url}{WEBHOOK}", frozenset()
    with ExitStack() as stack:
        for proc in processes.values():
            stack.callback(proc.stop)
        _start_all(list(processes.values()))
        metrics = f"{gateway_url}/metrics" if gateway else ""
        yield Target(name, description, url, processes, fallbacks, metrics)
