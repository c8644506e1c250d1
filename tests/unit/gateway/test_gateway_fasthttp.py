"""The hot-path HTTP client against real loopback servers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from bot.gateway.fasthttp import FastHttpClient, FastHttpError
from tests.integration.rasa.rasa_helpers import free_port

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class Server:
    """A scripted HTTP server; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.port = 0
        self.server: asyncio.Server | None = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.handler(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/model/parse"


@pytest.fixture
async def serve() -> AsyncIterator[Callable[[Handler], Awaitable[Server]]]:
    servers: list[Server] = []

    async def start(handler: Handler) -> Server:
        server = Server(handler)
        server.server = await asyncio.start_server(server._serve, "127.0.0.1", 0)
        server.port = server.server.sockets[0].getsockname()[1]
        servers.append(server)
        return server

    yield start
    for server in servers:
        assert server.server is not None
        server.server.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length")
    )
    return await reader.readexactly(length)


async def echo_forever(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        body = await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()


async def test_keeps_the_connection_alive(serve: Callable[[Handler], Awaitable[Server]]) -> None:
    server = await serve(echo_forever)
    client = FastHttpClient()
    for i in range(5):
        answer = await client.post(server.url, b'{"n": %d}' % i)
        assert (answer.status, answer.body) == (200, b'{"n": %d}' % i)
    assert server.connections == 1
    await client.aclose()


async def test_chunked_and_error_status(serve: Callable[[Handler], Awaitable[Server]]) -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(
            b"HTTP/1.1 503 Service Unavailable\r\ntransfer-encoding: chunked\r\n\r\n"
            b"4\r\n[1, \r\n3\r\n2]\n\r\n0\r\n\r\n"
        )
        await writer.drain()
        await reader.read()

    server = await serve(chunked)
    answer = await FastHttpClient().post(server.url, b"{}")
    assert (answer.status, answer.body) == (503, b"[1, 2]\n")


async def test_a_connection_closed_while_idle_is_replaced(
    serve: Callable[[Handler], Awaitable[Server]],
) -> None:
    async def one_answer_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        body = await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
        await writer.drain()

    server = await serve(one_answer_then_close)
    client = FastHttpClient()
    assert (await client.post(server.url, b"1")).body == b"1"
    await asyncio.sleep(0.05)
    assert (await client.post(server.url, b"2")).body == b"2"
    assert server.connections == 2


async def test_refused_garbage_and_timeout(serve: Callable[[Handler], Awaitable[Server]]) -> None:
    client = FastHttpClient()
    with pytest.raises(FastHttpError):
        await client.post(f"http://127.0.0.1:{free_port()}/x", b"{}")

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH\r\n\r\n")
        await writer.drain()

    with pytest.raises(FastHttpError):
        await client.post((await serve(garbage)).url, b"{}")

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    slow = await serve(silent)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.2):
            await client.post(slow.url, b"{}")
    assert client._idle.get(("127.0.0.1", slow.port), []) == []  # never reused after a timeout
    with pytest.raises(FastHttpError):
        await client.post("https://127.0.0.1/x", b"{}")
