import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from bot.nlu.batcher import MicroBatcher
from bot.nlu.schemas import Affect, IntentScore, ParseResult


class FakePipeline:
    """Implements the parse_batch interface; slow enough for requests to pile up."""

    def __init__(self, fail_on: str = "") -> None:
        self.batch_sizes: list[int] = []
        self.fail_on = fail_on
        self.lock = threading.Lock()
        self.running = 0
        self.most_at_once = 0

    def parse_batch(self, texts: Sequence[str]) -> list[ParseResult]:
        with self.lock:
            self.batch_sizes.append(len(texts))
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        if self.fail_on in texts:
            raise RuntimeError("model exploded")
        return [
            ParseResult(
                text=t,
                intent=IntentScore(name="greet", confidence=1.0),
                intent_ranking=[],
                entities=[],
                affect=Affect(
                    anger=0,
                    sentiment=0,
                    label="calm",
                    emotions={},
                    cues=[],
                    model_anger=0,
                    intensity=0,
                ),
            )
            for t in texts
        ]


async def test_concurrent_requests_share_batches_and_keep_their_order() -> None:
    fake = FakePipeline()
    batcher = MicroBatcher(fake.parse_batch, max_batch=16, cache_size=0)
    batcher.start()
    results = await asyncio.gather(*(batcher.parse(f"text {i}") for i in range(40)))
    await batcher.stop()
    assert [r.text for r in results] == [f"text {i}" for i in range(40)]
    assert max(fake.batch_sizes) > 1 and max(fake.batch_sizes) <= 16
    assert sum(fake.batch_sizes) == 40


async def test_a_failing_batch_fails_its_requests_but_not_the_worker() -> None:
    fake = FakePipeline(fail_on="boom")
    batcher = MicroBatcher(fake.parse_batch, max_batch=1, cache_size=0)
    batcher.start()
    with pytest.raises(RuntimeError, match="exploded"):
        await batcher.parse("boom")
    assert (await batcher.parse("fine")).text == "fine"
    await batcher.stop()


async def test_cache_serves_repeats_without_the_model() -> None:
    fake = FakePipeline()
    batcher = MicroBatcher(fake.parse_batch, max_batch=4, cache_size=8)
    batcher.start()
    first = await batcher.parse("hello")
    second = await batcher.parse("hello")
    await batcher.stop()
    assert sum(fake.batch_sizes) == 1
    assert batcher.cache.hits == 1
    assert first == second


@pytest.mark.parametrize("workers", [1, 2, 3])
async def test_at_most_workers_batches_run_at_once(workers: int) -> None:
    fake = FakePipeline()
    batcher = MicroBatcher(fake.parse_batch, max_batch=4, cache_size=0, workers=workers)
    batcher.start()
    results = await asyncio.gather(*(batcher.parse(f"text {i}") for i in range(60)))
    await batcher.stop()
    assert [r.text for r in results] == [f"text {i}" for i in range(60)]
    assert fake.most_at_once == workers
    assert sum(fake.batch_sizes) == 60 and batcher.parsed == 60


async def test_a_failing_batch_frees_its_worker() -> None:
    fake = FakePipeline(fail_on="boom")
    batcher = MicroBatcher(fake.parse_batch, max_batch=1, cache_size=0, workers=2)
    batcher.start()
    for _ in range(3):
        with pytest.raises(RuntimeError, match="exploded"):
            await batcher.parse("boom")
    assert (await batcher.parse("fine")).text == "fine"
    await batcher.stop()
