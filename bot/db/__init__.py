"""The app database: declarative base, engines, sessions and migrations."""

from __future__ import annotations

from bot.db.base import Base, UTCDateTime, table_of, utcnow
from bot.db.engine import make_engine, session_factory, sqlite_file_path
from bot.db.migrate import (
    alembic_config,
    current_revisions,
    head_revisions,
    make_revision,
    upgrade_database,
)

__all__ = [
    "Base",
    "UTCDateTime",
    "alembic_config",
    "current_revisions",
    "head_revisions",
    "make_engine",
    "make_revision",
    "session_factory",
    "sqlite_file_path",
    "table_of",
    "upgrade_database",
    "utcnow",
]
