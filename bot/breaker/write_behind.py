"""The breaker's bookkeeping writes, off the request path: queued, committed in batches.

Deciding about one message used to cost three or four small transactions (read the state, save
it, store the decision row and the events). The writes are not needed to answer the customer:
the state the next message needs is kept in memory (:class:`CachedStateStore`), and decision and
event rows feed audits and reports. So they are queued here and one thread commits them in
batches, one transaction per batch — like the case log's writer.

The remedy ledger is *not* written here: issuing a coupon stays a synchronous, exactly-once
transaction.

Guarantees: writes are committed in submission order; a failed batch is retried whole with
back-off (database down: nothing lost, nothing doubled); a write rejected by a constraint is
dropped alone and logged; :meth:`WriteBehind.flush` waits until everything submitted before it
is committed; :meth:`WriteBehind.close` flushes and stops the thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from functools import partial
from itertools import islice
from typing import Generic, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.breaker.state_store import SqlStateStore
from escalation.state import ConversationState

log = logging.getLogger(__name__)

Batch = TypeVar("Batch")
Write = Callable[[Session], None]
Done = Callable[[], None]


class WriteBehind:
    """One background thread committing queued writes in batches.

    Args:
        sessions: Sessions on the breaker's engine.
        interval: Seconds to wait after the first queued write so more can join its batch.
        max_batch: The largest batch committed at once.
    """

    def __init__(
        self, sessions: sessionmaker[Session], *, interval: float = 0.05, max_batch: int = 500
    ) -> None:
        self._sessions = sessions
        self.interval = interval
        self.max_batch = max_batch
        self._queue: deque[tuple[Write, Done | None]] = deque()
        self._submitted = 0
        self._committed = 0
        self._cond = threading.Condition()
        self._closing = False
        self.failures = 0
        self.rejected = 0
        self._thread = threading.Thread(target=self._run, name="breaker-writes", daemon=True)
        self._thread.start()

    @property
    def backlog(self) -> int:
        """Writes queued but not yet committed."""
        return self._submitted - self._committed

    def submit(self, write: Write, done: Done | None = None) -> None:
        """Queue ``write`` (run inside the batch's transaction); ``done`` runs after commit."""
        with self._cond:
            if self._closing:
                raise RuntimeError("the breaker's writer is closed")
            self._queue.append((write, done))
            self._submitted += 1
            self._cond.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every write submitted before this call is committed (False: timed out)."""
        with self._cond:
            target = self._submitted
            return self._cond.wait_for(lambda: self._committed >= target, timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued, then stop the thread."""
        self.flush(timeout)
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def _take(self) -> list[tuple[Write, Done | None]]:
        with self._cond:
            self._cond.wait_for(lambda: bool(self._queue) or self._closing)
            if not self._queue:
                return []
        if self.interval:
            time.sleep(self.interval)
        with self._cond:
            return [self._queue.popleft() for _ in range(min(self.max_batch, len(self._queue)))]

    def _commit(self, batch: list[tuple[Write, Done | None]]) -> None:
        try:
            with self._sessions.begin() as session:
                for write, _ in batch:
                    write(session)
        except IntegrityError:
            # One bad write must not block the rest: apply them one by one, drop offenders.
            for write, _ in batch:
                try:
                    with self._sessions.begin() as session:
                        write(session)
                except IntegrityError as exc:
                    self.rejected += 1
                    log.warning("breaker.write.rejected", extra={"error": str(exc.orig)[:200]})

    def _run(self) -> None:
        backoff = 0.1
        while True:
            batch = self._take()
            if not batch:
                return  # closing, nothing left
            try:
                self._commit(batch)
            except Exception as exc:  # database down: keep the batch, retry with back-off
                self.failures += 1
                log.error("breaker.write.failed", extra={"error": str(exc)[:300]})
                with self._cond:
                    self._queue.extendleft(reversed(batch))
                time.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.1
            for _, done in batch:
                if done is not None:
                    done()
            with self._cond:
                self._committed += len(batch)
                self._cond.notify_all()


class Coalesced(Generic[Batch]):
    """Changes gathered between two batches and applied by one queued write.

    ``change`` edits the pending batch (a dict of states, a list of rows); the first change
    after a batch was taken queues one write on the :class:`WriteBehind`, which takes the batch
    and hands it to ``apply``. A retried write applies the same batch again; later changes
    go to the next one.

    Args:
        writer: The background writer.
        apply: Writes one batch inside the writer's transaction.
        new: Makes an empty batch.
    """

    def __init__(
        self,
        writer: WriteBehind,
        apply: Callable[[Session, Batch], None],
        new: Callable[[], Batch],
    ) -> None:
        self._writer = writer
        self._apply = apply
        self._new = new
        self._pending = new()
        self._taken: dict[object, Batch] = {}
        self._scheduled = False
        self._lock = threading.Lock()

    def change(self, edit: Callable[[Batch], None]) -> None:
        """Apply ``edit`` to the pending batch and make sure a write will take it."""
        with self._lock:
            edit(self._pending)
            schedule, self._scheduled = not self._scheduled, True
        if schedule:
            token = object()
            self._writer.submit(
                lambda session: self._write(session, token), lambda: self._written(token)
            )

    def holds(self, test: Callable[[Batch], bool]) -> bool:
        """Whether ``test`` is true of the pending batch or of one not yet committed."""
        with self._lock:
            return test(self._pending) or any(test(batch) for batch in self._taken.values())

    def _write(self, session: Session, token: object) -> None:
        with self._lock:
            batch = self._taken.get(token)
            if batch is None:  # first run; a retried write takes the same batch again
                batch = self._taken[token] = self._pending
                self._pending, self._scheduled = self._new(), False
        self._apply(session, batch)

    def _written(self, token: object) -> None:
        with self._lock:
            self._taken.pop(token, None)


class CachedStateStore:
    """Conversation states kept in memory, saved to the database through a :class:`WriteBehind`.

    A load is answered from memory when the conversation was seen recently, otherwise from the
    database. States are immutable, so cached ones are shared safely. Saves are coalesced: one
    queued write upserts the latest state of every conversation saved since the last one (two
    statements per batch, whatever the number of conversations). A state whose save is not yet
    committed is never evicted, so a load can never read an older row than the last save. One
    gateway process owns a conversation's decisions (its per-conversation lock), which is what
    makes the memory authoritative.

    Args:
        sql: The database store (cold loads, batched upserts).
        writer: Where the batched writes are queued.
        capacity: Conversations kept in memory (least recently used are dropped first).
    """

    def __init__(self, sql: SqlStateStore, writer: WriteBehind, capacity: int = 10_000) -> None:
        self._sql = sql
        self._writer = writer
        self._capacity = capacity
        self._states: OrderedDict[str, ConversationState | None] = OrderedDict()
        self._unsaved: Coalesced[dict[str, ConversationState | None]] = Coalesced(
            writer, sql.write_many, dict
        )
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """Conversations held in memory."""
        return len(self._states)

    def load(self, conversation_id: str) -> ConversationState | None:
        """The latest state saved for the conversation, or ``None`` for a new one."""
        with self._lock:
            if conversation_id in self._states:
                self._states.move_to_end(conversation_id)
                return self._states[conversation_id]
        state = self._sql.load(conversation_id)
        with self._lock:
            if conversation_id not in self._states:  # a save may have won the race
                self._remember(conversation_id, state)
            return self._states[conversation_id]

    def save(self, state: ConversationState) -> None:
        """Keep ``state`` and queue its row."""
        self._change(state.conversation_id, state)

    def delete(self, conversation_id: str) -> None:
        """Forget the conversation and queue the row's deletion."""
        self._change(conversation_id, None)

    def _change(self, conversation_id: str, state: ConversationState | None) -> None:
        with self._lock:
            self._remember(conversation_id, state)
            self._unsaved.change(lambda batch: batch.__setitem__(conversation_id, state))

    def _remember(self, conversation_id: str, state: ConversationState | None) -> None:
        self._states[conversation_id] = state
        self._states.move_to_end(conversation_id)
        overflow = len(self._states) - self._capacity
        if overflow <= 0:
            return
        for old in list(islice(self._states, overflow)):
            if not self._unsaved.holds(partial(contains, key=old)):
                del self._states[old]


def contains(batch: dict[str, ConversationState | None], key: str) -> bool:
    """Whether ``key`` is in ``batch`` (for :meth:`Coalesced.holds`)."""
    return key in batch
