"""Train the NLU: LoRA adapters on MiniLM plus multi-task heads, then calibrate and save."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch
from torch import nn

from bot.nlu import artefacts
from bot.nlu.calibrate import (
    anger_evidence,
    fit_anger_score,
    fit_f1_threshold,
    fit_oos_threshold,
    fit_temperature,
    sigmoid,
    softmax,
)
from bot.nlu.data import data_files, fingerprint, load_nlu_data
from bot.nlu.encoder import ENCODER_NAME, model_path
from bot.nlu.errors import TrainingDataError
from bot.nlu.gloss import Glossary, fit_gloss_weight, glossed_rows, mix_glossed
from bot.nlu.lora import add_adapters, factor_state
from bot.nlu.memory import MEMORY_K, MEMORY_TAU, ExampleMemory, fit_weight, mix
from bot.nlu.model import anger_group
from bot.nlu.network import MultiTaskNetwork
from bot.nlu.train_data import (
    CLINC_PER_INTENT,
    OUT_OF_SCOPE,
    TrainingSet,
    build_training_set,
)

Progress = Callable[[str, int, int], None]
T = TypeVar("T")
MODEL_VERSION = "calmdesk-nlu-1"
#: The longest input the service reads (training reads ``TrainConfig.max_tokens``).
SERVING_MAX_TOKENS = 128


@dataclass
class TrainConfig:
    """Training hyper-parameters (defaults are what the committed model was trained with)."""

    steps: int = 500
    intent_batch: int = 32
    emotion_batch: int = 32
    affect_batch: int = 8
    lr: float = 1e-3
    head_lr: float = 3e-3
    rank: int = 8
    alpha: float = 16.0
    adapter_from_layer: int = 2
    max_tokens: int = 48
    goemotions_negatives: int = 9000
    clinc_per_intent: int = CLINC_PER_INTENT
    memory_k: int = MEMORY_K
    memory_tau: float = MEMORY_TAU
    seed: int = 13
    threads: int = 0
    #: Where the training steps run ("cpu", "cuda"); calibration and saving run on the CPU.
    device: str = "cpu"


#: Settings that change how fast a model trains, not which model (left out of the fingerprint).
RUN_ONLY = ("threads", "device")


def data_fingerprint(nlu_data_dir: Path, config: TrainConfig) -> str:
    """Fingerprint of the training data and configuration (decides whether to retrain)."""
    relevant = {k: v for k, v in asdict(config).items() if k not in RUN_ONLY}
    return fingerprint(data_files(nlu_data_dir), extra=repr(sorted(relevant.items())))


def _cycle(items: Sequence[T], rng: random.Random) -> Iterator[T]:
    order = list(items)
    if not order:
        raise TrainingDataError("a training task has no examples")
    while True:
        rng.shuffle(order)
        yield from order


def _take(it: Iterator[T], n: int) -> list[T]:
    return [next(it) for _ in range(n)]


def batch_logits(
    net: MultiTaskNetwork, tokenizer: Any, texts: Sequence[str], max_tokens: int, size: int = 64
) -> dict[str, np.ndarray]:
    """Run the network in eval mode over many texts (length-sorted batches)."""
    net.eval()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    chunks: dict[str, list[tuple[list[int], np.ndarray]]] = {}
    with torch.inference_mode():
        for start in range(0, len(order), size):
            idx = order[start : start + size]
            enc = tokenizer(
                [texts[i] for i in idx],
                padding=True,
                truncation=True,
                max_length=max_tokens,
                return_tensors="pt",
            )
            for key, value in net(dict(enc)).items():
                chunks.setdefault(key, []).append((idx, value.numpy()))
    out = {}
    for key, parts in chunks.items():
        first = parts[0][1]
        full = np.zeros((len(texts), *first.shape[1:]), dtype=np.float32)
        for idx, value in parts:
            full[idx] = value
        out[key] = full
    return out


def ridge_logit_fit(
    features: np.ndarray, targets: np.ndarray, strength: float = 30.0
) -> tuple[np.ndarray, float]:
    """Closed-form ridge regression of logit(target) on features (refits the intensity head).

    Returns:
        The weight vector and the bias.
    """
    y = np.log(np.clip(targets, 0.02, 0.98) / (1 - np.clip(targets, 0.02, 0.98)))
    mean_x, mean_y = features.mean(axis=0), y.mean()
    x = features - mean_x
    gram = x.T @ x + strength * np.eye(x.shape[1])
    weight = np.linalg.solve(gram, x.T @ (y - mean_y))
    return weight.astype(np.float32), float(mean_y - mean_x @ weight)


def calibrate_anger(
    net: MultiTaskNetwork, tokenizer: Any, ts: TrainingSet, max_tokens: int
) -> tuple[bool, float, float, float]:
    """Fit the anger score on the held-out GoEmotions comments.

    Returns:
        Whether the emotion head's anger group is added, the logistic scale and shift, and
        the F1-optimal decision threshold.
    """
    ge = batch_logits(net, tokenizer, [r.text for r in ts.emotion_calib], max_tokens)
    labels = np.array([int(r.anger) for r in ts.emotion_calib])
    group = anger_group(ts.emotions)
    with_group, scale, shift = fit_anger_score(ge["anger"], ge["emotions"], group, labels)
    evidence = anger_evidence(ge["anger"], ge["emotions"], group, with_group)
    return with_group, scale, shift, fit_f1_threshold(sigmoid(scale * evidence + shift), labels)


def build_memory(
    net: MultiTaskNetwork, tokenizer: Any, ts: TrainingSet, cfg: TrainConfig
) -> ExampleMemory:
    """The example memory: the training bucket's embeddings (calibration and test stay out)."""
    train = batch_logits(net, tokenizer, [t for t, _ in ts.intent_train], SERVING_MAX_TOKENS)
    labels = np.array([y for _, y in ts.intent_train])
    return ExampleMemory(
        train["embedding"], labels, len(ts.intents), k=cfg.memory_k, tau=cfg.memory_tau
    )


