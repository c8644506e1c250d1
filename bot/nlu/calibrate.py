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


def reject_below(probs: np.ndarray, threshold: float, oos_index: int) -> np.ndarray:
    """Predicted class per row, with low-confidence rows rejected as out-of-scope."""
    pred = probs.argmax(axis=1)
    return np.where(probs.max(axis=1) >= threshold, pred, oos_index)


def fit_oos_threshold(probs: np.ndarray, labels: np.ndarray, oos_index: int) -> float:
    """Pick the rejection threshold that maximises the mean of in-scope and OOS accuracy."""
    in_scope = labels != oos_index
    best_t, best_score = 0.0, -1.0
    for step in range(96):
        t = step / 100
        pred = reject_below(probs, t, oos_index)
        acc_in = float((pred[in_scope] == labels[in_scope]).mean()) if in_scope.any() else 0.0
        acc_out = float((pred[~in_scope] == oos_index).mean()) if (~in_scope).any() else 0.0
        score = 0.6 * acc_in + 0.4 * acc_out
        if score > best_score + 1e-9:
            best_t, best_score = t, score
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
