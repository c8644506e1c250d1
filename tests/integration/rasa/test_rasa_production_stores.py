"""Production mode: Rasa keeps its trackers in PostgreSQL, and they survive a restart.

Set ``CALMDESK_TEST_POSTGRES_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``)
to run; a throw-away database is created on that server and dropped afterwards. With
``CALMDESK_TEST_REDIS_URL`` (e.g. ``redis://127.0.0.1:6379``) Rasa also uses the Redis lock
store (Rasa connects to that host on port 6379, database 1).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from bot.rasa_runtime import ENDPOINT_ENV_VARS, rasa_process, rasa_url, train_core
from bot.settings import Settings
from tests.integration.rasa.rasa_helpers import (
    RASA_START_TIMEOUT,
    NluService,
    RasaClient,
    domain_responses,
    free_port,
    log_dir,
    new_sender,
)

pytestmark = pytest.mark.integration

POSTGRES_URL_VARIABLE = "CALMDESK_TEST_POSTGRES_URL"
REDIS_URL_VARIABLE = "CALMDESK_TEST_REDIS_URL"


@pytest.fixture(scope="module")
def database_url(rasa_settings: Settings) -> Iterator[str]:
    """URL of a fresh PostgreSQL database for this module, dropped afterwards."""
    base = os.environ.get(POSTGRES_URL_VARIABLE, "")
    if not base:
        pytest.skip(
            f"{POSTGRES_URL_VARIABLE} is not set (e.g. "
            "postgresql+psycopg://postgres@127.0.0.1:5432/test); Rasa SQL tracker test skipped"
        )
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(base)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"calmdesk_rasa_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_environ() -> dict[str, str]:
    """This process's environment without store overrides, plus Redis when configured."""
    environ = {k: v for k, v in os.environ.items() if k not in ENDPOINT_ENV_VARS}
    redis_url = os.environ.get(REDIS_URL_VARIABLE, "")
    if redis_url:
        environ["CALMDESK_RASA_LOCK_STORE"] = "redis"
        environ["CALMDESK_RASA_LOCK_STORE_HOST"] = urlsplit(redis_url).hostname or "127.0.0.1"
    return environ


def test_trackers_survive_a_restart(
    rasa_settings: Settings, nlu_service: NluService, database_url: str, action_server_url: str
) -> None:
    """A conversation (with our affect) is still there after Rasa restarts."""
    import psycopg
    from sqlalchemy.engine import make_url

    settings = rasa_settings.model_copy(update={"mode": "production", "database_url": database_url})
    model = train_core(settings)
    responses = domain_responses(settings)
    sender = new_sender()
    nlu_service.ready()

    for run in ("first", "second"):
        port = free_port()
        rasa = rasa_process(
            settings,
            model,
            port,
            nlu_service.url,
            log_path=log_dir(settings) / "test-rasa-production.log",
            name=f"test-rasa-production-{run}",
            environ={**production_environ(), "CALMDESK_ACTIONS_URL": action_server_url},
        )
        with rasa:
            rasa.wait_healthy(timeout=RASA_START_TIMEOUT)
            client = RasaClient(rasa_url(port))
            if run == "first":
                replies = client.send(sender, "where is my order 1042")
                assert set(replies) <= set(responses["utter_ask_email"]), replies
            event = client.last_user_event(sender)
            assert event["text"] == "where is my order 1042"
            assert event["parse_data"]["intent"]["name"] == "track_order"
            assert isinstance(event["parse_data"]["affect"]["anger"], float)

    plain = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(plain.render_as_string(hide_password=False)) as conn:
        row = conn.execute(
            "SELECT count(*) FROM events WHERE sender_id = %s AND type_name = 'user'", (sender,)
        ).fetchone()
    assert row is not None and row[0] == 1
