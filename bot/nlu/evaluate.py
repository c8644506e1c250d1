"""``calmdesk evaluate nlu``: intents, out-of-scope and anger, side by side with Rasa's DIET."""

from __future__ import annotations

import hashlib
import json
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bot.nlu.data import load_nlu_data
from bot.nlu.datasets import load_clinc_out_of_scope, load_goemotions
from bot.nlu.diet import run_diet
from bot.nlu.metrics import (
    accuracy,
    binary_prf,
    macro_f1,
    per_class_f1,
    percentile,
    roc_auc,
)
from bot.nlu.pipeline import NLUPipeline
from bot.nlu.plots import confusion_png
from bot.nlu.splits import bucket
from bot.nlu.train_data import CLINC_PER_INTENT, OUT_OF_SCOPE
from bot.settings import Settings

INTENSITY_LADDER = (
    "where is my order",
    "this is the third time I ask, where is my order",
    "WHERE IS MY ORDER?!! worst service ever, I want my money back NOW",
)
BARS = {"intent_accuracy": 0.95, "anger_f1": 0.55, "anger_auc": 0.88}


def _clinc_test(shared: Path) -> list[str]:
    calibration = set(load_clinc_out_of_scope(shared, "val", 1))
    return [t for t in load_clinc_out_of_scope(shared, "val", 3, seed=99) if t not in calibration]


def _parse_texts(pipeline: NLUPipeline, texts: list[str], size: int = 64) -> list[Any]:
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[Any] = [None] * len(texts)
    for start in range(0, len(order), size):
        idx = order[start : start + size]
        for i, result in zip(idx, pipeline.parse_batch([texts[i] for i in idx]), strict=True):
            out[i] = result
    return out


def _latency(pipeline: NLUPipeline, texts: list[str]) -> dict[str, float]:
    samples = []
    for text in texts:
        started = time.perf_counter()
        pipeline.parse_batch([text])
        samples.append((time.perf_counter() - started) * 1000.0)
    return {
        "p50_ms": round(percentile(samples, 50), 2),
        "p95_ms": round(percentile(samples, 95), 2),
    }


def _intent_section(pipeline: NLUPipeline, test: list[tuple[str, str]], clinc: list[str]) -> dict:
    texts = [t for t, _ in test] + clinc
    gold = [g for _, g in test] + [OUT_OF_SCOPE] * len(clinc)
    pred = [r.intent.name for r in _parse_texts(pipeline, texts)]
    own = len(test)
    oos = binary_prf([g == OUT_OF_SCOPE for g in gold], [p == OUT_OF_SCOPE for p in pred])
    return {
        "test_examples": own,
        "clinc_out_of_scope_examples": len(clinc),
        "accuracy": round(accuracy(gold[:own], pred[:own]), 4),
        "macro_f1": round(macro_f1(gold[:own], pred[:own]), 4),
        "accuracy_with_clinc_oos": round(accuracy(gold, pred), 4),
        "out_of_scope": {"precision": oos["precision"], "recall": oos["recall"], "f1": oos["f1"]},
        "per_intent": per_class_f1(gold[:own], pred[:own]),
        "_gold": gold[:own],
        "_pred": pred[:own],
    }


def _anger_section(pipeline: NLUPipeline, shared: Path, limit: int) -> dict:
    dev = load_goemotions(shared, "dev")
    if limit:
        dev = dev[:limit]
    results = _parse_texts(pipeline, [e.text for e in dev])
    gold = [e.is_anger for e in dev]
    head = [r.affect.model_anger for r in results]
    final = [r.affect.anger for r in results]
    threshold = pipeline.model.meta.anger_threshold
    ladder = {
        t: r.affect.anger
        for t, r in zip(INTENSITY_LADDER, pipeline.parse_batch(list(INTENSITY_LADDER)), strict=True)
    }
    return {
        "goemotions_dev_examples": len(dev),
        "positives": int(sum(gold)),
        "model_head": {
            "threshold": threshold,
            **binary_prf(gold, [s >= threshold for s in head]),
            "roc_auc": round(roc_auc(gold, head), 4),
        },
        "final_anger_with_cues": {
            "threshold": 0.3,
            **binary_prf(gold, [s >= 0.3 for s in final]),
            "roc_auc": round(roc_auc(gold, final), 4),
        },
        "intensity_ladder": ladder,
        "ladder_increasing": list(ladder.values()) == sorted(ladder.values())
        and len(set(ladder.values())) == 3,
    }


