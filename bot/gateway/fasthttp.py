"""A minimal HTTP/1.1 keep-alive client for the hot path (JSON POSTs to the NLU and Rasa).

httpx costs about 1.5 ms of CPU per request on this project's 2-core machine, ten times a plain
asyncio stream; the gateway makes two such calls per message, so the hot path uses this client
(plain ``http://`` only) and everything else keeps httpx.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 16 * 1024 * 1024


class FastHttpError(Exception):
    """The server could not be reached or sent something that is not HTTP/1.1."""


@dataclass(frozen=True, slots=True)
class FastResponse:
    """Status and body of a response."""

    status: int
    body: bytes


@dataclass(frozen=True, slots=True)
class _Target:
    host: str
    port: int
    path: str
    host_header: bytes


class _StaleConnection(Exception):
    """A kept-alive connection was closed by the server before it answered."""


def _target(url: str) -> _Target:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname:
        raise FastHttpError(f"only http:// URLs are supported, not {url!r}")
    port = parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Target(parts.hostname, port, path, f"{parts.hostname}:{port}".encode("ascii"))


async def _read_body(reader: asyncio.StreamReader, headers: dict[bytes, bytes]) -> bytes:
    if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent by our services
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise FastHttpError("response body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = headers.get(b"content-length")
    if length is None:
        return await reader.read(MAX_BODY_BYTES)  # body ends when the server closes
    size = int(length)
    if size > MAX_BODY_BYTES:
        raise FastHttpError("response body too large")
    return await reader.readexactly(size)


class FastHttpClient:
    """Keep-alive connections per host; one request at a time per connection.

    Args:
        max_idle: Idle connections kept per host.
    """

    def __init__(self, max_idle: int = 64) -> None:
        self.max_idle = max_idle
        self._idle: dict[tuple[str, int], list[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]
        self._idle = {}
        self._targets: dict[str, _Target] = {}

    async def aclose(self) -> None:
        """Close every idle connection."""
        for connections in self._idle.values():
            for _, writer in connections:
                writer.close()
        self._idle.clear()

    async def post(
        self, url: str, body: bytes, headers: Mapping[str, str] | None = None
    ) -> FastResponse:
        """POST ``body`` as JSON to ``url`` (bound the time with ``asyncio.timeout``).

        Raises:
            FastHttpError: connection refused or reset, or a malformed response.
        """
        target = self._targets.get(url)
        if target is None:
            target = self._targets[url] = _target(url)
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode("latin-1")
        request = (
            b"POST %s HTTP/1.1\r\nhost: %s\r\ncontent-type: application/json\r\n"
            b"content-length: %d\r\n%s\r\n"
            % (target.path.encode("latin-1"), target.host_header, len(body), extra)
        ) + body
        key = (target.host, target.port)
        idle = self._idle.setdefault(key, [])
        while idle:
            reader, writer = idle.pop()
            if writer.is_closing() or reader.at_eof():
                writer.close()
                continue
            try:
                return await self._exchange(key, reader, writer, request, reused=True)
            except _StaleConnection:
                continue
        try:
            reader, writer = await asyncio.open_connection(target.host, target.port)
        except OSError as exc:
            raise FastHttpError(f"cannot connect to {target.host}:{target.port}: {exc}") from exc
        try:
            return await self._exchange(key, reader, writer, request, reused=False)
        except _StaleConnection as exc:
            raise FastHttpError("the server closed the connection without answering") from exc

    async def _exchange(
        self,
        key: tuple[str, int],
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        request: bytes,
        *,
        reused: bool,
    ) -> FastResponse:
        keep = False
        try:
            try:
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError) as exc:
                if reused:
                    raise _StaleConnection from exc
                raise FastHttpError(f"connection lost: {exc!r}") from exc
            except asyncio.LimitOverrunError as exc:
                raise FastHttpError("response headers too long") from exc
            lines = head[:-4].split(b"\r\n")
            status_line = lines[0].split(b" ", 2)
            if len(status_line) < 2 or not status_line[0].startswith(b"HTTP/1."):
                raise FastHttpError(f"not an HTTP/1.x response: {lines[0][:80]!r}")
            status = int(status_line[1])
            headers: dict[bytes, bytes] = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            try:
                body = await _read_body(reader, headers)
            except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
                raise FastHttpError(f"incomplete response body: {exc!r}") from exc
            keep = (
                headers.get(b"connection", b"").lower() != b"close"
                and status_line[0] == b"HTTP/1.1"
                and (b"content-length" in headers or b"transfer-encoding" in headers)
            )
            return FastResponse(status, body)
        except ValueError as exc:
            raise FastHttpError(f"malformed response: {exc}") from exc
        finally:
            idle = self._idle.setdefault(key, [])
            if keep and len(idle) < self.max_idle:
                idle.append((reader, writer))
            else:
                writer.close()
