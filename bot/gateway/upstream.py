"""HTTP clients for the gateway's dependencies: the NLU service, Rasa and the action server."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import orjson

from bot.gateway.errors import GatewayError
from bot.gateway.fasthttp import FastHttpClient, FastHttpError


class UpstreamError(GatewayError):
    """A dependency failed, timed out or answered something unusable."""

    status = 503
    code = "upstream_unavailable"


def _json(status: int, content: bytes, what: str) -> Any:
    if status != 200:
        raise UpstreamError(f"{what} answered HTTP {status}", code=f"{what}_http")
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError as exc:
        raise UpstreamError(f"{what} answered invalid JSON", code=f"{what}_bad_json") from exc


class Upstreams:
    """One keep-alive HTTP client shared by the NLU, Rasa and action-server calls.

    Args:
        nlu_url: NLU service base URL.
        rasa_url: Rasa base URL (REST channel + HTTP API).
        actions_url: Action server base URL (only ``/health`` is used).
        nlu_token: Sent as ``{"token": ...}`` when set.
        transport: Optional httpx transport (tests).
    """

    def __init__(
        self,
        nlu_url: str,
        rasa_url: str,
        actions_url: str,
        *,
        nlu_token: str = "",
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.nlu_url = nlu_url.rstrip("/")
        self.rasa_url = rasa_url.rstrip("/")
        self.actions_url = actions_url.rstrip("/")
        self.nlu_token = nlu_token
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self.client = httpx.AsyncClient(transport=transport, limits=limits, trust_env=False)
        self.parse_url = f"{self.nlu_url}/model/parse"
        self.webhook_url = f"{self.rasa_url}/webhooks/rest/webhook"
        plain = self.parse_url.startswith("http://") and self.webhook_url.startswith("http://")
        # the hot path's two calls skip httpx (about 10x its CPU cost); tests inject transports
        self.fast = FastHttpClient() if transport is None and plain else None

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
        if self.fast is not None:
            await self.fast.aclose()

    async def _post_json(
        self, url: str, body: dict[str, Any], timeout: float, what: str
    ) -> tuple[int, bytes]:
        """POST JSON within ``timeout`` seconds (total); return status and body.

        Raises:
            UpstreamError: ``{what}_timeout`` or ``{what}_down``.
        """
        content = orjson.dumps(body)
        try:
            async with asyncio.timeout(timeout):  # a total bound; httpx's is per read
                if self.fast is not None:
                    answer = await self.fast.post(url, content)
                    return answer.status, answer.body
                response = await self.client.post(
                    url,
                    content=content,
                    headers={"content-type": "application/json"},
                    timeout=timeout,
                )
                return response.status_code, response.content
        except (httpx.TimeoutException, TimeoutError) as exc:
            raise UpstreamError(f"{what} timed out", code=f"{what}_timeout") from exc
        except (httpx.HTTPError, FastHttpError) as exc:
            raise UpstreamError(f"{what} is unreachable: {exc}", code=f"{what}_down") from exc

    async def parse(self, text: str, timeout: float) -> dict[str, Any]:
        """``POST {nlu}/model/parse``; return Rasa's parse format plus ``affect``.

        Raises:
            UpstreamError: unreachable, timed out, non-200 or not a JSON object.
        """
        body: dict[str, Any] = {"text": text}
        if self.nlu_token:
            body["token"] = self.nlu_token
        status, content = await self._post_json(self.parse_url, body, timeout, "nlu")
        result = _json(status, content, "nlu")
        if not isinstance(result, dict) or not isinstance(result.get("intent"), dict):
            raise UpstreamError("the NLU service answered no intent", code="nlu_bad_json")
        return result

    async def rasa_message(
        self, sender: str, text: str, metadata: dict[str, Any], timeout: float
    ) -> list[dict[str, Any]]:
        """``POST {rasa}/webhooks/rest/webhook``; return Rasa's responses.

        Raises:
            UpstreamError: unreachable, timed out, non-200 or not a JSON array.
        """
        body = {"sender": sender, "message": text, "metadata": metadata}
        status, content = await self._post_json(self.webhook_url, body, timeout, "rasa")
        result = _json(status, content, "rasa")
        if not isinstance(result, list) or not all(isinstance(m, dict) for m in result):
            raise UpstreamError("Rasa answered something other than a list", code="rasa_bad_json")
        return result

    async def rasa_event(self, sender: str, event: dict[str, Any], timeout: float = 2.0) -> None:
        """Append one event (``pause``/``resume``) to Rasa's tracker (best effort).

        Raises:
            UpstreamError: Rasa refused or is unreachable.
        """
        try:
            response = await self.client.post(
                f"{self.rasa_url}/conversations/{sender}/tracker/events",
                json=event,
                timeout=timeout,
            )
        except httpx.HTTPError as exc:
            raise UpstreamError(f"Rasa is unreachable: {exc}", code="rasa_down") from exc
        if response.status_code != 200:
            raise UpstreamError(f"Rasa answered HTTP {response.status_code}", code="rasa_http")

    async def probe(self, url: str, timeout: float = 1.0) -> dict[str, Any]:
        """GET ``url``; return ``{"ok": bool, "status"| "error": ...}`` for ``/health``."""
        try:
            async with asyncio.timeout(timeout):
                response = await self.client.get(url, timeout=timeout)
        except (httpx.HTTPError, TimeoutError) as exc:
            return {"ok": False, "error": type(exc).__name__}
        return {"ok": response.status_code == 200, "status": response.status_code}
