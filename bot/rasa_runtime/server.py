"""Start a Rasa server for the assistant and wait until its model is loaded.

``bot/assistant/endpoints.yml`` takes every value from environment variables
(:data:`ENDPOINT_ENV_VARS`); :func:`rasa_endpoint_env` computes them from the settings and
:func:`rasa_run_command` returns the full command line and environment.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from bot.process import ManagedProcess
from bot.rasa_runtime.environment import (
    rasa_executable,
    rasa_python,
    rasa_subprocess_env,
    rasa_venv_dir,
)
from bot.rasa_runtime.errors import RasaNotReadyError
from bot.settings import Settings

NLU_URL = "CALMDESK_NLU_URL"
NLU_TOKEN = "CALMDESK_NLU_TOKEN"
ACTIONS_URL = "CALMDESK_ACTIONS_URL"
TRACKER_STORE = "CALMDESK_RASA_TRACKER_STORE"
TRACKER_STORE_URL = "CALMDESK_RASA_TRACKER_STORE_URL"
LOCK_STORE = "CALMDESK_RASA_LOCK_STORE"
LOCK_STORE_HOST = "CALMDESK_RASA_LOCK_STORE_HOST"

#: Every variable ``endpoints.yml`` reads (Rasa refuses to start if one is unset).
ENDPOINT_ENV_VARS = (
    NLU_URL,
    NLU_TOKEN,
    ACTIONS_URL,
    TRACKER_STORE,
    TRACKER_STORE_URL,
    LOCK_STORE,
    LOCK_STORE_HOST,
)

#: Rasa only knows "sql", "redis", "mongod", "dynamo"; anything else is imported as a class.
IN_MEMORY_TRACKER_STORE = "rasa.core.tracker_store.InMemoryTrackerStore"
SQL_TRACKER_STORE = "SQL"
IN_MEMORY_LOCK_STORE = "in_memory"

LOOPBACK = "127.0.0.1"


RASA_BOOT = Path(__file__).resolve().with_name("rasa_boot.py")


def rasa_url(port: int, host: str = LOOPBACK) -> str:
    """Return the base URL of a Rasa server on ``host:port``."""
    return f"http://{host}:{port}"


def rasa_tracker_store_url(database_url: str) -> str:
    """Turn the app's SQLAlchemy 2 URL into one Rasa's SQLAlchemy 1.4 can open.

    Rasa 3.6 ships psycopg2 and SQLAlchemy 1.4, which no longer accepts ``postgres://``;
    the driver part (``+psycopg``, ``+asyncpg``...) is therefore dropped.

    Args:
        database_url: e.g. ``postgresql+psycopg://user:pw@db:5432/calmdesk``.

    Returns:
        e.g. ``postgresql://user:pw@db:5432/calmdesk``.
    """
    scheme, sep, rest = database_url.partition("://")
    if not sep:
        return database_url
    dialect = scheme.split("+", 1)[0]
    if dialect == "postgres":
        dialect = "postgresql"
    return f"{dialect}://{rest}"


def rasa_endpoint_env(
    settings: Settings, nlu_url: str, *, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """Compute the variables ``endpoints.yml`` reads.

    Embedded mode: in-memory tracker and lock stores. Production mode with a
    ``database_url``: Rasa's SQL tracker store on that database (Rasa adds one table,
    ``events``). A variable already present in ``environ`` wins over the computed value,
    except ``CALMDESK_NLU_URL`` which is always ``nlu_url``.

    Args:
        settings: calmdesk settings (mode, database_url, actions_port, nlu_token).
        nlu_url: Base URL of the calmdesk NLU service (Rasa appends ``/model/parse``).
        environ: Explicit overrides (default: ``os.environ``).

    Returns:
        A value for every name in :data:`ENDPOINT_ENV_VARS`.
    """
    environ = os.environ if environ is None else environ
    values = {
        NLU_TOKEN: settings.nlu_token,
        ACTIONS_URL: f"http://{LOOPBACK}:{settings.actions_port}/webhook",
        TRACKER_STORE: IN_MEMORY_TRACKER_STORE,
        TRACKER_STORE_URL: "",
        LOCK_STORE: IN_MEMORY_LOCK_STORE,
        LOCK_STORE_HOST: "",
    }
    if settings.mode == "production" and settings.database_url:
        values[TRACKER_STORE] = SQL_TRACKER_STORE
        values[TRACKER_STORE_URL] = rasa_tracker_store_url(settings.database_url)
    for name in values:
        if name in environ:
            values[name] = environ[name]
    values[NLU_URL] = nlu_url.rstrip("/")
    return values


def rasa_run_command(
    settings: Settings,
    model: Path,
    port: int,
    nlu_url: str,
    enable_api: bool = True,
    *,
    interface: str = LOOPBACK,
    cors: Sequence[str] = (),
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], dict[str, str]]:
    """Build the ``rasa run`` command line and its environment.

    Args:
        settings: calmdesk settings.
        model: The trained model archive (see :func:`bot.rasa_runtime.train_core`).
        port: Port for Rasa's HTTP server.
        nlu_url: Base URL of the calmdesk NLU service.
        enable_api: Start Rasa's HTTP API (``/status``, ``/conversations/...``); needed for
            readiness checks and tracker access.
        interface: Address to bind; loopback by default, since only the gateway talks to Rasa.
        cors: Origins for ``--cors``. Empty by default: browsers never call Rasa directly,
            and ``*`` would let any web page drive the local HTTP API.
        environ: Environment to start from (default: ``os.environ``).

    Rasa starts through :mod:`bot.rasa_runtime.rasa_boot` (its speed-ups: the action-response
    schema compiled once, event types from a dict, keep-alive to the action server, incremental
    dialogue states, ...) unless ``settings.rasa_speedups`` is off; with
    ``settings.rasa_verify_states`` it checks each incremental state against Rasa's own.

    Returns:
        ``(argv, env)`` where ``env`` is the complete environment for the child.

    Raises:
        RasaNotInstalledError: The Rasa environment is missing.
    """
    base = os.environ if environ is None else environ
    project = settings.path(settings.rasa_project_dir)
    if settings.rasa_speedups:
        launcher = [str(rasa_python(settings)), str(RASA_BOOT)]
    else:
        launcher = [str(rasa_executable(settings))]
    argv = [
        *launcher,
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(project / "endpoints.yml"),
        "--credentials",
        str(project / "credentials.yml"),
        "--interface",
        interface,
        "--port",
        str(port),
    ]
    if enable_api:
        argv.append("--enable-api")
    if cors:
        argv += ["--cors", *cors]
    env = rasa_subprocess_env(base, venv=rasa_venv_dir(settings))
    env.setdefault("LOG_LEVEL", settings.log_level.upper())
    env.update(rasa_endpoint_env(settings, nlu_url, environ=base))
    if settings.rasa_speedups:
        env["CALMDESK_RASA_VERIFY_STATES"] = "true" if settings.rasa_verify_states else "false"
    return argv, env


def rasa_process(
    settings: Settings,
    model: Path,
    port: int,
    nlu_url: str,
    *,
    log_path: Path | None = None,
    name: str = "rasa",
    environ: Mapping[str, str] | None = None,
) -> ManagedProcess:
    """Return a (not yet started) :class:`ManagedProcess` for a Rasa server with the API on.

    Its health URL is ``/status``, which answers 200 only once the model is loaded.

    Args:
        settings: calmdesk settings.
        model: The trained model archive.
        port: Port for Rasa's HTTP server (bound to loopback).
        nlu_url: Base URL of the calmdesk NLU service.
        log_path: Log file (default ``<var_dir>/logs/<name>.log``).
        name: Process name for messages and the default log file.
        environ: Environment to start from (default: ``os.environ``); see
            :func:`rasa_endpoint_env` for the variables that override the stores.
    """
    argv, env = rasa_run_command(settings, model, port, nlu_url, enable_api=True, environ=environ)
    return ManagedProcess(
        name,
        argv,
        env=env,
        inherit_env=False,
        cwd=model.parent,  # gitignored; anything Rasa writes to its cwd stays out of the tree
        log_path=log_path,
        health_url=f"{rasa_url(port)}/status",
    )


def wait_for_rasa(
    url: str,
    timeout: float = 120.0,
    *,
    interval: float = 0.25,
    token: str | None = None,
    is_alive: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Poll a Rasa server until its model is loaded.

    ``GET /status`` (HTTP API enabled) answers 200 with ``model_file``/``model_id`` once a
    model is loaded and 409 before. Without the HTTP API (404/405) or when it requires a
    token we do not have (401/403), ``GET /`` is used instead: Rasa loads the model before
    it starts serving, so an answer there also means ready.

    Args:
        url: Base URL, e.g. ``http://127.0.0.1:5005``.
        timeout: Seconds to wait in total.
        interval: Seconds between attempts.
        token: Rasa ``--auth-token``, if the server uses one.
        is_alive: Called between attempts; returning ``False`` aborts (process died).

    Returns:
        The ``/status`` document, or ``{"version": <text of GET />}`` without the API.

    Raises:
        RasaNotReadyError: Not ready within ``timeout``, or ``is_alive`` returned ``False``.
    """
    base = url.rstrip("/")
    params = {"token": token} if token else None
    deadline = time.monotonic() + timeout
    problem = "no answer yet"
    with httpx.Client(timeout=5.0) as client:
        while True:
            if is_alive is not None and not is_alive():
                raise RasaNotReadyError(f"Rasa at {base} exited before it was ready")
            try:
                status = client.get(f"{base}/status", params=params)
                if status.status_code == 200 and status.json().get("model_id"):
                    result: dict[str, Any] = status.json()
                    return result
                if status.status_code in {401, 403, 404, 405}:
                    root = client.get(f"{base}/")
                    if root.status_code == 200:
                        return {"version": root.text.strip()}
                problem = f"HTTP {status.status_code}: {status.text[:200]}"
            except (httpx.HTTPError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise RasaNotReadyError(
                    f"Rasa at {base} has no loaded model after {timeout:.0f}s ({problem})"
                )
            time.sleep(interval)
