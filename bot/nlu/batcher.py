"""Adaptive micro-batching: concurrent parse requests share one model pass.

While the model runs a batch in a worker thread, new requests queue up; the next pass takes
all of them (up to ``max_batch``). At low load a request runs alone and waits for nobody; at
high load batches grow and throughput rises. With ``workers`` > 1, that many batches run at
once (ONNX Runtime releases the GIL), so the model can use more than one core at saturation.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

from bot.nlu.schemas import ParseResult

ParseFn = Callable[[Sequence[str]], list[ParseResult]]


@dataclass
class _Pending:
    text: str
    future: asyncio.Future[ParseResult]


class ParseCache:
    """LRU cache of parse results by text (and day, since relative dates depend on it)."""

    def __init__(self, size: int) -> None:
        """Keep at most ``size`` results; 0 disables the cache."""
        self.size = size
        self._items: OrderedDict[tuple[str, str], ParseResult] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, text: str) -> ParseResult | None:
        """Return a cached result or None."""
        if not self.size:
            return None
        key = (text, date.today().isoformat())
        found = self._items.get(key)
        if found is None:
            self.misses += 1
            return None
        self._items.move_to_end(key)
        self.hits += 1
        return found

    def put(self, result: ParseResult) -> None:
        """Store a result."""
        if not self.size:
            return
        self._items[(result.text, date.today().isoformat())] = result
        while len(self._items) > self.size:
            self._items.popitem(last=False)


class MicroBatcher:
    """Queues parse requests and runs them through ``parse`` in batches on worker threads."""

    def __init__(
        self,
        parse: ParseFn,
        max_batch: int = 64,
        cache_size: int = 4096,
        workers: int = 1,
        thread_setup: Callable[[], object] | None = None,
    ) -> None:
        """Create the batcher; call :meth:`start` inside the event loop before use.

        Args:
            parse: parses a batch of texts (called from worker threads, possibly at once).
            max_batch: the most texts in one batch.
            cache_size: results kept by text; 0 disables the cache.
            workers: how many batches may run at the same time.
            thread_setup: called once in each worker thread before its first batch.
        """
        self._parse = parse
        self.max_batch = max_batch
        self.workers = workers
        self.cache = ParseCache(cache_size)
        self._queue: asyncio.Queue[_Pending] | None = None
        self._task: asyncio.Task[None] | None = None
        self._slots: asyncio.Semaphore | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="nlu-model", initializer=thread_setup
        )
        self.batches = 0
        self.parsed = 0

    def start(self) -> None:
        """Start the worker task on the running loop."""
        self._queue = asyncio.Queue()
        self._slots = asyncio.Semaphore(self.workers)
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        """Stop the worker and release the thread."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for running in list(self._running):
            running.cancel()
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def parse(self, text: str) -> ParseResult:
        """Parse one text, sharing a model pass with whatever else is queued."""
        cached = self.cache.get(text)
        if cached is not None:
            return cached
        if self._queue is None:
            raise RuntimeError("MicroBatcher.start() was not called")
        future: asyncio.Future[ParseResult] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Pending(text, future))
        return await future

    async def _run(self) -> None:
        assert self._queue is not None and self._slots is not None
        loop = asyncio.get_running_loop()
        while True:
            first = await self._queue.get()
            await self._slots.acquire()  # a worker is free: take everything queued meanwhile
            batch = [first]
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            task = loop.create_task(self._run_batch(batch))
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    async def _run_batch(self, batch: list[_Pending]) -> None:
        assert self._slots is not None
        loop = asyncio.get_running_loop()
        texts = [p.text for p in batch]
        try:
            results = await loop.run_in_executor(self._executor, self._parse, texts)
        except Exception as exc:  # a model failure fails this batch's requests, not the loop
            for pending in batch:
                if not pending.future.done():
                    pending.future.set_exception(exc)
            return
        finally:
            self._slots.release()
        self.batches += 1
        self.parsed += len(batch)
        for pending, result in zip(batch, results, strict=True):
            self.cache.put(result)
            if not pending.future.done():
                pending.future.set_result(result)
