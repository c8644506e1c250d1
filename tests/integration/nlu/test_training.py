"""Training and evaluation run end to end on a tiny stand-in for the shared datasets."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from safetensors import safe_open

from bot.nlu import artefacts
from bot.nlu.evaluate import evaluate
from bot.nlu.pipeline import NLUPipeline
from bot.nlu.train import TrainConfig, train_nlu
from bot.settings import PROJECT_ROOT, Settings

pytestmark = pytest.mark.integration

LABELS = ["admiration", "anger", "annoyance", "disapproval", "joy", "neutral", "sadness"]
COMMENTS = [
    ("This is so stupid, I hate it", "1"),
    ("Ugh, this is really annoying", "2"),
    ("I don't approve of this at all", "3"),
    ("What a lovely day", "4"),
    ("Great job, well done", "0"),
    ("It is what it is", "5"),
    ("I miss her so much", "6"),
    ("Absolutely furious right now", "1,2"),
]


def fake_shared(root: Path) -> Path:
    ge = root / "goemotions"
    ge.mkdir(parents=True)
    (ge / "labels.txt").write_text("\n".join(LABELS) + "\n")
    rows = [f"{text} {i}\t{labels}\tid{i}" for i in range(12) for text, labels in COMMENTS]
    (ge / "train.tsv").write_text("\n".join(rows) + "\n")
    (ge / "dev.tsv").write_text("\n".join(rows[:40]) + "\n")
    clinc = root / "clinc150"
    clinc.mkdir()
    queries = {
        "train": [[f"what is the weather in city {i}", "weather"] for i in range(10)],
        "val": [[f"tell me a joke number {i}", "tell_joke"] for i in range(10)],
        "oos_train": [["how tall is mount everest", "oos"]],
        "oos_val": [["who won the match yesterday", "oos"]],
    }
    (clinc / "train_val.json").write_text(json.dumps(queries))
    return root


def test_train_then_serve_then_evaluate(tmp_path: Path) -> None:
    shared = fake_shared(tmp_path / "shared")
    model_dir = tmp_path / "models" / "nlu"
    config = TrainConfig(
        steps=3, intent_batch=8, emotion_batch=8, affect_batch=4, goemotions_negatives=20, threads=1
    )
    stages: list[str] = []
    meta = train_nlu(
        PROJECT_ROOT / "nlu_data",
        shared,
        model_dir,
        config,
        lambda stage, done, total: stages.append(stage),
    )
    assert {"train", "calibrate"} <= set(stages)
    assert (model_dir / "weights.safetensors").stat().st_size < 5_000_000
    assert meta.training["intent_train_glosses"] > 100  # glossed copies of foreign examples
    assert 0.0 <= meta.gloss_weight <= 1.0
    assert json.loads((model_dir / "glossary.json").read_text())["nl"]["bestelling"] == "order"
    assert "track_order" in meta.intents and "out_of_scope" in meta.intents
    assert meta.temperature > 0 and 0 <= meta.oos_threshold < 1

    assert 0.0 <= meta.memory_weight <= 0.8
    with safe_open(str(model_dir / "weights.safetensors"), framework="numpy") as weights:
        vectors = weights.get_tensor(artefacts.MEMORY_VECTORS)
        labels = weights.get_tensor(artefacts.MEMORY_LABELS)
    train_bucket = meta.training["intent_train"]
    assert vectors.shape == (train_bucket, 384) and labels.shape == (train_bucket,)
    assert np.allclose(np.linalg.norm(vectors.astype(np.float32), axis=1), 1.0, atol=1e-2)

    pipeline = NLUPipeline.load(model_dir, PROJECT_ROOT / "nlu_data", threads=1)
    assert (pipeline.model.memory is not None) == (meta.memory_weight > 0)
    result = pipeline.parse_batch(["where is order 1042"])[0]
    assert result.intent.name in meta.intents
    assert [e.value for e in result.entities if e.entity == "order_id"] == ["1042"]

    settings = Settings(model_dir=tmp_path / "models", shared_data_dir=shared, torch_threads=1)
    report = evaluate(settings, tmp_path / "reports", with_diet=False)
    written = json.loads((tmp_path / "reports" / "nlu-eval.json").read_text())
    assert written["intents"]["test_examples"] == report["intents"]["test_examples"] > 300
    assert written["intent_bar_on"] == "holdout" and written["holdout"]["test_examples"] >= 500
    assert (tmp_path / "reports" / "nlu-confusion-holdout.png").stat().st_size > 10_000
    assert 0 <= written["anger"]["model_head"]["roc_auc"] <= 1
    assert (tmp_path / "reports" / "nlu-confusion.png").stat().st_size > 10_000
