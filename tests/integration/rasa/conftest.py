"""Fixtures for the Rasa tests: the settings (skip when Rasa is missing) and the NLU service."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:  # lets plain `pytest` (not only `python -m pytest`) import `tests`
    sys.path.insert(0, REPO_ROOT)

from bot.rasa_runtime import RasaNotInstalledError, rasa_executable  # noqa: E402
from bot.settings import Settings, get_settings  # noqa: E402
from tests.integration.rasa.rasa_helpers import NluService, free_port, nlu_process  # noqa: E402
from tests.support.action_server import running_action_server, seeded_shop  # noqa: E402


@pytest.fixture(scope="module")
def rasa_settings() -> Settings:
    """calmdesk settings; skips the module, saying why, when the Rasa environment is missing."""
    settings = get_settings()
    try:
        rasa_executable(settings)
    except RasaNotInstalledError as exc:
        pytest.skip(f"Rasa environment missing, Rasa integration tests skipped: {exc}")
    return settings


@pytest.fixture(scope="module")
def nlu_service(rasa_settings: Settings) -> Iterator[NluService]:
    """The real NLU service on a free loopback port, started once per module.

    It is not awaited here, so that a Rasa server can start meanwhile: call ``ready()``.
    """
    port = free_port()
    with nlu_process(rasa_settings, port, "test-rasa-nlu") as process:
        yield NluService(process=process, url=f"http://127.0.0.1:{port}")


@pytest.fixture(scope="module")
def action_server_url(
    rasa_settings: Settings, nlu_service: NluService, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """The real action server over a seeded SQLite shop (the assistant's custom actions and
    forms need it); yields the webhook URL to put in ``CALMDESK_ACTIONS_URL``."""
    database_url = seeded_shop(tmp_path_factory.mktemp("rasa-shop"))
    with running_action_server(rasa_settings, database_url, nlu_service.url) as url:
        yield url
