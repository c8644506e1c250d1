"""The batched case-log writer: records are queued on the hot path and committed in batches.

PII is redacted here, in the writer's thread, before anything reaches the database.

Guarantees: records are committed in the order they were submitted (one writer, FIFO); a batch
is one transaction, so a failed batch is retried whole (nothing lost, nothing doubled); when the
database is down the writer keeps the queue and retries with back-off; :meth:`flush` waits until
everything submitted before it is committed, and :meth:`close` flushes before it returns.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, Engine, Insert, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from bot.caselog.models import (
    AgentMessage,
    Conversation,
    EscalationEvent,
    Outcome,
    OwnershipEvent,
    Relabel,
    Turn,
)
from bot.caselog.records import (
    AgentMessageRecord,
    CaseRecord,
    ConversationOpened,
    EscalationRecord,
    LateResponsesRecord,
    OutcomeRecord,
    OwnershipChanged,
    RelabelRecord,
    TurnRecord,
)
from bot.caselog.redact import redact_record
from bot.db.base import table_of

log = logging.getLogger("calmdesk.caselog")

_PLAIN_INSERTS: dict[type[Any], Any] = {
    TurnRecord: table_of(Turn),
    EscalationRecord: table_of(EscalationEvent),
    AgentMessageRecord: table_of(AgentMessage),
    RelabelRecord: table_of(Relabel),
}


def _insert_ignore(connection: Connection, rows: list[dict[str, Any]]) -> None:
    table = table_of(Conversation)
    statement: Insert
    if connection.dialect.name == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["id"])
    elif connection.dialect.name == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["id"])
    else:  # pragma: no cover - only SQLite and PostgreSQL are supported
        statement = insert(table)
    connection.execute(statement, rows)


def _write_one_kind(connection: Connection, kind: type[Any], records: list[Any]) -> None:
    if kind is ConversationOpened:
        rows = [
            {
                "id": r.conversation_id,
                "channel": r.channel,
                "customer_id": r.customer_id,
                "state": "bot",
                "created_at": r.at,
                "updated_at": r.at,
            }
            for r in records
        ]
        _insert_ignore(connection, rows)
    elif kind is OwnershipChanged:
        connection.execute(insert(table_of(OwnershipEvent)), [asdict(r) for r in records])
        conversations = table_of(Conversation)
        for r in records:
            values: dict[str, Any] = {"state": r.to_state, "updated_at": r.at}
            if r.to_state == "queued":
                values.update(priority=r.priority, handoff_reason=r.reason, agent_id=None)
            elif r.to_state == "agent":
                values["agent_id"] = r.agent_id
            elif r.to_state == "bot":
                values.update(outcome=None)
            connection.execute(
                update(conversations).where(conversations.c.id == r.conversation_id), values
            )
    elif kind is OutcomeRecord:
        connection.execute(insert(table_of(Outcome)), [asdict(r) for r in records])
        conversations = table_of(Conversation)
        for r in records:
            connection.execute(
                update(conversations)
                .where(conversations.c.id == r.conversation_id)
                .values(outcome=r.outcome, updated_at=r.at)
            )
    elif kind is LateResponsesRecord:
        turns = table_of(Turn)
        for r in records:
            where = (turns.c.conversation_id == r.conversation_id) & (turns.c.seq == r.seq)
            row = connection.execute(select(turns.c.responses, turns.c.error).where(where)).first()
            if row is None:
                continue
            late = [{**response, "late": True} for response in r.responses]
            note = f"rasa_late: answered after {r.delay_ms:.0f} ms"
            connection.execute(
                update(turns)
                .where(where)
                .values(
                    responses=list(row.responses or []) + late,
                    error=f"{row.error}; {note}" if row.error else note,
                )
            )
    else:
        connection.execute(insert(_PLAIN_INSERTS[kind]), [asdict(r) for r in records])


def write_records(connection: Connection, records: Sequence[CaseRecord]) -> None:
    """Write records in order, grouping runs of the same kind into one ``executemany``."""
    start = 0
    while start < len(records):
        kind = type(records[start])
        end = start + 1
        while end < len(records) and type(records[end]) is kind:
            end += 1
        _write_one_kind(connection, kind, list(records[start:end]))
        start = end


class CaseLogWriter:
    """Queue records and commit them in batches from a background task.

    Args:
        engine: The app database engine (migrated to the ``caselog`` head).
        interval: Seconds to wait after the first queued record so more can join its batch.
        max_batch: The largest batch committed at once.
    """

    def __init__(self, engine: Engine, *, interval: float = 0.05, max_batch: int = 2000) -> None:
        self.engine = engine
        self.interval = interval
        self.max_batch = max_batch
        self._pending: deque[CaseRecord] = deque()
        self._submitted = 0
        self._committed = 0
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.failures = 0
        self.rejected = 0

    @property
    def backlog(self) -> int:
        """Records queued but not yet committed."""
        return self._submitted - self._committed

    def start(self) -> None:
        """Start the background task (inside a running event loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="caselog")

    def submit(self, record: CaseRecord) -> None:
        """Queue one record; never blocks and never touches the database."""
        self._pending.append(record)
        self._submitted += 1
        self._wake.set()

    async def flush(self) -> None:
        """Wait until every record submitted before this call is committed."""
        target = self._submitted
        if self._task is None:
            self.start()
        async with self._progress:
            await self._progress.wait_for(lambda: self._committed >= target)

    async def close(self) -> None:
        """Commit what is queued, then stop the background task."""
        await self.flush()
        self._closing = True
        self._wake.set()
        if self._task is not None:
            await self._task
            self._task = None

    def _write_batch(self, batch: list[CaseRecord]) -> None:
        batch = [redact_record(record) for record in batch]
        try:
            with self.engine.begin() as connection:
                write_records(connection, batch)
        except IntegrityError:
            # One bad record (e.g. a message id seen before a restart) must not block the
            # rest: write them one by one and drop only the offenders.
            for record in batch:
                try:
                    with self.engine.begin() as connection:
                        write_records(connection, [record])
                except IntegrityError as exc:
                    self.rejected += 1
                    log.warning(
                        "caselog.write.rejected",
                        extra={"record": type(record).__name__, "error": str(exc.orig)[:200]},
                    )

    async def _run(self) -> None:
        backoff = 0.1
        while True:
            if not self._pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                if self.interval and not self._closing:
                    await asyncio.sleep(self.interval)
            batch = [
                self._pending.popleft() for _ in range(min(self.max_batch, len(self._pending)))
            ]
            if not batch:
                continue
            try:
                await asyncio.to_thread(self._write_batch, batch)
            except Exception as exc:  # database down: keep the batch, retry with back-off
                self.failures += 1
                log.error("caselog.write.failed", extra={"error": str(exc)[:300]})
                self._pending.extendleft(reversed(batch))
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            backoff = 0.1
            async with self._progress:
                self._committed += len(batch)
                self._progress.notify_all()
