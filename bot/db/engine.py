"""Engines and session factories for the app database (SQLite by default, or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def sqlite_file_path(url: str) -> Path | None:
    """Return the database file of an SQLite URL, or ``None`` for in-memory or other databases.

    Args:
        url: An SQLAlchemy database URL.

    Returns:
        The path of the SQLite file, or ``None`` when the URL names no file.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for the app database.

    For SQLite the parent directory of the database file is created, and every connection
    enables foreign keys and write-ahead logging (so readers do not block the writer).

    Args:
        url: An SQLAlchemy URL such as ``sqlite:///var/calmdesk.db`` or
            ``postgresql+psycopg://user@host/db``.
        **kwargs: Passed on to :func:`sqlalchemy.create_engine`.

    Returns:
        The engine (connections are opened lazily).
    """
    file_path = sqlite_file_path(url)
    if file_path is not None:
        file_path.parent.mkdir(parents=True, exist_ok=True)
    kwargs.setdefault("pool_pre_ping", make_url(url).get_backend_name() != "sqlite")
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _configure_sqlite_connection)
    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory bound to ``engine``.

    Sessions do not expire objects on commit, so values read inside a transaction stay readable
    after it ends.

    Args:
        engine: The engine from :func:`make_engine`.

    Returns:
        A :class:`~sqlalchemy.orm.sessionmaker`; use ``with factory.begin() as session:``.
    """
    return sessionmaker(bind=engine, expire_on_commit=False)