def holdout_examples(settings: Settings) -> list[tuple[str, str]]:
    """The fresh held-out test set (``nlu_holdout/``; empty when the folder is absent)."""
    directory = settings.path(settings.nlu_holdout_dir)
    if not directory.is_dir():
        return []
    return [(e.text, e.intent) for e in load_nlu_data(directory).examples]


def _normalized(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def unseen_section(
    gold: list[str], pred: list[str], texts: list[str], training: list[str]
) -> dict[str, Any]:
    """Scores on the held-out messages that no training example matches (ignoring case,
    punctuation and spacing): writers of both sets converge on "hi" and "cancel my order"."""
    seen = {_normalized(t) for t in training}
    keep = [i for i, t in enumerate(texts) if _normalized(t) not in seen]
    g, p = [gold[i] for i in keep], [pred[i] for i in keep]
    return {
        "examples": len(keep),
        "accuracy": round(accuracy(g, p), 4) if keep else 0.0,
        "macro_f1": round(macro_f1(g, p), 4) if keep else 0.0,
    }


def diet_job(
    settings: Settings,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]], str]:
    """DIET's training set, test bucket and fresh held-out set (ours exactly), and their
    fingerprint."""
    data_dir, shared = settings.path(settings.nlu_data_dir), settings.path(settings.shared_data_dir)
    data = load_nlu_data(data_dir)
    test = [(e.text, e.intent) for e in data.examples if bucket(e.text) == "test"]
    train = [(e.text, e.intent) for e in data.examples if bucket(e.text) != "test"]
    train += [(t, OUT_OF_SCOPE) for t in load_clinc_out_of_scope(shared, "train", CLINC_PER_INTENT)]
    holdout = holdout_examples(settings)
    digest = hashlib.sha256(json.dumps([train, test, holdout]).encode()).hexdigest()
    return train, test, holdout, digest


def score_intents(gold: list[str], pred: list[str]) -> dict[str, float]:
    """Accuracy and macro-F1, rounded for the reports."""
    return {"accuracy": round(accuracy(gold, pred), 4), "macro_f1": round(macro_f1(gold, pred), 4)}


def evaluate_diet(settings: Settings, out_dir: Path) -> dict:
    """Train Rasa's DIET once, score it on the test bucket and the fresh held-out set; write
    ``nlu-diet.json`` (slow: ~30 min)."""
    train, test, holdout, digest = diet_job(settings)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = run_diet(settings, train, test + holdout, out_dir, timeout=7200.0)
    if "error" not in result:
        pred = result.pop("predictions")
        result.update(score_intents([g for _, g in test], pred[: len(test)]))
        if holdout:
            gold = [g for _, g in holdout]
            result["holdout"] = score_intents(gold, pred[len(test) :])
            result["holdout"]["unseen"] = unseen_section(
                gold, pred[len(test) :], [t for t, _ in holdout], [t for t, _ in train + test]
            )
    result["data_fingerprint"] = digest
    (out_dir / "nlu-diet.json").write_text(json.dumps(result, indent=2) + "\n")
    return result


def _stored_diet(settings: Settings, out_dir: Path) -> dict | None:
    path = out_dir / "nlu-diet.json"
    if not path.is_file():
        return None
    stored: dict = json.loads(path.read_text())
    return stored if stored.get("data_fingerprint") == diet_job(settings)[3] else None


