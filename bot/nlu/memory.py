"""Example memory: the training examples' embeddings vote next to the intent head.

The intent head is one linear layer over the pooled sentence features; a short or unusual
message ("ja", "returns", "5 stars") can land where that boundary is wrong although a training
example that says nearly the same thing sits right beside it. The memory keeps the (adapted)
sentence embedding of every training example; for a message, its ``k`` nearest examples vote
for their intents with weights ``exp(similarity / tau)``, and the intent probabilities become
``(1 - weight) * head + weight * memory``. ``weight`` is fitted on the calibration bucket
(0 keeps the head alone), and the examples are the training bucket only, so calibration and
test never see their own text in the memory.

Pure numpy: the serving process keeps it without torch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Neighbours that vote, and the softness of their votes (chosen on the calibration bucket).
MEMORY_K = 20
MEMORY_TAU = 0.05
WEIGHT_GRID = tuple(step / 10 for step in range(9))


@dataclass(frozen=True)
class ExampleMemory:
    """L2-normalised example embeddings with their intent indices."""

    vectors: np.ndarray  # [examples, dim] float32, rows of unit length
    labels: np.ndarray  # [examples] int
    n_classes: int
    k: int = MEMORY_K
    tau: float = MEMORY_TAU

    def __post_init__(self) -> None:
        """Check the shapes once, so that a corrupt artefact fails at load, not per message."""
        if self.vectors.ndim != 2 or len(self.vectors) != len(self.labels) or not len(self.labels):
            raise ValueError("the memory needs one label per vector and at least one example")
        if int(self.labels.min()) < 0 or int(self.labels.max()) >= self.n_classes:
            raise ValueError("a memory label is not an intent index")

    def probs(self, embeddings: np.ndarray) -> np.ndarray:
        """The memory's intent distribution for each query embedding, ``[batch, n_classes]``."""
        queries = np.asarray(embeddings, dtype=np.float32)
        queries = queries / np.clip(np.linalg.norm(queries, axis=1, keepdims=True), 1e-9, None)
        similarity = queries @ self.vectors.T
        k = min(self.k, similarity.shape[1])
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        scores = np.take_along_axis(similarity, nearest, axis=1)
        votes = np.exp((scores - scores.max(axis=1, keepdims=True)) / self.tau)
        out = np.zeros((len(queries), self.n_classes), dtype=np.float64)
        rows = np.repeat(np.arange(len(queries)), k)
        np.add.at(out, (rows, self.labels[nearest].ravel()), votes.ravel())
        return out / out.sum(axis=1, keepdims=True)


def mix(head: np.ndarray, memory: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) * head + weight * memory`` (both rows sum to one, so does the result)."""
    return np.asarray((1.0 - weight) * head + weight * memory)


def fit_weight(
    head: np.ndarray, memory: np.ndarray, labels: np.ndarray, grid: Sequence[float] = WEIGHT_GRID
) -> float:
    """The memory weight with the best calibration accuracy (ties: the smallest weight)."""
    best_weight, best_correct = 0.0, -1
    for weight in grid:
        correct = int((mix(head, memory, weight).argmax(axis=1) == labels).sum())
        if correct > best_correct:
            best_weight, best_correct = float(weight), correct
    return best_weight
