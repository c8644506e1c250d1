"""Fixtures for the case-log unit tests: a migrated SQLite file per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.db import make_engine, upgrade_database

REPO_ROOT = str(Path(__file__).resolve().parents[3])
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    """A fresh SQLite case log, migrated to every head."""
    url = f"sqlite:///{tmp_path / 'calmdesk.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()
