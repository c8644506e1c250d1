import random

import pytest

from bot.nlu.onnx_runtime import MAX_CHUNK, MIN_CHUNK, PADDING_SLACK, chunks


@pytest.mark.parametrize("size", [1, 3, 4, 9, 17, 64])
def test_every_text_lands_in_exactly_one_chunk_sorted_by_length(size: int) -> None:
    lengths = [random.Random(size).randint(3, 60) for _ in range(size)]
    groups = chunks(lengths)
    flat = [index for group in groups for index in group]
    assert sorted(flat) == list(range(size))
    assert [lengths[i] for i in flat] == sorted(lengths)


def test_chunks_stay_within_the_size_bounds() -> None:
    lengths = [random.Random(7).randint(3, 60) for _ in range(200)]
    groups = chunks(lengths)
    assert all(len(group) <= MAX_CHUNK for group in groups)
    assert all(len(group) >= MIN_CHUNK for group in groups[:-1])


def test_a_chunk_beyond_the_minimum_pads_little() -> None:
    lengths = [4, 4, 5, 5, 6, 6, 7, 7, 40, 41, 42, 43]
    groups = chunks(lengths)
    for group in groups:
        real = sum(lengths[i] for i in group)
        padded = len(group) * max(lengths[i] for i in group)
        assert len(group) <= MIN_CHUNK or padded <= real * PADDING_SLACK
    assert groups == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9], [10, 11]]


def test_a_small_batch_is_one_chunk() -> None:
    assert chunks([30, 2, 9]) == [[1, 2, 0]]
