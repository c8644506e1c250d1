"""The example memory: nearest training examples vote next to the intent head."""

from __future__ import annotations

import numpy as np
import pytest

from bot.nlu.memory import ExampleMemory, fit_weight, mix


def unit(rows: list[list[float]]) -> np.ndarray:
    x = np.array(rows, dtype=np.float32)
    return np.asarray(x / np.linalg.norm(x, axis=1, keepdims=True))


def test_nearest_examples_vote_for_their_intent() -> None:
    memory = ExampleMemory(
        unit([[1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1]]), np.array([0, 0, 1, 2]), 3, k=2
    )
    probs = memory.probs(unit([[1, 0.05, 0], [0, 0.2, 1]]))
    assert probs.shape == (2, 3) and np.allclose(probs.sum(axis=1), 1.0)
    assert probs[0].argmax() == 0 and probs[0, 0] > 0.99  # both neighbours are intent 0
    assert probs[1].argmax() == 2 and probs[1, 0] == 0.0  # intent 0 is not among the 2 nearest


def test_votes_are_softer_with_a_larger_tau() -> None:
    vectors, labels = unit([[1, 0], [0.8, 0.6]]), np.array([0, 1])
    query = unit([[1, 0.2]])
    sharp = ExampleMemory(vectors, labels, 2, k=2, tau=0.01).probs(query)[0]
    soft = ExampleMemory(vectors, labels, 2, k=2, tau=1.0).probs(query)[0]
    assert sharp[0] > soft[0] > 0.5


def test_k_larger_than_the_memory_and_unnormalised_queries() -> None:
    memory = ExampleMemory(unit([[1, 0], [0, 1]]), np.array([0, 1]), 2, k=20)
    assert memory.probs(np.array([[3.0, 0.1]], dtype=np.float32))[0].argmax() == 0


def test_a_corrupt_memory_fails_at_load() -> None:
    with pytest.raises(ValueError):
        ExampleMemory(unit([[1, 0]]), np.array([0, 1]), 2)
    with pytest.raises(ValueError):
        ExampleMemory(unit([[1, 0]]), np.array([5]), 2)


def test_mix_and_the_fitted_weight() -> None:
    head = np.array([[0.6, 0.4], [0.4, 0.6], [0.55, 0.45]])
    memory = np.array([[0.9, 0.1], [0.1, 0.9], [0.0, 1.0]])
    assert np.allclose(mix(head, memory, 0.5).sum(axis=1), 1.0)
    # the head is right on all three: the memory's wrong vote on row 3 must not win
    assert fit_weight(head, memory, np.array([0, 1, 0])) <= 0.1
    # the memory is right on row 3 and the head wrong: a weight that flips row 3 is chosen
    chosen = fit_weight(head, memory, np.array([0, 1, 1]))
    assert mix(head, memory, chosen)[2].argmax() == 1 and chosen > 0
