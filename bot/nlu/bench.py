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
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console

from bot.loadgen import RssSampler, closed_loop, fixed_rate, free_port
from bot.nlu.data import load_nlu_data
from bot.process import ManagedProcess
from bot.settings import Settings

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
            levels = asyncio.run(_levels(port, _texts(settings), duration))
            stats = httpx.get(f"http://127.0.0.1:{port}/health").json()
        finally:
            sampler.halt()
    peak_mb = sampler.peak_mb["nlu"]
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
