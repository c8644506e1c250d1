"""Assemble the multi-task training set from the project's data and the shared datasets."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from bot.nlu.data import NLUData
from bot.nlu.datasets import (
    GOEMOTIONS_NEGATIVE,
    GOEMOTIONS_POSITIVE,
    EmotionExample,
    goemotions_labels,
    load_clinc_out_of_scope,
    load_goemotions,
)
from bot.nlu.splits import bucket

OUT_OF_SCOPE = "out_of_scope"
# Target anger intensity per label of the project's affect data.
INTENSITY = {"calm": 0.05, "annoyed": 0.4, "angry": 0.7, "furious": 0.95}
SENTIMENT_INDEX = {"negative": 0, "neutral": 1, "positive": 2}
#: Out-of-scope training queries taken per out-of-domain CLINC150 intent (~110 intents).
CLINC_PER_INTENT = 2


@dataclass
class EmotionRow:
    """A GoEmotions example as training targets."""

    text: str
    anger: float
    emotions: list[float]
    sentiment: int


@dataclass
class AffectRow:
    """A project affect example as training targets."""

    text: str
    anger: float
    intensity: float
    sentiment: int


@dataclass
class TrainingSet:
    """Everything the trainer and the calibration step need."""

    intents: list[str]
    emotions: list[str]
    intent_train: list[tuple[str, int]] = field(default_factory=list)
    intent_calib: list[tuple[str, int]] = field(default_factory=list)
    intent_test: list[tuple[str, int]] = field(default_factory=list)
    emotion_train: list[EmotionRow] = field(default_factory=list)
    emotion_calib: list[EmotionRow] = field(default_factory=list)
    affect_train: list[AffectRow] = field(default_factory=list)


def _sentiment_of(example: EmotionExample) -> int:
    if example.labels & GOEMOTIONS_NEGATIVE:
        return SENTIMENT_INDEX["negative"]
    if example.labels & GOEMOTIONS_POSITIVE:
        return SENTIMENT_INDEX["positive"]
    return SENTIMENT_INDEX["neutral"]


def _emotion_row(example: EmotionExample, names: list[str]) -> EmotionRow:
    return EmotionRow(
        example.text,
        1.0 if example.is_anger else 0.0,
        [1.0 if name in example.labels else 0.0 for name in names],
        _sentiment_of(example),
    )


def build_training_set(
    data: NLUData,
    shared: Path,
    *,
    goemotions_negatives: int,
    goemotions_calib: int = 3000,
    clinc_per_intent: int = CLINC_PER_INTENT,
    seed: int = 13,
) -> TrainingSet:
    """Build the training, calibration and test sets.

    Args:
        data: the project's nlu_data.
        shared: the shared data directory (GoEmotions, CLINC150).
        goemotions_negatives: how many non-anger GoEmotions comments to train on (every
            anger-group comment of the training pool is used).
        goemotions_calib: GoEmotions training comments kept aside to pick the anger threshold.
        clinc_per_intent: out-of-scope queries taken per out-of-domain CLINC intent.
        seed: sampling seed.

    Returns:
        The assembled sets.
    """
    rng = random.Random(seed)
    intents = sorted(set(data.intents) | {OUT_OF_SCOPE})
    index = {name: i for i, name in enumerate(intents)}
    names = goemotions_labels(shared)
    out = TrainingSet(intents=intents, emotions=names)
    for example in data.examples:
        row = (example.text, index[example.intent])
        {"train": out.intent_train, "calib": out.intent_calib, "test": out.intent_test}[
            bucket(example.text)
        ].append(row)
    oos = index[OUT_OF_SCOPE]
    out.intent_train += [
        (t, oos) for t in load_clinc_out_of_scope(shared, "train", clinc_per_intent)
    ]
    out.intent_calib += [(t, oos) for t in load_clinc_out_of_scope(shared, "val", 1)]

    pool = load_goemotions(shared, "train")
    rng.shuffle(pool)
    held = min(goemotions_calib, len(pool) // 5)
    calib, rest = pool[:held], pool[held:]
    positives = [e for e in rest if e.is_anger]
    negatives = [e for e in rest if not e.is_anger][:goemotions_negatives]
    out.emotion_train = [_emotion_row(e, names) for e in positives + negatives]
    out.emotion_calib = [_emotion_row(e, names) for e in calib]

    for item in data.affect:
        anger = 0.0 if item.label == "calm" else 1.0
        out.affect_train.append(
            AffectRow(item.text, anger, INTENSITY[item.label], SENTIMENT_INDEX[item.sentiment])
        )
    return out
