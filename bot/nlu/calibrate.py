"""Post-training calibration: intent temperature, out-of-scope threshold, anger threshold."""

from __future__ import annotations

import numpy as np


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
