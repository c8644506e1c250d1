"""Affect for one message: the model's anger and in-domain intensity, sharpened by surface cues."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.nlu.cues import cue_intensity, detect_cues
from bot.nlu.schemas import Affect

# Upper bounds of each label's anger range; "furious" above the last.
LABEL_BOUNDS = (("calm", 0.3), ("annoyed", 0.55), ("angry", 0.78))
CUE_GAIN = 0.65


def anger_label(anger: float) -> str:
    """Map an anger level in [0, 1] to calm / annoyed / angry / furious."""
    for label, upper in LABEL_BOUNDS:
        if anger < upper:
            return label
    return "furious"


def combine_anger(model_anger: float, intensity: float, cues_strength: float) -> float:
    """Blend the general anger probability, the in-domain intensity and the cues.

    The model's two views are averaged; cues then close part of the remaining gap to 1
    (noisy-or), so stronger surface signals can only raise anger, never lower it.
    """
    base = 0.5 * model_anger + 0.5 * intensity
    return float(min(1.0, 1.0 - (1.0 - base) * (1.0 - CUE_GAIN * cues_strength)))


def build_affect(
    text: str,
    model_anger: float,
    intensity: float,
    emotions: np.ndarray,
    emotion_names: Sequence[str],
    sentiment_probs: np.ndarray,
    top: int = 3,
) -> Affect:
    """Assemble the ``affect`` payload of a parse result.

    Args:
        text: the message (for cue detection).
        model_anger: probability of the GoEmotions anger group (anger/annoyance/disapproval).
        intensity: in-domain anger intensity regressed on the project's affect data.
        emotions: per-emotion probabilities (GoEmotions' 28 labels).
        emotion_names: the label names, in the order of ``emotions``.
        sentiment_probs: negative / neutral / positive probabilities.
        top: how many emotions to report.

    Returns:
        The affect payload.
    """
    cues = detect_cues(text)
    anger = combine_anger(model_anger, intensity, cue_intensity(cues))
    sentiment = float(sentiment_probs[2] - sentiment_probs[0])
    if anger >= LABEL_BOUNDS[1][1]:
        sentiment = min(sentiment, -anger)
    ranked = np.argsort(-emotions)[:top]
    return Affect(
        anger=round(anger, 4),
        sentiment=round(max(-1.0, min(1.0, sentiment)), 4),
        label=anger_label(anger),
        emotions={emotion_names[i]: round(float(emotions[i]), 4) for i in ranked},
        cues=[cue.name for cue in cues],
        model_anger=round(model_anger, 4),
        intensity=round(intensity, 4),
    )
