"""Train and measure Rasa's default DIET pipeline on the same data (in .venv-rasa)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bot.nlu.metrics import percentile
from bot.settings import Settings

SCRIPT = Path(__file__).parent / "rasa_tools" / "diet_eval.py"


def run_diet(
    settings: Settings,
    train: list[tuple[str, str]],
    test: list[tuple[str, str]],
    out_dir: Path,
    timeout: float = 1800.0,
) -> dict[str, Any]:
    """Train DIET on ``train`` and predict the intents of ``test`` (the caller scores them).

    Returns:
        The pipeline, training seconds, parse latency and the predictions (in the order of
        ``test``); or ``{"error": ...}`` when the Rasa environment is missing or the run
        failed (the report says so, nothing is faked).
    """
    python = settings.path(settings.rasa_venv) / "bin" / "python"
    if not python.exists():
        return {"error": f"{python} not found; run `make install` to create .venv-rasa"}
    with tempfile.TemporaryDirectory(prefix="calmdesk-diet-") as tmp:
        job, result = Path(tmp) / "job.json", Path(tmp) / "result.json"
        job.write_text(json.dumps({"train": train, "test": test, "workdir": tmp}))
        try:
            completed = subprocess.run(
                [str(python), str(SCRIPT), str(job), str(result)],
                capture_output=True,
                text=True,
                timeout=timeout,
                env={
                    "TF_CPP_MIN_LOG_LEVEL": "3",
                    "PATH": "/usr/bin:/bin",
                    "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache"),
                },
                cwd=tmp,  # Rasa writes .rasa/ into its working directory
            )
        except subprocess.TimeoutExpired:
            return {"error": f"DIET did not finish within {timeout:.0f} s"}
        if completed.returncode != 0 or not result.exists():
            (out_dir / "diet-error.log").write_text(completed.stdout + completed.stderr)
            return {"error": f"DIET run failed (exit {completed.returncode}); see diet-error.log"}
        raw = json.loads(result.read_text())
    return {
        "pipeline": "Rasa 3.6 default: WhitespaceTokenizer, RegexFeaturizer, "
        "LexicalSyntacticFeaturizer, CountVectors (word + char_wb 1-4), DIET (100 epochs), "
        "FallbackClassifier 0.3 (nlu_fallback counted as out_of_scope)",
        "train_examples": len(train),
        "train_seconds": round(raw["train_seconds"], 1),
        "parse_p50_ms": round(percentile(raw["latencies_ms"], 50), 2),
        "parse_p95_ms": round(percentile(raw["latencies_ms"], 95), 2),
        "predictions": raw["predictions"],
    }
