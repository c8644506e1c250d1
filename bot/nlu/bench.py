"""``make bench-nlu``: the NLU service under load, with the result cache off.

Writes ``bench-nlu.json`` and ``bench-nlu.md``: fixed 50 requests/s (p95 target ≤ 25 ms),
saturation (target ≥ 300 parses/s), one sender (comparable with stock Rasa's /model/parse),
and the service's RSS (target ≤ 700 MB).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import psutil
from rich.console import Console

from bot.loadgen import LoadResult, RssSampler, closed_loop, fixed_rate, free_port
from bot.nlu.data import load_nlu_data
from bot.process import ManagedProcess
from bot.settings import Settings

LEVEL_1 = "1 sender (closed loop)"
LEVEL_50 = "50 requests/s (open loop)"
LEVEL_SATURATION = "saturation: 32 senders (closed loop)"
LOAD_GENERATOR = (
    "raw HTTP/1.1 keep-alive client (asyncio streams, bot/nlu/bench.py) in the bench process, "
    "on the same machine as the service"
)
MAX_IDLE_S = 2.0
TARGETS = {"p95_ms_at_50rps": 25.0, "saturation_per_second": 300.0, "rss_mb": 700.0}
STOCK_RASA = "stock Rasa 3.6.21 /model/parse (ARCHITECTURE.md): ~130 parses/s, p50 7.7 ms"


def nlu_service(port: int, env: dict[str, str], log: Path) -> ManagedProcess:
    """A (not yet started) ``calmdesk serve nlu`` process on ``port``, logging to ``log``."""
    return ManagedProcess(
        "bench-nlu",
        [sys.executable, "-m", "bot.cli", "serve", "nlu", "--port", str(port)],
        env=env,
        log_path=log,
        health_url=f"http://127.0.0.1:{port}/health",
    )


def _texts(settings: Settings) -> list[str]:
    data = load_nlu_data(settings.path(settings.nlu_data_dir))
    texts = [e.text for e in data.examples] + [a.text for a in data.affect]
    random.Random(5).shuffle(texts)
    return texts


class BenchError(Exception):
    """The service under test answered something that is not HTTP/1.1 with a length."""


class RawHttpClient:
    """A minimal HTTP/1.1 keep-alive client for the load generator.

    httpx spends about 4 ms of CPU per request, which on a 2-core machine shared with the
    service made the load generator a bottleneck; this client writes one pre-built request and
    reads the status line, the headers and ``Content-Length`` bytes: tens of microseconds.
    Idle connections are reused; a new one opens when all are busy.
    """

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        """Send to ``host:port``; every request fails after ``timeout`` seconds."""
        self.host = host
        self.port = port
        self.timeout = timeout
        self._idle: list[tuple[float, asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._open: list[asyncio.StreamWriter] = []

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
        """An idle connection (newest first) or a new one, and whether it was reused.

        Connections idle for longer than :data:`MAX_IDLE_S` are closed: the server may have
        closed them already (uvicorn's keep-alive timeout is 5 s).
        """
        now = time.monotonic()
        while self._idle:
            since, reader, writer = self._idle.pop()
            if now - since <= MAX_IDLE_S:
                return reader, writer, True
            writer.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        self._open.append(writer)
        return reader, writer, False

    async def post_json(self, path: str, body: bytes) -> tuple[int, bytes]:
        """POST ``body`` (JSON) to ``path``; return the status code and the response body.

        A reused connection that the server closed meanwhile is retried once on a new one.
        """
        head = (
            f"POST {path} HTTP/1.1\r\nhost: {self.host}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        ).encode("ascii")
        while True:
            reader, writer, reused = await self._connection()
            try:
                writer.write(head + body)
                status, content = await asyncio.wait_for(self._response(reader), self.timeout)
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                if reused:
                    continue
                raise
            self._idle.append((time.monotonic(), reader, writer))
            return status, content

    @staticmethod
    async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
        header = await reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                return status, await reader.readexactly(int(value))
        raise BenchError(f"no content-length in the answer: {lines[0]}")

    async def aclose(self) -> None:
        """Close every connection."""
        for writer in self._open:
            writer.close()
        self._open.clear()
        self._idle.clear()


def _cpu_seconds(processes: list[psutil.Process]) -> tuple[float, ...]:
    """CPU seconds used so far by each process, then by the whole machine."""
    machine = psutil.cpu_times()
    busy = sum(machine) - machine.idle - getattr(machine, "iowait", 0.0)
    return (*(sum(p.cpu_times()[:2]) for p in processes), busy)


async def _levels(
    port: int, texts: list[str], duration: float, service_pid: int
) -> list[dict[str, Any]]:
    client = RawHttpClient("127.0.0.1", port)
    bodies = [orjson.dumps({"text": text}) for text in texts]
    watched = [psutil.Process(service_pid), psutil.Process()]

    async def send(sender: int, seq: int) -> bool:
        index = (sender * 7919 + seq) % len(texts)
        body = bodies[index][:-1] + b',"message_id":"bench-%d"}' % sender
        status, content = await client.post_json("/model/parse", body)
        return status == 200 and "affect" in orjson.loads(content)

    plan: list[Callable[[], Awaitable[LoadResult]]] = [
        lambda: closed_loop(LEVEL_1, send, 1, duration),
        lambda: fixed_rate(LEVEL_50, send, 50.0, duration),
        lambda: closed_loop(LEVEL_SATURATION, send, 32, duration),
    ]
    summaries = []
    try:
        for level in plan:
            before_health = await _get_health(port)
            before = _cpu_seconds(watched)
            result = await level()
            after = _cpu_seconds(watched)
            after_health = await _get_health(port)
            service, generator, machine = (
                (end - start) / result.duration_s for start, end in zip(before, after, strict=True)
            )
            batches = after_health["batches"] - before_health["batches"]
            summary: dict[str, Any] = dict(result.summary())
            summary["texts_per_batch"] = (
                round((after_health["parsed"] - before_health["parsed"]) / batches, 1)
                if batches
                else 0.0
            )
            summary["cpu_cores"] = {
                "service": round(service, 2),
                "load_generator": round(generator, 2),
                "everything_else": round(max(0.0, machine - service - generator), 2),
            }
            summaries.append(summary)
    finally:
        await client.aclose()
    return summaries


async def _get_health(port: int) -> dict[str, Any]:
    def get() -> dict[str, Any]:
        return dict(httpx.get(f"http://127.0.0.1:{port}/health").json())

    return await asyncio.to_thread(get)


def run_benchmark(settings: Settings, out_dir: Path, duration: float, console: Console) -> dict:
    """Run the NLU benchmark against a fresh service process and write the reports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = nlu_service(
        port,
        {"CALMDESK_NLU_CACHE_SIZE": "0", "CALMDESK_LOG_LEVEL": "WARNING"},
        settings.path(settings.var_dir) / "logs" / "bench-nlu-service.log",
    )
    with proc:
        proc.wait_healthy(timeout=180)
        rss_idle = proc.rss_bytes() / 2**20
        sampler = RssSampler({"nlu": proc.pid or 0})
        sampler.start()
        try:
            console.print(f"NLU service up on port {port} (RSS {rss_idle:.0f} MB); measuring...")
            levels = asyncio.run(_levels(port, _texts(settings), duration, proc.pid or 0))
            stats = httpx.get(f"http://127.0.0.1:{port}/health").json()
        finally:
            sampler.halt()
    peak_mb = sampler.peak_mb["nlu"]
    by_label = {level["label"]: level for level in levels}
    fixed = by_label[LEVEL_50]
    saturation = by_label[LEVEL_SATURATION]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": psutil.cpu_count(), "python": sys.version.split()[0]},
        "duration_s_per_level": duration,
        "cache": "disabled (CALMDESK_NLU_CACHE_SIZE=0): every request runs the model",
        "serving": {
            "backend": settings.nlu_backend,
            "int8_quantized": settings.nlu_quantize,
            "intra_op_threads": settings.torch_threads or "runtime default",
            "model_workers": settings.nlu_model_workers,
            "load_generator": LOAD_GENERATOR,
        },
        "levels": levels,
        "rss_mb": {"idle": round(rss_idle, 1), "peak": round(peak_mb, 1)},
        "batches": stats,
        "targets": TARGETS,
        "targets_met": targets_met(fixed, saturation, peak_mb),
        "baseline": STOCK_RASA,
    }
    (out_dir / "bench-nlu.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "bench-nlu.md").write_text(render_markdown(report))
    console.print(render_markdown(report))
    return report


def targets_met(
    fixed: dict[str, Any], saturation: dict[str, Any], peak_mb: float
) -> dict[str, bool]:
    """Which targets were met, as plain JSON booleans (never numpy ``bool_``)."""
    return {
        "p95_ms_at_50rps": bool(float(fixed["p95_ms"]) <= TARGETS["p95_ms_at_50rps"]),
        "saturation_per_second": bool(
            float(saturation["per_second"]) >= TARGETS["saturation_per_second"]
        ),
        "rss_mb": bool(float(peak_mb) <= TARGETS["rss_mb"]),
    }


def render_markdown(report: dict) -> str:
    """The report as a markdown table."""
    lines = [
        "# NLU service benchmark",
        "",
        f"Generated {report['generated_at']} on {report['machine']['cpus']} CPUs; "
        f"{report['duration_s_per_level']} s per level; {report['cache']}.",
        "",
        f"Serving: {report['serving']}.",
        "",
        "| load | requests | errors | req/s | p50 ms | p95 ms | p99 ms | texts/batch "
        "| CPU cores: service / load generator / everything else |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for level in report["levels"]:
        cpu = level.get("cpu_cores", {})
        lines.append(
            f"| {level['label']} | {level['requests']} | {level['errors']} | "
            f"{level['per_second']} | {level['p50_ms']} | {level['p95_ms']} | {level['p99_ms']} | "
            f"{level.get('texts_per_batch', '')} | {cpu.get('service', '')} / "
            f"{cpu.get('load_generator', '')} / {cpu.get('everything_else', '')} |"
        )
    lines += [
        "",
        f"RSS: idle {report['rss_mb']['idle']} MB, peak {report['rss_mb']['peak']} MB.",
        f"Targets: {report['targets']} — met: {report['targets_met']}.",
        f"Baseline: {report['baseline']}.",
        "",
    ]
    return "\n".join(lines)
