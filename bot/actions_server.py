"""The rasa-sdk action server that runs calmdesk's custom actions (``actions/``).

``calmdesk serve actions`` and ``calmdesk serve all`` start it as
``python -m rasa_sdk --actions actions`` from the project root, bound to ``settings.host``
(rasa-sdk reads the address from ``SANIC_HOST``) with one Sanic worker. rasa-sdk 3.21 warns on
every call from Rasa 3.6 that the versions differ; the protocol is the same, so that one warning
is silenced.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bot.process import ManagedProcess
from bot.settings import PROJECT_ROOT, Settings

VERSION_WARNING_FILTER = "ignore:Your versions of rasa and rasa_sdk:UserWarning"


def actions_command(settings: Settings, port: int) -> tuple[list[str], dict[str, str]]:
    """Return the action server's command line and the environment variables it adds.

    Args:
        settings: calmdesk settings (``host``).
        port: The port to listen on.

    Returns:
        ``(argv, env)``; ``env`` is added to the parent's environment.
    """
    argv = [sys.executable, "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
    env = {
        "SANIC_HOST": settings.host,
        "ACTION_SERVER_SANIC_WORKERS": "1",
        "PYTHONWARNINGS": VERSION_WARNING_FILTER,
    }
    return argv, env


def actions_process(
    settings: Settings,
    port: int,
    *,
    log_path: Path | None = None,
    name: str = "actions",
    extra_env: dict[str, str] | None = None,
) -> ManagedProcess:
    """Return a (not yet started) :class:`ManagedProcess` for the action server.

    Args:
        settings: calmdesk settings.
        port: The port to listen on; the health check is ``GET /health``.
        log_path: Log file (default ``<var_dir>/logs/<name>.log``).
        name: Process name for messages and the default log file.
        extra_env: More environment variables (e.g. ``CALMDESK_DATABASE_URL`` in tests).
    """
    argv, env = actions_command(settings, port)
    return ManagedProcess(
        name,
        argv,
        env={**env, **(extra_env or {})},
        cwd=PROJECT_ROOT,
        log_path=log_path,
        health_url=f"http://{settings.host}:{port}/health",
    )
