"""A real action server over a freshly seeded SQLite demo shop, for tests that run Rasa."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from bot.actions_server import actions_process
from bot.db import make_engine, session_factory, upgrade_database
from bot.settings import Settings
from bot.shop.seed import seed_demo_shop
from tests.integration.rasa.rasa_helpers import free_port, log_dir

ACTIONS_START_TIMEOUT = 60.0


def seeded_shop(folder: Path) -> str:
    """Migrate and seed an SQLite shop in ``folder``; return its SQLAlchemy URL."""
    url = f"sqlite:///{folder / 'shop.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    try:
        seed_demo_shop(session_factory(engine))
    finally:
        engine.dispose()
    return url


@contextlib.contextmanager
def running_action_server(
    settings: Settings, database_url: str, nlu_url: str, *, name: str = "test-actions"
) -> Iterator[str]:
    """Run ``calmdesk``'s action server on a free port; yield its webhook URL for Rasa."""
    port = free_port()
    process = actions_process(
        settings,
        port,
        log_path=log_dir(settings) / f"{name}.log",
        name=name,
        extra_env={"CALMDESK_DATABASE_URL": database_url, "CALMDESK_NLU_URL": nlu_url},
    )
    with process:
        process.wait_healthy(timeout=ACTIONS_START_TIMEOUT)
        yield f"http://127.0.0.1:{port}/webhook"
