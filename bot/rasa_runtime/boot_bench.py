"""``calmdesk bench rasa-boot``: Rasa's own CPU per message, stock vs rasa_boot's speed-ups.

Both modes play the same scripted conversations in-process on the trained dialogue model
(:mod:`bot.rasa_runtime.boot_check`, run by the Rasa environment's Python) and must produce the
same digest of bot texts and tracker events; the report gives the CPU milliseconds per message of
each and the ratio. No HTTP, no NLU, no action server: just what happens inside Rasa.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.rasa_runtime.environment import rasa_python, rasa_subprocess_env, rasa_venv_dir
from bot.rasa_runtime.errors import RasaRuntimeError
from bot.settings import Settings

BOOT_CHECK = Path(__file__).resolve().with_name("boot_check.py")


def run_boot_check(
    settings: Settings, model: Path, mode: str, conversations: int, *, timeout: float = 900.0
) -> dict[str, Any]:
    """Play ``conversations`` scripted conversations in ``mode`` (stock | boot); the result line.

    Raises:
        RasaRuntimeError: when the Rasa process fails or prints no result.
    """
    done = subprocess.run(
        [str(rasa_python(settings)), str(BOOT_CHECK), str(model), mode, str(conversations)],
        env=rasa_subprocess_env(venv=rasa_venv_dir(settings)),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        raise RasaRuntimeError(f"boot check ({mode}) failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def bench_rasa_boot(
    settings: Settings, model: Path, out_dir: Path, conversations: int = 40
) -> dict[str, Any]:
    """Run both modes, write ``bench-rasa-boot.{json,md}`` into ``out_dir``, return the report."""
    stock = run_boot_check(settings, model, "stock", conversations)
    boot = run_boot_check(settings, model, "boot", conversations)
    report = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "conversations": conversations,
        "stock": stock,
        "boot": boot,
        "same_conversations": stock["digest"] == boot["digest"],
        "cpu_ratio": round(stock["cpu_ms_per_msg"] / max(boot["cpu_ms_per_msg"], 1e-9), 2),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench-rasa-boot.json").write_text(json.dumps(report, indent=2) + "\n", "utf-8")
    (out_dir / "bench-rasa-boot.md").write_text(render_markdown(report), "utf-8")
    return report


def render_markdown(report: dict[str, Any]) -> str:
    """The report as a short markdown table."""
    rows = [
        f"| {mode} | {r['cpu_ms_per_msg']:g} | {r['wall_ms_per_msg']:g} | {int(r['messages'])} |"
        for mode, r in (("stock Rasa 3.6", report["stock"]), ("rasa_boot", report["boot"]))
    ]
    same = "yes" if report["same_conversations"] else "**NO**"
    return "\n".join(
        [
            "# Rasa in-process: stock vs rasa_boot's speed-ups",
            "",
            f"Generated {report['generated_at']}; {report['conversations']} scripted "
            "conversations per mode on the trained dialogue model (no NLU, no HTTP).",
            "",
            "| mode | CPU ms / message | wall ms / message | messages |",
            "|---|---|---|---|",
            *rows,
            "",
            f"Same bot texts and tracker events in both modes: {same}. "
            f"Stock needs {report['cpu_ratio']:g}× the CPU per message.",
            "",
        ]
    )
