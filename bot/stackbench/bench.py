"""``make bench`` / ``calmdesk bench stack``: calmdesk's whole stack next to stock Rasa 3.6.

One run drives every target with the same script (:mod:`bot.stackbench.runner`), one target
at a time so they never compete for the CPU, and writes ``reports/bench-stack.{json,md}``.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bot.nlu.data import load_nlu_data
from bot.rasa_runtime import rasa_version
from bot.settings import PROJECT_ROOT, Settings
from bot.stackbench.conversations import ConversationSampler
from bot.stackbench.errors import StackBenchError
from bot.stackbench.report import GOAL_LEVEL, build_report, write_reports
from bot.stackbench.runner import LEVELS, Level, LevelFigures, Script, run_target
from bot.stackbench.stock_rasa import build_project, cached_model, ensure_stock_model, stock_dir
from bot.stackbench.targets import calmdesk_stack, cli_serves, stock_target

ALL_TARGETS = ("stock-rasa", "calmdesk-rasa", "calmdesk-gateway")
NOTES = [
    "Closed loop as in ARCHITECTURE.md: each sender sends its next message as soon as the "
    "answer arrives and starts a new conversation every 10 messages; every target hears the "
    "same scripted conversations (intents in plausible order, texts drawn from nlu_data).",
    "Targets run one after the other, each alone on the machine with the load generator; "
    "RSS is the peak per process (with its children) during the level.",
    "calmdesk runs in embedded mode (in-memory Rasa tracker store, SQLite case log); stock "
    "Rasa uses its in-memory stores. The NLU parse cache is limited to 64 entries so the "
    "repeated benchmark texts are not answered from memory.",
    "The gateway's per-sender and per-IP rate limits are raised for the run (one load "
    "generator on loopback would otherwise be throttled with 429).",
]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def machine_facts(settings: Settings) -> dict[str, Any]:
    """CPU, memory, versions and the current load of this machine."""
    return {
        "cpus": psutil.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": sys.version.split()[0],
        "rasa": rasa_version(settings),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "commit": _git_commit(),
    }


def _run_round(
    settings: Settings,
    work: Path,
    targets: list[str],
    stock_model: Path | None,
    script: Script,
    duration: float,
    levels: tuple[Level, ...],
    progress: Callable[[str], None],
    meta: dict[str, Any],
) -> list[LevelFigures]:
    """Start each target in turn (alone on the machine), run ``levels``, stop it."""
    rows: list[LevelFigures] = []
    for name in targets:
        if name == "stock-rasa":
            if stock_model is None:
                raise StackBenchError("stock Rasa runs only with a trained model")
            context = stock_target(settings, stock_model, work / "stock-rasa")
        else:
            context = calmdesk_stack(settings, work, name == "calmdesk-gateway")
        with context as target:
            rows += run_target(target, script, duration, levels, progress=progress)
            meta.setdefault("targets", {})[name] = target.description
    return rows


def run_stack_benchmark(
    settings: Settings,
    out_dir: Path,
    duration: float,
    targets: tuple[str, ...] = ALL_TARGETS,
    progress: Callable[[str], None] = print,
    stock_model: Path | None = None,
    rounds: int = 1,
) -> dict[str, Any]:
    """Run the stack benchmark and write the reports.

    Args:
        settings: calmdesk settings.
        out_dir: Where ``bench-stack.json`` and ``bench-stack.md`` go.
        duration: Seconds per level (ARCHITECTURE.md's method: 20).
        targets: Which of :data:`ALL_TARGETS` to run.
        progress: Receives one line per step.
        stock_model: Use this trained stock model instead of the one cached for the current
            data (e.g. a model trained on an earlier ``nlu_data``: the report says so).
        rounds: How many times to measure the goal level (8 senders) of every target; the
            first round runs every level, each further round restarts every target and runs
            8 senders only, in the same order, so the report shows the spread of the ratio.

    Returns:
        The report.
    """
    meta: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_facts(settings),
        "duration_s": duration,
        "levels": [level.label for level in LEVELS],
        "notes": list(NOTES),
    }
    script = Script(ConversationSampler(load_nlu_data(settings.path(settings.nlu_data_dir))))
    skipped: dict[str, str] = {}
    work = settings.path(settings.var_dir) / "bench" / "stack"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    model = None
    if "stock-rasa" in targets:
        current = cached_model(settings, build_project(settings))
        model = stock_model.resolve() if stock_model else ensure_stock_model(settings, progress)
        meta["stock_model"] = {
            "path": str(model.relative_to(stock_dir(settings)))
            if model.is_relative_to(stock_dir(settings))
            else str(model),
            "trained_on_current_data": model.resolve() == current.resolve(),
        }
        if model.resolve() != current.resolve():
            meta["notes"].append(
                f"The stock Rasa model ({model.name}) was trained on an earlier version of "
                "nlu_data than the current one (given with --stock-model): its pipeline, "
                "policies and intents are the same, the training examples differ."
            )
    if "calmdesk-gateway" in targets and not cli_serves("gateway"):
        skipped["calmdesk-gateway"] = "`calmdesk serve gateway` does not exist in this checkout"
    run = [name for name in ALL_TARGETS if name in targets and name not in skipped]
    rows = _run_round(settings, work, run, model, script, duration, LEVELS, progress, meta)
    repeats: list[list[LevelFigures]] = []
    goal_level = tuple(level for level in LEVELS if level.key == GOAL_LEVEL)
    for number in range(2, rounds + 1):
        progress(f"round {number} of {rounds}: 8 senders only")
        repeats.append(
            _run_round(settings, work, run, model, script, duration, goal_level, progress, {})
        )
    meta["machine"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    report = build_report(rows, meta, skipped, repeats)
    json_path, md_path = write_reports(report, out_dir)
    progress(f"wrote {json_path} and {md_path}")
    return report