def evaluate(settings: Settings, out_dir: Path, with_diet: bool, goemotions_limit: int = 0) -> dict:
    """Evaluate the trained NLU model (and DIET), write ``nlu-eval.json`` and the PNG matrix.

    Args:
        settings: the settings.
        out_dir: report directory.
        with_diet: also train and measure Rasa's default DIET pipeline (needs .venv-rasa).
        goemotions_limit: evaluate anger on only the first N dev rows (0: all).

    Returns:
        The report dictionary that was written.
    """
    data_dir, shared = settings.path(settings.nlu_data_dir), settings.path(settings.shared_data_dir)
    pipeline = NLUPipeline.load(
        settings.nlu_model_dir, data_dir, settings.torch_threads, settings.nlu_quantize
    )
    data = load_nlu_data(data_dir)
    test = [(e.text, e.intent) for e in data.examples if bucket(e.text) == "test"]
    clinc = _clinc_test(shared)
    intents = _intent_section(pipeline, test, clinc)
    gold, pred = intents.pop("_gold"), intents.pop("_pred")
    out_dir.mkdir(parents=True, exist_ok=True)
    confusion_png(gold, pred, out_dir / "nlu-confusion.png", "calmdesk NLU: held-out intents")
    sample = random.Random(3).sample([t for t, _ in test], min(100, len(test)))
    report: dict[str, Any] = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": pipeline.info.__dict__ | {"intents": len(pipeline.info.intents)},
        "training_seconds": pipeline.model.meta.training.get("seconds"),
        "serving": {
            "int8_quantized": settings.nlu_quantize,
            "torch_threads": settings.torch_threads,
        },
        "intents": intents,
        "anger": _anger_section(pipeline, shared, goemotions_limit),
        "latency_in_process": _latency(pipeline, sample),
        "bars": BARS,
    }
    holdout = holdout_examples(settings)
    if holdout:
        fresh = _intent_section(pipeline, holdout, [])
        fresh_gold, fresh_pred = fresh.pop("_gold"), fresh.pop("_pred")
        fresh["unseen"] = unseen_section(
            fresh_gold, fresh_pred, [t for t, _ in holdout], [e.text for e in data.examples]
        )
        confusion_png(
            fresh_gold,
            fresh_pred,
            out_dir / "nlu-confusion-holdout.png",
            "calmdesk NLU: fresh held-out set",
        )
        report["holdout"] = fresh
    diet = evaluate_diet(settings, out_dir) if with_diet else _stored_diet(settings, out_dir)
    if diet is not None and "error" not in diet:
        report["diet"] = diet
    report["intent_bar_on"] = "holdout" if holdout else "intents"
    report["bars_met"] = {
        "intent_accuracy": _intent_bar_met(report),
        "anger_f1": bool(report["anger"]["model_head"]["f1"] >= BARS["anger_f1"]),
        "anger_auc": bool(report["anger"]["model_head"]["roc_auc"] >= BARS["anger_auc"]),
    }
    (out_dir / "nlu-eval.json").write_text(json.dumps(report, indent=2, default=_plain) + "\n")
    return report


def _intent_bar_met(report: dict) -> bool:
    """Intent accuracy >= the bar and above DIET's, on the fresh held-out set when there is one
    (the test bucket has informed choices since), else on the test bucket."""
    key = report["intent_bar_on"]
    ours = report[key]["accuracy"]
    diet = report.get("diet", {})
    theirs = diet.get("holdout", {}).get("accuracy") if key == "holdout" else diet.get("accuracy")
    return bool(ours >= BARS["intent_accuracy"] and (theirs is None or ours > theirs))


def print_summary(report: dict, console: Console) -> None:
    """Print the headline figures as a table."""
    table = Table(title="calmdesk NLU evaluation")
    table.add_column("metric")
    table.add_column("calmdesk")
    table.add_column("DIET")
    diet = report.get("diet", {})
    i, a = report["intents"], report["anger"]
    fresh, diet_fresh = report.get("holdout", {}), diet.get("holdout", {})
    rows = [
        (
            "intent accuracy (fresh held-out set)",
            fresh.get("accuracy", "-"),
            diet_fresh.get("accuracy", "-"),
        ),
        (
            "intent macro-F1 (fresh held-out set)",
            fresh.get("macro_f1", "-"),
            diet_fresh.get("macro_f1", "-"),
        ),
        (
            "intent accuracy (held-out, unseen phrasings)",
            fresh.get("unseen", {}).get("accuracy", "-"),
            diet_fresh.get("unseen", {}).get("accuracy", "-"),
        ),
        ("intent accuracy (test bucket)", i["accuracy"], diet.get("accuracy", "-")),
        ("intent macro-F1 (test bucket)", i["macro_f1"], diet.get("macro_f1", "-")),
        ("out-of-scope precision", i["out_of_scope"]["precision"], "-"),
        ("out-of-scope recall", i["out_of_scope"]["recall"], "-"),
        ("GoEmotions anger F1", a["model_head"]["f1"], "-"),
        ("GoEmotions anger ROC-AUC", a["model_head"]["roc_auc"], "-"),
        (
            "parse p50 ms (in-process)",
            report["latency_in_process"]["p50_ms"],
            diet.get("parse_p50_ms", "-"),
        ),
        ("training seconds", report.get("training_seconds"), diet.get("train_seconds", "-")),
    ]
    for name, ours, theirs in rows:
        table.add_row(name, str(ours), str(theirs))
    console.print(table)
    console.print(f"anger ladder: {a['intensity_ladder']} increasing={a['ladder_increasing']}")
    console.print(f"bars met: {report['bars_met']}")


def _plain(value: Any) -> Any:
    """JSON fallback for numpy scalars."""
    return value.item() if hasattr(value, "item") else str(value)