def _loss(out: dict[str, torch.Tensor], targets: dict[str, torch.Tensor], ni: int, ne: int) -> Any:
    bce = nn.functional.binary_cross_entropy_with_logits
    intent = nn.functional.cross_entropy(
        out["intent"][:ni], targets["intent"], label_smoothing=0.05
    )
    anger = bce(out["anger"][ni:], targets["anger"])
    emotions = bce(out["emotions"][ni : ni + ne], targets["emotions"])
    sentiment = nn.functional.cross_entropy(out["sentiment"][ni:], targets["sentiment"])
    intensity = nn.functional.mse_loss(
        torch.sigmoid(out["intensity"][ni + ne :]), targets["intensity"]
    )
    return intent + anger + 2.0 * emotions + 0.5 * sentiment + 2.0 * intensity


def _fit(
    net: MultiTaskNetwork, tokenizer: Any, ts: TrainingSet, cfg: TrainConfig, progress: Progress
) -> None:
    rng = random.Random(cfg.seed)
    intents, emotions, affect = (
        _cycle(ts.intent_train, rng),
        _cycle(ts.emotion_train, rng),
        _cycle(ts.affect_train, rng),
    )
    adapters = [p for n, p in net.encoder.named_parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        [
            {"params": adapters, "lr": cfg.lr},
            {"params": list(net.heads.parameters()), "lr": cfg.head_lr},
        ],
        weight_decay=0.01,
    )
    warmup = max(cfg.steps // 10, 1)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda s: min((s + 1) / warmup, max(0.0, (cfg.steps - s) / (cfg.steps - warmup))),
    )
    net.to(cfg.device)
    net.train()
    for step in range(cfg.steps):
        ib = _take(intents, cfg.intent_batch)
        eb = _take(emotions, cfg.emotion_batch)
        ab = _take(affect, cfg.affect_batch)
        texts = [t for t, _ in ib] + [r.text for r in eb] + [r.text for r in ab]
        enc = tokenizer(
            texts, padding=True, truncation=True, max_length=cfg.max_tokens, return_tensors="pt"
        )
        targets = {
            "intent": torch.tensor([y for _, y in ib]),
            "anger": torch.tensor([r.anger for r in eb] + [r.anger for r in ab]),
            "emotions": torch.tensor([r.emotions for r in eb]),
            "sentiment": torch.tensor([r.sentiment for r in eb] + [r.sentiment for r in ab]),
            "intensity": torch.tensor([r.intensity for r in ab]),
        }
        targets = {k: v.to(cfg.device) for k, v in targets.items()}
        out = net({k: v.to(cfg.device) for k, v in enc.items()})
        loss = _loss(out, targets, len(ib), len(eb))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        progress("train", step + 1, cfg.steps)
    net.to("cpu")


