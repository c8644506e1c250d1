"""Train Rasa's default DIET pipeline and measure it; runs under .venv-rasa's Python 3.10.

Usage: python diet_eval.py <job.json> <result.json>
job.json: {"train": [[text, intent], ...], "test": [[text, intent], ...], "workdir": "..."}
result.json: training seconds, per-example predictions, parse latencies (ms).
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

CONFIG = """recipe: default.v1
language: en
assistant_id: diet-baseline
pipeline:
- name: WhitespaceTokenizer
- name: RegexFeaturizer
- name: LexicalSyntacticFeaturizer
- name: CountVectorsFeaturizer
- name: CountVectorsFeaturizer
  analyzer: char_wb
  min_ngram: 1
  max_ngram: 4
- name: DIETClassifier
  epochs: 100
  constrain_similarities: true
- name: EntitySynonymMapper
- name: FallbackClassifier
  threshold: 0.3
  ambiguity_threshold: 0.1
policies: []
"""


def _write_nlu(rows: list[list[str]], path: Path) -> None:
    by_intent: dict[str, list[str]] = {}
    for text, intent in rows:
        clean = " ".join(text.replace("[", "(").replace("]", ")").split())
        by_intent.setdefault(intent, []).append(clean)
    lines = ['version: "3.1"', "nlu:"]
    for intent in sorted(by_intent):
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {text}" for text in by_intent[intent])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def _parse_all(agent: Any, rows: list[list[str]]) -> tuple[list[str], list[float]]:
    predictions, latencies = [], []
    for text, _ in rows:
        started = time.perf_counter()
        result = await agent.parse_message(text)
        latencies.append((time.perf_counter() - started) * 1000.0)
        name = result["intent"]["name"]
        predictions.append("out_of_scope" if name == "nlu_fallback" else name)
    return predictions, latencies


def main() -> None:
    job = json.loads(Path(sys.argv[1]).read_text())
    work = Path(job["workdir"])
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.yml").write_text(CONFIG)
    _write_nlu(job["train"], work / "nlu.yml")
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    started = time.perf_counter()
    model = train_nlu(str(work / "config.yml"), str(work / "nlu.yml"), str(work / "models"))
    train_seconds = time.perf_counter() - started
    agent = Agent.load(model)
    predictions, latencies = asyncio.run(_parse_all(agent, job["test"]))
    Path(sys.argv[2]).write_text(
        json.dumps(
            {
                "train_seconds": train_seconds,
                "predictions": predictions,
                "latencies_ms": latencies,
            }
        )
    )


if __name__ == "__main__":
    main()
