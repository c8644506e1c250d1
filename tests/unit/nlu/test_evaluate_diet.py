"""DIET is trained once and scored on the test bucket and on the fresh held-out set apart.

Rasa's DIET run itself takes ~30 minutes, so here its predictions come from a stand-in that
answers the test bucket right and the held-out set wrong; what is checked is our split of them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.nlu import evaluate as evaluation
from bot.settings import PROJECT_ROOT, Settings


def test_diet_predictions_are_split_between_the_two_sets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clinc = tmp_path / "shared" / "clinc150"
    clinc.mkdir(parents=True)
    queries = {"train": [["what is the weather", "weather"]], "oos_train": []}
    (clinc / "train_val.json").write_text(json.dumps(queries))
    holdout = tmp_path / "holdout"
    holdout.mkdir()
    (holdout / "intents.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - hallo\n    - yo there\n'
    )
    settings = Settings(
        nlu_data_dir=PROJECT_ROOT / "nlu_data",
        shared_data_dir=tmp_path / "shared",
        nlu_holdout_dir=holdout,
    )
    seen: dict[str, Any] = {}

    def fake_run(_: Settings, train: list, test: list, out: Path, timeout: float) -> dict:
        seen["train"], seen["test"] = train, test
        bucket = len(test) - 2
        predictions = [g for _, g in test[:bucket]] + ["goodbye", "goodbye"]
        return {"accuracy": -1.0, "train_seconds": 1.0, "predictions": predictions}

    monkeypatch.setattr(evaluation, "run_diet", fake_run)
    result = evaluation.evaluate_diet(settings, tmp_path / "reports")

    assert [t for t, _ in seen["test"][-2:]] == ["hallo", "yo there"]
    assert ("what is the weather", "out_of_scope") in [tuple(r) for r in seen["train"]]
    assert result["accuracy"] == 1.0
    assert result["holdout"]["accuracy"] == 0.0 and result["holdout"]["macro_f1"] == 0.0
    assert result["holdout"]["unseen"]["accuracy"] == 0.0
    assert 1 <= result["holdout"]["unseen"]["examples"] <= 2
    assert "predictions" not in result
    stored = json.loads((tmp_path / "reports" / "nlu-diet.json").read_text())
    assert stored["data_fingerprint"] == evaluation.diet_job(settings)[3]
    assert evaluation._stored_diet(settings, tmp_path / "reports") == stored


def test_unseen_phrasings_ignore_case_punctuation_and_spacing() -> None:
    texts = ["Hi!", "where is  my order?", "cancel it pls", "Bonjour"]
    gold = ["greet", "track_order", "cancel_order", "greet"]
    pred = ["greet", "track_order", "deny", "greet"]
    training = ["hi", "Where is my order", "hello there"]
    unseen = evaluation.unseen_section(gold, pred, texts, training)
    assert unseen["examples"] == 2  # "cancel it pls" and "Bonjour"
    assert unseen["accuracy"] == 0.5
    assert evaluation.unseen_section(gold, pred, texts, texts)["examples"] == 0