def train_nlu(
    nlu_data_dir: Path,
    shared_dir: Path,
    out_dir: Path,
    config: TrainConfig | None = None,
    progress: Progress | None = None,
) -> artefacts.ModelMeta:
    """Train, calibrate and save the NLU model.

    Args:
        nlu_data_dir: the project's ``nlu_data`` directory.
        shared_dir: the shared datasets (GoEmotions, CLINC150).
        out_dir: where to write the artefact (``models/nlu``).
        config: hyper-parameters; defaults reproduce the committed model.
        progress: optional ``(stage, done, total)`` callback for progress bars.

    Returns:
        The metadata of the saved model.
    """
    cfg = config or TrainConfig()
    report = progress or (lambda stage, done, total: None)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    started = time.perf_counter()
    data = load_nlu_data(nlu_data_dir)
    ts = build_training_set(
        data,
        shared_dir,
        goemotions_negatives=cfg.goemotions_negatives,
        clinc_per_intent=cfg.clinc_per_intent,
    )
    glossary = Glossary.from_entries(data.glossary)
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(model_path()), local_files_only=True)
    encoder = AutoModel.from_pretrained(str(model_path()), local_files_only=True)
    add_adapters(encoder, cfg.rank, cfg.alpha, dropout=0.05, from_layer=cfg.adapter_from_layer)
    net = MultiTaskNetwork(encoder, len(ts.intents), len(ts.emotions))
    glosses, owners = glossed_rows(glossary, [t for t, _ in ts.intent_train])
    glossed_train = [(g, ts.intent_train[i][1]) for g, i in zip(glosses, owners, strict=True)]
    _fit(net, tokenizer, replace(ts, intent_train=ts.intent_train + glossed_train), cfg, report)

    report("calibrate", 0, 1)
    oos = ts.intents.index(OUT_OF_SCOPE)
    texts = [t for t, _ in ts.intent_calib]
    glosses, owners = glossed_rows(glossary, texts)
    calib = batch_logits(net, tokenizer, texts + glosses, cfg.max_tokens)
    labels = np.array([y for _, y in ts.intent_calib])
    temperature = fit_temperature(calib["intent"][: len(texts)], labels)
    head = softmax(calib["intent"], temperature)
    memory = build_memory(net, tokenizer, ts, cfg)
    recalled = memory.probs(calib["embedding"])
    memory_weight = fit_weight(head[: len(texts)], recalled[: len(texts)], labels)
    mixed = mix(head, recalled, memory_weight)
    gloss_weight = fit_gloss_weight(mixed, owners, labels)
    threshold = fit_oos_threshold(mix_glossed(mixed, owners, gloss_weight), labels, oos)
    with_group, anger_scale, anger_shift, anger_threshold = calibrate_anger(
        net, tokenizer, ts, cfg.max_tokens
    )
    affect = batch_logits(net, tokenizer, [r.text for r in ts.affect_train], cfg.max_tokens)
    weight, bias = ridge_logit_fit(
        affect["features"], np.array([r.intensity for r in ts.affect_train])
    )
    with torch.no_grad():
        net.heads.intensity.weight.copy_(torch.from_numpy(weight).unsqueeze(0))
        net.heads.intensity.bias.fill_(bias)
    report("calibrate", 1, 1)

    tensors = factor_state(net.encoder)
    tensors.update({f"heads.{k}": v.detach() for k, v in net.heads.state_dict().items()})
    tensors[artefacts.MEMORY_VECTORS] = torch.from_numpy(memory.vectors)
    tensors[artefacts.MEMORY_LABELS] = torch.from_numpy(memory.labels)
    meta = artefacts.ModelMeta(
        version=MODEL_VERSION,
        encoder=ENCODER_NAME,
        intents=ts.intents,
        emotions=ts.emotions,
        data_fingerprint=data_fingerprint(nlu_data_dir, cfg),
        temperature=temperature,
        oos_threshold=threshold,
        anger_threshold=anger_threshold,
        anger_logit_shift=anger_shift,
        anger_scale=anger_scale,
        anger_with_emotion_group=with_group,
        lora_rank=cfg.rank,
        memory_weight=memory_weight,
        memory_k=cfg.memory_k,
        memory_tau=cfg.memory_tau,
        gloss_weight=gloss_weight,
        max_tokens=SERVING_MAX_TOKENS,
        trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
        training={
            **asdict(cfg),
            "seconds": round(time.perf_counter() - started, 1),
            "intent_train": len(ts.intent_train),
            "intent_train_glosses": len(glossed_train),
            "goemotions_train": len(ts.emotion_train),
            "affect_train": len(ts.affect_train),
        },
    )
    artefacts.save(out_dir, meta, tensors)
    artefacts.save_glossary(out_dir, glossary)
    return meta
