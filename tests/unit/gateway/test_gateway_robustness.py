"""No malformed input gets a 500, on any endpoint; JSON logs have stable event names."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from bot.gateway.logs import JsonFormatter
from tests.unit.gateway.conftest import Gateway

ENDPOINTS = [
    ("POST", "/webhooks/rest/webhook"),
    ("POST", "/model/parse"),
    ("POST", "/api/agent/login"),
    ("POST", "/api/agent/conversations/x/messages"),
    ("POST", "/api/agent/conversations/x/relabel"),
    ("POST", "/api/widget/token"),
    ("GET", "/api/conversations/x/messages?after=abc"),
    ("GET", "/api/conversations/%00/history"),
]
BODIES = [
    b"",
    b"{",
    b"\x00\xff\xfe",
    b"[1, 2, 3]",
    b'"just a string"',
    b'{"sender": {"a": 1}, "message": ["x"]}',
    b'{"text": null, "username": 5, "turn_seq": -1}',
    b"9" * 5000,
    b'{"message": "\\ud800"}',
]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
async def test_garbage_never_gets_a_500(gateway: Gateway, method: str, path: str) -> None:
    headers = {"content-type": "application/json", "X-Calmdesk-Backend-Key": "backend-secret"}
    for body in BODIES:
        response = await gateway.client.request(method, path, content=body, headers=headers)
        assert response.status_code < 500, (path, body, response.text)
        assert set(response.json()) >= {"error", "reason"} or response.status_code == 200


async def test_relay_parse_answers_only_loopback(gateway: Gateway) -> None:
    import httpx

    remote = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gateway.app, client=("203.0.113.9", 5000)),
        base_url="http://gateway.test",
    )
    async with remote:
        refused = await remote.post("/model/parse", json={"text": "hello"})
    assert refused.status_code == 403
    local = await gateway.client.post("/model/parse", json={"text": "hello"})
    assert local.status_code == 200 and local.json()["intent"]["name"] == "greet"


def test_json_log_lines() -> None:
    record = logging.LogRecord("calmdesk.gateway", logging.INFO, "", 0, "gateway.x.y", None, None)
    record.conversation_id = "ann"
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "gateway.x.y" and line["conversation_id"] == "ann"
    assert line["level"] == "info" and line["logger"] == "calmdesk.gateway"


async def test_cors_allows_only_the_configured_origins(gateway: Gateway) -> None:
    preflight = {"Access-Control-Request-Method": "POST"}
    allowed = await gateway.client.options(
        "/webhooks/rest/webhook", headers={"Origin": "http://localhost:8000", **preflight}
    )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:8000"
    foreign = await gateway.client.options(
        "/webhooks/rest/webhook", headers={"Origin": "http://evil.example", **preflight}
    )
    assert foreign.status_code == 400
    assert "access-control-allow-origin" not in foreign.headers


def test_production_mode_needs_a_secret_key(tmp_path: Path) -> None:
    from bot.gateway.errors import GatewayConfigError
    from bot.gateway.security import resolve_secret_key
    from tests.unit.gateway.conftest import gateway_settings

    with pytest.raises(GatewayConfigError):
        resolve_secret_key(gateway_settings(tmp_path, mode="production"))
    embedded = gateway_settings(tmp_path)
    assert resolve_secret_key(embedded) == resolve_secret_key(embedded)  # persisted once
    assert (tmp_path / "var" / "gateway_secret.key").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    "body",
    [
        b'{"sender": "same", "message": "hello"}',
        b"{",
        b'{"sender": "same", "message": " "}',
        b'{"sender": "same", "message": "' + b"x" * 6000 + b'"}',
    ],
)
async def test_browser_and_server_requests_get_the_same_answers(
    gateway: Gateway, body: bytes
) -> None:
    """Without Origin the ASGI hot path answers; with it, FastAPI (CORS); same results."""
    url = "/webhooks/rest/webhook"
    plain = await gateway.client.post(url, content=body)
    browser = await gateway.client.post(
        url, content=body, headers={"Origin": "http://localhost:8000"}
    )
    assert (plain.status_code, plain.json()) == (browser.status_code, browser.json())
    assert plain.headers["content-type"] == "application/json"
    assert browser.headers["access-control-allow-origin"] == "http://localhost:8000"
    assert "access-control-allow-origin" not in plain.headers
