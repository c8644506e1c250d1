"""``make bench-nlu``: the NLU service under load, with the result cache off.

Writes ``bench-nlu.json`` and ``bench-nlu.md``: fixed 50 requests/s (p95 target ≤ 25 ms),
saturation (target ≥ 300 parses/s), one sender (comparable with stock Rasa's /model/parse),
and the service's RSS (target ≤ 700 MB).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console

from bot.loadgen import closed_loop, fixed_rate
from bot.nlu.data import load_nlu_data
from bot.settings import Settings

TARGETS = {"p95_ms_at_50rps": 25.0, "saturation_per_second": 300.0, "rss_mb": 700.0}
STOCK_RASA = "stock Rasa 3.6.21 /model/parse (ARCHITECTURE.md): ~130 parses/s, p50 7.7 ms"


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RssSampler(threading.Thread):
    """Samples a process's resident memory (including children) every 100 ms."""

    def __init__(self, pid: int) -> None:
        """Watch ``pid``."""
        super().__init__(daemon=True)
        self.process = psutil.Process(pid)
        self.peak_mb = 0.0
        self.stop = threading.Event()

    def run(self) -> None:
        """Sample until stopped."""
        while not self.stop.is_set():
            try:
                rss = self.process.memory_info().rss
            except psutil.Error:
                return
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            time.sleep(0.1)


def start_service(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start ``calmdesk serve nlu`` and wait until it answers /health."""
    handle = log.open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "nlu", "--port", str(port)],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"NLU service exited with {proc.returncode}; see {log}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    proc.kill()
    raise RuntimeError(f"NLU service did not become healthy; see {log}")


def _texts(settings: Settings) -> list[str]:
    data = load_nlu_data(settings.path(settings.nlu_data_dir))
    texts = [e.text for e in data.examples] + [a.text for a in data.affect]
    random.Random(5).shuffle(texts)
    return texts


async def _levels(port: int, texts: list[str], duration: float) -> list[dict[str, Any]]:
    limits = httpx.Limits(max_connections=128, max_keepalive_connections=128)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
    ) as client:

        async def send(sender: int, seq: int) -> bool:
            text = texts[(sender * 7919 + seq) % len(texts)]
            reply = await client.post(
                "/model/parse", json={"text": text, "message_id": f"bench-{sender}"}
            )
            return reply.status_code == 200 and "affect" in reply.json()

        results = [
            await closed_loop("1 sender (closed loop)", send, 1, duration),
            await fixed_rate("50 requests/s (open loop)", send, 50.0, duration),
            await closed_loop("saturation: 32 senders (closed loop)", send, 32, duration),
        ]
    return [r.summary() for r in results]


def run_benchmark(settings: Settings, out_dir: Path, duration: float, console: Console) -> dict:
    """Run the NLU benchmark against a fresh service process and write the reports."""
    out_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proc = start_service(
        port,
        {"CALMDESK_NLU_CACHE_SIZE": "0", "CALMDESK_LOG_LEVEL": "WARNING"},
        out_dir / "bench-nlu-service.log",
    )
    sampler = RssSampler(proc.pid)
    sampler.start()
    try:
        rss_idle = psutil.Process(proc.pid).memory_info().rss / 2**20
        console.print(f"NLU service up on port {port} (RSS {rss_idle:.0f} MB); measuring...")
        levels = asyncio.run(_levels(port, _texts(settings), duration))
        stats = httpx.get(f"http://127.0.0.1:{port}/health").json()
    finally:
        sampler.stop.set()
        proc.terminate()
        proc.wait(timeout=30)
    by_label = {level["label"]: level for level in levels}
    fixed = by_label["50 requests/s (open loop)"]
    saturation = by_label["saturation: 32 senders (closed loop)"]
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": psutil.cpu_count(), "python": sys.version.split()[0]},
        "duration_s_per_level": duration,
        "cache": "disabled (CALMDESK_NLU_CACHE_SIZE=0): every request runs the model",
        "serving": {
            "int8_quantized": settings.nlu_quantize,
            "torch_threads": settings.torch_threads or "torch default",
            "load_generator": "httpx on the same machine",
        },
        "levels": levels,
        "rss_mb": {"idle": round(rss_idle, 1), "peak": round(sampler.peak_mb, 1)},
        "batches": stats,
        "targets": TARGETS,
        "targets_met": {
            "p95_ms_at_50rps": fixed["p95_ms"] <= TARGETS["p95_ms_at_50rps"],
            "saturation_per_second": saturation["per_second"] >= TARGETS["saturation_per_second"],
            "rss_mb": sampler.peak_mb <= TARGETS["rss_mb"],
        },
        "baseline": STOCK_RASA,
    }
    (out_dir / "bench-nlu.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "bench-nlu.md").write_text(render_markdown(report))
    console.print(render_markdown(report))
    return report


def render_markdown(report: dict) -> str:
    """The report as a markdown table."""
    lines = [
        "# NLU service benchmark",
        "",
        f"Generated {report['generated_at']} on {report['machine']['cpus']} CPUs; "
        f"{report['duration_s_per_level']} s per level; {report['cache']}.",
        "",
        "| load | requests | errors | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for level in report["levels"]:
        lines.append(
            f"| {level['label']} | {level['requests']} | {level['errors']} | "
            f"{level['per_second']} | {level['p50_ms']} | {level['p95_ms']} | {level['p99_ms']} |"
        )
    lines += [
        "",
        f"RSS: idle {report['rss_mb']['idle']} MB, peak {report['rss_mb']['peak']} MB.",
        f"Targets: {report['targets']} — met: {report['targets_met']}.",
        f"Baseline: {report['baseline']}.",
        "",
    ]
    return "\n".join(lines)
