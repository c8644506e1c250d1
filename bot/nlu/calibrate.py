"""Post-training calibration: intent temperature, out-of-scope threshold, anger score."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from bot.nlu.metrics import roc_auc


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of ``logits / temperature``."""
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return np.asarray(e / e.sum(axis=1, keepdims=True))


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Element-wise logistic function."""
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def fit_temperature(logits: np.ndarray, labels: np.ndarray) -> float:
    """Pick the temperature that minimises the negative log-likelihood (grid search)."""
    best_t, best_nll = 1.0, np.inf
    for t in np.arange(0.5, 4.01, 0.05):
        p = softmax(logits, float(t))[np.arange(len(labels)), labels]
        nll = float(-np.log(np.clip(p, 1e-12, 1.0)).mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return round(best_t, 2)


#: Share of the calibration split's correctly classified in-scope messages that the out-of-scope
#: threshold may turn into "sorry, I didn't understand" (see :func:`fit_oos_threshold`). 0: none.
#: 0.01 was tried first; on the dev buckets it cost 0.7-1.6 points for no out-of-scope gain.
MAX_FALSE_REJECTIONS = 0.0


def fit_oos_threshold(
    probs: np.ndarray,
    labels: np.ndarray,
    oos_index: int,
    max_false_rejections: float = MAX_FALSE_REJECTIONS,
) -> float:
    """Pick the rejection threshold: as many out-of-scope catches as a small in-scope cost allows.

    The model has an ``out_of_scope`` class of its own; the threshold only adds rejections of
    low-confidence in-scope guesses. The costs are not symmetric: rejecting a real request
    ("track my order" -> "sorry, I didn't understand") fails a customer who asked for something
    the bot can do, while an out-of-scope query that slips through gets the nearest flow, which
    the customer can leave. So the threshold is the one that catches the most out-of-scope
    calibration queries while rejecting at most ``max_false_rejections`` of the in-scope
    calibration messages that the model classifies correctly (ties: the lowest such threshold).

    Args:
        probs: calibrated intent probabilities of the calibration split, ``[n, intents]``.
        labels: gold intent indices.
        oos_index: the index of ``out_of_scope``.
        max_false_rejections: the in-scope cost allowed, as a share of the correct ones.

    Returns:
        The threshold (0.0: the ``out_of_scope`` class alone decides).
    """
    pred = probs.argmax(axis=1)
    confidence = probs.max(axis=1)
    in_scope = labels != oos_index
    correct = in_scope & (pred == labels)
    slipped = ~in_scope & (pred != oos_index)
    allowed = max_false_rejections * int(correct.sum())
    best_t, best_caught = 0.0, 0
    for step in range(96):
        t = step / 100
        if int((correct & (confidence < t)).sum()) > allowed:
            break
        caught = int((slipped & (confidence < t)).sum())
        if caught > best_caught:
            best_t, best_caught = t, caught
    return best_t


def fit_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """Pick the decision threshold that maximises F1 for a binary score."""
    best_t, best_f1 = 0.5, -1.0
    for step in range(5, 96):
        t = step / 100
        pred = scores >= t
        tp = float((pred & (labels == 1)).sum())
        fp = float((pred & (labels == 0)).sum())
        fn = float((~pred & (labels == 1)).sum())
        f1 = 2 * tp / max(2 * tp + fp + fn, 1.0)
        if f1 > best_f1:
            best_t, best_f1 = t, f1
    return best_t


def anger_evidence(
    anger_logits: np.ndarray,
    emotion_logits: np.ndarray,
    group: Sequence[int],
    with_group: bool,
) -> np.ndarray:
    """Anger evidence as a logit: the anger head's odds plus the emotion head's anger-group odds.

    Adding odds lets either view raise the evidence and neither lower it. Only the anger head
    also learned our customers' anger (the project's affect data); the emotion head (GoEmotions
    alone) may add what it sees in general comments but must not dilute that.

    Args:
        anger_logits: the anger head's logits, ``[batch]``.
        emotion_logits: the emotion head's logits, ``[batch, emotions]``.
        group: indices of the anger-group emotions (anger, annoyance, disapproval).
        with_group: add the group's view (False: the anger head alone).

    Returns:
        ``log(exp(anger_logit) + odds(any anger-group emotion))``, ``[batch]``.
    """
    anger = np.asarray(anger_logits, dtype=np.float64)
    if not with_group or not len(group):
        return anger
    none = np.prod(1.0 - sigmoid(emotion_logits[:, list(group)].astype(np.float64)), axis=1)
    none = np.clip(none, 1e-6, 1.0 - 1e-6)
    return np.asarray(np.logaddexp(anger, np.log((1.0 - none) / none)))


def fit_platt(scores: np.ndarray, labels: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """Logistic calibration ``P(y) = sigmoid(scale * score + shift)`` by Newton's method.

    Returns:
        The scale and the shift.
    """
    x = np.stack([np.asarray(scores, dtype=np.float64), np.ones(len(scores))], axis=1)
    y = np.asarray(labels, dtype=np.float64)
    w = np.array([1.0, 0.0])
    for _ in range(iterations):
        p = sigmoid(x @ w)
        hessian = (x * (p * (1 - p))[:, None]).T @ x + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, x.T @ (p - y))
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), float(w[1])


def fit_anger_score(
    anger_logits: np.ndarray,
    emotion_logits: np.ndarray,
    group: Sequence[int],
    labels: np.ndarray,
) -> tuple[bool, float, float]:
    """Choose by ROC-AUC on held-out comments whether the anger group's view is added, then
    calibrate the evidence to a probability.

    Args:
        anger_logits: anger head logits of the calibration comments.
        emotion_logits: emotion head logits of the same comments.
        group: indices of the anger-group emotions.
        labels: 1 where a comment has an anger-group label.

    Returns:
        ``(with_group, scale, shift)`` for :func:`anger_evidence` and the logistic map.
    """
    gold = np.asarray(labels).astype(bool)
    with_group = bool(len(group)) and roc_auc(
        gold, anger_evidence(anger_logits, emotion_logits, group, True)
    ) > roc_auc(gold, anger_evidence(anger_logits, emotion_logits, group, False))
    evidence = anger_evidence(anger_logits, emotion_logits, group, with_group)
    scale, shift = fit_platt(evidence, gold)
    return with_group, scale, shift
