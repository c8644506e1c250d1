"""The breaker's engine: writers serialise (``BEGIN IMMEDIATE`` on SQLite, row locks on PostgreSQL).

pysqlite opens transactions lazily, at the first write, so two connections can both read the
budget usage before either writes. The breaker's SQLite engine therefore turns pysqlite's own
transaction handling off and starts every transaction with ``BEGIN IMMEDIATE``, which takes the
database's write lock up front. PostgreSQL reservations lock a row of ``breaker_ledger_locks``
instead (see :mod:`bot.breaker.ledger`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, session_factory


def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def breaker_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for the breaker's tables on the app database at ``url``.

    Args:
        url: SQLAlchemy URL (SQLite file or PostgreSQL).
        **kwargs: Passed on to :func:`bot.db.make_engine`.
    """
    engine = make_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _autocommit_driver)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def breaker_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions on the breaker's engine (``with sessions.begin() as session:``)."""
    return session_factory(engine)
